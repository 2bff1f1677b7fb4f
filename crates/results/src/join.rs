//! Files joined to the stations by id (`[[join]]` in a mapping): each station's coordinates,
//! and the findings of an observer network, one row per station.
//!
//! A joined file is read as strictly as the results: bounded in size, every column it uses
//! must exist, and each cell that cannot be read is counted in the import summary with its
//! line (the value is left out), as are rows naming no station of the results and stations
//! named twice.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use csv::ByteRecord;

use crate::ElectionResults;
use crate::error::ResultsError;
use crate::import::ImportLimits;
use crate::mapping::{JoinSpec, Mapping};
use crate::station::{Coordinates, Finding};
use crate::summary::{Action, ImportSummary, Issue, JoinSummary, cut_short};

/// Joins every `[[join]]` file of `mapping`, found in `folder`, to `results`.
pub(crate) fn apply(
    results: &mut ElectionResults,
    summary: &mut ImportSummary,
    mapping: &Mapping,
    folder: &Path,
    limits: &ImportLimits,
) -> Result<(), ResultsError> {
    if mapping.joins.is_empty() {
        return Ok(());
    }
    let index: HashMap<String, usize> = results
        .stations
        .iter()
        .enumerate()
        .map(|(i, s)| (s.station.id.clone(), i))
        .collect();
    for (i, spec) in mapping.joins.iter().enumerate() {
        let joined = join_one(results, summary, &index, spec, i, folder, limits)?;
        summary.joined.push(joined);
    }
    Ok(())
}

/// The columns one join reads, by position in its header.
struct Plan {
    key: usize,
    coordinates: Option<(usize, usize)>,
    /// (column, finding in words)
    findings: Vec<(usize, String)>,
}

fn plan(
    headers: &[String],
    spec: &JoinSpec,
    item: &str,
    path: &Path,
) -> Result<Plan, ResultsError> {
    let find = |column: &str, what: String| {
        headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| ResultsError::MissingColumn {
                path: path.to_path_buf(),
                column: column.to_owned(),
                item: what,
            })
    };
    let key = find(&spec.key, format!("{item}.key"))?;
    let coordinates = match &spec.coordinates {
        Some(c) => Some((
            find(&c.latitude, format!("{item}.coordinates.latitude"))?,
            find(&c.longitude, format!("{item}.coordinates.longitude"))?,
        )),
        None => None,
    };
    let mut findings = Vec::new();
    if let Some(f) = &spec.findings {
        for (column, words) in &f.columns {
            let at = find(column, format!("{item}.findings.columns.{column}"))?;
            findings.push((at, words.clone()));
        }
    }
    Ok(Plan {
        key,
        coordinates,
        findings,
    })
}

