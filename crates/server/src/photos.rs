//! Observers' photos of station protocols: `POST /api/v1/photos?entry=N` stores one, `GET
//! /api/v1/photos/{sha256}` serves it.
//!
//! A signed protocol names the SHA-256 of each of its photos; the photos themselves are too
//! large for the board. They are stored here, content-addressed: the server hashes the body
//! itself, and the name is the hash, so a stored photo can never be swapped for another.
//!
//! Anyone may call the API, so an upload is taken only when all of these hold:
//! - board entry `N` is an observer's protocol (`observe/protocol/v1`) whose `photos` list
//!   holds the body's SHA-256 and at most [`PhotoLimits::max_photos_per_entry`] names: nobody
//!   can store a file that no protocol on the board vouches for;
//! - the protocol's accreditation is by one of the server's trusted organisations (`serve
//!   --trust`), checked again at the upload. A server that trusts none takes no photos unless
//!   it was told to take them from any accreditation ([`PhotoOptions::open_accreditation`]):
//!   anyone can make an organisation key and accredit themselves, so under open accreditation
//!   the number of uploaders is unbounded;
//! - the body is at most [`PhotoLimits::max_photo_bytes`] and is a JPEG, PNG or WebP by its
//!   first bytes (the `Content-Type` the client sends, if any, must agree);
//! - the observer who signed the protocol stays within [`PhotoLimits::max_observer_bytes`],
//!   their organisation within its share of the store (the store divided among the trusted
//!   organisations, so one of them cannot crowd out the others' observers), and the store
//!   within [`PhotoLimits::max_total_bytes`] ([`quota`]).
//!
//! The body is streamed to a temporary file while it is hashed ([`receive`]), then moved into
//! place; an upload of a photo already stored answers `200` with the same receipt and keeps
//! nothing, so a client that lost the first answer simply sends again (even once its quota is
//! used up). Photos are kept in `DIR/photos/SHA256.EXT`. A stored photo is served with its
//! type from its first bytes, `X-Content-Type-Options: nosniff` and a sandboxing
//! `Content-Security-Policy`, so it can never run as a page of the server.

pub mod quota;
pub mod receive;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ed25519_dalek::VerifyingKey;
use fairtally_board::board::Board;
use fairtally_files::{Access, AtomicFile};
use fairtally_observe::keys::public_key_hex;
use fairtally_observe::signed::{ObservationItem, SignedProtocol};
use headers::{ETag, HeaderMapExt as _, IfNoneMatch};
use serde::{Deserialize, Serialize};
use tower::ServiceExt as _;
use tower_http::services::ServeFile;

use crate::election_dir::ElectionDir;
use crate::error::ApiError;
use quota::{INCOMING_DIR, Owner, Shares, Usage, owner_file, stored_name};
use receive::{Received, receive};

/// The bounds of the photo store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest photo, in bytes (default 10 MiB: a phone's full-resolution JPEG is 2–6 MiB).
    pub max_photo_bytes: u64,
    /// Most photos one protocol may name for the server to store them (default 16: a
    /// protocol sheet and its pages, a few angles).
    pub max_photos_per_entry: usize,
    /// Most bytes all stored photos may take together (default 4 GiB).
    pub max_total_bytes: u64,
    /// Most bytes the photos of one observer key may take (default 128 MiB: a dozen stations'
    /// protocols at full resolution).
    pub max_observer_bytes: u64,
    /// Longest time one upload may take (default 10 min: 10 MiB at 17 KiB/s), instead of the
    /// server's request timeout.
    pub upload_timeout: Duration,
    /// Longest wait for the next piece of an upload's body (default 30 s).
    pub idle_timeout: Duration,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_photo_bytes: 10 << 20,
            max_photos_per_entry: 16,
            max_total_bytes: 4 << 30,
            max_observer_bytes: 128 << 20,
            upload_timeout: Duration::from_secs(600),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// The photo store's limits and whom it takes photos from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhotoOptions {
    /// The bounds.
    pub limits: PhotoLimits,
    /// When the server trusts no organisation: take photos from observers whatever
    /// organisation accredited them (default false: take none). Anyone can make an
    /// accreditation, so this is for demos and trainings; each key's quota still holds, but
    /// enough keys fill the store. Ignored when organisations are trusted.
    pub open_accreditation: bool,
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

