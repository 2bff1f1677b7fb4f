//! Confrontation and PVT on the real data in `../shared/data`.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use fairtally_observe::pvt::{PvtPlan, PvtSource, ShareBase, run_pvt};
use fairtally_observe::{Reason, compare, write_comparison};
use fairtally_results::{ElectionResults, Mapping, import};

fn load(data: &str, mapping: &str) -> ElectionResults {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mapping = Mapping::from_file(&root.join("mappings").join(mapping)).unwrap();
    import(&root.join("../shared/data").join(data), &mapping)
        .unwrap()
        .0
}

#[test]
fn belarus_photo_confirmed_ballots_exceed_official_votes() {
    let results = load("belarus-2020/voice.csv", "belarus-2020-voice.toml");
    let c = compare(&results);
    let per_option: Vec<(String, u64, u64)> = c
        .summary
        .confirmed_exceeds_official
        .iter()
        .map(|i| (i.item.clone(), i.compared, i.flagged))
        .collect();
    // Per option and figure: (stations where both exist, stations where photo-confirmed
    // ballots exceed the official count). Cross-checked by hand on voice.csv; "against" leaves
    // out the three stations whose official figure is a negative remainder (dropped on import).
    let expected = [
        ("invalid", 694, 0),
        ("votes:lukashenko", 1395, 0),
        ("votes:tihanovkaja", 1395, 441),
        ("votes:dmitriyev", 1370, 1),
        ("votes:kanopatskaja", 1373, 0),
        ("votes:cherechen", 1363, 0),
        ("votes:against", 1310, 4),
    ];
    let expected: Vec<(String, u64, u64)> = expected
        .iter()
        .map(|(i, c, f)| (i.to_string(), *c, *f))
        .collect();
    assert_eq!(per_option, expected);
    assert_eq!(
        c.summary
            .flagged_by_reason
            .get("confirmed_exceeds_official"),
        Some(&442)
    );
    assert_eq!(c.summary.stations_with_voters, 5_709);
    let dir = tempfile::tempdir().unwrap();
    let written = write_comparison(dir.path(), &c, None, None).unwrap();
    let html = std::fs::read_to_string(&written.report).unwrap();
    assert!(html.contains("<svg"));
    let csv = std::fs::read_to_string(&written.flagged).unwrap();
    let confirmed_rows = csv
        .lines()
        .filter(|l| l.contains("confirmed_exceeds_official"))
        .count();
    assert_eq!(
        confirmed_rows as u64,
        c.flags
            .iter()
            .filter(|f| f.reason == Reason::ConfirmedExceedsOfficial)
            .count() as u64
    );
}

#[test]
fn russia_2012_pvt_on_official_protocols_covers_the_official_result() {
    let results = load("russia/2012.csv.zip", "russia-2012.toml");
    let plan = PvtPlan {
        seed: "fairtally test 2012".into(),
        stations: 2000,
        stratify: true,
        confidence: 0.95,
        source: PvtSource::Official,
        base: ShareBase::Counted,
    };
    let pvt = run_pvt(&results, &plan).unwrap();
    assert_eq!(pvt.sample.len(), 2000);
    assert!(pvt.missing.is_empty());
    let putin = pvt.estimates.iter().find(|e| e.name == "putin").unwrap();
    // Official: 63.60 % of ballots counted.
    assert!((putin.official.unwrap() - 0.6360).abs() < 0.00005);
    assert!(putin.margin > 0.001 && putin.margin < 0.01, "{putin:?}");
    assert_eq!(putin.official_outside, Some(false), "{putin:?}");
}

#[test]
fn russia_2012_official_protocols_mostly_add_up() {
    let results = load("russia/2012.csv.zip", "russia-2012.toml");
    let c = compare(&results);
    let failed: Vec<(&str, u64, u64)> = c
        .summary
        .checks
        .iter()
        .map(|k| (k.check.name(), k.applied, k.failed))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("counted_is_valid_plus_invalid", 95_415, 0),
            ("votes_sum_to_valid", 95_415, 0),
            ("issued_at_most_received", 95_415, 0),
            ("issued_plus_cancelled_at_most_received", 95_415, 19),
            ("turnout_at_most_100", 95_415, 0),
            ("counted_at_most_issued", 95_415, 13),
            ("option_at_most_valid", 95_415, 0),
        ]
    );
    assert_eq!(
        c.summary.flagged_stations,
        c.summary.flagged_by_region.values().sum::<u64>()
    );
}

