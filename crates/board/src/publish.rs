//! Writes the public form of a board: a directory of static files in the C2SP tlog-tiles
//! layout that any web server, USB stick or file share can carry. A plain copy of the directory
//! is a full mirror.
//!
//! ```text
//! public/checkpoint                  latest signed checkpoint, with cosignatures
//! public/checkpoints/<size>          every checkpoint the operator issued
//! public/policy                      operator and witness keys, quorum (pin them out of band!)
//! public/tile/<L>/<N>[.p/<W>]        hash tiles: W hashes of tree level 8L (tlog-tiles)
//! public/tile/entries/<N>[.p/<W>]    entry bundles: W entries, each u16 length + leaf data
//! ```
//!
//! Files are written with [`fairtally_files::write_atomic`] (temporary name, sync, rename,
//! directory sync), tiles before the checkpoint that
//! covers them, so a reader never sees a checkpoint whose tiles are missing. A tile's or
//! bundle's path names its width, and the entries below a checkpoint's size never change, so
//! the files can be written while the board takes appends: nothing here holds the database's
//! write lock.

use fairtally_files::{Access, write_atomic};

use std::path::Path;

use crate::board::{Board, PUBLIC_DIR};
use crate::error::BoardError;
use crate::hashstore::{meta_get, meta_set};
use crate::layout::{
    CHECKPOINT_FILE, CHECKPOINTS_DIR, MAX_NOTE_LEN, POLICY_FILE, write_if_changed,
};
use crate::tiles::{TILE_WIDTH, nodes_at_tile_level, tile_path};

/// The lock file in a board directory that publishers take turns on (see [`Board::publish`]).
pub const PUBLISH_LOCK: &str = "publish.lock";

/// What a publish run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishReport {
    /// Size of the published checkpoint (0 when the board has none yet).
    pub size: u64,
    /// Number of files written.
    pub files_written: usize,
}

impl Board {
    /// Brings the static mirror in `DIR/public` up to the latest checkpoint: new tiles and entry
    /// bundles first, then the checkpoint. Idempotent; only files past the last published size,
    /// and the policy and checkpoint when they changed, are written.
    ///
    /// Publishers of the same board directory (this process's and other processes') take
    /// turns on the lock file `DIR/publish.lock`, not on the database's write lock: writing and
    /// syncing the files takes long, and appends must not wait for it. Taking turns is what
    /// keeps the checkpoint file from going back (each publisher publishes the latest stored
    /// checkpoint, whose size only grows) and what makes any temporary file found in the
    /// mirror stale. The lock is the operating system's, so a killed publisher releases it.
    ///
    /// # Errors
    /// I/O or database errors; the previous public state stays valid then.
    pub fn publish(&mut self) -> Result<PublishReport, BoardError> {
        let lock_path = self.dir().join(PUBLISH_LOCK);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(BoardError::io(&lock_path))?;
        lock.lock().map_err(BoardError::io(&lock_path))?;
        // The turn ends when `lock` is closed, on return.
        self.publish_in_turn()
    }

    fn publish_in_turn(&self) -> Result<PublishReport, BoardError> {
        let public = self.dir().join(PUBLIC_DIR);
        // A publisher killed mid-write leaves its temporary file; no other publisher is writing
        // now (it is our turn), so any temporary file here is stale and not part of the mirror.
        remove_stale_temporaries(&public)?;
        // The small files that may change (the policy, cosignatures on the latest checkpoint)
        // are compared and rewritten only when they did: a publish with nothing new writes
        // and syncs nothing.
        let refresh =
            |path: &Path, text: String| write_if_changed(path, text.as_bytes(), MAX_NOTE_LEN);
        let mut written = usize::from(refresh(&public.join(POLICY_FILE), self.policy().to_text())?);
        let Some(latest) = self.latest_checkpoint()? else {
            return Ok(PublishReport {
                size: 0,
                files_written: written,
            });
        };
        let size = latest.checkpoint().size;
        let recorded: Option<u64> =
            meta_get(self.hashes().store(), "published_size")?.and_then(|s| s.parse().ok());
        let published: u64 = recorded
            .filter(|p| *p <= size)
            // A public directory deleted or replaced by hand is rewritten from the start.
            .filter(|_| public.join(CHECKPOINT_FILE).exists())
            .unwrap_or(0);
        for tile_level in 0..8u8 {
            let count = nodes_at_tile_level(size, tile_level);
            if count == 0 {
                break;
            }
            let first = nodes_at_tile_level(published, tile_level) / TILE_WIDTH;
            for index in first..=(count - 1) / TILE_WIDTH {
                let width = (count - index * TILE_WIDTH).min(TILE_WIDTH);
                let path = public.join(tile_path(Some(tile_level), index, width));
                if !path.exists() {
                    let row = self.hashes().tile_row(tile_level, index, width, size)?;
                    write_atomic(&path, &row, Access::Public)?;
                    written += 1;
                }
            }
        }
        if size > 0 {
            for index in published / TILE_WIDTH..=(size - 1) / TILE_WIDTH {
                let from = index * TILE_WIDTH;
                let width = (size - from).min(TILE_WIDTH);
                let path = public.join(tile_path(None, index, width));
                if !path.exists() {
                    let mut bundle = Vec::new();
                    for data in self.leaf_data(from, from + width)? {
                        // Entries are at most u16::MAX bytes (checked when they were made).
                        bundle.extend_from_slice(&(data.len() as u16).to_be_bytes());
                        bundle.extend_from_slice(&data);
                    }
                    write_atomic(&path, &bundle, Access::Public)?;
                    written += 1;
                }
            }
        }
        // Older checkpoints are already out; the last published one may have new cosignatures.
        for signed in self.checkpoints_from(published)? {
            let path = public
                .join(CHECKPOINTS_DIR)
                .join(signed.checkpoint().size.to_string());
            written += usize::from(refresh(&path, signed.to_text())?);
        }
        written += usize::from(refresh(&public.join(CHECKPOINT_FILE), latest.to_text())?);
        if recorded != Some(size) {
            meta_set(self.hashes().store(), "published_size", &size.to_string())?;
        }
        Ok(PublishReport {
            size,
            files_written: written,
        })
    }
}

