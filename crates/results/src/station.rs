//! Polling stations and the reports attached to them.

use serde::{Deserialize, Serialize};

use crate::protocol::StationProtocol;

/// A polling station as its commission lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Station {
    /// Identifier, unique within the election (e.g. `01-010-0001`, or region / commission /
    /// number joined by the mapping).
    pub id: String,
    /// Region (oblast, state, ...), when known.
    pub region: Option<String>,
    /// District or territorial commission, when known.
    pub district: Option<String>,
    /// Name or number of the station, when known.
    pub name: Option<String>,
    /// Address or coordinates, as free text, when known.
    pub location: Option<String>,
    /// The station's page at the commission's site (a source link for reports), when known.
    #[serde(default)]
    pub url: Option<String>,
    /// Voters on the register, as the station list gives it (a protocol may repeat it).
    pub registered: Option<u64>,
    /// Where the station is, from a joined file (`[[join]]` with `coordinates`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// What others found at the station, from joined files (`[[join]]` with `findings`), e.g.
    /// an observer network's violation reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// A point on the Earth in decimal degrees (WGS 84), checked to lie within range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    /// Latitude, -90 to 90.
    pub latitude: f64,
    /// Longitude, -180 to 180.
    pub longitude: f64,
}

// Coordinates are only ever read from text and checked to be finite, so equality is total.
impl Eq for Coordinates {}

/// One finding about a station from a source outside the results (an observer network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Who found it, as the mapping names them (e.g. `Zubr observers`).
    pub source: String,
    /// What was found, in words.
    pub finding: String,
}

/// Who produced a protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The election commission's own figures.
    Official,
    /// An observer who copied or photographed the protocol.
    Observer {
        /// Who: the observer's public key (hex) for signed submissions, or a name or code from
        /// the imported file.
        observer: String,
        /// True when the observer's signature and accreditation were verified.
        signed: bool,
    },
    /// Voters reporting their own vote (e.g. the Golos/Voice platform): each figure counts the
    /// voters who reported it, not the ballots in the box.
    Voters,
}

impl Source {
    /// A short label for tables: `official`, `observer:<id>`, `voters`.
    pub fn label(&self) -> String {
        match self {
            Source::Official => "official".to_owned(),
            Source::Observer { observer, .. } => format!("observer:{observer}"),
            Source::Voters => "voters".to_owned(),
        }
    }
}

/// One protocol of one station, from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Who produced it.
    pub source: Source,
    /// The figures reported.
    pub protocol: StationProtocol,
    /// The part of those figures backed by photographs (of the ballots for voters' reports, of
    /// the protocol for observers), when the source says so.
    pub confirmed: Option<StationProtocol>,
    /// SHA-256 (hex) of the photographs behind the report.
    pub photos: Vec<String>,
    /// Where it was read: `file:line` for imported rows, the submission's hash for signed ones.
    pub origin: String,
}

/// A station with every report about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationResults {
    /// The station.
    pub station: Station,
    /// Its protocols, in the order they were read.
    pub reports: Vec<Report>,
}

impl StationResults {
    /// The official protocol, if there is one.
    pub fn official(&self) -> Option<&StationProtocol> {
        self.reports
            .iter()
            .find(|r| r.source == Source::Official)
            .map(|r| &r.protocol)
    }

    /// The observers' protocols.
    pub fn observed(&self) -> impl Iterator<Item = &Report> {
        self.reports
            .iter()
            .filter(|r| matches!(r.source, Source::Observer { .. }))
    }

    /// The voters' reports, if there are any.
    pub fn voters(&self) -> Option<&Report> {
        self.reports.iter().find(|r| r.source == Source::Voters)
    }
}
