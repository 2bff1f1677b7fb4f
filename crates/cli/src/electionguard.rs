//! `fairtally verify PATH` on an ElectionGuard record: detection, the `--format` override,
//! printing the steps and the verified result, and `--json FILE`. The verdict comes whole
//! from `fairtally-electionguard`; this module only shows it.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use fairtally_electionguard::{Options, Report};

/// Which verifier `fairtally verify` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An electionguard-python 0.95 or 1.x record (or the 1.91 sample's layout).
    #[value(name = "electionguard-1")]
    ElectionGuard1,
    /// An ElectionGuard 2.0 record.
    #[value(name = "electionguard-2")]
    ElectionGuard2,
    /// A fairtally record.
    Fairtally,
}

/// The flags of `fairtally verify` that concern ElectionGuard records.
#[derive(Args, Debug, Default)]
pub struct ElectionGuardArgs {
    /// The record's format; detected from its files when absent.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Accept an ElectionGuard record made with a non-standard (test) group, such as the
    /// electionguard-python 1.0 hamilton-general sample: its proofs protect nothing.
    #[arg(long)]
    pub allow_test_group: bool,
}

/// Whether `path` looks like an ElectionGuard record (a directory or a `.zip`).
pub fn looks_like_electionguard(path: &Path) -> bool {
    fairtally_electionguard::looks_like_record(path)
}

/// The hook `fairtally verify` calls first: verifies `path` as an ElectionGuard record if the
/// format says so or, without `--format`, if it looks like one; `None` leaves it to
/// fairtally's own verifier.
/// With `json`, the report (each step with its counts, failures named, and the `result`:
/// contest id → selection id → count) is printed as JSON on stdout instead.
pub fn hook(path: &Path, args: &ElectionGuardArgs, json: bool) -> anyhow::Result<Option<ExitCode>> {
    let version = match args.format {
        Some(Format::Fairtally) => return Ok(None),
        Some(Format::ElectionGuard1) => Some(Kind::One),
        Some(Format::ElectionGuard2) => Some(Kind::Two),
        None if looks_like_electionguard(path) => None,
        None => return Ok(None),
    };
    run(
        path,
        version,
        json,
        Options {
            allow_test_group: args.allow_test_group,
        },
    )
    .map(Some)
}

/// A version forced by `--format`.
#[derive(Clone, Copy)]
pub enum Kind {
    /// electionguard-python 0.95 / 1.x, and the 1.91 layout.
    One,
    /// ElectionGuard 2.0.
    Two,
}

/// Verify the ElectionGuard record at `path`, print every step and the result, write the
/// report as JSON instead when asked. Exit 0 verified, 1 a check failed, 2 unusable input.
pub fn run(
    path: &Path,
    kind: Option<Kind>,
    json: bool,
    options: Options,
) -> anyhow::Result<ExitCode> {
    crate::output::status(&format!(
        "Verifying the ElectionGuard record in {}",
        path.display()
    ));
    let start = std::time::Instant::now();
    let files = match fairtally_electionguard::Files::read(path) {
        Ok(files) => files,
        Err(error) => return unusable(&error),
    };
    let detected = match fairtally_electionguard::detect(&files) {
        Ok(v) => v,
        Err(error) => return unusable(&error),
    };
    let version = match (kind, detected) {
        (None, Some(v)) => v,
        (Some(kind), Some(v)) if kind.matches(v) => v,
        (Some(_), Some(v)) => {
            eprintln!(
                "error: --format does not match the record, which is {}",
                v.name()
            );
            return Ok(ExitCode::from(2));
        }
        (_, None) => {
            eprintln!(
                "error: {} is not an ElectionGuard record this verifier reads",
                path.display()
            );
            return Ok(ExitCode::from(2));
        }
    };
    crate::output::status(&format!("Format: {}", version.name()));
    let report = match fairtally_electionguard::verify_files(&files, Some(version), options) {
        Ok(report) => report,
        Err(error) => return unusable(&error),
    };
    if json {
        crate::report::print_json(&report.to_json())?;
    } else {
        print_report(&report);
        println!("Verified in {:.2} s.", start.elapsed().as_secs_f64());
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

impl Kind {
    fn matches(self, version: fairtally_electionguard::Version) -> bool {
        use fairtally_electionguard::Version;
        matches!(
            (self, version),
            (Kind::One, Version::One(_) | Version::OneNinetyOne) | (Kind::Two, Version::Two)
        )
    }
}

fn unusable(error: &fairtally_electionguard::Error) -> anyhow::Result<ExitCode> {
    eprintln!("error: the record cannot be verified: {error}");
    Ok(ExitCode::from(2))
}

fn print_report(report: &Report) {
    for step in &report.steps {
        let mark = if step.ok() { "ok    " } else { "FAILED" };
        println!(
            "{mark} {:>4} {}: {} passed, {} failed",
            step.id, step.name, step.passed, step.failed
        );
        for f in &step.failures {
            println!("         {}: {}", f.item, f.reason);
        }
        if step.failed as usize > step.failures.len() {
            println!(
                "         ... and {} more",
                step.failed as usize - step.failures.len()
            );
        }
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    println!(
        "{} cast and {} spoiled ballots.",
        report.cast_ballots, report.spoiled_ballots
    );
    if report.is_valid() {
        println!("Verified result:");
        for contest in &report.contests {
            println!("  {} ({})", contest.name, contest.id);
            for s in &contest.selections {
                println!("    {:>8}  {} ({})", s.count, s.name, s.id);
            }
        }
        println!("VERIFIED: every step of the specification passed.");
    } else if let Some(step) = report.first_failure() {
        println!(
            "FAILED: the record does not verify (first failed step: {} {}).",
            step.id, step.name
        );
    }
}
