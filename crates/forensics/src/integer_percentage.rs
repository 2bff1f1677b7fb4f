//! The integer-percentage test of Kobak, Shpilkin & Pshenichnikov (Annals of Applied
//! Statistics 10(1), 2016): are there more stations whose turnout or leader's share is a
//! whole percentage than chance allows?
//!
//! Inclusion rule and Monte Carlo follow `shared/reference/integer_peaks.py`: keep stations
//! with ballots counted > 0, registered >= 100, turnout <= 99 % and leader's share <= 99 %; a
//! station is "integer" when either percentage lies within 0.05 of a whole number; the expected
//! count comes from resampling every station's turnout and leader's votes binomially.
//!
//! One shortcut, exact in distribution: the simulated count is a sum over stations of the
//! indicator "the resampled turnout or share is integer". The two binomial draws of a station
//! are independent, so that indicator is a Bernoulli variable whose probability `q` we compute
//! exactly by summing the binomial probabilities of the integer outcomes (with the same
//! floating-point rule as the reference). Each repetition then draws one Bernoulli per
//! station instead of two binomials, which is what makes 1,000 repetitions on 95,000 stations
//! take a fraction of a second. Repetition `r` uses its own generator seeded from
//! `(seed, r)`, so results do not depend on the number of threads.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use crate::binomial::for_each_term;
use crate::{Election, ForensicsError, Station};

/// Stations with fewer registered voters are left out (as in the reference).
pub const MIN_REGISTERED: u64 = 100;
/// Fewer kept stations than this and the test reports "insufficient data": with only a handful
/// of stations the count of integer stations is too small for a meaningful excess.
pub const MIN_KEPT: usize = 200;

/// The figures of one run of the integer-percentage test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegerPercentageTest {
    /// Stations in the input.
    pub stations: usize,
    /// Stations kept by the inclusion rule.
    pub kept: usize,
    /// Kept stations with an integer turnout or leader's share.
    pub observed_integer: u64,
    /// Mean of the simulated counts.
    pub simulated_mean: f64,
    /// Standard deviation of the simulated counts (population formula, as NumPy's `std`).
    pub simulated_sd: f64,
    /// 99.9th percentile of the simulated counts (linear interpolation, as NumPy).
    pub simulated_p99_9: f64,
    /// The exact expectation of the simulated count (sum of the stations' probabilities).
    pub expected_exact: f64,
    /// Observed count minus the simulated mean.
    pub excess: f64,
    /// Monte Carlo p-value of an excess at least this large: (1 + #{sim >= observed}) / (reps + 1).
    pub p_value: f64,
    /// Monte Carlo repetitions.
    pub reps: usize,
    /// Seed of the Monte Carlo.
    pub seed: u64,
    /// The simulated counts, sorted (for the figure; not in the JSON).
    #[serde(skip)]
    pub simulated: Vec<f64>,
}

/// Whether a percentage lies within 0.05 of a whole number. Distance to the nearest integer
/// does not depend on how halves are rounded, so this agrees with NumPy's `round` bit for bit.
fn near_integer(percent: f64) -> bool {
    (percent - percent.round()).abs() <= 0.05
}

/// The reference's inclusion rule.
fn included(station: &Station) -> bool {
    let registered = station.registered as f64;
    let counted = station.counted as f64;
    station.counted > 0
        && station.registered >= MIN_REGISTERED
        && station.took_part as f64 <= 0.99 * registered.max(1.0)
        && station.leader as f64 <= 0.99 * counted.max(1.0)
}

/// Whether a station's observed turnout or leader's share is integer, computed as the
/// reference does (`100 * votes / total`, in that order).
fn is_integer_station(station: &Station) -> bool {
    near_integer(100.0 * station.leader as f64 / station.counted as f64)
        || near_integer(100.0 * station.took_part as f64 / station.registered as f64)
}

