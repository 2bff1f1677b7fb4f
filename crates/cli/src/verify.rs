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
use crate::report::{print_checks, print_result, verdict};

/// Arguments of `fairtally verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The election record directory (holds record.json, manifest.json, ballots.jsonl, ...).
    pub record: PathBuf,
}

/// Verify, print every check and the result; exit 0 only if everything passed.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    println!("Verifying the election record in {}", args.record.display());
    let start = Instant::now();
    let report = verify_record(&args.record, &Bars::default()).context("verification stopped")?;
    let elapsed = start.elapsed();
    print_checks(&report);
    if let Some(result) = report.result.as_ref().filter(|_| report.is_valid()) {
        let manifest: Manifest =
            fairtally_election::record::read_json(&args.record.join(files::MANIFEST))?;
        println!("Verified result:");
        print_result(&manifest, result);
    }
    println!("Verified in {:.2} s.", elapsed.as_secs_f64());
    println!("{}", verdict(&report));
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
