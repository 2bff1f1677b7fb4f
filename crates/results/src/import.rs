//! The streaming CSV importer: reads a CSV file (plain or inside a `.zip` archive) row by row
//! through a [`Mapping`] and builds [`ElectionResults`] and an [`ImportSummary`].
//!
//! Input is bounded ([`ImportLimits`]): a record (row), a cell and the CSV decompressed from an
//! archive each have a cap, so a small hostile file cannot make the importer allocate without
//! limit.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use csv::ByteRecord;

use crate::election::ElectionResults;
use crate::error::ResultsError;
use crate::mapping::{BadValuePolicy, CountSpec, CountsSpec, Mapping, SourceKind, TextSpec};
use crate::protocol::{Field, StationProtocol};
use crate::station::{Report, Source, Station, StationResults};
use crate::summary::{Action, ImportSummary, Issue, column_label, cut_short, quote};

/// The bounds an import enforces. [`ImportLimits::default`] is what [`import`] uses; the
/// largest real file this project reads (Russia 2020, 47 MB of CSV, rows under 2 KB) is far
/// inside each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// The longest record (one row, or one header) in bytes: 1 MiB by default. A longer one
    /// stops the import, since the row cannot be read (it is usually an unclosed quote).
    pub record_bytes: u64,
    /// The longest cell the importer reads as a value: 64 KiB by default. A longer one is a
    /// bad value (`value too long`), handled as `format.on_bad_value` says.
    pub field_bytes: usize,
    /// The most CSV bytes read out of a `.zip` archive: 256 MiB by default. An archive that
    /// decompresses to more stops the import (a "zip bomb" is a few MB that expand to GB).
    pub zip_entry_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            record_bytes: 1 << 20,
            field_bytes: 1 << 16,
            zip_entry_bytes: 256 << 20,
        }
    }
}

/// Imports the results in `path` through `mapping`. A path ending in `.zip` is read as an
/// archive holding the CSV (the entry named by `format.zip_entry`, or its only `.csv` file).
///
/// Rows are streamed: memory holds the results, not the file. Rows that cannot be read are
/// skipped or their values dropped as the mapping's `format.on_bad_value` says, and counted in
/// the summary; with `on_bad_value = "fail"` the first one is returned as an error.
pub fn import(
    path: &Path,
    mapping: &Mapping,
) -> Result<(ElectionResults, ImportSummary), ResultsError> {
    import_with_limits(path, mapping, &ImportLimits::default())
}

/// [`import`] with other bounds than the default ones.
pub fn import_with_limits(
    path: &Path,
    mapping: &Mapping,
    limits: &ImportLimits,
) -> Result<(ElectionResults, ImportSummary), ResultsError> {
    let (mut results, mut summary) = import_file(path, mapping, limits)?;
    let folder = path.parent().unwrap_or_else(|| Path::new(""));
    crate::join::apply(&mut results, &mut summary, mapping, folder, limits)?;
    Ok((results, summary))
}

/// The results file alone, before joins.
fn import_file(
    path: &Path,
    mapping: &Mapping,
    limits: &ImportLimits,
) -> Result<(ElectionResults, ImportSummary), ResultsError> {
    let file = File::open(path).map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_zip {
        let size = file.metadata().ok().map(|m| m.len());
        return read_csv(Bounded::new(file, None), path, mapping, size, limits);
    }
    let zip_error = |source| ResultsError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(zip_error)?;
    let entry = match &mapping.format.zip_entry {
        Some(wanted) => {
            names
                .iter()
                .find(|n| *n == wanted)
                .ok_or_else(|| ResultsError::ZipEntry {
                    path: path.to_path_buf(),
                    reason: format!(
                        "no entry `{wanted}` (format.zip_entry); the archive holds: {}",
                        names.join(", ")
                    ),
                })?
        }
        None => {
            let csvs: Vec<&String> = names
                .iter()
                .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
                .collect();
            match csvs.as_slice() {
                [one] => *one,
                _ => {
                    return Err(ResultsError::ZipEntry {
                        path: path.to_path_buf(),
                        reason: format!(
                            "the archive holds {} .csv files ({}); name one with format.zip_entry",
                            csvs.len(),
                            names.join(", ")
                        ),
                    });
                }
            }
        }
    };
    let origin = PathBuf::from(format!("{} ({entry})", path.display()));
    let reader = archive.by_name(entry).map_err(zip_error)?;
    // The declared size is the archive's word, so it only guides the estimate of rows.
    let size = reader.size().min(limits.zip_entry_bytes);
    let reader = Bounded::new(reader, Some(limits.zip_entry_bytes));
    read_csv(reader, &origin, mapping, Some(size), limits)
}

