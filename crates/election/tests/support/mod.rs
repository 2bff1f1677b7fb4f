//! Demo records on their own bulletin board, for the integration tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::Path;

use fairtally_board::board::Board;
use fairtally_board::note::NoteSigner;
use fairtally_election::bulletin::{BOARD_DIR, create_board, post_record};
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::progress::Silent;
use fairtally_election::simulation::{DemoConfig, DemoOutcome, VotingPlan, run_demo};

/// A demo election of `voters` voters with `n` guardians (threshold `k`, `absent` away) in
/// `out`, created on a new board in `out/board` and posted to it; with the operator's key.
pub fn posted_demo(
    out: &Path,
    voters: usize,
    (n, k, absent): (u32, u32, u32),
    plan: VotingPlan,
) -> (DemoOutcome, NoteSigner) {
    let (mut board, operator) = create_board(&out.join("board"), "board.example/test").unwrap();
    let config = DemoConfig {
        manifest: Manifest::default_demo().unwrap(),
        voters,
        parameters: ElectionParameters::new(n, k, board.policy()).unwrap(),
        absent,
        plan,
    };
    let outcome = run_demo(&config, out, &Silent).unwrap();
    post_record(&outcome.record, &mut board, &operator).unwrap();
    (outcome, operator)
}

/// What a dishonest authority that also runs the board can do after changing the record:
/// throw the board away, start a new one under the same key and post the changed record, so
/// that only the checks on the changed items can catch it. Does nothing when the record
/// cannot be posted any more (a garbled file).
pub fn repost(record: &Path, operator: &NoteSigner) {
    let scratch = tempfile::tempdir().unwrap();
    let policy = fairtally_board::checkpoint::TrustPolicy::operator_only(operator.verifier());
    let mut board = Board::create(&scratch.path().join("board"), &policy).unwrap();
    let _ = std::fs::remove_dir_all(record.join(BOARD_DIR));
    let _ = post_record(record, &mut board, operator);
}
