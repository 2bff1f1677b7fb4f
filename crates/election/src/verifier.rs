//! The independent verifier: reads a record directory, recomputes every hash, checks every
//! proof and signature, recomputes the aggregate from the ballots and checks the decryption and
//! the published result.
//!
//! A file that is missing, truncated or garbled stops verification with an error naming the
//! file, the line and the reason. Everything else is a named [`Check`] that either passes on
//! every item or reports [`Failure`]s naming the item: a ballot by its confirmation code, a
//! contest, a guardian.
//!
//! A record still in progress (voting open, or closed but not yet decrypted) is verified as far
//! as it goes: the [`Report`] says which [`Phase`] it is in, which files are not there yet and
//! which checks wait for them, and never holds a result that was not published.

mod ballots;
mod board;
mod ceremony;
pub mod floor;
mod inventory;

use std::collections::BTreeMap;
use std::path::Path;

use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_crypto::hash::Digest;

use crate::check::{Check, Failure};
use crate::context::{ElectionContext, VotingContext};
use crate::credential::{CredentialEntry, CredentialList};
use crate::error::{ElectionError, Result};
use crate::guardian::GuardianPublic;
use crate::manifest::Manifest;
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::progress::Progress;
use crate::record::{
    JsonLinesReader, RECORD_FORMAT, RECORD_VERSION, RecordHeader, files, read_record_json,
};
use crate::tally::{self, DecryptionShare, ElectionResult, EncryptedTally};

pub use ballots::{
    BallotSummary, CanonicalBallot, Spread, check_ballot, check_canonical_ballots, verify_ballots,
};

/// What the person verifying obtained out of band, to tie the record to the real election.
/// Without either, a record can only be found self-consistent: anyone can invent a whole
/// election that verifies.
#[derive(Clone, Debug, Default)]
pub struct Pins {
    /// The election's fingerprint (its base hash), as published by the authority.
    pub fingerprint: Option<Digest>,
    /// The board's trust policy (operator key, witnesses, quorum).
    pub board_policy: Option<TrustPolicy>,
}

/// What verification found.
#[derive(Clone, Debug)]
pub struct Report {
    /// Items that passed, per check, in [`Check::ALL`] order.
    pub passed: BTreeMap<Check, u64>,
    /// Every failure.
    pub failures: Vec<Failure>,
    /// Ballot counts from the stream.
    pub ballots: BallotCounts,
    /// The verified result (present when the result check ran; trust it only if
    /// [`Report::is_valid`]).
    pub result: Option<ElectionResult>,
    /// The manifest, once read and valid (for showing the result with its titles).
    pub manifest: Option<Manifest>,
    /// The election's fingerprint: its base hash, recomputed from the set-up.
    pub fingerprint: Option<Digest>,
    /// The board's checkpoint the record was checked against, verified under the election's
    /// board policy.
    pub checkpoint: Option<SignedCheckpoint>,
    /// Whether the fingerprint was compared with one given by the person verifying.
    pub fingerprint_pinned: bool,
    /// Whether the board's policy was compared with one given by the person verifying.
    pub policy_pinned: bool,
    /// How far the election has come, judged by the files the record holds.
    pub phase: Phase,
    /// The record's files that are not there yet (a record in progress), in publication order.
    pub missing: Vec<&'static str>,
    /// The checks that did not run because the files they check are not there yet.
    pub pending: Vec<Check>,
}

/// How far the election has come: which of the files of later steps the record holds. The
/// files come in publication order; one published after a missing one is a failure of
/// [`Check::RecordFiles`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Voting is open: the set-up and the ballots accepted so far; no encrypted tally yet.
    Voting,
    /// Voting is closed: the encrypted tally (and maybe some decryption shares); no result yet.
    Tallied,
    /// The result is published: the record is complete.
    Complete,
}

impl Phase {
    /// The phase's name in the verification record (`voting`, `tallied`, `complete`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Voting => "voting",
            Phase::Tallied => "tallied",
            Phase::Complete => "complete",
        }
    }

    /// What the phase means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Voting => "voting is still open: no encrypted tally yet, so no result exists",
            Phase::Tallied => {
                "voting is closed, but the result is not published yet: the guardians are decrypting"
            }
            Phase::Complete => "the result is published",
        }
    }
}

/// How many ballots of each kind the record holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BallotCounts {
    /// Lines of `ballots.jsonl`.
    pub total: u64,
    /// Cast ballots.
    pub cast: u64,
    /// Challenged (opened, not counted).
    pub challenged: u64,
    /// Cast ballots replaced by a later ballot of the same credential.
    pub superseded: u64,
    /// Counted ballots.
    pub counted: u64,
}

