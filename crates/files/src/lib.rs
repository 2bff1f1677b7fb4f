//! The one way fairtally writes a file durably.
//!
//! Every file that a crash must not leave half-written (records, board tiles and checkpoints,
//! secrets, reports) goes through [`write_atomic`] or [`write_new`]: the bytes are written to a
//! temporary file in the same directory, synced, renamed over (or, for [`write_new`], linked to)
//! the final name, and the directory is synced so that the rename itself survives a power cut.
//! Readers see the old file or the whole new one, never a mixture.
//!
//! Secrets are created owner-only ([`Access::OwnerOnly`], mode 0600 on Unix) from the first byte:
//! the temporary file already has those permissions, so no other user can open it in between.
//!
//! ```
//! use fairtally_files::{write_atomic, write_new, Access};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("result.json");
//! write_atomic(&path, b"{}\n", Access::Public).unwrap();
//! assert!(write_new(&path, b"again", Access::OwnerOnly).is_err());
//! ```

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Who may read a file that fairtally writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Public material (records, public keys, reports): readable by everyone the umask allows.
    Public,
    /// Secrets (guardian keys and shares, voter credentials, a ballot's nonces, signing keys):
    /// readable and writable by their owner only (mode 0600 on Unix).
    OwnerOnly,
}

/// A file could not be written; names the file and the operating system's reason.
#[derive(Debug, thiserror::Error)]
#[error("writing {}: {source}", path.display())]
pub struct WriteError {
    /// The file (or directory) that could not be written.
    pub path: PathBuf,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

impl WriteError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
        move |source| WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `bytes` to `path`, replacing any file there, so that readers see the old file or the
/// whole new one and the new one survives a crash once this returns. Creates missing parent
/// directories.
pub fn write_atomic(path: &Path, bytes: &[u8], access: Access) -> Result<(), WriteError> {
    let (file, parent) = synced_temporary(path, bytes, access)?;
    file.persist(path)
        .map_err(|e| WriteError::at(path)(e.error))?;
    sync_dir(&parent)
}

/// Writes `bytes` to a new file at `path` as [`write_atomic`] does, but refuses (with
/// [`io::ErrorKind::AlreadyExists`]) when `path` exists: keys and credentials are never
/// overwritten.
pub fn write_new(path: &Path, bytes: &[u8], access: Access) -> Result<(), WriteError> {
    let (file, parent) = synced_temporary(path, bytes, access)?;
    file.persist_noclobber(path)
        .map_err(|e| WriteError::at(path)(e.error))?;
    sync_dir(&parent)
}

/// Syncs a directory, so that files created or renamed in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(WriteError::at(dir))
}

/// The directory `path` lives in (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes and syncs `bytes` to a temporary file beside `path`, created with `access` from the
/// start; returns it with the directory to sync after the rename.
fn synced_temporary(
    path: &Path,
    bytes: &[u8],
    access: Access,
) -> Result<(tempfile::NamedTempFile, PathBuf), WriteError> {
    let (mut file, parent) = temporary(path, access)?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(WriteError::at(file.path()))?;
    Ok((file, parent))
}

/// An empty temporary file beside `path` (so that the rename stays on one file system), created
/// with `access` from the start, and the directory it lives in.
fn temporary(
    path: &Path,
    access: Access,
) -> Result<(tempfile::NamedTempFile, PathBuf), WriteError> {
    let parent = parent_of(path);
    std::fs::create_dir_all(&parent).map_err(WriteError::at(&parent))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".fairtally-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::Public => 0o644,
            Access::OwnerOnly => 0o600,
        };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = access;
    let file = builder
        .tempfile_in(&parent)
        .map_err(WriteError::at(&parent))?;
    Ok((file, parent))
}

/// A file written in pieces (a list of a million lines, streamed) that replaces `path` only when
/// [`AtomicFile::commit`] returns, as [`write_atomic`] does for bytes held in memory. Until then
/// readers see the old file; if the writer is dropped (an error, a crash) the temporary file is
/// removed and the old file stays as it was.
pub struct AtomicFile {
    file: tempfile::NamedTempFile,
    path: PathBuf,
    parent: PathBuf,
}

impl AtomicFile {
    /// Starts replacing `path`, with `access` from the first byte. Creates missing parents.
    pub fn create(path: &Path, access: Access) -> Result<Self, WriteError> {
        let (file, parent) = temporary(path, access)?;
        Ok(AtomicFile {
            file,
            path: path.to_path_buf(),
            parent,
        })
    }

    /// Syncs what was written and renames it over `path`, then syncs the directory.
    pub fn commit(self) -> Result<(), WriteError> {
        self.file
            .as_file()
            .sync_all()
            .map_err(WriteError::at(&self.path))?;
        self.file
            .persist(&self.path)
            .map_err(|e| WriteError::at(&self.path)(e.error))?;
        sync_dir(&self.parent)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"first", Access::Public).unwrap();
        write_atomic(&path, b"second", Access::Public).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }

    #[test]
    fn write_new_refuses_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_new(&path, b"secret", Access::OwnerOnly).unwrap();
        let err = write_new(&path, b"other", Access::OwnerOnly).unwrap_err();
        assert_eq!(err.source.kind(), io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("key"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
    }

    #[test]
    fn creates_missing_parents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/y/z.txt");
        write_atomic(&path, b"z", Access::Public).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"z");
    }

    #[cfg(unix)]
    #[test]
    fn secrets_are_owner_only_and_public_files_are_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        let public = dir.path().join("public");
        write_atomic(&secret, b"s", Access::OwnerOnly).unwrap();
        write_atomic(&public, b"p", Access::Public).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secret), 0o600);
        assert_ne!(
            mode(&public) & 0o044,
            0,
            "public file not readable by others"
        );
    }

    #[test]
    fn unwritable_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"not a directory").unwrap();
        let err = write_atomic(&blocker.join("x"), b"x", Access::Public).unwrap_err();
        assert!(err.to_string().contains("file"), "{err}");
    }

    #[test]
    fn a_streamed_file_appears_whole_at_commit_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.jsonl");
        write_atomic(&path, b"old\n", Access::Public).unwrap();
        let mut file = AtomicFile::create(&path, Access::Public).unwrap();
        file.write_all(b"new 1\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
        file.write_all(b"new 2\n").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new 1\nnew 2\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }

    #[test]
    fn a_dropped_streamed_file_leaves_the_old_one_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.jsonl");
        write_atomic(&path, b"old\n", Access::Public).unwrap();
        let mut file = AtomicFile::create(&path, Access::OwnerOnly).unwrap();
        file.write_all(b"half a li").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }
}