/// The photo store: its directory, the board whose protocols vouch for photos, whom it takes
/// them from, and what each owner has stored.
pub struct Photos {
    dir: PathBuf,
    board: Arc<Mutex<Board>>,
    options: PhotoOptions,
    trusted: Vec<VerifyingKey>,
    /// Bytes stored and reserved, counted at the first upload; held while a photo is moved
    /// into place, so two uploads cannot both pass a quota.
    usage: Mutex<Option<Usage>>,
    /// Uploads started, to name their files in [`INCOMING_DIR`].
    uploads: AtomicU64,
}

impl Photos {
    /// The store in `dir` (made at the first upload), vouched for by `board`'s protocols,
    /// taking photos from observers accredited by one of `trusted` (or, when it is empty, as
    /// `options` say).
    pub fn new(
        dir: PathBuf,
        board: Arc<Mutex<Board>>,
        options: PhotoOptions,
        trusted: Vec<VerifyingKey>,
    ) -> Self {
        Photos {
            dir,
            board,
            options,
            trusted,
            usage: Mutex::new(None),
            uploads: AtomicU64::new(0),
        }
    }

    fn shares(&self) -> Shares {
        let limits = &self.options.limits;
        Shares {
            total: limits.max_total_bytes,
            observer: limits.max_observer_bytes,
            organisation: (!self.trusted.is_empty()).then(|| {
                let among = self.trusted.len();
                (limits.max_total_bytes / among as u64, among)
            }),
        }
    }

    /// The usage, counted from the directory at the first call.
    fn usage(&self) -> Result<MutexGuard<'_, Option<Usage>>, ApiError> {
        let mut usage = lock(&self.usage);
        if usage.is_none() {
            *usage = Some(Usage::count(&self.dir).map_err(|e| {
                ApiError::internal(&format!(
                    "counting the photos in {}: {e}",
                    self.dir.display()
                ))
            })?);
        }
        Ok(usage)
    }

    fn path(&self, sha256: &str, kind: ImageType) -> PathBuf {
        self.dir.join(stored_name(sha256, kind))
    }

    /// The stored photo named `sha256`, with its type.
    fn find(&self, sha256: &str) -> Option<(PathBuf, ImageType)> {
        ImageType::ALL
            .into_iter()
            .map(|kind| (self.path(sha256, kind), kind))
            .find(|(path, _)| path.is_file())
    }

    /// Whom the protocol at board entry `index` makes the owner of its photos, and the photos
    /// it names; refused when it is not a protocol, names too many photos, or is not from an
    /// observer the store takes photos from.
    fn vouching(&self, index: u64) -> Result<(Owner, Vec<String>), ApiError> {
        let entry = lock(&self.board).entry(index).map_err(|e| match e {
            fairtally_board::BoardError::OutOfRange { .. } => {
                ApiError::unprocessable(format!("the board has no entry {index}"))
            }
            e => ApiError::board_unavailable(&e).unwrap_or_else(|| ApiError::internal(&e)),
        })?;
        let not_protocol = || {
            ApiError::unprocessable(format!("board entry {index} is not an observer's protocol"))
        };
        if entry.kind().as_str() != "observe/protocol/v1" {
            return Err(not_protocol());
        }
        let item =
            ObservationItem::from_canonical_bytes(entry.body()).map_err(|_| not_protocol())?;
        let ObservationItem::Protocol(protocol) = &item else {
            return Err(not_protocol());
        };
        let most = self.options.limits.max_photos_per_entry;
        let photos = &protocol.body.photos;
        if photos.len() > most {
            return Err(ApiError::unprocessable(format!(
                "the protocol at board entry {index} names {} photos; the server stores those of \
                 protocols with at most {most}",
                photos.len()
            )));
        }
        self.authorised(&item, protocol, index)?;
        let owner = Owner {
            observer: protocol.body.observer.clone(),
            organisation: item.organisation().to_owned(),
        };
        Ok((owner, photos.clone()))
    }

    /// Checks the protocol's signatures again, against the trusted organisations: it may have
    /// reached the board while the server trusted others, or by another way than this server.
    fn authorised(
        &self,
        item: &ObservationItem,
        protocol: &SignedProtocol,
        index: u64,
    ) -> Result<(), ApiError> {
        let organisation = item.organisation();
        let verified = if self.trusted.is_empty() {
            if !self.options.open_accreditation {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "this server takes photos only from observers accredited by an organisation \
                     it trusts, and it was started trusting none (serve --trust ORGANISATION_KEY); \
                     keep the photo",
                ));
            }
            item.verify_signatures()
        } else {
            if !self
                .trusted
                .iter()
                .any(|k| public_key_hex(k) == organisation)
            {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "observer {} is accredited by organisation {organisation}, which this \
                         server does not trust; keep the photo",
                        protocol.body.observer
                    ),
                ));
            }
            item.verify(&self.trusted)
        };
        verified.map_err(|e| {
            ApiError::unprocessable(format!("the protocol at board entry {index}: {e}"))
        })
    }

    /// Reserves room for an upload by `owner` of `declared` bytes (when the client said; else
    /// as much as the owner has room for, up to the largest photo), with a file to stream it
    /// into and how many bytes of it may be kept; without room, the refusal to give unless the
    /// photo turns out to be stored already.
    fn reserve(
        self: &Arc<Self>,
        owner: &Owner,
        declared: Option<u64>,
    ) -> Result<(Admission, Option<AtomicFile>, u64), ApiError> {
        let shares = self.shares();
        let mut usage = self.usage()?;
        let usage = usage
            .as_mut()
            .ok_or_else(|| ApiError::internal(&"no usage"))?;
        let bytes = declared.unwrap_or_else(|| {
            let (room, _) = usage.room(owner, &shares);
            room.min(self.options.limits.max_photo_bytes).max(1)
        });
        if let Err(reason) = usage.admit(owner, &shares, bytes) {
            return Ok((Admission::Full(reason), None, 0));
        }
        let n = self.uploads.fetch_add(1, Ordering::Relaxed);
        let staging = self.dir.join(INCOMING_DIR).join(format!("upload-{n}"));
        let file =
            AtomicFile::create(&staging, Access::Public).map_err(|e| ApiError::internal(&e))?;
        usage.add(owner, bytes);
        let reservation = Reservation {
            photos: self.clone(),
            owner: owner.clone(),
            bytes,
        };
        let admission = Admission::Room {
            reservation,
            staging,
        };
        Ok((admission, Some(file), bytes))
    }
}

