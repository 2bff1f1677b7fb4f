//! BRAVO ballot-polling audits (Lindeman, Stark & Yates 2012): the risk of a sample, the
//! average sample number, and round sizes that finish with a stated probability.
//!
//! For a reported winner `w` with `W` votes and loser `l` with `L` votes, `s = W/(W+L)`. Each
//! sampled ballot with a vote for `w` (and not `l`) multiplies the test statistic `T` by
//! `s/0.5`, each with a vote for `l` (and not `w`) by `(1−s)/0.5`. Under the null hypothesis
//! that `l` really got at least as many votes, `T` is a nonnegative martingale with mean 1, so
//! `min(1, 1/T)` is a p-value (Wald; Ville's inequality). The contest's risk is the largest
//! p-value over its winner–loser pairs, which is the closest pair's unless the sample is odd.

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal};

use crate::contest::{Contest, Pair, Rule};
use crate::error::AuditError;

fn plurality_only(contest: &Contest) -> Result<(), AuditError> {
    match contest.rule {
        Rule::Plurality { .. } => Ok(()),
        Rule::Supermajority { .. } => Err(AuditError::contest(
            &contest.name,
            "BRAVO audits plurality contests; audit a supermajority with ALPHA",
        )),
    }
}

/// `ln T` for reported votes `W`, `L` and sampled votes `w_obs`, `l_obs`.
pub fn log_test_statistic(winner: u64, loser: u64, w_obs: u64, l_obs: u64) -> f64 {
    let s = winner as f64 / (winner + loser) as f64;
    let mut log_t = 0.0;
    if w_obs > 0 {
        log_t += w_obs as f64 * (2.0 * s).ln();
    }
    if l_obs > 0 {
        // With s = 1 a single loser vote refutes the reported result: ln 0 = −∞.
        log_t += l_obs as f64 * (2.0 - 2.0 * s).ln();
    }
    log_t
}

/// `min(1, 1/T)` for reported votes `W`, `L` and sampled votes `w_obs`, `l_obs`.
pub fn risk_from_counts(winner: u64, loser: u64, w_obs: u64, l_obs: u64) -> f64 {
    (-log_test_statistic(winner, loser, w_obs, l_obs))
        .exp()
        .min(1.0)
}

/// The sampled votes for the pair's winner and loser (ballots marked for exactly one of them).
pub fn pair_counts(pair: Pair, sample: &[Vec<usize>]) -> (u64, u64) {
    let mut counts = (0, 0);
    for marks in sample {
        match (marks.contains(&pair.winner), marks.contains(&pair.loser)) {
            (true, false) => counts.0 += 1,
            (false, true) => counts.1 += 1,
            _ => {}
        }
    }
    counts
}

/// The BRAVO risk of `sample` (each ballot's marks) for `contest`: the largest `min(1, 1/T)`
/// over its winner–loser pairs.
pub fn risk(contest: &Contest, sample: &[Vec<usize>]) -> Result<f64, AuditError> {
    plurality_only(contest)?;
    let mut worst: f64 = 0.0;
    for pair in contest.pairs()? {
        let (w, l) = pair_counts(pair, sample);
        let risk = risk_from_counts(
            contest.choices[pair.winner].votes,
            contest.choices[pair.loser].votes,
            w,
            l,
        );
        worst = worst.max(risk);
    }
    Ok(worst)
}

/// The closest pair's reported shares of all ballots, `(p_w, p_l)`, refusing a loser with no
/// votes (`s = 1`, for which the formulas below are undefined).
fn closest_shares(contest: &Contest) -> Result<(Pair, f64, f64), AuditError> {
    plurality_only(contest)?;
    let pair = contest.closest_pair()?;
    let n = contest.ballots as f64;
    let (w, l) = (
        contest.choices[pair.winner].votes,
        contest.choices[pair.loser].votes,
    );
    if l == 0 {
        return Err(AuditError::contest(
            &contest.name,
            "the strongest loser has no votes: the reported tally says the audit is over before \
             it starts, and BRAVO's sample sizes are undefined (audit by comparison instead)",
        ));
    }
    Ok((pair, w as f64 / n, l as f64 / n))
}

/// BRAVO's average sample number when the reported result is right (Lindeman, Stark & Yates
/// 2012, eq. for ASN; Arlo's `get_sample_size`): with `s = p_w/(p_w+p_l)` for the closest pair,
/// `ceil((ln(1/α) + ln(2s)/2) / (p_w ln(2s) + p_l ln(2−2s)))`.
pub fn asn(contest: &Contest, risk_limit: f64) -> Result<u64, AuditError> {
    check_risk_limit(risk_limit)?;
    let (_, p_w, p_l) = closest_shares(contest)?;
    let s = p_w / (p_w + p_l);
    let z_w = (2.0 * s).ln();
    let z_l = (2.0 - 2.0 * s).ln();
    let asn = ((1.0 / risk_limit).ln() + z_w / 2.0) / (p_w * z_w + p_l * z_l);
    Ok(asn.ceil() as u64)
}

