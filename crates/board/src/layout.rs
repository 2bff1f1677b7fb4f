//! The files of a board's public directory: their names, their size limits, and reading them
//! with those limits.
//!
//! Whoever hands out a mirror controls every byte of it, so nothing in it is read whole before
//! its size is known to be within the limit of its kind; an error names the file.
//!
//! ```text
//! checkpoint                         at most MAX_NOTE_LEN bytes
//! checkpoints/<size>                 at most MAX_NOTE_LEN bytes each
//! policy                             at most MAX_NOTE_LEN bytes
//! tile/<L>/<N>[.p/<W>]               exactly 32 × W bytes (W = 256 for a full tile)
//! tile/entries/<N>[.p/<W>]           at most W × (2 + 65,535) bytes
//! ```

use std::io::Read as _;
use std::path::Path;

use fairtally_files::{Access, write_atomic};

use crate::entry::MAX_ENTRY_LEN;
use crate::error::BoardError;
use crate::merkle::HASH_LEN;
use crate::tiles::{TILE_WIDTH, tile_path};

/// The latest signed checkpoint.
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// The directory of every checkpoint the operator issued, one file per tree size.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

/// The trust policy the operator publishes (pin your own copy).
pub const POLICY_FILE: &str = "policy";

/// Largest checkpoint, archived checkpoint, policy or other signed note read, in bytes.
pub const MAX_NOTE_LEN: u64 = 1 << 20;

/// Largest hash tile, in bytes (256 hashes).
pub const MAX_TILE_LEN: u64 = TILE_WIDTH * HASH_LEN as u64;

/// Largest entry bundle, in bytes: 256 entries of the largest size with their length prefixes.
pub const MAX_ENTRY_BUNDLE_LEN: u64 = TILE_WIDTH * (2 + MAX_ENTRY_LEN as u64);

/// A file of the public layout, as named by its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PublicFile {
    /// `checkpoint`.
    Checkpoint,
    /// `policy`.
    Policy,
    /// `checkpoints/<size>`.
    Archived(u64),
    /// A hash tile (`level` `Some`) or an entry bundle (`None`) of `width` entries.
    Tile {
        level: Option<u8>,
        index: u64,
        width: u64,
    },
}

impl PublicFile {
    /// Names a file by its path relative to the public directory (components joined with
    /// `/`); `None` for anything that is not spelled exactly as the layout spells it.
    pub(crate) fn classify(relative: &str) -> Option<Self> {
        match relative {
            CHECKPOINT_FILE => return Some(Self::Checkpoint),
            POLICY_FILE => return Some(Self::Policy),
            _ => {}
        }
        if let Some(size) = relative.strip_prefix("checkpoints/") {
            return canonical_decimal(size).map(Self::Archived);
        }
        let rest = relative.strip_prefix("tile/")?;
        let (level, rest) = rest.split_once('/')?;
        let level = match level {
            "entries" => None,
            digits => Some(u8::try_from(canonical_decimal(digits)?).ok()?),
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index, width)) => (index, canonical_decimal(width)?),
            None => (rest, TILE_WIDTH),
        };
        if width == 0 || width > TILE_WIDTH {
            return None;
        }
        let mut digits = String::new();
        for group in index_part.split('/') {
            digits.push_str(group.strip_prefix('x').unwrap_or(group));
        }
        let index = digits.parse::<u64>().ok()?;
        // The layout's own spelling is the only one accepted (`x001/000`, never `1000`).
        (tile_path(level, index, width) == relative).then_some(Self::Tile {
            level,
            index,
            width,
        })
    }
}

/// A decimal number without sign or leading zeros.
fn canonical_decimal(text: &str) -> Option<u64> {
    let n = text.parse::<u64>().ok()?;
    (n.to_string() == text).then_some(n)
}

/// Reads a whole file of at most `max` bytes, refusing a larger one before reading it (and
/// one that grows past the limit while it is read).
///
/// # Errors
/// [`BoardError::FileTooLarge`] naming the file and the limit; I/O errors naming the file.
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, BoardError> {
    let file = std::fs::File::open(path).map_err(BoardError::io(path))?;
    let len = file.metadata().map_err(BoardError::io(path))?.len();
    let too_large = |size| BoardError::FileTooLarge {
        path: path.to_owned(),
        size,
        max,
    };
    if len > max {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(BoardError::io(path))?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` durably ([`write_atomic`], public) unless `path` already holds
/// exactly them (a file of at most `max` bytes): a refresh then rewrites and syncs only the
/// files that changed. Whether it wrote.
///
/// # Errors
/// The write's I/O errors, naming the file.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8], max: u64) -> Result<bool, BoardError> {
    let holds = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && read_capped(path, max).is_ok_and(|held| held == bytes);
    if !holds {
        write_atomic(path, bytes, Access::Public)?;
    }
    Ok(!holds)
}

/// Reads a signed note, policy or other small text file (at most [`MAX_NOTE_LEN`] bytes of
/// UTF-8).
///
/// # Errors
/// As [`read_capped`]; [`BoardError::Malformed`] when the file is not UTF-8.
pub fn read_note(path: &Path) -> Result<String, BoardError> {
    String::from_utf8(read_capped(path, MAX_NOTE_LEN)?)
        .map_err(|_| BoardError::malformed(path.display().to_string(), "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_layouts_own_spelling_is_a_layout_file() {
        let tile = |level, index, width| {
            Some(PublicFile::Tile {
                level,
                index,
                width,
            })
        };
        assert_eq!(PublicFile::classify("tile/0/000"), tile(Some(0), 0, 256));
        assert_eq!(
            PublicFile::classify("tile/2/x001/234.p/17"),
            tile(Some(2), 1234, 17)
        );
        assert_eq!(
            PublicFile::classify("tile/entries/005.p/1"),
            tile(None, 5, 1)
        );
        assert_eq!(
            PublicFile::classify("checkpoints/12"),
            Some(PublicFile::Archived(12))
        );
        for odd in [
            "tile/0/0",
            "tile/0/1000",
            "tile/00/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/017",
            "tile/0/x000/001",
            "checkpoints/012",
            "checkpoints/+1",
            "checkpoint~",
            "tile/0/.fairtally-abc.tmp",
            "tile/entries/000.p/3/extra",
        ] {
            assert_eq!(PublicFile::classify(odd), None, "{odd}");
        }
    }

    #[test]
    fn oversize_files_are_refused_by_name() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let path = dir.path().join("checkpoint");
        std::fs::write(&path, vec![b'a'; 2_000]).map_err(BoardError::io(&path))?;
        assert_eq!(read_capped(&path, 2_000)?.len(), 2_000);
        let err = read_capped(&path, 1_999);
        assert!(
            matches!(
                &err,
                Err(BoardError::FileTooLarge {
                    size: 2_000,
                    max: 1_999,
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(err.is_err_and(|e| e.to_string().contains("checkpoint")));
        std::fs::write(&path, [0xff, 0xfe]).map_err(BoardError::io(&path))?;
        assert!(read_note(&path).is_err_and(|e| e.to_string().contains("not UTF-8")));
        Ok(())
    }
}
