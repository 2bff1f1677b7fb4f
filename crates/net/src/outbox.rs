//! `fairtally board outbox send OUTBOX URL`: delivers an observer's outbox to a server's
//! `POST URL/api/v1/observations`, and marks an entry delivered only once its inclusion is
//! proven against a checkpoint fetched from `URL/board/` that verified under the observer's
//! pinned policy. The server's answer (`201 {"board_index": N}`) only says where to look: a
//! server that acknowledges and then drops or moves the entry confirms nothing.
//!
//! Each request body is one submission as the outbox holds it: the entry's leaf data
//! (`u8 kind length || kind || body`, `application/octet-stream`), so the server files it under
//! the very kind the observer gave it. The server stores identical entries once and answers a
//! repeat with the same index, so a request whose answer was lost is simply sent again.

use std::time::{Duration, Instant};

use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::entry::Entry;
use fairtally_board::merkle::Hash;
use fairtally_board::outbox::Outbox;
use serde::Deserialize;

use crate::error::NetError;
use crate::http::{HttpClient, directory_url};
use crate::remote::RemoteBoard;

/// The path of the observations endpoint under the server's URL.
pub const OBSERVATIONS_PATH: &str = "api/v1/observations";

/// The path of the board's public files under the server's URL.
pub const BOARD_PATH: &str = "board/";

/// Largest answer read from the observations endpoint.
const MAX_ANSWER_LEN: u64 = 64 * 1024;

/// How often the checkpoint is fetched again while waiting for it to cover the delivered
/// entries.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What one `send` did.
#[derive(Debug)]
pub struct SendReport {
    /// Entries the server acknowledged in this run.
    pub acknowledged: usize,
    /// Entries proven on the board and marked delivered.
    pub confirmed: usize,
    /// Entries still pending (not acknowledged, or not yet in a checkpoint).
    pub pending: usize,
    /// The checkpoint the inclusions were proven against, if one was fetched.
    pub checkpoint: Option<SignedCheckpoint>,
}

#[derive(Deserialize)]
struct Acknowledgement {
    board_index: u64,
}

/// Sends every pending entry of `outbox` to the server at `server`, then waits (at most
/// `wait`) for a checkpoint that covers them, proves each one's inclusion at the index the
/// server gave, and marks those delivered.
///
/// # Errors
/// [`NetError::Status`] naming the entry when the server refuses it (entries acknowledged
/// before it are still confirmed first); [`NetError::Refused`] when the board's checkpoint does
/// not verify or a claimed index does not hold the entry (nothing is marked then); transport
/// and database errors.
pub async fn send(
    outbox: &mut Outbox,
    server: &str,
    policy: &TrustPolicy,
    wait: Duration,
    http: &HttpClient,
) -> Result<SendReport, NetError> {
    let server = directory_url(server);
    let url = format!("{server}{OBSERVATIONS_PATH}");
    let mut claimed: Vec<(u64, Hash)> = Vec::new();
    let mut refusal = None;
    for (position, entry) in outbox.pending()?.iter().enumerate() {
        match deliver(http, &url, entry).await {
            Ok(index) => claimed.push((index, entry.leaf_hash())),
            Err(NetError::Status { url, status, body }) if (400..500).contains(&status) => {
                refusal = Some(NetError::Status {
                    url: format!("{url} (pending entry {}, {})", position + 1, entry.kind()),
                    status,
                    body,
                });
                break;
            }
            Err(e) => return Err(e),
        }
    }
    let acknowledged = claimed.len();
    let board = RemoteBoard::new(&format!("{server}{BOARD_PATH}"), http.clone());
    let mut checkpoint = None;
    let mut confirmed = 0;
    if let Some(last) = claimed.iter().map(|(index, _)| *index).max() {
        let signed = covering_checkpoint(&board, policy, last, wait).await?;
        let size = signed.checkpoint().size;
        let mut inclusions = Vec::new();
        for (index, leaf_hash) in claimed.iter().filter(|(index, _)| *index < size) {
            inclusions.push(board.prove(&signed, *index, leaf_hash).await?);
        }
        confirmed = outbox.confirm_inclusions(&inclusions, policy)?;
        checkpoint = Some(signed);
    }
    if let Some(refusal) = refusal {
        return Err(refusal);
    }
    Ok(SendReport {
        acknowledged,
        confirmed,
        pending: outbox.pending()?.len(),
        checkpoint,
    })
}

/// POSTs one entry; the index the server claims for it.
async fn deliver(http: &HttpClient, url: &str, entry: &Entry) -> Result<u64, NetError> {
    let answer = http
        .post(
            url,
            "application/octet-stream",
            entry.to_leaf_data(),
            MAX_ANSWER_LEN,
        )
        .await?;
    if !matches!(answer.status, 200 | 201) {
        return Err(answer.unexpected(url));
    }
    let ack: Acknowledgement =
        serde_json::from_slice(&answer.body).map_err(|e| NetError::Malformed {
            url: url.to_owned(),
            reason: format!("the answer is not {{\"board_index\": N}}: {e}"),
        })?;
    Ok(ack.board_index)
}

/// The board's checkpoint, verified, once it covers entry `last` (or the latest one when
/// `wait` runs out: the entries beyond it stay pending).
async fn covering_checkpoint(
    board: &RemoteBoard,
    policy: &TrustPolicy,
    last: u64,
    wait: Duration,
) -> Result<SignedCheckpoint, NetError> {
    let deadline = Instant::now() + wait;
    loop {
        let signed = board.checkpoint(policy).await?;
        if signed.checkpoint().size > last || Instant::now() >= deadline {
            return Ok(signed);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
