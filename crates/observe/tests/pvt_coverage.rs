//! PVT on simulated elections with known truth: 95 % intervals must cover the truth in about
//! 95 % of samples (93–97 % of 1,000 samples drawn from 1,000 public seeds).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use fairtally_observe::pvt::{PvtPlan, PvtSource, ShareBase, run_pvt};
use fairtally_results::{
    ElectionOption, ElectionResults, Report, Source, Station, StationProtocol, StationResults,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// 1,500 stations in 6 regions; each region leans its own way, and stations vary around it,
/// so stations are real clusters (the design effect is well above 1).
fn simulated_election() -> ElectionResults {
    let mut rng = StdRng::seed_from_u64(2020);
    let mut stations = Vec::new();
    for i in 0..1500 {
        let region = i % 6;
        let registered: u64 = rng.random_range(300..2600);
        let turnout = 0.45 + 0.05 * region as f64 + rng.random_range(-0.1..0.1);
        let voters = (registered as f64 * turnout) as u64;
        let invalid = voters / 50;
        let valid = voters - invalid;
        let share = 0.35 + 0.06 * region as f64 + rng.random_range(-0.15..0.15);
        let a = (valid as f64 * share) as u64;
        let protocol = StationProtocol {
            registered: Some(registered),
            ballots_issued: Some(voters),
            ballots_counted: Some(voters),
            valid: Some(valid),
            invalid: Some(invalid),
            votes: vec![Some(a), Some(valid - a)],
            ..StationProtocol::default()
        };
        stations.push(StationResults {
            station: Station {
                id: format!("{region:02}-{i:04}"),
                region: Some(format!("region {region}")),
                registered: Some(registered),
                ..Station::default()
            },
            reports: vec![Report {
                source: Source::Official,
                protocol,
                confirmed: None,
                photos: Vec::new(),
                origin: "simulated".into(),
            }],
        });
    }
    let option = |id: &str| ElectionOption {
        id: id.into(),
        name: id.into(),
    };
    ElectionResults {
        name: "simulated".into(),
        options: vec![option("a"), option("b")],
        stations,
    }
}

/// Share of 1,000 samples whose interval covers the truth, per figure (turnout, a, b).
fn coverage(stratify: bool) -> Vec<f64> {
    let election = simulated_election();
    let mut covered = [0u32; 3];
    for seed in 0..1000 {
        let plan = PvtPlan {
            seed: format!("simulation {seed}"),
            stations: 150,
            stratify,
            confidence: 0.95,
            source: PvtSource::Official,
            base: ShareBase::Valid,
        };
        let pvt = run_pvt(&election, &plan).unwrap();
        assert_eq!(pvt.sample.len(), 150);
        assert!(pvt.missing.is_empty());
        assert!(pvt.thin_strata.is_empty());
        for (k, e) in pvt.estimates.iter().enumerate() {
            covered[k] += u32::from(e.official_outside == Some(false));
        }
    }
    covered.iter().map(|&c| f64::from(c) / 1000.0).collect()
}

#[test]
fn unstratified_95_percent_intervals_cover_the_truth_93_to_97_percent_of_the_time() {
    let c = coverage(false);
    println!("coverage without strata: {c:?}");
    for rate in c {
        assert!((0.93..=0.97).contains(&rate), "{rate}");
    }
}

#[test]
fn stratified_95_percent_intervals_cover_the_truth_93_to_97_percent_of_the_time() {
    let c = coverage(true);
    println!("coverage with strata: {c:?}");
    for rate in c {
        assert!((0.93..=0.97).contains(&rate), "{rate}");
    }
}

#[test]
fn the_same_seed_gives_the_same_sample_and_another_seed_another() {
    let election = simulated_election();
    let plan = PvtPlan {
        seed: "public seed".into(),
        stations: 100,
        stratify: true,
        confidence: 0.95,
        source: PvtSource::Official,
        base: ShareBase::Valid,
    };
    let first = run_pvt(&election, &plan).unwrap();
    assert_eq!(run_pvt(&election, &plan).unwrap(), first);
    let other = run_pvt(
        &election,
        &PvtPlan {
            seed: "public seed!".into(),
            ..plan.clone()
        },
    )
    .unwrap();
    assert_ne!(other.sample, first.sample);
    // Six regions of 250 stations: 100 stations shared as 17, 17, 17, 17, 16, 16.
    assert_eq!(first.strata, 6);
    let per_region = |r: &str| first.sample.iter().filter(|id| id.starts_with(r)).count();
    let mut sizes: Vec<usize> = (0..6).map(|r| per_region(&format!("{r:02}-"))).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![16, 16, 17, 17, 17, 17]);
}

#[test]
fn observers_as_source_and_bad_parameters() {
    let election = simulated_election();
    let plan = PvtPlan {
        seed: "s".into(),
        stations: 50,
        stratify: false,
        confidence: 0.95,
        source: PvtSource::Observers,
        base: ShareBase::Counted,
    };
    // No observer has reported: every sampled station is missing and nothing is estimated.
    let pvt = run_pvt(&election, &plan).unwrap();
    assert_eq!(pvt.missing.len(), 50);
    assert!(pvt.estimates.is_empty());
    assert!(
        pvt.thin_strata.is_empty(),
        "no figure has a respondent anywhere"
    );
    // Regions 0 and 1 keep one respondent each in a stratified sample of 12 (2 per region).
    let thin_plan = PvtPlan {
        stations: 12,
        stratify: true,
        source: PvtSource::Official,
        ..plan.clone()
    };
    let sample = run_pvt(&election, &thin_plan).unwrap().sample;
    let mut thin = election.clone();
    for s in &mut thin.stations {
        // The sample lists strata in name order and 2 stations each: drop the first of
        // region 0 (position 0) and of region 1 (position 2).
        if let Some(i) = sample.iter().position(|id| *id == s.station.id)
            && (i == 0 || i == 2)
        {
            s.reports.clear();
        }
    }
    let pvt = run_pvt(&thin, &thin_plan).unwrap();
    assert_eq!(pvt.missing.len(), 2);
    assert_eq!(
        pvt.thin_strata,
        vec!["region 0".to_owned(), "region 1".to_owned()]
    );
    for bad in [
        PvtPlan {
            stations: 1,
            ..plan.clone()
        },
        PvtPlan {
            stations: 1501,
            ..plan.clone()
        },
        PvtPlan {
            confidence: 1.0,
            ..plan.clone()
        },
        PvtPlan {
            stations: 11,
            stratify: true,
            ..plan.clone()
        },
    ] {
        let e = run_pvt(&election, &bad).unwrap_err();
        assert!(
            matches!(e, fairtally_observe::ObserveError::BadParameter { .. }),
            "{e}"
        );
    }
}

#[test]
fn each_figure_uses_the_stations_that_have_it() {
    let mut election = simulated_election();
    for s in &mut election.stations {
        s.station.registered = None;
        s.reports[0].protocol.registered = None;
    }
    let plan = PvtPlan {
        seed: "s".into(),
        stations: 100,
        stratify: false,
        confidence: 0.95,
        source: PvtSource::Official,
        base: ShareBase::Valid,
    };
    let pvt = run_pvt(&election, &plan).unwrap();
    assert!(pvt.missing.is_empty());
    let names: Vec<&str> = pvt.estimates.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"], "no register, no turnout");
}
