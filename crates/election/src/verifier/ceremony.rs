//! The key ceremony among the verifier's checks: `ceremony-shares.jsonl` must be the complete
//! set of share messages, one from every guardian to every other in their canonical order, each
//! signed by its sender; `ceremony-complaints.jsonl` must be empty, and every complaint it holds
//! is judged and named. Both files are read with a bound: a ceremony of n guardians has
//! n(n − 1) messages and at most as many complaints; a file of more than twice that many lines
//! is not read further.

use std::path::Path;

use fairtally_crypto::hash::Digest;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Report;
use crate::ceremony::{Complaint, Problem, ShareMessage, audit_complaints, audit_messages};
use crate::check::Check;
use crate::error::Result;
use crate::guardian::GuardianPublic;
use crate::record::{JsonLinesReader, files};

/// Failures listed per check before the rest are summed up.
const LISTED: usize = 20;

/// Checks the ceremony's messages and complaints against the published guardians.
pub(super) fn check_ceremony(
    report: &mut Report,
    dir: &Path,
    context: &Digest,
    guardians: &[GuardianPublic],
) -> Result<()> {
    let n = guardians.len() as u64;
    let bound = 2 * n * n.saturating_sub(1);
    let messages: Vec<ShareMessage> = match read_bounded(
        report,
        Check::CeremonyShares,
        dir,
        files::CEREMONY_SHARES,
        bound,
    )? {
        Some(messages) => messages,
        None => return Ok(()),
    };
    let problems = audit_messages(context, guardians, &messages);
    report.pass(
        Check::CeremonyShares,
        (messages.len() as u64)
            .saturating_sub(problems.iter().filter(|p| p.line.is_some()).count() as u64),
    );
    list(report, Check::CeremonyShares, &problems);

    let Some(complaints) = read_bounded::<Complaint>(
        report,
        Check::CeremonyComplaints,
        dir,
        files::CEREMONY_COMPLAINTS,
        bound,
    )?
    else {
        return Ok(());
    };
    report.pass(Check::CeremonyComplaints, 0);
    let problems = audit_complaints(context, guardians, &messages, &complaints);
    list(report, Check::CeremonyComplaints, &problems);
    Ok(())
}

/// Reads the items of `file`, at most `bound` of them; more is a failure of the file's check
/// (and `None`: the file is not judged further).
fn read_bounded<T: Serialize + DeserializeOwned>(
    report: &mut Report,
    check: Check,
    dir: &Path,
    file: &str,
    bound: u64,
) -> Result<Option<Vec<T>>> {
    let mut reader = JsonLinesReader::open(&dir.join(file))?;
    let mut items = Vec::new();
    while let Some((line, item)) = reader.next_item()? {
        if line > bound {
            report.fail(
                check,
                format!("{file} line {line}"),
                format!(
                    "more than {bound} lines: twice the messages of a ceremony of these guardians"
                ),
            );
            return Ok(None);
        }
        items.push(item);
    }
    Ok(Some(items))
}

fn list(report: &mut Report, check: Check, problems: &[Problem]) {
    for problem in problems.iter().take(LISTED) {
        let (from, to) = (problem.from, problem.to);
        let mut item = match check {
            Check::CeremonyShares => format!("share from guardian {from} to guardian {to}"),
            _ => format!("complaint by guardian {to} against guardian {from}"),
        };
        if let Some(line) = problem.line {
            item.push_str(&format!(" (line {line})"));
        }
        report.fail(check, item, problem.reason.clone());
    }
    if problems.len() > LISTED {
        report.fail(
            check,
            format!("{} more", problems.len() - LISTED),
            "further problems of the same check, not listed",
        );
    }
}
