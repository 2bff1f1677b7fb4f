//! Every error and every skipped row a user can meet, on small hand-made files.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;

use fairtally_results::{
    Action, ElectionResults, ImportLimits, ImportSummary, Mapping, ResultsError, Source, import,
    import_reader, import_with_limits,
};

const MAPPING: &str = r#"
[election]
name = "Test"
options = [{ id = "a", name = "Alice" }, { id = "b", name = "Bob" }]

[format]
on_bad_value = "POLICY"

[station]
id = { columns = ["region", "number"], separator = "-" }
region = "region"
registered = "reg"

[[source]]
kind = "official"
[source.fields]
registered = "reg"
ballots_issued = { sum = ["early", "day"] }
valid = "valid"
[source.votes]
a = "alice"
b = "bob"

[[source]]
kind = "observer"
observer = "observer"
[source.votes]
a = "obs_alice"
"#;

const HEADER: &str = "region,number,reg,early,day,valid,alice,bob,observer,obs_alice\n";

fn mapping(policy: &str) -> Mapping {
    Mapping::from_toml(&MAPPING.replace("POLICY", policy), Path::new("test.toml")).unwrap()
}

fn run(policy: &str, rows: &str) -> Result<(ElectionResults, ImportSummary), ResultsError> {
    let text = format!("{HEADER}{rows}");
    import_reader(text.as_bytes(), Path::new("test.csv"), &mapping(policy))
}

fn mapping_error(toml: &str) -> String {
    match Mapping::from_toml(toml, Path::new("m.toml")) {
        Ok(_) => panic!("mapping accepted"),
        Err(e) => e.to_string(),
    }
}