fn join_one(
    results: &mut ElectionResults,
    summary: &mut ImportSummary,
    index: &HashMap<String, usize>,
    spec: &JoinSpec,
    number: usize,
    folder: &Path,
    limits: &ImportLimits,
) -> Result<JoinSummary, ResultsError> {
    let path = folder.join(&spec.file);
    let io = |source| ResultsError::Io {
        path: path.clone(),
        source,
    };
    let file = File::open(&path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limits.zip_entry_bytes {
        return Err(ResultsError::TooLarge {
            path,
            line: 1,
            reason: format!(
                "the file has {size} bytes; a joined file may have at most {}",
                limits.zip_entry_bytes
            ),
        });
    }
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(file.take(limits.zip_entry_bytes));
    let csv_error = |e: csv::Error, line: u64| ResultsError::Csv {
        path: path.clone(),
        line,
        reason: e.to_string(),
    };
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| csv_error(e, 1))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let item = format!("join[{number}]");
    let plan = plan(&headers, spec, &item, &path)?;
    let label = spec.file.display().to_string();
    let source = spec.findings.as_ref().map(|f| f.source.clone());
    let mut joined = JoinSummary {
        file: path.clone(),
        ..JoinSummary::default()
    };
    let mut seen = vec![false; results.stations.len()];
    let mut record = ByteRecord::new();
    loop {
        let line = csv.position().line();
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e, line)),
        }
        if record.as_slice().len() as u64 > limits.record_bytes {
            return Err(ResultsError::TooLarge {
                path,
                line,
                reason: format!("a row may have at most {} bytes", limits.record_bytes),
            });
        }
        joined.rows += 1;
        let cell = |at: usize| record.get(at).unwrap_or_default().trim_ascii();
        let row_issue = |value: String| Issue {
            line,
            column: String::new(),
            value,
            value_bytes: None,
        };
        let key = String::from_utf8_lossy(cell(plan.key));
        let Some(&at) = index.get(key.as_ref()) else {
            joined.unknown_stations += 1;
            summary.note(
                &format!("{label}: row for no station of the results"),
                Action::RowSkipped,
                row_issue(format!("station {key:?}")),
            );
            continue;
        };
        if std::mem::replace(&mut seen[at], true) {
            summary.note(
                &format!("{label}: station joined twice"),
                Action::RowSkipped,
                row_issue(format!("station {key:?} (the first row is kept)")),
            );
            continue;
        }
        joined.stations += 1;
        let bad = |summary: &mut ImportSummary, at: usize, kind: &str| {
            let (value, value_bytes) = cut_short(cell(at));
            summary.note(
                &format!("{label}: {kind}"),
                Action::ValueDropped,
                Issue {
                    line,
                    column: headers[at].clone(),
                    value,
                    value_bytes,
                },
            );
        };
        let station = &mut results.stations[at].station;
        if let Some((lat, lon)) = plan.coordinates {
            match (degrees(cell(lat), 90.0), degrees(cell(lon), 180.0)) {
                (Ok(Some(latitude)), Ok(Some(longitude))) => {
                    station.coordinates = Some(Coordinates {
                        latitude,
                        longitude,
                    });
                    joined.with_coordinates += 1;
                }
                (Ok(None), Ok(None)) => {}
                (lat_ok, lon_ok) => {
                    for (ok, column) in [(lat_ok, lat), (lon_ok, lon)] {
                        match ok {
                            Err(kind) => bad(summary, column, kind),
                            Ok(None) => bad(summary, column, "coordinate missing"),
                            Ok(Some(_)) => {}
                        }
                    }
                }
            }
        }
        for (column, words) in &plan.findings {
            match truth(cell(*column)) {
                Some(true) => {
                    joined.findings += 1;
                    station.findings.push(Finding {
                        source: source.clone().unwrap_or_default(),
                        finding: words.clone(),
                    });
                }
                Some(false) => {}
                None => bad(summary, *column, "not true or false"),
            }
        }
    }
    joined.stations_without_row = seen.iter().filter(|s| !**s).count() as u64;
    Ok(joined)
}

/// A coordinate in decimal degrees within ±`limit`; empty is `None`.
fn degrees(cell: &[u8], limit: f64) -> Result<Option<f64>, &'static str> {
    if cell.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(cell).map_err(|_| "not a coordinate")?;
    let value: f64 = text.parse().map_err(|_| "not a coordinate")?;
    if !value.is_finite() || value.abs() > limit {
        return Err("coordinate out of range");
    }
    Ok(Some(value))
}

/// `True`/`False`, `true`/`false`, `1`/`0`, `yes`/`no`; empty is false.
fn truth(cell: &[u8]) -> Option<bool> {
    match cell.to_ascii_lowercase().as_slice() {
        b"true" | b"1" | b"yes" => Some(true),
        b"false" | b"0" | b"no" | b"" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{degrees, truth};

    #[test]
    fn coordinates_are_checked() {
        assert_eq!(degrees(b"52.09", 90.0), Ok(Some(52.09)));
        assert_eq!(degrees(b"", 90.0), Ok(None));
        assert_eq!(degrees(b"91", 90.0), Err("coordinate out of range"));
        assert_eq!(degrees(b"NaN", 90.0), Err("coordinate out of range"));
        assert_eq!(degrees(b"inf", 180.0), Err("coordinate out of range"));
        assert_eq!(degrees(b"52,09", 90.0), Err("not a coordinate"));
    }

    #[test]
    fn truth_values() {
        assert_eq!(truth(b"True"), Some(true));
        assert_eq!(truth(b"0"), Some(false));
        assert_eq!(truth(b""), Some(false));
        assert_eq!(truth(b"maybe"), None);
    }
}
