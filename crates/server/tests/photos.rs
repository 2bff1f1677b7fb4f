//! `POST /api/v1/photos` and `GET /api/v1/photos/{sha256}`: only images that a protocol on
//! the board names are stored, within their limits, once; they are served immutable.

// Test helpers fail the test on a broken set-up, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

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
use fairtally_server::photos::{PhotoLimits, PhotoReceipt, Photos, router};
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

    /// Appends a protocol that names `photos`; returns its board index.
    fn protocol(&self, station: &str, photos: Vec<String>) -> u64 {
        let organisation = SigningKey::from_bytes(&[7; 32]);
        let observer = SigningKey::from_bytes(&[9; 32]);
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

    fn app(&self, limits: PhotoLimits) -> axum::Router {
        router(Arc::new(Photos::new(
            self.photos_dir.clone(),
            self.board.clone(),
            limits,
        )))
    }

    fn stored_files(&self) -> usize {
        std::fs::read_dir(&self.photos_dir).map_or(0, |d| d.count())
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
    let app = bed.app(PhotoLimits {
        max_photo_bytes: 1000,
        max_total_bytes: 1000,
    });

    let response = upload(&app, index, "image/jpeg", large).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        upload(&app, index, "image/jpeg", a.clone()).await.status(),
        StatusCode::CREATED
    );
    // 600 + 600 bytes exceed the store's 1000.
    let response = upload(&app, index, "image/jpeg", b).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(text(response).await.contains("photo store is full"));
    // A photo already stored is still answered.
    assert_eq!(
        upload(&app, index, "image/jpeg", a).await.status(),
        StatusCode::OK
    );
    assert_eq!(bed.stored_files(), 1);

    // A restarted server counts what is already stored.
    let restarted = bed.app(PhotoLimits {
        max_photo_bytes: 1000,
        max_total_bytes: 1000,
    });
    let again = jpeg(2, 600);
    let response = upload(&restarted, index, "image/jpeg", again).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
}

#[tokio::test]
async fn a_protocol_naming_too_many_photos_vouches_for_none() {
    let bed = Bed::new();
    let photo = jpeg(1, 100);
    let mut names: Vec<String> = (0..fairtally_server::photos::MAX_PHOTOS_PER_PROTOCOL)
        .map(|i| sha256(&[i as u8]))
        .collect();
    names.push(sha256(&photo));
    let index = bed.protocol("001", names);
    let response = upload(&bed.app(PhotoLimits::default()), index, "image/jpeg", photo).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("at most 16"));
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
