//! The adapter from the shared data model of `fairtally-results` (what the importer and the
//! column mappings produce) to the forensics input.

use std::collections::HashMap;

use fairtally_results::{ElectionResults, StationProtocol};
use serde::Serialize;

use crate::{Election, ForensicsError, MAX_STATION_FIGURE, Station};

/// What the conversion kept and left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversion {
    /// Stations with an official protocol.
    pub official_stations: usize,
    /// Stations kept.
    pub kept: usize,
    /// Stations left out, by reason, with the first few station ids for each.
    pub left_out: Vec<LeftOut>,
}

/// Stations left out for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Why.
    pub reason: &'static str,
    /// How many.
    pub stations: usize,
    /// The first station ids (at most 5).
    pub examples: Vec<String>,
}

/// The station's figures, or the reason it cannot be used.
fn station_figures(
    registered: Option<u64>,
    protocol: &StationProtocol,
    leader: usize,
) -> Result<(u64, u64, u64, u64, Vec<u64>), &'static str> {
    let registered = protocol
        .registered
        .or(registered)
        .ok_or("no registered voters")?;
    let counted = protocol
        .ballots_counted
        .or_else(|| protocol.valid?.checked_add(protocol.invalid?))
        .ok_or("no ballots counted")?;
    let took_part = protocol.ballots_issued.unwrap_or(counted);
    if registered.max(counted).max(took_part) > MAX_STATION_FIGURE {
        return Err("more than a billion voters at one station");
    }
    let leader_votes = protocol
        .votes_for(leader)
        .ok_or("no votes for the leader")?;
    let mut others = Vec::with_capacity(protocol.votes.len().saturating_sub(1));
    for (index, votes) in protocol.votes.iter().enumerate() {
        if index != leader {
            others.push(votes.ok_or("votes missing for an option")?);
        }
    }
    let options_total = others
        .iter()
        .fold(0u64, |total, &votes| total.saturating_add(votes))
        .saturating_add(leader_votes);
    if options_total > counted {
        return Err("more votes for the options than ballots counted");
    }
    Ok((registered, took_part, counted, leader_votes, others))
}