/// Checks a risk limit is in (0, 1).
pub fn check_risk_limit(risk_limit: f64) -> Result<(), AuditError> {
    if risk_limit > 0.0 && risk_limit < 1.0 {
        Ok(())
    } else {
        Err(AuditError::invalid(
            "risk limit",
            format!("{risk_limit} is not between 0 and 1"),
        ))
    }
}

/// The number of further ballots after which BRAVO stops with probability at least
/// `p_completion` when the reported shares `p_w`, `p_r` are right, given `sample_w`, `sample_r`
/// votes already sampled (Arlo's `bravo_sample_sizes`, after Rivest and Lindeman).
///
/// The normal approximation gives a start: the quadratic in `√m` for `m` ballots for `w` or
/// `r`, then `n = ⌈⌊m⌋/(p_w + p_r)⌉`. From there round sizes `n` grow until the exact binomial
/// probability that the `⌊n (p_w + p_r)⌋` two-way votes hold enough winner votes reaches
/// `p_completion`. (This start and rounding reproduce all seven of Arlo's published values;
/// they were reconstructed from them, see docs/AUDIT.md.)
pub fn round_size(
    risk_limit: f64,
    p_w: f64,
    p_r: f64,
    sample_w: u64,
    sample_r: u64,
    p_completion: f64,
) -> Result<u64, AuditError> {
    check_risk_limit(risk_limit)?;
    if !(p_completion > 0.0 && p_completion < 1.0) {
        return Err(AuditError::invalid(
            "completion probability",
            format!("{p_completion} is not between 0 and 1"),
        ));
    }
    if !(p_w > p_r && p_r > 0.0 && p_w + p_r <= 1.0) {
        return Err(AuditError::invalid(
            "shares",
            format!("p_w = {p_w} must exceed p_r = {p_r} > 0, with p_w + p_r ≤ 1"),
        ));
    }
    let p_wr = p_w + p_r;
    let s = p_w / p_wr;
    let (z_w, z_r) = ((2.0 * s).ln(), (2.0 - 2.0 * s).ln());
    let threshold = (1.0 / risk_limit).ln() - (sample_w as f64 * z_w + sample_r as f64 * z_r);
    if threshold <= 0.0 {
        return Ok(0);
    }
    let drift = s * z_w + (1.0 - s) * z_r;
    let sd = (s * (1.0 - s)).sqrt() * (z_w - z_r);
    let normal = Normal::standard();
    let z = normal.inverse_cdf(p_completion);
    let root = (z * sd + (z * z * sd * sd + 4.0 * drift * threshold).sqrt()) / (2.0 * drift);
    let start = ((root * root).floor() / p_wr).ceil().max(1.0) as u64;
    // The exact probability is not monotone in n (the needed count jumps by whole votes), so
    // the search walks up; it ends within a few steps of the normal start.
    for n in start..start + 1_000_000 {
        let m = (n as f64 * p_wr).floor() as u64;
        let needed = ((threshold - m as f64 * z_r) / (z_w - z_r)).ceil();
        let done = if needed <= 0.0 {
            1.0
        } else if needed > m as f64 {
            0.0
        } else {
            let binomial =
                Binomial::new(s, m).map_err(|e| AuditError::invalid("shares", e.to_string()))?;
            binomial.sf(needed as u64 - 1)
        };
        if done >= p_completion {
            return Ok(n);
        }
    }
    Err(AuditError::invalid(
        "round size",
        "no round size up to a million ballots past the normal start finishes as asked",
    ))
}

/// The next round's size for `contest` after `sample`, finishing with `p_completion`.
pub fn next_round_size(
    contest: &Contest,
    risk_limit: f64,
    sample: &[Vec<usize>],
    p_completion: f64,
) -> Result<u64, AuditError> {
    let (pair, p_w, p_l) = closest_shares(contest)?;
    let (w, l) = pair_counts(pair, sample);
    round_size(risk_limit, p_w, p_l, w, l, p_completion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistic_is_one_without_votes_and_refuted_by_a_loser_vote_when_s_is_one() {
        assert_eq!(risk_from_counts(60, 40, 0, 0), 1.0);
        assert_eq!(risk_from_counts(60, 0, 5, 1), 1.0);
        assert!((risk_from_counts(60, 0, 5, 0) - 1.0 / 32.0).abs() < 1e-12);
    }
}