fn error(policy: &str, rows: &str) -> String {
    match run(policy, rows) {
        Ok((_, summary)) => panic!("import accepted:\n{summary}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_clean_file_imports_every_figure() {
    let (results, summary) =
        run("skip-row", "N,1,100,5,45,48,30,18,ann,29\nN,2,200,,,,,,,\n").unwrap();
    assert_eq!(
        (
            summary.rows_read,
            summary.rows_imported,
            summary.rows_skipped
        ),
        (2, 2, 0)
    );
    assert_eq!(results.stations.len(), 2);
    let s = &results.stations[0];
    assert_eq!(s.station.id, "N-1");
    assert_eq!(s.station.region.as_deref(), Some("N"));
    let official = s.official().unwrap();
    assert_eq!(official.ballots_issued, Some(50));
    assert_eq!(official.votes, vec![Some(30), Some(18)]);
    let observed: Vec<_> = s.observed().collect();
    assert_eq!(
        observed[0].source,
        Source::Observer {
            observer: "ann".into(),
            signed: false
        }
    );
    assert_eq!(observed[0].protocol.votes, vec![Some(29), None]);
    assert_eq!(observed[0].origin, "test.csv:2");
    // Station 2 has no observer figures: counted in the summary, not dropped silently.
    assert_eq!(summary.rows_without_figures.get("observer"), Some(&1));
    assert_eq!(summary.reports.get("official"), Some(&2));
    assert_eq!(summary.reports.get("observer"), Some(&1));
    assert_eq!(results.stations[1].official().unwrap().ballots_issued, None);
    assert!(summary.unused_columns.is_empty(), "{summary}");
}

#[test]
fn a_bad_value_skips_its_row_by_default_and_says_where() {
    let rows = "N,1,100,5,45,48,30,-18,ann,29\nN,2,200,1,2,3,2,1,,\nN,3,x7,1,2,3,2,1,,\n";
    let (results, summary) = run("skip-row", rows).unwrap();
    assert_eq!(
        (
            summary.rows_read,
            summary.rows_imported,
            summary.rows_skipped
        ),
        (3, 1, 2)
    );
    assert_eq!(results.stations.len(), 1);
    let negative = &summary.issues["negative count (row skipped)"];
    assert_eq!(negative.count, 1);
    assert_eq!(negative.examples[0].line, 2);
    assert_eq!(negative.examples[0].column, "bob");
    assert_eq!(negative.examples[0].value, "-18");
    // Both uses of the bad register cell are reported.
    let nan = &summary.issues["not a number (row skipped)"];
    assert_eq!((nan.count, nan.examples[0].line), (2, 4));
    let text = summary.to_string();
    assert!(text.contains("line 2, column `bob`: \"-18\""), "{text}");
}

#[test]
fn drop_value_keeps_the_row_without_the_figure() {
    let (results, summary) = run("drop-value", "N,1,100,5,45,48,30,-18,ann,29\n").unwrap();
    assert_eq!((summary.rows_imported, summary.rows_skipped), (1, 0));
    assert_eq!(summary.values_dropped(), 1);
    let issue = &summary.issues["negative count (value dropped)"];
    assert_eq!(issue.action, Action::ValueDropped);
    let official = results.stations[0].official().unwrap();
    assert_eq!(official.votes, vec![Some(30), None]);
}

#[test]
fn fail_stops_at_the_first_bad_value_with_line_and_column() {
    let e = error(
        "fail",
        "N,1,100,5,45,48,30,18,ann,29\nN,2,100,5,45,48,30,1.5,ann,29\n",
    );
    assert_eq!(
        e,
        "test.csv: line 3, column `bob`: not a whole number: \"1.5\""
    );
}

#[test]
fn a_sum_with_an_empty_part_is_a_bad_value() {
    let e = error("fail", "N,1,100,5,,48,30,18,ann,29\n");
    assert_eq!(
        e,
        "test.csv: line 2, column `day`: empty cell in a sum of columns: \"\""
    );
}

#[test]
fn rows_with_the_wrong_number_of_fields_are_skipped_or_fatal() {
    let (_, summary) = run("drop-value", "N,1,100\nN,2,200,1,2,3,2,1,,\n").unwrap();
    let issue = &summary.issues["wrong number of fields (row skipped)"];
    assert_eq!((issue.count, issue.examples[0].line), (1, 2));
    assert_eq!(issue.examples[0].value, "3 fields, the header has 10");
    let e = error("fail", "N,1,100\n");
    assert!(
        e.starts_with("test.csv: line 2, column ``: wrong number of fields"),
        "{e}"
    );
}

#[test]
fn empty_ids_and_duplicate_stations_are_skipped_but_observers_may_repeat() {
    let rows = "\
N,1,100,5,45,48,30,18,ann,29
,,100,5,45,48,30,18,ann,29
N,1,100,5,45,48,30,18,bob,30
N,,100,5,45,48,30,18,bob,30
N,1,100,5,45,48,30,18,,
";
    let (results, summary) = run("skip-row", rows).unwrap();
    assert_eq!(results.stations.len(), 1);
    assert_eq!(results.stations[0].observed().count(), 1);
    let empty = &summary.issues["empty station id (row skipped)"];
    assert_eq!((empty.count, empty.examples[0].line), (2, 3));
    assert_eq!(empty.examples[1].column, "number");
    let dup = &summary.issues["duplicate station (row skipped)"];
    // Lines 4 and 6 repeat the official protocol: conflicts the file must resolve, so both
    // rows are skipped, even though line 4 also carries a new observer's figures.
    assert_eq!(dup.count, 2);
    assert_eq!(dup.examples[0].value, "station N-1 first seen on line 2");
}

#[test]
fn an_observer_only_row_adds_to_a_known_station() {
    let text = "region,number,observer,obs_alice\nN,1,ann,3\nN,1,bob,4\n";
    let toml = r#"
[election]
name = "T"
options = [{ id = "a", name = "A" }]
[station]
id = { columns = ["region", "number"] }
[[source]]
kind = "observer"
observer = "observer"
votes = { a = "obs_alice" }
"#;
    let m = Mapping::from_toml(toml, Path::new("m.toml")).unwrap();
    let (results, summary) = import_reader(text.as_bytes(), Path::new("o.csv"), &m).unwrap();
    assert_eq!(results.stations.len(), 1);
    assert_eq!(results.stations[0].station.id, "N/1");
    assert_eq!(summary.reports.get("observer"), Some(&2));
}

#[test]
fn a_column_missing_from_the_header_is_named() {
    let text = "region,number\nN,1\n";
    let e = import_reader(text.as_bytes(), Path::new("x.csv"), &mapping("fail")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.csv: no column `reg` in the header (the mapping uses it for `station.registered`)"
    );
}

#[test]
fn a_repeated_header_used_by_the_mapping_is_refused() {
    let text = "region,number,reg,reg,early,day,valid,alice,bob,observer,obs_alice\n";
    let e = import_reader(text.as_bytes(), Path::new("x.csv"), &mapping("fail")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("x.csv: line 1: column `reg` appears 2 times"),
        "{e}"
    );
}

#[test]
fn an_empty_file_has_no_header() {
    let e = import_reader(&b""[..], Path::new("x.csv"), &mapping("fail")).unwrap_err();
    assert_eq!(e.to_string(), "x.csv: line 1: the file has no header row");
}

#[test]
fn text_that_is_not_utf8_is_a_bad_value() {
    let mut text = HEADER.as_bytes().to_vec();
    text.extend_from_slice(b"N\xff,1,100,5,45,48,30,18,ann,29\n");
    let e = import_reader(&text[..], Path::new("x.csv"), &mapping("fail")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.csv: line 2, column `region`: not UTF-8 text: \"N\u{fffd}\""
    );
}

#[test]
fn mappings_that_cannot_work_are_refused_with_the_item() {
    let base = MAPPING.replace("POLICY", "fail");
    assert!(mapping_error("election = 3").starts_with("m.toml: mapping is not valid"));
    assert_eq!(
        mapping_error(&base.replace("b = \"bob\"", "c = \"bob\"")),
        "m.toml: mapping item `source[0].votes.c`: not an option listed in [election]"
    );
    assert_eq!(
        mapping_error(&base.replace("[format]", "[format]\ndelimiter = \";;\"")),
        "m.toml: mapping item `format.delimiter`: must be one ASCII character, not \";;\""
    );
    assert_eq!(
        mapping_error(&base.replace("observer = \"observer\"\n", "")),
        "m.toml: mapping item `source[1].observer`: an observer source must name the column \
         that identifies the observer"
    );
    assert_eq!(
        mapping_error(&base.replace("kind = \"observer\"", "kind = \"voters\"")),
        "m.toml: mapping item `source[1].observer`: only observer sources name an observer"
    );
    assert_eq!(
        mapping_error(&base.replace("[\"early\", \"day\"]", "[]")),
        "m.toml: mapping item `source[0].fields.ballots_issued`: lists no column"
    );
    assert_eq!(
        mapping_error(&base.replace(
            "{ id = \"b\", name = \"Bob\" }",
            "{ id = \"a\", name = \"B\" }"
        )),
        "m.toml: mapping item `election.options[1]`: option id `a` appears twice"
    );
    assert_eq!(
        mapping_error(&base.replace(
            "options = [{ id = \"a\", name = \"Alice\" }, { id = \"b\", name = \"Bob\" }]",
            "options = []"
        )),
        "m.toml: mapping item `election.options`: lists no option"
    );
    let no_source = base.split("[[source]]").next().unwrap_or_default();
    assert!(mapping_error(no_source).contains("missing field `source`"));
    assert_eq!(
        mapping_error(&format!("source = []\n{no_source}")),
        "m.toml: mapping item `source`: the mapping has no [[source]] table"
    );
    assert_eq!(
        mapping_error(&base.replace(
            "region = \"region\"",
            "region = { column = \"region\", split = \"\", part = 0 }"
        )),
        "m.toml: mapping item `station.region.split`: is empty"
    );
}

#[test]
fn other_delimiters_work() {
    let m = MAPPING
        .replace("POLICY", "fail")
        .replace("[format]", "[format]\ndelimiter = \";\"");
    let m = Mapping::from_toml(&m, Path::new("m.toml")).unwrap();
    let text = format!("{}N;1;100;5;45;48;30;18;ann;29\n", HEADER.replace(',', ";"));
    let (results, _) = import_reader(text.as_bytes(), Path::new("x.csv"), &m).unwrap();
    assert_eq!(results.official_totals().valid, Some(48));
}

fn write_zip(entries: &[(&str, &str)]) -> tempfile::TempPath {
    let file = tempfile::Builder::new().suffix(".zip").tempfile().unwrap();
    let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
    for (name, text) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    file.into_temp_path()
}

#[test]
fn zip_archives_are_read_and_their_entries_chosen() {
    let rows = format!("{HEADER}N,1,100,5,45,48,30,18,ann,29\n");
    let one = write_zip(&[("readme.txt", "x"), ("r.csv", &rows)]);
    let (results, summary) = import(&one, &mapping("fail")).unwrap();
    assert_eq!(results.stations.len(), 1);
    assert!(summary.file.to_string_lossy().ends_with(".zip (r.csv)"));

    let two = write_zip(&[("a.csv", &rows), ("b.csv", &rows)]);
    let e = import(&two, &mapping("fail")).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "the archive holds 2 .csv files (a.csv, b.csv); name one with format.zip_entry"
        ),
        "{e}"
    );
    let mut named = mapping("fail");
    named.format.zip_entry = Some("b.csv".into());
    assert!(import(&two, &named).is_ok());
    named.format.zip_entry = Some("c.csv".into());
    let e = import(&two, &named).unwrap_err().to_string();
    assert!(
        e.ends_with("no entry `c.csv` (format.zip_entry); the archive holds: a.csv, b.csv"),
        "{e}"
    );
}

