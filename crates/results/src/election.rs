//! The results of one election: its options and its stations with their reports.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ResultsError;
use crate::protocol::{Field, StationProtocol};
use crate::station::{Report, StationResults};

/// One option on the ballot: a candidate, a party, or "against all".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionOption {
    /// Short identifier used in mappings and outputs (`putin`, `tihanovkaja`).
    pub id: String,
    /// Name as printed on the ballot.
    pub name: String,
}

/// Station-level results of one election, from every source read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionResults {
    /// Name of the election, from the mapping.
    pub name: String,
    /// The options on the ballot; `StationProtocol::votes` is indexed like this list.
    pub options: Vec<ElectionOption>,
    /// The stations, in the order they were first read.
    pub stations: Vec<StationResults>,
}

impl ElectionResults {
    /// Index of the option whose id or ballot name is `key`.
    pub fn option_index(&self, key: &str) -> Option<usize> {
        self.options
            .iter()
            .position(|o| o.id == key || o.name == key)
    }

    /// A map from station id to its index in [`Self::stations`].
    pub fn station_index(&self) -> HashMap<&str, usize> {
        self.stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.station.id.as_str(), i))
            .collect()
    }

    /// Every station that has an official protocol, with that protocol.
    pub fn official(&self) -> impl Iterator<Item = (&StationResults, &StationProtocol)> {
        self.stations
            .iter()
            .filter_map(|s| s.official().map(|p| (s, p)))
    }

    /// Sums of the official figures over all stations. A figure is summed over the stations
    /// that have it; it is `None` only when no station has it.
    pub fn official_totals(&self) -> StationProtocol {
        let mut total = StationProtocol::empty(self.options.len());
        for (_, p) in self.official() {
            for f in Field::ALL {
                if let Some(v) = p.get(f) {
                    total.set(f, Some(total.get(f).unwrap_or(0) + v));
                }
            }
            for (t, v) in total.votes.iter_mut().zip(&p.votes) {
                if let Some(v) = v {
                    *t = Some(t.unwrap_or(0) + v);
                }
            }
        }
        total
    }

    /// Adds a report to the station with id `station_id`; returns false (and adds nothing)
    /// when the election has no such station.
    pub fn add_report(&mut self, station_id: &str, report: Report) -> bool {
        match self
            .stations
            .iter_mut()
            .find(|s| s.station.id == station_id)
        {
            Some(s) => {
                s.reports.push(report);
                true
            }
            None => false,
        }
    }

    /// Writes the results as JSON (the format `fairtally observe import --out` produces).
    pub fn write_json(&self, path: &Path) -> Result<(), ResultsError> {
        let io = |source| ResultsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut out = BufWriter::new(File::create(path).map_err(io)?);
        serde_json::to_writer(&mut out, self).map_err(|e| io(e.into()))?;
        out.flush().map_err(io)
    }

    /// Reads results written by [`Self::write_json`], checking that every protocol has one
    /// vote slot per option.
    pub fn read_json(path: &Path) -> Result<Self, ResultsError> {
        let file = File::open(path).map_err(|source| ResultsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let results: ElectionResults =
            serde_json::from_reader(BufReader::new(file)).map_err(|source| {
                ResultsError::ResultsFile {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        let n = results.options.len();
        for s in &results.stations {
            for r in &s.reports {
                let wrong = r.protocol.votes.len() != n
                    || r.confirmed.as_ref().is_some_and(|c| c.votes.len() != n);
                if wrong {
                    return Err(ResultsError::InconsistentResults {
                        path: path.to_path_buf(),
                        station: s.station.id.clone(),
                        reason: format!(
                            "report {} must list votes for exactly {n} options",
                            r.origin
                        ),
                    });
                }
            }
        }
        Ok(results)
    }
}
