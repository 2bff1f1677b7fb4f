//! fairtally's bulletin board over HTTP: what a mirror, an observer and a witness do with a
//! board that is served on the network, checked exactly as a local copy is checked.
//!
//! - [`http`]: the one HTTP client (timeouts, bounded retries, answers read within the size
//!   limit of what was asked).
//! - [`mirror`]: `fairtally board mirror URL DIR`, a plain copy of a board served in the
//!   C2SP tlog-tiles layout, audited like a local copy before it replaces anything.
//! - [`remote`]: reading single tiles of a served board, and inclusion proofs from them.
//! - [`outbox`]: `fairtally board outbox send URL`, delivery of an observer outbox, marked
//!   delivered only once its inclusion is proven against a checkpoint that verified.
//! - [`witness_service`] and [`witness_client`]: both sides of C2SP tlog-witness.
//!
//! The formats are described in `docs/BOARD.md` ("The board on the network").

pub mod error;
pub mod http;
pub mod mirror;
pub mod outbox;
pub mod remote;
pub mod witness_client;
pub mod witness_service;

pub use error::NetError;

/// Runs `future` to completion on a runtime of its own: how a command-line tool, which has
/// none, calls this crate's asynchronous functions.
///
/// # Errors
/// [`NetError::Io`] when the runtime cannot be started.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, NetError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(NetError::io("the async runtime"))?;
    Ok(runtime.block_on(future))
}