/// Converts imported results (their official protocols) into an [`Election`], the leader being
/// the option whose id or ballot name is `leader`, or the option with the most votes when
/// `leader` is `None`. Stations lacking a figure a test needs are left out and counted.
pub fn from_results(
    results: &ElectionResults,
    leader: Option<&str>,
) -> Result<(Election, Conversion), ForensicsError> {
    if results.options.is_empty() {
        return Err(ForensicsError::InvalidParameter {
            name: "results",
            reason: format!("the election {:?} has no options", results.name),
        });
    }
    let leader_index = match leader {
        Some(key) => results
            .option_index(key)
            .ok_or_else(|| ForensicsError::InvalidParameter {
                name: "leader",
                reason: format!(
                    "no option {key:?}; the options are {}",
                    results
                        .options
                        .iter()
                        .map(|o| o.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?,
        None => {
            let totals = results.official_totals();
            (0..results.options.len())
                .max_by_key(|&i| totals.votes_for(i).unwrap_or(0))
                .unwrap_or(0)
        }
    };
    let mut regions: Vec<String> = Vec::new();
    let mut region_index: HashMap<String, u32> = HashMap::new();
    let mut stations = Vec::with_capacity(results.stations.len());
    let mut left_out: Vec<LeftOut> = Vec::new();
    let mut official_stations = 0;
    for (station, protocol) in results.official() {
        official_stations += 1;
        match station_figures(station.station.registered, protocol, leader_index) {
            Ok((registered, took_part, counted, leader, others)) => {
                let name = station
                    .station
                    .region
                    .clone()
                    .unwrap_or_else(|| "(no region)".to_owned());
                let next = regions.len() as u32;
                let region = *region_index.entry(name.clone()).or_insert_with(|| {
                    regions.push(name);
                    next
                });
                stations.push(Station {
                    region,
                    registered,
                    took_part,
                    counted,
                    leader,
                    others,
                });
            }
            Err(reason) => {
                let entry = match left_out.iter().position(|l| l.reason == reason) {
                    Some(position) => &mut left_out[position],
                    None => {
                        left_out.push(LeftOut {
                            reason,
                            stations: 0,
                            examples: Vec::new(),
                        });
                        let last = left_out.len() - 1;
                        &mut left_out[last]
                    }
                };
                entry.stations += 1;
                if entry.examples.len() < 5 {
                    entry.examples.push(station.station.id.clone());
                }
            }
        }
    }
    let election = Election {
        regions,
        leader: results.options[leader_index].name.clone(),
        other_options: results
            .options
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != leader_index)
            .map(|(_, o)| o.name.clone())
            .collect(),
        stations,
    };
    let conversion = Conversion {
        official_stations,
        kept: election.stations.len(),
        left_out,
    };
    Ok((election, conversion))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtally_results::{ElectionOption, Report, Source, StationResults};

    fn results(protocols: Vec<StationProtocol>) -> ElectionResults {
        ElectionResults {
            name: "test".into(),
            options: ["a", "b"]
                .iter()
                .map(|id| ElectionOption {
                    id: (*id).into(),
                    name: id.to_uppercase(),
                })
                .collect(),
            stations: protocols
                .into_iter()
                .enumerate()
                .map(|(i, protocol)| StationResults {
                    station: fairtally_results::Station {
                        id: format!("s{i}"),
                        region: Some("R".into()),
                        ..Default::default()
                    },
                    reports: vec![Report {
                        source: Source::Official,
                        protocol,
                        confirmed: None,
                        photos: vec![],
                        origin: format!("test:{i}"),
                    }],
                })
                .collect(),
        }
    }

    fn protocol(
        registered: Option<u64>,
        counted: Option<u64>,
        a: u64,
        b: Option<u64>,
    ) -> StationProtocol {
        StationProtocol {
            registered,
            ballots_issued: counted,
            ballots_counted: counted,
            votes: vec![Some(a), b],
            ..StationProtocol::default()
        }
    }

    #[test]
    fn stations_missing_figures_are_left_out_and_counted() -> Result<(), ForensicsError> {
        let imported = results(vec![
            protocol(Some(1000), Some(600), 100, Some(500)),
            protocol(None, Some(600), 100, Some(500)),
            protocol(Some(1000), None, 100, Some(500)),
            protocol(Some(1000), Some(600), 100, None),
            protocol(Some(1000), Some(600), 400, Some(500)),
            protocol(Some(2_000_000_000), Some(600), 100, Some(500)),
        ]);
        let (election, conversion) = from_results(&imported, None)?;
        // "b" has the most votes, so it is the leader by default.
        assert_eq!(election.leader, "B");
        assert_eq!(conversion.kept, 1);
        let reasons: Vec<(&str, usize)> = conversion
            .left_out
            .iter()
            .map(|l| (l.reason, l.stations))
            .collect();
        assert_eq!(
            reasons,
            [
                ("no registered voters", 1),
                ("no ballots counted", 1),
                ("no votes for the leader", 1),
                ("more votes for the options than ballots counted", 1),
                ("more than a billion voters at one station", 1)
            ]
        );
        assert_eq!(conversion.left_out[0].examples, ["s1"]);
        let (election, _) = from_results(&imported, Some("a"))?;
        assert_eq!(election.leader, "A");
        assert_eq!(election.stations[0].others, [500]);
        Ok(())
    }

    #[test]
    fn unknown_leader_and_empty_ballot_are_errors() {
        let imported = results(vec![protocol(Some(1000), Some(600), 100, Some(500))]);
        assert!(matches!(
            from_results(&imported, Some("c")),
            Err(ForensicsError::InvalidParameter { name: "leader", reason }) if reason.contains("a, b")
        ));
        let empty = ElectionResults {
            options: vec![],
            ..imported
        };
        assert!(matches!(
            from_results(&empty, None),
            Err(ForensicsError::InvalidParameter {
                name: "results",
                ..
            })
        ));
    }
}
