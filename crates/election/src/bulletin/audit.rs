//! The audit of a record's board directory (`RECORD/board/`), for the verifier: the board
//! crate's full audit ([`Mirror::audit_entries`]: every hash tile at every level, every entry
//! bundle, every archived checkpoint, tied to the signed root), plus what an election record
//! demands on top: the published policy is the election's, and every checkpoint file is in its
//! canonical form with every signature line by a key of that policy (no byte goes unchecked).
//! What passes yields the board's entries in log order, by kind.
//!
//! This is the one place where the verifier touches the board's files.

use std::collections::BTreeMap;
use std::path::Path;

use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::layout::{MAX_NOTE_LEN, read_capped};
use fairtally_board::merkle::Hash;
use fairtally_board::mirror::Mirror;

use crate::error::Result;

/// One entry of the board, as the audit found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardEntry {
    /// Its index in the log.
    pub index: u64,
    /// Its leaf hash (RFC 9162).
    pub leaf_hash: Hash,
}

/// What the audit of a board directory found.
#[derive(Clone, Debug)]
pub struct BoardAudit {
    /// The latest checkpoint, verified under the policy (`None` when it is missing or does not
    /// verify: then nothing else of the board can be trusted).
    pub checkpoint: Option<SignedCheckpoint>,
    /// The board's entries under the checkpoint, per entry kind, in log order (empty unless
    /// the whole audit passed).
    pub entries: BTreeMap<String, Vec<BoardEntry>>,
    /// Files checked and found right.
    pub files: u64,
    /// Every problem, each naming the file (relative to the board directory) and the reason.
    pub problems: Vec<(String, String)>,
}

impl BoardAudit {
    /// The entries of `kind`, in log order.
    pub fn of_kind(&self, kind: &str) -> &[BoardEntry] {
        self.entries
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn problem(&mut self, file: impl Into<String>, reason: impl Into<String>) {
        self.problems.push((file.into(), reason.into()));
    }
}

/// Audits the board directory `dir` against `policy` (the election's, from its parameters).
pub fn audit_board(dir: &Path, policy: &TrustPolicy) -> Result<BoardAudit> {
    let mut audit = BoardAudit {
        checkpoint: None,
        entries: BTreeMap::new(),
        files: 0,
        problems: Vec::new(),
    };
    let mut mirror = match Mirror::open(dir, policy) {
        Ok(mirror) => mirror,
        Err(e) => {
            audit.problem("checkpoint", e.to_string());
            return Ok(audit);
        }
    };
    audit.checkpoint = Some(mirror.checkpoint().clone());
    let mut entries: BTreeMap<String, Vec<BoardEntry>> = BTreeMap::new();
    let report = mirror.audit_entries(
        |_| {},
        |verified| {
            entries
                .entry(verified.entry.kind().as_str().to_owned())
                .or_default()
                .push(BoardEntry {
                    index: verified.index,
                    leaf_hash: *verified.leaf_hash,
                })
        },
    );
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            audit.problem("", e.to_string());
            return Ok(audit);
        }
    };
    audit.files = report.files_checked;
    for file in &report.unexpected {
        audit.problem(file.path.display().to_string(), file.reason.clone());
    }
    if report.published_policy.as_ref() != Some(policy) {
        audit.problem(
            "policy",
            "missing or not the board policy in the election's parameters",
        );
    }
    let notes = std::iter::once("checkpoint".to_owned()).chain(
        report
            .archived
            .iter()
            .map(|size| format!("checkpoints/{size}")),
    );
    for note in notes {
        if let Err(reason) = strict_note(&dir.join(&note), policy) {
            audit.problem(note, reason);
        }
    }
    if audit.problems.is_empty() {
        audit.entries = entries;
    }
    Ok(audit)
}

/// A checkpoint file must be its canonical signed-note text, and every signature line must be
/// by a key of the policy: the board's audit ignores signatures by unknown keys, as the
/// signed-note format allows, but in a record they would be bytes nobody checked.
fn strict_note(path: &Path, policy: &TrustPolicy) -> std::result::Result<(), String> {
    let bytes = read_capped(path, MAX_NOTE_LEN).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    let signed =
        SignedCheckpoint::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
    if signed.to_text() != text {
        return Err("not in its canonical signed-note form".into());
    }
    let known = |s: &fairtally_board::note::NoteSignature| {
        policy.operator.matches(s) || policy.witnesses.iter().any(|w| w.matches(s))
    };
    match signed.note().signatures().iter().find(|s| !known(s)) {
        Some(stranger) => Err(format!(
            "signature line by {:?} is not by a key of the election's board policy",
            stranger.name
        )),
        None => Ok(()),
    }
}
