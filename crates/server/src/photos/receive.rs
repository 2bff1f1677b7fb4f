//! Receiving an upload: the body is streamed, chunk by chunk, through SHA-256 and (when the
//! uploader has room) into a temporary file, never held whole in memory; its size is bounded
//! while it arrives, and a client that stops sending is cut off.

use std::io::Write as _;
use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::http::StatusCode;
use fairtally_files::AtomicFile;
use sha2::{Digest, Sha256};

use super::ImageType;
use crate::error::ApiError;

/// Chunks waiting for the writer at most (each is what the connection delivered at once).
const QUEUED_CHUNKS: usize = 8;

/// Bytes that [`ImageType::sniff`] needs to tell the three types apart.
const SNIFF_BYTES: usize = 12;

/// A received body: its SHA-256, size, type, and the file it was written to (if any).
pub struct Received {
    /// SHA-256 (hex) of the body.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Its type, from its first bytes.
    pub kind: ImageType,
    /// The temporary file holding it, not yet committed.
    pub file: Option<AtomicFile>,
}

/// Streams `body` through SHA-256 into `file` (if given, while the body is at most `kept`
/// bytes long: past that the file is dropped and the body only hashed), refusing a body
/// larger than `max_bytes` (`413`), one that is not an image by its first bytes (`415`), and
/// one whose next chunk takes longer than `idle` to arrive (`408`). Nothing of a refused
/// body is kept: the temporary file goes with it.
pub async fn receive(
    mut body: Body,
    file: Option<AtomicFile>,
    kept: u64,
    max_bytes: u64,
    idle: Duration,
) -> Result<Received, ApiError> {
    let (chunks, mut queued) = tokio::sync::mpsc::channel::<(Bytes, bool)>(QUEUED_CHUNKS);
    // Hashing and writing are blocking work: on their own thread, fed as the body arrives.
    let writer = tokio::task::spawn_blocking(move || {
        let (mut hasher, mut file) = (Sha256::new(), file);
        while let Some((chunk, keep)) = queued.blocking_recv() {
            hasher.update(&chunk);
            if !keep {
                file = None;
            }
            if let Some(file) = file.as_mut() {
                file.write_all(&chunk)?;
            }
        }
        std::io::Result::Ok((hasher.finalize(), file))
    });
    let (mut head, mut bytes, mut kind) = (Vec::with_capacity(SNIFF_BYTES), 0u64, None);
    let streamed = async {
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
            let frame = tokio::time::timeout(idle, frame).await.map_err(|_| {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the photo stopped arriving: nothing for {} s",
                        idle.as_secs_f64()
                    ),
                )
            })?;
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|e| {
                ApiError::bad_request(format!("the photo could not be read to its end: {e}"))
            })?;
            let Ok(chunk) = frame.into_data() else {
                continue; // trailers
            };
            bytes += chunk.len() as u64;
            if bytes > max_bytes {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the photo is larger than the {max_bytes} bytes this server takes"),
                ));
            }
            if kind.is_none() {
                let wanted = SNIFF_BYTES.saturating_sub(head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..wanted]);
                if head.len() == SNIFF_BYTES {
                    kind = Some(sniffed(&head)?);
                }
            }
            if chunks.send((chunk, bytes <= kept)).await.is_err() {
                break; // the writer failed: its error is below
            }
        }
        Ok(())
    }
    .await;
    drop(chunks);
    // The writer has the temporary file: wait for it before answering, so that a refused
    // body's file is gone by the time the client hears of the refusal.
    let written = writer.await.map_err(|e| ApiError::internal(&e))?;
    streamed?;
    let (digest, file) =
        written.map_err(|e| ApiError::internal(&format!("writing an uploaded photo: {e}")))?;
    let kind = match kind {
        Some(kind) => kind,
        None => sniffed(&head)?,
    };
    Ok(Received {
        sha256: hex::encode(digest),
        bytes,
        kind,
        file,
    })
}

fn sniffed(head: &[u8]) -> Result<ImageType, ApiError> {
    ImageType::sniff(head).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body is not a JPEG, PNG or WebP image (by its first bytes)",
        )
    })
}
