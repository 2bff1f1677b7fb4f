//! The crate's one error enum ([`ServerError`], what stops the server) and what a refused
//! request gets ([`ApiError`], turned into a response in one place).

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the server could not start, or failed while running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The election directory is not one `fairtally serve` can serve.
    #[error("{path}: {reason}")]
    ElectionDir {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The election (record, ballot box) refused or failed.
    #[error(transparent)]
    Election(#[from] fairtally_election::ElectionError),
    /// The bulletin board failed.
    #[error(transparent)]
    Board(#[from] fairtally_board::BoardError),
    /// The listening address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The ballot box's thread stopped unexpectedly.
    #[error("the ballot box stopped: {0}")]
    BallotBoxStopped(String),
    /// A task of the server (on tokio's blocking threads) failed.
    #[error("a server task failed: {0}")]
    Task(String),
    /// A cosigner (witnesses) failed to cosign a checkpoint.
    #[error("cosigning checkpoint {size}: {reason}")]
    Cosign {
        /// The checkpoint's tree size.
        size: u64,
        /// Why.
        reason: String,
    },
}

/// A refused request: its status, the reason sent back as `{"error": reason}`, and when to
/// retry (`Retry-After`, in seconds) for `429` and `503`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Why, in words the client can act on.
    pub reason: String,
    /// Seconds after which a retry may succeed.
    pub retry_after: Option<u64>,
}

/// The reason of a refused request, left in the response's extensions so that the request log
/// prints it on the request's one line.
#[derive(Clone, Debug)]
pub struct RefusalReason(pub String);

impl ApiError {
    /// A refusal with `status` and `reason`.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// `400`: a request the server cannot read.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    /// `422`: a well-formed request that the election refuses (an invalid ballot).
    pub fn unprocessable(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, reason)
    }

    /// `503` with `Retry-After`: voting closed, overloaded, shutting down.
    pub fn unavailable(reason: impl Into<String>, retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, reason)
        }
    }

    /// `500`: the server failed; the details go to the log, not to the client.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!("internal error: {error}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed; the operator's log says why",
        )
    }

    /// `500` that says why: the server's own stores disagree (its index points at a board
    /// entry that is not what the index says), so it answers nothing rather than a wrong
    /// answer. `log` (the details) goes to the log as an error, `reason` to the client.
    pub fn inconsistent(reason: impl Into<String>, log: &str) -> Self {
        tracing::error!("inconsistent stores: {log}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, reason)
    }
}

/// Seconds a client is told to wait while the board's database is out of reach.
pub const DATABASE_RETRY_SECONDS: u64 = 1;

impl ApiError {
    /// `503` with `Retry-After` when `board` failed because its database is out of reach
    /// (PostgreSQL restarting, a lock held too long): the client retries.
    pub fn board_unavailable(board: &fairtally_board::BoardError) -> Option<Self> {
        board.is_unavailable().then(|| {
            tracing::warn!("board database unavailable: {board}");
            Self::unavailable(
                "the board's database is unavailable; retry",
                DATABASE_RETRY_SECONDS,
            )
        })
    }

    /// What a request whose board work failed gets: [`ApiError::board_unavailable`] while the
    /// board's database is out of reach, `500` otherwise.
    pub fn from_failure(error: &ServerError) -> Self {
        let board = match error {
            ServerError::Board(board) => Some(board),
            ServerError::Election(fairtally_election::ElectionError::Board(board)) => Some(board),
            _ => None,
        };
        board
            .and_then(Self::board_unavailable)
            .unwrap_or_else(|| Self::internal(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.reason })),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(RefusalReason(self.reason));
        response
    }
}
