//! Confrontation: official figures against observers' protocols and voters' photo-confirmed
//! reports, conflicts between observers, and the internal consistency of every protocol.

use std::collections::BTreeMap;

use fairtally_results::{
    Coordinates, ElectionOption, ElectionResults, Field, Finding, StationProtocol, StationResults,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checks::{Check, check_protocol};

/// A figure compared between sources: a result-sheet field or the votes for one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Item {
    /// A result-sheet figure.
    Field(Field),
    /// Votes for the option with this index.
    Votes(usize),
}

impl Item {
    /// Every item of an election with `options` options: fields first, then votes.
    pub fn all(options: usize) -> Vec<Item> {
        Field::ALL
            .iter()
            .map(|&f| Item::Field(f))
            .chain((0..options).map(Item::Votes))
            .collect()
    }

    /// The item's figure in a protocol.
    pub fn of(self, p: &StationProtocol) -> Option<u64> {
        match self {
            Item::Field(f) => p.get(f),
            Item::Votes(o) => p.votes_for(o),
        }
    }

    /// `ballots_issued`, or `votes:<option id>`.
    pub fn label(self, options: &[ElectionOption]) -> String {
        match self {
            Item::Field(f) => f.name().to_owned(),
            Item::Votes(o) => format!(
                "votes:{}",
                options.get(o).map_or("?", |opt| opt.id.as_str())
            ),
        }
    }
}

/// Why a station is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Voters' photo-confirmed reports for an option exceed the official votes for it: the
    /// official figure cannot be true (no statistics needed).
    ConfirmedExceedsOfficial,
    /// An observer's protocol differs from the official one.
    DiffersFromOfficial,
    /// Two observers' protocols of the station disagree.
    ObserversDisagree,
    /// A protocol breaks its own arithmetic.
    InconsistentProtocol,
}

impl Reason {
    /// Name used in CSV and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Reason::ConfirmedExceedsOfficial => "confirmed_exceeds_official",
            Reason::DiffersFromOfficial => "differs_from_official",
            Reason::ObserversDisagree => "observers_disagree",
            Reason::InconsistentProtocol => "inconsistent_protocol",
        }
    }
}

/// One finding about one station: a row of `flagged.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Station id.
    pub station: String,
    /// Region of the station, if known.
    pub region: Option<String>,
    /// Why.
    pub reason: Reason,
    /// The figure concerned (`votes:tihanovkaja`, `ballots_counted`) or the check broken.
    pub item: String,
    /// The official figure, where one is compared.
    pub official: Option<u64>,
    /// The other figure: the observer's, the photo-confirmed count, or the second observer's.
    pub other: Option<u64>,
    /// The source of the other figure (`observer:<id>`, `voters`) or of the inconsistent protocol.
    pub source: String,
    /// The figures in words.
    pub detail: String,
}

/// A station's official figure next to another source's, for charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Index of the option.
    pub option: usize,
    /// Official votes.
    pub official: u64,
    /// Observed votes (observer's protocol, or voters' photo-confirmed reports).
    pub observed: u64,
    /// True when the observed figure comes from voters' photo-confirmed reports.
    pub from_voters: bool,
}

/// Official against another source for one figure, over all stations where both exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemComparison {
    /// The figure.
    pub item: String,
    /// Station reports where both figures exist.
    pub compared: u64,
    /// Of them, those where the figures differ (observers) or where the other exceeds the
    /// official one (voters' reports).
    pub flagged: u64,
    /// Sum of the official figures over the compared stations.
    pub official_total: u64,
    /// Sum of the other figures over the compared stations.
    pub other_total: u64,
    /// Sum of the excess of the other figure over the official one, where it exceeds it.
    pub excess_total: u64,
}

/// How often one check applied and failed, for one kind of source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSummary {
    /// `official` or `observer`.
    pub source: String,
    /// The check.
    pub check: Check,
    /// The rule in words.
    pub rule: String,
    /// Protocols that had the figures the check needs.
    pub applied: u64,
    /// Protocols that break it.
    pub failed: u64,
}

