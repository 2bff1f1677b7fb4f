//! A whole election through the library, then the verifier on its record.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use fairtally_election::progress::Silent;
use fairtally_election::simulation::VotingPlan;
use fairtally_election::verifier::{Pins, verify_record};

#[test]
fn demo_record_verifies_and_gives_the_plaintext_result() {
    let dir = tempfile::tempdir().unwrap();
    let plan = VotingPlan {
        turnout_percent: 100.0,
        challenge_percent: 10.0,
        revote_percent: 20.0,
    };
    let (outcome, _) = support::posted_demo(dir.path(), 60, (5, 3, 1), plan);
    let report = verify_record(&outcome.record, &Pins::default(), &Silent).unwrap();
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
    let plan = VotingPlan {
        turnout_percent: 0.0,
        challenge_percent: 0.0,
        revote_percent: 0.0,
    };
    let (outcome, _) = support::posted_demo(dir.path(), 5, (3, 3, 0), plan);
    let report = verify_record(&outcome.record, &Pins::default(), &Silent).unwrap();
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
