//! Printing verification reports and results for people.

use std::io::Write as _;
use std::path::Path;

use fairtally_board::checkpoint::SignedCheckpoint;
use fairtally_election::check::Check;
use fairtally_election::manifest::Manifest;
use fairtally_election::tally::ElectionResult;
use fairtally_election::verifier::Report;
use serde::Serialize;

use crate::output::counted;

/// Failures printed per check before "and N more".
const SHOWN_FAILURES: usize = 10;

/// Print each named check with its count of passed items, and every failure (up to a limit);
/// a check that waits for files a record in progress does not hold yet says so.
pub fn print_checks(report: &Report) {
    for check in Check::ALL {
        let passed = report.passed.get(&check).copied().unwrap_or(0);
        let failures: Vec<_> = report.failures_of(check).collect();
        if failures.is_empty() && report.is_pending(check) {
            println!(
                "  --     {:<22}   not yet: the record does not hold it yet",
                check.name()
            );
            continue;
        }
        let status = if failures.is_empty() {
            "ok    "
        } else {
            "FAILED"
        };
        let failed = if failures.is_empty() {
            String::new()
        } else {
            format!(", {} failed", failures.len())
        };
        println!("  {status} {:<22} {passed:>9} passed{failed}", check.name());
        for f in failures.iter().take(SHOWN_FAILURES) {
            println!("           {}: {}", f.item, f.reason);
        }
        if failures.len() > SHOWN_FAILURES {
            println!(
                "           ... and {} more",
                failures.len() - SHOWN_FAILURES
            );
        }
    }
    let b = &report.ballots;
    println!(
        "Ballots: {} in the record: {} cast ({} replaced by a re-vote), {} challenged; {} counted",
        b.total, b.cast, b.superseded, b.challenged, b.counted
    );
}

/// Print the result with option titles from the manifest and percentages.
pub fn print_result(manifest: &Manifest, result: &ElectionResult) {
    println!(
        "{} — {}",
        manifest.title,
        counted(result.counted, "counted ballot", "counted ballots")
    );
    for contest in &result.contests {
        let m = manifest.contest(&contest.contest);
        // With ballot styles, a contest's share is of the ballots that held it.
        let held = contest.ballots.unwrap_or(result.counted);
        let on = match contest.ballots {
            Some(n) => format!(" — on {}", counted(n, "counted ballot", "counted ballots")),
            None => String::new(),
        };
        println!(
            "  {}{on}",
            m.map_or(contest.contest.as_str(), |c| c.title.as_str())
        );
        let width = m
            .and_then(|c| c.options.iter().map(|o| o.title.chars().count()).max())
            .unwrap_or(20);
        for option in &contest.options {
            let title = m
                .and_then(|c| c.options.iter().find(|o| o.id == option.option))
                .map_or(option.option.as_str(), |o| o.title.as_str());
            let percent = if held == 0 {
                0.0
            } else {
                100.0 * option.votes as f64 / held as f64
            };
            println!("    {title:<width$}  {:>9}  {percent:5.1}%", option.votes);
        }
    }
}

/// The one-line verdict naming the failed checks and their first items. A record in progress
/// is never "VERIFIED": no result exists to verify.
pub fn verdict(report: &Report) -> String {
    if report.is_valid() && !report.is_complete() {
        let ran = Check::ALL.len() - report.pending.len();
        let pinned = if report.is_pinned() {
            ""
        } else {
            ", self-consistent but not pinned"
        };
        return format!(
            "NO RESULT YET, VALID SO FAR{pinned}: {}; the {} that apply passed, {} for {}.",
            report.phase.describe(),
            counted(ran as u64, "check", "checks"),
            counted(report.pending.len() as u64, "waits", "wait"),
            report.missing.join(", ")
        );
    }
    if report.is_valid() && report.is_pinned() {
        return format!("VERIFIED: all {} checks passed.", Check::ALL.len());
    }
    if report.is_valid() {
        return format!(
            "VERIFIED, SELF-CONSISTENT BUT NOT PINNED: all {} checks passed; compare the fingerprint.",
            Check::ALL.len()
        );
    }
    let mut named: Vec<String> = Vec::new();
    for check in Check::ALL {
        if let Some(first) = report.failures_of(check).next() {
            named.push(format!("{} ({})", check.name(), first.item));
        }
    }
    format!(
        "NOT VERIFIED: {} in: {}",
        counted(report.failures.len() as u64, "failure", "failures"),
        named.join("; ")
    )
}