/// Imports CSV from any reader; `origin` names it in errors and in the summary. A mapping
/// that joins other files (`[[join]]`) needs the results' folder: use [`import`].
pub fn import_reader<R: Read>(
    reader: R,
    origin: &Path,
    mapping: &Mapping,
) -> Result<(ElectionResults, ImportSummary), ResultsError> {
    if !mapping.joins.is_empty() {
        return Err(ResultsError::MappingInvalid {
            path: mapping.origin.clone(),
            item: "join".to_owned(),
            reason: format!(
                "joins files beside the results, but {} is read from a stream, not a folder",
                origin.display()
            ),
        });
    }
    read_csv(
        Bounded::new(reader, None),
        origin,
        mapping,
        None,
        &ImportLimits::default(),
    )
}

/// Which bound a [`Bounded`] reader hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overrun {
    Record,
    Total,
}

/// A reader that delivers at most `total` bytes, and at most `record` bytes (plus one buffer)
/// past the start of the record being read: the CSV reader grows its record without limit, so
/// the bound has to sit under it. The importer moves the mark after every record.
struct Bounded<R> {
    inner: R,
    delivered: u64,
    mark: u64,
    record: u64,
    total: Option<u64>,
    overrun: Option<Overrun>,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R, total: Option<u64>) -> Self {
        Bounded {
            inner,
            delivered: 0,
            mark: 0,
            record: u64::MAX,
            total,
            overrun: None,
        }
    }

    fn fail(&mut self, overrun: Overrun) -> io::Error {
        self.overrun = Some(overrun);
        io::Error::other("input bound exceeded")
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let record_end = self
            .mark
            .saturating_add(self.record)
            .saturating_add(CSV_BUFFER as u64);
        let mut room = record_end.saturating_sub(self.delivered);
        if let Some(total) = self.total {
            let left = total.saturating_sub(self.delivered);
            if left == 0 {
                // At the cap: only the end of the input may follow.
                return match self.inner.read(&mut [0u8])? {
                    0 => Ok(0),
                    _ => Err(self.fail(Overrun::Total)),
                };
            }
            room = room.min(left);
        }
        if room == 0 {
            return Err(self.fail(Overrun::Record));
        }
        let n = usize::try_from(room).unwrap_or(usize::MAX).min(buf.len());
        let read = self.inner.read(&mut buf[..n])?;
        self.delivered += read as u64;
        Ok(read)
    }
}

/// The CSV reader's buffer.
const CSV_BUFFER: usize = 1 << 16;

/// Rows read before the importer estimates the number of rows from the file size.
const ROWS_BEFORE_ESTIMATE: u64 = 256;

/// The most rows the importer reserves room for from its estimate (the largest national
/// elections have about a million stations); past it, tables grow as rows arrive.
const ROWS_RESERVED_AT_MOST: u64 = 2_000_000;

/// The error for a record the CSV reader could not read: a bound the [`Bounded`] reader hit,
/// or malformed CSV.
fn read_error<R: Read>(
    e: csv::Error,
    csv: &csv::Reader<Bounded<R>>,
    origin: &Path,
    limits: &ImportLimits,
) -> ResultsError {
    // The reader stops at the start of the record it could not finish.
    let line = csv.position().line();
    let reason = match csv.get_ref().overrun {
        Some(Overrun::Record) => record_too_long(limits),
        Some(Overrun::Total) => format!(
            "the archive decompresses to more than {} bytes of CSV, the cap on what is read \
             from a .zip (ImportLimits::zip_entry_bytes)",
            limits.zip_entry_bytes
        ),
        None => {
            return ResultsError::Csv {
                path: origin.to_path_buf(),
                line: e.position().map_or(line, |p| p.line()),
                reason: e.to_string(),
            };
        }
    };
    ResultsError::TooLarge {
        path: origin.to_path_buf(),
        line,
        reason,
    }
}

fn record_too_long(limits: &ImportLimits) -> String {
    format!(
        "the record is longer than {} bytes, the cap on one row (ImportLimits::record_bytes); \
         is a quote left open?",
        limits.record_bytes
    )
}

