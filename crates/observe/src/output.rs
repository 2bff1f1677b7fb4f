//! Writing a confrontation to a directory: `summary.json`, `flagged.csv`, `regions.csv` and
//! `report.html`, every CSV cell through [`spreadsheet_safe`].

use std::path::{Path, PathBuf};

use fairtally_files::{Access, write_atomic};
use fairtally_results::{Provenance, spreadsheet_safe};

use crate::compare::Comparison;
use crate::error::ObserveError;
use crate::pvt::PvtResult;
use crate::report::render_report;
use crate::report_map::region_rows;

fn io(path: &Path) -> impl Fn(std::io::Error) -> ObserveError + '_ {
    move |source| ObserveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes CSV rows with every cell passed through [`spreadsheet_safe`]; `into_bytes` returns
/// the file's bytes. `path` names the file in errors.
struct SafeCsv<'p> {
    out: csv::Writer<Vec<u8>>,
    path: &'p Path,
}

impl<'p> SafeCsv<'p> {
    fn new(path: &'p Path) -> Self {
        SafeCsv {
            out: csv::Writer::from_writer(Vec::new()),
            path,
        }
    }

    fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), ObserveError> {
        self.out
            .write_record(
                cells
                    .into_iter()
                    .map(spreadsheet_safe)
                    .map(|c| c.into_owned()),
            )
            .map_err(|e| io(self.path)(std::io::Error::other(e.to_string())))
    }

    fn into_bytes(self) -> Result<Vec<u8>, ObserveError> {
        self.out
            .into_inner()
            .map_err(|e| io(self.path)(std::io::Error::other(e.to_string())))
    }
}

/// The files written by [`write_comparison`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `summary.json`.
    pub summary: PathBuf,
    /// `flagged.csv`.
    pub flagged: PathBuf,
    /// `regions.csv`: the rates per region.
    pub regions: PathBuf,
    /// `report.html`.
    pub report: PathBuf,
}

/// Writes `summary.json`, `flagged.csv`, `regions.csv` and `report.html` into `dir` (created
/// if needed). `pvt`, when given, is added to the report, and `provenance` to its footer.
pub fn write_comparison(
    dir: &Path,
    comparison: &Comparison,
    pvt: Option<&PvtResult>,
    provenance: Option<&Provenance>,
) -> Result<Written, ObserveError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let written = Written {
        summary: dir.join("summary.json"),
        flagged: dir.join("flagged.csv"),
        regions: dir.join("regions.csv"),
        report: dir.join("report.html"),
    };
    let json = serde_json::to_vec_pretty(&comparison.summary)
        .map_err(|e| io(&written.summary)(e.into()))?;
    write_atomic(&written.summary, &json, Access::Public)?;
    write_atomic(
        &written.flagged,
        &flagged_csv(comparison, &written.flagged)?,
        Access::Public,
    )?;
    write_atomic(
        &written.regions,
        &regions_csv(comparison, &written.regions)?,
        Access::Public,
    )?;
    let html = render_report(comparison, pvt, provenance)?;
    write_atomic(&written.report, html.as_bytes(), Access::Public)?;
    Ok(written)
}

/// Writes `pvt.json` (the whole result) and `sample.csv` (the sampled station ids, one per
/// line, with whether each had figures) into `dir`; returns their paths.
pub fn write_pvt(dir: &Path, pvt: &PvtResult) -> Result<[PathBuf; 2], ObserveError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json_path = dir.join("pvt.json");
    let json = serde_json::to_vec_pretty(pvt).map_err(|e| io(&json_path)(e.into()))?;
    write_atomic(&json_path, &json, Access::Public)?;
    let csv_path = dir.join("sample.csv");
    let missing: std::collections::HashSet<&str> = pvt.missing.iter().map(String::as_str).collect();
    let mut csv = SafeCsv::new(&csv_path);
    csv.row(["station", "has_figures"])?;
    for id in &pvt.sample {
        let has = if missing.contains(id.as_str()) {
            "false"
        } else {
            "true"
        };
        csv.row([id.as_str(), has])?;
    }
    write_atomic(&csv_path, &csv.into_bytes()?, Access::Public)?;
    Ok([json_path, csv_path])
}

/// `regions.csv`: per region, stations, flagged stations and stations with observers'
/// findings, with their shares, the highest share flagged first.
fn regions_csv(comparison: &Comparison, path: &Path) -> Result<Vec<u8>, ObserveError> {
    let mut out = SafeCsv::new(path);
    out.row([
        "region",
        "stations",
        "flagged",
        "percent_flagged",
        "with_findings",
        "percent_with_findings",
    ])?;
    // Percentages as plain numbers, so a spreadsheet reads them as numbers.
    let percent =
        |part: u64, whole: u64| format!("{:.2}", 100.0 * part as f64 / whole.max(1) as f64);
    for r in region_rows(&comparison.summary) {
        let cells = [
            r.region.clone(),
            r.stations.to_string(),
            r.flagged.to_string(),
            percent(r.flagged, r.stations),
            r.with_findings.to_string(),
            percent(r.with_findings, r.stations),
        ];
        out.row(cells.iter().map(String::as_str))?;
    }
    out.into_bytes()
}

/// `flagged.csv`: one row per finding, with the station, region, reason, figure, official and
/// other value, source and details.
fn flagged_csv(comparison: &Comparison, path: &Path) -> Result<Vec<u8>, ObserveError> {
    let mut out = SafeCsv::new(path);
    out.row([
        "station", "region", "reason", "item", "official", "other", "source", "detail",
    ])?;
    let number = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    for f in &comparison.flags {
        out.row([
            f.station.as_str(),
            f.region.as_deref().unwrap_or(""),
            f.reason.name(),
            &f.item,
            &number(f.official),
            &number(f.other),
            &f.source,
            &f.detail,
        ])?;
    }
    out.into_bytes()
}
