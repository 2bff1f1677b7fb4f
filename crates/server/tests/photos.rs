//! `POST /api/v1/photos` and `GET /api/v1/photos/{sha256}`: only images that a protocol on
//! the board names are stored, within their limits, once; they are served immutable.

// Test helpers fail the test on a broken set-up, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use ed25519_dalek::SigningKey;
use fairtally_board::board::Board;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_observe::bulletin::board_entry;
use fairtally_observe::signed::{Accreditation, ObservationItem, ProtocolBody, SignedProtocol};
use fairtally_results::StationProtocol;
use fairtally_server::photos::{PhotoLimits, PhotoOptions, PhotoReceipt, Photos, router};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// A tiny JPEG-looking body (the server checks the first bytes, not the whole image).
fn jpeg(fill: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, fill);
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The organisation the tests trust, and another.
const TRUSTED: [u8; 32] = [7; 32];
const OTHER: [u8; 32] = [8; 32];

struct Bed {
    _dir: tempfile::TempDir,
    photos_dir: std::path::PathBuf,
    board: Arc<Mutex<Board>>,
}

impl Bed {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let operator = NoteSigner::generate("board.example.org/photos", KeyRole::Operator).unwrap();
        let board = Board::create(
            &dir.path().join("board"),
            &TrustPolicy::operator_only(operator.verifier()),
        )
        .unwrap();
        Bed {
            photos_dir: dir.path().join("photos"),
            _dir: dir,
            board: Arc::new(Mutex::new(board)),
        }
    }

    /// Appends a protocol that names `photos`, by observer 9 of the trusted organisation;
    /// returns its board index.
    fn protocol(&self, station: &str, photos: Vec<String>) -> u64 {
        self.protocol_by(TRUSTED, [9; 32], station, photos)
    }

    /// Appends a protocol that names `photos` by observer `observer` of `organisation`.
    fn protocol_by(
        &self,
        organisation: [u8; 32],
        observer: [u8; 32],
        station: &str,
        photos: Vec<String>,
    ) -> u64 {
        let organisation = SigningKey::from_bytes(&organisation);
        let observer = SigningKey::from_bytes(&observer);
        let accreditation = Accreditation::sign(
            &organisation,
            "test",
            &observer.verifying_key(),
            "Observer 1",
        );
        let protocol = SignedProtocol::sign(
            &observer,
            ProtocolBody {
                election: "test".into(),
                station: station.into(),
                observer: String::new(),
                accreditation,
                options: vec!["a".into()],
                protocol: StationProtocol::empty(1),
                photos,
                signed_at: 1,
            },
        );
        let entry = board_entry(&ObservationItem::Protocol(Box::new(protocol))).unwrap();
        self.append(entry)
    }

    fn append(&self, entry: Entry) -> u64 {
        self.board.lock().unwrap().append_batch(&[entry]).unwrap()[0].index
    }

    /// The photo routes trusting [`TRUSTED`], within `limits`.
    fn app(&self, limits: PhotoLimits) -> axum::Router {
        self.app_trusting(limits, &[TRUSTED], false)
    }

    fn app_trusting(
        &self,
        limits: PhotoLimits,
        trusted: &[[u8; 32]],
        open_accreditation: bool,
    ) -> axum::Router {
        let trusted = trusted
            .iter()
            .map(|k| SigningKey::from_bytes(k).verifying_key())
            .collect();
        router(Arc::new(Photos::new(
            self.photos_dir.clone(),
            self.board.clone(),
            PhotoOptions {
                limits,
                open_accreditation,
            },
            trusted,
        )))
    }

    /// The photos stored (not their owner files).
    fn stored_files(&self) -> usize {
        std::fs::read_dir(&self.photos_dir).map_or(0, |d| {
            d.filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                !name.starts_with('.') && !name.ends_with(".owner.json")
            })
            .count()
        })
    }

    /// What is left in the directory uploads stream into.
    fn incoming(&self) -> usize {
        std::fs::read_dir(self.photos_dir.join(".incoming")).map_or(0, |d| d.count())
    }
}

