//! Every file of a record directory is either one the verifier reads or reported as
//! unexpected: nothing published goes unchecked, and nothing is slipped in beside the record.
//! The files of later steps say how far the election has come ([`Phase`]).

use std::path::Path;

use super::{Phase, Report, Stage};
use crate::bulletin::BOARD_DIR;
use crate::check::Check;
use crate::error::{ElectionError, Result};
use crate::record::files;

/// Reports every entry of `dir` that is not a file of the record (the `board/` directory is
/// audited file by file with the board), and finds the record's phase (see [`phase`]).
pub(super) fn check_files(report: &mut Report, dir: &Path, stage: Stage) -> Result<Phase> {
    let (phase, gaps) = phase(report, dir)?;
    let entries = std::fs::read_dir(dir).map_err(|e| ElectionError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ElectionError::io(dir, e))?;
        let kind = entry
            .file_type()
            .map_err(|e| ElectionError::io(entry.path(), e))?;
        names.push((entry.file_name().to_string_lossy().into_owned(), kind));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in names {
        let expected = if name == BOARD_DIR {
            kind.is_dir()
        } else {
            kind.is_file() && files::ALL.contains(&name.as_str())
        };
        // A guardian checks the record before the shares and the result exist; files of later
        // stages are not read then, so they are not vouched for either.
        let read = match stage {
            Stage::Result => true,
            Stage::EncryptedTally => !files::AFTER_TALLY.contains(&name.as_str()),
        };
        if !expected {
            report.fail(
                Check::RecordFiles,
                &name,
                "unexpected: not a file of an election record (remove it or publish it elsewhere)",
            );
        } else if read && !gaps.contains(&name.as_str()) {
            report.pass(Check::RecordFiles, 1);
        }
    }
    Ok(phase)
}

/// How far the election in `dir` has come. The record's files are published in the order of
/// [`files::ALL`]: the first one missing ends what is verified; a file after it is a gap (a
/// failure: it is not read, so not vouched for). A record without its set-up and the ballot
/// list (voting not opened) is an error: there is nothing to verify yet. Also returns the files
/// published after a gap.
fn phase(report: &mut Report, dir: &Path) -> Result<(Phase, Vec<&'static str>)> {
    let present = |name: &str| dir.join(name).is_file();
    let Some(first_missing) = files::ALL.iter().position(|name| !present(name)) else {
        return Ok((Phase::Complete, Vec::new()));
    };
    let missing = files::ALL[first_missing];
    let later: Vec<&'static str> = files::ALL[first_missing..]
        .iter()
        .copied()
        .filter(|name| present(name))
        .collect();
    let tally = position(files::ENCRYPTED_TALLY);
    if first_missing < tally {
        let reason = if missing == files::CONTEXT && later.is_empty() {
            "voting has not opened yet (`fairtally authority open` publishes it with the set-up); \
             there is nothing to verify before that"
                .to_string()
        } else if later.is_empty() {
            "the election's set-up is not complete".to_string()
        } else {
            format!(
                "a file of the set-up is missing, but later ones ({}) are there",
                later.join(", ")
            )
        };
        return Err(ElectionError::io(
            dir.join(missing),
            std::io::Error::new(std::io::ErrorKind::NotFound, reason),
        ));
    }
    for name in &later {
        report.fail(
            Check::RecordFiles,
            *name,
            format!("published, but {missing} before it is not: the record has a gap"),
        );
    }
    report.missing = files::ALL[first_missing..]
        .iter()
        .copied()
        .filter(|name| !present(name))
        .collect();
    let (phase, pending) = if first_missing == tally {
        (
            Phase::Voting,
            vec![
                Check::EncryptedTally,
                Check::DecryptionShares,
                Check::Result,
            ],
        )
    } else if missing == files::DECRYPTION_SHARES {
        (Phase::Tallied, vec![Check::DecryptionShares, Check::Result])
    } else {
        (Phase::Tallied, vec![Check::Result])
    };
    report.phase = phase;
    report.pending = pending;
    Ok((phase, later))
}

/// The position of `name` in [`files::ALL`].
fn position(name: &str) -> usize {
    files::ALL
        .iter()
        .position(|n| *n == name)
        .unwrap_or(files::ALL.len())
}