/// Whether an upload may be kept once received.
enum Admission {
    /// There is room: the reservation, and the file the body is streamed into.
    Room {
        reservation: Reservation,
        staging: PathBuf,
    },
    /// No room, for this reason: the body is only hashed, in case it is stored already.
    Full(String),
}

/// Bytes counted against an owner while their upload is in flight; given back when dropped.
struct Reservation {
    photos: Arc<Photos>,
    owner: Owner,
    bytes: u64,
}

impl Reservation {
    /// Gives the reservation back into `usage` (held by the caller).
    fn release(mut self, usage: &mut Usage) {
        usage.remove(&self.owner, self.bytes);
        self.bytes = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.bytes > 0
            && let Some(usage) = lock(&self.photos.usage).as_mut()
        {
            usage.remove(&self.owner, self.bytes);
        }
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

/// The directory of the photos, beside the record and the board.
pub const PHOTOS_DIR: &str = "photos";

/// The photo routes of `fairtally serve`: photos in `DIR/photos`, vouched for by the board's
/// protocols, taken as `options` say from observers accredited by one of `trusted`.
pub fn routes(
    election: &ElectionDir,
    board: Arc<Mutex<Board>>,
    options: &PhotoOptions,
    trusted: &[VerifyingKey],
) -> Router {
    if trusted.is_empty() {
        tracing::warn!(
            "no --trust: accreditation is open (anyone can make an organisation key and \
             accredit themselves), so observers' submissions are checked against the \
             organisation they name only; {}",
            if options.open_accreditation {
                "photos are taken from any accredited observer (--open-photo-uploads), each \
                 observer key within its quota, so enough keys can fill the photo store"
            } else {
                "photo uploads are refused (--trust ORGANISATION_KEY, or --open-photo-uploads \
                 for a demo, takes them)"
            }
        );
    }
    let dir = election.record.with_file_name(PHOTOS_DIR);
    router(Arc::new(Photos::new(
        dir,
        board,
        *options,
        trusted.to_vec(),
    )))
}

/// The photo routes over `photos`, with their own timeout (longer than the API's: a large
/// photo on a slow link); the body is bounded while it streams.
pub fn router(photos: Arc<Photos>) -> Router {
    let timeout = photos.options.limits.upload_timeout;
    Router::new()
        .route("/api/v1/photos", post(post_photo))
        .route("/api/v1/photos/{sha256}", get(get_photo))
        .layer(middleware::from_fn_with_state(
            timeout,
            crate::limits::timeout,
        ))
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

/// Keeps a received upload (blocking: the file system): `200` when the photo was stored
/// already, else within the owner's room, moved into place with its owner file beside it.
fn keep(
    photos: &Photos,
    owner: &Owner,
    received: Received,
    admission: Admission,
) -> Result<(StatusCode, PhotoReceipt), ApiError> {
    let receipt = PhotoReceipt {
        url: format!("/api/v1/photos/{}", received.sha256),
        sha256: received.sha256,
        bytes: received.bytes,
        content_type: received.kind.media_type().to_owned(),
    };
    let mut usage = photos.usage()?;
    let usage = usage
        .as_mut()
        .ok_or_else(|| ApiError::internal(&"no usage"))?;
    if photos.find(&receipt.sha256).is_some() {
        return Ok((StatusCode::OK, receipt));
    }
    let (reservation, staging) = match admission {
        Admission::Room {
            reservation,
            staging,
            ..
        } => (reservation, staging),
        Admission::Full(reason) => return Err(full(reason)),
    };
    reservation.release(usage);
    usage
        .admit(owner, &photos.shares(), receipt.bytes)
        .map_err(full)?;
    let Some(file) = received.file else {
        // Longer than its reservation, yet it fits now: room was freed while it arrived.
        return Err(ApiError::unavailable(
            "room for the photo was freed while it arrived; send it again",
            1,
        ));
    };
    let owner_json = serde_json::to_vec(owner).map_err(|e| ApiError::internal(&e))?;
    fairtally_files::write_atomic(
        &photos.dir.join(owner_file(&receipt.sha256)),
        &owner_json,
        Access::Public,
    )
    .map_err(|e| ApiError::internal(&e))?;
    file.commit().map_err(|e| ApiError::internal(&e))?;
    let path = photos.path(&receipt.sha256, received.kind);
    std::fs::rename(&staging, &path)
        .map_err(|e| ApiError::internal(&format!("moving {} into place: {e}", path.display())))?;
    fairtally_files::sync_dir(&photos.dir).map_err(|e| ApiError::internal(&e))?;
    usage.add(owner, receipt.bytes);
    Ok((StatusCode::CREATED, receipt))
}

fn full(reason: String) -> ApiError {
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        format!("{reason}; keep the photo and tell the election's observers' organisation"),
    )
}

/// The media type a client declares, if any other than `application/octet-stream`.
fn declared_type(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .map(|v| {
            v.to_str()
                .map(|s| s.split(';').next().unwrap_or_default().trim().to_owned())
                .map_err(|_| ApiError::bad_request("Content-Type is not text"))
        })
        .transpose()?;
    Ok(declared.filter(|t| t != "application/octet-stream"))
}

/// The body's size as the client declares it, refused at once when too large.
fn declared_length(headers: &HeaderMap, max_bytes: u64) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    let length = value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("Content-Length is not a number"))?;
    if length > max_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the photo is larger than the {max_bytes} bytes this server takes"),
        ));
    }
    Ok(Some(length))
}

