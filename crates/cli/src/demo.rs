//! `fairtally demo`: a whole election on the embedded default manifest, then verification.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::simulation::{DEMO_ORIGIN, DemoConfig, VotingPlan, run_demo};
use fairtally_election::verifier::{Pins, verify_record};

use crate::progress::Bars;
use crate::record_board;
use crate::report::{print_anchors, print_checks, print_result, verdict};

/// Arguments of `fairtally demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Number of voters (each gets a credential and votes); at most 10,000,000.
    #[arg(long, default_value_t = 1000)]
    pub voters: usize,
    /// Number of guardians.
    #[arg(long, default_value_t = 5)]
    pub guardians: u32,
    /// Guardians needed to decrypt.
    #[arg(long, default_value_t = 3)]
    pub threshold: u32,
    /// Guardians absent at decryption (at most guardians - threshold).
    #[arg(long, default_value_t = 1)]
    pub absent: u32,
    /// Percentage of credential holders who vote.
    #[arg(long, default_value_t = 100.0)]
    pub turnout_percent: f64,
    /// Percentage of voters who challenge a ballot before casting.
    #[arg(long, default_value_t = 1.0)]
    pub challenge_percent: f64,
    /// Percentage of voters who re-vote (the later ballot replaces the earlier).
    #[arg(long, default_value_t = 5.0)]
    pub revote_percent: f64,
    /// Output directory: the public record goes to DIR/record, the board to DIR/board, secrets
    /// to DIR/private. It must be empty or an earlier demo's (marked by a file the demo
    /// writes); only then is the earlier demo replaced.
    #[arg(long, default_value = "fairtally-demo")]
    pub out: PathBuf,
}

/// Run the demo, print the phases' times, verify and print the verified result.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    // The board comes first: its keys are part of the election's parameters.
    let (mut board, operator) = fairtally_election::simulation::demo_board(&args.out, DEMO_ORIGIN)?;
    let parameters = ElectionParameters::new(args.guardians, args.threshold, board.policy())?;
    let percents = [
        args.turnout_percent,
        args.challenge_percent,
        args.revote_percent,
    ];
    if percents.iter().any(|p| !(0.0..=100.0).contains(p)) {
        anyhow::bail!(
            "--turnout-percent, --challenge-percent and --revote-percent must be between 0 and 100"
        );
    }
    let config = DemoConfig {
        manifest: Manifest::default_demo()?,
        voters: args.voters,
        parameters,
        absent: args.absent,
        plan: VotingPlan {
            turnout_percent: args.turnout_percent,
            challenge_percent: args.challenge_percent,
            revote_percent: args.revote_percent,
        },
    };
    println!(
        "Demo election: {} voters, {} guardians (any {} decrypt, {} absent), into {}",
        args.voters,
        args.guardians,
        args.threshold,
        args.absent,
        args.out.display()
    );
    let bars = Bars::default();
    let outcome = run_demo(&config, &args.out, &bars)?;
    let post_start = Instant::now();
    // Every item is on the board already (ballots as they were accepted); this copies the
    // board's public files into the record.
    record_board::post_with(&outcome.record, &mut board, &operator)?;
    let post_time = post_start.elapsed();
    let start = Instant::now();
    let report = verify_record(&outcome.record, &Pins::default(), &bars)?;
    let verify_time = start.elapsed();

    println!("Phases:");
    for phase in &outcome.phases {
        println!(
            "  {:<28} {:>9.3} s",
            phase.phase,
            phase.elapsed.as_secs_f64()
        );
    }
    println!(
        "  {:<28} {:>9.3} s",
        "posting to the board",
        post_time.as_secs_f64()
    );
    println!(
        "  {:<28} {:>9.3} s",
        "verification",
        verify_time.as_secs_f64()
    );
    println!("Decrypted by guardians {:?}.", outcome.present);
    println!("Verification of {}:", outcome.record.display());
    print_checks(&report);
    print_result(&config.manifest, &outcome.result);
    let matches = report.result.as_ref() == Some(&outcome.expected);
    println!(
        "The verified result {} the simulation's plain-text count.",
        if matches { "equals" } else { "DIFFERS FROM" }
    );
    println!(
        "Public record: {}   Secrets: {}",
        outcome.record.display(),
        outcome.private.display()
    );
    print_anchors(&report);
    println!("{}", verdict(&report));
    Ok(if report.is_valid() && matches {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