/// `summary.json`: the figures of the confrontation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The election.
    pub election: String,
    /// Its options.
    pub options: Vec<ElectionOption>,
    /// Stations in the results.
    pub stations: u64,
    /// Stations with an official protocol.
    pub stations_with_official: u64,
    /// Stations with at least one observer's protocol.
    pub stations_with_observers: u64,
    /// Stations with voters' reports.
    pub stations_with_voters: u64,
    /// The proof that needs no statistics, per option and figure: stations where voters'
    /// photo-confirmed reports exceed the official figure.
    pub confirmed_exceeds_official: Vec<ItemComparison>,
    /// The same with voters' reports that were not all photo-confirmed (weaker evidence: a
    /// voter may misreport).
    pub reported_exceeds_official: Vec<ItemComparison>,
    /// Observers' protocols against official ones, per figure.
    pub observed_vs_official: Vec<ItemComparison>,
    /// Stations where observers disagree with each other, per figure.
    pub observers_disagree: BTreeMap<String, u64>,
    /// Internal consistency checks per kind of source.
    pub checks: Vec<CheckSummary>,
    /// Stations with at least one flag.
    pub flagged_stations: u64,
    /// Flagged stations per region.
    pub flagged_by_region: BTreeMap<String, u64>,
    /// Flagged stations per reason.
    pub flagged_by_reason: BTreeMap<String, u64>,
    /// Stations per region (the denominator of the rates per region).
    #[serde(default)]
    pub stations_by_region: BTreeMap<String, u64>,
    /// Stations with at least one finding from a joined observer network.
    #[serde(default)]
    pub stations_with_findings: u64,
    /// Findings from joined observer networks, per finding.
    #[serde(default)]
    pub findings_by_kind: BTreeMap<String, u64>,
    /// Every station that has coordinates, a flag or a finding, for maps and station tables.
    #[serde(default)]
    pub map: Vec<MapStation>,
}

/// One station as a map or a station table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapStation {
    /// Station id.
    pub id: String,
    /// Region, if known.
    pub region: Option<String>,
    /// The station's page at the commission's site (a source link), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where it is, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// Why fairtally flags it (empty: not flagged).
    pub reasons: Vec<Reason>,
    /// What joined observer networks found there, in words, with who found it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// The whole confrontation: summary, flags and chart points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The figures.
    pub summary: Summary,
    /// Every finding, station by station.
    pub flags: Vec<Flag>,
    /// Official against observed votes per station and option.
    pub points: Vec<Point>,
}

/// Per-thread counters, merged at the end.
struct Tally {
    items: Vec<Item>,
    with: [u64; 3],
    /// `[kind][check]` = (applied, failed); kind 0 official, 1 observer.
    checks: [[(u64, u64); Check::ALL.len()]; 2],
    confirmed: Vec<ItemComparison>,
    reported: Vec<ItemComparison>,
    observed: Vec<ItemComparison>,
    disagree: Vec<u64>,
    flags: Vec<Flag>,
    flagged_stations: Vec<(Option<String>, Vec<Reason>)>,
    points: Vec<Point>,
}

fn add(target: &mut [ItemComparison], other: &[ItemComparison]) {
    for (t, o) in target.iter_mut().zip(other) {
        t.compared += o.compared;
        t.flagged += o.flagged;
        t.official_total += o.official_total;
        t.other_total += o.other_total;
        t.excess_total += o.excess_total;
    }
}

