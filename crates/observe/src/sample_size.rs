//! How many stations a PVT needs for a given margin of error.
//!
//! Sampling whole stations is not sampling voters: voters of one station vote alike, so a
//! station tells less than as many independent voters. The honest answer measures that from
//! past station-level results ([`sample_size_from_past`]); the textbook voter formula
//! ([`sample_size`]) gives stations only when told the design effect.

use fairtally_results::ElectionResults;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::ObserveError;

/// The confidence level of every interval and sample size unless told otherwise.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// A bare margin above this is refused as ambiguous: "0.32" could mean 0.32 % or 32 %.
pub const MAX_BARE_MARGIN: f64 = 0.2;

fn bad(parameter: &str, reason: impl Into<String>) -> ObserveError {
    ObserveError::BadParameter {
        parameter: parameter.to_owned(),
        reason: reason.into(),
    }
}

/// Reads a proportion written as a percentage (`0.32%`, `95 %`) or as a fraction (`0.0032`),
/// refusing a bare number above `max_bare` as ambiguous. The result lies strictly between 0
/// and 1.
pub fn parse_proportion(text: &str, parameter: &str, max_bare: f64) -> Result<f64, ObserveError> {
    let text = text.trim();
    let (number, percent) = match text.strip_suffix('%') {
        Some(number) => (number.trim(), true),
        None => (text, false),
    };
    let value: f64 = number.parse().map_err(|_| {
        bad(
            parameter,
            format!("`{text}` is not a number (write 0.32% or 0.0032)"),
        )
    })?;
    let value = if percent {
        value / 100.0
    } else if value > max_bare {
        return Err(bad(
            parameter,
            format!(
                "`{text}` is ambiguous: write {text}% for a percentage, or the fraction {}",
                value / 100.0
            ),
        ));
    } else {
        value
    };
    if !(value > 0.0 && value < 1.0) {
        return Err(bad(
            parameter,
            format!("`{text}` must lie between 0 and 100 %"),
        ));
    }
    Ok(value)
}

/// A margin of error: `0.32%` or the fraction `0.0032`; a bare number above
/// [`MAX_BARE_MARGIN`] is refused as ambiguous.
pub fn parse_margin(text: &str) -> Result<f64, ObserveError> {
    parse_proportion(text, "margin", MAX_BARE_MARGIN)
}

/// A confidence level: `95%` or `0.95`.
pub fn parse_confidence(text: &str) -> Result<f64, ObserveError> {
    parse_proportion(text, "confidence", 1.0)
}

/// The normal quantile of a two-sided interval at `confidence`.
pub fn normal_quantile(confidence: f64) -> Result<f64, ObserveError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(bad(
            "confidence",
            "must lie strictly between 0 and 1 (0.95)",
        ));
    }
    Ok(Normal::standard().inverse_cdf(0.5 + confidence / 2.0))
}

/// The answer of the voter formula.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// n = p(1−p) / (E²/z² + p(1−p)/N), unrounded.
    pub exact: f64,
    /// Voters: `exact` rounded to the nearest voter.
    pub voters: u64,
    /// Stations: voters × design effect / voters per station, rounded up (when a station
    /// size and a design effect were given).
    pub stations: Option<u64>,
    /// The design effect used.
    pub design_effect: Option<f64>,
}

/// Sample size for estimating a share `p` among `population` voters within `margin` (a
/// fraction) at `confidence`, with the finite population correction:
/// n = p(1−p) / (E²/z² + p(1−p)/N).
///
/// Stations need both `station_size` (voters at an average station) and `design_effect`:
/// without a design effect the number of stations would assume that a station is as varied as
/// independent voters, which on Russian data understates the need 100 to 225 times. Use
/// [`sample_size_from_past`] to measure it.
pub fn sample_size(
    population: u64,
    margin: f64,
    confidence: f64,
    p: f64,
    station_size: Option<f64>,
    design_effect: Option<f64>,
) -> Result<SampleSize, ObserveError> {
    if population == 0 {
        return Err(bad("population", "must be at least 1"));
    }
    check_margin(margin)?;
    let z = normal_quantile(confidence)?;
    if !(p > 0.0 && p < 1.0) {
        return Err(bad(
            "p",
            "must lie strictly between 0 and 1 (0.5 is the safe choice)",
        ));
    }
    if let Some(d) = design_effect
        && !(d >= 1.0 && d.is_finite())
    {
        return Err(bad("design effect", "must be at least 1"));
    }
    let q = p * (1.0 - p);
    let exact = q / (margin * margin / (z * z) + q / population as f64);
    let voters = exact.round() as u64;
    let stations = match (station_size, design_effect) {
        (None, _) => None,
        (Some(size), _) if !(size >= 1.0 && size.is_finite()) => {
            return Err(bad("station size", "must be at least 1 voter"));
        }
        (Some(_), None) => {
            return Err(bad(
                "design effect",
                "stations need the design effect of sampling whole stations: measure it with \
                 --past RESULTS --map MAP --option ID, or give --design-effect",
            ));
        }
        (Some(size), Some(d)) => Some((voters as f64 * d / size).ceil() as u64),
    };
    Ok(SampleSize {
        exact,
        voters,
        stations,
        design_effect,
    })
}