/// `POST /api/v1/photos?entry=N`: one photo of the protocol at board entry `N`, streamed.
pub async fn post_photo(
    State(photos): State<Arc<Photos>>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request("give the board index of the photo's protocol: ?entry=N")
    })?;
    let limits = photos.options.limits;
    let declared = declared_type(&headers)?;
    let length = declared_length(&headers, limits.max_photo_bytes)?;
    // Who vouches for the photo, and whether they have room, before a byte of it is read.
    let (owner, named) = {
        let photos = photos.clone();
        tokio::task::spawn_blocking(move || photos.vouching(query.entry))
            .await
            .map_err(|e| ApiError::internal(&e))??
    };
    let (admission, file, kept) = {
        let (photos, owner) = (photos.clone(), owner.clone());
        tokio::task::spawn_blocking(move || photos.reserve(&owner, length))
            .await
            .map_err(|e| ApiError::internal(&e))??
    };
    let received = receive(
        body,
        file,
        kept,
        limits.max_photo_bytes,
        limits.idle_timeout,
    )
    .await?;
    let kind = received.kind.media_type();
    if let Some(declared) = declared
        && !declared.eq_ignore_ascii_case(kind)
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type {declared} does not match the body, which is {kind}"),
        ));
    }
    if !named.contains(&received.sha256) {
        return Err(ApiError::unprocessable(format!(
            "the protocol at board entry {} names no photo with SHA-256 {}",
            query.entry, received.sha256
        )));
    }
    let (status, receipt) =
        tokio::task::spawn_blocking(move || keep(&photos, &owner, received, admission))
            .await
            .map_err(|e| ApiError::internal(&e))??;
    Ok((status, Json(receipt)))
}