impl Tally {
    fn new(items: &[Item], options: &[ElectionOption]) -> Self {
        let per_item: Vec<ItemComparison> = items
            .iter()
            .map(|i| ItemComparison {
                item: i.label(options),
                ..ItemComparison::default()
            })
            .collect();
        Tally {
            items: items.to_vec(),
            with: [0; 3],
            checks: [[(0, 0); Check::ALL.len()]; 2],
            confirmed: per_item.clone(),
            reported: per_item.clone(),
            observed: per_item,
            disagree: vec![0; items.len()],
            flags: Vec::new(),
            flagged_stations: Vec::new(),
            points: Vec::new(),
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        for i in 0..3 {
            self.with[i] += other.with[i];
        }
        for (mine, theirs) in self.checks.iter_mut().zip(&other.checks) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                m.0 += t.0;
                m.1 += t.1;
            }
        }
        add(&mut self.confirmed, &other.confirmed);
        add(&mut self.reported, &other.reported);
        add(&mut self.observed, &other.observed);
        for (m, t) in self.disagree.iter_mut().zip(&other.disagree) {
            *m += t;
        }
        self.flags.extend(other.flags);
        self.flagged_stations.extend(other.flagged_stations);
        self.points.extend(other.points);
        self
    }

    fn station(&mut self, s: &StationResults, options: &[ElectionOption]) {
        let first_flag = self.flags.len();
        let official = s.official();
        let observers: Vec<_> = s.observed().collect();
        let voters = s.voters();
        self.with[0] += u64::from(official.is_some());
        self.with[1] += u64::from(!observers.is_empty());
        self.with[2] += u64::from(voters.is_some());
        let flag = |reason, item: String, official, other, source: String, detail: String| Flag {
            station: s.station.id.clone(),
            region: s.station.region.clone(),
            reason,
            item,
            official,
            other,
            source,
            detail,
        };
        // Internal consistency of the official and observers' protocols.
        let protocols = official
            .map(|p| (0, "official".to_owned(), p))
            .into_iter()
            .chain(observers.iter().map(|r| (1, r.source.label(), &r.protocol)));
        for (kind, source, p) in protocols {
            let (applied, failures) = check_protocol(p);
            for c in applied {
                self.checks[kind][c as usize].0 += 1;
            }
            for f in failures {
                self.checks[kind][f.check as usize].1 += 1;
                let reason = Reason::InconsistentProtocol;
                self.flags.push(flag(
                    reason,
                    f.check.name().into(),
                    None,
                    None,
                    source.clone(),
                    f.detail,
                ));
            }
        }
        for (n, &item) in self.items.iter().enumerate() {
            let label = || item.label(options);
            let official_value = official.and_then(|p| item.of(p));
            // Observers against the official figure, and against each other.
            let mut seen: Option<(u64, String)> = None;
            let mut disagree = false;
            for r in &observers {
                let Some(observed) = item.of(&r.protocol) else {
                    continue;
                };
                if let Some((first, who)) = &seen {
                    if *first != observed && !disagree {
                        disagree = true;
                        let detail = format!("{who}: {first}, {}: {observed}", r.source.label());
                        self.flags.push(flag(
                            Reason::ObserversDisagree,
                            label(),
                            None,
                            Some(observed),
                            r.source.label(),
                            detail,
                        ));
                    }
                } else {
                    seen = Some((observed, r.source.label()));
                }
                if let Some(o) = official_value {
                    let c = &mut self.observed[n];
                    c.compared += 1;
                    c.official_total += o;
                    c.other_total += observed;
                    c.excess_total += observed.saturating_sub(o);
                    if let Item::Votes(option) = item {
                        self.points.push(Point {
                            option,
                            official: o,
                            observed,
                            from_voters: false,
                        });
                    }
                    if observed != o {
                        c.flagged += 1;
                        let detail = format!("official {o}, observed {observed}");
                        self.flags.push(flag(
                            Reason::DiffersFromOfficial,
                            label(),
                            Some(o),
                            Some(observed),
                            r.source.label(),
                            detail,
                        ));
                    }
                }
            }
            self.disagree[n] += u64::from(disagree);
            // Voters' reports against the official figure.
            let (Some(v), Some(o)) = (voters, official_value) else {
                continue;
            };
            if let Some(reported) = item.of(&v.protocol) {
                let c = &mut self.reported[n];
                c.compared += 1;
                c.official_total += o;
                c.other_total += reported;
                if reported > o {
                    c.flagged += 1;
                    c.excess_total += reported - o;
                }
            }
            if let Some(confirmed) = v.confirmed.as_ref().and_then(|c| item.of(c)) {
                let c = &mut self.confirmed[n];
                c.compared += 1;
                c.official_total += o;
                c.other_total += confirmed;
                if let Item::Votes(option) = item {
                    self.points.push(Point {
                        option,
                        official: o,
                        observed: confirmed,
                        from_voters: true,
                    });
                }
                if confirmed > o {
                    c.flagged += 1;
                    c.excess_total += confirmed - o;
                    let detail = format!(
                        "{confirmed} voters showed a photo of their ballot; official count {o}"
                    );
                    self.flags.push(flag(
                        Reason::ConfirmedExceedsOfficial,
                        label(),
                        Some(o),
                        Some(confirmed),
                        "voters".into(),
                        detail,
                    ));
                }
            }
        }
        if self.flags.len() > first_flag {
            let mut reasons: Vec<Reason> =
                self.flags[first_flag..].iter().map(|f| f.reason).collect();
            reasons.sort();
            reasons.dedup();
            self.flagged_stations
                .push((s.station.region.clone(), reasons));
        }
    }
}

