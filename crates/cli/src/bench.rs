//! `fairtally bench`: generate a large demo record (or take one) and measure how fast the
//! verifier gets through it, in ballots per second, with the process's peak memory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::record::files;
use fairtally_election::simulation::{DEMO_ORIGIN, DemoConfig, VotingPlan, run_demo};
use fairtally_election::verifier::floor::{Floor, measure_floor};
use fairtally_election::verifier::{Pins, verify_record};

use crate::progress::Bars;
use crate::record_board;
use crate::report::verdict;

/// Arguments of `fairtally bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Voters in the generated record (about 6% more ballots with challenges and re-votes).
    #[arg(long, default_value_t = 20_000)]
    pub voters: usize,
    /// Where to generate the record (replaced if it holds an earlier bench or demo).
    #[arg(long, default_value = "fairtally-bench")]
    pub out: PathBuf,
    /// Percentage of credential holders who vote in the generated record (a large credential
    /// list with fewer ballots measures the verifier's memory for a big electorate quickly).
    #[arg(long, default_value_t = 100.0)]
    pub turnout_percent: f64,
    /// Verify this existing record instead of generating one.
    #[arg(long, conflicts_with_all = ["voters", "out", "turnout_percent"])]
    pub record: Option<PathBuf>,
    /// How many times to verify; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

/// The process's peak resident memory (VmHWM) in MiB, where /proc provides it.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time used so far by all of this process's threads, from /proc (Linux), in seconds.
fn cpu_seconds() -> Option<f64> {
    let mut total_ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total_ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total_ns as f64 / 1e9)
}

/// Generate (unless given), verify `runs` times, print the median rate.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if args.runs == 0 {
        anyhow::bail!("--runs must be at least 1");
    }
    if !(0.0..=100.0).contains(&args.turnout_percent) {
        anyhow::bail!("--turnout-percent must be between 0 and 100");
    }
    let bars = Bars::default();
    let record = match &args.record {
        Some(record) => record.clone(),
        None => {
            let (mut board, operator) =
                fairtally_election::simulation::demo_board(&args.out, DEMO_ORIGIN)?;
            let config = DemoConfig {
                manifest: Manifest::default_demo()?,
                voters: args.voters,
                parameters: ElectionParameters::new(5, 3, board.policy())?,
                absent: 1,
                plan: VotingPlan {
                    turnout_percent: args.turnout_percent,
                    ..VotingPlan::default()
                },
            };
            println!(
                "Generating a record of {} voters in {} ...",
                args.voters,
                args.out.display()
            );
            let outcome = run_demo(&config, &args.out, &bars)?;
            if let Some(voting) = outcome.phases.iter().find(|p| p.phase == "voting") {
                println!(
                    "  encrypted and signed {} ballots in {:.2} s: {:.0} ballots/s",
                    outcome.ballots,
                    voting.elapsed.as_secs_f64(),
                    outcome.ballots as f64 / voting.elapsed.as_secs_f64()
                );
            }
            if let Some(peak) = peak_memory_mib() {
                println!("  peak memory while generating: {peak:.0} MiB");
            }
            record_board::post_with(&outcome.record, &mut board, &operator)?;
            outcome.record
        }
    };
    println!(
        "Verifying {} ({} runs, {} threads) ...",
        record.display(),
        args.runs,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut times: Vec<Duration> = Vec::new();
    let mut ballots = 0;
    for run in 1..=args.runs {
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        let report = verify_record(&record, &Pins::default(), &bars)?;
        let elapsed = start.elapsed();
        ballots = report.ballots.total;
        // On a shared machine wall time depends on the neighbours; CPU time shows the work.
        let cpu = match (cpu_start, cpu_seconds()) {
            (Some(a), Some(b)) if b > a => {
                format!(", {:.0} ballots per CPU-second", ballots as f64 / (b - a))
            }
            _ => String::new(),
        };
        println!(
            "  run {run}: {ballots} ballots in {:.2} s: {:.0} ballots/s{cpu} — {}",
            elapsed.as_secs_f64(),
            ballots as f64 / elapsed.as_secs_f64(),
            verdict(&report)
        );
        if !report.is_valid() {
            return Ok(ExitCode::from(1));
        }
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "Median: {ballots} ballots verified in {:.2} s = {:.0} ballots/s (whole record: every check, the full board audit, tally and result)",
        median.as_secs_f64(),
        ballots as f64 / median.as_secs_f64()
    );
    // The floor, measured in the same run on the same ballots: what no verifier can skip.
    let mut floors = Vec::new();
    for _ in 0..args.runs {
        floors.push(measure_floor(&record.join(files::BALLOTS))?);
    }
    floors.sort_by_key(Floor::total);
    let floor = floors[floors.len() / 2];
    println!(
        "Floor (median of {}): {:.2} s = {:.3} s decompressing {} points + {:.3} s multiscalar multiplications + {:.3} s {} signature checks",
        floors.len(),
        floor.total().as_secs_f64(),
        floor.decompression.as_secs_f64(),
        floor.points,
        floor.multiscalar.as_secs_f64(),
        floor.signatures.as_secs_f64(),
        floor.ballots
    );
    println!(
        "Verification / floor: {:.2}x",
        median.as_secs_f64() / floor.total().as_secs_f64().max(1e-9)
    );
    if let Some(peak) = peak_memory_mib() {
        println!("Peak memory of this process (VmHWM): {peak:.0} MiB");
    }
    Ok(ExitCode::SUCCESS)
}
