//! Digit tests on vote counts, calibrated on the data: second digit (Mebane) and last digit
//! (Beber & Scacco), each against the digits that per-station binomial resampling gives.
//!
//! Why not the textbook nulls (Benford's second digit, uniform last digit): with 90,000
//! counts they are rejected in clean elections. Counts do not spread over several decades as
//! Benford's law needs, and the density of counts falls within each decade, so even honest
//! last digits lean towards the small ones (Deckert, Myagkov & Ordeshook 2011; Mebane's own
//! caution). Binomial counts simulated on the real Russian station sizes of 2012 gave p from
//! 1e-7 to 1e-146 against the textbook nulls.
//!
//! The null here is the one of the integer-percentage test: every station's count `y` of an
//! option, out of `n` ballots counted, is redrawn as `Binomial(n, y / n)`. A clean count and
//! its redraw share the station sizes and the shares, so they have the same digits but for
//! chance; an invented count (rounded to a multiple of 10, say) sits on digits its redraws
//! spread away from. For each station we compute the exact probability of each digit after
//! redrawing (plus "below the threshold": a count under 10 has no second digit, and the last
//! digit is read only from 100). Their sums, normalised, are the expected digit proportions
//! `π_d`; the statistic is Pearson's `Σ (o_d − n π_d)² / (n π_d)` over the `n` counts that
//! reach the threshold (so it asks which digits occur, not how many counts reach the
//! threshold: plug-in resampling overstates that a little for small options, whose large
//! counts lie in the tail), and its p-value is the fraction of `reps`
//! simulated redraws of every station giving a statistic at least as large, as
//! `(1 + #{sim ≥ observed}) / (reps + 1)`. An alarm needs `p <` [`ALARM_LEVEL`]: the simulated
//! null rejected.
//!
//! The effect size is Cohen's `w = √(χ² / n)`: it does not grow with the number of counts (0.1
//! is small, 0.3 medium; chance alone gives about `√(9 / n)`). The
//! mean digit is given beside the mean that the null expects.
//!
//! Every (region, option) draws from its own generator seeded from `(seed, region, option)`,
//! and the whole election's simulated digits are the sums of its regions', so figures do not
//! depend on threads and the regions cost nothing extra.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use crate::binomial::for_each_term;
use crate::{Election, ForensicsError};

/// Smallest count that has a second digit.
pub const MIN_SECOND_DIGIT_COUNT: u64 = 10;
/// Smallest count whose last digit is used.
pub const MIN_LAST_DIGIT_COUNT: u64 = 100;
/// Fewest usable counts for a test.
pub const MIN_COUNTS: usize = 100;
/// Significance level at which a digit test raises an alarm.
pub const ALARM_LEVEL: f64 = 0.01;
/// Default number of simulated redraws: the smallest p-value is then 1/201, below
/// [`ALARM_LEVEL`].
pub const DIGIT_REPS: usize = 200;

/// Which digit a test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigitKind {
    /// The second digit of counts of 10 or more.
    Second,
    /// The last digit of counts of 100 or more.
    Last,
}

impl DigitKind {
    const BOTH: [DigitKind; 2] = [DigitKind::Second, DigitKind::Last];

    fn threshold(self) -> u64 {
        match self {
            DigitKind::Second => MIN_SECOND_DIGIT_COUNT,
            DigitKind::Last => MIN_LAST_DIGIT_COUNT,
        }
    }

    /// The digit read from `count`, or 10 when the count is below the threshold.
    fn category(self, count: u64) -> usize {
        if count < self.threshold() {
            return 10;
        }
        match self {
            DigitKind::Second => {
                let mut c = count;
                while c >= 100 {
                    c /= 10;
                }
                (c % 10) as usize
            }
            DigitKind::Last => (count % 10) as usize,
        }
    }

    /// The textbook distribution, for comparison only (Benford's second digit, uniform).
    pub fn textbook(self) -> [f64; 10] {
        match self {
            DigitKind::Second => second_digit_probabilities(),
            DigitKind::Last => [0.1; 10],
        }
    }
}

/// One digit test on one option's counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitTest {
    /// The option whose counts were tested.
    pub option: String,
    /// Which digit.
    pub kind: DigitKind,
    /// Counts used (at or above the threshold).
    pub counts_used: usize,
    /// Counts left out for being too small.
    pub counts_left_out: usize,
    /// How often each digit 0–9 occurred.
    pub observed: [u64; 10],
    /// The proportion of each digit that binomial resampling of every station gives: the null.
    pub expected: [f64; 10],
    /// Benford's second digit or the uniform last digit: shown for comparison, never tested.
    pub textbook: [f64; 10],
    /// Mean digit observed.
    pub mean_digit: f64,
    /// Mean digit under the null.
    pub expected_mean_digit: f64,
    /// Pearson's statistic against the null's proportions.
    pub chi_square: f64,
    /// Cohen's w of the observed proportions against the null's.
    pub effect_size: f64,
    /// Monte Carlo p-value: the share of simulated redraws at least as far from the null.
    pub p_value: f64,
    /// Simulated redraws.
    pub reps: usize,
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

