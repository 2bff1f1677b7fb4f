//! Files joined to the stations by id (`[[join]]`): coordinates and findings, and every way a
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! joined file can be wrong.

use std::path::Path;

use fairtally_results::{Coordinates, Mapping, ResultsError, import, import_reader};

const RESULTS: &str = "id,a,b\nS1,10,5\nS2,7,8\nS3,1,1\n";

fn mapping(joins: &str) -> String {
    format!(
        r#"
[election]
name = "E"
options = [{{ id = "a", name = "A" }}, {{ id = "b", name = "B" }}]

[station]
id = "id"

[[source]]
kind = "official"
[source.votes]
a = "a"
b = "b"
{joins}
"#
    )
}

const GEO: &str = r#"
[[join]]
file = "geo.csv"
key = "station"
coordinates = { latitude = "lat", longitude = "lon" }
"#;

const FINDINGS: &str = r#"
[[join]]
file = "found.csv"
key = "station"
[join.findings]
source = "Network"
[join.findings.columns]
locked = "observers locked out"
late = "protocol late"
"#;

/// Writes the results and the joined files into a new folder and imports them.
fn run(
    joins: &str,
    files: &[(&str, &str)],
) -> (
    tempfile::TempDir,
    Result<
        (
            fairtally_results::ElectionResults,
            fairtally_results::ImportSummary,
        ),
        ResultsError,
    >,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("results.csv"), RESULTS).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let m = Mapping::from_toml(&mapping(joins), Path::new("m.toml")).unwrap();
    let out = import(&dir.path().join("results.csv"), &m);
    (dir, out)
}

#[test]
fn coordinates_and_findings_reach_their_stations() {
    let (_dir, out) = run(
        &format!("{GEO}{FINDINGS}"),
        &[
            ("geo.csv", "station,lat,lon\nS1,52.1,23.7\nS2,53.9,27.56\n"),
            (
                "found.csv",
                "station,locked,late\nS1,True,False\nS3,1,yes\n",
            ),
        ],
    );
    let (results, summary) = out.unwrap();
    let station = |id: &str| {
        &results
            .stations
            .iter()
            .find(|s| s.station.id == id)
            .unwrap()
            .station
    };
    assert_eq!(
        station("S1").coordinates,
        Some(Coordinates {
            latitude: 52.1,
            longitude: 23.7
        })
    );
    assert_eq!(station("S3").coordinates, None);
    let words = |id: &str| -> Vec<String> {
        station(id)
            .findings
            .iter()
            .map(|f| f.finding.clone())
            .collect()
    };
    assert_eq!(words("S1"), ["observers locked out"]);
    // Columns are taken in name order: `late` before `locked`.
    assert_eq!(words("S3"), ["protocol late", "observers locked out"]);
    assert!(words("S2").is_empty());
    assert_eq!(station("S1").findings[0].source, "Network");
    assert_eq!(summary.joined.len(), 2);
    assert_eq!(summary.joined[0].with_coordinates, 2);
    assert_eq!(summary.joined[0].stations_without_row, 1);
    assert_eq!(summary.joined[1].findings, 3);
    let text = summary.to_string();
    assert!(text.contains("joined"), "{text}");
}

#[test]
fn bad_rows_are_counted_with_their_line_and_left_out() {
    let (_dir, out) = run(
        GEO,
        &[(
            "geo.csv",
            "station,lat,lon\nS1,95,23\nS2,53.9,east\nS9,1,1\nS3,1,2\nS3,5,6\n",
        )],
    );
    let (results, summary) = out.unwrap();
    assert!(
        results
            .stations
            .iter()
            .take(2)
            .all(|s| s.station.coordinates.is_none())
    );
    // The first row of a station is kept; the second is skipped.
    assert_eq!(
        results.stations[2].station.coordinates,
        Some(Coordinates {
            latitude: 1.0,
            longitude: 2.0
        })
    );
    let issue = |kind: &str| {
        summary
            .issues
            .iter()
            .find(|(k, _)| k.starts_with(kind))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no issue {kind}: {:?}", summary.issues.keys()))
    };
    let range = issue("geo.csv: coordinate out of range");
    assert_eq!((range.count, range.examples[0].line), (1, 2));
    assert_eq!(range.examples[0].column, "lat");
    assert_eq!(issue("geo.csv: not a coordinate").examples[0].line, 3);
    assert_eq!(issue("geo.csv: row for no station").examples[0].line, 4);
    assert_eq!(issue("geo.csv: station joined twice").examples[0].line, 6);
    assert_eq!(summary.joined[0].unknown_stations, 1);
}

