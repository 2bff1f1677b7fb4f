//! Histograms of turnout and of the leader's share in 0.1-point bins, counted by stations and
//! weighted by voters: integer peaks show as spikes at whole percentages.

use serde::Serialize;

use crate::Election;

/// Bins per percentage point.
pub const BINS_PER_POINT: usize = 10;
/// Number of bins: one per 0.1 point from 0 to 100, each centred on its value, so a station at
/// exactly 50 % falls in the middle of the bin labelled 50.0.
pub const BINS: usize = 100 * BINS_PER_POINT + 1;

/// One quantity's histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// What is counted ("turnout" or "leader's share"), in percent.
    pub quantity: &'static str,
    /// Bin `i` holds values in `[i/10 - 0.05, i/10 + 0.05)` percent.
    pub bin_width_points: f64,
    /// Stations per bin.
    pub stations: Vec<u64>,
    /// Voters (people who took part) per bin.
    pub voters: Vec<u64>,
    /// Stations left out: nobody registered (turnout) or nothing counted (share).
    pub left_out: u64,
    /// Stations above 100 % (turnout only: more voters than registered), counted in the last bin.
    pub above_100: u64,
}

impl Histogram {
    fn new(quantity: &'static str) -> Histogram {
        Histogram {
            quantity,
            bin_width_points: 1.0 / BINS_PER_POINT as f64,
            stations: vec![0; BINS],
            voters: vec![0; BINS],
            left_out: 0,
            above_100: 0,
        }
    }

    fn add(&mut self, fraction: Option<f64>, voters: u64) {
        let Some(fraction) = fraction else {
            self.left_out += 1;
            return;
        };
        if fraction > 1.0 {
            self.above_100 += 1;
        }
        let bin = ((fraction * (100 * BINS_PER_POINT) as f64).round() as usize).min(BINS - 1);
        self.stations[bin] += 1;
        self.voters[bin] += voters;
    }
}

/// Both histograms of one election.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histograms {
    /// Turnout: took part / registered.
    pub turnout: Histogram,
    /// Leader's share: leader's votes / ballots counted.
    pub leader_share: Histogram,
}

/// How strongly whole percentages stand out: stations in the bins of whole percentages 1–99
/// over the average of the other bins in the same range (about 1 without integer peaks).
pub fn integer_peak_ratio(stations: &[u64]) -> Option<f64> {
    let (mut integer, mut other, mut other_bins) = (0.0, 0.0, 0usize);
    for (bin, &count) in stations
        .iter()
        .enumerate()
        .take(99 * BINS_PER_POINT + 1)
        .skip(BINS_PER_POINT)
    {
        if bin % BINS_PER_POINT == 0 {
            integer += count as f64;
        } else {
            other += count as f64;
            other_bins += 1;
        }
    }
    let other_mean = other / other_bins as f64;
    (other_mean > 0.0).then(|| integer / 99.0 / other_mean)
}

/// Builds the turnout and leader's-share histograms.
pub fn histograms(election: &Election) -> Histograms {
    let mut turnout = Histogram::new("turnout");
    let mut leader_share = Histogram::new("leader's share");
    for station in &election.stations {
        turnout.add(
            (station.registered > 0).then(|| station.turnout()),
            station.took_part,
        );
        leader_share.add(
            (station.counted > 0).then(|| station.leader_share()),
            station.took_part,
        );
    }
    Histograms {
        turnout,
        leader_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Simulation, Station, simulate};

    #[test]
    fn bins_are_centred_on_tenths() {
        let station = Station::for_test;
        let election = Election {
            regions: vec!["r".into()],
            leader: "a".into(),
            other_options: vec!["b".into()],
            stations: vec![
                station(1000, 500, 500, 250),
                station(1000, 1100, 1100, 0),
                station(0, 0, 0, 0),
            ],
        };
        let h = histograms(&election);
        assert_eq!(h.turnout.stations[500], 1);
        assert_eq!(h.turnout.voters[500], 500);
        assert_eq!(h.turnout.stations[BINS - 1], 1);
        assert_eq!(h.turnout.above_100, 1);
        assert_eq!(h.turnout.left_out, 1);
        assert_eq!(h.leader_share.stations[500], 1);
        assert_eq!(h.leader_share.stations[0], 1);
        assert_eq!(h.leader_share.left_out, 1);
    }

    #[test]
    fn rounding_makes_integer_spikes() -> Result<(), crate::ForensicsError> {
        let spike_ratio = |election: &Election| {
            let h = histograms(election).turnout.stations;
            let integer: u64 = (20..=90).map(|p| h[p * BINS_PER_POINT]).sum();
            let neighbours: u64 = (20..=90).map(|p| h[p * BINS_PER_POINT + 5]).sum();
            integer as f64 / neighbours.max(1) as f64
        };
        let clean = simulate(&Simulation::clean(20_000, 5))?;
        let rounded = simulate(&Simulation {
            rounding: 0.3,
            ..Simulation::clean(20_000, 5)
        })?;
        assert!(spike_ratio(&clean) < 1.5, "clean {}", spike_ratio(&clean));
        assert!(
            spike_ratio(&rounded) > 3.0,
            "rounded {}",
            spike_ratio(&rounded)
        );
        Ok(())
    }
}
