//! Column-mapping files: TOML that says which CSV column holds which figure, so that any
//! country's results can be read without code. The format is documented in `docs/OBSERVE.md`
//! and by the shipped mappings in `mappings/`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::election::ElectionOption;
use crate::error::ResultsError;
use crate::protocol::Field;

/// A column mapping: the election's options, how to read a station, and one or more sources
/// of figures in each row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The election and its options.
    pub election: ElectionSpec,
    /// How the file is laid out.
    #[serde(default)]
    pub format: FormatSpec,
    /// Which columns describe the station.
    pub station: StationSpec,
    /// The sources of figures in each row (`[[source]]` tables), e.g. the official protocol and
    /// the voters' reports.
    #[serde(rename = "source")]
    pub sources: Vec<SourceSpec>,
    /// Other files joined to the stations by id (`[[join]]` tables): coordinates, findings.
    #[serde(default, rename = "join")]
    pub joins: Vec<JoinSpec>,
    /// The file the mapping was read from, for error messages.
    #[serde(skip)]
    pub origin: PathBuf,
}

/// `[election]`: name and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionSpec {
    /// Name of the election.
    pub name: String,
    /// The options on the ballot, in the order outputs list them.
    pub options: Vec<ElectionOption>,
}

/// `[format]`: delimiter, archive entry, and what to do with bad values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatSpec {
    /// The field delimiter, one ASCII character (default `,`).
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// The CSV file inside a `.zip` archive; by default the archive's only `.csv` entry.
    #[serde(default)]
    pub zip_entry: Option<String>,
    /// What to do with a cell that cannot be read (default: skip the row).
    #[serde(default)]
    pub on_bad_value: BadValuePolicy,
}

impl Default for FormatSpec {
    fn default() -> Self {
        FormatSpec {
            delimiter: default_delimiter(),
            zip_entry: None,
            on_bad_value: BadValuePolicy::default(),
        }
    }
}

fn default_delimiter() -> String {
    ",".to_owned()
}

/// What the importer does with a cell it cannot read (a negative or non-numeric count, an
/// incomplete sum, a row with too few fields). Whatever the choice, the import summary counts
/// every case and quotes the first ones with line and column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadValuePolicy {
    /// Skip the whole row.
    #[default]
    SkipRow,
    /// Keep the row and treat the figure as missing.
    DropValue,
    /// Stop the import with an error.
    Fail,
}

/// A text taken from one column, or several columns joined (a station id composed of region,
/// commission and number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum TextSpec {
    /// One column, by header name.
    Column(String),
    /// Several columns joined by `separator`.
    Joined {
        /// The columns, by header name.
        columns: Vec<String>,
        /// What goes between them (default `/`).
        #[serde(default = "default_separator")]
        separator: String,
        /// Columns joined after `columns` when not empty (a station id's part that some rows
        /// lack, such as the number of a Russian electronic-voting pseudo-station); every
        /// column of `columns` must be filled.
        #[serde(default)]
        then_if_present: Vec<String>,
    },
    /// One part of a column split at `split` (the region `01` of a station id `01-010-0001`).
    Part {
        /// The column, by header name.
        column: String,
        /// The separator to split at.
        split: String,
        /// Which part, counting from 0.
        part: usize,
    },
}

fn default_separator() -> String {
    "/".to_owned()
}

/// A count taken from one column, or the sum of several (Russian protocols give ballots issued
/// early, in the room and outside it; the voters who took part are their sum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum CountSpec {
    /// One column, by header name.
    Column(String),
    /// The sum of several columns. Empty in all of them means the figure is missing; empty in
    /// only some of them is a bad value.
    Sum {
        /// The columns, by header name.
        sum: Vec<String>,
    },
}

impl CountSpec {
    /// The columns this count reads.
    pub fn columns(&self) -> &[String] {
        match self {
            CountSpec::Column(c) => std::slice::from_ref(c),
            CountSpec::Sum { sum } => sum,
        }
    }
}

impl TextSpec {
    /// The columns that may be empty (joined last, when filled).
    pub fn optional_columns(&self) -> &[String] {
        match self {
            TextSpec::Joined {
                then_if_present, ..
            } => then_if_present,
            _ => &[],
        }
    }

    /// The columns this text reads (without [`Self::optional_columns`]).
    pub fn columns(&self) -> &[String] {
        match self {
            TextSpec::Column(c) => std::slice::from_ref(c),
            TextSpec::Joined { columns, .. } => columns,
            TextSpec::Part { column, .. } => std::slice::from_ref(column),
        }
    }
}

