//! The load generator for `fairtally serve`: it encrypts real ballots for the voters of a demo
//! election left open by `fairtally demo --open` before the clock starts, times the offline
//! verifier on the same ballots, then submits them to `POST /api/v1/ballots` with `C` in
//! flight, retrying refused connections and `503` with backoff (so a restarted server is
//! simply resumed), appends each acknowledged confirmation code to a file synced as it goes,
//! times the verifier again (so that its two rates bracket the run), and reports throughput,
//! latency percentiles, errors by kind and the server's memory and CPU time.
//!
//! With `--entries N` it measures the board's batch write path instead ([`entries`]): signed
//! observers' protocols in submissions files of `B` entries to `POST /api/v1/observations`,
//! the entries per second, each batch's latency, and a sample of the acknowledged entries
//! proven on the served board afterwards.

mod acked;
pub mod cpu;
pub mod entries;
pub mod error;
pub mod latency;
pub mod memory;
pub mod offline;
pub mod prepare;
pub mod submit;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use fairtally_election::progress::Progress;

pub use crate::acked::AckedFile;
use crate::cpu::CpuTime;
use crate::entries::{BoardCheck, EntryChecks, EntryPlan, measure_checks, prepare_entries};
pub use crate::error::{LoadError, Result};
use crate::memory::{MemoryReport, MemorySampler};
use crate::offline::OfflineRates;
use crate::prepare::{BallotPlan, prepare};
use crate::submit::{Submission, SubmitOptions, SubmitOutcome, submit};

/// A load run's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// The demo election's directory (`fairtally demo --open --out DIR`).
    pub demo: PathBuf,
    /// How many ballots, and how many of them re-votes and challenges.
    pub plan: BallotPlan,
    /// Where and how to send them.
    pub submit: SubmitOptions,
    /// The file each acknowledged confirmation code is appended to.
    pub acked: PathBuf,
    /// The server's process, whose memory and CPU time are read over the run (same machine).
    pub server_pid: Option<u32>,
    /// How many of the ballots the offline verifier is timed on (0: not timed).
    pub offline_sample: usize,
}

/// What a load run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadReport {
    /// Ballots prepared.
    pub ballots: usize,
    /// Of which re-votes.
    pub revotes: usize,
    /// Of which challenged.
    pub challenges: usize,
    /// How long encrypting them took (before the clock started).
    pub preparing: Duration,
    /// The offline verifier's rates on the same ballots.
    pub offline: Option<OfflineRates>,
    /// What sending them did.
    pub outcome: SubmitOutcome,
    /// Codes appended to the acknowledged-codes file.
    pub codes_written: u64,
    /// The server's memory over the run.
    pub memory: Option<MemoryReport>,
    /// The CPU time the server used while the ballots were sent (same machine).
    pub server_cpu: Option<CpuTime>,
}

impl LoadReport {
    /// The server's accept rate as a percentage of the offline verifier's rate.
    pub fn percent_of_verifier(&self) -> Option<f64> {
        self.offline
            .map(|o| 100.0 * self.outcome.per_second() / o.verifier_per_second())
    }
}

/// Prepares the ballots, times the offline verifier, submits, and reports.
pub fn run(options: &LoadOptions, progress: &dyn Progress) -> Result<LoadReport> {
    options.submit.base_url()?;
    let clock = Instant::now();
    let prepared = prepare(&options.demo, &options.plan, progress)?;
    let preparing = clock.elapsed();
    let timed = match options.offline_sample {
        0 => None,
        sample => {
            progress.begin("timing the verifier", 1);
            let timed = offline::measure(&prepared, sample)?;
            progress.end();
            Some(timed)
        }
    };
    let (ballots, revotes, challenges) = (
        prepared.submissions.len(),
        prepared.revotes,
        prepared.challenges,
    );
    let sent = send(
        prepared.submissions,
        &options.submit,
        Some(&options.acked),
        options.server_pid,
        progress,
    )?;
    let (outcome, codes_written, memory, server_cpu) = (
        sent.outcome,
        sent.lines_written,
        sent.memory,
        sent.server_cpu,
    );
    // Timed again as soon as the run is over, so that the two times bracket it (the server
    // may still publish its last checkpoint then: well under a second of its work).
    let offline = match timed {
        Some((mut rates, sample)) => {
            progress.begin("timing it again", 1);
            rates.verifier_after =
                Some(sample.time_verifier(&prepared.context, &prepared.credentials)?);
            progress.end();
            Some(rates)
        }
        None => None,
    };
    Ok(LoadReport {
        ballots,
        revotes,
        challenges,
        preparing,
        offline,
        outcome,
        codes_written,
        memory,
        server_cpu,
    })
}

