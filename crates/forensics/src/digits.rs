//! Digit tests on vote counts: second-digit Benford (Mebane) and last-digit uniformity
//! (Beber & Scacco), each with a chi-square p-value on 9 degrees of freedom.
//!
//! Known pitfalls, respected here: a count below 10 has no second digit, and the last digit of
//! a small count is not uniform even in a clean election (a station where an option gets
//! around 20 votes has a last digit spread over few values), so the second-digit test uses
//! counts >= [`MIN_SECOND_DIGIT_COUNT`] and the last-digit test counts >= [`MIN_LAST_DIGIT_COUNT`].
//! Second-digit Benford is itself only approximate for clean elections; a deviation is a
//! reason to look closer, never proof.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::{Election, ForensicsError};

/// Smallest count that has a second digit.
pub const MIN_SECOND_DIGIT_COUNT: u64 = 10;
/// Smallest count whose last digit is used.
pub const MIN_LAST_DIGIT_COUNT: u64 = 100;
/// Fewest usable counts for a test: 10 expected per digit for the last-digit test, and at
/// least 8.5 for the rarest second digit; below it the chi-square approximation is poor.
pub const MIN_COUNTS: usize = 100;
/// Significance level at which a digit test raises an alarm.
pub const ALARM_LEVEL: f64 = 0.01;

/// One digit test on one option's counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitTest {
    /// The option whose counts were tested.
    pub option: String,
    /// Counts used (at or above the threshold).
    pub counts_used: usize,
    /// Counts left out for being too small.
    pub counts_left_out: usize,
    /// How often each digit 0–9 occurred.
    pub observed: [u64; 10],
    /// The expected frequency of each digit (probabilities).
    pub expected: [f64; 10],
    /// Mean digit observed (4.187 expected for the second digit, 4.5 for the last).
    pub mean_digit: f64,
    /// Pearson's chi-square statistic.
    pub chi_square: f64,
    /// Its p-value on 9 degrees of freedom.
    pub p_value: f64,
    /// Whether the p-value is below [`ALARM_LEVEL`].
    pub alarm: bool,
}

/// Benford's probabilities of the second digit: sum over first digits k of log10(1 + 1/(10k + d)).
pub fn second_digit_probabilities() -> [f64; 10] {
    let mut p = [0.0; 10];
    for (digit, slot) in p.iter_mut().enumerate() {
        *slot = (1..=9)
            .map(|k| (1.0 + 1.0 / (10 * k + digit) as f64).log10())
            .sum();
    }
    p
}

fn second_digit(mut count: u64) -> usize {
    while count >= 100 {
        count /= 10;
    }
    (count % 10) as usize
}

fn chi_square_test(
    option: &str,
    observed: [u64; 10],
    expected: [f64; 10],
    left_out: usize,
) -> Result<Option<DigitTest>, ForensicsError> {
    let n: u64 = observed.iter().sum();
    if (n as usize) < MIN_COUNTS {
        return Ok(None);
    }
    let nf = n as f64;
    let chi_square: f64 = observed
        .iter()
        .zip(expected)
        .map(|(&o, p)| (o as f64 - nf * p).powi(2) / (nf * p))
        .sum();
    let distribution = ChiSquared::new(9.0).map_err(|error| ForensicsError::InvalidParameter {
        name: "chi-square degrees of freedom",
        reason: error.to_string(),
    })?;
    let p_value = distribution.sf(chi_square);
    let mean_digit = observed
        .iter()
        .enumerate()
        .map(|(d, &o)| d as f64 * o as f64)
        .sum::<f64>()
        / nf;
    Ok(Some(DigitTest {
        option: option.to_owned(),
        counts_used: n as usize,
        counts_left_out: left_out,
        observed,
        expected,
        mean_digit,
        chi_square,
        p_value,
        alarm: p_value < ALARM_LEVEL,
    }))
}

/// Tallies `digit(count)` over the counts at or above `threshold` and tests the tally against
/// `expected`.
fn digit_test(
    option: &str,
    counts: impl IntoIterator<Item = u64>,
    threshold: u64,
    digit: fn(u64) -> usize,
    expected: [f64; 10],
) -> Result<Option<DigitTest>, ForensicsError> {
    let mut observed = [0u64; 10];
    let mut left_out = 0;
    for count in counts {
        if count < threshold {
            left_out += 1;
        } else {
            observed[digit(count)] += 1;
        }
    }
    chi_square_test(option, observed, expected, left_out)
}

