//! The fraud model of Klimek, Yegorov, Hanel & Thurner (PNAS 2012) and its fit to the
//! fingerprint: which fractions of stations, `fi` (incremental fraud) and `fe` (extreme
//! fraud), turn a clean election into the observed one?
//!
//! Clean station `i` with `N_i` registered voters: turnout `a ~ N(a0, sa)` and leader's share
//! `v ~ N(v0, sv)`, both truncated to (0, 1); `round(N a)` voters, `round(N a v)` of them for the
//! leader. With probability `fi` incremental fraud: a fraction `x ~ |N(0, theta)|` (below 1) of
//! the non-voters is added to the leader and a fraction `x^alpha` of the other votes is moved
//! to the leader. With probability `fe` extreme fraud: the same with `x = 1 - |N(0, 0.075)|`.
//! `a0`, `v0` are the peaks of the turnout and share distributions, `sa`, `sv` the spreads on
//! their left (clean) sides, as in Klimek's own fitting code.
//!
//! The fit: the expected fingerprint of the model is linear in the fractions,
//! `(1 - fi - fe) C + fi I + fe E`, where `C`, `I`, `E` are the expected fingerprints with every
//! station clean, incrementally and extremely falsified. We compute `C`, `I` and `E` by
//! quadrature over `(a, v, x)` rather than by simulating stations: a simulated `C` carries
//! sampling noise that also sits in `I - C`, and least squares then mistakes that noise for
//! fraud (on clean simulated elections it "found" `fi` near 0.4). Quadrature ignores the
//! rounding to whole ballots, which moves a station by less than one bin for 100 or more
//! voters. For each `(alpha, theta)` on a small grid we solve the constrained least squares in
//! `(fi, fe)` exactly and keep the best. The uncertainty is a percentile (Poisson) bootstrap over stations
//! at the best `(alpha, theta)`; it does not include the uncertainty of the clean parameters.

use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;
use serde::Serialize;
use statrs::function::erf::erf;

use crate::Election;
use crate::bootstrap::{Interval, replicate_rng};
use crate::fingerprint::{FINGERPRINT_BINS, cell, station_point};

/// Fewest stations the fit runs on: below it the 10,000-cell fingerprint is mostly empty.
pub const MIN_STATIONS: usize = 500;
/// Values of `alpha` tried.
pub const ALPHAS: [f64; 3] = [0.5, 1.0, 2.0];
/// Values of `theta` tried.
pub const THETAS: [f64; 4] = [0.05, 0.1, 0.2, 0.4];
/// An alarm needs the interval of `fi` above this. On clean simulated elections the fit gave
/// `fi` up to 0.25 (the clean model is only an approximation of a real clean election), so a
/// smaller `fi` is not evidence of anything.
pub const FI_ALARM: f64 = 0.3;
/// ... or the interval of `fe` above this (0.1 % of stations stuffed to nearly 100 %); on clean
/// simulated elections `fe` stayed below 0.0003.
pub const FE_ALARM: f64 = 0.001;

/// How the model is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSettings {
    /// Values of `alpha` tried.
    pub alphas: Vec<f64>,
    /// Values of `theta` tried.
    pub thetas: Vec<f64>,
    /// Quadrature points per axis (turnout, share) in (0, 1).
    pub axis_points: usize,
    /// Quadrature points of the fraud size.
    pub fraud_points: usize,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl FitSettings {
    /// The full grid of [`ALPHAS`] × [`THETAS`] with fine quadrature (200 × 200 × 32 points).
    pub fn full(replicates: usize, seed: u64) -> FitSettings {
        FitSettings {
            alphas: ALPHAS.to_vec(),
            thetas: THETAS.to_vec(),
            axis_points: 200,
            fraud_points: 32,
            replicates,
            seed,
        }
    }

    /// One `(alpha, theta)` (e.g. the national fit's, for a region) with coarser quadrature
    /// (64 × 64 × 12 points), so a hundred regions cost about as much as one national fit.
    pub fn at(alpha: f64, theta: f64, replicates: usize, seed: u64) -> FitSettings {
        FitSettings {
            alphas: vec![alpha],
            thetas: vec![theta],
            axis_points: 64,
            fraud_points: 12,
            replicates,
            seed,
        }
    }
}
/// Spread of `1 - x` under extreme fraud (Klimek et al.).
const EXTREME_SPREAD: f64 = 0.075;

