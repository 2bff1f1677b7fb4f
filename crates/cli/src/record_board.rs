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

use serde::Serialize;

use crate::board::{operator_key, print_checkpoint};
use crate::output::note;
use crate::report::{CheckpointView, print_json};

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

/// What `fairtally verify --ballot CODE --json` prints (schema in docs/PROTOCOL.md).
#[derive(Serialize)]
struct BallotProofView {
    format: &'static str,
    code: String,
    /// `included`, `not-found` or `other-board` (the pinned policy differs).
    result: &'static str,
    /// Whether the board's keys came from a pinned policy rather than the record itself.
    pinned: bool,
    index: Option<u64>,
    proof: Vec<String>,
    checkpoint: Option<CheckpointView>,
}

/// Proves from the record's board files alone that the ballot with confirmation code `code`
/// is on the board, and prints the checkpoint it is included in (as JSON with `json`). The
/// checkpoint must be signed as the election's board policy demands, and that policy must be
/// `pinned` when given. Exit 0 included, 1 not found or another board than the pinned one.
pub fn prove_ballot(
    record: &Path,
    pinned: Option<&TrustPolicy>,
    code: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let policy = bulletin::election_policy(record)?;
    let mut view = BallotProofView {
        format: "fairtally-ballot-proof/1",
        code: code.to_string(),
        result: "included",
        pinned: pinned.is_some(),
        index: None,
        proof: Vec::new(),
        checkpoint: None,
    };
    let failed = |view: BallotProofView, message: String| -> anyhow::Result<ExitCode> {
        if json {
            print_json(&view)?;
        } else {
            println!("{message}");
        }
        Ok(ExitCode::from(1))
    };
    if let Some(pinned) = pinned
        && *pinned != policy
    {
        view.result = "other-board";
        let message = format!(
            "FAILED: the election's parameters name the board {:?} with other keys than the policy you pinned.",
            policy.origin()
        );
        return failed(view, message);
    }
    let Some(proof) = bulletin::prove_ballot(record, &policy, code)? else {
        view.result = "not-found";
        let message = format!(
            "Ballot {code} is NOT in the record {}: no ballot has this confirmation code.",
            record.display()
        );
        return failed(view, message);
    };
    if json {
        view.code = proof.code.to_string();
        view.index = Some(proof.inclusion.index);
        view.proof = proof.inclusion.proof.iter().map(hex::encode).collect();
        view.checkpoint = Some(CheckpointView::of(&proof.inclusion.checkpoint));
        print_json(&view)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Ballot {} is entry {} of the bulletin board; its inclusion proof ({} hashes) verifies against",
        proof.code,
        proof.inclusion.index,
        proof.inclusion.proof.len()
    );
    print_checkpoint(&proof.inclusion.checkpoint);
    if pinned.is_none() {
        note(
            "the board's keys are the ones in the record's parameters.json; pin your own copy with --board-policy",
        );
    }
    Ok(ExitCode::SUCCESS)
}
