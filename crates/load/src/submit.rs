//! Sending the prepared requests (ballots, or batches of board entries): `C` concurrent
//! submitters on one connection pool, an optional rate limit, retries with backoff for refused
//! connections, timeouts and `503`, and every acknowledgement checked against what was sent
//! (a ballot's confirmation code computed here, a batch's number of entries).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fairtally_board::merkle::Hash;
use fairtally_election::ballot::ConfirmationCode;
use fairtally_election::progress::Progress;
use serde::Deserialize;
use tokio::time::Instant;

use crate::error::{LoadError, Result};
use crate::latency::Percentiles;

/// The ballot box's endpoint under the server's base URL.
pub const BALLOTS_PATH: &str = "/api/v1/ballots";

/// The observers' endpoint, which takes a submissions file of board entries in one commit.
pub const OBSERVATIONS_PATH: &str = "/api/v1/observations";

/// One request ready to send: its body and what the server must acknowledge.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The request body (a ballot's canonical JSON, or a submissions file), shared: sending it
    /// again, or retrying, copies no byte of it.
    pub body: bytes::Bytes,
    /// What the acknowledgement must say.
    pub expected: Expected,
}

/// What acknowledges a [`Submission`], and so where it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// A ballot for `POST /api/v1/ballots`: `201 {"confirmation_code": this, "board_index"}`.
    Ballot(ConfirmationCode),
    /// A submissions file for `POST /api/v1/observations`: `201 {"board_indexes": […]}`, one
    /// index for each entry, whose leaf hashes these are (in the file's order).
    Entries(Vec<Hash>),
}

impl Expected {
    /// The endpoint under the server's base URL.
    fn path(&self) -> &'static str {
        match self {
            Expected::Ballot(_) => BALLOTS_PATH,
            Expected::Entries(_) => OBSERVATIONS_PATH,
        }
    }

    /// Ballots or entries the request holds.
    pub fn items(&self) -> u64 {
        match self {
            Expected::Ballot(_) => 1,
            Expected::Entries(hashes) => hashes.len() as u64,
        }
    }

    /// What a failure report calls it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Expected::Ballot(code) => format!("ballot {code}"),
            Expected::Entries(hashes) => format!("a batch of {} entries", hashes.len()),
        }
    }

    /// The board indexes of an acknowledgement (`200`/`201` body), if it acknowledges this.
    fn acknowledged(&self, body: &[u8]) -> std::result::Result<Vec<u64>, (ErrorKind, String)> {
        let malformed = |e: serde_json::Error| (ErrorKind::BadAnswer, e.to_string());
        match self {
            Expected::Ballot(code) => {
                let ack: BallotReceipt = serde_json::from_slice(body).map_err(malformed)?;
                match ack.confirmation_code.parse::<ConfirmationCode>() {
                    Ok(acked) if acked == *code => Ok(vec![ack.board_index]),
                    _ => Err((ErrorKind::WrongAnswer, "another confirmation code".into())),
                }
            }
            Expected::Entries(hashes) => {
                let ack: EntriesReceipt = serde_json::from_slice(body).map_err(malformed)?;
                if ack.board_indexes.len() != hashes.len() {
                    return Err((
                        ErrorKind::WrongAnswer,
                        format!(
                            "{} board indexes for {} entries",
                            ack.board_indexes.len(),
                            hashes.len()
                        ),
                    ));
                }
                Ok(ack.board_indexes)
            }
        }
    }

    /// The lines of the acknowledged-items file for an acknowledgement with `indexes`: a
    /// ballot's confirmation code, or `INDEX LEAF_HASH_HEX` for each entry.
    fn acked_lines(&self, indexes: &[u64]) -> Vec<String> {
        match self {
            Expected::Ballot(code) => vec![code.to_string()],
            Expected::Entries(hashes) => indexes
                .iter()
                .zip(hashes)
                .map(|(index, hash)| format!("{index} {}", hex::encode(hash)))
                .collect(),
        }
    }
}

