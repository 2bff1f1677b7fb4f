//! `fairtally demo`: a whole election on the embedded default manifest, then verification;
//! or its two halves, `--open` and `--finish`, with real ballots coming in between.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use fairtally_board::board::Board;
use fairtally_board::note::NoteSigner;
use fairtally_election::authority;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::simulation::{
    CREDENTIALS_FILE, DEMO_ORIGIN, DemoConfig, OpenDemo, PhaseTime, VotingPlan, finish_demo,
    open_demo, run_demo,
};
use fairtally_election::tally::ElectionResult;
use fairtally_election::verifier::{Pins, verify_record};
use fairtally_server::{ServeOptions, Server};

use crate::board::operator_key;
use crate::progress::Bars;
use crate::record_board;
use crate::report::{print_anchors, print_checks, print_result, verdict};
use crate::serve::shutdown_signal;

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
    /// Stop once voting is open (no simulated voters): ballots then come in through
    /// `fairtally serve DIR` or `fairtally authority accept`, and `fairtally demo --finish DIR`
    /// closes, decrypts, publishes and verifies.
    #[arg(long, conflicts_with_all = ["finish", "serve"])]
    pub open: bool,
    /// Open voting, serve the election live (`fairtally serve`) on --listen until Ctrl-C or
    /// SIGTERM, then finish: close, decrypt, publish and verify what arrived.
    #[arg(long, conflicts_with = "finish")]
    pub serve: bool,
    /// The address `--serve` listens on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
    pub listen: SocketAddr,
    /// Finish a demo opened with `--open` in DIR: close voting (counting every ballot that
    /// arrived, re-votes and challenges included), decrypt with the demo's guardians, publish
    /// DIR/record and verify it.
    #[arg(long, value_name = "DIR")]
    pub finish: Option<PathBuf>,
}

/// Run the demo (whole, or one half of it), print the phases' times, verify and print the
/// verified result.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.finish {
        return finish(dir);
    }
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
    if args.open || args.serve {
        let open = open_demo(&config, &args.out)?;
        print_phases(&open.phases);
        print_open(&args.out, &open, !args.serve);
        if args.serve {
            drop(board);
            serve_until_stopped(&args.out, args.listen)?;
            return finish(&args.out);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bars = Bars::default();
    let outcome = run_demo(&config, &args.out, &bars)?;
    let published = Published {
        record: &outcome.record,
        phases: &outcome.phases,
        present: &outcome.present,
        expected: Some(&outcome.expected),
    };
    publish_and_verify(&published, &mut board, &operator, &bars)
}

/// Where a demo whose voting is open keeps what, and (with `next`) what to do with it.
fn print_open(out: &Path, open: &OpenDemo, next: bool) {
    println!(
        "Voting is open: {} voters' credentials in {}, the guardians' key shares beside them.",
        open.credentials.len(),
        open.private.join(CREDENTIALS_FILE).display()
    );
    println!(
        "The authority's board is {} (operator key {}).",
        open.board.display(),
        open.operator_key.display()
    );
    if !next {
        return;
    }
    println!("Next:");
    let steps = [
        (
            format!("fairtally serve {}", out.display()),
            "accept ballots over HTTP",
        ),
        (
            format!("fairtally demo --finish {}", out.display()),
            "close voting, decrypt, publish and verify",
        ),
    ];
    let width = steps.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    for (command, what) in &steps {
        println!("  {command:<width$}   {what}");
    }
}

/// Serves the open demo in `dir` on `listen` until Ctrl-C or SIGTERM; returns once the server
/// has shut down gracefully (every acknowledged ballot committed).
fn serve_until_stopped(dir: &Path, listen: SocketAddr) -> anyhow::Result<()> {
    let mut options = ServeOptions::new(dir.to_path_buf(), listen);
    // A demo's observers accredit themselves: take their photos, each key within its quota.
    options.photos.open_accreditation = true;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(options)
            .await
            .with_context(|| format!("serving {}", dir.display()))?;
        println!(
            "Serving {} on http://{} until Ctrl-C or SIGTERM; then the demo finishes.",
            dir.display(),
            server.local_addr()?
        );
        server.run(shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    println!("Stopped serving; finishing the demo.");
    Ok(())
}

/// Finish the demo opened in `dir`, then post, verify and report.
fn finish(dir: &Path) -> anyhow::Result<ExitCode> {
    let bars = Bars::default();
    let finished = finish_demo(dir, &bars)?;
    let mut board = Board::open(&finished.board)?;
    let operator = operator_key(&finished.board, None)?;
    println!(
        "Voting is closed: {} ballots counted (each voter's last cast ballot).",
        finished.counted
    );
    let published = Published {
        record: &finished.record,
        phases: &finished.phases,
        present: &finished.present,
        expected: None,
    };
    publish_and_verify(&published, &mut board, &operator, &bars)
}

/// A demo's published election, to post and verify.
struct Published<'a> {
    record: &'a Path,
    phases: &'a [PhaseTime],
    present: &'a [u32],
    /// The simulation's plain-text count, when the demo's own voters voted.
    expected: Option<&'a ElectionResult>,
}

fn print_phases(phases: &[PhaseTime]) {
    println!("Phases:");
    for phase in phases {
        print_phase(phase.phase, phase.elapsed);
    }
}

fn print_phase(phase: &str, elapsed: Duration) {
    println!("  {:<28} {:>9.3} s", phase, elapsed.as_secs_f64());
}

/// Copies the board's public files into the record, verifies the record and prints the
/// verdict; success only when it verifies (and equals the plain-text count, if there is one).
fn publish_and_verify(
    published: &Published<'_>,
    board: &mut Board,
    operator: &NoteSigner,
    bars: &Bars,
) -> anyhow::Result<ExitCode> {
    let post_start = Instant::now();
    // Every item is on the board already (ballots as they were accepted); this copies the
    // board's public files into the record.
    record_board::post_with(published.record, board, operator)?;
    let post_time = post_start.elapsed();
    let start = Instant::now();
    let report = verify_record(published.record, &Pins::default(), bars)?;
    let verify_time = start.elapsed();

    print_phases(published.phases);
    print_phase("posting to the board", post_time);
    print_phase("verification", verify_time);
    println!("Decrypted by guardians {:?}.", published.present);
    println!("Verification of {}:", published.record.display());
    print_checks(&report);
    let (manifest, _) = authority::read_election(published.record)?;
    if let Some(result) = &report.result {
        print_result(&manifest, result);
    }
    let matches = match published.expected {
        Some(expected) => {
            let matches = report.result.as_ref() == Some(expected);
            println!(
                "The verified result {} the simulation's plain-text count.",
                if matches { "equals" } else { "DIFFERS FROM" }
            );
            matches
        }
        None => true,
    };
    println!("Public record: {}", published.record.display());
    print_anchors(&report);
    println!("{}", verdict(&report));
    Ok(if report.is_valid() && matches {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
