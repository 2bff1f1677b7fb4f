//! A whole election through the library, then the verifier on its record.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::progress::Silent;
use fairtally_election::simulation::{DemoConfig, VotingPlan, run_demo};
use fairtally_election::verifier::verify_record;

#[test]
fn demo_record_verifies_and_gives_the_plaintext_result() {
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig {
        manifest: Manifest::default_demo().unwrap(),
        voters: 60,
        parameters: ElectionParameters::new(5, 3).unwrap(),
        absent: 1,
        plan: VotingPlan {
            turnout_percent: 100.0,
            challenge_percent: 10.0,
            revote_percent: 20.0,
        },
    };
    let outcome = run_demo(&config, dir.path(), &Silent).unwrap();
    let report = verify_record(&outcome.record, &Silent).unwrap();
    assert!(report.is_valid(), "{:?}", report.failures);
    assert_eq!(report.result.as_ref(), Some(&outcome.expected));
    assert_eq!(report.ballots.counted, 60);
    assert_eq!(report.ballots.total, outcome.ballots);
    assert_eq!(report.ballots.cast, 60 + report.ballots.superseded);
    assert_eq!(
        report.ballots.total,
        report.ballots.cast + report.ballots.challenged
    );
}

#[test]
fn an_election_without_ballots_verifies_with_a_zero_result() {
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig {
        manifest: Manifest::default_demo().unwrap(),
        voters: 5,
        parameters: ElectionParameters::new(3, 3).unwrap(),
        absent: 0,
        plan: VotingPlan {
            turnout_percent: 0.0,
            challenge_percent: 0.0,
            revote_percent: 0.0,
        },
    };
    let outcome = run_demo(&config, dir.path(), &Silent).unwrap();
    let report = verify_record(&outcome.record, &Silent).unwrap();
    assert!(report.is_valid(), "{:?}", report.failures);
    let result = report.result.unwrap();
    assert_eq!(result.counted, 0);
    assert!(
        result
            .contests
            .iter()
            .flat_map(|c| &c.options)
            .all(|o| o.votes == 0)
    );
}