/// The first pause before a retry; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest pause between two attempts (also the most of a `Retry-After` that is obeyed).
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often the progress is updated.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// How to send.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmitOptions {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Ballots in flight at once.
    pub concurrency: usize,
    /// At most this many ballots a second (sent on a fixed schedule), or as fast as answered.
    pub rate: Option<f64>,
    /// How long one ballot is retried before the run gives up (and sends no more).
    pub retry_for: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

impl SubmitOptions {
    /// The server's base URL, after checking every option (so that a mistake is reported
    /// before anything is prepared).
    pub fn base_url(&self) -> Result<String> {
        if self.concurrency == 0 {
            return Err(LoadError::Options(
                "--concurrency must be at least 1".into(),
            ));
        }
        if self.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            return Err(LoadError::Options(
                "--rate must be a positive number".into(),
            ));
        }
        let base = self.url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(LoadError::Options(format!(
                "{base}: the server's URL must start with http:// or https://"
            )));
        }
        Ok(base.to_owned())
    }
}

/// Why an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection was refused or could not be made (the server is down or restarting).
    Connect,
    /// The connection broke or the request failed on the way.
    Transport,
    /// No answer within the timeout.
    Timeout,
    /// `503`: the server is overloaded or voting is closed.
    Unavailable,
    /// `429`: too many requests from this client.
    RateLimited,
    /// Another `5xx`.
    ServerError,
    /// A `4xx`: the server refused the ballot (not retried).
    Rejected,
    /// The server's TLS certificate did not verify (not retried: no retry makes it trusted).
    Certificate,
    /// A `2xx` that is not a receipt (`{"confirmation_code", "board_index"}` for a ballot,
    /// `{"board_indexes"}` for a batch), or another status.
    BadAnswer,
    /// The server acknowledged something else: another confirmation code than the ballot's,
    /// or another number of board indexes than the batch has entries.
    WrongAnswer,
    /// Retried for the whole retry time without an acknowledgement.
    GaveUp,
}

impl ErrorKind {
    /// A short name for the report.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connection refused or failed",
            ErrorKind::Transport => "connection broken",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "503 unavailable",
            ErrorKind::RateLimited => "429 too many requests",
            ErrorKind::ServerError => "other 5xx",
            ErrorKind::Rejected => "4xx rejected",
            ErrorKind::Certificate => "TLS certificate not trusted",
            ErrorKind::BadAnswer => "malformed answer",
            ErrorKind::WrongAnswer => "something else acknowledged",
            ErrorKind::GaveUp => "gave up after retrying",
        }
    }

    /// Whether an attempt that failed this way is tried again.
    fn retried(self) -> bool {
        matches!(
            self,
            ErrorKind::Connect
                | ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::Unavailable
                | ErrorKind::RateLimited
                | ErrorKind::ServerError
        )
    }
}

/// What sending did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubmitOutcome {
    /// Requests the server acknowledged (with the right code or number of indexes).
    pub acked: u64,
    /// Ballots or entries in them.
    pub acked_items: u64,
    /// Requests that failed for good.
    pub failed: u64,
    /// Requests never sent because the run gave up.
    pub unsent: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Per acknowledged request: from its scheduled send time (or its first attempt, without
    /// a rate limit) to the acknowledgement, retries included.
    pub latency: Percentiles,
    /// Each acknowledged entry's board index and leaf hash (batches of entries only), for
    /// checking afterwards that they are on the board.
    pub entries: Vec<(u64, Hash)>,
    /// Failed attempts that were retried, by kind.
    pub retried: BTreeMap<ErrorKind, u64>,
    /// Ballots that failed for good, by kind.
    pub failures: BTreeMap<ErrorKind, u64>,
    /// The first refusal's answer, to show why.
    pub first_failure: Option<String>,
}

