//! Importing the shipped mappings against the real data in `../shared/data` reproduces the
//! totals published with it.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};

use fairtally_results::{Action, ElectionResults, ImportSummary, Mapping, Source, import};

fn data(path: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(path)
}

fn mapping(name: &str) -> Mapping {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../mappings")).join(name);
    match Mapping::from_file(&path) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    }
}

fn import_ok(data_path: &str, mapping_name: &str) -> (ElectionResults, ImportSummary) {
    match import(&data(data_path), &mapping(mapping_name)) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

/// Stations, registered voters, the leader's votes and ballots counted.
fn russian_totals(year: u32, leader: &str) -> (u64, u64, u64, u64) {
    let (results, summary) = import_ok(
        &format!("russia/{year}.csv.zip"),
        &format!("russia-{year}.toml"),
    );
    assert_eq!(summary.rows_skipped, 0, "{summary}");
    assert!(summary.issues.is_empty(), "{summary}");
    assert_eq!(summary.rows_read, summary.rows_imported);
    let leader = results.option_index(leader).unwrap_or(usize::MAX);
    let totals = results.official_totals();
    (
        results.official().count() as u64,
        totals.registered.unwrap_or(0),
        totals.votes_for(leader).unwrap_or(0),
        totals.ballots_counted.unwrap_or(0),
    )
}

#[test]
fn russia_2012_reproduces_published_totals() {
    let (stations, registered, putin, counted) = russian_totals(2012, "putin");
    assert_eq!(stations, 95_415);
    assert_eq!(registered, 109_860_331);
    assert_eq!(putin, 45_602_075);
    // 63.60 % of ballots counted, as published.
    assert_eq!((putin as f64 / counted as f64 * 10_000.0).round(), 6360.0);
}

#[test]
fn russia_2011_reproduces_published_totals() {
    let (stations, registered, er, counted) = russian_totals(2011, "er");
    assert_eq!(stations, 95_225);
    assert_eq!(registered, 109_229_337);
    assert_eq!(er, 32_371_737);
    assert_eq!((er as f64 / counted as f64 * 10_000.0).round(), 4931.0);
}

#[test]
fn russia_2016_and_2018_reproduce_published_totals() {
    let (stations, registered, _, _) = russian_totals(2016, "er");
    assert_eq!((stations, registered), (96_871, 110_061_200));
    let (stations, registered, _, _) = russian_totals(2018, "putin");
    assert_eq!((stations, registered), (97_699, 109_008_428));
}

#[test]
fn russian_protocols_are_complete() {
    let (results, _) = import_ok("russia/2012.csv.zip", "russia-2012.toml");
    let first = &results.stations[0];
    assert_eq!(
        first.station.id,
        "Республика Адыгея (Адыгея)/1 Адыгейская/1"
    );
    let p = first.official().cloned().unwrap_or_default();
    // Row 1 of the file: issued 0 + 1513 + 77, valid 1571 + invalid 19.
    assert_eq!(p.ballots_issued, Some(1590));
    assert_eq!(p.ballots_counted, Some(1590));
    assert_eq!(p.ballots_received, Some(2147));
    assert_eq!(p.ballots_cancelled, Some(557));
    assert_eq!(
        p.votes,
        vec![Some(24), Some(382), Some(28), Some(71), Some(1066)]
    );
}

#[test]
fn belarus_voice_carries_official_figures_and_voters_reports() {
    let (results, summary) = import_ok("belarus-2020/voice.csv", "belarus-2020-voice.toml");
    assert_eq!(summary.rows_read, 5_709);
    assert_eq!(summary.rows_skipped, 0, "{summary}");
    assert_eq!(results.stations.len(), 5_709);
    // The three negative "against all" remainders are dropped, named and counted.
    let negative = summary
        .issues
        .values()
        .find(|i| i.action == Action::ValueDropped);
    let negative = negative.map(|i| {
        (
            i.count,
            i.examples[0].column.clone(),
            i.examples[0].value.clone(),
        )
    });
    assert_eq!(
        negative,
        Some((3, "against_officialVotes".to_owned(), "-48".to_owned()))
    );
    assert_eq!(summary.reports.get("voters"), Some(&5_709));
    let official = results.official().count();
    assert_eq!(
        summary.reports.get("official").copied(),
        Some(official as u64)
    );
    assert!(
        summary
            .unused_columns
            .contains(&"ignore_registered".to_owned())
    );
    let first = &results.stations[0];
    assert_eq!(first.station.region.as_deref(), Some("Brest"));
    assert_eq!(first.station.district.as_deref(), Some("010"));
    let voters = first.voters().map(|r| (&r.source, r.confirmed.clone()));
    let tihanovkaja = results.option_index("tihanovkaja").unwrap_or(usize::MAX);
    assert_eq!(
        voters.map(|(s, c)| (s.clone(), c.and_then(|c| c.votes_for(tihanovkaja)))),
        Some((Source::Voters, Some(253)))
    );
}

/// Imports a file of `russia-more/` through its mapping: (stations with an official protocol,
/// stations with registered voters above zero, registered voters, the summary).
fn russia_more(file: &str, mapping_name: &str) -> (ElectionResults, ImportSummary) {
    import_ok(&format!("russia-more/{file}"), mapping_name)
}

#[test]
fn russia_more_reproduces_the_readme_totals() {
    // README of ../shared/data/russia-more: stations and registered voters.
    for (year, stations, registered, leader) in [
        (2004, 95_779, 108_064_342, "putin"),
        (2007, 96_193, 109_148_196, "er"),
        (2008, 96_612, 107_222_016, "medvedev"),
        (2020, 96_765, 107_999_611, "yes"),
        (2021, 96_325, 109_204_662, "er"),
    ] {
        let (results, summary) =
            russia_more(&format!("{year}.csv.zip"), &format!("russia-{year}.toml"));
        assert_eq!(summary.rows_skipped, 0, "{year}: {summary}");
        let totals = results.official_totals();
        assert_eq!(results.official().count(), stations, "{year}");
        assert_eq!(totals.registered, Some(registered), "{year}");
        // The leader named in the README has the most votes.
        let leader = results.option_index(leader).unwrap_or(usize::MAX);
        let most = (0..results.options.len())
            .max_by_key(|&o| totals.votes_for(o).unwrap_or(0))
            .unwrap_or(usize::MAX);
        assert_eq!(most, leader, "{year}");
        // Every station's page is kept as its source link.
        assert!(
            results.stations.iter().all(|s| s.station.url.is_some()),
            "{year}"
        );
    }
}

#[test]
fn the_2020_referendum_counts_the_ballots_in_the_boxes() {
    let (results, _) = russia_more("2020.csv.zip", "russia-2020.toml");
    let totals = results.official_totals();
    assert_eq!(
        totals.ballots_issued, None,
        "no issued-ballot columns are mapped"
    );
    let (yes, no) = (
        totals.votes_for(0).unwrap_or(0),
        totals.votes_for(1).unwrap_or(0),
    );
    let counted = totals.ballots_counted.unwrap_or(0);
    assert_eq!(yes + no + totals.invalid.unwrap_or(0), counted);
    assert_eq!(results.options[0].name, "ДА");
}

#[test]
fn russia_2024_skips_the_rows_without_data() {
    let (results, summary) = russia_more("2024.csv.zip", "russia-2024.toml");
    assert_eq!(summary.rows_read, 94_214);
    let with_data: Vec<_> = results
        .official()
        .filter(|(_, p)| p.registered.is_some_and(|r| r > 0))
        .collect();
    assert_eq!(with_data.len(), 91_939, "{summary}");
    let registered: u64 = with_data.iter().filter_map(|(_, p)| p.registered).sum();
    assert_eq!(registered, 99_764_974);
    let (electronic, _) = russia_more(
        "2024-electronic-voting.csv",
        "russia-2024-electronic-voting.toml",
    );
    assert!(electronic.stations.len() >= 2);
    let putin = electronic.option_index("putin").unwrap_or(usize::MAX);
    let totals = electronic.official_totals();
    assert!(totals.votes_for(putin) > totals.votes_for(0));
}
