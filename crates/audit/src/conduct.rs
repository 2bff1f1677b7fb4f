//! Conducting an audit round by round: from each round's observations to the measured risk,
//! the verdict and the record the report shows. The CLI only reads files and calls these.

use crate::alpha;
use crate::batch::{BatchAudit, BatchCounts};
use crate::bravo;
use crate::comparison;
use crate::contest::Contest;
use crate::error::AuditError;
use crate::rounds::{AuditRecord, Method, Round, verdict};

/// Probability with which a suggested next round finishes the audit.
pub const NEXT_ROUND_COMPLETION: f64 = 0.9;

fn winners(contest: &Contest) -> String {
    let names: Vec<&str> = contest
        .winners()
        .iter()
        .map(|&w| contest.choices[w].name.as_str())
        .collect();
    format!("{}: {}", contest.name, names.join(", "))
}

fn record(
    method: Method,
    contests: &[&Contest],
    risk_limit: f64,
    population: u64,
    rounds: Vec<Round>,
    next: Option<u64>,
) -> AuditRecord {
    let (risk, examined) = rounds.last().map_or((1.0, 0), |r| (r.risk, r.sample_size));
    AuditRecord {
        method,
        contests: contests.iter().map(|c| c.name.clone()).collect(),
        winners: contests.iter().map(|c| winners(c)).collect(),
        risk_limit,
        population,
        verdict: verdict(risk, risk_limit, examined, population, next),
        rounds,
        sampled: String::new(),
        seed: None,
    }
}

/// A ballot-polling audit (BRAVO or ALPHA) of `contest` over `rounds`, each the ballots newly
/// sampled in that round; the risk is measured on the cumulative sample after each round.
/// `with_replacement` says how the ballots were drawn (ALPHA's null mean depends on it).
pub fn polling(
    method: Method,
    contest: &Contest,
    risk_limit: f64,
    rounds: &[Vec<Vec<usize>>],
    with_replacement: bool,
    seed: Option<String>,
) -> Result<AuditRecord, AuditError> {
    bravo::check_risk_limit(risk_limit)?;
    let mut cumulative = Vec::new();
    let mut results = Vec::new();
    for (i, round) in rounds.iter().enumerate() {
        cumulative.extend(round.iter().cloned());
        let risk = match method {
            Method::Bravo => bravo::risk(contest, &cumulative)?,
            Method::Alpha => {
                let population = (!with_replacement).then_some(contest.ballots);
                alpha::polling_risk(contest, &cumulative, population)?
            }
            _ => {
                return Err(AuditError::invalid("method", "not a ballot-polling method"));
            }
        };
        results.push(Round {
            round: i as u32 + 1,
            sample_size: cumulative.len() as u64,
            risk,
        });
    }
    let next = match method {
        Method::Bravo => {
            bravo::next_round_size(contest, risk_limit, &cumulative, NEXT_ROUND_COMPLETION).ok()
        }
        _ => None,
    };
    let sampled = format!(
        "{} paper ballots were drawn at random {} replacement from the {} ballots cast and read \
         by hand, to test whether the reported winners of {} really won: a {} keeps sampling \
         until the hand-read votes make a wrong reported outcome implausible at the risk limit.",
        cumulative.len(),
        if with_replacement { "with" } else { "without" },
        contest.ballots,
        contest.name,
        method.title()
    );
    let base = record(
        method,
        &[contest],
        risk_limit,
        contest.ballots,
        results,
        next,
    );
    Ok(AuditRecord {
        sampled,
        seed,
        ..base
    })
}

/// A ballot-level comparison audit (Kaplan–Markov) of `contest` over `rounds` of
/// (CVR, MVR) pairs.
pub fn ballot_comparison(
    contest: &Contest,
    risk_limit: f64,
    gamma: f64,
    rounds: &[Vec<(Vec<usize>, Vec<usize>)>],
    seed: Option<String>,
) -> Result<AuditRecord, AuditError> {
    bravo::check_risk_limit(risk_limit)?;
    if !(gamma >= 1.0 && gamma.is_finite()) {
        return Err(AuditError::invalid(
            "gamma",
            format!("{gamma} must be at least 1"),
        ));
    }
    let mut cumulative = Vec::new();
    let mut results = Vec::new();
    let mut found = comparison::Discrepancies::default();
    for (i, round) in rounds.iter().enumerate() {
        cumulative.extend(round.iter().cloned());
        let (risk, d) = comparison::risk(contest, &cumulative, gamma)?;
        found = d;
        results.push(Round {
            round: i as u32 + 1,
            sample_size: cumulative.len() as u64,
            risk,
        });
    }
    let margin = contest.diluted_margin()?;
    let needed = comparison::nmin(risk_limit, gamma, margin, found);
    let next = needed
        .checked_sub(cumulative.len() as u64)
        .filter(|&n| n > 0)
        .or(Some(1));
    let sampled = format!(
        "{} ballots were drawn at random from the {} ballots cast; for each, the audit board \
         compared the paper with its cast vote record, to test whether errors in the records \
         could have changed the winners of {} (diluted margin {:.4}). It found {} one-vote and \
         {} two-vote overstatements, {} one-vote and {} two-vote understatements.",
        cumulative.len(),
        contest.ballots,
        contest.name,
        margin,
        found.o1,
        found.o2,
        found.u1,
        found.u2
    );
    let base = record(
        Method::Comparison,
        &[contest],
        risk_limit,
        contest.ballots,
        results,
        next,
    );
    Ok(AuditRecord {
        sampled,
        seed,
        ..base
    })
}

/// A batch-level comparison audit of polling stations over `rounds`, each the drawn batches
/// (index, audited counts, one entry per draw) of that round.
pub fn batch_comparison(
    audit: &BatchAudit,
    risk_limit: f64,
    rounds: &[Vec<(usize, &BatchCounts)>],
    seed: Option<String>,
) -> Result<AuditRecord, AuditError> {
    bravo::check_risk_limit(risk_limit)?;
    let mut cumulative = Vec::new();
    let mut results = Vec::new();
    for (i, round) in rounds.iter().enumerate() {
        cumulative.extend(round.iter().copied());
        results.push(Round {
            round: i as u32 + 1,
            sample_size: cumulative.len() as u64,
            risk: audit.risk(&cumulative),
        });
    }
    let stations = audit.reported.len() as u64;
    let mut distinct: Vec<usize> = cumulative.iter().map(|(p, _)| *p).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let needed = audit.sample_size(risk_limit);
    let next = Some(needed.saturating_sub(cumulative.len() as u64).max(1));
    let contests: Vec<&Contest> = audit.contests.iter().collect();
    let sampled = format!(
        "{} draws ({} distinct polling stations of {}) were made with probability proportional \
         to each station's ballots; each drawn station's official protocol was compared with a \
         hand count of its ballots (or an independent observers' protocol), to test whether the \
         differences could have changed any reported winner. Without any error, {} draws would \
         suffice.",
        cumulative.len(),
        distinct.len(),
        stations,
        needed
    );
    let base = record(
        Method::Batch,
        &contests,
        risk_limit,
        stations,
        results,
        next,
    );
    let mut record = AuditRecord {
        sampled,
        seed,
        ..base
    };
    // Draws are with replacement: only when every station has been hand counted is the
    // hand count the whole count.
    if distinct.len() as u64 >= stations && record.risk() > risk_limit {
        record.verdict = crate::rounds::Verdict::FullHandCount;
    } else if record.risk() > risk_limit {
        record.verdict = crate::rounds::Verdict::Escalate {
            next_round_size: next,
        };
    }
    Ok(record)
}
