//! The one error type of this crate: each variant names the file or item and the reason.

use std::path::PathBuf;

/// Everything that can go wrong while observing: keys, signatures, stored submissions,
/// comparison output, PVT parameters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObserveError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file could not be written durably.
    #[error(transparent)]
    Write {
        /// The file and what the operating system said.
        #[from]
        source: fairtally_files::WriteError,
    },
    /// The bulletin board refused an operation.
    #[error("bulletin board: {0}")]
    Board(#[from] fairtally_board::BoardError),
    /// Importing results failed.
    #[error(transparent)]
    Results(#[from] fairtally_results::ResultsError),
    /// A key file or a key in a document is not a valid Ed25519 key.
    #[error("{item}: not a valid key: {reason}")]
    BadKey {
        /// The key file or the document field holding the key.
        item: String,
        /// Why it was refused.
        reason: String,
    },
    /// A directory given as a store is not one (it is missing or has no `items/`).
    #[error("{path}: not a store of observation items (no items/ directory)")]
    NotAStore {
        /// The directory.
        path: PathBuf,
    },
    /// A stored item (accreditation or protocol) cannot be parsed, is not in canonical form,
    /// or is not stored under its own hash.
    #[error("{path}: {reason}")]
    BadItem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored item was left out (not posted, not merged) for the reason in `source`.
    #[error("{path}: {source}")]
    Refused {
        /// The item's file.
        path: PathBuf,
        /// Why it was refused.
        source: Box<ObserveError>,
    },
    /// A signature does not verify, or an accreditation does not cover the submission.
    #[error("{item}: {reason}")]
    NotAuthentic {
        /// The item: submission hash or accreditation.
        item: String,
        /// Which check failed.
        reason: String,
    },
    /// A submission does not fit the election it is merged into (unknown station, different
    /// option list, different election).
    #[error("submission {item}: {reason}")]
    DoesNotFit {
        /// The submission hash.
        item: String,
        /// What does not match.
        reason: String,
    },
    /// A parameter is out of range (sample size, confidence level, margin of error, ...).
    #[error("{parameter}: {reason}")]
    BadParameter {
        /// The parameter.
        parameter: String,
        /// The allowed range or what is wrong.
        reason: String,
    },
    /// A chart could not be drawn (for instance no font was found for its labels).
    #[error("chart `{chart}`: {reason}")]
    Chart {
        /// Which chart.
        chart: String,
        /// What the plotting library said.
        reason: String,
    },
}