/// The clean part of the model, estimated from the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CleanParameters {
    /// Peak turnout (fraction).
    pub turnout_peak: f64,
    /// Spread of turnout left of the peak.
    pub turnout_spread: f64,
    /// Peak leader's share (fraction).
    pub share_peak: f64,
    /// Spread of the share left of the peak.
    pub share_spread: f64,
}

/// The fitted fraud model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FraudModelFit {
    /// Stations fitted.
    pub stations: usize,
    /// The clean part of the model.
    pub clean: CleanParameters,
    /// Best `alpha` (how strongly other votes are moved as well as non-voters' ballots added).
    pub alpha: f64,
    /// Best `theta` (typical size of incremental fraud).
    pub theta: f64,
    /// Fraction of stations with incremental fraud.
    pub fi: f64,
    /// Its 95 % bootstrap interval.
    pub fi_interval: Interval,
    /// Fraction of stations with extreme fraud.
    pub fe: f64,
    /// Its 95 % bootstrap interval.
    pub fe_interval: Interval,
    /// Sum of squared differences between the observed and fitted fingerprints, over the same
    /// for the fair model (`fi = fe = 0`): 1 means fraud explains nothing.
    pub residual_ratio: f64,
    /// Whether the interval of `fi` lies above [`FI_ALARM`] or that of `fe` above [`FE_ALARM`].
    pub alarm: bool,
    /// The fitted fingerprint (same layout as [`crate::Fingerprint::counts`]).
    #[serde(skip)]
    pub fitted: Vec<f64>,
    /// The fingerprint of the same model without fraud.
    #[serde(skip)]
    pub fair: Vec<f64>,
}

const CELLS: usize = FINGERPRINT_BINS * FINGERPRINT_BINS;

/// Peak and spread of the clean (left) side of a distribution of fractions.
///
/// The peak bin of the 1-point histogram (smoothed over 5 bins, searched below 95 %) locates the
/// clean bulk; a Gaussian is then fitted to the logarithm of the histogram from where it first
/// exceeds a tenth of the peak, on the left, to one bin past the peak (weighted least squares of
/// a parabola), so the right side, where falsified stations go, plays no part. If that fit
/// fails (too few bins, no curvature) the peak and the root mean square distance below it are
/// used, as in Klimek's own code.
fn left_gaussian(values: impl Iterator<Item = f64> + Clone) -> Option<(f64, f64)> {
    let mut histogram = [0.0; 101];
    for v in values.clone() {
        histogram[((v * 100.0).floor().max(0.0) as usize).min(100)] += 1.0;
    }
    let smoothed = |i: usize| {
        histogram[i.saturating_sub(2)..=(i + 2).min(100)]
            .iter()
            .sum::<f64>()
    };
    let top = (0..95).max_by(|&a, &b| smoothed(a).total_cmp(&smoothed(b)))?;
    let height = histogram[top.saturating_sub(1)..=(top + 1).min(100)]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    let mut first = top;
    while first > 0 && histogram[first - 1] >= 0.1 * height {
        first -= 1;
    }
    let bins: Vec<(f64, f64)> = (first..=(top + 1).min(100))
        .filter(|&i| histogram[i] > 0.0)
        .map(|i| ((i as f64 + 0.5) / 100.0, histogram[i]))
        .collect();
    if let Some(fit) = gaussian_through(&bins) {
        return Some(fit);
    }
    let centre = (top as f64 + 0.5) / 100.0;
    let (sum, n) = values
        .filter(|&v| v < centre)
        .fold((0.0, 0usize), |(sum, n), v| {
            (sum + (v - centre).powi(2), n + 1)
        });
    (n >= 10)
        .then(|| (centre, (sum / n as f64).sqrt()))
        .filter(|(_, sd)| *sd > 0.0)
}