/// `GET /api/v1/photos/{sha256}`: a stored photo, immutable (its name is its hash). The file
/// is streamed (tower-http's `ServeFile`), never read whole: a photo is up to
/// [`PhotoLimits::max_photo_bytes`], and many clients may fetch at once. `Range` requests are
/// answered too, so a download cut off on a poor connection resumes where it stopped. A client
/// that holds the photo already (`If-None-Match` with its ETag, the quoted hash) is answered
/// `304` without opening the file (`ServeFile` compares its own tag, of the file's inode and
/// time, which the photo's answers replace).
pub async fn get_photo(
    State(photos): State<Arc<Photos>>,
    UrlPath(sha256): UrlPath<String>,
    request: Request,
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
    let tag: ETag = format!("\"{sha256}\"")
        .parse()
        .map_err(|e| ApiError::internal(&e))?;
    let mut response = if holds_etag(request.headers(), &tag) {
        (StatusCode::NOT_MODIFIED, Body::empty()).into_response()
    } else {
        let served = ServeFile::new(&path)
            .oneshot(request)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        match served.status() {
            // Gone since it was found (a concurrent removal): as if never stored.
            StatusCode::NOT_FOUND => return Err(not_found()),
            status if status.is_client_error() || status.is_server_error() => {
                refused(status, served.headers().get(header::CONTENT_RANGE))
            }
            _ => served.map(Body::new),
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Only the photo (whole, a part of it, or "not modified") is an image cached for a year;
    // a refusal (`refused`) is not.
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.media_type()),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        headers.typed_insert(tag);
    }
    Ok(response)
}

/// `ServeFile`'s refusal of a stored photo (a range past its end: `416`; a read error) as the
/// API's own `{"error": …}` answer, with the reason in the request's log line; a `416` keeps
/// its `Content-Range`, which tells the client the photo's length. None of `ServeFile`'s
/// other headers are kept: its ETag (of the file's inode and time) names no photo.
fn refused(status: StatusCode, content_range: Option<&HeaderValue>) -> Response {
    let reason = match (status, content_range.and_then(|v| v.to_str().ok())) {
        (StatusCode::RANGE_NOT_SATISFIABLE, Some(range)) => {
            format!("the range asked for is not within the photo (Content-Range: {range})")
        }
        (StatusCode::RANGE_NOT_SATISFIABLE, None) => {
            "the range asked for is not within the photo".to_owned()
        }
        (other, _) => format!("the stored photo cannot be served ({other})"),
    };
    let mut response = ApiError::new(status, reason).into_response();
    if let Some(range) = content_range {
        response
            .headers_mut()
            .insert(header::CONTENT_RANGE, range.clone());
    }
    response
}

/// Whether an `If-None-Match` header of `headers` names the photo's `etag` (a weak tag or `*`
/// too, as RFC 9110 compares for this header); a malformed header names nothing.
fn holds_etag(headers: &HeaderMap, etag: &ETag) -> bool {
    headers
        .typed_get::<IfNoneMatch>()
        .is_some_and(|held| !held.precondition_passes(etag))
}