/// Reads a fingerprint as printed (64 hex digits, any case, surrounding spaces ignored).
pub fn parse_fingerprint(text: &str) -> Result<Digest> {
    Digest::from_hex(&text.trim().to_ascii_lowercase()).map_err(|e| {
        ElectionError::crypto(
            format!(
                "fingerprint {:?}",
                text.chars().take(80).collect::<String>()
            ),
            e,
        )
    })
}

impl Report {
    fn new() -> Self {
        Report {
            passed: BTreeMap::new(),
            failures: Vec::new(),
            ballots: BallotCounts::default(),
            result: None,
            manifest: None,
            fingerprint: None,
            checkpoint: None,
            fingerprint_pinned: false,
            policy_pinned: false,
            phase: Phase::Complete,
            missing: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Whether every check that ran passed. For a record in progress that is "valid so far":
    /// see [`Report::is_complete`].
    pub fn is_valid(&self) -> bool {
        self.failures.is_empty()
    }

    /// Whether the record is complete (its result published), so every check ran.
    pub fn is_complete(&self) -> bool {
        self.phase == Phase::Complete
    }

    /// Whether the whole election verified: every check ran and passed, up to the result.
    pub fn is_verified(&self) -> bool {
        self.is_valid() && self.is_complete()
    }

    /// Whether `check` waits for files the record does not hold yet.
    pub fn is_pending(&self, check: Check) -> bool {
        self.pending.contains(&check)
    }

    /// Whether the record was tied to something the person verifying obtained out of band
    /// (the fingerprint or the board's policy). A valid record that is not pinned is only
    /// self-consistent.
    pub fn is_pinned(&self) -> bool {
        self.fingerprint_pinned || self.policy_pinned
    }

    /// Failures of one check.
    pub fn failures_of(&self, check: Check) -> impl Iterator<Item = &Failure> {
        self.failures.iter().filter(move |f| f.check == check)
    }

    fn pass(&mut self, check: Check, items: u64) {
        *self.passed.entry(check).or_default() += items;
    }

    fn fail(&mut self, check: Check, item: impl Into<String>, reason: impl Into<String>) {
        self.failures.push(Failure::new(check, item, reason));
    }

    fn outcome(
        &mut self,
        check: Check,
        item: impl Into<String>,
        result: std::result::Result<(), String>,
    ) -> bool {
        match result {
            Ok(()) => {
                self.pass(check, 1);
                true
            }
            Err(reason) => {
                self.fail(check, item, reason);
                false
            }
        }
    }
}

/// How far [`verify_record`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Up to and including the encrypted tally: what a guardian checks before decrypting (the
    /// record holds no decryption shares or result yet, or they are ignored).
    EncryptedTally,
    /// Everything, up to the result.
    Result,
}

/// Verify the whole record in `dir`: every file, every check, the bulletin board among them,
/// against what the person verifying pinned. The one verdict: callers only show it. A record in
/// progress is verified as far as it goes ([`Report::phase`]); one whose voting has not opened
/// yet (no `context.json`) is an error.
pub fn verify_record(dir: &Path, pins: &Pins, progress: &dyn Progress) -> Result<Report> {
    verify_record_to(dir, pins, Stage::Result, progress)
}

/// Verify the record in `dir` up to `stage` (see [`verify_record`]).
pub fn verify_record_to(
    dir: &Path,
    pins: &Pins,
    stage: Stage,
    progress: &dyn Progress,
) -> Result<Report> {
    let mut report = Report::new();
    if !dir.is_dir() {
        return Err(ElectionError::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such record directory"),
        ));
    }
    let phase = inventory::check_files(&mut report, dir, stage)?;
    if stage == Stage::EncryptedTally && phase == Phase::Voting {
        return Err(ElectionError::Record(format!(
            "{}: voting is still open: there is no encrypted tally ({}) to check yet",
            dir.display(),
            files::ENCRYPTED_TALLY
        )));
    }

    let header: RecordHeader = read_record_json(&dir.join(files::HEADER))?;
    let format_ok = header.format == RECORD_FORMAT && header.version == RECORD_VERSION;
    report.outcome(
        Check::RecordFormat,
        files::HEADER,
        if format_ok {
            Ok(())
        } else {
            Err(format!("format {:?} version {}, this verifier reads {RECORD_FORMAT:?} version {RECORD_VERSION}", header.format, header.version))
        },
    );
    if !format_ok {
        return Ok(report);
    }

    let manifest: Manifest = read_record_json(&dir.join(files::MANIFEST))?;
    let manifest_ok = report.outcome(
        Check::Manifest,
        files::MANIFEST,
        manifest.validate().map_err(|e| e.to_string()),
    );
    let parameters: ElectionParameters = read_record_json(&dir.join(files::PARAMETERS))?;
    let parameters_ok = report.outcome(
        Check::Parameters,
        files::PARAMETERS,
        parameters.validate().map_err(|e| e.to_string()),
    );
    if !manifest_ok || !parameters_ok {
        return Ok(report);
    }
    report.manifest = Some(manifest.clone());

