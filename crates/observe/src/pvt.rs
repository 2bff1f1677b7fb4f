//! Parallel vote tabulation: a sample of stations anyone can recompute from a public seed,
//! and ratio estimates of turnout and each option's share with margins of error.
//!
//! **Sample.** Every station gets the key SHA-256(`"fairtally pvt v1"` ‖ 0x00 ‖ seed ‖ 0x00 ‖
//! station id), seed and id in UTF-8. Stations are ranked by key (bytes, ascending). Without
//! strata the sample is the first n stations. With strata (regions), n is shared out in
//! proportion to the stations in each region by the largest-remainder method, at least 2 per
//! region that has 2 stations (so its variance can be estimated) and at most all of them, and each region takes its first n_h
//! stations in key order. Nobody can choose the stations once the seed is fixed; a seed drawn
//! in public after the list of stations is published leaves nobody a choice at all.
//!
//! **Estimate.** Stations are clusters. For a share R = Σy / Σx (y: votes for the option, x:
//! the base, valid or counted ballots; turnout: y voters, x registered), the combined ratio
//! estimator over strata h is R̂ = Ŷ/X̂ with Ŷ = Σ_h N_h ȳ_h, and its variance
//! v(R̂) = Σ_h N_h² (1 − n_h/N_h) s²_{e,h} / n_h / X̂², where e_i = y_i − R̂ x_i and
//! s²_{e,h} = Σ_{i∈h} (e_i − ē_h)² / (n_h − 1). The interval is R̂ ± z √v. Sampled stations
//! without a figure in the chosen source are left out of the estimates that need it; those
//! with no usable figure at all are listed as missing (non-response).

use std::collections::BTreeMap;

use fairtally_results::{ElectionResults, StationProtocol, StationResults};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::ObserveError;

/// Domain separator of the sampling key.
const SAMPLE_DOMAIN: &[u8] = b"fairtally pvt v1";

/// The sampling key of a station: SHA-256("fairtally pvt v1" ‖ 0 ‖ seed ‖ 0 ‖ id).
pub fn sample_key(seed: &str, station_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SAMPLE_DOMAIN);
    h.update([0]);
    h.update(seed.as_bytes());
    h.update([0]);
    h.update(station_id.as_bytes());
    h.finalize().into()
}

/// Which protocols of the sampled stations the PVT reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PvtSource {
    /// Observers' protocols (the first with the needed figures): a real PVT.
    Observers,
    /// Official protocols: to rehearse, or to check the method against the official total.
    Official,
}

/// What a share is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareBase {
    /// Valid ballots.
    Valid,
    /// Ballots counted (valid + invalid), as Russian official percentages are given.
    Counted,
}

/// The parameters of a PVT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PvtPlan {
    /// The public seed.
    pub seed: String,
    /// Stations to sample.
    pub stations: usize,
    /// Stratify by region.
    pub stratify: bool,
    /// Confidence level of the intervals (0.95).
    pub confidence: f64,
    /// Where the figures come from.
    pub source: PvtSource,
    /// What shares are shares of.
    pub base: ShareBase,
}

/// One estimated figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// `turnout` or the option id.
    pub name: String,
    /// The estimate (a fraction).
    pub estimate: f64,
    /// Half-width of the interval.
    pub margin: f64,
    /// The official figure over all stations, when known.
    pub official: Option<f64>,
    /// True when the official figure lies outside the interval.
    pub official_outside: Option<bool>,
}

/// The outcome of a PVT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PvtResult {
    /// The parameters.
    pub plan: PvtPlan,
    /// Stations in the population.
    pub population: usize,
    /// Strata used (1 without stratification).
    pub strata: usize,
    /// The sampled station ids, in key order within strata.
    pub sample: Vec<String>,
    /// Sampled stations without usable figures in the chosen source.
    pub missing: Vec<String>,
    /// Strata where fewer than 2 sampled stations had the figures of an estimate that other
    /// strata could make: they add no variance term (with 1) or nothing at all (with 0), so
    /// the margins understate the uncertainty.
    pub thin_strata: Vec<String>,
    /// Turnout, then each option's share.
    pub estimates: Vec<Estimate>,
}