#[test]
fn unreadable_files_are_named() {
    let e = import(Path::new("/nonexistent/r.csv"), &mapping("fail")).unwrap_err();
    assert!(matches!(e, ResultsError::Io { .. }));
    assert!(e.to_string().starts_with("/nonexistent/r.csv: "));
    let not_zip = tempfile::Builder::new().suffix(".zip").tempfile().unwrap();
    std::fs::write(not_zip.path(), "region\n").unwrap();
    let e = import(not_zip.path(), &mapping("fail")).unwrap_err();
    assert!(e.to_string().contains("not a readable zip archive"), "{e}");
    let e = Mapping::from_file(Path::new("/nonexistent/m.toml")).unwrap_err();
    assert!(matches!(e, ResultsError::Io { .. }));
}

#[test]
fn results_files_round_trip_and_are_checked() {
    let (results, _) = run("fail", "N,1,100,5,45,48,30,18,ann,29\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    results.write_json(&path).unwrap();
    assert_eq!(ElectionResults::read_json(&path).unwrap(), results);

    let mut wrong = results.clone();
    wrong.stations[0].reports[0].protocol.votes.pop();
    wrong.write_json(&path).unwrap();
    let e = ElectionResults::read_json(&path).unwrap_err().to_string();
    assert!(
        e.ends_with("station `N-1`: report test.csv:2 must list votes for exactly 2 options"),
        "{e}"
    );

    std::fs::write(&path, "{").unwrap();
    let e = ElectionResults::read_json(&path).unwrap_err().to_string();
    assert!(e.contains("not a fairtally results file"), "{e}");
}

/// A 10 MB cell: past the default bound on a record it stops the import with the file and the
/// line; under a larger bound it is a bad value the summary quotes cut short.
#[test]
fn a_ten_megabyte_cell_is_refused_or_quoted_cut_short() {
    let big = "7x".repeat(5 << 20);
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    let text = format!("{HEADER}N,1,100,5,45,48,30,18,ann,29\nN,2,100,5,45,48,30,{big},ann,29\n");
    std::fs::write(file.path(), text).unwrap();
    let e = import(file.path(), &mapping("skip-row")).unwrap_err();
    assert!(matches!(e, ResultsError::TooLarge { line: 3, .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.starts_with(&format!("{}: line 3: ", file.path().display())),
        "{e}"
    );
    assert!(e.contains("longer than 1048576 bytes"), "{e}");

    let roomy = ImportLimits {
        record_bytes: 16 << 20,
        ..ImportLimits::default()
    };
    let (results, summary) = import_with_limits(file.path(), &mapping("skip-row"), &roomy).unwrap();
    assert_eq!(results.stations.len(), 1);
    let issue = &summary.issues["not a number (row skipped)"];
    assert_eq!(issue.examples[0].value, "7x".repeat(40));
    assert_eq!(issue.examples[0].value_bytes, Some(10 << 20));
    let shown = summary.to_string();
    assert!(shown.len() < 1000, "{} bytes of summary", shown.len());
    assert!(
        shown.contains(&format!(
            "line 3, column `bob`: \"{}\"… (10485760 bytes)",
            "7x".repeat(40)
        )),
        "{shown}"
    );
    let json = serde_json::to_string(&summary).unwrap();
    assert!(json.len() < 1000, "{} bytes of JSON summary", json.len());
    let e = import_with_limits(file.path(), &mapping("fail"), &roomy)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("… (10485760 bytes)"),
        "{}",
        &e[..e.len().min(300)]
    );
    assert!(e.len() < 400, "{} bytes of error", e.len());
}

#[test]
fn a_text_cell_past_the_field_bound_is_a_bad_value() {
    let long = "é".repeat(40_000);
    let rows = format!("N,1,100,5,45,48,30,18,ann,29\nN,2,100,5,45,48,30,18,{long},29\n");
    let (results, summary) = run("skip-row", &rows).unwrap();
    assert_eq!(results.stations.len(), 1);
    let issue = &summary.issues["value too long (row skipped)"];
    let example = &issue.examples[0];
    assert_eq!((example.line, example.column.as_str()), (3, "observer"));
    // Cut at characters, not bytes: 80 of the two-byte `é`.
    assert_eq!(example.value, "é".repeat(80));
    assert_eq!(example.value_bytes, Some(80_000));
    let e = error("fail", &rows);
    assert!(
        e.starts_with("test.csv: line 3, column `observer`: value too long: \"éé"),
        "{e}"
    );
    // Short bad values are quoted whole, with no length.
    let (_, summary) = run("skip-row", "N,1,100,5,45,48,30,-18,ann,29\n").unwrap();
    assert_eq!(
        summary.issues["negative count (row skipped)"].examples[0].value_bytes,
        None
    );
}

#[test]
fn an_unclosed_quote_stops_at_the_record_bound() {
    let rows = format!(
        "N,1,100,5,45,48,30,18,ann,29\nN,2,\"{}",
        "9,".repeat(1 << 20)
    );
    let e = error("skip-row", &rows);
    assert!(
        e.starts_with("test.csv: line 3: the record is longer than"),
        "{e}"
    );
    assert!(e.contains("quote left open"), "{e}");
}

/// Writes a zip holding `name`, whose content is `chunk` repeated `times` times, streamed so
/// the test itself never holds the whole content.
fn write_zip_bomb(name: &str, head: &str, chunk: &[u8], times: usize) -> tempfile::TempPath {
    let file = tempfile::Builder::new().suffix(".zip").tempfile().unwrap();
    let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
    let options = zip::write::SimpleFileOptions::default().large_file(true);
    zip.start_file(name, options).unwrap();
    zip.write_all(head.as_bytes()).unwrap();
    for _ in 0..times {
        zip.write_all(chunk).unwrap();
    }
    zip.finish().unwrap();
    file.into_temp_path()
}

/// A zip bomb made here: 512 MiB of one cell squeezed into well under a megabyte. The
/// importer stops at the bound on a record instead of growing the record to the whole entry.
#[test]
fn a_zip_bomb_of_one_huge_cell_is_refused() {
    let zeros = vec![b'0'; 1 << 20];
    let head = format!("{HEADER}N,1,100,5,45,48,30,");
    let bomb = write_zip_bomb("bomb.csv", &head, &zeros, 512);
    let zipped = std::fs::metadata(&bomb).unwrap().len();
    assert!(zipped < 1 << 20, "the bomb takes {zipped} bytes");
    let e = import(&bomb, &mapping("skip-row")).unwrap_err();
    assert!(matches!(e, ResultsError::TooLarge { line: 2, .. }), "{e}");
    assert!(
        e.to_string()
            .contains("(bomb.csv): line 2: the record is longer"),
        "{e}"
    );
}

/// A zip bomb of many short rows: reading stops at the cap on decompressed bytes. The cap is
/// made small here so the test reads megabytes, not the default 256 MiB.
#[test]
fn a_zip_that_decompresses_past_the_cap_is_refused() {
    let row = b"N,1,100,5,45,48,30,18,ann,29\n";
    let cap = ImportLimits {
        zip_entry_bytes: 1 << 20,
        ..ImportLimits::default()
    };
    let rows_in_cap = ((1 << 20) - HEADER.len()) / row.len();
    // The header and as many whole rows as the cap holds are read; one more row goes past it.
    let fits = write_zip_bomb("r.csv", HEADER, row, rows_in_cap);
    let (_, summary) = import_with_limits(&fits, &mapping("skip-row"), &cap).unwrap();
    assert_eq!(summary.rows_read, rows_in_cap as u64);
    let one_more = write_zip_bomb("r.csv", HEADER, row, rows_in_cap + 1);
    assert!(import_with_limits(&one_more, &mapping("skip-row"), &cap).is_err());
    let bomb = write_zip_bomb("r.csv", HEADER, row, 64 * rows_in_cap);
    let e = import_with_limits(&bomb, &mapping("skip-row"), &cap).unwrap_err();
    assert!(matches!(e, ResultsError::TooLarge { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("decompresses to more than 1048576 bytes of CSV"),
        "{e}"
    );
}
