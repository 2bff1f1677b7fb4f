//! The board's one error type. Every variant says which file or item is at fault and why, so
//! that a user can act on it.

use std::path::PathBuf;

/// Everything that can go wrong on the board.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoardError {
    /// A file is larger than the limit for its kind (see [`crate::layout`]); it was not read.
    #[error("{}: {size} bytes, the limit for this file is {max}", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or the size read so far).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A file of a public board does not match the signed checkpoint it is published under
    /// (a tile, an entry bundle, an archived checkpoint), or is missing from it.
    #[error("{}: {reason}", file.display())]
    Inconsistent {
        /// The file at fault.
        file: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file could not be written durably.
    #[error(transparent)]
    Write(#[from] fairtally_files::WriteError),
    /// The SQLite store failed (locked beyond the timeout, disk full, corrupt file).
    #[error("{}: database error: {source}", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The PostgreSQL database failed: unreachable or restarting (see
    /// [`BoardError::is_unavailable`]), a lock held beyond the timeout, a refused statement.
    #[error("{database}: database error: {source}")]
    Postgres {
        /// The database (its URL without the password).
        database: String,
        /// The PostgreSQL client's error.
        source: postgres::Error,
    },
    /// Input is not in the expected format (a key, a note, a bundle, an entry).
    #[error("{item}: {reason}")]
    Malformed {
        /// The file and item at fault (`bundle.json: entries[3]`, `checkpoint line 2`).
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry is larger than [`crate::entry::MAX_ENTRY_LEN`] bytes.
    #[error("{item}: entry is {len} bytes, the limit is {max}")]
    EntryTooLarge {
        /// Which entry.
        item: String,
        /// Its encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A node the computation needs is not in the store (the tree is smaller than asked).
    #[error("node at level {level}, index {index} is not in the store")]
    MissingNode {
        /// Level of the node.
        level: u8,
        /// Index of the node at its level.
        index: u64,
    },
    /// An entry index or tree size beyond the log.
    #[error("{what} {value} is beyond the log, which has {size} entries")]
    OutOfRange {
        /// What was asked for (`entry`, `tree size`).
        what: &'static str,
        /// The value asked for.
        value: u64,
        /// The log's current size.
        size: u64,
    },
    /// A Merkle proof failed to verify.
    #[error("proof rejected: {0}")]
    Proof(#[from] ProofError),
    /// A signature is missing, made by an unknown key, or does not verify.
    #[error("{item}: {reason}")]
    Signature {
        /// The note or checkpoint at fault.
        item: String,
        /// What is wrong.
        reason: String,
    },
    /// Fewer trusted witnesses cosigned a checkpoint than the policy demands.
    #[error("checkpoint of size {size} has {got} valid witness cosignatures, {need} required")]
    NotEnoughWitnesses {
        /// Size of the checkpoint.
        size: u64,
        /// Valid cosignatures from known witnesses.
        got: usize,
        /// The policy's threshold.
        need: usize,
    },
    /// Two signed checkpoints of the same log are not consistent: proof that the operator forked
    /// the log (or that one of the keys leaked).
    #[error("the log is forked: {first} and {second} cannot both be true ({reason})")]
    Fork {
        /// The first checkpoint (origin, size, root).
        first: String,
        /// The second checkpoint (origin, size, root).
        second: String,
        /// How the inconsistency was found.
        reason: String,
    },
    /// A bundle does not continue the local log: it starts beyond the local size.
    #[error(
        "{file}: bundle starts at entry {from} but this log has only {size} entries; import the earlier bundle first"
    )]
    Gap {
        /// The bundle file.
        file: PathBuf,
        /// The first entry index in the bundle.
        from: u64,
        /// The local log's size.
        size: u64,
    },
    /// A group commit that an entry was part of failed (see [`crate::group::GroupCommit`]).
    #[error("the batch this entry was committed with failed: {reason}")]
    Batch {
        /// Why the batch failed.
        reason: String,
    },
    /// The store belongs to another log (different origin or key).
    #[error("{item}: belongs to log {found:?}, expected {expected:?}")]
    WrongLog {
        /// The store or bundle.
        item: String,
        /// The origin it names.
        found: String,
        /// The origin expected.
        expected: String,
    },
}

impl BoardError {
    /// Whether the database is unavailable for now (a PostgreSQL server restarting or
    /// unreachable, a connection lost, a lock held by another writer beyond the timeout), so
    /// that the same call may succeed when retried later. A retried append is stored once.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Postgres { source, .. } => {
                source.is_closed()
                    || source.as_db_error().is_none()
                    || source.code().is_some_and(|code| {
                        let code = code.code();
                        // Connection exceptions, operator intervention (shutdown, recovery),
                        // lock timeouts.
                        code.starts_with("08") || code.starts_with("57") || code == "55P03"
                    })
            }
            Self::Database { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// Shorthand for [`BoardError::Malformed`].
    pub(crate) fn malformed(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Malformed {
            item: item.into(),
            reason: reason.into(),
        }
    }
}

/// Why a proof failed to verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// Claimed leaf index.
        index: u64,
        /// Claimed tree size.
        size: u64,
    },
    /// The two tree sizes cannot be compared (the second is smaller, or the first is empty).
    #[error("cannot prove consistency from size {size1} to size {size2}: {reason}")]
    BadSizes {
        /// Older size.
        size1: u64,
        /// Newer size.
        size2: u64,
        /// What is wrong with them.
        reason: &'static str,
    },
    /// The proof has the wrong number of hashes for the sizes.
    #[error("proof has {got} hashes, which does not fit the tree sizes")]
    WrongLength {
        /// Number of hashes received.
        got: usize,
    },
    /// A hash has the wrong length.
    #[error("{what} is {got} bytes long, expected 32")]
    BadHashLength {
        /// Which hash (`leaf hash`, `proof[3]`, `root1`).
        what: String,
        /// Its length.
        got: usize,
    },
    /// The recomputed root differs from the expected root.
    #[error("the proof leads to root {computed}, expected {expected}")]
    RootMismatch {
        /// Root recomputed from the proof (hex).
        computed: String,
        /// Root the proof was checked against (hex).
        expected: String,
    },
}
