//! The one error type of the forensics crate.

use std::path::PathBuf;

/// Everything that can go wrong while analysing station-level results or writing the outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForensicsError {
    /// A station's figures contradict each other in a way no analysis can use.
    #[error("station {station} ({region}): {reason}")]
    InconsistentStation {
        /// The station's position in the input (0-based) or its identifier.
        station: String,
        /// The station's region.
        region: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// The election holds no station at all.
    #[error("the election holds no station")]
    NoStations,
    /// A parameter of the analysis is out of its range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name as the user gave it.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The requested region does not occur in the data.
    #[error("region {0:?} does not occur in the results")]
    UnknownRegion(String),
    /// An input file could not be read (to record its SHA-256).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A figure could not be drawn.
    #[error("cannot draw figure {path}: {reason}")]
    Figure {
        /// The file of the figure.
        path: PathBuf,
        /// What the plotting library reported.
        reason: String,
    },
    /// The summary could not be serialised.
    #[error("cannot serialise the summary: {0}")]
    Json(#[from] serde_json::Error),
}