fn check_margin(margin: f64) -> Result<(), ObserveError> {
    if margin > 0.0 && margin < 1.0 {
        Ok(())
    } else {
        Err(bad(
            "margin",
            "must be a fraction between 0 and 1 (0.0032 for 0.32 %)",
        ))
    }
}

/// The number of stations measured on past results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastSampleSize {
    /// Stations to sample (simple random sample of stations, ratio estimator).
    pub stations: u64,
    /// Stations in the past results with the figures used (the population N).
    pub population_stations: usize,
    /// The option whose share is estimated.
    pub option: String,
    /// Its share of ballots counted in the past results, R = Σy / Σx.
    pub share: f64,
    /// Ballots counted at an average station, x̄.
    pub ballots_per_station: f64,
    /// The design effect measured: the variance of the ratio estimate from whole stations
    /// over that from as many independent voters, S²(y − R x) / (x̄ R (1 − R)).
    pub design_effect: f64,
    /// The margin asked for (a fraction).
    pub margin: f64,
    /// The confidence level.
    pub confidence: f64,
}

/// Stations needed to estimate `option`'s share of ballots counted within `margin` at
/// `confidence`, measured on the official station figures of past `results`.
///
/// Ratio estimator of R = Σy / Σx (y: the option's votes, x: ballots counted) from a simple
/// random sample of n of the N stations: v(R̂) = (1 − n/N) S²_e / (n x̄²), with
/// e_i = y_i − R x_i and S²_e their variance over the N stations. Solving z² v = E² gives
/// n₀ = z² S²_e / (E² x̄²) and, with the finite-population correction, n = n₀ / (1 + n₀/N),
/// rounded up.
pub fn sample_size_from_past(
    results: &ElectionResults,
    option: &str,
    margin: f64,
    confidence: f64,
) -> Result<PastSampleSize, ObserveError> {
    check_margin(margin)?;
    let z = normal_quantile(confidence)?;
    let index = results.option_index(option).ok_or_else(|| {
        let ids: Vec<&str> = results.options.iter().map(|o| o.id.as_str()).collect();
        bad(
            "option",
            format!("no option `{option}`; the options are {}", ids.join(", ")),
        )
    })?;
    let pairs: Vec<(f64, f64)> = results
        .official()
        .filter_map(|(_, p)| {
            let counted = p
                .ballots_counted
                .or_else(|| p.valid?.checked_add(p.invalid?))?;
            Some((p.votes_for(index)? as f64, counted as f64))
        })
        .filter(|&(_, x)| x > 0.0)
        .collect();
    let population = pairs.len();
    if population < 2 {
        return Err(bad(
            "past results",
            format!(
                "{population} stations have official votes for `{option}` and ballots counted; at least 2 are needed"
            ),
        ));
    }
    let n = population as f64;
    let (sum_y, sum_x) = pairs
        .iter()
        .fold((0.0, 0.0), |(y, x), p| (y + p.0, x + p.1));
    let share = sum_y / sum_x;
    let mean_x = sum_x / n;
    // The residuals e = y − R x sum to zero, so their variance is Σe² / (N − 1).
    let s2 = pairs
        .iter()
        .map(|&(y, x)| (y - share * x).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let n0 = z * z * s2 / (margin * margin * mean_x * mean_x);
    let stations = (n0 / (1.0 + n0 / n)).ceil().max(2.0).min(n) as u64;
    let binomial = share * (1.0 - share);
    let design_effect = if binomial > 0.0 {
        s2 / (mean_x * binomial)
    } else {
        f64::NAN
    };
    Ok(PastSampleSize {
        stations,
        population_stations: population,
        option: results.options[index].id.clone(),
        share,
        ballots_per_station: mean_x,
        design_effect,
        margin,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtally_results::{
        ElectionOption, Report, Source, Station, StationProtocol, StationResults,
    };

    #[test]
    fn the_issue_check_figure() {
        // 99 % (z = 2.58 in the NDI handbook; 2.5758 exactly).
        let s = sample_size(14_570_774, 0.0032, 0.99, 0.5, Some(1_000.0), Some(1.0));
        let s = s.map(|s| (s.voters, s.stations));
        assert_eq!(s.ok(), Some((160_204, Some(161))));
    }

    #[test]
    fn an_infinite_population_gives_the_textbook_figure() {
        // 1.96² · 0.25 / 0.03² = 1067.1
        let s = sample_size(u64::MAX, 0.03, 0.95, 0.5, None, None);
        assert_eq!(s.ok().map(|s| (s.voters, s.stations)), Some((1_067, None)));
        let with_deff = sample_size(u64::MAX, 0.03, 0.95, 0.5, Some(500.0), Some(4.0));
        assert_eq!(with_deff.ok().and_then(|s| s.stations), Some(9));
    }

    #[test]
    fn stations_without_a_design_effect_are_refused() {
        let s = sample_size(1_000_000, 0.01, 0.95, 0.5, Some(1_000.0), None);
        assert!(
            matches!(&s, Err(ObserveError::BadParameter { parameter, reason })
                if parameter == "design effect" && reason.contains("--past")),
            "{s:?}"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (sample_size(0, 0.01, 0.95, 0.5, None, None), "population"),
            (sample_size(10, 0.0, 0.95, 0.5, None, None), "margin"),
            (sample_size(10, 0.01, 1.0, 0.5, None, None), "confidence"),
            (sample_size(10, 0.01, 0.95, 1.0, None, None), "p"),
            (
                sample_size(10, 0.01, 0.95, 0.5, Some(0.5), Some(1.0)),
                "station size",
            ),
            (
                sample_size(10, 0.01, 0.95, 0.5, None, Some(0.5)),
                "design effect",
            ),
        ];
        for (result, parameter) in cases {
            match result {
                Err(ObserveError::BadParameter { parameter: p, .. }) => assert_eq!(p, parameter),
                other => unreachable!("{parameter}: {other:?}"),
            }
        }
    }

    #[test]
    fn margins_are_read_as_written() {
        assert_eq!(parse_margin("0.32%").ok(), Some(0.0032));
        assert_eq!(parse_margin(" 3 % ").ok(), Some(0.03));
        assert_eq!(parse_margin("0.0032").ok(), Some(0.0032));
        assert_eq!(parse_margin("0.2").ok(), Some(0.2));
        for (text, needle) in [
            ("0.32", "ambiguous"),
            ("3", "ambiguous"),
            ("x", "not a number"),
            ("0%", "between"),
            ("150%", "between"),
        ] {
            let error = parse_margin(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(needle), "{text}: {error}");
        }
        assert_eq!(parse_confidence("95%").ok(), Some(0.95));
        assert_eq!(parse_confidence("0.99").ok(), Some(0.99));
        assert!(parse_confidence("95").is_err());
    }

    fn results(stations: &[(u64, u64)]) -> ElectionResults {
        let option = |id: &str| ElectionOption {
            id: id.into(),
            name: id.into(),
        };
        ElectionResults {
            name: "test".into(),
            options: vec![option("a"), option("b")],
            stations: stations
                .iter()
                .enumerate()
                .map(|(i, &(a, b))| {
                    let mut protocol = StationProtocol::empty(2);
                    protocol.ballots_counted = Some(a + b);
                    protocol.votes = vec![Some(a), Some(b)];
                    StationResults {
                        station: Station {
                            id: format!("s{i}"),
                            ..Station::default()
                        },
                        reports: vec![Report {
                            source: Source::Official,
                            protocol,
                            confirmed: None,
                            photos: vec![],
                            origin: String::new(),
                        }],
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn past_results_give_the_ratio_estimators_stations() -> Result<(), ObserveError> {
        // Stations alike in share need few stations; stations that differ need many.
        let alike = results(&[(500, 500); 1000]);
        let s = sample_size_from_past(&alike, "a", 0.01, 0.95)?;
        assert_eq!((s.stations, s.population_stations), (2, 1000));
        assert!(s.design_effect.abs() < 1e-12 && (s.share - 0.5).abs() < 1e-12);
        let split: Vec<(u64, u64)> = (0..1000)
            .map(|i| if i % 2 == 0 { (900, 100) } else { (100, 900) })
            .collect();
        let s = sample_size_from_past(&results(&split), "a", 0.01, 0.95)?;
        // S²_e = 400² · 1000/999, x̄ = 1000: n₀ = 1.96² · 160160 / (1e-4 · 1e6) = 6153, n = 861.
        assert_eq!(s.stations, 861);
        assert!(
            (s.design_effect - 640.64).abs() < 0.01,
            "{}",
            s.design_effect
        );
        assert!(matches!(
            sample_size_from_past(&alike, "c", 0.01, 0.95),
            Err(ObserveError::BadParameter { parameter, .. }) if parameter == "option"
        ));
        Ok(())
    }
}
