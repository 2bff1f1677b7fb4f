//! Batch-level comparison audits with polling stations as batches: each sampled station's
//! official protocol is set against a hand count (or an observers' protocol) of its ballots.
//!
//! This is Stark's MACRO ("maximum across contests of relative overstatement", 2008/2009)
//! with a Kaplan–Markov bound, written with SHANGRLA's assorters. For each assorter `a` of
//! each contest, `A_p` is its total over batch `p` (linear in the protocol's counts) and
//! `M_a = Σ_p A_p − N/2 > 0` its reported margin in ballots. Batch `p`'s error bound and taint
//! numerator are
//!
//! ```text
//! u_p = max_a A_p(reported)/M_a          (the true total is at least 0)
//! e_p = max_a (A_p(reported) − A_p(audited))/M_a
//! ```
//!
//! If any reported outcome is wrong then `Σ_p e_p ≥ 1`. Batches are drawn with replacement
//! with probability `π_p = N_p/N` (the consistent sampler over the ballot manifest picks a
//! ballot, hence its batch). With `B = max_p u_p/π_p` and `t_j = e_{p_j}/(π_{p_j} B) ≤ 1`,
//!
//! ```text
//! P = Π_j (1 − 1/B)/(1 − t_j)
//! ```
//!
//! is a p-value for the hypothesis that some outcome is wrong (`E[t] ≥ 1/B` under it; Markov's
//! inequality for the product, as in Stark 2009's PPEBWR bound).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::assorter::Assorter;
use crate::contest::{Choice, Contest, Rule};
use crate::error::AuditError;
use crate::input::{Table, parse_count};

/// One station's (batch's) counts: ballots and, per contest, votes per option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    /// The batch's name (as in the ballot manifest).
    pub name: String,
    /// Ballots in the batch.
    pub ballots: u64,
    /// `votes[c][i]`: votes for option `i` of contest `c`.
    pub votes: Vec<Vec<u64>>,
}

/// The columns of a protocol table: contest names and each contest's options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Contest names with their option names, in column order.
    pub contests: Vec<(String, Vec<String>)>,
}

/// Parses a protocol CSV: `batch`, `ballots`, then one column per option. A column named
/// `CONTEST: OPTION` belongs to that contest; plain option names form one contest named
/// `contest`. Returns the layout and the batches in file order.
pub fn parse_protocols(text: &str, file: &str) -> Result<(Layout, Vec<BatchCounts>), AuditError> {
    let table = Table::parse(text, file)?;
    let name_col = table.column("batch", file)?;
    let ballots_col = table.column("ballots", file)?;
    let mut contests: Vec<(String, Vec<String>)> = Vec::new();
    let mut columns = Vec::new();
    for (i, header) in table.header.iter().enumerate() {
        if i == name_col || i == ballots_col || header.eq_ignore_ascii_case("times_drawn") {
            continue;
        }
        let (contest, option) = match header.split_once(':') {
            Some((c, o)) => (c.trim().to_owned(), o.trim().to_owned()),
            None => ("contest".to_owned(), header.clone()),
        };
        if option.is_empty() {
            return Err(AuditError::line(
                file,
                1,
                format!("column {header:?} names no option"),
            ));
        }
        let c = match contests.iter().position(|(name, _)| *name == contest) {
            Some(c) => c,
            None => {
                contests.push((contest, Vec::new()));
                contests.len() - 1
            }
        };
        if contests[c].1.contains(&option) {
            return Err(AuditError::line(
                file,
                1,
                format!("column {header:?} is repeated"),
            ));
        }
        contests[c].1.push(option);
        columns.push((i, c));
    }
    if contests.is_empty() {
        return Err(AuditError::line(
            file,
            1,
            "no option columns besides batch and ballots",
        ));
    }
    let mut seen = HashMap::new();
    let mut batches = Vec::with_capacity(table.rows.len());
    for (line, fields) in &table.rows {
        let name = fields[name_col].clone();
        if let Some(first) = seen.insert(name.clone(), *line) {
            return Err(AuditError::line(
                file,
                *line,
                format!("batch {name:?} is already listed on line {first}"),
            ));
        }
        let ballots = parse_count(&fields[ballots_col], file, *line, "ballot count")?;
        let mut votes: Vec<Vec<u64>> = contests
            .iter()
            .map(|(_, o)| Vec::with_capacity(o.len()))
            .collect();
        for &(i, c) in &columns {
            votes[c].push(parse_count(
                &fields[i],
                file,
                *line,
                &format!("{:?}", table.header[i]),
            )?);
        }
        for (c, v) in votes.iter().enumerate() {
            let sum: u64 = v.iter().sum();
            if sum > ballots {
                return Err(AuditError::line(
                    file,
                    *line,
                    format!(
                        "batch {name:?} has {sum} votes in {:?} but only {ballots} ballots",
                        contests[c].0
                    ),
                ));
            }
        }
        batches.push(BatchCounts {
            name,
            ballots,
            votes,
        });
    }
    Ok((Layout { contests }, batches))
}

/// A batch-level comparison audit: the reported protocols and the contests they add up to.
#[derive(Clone, Debug)]
pub struct BatchAudit {
    /// The contests, their totals summed from the reported protocols.
    pub contests: Vec<Contest>,
    /// The reported protocols, in manifest order.
    pub reported: Vec<BatchCounts>,
    index: HashMap<String, usize>,
    assorters: Vec<(usize, Assorter, f64)>,
    total_ballots: u64,
}

