//! Sending the prepared ballots: `C` concurrent submitters on one connection pool, an optional
//! rate limit, retries with backoff for refused connections, timeouts and `503`, and the
//! answer of every acknowledged ballot checked against the code computed here.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fairtally_election::ballot::ConfirmationCode;
use fairtally_election::progress::Progress;
use serde::Deserialize;
use tokio::time::Instant;

use crate::error::{LoadError, Result};
use crate::latency::Percentiles;
use crate::prepare::Submission;

/// The ballot box's endpoint under the server's base URL.
pub const BALLOTS_PATH: &str = "/api/v1/ballots";

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
    /// The ballots endpoint, after checking every option (so that a mistake is reported
    /// before any ballot is prepared).
    pub fn ballots_url(&self) -> Result<String> {
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
        if !base.starts_with("http://") {
            return Err(LoadError::Options(format!(
                "{base}: the server's URL must start with http://"
            )));
        }
        Ok(format!("{base}{BALLOTS_PATH}"))
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
    /// A `2xx` that is not `{"confirmation_code", "board_index"}`, or another status.
    BadAnswer,
    /// The server acknowledged a different confirmation code than the ballot's.
    WrongCode,
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
            ErrorKind::BadAnswer => "malformed answer",
            ErrorKind::WrongCode => "wrong confirmation code acknowledged",
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
    /// Ballots the server acknowledged (with the right code).
    pub acked: u64,
    /// Ballots that failed for good.
    pub failed: u64,
    /// Ballots never sent because the run gave up.
    pub unsent: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Per acknowledged ballot: from its scheduled send time (or its first attempt, without a
    /// rate limit) to the acknowledgement, retries included.
    pub latency: Percentiles,
    /// Failed attempts that were retried, by kind.
    pub retried: BTreeMap<ErrorKind, u64>,
    /// Ballots that failed for good, by kind.
    pub failures: BTreeMap<ErrorKind, u64>,
    /// The first refusal's answer, to show why.
    pub first_failure: Option<String>,
}

impl SubmitOutcome {
    /// Acknowledged ballots per second.
    pub fn per_second(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The server's answer to an accepted ballot (its `board_index` is not needed here).
#[derive(Deserialize)]
struct Acknowledgement {
    confirmation_code: String,
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
    failed: u64,
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

/// Sends every submission to the server at `options.url` and sends each acknowledged code to
/// `acked_codes`; `acked` counts the acknowledgements as they come (for a memory sampler).
pub fn submit(
    submissions: Arc<Vec<Submission>>,
    options: &SubmitOptions,
    acked_codes: Option<Sender<String>>,
    acked: Arc<AtomicU64>,
    progress: &dyn Progress,
) -> Result<SubmitOutcome> {
    let url = options.ballots_url()?;
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
    let shared = Arc::new(Shared {
        submissions,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        acked,
        tally: Mutex::new(Tally::default()),
    });
    progress.begin("submitting ballots", total as u64);
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
            let now = shared.acked.load(Ordering::Relaxed) + shared.tally().failed;
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
    let acked = shared.acked.load(Ordering::Relaxed);
    Ok(SubmitOutcome {
        acked,
        failed: tally.failed,
        unsent: (total as u64).saturating_sub(acked + tally.failed),
        elapsed: tally
            .last_answer
            .map(|t| t.duration_since(start))
            .unwrap_or_default(),
        latency: Percentiles::of(&mut tally.latencies),
        retried: tally.retried,
        failures: tally.failures,
        first_failure: tally.first_failure,
    })
}

/// One submitter: takes the next ballot until there are none (or the run gave up).
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
        match answer {
            Ok(()) => {
                tally.latencies.push(now.duration_since(began));
                drop(tally);
                shared.acked.fetch_add(1, Ordering::Relaxed);
                if let Some(codes) = codes {
                    let _ = codes.send(submission.code.to_string());
                }
            }
            Err((kind, why)) => {
                tally.failed += 1;
                *tally.failures.entry(kind).or_default() += 1;
                tally
                    .first_failure
                    .get_or_insert_with(|| format!("ballot {}: {why}", submission.code));
                if kind == ErrorKind::GaveUp {
                    shared.stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Sends one ballot until it is acknowledged, refused, or the retry time is over.
async fn send_with_retries(
    shared: &Shared,
    client: &reqwest::Client,
    url: &str,
    options: &SubmitOptions,
    submission: &Submission,
) -> std::result::Result<(), (ErrorKind, String)> {
    let deadline = Instant::now() + options.retry_for;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let (kind, why, retry_after) = match attempt(client, url, submission).await {
            Ok(()) => return Ok(()),
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
) -> std::result::Result<(), Failure> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(submission.body.clone())
        .send()
        .await
        .map_err(|e| (transport_kind(&e), e.to_string(), None))?;
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
        200 | 201 => {
            let ack: Acknowledgement = serde_json::from_slice(&body)
                .map_err(|e| (ErrorKind::BadAnswer, format!("{}: {e}", said()), None))?;
            match ack.confirmation_code.parse::<ConfirmationCode>() {
                Ok(code) if code == submission.code => Ok(()),
                _ => Err((ErrorKind::WrongCode, said(), None)),
            }
        }
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
