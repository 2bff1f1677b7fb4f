//! Reading and verifying ElectionGuard election records as other implementations write them:
//! electionguard-python 0.95 and 1.x records (the ElectionGuard 1.0 specification's
//! verification steps V1–V12), the 1.91 sample (the 2.0 steps over 1.x files) and
//! ElectionGuard 2.0 records as electionguard-kotlin-multiplatform writes them (the 2.0
//! specification's steps V1–V18; egk-ec's 2.1 records in 2.1's numbering, V1–V19), the latter
//! in the 4096-bit integer group or, for egk-ec's elliptic-curve records, on P-256 ([`curve`]).
//!
//! The verifier reads a record directory or `.zip` archive, detects its version, runs every
//! step of that version's specification, counts the items that passed each step and names
//! each failed item by its object_id. See `docs/ELECTIONGUARD.md` for the versions, the steps
//! and where the specifications and the sample records disagree.
//!
//! Verification handles public data only, so the arithmetic is variable-time (see [`group`]).

pub mod constants;
pub mod curve;
pub mod error;
pub mod group;
pub mod import;
pub mod json;
pub mod manifest;
pub mod parameters;
pub mod report;
pub mod source;
pub mod v1;
pub mod v1_91;
pub mod v2;

use std::path::Path;

pub use error::{Error, Result};
pub use parameters::Options;
pub use report::Report;
pub use source::Files;

/// The kinds of record this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// electionguard-python 0.95 or 1.x, in one of its layouts.
    One(v1::record::Layout),
    /// The 1.91 sample: 1.x files with the 2.0 equations (electionguard-core2).
    OneNinetyOne,
    /// ElectionGuard 2.0, as electionguard-kotlin-multiplatform writes it (or egk-ec's 2.1
    /// layout in the integer group).
    Two,
    /// egk-ec's 2.1 layout on P-256.
    TwoP256,
}

impl Version {
    /// The name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Version::One(layout) => layout.name(),
            Version::OneNinetyOne => v1_91::verify::NAME,
            Version::Two => {
                "ElectionGuard 2.0 (electionguard-kotlin-multiplatform, or egk-ec in its 2.1 layout)"
            }
            Version::TwoP256 => "ElectionGuard 2.1 on P-256 (egk-ec)",
        }
    }
}

/// The version of the record in `files`, if it is an ElectionGuard record this crate reads.
pub fn detect(files: &Files) -> Result<Option<Version>> {
    match v2::record::detect(files)? {
        Some(v2::record::GroupKind::Integer) => return Ok(Some(Version::Two)),
        Some(v2::record::GroupKind::P256) => return Ok(Some(Version::TwoP256)),
        None => {}
    }
    if v1_91::record::detect(files)? {
        return Ok(Some(Version::OneNinetyOne));
    }
    Ok(v1::record::detect(files)?.map(Version::One))
}

/// Whether `path` (a directory or a `.zip`) looks like an ElectionGuard record, judged from
/// its file names alone (cheap: nothing is parsed).
pub fn looks_like_record(path: &Path) -> bool {
    source::looks_like(path)
}

/// Read the record at `path` and verify it. `version` overrides the detection.
pub fn verify_path(path: &Path, version: Option<Version>, options: Options) -> Result<Report> {
    let files = Files::read(path)?;
    verify_files(&files, version, options)
}

/// Verify a record already read.
pub fn verify_files(files: &Files, version: Option<Version>, options: Options) -> Result<Report> {
    let version = match version {
        Some(v) => v,
        None => detect(files)?.ok_or_else(|| {
            Error::NotElectionGuard(format!(
                "{} is not an ElectionGuard record this verifier reads",
                files.origin.display()
            ))
        })?,
    };
    match version {
        Version::One(layout) => {
            let record = v1::record::read(files, layout)?;
            Ok(v1::verify::verify(&record, options))
        }
        Version::OneNinetyOne => Ok(v1_91::verify::verify(&v1_91::record::read(files)?, options)),
        Version::Two => Ok(v2::verify::verify(&v2::record::read(files)?, options)),
        Version::TwoP256 => Ok(v2::verify::verify_p256(&v2::record::read(files)?)),
    }
}
