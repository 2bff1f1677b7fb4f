//! `fairtally board mirror URL DIR`: a plain copy of a board served over HTTP, checked as a
//! local copy is checked before it replaces anything in `DIR`.
//!
//! 1. The served `checkpoint` is fetched and verified under the reader's pinned policy. If
//!    `DIR` already holds a mirror, its checkpoint (verified too) is the previous one: a
//!    smaller served checkpoint is refused as a rollback.
//! 2. A staging directory beside `DIR` gets every file `DIR` already holds (hard links, so
//!    nothing is copied), then every file of the layout the new checkpoint needs that `DIR`
//!    lacks: new full tiles, the new partial tiles and bundles, `checkpoints/<size>`, and the
//!    `policy`. Full tiles never change, so a re-mirror fetches only what is new. Every
//!    answer is read within the size limit of its kind ([`fairtally_board::layout`]).
//! 3. The staging directory is audited with [`fairtally_board::mirror::Mirror::audit`], the
//!    very audit `fairtally board verify` runs on a local copy; the previous checkpoint must be
//!    consistent with the new one (an RFC 9162 proof from the verified tiles), and no file may
//!    be unexpected.
//! 4. Only then are the new files moved into `DIR`, the `checkpoint` last, so that `DIR` is at
//!    every moment a consistent mirror as of its `checkpoint` file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fairtally_board::BoardError;
use fairtally_board::audit::AuditReport;
use fairtally_board::checkpoint::{Checkpoint, SignedCheckpoint, TrustPolicy};
use fairtally_board::layout::{
    CHECKPOINT_FILE, CHECKPOINTS_DIR, MAX_ENTRY_BUNDLE_LEN, MAX_NOTE_LEN, MAX_TILE_LEN, POLICY_FILE,
};
use fairtally_board::mirror::Mirror;
use fairtally_board::proof::verify_consistency;
use fairtally_board::tiles::{TILE_HEIGHT, TILE_WIDTH, tile_path};
use fairtally_files::{Access, sync_dir, write_atomic};

use crate::error::NetError;
use crate::remote::RemoteBoard;

/// What a mirror run did.
#[derive(Debug)]
pub struct MirrorReport {
    /// The checkpoint the mirror now holds (verified under the policy).
    pub checkpoint: SignedCheckpoint,
    /// The size of the mirror's previous checkpoint, when there was one.
    pub previous: Option<u64>,
    /// Files fetched (the checkpoint included).
    pub files_fetched: u64,
    /// Bytes fetched.
    pub bytes_fetched: u64,
    /// The audit of the whole mirror as it now is.
    pub audit: AuditReport,
}