/// Refuses a record that ended past the cap but inside the reader's slack.
fn check_record_length<R: Read>(
    csv: &csv::Reader<Bounded<R>>,
    start: u64,
    line: u64,
    origin: &Path,
    limits: &ImportLimits,
) -> Result<(), ResultsError> {
    if csv.position().byte().saturating_sub(start) > limits.record_bytes {
        return Err(ResultsError::TooLarge {
            path: origin.to_path_buf(),
            line,
            reason: record_too_long(limits),
        });
    }
    Ok(())
}

/// The importer; `size` (bytes of CSV, when known) lets it reserve room for all stations
/// at once instead of growing its tables step by step.
fn read_csv<R: Read>(
    mut reader: Bounded<R>,
    origin: &Path,
    mapping: &Mapping,
    size: Option<u64>,
    limits: &ImportLimits,
) -> Result<(ElectionResults, ImportSummary), ResultsError> {
    reader.record = limits.record_bytes;
    let delimiter = mapping
        .format
        .delimiter
        .as_bytes()
        .first()
        .copied()
        .unwrap_or(b',');
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(reader);
    let headers = match csv.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => return Err(read_error(e, &csv, origin, limits)),
    };
    let headers: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
    if headers.iter().all(String::is_empty) {
        return Err(ResultsError::Csv {
            path: origin.to_path_buf(),
            line: 1,
            reason: "the file has no header row".to_owned(),
        });
    }
    check_record_length(&csv, 0, 1, origin, limits)?;
    // Headers as the summary and errors name them: a long one cut short like a bad value.
    let labels: Vec<String> = headers.iter().map(|h| column_label(h)).collect();
    let mut columns = Columns::new(&headers, origin);
    let plan = Plan::compile(mapping, &mut columns)?;
    let mut importer = Importer {
        origin,
        headers: &labels,
        policy: mapping.format.on_bad_value,
        field_bytes: limits.field_bytes,
        plan: &plan,
        options: mapping.election.options.len(),
        results: ElectionResults {
            name: mapping.election.name.clone(),
            options: mapping.election.options.clone(),
            stations: Vec::new(),
        },
        seen: HashMap::new(),
        reports: [0; 3],
        without_figures: [0; 3],
        summary: ImportSummary {
            file: origin.to_path_buf(),
            unused_columns: columns.unused(),
            ..ImportSummary::default()
        },
        origin_label: origin.file_name().map_or_else(
            || origin.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    let mut record = ByteRecord::new();
    loop {
        let start = csv.position().byte();
        csv.get_mut().mark = start;
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_error(e, &csv, origin, limits)),
        }
        let line = record.position().map_or(0, |p| p.line());
        check_record_length(&csv, start, line, origin, limits)?;
        importer.row(&record, line)?;
        if importer.summary.rows_read == ROWS_BEFORE_ESTIMATE
            && let (Some(size), Some(read)) = (size, record.position().map(|p| p.byte()))
            && read > 0
        {
            let rows = size.saturating_mul(ROWS_BEFORE_ESTIMATE) / read;
            // An estimate from the first rows; cap it so a wrong size cannot ask for much.
            let more = (rows.min(ROWS_RESERVED_AT_MOST) as usize)
                .saturating_sub(importer.results.stations.len());
            importer.results.stations.reserve(more + more / 16);
            importer.seen.reserve(more + more / 16);
        }
    }
    importer.summary.stations = importer.results.stations.len() as u64;
    for kind in [
        SourceKind::Official,
        SourceKind::Observer,
        SourceKind::Voters,
    ] {
        let (reports, empty) = (
            importer.reports[kind as usize],
            importer.without_figures[kind as usize],
        );
        if reports > 0 {
            importer
                .summary
                .reports
                .insert(kind.name().to_owned(), reports);
        }
        if empty > 0 {
            importer
                .summary
                .rows_without_figures
                .insert(kind.name().to_owned(), empty);
        }
    }
    let names = &mapping.station.region_names;
    if !names.is_empty() {
        for s in &mut importer.results.stations {
            if let Some(name) = s.station.region.as_ref().and_then(|r| names.get(r)) {
                s.station.region = Some(name.clone());
            }
        }
    }
    Ok((importer.results, importer.summary))
}

/// Header lookup that remembers which columns the mapping used.
struct Columns<'h> {
    headers: &'h [String],
    by_name: HashMap<&'h str, Vec<usize>>,
    used: Vec<bool>,
    origin: &'h Path,
}