/// Draws the sample: indices into `results.stations`, per stratum. The strata are regions
/// (stations without one form the stratum `(unknown)`) or, without stratification, one.
pub fn draw_sample(
    results: &ElectionResults,
    seed: &str,
    stations: usize,
    stratify: bool,
) -> Result<BTreeMap<String, (usize, Vec<usize>)>, ObserveError> {
    let population = results.stations.len();
    if stations < 2 || stations > population {
        return Err(ObserveError::BadParameter {
            parameter: "sample size".into(),
            reason: format!("must be between 2 and the {population} stations of the election"),
        });
    }
    let mut strata: BTreeMap<String, Vec<([u8; 32], usize)>> = BTreeMap::new();
    for (i, s) in results.stations.iter().enumerate() {
        let stratum = if stratify {
            s.station
                .region
                .clone()
                .unwrap_or_else(|| "(unknown)".to_owned())
        } else {
            String::new()
        };
        strata
            .entry(stratum)
            .or_default()
            .push((sample_key(seed, &s.station.id), i));
    }
    let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
    let allocation = allocate(&sizes, stations);
    let allocated: usize = allocation.iter().sum();
    if allocated != stations {
        return Err(ObserveError::BadParameter {
            parameter: "sample size".into(),
            reason: format!(
                "{stations} stations cannot give each of the {} regions 2 stations; sample at \
                 least {allocated}",
                sizes.len()
            ),
        });
    }
    Ok(strata
        .into_iter()
        .zip(allocation)
        .map(|((name, mut members), n)| {
            members.sort_unstable();
            let size = members.len();
            (
                name,
                (size, members.into_iter().take(n).map(|(_, i)| i).collect()),
            )
        })
        .collect())
}

