//! Tests that the mean of a nonnegative population is at most `t`, sequentially: ALPHA (Stark
//! 2023), SHANGRLA's supermartingale, and the Kaplan–Markov and Kaplan–Wald martingales.
//!
//! ALPHA: with `S_j = x_1 + … + x_{j−1}` and, for a population of `N` sampled without
//! replacement, `μ_j = (N t − S_j)/(N − j + 1)` (`μ_j = t` for sampling with replacement),
//!
//! ```text
//! T_j = Π_{i ≤ j} ( x_i η_i/μ_i + (u − x_i)(u − η_i)/(u − μ_i) ) / u
//! ```
//!
//! where `η_i ∈ (μ_i, u]` is predictable (depends on `x_1 … x_{i−1}` only). `T` is a
//! nonnegative supermartingale with mean at most 1 when the true mean is `≤ t`, so
//! `min(1, 1/max_j T_j)` is a p-value. `μ_j < 0` means the null is impossible (`T = ∞`).

use serde::{Deserialize, Serialize};

use crate::assorter::Assorter;
use crate::contest::Contest;
use crate::error::AuditError;

/// How ALPHA picks its alternative `η_j`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "estimator")]
pub enum Estimator {
    /// A fixed alternative mean.
    Fixed {
        /// `η`.
        eta: f64,
    },
    /// SHANGRLA's truncated shrinkage estimator (with `f = 0`):
    /// `η_j = min(max((d η₀ + S_j)/(d + j − 1), μ_j + c/√(d + j − 1)), u (1 − ε))`.
    ShrinkTrunc {
        /// Prior guess `η₀` (the reported assorter mean).
        eta0: f64,
        /// Weight of the prior, in ballots.
        d: f64,
        /// Scale of the lower truncation.
        c: f64,
        /// Keeps `η` below `u`.
        eps: f64,
    },
}

impl Estimator {
    /// SHANGRLA's defaults around the reported mean `eta0` for null mean `t`: `d = 100`,
    /// `c = (η₀ − t)/2`, `ε = 10⁻⁵`.
    pub fn shrink_trunc(eta0: f64, t: f64) -> Self {
        Self::ShrinkTrunc {
            eta0,
            d: 100.0,
            c: ((eta0 - t) / 2.0).max(0.0),
            eps: 1e-5,
        }
    }

    fn eta(&self, j: usize, sum: f64, mu: f64, u: f64) -> f64 {
        match *self {
            Self::Fixed { eta } => eta,
            Self::ShrinkTrunc { eta0, d, c, eps } => {
                let weight = d + j as f64 - 1.0;
                ((d * eta0 + sum) / weight)
                    .max(mu + c / weight.sqrt())
                    .min(u * (1.0 - eps))
            }
        }
    }
}

/// ALPHA's `T_1 … T_n` for values `x` in `[0, u]`, null mean `t`, population `N` (`None`: with
/// replacement).
pub fn alpha_mart(
    x: &[f64],
    t: f64,
    u: f64,
    population: Option<u64>,
    estimator: &Estimator,
) -> Vec<f64> {
    let mut history = Vec::with_capacity(x.len());
    let mut sum = 0.0;
    let mut statistic: f64 = 1.0;
    for (index, &value) in x.iter().enumerate() {
        let j = index + 1;
        let mu = match population {
            Some(n) if (j as u64) <= n => (n as f64 * t - sum) / (n as f64 - j as f64 + 1.0),
            Some(_) => f64::NEG_INFINITY,
            None => t,
        };
        if mu <= 0.0 {
            statistic = f64::INFINITY;
        } else if mu >= u {
            statistic = 0.0;
        } else if statistic.is_finite() {
            let eta = estimator.eta(j, sum, mu, u);
            statistic *= (value * eta / mu + (u - value) * (u - eta) / (u - mu)) / u;
        }
        sum += value;
        history.push(statistic);
    }
    history
}

/// `min(1, 1/max_j T_j)` of a test-statistic history (1 for an empty one).
pub fn p_value(history: &[f64]) -> f64 {
    let max = history.iter().copied().fold(1.0_f64, f64::max);
    (1.0 / max).min(1.0)
}

/// The Kaplan–Markov p-value: `Π (t + g)/(x_i + g)`; its smallest running value when the order
/// is random (`random_order`), else its last.
pub fn kaplan_markov(x: &[f64], t: f64, g: f64, random_order: bool) -> f64 {
    let mut p: f64 = 1.0;
    let mut least: f64 = 1.0;
    for &value in x {
        p *= (t + g) / (value + g);
        least = least.min(p);
    }
    if random_order {
        least.min(1.0)
    } else {
        p.min(1.0)
    }
}

/// The Kaplan–Wald p-value: `1/T` with `T = Π ((1 − g) x_i/t + g)`; the largest running `T`
/// when the order is random, else the last.
pub fn kaplan_wald(x: &[f64], t: f64, g: f64, random_order: bool) -> f64 {
    let mut statistic: f64 = 1.0;
    let mut most: f64 = 1.0;
    for &value in x {
        statistic *= (1.0 - g) * value / t + g;
        most = most.max(statistic);
    }
    if random_order {
        (1.0 / most).min(1.0)
    } else {
        (1.0 / statistic).min(1.0)
    }
}

/// The sample size at which ALPHA first reaches `risk_limit` when the sample's values repeat
/// `x` cyclically (SHANGRLA's `sample_size` without replications); `None` if not by `N`
/// (or 10⁷ with replacement).
pub fn sample_size(
    x: &[f64],
    t: f64,
    u: f64,
    population: Option<u64>,
    estimator: &Estimator,
    risk_limit: f64,
) -> Option<u64> {
    if x.is_empty() {
        return None;
    }
    let limit = population.unwrap_or(10_000_000) as usize;
    let values: Vec<f64> = x.iter().copied().cycle().take(limit).collect();
    let history = alpha_mart(&values, t, u, population, estimator);
    history
        .iter()
        .position(|&s| s >= 1.0 / risk_limit)
        .map(|i| i as u64 + 1)
}

/// The ALPHA risk of a ballot-polling `sample` (each ballot's marks) for `contest`: the largest
/// p-value over its assorters, each tested with the shrink–truncate estimator around its
/// reported mean. `population` is the number of ballots sampled without replacement, or
/// `None` for sampling with replacement.
pub fn polling_risk(
    contest: &Contest,
    sample: &[Vec<usize>],
    population: Option<u64>,
) -> Result<f64, AuditError> {
    let mut worst: f64 = 0.0;
    for assorter in Assorter::of(contest)? {
        let x: Vec<f64> = sample.iter().map(|m| assorter.ballot(m)).collect();
        let estimator = Estimator::shrink_trunc(assorter.reported_mean(contest), 0.5);
        let history = alpha_mart(&x, 0.5, assorter.upper(), population, &estimator);
        worst = worst.max(p_value(&history));
    }
    Ok(worst)
}