/// Both digit tests of one option: `(option, second, last)`, `None` where fewer than
/// [`MIN_COUNTS`] counts reach the threshold.
pub type OptionDigitTests = (String, Option<DigitTest>, Option<DigitTest>);

/// What one test gathers over a set of stations: observed digits, expected digits (the 11th
/// slot is "below the threshold") and the simulated digits of every redraw.
#[derive(Clone)]
struct Tally {
    observed: [u64; 11],
    expected: [f64; 11],
    simulated: Vec<[u32; 11]>,
}

impl Tally {
    fn new(reps: usize) -> Tally {
        Tally {
            observed: [0; 11],
            expected: [0.0; 11],
            simulated: vec![[0; 11]; reps],
        }
    }

    fn add(&mut self, other: &Tally) {
        for d in 0..11 {
            self.observed[d] += other.observed[d];
            self.expected[d] += other.expected[d];
        }
        for (mine, theirs) in self.simulated.iter_mut().zip(&other.simulated) {
            for d in 0..11 {
                mine[d] += theirs[d];
            }
        }
    }

    /// Pearson's statistic of digit counts against the null's proportions, scaled to the
    /// counts' own total: a test of which digits occur, not of how many counts reach the
    /// threshold (which plug-in resampling gets slightly wrong for small options).
    fn statistic(proportions: &[f64; 10], counts: impl Fn(usize) -> f64) -> f64 {
        let total: f64 = (0..10).map(&counts).sum();
        (0..10)
            .filter(|&d| proportions[d] > 1e-12)
            .map(|d| (counts(d) - total * proportions[d]).powi(2) / (total * proportions[d]))
            .sum()
    }

    /// The test's figures; `None` with fewer than [`MIN_COUNTS`] counts used.
    fn test(&self, option: &str, kind: DigitKind) -> Option<DigitTest> {
        let used: u64 = self.observed[..10].iter().sum();
        if (used as usize) < MIN_COUNTS {
            return None;
        }
        let expected_total: f64 = self.expected[..10].iter().sum();
        let mut expected = [0.0; 10];
        let mut observed = [0; 10];
        for d in 0..10 {
            expected[d] = self.expected[d] / expected_total;
            observed[d] = self.observed[d];
        }
        let chi_square = Tally::statistic(&expected, |d| observed[d] as f64);
        let at_least = self
            .simulated
            .iter()
            .filter(|sim| Tally::statistic(&expected, |d| f64::from(sim[d])) >= chi_square)
            .count();
        let n = used as f64;
        let mean = |p: &dyn Fn(usize) -> f64| (0..10).map(|d| d as f64 * p(d)).sum::<f64>();
        let effect_size = (chi_square / n).sqrt();
        let reps = self.simulated.len();
        let p_value = (1 + at_least) as f64 / (reps + 1) as f64;
        Some(DigitTest {
            option: option.to_owned(),
            kind,
            counts_used: used as usize,
            counts_left_out: self.observed[10] as usize,
            observed,
            expected,
            textbook: kind.textbook(),
            mean_digit: mean(&|d| observed[d] as f64 / n),
            expected_mean_digit: mean(&|d| expected[d]),
            chi_square,
            effect_size,
            p_value,
            reps,
            alarm: p_value < ALARM_LEVEL,
        })
    }
}

/// The cumulative thresholds of a categorical draw from one 32-bit uniform: the category is
/// the number of thresholds at or below the draw.
fn thresholds(probabilities: &[f64; 11]) -> [u64; 10] {
    let mut cumulative = 0.0;
    let mut out = [0; 10];
    for (slot, p) in out.iter_mut().zip(probabilities) {
        cumulative += p;
        *slot = (cumulative.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64;
    }
    out
}

fn category(thresholds: &[u64; 10], draw: u64) -> usize {
    thresholds.iter().map(|&t| usize::from(draw >= t)).sum()
}

/// Counts below this have their two categories looked up rather than computed: the binomial
/// walk asks for them about a hundred times per station and option.
const TABLED: usize = 1 << 16;

/// The (second, last) categories of every count below [`TABLED`].
fn category_table() -> &'static [[u8; 2]] {
    static TABLE: std::sync::OnceLock<Vec<[u8; 2]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..TABLED as u64)
            .map(|k| {
                [
                    DigitKind::Second.category(k) as u8,
                    DigitKind::Last.category(k) as u8,
                ]
            })
            .collect()
    })
}

