//! `fairtally load URL --demo DIR …` (ballots) and `fairtally load URL --entries N …` (plain
//! board entries in batches): the load generator against `fairtally serve` (the logic is in
//! the fairtally-load crate; this parses flags and prints the report).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use fairtally_load::cpu::CpuTime;
use fairtally_load::entries::EntryPlan;
use fairtally_load::memory::MemoryReport;
use fairtally_load::prepare::BallotPlan;
use fairtally_load::submit::{SubmitOptions, SubmitOutcome};
use fairtally_load::{EntriesOptions, EntriesReport, LoadOptions, LoadReport};

use crate::progress::Bars;

/// Arguments of `fairtally load`.
#[derive(Args)]
pub struct LoadArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080 (ballots go to /api/v1/ballots,
    /// batches of entries to /api/v1/observations); an https:// URL is checked against the
    /// system's certificates, or the PEM file named in SSL_CERT_FILE.
    pub url: String,
    /// The demo election the server serves (`fairtally demo --open --out DIR`): its voters'
    /// credentials in DIR/private sign the ballots.
    #[arg(long, value_name = "DIR", required_unless_present = "entries")]
    pub demo: Option<PathBuf>,
    /// Instead of ballots, send this many plain board entries (station protocols signed by
    /// accredited observers) in submissions files of --batch entries each.
    #[arg(long, value_name = "N", conflicts_with = "demo")]
    pub entries: Option<usize>,
    /// Entries per request, with --entries (one submissions file, one transaction).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Protocols each observer signs, with --entries (each observer has its own key and
    /// accreditation).
    #[arg(long, default_value_t = 10)]
    pub per_observer: usize,
    /// The organisation's secret key file (`fairtally observe keygen`) that accredits the
    /// observers, with --entries, for a server run with `--trust` of its public key; a new
    /// key when left out (for a server that trusts any organisation).
    #[arg(long, value_name = "FILE")]
    pub organisation_key: Option<PathBuf>,
    /// Acknowledged entries proven on the served board afterwards from its tiles, with
    /// --entries (spread over the run).
    #[arg(long, default_value_t = 200)]
    pub board_sample: usize,
    /// Seconds to wait for a checkpoint covering every acknowledged entry, with --entries.
    #[arg(long, default_value_t = 30)]
    pub checkpoint_wait: u64,
    /// Ballots to send in all (re-votes and challenges included).
    #[arg(long, default_value_t = 1000)]
    pub ballots: usize,
    /// Ballots (or batches) in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Append each acknowledged confirmation code to FILE (one a line, synced); with
    /// --entries, each acknowledged entry's `INDEX LEAF_HASH` (optional then).
    #[arg(long, value_name = "FILE", required_unless_present = "entries")]
    pub acked: Option<PathBuf>,
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
    /// The server's process id (on this machine): its memory (VmRSS, VmHWM) is sampled over
    /// the run, and its CPU time per ballot (or entry) read from /proc/PID/stat.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Time the offline verifier (with --entries: the server's per-entry check) on this many
    /// of the prepared ballots or entries first (0: skip); ballots are timed again after the
    /// run, and the server is compared with the mean of the two.
    #[arg(long, default_value_t = 5000)]
    pub offline_sample: usize,
}

impl LoadArgs {
    fn submit_options(&self) -> SubmitOptions {
        SubmitOptions {
            url: self.url.clone(),
            concurrency: self.concurrency,
            rate: self.rate,
            retry_for: Duration::from_secs(self.retry_for),
            timeout: Duration::from_secs(self.timeout),
        }
    }
}

/// Run the load and print the report; success when every ballot (or entry) was acknowledged
/// (and, for entries, every sampled one proven on the board).
pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    if let Some(entries) = args.entries {
        return run_entries(&args, entries);
    }
    let (Some(demo), Some(acked)) = (args.demo.clone(), args.acked.clone()) else {
        anyhow::bail!("--demo DIR and --acked FILE are needed to send ballots");
    };
    let options = LoadOptions {
        demo,
        plan: BallotPlan {
            ballots: args.ballots,
            revote_percent: args.revote_percent,
            challenge_percent: args.challenge_percent,
        },
        submit: args.submit_options(),
        acked,
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
        let after = offline.verifier_after.map_or(String::new(), |after| {
            format!(
                " before the run and {:.0} after it (mean {:.0})",
                after.per_second(),
                offline.verifier_per_second()
            )
        });
        println!(
            "Offline on {} of them (all cores): the verifier {:.0} ballots/s{after}, the per-ballot check {:.0} ballots/s.",
            offline.verifier.items,
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
            offline.verifier_per_second(),
            100.0 * outcome.per_second() / offline.per_ballot.per_second(),
            offline.per_ballot.per_second()
        );
    }
    print_errors(outcome);
    println!(
        "{} acknowledged codes appended to {}.",
        report.codes_written,
        options.acked.display()
    );
    if let Some(memory) = &report.memory {
        print_memory(memory, outcome.acked_items, "ballots");
    }
    if let Some(cpu) = &report.server_cpu {
        let verifier = report.offline.and_then(|o| o.verifier_cpu_per_ballot());
        print_cpu(cpu, outcome, "a ballot", verifier);
    }
}

fn print_errors(outcome: &SubmitOutcome) {
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
}