/// The Belarus report reads as a journalist would publish it: a headline with the proof,
/// names rather than slugs, thousands separators, no section without content; a PVT on
/// official figures is marked as a rehearsal.
#[test]
fn reports_use_names_and_open_with_a_headline() {
    let results = load("belarus-2020/voice.csv", "belarus-2020-voice.toml");
    let html = fairtally_observe::render_report(&compare(&results), None, None).unwrap();
    assert!(html.contains("<html lang=en>") && html.contains("name=viewport"));
    assert!(html.contains(
        "448 of 5,709 stations are flagged. At 441 stations more voters photographed their ballot"
    ));
    assert!(html.contains("votes for Sviatlana Tsikhanouskaya"));
    assert!(!html.contains("votes:tihanovkaja") && !html.contains("confirmed_exceeds_official"));
    assert!(html.contains("1,236,287"), "thousands separators");
    let results = load("russia/2012.csv.zip", "russia-2012.toml");
    let plan = PvtPlan {
        seed: "s".into(),
        stations: 500,
        stratify: false,
        confidence: 0.95,
        source: PvtSource::Official,
        base: ShareBase::Counted,
    };
    let pvt = run_pvt(&results, &plan).unwrap();
    let html = fairtally_observe::render_report(&compare(&results), Some(&pvt), None).unwrap();
    assert!(html.contains("<b>REHEARSAL.</b>"));
    assert!(html.contains("<td>Путин Владимир Владимирович</td>"));
    // No observers' or voters' figures: no empty sections.
    assert!(!html.contains("Proof without statistics"));
    assert!(!html.contains("Official against observed, per station"));
    // The Russian data has no coordinates and no findings: no map, no findings column; its
    // stations link to their page at the commission's site.
    assert!(!html.contains("Where the stations are") && !html.contains("Observers' findings"));
    assert!(
        html.contains("<td><a href=\"http"),
        "a flagged station links to its page"
    );
}

/// Belarus: the stations on a map drawn from their coordinates, the Zubr observers' findings
/// joined by station and shown beside fairtally's flags, rates per region with their
/// denominators (also as regions.csv), and the provenance of every input.
#[test]
fn belarus_report_has_the_map_the_zubr_findings_and_the_rates_per_region() {
    let results = load("belarus-2020/voice.csv", "belarus-2020-voice.toml");
    let c = compare(&results);
    let s = &c.summary;
    assert_eq!(s.stations_by_region.get("Minsk city"), Some(&731));
    assert_eq!(s.flagged_by_region.get("Minsk city"), Some(&283));
    assert_eq!(s.stations_with_findings, 1_438);
    assert_eq!(s.map.len(), 5_709, "every station has coordinates");
    let flagged_on_map = s.map.iter().filter(|m| !m.reasons.is_empty()).count() as u64;
    assert_eq!(flagged_on_map, s.flagged_stations);
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/belarus-2020/voice.csv");
    let provenance = fairtally_results::Provenance::new(
        &[&data],
        "fairtally observe compare".into(),
        "voice.csv".into(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let written = write_comparison(dir.path(), &c, None, Some(&provenance)).unwrap();
    let html = std::fs::read_to_string(&written.report).unwrap();
    assert!(html.contains("<h2>Where the stations are</h2>"));
    assert!(
        html.contains("role=img aria-label=\"Map of "),
        "the map has an accessible name"
    );
    assert!(html.contains("40 stations far from the others (abroad) are not drawn"));
    assert!(html.contains("<th>observers' findings at the station</th>"));
    assert!(html.contains("observers not let in (no-let-observer-in)"));
    assert!(html.contains("<h3>Rates per region</h3>") && html.contains("38.7 %"));
    assert!(
        html.contains("<footer><h2>Provenance</h2>") && html.contains(&provenance.inputs[0].sha256)
    );
    let regions = std::fs::read_to_string(&written.regions).unwrap();
    let lines: Vec<&str> = regions.lines().collect();
    assert_eq!(lines.len(), 8, "a header and 7 regions: {regions}");
    assert_eq!(lines[1], "Minsk city,731,283,38.71,538,73.60");
}
