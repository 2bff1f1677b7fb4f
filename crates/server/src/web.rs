//! The static web front end (`web/dist`, built with `cd web && npm ci && npm run build`):
//! `/vote`, `/track`, `/observe`, `/results` and `/observation` are the pages of the same
//! names (`NAME.html`), `/` an index of them, and every other path a file of the build
//! (`/assets/...`). Without a build the API is still served and `/` says what to run.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

/// The pages of the front end, each at `/NAME`, from `NAME.html`, with what it is for.
pub const PAGES: [(&str, &str); 5] = [
    ("vote", "Vote: the ballot booth"),
    ("track", "Track your ballot by its confirmation code"),
    ("observe", "Observers: record and send a station's protocol"),
    ("results", "Results"),
    ("observation", "Observation: what observers reported"),
];

/// What to run when the front end is not built.
pub const BUILD_COMMAND: &str = "cd web && npm ci && npm run build";

/// Whether `dir` holds a build of the front end (every page).
pub fn is_built(dir: &Path) -> bool {
    PAGES
        .iter()
        .all(|(name, _)| dir.join(format!("{name}.html")).is_file())
}

/// The front end's routes: served from `dir` when it holds a build, else a page that says how
/// to build it.
pub fn routes(dir: Option<PathBuf>) -> Router {
    let index = index_page(dir.as_deref().is_some_and(is_built));
    let mut router = Router::new().route("/", get(move || async move { Html(index) }));
    match dir.filter(|d| is_built(d)) {
        Some(dir) => {
            for (name, _) in PAGES {
                router = router.route_service(
                    &format!("/{name}"),
                    ServeFile::new(dir.join(format!("{name}.html"))),
                );
            }
            router.fallback_service(ServeDir::new(dir))
        }
        None => {
            for (name, _) in PAGES {
                router = router.route(&format!("/{name}"), get(not_built));
            }
            router
        }
    }
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html(format!(
            "<!doctype html><title>fairtally</title><p>The web front end is not built. \
             Run <code>{BUILD_COMMAND}</code> and restart <code>fairtally serve</code>.</p>"
        )),
    )
}

fn index_page(built: bool) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>fairtally</title>\
         <h1>fairtally</h1><ul>",
    );
    for (name, what) in PAGES {
        html.push_str(&format!("<li><a href=\"/{name}\">{what}</a></li>"));
    }
    html.push_str(
        "<li><a href=\"/board/checkpoint\">The bulletin board's latest checkpoint</a></li></ul>",
    );
    if !built {
        html.push_str(&format!(
            "<p>The web front end is not built: run <code>{BUILD_COMMAND}</code>. \
             The API is served.</p>"
        ));
    }
    html.push_str("</html>");
    html
}