fn print_memory(memory: &MemoryReport, total: u64, what: &str) {
    let at = |f: f64| {
        memory
            .rss_at(f, total)
            .map_or("-".to_string(), |b| format!("{:.1}", mib(b)))
    };
    println!(
        "Server memory (VmRSS, MiB) at 0 / 25 / 50 / 75 / 100 % of the acknowledged {what}: \
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

/// The server's CPU time per acknowledged item, how many cores it kept busy, and beside it the
/// offline verifier's CPU time per item when it was read.
fn print_cpu(cpu: &CpuTime, outcome: &SubmitOutcome, per: &str, verifier: Option<Duration>) {
    let items = outcome.acked_items.max(1) as f64;
    let server = cpu.total().as_secs_f64() / items;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Server CPU while sending (user + kernel, /proc/PID/stat): {:.0} µs {per}, of which {:.0} \
         in the kernel; {:.2} of this machine's {cores} cores.",
        server * 1e6,
        cpu.system.as_secs_f64() * 1e6 / items,
        cpu.total().as_secs_f64() / outcome.elapsed.as_secs_f64().max(1e-9)
    );
    let threads: Vec<String> = cpu
        .busiest_threads()
        .into_iter()
        .map(|(name, time)| (name, time.as_secs_f64() * 1e6 / items))
        .filter(|&(_, micros)| micros.round() >= 1.0)
        .take(6)
        .map(|(name, micros)| format!("{name} {micros:.0}"))
        .collect();
    if !threads.is_empty() {
        println!(
            "Server CPU by thread name (µs {per}, /proc/PID/task): {}.",
            threads.join(", ")
        );
    }
    if let Some(verifier) = verifier.filter(|v| !v.is_zero()) {
        println!(
            "The offline verifier used {:.0} µs of CPU {per} (this process, all cores): the \
             server spends {:.2} times that.",
            verifier.as_secs_f64() * 1e6,
            server / verifier.as_secs_f64()
        );
    }
}

/// `fairtally load URL --entries N`: plain board entries in batches.
fn run_entries(args: &LoadArgs, entries: usize) -> anyhow::Result<ExitCode> {
    let organisation = match &args.organisation_key {
        Some(path) => fairtally_observe::keys::read_secret_key(path)?,
        None => fairtally_observe::keys::generate_key()?,
    };
    let options = EntriesOptions {
        plan: EntryPlan {
            entries,
            batch: args.batch,
            per_observer: args.per_observer,
        },
        submit: args.submit_options(),
        organisation,
        acked: args.acked.clone(),
        server_pid: args.server_pid,
        offline_sample: args.offline_sample,
        board_sample: args.board_sample,
        checkpoint_wait: Duration::from_secs(args.checkpoint_wait),
    };
    let report = fairtally_load::run_entries(&options, &Bars::default())?;
    print_entries_report(&options, &report);
    let all = report.outcome.acked_items == report.entries as u64;
    Ok(if all && report.board.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_entries_report(options: &EntriesOptions, report: &EntriesReport) {
    let outcome = &report.outcome;
    println!(
        "Prepared {} entries (station protocols of {} observers accredited by organisation {}) \
         in {} batches of at most {}, in {:.1} s, before the clock started.",
        report.entries,
        report.observers,
        fairtally_observe::keys::public_key_hex(&options.organisation.verifying_key()),
        report.batches,
        options.plan.batch,
        report.preparing.as_secs_f64()
    );
    println!(
        "Sent to {}/api/v1/observations with {} batches in flight: {} entries in {} batches \
         acknowledged, {} batches failed, {} not sent, in {:.2} s.",
        options.submit.url.trim_end_matches('/'),
        options.submit.concurrency,
        outcome.acked_items,
        outcome.acked,
        outcome.failed,
        outcome.unsent,
        outcome.elapsed.as_secs_f64()
    );
    let floor = report.offline.map_or(String::new(), |o| {
        format!(
            " (the server's check alone, offline on {} of them in the same batches, all \
             cores: {:.0} entries/s; its {:.2} Ed25519 verifications per entry alone: {:.0} \
             entries/s)",
            o.full.items,
            o.full.per_second(),
            o.signatures_per_entry,
            o.signatures.per_second()
        )
    });
    println!(
        "Throughput: {:.0} entries/s{floor}",
        outcome.items_per_second()
    );
    let l = &outcome.latency;
    println!(
        "Latency per batch: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.max)
    );
    print_errors(outcome);
    let board = &report.board;
    println!(
        "On the board: {} of {} sampled acknowledged entries proven included under the \
         checkpoint of size {}{}.",
        board.proven,
        board.checked,
        board.checkpoint_size,
        match board.shared_indexes {
            0 => String::new(),
            n => format!("; {n} board indexes acknowledged for two entries"),
        }
    );
    for failure in &board.failures {
        println!("Not proven: {failure}");
    }
    if let Some(path) = &options.acked {
        println!(
            "{} acknowledged entries (index and leaf hash) appended to {}.",
            report.lines_written,
            path.display()
        );
    }
    if let Some(memory) = &report.memory {
        print_memory(memory, outcome.acked_items, "entries");
    }
    if let Some(cpu) = &report.server_cpu {
        print_cpu(cpu, outcome, "an entry", None);
    }
}