/// What sending prepared requests did, with the lines appended to the acknowledged file and
/// the server's memory and CPU time.
struct Sent {
    outcome: SubmitOutcome,
    lines_written: u64,
    memory: Option<MemoryReport>,
    server_cpu: Option<CpuTime>,
}

/// Sends `submissions`, appending each acknowledged item to `acked` (when given), sampling
/// the memory of process `server_pid` (when given) as it goes and reading its CPU time before
/// and after (none when it was restarted meanwhile: no process, or another one, has the id).
fn send(
    submissions: Vec<Submission>,
    options: &SubmitOptions,
    acked: Option<&std::path::Path>,
    server_pid: Option<u32>,
    progress: &dyn Progress,
) -> Result<Sent> {
    let acked_file = acked.map(AckedFile::open).transpose()?;
    let count = Arc::new(AtomicU64::new(0));
    let sampler = server_pid
        .map(|pid| MemorySampler::start(pid, count.clone()))
        .transpose()
        .map_err(|source| LoadError::Io {
            path: PathBuf::from("/proc"),
            source,
        })?;
    let (outcome, server_cpu) = CpuTime::during(server_pid, || {
        submit(
            Arc::new(submissions),
            options,
            acked_file.as_ref().and_then(AckedFile::sender),
            count,
            progress,
        )
    });
    let memory = sampler.map(MemorySampler::finish);
    let lines_written = match acked_file {
        Some(file) => file.finish()?,
        None => 0,
    };
    Ok(Sent {
        outcome: outcome?,
        lines_written,
        memory,
        server_cpu,
    })
}

/// A run of plain board entries' settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EntriesOptions {
    /// How many entries, in batches of how many.
    pub plan: EntryPlan,
    /// Where and how to send them (`concurrency` batches in flight).
    pub submit: SubmitOptions,
    /// The organisation whose key accredits the observers (the server must trust it, or run
    /// without `--trust`).
    pub organisation: ed25519_dalek::SigningKey,
    /// The file each acknowledged entry's `INDEX LEAF_HASH` line is appended to.
    pub acked: Option<PathBuf>,
    /// The server's process, whose memory and CPU time are read over the run (same machine).
    pub server_pid: Option<u32>,
    /// How many entries the server's check is timed on offline first (0: not timed).
    pub offline_sample: usize,
    /// How many acknowledged entries are proven on the served board afterwards (0: none).
    pub board_sample: usize,
    /// How long to wait for a checkpoint that covers every acknowledged entry.
    pub checkpoint_wait: Duration,
}

/// What a run of plain board entries measured.
#[derive(Clone, Debug, PartialEq)]
pub struct EntriesReport {
    /// Entries prepared.
    pub entries: usize,
    /// Requests (submissions files) they were packed in.
    pub batches: usize,
    /// Observers who signed them.
    pub observers: usize,
    /// How long signing them took (before the clock started).
    pub preparing: Duration,
    /// The server's per-entry check timed offline on the same entries.
    pub offline: Option<EntryChecks>,
    /// What sending them did (its latency is per batch).
    pub outcome: SubmitOutcome,
    /// Lines appended to the acknowledged-entries file.
    pub lines_written: u64,
    /// The acknowledged entries proven on the served board.
    pub board: BoardCheck,
    /// The server's memory over the run.
    pub memory: Option<MemoryReport>,
    /// The CPU time the server used while the entries were sent (same machine).
    pub server_cpu: Option<CpuTime>,
}

/// Signs the entries, times the server's check offline, sends them in batches, then proves a
/// sample of the acknowledged ones on the served board.
pub fn run_entries(options: &EntriesOptions, progress: &dyn Progress) -> Result<EntriesReport> {
    let base = options.submit.base_url()?;
    options.plan.check()?;
    let clock = Instant::now();
    let prepared = prepare_entries(
        &options.plan,
        &options.organisation,
        options.offline_sample,
        progress,
    )?;
    let preparing = clock.elapsed();
    let offline = match options.offline_sample {
        0 => None,
        _ => Some(measure_checks(&prepared.sample, options.plan.batch)?),
    };
    let batches = prepared.submissions.len();
    let sent = send(
        prepared.submissions,
        &options.submit,
        options.acked.as_deref(),
        options.server_pid,
        progress,
    )?;
    let board = entries::check_on_board(
        &base,
        &sent.outcome.entries,
        options.board_sample,
        options.checkpoint_wait,
    )?;
    Ok(EntriesReport {
        entries: prepared.entries,
        batches,
        observers: prepared.observers,
        preparing,
        offline,
        outcome: sent.outcome,
        lines_written: sent.lines_written,
        board,
        memory: sent.memory,
        server_cpu: sent.server_cpu,
    })
}
