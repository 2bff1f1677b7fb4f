//! Group commit for many threads appending single entries (a polling-station server, a
//! submission endpoint): while one thread commits a batch, the entries of the others queue up
//! and go into the next transaction together, so the cost of a durable commit is shared.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::board::{Appended, Board};
use crate::entry::Entry;
use crate::error::BoardError;

#[derive(Default)]
struct Queue {
    next_ticket: u64,
    pending: Vec<(u64, Entry)>,
    results: HashMap<u64, Result<Appended, String>>,
    committing: bool,
    commits: u64,
}

/// A board shared by threads, whose appends are committed in groups.
pub struct GroupCommit {
    board: Mutex<Board>,
    queue: Mutex<Queue>,
    done: Condvar,
}

fn poisoned() -> BoardError {
    BoardError::Batch {
        reason: "another thread panicked while appending".into(),
    }
}

impl GroupCommit {
    /// Shares `board` between threads.
    pub fn new(board: Board) -> Self {
        Self {
            board: Mutex::new(board),
            queue: Mutex::new(Queue::default()),
            done: Condvar::new(),
        }
    }

    fn lock_queue(&self) -> Result<MutexGuard<'_, Queue>, BoardError> {
        self.queue.lock().map_err(|_| poisoned())
    }

    /// Appends one entry durably, together with whatever other threads are appending at the
    /// same time; returns when the entry is committed (or was already on the board).
    ///
    /// # Errors
    /// [`BoardError::Batch`] when the transaction the entry was part of failed; nothing of that
    /// batch is stored then.
    pub fn append(&self, entry: Entry) -> Result<Appended, BoardError> {
        let mut queue = self.lock_queue()?;
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push((ticket, entry));
        loop {
            if let Some(result) = queue.results.remove(&ticket) {
                return result.map_err(|reason| BoardError::Batch { reason });
            }
            if queue.committing {
                queue = self.done.wait(queue).map_err(|_| poisoned())?;
                continue;
            }
            // Lead the next group: everything queued so far goes into one transaction.
            queue.committing = true;
            let group = std::mem::take(&mut queue.pending);
            drop(queue);
            let (tickets, entries): (Vec<u64>, Vec<Entry>) = group.into_iter().unzip();
            let outcome = self
                .board
                .lock()
                .map_err(|_| poisoned())
                .and_then(|mut board| board.append_batch(&entries));
            queue = self.lock_queue()?;
            match outcome {
                Ok(acks) => queue
                    .results
                    .extend(tickets.into_iter().zip(acks.into_iter().map(Ok))),
                Err(e) => {
                    let reason = e.to_string();
                    queue
                        .results
                        .extend(tickets.into_iter().map(|t| (t, Err(reason.clone()))));
                }
            }
            queue.committing = false;
            queue.commits += 1;
            self.done.notify_all();
        }
    }

    /// Number of transactions committed so far (fewer than entries when grouping works).
    ///
    /// # Errors
    /// [`BoardError::Batch`] when a thread panicked while appending.
    pub fn commits(&self) -> Result<u64, BoardError> {
        Ok(self.lock_queue()?.commits)
    }

    /// Gives the board back (to sign a checkpoint, publish, read).
    ///
    /// # Errors
    /// [`BoardError::Batch`] when a thread panicked while appending.
    pub fn into_inner(self) -> Result<Board, BoardError> {
        self.board.into_inner().map_err(|_| poisoned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::TrustPolicy;
    use crate::entry::EntryKind;
    use crate::note::{KeyRole, NoteSigner};

    #[test]
    fn threads_share_commits_and_lose_nothing() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/group", KeyRole::Operator)?;
        let board = Board::create(dir.path(), &TrustPolicy::operator_only(op.verifier()))?;
        let group = GroupCommit::new(board);
        let kind = EntryKind::new("election/ballot")?;
        const THREADS: u64 = 8;
        const EACH: u64 = 100;
        let acks = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (group, kind) = (&group, kind.clone());
                    scope.spawn(move || -> Result<Vec<(Entry, Appended)>, BoardError> {
                        (0..EACH)
                            .map(|i| {
                                // Every thread also re-sends entry 0 of thread 0: stored once.
                                let body = if i == EACH - 1 {
                                    "t0 e0".into()
                                } else {
                                    format!("t{t} e{i}")
                                };
                                let entry = Entry::new(kind.clone(), body.into_bytes())?;
                                Ok((entry.clone(), group.append(entry)?))
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(poisoned())))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let commits = group.commits()?;
        let board = group.into_inner()?;
        let size = board.size()?;
        assert_eq!(size, THREADS * (EACH - 1));
        for (entry, ack) in acks.iter().flatten() {
            assert_eq!(&board.entry(ack.index)?, entry);
        }
        // While one commit is on disk the other threads queue up behind it.
        assert!(
            commits < THREADS * EACH / 2,
            "{commits} commits for {} entries",
            THREADS * EACH
        );
        Ok(())
    }
}