/// Confronts every source of `results`, station by station (in parallel).
pub fn compare(results: &ElectionResults) -> Comparison {
    let options = &results.options;
    let items = Item::all(options.len());
    let tally = results
        .stations
        .par_iter()
        .with_min_len(256)
        .fold(
            || Tally::new(&items, options),
            |mut t, s| {
                t.station(s, options);
                t
            },
        )
        .reduce(|| Tally::new(&items, options), Tally::merge);
    let mut flagged_by_region = BTreeMap::new();
    let mut flagged_by_reason = BTreeMap::new();
    for (region, reasons) in &tally.flagged_stations {
        let region = region.clone().unwrap_or_else(|| "(unknown)".to_owned());
        *flagged_by_region.entry(region).or_insert(0) += 1;
        for r in reasons {
            *flagged_by_reason.entry(r.name().to_owned()).or_insert(0) += 1;
        }
    }
    let mut checks = Vec::new();
    for (kind, name) in [(0, "official"), (1, "observer")] {
        for c in Check::ALL {
            let (applied, failed) = tally.checks[kind][c as usize];
            if applied > 0 {
                checks.push(CheckSummary {
                    source: name.to_owned(),
                    check: c,
                    rule: c.rule().to_owned(),
                    applied,
                    failed,
                });
            }
        }
    }
    let keep = |v: Vec<ItemComparison>| -> Vec<ItemComparison> {
        v.into_iter().filter(|c| c.compared > 0).collect()
    };
    let observers_disagree = items
        .iter()
        .zip(&tally.disagree)
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (i.label(options), *n))
        .collect();
    let map = map_stations(results, &tally.flags);
    let mut stations_by_region = BTreeMap::new();
    let mut findings_by_kind = BTreeMap::new();
    for s in &results.stations {
        let region = s
            .station
            .region
            .clone()
            .unwrap_or_else(|| "(unknown)".to_owned());
        *stations_by_region.entry(region).or_insert(0) += 1;
        for f in &s.station.findings {
            *findings_by_kind.entry(f.finding.clone()).or_insert(0) += 1;
        }
    }
    let summary = Summary {
        stations_by_region,
        stations_with_findings: results
            .stations
            .iter()
            .filter(|s| !s.station.findings.is_empty())
            .count() as u64,
        findings_by_kind,
        map,
        election: results.name.clone(),
        options: options.clone(),
        stations: results.stations.len() as u64,
        stations_with_official: tally.with[0],
        stations_with_observers: tally.with[1],
        stations_with_voters: tally.with[2],
        confirmed_exceeds_official: keep(tally.confirmed),
        reported_exceeds_official: keep(tally.reported),
        observed_vs_official: keep(tally.observed),
        observers_disagree,
        checks,
        flagged_stations: tally.flagged_stations.len() as u64,
        flagged_by_region,
        flagged_by_reason,
    };
    Comparison {
        summary,
        flags: tally.flags,
        points: tally.points,
    }
}

