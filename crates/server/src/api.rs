//! The API's handlers (documented in `docs/API.md` and `docs/openapi.json`).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use fairtally_board::board::Board;
use fairtally_board::checkpoint::SignedCheckpoint;
use fairtally_board::entry::Entry;
use fairtally_board::outbox::parse_submissions;
use fairtally_election::ballot::Intent;
use fairtally_election::ballot_box::BallotIndexReader;
use fairtally_election::bulletin::ballot_in_entry;
use fairtally_election::confirmation_code::ConfirmationCode;
use fairtally_observe::signed::{ObservationItem, verify_items};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::ballot_queue::BallotQueue;
use crate::checkpoints::{blocking, lock};
use crate::election_dir::ElectionDir;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// What the handlers share.
pub struct App {
    /// The election's directories.
    pub election: ElectionDir,
    /// The ballot box's queue.
    pub queue: BallotQueue,
    /// A read-only connection to the ballot box's index: accepted ballots by confirmation
    /// code, looked up without the ballot box's thread or lock.
    pub index: Arc<Mutex<BallotIndexReader>>,
    /// A board handle for reads (proofs) and observers' submissions.
    pub board: Arc<Mutex<Board>>,
    /// The latest published checkpoint.
    pub published: watch::Receiver<Option<SignedCheckpoint>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Organisations observers' accreditations must come from (empty: any, see
    /// [`crate::ServeOptions::trusted_organisations`]).
    pub trusted_organisations: Vec<VerifyingKey>,
}

/// Seconds a client is told to wait when voting is closed.
const CLOSED_RETRY_SECONDS: u64 = 3600;

/// `201` answer to `POST /api/v1/ballots`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotReceipt {
    /// The ballot's confirmation code, as the voter's device shows it.
    pub confirmation_code: String,
    /// Its entry on the bulletin board.
    pub board_index: u64,
}

/// `200` answer to `GET /api/v1/ballots/{code}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotTracking {
    /// The confirmation code, canonically spelt.
    pub confirmation_code: String,
    /// `cast`, `superseded` or `challenged`.
    pub status: String,
    /// `cast` or `challenge`: what the voter asked for.
    pub intent: String,
    /// The ballot's entry on the board.
    pub board_index: u64,
    /// Its position in the ballot box (0-based line of `ballots.jsonl`).
    pub position: u64,
    /// The board entry's leaf data, base64 (`u8 kind length ‖ kind ‖ body`); its leaf hash
    /// is `SHA-256(0x00 ‖ leaf data)`.
    pub entry: String,
    /// The inclusion proof against the latest published checkpoint; `null` until a
    /// checkpoint covers the ballot (at most one checkpoint interval after it was accepted).
    pub proof: Option<InclusionProof>,
}

/// An RFC 9162 inclusion proof of one board entry under a signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The signed checkpoint (a C2SP signed note: origin, tree size, base64 root hash, blank
    /// line, signature lines), as published in `/board/checkpoint`.
    pub checkpoint: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The entry's index (= `board_index`).
    pub leaf_index: u64,
    /// The audit path, base64 32-byte hashes, from the leaf's sibling up.
    pub hashes: Vec<String>,
}

/// `201` answer to `POST /api/v1/observations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationReceipt {
    /// The submission's entry on the board.
    pub board_index: u64,
}

fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        ApiError::new(
            rejection.status(),
            format!("cannot read the request body: {}", rejection.body_text()),
        )
    })
}

/// `POST /api/v1/ballots`: one signed ballot as `fairtally voter cast` (or `challenge`)
/// writes it; answered once it is durably on the board.
pub async fn post_ballot(
    State(app): State<Arc<App>>,
    request: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = body(request)?;
    if app.election.voting_closed() {
        return Err(ApiError::unavailable(
            "voting is closed",
            CLOSED_RETRY_SECONDS,
        ));
    }
    // Parsed by the checker stage, with the other ballots of its batch.
    let accepted = app.queue.submit(bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(BallotReceipt {
            confirmation_code: accepted.code.to_string(),
            board_index: accepted.board_index,
        }),
    ))
}

