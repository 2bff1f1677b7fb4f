//! The ballot box's one owner, and the checker that runs ahead of it: two threads that drain a
//! bounded queue of submissions in batches (group commit) and answer each through its own
//! oneshot channel.
//!
//! Work on a batch is split in two stages that run at the same time on different batches:
//!
//! - the **checker** thread takes whatever waits in the queue when it is free, parses every
//!   request body of it (every point decoded and validated, the canonical line and the ballot
//!   hash made once) and checks every ballot in full ([`BallotChecker::check`]): structure,
//!   eligibility, signature, proofs, which depend only on the ballot and the election. Both
//!   steps run on every core, as the offline verifier parses and checks a block. A ballot
//!   that fails is refused at once, with its own reason (`400` for a body that is not a
//!   signed ballot).
//! - the **box** thread owns the [`BallotBox`] (it holds the record's lock and is not `Sync`).
//!   It takes every checked batch that waits, and commits them together
//!   ([`BallotBox::commit`]): the repeat and conflict decisions against the box as it is now,
//!   then one board transaction and one fsync for all of them, then the answers.
//!
//! So the next ballots are checked while the last ones are committed, and the cores are not
//! idle during the fsyncs. Requests that arrive meanwhile make up the next batch, so batches
//! grow with the load. A client is told its ballot is accepted only by the box thread, after
//! the commit that put it on the board.
//!
//! `commit` refuses a whole batch when one ballot cannot be added (a different line for a
//! ballot in the box). The box thread then answers that ballot's client with the reason and
//! retries the others; if a second ballot of the same batch fails it falls back to one ballot
//! per commit, so every client gets its own ballot's verdict.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use fairtally_board::board::Board;
use fairtally_election::ElectionError;
use fairtally_election::ballot::BallotEntry;
use fairtally_election::ballot_box::{Accepted, BallotBox};
use fairtally_election::ballot_checker::{BallotChecker, CheckedBallot};
use fairtally_election::verifier::CanonicalBallot;
use rayon::prelude::*;
use tokio::sync::{mpsc, oneshot};

use crate::ServeLimits;
use crate::election_dir::ElectionDir;
use crate::error::{ApiError, ServerError};
use crate::metrics::Metrics;

/// Seconds a client is told to wait when the queue is full.
const BUSY_RETRY_SECONDS: u64 = 1;

/// Seconds a client is told to wait when voting is closed (it will not reopen soon).
const CLOSED_RETRY_SECONDS: u64 = 3600;

type Reply = oneshot::Sender<Result<Accepted, ApiError>>;

struct Submission {
    body: Bytes,
    reply: Reply,
}

/// Checked batches that may wait for the box thread before the checker waits too: the box
/// commits them all at once, so a slow commit makes the next one larger, not later.
const CHECKED_AHEAD: usize = 4;

/// A batch the checker thread hands to the box thread: the ballots that passed, each with its
/// reply, and how long their checks took.
struct CheckedBatch {
    ballots: Vec<(CheckedBallot, Reply)>,
    checked_in: Duration,
}

/// The handle requests use to submit ballots to the ballot box's thread.
#[derive(Clone)]
pub struct BallotQueue {
    sender: mpsc::Sender<Submission>,
    /// Ballots in the box, as its thread last counted them.
    ballots: Arc<AtomicU64>,
}

/// The running ballot box thread; [`BallotBoxThread::join`] waits until it has committed every
/// queued ballot (after every [`BallotQueue`] handle is dropped).
pub struct BallotBoxThread {
    handle: JoinHandle<()>,
}

impl BallotBoxThread {
    /// Waits for the thread to finish the queue and release the ballot box.
    ///
    /// # Errors
    /// [`ServerError::BallotBoxStopped`] when the thread panicked.
    pub fn join(self) -> Result<(), ServerError> {
        self.handle
            .join()
            .map_err(|_| ServerError::BallotBoxStopped("its thread panicked".into()))
    }
}

