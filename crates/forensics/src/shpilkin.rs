//! Shpilkin's estimate of anomalous votes: the leader's votes beyond what the low-turnout
//! ("clean") stations predict.
//!
//! Stations are ordered by turnout. The turnout distribution, weighted by voters, has its peak
//! at the turnout of a typical clean station; ballot stuffing moves stations to the right of
//! it. Stations left of the peak give the clean ratio of the leader's votes to the other
//! options' votes. Right of the peak, the other options' votes are taken as genuine and the
//! leader is expected to get that same ratio of them; what the leader got beyond it is counted
//! as anomalous. The estimate assumes that in a clean election support does not depend on
//! turnout, which is not always true (towns and villages differ), so it measures anomaly, not
//! fraud.
//!
//! Its 95 % interval is a percentile bootstrap. Support and turnout differ between regions, and
//! with a few dozen regions they are correlated by chance even in a clean election; resampling
//! stations would ignore that and call a chance correlation an anomaly. So with at least
//! [`MIN_CLUSTER_REGIONS`] regions whole regions are resampled; otherwise stations are.

use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;

use crate::Election;
use crate::bootstrap::{Interval, replicate_rng};

/// Fewest stations the estimate runs on.
pub const MIN_STATIONS: usize = 100;
/// Fewest stations on each side of the turnout peak.
pub const MIN_SIDE: usize = 30;
/// The peak is searched below this turnout (percent), so a spike at 100 % is never taken for it.
pub const PEAK_SEARCH_LIMIT: usize = 95;

/// With at least this many regions, the bootstrap resamples regions rather than stations.
pub const MIN_CLUSTER_REGIONS: usize = 10;

/// The leader's and the other options' votes in one 1-point turnout bin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnoutBin {
    /// Lower edge of the bin, in percent.
    pub turnout_percent: u32,
    /// The leader's votes.
    pub leader_votes: u64,
    /// The other options' votes.
    pub other_votes: u64,
    /// The leader's votes expected from the clean ratio (right of the peak only).
    pub expected_leader_votes: Option<f64>,
}

/// The figures of Shpilkin's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShpilkinEstimate {
    /// Stations used (registered and counted both above zero).
    pub stations_used: usize,
    /// The peak of the voter-weighted turnout distribution, in percent (centre of its bin).
    pub turnout_peak_percent: f64,
    /// Stations left of the peak.
    pub clean_stations: usize,
    /// The leader's share of the options' votes left of the peak.
    pub clean_leader_share: f64,
    /// The leader's share of the options' votes over all stations.
    pub reported_leader_share: f64,
    /// The leader's votes.
    pub leader_votes: u64,
    /// The leader's votes beyond the clean prediction, right of the peak.
    pub anomalous_votes: f64,
    /// Anomalous votes as a fraction of the leader's votes.
    pub anomalous_fraction_of_leader_votes: f64,
    /// The leader's share once the anomalous votes are taken out.
    pub corrected_leader_share: f64,
    /// 95 % bootstrap interval of the anomalous votes.
    pub anomalous_votes_interval: Interval,
    /// What the bootstrap resampled: "regions" or "stations".
    pub resampled: &'static str,
    /// Whether the whole interval lies above zero.
    pub alarm: bool,
    /// Votes per 1-point turnout bin, for the figure.
    pub bins: Vec<TurnoutBin>,
}

/// Per-station figures the estimate needs.
struct Row {
    region: u32,
    turnout: f64,
    leader: f64,
    others: f64,
}

/// The four sums the estimate depends on; a bootstrap replicate only adds up those of the
/// resampled regions or stations.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    clean_leader: f64,
    clean_others: f64,
    excess_leader: f64,
    excess_others: f64,
}

impl Sums {
    fn of(row: &Row, peak: f64) -> Sums {
        if row.turnout < peak {
            Sums {
                clean_leader: row.leader,
                clean_others: row.others,
                ..Sums::default()
            }
        } else {
            Sums {
                excess_leader: row.leader,
                excess_others: row.others,
                ..Sums::default()
            }
        }
    }

    fn add(&mut self, other: &Sums) {
        self.clean_leader += other.clean_leader;
        self.clean_others += other.clean_others;
        self.excess_leader += other.excess_leader;
        self.excess_others += other.excess_others;
    }

    /// The anomalous votes and the clean ratio of the leader's votes to the others'.
    fn anomalous(&self) -> Option<(f64, f64)> {
        if self.clean_others <= 0.0 {
            return None;
        }
        let ratio = self.clean_leader / self.clean_others;
        Some((self.excess_leader - ratio * self.excess_others, ratio))
    }
}