/// Weighted least squares of `ln h = c0 + c1 x + c2 x^2` (weights `h`), read as a Gaussian.
fn gaussian_through(bins: &[(f64, f64)]) -> Option<(f64, f64)> {
    if bins.len() < 4 {
        return None;
    }
    // Normal equations of the 3-parameter fit, centred on the mean x for conditioning.
    let total: f64 = bins.iter().map(|b| b.1).sum();
    let centre = bins.iter().map(|b| b.0 * b.1).sum::<f64>() / total;
    let mut m = [[0.0; 4]; 3];
    for &(x, h) in bins {
        let (u, y) = (x - centre, h.ln());
        let powers = [1.0, u, u * u];
        for r in 0..3 {
            for c in 0..3 {
                m[r][c] += h * powers[r] * powers[c];
            }
            m[r][3] += h * powers[r] * y;
        }
    }
    // Gaussian elimination with partial pivoting on the 3x4 system.
    for col in 0..3 {
        let pivot = (col..3).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        m.swap(col, pivot);
        if m[col][col].abs() < 1e-300 {
            return None;
        }
        for row in 0..3 {
            if row != col {
                let factor = m[row][col] / m[col][col];
                let pivot_row = m[col];
                for (target, source) in m[row].iter_mut().zip(pivot_row).skip(col) {
                    *target -= factor * source;
                }
            }
        }
    }
    let (c1, c2) = (m[1][3] / m[1][1], m[2][3] / m[2][2]);
    if c2 >= 0.0 {
        return None;
    }
    let mean = centre - c1 / (2.0 * c2);
    let sd = (-1.0 / (2.0 * c2)).sqrt();
    (mean > 0.0 && mean < 1.0 && sd > 0.0 && sd < 1.0).then_some((mean, sd))
}

fn estimate_clean(points: &[(f64, f64)]) -> Option<CleanParameters> {
    let (share_peak, share_spread) = left_gaussian(points.iter().map(|p| p.1))?;
    let low_share = points.iter().filter(|p| p.1 < share_peak).map(|p| p.0);
    let (turnout_peak, turnout_spread) = left_gaussian(low_share)?;
    Some(CleanParameters {
        turnout_peak,
        turnout_spread,
        share_peak,
        share_spread,
    })
}

/// What happens at a station in the model.
#[derive(Clone, Copy)]
pub(crate) enum Fraud {
    None,
    Incremental { alpha: f64, theta: f64 },
    Extreme { alpha: f64 },
}

fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

/// Midpoints and probabilities of `points` equal slices of `(low, high)` under `N(mean, sd)`
/// truncated to `(low, high)`.
pub(crate) fn quadrature(
    mean: f64,
    sd: f64,
    low: f64,
    high: f64,
    points: usize,
) -> Vec<(f64, f64)> {
    let width = (high - low) / points as f64;
    let mut nodes: Vec<(f64, f64)> = (0..points)
        .map(|i| {
            let (a, b) = (low + i as f64 * width, low + (i + 1) as f64 * width);
            (
                (a + b) / 2.0,
                normal_cdf((b - mean) / sd) - normal_cdf((a - mean) / sd),
            )
        })
        .collect();
    let total: f64 = nodes.iter().map(|n| n.1).sum();
    if total > 0.0 {
        nodes.iter_mut().for_each(|n| n.1 /= total);
    }
    nodes
}

/// A station of turnout `a` and leader's share `v` after a fraction `x` of its non-voters'
/// ballots is added for the leader and a fraction `moved` (`x^alpha`) of the other votes is
/// moved to the leader: its turnout and share.
pub(crate) fn falsified(a: f64, v: f64, x: f64, moved: f64) -> (f64, f64) {
    let turnout = a + x * (1.0 - a);
    let leader = a * v + x * (1.0 - a) + moved * a * (1.0 - v);
    (turnout, leader / turnout)
}

