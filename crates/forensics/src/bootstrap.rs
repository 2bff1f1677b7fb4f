//! Helpers shared by the tests that give their estimates a bootstrap interval.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use serde::Serialize;

/// A percentile bootstrap interval and standard error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    /// 2.5th percentile of the bootstrap replicates.
    pub low: f64,
    /// 97.5th percentile of the bootstrap replicates.
    pub high: f64,
    /// Standard deviation of the replicates (the bootstrap standard error).
    pub standard_error: f64,
    /// Number of bootstrap replicates.
    pub replicates: usize,
}

impl Interval {
    /// The interval of a set of replicates (sorted in place).
    pub(crate) fn from_replicates(replicates: &mut [f64]) -> Interval {
        replicates.sort_by(f64::total_cmp);
        let n = replicates.len();
        let mean = replicates.iter().sum::<f64>() / n.max(1) as f64;
        let variance =
            replicates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
        let at = |q: f64| {
            if n == 0 {
                f64::NAN
            } else {
                replicates[((q * (n - 1) as f64).round() as usize).min(n - 1)]
            }
        };
        Interval {
            low: at(0.025),
            high: at(0.975),
            standard_error: variance.sqrt(),
            replicates: n,
        }
    }
}

/// The generator of bootstrap replicate `replicate` of a test seeded with `seed`: each replicate
/// has its own stream, so results do not depend on the number of threads.
pub(crate) fn replicate_rng(seed: u64, replicate: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed.rotate_left(17)
            ^ replicate
                .wrapping_add(1)
                .wrapping_mul(0xD1B5_4A32_D192_ED03),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_known_replicates() {
        let mut replicates: Vec<f64> = (0..=1000).rev().map(f64::from).collect();
        let interval = Interval::from_replicates(&mut replicates);
        assert_eq!(interval.low, 25.0);
        assert_eq!(interval.high, 975.0);
        assert_eq!(interval.replicates, 1001);
    }
}
