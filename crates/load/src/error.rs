//! The load generator's one error type.

use std::path::PathBuf;

/// Why a load run could not start or finish (a refused or failed submission is no error: it
/// is counted in the report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading the demo election or preparing its ballots failed.
    #[error("the demo election: {source}")]
    Election {
        /// The election library's reason.
        #[from]
        source: fairtally_election::ElectionError,
    },
    /// A file could not be read, written or synced.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file could not be written durably.
    #[error("{source}")]
    Write {
        /// The file and the reason.
        #[from]
        source: fairtally_files::WriteError,
    },
    /// An observer's key could not be read, or an item not signed.
    #[error("{source}")]
    Observe {
        /// The observation library's reason.
        #[from]
        source: fairtally_observe::ObserveError,
    },
    /// The served board could not be read or does not verify.
    #[error("the served board: {source}")]
    Net {
        /// The network library's reason.
        #[from]
        source: fairtally_net::NetError,
    },
    /// The served board's policy could not be read.
    #[error("the served board: {source}")]
    Board {
        /// The board library's reason.
        #[from]
        source: fairtally_board::BoardError,
    },
    /// The options make no sense (e.g. no ballots, or a percentage above 100).
    #[error("{0}")]
    Options(String),
    /// The HTTP client or the async runtime could not be set up.
    #[error("setting up the HTTP client: {reason}")]
    Client {
        /// What failed.
        reason: String,
    },
}

/// The load generator's result type.
pub type Result<T> = std::result::Result<T, LoadError>;