/// Both tests of one option over one region's stations, given as `(count, ballots counted)`.
fn tally_region(counts: &[(u64, u64)], reps: usize, seed: u64) -> [Tally; 2] {
    let mut tallies = [Tally::new(reps), Tally::new(reps)];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Stations whose redraw always lands in the same category add to every replicate.
    let mut fixed = [[0u32; 11]; 2];
    for &(count, counted) in counts {
        let mut probabilities = [[0.0; 11]; 2];
        let p = if counted == 0 {
            0.0
        } else {
            count as f64 / counted as f64
        };
        let table = category_table();
        let total = for_each_term(counted, p, |k, q| {
            let [second, last] = table.get(k as usize).map_or_else(
                || DigitKind::BOTH.map(|kind| kind.category(k)),
                |c| c.map(usize::from),
            );
            probabilities[0][second] += q;
            probabilities[1][last] += q;
        });
        let mut cuts = [[0u64; 10]; 2];
        let mut certain = [None; 2];
        for (t, kind) in DigitKind::BOTH.iter().enumerate() {
            probabilities[t].iter_mut().for_each(|q| *q /= total);
            tallies[t].observed[kind.category(count)] += 1;
            for (sum, q) in tallies[t].expected.iter_mut().zip(&probabilities[t]) {
                *sum += q;
            }
            certain[t] = probabilities[t].iter().position(|&q| q > 1.0 - 1e-12);
            cuts[t] = thresholds(&probabilities[t]);
        }
        match certain {
            [Some(a), Some(b)] => {
                fixed[0][a] += 1;
                fixed[1][b] += 1;
            }
            _ => {
                let [second, last] = &mut tallies;
                for (s, l) in second.simulated.iter_mut().zip(last.simulated.iter_mut()) {
                    let bits = rng.next_u64();
                    s[category(&cuts[0], bits & 0xFFFF_FFFF)] += 1;
                    l[category(&cuts[1], bits >> 32)] += 1;
                }
            }
        }
    }
    for (tally, fixed) in tallies.iter_mut().zip(fixed) {
        for sim in &mut tally.simulated {
            for d in 0..11 {
                sim[d] += fixed[d];
            }
        }
    }
    tallies
}