/// Whether `100 k / n` is an integer percentage, from the remainder `r = 100 k mod n`, with
/// integer arithmetic: the fractional part is `r / n`, integer when it is <= 0.05 or >= 0.95.
/// Only at exactly 0.05 or 0.95 does floating point decide, so we then ask [`near_integer`]
/// with the reference's own expression.
fn remainder_is_integer(k: u64, remainder: u64, n: u64) -> bool {
    let twenty_r = 20 * remainder;
    if twenty_r == n || twenty_r == 19 * n {
        near_integer(100.0 * k as f64 / n as f64)
    } else {
        // `|` rather than `||`: both sides are cheap and the branch would be unpredictable.
        (twenty_r < n) | (twenty_r > 19 * n)
    }
}

/// Probability that `k ~ Binomial(n, p)` gives an integer percentage `100 k / n` (n > 0): the
/// sum of the binomial terms, walked out from the mode by [`for_each_term`], whose outcomes
/// are integer.
fn integer_probability(n: u64, p: f64) -> f64 {
    // The walk visits the mode, then k + 1, k + 2, …, then mode − 1, mode − 2, …: between
    // neighbours the remainder `100 k mod n` moves by `100 mod n`, so it is computed afresh
    // only when the walk turns.
    let step = 100 % n;
    let mut last: Option<(u64, u64)> = None;
    let mut total = 0.0;
    for_each_term(n, p, |k, probability| {
        let remainder = match last {
            Some((previous, r)) if k == previous + 1 => {
                let r = r + step;
                r - n * u64::from(r >= n)
            }
            Some((previous, r)) if k + 1 == previous => r + n * u64::from(r < step) - step,
            _ => (100 * k) % n,
        };
        last = Some((k, remainder));
        if remainder_is_integer(k, remainder, n) {
            total += probability;
        }
    });
    total.min(1.0)
}

/// Probability that a kept station is integer after binomial resampling of its turnout and its
/// leader's votes (the two draws are independent).
fn station_probability(station: &Station) -> f64 {
    let share = integer_probability(
        station.counted,
        station.leader as f64 / station.counted as f64,
    );
    let turnout = integer_probability(
        station.registered,
        station.took_part as f64 / station.registered as f64,
    );
    1.0 - (1.0 - share) * (1.0 - turnout)
}

