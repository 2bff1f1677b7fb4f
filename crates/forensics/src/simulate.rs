//! Simulated elections, clean or with injected falsification, to check that each test keeps
//! its false-alarm rate on clean data and detects the falsification it is meant to detect.
//!
//! A clean election: station sizes log-uniform over two whole decades, or the registered
//! voters of a real election's stations (whose sizes bunch up, so their counts are far from
//! Benford's law: the digit tests' calibration runs on these), each region with its own
//! turnout and leader's support, each station's true turnout and support drawn around them,
//! and the ballots drawn binomially.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Binomial, Distribution, Normal};

use crate::{Election, ForensicsError, Station};

/// How to simulate an election.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Number of stations.
    pub stations: usize,
    /// Number of regions (stations are spread evenly).
    pub regions: usize,
    /// Seed of the generator: the same seed gives the same election.
    pub seed: u64,
    /// Fraction of stations where ballots for the leader are stuffed: a random 20–80 % of the
    /// registered voters who did not vote are added as the leader's votes.
    pub stuffing: f64,
    /// Fraction of stations whose turnout and leader's share are rounded up to the next whole
    /// percentage (by adding ballots for the leader and moving votes from other options).
    pub rounding: f64,
    /// Fraction of stations whose leader's count is invented: replaced by a multiple of 10.
    pub invented_counts: f64,
    /// Registered voters of each station, e.g. a real election's (used in turn, as many
    /// times as needed); empty for log-uniform sizes from 100 to 9,999.
    pub registered: Vec<u64>,
    /// Mean support of the leader across regions.
    pub leader_support: f64,
    /// Shares of the other options among the votes the leader did not get (they sum to 1).
    pub other_shares: Vec<f64>,
}

impl Simulation {
    /// A clean election of `stations` stations in 20 regions.
    pub fn clean(stations: usize, seed: u64) -> Simulation {
        Simulation {
            stations,
            regions: 20,
            seed,
            stuffing: 0.0,
            rounding: 0.0,
            invented_counts: 0.0,
            registered: Vec::new(),
            leader_support: 0.45,
            other_shares: vec![0.5, 0.3, 0.2],
        }
    }

    /// A clean election on the given stations' registered voters, with the leader's support
    /// and the other options' shares of a real election (the Russian presidential election
    /// of 2012: Putin 64 %; Zyuganov, Prokhorov, Zhirinovsky and Mironov sharing the rest).
    pub fn on_registered(registered: Vec<u64>, seed: u64) -> Simulation {
        Simulation {
            stations: registered.len(),
            registered,
            leader_support: 0.64,
            other_shares: vec![0.48, 0.22, 0.19, 0.11],
            ..Simulation::clean(0, seed)
        }
    }
}

fn binomial(rng: &mut Xoshiro256PlusPlus, n: u64, p: f64) -> Result<u64, ForensicsError> {
    let binomial =
        Binomial::new(n, p.clamp(0.0, 1.0)).map_err(|error| ForensicsError::InvalidParameter {
            name: "simulation",
            reason: error.to_string(),
        })?;
    Ok(binomial.sample(rng))
}

fn normal(mean: f64, sd: f64) -> Result<Normal<f64>, ForensicsError> {
    Normal::new(mean, sd).map_err(|error| ForensicsError::InvalidParameter {
        name: "simulation",
        reason: error.to_string(),
    })
}

