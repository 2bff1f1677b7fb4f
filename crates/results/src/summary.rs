//! What an import read, kept and skipped, and why: nothing is dropped silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How many examples of each kind of problem the summary quotes.
pub const EXAMPLES_KEPT: usize = 5;

/// How many characters of a bad value the summary and errors quote.
pub const QUOTED_CHARS: usize = 80;

/// One problem cell (or row), located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Line of the CSV file (1 is the header).
    pub line: u64,
    /// Column header of the cell, or empty when the whole row is at fault.
    pub column: String,
    /// The offending value (its first [`QUOTED_CHARS`] characters when it is longer), or a
    /// description for whole-row problems.
    pub value: String,
    /// The length in bytes of the whole value, when [`Self::value`] holds only its start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_bytes: Option<u64>,
}

/// A cell's value as the importer keeps it: in full when short, else its first
/// [`QUOTED_CHARS`] characters and its length in bytes, so that a 10 MB cell costs the summary
/// and the errors a hundred bytes, not 10 MB.
pub(crate) fn cut_short(cell: &[u8]) -> (String, Option<u64>) {
    // Decode no more than the characters kept can take (4 bytes each at most).
    let head = &cell[..cell.len().min(QUOTED_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => (text[..end].to_owned(), Some(cell.len() as u64)),
        None if head.len() < cell.len() => (text.into_owned(), Some(cell.len() as u64)),
        None => (text.into_owned(), None),
    }
}

/// A column header as the summary and errors name it: whole when short, else its first
/// [`QUOTED_CHARS`] characters followed by `…`.
pub(crate) fn column_label(header: &str) -> String {
    match header.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &header[..end]),
        None => header.to_owned(),
    }
}

/// A value quoted for a message: `"value"`, or `"start"… (N bytes)` when it was cut short.
pub(crate) fn quote(value: &str, value_bytes: Option<u64>) -> String {
    match value_bytes {
        Some(n) => format!("{value:?}… ({n} bytes)"),
        None => format!("{value:?}"),
    }
}

/// What the importer did about a kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The row was left out.
    RowSkipped,
    /// The row was kept and the figure treated as missing.
    ValueDropped,
}

/// All occurrences of one kind of problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueCount {
    /// What was done.
    pub action: Action,
    /// How many times it happened.
    pub count: u64,
    /// The first [`EXAMPLES_KEPT`] occurrences.
    pub examples: Vec<Issue>,
}

/// The account of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// The file read (with the archive entry for `.zip` files).
    pub file: PathBuf,
    /// Data rows read (the header not included).
    pub rows_read: u64,
    /// Rows imported (possibly with some values dropped).
    pub rows_imported: u64,
    /// Rows skipped; [`Self::issues`] says why.
    pub rows_skipped: u64,
    /// Stations in the results.
    pub stations: u64,
    /// Reports imported per source kind (`official`, `observer`, `voters`).
    pub reports: BTreeMap<String, u64>,
    /// Rows in which a source had no figure at all, per source kind, so no report was made
    /// (e.g. stations whose official protocol was not obtained).
    pub rows_without_figures: BTreeMap<String, u64>,
    /// Problems by kind (e.g. `negative count`), each with its action, count and examples.
    pub issues: BTreeMap<String, IssueCount>,
    /// Header columns the mapping does not use.
    pub unused_columns: Vec<String>,
    /// What each joined file (`[[join]]`) brought.
    #[serde(default)]
    pub joined: Vec<JoinSummary>,
}

/// The account of one joined file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinSummary {
    /// The file.
    pub file: PathBuf,
    /// Data rows read.
    pub rows: u64,
    /// Stations of the results that got a row.
    pub stations: u64,
    /// Rows whose station is not in the results (skipped).
    pub unknown_stations: u64,
    /// Stations of the results without a row in the file.
    pub stations_without_row: u64,
    /// Stations given coordinates.
    pub with_coordinates: u64,
    /// Findings attached to stations.
    pub findings: u64,
}

impl ImportSummary {
    /// Records one problem.
    pub(crate) fn note(&mut self, kind: &str, action: Action, issue: Issue) {
        let entry = self
            .issues
            .entry(format!("{kind} ({})", action_name(action)))
            .or_insert_with(|| IssueCount {
                action,
                count: 0,
                examples: Vec::new(),
            });
        entry.count += 1;
        if entry.examples.len() < EXAMPLES_KEPT {
            entry.examples.push(issue);
        }
    }

    /// Values dropped (rows kept) over all kinds of problem.
    pub fn values_dropped(&self) -> u64 {
        self.issues
            .values()
            .filter(|i| i.action == Action::ValueDropped)
            .map(|i| i.count)
            .sum()
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::RowSkipped => "row skipped",
        Action::ValueDropped => "value dropped",
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.file.display())?;
        writeln!(
            f,
            "  rows read {}, imported {}, skipped {}; stations {}",
            self.rows_read, self.rows_imported, self.rows_skipped, self.stations
        )?;
        for (kind, n) in &self.reports {
            let empty = self.rows_without_figures.get(kind).copied().unwrap_or(0);
            writeln!(
                f,
                "  {kind} reports {n} (rows without {kind} figures: {empty})"
            )?;
        }
        for (kind, n) in &self.rows_without_figures {
            if !self.reports.contains_key(kind) {
                writeln!(f, "  {kind} reports 0 (rows without {kind} figures: {n})")?;
            }
        }
        for (kind, issue) in &self.issues {
            writeln!(f, "  {kind}: {}", issue.count)?;
            for e in &issue.examples {
                if e.column.is_empty() {
                    writeln!(f, "    line {}: {}", e.line, e.value)?;
                } else {
                    writeln!(
                        f,
                        "    line {}, column `{}`: {}",
                        e.line,
                        e.column,
                        quote(&e.value, e.value_bytes)
                    )?;
                }
            }
        }
        if !self.unused_columns.is_empty() {
            writeln!(f, "  columns not used: {}", self.unused_columns.join(", "))?;
        }
        for j in &self.joined {
            writeln!(
                f,
                "  joined {}: rows {}, stations matched {} (with coordinates {}, findings {}), \
                 rows for no station {}, stations without a row {}",
                j.file.display(),
                j.rows,
                j.stations,
                j.with_coordinates,
                j.findings,
                j.unknown_stations,
                j.stations_without_row
            )?;
        }
        Ok(())
    }
}
