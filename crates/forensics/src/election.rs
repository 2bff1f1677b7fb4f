//! The input of every test: one election's results, station by station.
//!
//! This is deliberately small: what the tests need and nothing more. Results read through
//! `fairtally-results` are turned into it by [`crate::from_results`].

use crate::ForensicsError;

/// The largest number of voters accepted at one station: far above any real station, and low
/// enough that no arithmetic on station figures can overflow.
pub const MAX_STATION_FIGURE: u64 = 1_000_000_000;

/// One polling station's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// Index of the station's region in [`Election::regions`].
    pub region: u32,
    /// Voters on the register.
    pub registered: u64,
    /// Voters who took part (ballots issued).
    pub took_part: u64,
    /// Ballots counted (valid and invalid).
    pub counted: u64,
    /// Votes for the leader (the option whose figures are examined).
    pub leader: u64,
    /// Votes for each other option, in the order of [`Election::other_options`].
    pub others: Vec<u64>,
}

impl Station {
    /// Turnout as a fraction: took part / registered (0 when nobody is registered).
    pub fn turnout(&self) -> f64 {
        if self.registered == 0 {
            0.0
        } else {
            self.took_part as f64 / self.registered as f64
        }
    }

    /// The leader's share of ballots counted, as a fraction (0 when nothing was counted).
    pub fn leader_share(&self) -> f64 {
        if self.counted == 0 {
            0.0
        } else {
            self.leader as f64 / self.counted as f64
        }
    }

    /// Votes for all other options together (saturating, so absurd input cannot overflow).
    pub fn others_total(&self) -> u64 {
        self.others
            .iter()
            .fold(0u64, |total, &votes| total.saturating_add(votes))
    }
}

/// One election's station-level results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    /// Region names; stations refer to them by index.
    pub regions: Vec<String>,
    /// The leader's name.
    pub leader: String,
    /// The other options' names.
    pub other_options: Vec<String>,
    /// The stations.
    pub stations: Vec<Station>,
}

impl Election {
    /// Checks what every test relies on: at least one station, known regions, one figure per
    /// other option, and the leader's and others' votes within the ballots counted.
    pub fn validate(&self) -> Result<(), ForensicsError> {
        if self.stations.is_empty() {
            return Err(ForensicsError::NoStations);
        }
        for (index, station) in self.stations.iter().enumerate() {
            let fail = |reason: String| ForensicsError::InconsistentStation {
                station: format!("#{}", index + 1),
                region: self
                    .regions
                    .get(station.region as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("region #{}", station.region)),
                reason,
            };
            if station.region as usize >= self.regions.len() {
                return Err(fail(format!(
                    "region index {} but only {} regions are named",
                    station.region,
                    self.regions.len()
                )));
            }
            if station.others.len() != self.other_options.len() {
                return Err(fail(format!(
                    "{} other options' votes, expected {}",
                    station.others.len(),
                    self.other_options.len()
                )));
            }
            let largest = station
                .registered
                .max(station.took_part)
                .max(station.counted);
            if largest > MAX_STATION_FIGURE {
                return Err(fail(format!(
                    "{largest} voters at one station; more than {MAX_STATION_FIGURE} is not a polling station"
                )));
            }
            let votes = station.leader.saturating_add(station.others_total());
            if votes > station.counted {
                return Err(fail(format!(
                    "{votes} votes for the options but only {} ballots counted",
                    station.counted
                )));
            }
        }
        Ok(())
    }

    /// The stations of one region, as an election of its own.
    pub fn region(&self, name: &str) -> Result<Election, ForensicsError> {
        let index = self
            .regions
            .iter()
            .position(|region| region == name)
            .ok_or_else(|| ForensicsError::UnknownRegion(name.to_owned()))?;
        Ok(self.subset(|station| station.region as usize == index))
    }

    /// The stations that satisfy `keep`, with the same regions and options.
    pub fn subset(&self, keep: impl Fn(&Station) -> bool) -> Election {
        Election {
            regions: self.regions.clone(),
            leader: self.leader.clone(),
            other_options: self.other_options.clone(),
            stations: self.stations.iter().filter(|s| keep(s)).cloned().collect(),
        }
    }

    /// Voters on the register, over all stations.
    pub fn registered(&self) -> u64 {
        self.stations.iter().map(|s| s.registered).sum()
    }

    /// The leader's votes, over all stations.
    pub fn leader_votes(&self) -> u64 {
        self.stations.iter().map(|s| s.leader).sum()
    }

    /// Ballots counted, over all stations.
    pub fn counted(&self) -> u64 {
        self.stations.iter().map(|s| s.counted).sum()
    }
}

#[cfg(test)]
impl Station {
    /// A station of region 0 for tests, all other options' votes in one count.
    pub(crate) fn for_test(registered: u64, took_part: u64, counted: u64, leader: u64) -> Station {
        Station {
            region: 0,
            registered,
            took_part,
            counted,
            leader,
            others: vec![counted - leader],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn election(stations: Vec<Station>) -> Election {
        Election {
            regions: vec!["North".into()],
            leader: "A".into(),
            other_options: vec!["B".into()],
            stations,
        }
    }

    fn station(region: u32, counted: u64, leader: u64, others: Vec<u64>) -> Station {
        Station {
            region,
            registered: 1000,
            took_part: counted,
            counted,
            leader,
            others,
        }
    }

    #[test]
    fn every_inconsistency_is_named() {
        assert!(matches!(
            election(vec![]).validate(),
            Err(ForensicsError::NoStations)
        ));
        let cases = [
            (station(3, 500, 200, vec![100]), "region index 3"),
            (
                station(0, 500, 200, vec![100, 5]),
                "2 other options' votes, expected 1",
            ),
            (
                station(0, 500, 400, vec![200]),
                "600 votes for the options but only 500",
            ),
        ];
        for (bad, reason) in cases {
            let error = election(vec![station(0, 500, 200, vec![300]), bad]).validate();
            assert!(
                matches!(
                    &error,
                    Err(ForensicsError::InconsistentStation { station, reason: r, .. })
                        if station == "#2" && r.contains(reason)
                ),
                "{error:?}"
            );
        }
        assert!(
            election(vec![station(0, 500, 200, vec![300])])
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn unknown_region_is_an_error() {
        let e = election(vec![station(0, 500, 200, vec![300])]);
        assert_eq!(e.region("North").map(|r| r.stations.len()).ok(), Some(1));
        assert!(
            matches!(e.region("South"), Err(ForensicsError::UnknownRegion(name)) if name == "South")
        );
    }
}
