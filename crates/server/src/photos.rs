//! Observers' photos of station protocols: `POST /api/v1/photos?entry=N` stores one, `GET
//! /api/v1/photos/{sha256}` serves it.
//!
//! A signed protocol names the SHA-256 of each of its photos; the photos themselves are too
//! large for the board. They are stored here, content-addressed: the server hashes the body
//! itself, and the name is the hash, so a stored photo can never be swapped for another.
//!
//! Anyone may call the API, so an upload is taken only when all of these hold:
//! - the body is at most [`PhotoLimits::max_photo_bytes`] and is a JPEG, PNG or WebP by its
//!   first bytes (the `Content-Type` the client sends, if any, must agree);
//! - board entry `N` is an observer's protocol (`observe/protocol/v1`, already checked when it
//!   was appended) whose `photos` list holds the body's SHA-256: nobody can store a file that
//!   no protocol on the board vouches for, and each protocol vouches for a bounded number;
//! - the photos stored so far plus this one stay within [`PhotoLimits::max_total_bytes`].
//!
//! An upload of a photo already stored answers `200` with the same receipt and writes
//! nothing, so a client that lost the first answer simply sends again. Photos are written
//! with `fairtally-files` (durable, never overwritten) to `DIR/photos/SHA256.EXT`. A stored
//! photo is served with its type from its first bytes, `X-Content-Type-Options: nosniff` and
//! a sandboxing `Content-Security-Policy`, so it can never run as a page of the server.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fairtally_board::board::Board;
use fairtally_files::Access;
use fairtally_observe::signed::ObservationItem;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::election_dir::ElectionDir;
use crate::error::ApiError;

/// Most photos one protocol may name: what a protocol's `photos` list may hold for the
/// server to store them (a protocol sheet and its pages, a few angles).
pub const MAX_PHOTOS_PER_PROTOCOL: usize = 16;

/// The bounds of the photo store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest photo, in bytes (default 10 MiB: a phone's full-resolution JPEG is 2–6 MiB).
    pub max_photo_bytes: usize,
    /// Most bytes all stored photos may take together (default 4 GiB).
    pub max_total_bytes: u64,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_photo_bytes: 10 << 20,
            max_total_bytes: 4 << 30,
        }
    }
}

/// The image types taken, by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 'PNG' CR LF 1A LF`).
    Png,
    /// WebP (`'RIFF' size 'WEBP'`).
    Webp,
}

impl ImageType {
    const ALL: [ImageType; 3] = [ImageType::Jpeg, ImageType::Png, ImageType::Webp];

    /// The type `bytes` start with, if one of the three.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else {
            None
        }
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Webp => "webp",
        }
    }
}

/// The photo store: its directory, the board whose protocols vouch for photos, the bytes
/// stored so far.
pub struct Photos {
    dir: PathBuf,
    board: Arc<Mutex<Board>>,
    limits: PhotoLimits,
    /// Bytes of the photos in `dir`, counted at the first upload; held while a photo is
    /// written, so two uploads cannot both pass the quota.
    stored: Mutex<Option<u64>>,
}

impl Photos {
    /// The store in `dir` (made at the first upload), vouched for by `board`'s protocols.
    pub fn new(dir: PathBuf, board: Arc<Mutex<Board>>, limits: PhotoLimits) -> Self {
        Photos {
            dir,
            board,
            limits,
            stored: Mutex::new(None),
        }
    }

    /// The bytes of the photos already in the directory (made if missing).
    fn count_stored(&self) -> std::io::Result<u64> {
        std::fs::create_dir_all(&self.dir)?;
        let mut stored = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if photo_name(&entry.file_name().to_string_lossy()).is_some() {
                stored += entry.metadata()?.len();
            }
        }
        Ok(stored)
    }

    fn path(&self, sha256: &str, kind: ImageType) -> PathBuf {
        self.dir.join(format!("{sha256}.{}", kind.extension()))
    }

    /// The stored photo named `sha256`, with its type.
    fn find(&self, sha256: &str) -> Option<(PathBuf, ImageType)> {
        ImageType::ALL
            .into_iter()
            .map(|kind| (self.path(sha256, kind), kind))
            .find(|(path, _)| path.is_file())
    }
}

