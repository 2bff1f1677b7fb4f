//! Ballot-level comparison audits with the Kaplan–Markov bound (Stark 2010, "Super-simple
//! simultaneous single-ballot risk-limiting audits"; Lindeman & Stark 2012, "A gentle
//! introduction to risk-limiting audits"), as Neal McBurnett's rlacalc computes them.
//!
//! Each sampled ballot's paper (the manual vote record, MVR) is set against its cast vote record
//! (CVR). Its overstatement is the largest, over the reported winner–loser pairs, of
//! `(CVR margin of w over l) − (MVR margin of w over l)`, in votes: 1 or 2 are one- and two-vote
//! overstatements (`o1`, `o2`), −1 and −2 understatements (`u1`, `u2`). With the diluted
//! margin `μ` (smallest winner–loser margin over ballots cast) and inflator `γ ≥ 1`,
//!
//! ```text
//! P = (1 − μ/(2γ))^n (1 − 1/(2γ))^(−o1) (1 − 1/γ)^(−o2) (1 + 1/(2γ))^(−u1) (1 + 1/γ)^(−u2)
//! ```

use serde::{Deserialize, Serialize};

use crate::contest::{Contest, Rule};
use crate::error::AuditError;

/// Stark's default error inflator.
pub const DEFAULT_GAMMA: f64 = 1.03905;

/// Counts of discrepancies in a comparison sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancies {
    /// One-vote overstatements.
    pub o1: u64,
    /// Two-vote overstatements.
    pub o2: u64,
    /// One-vote understatements.
    pub u1: u64,
    /// Two-vote understatements.
    pub u2: u64,
}

/// Rates of discrepancies per sampled ballot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// One-vote overstatements per ballot.
    pub o1: f64,
    /// Two-vote overstatements per ballot.
    pub o2: f64,
    /// One-vote understatements per ballot.
    pub u1: f64,
    /// Two-vote understatements per ballot.
    pub u2: f64,
}

fn log_discrepancy_terms(gamma: f64, o1: f64, o2: f64, u1: f64, u2: f64) -> f64 {
    o1 * (1.0 - 1.0 / (2.0 * gamma)).ln()
        + o2 * (1.0 - 1.0 / gamma).ln()
        + u1 * (1.0 + 1.0 / (2.0 * gamma)).ln()
        + u2 * (1.0 + 1.0 / gamma).ln()
}

/// The Kaplan–Markov p-value of `n` ballots with discrepancies `d`, diluted margin `margin`.
pub fn p_value(n: u64, margin: f64, gamma: f64, d: Discrepancies) -> f64 {
    let log_p = n as f64 * (1.0 - margin / (2.0 * gamma)).ln()
        - log_discrepancy_terms(gamma, d.o1 as f64, d.o2 as f64, d.u1 as f64, d.u2 as f64);
    log_p.exp().min(1.0)
}

/// The smallest sample that confirms at `risk_limit` if it finds exactly the discrepancies
/// `d` (rlacalc's `nmin`; its lower bound `o1 + o2 + 2 u1` is kept as rlacalc has it).
pub fn nmin(risk_limit: f64, gamma: f64, margin: f64, d: Discrepancies) -> u64 {
    let n = -2.0
        * gamma
        * (risk_limit.ln()
            + log_discrepancy_terms(gamma, d.o1 as f64, d.o2 as f64, d.u1 as f64, d.u2 as f64))
        / margin;
    (d.o1 + d.o2 + 2 * d.u1).max(n.ceil() as u64)
}

/// The sample size expected to confirm when discrepancies occur at `rates` per ballot
/// (rlacalc's `KM_Expected_sample_size`): `ceil(ln α / D)` with
/// `D = ln(1 − μ/(2γ)) − Σ rate × ln(term)`; `None` when `D ≥ 0` (the audit never ends).
pub fn expected_sample_size(risk_limit: f64, gamma: f64, margin: f64, rates: Rates) -> Option<u64> {
    let denominator = (1.0 - margin / (2.0 * gamma)).ln()
        - log_discrepancy_terms(gamma, rates.o1, rates.o2, rates.u1, rates.u2);
    (denominator < 0.0).then(|| (risk_limit.ln() / denominator).ceil() as u64)
}

/// Python's `round`: halves to even.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - 1.0
    } else {
        r
    }
}

/// rlacalc's `KM_Expected_sample_size_rounded`: the expected sample size, then [`nmin`] with
/// the discrepancies expected in it made whole numbers (rounded up for the 1-vote ones when
/// `round_up1`, for the 2-vote ones when `round_up2`, else rounded half to even).
pub fn expected_sample_size_rounded(
    risk_limit: f64,
    gamma: f64,
    margin: f64,
    rates: Rates,
    round_up1: bool,
    round_up2: bool,
) -> Option<u64> {
    let n = expected_sample_size(risk_limit, gamma, margin, rates)? as f64;
    let whole = |rate: f64, up: bool| {
        let x = rate * n;
        (if up { x.ceil() } else { round_half_even(x) }) as u64
    };
    Some(nmin(
        risk_limit,
        gamma,
        margin,
        Discrepancies {
            o1: whole(rates.o1, round_up1),
            o2: whole(rates.o2, round_up2),
            u1: whole(rates.u1, round_up1),
            u2: whole(rates.u2, round_up2),
        },
    ))
}

/// The overstatement of one sampled ballot in votes (from −2 to 2): the largest over the
/// reported winner–loser pairs of the CVR's margin minus the MVR's.
pub fn overstatement(contest: &Contest, cvr: &[usize], mvr: &[usize]) -> Result<i64, AuditError> {
    if !matches!(contest.rule, Rule::Plurality { .. }) {
        return Err(AuditError::contest(
            &contest.name,
            "ballot-level comparison here audits plurality contests",
        ));
    }
    let margin = |marks: &[usize], w: usize, l: usize| {
        i64::from(marks.contains(&w)) - i64::from(marks.contains(&l))
    };
    contest
        .pairs()?
        .into_iter()
        .map(|p| margin(cvr, p.winner, p.loser) - margin(mvr, p.winner, p.loser))
        .max()
        .ok_or_else(|| AuditError::contest(&contest.name, "no winner-loser pair"))
}

/// Counts the discrepancies of a comparison sample of `(CVR marks, MVR marks)` pairs.
pub fn discrepancies(
    contest: &Contest,
    sample: &[(Vec<usize>, Vec<usize>)],
) -> Result<Discrepancies, AuditError> {
    let mut d = Discrepancies::default();
    for (cvr, mvr) in sample {
        match overstatement(contest, cvr, mvr)? {
            2 => d.o2 += 1,
            1 => d.o1 += 1,
            -1 => d.u1 += 1,
            -2 => d.u2 += 1,
            _ => {}
        }
    }
    Ok(d)
}

/// The Kaplan–Markov risk of a comparison sample for `contest`.
pub fn risk(
    contest: &Contest,
    sample: &[(Vec<usize>, Vec<usize>)],
    gamma: f64,
) -> Result<(f64, Discrepancies), AuditError> {
    let d = discrepancies(contest, sample)?;
    Ok((
        p_value(sample.len() as u64, contest.diluted_margin()?, gamma, d),
        d,
    ))
}
