//! Reading input files with a size bound, and the CSV reader every table of the crate uses.

use std::io::Read;
use std::path::Path;

use crate::error::AuditError;

/// Largest input file read, in bytes (a manifest of a million batches fits many times over).
pub const MAX_INPUT_LEN: u64 = 256 * 1024 * 1024;

/// Reads `path` as UTF-8 text of at most [`MAX_INPUT_LEN`] bytes.
pub fn read_text(path: &Path) -> Result<String, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_LEN {
        return Err(AuditError::invalid(
            path.display().to_string(),
            format!("larger than {MAX_INPUT_LEN} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| AuditError::invalid(path.display().to_string(), format!("not UTF-8: {e}")))
}

/// A CSV table: its header and its records with their line numbers.
pub struct Table {
    /// The column names, trimmed.
    pub header: Vec<String>,
    /// Each record's 1-based line number and its trimmed fields.
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// Parses CSV `text` named `file` (for messages); every record must have the header's width.
    pub fn parse(text: &str, file: &str) -> Result<Self, AuditError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let csv_error = |source| AuditError::Csv {
            file: file.to_owned(),
            source,
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        let mut rows = Vec::new();
        if header.len() == 1 {
            // The CSV reader skips empty lines, but in a one-column table (a polling sample's
            // `vote`) an empty line is a record: a ballot with no vote.
            for (index, line) in text.lines().enumerate().skip(1) {
                let mut field = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(line.as_bytes());
                let value = match field.records().next() {
                    Some(record) => {
                        let record = record.map_err(csv_error)?;
                        record.get(0).unwrap_or("").trim().to_owned()
                    }
                    None => String::new(),
                };
                rows.push((index as u64 + 1, vec![value]));
            }
            return Ok(Self { header, rows });
        }
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record.iter().map(|f| f.trim().to_owned()).collect()));
        }
        Ok(Self { header, rows })
    }

    /// The index of the column named `name` (case-insensitive).
    pub fn column(&self, name: &str, file: &str) -> Result<usize, AuditError> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                AuditError::line(
                    file,
                    1,
                    format!(
                        "no column `{name}` (the columns are: {})",
                        self.header.join(", ")
                    ),
                )
            })
    }
}

/// Parses a count field.
pub fn parse_count(field: &str, file: &str, line: u64, what: &str) -> Result<u64, AuditError> {
    field.parse::<u64>().map_err(|_| {
        AuditError::line(
            file,
            line,
            format!("{what} {field:?} is not a whole number"),
        )
    })
}
