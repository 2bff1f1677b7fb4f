//! Reading what the audit board recorded: polling samples (one marked ballot per row),
//! comparison samples (CVR against MVR per row) and a retrieval list's draws per batch.

use std::collections::BTreeMap;
use std::path::Path;

use crate::contest::{ComparedBallot, Contest, Marks};
use crate::error::AuditError;
use crate::input::{Table, parse_count, read_text};

/// Reads a polling sample CSV with a column `vote`: per sampled ballot, the option's name
/// (several separated by `;` in a vote-for-n contest), or empty for no vote.
pub fn read_polling(path: &Path, contest: &Contest) -> Result<Vec<Marks>, AuditError> {
    parse_polling(&read_text(path)?, &path.display().to_string(), contest)
}

/// Parses polling sample CSV `text` named `file`.
pub fn parse_polling(text: &str, file: &str, contest: &Contest) -> Result<Vec<Marks>, AuditError> {
    let table = Table::parse(text, file)?;
    let vote = table.column("vote", file)?;
    table
        .rows
        .iter()
        .map(|(line, fields)| {
            contest
                .parse_marks(&fields[vote])
                .map_err(|reason| AuditError::line(file, *line, reason))
        })
        .collect()
}

/// Reads a comparison sample CSV with columns `cvr` (the cast vote record) and `mvr` (what
/// the audit board read on the paper), marks written as in [`read_polling`].
pub fn read_comparison(path: &Path, contest: &Contest) -> Result<Vec<ComparedBallot>, AuditError> {
    let file = path.display().to_string();
    let table = Table::parse(&read_text(path)?, &file)?;
    let (cvr, mvr) = (table.column("cvr", &file)?, table.column("mvr", &file)?);
    table
        .rows
        .iter()
        .map(|(line, fields)| {
            let marks = |i: usize| {
                contest
                    .parse_marks(&fields[i])
                    .map_err(|reason| AuditError::line(&file, *line, reason))
            };
            Ok((marks(cvr)?, marks(mvr)?))
        })
        .collect()
}

/// Reads a retrieval list (`fairtally audit draw --out`) and returns how many times each
/// batch was drawn, in name order.
pub fn read_batch_draws(path: &Path) -> Result<Vec<(String, u32)>, AuditError> {
    let file = path.display().to_string();
    let table = Table::parse(&read_text(path)?, &file)?;
    let (batch, times) = (
        table.column("batch", &file)?,
        table.column("times_drawn", &file)?,
    );
    let mut draws: BTreeMap<String, u32> = BTreeMap::new();
    for (line, fields) in &table.rows {
        let n = parse_count(&fields[times], &file, *line, "times_drawn")?;
        let n = u32::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
            AuditError::line(
                &file,
                *line,
                format!("times_drawn {n} is not between 1 and {}", u32::MAX),
            )
        })?;
        *draws.entry(fields[batch].clone()).or_default() += n;
    }
    Ok(draws.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contest::{Rule, parse_tally};

    #[test]
    fn unknown_option_names_file_and_line() {
        let c = Contest::new(
            "mayor",
            parse_tally("Alice=60,Bob=40").unwrap(),
            None,
            Rule::Plurality { winners: 1 },
        )
        .unwrap();
        let ok = parse_polling("vote\nAlice\n\nBob\n", "s.csv", &c).unwrap();
        assert_eq!(ok, vec![vec![0], vec![], vec![1]]);
        let e = parse_polling("vote\nAlice\nCarol\n", "s.csv", &c)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.csv, line 3: unknown option \"Carol\""),
            "{e}"
        );
        let e = parse_polling("ballot\nAlice\n", "s.csv", &c)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column `vote`"), "{e}");
    }
}
