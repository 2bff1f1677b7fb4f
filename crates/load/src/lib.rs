//! The load generator for `fairtally serve`: it encrypts real ballots for the voters of a demo
//! election left open by `fairtally demo --open` before the clock starts, times the offline
//! verifier on the same ballots, then submits them to `POST /api/v1/ballots` with `C` in
//! flight, retrying refused connections and `503` with backoff (so a restarted server is
//! simply resumed), appends each acknowledged confirmation code to a file synced as it goes,
//! and reports throughput, latency percentiles, errors by kind and the server's memory.

mod acked;
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
pub use crate::error::{LoadError, Result};
use crate::memory::{MemoryReport, MemorySampler};
use crate::offline::OfflineRates;
use crate::prepare::{BallotPlan, prepare};
use crate::submit::{SubmitOptions, SubmitOutcome, submit};

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
    /// The server's process, whose memory is sampled over the run (same machine).
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
}

impl LoadReport {
    /// The server's accept rate as a percentage of the offline verifier's rate.
    pub fn percent_of_verifier(&self) -> Option<f64> {
        self.offline
            .map(|o| 100.0 * self.outcome.per_second() / o.verifier.per_second())
    }
}

/// Prepares the ballots, times the offline verifier, submits, and reports.
pub fn run(options: &LoadOptions, progress: &dyn Progress) -> Result<LoadReport> {
    options.submit.ballots_url()?;
    let clock = Instant::now();
    let prepared = prepare(&options.demo, &options.plan, progress)?;
    let preparing = clock.elapsed();
    let offline = match options.offline_sample {
        0 => None,
        sample => Some(offline::measure(&prepared, sample)?),
    };
    let acked_file = AckedFile::open(&options.acked)?;
    let acked = Arc::new(AtomicU64::new(0));
    let sampler = options
        .server_pid
        .map(|pid| MemorySampler::start(pid, acked.clone()))
        .transpose()
        .map_err(|source| LoadError::Io {
            path: PathBuf::from("/proc"),
            source,
        })?;
    let (ballots, revotes, challenges) = (
        prepared.submissions.len(),
        prepared.revotes,
        prepared.challenges,
    );
    let outcome = submit(
        Arc::new(prepared.submissions),
        &options.submit,
        acked_file.sender(),
        acked,
        progress,
    );
    let memory = sampler.map(MemorySampler::finish);
    let codes_written = acked_file.finish()?;
    Ok(LoadReport {
        ballots,
        revotes,
        challenges,
        preparing,
        offline,
        outcome: outcome?,
        codes_written,
        memory,
    })
}