/// The fraud sizes `(x, weight, x^alpha)` of a kind of fraud, by quadrature.
pub(crate) fn fraud_sizes(fraud: Fraud, points: usize) -> Vec<(f64, f64, f64)> {
    match fraud {
        Fraud::None => vec![(0.0, 1.0, 0.0)],
        Fraud::Incremental { alpha, theta } => quadrature(0.0, theta, 0.0, 1.0, points)
            .into_iter()
            .map(|(x, w)| (x, w, x.powf(alpha)))
            .collect(),
        Fraud::Extreme { alpha } => quadrature(1.0, EXTREME_SPREAD, 0.0, 1.0, points)
            .into_iter()
            .map(|(x, w)| (x, w, x.powf(alpha)))
            .collect(),
    }
}

/// The expected fingerprint of `stations` stations, all under `fraud`.
fn expected_fingerprint(
    stations: usize,
    clean: &CleanParameters,
    fraud: Fraud,
    settings: &FitSettings,
) -> Vec<f64> {
    let turnouts = quadrature(
        clean.turnout_peak,
        clean.turnout_spread,
        0.0,
        1.0,
        settings.axis_points,
    );
    let shares = quadrature(
        clean.share_peak,
        clean.share_spread,
        0.0,
        1.0,
        settings.axis_points,
    );
    let sizes = fraud_sizes(fraud, settings.fraud_points);
    let mut counts = vec![0.0; CELLS];
    for &(a, wa) in &turnouts {
        for &(v, wv) in &shares {
            let w = stations as f64 * wa * wv;
            for &(x, wx, moved) in &sizes {
                let (turnout, share) = falsified(a, v, x, moved);
                counts[cell(turnout, share)] += w * wx;
            }
        }
    }
    counts
}

fn histogram(cells: &[u32]) -> Vec<f64> {
    let mut counts = vec![0.0; CELLS];
    cells.iter().for_each(|&c| counts[c as usize] += 1.0);
    counts
}

/// One Poisson-bootstrap replicate of a fingerprint given by its non-empty cells: every
/// station gets a Poisson(1) weight, so a cell holding `k` stations gets a Poisson(k) count.
/// This is the bootstrap over stations in its Poisson form (asymptotically the same as
/// resampling), at the cost of one draw per non-empty cell instead of one per station.
/// The distributions are set up once (`cells`) and sampled for every replicate.
fn poisson_replicate<'a>(
    cells: &'a [(usize, Poisson<f64>)],
    rng: &'a mut impl rand::Rng,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    cells
        .iter()
        .map(move |(cell, poisson)| (*cell, poisson.sample(&mut *rng)))
}

/// The least-squares problem `observed ≈ (1 - fi - fe) clean + fi incremental + fe extreme`
/// with `fi, fe >= 0` and `fi + fe <= 1`, with everything that does not depend on the observed
/// fingerprint computed once, so that a bootstrap replicate costs one pass over its non-empty
/// cells.
pub(crate) struct Design<'a> {
    clean: &'a [f64],
    /// `incremental - clean` and `extreme - clean`.
    x1: Vec<f64>,
    x2: Vec<f64>,
    x11: f64,
    x12: f64,
    x22: f64,
    /// Sums of `x1 * clean`, `x2 * clean` and `clean^2`.
    x1c: f64,
    x2c: f64,
    cc: f64,
}

