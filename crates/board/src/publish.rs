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
//! covers them, so a reader never sees a checkpoint whose tiles are missing.

use fairtally_files::{Access, write_atomic};

use std::path::Path;

use crate::board::{Board, PUBLIC_DIR};
use crate::error::BoardError;
use crate::hashstore::{meta_get, meta_set};
use crate::tiles::{TILE_WIDTH, nodes_at_tile_level, tile_path};

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
    /// bundles first, then the checkpoint. Idempotent; only files past the last published size
    /// are written.
    ///
    /// # Errors
    /// I/O or database errors; the previous public state stays valid then.
    pub fn publish(&mut self) -> Result<PublishReport, BoardError> {
        // Hold the database's write lock so that concurrent publishers (other processes
        // appending to the same board) take turns and the checkpoint file never goes back.
        let lock = self.hashes().store().write()?;
        let report = self.publish_locked()?;
        lock.commit()?;
        Ok(report)
    }

    fn publish_locked(&self) -> Result<PublishReport, BoardError> {
        let public = self.dir().join(PUBLIC_DIR);
        // A publisher killed mid-write leaves its temporary file; no other publisher is writing
        // now (we hold the lock), so any temporary file here is stale and not part of the mirror.
        remove_stale_temporaries(&public)?;
        let mut written = 0;
        write_atomic(
            &public.join("policy"),
            self.policy().to_text().as_bytes(),
            Access::Public,
        )?;
        let Some(latest) = self.latest_checkpoint()? else {
            return Ok(PublishReport {
                size: 0,
                files_written: 1,
            });
        };
        let size = latest.checkpoint().size;
        let published: u64 = meta_get(self.hashes().store(), "published_size")?
            .and_then(|s| s.parse().ok())
            .filter(|p| *p <= size)
            // A public directory deleted or replaced by hand is rewritten from the start.
            .filter(|_| public.join("checkpoint").exists())
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
                .join("checkpoints")
                .join(signed.checkpoint().size.to_string());
            let text = signed.to_text();
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                write_atomic(&path, text.as_bytes(), Access::Public)?;
                written += 1;
            }
        }
        write_atomic(
            &public.join("checkpoint"),
            latest.to_text().as_bytes(),
            Access::Public,
        )?;
        meta_set(self.hashes().store(), "published_size", &size.to_string())?;
        Ok(PublishReport {
            size,
            files_written: written + 2,
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