impl BatchAudit {
    /// Builds the audit: each contest's result is the sum of the reported protocols, decided
    /// by `rule`. Errors name a contest that is tied, has no loser or no positive margin.
    pub fn new(
        layout: &Layout,
        reported: Vec<BatchCounts>,
        rule: Rule,
    ) -> Result<Self, AuditError> {
        let total_ballots: u64 = reported.iter().map(|b| b.ballots).sum();
        let mut contests = Vec::new();
        for (c, (name, options)) in layout.contests.iter().enumerate() {
            let choices = options
                .iter()
                .enumerate()
                .map(|(i, option)| Choice {
                    name: option.clone(),
                    votes: reported.iter().map(|b| b.votes[c][i]).sum(),
                })
                .collect();
            contests.push(Contest::new(name, choices, Some(total_ballots), rule)?);
        }
        let mut assorters = Vec::new();
        for (c, contest) in contests.iter().enumerate() {
            for a in Assorter::of(contest)? {
                let margin: f64 = reported
                    .iter()
                    .map(|b| a.batch_total(&b.votes[c], b.ballots))
                    .sum::<f64>()
                    - total_ballots as f64 / 2.0;
                if margin <= 0.0 {
                    return Err(AuditError::contest(
                        &contest.name,
                        format!("{} has no positive margin", a.label(contest)),
                    ));
                }
                assorters.push((c, a, margin));
            }
        }
        let index = reported
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name.clone(), i))
            .collect();
        Ok(Self {
            contests,
            reported,
            index,
            assorters,
            total_ballots,
        })
    }

    /// The index of the batch named `name`.
    pub fn batch(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// `u_p`: batch `p`'s largest possible relative overstatement.
    pub fn error_bound(&self, p: usize) -> f64 {
        let b = &self.reported[p];
        self.assorters
            .iter()
            .map(|(c, a, m)| a.batch_total(&b.votes[*c], b.ballots) / m)
            .fold(0.0, f64::max)
    }

    /// `e_p`: batch `p`'s relative overstatement given its audited counts (MACRO).
    pub fn overstatement(&self, p: usize, audited: &BatchCounts) -> f64 {
        let b = &self.reported[p];
        self.assorters
            .iter()
            .map(|(c, a, m)| {
                (a.batch_total(&b.votes[*c], b.ballots)
                    - a.batch_total(&audited.votes[*c], audited.ballots))
                    / m
            })
            .fold(f64::NEG_INFINITY, f64::max)
    }

    fn probability(&self, p: usize) -> f64 {
        self.reported[p].ballots as f64 / self.total_ballots as f64
    }

    /// `B = max_p u_p/π_p`.
    pub fn bound(&self) -> f64 {
        (0..self.reported.len())
            .map(|p| self.error_bound(p) / self.probability(p))
            .fold(0.0, f64::max)
    }

    /// The Kaplan–Markov MACRO risk of the draws: each drawn batch index with its audited
    /// counts, once per draw.
    pub fn risk(&self, draws: &[(usize, &BatchCounts)]) -> f64 {
        let bound = self.bound();
        let mut log_p = 0.0;
        for &(p, audited) in draws {
            let taint = self.overstatement(p, audited) / (self.probability(p) * bound);
            if taint >= 1.0 {
                return 1.0;
            }
            log_p += (1.0 - 1.0 / bound).ln() - (1.0 - taint).ln();
        }
        log_p.exp().min(1.0)
    }

    /// Draws needed when no batch has an error: `ceil(ln α / ln(1 − 1/B))`.
    pub fn sample_size(&self, risk_limit: f64) -> u64 {
        (risk_limit.ln() / (1.0 - 1.0 / self.bound()).ln()).ceil() as u64
    }
}

impl BatchAudit {
    /// Pairs every drawn batch (by name, with how many times it was drawn) with its audited
    /// counts. Errors name a drawn batch with no hand count, an audited batch not in the
    /// reported protocols, and an audited table whose columns differ from the reported one.
    pub fn draws<'a>(
        &self,
        layout: &Layout,
        audited_layout: &Layout,
        audited: &'a [BatchCounts],
        drawn: &[(String, u32)],
        file: &str,
    ) -> Result<Vec<(usize, &'a BatchCounts)>, AuditError> {
        if layout != audited_layout {
            return Err(AuditError::invalid(
                file,
                "its contest and option columns differ from the reported protocols'",
            ));
        }
        let by_name: HashMap<&str, &BatchCounts> =
            audited.iter().map(|b| (b.name.as_str(), b)).collect();
        for b in audited {
            if self.batch(&b.name).is_none() {
                return Err(AuditError::invalid(
                    file,
                    format!("batch {:?} is not in the reported protocols", b.name),
                ));
            }
        }
        let mut draws = Vec::new();
        for (name, times) in drawn {
            let p = self.batch(name).ok_or_else(|| {
                AuditError::invalid(
                    "draws",
                    format!("batch {name:?} is not in the reported protocols"),
                )
            })?;
            let counts = by_name.get(name.as_str()).ok_or_else(|| {
                AuditError::invalid(
                    file,
                    format!("batch {name:?} was drawn but has no hand count"),
                )
            })?;
            for _ in 0..*times {
                draws.push((p, *counts));
            }
        }
        Ok(draws)
    }
}