/// Whether a file name is one of [`fairtally_files`]' temporary files (or of the older
/// `NAME.tmp~` scheme): a write that never finished.
pub(crate) fn is_temporary(name: &str) -> bool {
    (name.starts_with(".fairtally-") && name.ends_with(".tmp")) || name.ends_with(".tmp~")
}

fn remove_stale_temporaries(dir: &Path) -> Result<(), BoardError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(BoardError::io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(BoardError::io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(BoardError::io(&path))?;
        if kind.is_dir() {
            remove_stale_temporaries(&path)?;
        } else if kind.is_file() && entry.file_name().to_str().is_some_and(is_temporary) {
            std::fs::remove_file(&path).map_err(BoardError::io(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkpoint::TrustPolicy;
    use crate::entry::{Entry, EntryKind};
    use crate::note::{KeyRole, NoteSigner};

    fn ballot(body: &str) -> Result<Entry, BoardError> {
        Entry::new(EntryKind::new("election/ballot")?, body.as_bytes().to_vec())
    }

    /// A board in `dir` with one entry under a signed checkpoint, and its operator.
    fn signed_board(dir: &Path) -> Result<(Board, NoteSigner), BoardError> {
        let op = NoteSigner::generate("board.example/publish", KeyRole::Operator)?;
        let mut board = Board::create(dir, &TrustPolicy::operator_only(op.verifier()))?;
        board.append_batch(&[ballot("a")?])?;
        board.sign_checkpoint(&op)?;
        Ok((board, op))
    }

    #[test]
    fn appends_go_on_while_a_publisher_waits_for_its_turn() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let (mut board, op) = signed_board(dir.path())?;
        // Another publisher's turn, with a temporary file of its own under way.
        let lock_path = dir.path().join(PUBLISH_LOCK);
        let turn = std::fs::File::create(&lock_path).map_err(BoardError::io(&lock_path))?;
        turn.lock().map_err(BoardError::io(&lock_path))?;
        let public = dir.path().join(PUBLIC_DIR);
        std::fs::create_dir_all(public.join("tile/0")).map_err(BoardError::io(&public))?;
        let theirs = public.join("tile/0/.fairtally-theirs.tmp");
        std::fs::write(&theirs, b"half").map_err(BoardError::io(&theirs))?;

        let mut publisher = Board::open(dir.path())?;
        let waiting = std::thread::spawn(move || publisher.publish());
        std::thread::sleep(Duration::from_millis(200));
        assert!(!waiting.is_finished(), "published during another's turn");
        assert!(
            theirs.exists(),
            "removed a temporary file of a running publisher"
        );
        // The database is not locked meanwhile: the board takes appends and checkpoints.
        board.append_batch(&[ballot("b")?, ballot("c")?])?;
        let latest = board.sign_checkpoint(&op)?;
        drop(turn);

        let report = waiting
            .join()
            .map_err(|_| BoardError::malformed("publisher", "its thread panicked"))??;
        assert_eq!(report.size, 3);
        assert!(
            !theirs.exists(),
            "a stale temporary file stayed in the mirror"
        );
        let published =
            std::fs::read_to_string(public.join("checkpoint")).map_err(BoardError::io(&public))?;
        assert_eq!(published, latest.to_text());
        assert!(public.join(tile_path(None, 0, 3)).exists());
        Ok(())
    }

    /// A publish with nothing new writes no file (the policy and the checkpoint are left as
    /// they are, same inode); a changed policy, and only it, is written again.
    #[cfg(unix)]
    #[test]
    fn a_publish_with_nothing_new_writes_nothing() -> Result<(), BoardError> {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let (mut board, _) = signed_board(dir.path())?;
        let public = dir.path().join(PUBLIC_DIR);
        let inodes = || -> Result<Vec<u64>, BoardError> {
            [POLICY_FILE, CHECKPOINT_FILE]
                .iter()
                .map(|name| {
                    let path = public.join(name);
                    Ok(std::fs::metadata(&path)
                        .map_err(BoardError::io(&path))?
                        .ino())
                })
                .collect()
        };
        // Policy, level-0 tile, entry bundle, archived checkpoint, checkpoint.
        assert_eq!(board.publish()?.files_written, 5);
        let before = inodes()?;
        assert_eq!(
            board.publish()?,
            PublishReport {
                size: 1,
                files_written: 0
            }
        );
        assert_eq!(inodes()?, before);

        let witness = NoteSigner::generate("witness.example", KeyRole::Witness)?;
        let policy = TrustPolicy {
            witnesses: vec![witness.verifier()],
            quorum: 1,
            ..board.policy().clone()
        };
        board.set_policy(&policy)?;
        assert_eq!(board.publish()?.files_written, 1);
        let path = public.join(POLICY_FILE);
        let text = std::fs::read_to_string(&path).map_err(BoardError::io(&path))?;
        assert_eq!(text, policy.to_text());
        assert_eq!(inodes()?[1], before[1], "the checkpoint was rewritten");
        Ok(())
    }
}