#[test]
fn a_finding_that_is_not_true_or_false_is_counted() {
    let (_dir, out) = run(
        FINDINGS,
        &[("found.csv", "station,locked,late\nS1,perhaps,False\n")],
    );
    let (results, summary) = out.unwrap();
    assert!(results.stations[0].station.findings.is_empty());
    let (kind, issue) = summary.issues.iter().next().unwrap();
    assert!(kind.starts_with("found.csv: not true or false"), "{kind}");
    assert_eq!(
        (issue.examples[0].line, issue.examples[0].column.as_str()),
        (2, "locked")
    );
}

#[test]
fn a_missing_column_or_file_names_the_file_and_the_item() {
    let (_dir, out) = run(GEO, &[("geo.csv", "station,lat\nS1,1\n")]);
    let e = out.unwrap_err().to_string();
    assert!(
        e.contains("geo.csv") && e.contains("`lon`") && e.contains("join[0].coordinates.longitude"),
        "{e}"
    );
    let (_dir, out) = run(GEO, &[]);
    let e = out.unwrap_err().to_string();
    assert!(e.contains("geo.csv"), "{e}");
}

#[test]
fn a_join_must_name_a_file_beside_the_results_and_bring_something() {
    for (joins, says) in [
        (
            "[[join]]\nfile = \"../elsewhere.csv\"\nkey = \"id\"\ncoordinates = { latitude = \"a\", longitude = \"b\" }\n",
            "no absolute path",
        ),
        (
            "[[join]]\nfile = \"/etc/passwd\"\nkey = \"id\"\ncoordinates = { latitude = \"a\", longitude = \"b\" }\n",
            "no absolute path",
        ),
        (
            "[[join]]\nfile = \"x.csv\"\nkey = \"id\"\n",
            "joins nothing",
        ),
        (
            "[[join]]\nfile = \"x.csv\"\nkey = \"id\"\n[join.findings]\nsource = \"N\"\ncolumns = {}\n",
            "at least one column",
        ),
    ] {
        let e = Mapping::from_toml(&mapping(joins), Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("m.toml") && e.contains("join[0]") && e.contains(says),
            "{e}"
        );
    }
}

#[test]
fn a_stream_cannot_be_joined() {
    let m = Mapping::from_toml(&mapping(GEO), Path::new("m.toml")).unwrap();
    let e = import_reader(RESULTS.as_bytes(), Path::new("r.csv"), &m)
        .unwrap_err()
        .to_string();
    assert!(e.contains("stream") && e.contains("r.csv"), "{e}");
}

#[test]
fn belarus_stations_get_their_coordinates_and_the_zubr_findings() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/belarus-2020");
    let mapping =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings/belarus-2020-voice.toml");
    let m = Mapping::from_file(&mapping).unwrap();
    let (results, summary) = import(&data.join("voice.csv"), &m).unwrap();
    let with = results
        .stations
        .iter()
        .filter(|s| s.station.coordinates.is_some())
        .count();
    assert_eq!(
        with,
        results.stations.len(),
        "every station of voice.csv is in geo-categorized.csv"
    );
    // Every coordinate lies in Belarus (latitude 51.2–56.2, longitude 23.1–32.8), except the
    // embassies' stations abroad, which the geo file marks as such.
    let outside = results
        .stations
        .iter()
        .filter_map(|s| s.station.coordinates)
        .filter(|c| !(51.0..56.5).contains(&c.latitude) || !(23.0..33.0).contains(&c.longitude))
        .count();
    assert!(outside < 100, "{outside} stations outside Belarus");
    let zubr = &summary.joined[1];
    assert!(zubr.findings > 4000 && zubr.stations > 5700, "{zubr:?}");
}