    let ceremony = ceremony_context(&manifest, &parameters)?;
    let guardians: Vec<GuardianPublic> =
        JsonLinesReader::open(&dir.join(files::GUARDIANS))?.read_all()?;
    if guardians.len() != parameters.guardians as usize {
        report.fail(
            Check::GuardianCommitments,
            files::GUARDIANS,
            format!(
                "{} guardians listed, the parameters say {}",
                guardians.len(),
                parameters.guardians
            ),
        );
    }
    for (guardian, expected) in guardians.iter().zip(1u32..) {
        let result = if guardian.index == expected {
            guardian
                .verify(&ceremony, &parameters)
                .map_err(|e| e.to_string())
        } else {
            Err(format!("listed at position {expected}"))
        };
        report.outcome(
            Check::GuardianCommitments,
            format!("guardian {}", guardian.index),
            result,
        );
    }
    ceremony::check_ceremony(&mut report, dir, &ceremony, &guardians)?;

    let credentials = match read_credentials(&dir.join(files::CREDENTIALS))?
        .and_then(|list| list.check_styles(&manifest).map(|()| list))
    {
        Ok(list) => {
            report.pass(Check::CredentialList, list.len() as u64);
            list
        }
        Err(e) => {
            report.fail(Check::CredentialList, files::CREDENTIALS, e.to_string());
            return Ok(report);
        }
    };

    let expected = ElectionContext::compute(&manifest, &parameters, &guardians, &credentials)?;
    let published: ElectionContext = read_record_json(&dir.join(files::CONTEXT))?;
    report.outcome(
        Check::ElectionContext,
        files::CONTEXT,
        published
            .check_against(&expected)
            .map_err(|e| e.to_string()),
    );
    report.fingerprint = Some(expected.base_hash);
    if let Some(pinned) = pins.fingerprint {
        report.fingerprint_pinned = true;
        report.outcome(
            Check::Fingerprint,
            files::CONTEXT,
            if pinned == expected.base_hash {
                Ok(())
            } else {
                Err(format!(
                    "this record is election {}, not the expected {pinned}",
                    expected.base_hash
                ))
            },
        );
    }

    let audit = board::check_board(&mut report, dir, &parameters, pins)?;
    if let Some(audit) = &audit {
        board::check_items(&mut report, dir, audit, stage)?;
    }
    let board_ballots = audit
        .as_ref()
        .map(|a| a.of_kind(&crate::bulletin::kind_name(crate::record::ItemKind::Ballot)));

    // Ballots are checked against the recomputed context, so a forged context.json cannot make
    // them pass.
    let ctx = VotingContext::new(manifest.clone(), &expected);
    let summary = ballots::verify_ballots_on_board(
        &dir.join(files::BALLOTS),
        &ctx,
        &credentials,
        board_ballots,
        progress,
    )?;
    for (check, n) in &summary.passed {
        report.pass(*check, *n);
    }
    report.failures.extend(summary.failures.iter().cloned());
    report.ballots = BallotCounts {
        total: summary.ballots,
        cast: summary.cast,
        challenged: summary.challenged,
        superseded: summary.superseded,
        counted: summary.tally.count,
    };

    if phase == Phase::Voting {
        return Ok(report);
    }
    let published_tally: EncryptedTally = read_record_json(&dir.join(files::ENCRYPTED_TALLY))?;
    let recomputed = summary.tally.to_tally(&manifest);
    check_tally(&mut report, &manifest, &published_tally, &recomputed);
    if stage == Stage::EncryptedTally {
        return Ok(report);
    }

    let shares_path = dir.join(files::DECRYPTION_SHARES);
    let shares: Vec<DecryptionShare> = if shares_path.exists() {
        JsonLinesReader::open(&shares_path)?.read_all()?
    } else {
        Vec::new()
    };
    let mut valid_shares = Vec::new();
    for share in &shares {
        let mut result = tally::verify_share(
            &expected.base_hash,
            &manifest,
            &guardians,
            &published_tally,
            share,
        );
        if result.is_ok()
            && valid_shares
                .iter()
                .any(|s: &DecryptionShare| s.guardian == share.guardian)
        {
            result = Err("a second share from this guardian".into());
        }
        if report.outcome(
            Check::DecryptionShares,
            format!("guardian {}", share.guardian),
            result,
        ) {
            valid_shares.push(share.clone());
        }
    }