impl SubmitOutcome {
    /// Acknowledged requests per second.
    pub fn per_second(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Acknowledged ballots or entries per second.
    pub fn items_per_second(&self) -> f64 {
        self.acked_items as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The server's answer to an accepted ballot.
#[derive(Deserialize)]
struct BallotReceipt {
    confirmation_code: String,
    board_index: u64,
}

/// The server's answer to a submissions file.
#[derive(Deserialize)]
struct EntriesReceipt {
    board_indexes: Vec<u64>,
}

/// What the submitters share.
struct Shared {
    submissions: Arc<Vec<Submission>>,
    next: AtomicUsize,
    stop: AtomicBool,
    acked: Arc<AtomicU64>,
    tally: Mutex<Tally>,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    acked: u64,
    entries: Vec<(u64, Hash)>,
    failed: u64,
    failed_items: u64,
    retried: BTreeMap<ErrorKind, u64>,
    failures: BTreeMap<ErrorKind, u64>,
    first_failure: Option<String>,
    last_answer: Option<Instant>,
}

impl Shared {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Sends every submission to the server at `options.url` and sends each acknowledged item's
/// line (a ballot's code, an entry's index and leaf hash) to `acked_codes`; `acked` counts the
/// acknowledged ballots or entries as they come (for a memory sampler).
pub fn submit(
    submissions: Arc<Vec<Submission>>,
    options: &SubmitOptions,
    acked_codes: Option<Sender<String>>,
    acked: Arc<AtomicU64>,
    progress: &dyn Progress,
) -> Result<SubmitOutcome> {
    let url = options.base_url()?;
    let client_error = |e: &dyn std::fmt::Display| LoadError::Client {
        reason: e.to_string(),
    };
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .pool_max_idle_per_host(options.concurrency)
        .build()
        .map_err(|e| client_error(&e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| client_error(&e))?;
    let total = submissions.len();
    let items: u64 = submissions.iter().map(|s| s.expected.items()).sum();
    let what = match submissions.first().map(|s| &s.expected) {
        Some(Expected::Entries(_)) => "submitting board entries",
        _ => "submitting ballots",
    };
    let shared = Arc::new(Shared {
        submissions,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        acked,
        tally: Mutex::new(Tally::default()),
    });
    progress.begin(what, items);
    let start = Instant::now();
    runtime.block_on(async {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..options.concurrency.min(total.max(1)) {
            let (shared, client, url) = (shared.clone(), client.clone(), url.clone());
            let (options, codes) = (options.clone(), acked_codes.clone());
            workers.spawn(async move {
                submitter(&shared, &client, &url, &options, codes.as_ref(), start).await;
            });
        }
        let mut reported = 0;
        loop {
            let done = tokio::time::timeout(PROGRESS_INTERVAL, workers.join_next()).await;
            let now = shared.acked.load(Ordering::Relaxed) + shared.tally().failed_items;
            progress.advance(now.saturating_sub(reported));
            reported = now;
            if matches!(done, Ok(None)) {
                break;
            }
        }
    });
    progress.end();
    drop(acked_codes);
    let mut tally = std::mem::take(&mut *shared.tally());
    Ok(SubmitOutcome {
        acked: tally.acked,
        acked_items: shared.acked.load(Ordering::Relaxed),
        failed: tally.failed,
        unsent: (total as u64).saturating_sub(tally.acked + tally.failed),
        elapsed: tally
            .last_answer
            .map(|t| t.duration_since(start))
            .unwrap_or_default(),
        latency: Percentiles::of(&mut tally.latencies),
        entries: tally.entries,
        retried: tally.retried,
        failures: tally.failures,
        first_failure: tally.first_failure,
    })
}

/// One submitter: takes the next request until there are none (or the run gave up).
async fn submitter(
    shared: &Shared,
    client: &reqwest::Client,
    url: &str,
    options: &SubmitOptions,
    codes: Option<&Sender<String>>,
    start: Instant,
) {
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(submission) = shared.submissions.get(i) else {
            return;
        };
        let began = match options.rate {
            Some(rate) => {
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due).await;
                due
            }
            None => Instant::now(),
        };
        let answer = send_with_retries(shared, client, url, options, submission).await;
        let now = Instant::now();
        let mut tally = shared.tally();
        tally.last_answer = Some(now);
        let expected = &submission.expected;
        match answer {
            Ok(indexes) => {
                tally.latencies.push(now.duration_since(began));
                tally.acked += 1;
                if let Expected::Entries(hashes) = expected {
                    tally
                        .entries
                        .extend(indexes.iter().copied().zip(hashes.iter().copied()));
                }
                drop(tally);
                shared.acked.fetch_add(expected.items(), Ordering::Relaxed);
                if let Some(codes) = codes {
                    for line in expected.acked_lines(&indexes) {
                        let _ = codes.send(line);
                    }
                }
            }
            Err((kind, why)) => {
                tally.failed += 1;
                tally.failed_items += expected.items();
                *tally.failures.entry(kind).or_default() += 1;
                tally
                    .first_failure
                    .get_or_insert_with(|| format!("{}: {why}", expected.describe()));
                if kind == ErrorKind::GaveUp {
                    shared.stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Sends one request until it is acknowledged, refused, or the retry time is over; the board
/// indexes acknowledged.
async fn send_with_retries(
    shared: &Shared,
    client: &reqwest::Client,
    base: &str,
    options: &SubmitOptions,
    submission: &Submission,
) -> std::result::Result<Vec<u64>, (ErrorKind, String)> {
    let deadline = Instant::now() + options.retry_for;
    let mut backoff = FIRST_BACKOFF;
    let url = format!("{base}{}", submission.expected.path());
    loop {
        let (kind, why, retry_after) = match attempt(client, &url, submission).await {
            Ok(indexes) => return Ok(indexes),
            Err(failure) => failure,
        };
        if !kind.retried() {
            return Err((kind, why));
        }
        *shared.tally().retried.entry(kind).or_default() += 1;
        let pause = retry_after.unwrap_or(backoff).min(MAX_BACKOFF);
        if Instant::now() + pause > deadline {
            return Err((
                ErrorKind::GaveUp,
                format!(
                    "no acknowledgement within {:?}; last: {why}",
                    options.retry_for
                ),
            ));
        }
        tokio::time::sleep(pause).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A failed attempt: its kind, what the server or the network said, and the `Retry-After`.
type Failure = (ErrorKind, String, Option<Duration>);

/// One request.
async fn attempt(
    client: &reqwest::Client,
    url: &str,
    submission: &Submission,
) -> std::result::Result<Vec<u64>, Failure> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(submission.body.clone())
        .send()
        .await
        .map_err(|e| match fairtally_net::http::untrusted_certificate(&e) {
            Some(reason) => (ErrorKind::Certificate, reason, None),
            None => (transport_kind(&e), e.to_string(), None),
        })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response
        .bytes()
        .await
        .map_err(|e| (transport_kind(&e), e.to_string(), None))?;
    let said = || {
        format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )
    };
    match status.as_u16() {
        200 | 201 => submission
            .expected
            .acknowledged(&body)
            .map_err(|(kind, why)| (kind, format!("{why}: {}", said()), None)),
        503 => Err((ErrorKind::Unavailable, said(), retry_after)),
        429 => Err((ErrorKind::RateLimited, said(), retry_after)),
        500..=599 => Err((ErrorKind::ServerError, said(), retry_after)),
        400..=499 => Err((ErrorKind::Rejected, said(), None)),
        _ => Err((ErrorKind::BadAnswer, said(), None)),
    }
}

fn transport_kind(error: &reqwest::Error) -> ErrorKind {
    if error.is_timeout() {
        ErrorKind::Timeout
    } else if error.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Transport
    }
}
