//! The bulletin board among the verifier's checks: the record's copy of its board is audited
//! whole under the board policy in the election's parameters (and the policy the person
//! verifying pinned, if any); then every item of the record must be the board's entry of its
//! kind at the same position, and every `election/*` entry of the board an item of the record.
//! Ballots are compared line by line while they are verified ([`super::ballots`]).

use std::collections::HashMap;
use std::path::Path;

use super::{Pins, Report, Stage};
use crate::bulletin::audit::{BoardAudit, audit_board};
use crate::bulletin::{BOARD_DIR, ELECTION_KIND_PREFIX, board_entry, kind_name};
use crate::check::Check;
use crate::error::Result;
use crate::parameters::ElectionParameters;
use crate::record::ItemKind;
use crate::record_entries::for_each_entry_except;

/// Failures listed per kind before the rest are summed up.
const LISTED: usize = 20;

/// Audits `RECORD/board/` under the election's board policy. `None` when there is nothing
/// trustworthy to compare the record with (no board, or no verified checkpoint): that is a
/// failure already reported.
pub(super) fn check_board(
    report: &mut Report,
    dir: &Path,
    parameters: &ElectionParameters,
    pins: &Pins,
) -> Result<Option<BoardAudit>> {
    let policy = parameters.board_policy()?;
    if let Some(pinned) = &pins.board_policy {
        report.policy_pinned = true;
        report.outcome(
            Check::BoardCheckpoint,
            "pinned board policy",
            if *pinned == policy {
                Ok(())
            } else {
                Err(format!(
                    "the election's parameters name the board {:?} with other keys or another \
                     quorum than the policy you pinned",
                    policy.origin()
                ))
            },
        );
    }
    let board = dir.join(BOARD_DIR);
    if !board.is_dir() {
        report.fail(
            Check::BoardCheckpoint,
            format!("{BOARD_DIR}/"),
            "missing: without its bulletin board the record's order and completeness cannot be \
             checked (the authority publishes it with `fairtally authority post`)",
        );
        return Ok(None);
    }
    let audit = audit_board(&board, &policy)?;
    for (file, reason) in &audit.problems {
        let check = if audit.checkpoint.is_none() && file == "checkpoint" {
            Check::BoardCheckpoint
        } else {
            Check::BoardFiles
        };
        report.fail(check, format!("{BOARD_DIR}/{file}"), reason.clone());
    }
    report.pass(Check::BoardFiles, audit.files);
    report.checkpoint = audit.checkpoint.clone();
    match &audit.checkpoint {
        Some(_) => {
            report.pass(Check::BoardCheckpoint, 1);
            Ok(Some(audit))
        }
        None => Ok(None),
    }
}

/// Compares every item of the record but the ballots with the board's entries of its kind,
/// position by position, both ways.
pub(super) fn check_items(
    report: &mut Report,
    dir: &Path,
    audit: &BoardAudit,
    stage: Stage,
) -> Result<()> {
    let mut skip = vec![ItemKind::Ballot];
    if stage == Stage::EncryptedTally {
        skip.extend([ItemKind::DecryptionShare, ItemKind::Result]);
    }
    let mut counts: HashMap<ItemKind, usize> = HashMap::new();
    let mut listed: HashMap<ItemKind, usize> = HashMap::new();
    for_each_entry_except(dir, &skip, |item| {
        let kind = item.kind;
        let position = *counts.entry(kind).and_modify(|n| *n += 1).or_insert(1) - 1;
        let on_board = audit.of_kind(&kind_name(kind));
        let leaf = board_entry(item)?.leaf_hash();
        match on_board.get(position) {
            Some(entry) if entry.leaf_hash == leaf => report.pass(Check::BoardContents, 1),
            // The header says which format the record is in; a board may leave it out.
            None if kind == ItemKind::Header => report.pass(Check::BoardContents, 1),
            found => {
                let shown = listed.entry(kind).or_default();
                *shown += 1;
                if *shown <= LISTED {
                    let reason = match found {
                        Some(entry) => format!(
                            "the board's {} entry at this position (log index {}) is another item",
                            kind.name(),
                            entry.index
                        ),
                        None => format!(
                            "not on the board: it holds only {} {} entries",
                            on_board.len(),
                            kind.name()
                        ),
                    };
                    report.fail(
                        Check::BoardContents,
                        format!("{} #{}", kind.name(), position + 1),
                        reason,
                    );
                }
            }
        }
        Ok(())
    })?;
    for (name, entries) in &audit.entries {
        let Some(rest) = name.strip_prefix(ELECTION_KIND_PREFIX) else {
            continue;
        };
        let kind = ItemKind::ALL.iter().copied().find(|k| k.name() == rest);
        let held = match kind {
            None => {
                report.fail(
                    Check::BoardContents,
                    format!("board entries of kind {name}"),
                    format!(
                        "{} entries of a kind no election record holds",
                        entries.len()
                    ),
                );
                continue;
            }
            Some(kind) if skip.contains(&kind) => continue,
            Some(kind) => counts.get(&kind).copied().unwrap_or(0),
        };
        for (position, entry) in entries.iter().enumerate().skip(held).take(LISTED) {
            report.fail(
                Check::BoardContents,
                format!("board entry {} ({name} #{})", entry.index, position + 1),
                "on the board but not in the record",
            );
        }
    }
    Ok(())
}
