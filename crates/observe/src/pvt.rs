//! Parallel vote tabulation: a sample of stations anyone can recompute from a public seed,
//! and ratio estimates of turnout and each option's share with margins of error.
//!
//! **Framing.** Every hash below is SHA-256 over fields each written as its length in bytes
//! (8 bytes, big-endian) followed by the bytes, so no choice of seed or id (a NUL included)
//! can make two different inputs hash alike: `frame(x) = len(x) as u64 BE ‖ x`.
//!
//! **Seed, by commit–reveal.** Before election day the organisation draws a 32-byte secret
//! from the operating system ([`new_secret`]) and publishes its commitment
//! SHA-256(frame(`"fairtally pvt commitment v1"`) ‖ frame(secret)) ([`seed_commitment`]),
//! keeping the secret (and so the sample) confidential: a sample known in advance tells
//! those who would falsify which stations to leave alone. After the polls close a public
//! random value nobody controls is drawn (a lottery draw, a randomness beacon's round). The
//! seed is the hex of SHA-256(frame(`"fairtally pvt seed v1"`) ‖ frame(secret) ‖
//! frame(public random value)) ([`reveal_seed`]); the secret is revealed with the results, so
//! anyone can check it against the commitment and recompute the sample. The organisation
//! cannot try many secrets (it committed to one before the public value existed), and nobody
//! knows the sample before polls close.
//!
//! **Sample.** Every station gets the key SHA-256(frame(`"fairtally pvt v2"`) ‖ frame(seed) ‖
//! frame(station id)), seed and id in UTF-8. Stations are ranked by key (bytes, ascending). Without
//! strata the sample is the first n stations. With strata (regions), n is shared out in
//! proportion to the stations in each region by the largest-remainder method, at least 2 per
//! region that has 2 stations (so its variance can be estimated) and at most all of them, and each region takes its first n_h
//! stations in key order. Nobody can choose the stations once the seed is fixed.
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
use rand::TryRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::ObserveError;
use crate::sample_size::normal_quantile;

/// Domain separator of the sampling key.
const SAMPLE_DOMAIN: &[u8] = b"fairtally pvt v2";
/// Domain separator of the commitment to the secret.
const COMMITMENT_DOMAIN: &[u8] = b"fairtally pvt commitment v1";
/// Domain separator of the seed.
const SEED_DOMAIN: &[u8] = b"fairtally pvt seed v1";

/// SHA-256 over length-prefixed fields: each field is its length (u64, big-endian) and bytes.
fn framed_hash(fields: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for field in fields {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field);
    }
    h.finalize().into()
}

/// The sampling key of a station: SHA-256(frame("fairtally pvt v2") ‖ frame(seed) ‖ frame(id)).
pub fn sample_key(seed: &str, station_id: &str) -> [u8; 32] {
    framed_hash(&[SAMPLE_DOMAIN, seed.as_bytes(), station_id.as_bytes()])
}

/// A new 32-byte secret for the seed, from the operating system's randomness.
pub fn new_secret() -> Result<Zeroizing<[u8; 32]>, ObserveError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng
        .try_fill_bytes(secret.as_mut())
        .map_err(|e| ObserveError::BadParameter {
            parameter: "secret".into(),
            reason: format!("the operating system gave no randomness: {e}"),
        })?;
    Ok(secret)
}

/// First line of a PVT secret file.
const SECRET_HEADER: &str = "fairtally pvt secret v1";

/// The text of a secret file: a header line and the secret in hex.
pub fn secret_file_text(secret: &[u8; 32]) -> Zeroizing<String> {
    Zeroizing::new(format!("{SECRET_HEADER}\n{}\n", hex::encode(secret)))
}

/// Reads a secret file written from [`secret_file_text`].
pub fn parse_secret_file(text: &str) -> Result<Zeroizing<[u8; 32]>, ObserveError> {
    let bad = |reason: &str| ObserveError::BadParameter {
        parameter: "secret file".into(),
        reason: reason.into(),
    };
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(SECRET_HEADER) {
        return Err(bad(&format!("the first line must be `{SECRET_HEADER}`")));
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(lines.next().unwrap_or("").trim(), secret.as_mut())
        .map_err(|_| bad("the second line must be 64 hexadecimal digits"))?;
    Ok(secret)
}

/// Reads the secret file at `path` (its text is zeroized after use).
pub fn read_secret_file(path: &std::path::Path) -> Result<Zeroizing<[u8; 32]>, ObserveError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| ObserveError::Io {
                path: path.to_path_buf(),
                source,
            })?,
        );
    parse_secret_file(&text).map_err(|e| ObserveError::BadParameter {
        parameter: format!("secret file {}", path.display()),
        reason: match e {
            ObserveError::BadParameter { reason, .. } => reason,
            other => other.to_string(),
        },
    })
}

