//! `GET /board/...`: the board's public files (`BOARD/public`) in the C2SP tlog-tiles layout,
//! with the caching that layout calls for.
//!
//! | file | `Cache-Control` |
//! |---|---|
//! | `checkpoint`, `policy` | `no-cache` (they change with every checkpoint) |
//! | full tiles `tile/<L>/<N>`, full entry bundles `tile/entries/<N>`, `checkpoints/<size>` | `public, max-age=31536000, immutable` |
//! | partial tiles `…/<N>.p/<W>` | `public, max-age=60` (a full tile replaces them) |
//!
//! Files whose name starts with a dot (a publisher's temporary files) are never served.

use std::path::PathBuf;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

/// `Cache-Control` of the latest checkpoint and the policy.
pub const MUTABLE: &str = "no-cache";
/// `Cache-Control` of full tiles, full entry bundles and archived checkpoints.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of partial tiles.
pub const PARTIAL: &str = "public, max-age=60";

/// The routes under `/board` (nest them there).
pub fn routes(public: PathBuf) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(public))
        .layer(middleware::from_fn(tlog_headers))
}

/// The `Cache-Control` and `Content-Type` of a public file, by its path below `/board/`.
pub fn headers_for(path: &str) -> (&'static str, &'static str) {
    let text = "text/plain; charset=utf-8";
    match path {
        "checkpoint" | "policy" => (MUTABLE, text),
        p if p.starts_with("checkpoints/") => (IMMUTABLE, text),
        p if p.contains(".p/") => (PARTIAL, "application/octet-stream"),
        _ => (IMMUTABLE, "application/octet-stream"),
    }
}

async fn tlog_headers(request: Request, next: Next) -> Response {
    let path = request
        .uri()
        .path()
        .trim_start_matches('/')
        .trim_start_matches("board/")
        .to_owned();
    if path.split('/').any(|part| part.starts_with('.')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut response = next.run(request).await;
    if response.status() == StatusCode::OK {
        let (cache, content_type) = headers_for(&path);
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_tiles_are_immutable_and_the_checkpoint_is_not() {
        assert_eq!(headers_for("checkpoint").0, MUTABLE);
        assert_eq!(headers_for("policy").0, MUTABLE);
        assert_eq!(headers_for("tile/0/000").0, IMMUTABLE);
        assert_eq!(headers_for("tile/entries/x001/234").0, IMMUTABLE);
        assert_eq!(headers_for("tile/0/001.p/7").0, PARTIAL);
        assert_eq!(headers_for("tile/entries/000.p/255").0, PARTIAL);
        assert_eq!(headers_for("checkpoints/12").0, IMMUTABLE);
    }
}