/// `[station]`: which columns describe the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    /// The station's identifier (required, unique per station).
    pub id: TextSpec,
    /// Region.
    #[serde(default)]
    pub region: Option<TextSpec>,
    /// Names of the regions by the value `region` reads (`"07" = "Minsk city"`), for reports;
    /// a region without a name here keeps its value.
    #[serde(default)]
    pub region_names: BTreeMap<String, String>,
    /// District or territorial commission.
    #[serde(default)]
    pub district: Option<TextSpec>,
    /// Name or number.
    #[serde(default)]
    pub name: Option<TextSpec>,
    /// Address or coordinates.
    #[serde(default)]
    pub location: Option<TextSpec>,
    /// The station's page at the commission's site.
    #[serde(default)]
    pub url: Option<TextSpec>,
    /// Voters on the register.
    #[serde(default)]
    pub registered: Option<CountSpec>,
}

/// `[[join]]`: another CSV file with one row per station, joined by the station's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSpec {
    /// The file, relative to the folder of the results file (a `.zip`'s folder for archives).
    pub file: PathBuf,
    /// Its column holding the station id, as `station.id` gives it.
    pub key: String,
    /// Where its columns give each station's coordinates.
    #[serde(default)]
    pub coordinates: Option<CoordinatesSpec>,
    /// Its true/false columns, each a finding about the station.
    #[serde(default)]
    pub findings: Option<FindingsSpec>,
}

/// `coordinates = { latitude = "…", longitude = "…" }`: decimal degrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatesSpec {
    /// The latitude column.
    pub latitude: String,
    /// The longitude column.
    pub longitude: String,
}

/// `findings`: who found them, and per true/false column the finding in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsSpec {
    /// Who reports them (e.g. `Zubr observers`).
    pub source: String,
    /// Column → the finding in words, for a station where the column is true.
    pub columns: BTreeMap<String, String>,
}

/// The kind of a source of figures in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The commission's protocol.
    Official,
    /// An observer's copy of the protocol (unsigned when imported from CSV).
    Observer,
    /// Voters' reports of their own votes.
    Voters,
}

impl SourceKind {
    /// `official`, `observer` or `voters`.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Official => "official",
            SourceKind::Observer => "observer",
            SourceKind::Voters => "voters",
        }
    }
}

/// Figures of a protocol: the fields of the result sheet and the votes per option id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountsSpec {
    /// The result-sheet figures.
    #[serde(default)]
    pub fields: FieldsSpec,
    /// Votes per option: option id to column(s).
    #[serde(default)]
    pub votes: BTreeMap<String, CountSpec>,
}

/// `[[source]]`: one source of figures in each row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Official, observer or voters.
    pub kind: SourceKind,
    /// For observers: the column naming the observer (required for `kind = "observer"`).
    #[serde(default)]
    pub observer: Option<TextSpec>,
    /// The result-sheet figures.
    #[serde(default)]
    pub fields: FieldsSpec,
    /// Votes per option: option id to column(s).
    #[serde(default)]
    pub votes: BTreeMap<String, CountSpec>,
    /// The part of the figures confirmed by photographs (`[source.confirmed]`), if the file
    /// has it.
    #[serde(default)]
    pub confirmed: Option<CountsSpec>,
}

/// `[source.fields]`: which column(s) hold each result-sheet figure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldsSpec {
    /// Voters on the register.
    #[serde(default)]
    pub registered: Option<CountSpec>,
    /// Ballots received.
    #[serde(default)]
    pub ballots_received: Option<CountSpec>,
    /// Ballots issued (voters who took part).
    #[serde(default)]
    pub ballots_issued: Option<CountSpec>,
    /// Ballots cancelled.
    #[serde(default)]
    pub ballots_cancelled: Option<CountSpec>,
    /// Ballots counted.
    #[serde(default)]
    pub ballots_counted: Option<CountSpec>,
    /// Valid ballots.
    #[serde(default)]
    pub valid: Option<CountSpec>,
    /// Invalid ballots.
    #[serde(default)]
    pub invalid: Option<CountSpec>,
}

impl FieldsSpec {
    /// The spec of one field.
    pub fn get(&self, field: Field) -> Option<&CountSpec> {
        match field {
            Field::Registered => self.registered.as_ref(),
            Field::BallotsReceived => self.ballots_received.as_ref(),
            Field::BallotsIssued => self.ballots_issued.as_ref(),
            Field::BallotsCancelled => self.ballots_cancelled.as_ref(),
            Field::BallotsCounted => self.ballots_counted.as_ref(),
            Field::Valid => self.valid.as_ref(),
            Field::Invalid => self.invalid.as_ref(),
        }
    }
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn from_file(path: &Path) -> Result<Self, ResultsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses and checks a mapping from TOML text; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Self, ResultsError> {
        let mut mapping: Mapping =
            toml::from_str(text).map_err(|source| ResultsError::MappingSyntax {
                path: origin.to_path_buf(),
                source: Box::new(source),
            })?;
        mapping.origin = origin.to_path_buf();
        mapping.check()?;
        Ok(mapping)
    }