impl<'h> Columns<'h> {
    fn new(headers: &'h [String], origin: &'h Path) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            by_name.entry(h.as_str()).or_default().push(i);
        }
        Columns {
            headers,
            by_name,
            used: vec![false; headers.len()],
            origin,
        }
    }

    fn find(&mut self, column: &str, item: &str) -> Result<usize, ResultsError> {
        match self.by_name.get(column.trim()).map(Vec::as_slice) {
            Some([i]) => {
                self.used[*i] = true;
                Ok(*i)
            }
            Some(many) => Err(ResultsError::Csv {
                path: self.origin.to_path_buf(),
                line: 1,
                reason: format!(
                    "column `{column}` appears {} times in the header; the mapping (`{item}`) \
                     cannot tell which to use",
                    many.len()
                ),
            }),
            None => Err(ResultsError::MissingColumn {
                path: self.origin.to_path_buf(),
                column: column.to_owned(),
                item: item.to_owned(),
            }),
        }
    }

    fn text(&mut self, spec: &TextSpec, item: &str) -> Result<TextPlan, ResultsError> {
        let columns: Vec<usize> = spec
            .columns()
            .iter()
            .chain(spec.optional_columns())
            .map(|c| self.find(c, item))
            .collect::<Result<_, _>>()?;
        let required = spec.columns().len();
        let (separator, part) = match spec {
            TextSpec::Column(_) => (String::new(), None),
            TextSpec::Joined { separator, .. } => (separator.clone(), None),
            TextSpec::Part { split, part, .. } => (String::new(), Some((split.clone(), *part))),
        };
        Ok(TextPlan {
            columns,
            required,
            separator,
            part,
        })
    }

    fn count(&mut self, spec: &CountSpec, item: &str) -> Result<Vec<usize>, ResultsError> {
        spec.columns().iter().map(|c| self.find(c, item)).collect()
    }

    fn counts(
        &mut self,
        spec: &CountsSpec,
        item: &str,
        mapping: &Mapping,
    ) -> Result<CountsPlan, ResultsError> {
        let mut fields = Vec::new();
        for f in Field::ALL {
            if let Some(c) = spec.fields.get(f) {
                fields.push((f, self.count(c, &format!("{item}.fields.{}", f.name()))?));
            }
        }
        let mut votes = Vec::new();
        for (option, c) in &spec.votes {
            // Mapping::check has verified that every option id is listed.
            if let Some(i) = mapping
                .election
                .options
                .iter()
                .position(|o| &o.id == option)
            {
                votes.push((i, self.count(c, &format!("{item}.votes.{option}"))?));
            }
        }
        Ok(CountsPlan { fields, votes })
    }

    fn unused(&self) -> Vec<String> {
        self.headers
            .iter()
            .zip(&self.used)
            .filter(|(h, used)| !**used && !h.is_empty())
            .map(|(h, _)| column_label(h))
            .collect()
    }
}

/// A text: the columns to join and the separator, or a part of one column.
struct TextPlan {
    columns: Vec<usize>,
    /// The first `required` columns must be filled; the others are joined when present.
    required: usize,
    separator: String,
    part: Option<(String, usize)>,
}

/// The figures of one protocol: result-sheet fields and votes per option index, each the sum
/// of its columns.
struct CountsPlan {
    fields: Vec<(Field, Vec<usize>)>,
    votes: Vec<(usize, Vec<usize>)>,
}

struct SourcePlan {
    kind: SourceKind,
    observer: Option<TextPlan>,
    counts: CountsPlan,
    confirmed: Option<CountsPlan>,
}

/// The mapping resolved to column indices.
struct Plan {
    id: TextPlan,
    region: Option<TextPlan>,
    district: Option<TextPlan>,
    name: Option<TextPlan>,
    location: Option<TextPlan>,
    url: Option<TextPlan>,
    registered: Option<Vec<usize>>,
    sources: Vec<SourcePlan>,
}

