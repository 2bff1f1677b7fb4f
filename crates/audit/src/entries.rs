//! The audit on the bulletin board: its commitment, seed, manifest, draws, observations and
//! result as typed entries, so that the audit is tamper-evident and anyone can recompute it.
//!
//! Kinds are `audit/commitment/v1`, `audit/seed/v1`, `audit/manifest/v1`, `audit/draws/v1`,
//! `audit/observations/v1` and `audit/result/v1`. Bodies are UTF-8: a first line of compact
//! JSON (`{"audit":…,"part":i,"parts":n}` plus the entry's own fields), then for tables the CSV
//! lines. A table too large for one entry is split on line boundaries into parts, each
//! starting with the CSV header again.

use fairtally_board::entry::{Entry, EntryKind, MAX_ENTRY_LEN, MAX_KIND_LEN};
use serde_json::json;

use crate::error::AuditError;
use crate::rounds::AuditRecord;

/// Kind of the commitment entry.
pub const COMMITMENT: &str = "audit/commitment/v1";
/// Kind of the revealed-seed entry.
pub const SEED: &str = "audit/seed/v1";
/// Kind of the ballot manifest entries.
pub const MANIFEST: &str = "audit/manifest/v1";
/// Kind of the draws (retrieval list) entries.
pub const DRAWS: &str = "audit/draws/v1";
/// Kind of the observations (sampled ballots or protocols) entries.
pub const OBSERVATIONS: &str = "audit/observations/v1";
/// Kind of the result entry.
pub const RESULT: &str = "audit/result/v1";

fn entry(kind: &str, body: String) -> Result<Entry, AuditError> {
    Ok(Entry::new(EntryKind::new(kind)?, body.into_bytes())?)
}

/// The commitment, posted before the public value is drawn.
pub fn commitment(audit: &str, commitment: &str) -> Result<Entry, AuditError> {
    entry(
        COMMITMENT,
        json!({"audit": audit, "commitment": commitment}).to_string(),
    )
}

/// The revealed secret's opening: public value, secret (hex) and the seed they give.
pub fn seed(audit: &str, public: &str, secret_hex: &str, seed: &str) -> Result<Entry, AuditError> {
    entry(
        SEED,
        json!({"audit": audit, "public": public, "secret": secret_hex, "seed": seed}).to_string(),
    )
}

/// The audit's result record.
pub fn result(audit: &str, record: &AuditRecord) -> Result<Entry, AuditError> {
    let record = serde_json::to_value(record)
        .map_err(|e| AuditError::invalid("audit record", e.to_string()))?;
    entry(
        RESULT,
        json!({"audit": audit, "record": record}).to_string(),
    )
}

/// A CSV table (manifest, draws, observations) as one or more entries of `kind`.
pub fn table(kind: &str, audit: &str, csv: &str) -> Result<Vec<Entry>, AuditError> {
    let mut lines = csv.lines();
    let header = lines.next().unwrap_or("");
    // Room for the JSON line (audit name up to 4 KiB, part numbers) and the kind prefix.
    let budget = MAX_ENTRY_LEN - MAX_KIND_LEN - 1 - 4096 - 64 - audit.len() * 2 - header.len();
    let mut parts: Vec<String> = vec![String::new()];
    for line in lines {
        if line.len() + 1 > budget {
            return Err(AuditError::invalid(
                kind,
                "a line is too long for a board entry",
            ));
        }
        let last = parts.len() - 1;
        if parts[last].len() + line.len() + 1 > budget {
            parts.push(String::new());
        }
        let last = parts.len() - 1;
        parts[last].push_str(line);
        parts[last].push('\n');
    }
    let count = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, rows)| {
            let head = json!({"audit": audit, "part": i + 1, "parts": count});
            entry(kind, format!("{head}\n{header}\n{rows}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_tables_are_split_on_lines() {
        let mut csv = String::from("batch,position,ticket_number,times_drawn\n");
        for i in 0..10_000 {
            csv.push_str(&format!("pct {i},{i},0.123456789012345678,1\n"));
        }
        let entries = table(DRAWS, "a", &csv).unwrap();
        assert!(entries.len() > 1);
        let mut rows = 0;
        for e in &entries {
            assert_eq!(e.kind().as_str(), DRAWS);
            let text = std::str::from_utf8(e.body()).unwrap();
            let mut lines = text.lines();
            assert!(
                lines
                    .next()
                    .unwrap()
                    .contains(&format!("\"parts\":{}", entries.len()))
            );
            assert_eq!(
                lines.next().unwrap(),
                "batch,position,ticket_number,times_drawn"
            );
            rows += lines.count();
        }
        assert_eq!(rows, 10_000);
    }
}