/// Shares `n` among strata of the given sizes in proportion to size (largest remainder), at
/// least 2 per stratum that has 2 members, never more than a stratum holds.
fn allocate(sizes: &[usize], n: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let quota: Vec<f64> = sizes
        .iter()
        .map(|&s| n as f64 * s as f64 / total as f64)
        .collect();
    let mut alloc: Vec<usize> = quota
        .iter()
        .zip(sizes)
        .map(|(q, &s)| (q.floor() as usize).max(s.min(2)).min(s))
        .collect();
    // Hand out what is left by largest remainder, then take back from the largest if the
    // minimum of 2 overshot.
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quota[a] - quota[a].floor();
        let rb = quota[b] - quota[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let mut given: usize = alloc.iter().sum();
    while given < n {
        let before = given;
        for &i in &order {
            if given < n && alloc[i] < sizes[i] {
                alloc[i] += 1;
                given += 1;
            }
        }
        if given == before {
            break;
        }
    }
    while given > n {
        let before = given;
        for &i in order.iter().rev() {
            if given > n && alloc[i] > 2 {
                alloc[i] -= 1;
                given -= 1;
            }
        }
        if given == before {
            break;
        }
    }
    alloc
}

/// A sampled station's figures for one ratio: (y, x).
type Pair = (f64, f64);

/// Combined ratio estimate and its standard error over strata of (population size, pairs).
fn ratio_estimate(strata: &[(usize, Vec<Pair>)]) -> Option<(f64, f64)> {
    let mut y_hat = 0.0;
    let mut x_hat = 0.0;
    for (size, pairs) in strata {
        if pairs.is_empty() {
            continue;
        }
        let n = pairs.len() as f64;
        let big = *size as f64;
        y_hat += big * pairs.iter().map(|p| p.0).sum::<f64>() / n;
        x_hat += big * pairs.iter().map(|p| p.1).sum::<f64>() / n;
    }
    if x_hat <= 0.0 {
        return None;
    }
    let r = y_hat / x_hat;
    let mut variance = 0.0;
    for (size, pairs) in strata {
        let n = pairs.len();
        if n < 2 {
            continue;
        }
        let e: Vec<f64> = pairs.iter().map(|(y, x)| y - r * x).collect();
        let mean = e.iter().sum::<f64>() / n as f64;
        let s2 = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let big = *size as f64;
        let fpc = 1.0 - n as f64 / big;
        variance += big * big * fpc * s2 / n as f64;
    }
    Some((r, variance.sqrt() / x_hat))
}

fn protocol_for(s: &StationResults, source: PvtSource) -> Option<&StationProtocol> {
    match source {
        PvtSource::Official => s.official(),
        PvtSource::Observers => s
            .observed()
            .map(|r| &r.protocol)
            .find(|p| p.valid.is_some() || p.ballots_counted.is_some()),
    }
}

fn base_of(p: &StationProtocol, base: ShareBase) -> Option<u64> {
    match base {
        ShareBase::Valid => p.valid,
        ShareBase::Counted => p
            .ballots_counted
            .or_else(|| p.valid?.checked_add(p.invalid?)),
    }
}

/// The turnout pair (voters, registered) and the option pairs (votes, base) of a protocol,
/// each `None` where the protocol lacks a figure it needs.
fn pairs(
    p: &StationProtocol,
    s: &StationResults,
    options: usize,
    base: ShareBase,
) -> Vec<Option<Pair>> {
    let registered = p.registered.or(s.station.registered);
    let turnout = p
        .voters()
        .zip(registered)
        .map(|(v, r)| (v as f64, r as f64));
    let b = base_of(p, base);
    std::iter::once(turnout)
        .chain((0..options).map(|o| p.votes_for(o).zip(b).map(|(v, b)| (v as f64, b as f64))))
        .collect()
}

/// Runs a PVT on `results`: draws the sample from the seed, estimates turnout and shares from
/// the chosen source, and compares them with the official totals.
pub fn run_pvt(results: &ElectionResults, plan: &PvtPlan) -> Result<PvtResult, ObserveError> {
    if !(plan.confidence > 0.0 && plan.confidence < 1.0) {
        return Err(ObserveError::BadParameter {
            parameter: "confidence".into(),
            reason: "must lie strictly between 0 and 1 (0.95)".into(),
        });
    }
    let z = Normal::standard().inverse_cdf(0.5 + plan.confidence / 2.0);
    let sample = draw_sample(results, &plan.seed, plan.stations, plan.stratify)?;
    let options = results.options.len();
    let figures = options + 1;
    // strata[k] per figure: (stratum size, pairs)
    let mut per_figure: Vec<Vec<(usize, Vec<Pair>)>> = vec![Vec::new(); figures];
    let mut sampled = Vec::new();
    let mut missing = Vec::new();
    for (size, members) in sample.values() {
        let mut stratum: Vec<Vec<Pair>> = vec![Vec::new(); figures];
        for &i in members {
            let s = &results.stations[i];
            sampled.push(s.station.id.clone());
            let ps = protocol_for(s, plan.source).map(|p| pairs(p, s, options, plan.base));
            let ps = ps.filter(|ps| ps.iter().any(Option::is_some));
            match ps {
                Some(ps) => {
                    for (k, pair) in ps.into_iter().enumerate() {
                        stratum[k].extend(pair);
                    }
                }
                None => missing.push(s.station.id.clone()),
            }
        }
        for (k, pairs) in stratum.into_iter().enumerate() {
            per_figure[k].push((*size, pairs));
        }
    }
    // Strata with fewer than 2 respondents for a figure that others do have.
    let names: Vec<&String> = sample.keys().collect();
    let mut thin_strata: Vec<String> = Vec::new();
    for strata in per_figure
        .iter()
        .filter(|f| f.iter().any(|(_, p)| !p.is_empty()))
    {
        for (name, (_, pairs)) in names.iter().zip(strata) {
            let label = if name.is_empty() {
                "all stations"
            } else {
                name.as_str()
            };
            if pairs.len() < 2 && !thin_strata.iter().any(|t| t == label) {
                thin_strata.push(label.to_owned());
            }
        }
    }
    // Official figures over every station that has them.
    let mut official = vec![(0.0f64, 0.0f64); figures];
    let mut official_known = vec![false; figures];
    for s in &results.stations {
        if let Some(p) = s.official() {
            for (k, pair) in pairs(p, s, options, plan.base).into_iter().enumerate() {
                if let Some((y, x)) = pair {
                    official[k].0 += y;
                    official[k].1 += x;
                    official_known[k] = true;
                }
            }
        }
    }
    let names =
        std::iter::once("turnout".to_owned()).chain(results.options.iter().map(|o| o.id.clone()));
    let mut estimates = Vec::new();
    for (k, name) in names.enumerate() {
        let Some((estimate, se)) = ratio_estimate(&per_figure[k]) else {
            continue;
        };
        let margin = z * se;
        let official =
            (official_known[k] && official[k].1 > 0.0).then(|| official[k].0 / official[k].1);
        estimates.push(Estimate {
            name,
            estimate,
            margin,
            official,
            official_outside: official.map(|o| (o - estimate).abs() > margin),
        });
    }
    Ok(PvtResult {
        plan: plan.clone(),
        population: results.stations.len(),
        strata: sample.len(),
        sample: sampled,
        missing,
        thin_strata,
        estimates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_proportional_and_exact() {
        assert_eq!(allocate(&[100, 300, 600], 100), vec![10, 30, 60]);
        assert_eq!(allocate(&[1, 1000], 10), vec![1, 9]);
        // The minimum of 2 per stratum can overshoot a small n; draw_sample refuses that.
        assert_eq!(allocate(&[50, 50, 1], 3), vec![2, 2, 1]);
        assert_eq!(allocate(&[5, 5], 10), vec![5, 5]);
    }

    #[test]
    fn keys_are_sha256_of_domain_seed_and_id() {
        let mut h = Sha256::new();
        h.update(b"fairtally pvt v1\0seed\0A-1");
        let expected: [u8; 32] = h.finalize().into();
        assert_eq!(sample_key("seed", "A-1"), expected);
        assert_ne!(sample_key("seed", "A-1"), sample_key("seed", "A-2"));
        assert_ne!(sample_key("seed", "A-1"), sample_key("seee", "A-1"));
    }

    #[test]
    fn a_census_has_no_error() {
        let strata = vec![(3, vec![(1.0, 2.0), (2.0, 4.0), (3.0, 5.0)])];
        let (r, se) = ratio_estimate(&strata).unwrap_or((0.0, 1.0));
        assert!((r - 6.0 / 11.0).abs() < 1e-12);
        assert!(se.abs() < 1e-12);
    }
}
