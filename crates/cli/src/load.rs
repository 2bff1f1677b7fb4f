//! `fairtally load URL --demo DIR …`: the load generator against `fairtally serve` (the logic
//! is in the fairtally-load crate; this parses flags and prints the report).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use fairtally_load::prepare::BallotPlan;
use fairtally_load::submit::SubmitOptions;
use fairtally_load::{LoadOptions, LoadReport};

use crate::progress::Bars;

/// Arguments of `fairtally load`.
#[derive(Args)]
pub struct LoadArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080 (ballots go to /api/v1/ballots).
    pub url: String,
    /// The demo election the server serves (`fairtally demo --open --out DIR`): its voters'
    /// credentials in DIR/private sign the ballots.
    #[arg(long, value_name = "DIR")]
    pub demo: PathBuf,
    /// Ballots to send in all (re-votes and challenges included).
    #[arg(long, default_value_t = 1000)]
    pub ballots: usize,
    /// Ballots in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Append each acknowledged confirmation code to FILE (one a line, synced).
    #[arg(long, value_name = "FILE")]
    pub acked: PathBuf,
    /// Percentage of the ballots that are a voter's re-vote.
    #[arg(long, default_value_t = 3.0)]
    pub revote_percent: f64,
    /// Percentage of the ballots that are challenged.
    #[arg(long, default_value_t = 1.0)]
    pub challenge_percent: f64,
    /// Send at most this many ballots a second, on a fixed schedule (latency is then counted
    /// from each ballot's scheduled time); as fast as the server answers when left out.
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// Seconds one ballot is retried (refused connections, timeouts, 503) before the run
    /// gives up and sends no more.
    #[arg(long, default_value_t = 60)]
    pub retry_for: u64,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// The server's process id: its memory (VmRSS, VmHWM) is sampled over the run.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Time the offline verifier on this many of the prepared ballots first (0: skip).
    #[arg(long, default_value_t = 5000)]
    pub offline_sample: usize,
}

/// Run the load and print the report; success when every ballot was acknowledged.
pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let options = LoadOptions {
        demo: args.demo,
        plan: BallotPlan {
            ballots: args.ballots,
            revote_percent: args.revote_percent,
            challenge_percent: args.challenge_percent,
        },
        submit: SubmitOptions {
            url: args.url,
            concurrency: args.concurrency,
            rate: args.rate,
            retry_for: Duration::from_secs(args.retry_for),
            timeout: Duration::from_secs(args.timeout),
        },
        acked: args.acked,
        server_pid: args.server_pid,
        offline_sample: args.offline_sample,
    };
    let report = fairtally_load::run(&options, &Bars::default())?;
    print_report(&options, &report);
    Ok(if report.outcome.acked == report.ballots as u64 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn print_report(options: &LoadOptions, report: &LoadReport) {
    let outcome = &report.outcome;
    println!(
        "Prepared {} ballots ({} re-votes, {} challenged) in {:.1} s, before the clock started.",
        report.ballots,
        report.revotes,
        report.challenges,
        report.preparing.as_secs_f64()
    );
    if let Some(offline) = &report.offline {
        println!(
            "Offline on {} of them (all cores): the verifier {:.0} ballots/s, the per-ballot check {:.0} ballots/s.",
            offline.verifier.ballots,
            offline.verifier.per_second(),
            offline.per_ballot.per_second()
        );
    }
    let rate = match options.submit.rate {
        Some(r) => format!("at most {r} ballots/s"),
        None => "as fast as answered".into(),
    };
    println!(
        "Sent to {} with {} in flight, {rate}: {} acknowledged, {} failed, {} not sent, in {:.2} s.",
        options.submit.url,
        options.submit.concurrency,
        outcome.acked,
        outcome.failed,
        outcome.unsent,
        outcome.elapsed.as_secs_f64()
    );
    println!("Throughput: {:.1} ballots/s", outcome.per_second());
    let l = &outcome.latency;
    println!(
        "Latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.max)
    );
    if let (Some(offline), Some(percent)) = (&report.offline, report.percent_of_verifier()) {
        println!(
            "The server accepted {:.1} ballots/s = {percent:.1} % of the offline verifier's {:.1} ballots/s \
             ({:.1} % of the per-ballot check's {:.1} ballots/s).",
            outcome.per_second(),
            offline.verifier.per_second(),
            100.0 * outcome.per_second() / offline.per_ballot.per_second(),
            offline.per_ballot.per_second()
        );
    }
    if outcome.retried.is_empty() && outcome.failures.is_empty() {
        println!("Errors: none.");
    }
    for (kind, n) in &outcome.retried {
        println!("Retried: {n} × {}", kind.name());
    }
    for (kind, n) in &outcome.failures {
        println!("Failed: {n} × {}", kind.name());
    }
    if let Some(why) = &outcome.first_failure {
        println!("First failure: {why}");
    }
    println!(
        "{} acknowledged codes appended to {}.",
        report.codes_written,
        options.acked.display()
    );
    if let Some(memory) = &report.memory {
        let total = outcome.acked;
        let at = |f: f64| {
            memory
                .rss_at(f, total)
                .map_or("-".to_string(), |b| format!("{:.1}", mib(b)))
        };
        println!(
            "Server memory (VmRSS, MiB) at 0 / 25 / 50 / 75 / 100 % of the acknowledged ballots: \
             {} / {} / {} / {} / {}; max {:.1} MiB; peak VmHWM {:.1} MiB ({} samples).",
            at(0.0),
            at(0.25),
            at(0.5),
            at(0.75),
            at(1.0),
            mib(memory.max_rss()),
            mib(memory.high_water),
            memory.samples.len()
        );
    }
}