/// The stations a map or station table shows: those with coordinates, a flag or a finding,
/// in the results' order, each with its reasons (sorted, once each).
fn map_stations(results: &ElectionResults, flags: &[Flag]) -> Vec<MapStation> {
    let mut reasons: std::collections::HashMap<&str, Vec<Reason>> = Default::default();
    for f in flags {
        reasons
            .entry(f.station.as_str())
            .or_default()
            .push(f.reason);
    }
    results
        .stations
        .iter()
        .filter_map(|s| {
            let st = &s.station;
            let mut why = reasons.remove(st.id.as_str()).unwrap_or_default();
            why.sort();
            why.dedup();
            (st.coordinates.is_some() || !why.is_empty() || !st.findings.is_empty()).then(|| {
                MapStation {
                    id: st.id.clone(),
                    region: st.region.clone(),
                    url: st.url.clone(),
                    coordinates: st.coordinates,
                    reasons: why,
                    findings: st.findings.clone(),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use fairtally_results::{Report, Source, Station};

    use super::*;

    fn report(source: Source, votes: [u64; 2], confirmed: Option<[u64; 2]>) -> Report {
        let protocol = |v: [u64; 2]| StationProtocol {
            valid: Some(v[0] + v[1]),
            votes: v.iter().map(|&x| Some(x)).collect(),
            ..StationProtocol::default()
        };
        Report {
            source,
            protocol: protocol(votes),
            confirmed: confirmed.map(protocol),
            photos: Vec::new(),
            origin: "test".into(),
        }
    }

    fn observer(name: &str) -> Source {
        Source::Observer {
            observer: name.into(),
            signed: true,
        }
    }

    fn election(reports: Vec<Report>) -> ElectionResults {
        let option = |id: &str| ElectionOption {
            id: id.into(),
            name: id.into(),
        };
        ElectionResults {
            name: "E".into(),
            options: vec![option("a"), option("b")],
            stations: vec![StationResults {
                station: Station {
                    id: "S".into(),
                    region: Some("R".into()),
                    ..Station::default()
                },
                reports,
            }],
        }
    }

    fn reasons(c: &Comparison) -> Vec<(Reason, String)> {
        c.flags.iter().map(|f| (f.reason, f.item.clone())).collect()
    }

    #[test]
    fn agreeing_sources_raise_no_flag() {
        let c = compare(&election(vec![
            report(Source::Official, [60, 40], None),
            report(observer("ann"), [60, 40], None),
            report(observer("bob"), [60, 40], None),
            report(Source::Voters, [30, 20], Some([20, 10])),
        ]));
        assert!(c.flags.is_empty(), "{:?}", c.flags);
        assert_eq!(c.summary.flagged_stations, 0);
        assert_eq!(c.points.len(), 6); // 2 options × (2 observers + photo-confirmed)
    }

    #[test]
    fn the_map_lists_each_flagged_station_once_with_its_reasons() {
        let mut results = election(vec![
            report(Source::Official, [60, 40], None),
            report(observer("ann"), [50, 40], None),
            report(Source::Voters, [70, 45], Some([65, 41])),
        ]);
        let c = compare(&results);
        assert_eq!(c.summary.map.len(), 1);
        let s = &c.summary.map[0];
        assert_eq!(
            s.reasons,
            [
                Reason::ConfirmedExceedsOfficial,
                Reason::DiffersFromOfficial
            ]
        );
        assert_eq!(s.coordinates, None);
        assert_eq!(c.summary.stations_by_region.get("R"), Some(&1));
        // A station with neither flag, finding nor coordinates is left out of the map; one
        // with coordinates is in it.
        results.stations[0].reports.truncate(1);
        assert!(compare(&results).summary.map.is_empty());
        results.stations[0].station.coordinates = Some(Coordinates {
            latitude: 53.9,
            longitude: 27.6,
        });
        assert_eq!(compare(&results).summary.map.len(), 1);
    }

    #[test]
    fn observers_disagreeing_with_each_other_and_the_official_count_are_flagged() {
        let c = compare(&election(vec![
            report(Source::Official, [60, 40], None),
            report(observer("ann"), [60, 40], None),
            report(observer("bob"), [50, 50], None),
        ]));
        let differs = |item: &str| (Reason::DiffersFromOfficial, item.to_owned());
        let disagree = |item: &str| (Reason::ObserversDisagree, item.to_owned());
        assert_eq!(
            reasons(&c),
            vec![
                disagree("votes:a"),
                differs("votes:a"),
                disagree("votes:b"),
                differs("votes:b")
            ]
        );
        assert_eq!(c.summary.observers_disagree.get("votes:a"), Some(&1));
        assert_eq!(c.summary.flagged_by_region.get("R"), Some(&1));
        let a = &c.summary.observed_vs_official[1];
        assert_eq!((a.item.as_str(), a.compared, a.flagged), ("votes:a", 2, 1));
    }

    #[test]
    fn more_photo_confirmed_ballots_than_official_votes_is_proof() {
        let c = compare(&election(vec![
            report(Source::Official, [90, 10], None),
            report(Source::Voters, [5, 30], Some([4, 25])),
        ]));
        assert_eq!(
            reasons(&c),
            vec![(Reason::ConfirmedExceedsOfficial, "votes:b".to_owned())]
        );
        let b = &c.summary.confirmed_exceeds_official[2];
        assert_eq!(
            (b.item.as_str(), b.flagged, b.excess_total),
            ("votes:b", 1, 15)
        );
        let reported = &c.summary.reported_exceeds_official[2];
        assert_eq!((reported.flagged, reported.excess_total), (1, 20));
        assert_eq!(
            c.flags[0].detail,
            "25 voters showed a photo of their ballot; official count 10"
        );
    }

    #[test]
    fn inconsistent_protocols_are_flagged_per_source() {
        let mut official = report(Source::Official, [60, 40], None);
        official.protocol.valid = Some(99);
        let c = compare(&election(vec![official]));
        assert_eq!(
            reasons(&c),
            vec![(
                Reason::InconsistentProtocol,
                "votes_sum_to_valid".to_owned()
            )]
        );
        let check = c
            .summary
            .checks
            .iter()
            .find(|k| k.check == Check::VotesSumToValid);
        assert_eq!(check.map(|k| (k.applied, k.failed)), Some((1, 1)));
    }
}