    fn invalid(&self, item: impl Into<String>, reason: impl Into<String>) -> ResultsError {
        ResultsError::MappingInvalid {
            path: self.origin.clone(),
            item: item.into(),
            reason: reason.into(),
        }
    }

    /// A join must bring something, from a file beside the results (no absolute path, no
    /// `..`: a mapping names data, it does not reach elsewhere on the disk).
    fn check_joins(&self) -> Result<(), ResultsError> {
        for (i, j) in self.joins.iter().enumerate() {
            let item = format!("join[{i}]");
            let plain = j
                .file
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if j.file.as_os_str().is_empty() || !plain {
                return Err(self.invalid(
                    format!("{item}.file"),
                    format!(
                        "must name a file beside the results (no absolute path or `..`), not {:?}",
                        j.file.display().to_string()
                    ),
                ));
            }
            if j.key.is_empty() {
                return Err(self.invalid(format!("{item}.key"), "empty column name"));
            }
            match (&j.coordinates, &j.findings) {
                (None, None) => {
                    return Err(self.invalid(
                        item,
                        "joins nothing: give `coordinates` or `findings` (or both)",
                    ));
                }
                (_, Some(f)) if f.columns.is_empty() || f.source.is_empty() => {
                    return Err(self.invalid(
                        format!("{item}.findings"),
                        "needs a `source` and at least one column",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks what TOML cannot: known and unique options, a usable delimiter, at least one
    /// source, observers named, no empty column lists.
    fn check(&self) -> Result<(), ResultsError> {
        if self.election.options.is_empty() {
            return Err(self.invalid("election.options", "lists no option"));
        }
        let mut ids = HashSet::new();
        for (i, o) in self.election.options.iter().enumerate() {
            if o.id.is_empty() {
                return Err(self.invalid(format!("election.options[{i}]"), "empty id"));
            }
            if !ids.insert(o.id.as_str()) {
                return Err(self.invalid(
                    format!("election.options[{i}]"),
                    format!("option id `{}` appears twice", o.id),
                ));
            }
        }
        if self.format.delimiter.len() != 1 {
            return Err(self.invalid(
                "format.delimiter",
                format!(
                    "must be one ASCII character, not {:?}",
                    self.format.delimiter
                ),
            ));
        }
        if self.sources.is_empty() {
            return Err(self.invalid("source", "the mapping has no [[source]] table"));
        }
        self.check_joins()?;
        let mut texts: Vec<(String, &TextSpec)> = vec![("station.id".into(), &self.station.id)];
        for (name, t) in [
            ("region", &self.station.region),
            ("district", &self.station.district),
            ("name", &self.station.name),
            ("location", &self.station.location),
            ("url", &self.station.url),
        ] {
            if let Some(t) = t {
                texts.push((format!("station.{name}"), t));
            }
        }
        let mut counts: Vec<(String, &[String])> = Vec::new();
        if let Some(r) = &self.station.registered {
            counts.push(("station.registered".into(), r.columns()));
        }
        for (i, s) in self.sources.iter().enumerate() {
            match (s.kind, &s.observer) {
                (SourceKind::Observer, None) => {
                    return Err(self.invalid(
                        format!("source[{i}].observer"),
                        "an observer source must name the column that identifies the observer",
                    ));
                }
                (SourceKind::Observer, Some(t)) => texts.push((format!("source[{i}].observer"), t)),
                (_, Some(_)) => {
                    return Err(self.invalid(
                        format!("source[{i}].observer"),
                        "only observer sources name an observer",
                    ));
                }
                (_, None) => {}
            }
            let mut parts = vec![(format!("source[{i}]"), &s.fields, &s.votes)];
            if let Some(c) = &s.confirmed {
                parts.push((format!("source[{i}].confirmed"), &c.fields, &c.votes));
            }
            for (prefix, fields, votes) in parts {
                for f in Field::ALL {
                    if let Some(c) = fields.get(f) {
                        counts.push((format!("{prefix}.fields.{}", f.name()), c.columns()));
                    }
                }
                for (option, c) in votes {
                    if !ids.contains(option.as_str()) {
                        return Err(self.invalid(
                            format!("{prefix}.votes.{option}"),
                            "not an option listed in [election]",
                        ));
                    }
                    counts.push((format!("{prefix}.votes.{option}"), c.columns()));
                }
            }
        }
        for (item, text) in &texts {
            if let TextSpec::Part { split, .. } = text
                && split.is_empty()
            {
                return Err(self.invalid(format!("{item}.split"), "is empty"));
            }
        }
        let text_columns = texts.iter().map(|(item, t)| (item, t.columns()));
        for (item, columns) in text_columns.chain(counts.iter().map(|(i, c)| (i, *c))) {
            if columns.is_empty() {
                return Err(self.invalid(item.clone(), "lists no column"));
            }
        }
        Ok(())
    }
}
