//! Checking ballots for the ballot box apart from committing them, so that a server can check
//! the next ballots on every core while the box commits the last ones.
//!
//! A check depends only on the ballot and the election (structure, eligibility on the
//! published roll, signature, proofs, a challenged ballot's opening), never on what the box
//! holds. Whether a checked ballot is new, a repeat, or a conflicting second submission is
//! decided by [`BallotBox::commit`](crate::ballot_box::BallotBox::commit) against the box as it
//! is at its own commit. A [`CheckedBallot`] is made only here, so a ballot reaches the box
//! only with its own checks' outcome.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::context::VotingContext;
use crate::credential::{CredentialEntry, CredentialKey, CredentialList};
use crate::error::{ElectionError, Result};
use crate::verifier::{CanonicalBallot, Spread, check_canonical_ballots};

/// A ballot checked in full against the election, before the box decides whether it is new.
#[derive(Debug)]
pub struct CheckedBallot {
    ballot: CanonicalBallot,
    /// The credential's position on the roll; `None` when it is not listed.
    position: Option<u32>,
    /// The first check it failed, and why; `None` when it passed every check.
    failure: Option<String>,
}

impl CheckedBallot {
    /// The ballot that was checked.
    pub fn ballot(&self) -> &CanonicalBallot {
        &self.ballot
    }

    /// Its credential's position on the roll, once the ballot passed (an unlisted credential
    /// fails the eligibility check).
    pub(crate) fn position(&self) -> Option<u32> {
        self.position
    }

    /// Whether it passed every check.
    ///
    /// # Errors
    /// [`ElectionError::Ballot`] naming the ballot and the first check it failed.
    pub fn verdict(&self) -> Result<()> {
        match &self.failure {
            None => Ok(()),
            Some(reason) => Err(ElectionError::Ballot {
                code: self.ballot.code().to_string(),
                reason: reason.clone(),
            }),
        }
    }
}

/// Checks ballots against one election on any thread, through its own read-only connection to
/// the ballot box's index (for the roll). Made by
/// [`BallotBox::checker`](crate::ballot_box::BallotBox::checker).
pub struct BallotChecker {
    context: VotingContext,
    index: Connection,
    index_path: PathBuf,
}

impl BallotChecker {
    /// Opens the index at `index_path` for reading the roll; ballots are checked against
    /// `context`.
    pub(crate) fn open(context: VotingContext, index_path: &Path) -> Result<Self> {
        let index = Connection::open_with_flags(index_path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sqlite(index_path))?;
        Ok(BallotChecker {
            context,
            index,
            index_path: index_path.to_path_buf(),
        })
    }

    /// Checks `ballots` as the verifier checks them, in groups whose proofs share one batch,
    /// as full as the batch allows ([`Spread::FullGroups`]: the checker runs beside the
    /// server's other work). Returns each ballot with its outcome, in order.
    ///
    /// # Errors
    /// The index cannot be read, or the checks could not run at all (a ballot that fails a
    /// check is not an error: see [`CheckedBallot::verdict`]).
    pub fn check(&self, ballots: Vec<CanonicalBallot>) -> Result<Vec<CheckedBallot>> {
        check_ballots(
            &self.context,
            &self.index,
            &self.index_path,
            ballots,
            Spread::FullGroups,
        )
    }
}

/// [`BallotChecker::check`] through any connection to the index (the box checks with its own).
/// Eligibility is looked up in the index: the list the checks see holds just the listed
/// credentials of these ballots, with their styles from the roll.
pub(crate) fn check_ballots(
    context: &VotingContext,
    index: &Connection,
    index_path: &Path,
    ballots: Vec<CanonicalBallot>,
    spread: Spread,
) -> Result<Vec<CheckedBallot>> {
    let positions: Vec<Option<u32>> = ballots
        .iter()
        .map(|b| credential_position(index, index_path, &b.entry.ballot.credential))
        .collect::<Result<_>>()?;
    let mut listed: Vec<(CredentialKey, u32)> = ballots
        .iter()
        .zip(&positions)
        .filter_map(|(b, position)| Some((b.entry.ballot.credential, (*position)?)))
        .collect();
    listed.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    listed.dedup_by(|a, b| a.0.as_bytes() == b.0.as_bytes());
    let listed = listed
        .into_iter()
        .map(|(key, position)| {
            let style = credential_style(index, index_path, position)?;
            Ok(CredentialEntry { key, style })
        })
        .collect::<Result<Vec<_>>>()?;
    let list = CredentialList::from_entries(listed)?;
    let to_check: Vec<&CanonicalBallot> = ballots.iter().collect();
    let failures = check_canonical_ballots(context, &list, &to_check, spread)?;
    Ok(ballots
        .into_iter()
        .zip(positions)
        .zip(failures)
        .map(|((ballot, position), failures)| CheckedBallot {
            ballot,
            position,
            failure: failures
                .first()
                .map(|f| format!("{}: {}", f.check, f.reason)),
        })
        .collect())
}

/// The credential's position on the roll, if it is listed.
pub(crate) fn credential_position(
    index: &Connection,
    index_path: &Path,
    key: &CredentialKey,
) -> Result<Option<u32>> {
    lookup(
        index,
        index_path,
        "SELECT position FROM credentials WHERE key = ?1",
        [key.as_bytes().as_slice()],
        |r| r.get::<_, i64>(0),
    )
    .map(|p| p.map(|p| p as u32))
}

/// The ballot style the roll gives the credential at `position` (none without styles).
fn credential_style(
    index: &Connection,
    index_path: &Path,
    position: u32,
) -> Result<Option<String>> {
    lookup(
        index,
        index_path,
        "SELECT style FROM credential_styles WHERE position = ?1",
        [i64::from(position)],
        |r| r.get::<_, String>(0),
    )
}

/// One row of a lookup made for every ballot, by a statement prepared once per connection.
pub(crate) fn lookup<T>(
    index: &Connection,
    index_path: &Path,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    index
        .prepare_cached(sql)
        .and_then(|mut statement| statement.query_row(params, read))
        .optional()
        .map_err(sqlite(index_path))
}

/// Names the index in a SQLite error.
pub(crate) fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> ElectionError + '_ {
    move |source| ElectionError::Index {
        path: path.to_path_buf(),
        source,
    }
}
