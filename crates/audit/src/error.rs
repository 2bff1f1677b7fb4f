//! The one error type of the audit crate.

use std::path::PathBuf;

/// Everything that can go wrong in an audit: unusable input (with the file, line or item and the
/// reason) or a contest for which a method is undefined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A line of an input file is unusable.
    #[error("{file}, line {line}: {reason}")]
    Line {
        /// The file (or `-` for text given directly).
        file: String,
        /// The 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A whole input (a file, a flag's value) is unusable.
    #[error("{item}: {reason}")]
    Invalid {
        /// The file, flag or object.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The method cannot be applied to this contest (a tie, no losers, an impossible margin).
    #[error("contest {contest}: {reason}")]
    Contest {
        /// The contest's name.
        contest: String,
        /// Why the method does not apply.
        reason: String,
    },
    /// A CSV file could not be parsed.
    #[error("{file}: {source}")]
    Csv {
        /// The file.
        file: String,
        /// The CSV reader's error (it names the line).
        source: csv::Error,
    },
    /// A board entry could not be built.
    #[error("bulletin board: {source}")]
    Board {
        /// The board's error.
        #[from]
        source: fairtally_board::error::BoardError,
    },
    /// A figure could not be drawn.
    #[error("figure: {reason}")]
    Figure {
        /// What plotters said.
        reason: String,
    },
}

impl AuditError {
    /// An unusable line of `file`.
    pub fn line(file: &str, line: u64, reason: impl Into<String>) -> Self {
        Self::Line {
            file: file.to_owned(),
            line,
            reason: reason.into(),
        }
    }

    /// An unusable item.
    pub fn invalid(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            item: item.into(),
            reason: reason.into(),
        }
    }

    /// A contest the method does not apply to.
    pub fn contest(contest: &str, reason: impl Into<String>) -> Self {
        Self::Contest {
            contest: contest.to_owned(),
            reason: reason.into(),
        }
    }
}
