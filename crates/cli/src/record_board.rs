//! The election record on the bulletin board, for `fairtally authority post`, `fairtally demo`,
//! `fairtally bench` and `fairtally verify --ballot` (see `fairtally_election::bulletin`). The
//! board's checks of `fairtally verify` are part of the library's verdict.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use fairtally_board::board::Board;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::note::NoteSigner;
use fairtally_election::bulletin::{self, BOARD_DIR};

use crate::board::{operator_key, print_checkpoint};

/// Posts the record to the board in `board_dir` (signing with `key`, by default the board's
/// `operator.key`) and prints what was posted.
pub fn post(record: &Path, board_dir: &Path, key: Option<&Path>) -> anyhow::Result<()> {
    let operator = operator_key(board_dir, key)?;
    let mut board = Board::open(board_dir)?;
    post_with(record, &mut board, &operator)
}

/// Posts the record to an open board and prints what was posted.
pub fn post_with(record: &Path, board: &mut Board, operator: &NoteSigner) -> anyhow::Result<()> {
    let posted = bulletin::post_record(record, board, operator)
        .with_context(|| format!("posting {} to the board", record.display()))?;
    println!(
        "Posted {} record items to the bulletin board ({} new); its public files are in {}",
        posted.entries,
        posted.new_entries,
        record.join(BOARD_DIR).display()
    );
    print_checkpoint(&posted.checkpoint);
    Ok(())
}

/// Reads a board policy the person verifying pinned. Called before any other work, so that a
/// mistyped path fails at once.
pub fn read_pinned_policy(path: &Path) -> anyhow::Result<TrustPolicy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the pinned board policy {}", path.display()))?;
    Ok(TrustPolicy::parse(&text, &path.display().to_string())?)
}

/// Proves from the record's board files alone that the ballot with confirmation code `code`
/// is on the board, and prints the checkpoint it is included in. The checkpoint must be signed
/// as the election's board policy demands, and that policy must be `pinned` when given.
pub fn prove_ballot(
    record: &Path,
    pinned: Option<&TrustPolicy>,
    code: &str,
) -> anyhow::Result<ExitCode> {
    let policy = bulletin::election_policy(record)?;
    if let Some(pinned) = pinned
        && *pinned != policy
    {
        println!(
            "FAILED: the election's parameters name the board {:?} with other keys than the policy you pinned.",
            policy.origin()
        );
        return Ok(ExitCode::from(1));
    }
    let proof = bulletin::prove_ballot(record, &policy, code)?;
    println!(
        "Ballot {} is entry {} of the bulletin board; its inclusion proof ({} hashes) verifies against",
        proof.code,
        proof.inclusion.index,
        proof.inclusion.proof.len()
    );
    print_checkpoint(&proof.inclusion.checkpoint);
    if pinned.is_none() {
        println!(
            "note: the board's keys are the ones in the record's parameters.json; pin your own copy with --board-policy"
        );
    }
    Ok(ExitCode::SUCCESS)
}