/// `GET /api/v1/ballots/{code}`: a ballot's status and its inclusion proof.
pub async fn get_ballot(
    State(app): State<Arc<App>>,
    Path(code): Path<String>,
) -> Result<Json<BallotTracking>, ApiError> {
    let code: ConfirmationCode = code
        .parse()
        .map_err(|e| ApiError::bad_request(format!("not a confirmation code: {e}")))?;
    let published = app.published.borrow().clone();
    let (reader, board) = (app.index.clone(), app.board.clone());
    let found = blocking(move || {
        let Some(located) = reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .find(&code)?
        else {
            return Ok(None);
        };
        let index = located.board_index;
        let checkpoint = published.filter(|c| c.checkpoint().size > index);
        let board = lock(&board);
        let entry = match board.leaf_data(index, index + 1) {
            Ok(data) => data.concat(),
            Err(fairtally_board::BoardError::OutOfRange { size, .. }) => {
                return Ok(Some((located, Err(size), None)));
            }
            Err(other) => return Err(other.into()),
        };
        let proof = match checkpoint {
            Some(signed) => {
                let size = signed.checkpoint().size;
                let hashes = board.inclusion_proof(index, size)?;
                Some(InclusionProof {
                    checkpoint: signed.to_text(),
                    tree_size: size,
                    leaf_index: index,
                    hashes: hashes.iter().map(|h| BASE64.encode(h)).collect(),
                })
            }
            None => None,
        };
        Ok(Some((located, Ok(entry), proof)))
    })
    .await
    .map_err(|e| ApiError::from_failure(&e))?;
    let (located, entry, proof) = found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no ballot with confirmation code {code} is in the ballot box"),
        )
    })?;
    // The index is a lookup aid the operator could edit: the entry it names must be on the
    // board, and be this ballot, cast or challenged as it says, or the tracker would show a
    // voter someone else's entry and its proof.
    let entry = entry.map_err(|size| {
        ApiError::inconsistent(
            format!(
                "the ballot box's index names board entry {} for confirmation code {code}, \
                 but the board holds {size} entries; the server will not show it \
                 (the operator's log says more)",
                located.board_index
            ),
            &format!(
                "GET /api/v1/ballots/{code}: the index names board entry {} (position {}), \
                 past the end of the board ({size} entries)",
                located.board_index, located.position
            ),
        )
    })?;
    if let Err(why) = entry_is_ballot(&entry, &code, located.intent) {
        return Err(ApiError::inconsistent(
            format!(
                "the ballot box's index names board entry {} for confirmation code {code}, \
                 but that entry is not this ballot; the server will not show it \
                 (the operator's log says more)",
                located.board_index
            ),
            &format!(
                "GET /api/v1/ballots/{code}: the index names board entry {} (position {}), \
                 which {why}",
                located.board_index, located.position
            ),
        ));
    }
    Ok(Json(BallotTracking {
        confirmation_code: code.to_string(),
        status: located.status.name().to_owned(),
        intent: located.intent.name().to_owned(),
        board_index: located.board_index,
        position: located.position,
        entry: BASE64.encode(entry),
        proof,
    }))
}

/// Whether board entry `leaf_data` is the ballot with confirmation code `code` and intent
/// `intent`; if not, what it is instead (for the log).
fn entry_is_ballot(
    leaf_data: &[u8],
    code: &ConfirmationCode,
    intent: Intent,
) -> Result<(), String> {
    let entry = Entry::from_leaf_data(leaf_data, "the indexed board entry")
        .map_err(|e| format!("cannot be read: {e}"))?;
    let summary = ballot_in_entry(&entry)
        .ok_or_else(|| format!("is an entry of kind {}, not a ballot", entry.kind()))?;
    let found = ConfirmationCode::from_hash(&summary.hash);
    if found != *code {
        return Err(format!("holds the ballot with confirmation code {found}"));
    }
    if summary.intent != intent {
        return Err(format!(
            "holds this ballot with intent {}, the index says {}",
            summary.intent.name(),
            intent.name()
        ));
    }
    Ok(())
}

/// `201` answer to `POST /api/v1/observations` with a submissions file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationsReceipt {
    /// Each submission's entry on the board, in the order of the file.
    pub board_indexes: Vec<u64>,
}

/// Parses one observer's submission as `fairtally observe post` does (canonical form, shape).
/// `entry` is set when the submission came as a board entry (an outbox's form): its kind must
/// be the item's.
fn parsed_observation(body: &[u8], entry: Option<&Entry>) -> Result<ObservationItem, ApiError> {
    let item = ObservationItem::from_canonical_bytes(body).map_err(ApiError::bad_request)?;
    if let Some(entry) = entry
        && entry.kind().as_str() != item.kind()
    {
        return Err(ApiError::unprocessable(format!(
            "an entry of kind {} holds an item of kind {}",
            entry.kind(),
            item.kind()
        )));
    }
    Ok(item)
}

