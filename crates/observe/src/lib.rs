//! Independent observation of elections run by others.
//!
//! - [`compare()`]: confronts the official protocols with observers' protocols and voters'
//!   photo-confirmed reports, checks every protocol's arithmetic ([`checks`]), and finds the
//!   proof of falsification that needs no statistics: stations where more voters showed a
//!   photo of their ballot for an option than the official count gives it.
//!   [`write_comparison`] writes `summary.json`, `flagged.csv` and a self-contained
//!   `report.html`.
//! - [`pvt`]: parallel vote tabulation from a sample anyone can recompute from a public seed,
//!   with ratio estimates and margins of error; [`sample_size()`] says how large it must be.
//!
//! - [`keys`], [`signed`], [`store`]: organisations accredit observers by signing their
//!   Ed25519 public keys; observers sign each protocol, with the SHA-256 of its photos, offline;
//!   signed items have canonical bytes ([`ObservationItem::canonical_bytes`]) and are kept in a
//!   content-addressed directory ([`Store`]) until they are put on the bulletin board.
//!
//! Station-level results come from `fairtally-results` (CSV through TOML column mappings).

pub mod bulletin;
pub mod checks;
mod compare;
mod error;
pub mod keys;
mod output;
pub mod pvt;
mod report;
mod report_map;
mod sample_size;
pub mod signed;
pub mod store;

pub use compare::{
    CheckSummary, Comparison, Flag, Item, ItemComparison, MapStation, Point, Reason, Summary,
    compare,
};
pub use error::ObserveError;
pub use fairtally_results::spreadsheet_safe;
pub use output::{Written, write_comparison, write_pvt};
pub use report::render_report;
pub use sample_size::{
    DEFAULT_CONFIDENCE, MAX_BARE_MARGIN, PastSampleSize, SampleSize, normal_quantile,
    parse_confidence, parse_margin, parse_proportion, sample_size, sample_size_from_past,
};
pub use signed::{
    Accreditation, ObservationItem, ProtocolBody, SignedProtocol, Submission, verify_items,
};
pub use store::{Items, MergeSummary, Store};