/// Second-digit Benford test of one option's counts; `None` when fewer than [`MIN_COUNTS`]
/// counts reach [`MIN_SECOND_DIGIT_COUNT`].
pub fn second_digit_test(
    option: &str,
    counts: impl IntoIterator<Item = u64>,
) -> Result<Option<DigitTest>, ForensicsError> {
    let expected = second_digit_probabilities();
    digit_test(
        option,
        counts,
        MIN_SECOND_DIGIT_COUNT,
        second_digit,
        expected,
    )
}

/// Last-digit uniformity test of one option's counts; `None` when fewer than [`MIN_COUNTS`]
/// counts reach [`MIN_LAST_DIGIT_COUNT`].
pub fn last_digit_test(
    option: &str,
    counts: impl IntoIterator<Item = u64>,
) -> Result<Option<DigitTest>, ForensicsError> {
    let last_digit = |count: u64| (count % 10) as usize;
    digit_test(option, counts, MIN_LAST_DIGIT_COUNT, last_digit, [0.1; 10])
}

/// Both digit tests for the leader and for every other option: `(option, second, last)`.
pub type OptionDigitTests = (String, Option<DigitTest>, Option<DigitTest>);

/// Runs both digit tests on the leader's counts and on each other option's counts.
pub fn digit_tests(election: &Election) -> Result<Vec<OptionDigitTests>, ForensicsError> {
    let mut results = Vec::with_capacity(1 + election.other_options.len());
    let leader = || election.stations.iter().map(|s| s.leader);
    results.push((
        election.leader.clone(),
        second_digit_test(&election.leader, leader())?,
        last_digit_test(&election.leader, leader())?,
    ));
    for (index, name) in election.other_options.iter().enumerate() {
        let counts = || {
            election
                .stations
                .iter()
                .filter_map(move |s| s.others.get(index).copied())
        };
        results.push((
            name.clone(),
            second_digit_test(name, counts())?,
            last_digit_test(name, counts())?,
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Simulation, simulate};

    #[test]
    fn benford_second_digit_probabilities() {
        let p = second_digit_probabilities();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Published values: 0.11968 for 0, 0.08500 for 9; mean 4.187.
        assert!((p[0] - 0.11968).abs() < 1e-5);
        assert!((p[9] - 0.08500).abs() < 1e-5);
        let mean: f64 = p.iter().enumerate().map(|(d, p)| d as f64 * p).sum();
        assert!((mean - 4.187).abs() < 1e-3);
    }

    #[test]
    fn digits_are_extracted_correctly() {
        assert_eq!(second_digit(10), 0);
        assert_eq!(second_digit(47), 7);
        assert_eq!(second_digit(4_719), 7);
        assert_eq!(second_digit(100_000), 0);
    }

    #[test]
    fn small_counts_are_left_out_and_too_few_is_insufficient() -> Result<(), ForensicsError> {
        assert_eq!(last_digit_test("a", (0..99).map(|_| 57))?, None);
        assert_eq!(second_digit_test("a", [5, 9, 3])?, None);
        let test = last_digit_test("a", (0..500).map(|i| 50 + i))?;
        let test = test.ok_or(ForensicsError::NoStations)?;
        assert_eq!(test.counts_used, 450);
        assert_eq!(test.counts_left_out, 50);
        Ok(())
    }

    #[test]
    fn invented_round_counts_fail_the_last_digit_test() -> Result<(), ForensicsError> {
        let election = simulate(&Simulation {
            invented_counts: 0.1,
            ..Simulation::clean(5_000, 9)
        })?;
        let tests = digit_tests(&election)?;
        let leader_last = tests[0].2.as_ref().ok_or(ForensicsError::NoStations)?;
        assert!(leader_last.alarm, "p = {}", leader_last.p_value);
        assert!(leader_last.observed[0] > leader_last.observed[1] * 2);
        Ok(())
    }
}
