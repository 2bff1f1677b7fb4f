//! `fairtally serve`: an election's live ballot box and its public bulletin board over HTTP.
//!
//! One entry point, [`serve`] (or [`Server::bind`] then [`Server::run`] when the caller needs
//! the bound address first, as tests with port 0 do), built from [`ServeOptions`]:
//!
//! ```no_run
//! # async fn example() -> Result<(), fairtally_server::ServerError> {
//! let options = fairtally_server::ServeOptions::new("election".into(), "127.0.0.1:8080".parse().unwrap());
//! fairtally_server::serve(options, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! What runs inside:
//!
//! - **The ballot box has one owner** ([`ballot_queue`]): a dedicated thread holds the
//!   election's [`BallotBox`](fairtally_election::ballot_box::BallotBox) (and so the record's
//!   lock). A checker thread ahead of it drains a bounded queue of submissions in batches and
//!   checks each batch on every core while the box commits the last: every checked batch
//!   waiting goes into one commit, one transaction and one fsync (group commit), and each
//!   request is answered through its own oneshot channel once its ballot is durably on the
//!   board. One invalid ballot never makes the others of its batch fail: it is refused alone.
//! - **Checkpoints are sequenced on an interval** ([`checkpoints`]), as Sunlight does: each
//!   tick signs one checkpoint over everything appended since the last, hands it to the
//!   [`Cosigner`] seam (witnesses; the identity when there are none) and publishes the board's
//!   static files.
//! - **The HTTP API** ([`router`], documented in `docs/API.md` and `docs/openapi.json`):
//!   ballots, ballot status with an inclusion proof, observers' submissions, the board's
//!   public files in the C2SP tlog-tiles layout, `/healthz`, `/metrics` and the web front end.
//! - **Limits** ([`ServeLimits`]): body size, request and header timeouts, per-client rate
//!   limits, a bounded queue (an overloaded box answers `503` with `Retry-After`).
//!
//! Shutdown (the `shutdown` future completing, e.g. on SIGTERM) stops accepting connections,
//! lets every request in flight finish, commits every ballot already queued, signs and
//! publishes a last checkpoint, and only then returns.

pub mod api;
pub mod ballot_queue;
pub mod board_files;
pub mod checkpoints;
pub mod connections;
pub mod election_dir;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod photos;
pub mod router;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use tokio::net::TcpListener;

pub use checkpoints::{CheckpointRequest, Cosigner, NoWitnesses};
pub use error::ServerError;

/// Everything `fairtally serve` needs to run, with defaults for all but the election and the
/// address ([`ServeOptions::new`]). Fields are public so that other commands (`demo --serve`,
/// witnesses, storage back ends) can set what they add.
#[derive(Clone)]
pub struct ServeOptions {
    /// The authority's election directory: `DIR/record` (the record, voting open) and
    /// `DIR/board` (the board, with its operator key in `DIR/board/operator.key`).
    pub election_dir: PathBuf,
    /// The address to listen on (port 0: any free port; see [`Server::local_addr`]).
    pub listen: SocketAddr,
    /// How often a checkpoint is signed and published when the board has grown (default 1 s).
    pub checkpoint_interval: Duration,
    /// The built web front end (`web/dist`); `None` serves the API only.
    pub web_dir: Option<PathBuf>,
    /// Request limits, timeouts, queue bounds.
    pub limits: ServeLimits,
    /// What happens to each freshly signed checkpoint before it is published.
    pub cosigner: Arc<dyn Cosigner>,
    /// Organisations (Ed25519 keys) whose accreditations observers' submissions must carry;
    /// empty: an item's signatures are checked against the organisation it names, as
    /// `fairtally observe post` does without `--trust`.
    pub trusted_organisations: Vec<VerifyingKey>,
    /// The photo store's limits, and whether it takes photos when no organisation is trusted.
    pub photos: photos::PhotoOptions,
}

impl ServeOptions {
    /// Options with the defaults: checkpoints every second, no web front end, no witnesses,
    /// [`ServeLimits::default`].
    pub fn new(election_dir: PathBuf, listen: SocketAddr) -> Self {
        ServeOptions {
            election_dir,
            listen,
            checkpoint_interval: Duration::from_secs(1),
            web_dir: None,
            limits: ServeLimits::default(),
            cosigner: Arc::new(NoWitnesses),
            trusted_organisations: Vec::new(),
            photos: photos::PhotoOptions::default(),
        }
    }
}

/// Limits that protect the server from large, slow or too many requests.
#[derive(Clone, Debug)]
pub struct ServeLimits {
    /// Largest request body, in bytes (default 1 MiB; a demo ballot is about 10 KiB).
    pub max_body_bytes: usize,
    /// Longest time a request may take, body included (default 30 s): a client that sends its
    /// body too slowly gets `408`.
    pub request_timeout: Duration,
    /// Longest time a client may take to send a request's headers (default 10 s).
    pub header_timeout: Duration,
    /// Most connections open at once (default 1024); more wait to be accepted.
    pub max_connections: usize,
    /// Most ballots waiting for the ballot box (default 4096); past that `503`.
    pub max_pending_ballots: usize,
    /// Most ballots checked, or committed, at once (default 512).
    pub max_batch: usize,
    /// Requests per second each client address may make to the `POST` endpoints, on average
    /// (default 2000), with bursts of [`ServeLimits::rate_burst`]; past that `429`.
    pub rate_per_second: f64,
    /// The burst a client may make at once (default 4000).
    pub rate_burst: f64,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_pending_ballots: 4096,
            max_batch: 512,
            rate_per_second: 2000.0,
            rate_burst: 4000.0,
        }
    }
}

/// A server bound to its address, with its ballot box open, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: router::Running,
}

impl Server {
    /// Opens the election in `options.election_dir` (the ballot box, its lock, the board),
    /// binds `options.listen` and starts the ballot box's thread.
    ///
    /// # Errors
    /// [`ServerError`] naming the file or address that could not be opened or bound.
    pub async fn bind(options: ServeOptions) -> Result<Self, ServerError> {
        let state = router::Running::start(&options).await?;
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    address: options.listen,
                    source,
                })?;
        Ok(Server { listener, state })
    }

    /// The address the server listens on.
    ///
    /// # Errors
    /// [`ServerError::Bind`] when the operating system cannot tell.
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener
            .local_addr()
            .map_err(|source| ServerError::Bind {
                address: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })
    }

    /// Serves until `shutdown` completes, then shuts down gracefully (see the crate
    /// documentation).
    ///
    /// # Errors
    /// [`ServerError`] when the ballot box or the board failed on the way out.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        self.state.serve(self.listener, shutdown).await
    }
}

/// Binds and serves `options` until `shutdown` completes: [`Server::bind`] then
/// [`Server::run`].
///
/// # Errors
/// As [`Server::bind`] and [`Server::run`].
pub async fn serve(
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    Server::bind(options).await?.run(shutdown).await
}