impl BallotQueue {
    /// Opens the ballot box of `election` on its own thread (taking the record's lock,
    /// repairing an interrupted accept) and starts draining the queue. Returns once the box is open, or with the reason it could not be.
    ///
    /// # Errors
    /// The election's or the board's error when the box cannot be opened.
    pub fn start(
        election: &ElectionDir,
        limits: &ServeLimits,
        metrics: Arc<Metrics>,
    ) -> Result<(BallotQueue, BallotBoxThread), ServerError> {
        let (sender, receiver) = mpsc::channel(limits.max_pending_ballots.max(1));
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let ballots = Arc::new(AtomicU64::new(0));
        let owner = Owner {
            election: election.clone(),
            ballots: ballots.clone(),
            metrics,
            max_batch: limits.max_batch.max(1),
        };
        let handle = std::thread::Builder::new()
            .name("ballot-box".into())
            .spawn(move || owner.run(receiver, ready_tx))
            .map_err(|e| ServerError::BallotBoxStopped(format!("cannot start its thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok((BallotQueue { sender, ballots }, BallotBoxThread { handle })),
            Ok(Err(e)) => {
                let _ = handle.join();
                Err(e)
            }
            Err(_) => Err(ServerError::BallotBoxStopped(
                "its thread stopped while opening the box".into(),
            )),
        }
    }

    /// Submits one ballot, as the request carried it, and waits until it is durably on the board
    /// (or refused).
    ///
    /// # Errors
    /// `503` when the queue is full or the server is shutting down; the ballot's refusal.
    pub async fn submit(&self, body: Bytes) -> Result<Accepted, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .try_send(Submission { body, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => ApiError::unavailable(
                    "the ballot box is busy; retry shortly",
                    BUSY_RETRY_SECONDS,
                ),
                mpsc::error::TrySendError::Closed(_) => {
                    ApiError::unavailable("the server is shutting down", BUSY_RETRY_SECONDS)
                }
            })?;
        answer.await.map_err(|_| {
            ApiError::unavailable(
                "the ballot box stopped before answering",
                BUSY_RETRY_SECONDS,
            )
        })?
    }

    /// Ballots in the box (as of its last commit).
    pub fn ballots(&self) -> u64 {
        self.ballots.load(Ordering::Relaxed)
    }

    /// Ballots waiting in the queue.
    pub fn pending(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }
}

/// What the ballot box's thread owns besides the box.
struct Owner {
    election: ElectionDir,
    ballots: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    max_batch: usize,
}

impl Owner {
    fn run(
        self,
        receiver: mpsc::Receiver<Submission>,
        ready: std::sync::mpsc::SyncSender<Result<(), ServerError>>,
    ) {
        let opened = self.election.operator().and_then(|operator| {
            let board = Board::open(&self.election.board)?;
            Ok((operator, board))
        });
        let (operator, board) = match opened {
            Ok(parts) => parts,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let mut ballot_box = match BallotBox::open(&self.election.record, board, &operator) {
            Ok(ballot_box) => ballot_box,
            Err(e) => {
                let _ = ready.send(Err(e.into()));
                return;
            }
        };
        self.ballots.store(ballot_box.len(), Ordering::Relaxed);
        let checker = match ballot_box.checker() {
            Ok(checker) => checker,
            Err(e) => {
                let _ = ready.send(Err(e.into()));
                return;
            }
        };
        let (checked_tx, checked_rx) = std::sync::mpsc::sync_channel(CHECKED_AHEAD);
        let stage = Checker {
            checker,
            max_batch: self.max_batch,
            election: self.election.clone(),
        };
        let checker = std::thread::Builder::new()
            .name("ballot-checker".into())
            .spawn(move || stage.run(receiver, checked_tx));
        let checker = match checker {
            Ok(handle) => handle,
            Err(e) => {
                let _ = ready.send(Err(ServerError::BallotBoxStopped(format!(
                    "cannot start its checker thread: {e}"
                ))));
                return;
            }
        };
        tracing::info!(
            ballots = ballot_box.len(),
            "ballot box open: {}",
            self.election.record.display()
        );
        if ready.send(Ok(())).is_err() {
            return;
        }
        // Ends when the checker has passed on its last batch and stopped.
        while let Ok(first) = checked_rx.recv() {
            let mut checked_in = first.checked_in;
            let mut ballots = first.ballots;
            for more in checked_rx.try_iter() {
                checked_in += more.checked_in;
                ballots.extend(more.ballots);
                if ballots.len() >= self.max_batch {
                    break;
                }
            }
            self.accept_batch(&mut ballot_box, ballots, checked_in);
            self.ballots.store(ballot_box.len(), Ordering::Relaxed);
        }
        if checker.join().is_err() {
            tracing::error!("the ballot checker thread panicked");
        }
        tracing::info!(ballots = ballot_box.len(), "ballot box closed for this run");
    }

    /// Commits checked ballots, isolating any the box refuses (see the module documentation).
    fn accept_batch(
        &self,
        ballot_box: &mut BallotBox<'_>,
        batch: Vec<(CheckedBallot, Reply)>,
        mut checked_in: Duration,
    ) {
        let (mut entries, mut replies): (Vec<CheckedBallot>, Vec<Reply>) =
            batch.into_iter().unzip();
        let mut failures = 0;
        while !entries.is_empty() {
            let started = Instant::now();
            let outcome = ballot_box.commit(&entries);
            self.metrics
                .observe_batch(entries.len(), checked_in + started.elapsed());
            checked_in = Duration::ZERO;
            let error = match outcome {
                Ok(accepted) => {
                    self.answer(replies, accepted);
                    return;
                }
                Err(error) => error,
            };
            failures += 1;
            let culprit = match &error {
                ElectionError::Ballot { code, .. } => entries
                    .iter()
                    .position(|e| e.ballot().code().to_string() == *code),
                _ => None,
            };
            match culprit {
                _ if entries.len() == 1 => {
                    refuse(&self.election, replies.remove(0), &error);
                    return;
                }
                Some(i) if failures < 2 => {
                    entries.remove(i);
                    refuse(&self.election, replies.remove(i), &error);
                }
                _ => {
                    // Not attributable to one ballot, or a second failure: one at a time.
                    for (entry, reply) in entries.into_iter().zip(replies) {
                        let started = Instant::now();
                        let outcome = ballot_box.commit(std::slice::from_ref(&entry));
                        self.metrics.observe_batch(1, started.elapsed());
                        match outcome {
                            Ok(accepted) => self.answer(vec![reply], accepted),
                            Err(error) => refuse(&self.election, reply, &error),
                        }
                    }
                    return;
                }
            }
        }
    }

    fn answer(&self, replies: Vec<Reply>, accepted: Vec<Accepted>) {
        // Each ballot is in the box's index (committed before the answer), where
        // `GET /api/v1/ballots/{code}` finds it.
        for (reply, accepted) in replies.into_iter().zip(accepted) {
            if accepted.new {
                self.metrics.ballots_accepted.inc();
            }
            // A client that gave up is not an error: its ballot is on the board, and sending
            // it again gets the same answer.
            let _ = reply.send(Ok(accepted));
        }
    }
}

/// Answers a refused ballot's client: `422` with the reason for the ballot's own fault, `503`
/// with `Retry-After` when voting is closed or the board is out of reach.
fn refuse(election: &ElectionDir, reply: Reply, error: &ElectionError) {
    let refusal = if election.voting_closed() {
        ApiError::unavailable("voting is closed", CLOSED_RETRY_SECONDS)
    } else {
        match error {
            ElectionError::Ballot { .. }
            | ElectionError::Credential(_)
            | ElectionError::Crypto { .. }
            | ElectionError::Choices(_)
            | ElectionError::Board(fairtally_board::BoardError::EntryTooLarge { .. }) => {
                ApiError::unprocessable(error.to_string())
            }
            // PostgreSQL restarting or out of reach: the client sends the ballot again.
            ElectionError::Board(board) => {
                ApiError::board_unavailable(board).unwrap_or_else(|| ApiError::internal(error))
            }
            other => ApiError::internal(other),
        }
    };
    let _ = reply.send(Err(refusal));
}

/// A ballot as the request carried it, parsed (every point decoded and validated), encoded and
/// hashed once: the box checks and stores what this made.
fn parse(body: &[u8]) -> Result<CanonicalBallot, ApiError> {
    let entry: BallotEntry = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("not a signed ballot: {e}")))?;
    CanonicalBallot::new(entry).map_err(|e| ApiError::internal(&e))
}

