//! How many voters, and how many stations, a PVT needs for a given margin of error.

use serde::{Deserialize, Serialize};

use crate::error::ObserveError;

/// The answer of the sample-size calculator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// n = p(1−p) / (E²/z² + p(1−p)/N), unrounded.
    pub exact: f64,
    /// Voters: `exact` rounded to the nearest voter.
    pub voters: u64,
    /// Stations: voters × design effect / voters per station, rounded up (when a station
    /// size was given).
    pub stations: Option<u64>,
}

/// Sample size for estimating a share `p` among `population` voters within margin `margin`
/// (a fraction: 0.0032 for 0.32 %) at normal quantile `z` (2.58 for 99 %), with the finite
/// population correction: n = p(1−p) / (E²/z² + p(1−p)/N).
///
/// With `station_size` (voters who vote at an average station) it also gives the number of
/// stations, multiplied by `design_effect` (1 when stations are as varied as single voters;
/// larger when voters of one station vote alike, which is usual).
pub fn sample_size(
    population: u64,
    margin: f64,
    z: f64,
    p: f64,
    station_size: Option<f64>,
    design_effect: f64,
) -> Result<SampleSize, ObserveError> {
    let bad = |parameter: &str, reason: &str| ObserveError::BadParameter {
        parameter: parameter.to_owned(),
        reason: reason.to_owned(),
    };
    if population == 0 {
        return Err(bad("population", "must be at least 1"));
    }
    if !(margin > 0.0 && margin < 1.0) {
        return Err(bad(
            "margin",
            "must be a fraction between 0 and 1 (0.0032 for 0.32 %)",
        ));
    }
    if !(z > 0.0 && z.is_finite()) {
        return Err(bad("z", "must be positive (1.96 for 95 %, 2.58 for 99 %)"));
    }
    if !(p > 0.0 && p < 1.0) {
        return Err(bad(
            "p",
            "must lie strictly between 0 and 1 (0.5 is the safe choice)",
        ));
    }
    if !(design_effect >= 1.0 && design_effect.is_finite()) {
        return Err(bad("design effect", "must be at least 1"));
    }
    let q = p * (1.0 - p);
    let exact = q / (margin * margin / (z * z) + q / population as f64);
    let voters = exact.round() as u64;
    let stations = match station_size {
        None => None,
        Some(size) if size >= 1.0 && size.is_finite() => {
            Some((voters as f64 * design_effect / size).ceil() as u64)
        }
        Some(_) => return Err(bad("station size", "must be at least 1 voter")),
    };
    Ok(SampleSize {
        exact,
        voters,
        stations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_check_figure() {
        let s = sample_size(14_570_774, 0.0032, 2.58, 0.5, Some(1_000.0), 1.0);
        let s = s.map(|s| (s.voters, s.stations));
        assert_eq!(s.ok(), Some((160_717, Some(161))));
    }

    #[test]
    fn an_infinite_population_gives_the_textbook_figure() {
        // 1.96² · 0.25 / 0.03² = 1067.1
        let s = sample_size(u64::MAX, 0.03, 1.96, 0.5, None, 1.0);
        assert_eq!(s.ok().map(|s| (s.voters, s.stations)), Some((1_067, None)));
        let with_deff = sample_size(u64::MAX, 0.03, 1.96, 0.5, Some(500.0), 4.0);
        assert_eq!(with_deff.ok().and_then(|s| s.stations), Some(9));
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (sample_size(0, 0.01, 2.0, 0.5, None, 1.0), "population"),
            (sample_size(10, 0.0, 2.0, 0.5, None, 1.0), "margin"),
            (sample_size(10, 0.01, -1.0, 0.5, None, 1.0), "z"),
            (sample_size(10, 0.01, 2.0, 1.0, None, 1.0), "p"),
            (
                sample_size(10, 0.01, 2.0, 0.5, Some(0.5), 1.0),
                "station size",
            ),
            (sample_size(10, 0.01, 2.0, 0.5, None, 0.5), "design effect"),
        ];
        for (result, parameter) in cases {
            match result {
                Err(ObserveError::BadParameter { parameter: p, .. }) => assert_eq!(p, parameter),
                other => unreachable!("{parameter}: {other:?}"),
            }
        }
    }
}