impl Plan {
    fn compile(mapping: &Mapping, columns: &mut Columns<'_>) -> Result<Plan, ResultsError> {
        let st = &mapping.station;
        let mut optional_text = |spec: &Option<TextSpec>, item: &str| {
            spec.as_ref().map(|s| columns.text(s, item)).transpose()
        };
        let region = optional_text(&st.region, "station.region")?;
        let district = optional_text(&st.district, "station.district")?;
        let name = optional_text(&st.name, "station.name")?;
        let location = optional_text(&st.location, "station.location")?;
        let url = optional_text(&st.url, "station.url")?;
        let id = columns.text(&st.id, "station.id")?;
        let registered = st
            .registered
            .as_ref()
            .map(|c| columns.count(c, "station.registered"))
            .transpose()?;
        let mut sources = Vec::new();
        for (i, s) in mapping.sources.iter().enumerate() {
            let item = format!("source[{i}]");
            let observer = s
                .observer
                .as_ref()
                .map(|t| columns.text(t, &format!("{item}.observer")))
                .transpose()?;
            let main = CountsSpec {
                fields: s.fields.clone(),
                votes: s.votes.clone(),
            };
            let counts = columns.counts(&main, &item, mapping)?;
            let confirmed = s
                .confirmed
                .as_ref()
                .map(|c| columns.counts(c, &format!("{item}.confirmed"), mapping))
                .transpose()?;
            sources.push(SourcePlan {
                kind: s.kind,
                observer,
                counts,
                confirmed,
            });
        }
        Ok(Plan {
            id,
            region,
            district,
            name,
            location,
            url,
            registered,
            sources,
        })
    }
}

/// A cell that cannot be read: its column, the kind of problem and the value.
struct Problem {
    column: usize,
    kind: &'static str,
    /// The value, cut short when long ([`cut_short`]).
    value: String,
    /// The length of the whole value when `value` is cut short.
    value_bytes: Option<u64>,
}

/// Reads one cell as a count: empty is `None`; digits (optionally followed by `.0`, as
/// spreadsheets write them) are a count; anything else is a problem.
fn parse_count(cell: &[u8]) -> Result<Option<u64>, &'static str> {
    let cell = cell.trim_ascii();
    if cell.is_empty() {
        return Ok(None);
    }
    let (whole, fraction) = match cell.iter().position(|&b| b == b'.') {
        Some(dot) => (&cell[..dot], &cell[dot + 1..]),
        None => (cell, &b""[..]),
    };
    if !fraction.iter().all(|&b| b == b'0') {
        return Err(if fraction.iter().all(u8::is_ascii_digit) {
            "not a whole number"
        } else {
            "not a number"
        });
    }
    if let Some(rest) = whole.strip_prefix(b"-")
        && !rest.is_empty()
        && rest.iter().all(u8::is_ascii_digit)
    {
        return Err("negative count");
    }
    if whole.is_empty() || !whole.iter().all(u8::is_ascii_digit) {
        return Err("not a number");
    }
    let mut value: u64 = 0;
    for &b in whole {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or("number too large")?;
    }
    Ok(Some(value))
}

/// State of one import.
struct Importer<'a> {
    origin: &'a Path,
    origin_label: String,
    /// The header's columns as [`column_label`] names them.
    headers: &'a [String],
    policy: BadValuePolicy,
    /// The longest text cell read ([`ImportLimits::field_bytes`]).
    field_bytes: usize,
    plan: &'a Plan,
    options: usize,
    results: ElectionResults,
    /// Station id to (index in results, line first seen).
    seen: HashMap<String, (usize, u64)>,
    /// Reports per source kind (official, observer, voters), for the summary.
    reports: [u64; 3],
    /// Rows without figures per source kind, for the summary.
    without_figures: [u64; 3],
    summary: ImportSummary,
}

fn cell(record: &ByteRecord, column: usize) -> &[u8] {
    record.get(column).unwrap_or_default()
}

fn count(record: &ByteRecord, columns: &[usize], problems: &mut Vec<Problem>) -> Option<u64> {
    let mut total: Option<u64> = None;
    let mut empty = None;
    for &c in columns {
        match parse_count(cell(record, c)) {
            Ok(Some(v)) => match total.unwrap_or(0).checked_add(v) {
                Some(t) => total = Some(t),
                None => {
                    problems.push(problem(record, c, "number too large"));
                    return None;
                }
            },
            Ok(None) => empty = Some(c),
            Err(kind) => {
                problems.push(problem(record, c, kind));
                return None;
            }
        }
    }
    match (total, empty) {
        (Some(_), Some(c)) => {
            problems.push(problem(record, c, "empty cell in a sum of columns"));
            None
        }
        (total, _) => total,
    }
}

