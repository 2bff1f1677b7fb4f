//! Writing a confrontation to a directory: `summary.json`, `flagged.csv` and `report.html`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::compare::Comparison;
use crate::error::ObserveError;
use crate::pvt::PvtResult;
use crate::report::render_report;

fn io(path: &Path) -> impl Fn(std::io::Error) -> ObserveError + '_ {
    move |source| ObserveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a crash never
/// leaves a half-written file under the final name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ObserveError> {
    let tmp = path.with_extension("partial");
    let mut file = BufWriter::new(File::create(&tmp).map_err(io(&tmp))?);
    file.write_all(bytes).map_err(io(&tmp))?;
    file.into_inner()
        .map_err(|e| io(&tmp)(e.into_error()))?
        .sync_all()
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// The files written by [`write_comparison`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `summary.json`.
    pub summary: PathBuf,
    /// `flagged.csv`.
    pub flagged: PathBuf,
    /// `report.html`.
    pub report: PathBuf,
}

/// Writes `summary.json`, `flagged.csv` and `report.html` into `dir` (created if needed).
/// `pvt`, when given, is added to the report.
pub fn write_comparison(
    dir: &Path,
    comparison: &Comparison,
    pvt: Option<&PvtResult>,
) -> Result<Written, ObserveError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let written = Written {
        summary: dir.join("summary.json"),
        flagged: dir.join("flagged.csv"),
        report: dir.join("report.html"),
    };
    let json = serde_json::to_vec_pretty(&comparison.summary)
        .map_err(|e| io(&written.summary)(e.into()))?;
    write_atomically(&written.summary, &json)?;
    write_atomically(
        &written.flagged,
        &flagged_csv(comparison, &written.flagged)?,
    )?;
    let html = render_report(comparison, pvt)?;
    write_atomically(&written.report, html.as_bytes())?;
    Ok(written)
}

/// Writes `pvt.json` (the whole result) and `sample.csv` (the sampled station ids, one per
/// line, with whether each had figures) into `dir`; returns their paths.
pub fn write_pvt(dir: &Path, pvt: &PvtResult) -> Result<[PathBuf; 2], ObserveError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json_path = dir.join("pvt.json");
    let json = serde_json::to_vec_pretty(pvt).map_err(|e| io(&json_path)(e.into()))?;
    write_atomically(&json_path, &json)?;
    let csv_path = dir.join("sample.csv");
    let missing: std::collections::HashSet<&str> = pvt.missing.iter().map(String::as_str).collect();
    let csv_error = |e: csv::Error| io(&csv_path)(std::io::Error::other(e.to_string()));
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["station", "has_figures"])
        .map_err(csv_error)?;
    for id in &pvt.sample {
        let has = if missing.contains(id.as_str()) {
            "false"
        } else {
            "true"
        };
        csv.write_record([id.as_str(), has]).map_err(csv_error)?;
    }
    let csv = csv
        .into_inner()
        .map_err(|e| io(&csv_path)(std::io::Error::other(e.to_string())))?;
    write_atomically(&csv_path, &csv)?;
    Ok([json_path, csv_path])
}

/// `flagged.csv`: one row per finding, with the station, region, reason, figure, official and
/// other value, source and details.
fn flagged_csv(comparison: &Comparison, path: &Path) -> Result<Vec<u8>, ObserveError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| io(path)(std::io::Error::other(e.to_string()));
    out.write_record([
        "station", "region", "reason", "item", "official", "other", "source", "detail",
    ])
    .map_err(csv_error)?;
    let number = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    for f in &comparison.flags {
        out.write_record([
            f.station.as_str(),
            f.region.as_deref().unwrap_or(""),
            f.reason.name(),
            &f.item,
            &number(f.official),
            &number(f.other),
            &f.source,
            &f.detail,
        ])
        .map_err(csv_error)?;
    }
    out.into_inner()
        .map_err(|e| io(path)(std::io::Error::other(e.to_string())))
}