/// The threshold under which a uniform 32-bit draw falls with probability `q` (to 2^-32):
/// each 64-bit output of the generator serves two stations. It lies in `0..=2^32`, so
/// `q = 1` always passes.
fn threshold(q: f64) -> u64 {
    (q.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64
}

/// One Monte Carlo repetition: how many stations come out integer.
fn repetition(thresholds: &[u64], rng: &mut Xoshiro256PlusPlus) -> u64 {
    let mut pairs = thresholds.chunks_exact(2);
    let mut count = 0;
    for pair in pairs.by_ref() {
        let bits = rng.next_u64();
        count += u64::from((bits & 0xFFFF_FFFF) < pair[0]) + u64::from((bits >> 32) < pair[1]);
    }
    if let [last] = pairs.remainder() {
        count += u64::from((rng.next_u64() >> 32) < *last);
    }
    count
}

/// A generator for repetition `rep`, independent of the others and of the thread running it.
fn repetition_rng(seed: u64, rep: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed ^ rep.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

/// NumPy's default (linear) percentile of sorted values.
fn percentile(sorted: &[f64], percent: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = percent / 100.0 * (sorted.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = (lower + 1).min(sorted.len() - 1);
    let fraction = rank - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// Runs the integer-percentage test with `reps` Monte Carlo repetitions from `seed`.
///
/// Returns `Ok(None)` ("insufficient data") when fewer than [`MIN_KEPT`] stations pass the
/// inclusion rule.
pub fn integer_percentage_test(
    election: &Election,
    reps: usize,
    seed: u64,
) -> Result<Option<IntegerPercentageTest>, ForensicsError> {
    Ok(integer_percentage_by_region(election, reps, seed)?.0)
}

/// The test's figures from the observed count and the simulated counts.
fn summarise(
    stations: usize,
    kept: &[&Station],
    probabilities: &[f64],
    mut sims: Vec<f64>,
    seed: u64,
) -> Option<IntegerPercentageTest> {
    if kept.len() < MIN_KEPT {
        return None;
    }
    let observed = kept.iter().filter(|s| is_integer_station(s)).count() as u64;
    let reps = sims.len();
    let n = reps as f64;
    let mean = sims.iter().sum::<f64>() / n;
    let sd = (sims.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
    let at_least = sims.iter().filter(|&&x| x >= observed as f64).count();
    sims.sort_by(f64::total_cmp);
    Some(IntegerPercentageTest {
        stations,
        kept: kept.len(),
        observed_integer: observed,
        simulated_mean: mean,
        simulated_sd: sd,
        simulated_p99_9: percentile(&sims, 99.9),
        expected_exact: probabilities.iter().sum(),
        excess: observed as f64 - mean,
        p_value: (1 + at_least) as f64 / (reps + 1) as f64,
        reps,
        seed,
        simulated: sims,
    })
}

/// Runs the test on the whole election and on each of its regions at once: the kept stations
/// are ordered by region, every repetition draws each station once, and that draw counts for
/// its region and for the whole election. Returns the whole election's result and one per
/// entry of [`Election::regions`] (`None` where a region has too few stations). The whole
/// election's figures are the same whether or not the regions' are used.
pub fn integer_percentage_by_region(
    election: &Election,
    reps: usize,
    seed: u64,
) -> Result<
    (
        Option<IntegerPercentageTest>,
        Vec<Option<IntegerPercentageTest>>,
    ),
    ForensicsError,
> {
    if reps < 2 {
        return Err(ForensicsError::InvalidParameter {
            name: "reps",
            reason: format!("{reps} Monte Carlo repetitions; at least 2 are needed"),
        });
    }
    let regions = election.regions.len().max(1);
    let region_of = |s: &Station| (s.region as usize).min(regions - 1);
    let mut kept: Vec<&Station> = election.stations.iter().filter(|s| included(s)).collect();
    // A stable sort keeps the file's order within each region.
    kept.sort_by_key(|s| region_of(s));
    let mut bounds = vec![0usize; regions + 1];
    for station in &kept {
        bounds[region_of(station) + 1] += 1;
    }
    for r in 0..regions {
        bounds[r + 1] += bounds[r];
    }
    let probabilities: Vec<f64> = kept.par_iter().map(|s| station_probability(s)).collect();
    let thresholds: Vec<u64> = probabilities.iter().map(|&q| threshold(q)).collect();
    // counts[rep][region]
    let counts: Vec<Vec<u64>> = (0..reps as u64)
        .into_par_iter()
        .map(|rep| {
            let mut rng = repetition_rng(seed, rep);
            (0..regions)
                .map(|r| repetition(&thresholds[bounds[r]..bounds[r + 1]], &mut rng))
                .collect()
        })
        .collect();
    let national_sims: Vec<f64> = counts
        .iter()
        .map(|c| c.iter().sum::<u64>() as f64)
        .collect();
    let national = summarise(
        election.stations.len(),
        &kept,
        &probabilities,
        national_sims,
        seed,
    );
    let mut stations_per_region = vec![0usize; regions];
    for station in &election.stations {
        stations_per_region[region_of(station)] += 1;
    }
    let by_region = (0..regions)
        .map(|r| {
            let range = bounds[r]..bounds[r + 1];
            let sims = counts.iter().map(|c| c[r] as f64).collect();
            summarise(
                stations_per_region[r],
                &kept[range.clone()],
                &probabilities[range],
                sims,
                seed,
            )
        })
        .collect();
    Ok((national, by_region))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Binomial, Distribution};

    #[test]
    fn integer_probability_matches_binomial_draws() -> Result<(), Box<dyn std::error::Error>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for &(n, p) in &[
            (137_u64, 0.41),
            (1000, 0.5),
            (2383, 0.664),
            (400, 0.02),
            (150, 0.97),
        ] {
            let q = integer_probability(n, p);
            let binomial = Binomial::new(n, p)?;
            let draws = 40_000;
            let hits = (0..draws)
                .filter(|_| near_integer(100.0 * binomial.sample(&mut rng) as f64 / n as f64))
                .count() as f64;
            let sd = (q * (1.0 - q) / draws as f64).sqrt();
            assert!(
                (hits / draws as f64 - q).abs() < 5.0 * sd + 1e-9,
                "n={n} p={p}: q={q}, frequency {}",
                hits / draws as f64
            );
        }
        Ok(())
    }

    #[test]
    fn remainder_rule_agrees_with_the_floating_point_rule() {
        for n in 1..=700_u64 {
            for k in 0..=n {
                assert_eq!(
                    remainder_is_integer(k, (100 * k) % n, n),
                    near_integer(100.0 * k as f64 / n as f64),
                    "k={k} n={n}"
                );
            }
        }
    }

    #[test]
    fn degenerate_probabilities() {
        assert_eq!(integer_probability(200, 0.0), 1.0);
        assert_eq!(integer_probability(333, 1.0), 1.0);
        // Every count out of 100 is a whole percentage.
        assert!((integer_probability(100, 0.37) - 1.0).abs() < 1e-12);
        // Out of 200, exactly the even counts are.
        assert!((integer_probability(200, 0.5) - 0.5).abs() < 1e-3);
    }

    #[test]
    fn repetitions_count_bernoulli_draws() {
        let mut rng = repetition_rng(1, 0);
        // Certain and impossible stations, an odd number of them.
        let thresholds = [threshold(1.0), threshold(0.0), threshold(1.0)];
        assert_eq!(repetition(&thresholds, &mut rng), 2);
        let half = vec![threshold(0.5); 10_001];
        let count = repetition(&half, &mut rng) as f64;
        assert!((count - 5000.5).abs() < 5.0 * 50.0, "{count}");
    }

    #[test]
    fn regions_add_up_to_the_whole_election() -> Result<(), ForensicsError> {
        let spec = crate::Simulation {
            regions: 4,
            ..crate::Simulation::clean(4000, 2)
        };
        let election = crate::simulate(&spec)?;
        let (national, regions) = integer_percentage_by_region(&election, 100, 5)?;
        let national = national.ok_or(ForensicsError::NoStations)?;
        let regions: Vec<IntegerPercentageTest> = regions.into_iter().flatten().collect();
        assert_eq!(regions.len(), 4);
        let sum = |f: fn(&IntegerPercentageTest) -> f64| regions.iter().map(f).sum::<f64>();
        assert_eq!(sum(|t| t.kept as f64), national.kept as f64);
        assert_eq!(
            sum(|t| t.observed_integer as f64),
            national.observed_integer as f64
        );
        assert!((sum(|t| t.simulated_mean) - national.simulated_mean).abs() < 1e-6);
        assert!((sum(|t| t.expected_exact) - national.expected_exact).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn percentile_is_numpy_linear() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&sorted, 50.0), 2.5);
        assert_eq!(percentile(&sorted, 100.0), 4.0);
        assert!((percentile(&sorted, 99.9) - 3.997).abs() < 1e-12);
    }

    #[test]
    fn inclusion_rule_is_the_reference_rule() {
        let station = Station::for_test;
        assert!(included(&station(100, 99, 99, 98)));
        assert!(!included(&station(99, 50, 50, 10)), "registered < 100");
        assert!(!included(&station(1000, 991, 991, 10)), "turnout > 99 %");
        assert!(!included(&station(1000, 500, 500, 496)), "share > 99 %");
        assert!(!included(&station(1000, 0, 0, 0)), "nothing counted");
    }

    #[test]
    fn too_few_reps_is_an_error() {
        let election = Election {
            regions: vec!["r".into()],
            leader: "a".into(),
            other_options: vec![],
            stations: vec![],
        };
        assert!(matches!(
            integer_percentage_test(&election, 1, 0),
            Err(ForensicsError::InvalidParameter { name: "reps", .. })
        ));
    }
}
