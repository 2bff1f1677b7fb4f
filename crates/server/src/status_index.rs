//! Every accepted ballot's place and status, in memory, so that a lookup by confirmation code
//! costs a hash-map probe, not a pass over `ballots.jsonl`.
//!
//! Loaded once from the board (board order is the ballot box's order, see
//! [`fairtally_election::ballot_box`]) and kept up to date by the ballot box's thread as it
//! accepts. The status follows the verifier's re-vote rule
//! ([`fairtally_election::ballot_box::revote_statuses`]): among a credential's cast ballots the
//! last counts, earlier ones are superseded; challenged ballots never count.

use std::collections::HashMap;
use std::sync::RwLock;

use fairtally_board::board::Board;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_election::ballot::{Intent, LineSummary};
use fairtally_election::ballot_box::BallotStatus;
use fairtally_election::bulletin::board_entry;
use fairtally_election::confirmation_code::ConfirmationCode;
use fairtally_election::record::ItemKind;
use fairtally_election::record_entries;

use crate::error::ServerError;

/// Board entries read at a time when the index is loaded.
const LOAD_CHUNK: u64 = 1024;

/// Where an accepted ballot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    /// Its entry on the board.
    pub board_index: u64,
    /// Its position in the ballot box (0-based).
    pub position: u64,
    /// Cast or challenged.
    pub intent: Intent,
    credential: [u8; 32],
}

#[derive(Default)]
struct Inner {
    by_code: HashMap<ConfirmationCode, Located>,
    /// Per credential, the position of its last cast ballot.
    last_cast: HashMap<[u8; 32], u64>,
}

/// The in-memory index of accepted ballots.
#[derive(Default)]
pub struct StatusIndex {
    inner: RwLock<Inner>,
}

/// The board entry kind of ballots.
pub fn ballot_kind() -> Result<EntryKind, ServerError> {
    let entry = board_entry(record_entries::Entry {
        kind: ItemKind::Ballot,
        bytes: b"{}".to_vec(),
    })?;
    Ok(entry.kind().clone())
}

impl StatusIndex {
    /// Adds every ballot entry of `board` (called once, on an empty index).
    ///
    /// # Errors
    /// Board errors; a ballot entry that is not a ballot line.
    pub fn load_from(&self, board: &Board) -> Result<(), ServerError> {
        let kind = ballot_kind()?;
        let size = board.size()?;
        let mut position = 0;
        let mut from = 0;
        while from < size {
            let to = size.min(from + LOAD_CHUNK);
            for (data, board_index) in board.leaf_data(from, to)?.iter().zip(from..) {
                let entry = Entry::from_leaf_data(data, &format!("board entry {board_index}"))?;
                if *entry.kind() != kind {
                    continue;
                }
                let summary =
                    LineSummary::read(entry.body()).ok_or_else(|| ServerError::ElectionDir {
                        path: board.dir().to_owned(),
                        reason: format!("board entry {board_index} is not a ballot line"),
                    })?;
                self.insert(
                    ConfirmationCode::from_hash(&summary.hash),
                    summary.credential,
                    Located {
                        board_index,
                        position,
                        intent: summary.intent,
                        credential: summary.credential,
                    },
                );
                position += 1;
            }
            from = to;
        }
        Ok(())
    }

    /// Records a newly accepted ballot.
    pub fn accepted(
        &self,
        code: ConfirmationCode,
        credential: [u8; 32],
        board_index: u64,
        position: u64,
        intent: Intent,
    ) {
        self.insert(
            code,
            credential,
            Located {
                board_index,
                position,
                intent,
                credential,
            },
        );
    }

    fn insert(&self, code: ConfirmationCode, credential: [u8; 32], located: Located) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if located.intent == Intent::Cast {
            let last = inner
                .last_cast
                .entry(credential)
                .or_insert(located.position);
            *last = (*last).max(located.position);
        }
        inner.by_code.insert(code, located);
    }

    /// The ballot with this code and its status, if it is in the box.
    pub fn lookup(&self, code: &ConfirmationCode) -> Option<(Located, BallotStatus)> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let located = *inner.by_code.get(code)?;
        let status = match located.intent {
            Intent::Challenge => BallotStatus::Challenged,
            Intent::Cast if inner.last_cast.get(&located.credential) == Some(&located.position) => {
                BallotStatus::Cast
            }
            Intent::Cast => BallotStatus::Superseded,
        };
        Some((located, status))
    }

    /// The number of ballots indexed.
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_code
            .len()
    }

    /// Whether no ballot is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
