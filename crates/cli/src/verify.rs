//! `fairtally verify RECORD`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use fairtally_election::manifest::Manifest;
use fairtally_election::record::files;
use fairtally_election::verifier::verify_record;

use crate::progress::Bars;
use crate::record_board;
use crate::report::{print_checks, print_result, verdict};

/// Arguments of `fairtally verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The election record directory (holds record.json, manifest.json, ballots.jsonl, ...).
    pub record: PathBuf,
    /// The bulletin board's trust policy (operator and witness keys, quorum) obtained out of
    /// band; without it the policy published in RECORD/board/policy is used, with a note.
    #[arg(long)]
    pub board_policy: Option<PathBuf>,
    /// Only prove that the ballot with this confirmation code is on the bulletin board, from
    /// the files in RECORD/board alone, and name the checkpoint it is included in.
    #[arg(long, value_name = "CODE")]
    pub ballot: Option<String>,
    // Hook for ElectionGuard records (eg helper): `--format`, `--json`, `--allow-test-group`.
    #[command(flatten)]
    pub electionguard: crate::electionguard::ElectionGuardArgs,
}

/// Verify, print every check and the result; exit 0 only if everything passed.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    // Hook for ElectionGuard records (eg helper): detected, or chosen with --format.
    if let Some(code) = crate::electionguard::hook(&args.record, &args.electionguard)? {
        return Ok(code);
    }
    if let Some(code) = &args.ballot {
        return record_board::prove_ballot(&args.record, args.board_policy.as_deref(), code);
    }
    println!("Verifying the election record in {}", args.record.display());
    let start = Instant::now();
    let report = verify_record(&args.record, &Bars::default()).context("verification stopped")?;
    let elapsed = start.elapsed();
    print_checks(&report);
    let on_board = record_board::check(&args.record, args.board_policy.as_deref())?;
    if let Some(result) = report.result.as_ref().filter(|_| report.is_valid()) {
        let manifest: Manifest =
            fairtally_election::record::read_json(&args.record.join(files::MANIFEST))?;
        println!("Verified result:");
        print_result(&manifest, result);
    }
    println!("Verified in {:.2} s.", elapsed.as_secs_f64());
    println!("{}", verdict(&report));
    if on_board == Some(false) {
        println!("FAILED: the record does not match its bulletin board.");
    }
    Ok(if report.is_valid() && on_board != Some(false) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