fn problem(record: &ByteRecord, column: usize, kind: &'static str) -> Problem {
    let (value, value_bytes) = cut_short(cell(record, column));
    Problem {
        column,
        kind,
        value,
        value_bytes,
    }
}

/// Reads a text; empty parts of a joined text are left out, and `None` means empty. A cell
/// longer than `field_bytes` is a problem (counts need no such check: a long cell is never a
/// number).
fn text(
    record: &ByteRecord,
    plan: &TextPlan,
    field_bytes: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if let Some(&c) = plan
        .columns
        .iter()
        .find(|&&c| cell(record, c).len() > field_bytes)
    {
        problems.push(problem(record, c, "value too long"));
        return None;
    }
    let width: usize = plan
        .columns
        .iter()
        .map(|&c| cell(record, c).len() + plan.separator.len())
        .sum();
    let mut out = String::with_capacity(width);
    for &c in &plan.columns {
        match std::str::from_utf8(cell(record, c)) {
            Ok(s) if s.trim().is_empty() => {}
            Ok(s) => {
                if !out.is_empty() {
                    out.push_str(&plan.separator);
                }
                out.push_str(s.trim());
            }
            Err(_) => {
                problems.push(problem(record, c, "not UTF-8 text"));
                return None;
            }
        }
    }
    if let Some((split, part)) = &plan.part {
        out = out
            .split(split.as_str())
            .nth(*part)
            .unwrap_or_default()
            .trim()
            .to_owned();
    }
    (!out.is_empty()).then_some(out)
}

fn counts(
    record: &ByteRecord,
    plan: &CountsPlan,
    options: usize,
    problems: &mut Vec<Problem>,
) -> StationProtocol {
    let mut protocol = StationProtocol::empty(options);
    for (field, columns) in &plan.fields {
        protocol.set(*field, count(record, columns, problems));
    }
    for (option, columns) in &plan.votes {
        protocol.votes[*option] = count(record, columns, problems);
    }
    protocol
}

