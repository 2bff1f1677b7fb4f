//! How fast the offline verifier checks the same ballots, measured in the same run, so the
//! server's accept rate can be compared with it.

use std::io::Write;
use std::time::{Duration, Instant};

use fairtally_election::ballot::BallotEntry;
use fairtally_election::context::VotingContext;
use fairtally_election::credential::CredentialList;
use fairtally_election::progress::Silent;
use fairtally_election::verifier::{check_ballot, verify_ballots};
use rayon::prelude::*;

use crate::cpu::CpuTime;
use crate::error::{LoadError, Result};
use crate::prepare::Prepared;

/// A rate measured offline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OfflineRate {
    /// Ballots (or board entries) checked.
    pub items: usize,
    /// How long it took.
    pub elapsed: Duration,
    /// The CPU time this process used meanwhile (all cores), when it was read.
    pub cpu: Option<Duration>,
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
    /// blocks, signatures and proofs batch-verified, all cores), timed before the run.
    pub verifier: OfflineRate,
    /// The same, timed again on the same file after the run ([`Sample::time_verifier`]).
    pub verifier_after: Option<OfflineRate>,
    /// The per-ballot check a ballot box runs on each ballot alone
    /// ([`check_ballot`]), on all cores.
    pub per_ballot: OfflineRate,
}

impl OfflineRates {
    /// The verifier's rate the server is compared with: the mean of its rates before and after
    /// the run, which bracket it (a shared machine's speed drifts by a tenth or more within a
    /// minute), or the rate before when it was timed once.
    pub fn verifier_per_second(&self) -> f64 {
        match self.verifier_after {
            Some(after) => (self.verifier.per_second() + after.per_second()) / 2.0,
            None => self.verifier.per_second(),
        }
    }

    /// The CPU time the verifier spent on a ballot, over its timings whose CPU time was read:
    /// set beside the server's CPU time per ballot, the cost of everything the server does
    /// beyond verifying, whatever the machine's speed did meanwhile.
    pub fn verifier_cpu_per_ballot(&self) -> Option<Duration> {
        let timed = std::iter::once(self.verifier).chain(self.verifier_after);
        let (cpu, items) = timed
            .filter_map(|rate| Some((rate.cpu?, rate.items)))
            .fold((Duration::ZERO, 0usize), |(c, n), (cpu, items)| {
                (c + cpu, n + items)
            });
        u32::try_from(items)
            .ok()
            .filter(|n| *n > 0)
            .map(|n| cpu / n)
    }
}

/// The ballots the offline verifier is timed on, written once as a `ballots.jsonl` (a
/// temporary file, removed when this is dropped), so that it can be timed again after the run
/// on the very same lines.
pub struct Sample {
    file: tempfile::NamedTempFile,
    items: usize,
}

impl Sample {
    /// Writes the first `sample` prepared ballots (at least one).
    ///
    /// # Errors
    /// [`LoadError::Io`] when the temporary file cannot be written.
    pub fn write(prepared: &Prepared, sample: usize) -> Result<Sample> {
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
        Ok(Sample {
            file,
            items: ballots.len(),
        })
    }

    /// Times the offline verifier on the sample (all cores). Every ballot must pass: a failure
    /// means the prepared ballots are wrong.
    ///
    /// # Errors
    /// [`LoadError::Options`] when a ballot fails; the verifier's own errors.
    pub fn time_verifier(
        &self,
        context: &VotingContext,
        credentials: &CredentialList,
    ) -> Result<OfflineRate> {
        let start = Instant::now();
        let (summary, cpu) = CpuTime::during(Some(std::process::id()), || {
            verify_ballots(self.file.path(), context, credentials, &Silent)
        });
        let rate = OfflineRate {
            items: self.items,
            elapsed: start.elapsed(),
            cpu: cpu.map(|used| used.total()),
        };
        let summary = summary?;
        if let Some(failure) = summary.failures.first() {
            return Err(LoadError::Options(format!(
                "a prepared ballot fails the offline verifier: {}: {}",
                failure.check, failure.reason
            )));
        }
        Ok(rate)
    }
}

/// Times the offline verifier and the per-ballot check on the first `sample` prepared ballots
/// (all cores), and returns the sample so that the verifier can be timed again after the run.
/// Every ballot must pass: a failure means the prepared ballots are wrong.
pub fn measure(prepared: &Prepared, sample: usize) -> Result<(OfflineRates, Sample)> {
    let written = Sample::write(prepared, sample)?;
    let verifier = written.time_verifier(&prepared.context, &prepared.credentials)?;
    let ballots = &prepared.submissions[..written.items];

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
        cpu: None,
    };
    if let Some(failure) = failures.first() {
        return Err(LoadError::Options(format!(
            "a prepared ballot fails the per-ballot check: {failure}"
        )));
    }
    Ok((
        OfflineRates {
            verifier,
            verifier_after: None,
            per_ballot,
        },
        written,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(items: usize, millis: u64) -> OfflineRate {
        OfflineRate {
            items,
            elapsed: Duration::from_millis(millis),
            cpu: None,
        }
    }

    #[test]
    fn the_server_is_compared_with_the_mean_of_the_verifier_before_and_after_the_run() {
        let mut rates = OfflineRates {
            verifier: rate(1000, 1000),
            verifier_after: None,
            per_ballot: rate(1000, 2000),
        };
        assert!((rates.verifier_per_second() - 1000.0).abs() < 1e-9);
        rates.verifier_after = Some(rate(1000, 500));
        assert!((rates.verifier_per_second() - 1500.0).abs() < 1e-9);
    }

    #[test]
    fn the_verifiers_cpu_per_ballot_is_over_the_timings_whose_cpu_was_read() {
        let with_cpu = |items, cpu_millis| OfflineRate {
            cpu: Some(Duration::from_millis(cpu_millis)),
            ..rate(items, 1000)
        };
        let mut rates = OfflineRates {
            verifier: rate(1000, 1000),
            verifier_after: None,
            per_ballot: rate(1000, 2000),
        };
        assert_eq!(rates.verifier_cpu_per_ballot(), None);
        rates.verifier = with_cpu(1000, 700);
        assert_eq!(
            rates.verifier_cpu_per_ballot(),
            Some(Duration::from_micros(700))
        );
        rates.verifier_after = Some(with_cpu(1000, 900));
        assert_eq!(
            rates.verifier_cpu_per_ballot(),
            Some(Duration::from_micros(800))
        );
    }
}