/// The generator seed of one (region, option).
fn region_seed(seed: u64, region: usize, option: usize) -> u64 {
    seed ^ ((region as u64) << 32 | option as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Runs both digit tests on the leader's counts and on each other option's counts, for the
/// whole election and for each entry of [`Election::regions`] at once (each region's list is
/// empty when it has no station). `reps` simulated redraws from `seed`.
pub fn digit_tests_by_region(
    election: &Election,
    reps: usize,
    seed: u64,
) -> Result<(Vec<OptionDigitTests>, Vec<Vec<OptionDigitTests>>), ForensicsError> {
    if reps < 2 {
        return Err(ForensicsError::InvalidParameter {
            name: "digit reps",
            reason: format!("{reps} simulated redraws; at least 2 are needed"),
        });
    }
    let regions = election.regions.len().max(1);
    let options: Vec<&String> = std::iter::once(&election.leader)
        .chain(&election.other_options)
        .collect();
    let mut by_region: Vec<Vec<usize>> = vec![Vec::new(); regions];
    for (index, station) in election.stations.iter().enumerate() {
        by_region[(station.region as usize).min(regions - 1)].push(index);
    }
    let jobs: Vec<(usize, usize)> = (0..regions)
        .filter(|&r| !by_region[r].is_empty())
        .flat_map(|r| (0..options.len()).map(move |o| (r, o)))
        .collect();
    let tallies: Vec<[Tally; 2]> = jobs
        .par_iter()
        .map(|&(region, option)| {
            let counts: Vec<(u64, u64)> = by_region[region]
                .iter()
                .map(|&i| {
                    let s = &election.stations[i];
                    let count = match option {
                        0 => s.leader,
                        o => s.others.get(o - 1).copied().unwrap_or(0),
                    };
                    (count, s.counted)
                })
                .collect();
            tally_region(&counts, reps, region_seed(seed, region, option))
        })
        .collect();
    let results = |tallies: &[Tally; 2], option: usize| {
        let name = options[option];
        (
            name.clone(),
            tallies[0].test(name, DigitKind::Second),
            tallies[1].test(name, DigitKind::Last),
        )
    };
    let mut national = vec![[Tally::new(reps), Tally::new(reps)]; options.len()];
    let mut regional: Vec<Vec<OptionDigitTests>> = vec![Vec::new(); regions];
    for (&(region, option), tally) in jobs.iter().zip(&tallies) {
        national[option][0].add(&tally[0]);
        national[option][1].add(&tally[1]);
        regional[region].push(results(tally, option));
    }
    let national = national
        .iter()
        .enumerate()
        .map(|(option, tallies)| results(tallies, option))
        .collect();
    Ok((national, regional))
}

/// [`digit_tests_by_region`] for the whole election only.
pub fn digit_tests(
    election: &Election,
    reps: usize,
    seed: u64,
) -> Result<Vec<OptionDigitTests>, ForensicsError> {
    Ok(digit_tests_by_region(election, reps, seed)?.0)
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
        let second = |c| DigitKind::Second.category(c);
        assert_eq!(
            [
                second(9),
                second(10),
                second(47),
                second(4_719),
                second(100_000)
            ],
            [10, 0, 7, 7, 0]
        );
        let last = |c| DigitKind::Last.category(c);
        assert_eq!([last(99), last(100), last(4_719)], [10, 0, 9]);
        let table = category_table();
        for k in [0u64, 9, 10, 99, 100, 4_719, 65_535] {
            let tabled = table[k as usize].map(usize::from);
            assert_eq!(tabled, [second(k), last(k)], "{k}");
        }
    }

    #[test]
    fn categorical_draws_follow_the_thresholds() {
        let mut p = [0.0; 11];
        p[3] = 0.25;
        p[10] = 0.75;
        let cuts = thresholds(&p);
        assert_eq!(category(&cuts, 0), 3);
        assert_eq!(category(&cuts, (1 << 30) - 1), 3);
        assert_eq!(category(&cuts, 1 << 30), 10);
        assert_eq!(category(&cuts, u64::from(u32::MAX)), 10);
    }

    fn election(counts: &[(u64, u64)]) -> Election {
        Election {
            regions: vec!["r".into()],
            leader: "a".into(),
            other_options: vec![],
            stations: counts
                .iter()
                .map(|&(leader, counted)| crate::Station {
                    region: 0,
                    registered: counted * 2,
                    took_part: counted,
                    counted,
                    leader,
                    others: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn the_null_expects_what_resampling_gives() -> Result<(), ForensicsError> {
        // Counts of exactly 100 out of 100: every redraw is 100 again.
        let tests = digit_tests(&election(&[(100, 100); 150]), 50, 1)?;
        let last = tests[0].2.as_ref().ok_or(ForensicsError::NoStations)?;
        assert!((last.expected[0] - 1.0).abs() < 1e-9 && !last.alarm);
        assert_eq!(last.p_value, 1.0);
        // Too few counts reach the thresholds.
        let tests = digit_tests(&election(&[(50, 200); 99]), 50, 1)?;
        assert!(tests[0].1.is_none() && tests[0].2.is_none());
        assert!(matches!(
            digit_tests(&election(&[(50, 200)]), 1, 1),
            Err(ForensicsError::InvalidParameter {
                name: "digit reps",
                ..
            })
        ));
        Ok(())
    }

    #[test]
    fn regions_add_up_to_the_whole_election() -> Result<(), ForensicsError> {
        let election = simulate(&Simulation {
            regions: 3,
            ..Simulation::clean(3_000, 4)
        })?;
        let (national, regions) = digit_tests_by_region(&election, 20, 9)?;
        assert_eq!(regions.len(), 3);
        let leader = |tests: &[OptionDigitTests]| tests[0].2.clone();
        let national = leader(&national).ok_or(ForensicsError::NoStations)?;
        let used: usize = regions
            .iter()
            .filter_map(|r| leader(r))
            .map(|t| t.counts_used)
            .sum();
        assert_eq!(used, national.counts_used);
        Ok(())
    }

    #[test]
    fn invented_round_counts_fail_the_last_digit_test() -> Result<(), ForensicsError> {
        let election = simulate(&Simulation {
            invented_counts: 0.1,
            ..Simulation::clean(5_000, 9)
        })?;
        let tests = digit_tests(&election, DIGIT_REPS, 1)?;
        let leader_last = tests[0].2.as_ref().ok_or(ForensicsError::NoStations)?;
        assert!(leader_last.alarm, "p = {}", leader_last.p_value);
        assert!(leader_last.observed[0] > leader_last.observed[1] * 2);
        assert!(leader_last.effect_size > 0.1, "{}", leader_last.effect_size);
        Ok(())
    }
}
