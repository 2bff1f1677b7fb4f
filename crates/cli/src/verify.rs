//! `fairtally verify RECORD`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use fairtally_election::verifier::{Pins, parse_fingerprint, verify_record};

use crate::output::{Tone, paint, status};
use crate::progress::Bars;
use crate::record_board;
use crate::report::{
    VerificationRecord, print_anchors, print_checks, print_json, print_result, verdict,
};

/// Arguments of `fairtally verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The election record directory (holds record.json, manifest.json, ballots.jsonl, board/ ...).
    #[arg(value_name = "RECORD", required_unless_present = "record_flag")]
    record: Option<PathBuf>,
    /// The record directory, named as in the other election commands (instead of RECORD).
    #[arg(
        long = "record",
        id = "record_flag",
        value_name = "RECORD",
        conflicts_with = "record"
    )]
    record_flag: Option<PathBuf>,
    /// The election's fingerprint (its base hash, 64 hex digits) as published by the authority
    /// and obtained out of band; any other election fails.
    #[arg(long, value_name = "FINGERPRINT")]
    pub expect: Option<String>,
    /// The bulletin board's trust policy (operator and witness keys, quorum) obtained out of
    /// band; a record whose parameters name any other board fails.
    #[arg(long, visible_alias = "policy", value_name = "FILE")]
    pub board_policy: Option<PathBuf>,
    /// Only prove that the ballot with this confirmation code is on the bulletin board, from
    /// the files in RECORD/board alone, and name the checkpoint it is included in.
    #[arg(long, visible_alias = "code", value_name = "CODE")]
    pub ballot: Option<String>,
    /// Print the verification record as JSON on stdout instead of the human report (schema in
    /// docs/PROTOCOL.md, "The verification record").
    #[arg(long)]
    pub json: bool,
    // Hook for ElectionGuard records (eg helper): `--format`, `--allow-test-group`.
    #[command(flatten)]
    pub electionguard: crate::electionguard::ElectionGuardArgs,
}

/// Verify, print every check, the anchors and the result; exit 0 only if everything passed.
/// A record in progress is verified as far as it goes: exit 0 if all of that passed, and the
/// verdict says that no result exists yet.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let Some(record) = args.record.clone().or_else(|| args.record_flag.clone()) else {
        anyhow::bail!("no record directory given");
    };
    // Hook for ElectionGuard records (eg helper): detected, or chosen with --format.
    if let Some(code) = crate::electionguard::hook(&record, &args.electionguard, args.json)? {
        return Ok(code);
    }
    // What the person pinned is read first: a mistyped path or fingerprint fails before any
    // cryptographic work.
    let pins = Pins {
        fingerprint: args
            .expect
            .as_deref()
            .map(|text| parse_fingerprint(text).context("--expect needs 64 hex digits"))
            .transpose()?,
        board_policy: args
            .board_policy
            .as_deref()
            .map(record_board::read_pinned_policy)
            .transpose()?,
    };
    if let Some(code) = &args.ballot {
        return record_board::prove_ballot(&record, pins.board_policy.as_ref(), code, args.json);
    }
    status(&format!(
        "Verifying the election record in {}",
        record.display()
    ));
    let start = Instant::now();
    let report = verify_record(&record, &pins, &Bars::default()).context("verification stopped")?;
    let elapsed = start.elapsed().as_secs_f64();
    let code = if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if args.json {
        print_json(&VerificationRecord::new(&record, &report, elapsed))?;
        return Ok(code);
    }
    print_checks(&report);
    if let (Some(result), Some(manifest), true) =
        (&report.result, &report.manifest, report.is_valid())
    {
        println!("Verified result:");
        print_result(manifest, result);
    }
    println!("Checked in {elapsed:.2} s.");
    print_anchors(&report);
    let tone = match (
        report.is_valid(),
        report.is_complete() && report.is_pinned(),
    ) {
        (true, true) => Tone::Good,
        (true, false) => Tone::Caution,
        (false, _) => Tone::Bad,
    };
    println!("{}", paint(&verdict(&report), tone));
    Ok(code)
}