/// The SHA-256 of `SHA256.EXT`, for a name the store writes.
fn photo_name(name: &str) -> Option<&str> {
    let (hash, ext) = name.split_once('.')?;
    (is_sha256_hex(hash) && ImageType::ALL.iter().any(|k| k.extension() == ext)).then_some(hash)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The photo routes of `fairtally serve`: photos in `DIR/photos`, vouched for by the board's
/// protocols, within the default limits.
pub fn routes(election: &ElectionDir, board: Arc<Mutex<Board>>) -> Router {
    let dir = election.record.with_file_name(PHOTOS_DIR);
    router(Arc::new(Photos::new(dir, board, PhotoLimits::default())))
}

/// The directory of the photos, beside the record and the board.
pub const PHOTOS_DIR: &str = "photos";

/// The photo routes over `photos`, with their own body limit (larger than the API's).
pub fn router(photos: Arc<Photos>) -> Router {
    let limit = photos.limits.max_photo_bytes;
    Router::new()
        .route(
            "/api/v1/photos",
            post(post_photo).layer(DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/photos/{sha256}", get(get_photo))
        .with_state(photos)
}

/// `?entry=N` of an upload.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// The board index of the protocol that names the photo.
    pub entry: u64,
}

/// The answer to an upload: `201` when stored now, `200` when it already was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoReceipt {
    /// The SHA-256 of the photo (hex), as the server computed it: its name.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its media type, from its first bytes.
    pub content_type: String,
    /// Where it is served.
    pub url: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether board entry `index` is a protocol whose photos include `sha256`.
fn vouched(board: &Board, index: u64, sha256: &str) -> Result<(), ApiError> {
    let entry = board.entry(index).map_err(|e| match e {
        fairtally_board::BoardError::OutOfRange { .. } => {
            ApiError::unprocessable(format!("the board has no entry {index}"))
        }
        e => ApiError::internal(&e),
    })?;
    let not_protocol =
        || ApiError::unprocessable(format!("board entry {index} is not an observer's protocol"));
    if entry.kind().as_str() != "observe/protocol/v1" {
        return Err(not_protocol());
    }
    let ObservationItem::Protocol(protocol) =
        ObservationItem::from_canonical_bytes(entry.body()).map_err(|_| not_protocol())?
    else {
        return Err(not_protocol());
    };
    let photos = &protocol.body.photos;
    if photos.len() > MAX_PHOTOS_PER_PROTOCOL {
        return Err(ApiError::unprocessable(format!(
            "the protocol at board entry {index} names {} photos; the server stores those of \
             protocols with at most {MAX_PHOTOS_PER_PROTOCOL}",
            photos.len()
        )));
    }
    if !photos.iter().any(|p| p == sha256) {
        return Err(ApiError::unprocessable(format!(
            "the protocol at board entry {index} names no photo with SHA-256 {sha256}"
        )));
    }
    Ok(())
}

/// Checks and stores one upload (blocking: hashing, the board, the file system).
fn store(
    photos: &Photos,
    entry: u64,
    declared: Option<&str>,
    bytes: &[u8],
) -> Result<(StatusCode, PhotoReceipt), ApiError> {
    let kind = ImageType::sniff(bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body is not a JPEG, PNG or WebP image (by its first bytes)",
        )
    })?;
    if let Some(declared) = declared
        && !declared.eq_ignore_ascii_case(kind.media_type())
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {declared} does not match the body, which is {}",
                kind.media_type()
            ),
        ));
    }
    let sha256 = hex::encode(Sha256::digest(bytes));
    vouched(&lock(&photos.board), entry, &sha256)?;
    let receipt = PhotoReceipt {
        url: format!("/api/v1/photos/{sha256}"),
        sha256,
        bytes: bytes.len() as u64,
        content_type: kind.media_type().to_owned(),
    };
    let mut counted = lock(&photos.stored);
    if photos.find(&receipt.sha256).is_some() {
        return Ok((StatusCode::OK, receipt));
    }
    let stored = match counted.as_mut() {
        Some(stored) => stored,
        None => counted.insert(photos.count_stored().map_err(|e| ApiError::internal(&e))?),
    };
    if *stored + receipt.bytes > photos.limits.max_total_bytes {
        return Err(ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "the server's photo store is full; keep the photo and tell the election's observers' \
             organisation",
        ));
    }
    let path = photos.path(&receipt.sha256, kind);
    fairtally_files::write_new(&path, bytes, Access::Public).map_err(|e| ApiError::internal(&e))?;
    *stored += receipt.bytes;
    Ok((StatusCode::CREATED, receipt))
}

/// `POST /api/v1/photos?entry=N`: one photo of the protocol at board entry `N`.
pub async fn post_photo(
    State(photos): State<Arc<Photos>>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    request: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request("give the board index of the photo's protocol: ?entry=N")
    })?;
    let bytes = request.map_err(|rejection| {
        ApiError::new(
            rejection.status(),
            format!("cannot read the photo: {}", rejection.body_text()),
        )
    })?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .map(|v| {
            v.to_str()
                .map(|s| s.split(';').next().unwrap_or_default().trim().to_owned())
                .map_err(|_| ApiError::bad_request("Content-Type is not text"))
        })
        .transpose()?
        .filter(|t| t != "application/octet-stream");
    let (status, receipt) = tokio::task::spawn_blocking(move || {
        store(&photos, query.entry, declared.as_deref(), &bytes)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    Ok((status, Json(receipt)))
}

/// `GET /api/v1/photos/{sha256}`: a stored photo, immutable (its name is its hash).
pub async fn get_photo(
    State(photos): State<Arc<Photos>>,
    UrlPath(sha256): UrlPath<String>,
) -> Result<Response, ApiError> {
    if !is_sha256_hex(&sha256) {
        return Err(ApiError::bad_request(format!(
            "{sha256:?} is not a SHA-256 in 64 lower-case hexadecimal digits"
        )));
    }
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no photo with SHA-256 {sha256} is stored"),
        )
    };
    let (path, kind) = photos.find(&sha256).ok_or_else(not_found)?;
    let bytes = tokio::fs::read(&path).await.map_err(|_| not_found())?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.media_type()),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&format!("\"{sha256}\"")).map_err(|e| ApiError::internal(&e))?,
        ),
    ];
    Ok((headers, bytes).into_response())
}
