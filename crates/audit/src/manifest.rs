//! The ballot manifest: the batches of paper ballots (boxes, polling stations) and how many
//! ballots each holds, in the order the sampler numbers them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::AuditError;
use crate::input::{Table, parse_count, read_text};

/// Largest number of ballots in one batch.
pub const MAX_BATCH_BALLOTS: u64 = 1_000_000_000;

/// Largest number of ballots in a manifest.
pub const MAX_MANIFEST_BALLOTS: u64 = 1 << 40;

/// One batch of the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The batch's name as written on the box or the station's number.
    pub name: String,
    /// How many ballots it holds; they are numbered 1 to `ballots`.
    pub ballots: u64,
}

/// A ballot manifest: every batch once, each with at least one ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotManifest {
    batches: Vec<Batch>,
}

impl BallotManifest {
    /// Checks and wraps `batches`: names are non-empty, distinct and free of control
    /// characters; every batch holds 1 to [`MAX_BATCH_BALLOTS`] ballots.
    pub fn new(batches: Vec<Batch>) -> Result<Self, AuditError> {
        let mut seen = std::collections::HashSet::new();
        let mut total = 0u64;
        for batch in &batches {
            check_name(&batch.name).map_err(|r| AuditError::invalid("ballot manifest", r))?;
            if !seen.insert(batch.name.as_str()) {
                return Err(AuditError::invalid(
                    "ballot manifest",
                    format!("batch {:?} is listed twice", batch.name),
                ));
            }
            if batch.ballots == 0 || batch.ballots > MAX_BATCH_BALLOTS {
                return Err(AuditError::invalid(
                    "ballot manifest",
                    format!(
                        "batch {:?} holds {} ballots (1 to {MAX_BATCH_BALLOTS} allowed)",
                        batch.name, batch.ballots
                    ),
                ));
            }
            total += batch.ballots;
        }
        if batches.is_empty() || total > MAX_MANIFEST_BALLOTS {
            return Err(AuditError::invalid(
                "ballot manifest",
                format!("must hold 1 to {MAX_MANIFEST_BALLOTS} ballots, holds {total}"),
            ));
        }
        Ok(Self { batches })
    }

    /// Reads a manifest CSV with columns `batch` and `ballots` (one row per batch).
    pub fn from_file(path: &Path) -> Result<Self, AuditError> {
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    /// Parses manifest CSV `text`; `file` names it in errors, which give the line.
    pub fn parse(text: &str, file: &str) -> Result<Self, AuditError> {
        let table = Table::parse(text, file)?;
        let name_col = table.column("batch", file)?;
        let count_col = table.column("ballots", file)?;
        let mut batches = Vec::with_capacity(table.rows.len());
        let mut seen = std::collections::HashMap::new();
        for (line, fields) in &table.rows {
            let name = fields[name_col].clone();
            check_name(&name).map_err(|r| AuditError::line(file, *line, r))?;
            if let Some(first) = seen.insert(name.clone(), *line) {
                return Err(AuditError::line(
                    file,
                    *line,
                    format!("batch {name:?} is already listed on line {first}"),
                ));
            }
            let ballots = parse_count(&fields[count_col], file, *line, "ballot count")?;
            if ballots == 0 || ballots > MAX_BATCH_BALLOTS {
                return Err(AuditError::line(
                    file,
                    *line,
                    format!(
                        "batch {name:?} holds {ballots} ballots (1 to {MAX_BATCH_BALLOTS} allowed)"
                    ),
                ));
            }
            batches.push(Batch { name, ballots });
        }
        Self::new(batches).map_err(|e| match e {
            AuditError::Invalid { reason, .. } => AuditError::invalid(file, reason),
            other => other,
        })
    }

    /// The batches in manifest order.
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }

    /// The number of ballots in all batches.
    pub fn total(&self) -> u64 {
        self.batches.iter().map(|b| b.ballots).sum()
    }

    /// Checks that the manifest accounts for exactly `expected` ballots (the number of ballots
    /// cast that the official results state); `file` names the manifest in the error.
    pub fn check_total(&self, expected: u64, file: &str) -> Result<(), AuditError> {
        let total = self.total();
        if total == expected {
            return Ok(());
        }
        Err(AuditError::invalid(
            file,
            format!(
                "the batches' counts add up to {total} ballots, but {expected} ballots were cast \
                 ({} ballots {})",
                total.abs_diff(expected),
                if total > expected {
                    "too many"
                } else {
                    "missing"
                }
            ),
        ))
    }

    /// The canonical CSV of the manifest (what is posted to the board and hashed).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("batch,ballots\n");
        for batch in &self.batches {
            out.push_str(&csv_field(&batch.name));
            out.push(',');
            out.push_str(&batch.ballots.to_string());
            out.push('\n');
        }
        out
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a batch has an empty name".into());
    }
    if name.len() > 256 {
        return Err(format!("batch name {name:?} is longer than 256 bytes"));
    }
    // Control characters would be escaped differently by every tool that prints the name; the
    // ticket numbers hash the name as text, so they are refused.
    if let Some(c) = name.chars().find(|&c| escaped_by_python(c)) {
        return Err(format!(
            "batch name {name:?} holds the unprintable character {c:?}"
        ));
    }
    Ok(())
}

/// Characters Python's `str()` of a string would escape (control and format characters,
/// separators other than the space, private-use code points), which ballot ids must not hold.
fn escaped_by_python(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c,
            '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            | '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..)
}

/// Quotes a CSV field when it needs it.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.trim() != text {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_checks_counts() {
        let m = BallotManifest::parse("batch,ballots\nA,10\n\"B, 2\",5\n", "m.csv").unwrap();
        assert_eq!(m.total(), 15);
        assert_eq!(m.batches()[1].name, "B, 2");
        assert_eq!(BallotManifest::parse(&m.to_csv(), "again").unwrap(), m);
        let e = m.check_total(16, "m.csv").unwrap_err().to_string();
        assert!(
            e.contains("m.csv") && e.contains("1 ballots missing"),
            "{e}"
        );
    }

    #[test]
    fn bad_lines_are_named() {
        for (text, want) in [
            (
                "batch,ballots\nA,10\nA,3\n",
                "line 3: batch \"A\" is already listed on line 2",
            ),
            (
                "batch,ballots\nA,ten\n",
                "line 2: ballot count \"ten\" is not a whole number",
            ),
            (
                "batch,ballots\nA,0\n",
                "line 2: batch \"A\" holds 0 ballots",
            ),
            ("batch,ballots\n,4\n", "line 2: a batch has an empty name"),
            ("box,count\nA,1\n", "line 1: no column `batch`"),
            ("batch,ballots\n", "must hold 1 to"),
        ] {
            let e = BallotManifest::parse(text, "m.csv")
                .unwrap_err()
                .to_string();
            assert!(e.contains(want) && e.starts_with("m.csv"), "{text:?}: {e}");
        }
    }
}