/// Simulates one election.
pub fn simulate(simulation: &Simulation) -> Result<Election, ForensicsError> {
    for (name, fraction) in [
        ("stuffing", simulation.stuffing),
        ("rounding", simulation.rounding),
        ("invented_counts", simulation.invented_counts),
    ] {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(ForensicsError::InvalidParameter {
                name,
                reason: format!("{fraction} is not a fraction between 0 and 1"),
            });
        }
    }
    let shares: f64 = simulation.other_shares.iter().sum();
    if simulation.other_shares.is_empty()
        || simulation.other_shares.iter().any(|&s| s < 0.0)
        || (shares - 1.0).abs() > 1e-9
    {
        return Err(ForensicsError::InvalidParameter {
            name: "other_shares",
            reason: format!("{:?} are not shares summing to 1", simulation.other_shares),
        });
    }
    if simulation.regions == 0 {
        return Err(ForensicsError::InvalidParameter {
            name: "regions",
            reason: "at least one region is needed".into(),
        });
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(simulation.seed);
    let region_turnout = normal(0.55, 0.04)?;
    let region_support = normal(simulation.leader_support, 0.04)?;
    let regions: Vec<(f64, f64)> = (0..simulation.regions)
        .map(|_| {
            (
                region_turnout.sample(&mut rng),
                region_support.sample(&mut rng),
            )
        })
        .collect();
    let spread = normal(0.0, 0.07)?;
    let mut stations = Vec::with_capacity(simulation.stations);
    for index in 0..simulation.stations {
        let region = index % simulation.regions;
        let (turnout, support) = regions[region];
        let registered = match simulation.registered.as_slice() {
            // 10^[2, 4): 100 to 9,999 registered voters.
            [] => 10f64.powf(2.0 + 2.0 * rng.random::<f64>()).floor() as u64,
            sizes => sizes[index % sizes.len()],
        };
        let true_turnout = (turnout + spread.sample(&mut rng)).clamp(0.05, 0.95);
        let true_support = (support + spread.sample(&mut rng)).clamp(0.02, 0.98);
        let took_part = binomial(&mut rng, registered, true_turnout)?;
        let invalid = binomial(&mut rng, took_part, 0.015)?;
        let counted = took_part;
        let valid = counted - invalid;
        let leader = binomial(&mut rng, valid, true_support)?;
        let mut rest = valid - leader;
        let mut others = Vec::with_capacity(simulation.other_shares.len());
        let mut remaining_share = 1.0;
        for (position, share) in simulation.other_shares.iter().enumerate() {
            let votes = if position + 1 == simulation.other_shares.len() {
                rest
            } else {
                binomial(&mut rng, rest, share / remaining_share)?
            };
            remaining_share -= share;
            rest -= votes;
            others.push(votes);
        }
        let mut station = Station {
            region: region as u32,
            registered,
            took_part,
            counted,
            leader,
            others,
        };
        if rng.random::<f64>() < simulation.stuffing {
            let added =
                ((registered - station.took_part) as f64 * rng.random_range(0.2..0.8)) as u64;
            add_leader_ballots(&mut station, added);
        }
        if rng.random::<f64>() < simulation.rounding {
            round_up_percentages(&mut station);
        }
        if rng.random::<f64>() < simulation.invented_counts {
            let invented = (station.leader + 5) / 10 * 10;
            if invented >= station.leader {
                let added = invented - station.leader;
                add_leader_ballots(&mut station, added);
            } else {
                let removed = station.leader - invented;
                station.leader = invented;
                station.took_part -= removed;
                station.counted -= removed;
            }
        }
        stations.push(station);
    }
    Ok(Election {
        regions: (1..=simulation.regions)
            .map(|r| format!("Region {r}"))
            .collect(),
        leader: "Leader".into(),
        other_options: (1..=simulation.other_shares.len())
            .map(|o| format!("Option {o}"))
            .collect(),
        stations,
    })
}

fn add_leader_ballots(station: &mut Station, added: u64) {
    station.leader += added;
    station.took_part += added;
    station.counted += added;
}

/// Rounds the turnout up to the next whole percentage with extra ballots for the leader, then
/// the leader's share up to the next whole percentage with votes taken from other options.
fn round_up_percentages(station: &mut Station) {
    let registered = station.registered as f64;
    let turnout_target = (100.0 * station.took_part as f64 / registered).ceil();
    let took_part = (registered * turnout_target / 100.0).round() as u64;
    if took_part > station.took_part && took_part <= station.registered {
        let added = took_part - station.took_part;
        add_leader_ballots(station, added);
    }
    let counted = station.counted as f64;
    let share_target = (100.0 * station.leader as f64 / counted).ceil();
    let leader = (counted * share_target / 100.0).round() as u64;
    let mut needed = leader.saturating_sub(station.leader);
    if needed > station.others_total() {
        return;
    }
    station.leader += needed;
    for votes in &mut station.others {
        let moved = needed.min(*votes);
        *votes -= moved;
        needed -= moved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_elections_are_consistent_and_reproducible() -> Result<(), ForensicsError> {
        let spec = Simulation {
            stuffing: 0.2,
            rounding: 0.2,
            invented_counts: 0.2,
            ..Simulation::clean(2000, 3)
        };
        let election = simulate(&spec)?;
        election.validate()?;
        assert_eq!(election, simulate(&spec)?);
        assert_ne!(election, simulate(&Simulation { seed: 4, ..spec })?);
        assert!(
            election
                .stations
                .iter()
                .all(|s| s.took_part <= s.registered)
        );
        Ok(())
    }

    #[test]
    fn fractions_outside_zero_one_are_rejected() {
        let spec = Simulation {
            stuffing: 1.5,
            ..Simulation::clean(10, 1)
        };
        assert!(matches!(
            simulate(&spec),
            Err(ForensicsError::InvalidParameter {
                name: "stuffing",
                ..
            })
        ));
    }
}
