//! The one error type of the election crate.

use std::path::PathBuf;

use fairtally_crypto::CryptoError;

/// Everything that can go wrong in the election protocol, its files and its record.
///
/// Each variant names what a user needs to act: the file, the item (line, guardian, contest,
/// ballot) and the reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file (or one line of a JSON Lines file) is not valid JSON of the expected shape.
    #[error("{path}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line, for JSON Lines files (1-based).
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// The manifest is inconsistent (empty contest, duplicate id, impossible limits, ...).
    #[error("manifest: {0}")]
    Manifest(String),
    /// The election parameters are impossible (threshold above the number of guardians, ...).
    #[error("parameters: {0}")]
    Parameters(String),
    /// A voter's choices do not fit the manifest.
    #[error("choices: {0}")]
    Choices(String),
    /// A step of the key ceremony received something it cannot use.
    #[error("key ceremony, guardian {guardian}: {reason}")]
    Ceremony {
        /// The guardian (sequence number 1..=n) whose data is at fault.
        guardian: u32,
        /// What is wrong.
        reason: String,
    },
    /// A credential (voter key) is malformed, or a ballot's credential is not usable.
    #[error("credential: {0}")]
    Credential(String),
    /// A ballot is malformed or invalid.
    #[error("ballot {code}: {reason}")]
    Ballot {
        /// The ballot's confirmation code (or its line when the code cannot be computed).
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// The tally cannot be computed or decrypted.
    #[error("tally: {0}")]
    Tally(String),
    /// The election record is inconsistent in a way that stops verification.
    #[error("record: {0}")]
    Record(String),
    /// The bulletin board holding the record refused an operation or failed a check.
    #[error("bulletin board: {0}")]
    Board(#[from] fairtally_board::BoardError),
    /// The ballot box's index (beside the authority's board) could not be read or written.
    #[error("ballot box index {}: {source}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// The database's reason.
        source: rusqlite::Error,
    },
    /// A cryptographic operation failed on the given item.
    #[error("{item}: {source}")]
    Crypto {
        /// The item being processed.
        item: String,
        /// The cryptographic reason.
        source: CryptoError,
    },
}

impl ElectionError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A parse error in `path`, at `line` of a JSON Lines file if given. A JSON parser's
    /// position within that one line ("at line 1 column 397") is said as "at column 397", so
    /// the message names one line, the file's.
    pub fn parse(path: impl Into<PathBuf>, line: Option<u64>, reason: impl ToString) -> Self {
        let mut reason = reason.to_string();
        if line.is_some()
            && let Some(at) = reason.rfind(" at line 1 column ")
        {
            reason.replace_range(at..at + " at line 1".len(), "");
            reason.insert_str(at, " at");
        }
        Self::Parse {
            path: path.into(),
            line,
            reason,
        }
    }

    /// A cryptographic error while processing `item`.
    pub fn crypto(item: impl Into<String>, source: CryptoError) -> Self {
        Self::Crypto {
            item: item.into(),
            source,
        }
    }
}

/// Result alias of the election crate.
pub type Result<T, E = ElectionError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::ElectionError;

    #[test]
    fn a_json_lines_error_names_the_file_line_once() {
        let error = serde_json::from_str::<serde_json::Value>("{\"a\": x}").unwrap_err();
        let text = ElectionError::parse("ballots.jsonl", Some(3), error).to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(!text.contains("line 1"), "{text}");
        assert!(text.contains("at column 7"), "{text}");
        let error = serde_json::from_str::<serde_json::Value>("{\n\"a\": x}").unwrap_err();
        let text = ElectionError::parse("manifest.json", None, error).to_string();
        assert!(text.contains("at line 2 column"), "{text}");
    }
}
