//! The election record on the bulletin board, for `fairtally authority post`, `fairtally demo`
//! and `fairtally verify` (see `fairtally_election::bulletin`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use fairtally_board::board::Board;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::note::NoteSigner;
use fairtally_election::bulletin::{self, BOARD_DIR};

use crate::board::{operator_key, print_checkpoint, public_policy};

/// Posts the record to the board in `board_dir` (signing with `key`, by default the board's
/// `operator.key`) and prints what was posted.
pub fn post(record: &Path, board_dir: &Path, key: Option<&Path>) -> anyhow::Result<()> {
    let operator = operator_key(board_dir, key)?;
    let mut board = Board::open(board_dir)?;
    post_with(record, &mut board, &operator)
}

fn post_with(record: &Path, board: &mut Board, operator: &NoteSigner) -> anyhow::Result<()> {
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

fn policy(record: &Path, pinned: Option<&Path>) -> anyhow::Result<TrustPolicy> {
    public_policy(&record.join(BOARD_DIR), pinned)
}

/// Checks that every item of the record is on its board under a checkpoint signed as the
/// policy demands; prints one check line. Returns whether it passed (`None` when the record
/// has no board to check).
pub fn check(record: &Path, pinned: Option<&Path>) -> anyhow::Result<Option<bool>> {
    if !record.join(BOARD_DIR).exists() {
        println!(
            "  --     bulletin board               not checked: {} has no {BOARD_DIR}/ (post it with `fairtally authority post`)",
            record.display()
        );
        return Ok(None);
    }
    let check = bulletin::check_record(record, &policy(record, pinned)?)?;
    let cp = check.checkpoint.checkpoint();
    if check.missing.is_empty() {
        println!(
            "  ok     bulletin board {:>13} passed (all on the board at checkpoint size {})",
            check.items, cp.size
        );
    } else {
        println!(
            "  FAIL   bulletin board {:>13} of {} items are not on the board at checkpoint size {}:",
            check.missing.len(),
            check.items,
            cp.size
        );
        for item in check.missing.iter().take(20) {
            println!("           {item}");
        }
    }
    Ok(Some(check.missing.is_empty()))
}

/// Proves from the record's board files alone that the ballot with confirmation code `code`
/// is on the board, and prints the checkpoint it is included in.
pub fn prove_ballot(record: &Path, pinned: Option<&Path>, code: &str) -> anyhow::Result<ExitCode> {
    let proof = bulletin::prove_ballot(record, &policy(record, pinned)?, code)?;
    println!(
        "Ballot {} is entry {} of the bulletin board; its inclusion proof ({} hashes) verifies against",
        proof.code,
        proof.inclusion.index,
        proof.inclusion.proof.len()
    );
    print_checkpoint(&proof.inclusion.checkpoint);
    Ok(ExitCode::SUCCESS)
}
