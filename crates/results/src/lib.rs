//! Station-level election results and the CSV importer driven by TOML column mappings.
//!
//! The data model: an [`ElectionResults`] holds the election's [options](ElectionOption) and
//! its [stations](Station); each station carries [reports](Report), one per
//! [source](Source) — the commission's official protocol, observers' copies, voters' own
//! reports — each a [`StationProtocol`] with every figure optional, plus the part of it
//! confirmed by photographs.
//!
//! A [`Mapping`] (TOML) says which CSV column holds which figure, how columns combine (sums,
//! ids joined from several columns) and which sources each row carries; [`import`] streams a
//! CSV file, plain or inside a `.zip`, through it:
//!
//! ```no_run
//! use std::path::Path;
//! use fairtally_results::{import, Mapping};
//!
//! let mapping = Mapping::from_file(Path::new("mappings/russia-2012.toml"))?;
//! let (results, summary) = import(Path::new("../shared/data/russia/2012.csv.zip"), &mapping)?;
//! println!("{summary}");
//! let putin = results.option_index("putin").unwrap_or(0);
//! for (station, protocol) in results.official() {
//!     let _ = (station.station.registered, protocol.turnout(), protocol.votes_for(putin));
//! }
//! # Ok::<(), fairtally_results::ResultsError>(())
//! ```
//!
//! A mapping may also join other files to the stations by id (`[[join]]`): their coordinates,
//! or the findings of an observer network, each row checked like the results' own.
//!
//! Nothing is dropped silently: the [`ImportSummary`] counts rows read, imported and skipped,
//! every kind of problem with its first occurrences (line and column), the rows in which a
//! source had no figures, and the columns the mapping does not use.

mod csv_cell;
mod election;
mod error;
mod import;
mod join;
mod mapping;
mod protocol;
mod provenance;
mod station;
mod summary;

pub use csv_cell::spreadsheet_safe;
pub use election::{ElectionOption, ElectionResults};
pub use error::ResultsError;
pub use import::{ImportLimits, import, import_reader, import_with_limits};
pub use mapping::{
    BadValuePolicy, CoordinatesSpec, CountSpec, CountsSpec, ElectionSpec, FieldsSpec, FindingsSpec,
    FormatSpec, JoinSpec, Mapping, SourceKind, SourceSpec, StationSpec, TextSpec,
};
pub use protocol::{Field, StationProtocol};
pub use provenance::{InputFile, Provenance, civil_from_days, utc_minute};
pub use station::{Coordinates, Finding, Report, Source, Station, StationResults};
pub use summary::{
    Action, EXAMPLES_KEPT, ImportSummary, Issue, IssueCount, JoinSummary, QUOTED_CHARS,
};