/// The checker stage (see the module documentation).
struct Checker {
    checker: BallotChecker,
    max_batch: usize,
    election: ElectionDir,
}

impl Checker {
    /// Drains the queue in batches, checks each, refuses the ballots that fail and hands the
    /// rest to the box thread. Ends when every [`BallotQueue`] handle is dropped and the queue
    /// is empty, or when the box thread is gone.
    fn run(
        self,
        mut receiver: mpsc::Receiver<Submission>,
        checked: std::sync::mpsc::SyncSender<CheckedBatch>,
    ) {
        while let Some(first) = receiver.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let started = Instant::now();
            let parsed: Vec<(Result<CanonicalBallot, ApiError>, Reply)> = batch
                .into_par_iter()
                .map(|s| (parse(&s.body), s.reply))
                .collect();
            let mut ballots = Vec::with_capacity(parsed.len());
            let mut replies = Vec::with_capacity(parsed.len());
            for (ballot, reply) in parsed {
                match ballot {
                    Ok(ballot) => {
                        ballots.push(ballot);
                        replies.push(reply);
                    }
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                    }
                }
            }
            if ballots.is_empty() {
                continue;
            }
            let mut passed = Vec::with_capacity(ballots.len());
            match self.checker.check(ballots) {
                Ok(outcomes) => {
                    for (outcome, reply) in outcomes.into_iter().zip(replies) {
                        match outcome.verdict() {
                            Ok(()) => passed.push((outcome, reply)),
                            Err(error) => refuse(&self.election, reply, &error),
                        }
                    }
                }
                // The checks could not run (the index unreadable): nothing is accepted.
                Err(error) => {
                    tracing::error!("cannot check ballots: {error}");
                    for reply in replies {
                        refuse(&self.election, reply, &error);
                    }
                }
            }
            if passed.is_empty() {
                continue;
            }
            let batch = CheckedBatch {
                ballots: passed,
                checked_in: started.elapsed(),
            };
            if checked.send(batch).is_err() {
                return;
            }
        }
    }
}