/// Checks the signatures of `items` (against `trusted`, or each against the organisation it
/// names when `trusted` is empty), on all cores; `name` says which item failed.
fn verified(
    items: &[ObservationItem],
    trusted: &[VerifyingKey],
    name: impl Fn(usize) -> String,
) -> Result<(), ApiError> {
    let trusted = (!trusted.is_empty()).then_some(trusted);
    for (i, verdict) in verify_items(items, trusted).into_iter().enumerate() {
        verdict.map_err(|e| ApiError::unprocessable(format!("{}{e}", name(i))))?;
    }
    Ok(())
}

/// The checked entries of a request's body and whether it was a submissions file. Each item is
/// checked as `fairtally observe post` checks it (canonical form, shape, kind, signatures); an
/// entry that passes is the item's board entry exactly (its body is the item's canonical
/// bytes, its kind the item's), so it is stored as it came.
fn checked_observations(
    bytes: &[u8],
    binary: bool,
    trusted: &[VerifyingKey],
) -> Result<(Vec<Entry>, bool), ApiError> {
    let single = |item: ObservationItem| -> Result<(Vec<Entry>, bool), ApiError> {
        verified(std::slice::from_ref(&item), trusted, |_| String::new())?;
        let entry = fairtally_observe::bulletin::board_entry(&item)
            .map_err(|e| ApiError::unprocessable(e.to_string()))?;
        Ok((vec![entry], false))
    };
    if binary {
        let entry = Entry::from_leaf_data(bytes, "the request body")
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        return single(parsed_observation(entry.body(), Some(&entry))?);
    }
    /// A submissions file has a `format` member; an observation item has none.
    #[derive(Deserialize)]
    struct Probe {
        format: Option<serde::de::IgnoredAny>,
    }
    let is_file = serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.format.is_some());
    if !is_file {
        return single(parsed_observation(bytes, None)?);
    }
    let submitted = parse_submissions(bytes, "the request body")
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let named = |i: usize| format!("entries[{i}]: ");
    let items = submitted
        .par_iter()
        .enumerate()
        .map(|(i, entry)| {
            parsed_observation(entry.body(), Some(entry)).map_err(|e| ApiError {
                reason: format!("{}{}", named(i), e.reason),
                ..e
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    verified(&items, trusted, named)?;
    Ok((submitted, true))
}

/// `POST /api/v1/observations`: observers' signed items (accreditations, station protocols),
/// checked as `fairtally observe post` checks them, then put on the board. The body is one
/// item's canonical bytes (`application/json`, as the observer's store holds it), one board
/// entry's leaf data (`application/octet-stream`, as an outbox holds it), or a submissions file
/// (`fairtally board outbox export`) whose entries all go on the board in one commit.
pub async fn post_observation(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    request: Result<Bytes, BytesRejection>,
) -> Result<axum::response::Response, ApiError> {
    let bytes = body(request)?;
    let binary = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"));
    let trusted = app.trusted_organisations.clone();
    // Checking signatures is CPU work: off the async threads, a batch on every core.
    let checked =
        tokio::task::spawn_blocking(move || checked_observations(&bytes, binary, &trusted))
            .await
            .map_err(|e| ApiError::internal(&e))?;
    let (entries, batch) = checked?;
    let board = app.board.clone();
    let appended = blocking(move || Ok(lock(&board).append_batch(&entries)?))
        .await
        .map_err(|e| ApiError::from_failure(&e))?;
    let new = appended.iter().filter(|a| a.new).count();
    app.metrics.observations_accepted.inc_by(new as u64);
    let indexes: Vec<u64> = appended.iter().map(|a| a.index).collect();
    if batch {
        return Ok((
            StatusCode::CREATED,
            Json(ObservationsReceipt {
                board_indexes: indexes,
            }),
        )
            .into_response());
    }
    let index = indexes
        .first()
        .copied()
        .ok_or_else(|| ApiError::internal(&"the board returned no index"))?;
    Ok((
        StatusCode::CREATED,
        Json(ObservationReceipt { board_index: index }),
    )
        .into_response())
}

/// `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: String,
    /// Whether ballots are accepted.
    pub voting_open: bool,
    /// Ballots in the box.
    pub ballots: u64,
    /// Ballots waiting for the ballot box.
    pub pending: u64,
    /// Tree size of the latest published checkpoint (0 before the first).
    pub checkpoint_size: u64,
}

/// `GET /healthz`: the server is up; how many ballots it holds and waits for.
pub async fn healthz(State(app): State<Arc<App>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        voting_open: !app.election.voting_closed(),
        ballots: app.queue.ballots(),
        pending: app.queue.pending() as u64,
        checkpoint_size: app
            .published
            .borrow()
            .as_ref()
            .map_or(0, |c| c.checkpoint().size),
    })
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.encode(),
    )
}

/// Any other path under `/api/`: a JSON `404`.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such API endpoint")
}