/// The commitment to publish before election day: SHA-256(frame("fairtally pvt commitment
/// v1") ‖ frame(secret)), in hex.
pub fn seed_commitment(secret: &[u8]) -> String {
    hex::encode(framed_hash(&[COMMITMENT_DOMAIN, secret]))
}

/// The seed from the revealed secret and the public random value drawn after the polls
/// closed: hex of SHA-256(frame("fairtally pvt seed v1") ‖ frame(secret) ‖ frame(public)).
/// With `commitment`, refuses a secret that does not match it.
pub fn reveal_seed(
    secret: &[u8],
    public_random: &str,
    commitment: Option<&str>,
) -> Result<String, ObserveError> {
    if public_random.trim().is_empty() {
        return Err(ObserveError::BadParameter {
            parameter: "public random value".into(),
            reason: "is empty; use the value drawn in public after the polls closed".into(),
        });
    }
    if let Some(commitment) = commitment {
        let actual = seed_commitment(secret);
        if !actual.eq_ignore_ascii_case(commitment.trim()) {
            return Err(ObserveError::BadParameter {
                parameter: "secret".into(),
                reason: format!(
                    "its commitment is {actual}, not the published {}",
                    commitment.trim()
                ),
            });
        }
    }
    Ok(hex::encode(framed_hash(&[
        SEED_DOMAIN,
        secret,
        public_random.as_bytes(),
    ])))
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
    let z = normal_quantile(plan.confidence)?;
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
    fn keys_are_sha256_of_length_prefixed_fields() {
        let mut h = Sha256::new();
        h.update(b"\0\0\0\0\0\0\0\x10fairtally pvt v2");
        h.update(b"\0\0\0\0\0\0\0\x04seed");
        h.update(b"\0\0\0\0\0\0\0\x03A-1");
        let expected: [u8; 32] = h.finalize().into();
        assert_eq!(sample_key("seed", "A-1"), expected);
        assert_ne!(sample_key("seed", "A-1"), sample_key("seed", "A-2"));
        assert_ne!(sample_key("seed", "A-1"), sample_key("seee", "A-1"));
        // With a 0x00 separator these two collided.
        assert_ne!(sample_key("a\0b", "c"), sample_key("a", "b\0c"));
    }

    #[test]
    fn the_seed_is_revealed_only_from_the_committed_secret() -> Result<(), ObserveError> {
        let secret = new_secret()?;
        let commitment = seed_commitment(secret.as_ref());
        let seed = reveal_seed(
            secret.as_ref(),
            "lottery 2026-12-06: 4 17 23",
            Some(&commitment),
        )?;
        assert_eq!(seed.len(), 64);
        assert_eq!(
            seed,
            reveal_seed(secret.as_ref(), "lottery 2026-12-06: 4 17 23", None)?
        );
        assert_ne!(seed, reveal_seed(secret.as_ref(), "another draw", None)?);
        let other = new_secret()?;
        assert!(matches!(
            reveal_seed(other.as_ref(), "draw", Some(&commitment)),
            Err(ObserveError::BadParameter { parameter, .. }) if parameter == "secret"
        ));
        assert!(reveal_seed(secret.as_ref(), " ", None).is_err());
        let text = secret_file_text(&secret);
        assert_eq!(parse_secret_file(&text)?.as_ref(), secret.as_ref());
        assert!(parse_secret_file("fairtally pvt secret v1\nzz").is_err());
        assert!(parse_secret_file("").is_err());
        // The documented vectors (docs/OBSERVE.md, computed there by its Python snippet).
        assert_eq!(
            seed_commitment(&[7u8; 32]),
            "b3cd6c6ba32c0438780beadb11ccf54912eccef615ee54e16b7e4684bf20f290"
        );
        let seed = reveal_seed(&[7u8; 32], "draw 42", None)?;
        assert_eq!(
            seed,
            "9adf34bed7708b1b82c40e5c4e104d7dfb394302270159cd4e0d37072f2febb3"
        );
        assert_eq!(
            hex::encode(sample_key(&seed, "01-010-0001")),
            "574abd8c44fd6b54b1e808fdefeae6f27cc0cc7503eafaf6a583a82b61ebf443"
        );
        Ok(())
    }

    #[test]
    fn a_census_has_no_error() {
        let strata = vec![(3, vec![(1.0, 2.0), (2.0, 4.0), (3.0, 5.0)])];
        let (r, se) = ratio_estimate(&strata).unwrap_or((0.0, 1.0));
        assert!((r - 6.0 / 11.0).abs() < 1e-12);
        assert!(se.abs() < 1e-12);
    }
}