/// Brings the mirror in `dir` up to the board served by `remote` (see the module
/// documentation). `dir` is created if missing; an existing `dir` must hold a mirror.
///
/// # Errors
/// [`NetError::Refused`] naming the file (by its URL) and the reason when anything served fails
/// a check, or naming both checkpoints for a rollback or a fork; transport errors; local I/O
/// errors. `dir` is unchanged on any error.
pub async fn mirror(
    remote: &RemoteBoard,
    dir: &Path,
    policy: &TrustPolicy,
) -> Result<MirrorReport, NetError> {
    let previous = previous_checkpoint(dir, policy)?;
    let signed = remote.checkpoint(policy).await?;
    let new = signed.checkpoint().clone();
    if let Some(old) = &previous {
        let reason = if new.size < old.size {
            Some("is older than the one this mirror holds: the board went back")
        } else if new.size == old.size && new.root != old.root {
            Some("has the size of the one this mirror holds but another root: the log is forked")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(NetError::Refused {
                item: remote.url(CHECKPOINT_FILE),
                reason: format!("the served {new} {reason} ({old})"),
            });
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(NetError::io(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".fairtally-mirror-")
        .tempdir_in(&parent)
        .map_err(NetError::io(&parent))?;
    let stage = staging.path();
    if dir.is_dir() {
        link_tree(dir, stage, Path::new(""))?;
    }

    let mut fetch = Fetched::default();
    for (relative, max) in layout_files(new.size) {
        if !stage.join(&relative).exists() {
            let bytes = remote.fetch_required(&relative, max).await?;
            fetch.store(stage, relative, &bytes)?;
        }
    }
    if let Some(bytes) = remote.fetch(POLICY_FILE, MAX_NOTE_LEN).await? {
        fetch.store(stage, POLICY_FILE.into(), &bytes)?;
    }
    let checkpoint_text = signed.to_text();
    write_atomic(
        &stage.join(CHECKPOINT_FILE),
        checkpoint_text.as_bytes(),
        Access::Public,
    )?;
    fetch.bytes += checkpoint_text.len() as u64;

    let audit = check_staged(stage, policy, previous.as_ref(), &new)
        .map_err(|e| name_by_origin(e, stage, remote, dir, &fetch.files))?;
    if !audit.unexpected.is_empty() {
        let files: Vec<String> = audit
            .unexpected
            .iter()
            .map(|u| format!("{}: {}", dir.join(&u.path).display(), u.reason))
            .collect();
        return Err(NetError::Refused {
            item: dir.display().to_string(),
            reason: format!("files that are not part of the board: {}", files.join("; ")),
        });
    }

    install(stage, dir, &fetch.files)?;
    Ok(MirrorReport {
        checkpoint: signed,
        previous: previous.map(|c| c.size),
        files_fetched: fetch.files.len() as u64 + 1,
        bytes_fetched: fetch.bytes,
        audit,
    })
}

/// The checkpoint of the mirror already in `dir`, verified under `policy`; `None` for a
/// missing or empty directory.
fn previous_checkpoint(dir: &Path, policy: &TrustPolicy) -> Result<Option<Checkpoint>, NetError> {
    if dir.join(CHECKPOINT_FILE).is_file() {
        let local = Mirror::open(dir, policy)?;
        return Ok(Some(local.checkpoint().checkpoint().clone()));
    }
    let empty = match std::fs::read_dir(dir) {
        Ok(mut items) => items.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(NetError::io(dir)(e)),
    };
    if empty {
        Ok(None)
    } else {
        Err(NetError::Refused {
            item: dir.display().to_string(),
            reason: format!(
                "not a mirror (it has files but no {CHECKPOINT_FILE}); give an empty or new directory"
            ),
        })
    }
}

/// The files of the layout a checkpoint of `size` entries needs, with their size limits:
/// every hash tile at every level, every entry bundle, and the archived checkpoint.
fn layout_files(size: u64) -> Vec<(String, u64)> {
    let mut files = Vec::new();
    let mut level_files = |level: Option<u8>, count: u64, max: u64| {
        for index in 0..count.div_ceil(TILE_WIDTH) {
            let width = (count - index * TILE_WIDTH).min(TILE_WIDTH);
            files.push((tile_path(level, index, width), max));
        }
    };
    level_files(None, size, MAX_ENTRY_BUNDLE_LEN);
    for level in 0..=u8::MAX {
        let count = size
            .checked_shr(u32::from(level) * u32::from(TILE_HEIGHT))
            .unwrap_or(0);
        if count == 0 {
            break;
        }
        level_files(Some(level), count, MAX_TILE_LEN);
    }
    files.push((format!("{CHECKPOINTS_DIR}/{size}"), MAX_NOTE_LEN));
    files
}

/// The files fetched into the staging directory.
#[derive(Default)]
struct Fetched {
    files: BTreeSet<String>,
    bytes: u64,
}

impl Fetched {
    fn store(&mut self, stage: &Path, relative: String, bytes: &[u8]) -> Result<(), NetError> {
        write_atomic(&stage.join(&relative), bytes, Access::Public)?;
        self.bytes += bytes.len() as u64;
        self.files.insert(relative);
        Ok(())
    }
}

/// Hard-links every file of `from` (but its top-level `checkpoint`) into `to`.
fn link_tree(from: &Path, to: &Path, relative: &Path) -> Result<(), NetError> {
    let source_dir = from.join(relative);
    std::fs::create_dir_all(to.join(relative)).map_err(NetError::io(to.join(relative)))?;
    for item in std::fs::read_dir(&source_dir).map_err(NetError::io(&source_dir))? {
        let item = item.map_err(NetError::io(&source_dir))?;
        let rel = relative.join(item.file_name());
        let kind = item.file_type().map_err(NetError::io(from.join(&rel)))?;
        if kind.is_dir() {
            link_tree(from, to, &rel)?;
        } else if rel != Path::new(CHECKPOINT_FILE) {
            // Links and odd files are linked as they are: the audit reports them.
            std::fs::hard_link(from.join(&rel), to.join(&rel))
                .map_err(NetError::io(from.join(&rel)))?;
        }
    }
    Ok(())
}

/// The audit of the staged mirror, and its consistency with the previous checkpoint.
fn check_staged(
    stage: &Path,
    policy: &TrustPolicy,
    previous: Option<&Checkpoint>,
    new: &Checkpoint,
) -> Result<AuditReport, BoardError> {
    let mut staged = Mirror::open(stage, policy)?;
    if let Some(old) = previous.filter(|old| old.size > 0) {
        let proof = staged.consistency_proof(old.size)?;
        verify_consistency(old.size, new.size, &proof, &old.root, &new.root).map_err(|e| {
            BoardError::Fork {
                first: old.to_string(),
                second: new.to_string(),
                reason: format!("the served board does not extend this mirror's: {e}"),
            }
        })?;
    }
    staged.audit(|_| {})
}

/// Names the files in an error by where they came from: the URL of a fetched file, the path
/// in `dir` of one the mirror already held (the audit saw them under the staging directory).
fn name_by_origin(
    error: BoardError,
    stage: &Path,
    remote: &RemoteBoard,
    dir: &Path,
    fetched: &BTreeSet<String>,
) -> NetError {
    let origin = |path: &Path| -> String {
        let Ok(relative) = path.strip_prefix(stage) else {
            return path.display().to_string();
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative == CHECKPOINT_FILE || relative == "tile" || fetched.contains(&relative) {
            remote.url(&relative)
        } else {
            dir.join(&relative).display().to_string()
        }
    };
    match error {
        BoardError::Inconsistent { file, reason } => NetError::Refused {
            item: origin(&file),
            reason,
        },
        BoardError::FileTooLarge { path, size, max } => NetError::Refused {
            item: origin(&path),
            reason: format!("{size} bytes, the limit for this file is {max}"),
        },
        other => {
            // Other errors name files inside their text (entries, archived checkpoints).
            let text = other.to_string();
            let stage_text = format!("{}/", stage.display());
            NetError::Refused {
                item: remote.url(""),
                reason: text.replace(&stage_text, &remote.url("")),
            }
        }
    }
}

/// Moves the fetched files from the staging directory into `dir`, each directory synced, and
/// the `checkpoint` last.
fn install(stage: &Path, dir: &Path, fetched: &BTreeSet<String>) -> Result<(), NetError> {
    let mut touched = BTreeSet::new();
    for relative in fetched {
        let target = dir.join(relative);
        let parent = target.parent().unwrap_or(dir).to_owned();
        std::fs::create_dir_all(&parent).map_err(NetError::io(&parent))?;
        std::fs::rename(stage.join(relative), &target).map_err(NetError::io(&target))?;
        // The new file's directory, and every directory above it that may be new.
        touched.extend(
            parent
                .ancestors()
                .take_while(|a| a.starts_with(dir))
                .map(Path::to_owned),
        );
    }
    for parent in touched.iter().rev() {
        sync_dir(parent)?;
    }
    let target = dir.join(CHECKPOINT_FILE);
    std::fs::create_dir_all(dir).map_err(NetError::io(dir))?;
    std::fs::rename(stage.join(CHECKPOINT_FILE), &target).map_err(NetError::io(&target))?;
    sync_dir(dir)?;
    Ok(())
}