/// Computes Shpilkin's estimate with `replicates` bootstrap replicates from `seed`; `None`
/// ("insufficient data") with fewer than [`MIN_STATIONS`] usable stations, fewer than
/// [`MIN_SIDE`] on either side of the peak, or no votes for other options left of the peak.
pub fn shpilkin_estimate(
    election: &Election,
    replicates: usize,
    seed: u64,
) -> Option<ShpilkinEstimate> {
    let rows: Vec<Row> = election
        .stations
        .iter()
        .filter(|s| s.registered > 0 && s.counted > 0)
        .map(|s| Row {
            region: s.region,
            turnout: s.turnout(),
            leader: s.leader as f64,
            others: s.others_total() as f64,
        })
        .collect();
    if rows.len() < MIN_STATIONS {
        return None;
    }
    let bin_of = |turnout: f64| ((turnout * 100.0).floor().max(0.0) as usize).min(100);
    let mut voters = [0.0; 101];
    let mut bins: Vec<TurnoutBin> = (0..=100)
        .map(|t| TurnoutBin {
            turnout_percent: t,
            leader_votes: 0,
            other_votes: 0,
            expected_leader_votes: None,
        })
        .collect();
    for (row, station) in rows.iter().zip(
        election
            .stations
            .iter()
            .filter(|s| s.registered > 0 && s.counted > 0),
    ) {
        let bin = bin_of(row.turnout);
        voters[bin] += station.took_part as f64;
        bins[bin].leader_votes += station.leader;
        bins[bin].other_votes += station.others_total();
    }
    // The peak of the voter-weighted turnout histogram, smoothed over 5 points.
    let smoothed = |i: usize| {
        voters[i.saturating_sub(2)..=(i + 2).min(100)]
            .iter()
            .sum::<f64>()
    };
    let peak_bin = (0..PEAK_SEARCH_LIMIT).max_by(|&a, &b| smoothed(a).total_cmp(&smoothed(b)))?;
    let peak = (peak_bin as f64 + 0.5) / 100.0;
    let clean_stations = rows.iter().filter(|r| r.turnout < peak).count();
    if clean_stations < MIN_SIDE || rows.len() - clean_stations < MIN_SIDE {
        return None;
    }
    let stations: Vec<Sums> = rows.iter().map(|row| Sums::of(row, peak)).collect();
    let mut total = Sums::default();
    stations.iter().for_each(|sums| total.add(sums));
    let (anomalous_votes, ratio) = total.anomalous()?;
    let mut by_region: Vec<Option<Sums>> = vec![None; election.regions.len()];
    for (row, sums) in rows.iter().zip(&stations) {
        if let Some(slot) = by_region.get_mut(row.region as usize) {
            slot.get_or_insert_with(Sums::default).add(sums);
        }
    }
    let regions: Vec<Sums> = by_region.into_iter().flatten().collect();
    let by_region_resampling = regions.len() >= MIN_CLUSTER_REGIONS;
    let units = if by_region_resampling {
        &regions
    } else {
        &stations
    };
    let mut replicated: Vec<f64> = (0..replicates as u64)
        .into_par_iter()
        .filter_map(|replicate| {
            let mut rng = replicate_rng(seed, replicate);
            let mut sample = Sums::default();
            for _ in 0..units.len() {
                sample.add(&units[rng.random_range(0..units.len())]);
            }
            sample.anomalous().map(|(votes, _)| votes)
        })
        .collect();
    let interval = Interval::from_replicates(&mut replicated);
    for bin in bins
        .iter_mut()
        .filter(|b| f64::from(b.turnout_percent) + 1.0 > peak * 100.0)
    {
        bin.expected_leader_votes = Some(ratio * bin.other_votes as f64);
    }
    let leader_votes: u64 = rows.iter().map(|r| r.leader as u64).sum();
    let option_votes: f64 = rows.iter().map(|r| r.leader + r.others).sum();
    Some(ShpilkinEstimate {
        stations_used: rows.len(),
        turnout_peak_percent: peak * 100.0,
        clean_stations,
        clean_leader_share: ratio / (1.0 + ratio),
        reported_leader_share: leader_votes as f64 / option_votes,
        leader_votes,
        anomalous_votes,
        anomalous_fraction_of_leader_votes: anomalous_votes / leader_votes.max(1) as f64,
        corrected_leader_share: (leader_votes as f64 - anomalous_votes)
            / (option_votes - anomalous_votes),
        resampled: if by_region_resampling {
            "regions"
        } else {
            "stations"
        },
        alarm: interval.low > 0.0,
        anomalous_votes_interval: interval,
        bins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ForensicsError, Simulation, simulate};

    #[test]
    fn stuffing_is_estimated() -> Result<(), ForensicsError> {
        let stuffed = simulate(&Simulation {
            stuffing: 0.2,
            ..Simulation::clean(10_000, 21)
        })?;
        let clean = simulate(&Simulation::clean(10_000, 21))?;
        let estimate = shpilkin_estimate(&stuffed, 100, 1).ok_or(ForensicsError::NoStations)?;
        let added = (stuffed.leader_votes() - clean.leader_votes()) as f64;
        assert!(estimate.alarm);
        assert_eq!(estimate.resampled, "regions");
        // Stuffing lands right of the peak, so most of it is found (not all: a stuffed station
        // can stay left of the peak, and clean ones are pushed to the right of it).
        assert!(
            estimate.anomalous_votes > 0.5 * added && estimate.anomalous_votes < 1.3 * added,
            "estimated {} of {added}",
            estimate.anomalous_votes
        );
        Ok(())
    }

    #[test]
    fn too_few_stations_is_insufficient() -> Result<(), ForensicsError> {
        let small = simulate(&Simulation::clean(50, 2))?;
        assert!(shpilkin_estimate(&small, 10, 1).is_none());
        Ok(())
    }
}