impl<'a> Design<'a> {
    pub(crate) fn new(clean: &'a [f64], incremental: &[f64], extreme: &[f64]) -> Design<'a> {
        let x1: Vec<f64> = incremental.iter().zip(clean).map(|(i, c)| i - c).collect();
        let x2: Vec<f64> = extreme.iter().zip(clean).map(|(e, c)| e - c).collect();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
        Design {
            x11: dot(&x1, &x1),
            x12: dot(&x1, &x2),
            x22: dot(&x2, &x2),
            x1c: dot(&x1, clean),
            x2c: dot(&x2, clean),
            cc: dot(clean, clean),
            clean,
            x1,
            x2,
        }
    }

    /// Solves for an observed fingerprint given as `(cell, count)` pairs (zero cells may be
    /// left out). Returns `(fi, fe, residual)`.
    pub(crate) fn solve(&self, observed: impl Iterator<Item = (usize, f64)>) -> (f64, f64, f64) {
        let (mut h1, mut h2, mut hh, mut hc) = (0.0, 0.0, 0.0, 0.0);
        for (cell, h) in observed {
            h1 += self.x1[cell] * h;
            h2 += self.x2[cell] * h;
            hh += h * h;
            hc += self.clean[cell] * h;
        }
        // With y = observed - clean: x1·y, x2·y and y·y.
        let (x11, x12, x22) = (self.x11, self.x12, self.x22);
        let (x1y, x2y) = (h1 - self.x1c, h2 - self.x2c);
        let yy = hh - 2.0 * hc + self.cc;
        let residual = |fi: f64, fe: f64| {
            yy - 2.0 * (fi * x1y + fe * x2y) + fi * fi * x11 + 2.0 * fi * fe * x12 + fe * fe * x22
        };
        let mut candidates = vec![(0.0, 0.0)];
        if x11 > 0.0 {
            candidates.push(((x1y / x11).clamp(0.0, 1.0), 0.0));
        }
        if x22 > 0.0 {
            candidates.push((0.0, (x2y / x22).clamp(0.0, 1.0)));
        }
        // The edge fi + fe = 1: fi = t, fe = 1 - t.
        let d = x11 - 2.0 * x12 + x22;
        if d > 0.0 {
            let t = ((x1y - x2y - x12 + x22) / d).clamp(0.0, 1.0);
            candidates.push((t, 1.0 - t));
        }
        let det = x11 * x22 - x12 * x12;
        if det > 0.0 {
            let fi = (x1y * x22 - x2y * x12) / det;
            let fe = (x2y * x11 - x1y * x12) / det;
            if fi >= 0.0 && fe >= 0.0 && fi + fe <= 1.0 {
                candidates.push((fi, fe));
            }
        }
        candidates
            .into_iter()
            .map(|(fi, fe)| (fi, fe, residual(fi, fe).max(0.0)))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .unwrap_or((0.0, 0.0, yy))
    }
}

/// The non-empty cells of a fingerprint.
fn sparse(counts: &[f64]) -> Vec<(usize, f64)> {
    counts
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, h)| h != 0.0)
        .collect()
}

pub(crate) fn mix(
    clean: &[f64],
    incremental: &[f64],
    extreme: &[f64],
    fi: f64,
    fe: f64,
) -> Vec<f64> {
    (0..clean.len())
        .map(|c| (1.0 - fi - fe) * clean[c] + fi * incremental[c] + fe * extreme[c])
        .collect()
}