impl Importer<'_> {
    /// Handles a problem that concerns the whole row: an error under `fail`, else a skip.
    fn skip_row(
        &mut self,
        line: u64,
        kind: &str,
        column: String,
        (value, value_bytes): (String, Option<u64>),
    ) -> Result<(), ResultsError> {
        let (value, value_bytes) = match value_bytes {
            None => cut_short(value.as_bytes()),
            cut => (value, cut),
        };
        if self.policy == BadValuePolicy::Fail {
            return Err(ResultsError::BadValue {
                path: self.origin.to_path_buf(),
                line,
                column,
                reason: format!("{kind}: {}", quote(&value, value_bytes)),
            });
        }
        self.summary.rows_skipped += 1;
        self.summary.note(
            kind,
            Action::RowSkipped,
            Issue {
                line,
                column,
                value,
                value_bytes,
            },
        );
        Ok(())
    }

    fn row(&mut self, record: &ByteRecord, line: u64) -> Result<(), ResultsError> {
        self.summary.rows_read += 1;
        if record.len() != self.headers.len() {
            let value = format!(
                "{} fields, the header has {}",
                record.len(),
                self.headers.len()
            );
            return self.skip_row(line, "wrong number of fields", String::new(), (value, None));
        }
        let (plan, field_bytes) = (self.plan, self.field_bytes);
        let mut problems = Vec::new();
        // Every part of a composed id must be there, or `N-` could stand for `N-1` and `N-2`.
        let empty_part = plan.id.columns[..plan.id.required]
            .iter()
            .find(|&&c| cell(record, c).trim_ascii().is_empty());
        let id =
            text(record, &plan.id, field_bytes, &mut problems).filter(|_| empty_part.is_none());
        let Some(id) = id else {
            let column = self.headers[*empty_part.unwrap_or(&plan.id.columns[0])].clone();
            let (kind, value) = match problems.pop() {
                Some(p) => (p.kind, (p.value, p.value_bytes)),
                None => ("empty station id", (String::new(), None)),
            };
            return self.skip_row(line, kind, column, value);
        };
        let mut optional = |t: &Option<TextPlan>| {
            t.as_ref()
                .and_then(|t| text(record, t, field_bytes, &mut problems))
        };
        let station = Station {
            id,
            region: optional(&plan.region),
            district: optional(&plan.district),
            name: optional(&plan.name),
            location: optional(&plan.location),
            url: optional(&plan.url),
            registered: plan
                .registered
                .as_ref()
                .and_then(|c| count(record, c, &mut problems)),
            coordinates: None,
            findings: Vec::new(),
        };
        let mut reports = Vec::with_capacity(plan.sources.len());
        let mut without_figures = Vec::new();
        for s in &plan.sources {
            let protocol = counts(record, &s.counts, self.options, &mut problems);
            let confirmed = s
                .confirmed
                .as_ref()
                .map(|c| counts(record, c, self.options, &mut problems))
                .filter(|c| !c.is_empty());
            if protocol.is_empty() && confirmed.is_none() {
                without_figures.push(s.kind);
                continue;
            }
            let source = match s.kind {
                SourceKind::Official => Source::Official,
                SourceKind::Voters => Source::Voters,
                SourceKind::Observer => Source::Observer {
                    observer: s
                        .observer
                        .as_ref()
                        .and_then(|t| text(record, t, field_bytes, &mut problems))
                        .unwrap_or_default(),
                    signed: false,
                },
            };
            reports.push(Report {
                source,
                protocol,
                confirmed,
                photos: Vec::new(),
                origin: format!("{}:{line}", self.origin_label),
            });
        }
        if let Some(first) = problems.first() {
            match self.policy {
                BadValuePolicy::Fail => {
                    return Err(ResultsError::BadValue {
                        path: self.origin.to_path_buf(),
                        line,
                        column: self.headers[first.column].clone(),
                        reason: format!(
                            "{}: {}",
                            first.kind,
                            quote(&first.value, first.value_bytes)
                        ),
                    });
                }
                BadValuePolicy::SkipRow | BadValuePolicy::DropValue => {
                    let skip = self.policy == BadValuePolicy::SkipRow;
                    let action = if skip {
                        Action::RowSkipped
                    } else {
                        Action::ValueDropped
                    };
                    for p in problems {
                        let issue = Issue {
                            line,
                            column: self.headers[p.column].clone(),
                            value: p.value,
                            value_bytes: p.value_bytes,
                        };
                        self.summary.note(p.kind, action, issue);
                    }
                    if skip {
                        self.summary.rows_skipped += 1;
                        return Ok(());
                    }
                }
            }
        }
        let known = match self.seen.get(&station.id) {
            None => None,
            Some(&(index, first)) => {
                // Several observers may report on one station, one row each; a second official
                // protocol or second set of voters' reports is a conflict the file must resolve.
                let only_observers = !reports.is_empty()
                    && reports
                        .iter()
                        .all(|r| matches!(r.source, Source::Observer { .. }));
                if !only_observers {
                    let column = self.headers[plan.id.columns[0]].clone();
                    let value = format!("station {} first seen on line {first}", station.id);
                    return self.skip_row(line, "duplicate station", column, (value, None));
                }
                Some(index)
            }
        };
        self.summary.rows_imported += 1;
        for kind in without_figures {
            self.without_figures[kind as usize] += 1;
        }
        for r in &reports {
            let kind = match r.source {
                Source::Official => SourceKind::Official,
                Source::Voters => SourceKind::Voters,
                _ => SourceKind::Observer,
            };
            self.reports[kind as usize] += 1;
        }
        match known {
            Some(index) => self.results.stations[index].reports.extend(reports),
            None => {
                let index = self.results.stations.len();
                self.seen.insert(station.id.clone(), (index, line));
                self.results
                    .stations
                    .push(StationResults { station, reports });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse_strictly() {
        assert_eq!(parse_count(b""), Ok(None));
        assert_eq!(parse_count(b"  "), Ok(None));
        assert_eq!(parse_count(b" 42 "), Ok(Some(42)));
        assert_eq!(parse_count(b"42.0"), Ok(Some(42)));
        assert_eq!(parse_count(b"42.5"), Err("not a whole number"));
        assert_eq!(parse_count(b"-7"), Err("negative count"));
        assert_eq!(parse_count(b"4x"), Err("not a number"));
        assert_eq!(parse_count(b"-"), Err("not a number"));
        assert_eq!(parse_count(b"."), Err("not a number"));
        assert_eq!(parse_count(b"1 000"), Err("not a number"));
        assert_eq!(parse_count(b"18446744073709551615"), Ok(Some(u64::MAX)));
        assert_eq!(
            parse_count(b"18446744073709551616"),
            Err("number too large")
        );
    }
}
