//! The crate's one error type: what made a record unusable, with the file, item and reason.

use std::path::PathBuf;

/// Why a record could not be read or verified at all. A record that was read but fails a
/// check is not an error: it is a [`crate::Report`] with failed steps.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record's directory, zip file or one of its files could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The zip archive is damaged or uses a feature that is not supported.
    #[error("cannot read the zip archive {path}: {source}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The zip reader's reason.
        source: zip::result::ZipError,
    },
    /// A file is not valid JSON.
    #[error("{file}: not valid JSON: {source}")]
    Json {
        /// The file inside the record.
        file: String,
        /// The parser's reason.
        source: serde_json::Error,
    },
    /// A value is missing or has the wrong form.
    #[error("{file}: {item}: {reason}")]
    Format {
        /// The file inside the record.
        file: String,
        /// The JSON path of the value, e.g. `contests[2].ballot_selections[0].proof.challenge`.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A required file is absent.
    #[error("the record has no {0}")]
    Missing(String),
    /// The record is larger than the limits this verifier accepts.
    #[error("{0}")]
    TooLarge(String),
    /// The record is an ElectionGuard record of a version this verifier does not verify.
    #[error("{0}")]
    Unsupported(String),
    /// The path holds nothing recognisable as an ElectionGuard record.
    #[error("{0}")]
    NotElectionGuard(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
