//! The one error type of this crate: every variant names the file and, where there is one, the
//! line, column or mapping item, so a user can find and fix the problem.

use std::path::PathBuf;

/// Everything that can go wrong while reading a mapping or importing results.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultsError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A `.zip` archive is damaged or uses a feature this build cannot read.
    #[error("{path}: not a readable zip archive: {source}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// What the zip reader said.
        source: zip::result::ZipError,
    },
    /// A `.zip` archive does not hold exactly one CSV file and the mapping names none
    /// (`format.zip_entry`), or the entry it names is missing.
    #[error("{path}: {reason}")]
    ZipEntry {
        /// The archive.
        path: PathBuf,
        /// Which entries were found and what was expected.
        reason: String,
    },
    /// The mapping file is not valid TOML or does not have the expected shape.
    #[error("{path}: mapping is not valid: {source}")]
    MappingSyntax {
        /// The mapping file (or `<string>` when parsed from memory).
        path: PathBuf,
        /// What the TOML parser said, with line and column.
        source: Box<toml::de::Error>,
    },
    /// The mapping parses but says something impossible (an unknown option, no sources, ...).
    #[error("{path}: mapping item `{item}`: {reason}")]
    MappingInvalid {
        /// The mapping file.
        path: PathBuf,
        /// The item of the mapping at fault, e.g. `source[0].votes.putin`.
        item: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The CSV header lacks a column that the mapping uses.
    #[error("{path}: no column `{column}` in the header (the mapping uses it for `{item}`)")]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The column name the mapping asked for.
        column: String,
        /// The mapping item that uses it.
        item: String,
    },
    /// The CSV itself is malformed (unbalanced quotes, wrong number of fields, bad encoding).
    #[error("{path}: line {line}: {reason}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The line of the CSV file (1 is the header).
        line: u64,
        /// What the CSV reader said.
        reason: String,
    },
    /// The input exceeds one of the importer's bounds ([`crate::ImportLimits`]): a record
    /// too long to be a row, or an archive that decompresses to too much.
    #[error("{path}: line {line}: {reason}")]
    TooLarge {
        /// The CSV file (with the archive entry for `.zip` files).
        path: PathBuf,
        /// The line at which the record that could not be read starts.
        line: u64,
        /// Which bound, and its value.
        reason: String,
    },
    /// A cell holds a value that cannot be used, and the mapping says to stop on bad values
    /// (`format.on_bad_value = "fail"`).
    #[error("{path}: line {line}, column `{column}`: {reason}")]
    BadValue {
        /// The CSV file.
        path: PathBuf,
        /// The line of the CSV file (1 is the header).
        line: u64,
        /// The column of the cell.
        column: String,
        /// What is wrong with the value, quoting it.
        reason: String,
    },
    /// A results file parses but its protocols do not match its option list.
    #[error("{path}: station `{station}`: {reason}")]
    InconsistentResults {
        /// The results file.
        path: PathBuf,
        /// The station at fault.
        station: String,
        /// What does not match.
        reason: String,
    },
    /// A results file written by [`crate::ElectionResults::write_json`] could not be read back.
    #[error("{path}: not a fairtally results file: {source}")]
    ResultsFile {
        /// The file.
        path: PathBuf,
        /// What the JSON reader said, with line and column.
        source: serde_json::Error,
    },
}
