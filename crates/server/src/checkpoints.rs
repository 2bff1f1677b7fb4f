//! Checkpoints sequenced on an interval, as Sunlight does: ballots and submissions are
//! durable as soon as they are appended (their clients are answered then), and once per
//! interval one checkpoint is signed over everything appended since the last one, cosigned,
//! and published with the board's static files.
//!
//! The seam for witnesses is [`Cosigner`]: it receives each freshly signed checkpoint (with the
//! previous published one and a way to compute consistency proofs) and returns it with the
//! cosignatures it gathered; only then is it stored and published. [`NoWitnesses`] returns it
//! unchanged.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fairtally_board::board::Board;
use fairtally_board::checkpoint::SignedCheckpoint;
use fairtally_board::merkle::Hash;
use fairtally_board::note::NoteSigner;
use tokio::sync::watch;

use crate::election_dir::ElectionDir;
use crate::error::ServerError;
use crate::metrics::Metrics;

/// What a [`Cosigner`] is asked to cosign.
pub struct CheckpointRequest {
    /// The checkpoint, signed by the board operator and stored, not yet published.
    pub checkpoint: SignedCheckpoint,
    /// The last published checkpoint (none before the first).
    pub previous: Option<SignedCheckpoint>,
    /// Consistency proofs between any two sizes up to the new checkpoint's (witnesses ask
    /// from the size they last cosigned).
    pub proofs: ConsistencyProofs,
}

/// The future a [`Cosigner`] returns.
pub type CosignFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SignedCheckpoint, ServerError>> + Send + 'a>>;

/// Turns a freshly signed checkpoint into the one that is published: the place where
/// witnesses cosign (`fairtally serve --witness URL=KEY`). A cosigner that cannot gather the
/// signatures it needs returns an error; the checkpoint then stays unpublished and the next
/// interval tries again with a newer one.
pub trait Cosigner: Send + Sync {
    /// Returns `request.checkpoint` with the cosignatures gathered.
    fn cosign(&self, request: CheckpointRequest) -> CosignFuture<'_>;
}

/// No witnesses: the operator's checkpoint is published as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoWitnesses;

impl Cosigner for NoWitnesses {
    fn cosign(&self, request: CheckpointRequest) -> CosignFuture<'_> {
        Box::pin(async move { Ok(request.checkpoint) })
    }
}

/// Consistency proofs from the board, computed off the async threads.
#[derive(Clone)]
pub struct ConsistencyProofs {
    board: Arc<Mutex<Board>>,
}

impl ConsistencyProofs {
    /// The RFC 9162 consistency proof from tree size `old` to `new`.
    ///
    /// # Errors
    /// Board errors for sizes the board does not have.
    pub async fn between(&self, old: u64, new: u64) -> Result<Vec<Hash>, ServerError> {
        let board = self.board.clone();
        blocking(move || Ok(lock(&board).consistency_proof(old, new)?)).await
    }
}

/// Signs, cosigns and publishes checkpoints of one board.
pub struct Sequencer {
    board: Arc<Mutex<Board>>,
    operator: Arc<NoteSigner>,
    cosigner: Arc<dyn Cosigner>,
    published: watch::Sender<Option<SignedCheckpoint>>,
    metrics: Arc<Metrics>,
}

impl Sequencer {
    /// Opens its own handle on the election's board.
    ///
    /// # Errors
    /// The board's error, or the operator key's.
    pub fn open(
        election: &ElectionDir,
        cosigner: Arc<dyn Cosigner>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ServerError> {
        let board = Board::open(&election.board)?;
        Ok(Sequencer {
            board: Arc::new(Mutex::new(board)),
            operator: Arc::new(election.operator()?),
            cosigner,
            published: watch::Sender::new(None),
            metrics,
        })
    }

    /// The latest published checkpoint, as it changes.
    pub fn published(&self) -> watch::Receiver<Option<SignedCheckpoint>> {
        self.published.subscribe()
    }

    /// Sequences a checkpoint every `interval` until `stop` turns true. A failed round is
    /// logged and retried at the next tick.
    pub async fn run(&self, interval: Duration, mut stop: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
            if let Err(e) = self.sequence().await {
                tracing::error!("checkpoint not published: {e}");
            }
        }
    }

    /// One round: when the board has grown since the last published checkpoint (or none was
    /// published by this server yet), signs a checkpoint, has it cosigned, stores the
    /// cosignatures and publishes the static files. Returns the checkpoint published, if any.
    ///
    /// # Errors
    /// Board errors; the cosigner's error.
    pub async fn sequence(&self) -> Result<Option<SignedCheckpoint>, ServerError> {
        let previous = self.published.borrow().clone();
        let board = self.board.clone();
        let operator = self.operator.clone();
        let known = previous.as_ref().map(|p| p.checkpoint().size);
        let signed = blocking(move || {
            let board = &mut *lock(&board);
            let size = board.size()?;
            if known == Some(size) {
                return Ok(None);
            }
            match board.latest_checkpoint()? {
                // Signed by an earlier run (or by `authority accept`) over this very tree.
                Some(latest) if latest.checkpoint().size == size => Ok(Some(latest)),
                _ => Ok(Some(board.sign_checkpoint(&operator)?)),
            }
        })
        .await?;
        let Some(signed) = signed else {
            return Ok(None);
        };
        let size = signed.checkpoint().size;
        let cosigned = self
            .cosigner
            .cosign(CheckpointRequest {
                checkpoint: signed.clone(),
                previous,
                proofs: ConsistencyProofs {
                    board: self.board.clone(),
                },
            })
            .await?;
        if cosigned.checkpoint() != signed.checkpoint() {
            return Err(ServerError::Cosign {
                size,
                reason: "the cosigner returned another checkpoint".into(),
            });
        }
        let board = self.board.clone();
        let published = blocking(move || {
            let board = &mut *lock(&board);
            let stored = if cosigned.to_text() == signed.to_text() {
                cosigned
            } else {
                board.add_cosignatures(&cosigned)?
            };
            board.publish()?;
            Ok(stored)
        })
        .await?;
        self.metrics.checkpoint_size.set(size);
        tracing::debug!(size, "checkpoint published");
        self.published.send_replace(Some(published.clone()));
        Ok(Some(published))
    }
}

/// Locks a board handle; a panic of another holder leaves the board itself consistent (every
/// change is one SQLite transaction), so the lock is taken over.
pub(crate) fn lock(board: &Mutex<Board>) -> std::sync::MutexGuard<'_, Board> {
    board.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs blocking board work on tokio's blocking threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
) -> Result<T, ServerError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServerError::Task(e.to_string()))?
}