/// Print what ties the record to the real election: its fingerprint and the board's
/// checkpoint, in the checkpoint's own encoding, and whether either was pinned.
pub fn print_anchors(report: &Report) {
    if let Some(fingerprint) = &report.fingerprint {
        println!("Election fingerprint (base hash): {fingerprint}");
    }
    if let Some(signed) = &report.checkpoint {
        println!("Bulletin board checkpoint (origin, size, root):");
        for line in signed.checkpoint().to_text().lines() {
            println!("  {line}");
        }
    }
    if !report.is_complete() {
        println!(
            "IN PROGRESS: {}. Not there yet: {}.",
            report.phase.describe(),
            report.missing.join(", ")
        );
    }
    if report.is_valid() && !report.is_pinned() {
        println!(
            "NOT PINNED: the record is self-consistent, but nothing ties it to the real election: \
             anyone can make up an election that verifies. Compare the fingerprint above with the \
             one the election authority published (and the checkpoint with what others saw), or \
             run again with --expect FINGERPRINT or --board-policy FILE."
        );
    } else if report.is_pinned() {
        let mut pinned = Vec::new();
        if report.fingerprint_pinned {
            pinned.push("the expected fingerprint");
        }
        if report.policy_pinned {
            pinned.push("the pinned board policy");
        }
        println!("Pinned to {}.", pinned.join(" and "));
    }
}

/// The name of the verification record's format, first field of every record (`--json`).
pub const VERIFICATION_FORMAT: &str = "fairtally-verification/1";

/// The machine-readable verification record `fairtally verify --json` prints (schema in
/// docs/PROTOCOL.md, "The verification record"): the same verdict as the human output.
#[derive(Serialize)]
pub struct VerificationRecord<'a> {
    format: &'static str,
    record: String,
    /// `verified`, `verified-not-pinned`, `valid-so-far`, `valid-so-far-not-pinned` (a record
    /// in progress: no result exists yet) or `not-verified`.
    result: &'static str,
    valid: bool,
    /// `voting`, `tallied` or `complete`.
    phase: &'static str,
    /// The record's files that are not there yet.
    missing: &'a [&'static str],
    pinned: Pinned,
    fingerprint: Option<String>,
    checkpoint: Option<CheckpointView>,
    checks: Vec<CheckView<'a>>,
    ballots: BallotsView,
    tally: Option<&'a ElectionResult>,
    seconds: f64,
}

#[derive(Serialize)]
struct Pinned {
    fingerprint: bool,
    board_policy: bool,
}

/// A checkpoint: its fields, and its text exactly as signed (what others compare).
#[derive(Serialize)]
pub struct CheckpointView {
    origin: String,
    size: u64,
    root: String,
    text: String,
}

impl CheckpointView {
    /// The view of a signed checkpoint.
    pub fn of(signed: &SignedCheckpoint) -> Self {
        let cp = signed.checkpoint();
        CheckpointView {
            origin: cp.origin.clone(),
            size: cp.size,
            root: hex::encode(cp.root),
            text: cp.to_text(),
        }
    }
}

#[derive(Serialize)]
struct CheckView<'a> {
    name: &'static str,
    /// `passed`, `failed` or `pending` (waits for files the record does not hold yet).
    status: &'static str,
    passed: u64,
    failed: usize,
    failures: Vec<FailureView<'a>>,
}

#[derive(Serialize)]
struct FailureView<'a> {
    item: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct BallotsView {
    total: u64,
    cast: u64,
    challenged: u64,
    superseded: u64,
    counted: u64,
}

impl<'a> VerificationRecord<'a> {
    /// The record of `report`, for the record directory `record`, verified in `seconds`.
    /// The tally is included only when the record is valid, as in the human output.
    pub fn new(record: &Path, report: &'a Report, seconds: f64) -> Self {
        let checks = Check::ALL
            .iter()
            .map(|&check| {
                let failures: Vec<FailureView<'a>> = report
                    .failures_of(check)
                    .map(|f| FailureView {
                        item: &f.item,
                        reason: &f.reason,
                    })
                    .collect();
                let status = if !failures.is_empty() {
                    "failed"
                } else if report.is_pending(check) {
                    "pending"
                } else {
                    "passed"
                };
                CheckView {
                    name: check.name(),
                    status,
                    passed: report.passed.get(&check).copied().unwrap_or(0),
                    failed: failures.len(),
                    failures,
                }
            })
            .collect();
        let b = &report.ballots;
        VerificationRecord {
            format: VERIFICATION_FORMAT,
            record: record.display().to_string(),
            result: match (report.is_valid(), report.is_complete(), report.is_pinned()) {
                (true, true, true) => "verified",
                (true, true, false) => "verified-not-pinned",
                (true, false, true) => "valid-so-far",
                (true, false, false) => "valid-so-far-not-pinned",
                (false, _, _) => "not-verified",
            },
            valid: report.is_valid(),
            phase: report.phase.name(),
            missing: &report.missing,
            pinned: Pinned {
                fingerprint: report.fingerprint_pinned,
                board_policy: report.policy_pinned,
            },
            fingerprint: report.fingerprint.as_ref().map(|f| f.to_hex()),
            checkpoint: report.checkpoint.as_ref().map(CheckpointView::of),
            checks,
            ballots: BallotsView {
                total: b.total,
                cast: b.cast,
                challenged: b.challenged,
                superseded: b.superseded,
                counted: b.counted,
            },
            tally: report.result.as_ref().filter(|_| report.is_valid()),
            seconds,
        }
    }
}

/// Print `value` as pretty JSON on stdout, the only thing on stdout in `--json` mode.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
