//! How fast the offline verifier checks the same ballots, measured in the same run, so the
//! server's accept rate can be compared with it.

use std::io::Write;
use std::time::{Duration, Instant};

use fairtally_election::ballot::BallotEntry;
use fairtally_election::progress::Silent;
use fairtally_election::verifier::{check_ballot, verify_ballots};
use rayon::prelude::*;

use crate::error::{LoadError, Result};
use crate::prepare::Prepared;

/// A rate measured offline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OfflineRate {
    /// Ballots (or board entries) checked.
    pub items: usize,
    /// How long it took.
    pub elapsed: Duration,
}

impl OfflineRate {
    /// Ballots (or entries) per second.
    pub fn per_second(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Both offline figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OfflineRates {
    /// The offline verifier (`fairtally verify`'s ballot stage: a `ballots.jsonl` streamed in
    /// blocks, signatures and proofs batch-verified, all cores).
    pub verifier: OfflineRate,
    /// The per-ballot check a ballot box runs on each ballot alone
    /// ([`check_ballot`]), on all cores.
    pub per_ballot: OfflineRate,
}

/// Times the offline verifier and the per-ballot check on the first `sample` prepared ballots
/// (all cores). Every ballot must pass: a failure means the prepared ballots are wrong.
pub fn measure(prepared: &Prepared, sample: usize) -> Result<OfflineRates> {
    let ballots = &prepared.submissions[..sample.clamp(1, prepared.submissions.len())];
    let io = |source| LoadError::Io {
        path: std::env::temp_dir(),
        source,
    };
    let mut file = tempfile::NamedTempFile::new().map_err(io)?;
    for submission in ballots {
        file.write_all(&submission.body)
            .and_then(|()| file.write_all(b"\n"))
            .map_err(io)?;
    }
    file.flush().map_err(io)?;

    let start = Instant::now();
    let summary = verify_ballots(
        file.path(),
        &prepared.context,
        &prepared.credentials,
        &Silent,
    )?;
    let verifier = OfflineRate {
        items: ballots.len(),
        elapsed: start.elapsed(),
    };
    if let Some(failure) = summary.failures.first() {
        return Err(LoadError::Options(format!(
            "a prepared ballot fails the offline verifier: {}: {}",
            failure.check, failure.reason
        )));
    }

    let start = Instant::now();
    let failures: Vec<String> = ballots
        .par_iter()
        .map(|submission| -> Result<Option<String>> {
            let entry: BallotEntry = serde_json::from_slice(&submission.body)
                .map_err(|e| LoadError::Options(format!("a prepared ballot: {e}")))?;
            let failures = check_ballot(&prepared.context, &prepared.credentials, &entry)?;
            Ok(failures.first().map(|f| {
                let ballot = submission.expected.describe();
                format!("{ballot}: {} {}", f.check, f.reason)
            }))
        })
        .filter_map(|r| r.transpose())
        .collect::<Result<_>>()?;
    let per_ballot = OfflineRate {
        items: ballots.len(),
        elapsed: start.elapsed(),
    };
    if let Some(failure) = failures.first() {
        return Err(LoadError::Options(format!(
            "a prepared ballot fails the per-ballot check: {failure}"
        )));
    }
    Ok(OfflineRates {
        verifier,
        per_ballot,
    })
}