/// Fits the fraud model; `None` ("insufficient data") with fewer than [`MIN_STATIONS`] usable
/// stations, an empty grid, or when the clean peaks cannot be found.
pub fn fit_fraud_model(election: &Election, settings: &FitSettings) -> Option<FraudModelFit> {
    let (replicates, seed) = (settings.replicates, settings.seed);
    let used: Vec<_> = election
        .stations
        .iter()
        .filter(|s| s.registered > 0 && s.counted > 0)
        .collect();
    if used.len() < MIN_STATIONS {
        return None;
    }
    let points: Vec<(f64, f64)> = used
        .iter()
        .map(|s| station_point(s.registered, s.counted, s.leader))
        .collect();
    let clean = estimate_clean(&points)?;
    let n = used.len();
    let observed_cells: Vec<u32> = points.iter().map(|&(t, v)| cell(t, v) as u32).collect();
    let observed = histogram(&observed_cells);
    let fair = expected_fingerprint(n, &clean, Fraud::None, settings);
    let fair_residual: f64 = observed
        .iter()
        .zip(&fair)
        .map(|(o, f)| (o - f).powi(2))
        .sum();
    let extremes: Vec<Vec<f64>> = settings
        .alphas
        .par_iter()
        .map(|&alpha| expected_fingerprint(n, &clean, Fraud::Extreme { alpha }, settings))
        .collect();
    let grid: Vec<(usize, f64)> = (0..settings.alphas.len())
        .flat_map(|a| settings.thetas.iter().map(move |&t| (a, t)))
        .collect();
    let incrementals: Vec<Vec<f64>> = grid
        .par_iter()
        .map(|&(a, theta)| {
            expected_fingerprint(
                n,
                &clean,
                Fraud::Incremental {
                    alpha: settings.alphas[a],
                    theta,
                },
                settings,
            )
        })
        .collect();
    // The grid of (alpha, theta): keep the best fit.
    let occupied = sparse(&observed);
    let (best, (fi, fe, residual)) = grid
        .iter()
        .enumerate()
        .map(|(g, &(a, _))| {
            let design = Design::new(&fair, &incrementals[g], &extremes[a]);
            (g, design.solve(occupied.iter().copied()))
        })
        .min_by(|x, y| x.1.2.total_cmp(&y.1.2))?;
    let (alpha_index, theta) = grid[best];
    let (incremental, extreme) = (&incrementals[best], &extremes[alpha_index]);
    let design = Design::new(&fair, incremental, extreme);
    // Occupied cells hold at least one station, so every mean is positive and valid.
    let poissons: Vec<(usize, Poisson<f64>)> = occupied
        .iter()
        .filter_map(|&(cell, k)| Some((cell, Poisson::new(k).ok()?)))
        .collect();
    let (mut fis, mut fes): (Vec<f64>, Vec<f64>) = (0..replicates as u64)
        .into_par_iter()
        .map(|replicate| {
            let mut rng = replicate_rng(seed, replicate);
            let (fi, fe, _) = design.solve(poisson_replicate(&poissons, &mut rng));
            (fi, fe)
        })
        .unzip();
    let fi_interval = Interval::from_replicates(&mut fis);
    let fe_interval = Interval::from_replicates(&mut fes);
    Some(FraudModelFit {
        stations: n,
        clean,
        alpha: settings.alphas[alpha_index],
        theta,
        fi,
        fe,
        residual_ratio: if fair_residual > 0.0 {
            residual / fair_residual
        } else {
            1.0
        },
        alarm: fi_interval.low > FI_ALARM || fe_interval.low > FE_ALARM,
        fi_interval,
        fe_interval,
        fitted: mix(&fair, incremental, extreme, fi, fe),
        fair,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ForensicsError, Simulation, simulate};

    #[test]
    fn least_squares_recovers_known_fractions() {
        let clean: Vec<f64> = (0..50).map(|i| f64::from(i % 7)).collect();
        let incremental: Vec<f64> = (0..50).map(|i| f64::from((i * 3) % 11)).collect();
        let extreme: Vec<f64> = (0..50)
            .map(|i| f64::from(u8::from(i == 49)) * 40.0)
            .collect();
        let observed = mix(&clean, &incremental, &extreme, 0.2, 0.05);
        let design = Design::new(&clean, &incremental, &extreme);
        let (fi, fe, residual) = design.solve(sparse(&observed).into_iter());
        assert!((fi - 0.2).abs() < 1e-9 && (fe - 0.05).abs() < 1e-9 && residual < 1e-9);
        // A negative solution is projected onto the constraints.
        let observed = mix(&clean, &incremental, &extreme, -0.2, 0.0);
        let (fi, _, _) = design.solve(sparse(&observed).into_iter());
        assert_eq!(fi, 0.0);
    }

    #[test]
    fn stuffed_election_is_detected() -> Result<(), ForensicsError> {
        // Below FI_ALARM the fit cannot tell stuffing from the clean model's misfit, so the
        // stuffing here is heavy: 40 % of stations.
        let stuffed = simulate(&Simulation {
            stuffing: 0.4,
            ..Simulation::clean(20_000, 8)
        })?;
        let fit = fit_fraud_model(&stuffed, &FitSettings::full(50, 3))
            .ok_or(ForensicsError::NoStations)?;
        assert!(
            fit.alarm,
            "fi {:?} fe {:?}",
            fit.fi_interval, fit.fe_interval
        );
        assert!(fit.residual_ratio < 0.8, "{}", fit.residual_ratio);
        Ok(())
    }

    #[test]
    fn too_few_stations_is_insufficient() -> Result<(), ForensicsError> {
        assert!(
            fit_fraud_model(
                &simulate(&Simulation::clean(300, 1))?,
                &FitSettings::full(10, 1)
            )
            .is_none()
        );
        Ok(())
    }
}