async fn upload(app: &axum::Router, entry: u64, content_type: &str, body: Vec<u8>) -> Response {
    let request = Request::post(format!("/api/v1/photos?entry={entry}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

async fn text(response: Response) -> String {
    String::from_utf8(
        to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_photo_a_protocol_names_is_stored_once_and_served_immutable() {
    let bed = Bed::new();
    let photo = jpeg(1, 5000);
    let index = bed.protocol("001", vec![sha256(&photo)]);
    let app = bed.app(PhotoLimits::default());

    let first = upload(&app, index, "image/jpeg", photo.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let receipt: PhotoReceipt = serde_json::from_str(&text(first).await).unwrap();
    assert_eq!(receipt.sha256, sha256(&photo));
    assert_eq!(receipt.bytes, 5000);
    assert_eq!(receipt.content_type, "image/jpeg");

    // Sent again (the client lost the answer): the same receipt, nothing written twice.
    let again = upload(&app, index, "image/jpeg", photo.clone()).await;
    assert_eq!(again.status(), StatusCode::OK);
    let repeated: PhotoReceipt = serde_json::from_str(&text(again).await).unwrap();
    assert_eq!(repeated, receipt);
    assert_eq!(bed.stored_files(), 1);

    let got = app
        .clone()
        .oneshot(Request::get(&receipt.url).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    let h = got.headers();
    assert_eq!(h[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    let bytes = to_bytes(got.into_body(), usize::MAX).await.unwrap();
    assert_eq!(sha256(&bytes), receipt.sha256);
}

#[tokio::test]
async fn a_photo_no_protocol_names_is_refused() {
    let bed = Bed::new();
    let named = jpeg(1, 100);
    let index = bed.protocol("001", vec![sha256(&named)]);
    let other =
        bed.append(Entry::new(EntryKind::new("note/v1").unwrap(), b"hello".to_vec()).unwrap());
    let app = bed.app(PhotoLimits::default());

    // A different body than the protocol names (the hash the server computes does not match).
    let response = upload(&app, index, "image/jpeg", jpeg(2, 100)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("names no photo with SHA-256"));
    // An entry that is not a protocol, and one that does not exist.
    let response = upload(&app, other, "image/jpeg", named.clone()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(response)
            .await
            .contains("is not an observer's protocol")
    );
    let response = upload(&app, 99, "image/jpeg", named).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("has no entry 99"));
    assert_eq!(bed.stored_files(), 0);
}

#[tokio::test]
async fn only_jpeg_png_and_webp_are_taken_by_their_first_bytes() {
    let bed = Bed::new();
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(64, 0);
    let mut webp = b"RIFF\x20\0\0\0WEBPVP8 ".to_vec();
    webp.resize(64, 0);
    let index = bed.protocol("001", vec![sha256(&html), sha256(&png), sha256(&webp)]);
    let app = bed.app(PhotoLimits::default());

    let response = upload(&app, index, "image/jpeg", html).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(text(response).await.contains("not a JPEG, PNG or WebP"));
    // A PNG declared as a JPEG: the declared type must agree with the bytes.
    let response = upload(&app, index, "image/jpeg", png.clone()).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        text(response)
            .await
            .contains("does not match the body, which is image/png")
    );
    assert_eq!(
        upload(&app, index, "image/png", png).await.status(),
        StatusCode::CREATED
    );
    let response = upload(&app, index, "application/octet-stream", webp.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let receipt: PhotoReceipt = serde_json::from_str(&text(response).await).unwrap();
    assert_eq!(receipt.content_type, "image/webp");
    let got = app
        .oneshot(Request::get(&receipt.url).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(got.headers()[header::CONTENT_TYPE], "image/webp");
}

#[tokio::test]
async fn the_size_of_a_photo_and_of_the_store_are_bounded() {
    let bed = Bed::new();
    let (a, b, large) = (jpeg(1, 600), jpeg(2, 600), jpeg(3, 1001));
    let index = bed.protocol("001", vec![sha256(&a), sha256(&b), sha256(&large)]);
    let small = PhotoLimits {
        max_photo_bytes: 1000,
        max_total_bytes: 1000,
        ..PhotoLimits::default()
    };
    let app = bed.app(small);

    let response = upload(&app, index, "image/jpeg", large).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        upload(&app, index, "image/jpeg", a.clone()).await.status(),
        StatusCode::CREATED
    );
    // 600 + 600 bytes exceed the store's 1000.
    let response = upload(&app, index, "image/jpeg", b).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let reason = text(response).await;
    assert!(reason.contains("the server's photo store"), "{reason}");
    // A photo already stored is still answered.
    assert_eq!(
        upload(&app, index, "image/jpeg", a).await.status(),
        StatusCode::OK
    );
    assert_eq!(bed.stored_files(), 1);

    // A restarted server counts what is already stored.
    let restarted = bed.app(small);
    let again = jpeg(2, 600);
    let response = upload(&restarted, index, "image/jpeg", again).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
}

#[tokio::test]
async fn a_protocol_naming_more_photos_than_the_limit_vouches_for_none() {
    let bed = Bed::new();
    let photo = jpeg(1, 100);
    let mut names: Vec<String> = (0..4).map(|i| sha256(&[i as u8])).collect();
    names.push(sha256(&photo));
    let index = bed.protocol("001", names);
    let four = PhotoLimits {
        max_photos_per_entry: 4,
        ..PhotoLimits::default()
    };
    let response = upload(&bed.app(four), index, "image/jpeg", photo.clone()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("names 5 photos"));
    // The default takes 16.
    let response = upload(&bed.app(PhotoLimits::default()), index, "image/jpeg", photo).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_upload_names_the_protocol_by_its_board_index() {
    let bed = Bed::new();
    let app = bed.app(PhotoLimits::default());
    for query in ["", "?entry=x", "?entry=-1"] {
        let request = Request::post(format!("/api/v1/photos{query}"))
            .body(Body::from(jpeg(1, 10)))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query:?}");
        assert!(text(response).await.contains("?entry=N"));
    }
}

#[tokio::test]
async fn a_photo_is_asked_for_by_its_hash_only() {
    let bed = Bed::new();
    let app = bed.app(PhotoLimits::default());
    for (path, status) in [
        ("/api/v1/photos/..%2Fboard", StatusCode::BAD_REQUEST),
        ("/api/v1/photos/ABCDEF", StatusCode::BAD_REQUEST),
        (
            &format!("/api/v1/photos/{}", sha256(b"x")),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let got = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(got.status(), status, "{path}");
    }
}

fn observer_hex(seed: [u8; 32]) -> String {
    hex::encode(SigningKey::from_bytes(&seed).verifying_key().to_bytes())
}

#[tokio::test]
async fn a_server_trusting_no_organisation_takes_photos_only_when_told() {
    let bed = Bed::new();
    let photo = jpeg(1, 100);
    let index = bed.protocol("001", vec![sha256(&photo)]);

    let closed = bed.app_trusting(PhotoLimits::default(), &[], false);
    let response = upload(&closed, index, "image/jpeg", photo.clone()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let reason = text(response).await;
    assert!(
        reason.contains("trusting none") && reason.contains("--trust"),
        "{reason}"
    );
    assert_eq!(bed.stored_files(), 0);

    // A server trusting another organisation refuses this observer, naming theirs.
    let other = bed.app_trusting(PhotoLimits::default(), &[OTHER], false);
    let response = upload(&other, index, "image/jpeg", photo.clone()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let reason = text(response).await;
    assert!(reason.contains("does not trust"), "{reason}");
    assert!(reason.contains(&observer_hex(TRUSTED)), "{reason}");

    let open = bed.app_trusting(PhotoLimits::default(), &[], true);
    let response = upload(&open, index, "image/jpeg", photo).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(bed.incoming(), 0);
}

#[tokio::test]
async fn a_griefer_key_hits_its_quota_and_an_honest_observer_still_uploads() {
    let bed = Bed::new();
    let limits = PhotoLimits {
        max_observer_bytes: 2500,
        ..PhotoLimits::default()
    };
    let griefer = [10; 32];
    let photos: Vec<Vec<u8>> = (0..16).map(|i| jpeg(i, 1000)).collect();
    let names = photos.iter().map(|p| sha256(p)).collect();
    let griefed = bed.protocol_by(TRUSTED, griefer, "666", names);
    let honest_photo = jpeg(99, 1000);
    let honest = bed.protocol("001", vec![sha256(&honest_photo)]);

    // Under open accreditation too: the griefer's key is bounded by its own quota.
    for app in [bed.app(limits), bed.app_trusting(limits, &[], true)] {
        for photo in &photos[..2] {
            let status = upload(&app, griefed, "image/jpeg", photo.clone())
                .await
                .status();
            assert!(
                status == StatusCode::CREATED || status == StatusCode::OK,
                "{status}"
            );
        }
        let response = upload(&app, griefed, "image/jpeg", photos[2].clone()).await;
        assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
        let reason = text(response).await;
        assert!(
            reason.contains(&format!(
                "photo quota of observer {}",
                observer_hex(griefer)
            )) && reason.contains("2000 of the 2500 bytes"),
            "{reason}"
        );
        // A photo the griefer already stored is still acknowledged, not refused.
        let again = upload(&app, griefed, "image/jpeg", photos[0].clone()).await;
        assert_eq!(again.status(), StatusCode::OK);
    }
    let response = upload(&bed.app(limits), honest, "image/jpeg", honest_photo).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(bed.stored_files(), 3);

    // A restarted server counts each observer's photos from their owner files.
    let restarted = bed.app(limits);
    let response = upload(&restarted, griefed, "image/jpeg", photos[3].clone()).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert_eq!(bed.incoming(), 0);
}

#[tokio::test]
async fn one_trusted_organisation_cannot_crowd_out_another() {
    let bed = Bed::new();
    let limits = PhotoLimits {
        max_total_bytes: 4000,
        ..PhotoLimits::default()
    };
    let app = bed.app_trusting(limits, &[TRUSTED, OTHER], false);
    // Two observers of one organisation take its half of the store, 2000 bytes.
    for (observer, fill) in [([20; 32], 1), ([21; 32], 2)] {
        let photo = jpeg(fill, 1000);
        let index = bed.protocol_by(TRUSTED, observer, "001", vec![sha256(&photo)]);
        let response = upload(&app, index, "image/jpeg", photo).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let third = jpeg(3, 1000);
    let index = bed.protocol_by(TRUSTED, [22; 32], "001", vec![sha256(&third)]);
    let response = upload(&app, index, "image/jpeg", third).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let reason = text(response).await;
    assert!(
        reason.contains(&format!("organisation {}", observer_hex(TRUSTED)))
            && reason.contains("2 trusted organisations"),
        "{reason}"
    );
    // The other organisation's observer still has its half.
    let theirs = jpeg(4, 1000);
    let index = bed.protocol_by(OTHER, [23; 32], "002", vec![sha256(&theirs)]);
    let response = upload(&app, index, "image/jpeg", theirs).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// A body delivered in `chunks`, then (when `stall`) never finished.
struct Chunks {
    chunks: std::collections::VecDeque<axum::body::Bytes>,
    stall: bool,
}

impl axum::body::HttpBody for Chunks {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        match self.chunks.pop_front() {
            Some(chunk) => std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk)))),
            None if self.stall => std::task::Poll::Pending,
            None => std::task::Poll::Ready(None),
        }
    }
}

fn chunked(photo: &[u8], size: usize, stall: bool) -> Body {
    Body::new(Chunks {
        chunks: photo
            .chunks(size)
            .map(axum::body::Bytes::copy_from_slice)
            .collect(),
        stall,
    })
}

async fn upload_body(app: &axum::Router, entry: u64, body: Body) -> Response {
    let request = Request::post(format!("/api/v1/photos?entry={entry}"))
        .body(body)
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn an_upload_streams_in_pieces_bounded_while_it_arrives() {
    let bed = Bed::new();
    let photo = jpeg(5, 3 << 20);
    let too_large = jpeg(6, (1 << 20) + 1);
    let index = bed.protocol("001", vec![sha256(&photo), sha256(&too_large)]);
    let limits = PhotoLimits {
        max_photo_bytes: 1 << 20,
        idle_timeout: Duration::from_millis(200),
        ..PhotoLimits::default()
    };
    let app = bed.app(limits);

    // No Content-Length: refused once the body passes the limit, nothing kept.
    let response = upload_body(&app, index, chunked(&too_large, 64 << 10, false)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        text(response)
            .await
            .contains("larger than the 1048576 bytes")
    );
    // Declared too large: refused before reading it.
    let request = Request::post(format!("/api/v1/photos?entry={index}"))
        .header(header::CONTENT_LENGTH, too_large.len())
        .body(Body::from(too_large))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A client that stops sending is cut off.
    let response = upload_body(&app, index, chunked(&photo[..1000], 100, true)).await;
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(text(response).await.contains("stopped arriving"));
    assert_eq!((bed.stored_files(), bed.incoming()), (0, 0));

    // A 3 MiB photo in 16 KiB pieces is hashed and stored as it arrives.
    let roomy = bed.app(PhotoLimits {
        max_photo_bytes: 4 << 20,
        ..limits
    });
    let response = upload_body(&roomy, index, chunked(&photo, 16 << 10, false)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let receipt: PhotoReceipt = serde_json::from_str(&text(response).await).unwrap();
    assert_eq!(
        (receipt.sha256.as_str(), receipt.bytes),
        (sha256(&photo).as_str(), 3 << 20)
    );
    let stored = std::fs::read(bed.photos_dir.join(format!("{}.jpg", receipt.sha256))).unwrap();
    assert_eq!(stored, photo);
    assert_eq!(bed.incoming(), 0);
}