    if phase == Phase::Tallied {
        return Ok(report);
    }
    let result: ElectionResult = read_record_json(&dir.join(files::RESULT))?;
    let checked = published_tally
        .flat(&manifest)
        .map_err(|e| e.to_string())
        .and_then(|flat| {
            tally::combine(&parameters, &flat, &valid_shares).map_err(|e| e.to_string())
        })
        .and_then(|points| result.check(&manifest, &points))
        .and_then(|()| result.check_contest_ballots(&published_tally))
        .and_then(|()| {
            if result.counted == report.ballots.counted {
                Ok(())
            } else {
                Err(format!(
                    "{} counted ballots published, {} in the record",
                    result.counted, report.ballots.counted
                ))
            }
        });
    report.outcome(Check::Result, files::RESULT, checked);
    report.result = Some(result);
    Ok(report)
}

fn check_tally(
    report: &mut Report,
    manifest: &Manifest,
    published: &EncryptedTally,
    recomputed: &EncryptedTally,
) {
    if published.ballots != recomputed.ballots {
        report.fail(
            Check::EncryptedTally,
            files::ENCRYPTED_TALLY,
            format!(
                "{} ballots published, {} counted from the record",
                published.ballots, recomputed.ballots
            ),
        );
    }
    if let Err(e) = published.flat(manifest) {
        report.fail(Check::EncryptedTally, files::ENCRYPTED_TALLY, e.to_string());
        return;
    }
    for (p, r) in published.contests.iter().zip(&recomputed.contests) {
        let differing: Vec<&str> = p
            .options
            .iter()
            .zip(&r.options)
            .filter(|(a, b)| a.ciphertext != b.ciphertext)
            .map(|(a, _)| a.option.as_str())
            .collect();
        let result = if p.ballots != r.ballots {
            Err(format!(
                "{} ballots holding the contest published, {} counted from the record",
                p.ballots.map_or("no count of".into(), |n| n.to_string()),
                r.ballots.map_or("no count of".into(), |n| n.to_string())
            ))
        } else if differing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "option(s) {} differ from the sum of the counted ballots",
                differing.join(", ")
            ))
        };
        report.outcome(
            Check::EncryptedTally,
            format!("contest {}", p.contest),
            result,
        );
    }
}

/// Read `credentials.jsonl` line by line into the list. The outer error is a file that cannot
/// be read or parsed; the inner one a list that is not valid (a credential listed twice).
pub fn read_credentials(path: &Path) -> Result<Result<CredentialList>> {
    let mut reader = JsonLinesReader::open(path)?;
    let mut failure = None;
    let entries = std::iter::from_fn(|| match reader.next_item::<CredentialEntry>() {
        Ok(item) => item.map(|(_, entry)| entry),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let list = CredentialList::from_entries(entries);
    match failure {
        Some(e) => Err(e),
        None => Ok(list),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::progress::Progress;
    use crate::simulation::{DemoConfig, VotingPlan, run_demo};

    /// Records every phase with its total and the units reported done.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<(String, u64, u64)>>);

    impl Progress for Recorded {
        fn begin(&self, phase: &str, total: u64) {
            if let Ok(mut phases) = self.0.lock() {
                phases.push((phase.to_string(), total, 0));
            }
        }
        fn advance(&self, done: u64) {
            if let Ok(mut phases) = self.0.lock()
                && let Some(last) = phases.last_mut()
            {
                last.2 += done;
            }
        }
        fn end(&self) {}
    }

    #[test]
    fn ballot_verification_reports_progress_in_ballots() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (board, _) =
            crate::bulletin::create_board(&dir.path().join("board"), "board.example/test")?;
        let config = DemoConfig {
            manifest: Manifest::default_demo()?,
            voters: 5,
            parameters: ElectionParameters::new(1, 1, board.policy())?,
            absent: 0,
            plan: VotingPlan {
                turnout_percent: 100.0,
                // Every voter challenges a ballot first: at 50 %, once in 32 runs no voter
                // did, and the test failed.
                challenge_percent: 100.0,
                revote_percent: 0.0,
            },
        };
        let outcome = run_demo(&config, dir.path(), &crate::progress::Silent)?;
        let recorded = Recorded::default();
        let report = verify_record(&outcome.record, &Pins::default(), &recorded)?;
        // (The demo's board has no shares or result yet: the CLI posts them; not at issue here.)
        assert_eq!(report.failures_of(Check::BallotSignatures).count(), 0);
        let phases = recorded.0.lock().map(|p| p.clone()).unwrap_or_default();
        let ballots = phases
            .iter()
            .find(|(phase, ..)| phase == "verifying ballots")
            .cloned();
        let total = report.ballots.total;
        assert!(total > 5, "challenged ballots too: {total}");
        assert_eq!(
            ballots,
            Some(("verifying ballots".to_string(), total, total))
        );
        Ok(())
    }
}
