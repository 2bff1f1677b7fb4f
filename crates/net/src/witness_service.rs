//! The witness side of C2SP tlog-witness: `POST /add-checkpoint`.
//!
//! A witness is configured with the operator keys of the logs it witnesses. For each log it
//! keeps the last checkpoint it cosigned in a state file ([`fairtally_board::witness::Witness`],
//! written durably before a cosignature is released). A request carries the size the log
//! believes the witness last cosigned (`old`), a consistency proof from that size, and the new
//! checkpoint; the answers are the spec's:
//!
//! | answer | when |
//! | --- | --- |
//! | 200, the cosignature line | the checkpoint extends the last one cosigned (or is the first) |
//! | 400 | the request is malformed, or `old` is larger than the checkpoint's size |
//! | 403 | the checkpoint is not validly signed by the log's operator key |
//! | 404 | the origin is not a log this witness witnesses |
//! | 409, `text/x.tlog.size` | `old` is not the size last cosigned (the body gives it); or the same size with another root (a fork) |
//! | 422 | the consistency proof does not verify: the log is forked, or the proof is wrong |
//!
//! A rollback (a checkpoint smaller than the last one cosigned) gets 400 when the log names
//! the witness's size as `old`, and 409 otherwise. The check and the update of a log's state
//! happen under one lock, so two requests can never roll the state back (the race the spec
//! describes). A refused checkpoint that the operator did sign is kept as evidence.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fairtally_board::BoardError;
use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::merkle::Hash;
use fairtally_board::note::{Note, NoteSigner, NoteVerifier};
use fairtally_board::proof::verify_consistency;
use fairtally_board::witness::Witness;
use fairtally_files::{Access, write_atomic};
use sha2::{Digest as _, Sha256};
use tower_http::timeout::TimeoutLayer;

use crate::error::NetError;

/// Longest `add-checkpoint` request body accepted: 63 proof lines and a checkpoint note
/// ([`fairtally_board::note::MAX_NOTE_LEN`]) fit well within it.
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// Most consistency proof lines in a request (the spec's limit).
pub const MAX_PROOF_LINES: usize = 63;

/// How long a request may take before the witness answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The content type of a 409 answer's body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// One log this witness witnesses: the operator's key and the state of what it cosigned.
struct WitnessedLog {
    policy: TrustPolicy,
    witness: Witness,
    evidence: PathBuf,
}

/// A witness serving several logs, each with its own durable state.
pub struct WitnessService {
    verifier: NoteVerifier,
    logs: HashMap<String, Mutex<WitnessedLog>>,
    clock: fn() -> u64,
}

/// A parsed `add-checkpoint` request.
#[derive(Debug)]
struct Request {
    old: u64,
    proof: Vec<Hash>,
    signed: SignedCheckpoint,
}

/// The witness's answer to one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// 200: the cosignature line(s), each ending in a newline.
    Cosigned(String),
    /// 409 with the size of the last checkpoint cosigned.
    Conflict(u64),
    /// Any other refusal: the status and a one-line reason.
    Refused(u16, String),
}

impl WitnessService {
    /// A witness with the key `signer` for the logs whose operator keys are `logs`, keeping its
    /// state in `state_dir` (one file per log, named by the SHA-256 of its origin; created if
    /// missing).
    ///
    /// # Errors
    /// [`NetError::Malformed`] for a key that is not a witness key, or two logs of one origin;
    /// I/O errors; [`NetError::Board`] for a damaged state file.
    pub fn open(
        signer: &NoteSigner,
        state_dir: &Path,
        logs: &[NoteVerifier],
    ) -> Result<Self, NetError> {
        std::fs::create_dir_all(state_dir).map_err(NetError::io(state_dir))?;
        let mut map = HashMap::new();
        for operator in logs {
            let origin = operator.name().to_owned();
            let stem = hex::encode(Sha256::digest(origin.as_bytes()));
            let own_key = NoteSigner::from_skey(&signer.to_skey(), "witness key")?;
            let witness = Witness::open(own_key, &state_dir.join(format!("{stem}.checkpoint")))?;
            let log = WitnessedLog {
                policy: TrustPolicy::operator_only(operator.clone()),
                witness,
                evidence: state_dir.join("refused").join(stem),
            };
            if map.insert(origin.clone(), Mutex::new(log)).is_some() {
                return Err(NetError::Malformed {
                    url: "--log".into(),
                    reason: format!("the log {origin:?} is given twice"),
                });
            }
        }
        let verifier = signer.verifier();
        if verifier.role() != fairtally_board::note::KeyRole::Witness {
            return Err(NetError::Malformed {
                url: "--key".into(),
                reason: format!("{:?} is not a witness key", verifier.name()),
            });
        }
        Ok(Self {
            verifier,
            logs: map,
            clock: unix_now,
        })
    }

    /// The same service with another clock for its cosignatures' timestamps (tests).
    pub fn with_clock(mut self, clock: fn() -> u64) -> Self {
        self.clock = clock;
        self
    }

    /// The witness's public key.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// The last checkpoint cosigned for `origin`, as `(size, root)`.
    pub fn last(&self, origin: &str) -> Option<(u64, Hash)> {
        let log = self.logs.get(origin)?.lock().ok()?;
        log.witness.last().map(|c| (c.size, c.root))
    }

    /// Answers one `add-checkpoint` request body (the protocol, without HTTP).
    pub fn add_checkpoint(&self, body: &[u8]) -> Reply {
        let request = match parse_request(body) {
            Ok(request) => request,
            Err(reason) => return Reply::Refused(400, reason),
        };
        let new = request.signed.checkpoint().clone();
        let Some(log) = self.logs.get(&new.origin) else {
            return Reply::Refused(404, format!("unknown log {:?}", new.origin));
        };
        let Ok(mut log) = log.lock() else {
            return Reply::Refused(500, "the witness's state is unusable".into());
        };
        if let Err(e) = log.policy.verify(&request.signed) {
            return Reply::Refused(403, e.to_string());
        }
        if request.old > new.size {
            return Reply::Refused(
                400,
                format!(
                    "old size {} is larger than the checkpoint's size {}",
                    request.old, new.size
                ),
            );
        }
        let last = log.witness.last().cloned();
        let last_size = last.as_ref().map_or(0, |c| c.size);
        if request.old != last_size {
            return Reply::Conflict(last_size);
        }
        let refused = |log: &WitnessedLog, status, reason: String| {
            log.keep_evidence(&request.signed);
            tracing::warn!(origin = %new.origin, size = new.size, status, %reason, "checkpoint refused");
            Reply::Refused(status, reason)
        };
        match &last {
            Some(last) if last.size == new.size && last.root != new.root => {
                log.keep_evidence(&request.signed);
                tracing::warn!(%new, %last, "fork: same size, another root");
                return Reply::Conflict(last_size);
            }
            Some(last) if last.size > 0 => {
                if let Err(e) =
                    verify_consistency(last.size, new.size, &request.proof, &last.root, &new.root)
                {
                    return refused(
                        &log,
                        422,
                        format!("not consistent with the last cosigned {last}: {e}"),
                    );
                }
            }
            _ if !request.proof.is_empty() => {
                return refused(
                    &log,
                    422,
                    "the consistency proof must be empty for old size 0".into(),
                );
            }
            _ => {}
        }
        let policy = log.policy.clone();
        let now = (self.clock)();
        match log
            .witness
            .cosign(&request.signed, &request.proof, &policy, now)
        {
            Ok(cosigned) => match self.own_lines(&cosigned) {
                Some(lines) => Reply::Cosigned(lines),
                None => Reply::Refused(500, "the cosignature is missing".into()),
            },
            Err(BoardError::Fork { reason, .. }) => refused(&log, 422, reason),
            Err(BoardError::OutOfRange { size, .. }) => Reply::Conflict(size),
            Err(e) => {
                tracing::error!(error = %e, "cannot record the checkpoint");
                Reply::Refused(500, format!("cannot record the checkpoint: {e}"))
            }
        }
    }

    /// The signature lines of this witness's key in `cosigned`.
    fn own_lines(&self, cosigned: &SignedCheckpoint) -> Option<String> {
        let text = cosigned.note().text();
        let mut note = Note::new(text.to_owned()).ok()?;
        for signature in cosigned.note().signatures() {
            if self.verifier.matches(signature) {
                note.add_signature(signature.clone());
            }
        }
        let lines = note.to_text().split_off(text.len() + 1);
        (!lines.is_empty()).then_some(lines)
    }
}

impl WitnessedLog {
    /// Keeps a refused checkpoint the operator signed: with the last one cosigned, it is
    /// evidence that the log forked. One file per size and root, so repeats add nothing.
    fn keep_evidence(&self, signed: &SignedCheckpoint) {
        let cp = signed.checkpoint();
        let path = self
            .evidence
            .join(format!("{}-{}", cp.size, hex::encode(&cp.root[..8])));
        if let Err(e) = write_atomic(&path, signed.to_text().as_bytes(), Access::Public) {
            tracing::error!(error = %e, "cannot keep the refused checkpoint as evidence");
        }
    }
}

/// The body of an `add-checkpoint` request: `old <size>`, one base64 proof hash a line, an
/// empty line, the signed checkpoint.
pub fn request_body(old: u64, proof: &[Hash], signed: &SignedCheckpoint) -> String {
    let mut body = format!("old {old}\n");
    for hash in proof {
        body.push_str(&BASE64.encode(hash));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&signed.to_text());
    body
}

/// Parses `old <size>`, proof lines, an empty line and the checkpoint note.
fn parse_request(body: &[u8]) -> Result<Request, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the request is not UTF-8".to_owned())?;
    let (old_line, mut rest) = text
        .split_once('\n')
        .ok_or("the request has no old size line")?;
    let old = old_line
        .strip_prefix("old ")
        .filter(|d| *d == "0" || !d.starts_with('0'))
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u64>().ok())
        .ok_or_else(|| format!("{old_line:?} is not `old <size>`"))?;
    let mut proof = Vec::new();
    loop {
        let (line, tail) = rest
            .split_once('\n')
            .ok_or("the request has no empty line before the checkpoint")?;
        rest = tail;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(format!(
                "more than {MAX_PROOF_LINES} consistency proof lines"
            ));
        }
        let hash = BASE64
            .decode(line)
            .ok()
            .and_then(|b| Hash::try_from(b).ok())
            .ok_or_else(|| format!("proof line {} is not a base64 hash", proof.len() + 1))?;
        proof.push(hash);
    }
    let signed = SignedCheckpoint::parse(rest, "checkpoint").map_err(|e| e.to_string())?;
    Ok(Request { old, proof, signed })
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Cosigned(lines) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                lines,
            )
                .into_response(),
            Reply::Conflict(size) => (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)],
                format!("{size}\n"),
            )
                .into_response(),
            Reply::Refused(status, reason) => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{reason}\n"),
            )
                .into_response(),
        }
    }
}

/// The witness's HTTP interface: `POST /add-checkpoint` (the submission prefix is the root),
/// with a body limit and a request timeout.
pub fn router(service: Arc<WitnessService>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_LEN))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(service)
}

async fn add_checkpoint(
    State(service): State<Arc<WitnessService>>,
    body: axum::body::Bytes,
) -> Reply {
    // The state file is synced before the answer: blocking work, off the async threads.
    tokio::task::spawn_blocking(move || service.add_checkpoint(&body))
        .await
        .unwrap_or_else(|_| Reply::Refused(500, "the witness failed".into()))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Serves `service` on `listener` until `shutdown` completes, then finishes the requests in
/// flight (a cosignature whose state was recorded is still sent).
///
/// # Errors
/// [`NetError::Io`] when the server fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<WitnessService>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), NetError> {
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(NetError::io("the witness's listener"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtally_board::board::Board;
    use fairtally_board::entry::{Entry, EntryKind};
    use fairtally_board::note::KeyRole;

    /// A log of `sizes.last()` entries with a checkpoint signed at each of `sizes`.
    struct Log {
        _dir: tempfile::TempDir,
        board: Board,
        operator: NoteSigner,
        checkpoints: Vec<SignedCheckpoint>,
    }

    fn log(name: &str, sizes: &[u64], salt: u8) -> Result<Log, BoardError> {
        let dir = tempfile::tempdir().map_err(|e| BoardError::Io {
            path: "tempdir".into(),
            source: e,
        })?;
        let operator = NoteSigner::generate(name, KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(operator.verifier());
        let mut board = Board::create(&dir.path().join("b"), &policy)?;
        let kind = EntryKind::new("test/item")?;
        let mut checkpoints = Vec::new();
        let mut next = 0u64;
        for &size in sizes {
            let batch: Vec<Entry> = (next..size)
                .map(|i| Entry::new(kind.clone(), [&[salt][..], &i.to_be_bytes()].concat()))
                .collect::<Result<_, _>>()?;
            board.append_batch(&batch)?;
            checkpoints.push(board.sign_checkpoint(&operator)?);
            next = size;
        }
        Ok(Log {
            _dir: dir,
            board,
            operator,
            checkpoints,
        })
    }

    impl Log {
        fn body(&self, old: u64, n: usize) -> Result<Vec<u8>, BoardError> {
            let signed = &self.checkpoints[n];
            let new = signed.checkpoint().size;
            let proof = if old == 0 || old >= new {
                Vec::new()
            } else {
                self.board.consistency_proof(old, new)?
            };
            Ok(request_body(old, &proof, signed).into_bytes())
        }
    }

    fn witness(state: &Path, logs: &[&Log]) -> Result<(WitnessService, NoteSigner), NetError> {
        let key = NoteSigner::generate("witness.example/w1", KeyRole::Witness)?;
        let operators: Vec<NoteVerifier> = logs.iter().map(|l| l.operator.verifier()).collect();
        let service = WitnessService::open(&key, state, &operators)?.with_clock(|| 1_700_000_000);
        Ok((service, key))
    }

    #[test]
    fn cosigns_extensions_and_answers_every_refusal_with_the_specs_code()
    -> Result<(), Box<dyn std::error::Error>> {
        let state = tempfile::tempdir()?;
        let a = log("board.example/a", &[3, 300, 700], 0)?;
        let (service, key) = witness(state.path(), &[&a])?;

        // The first checkpoint is cosigned on trust; the answer is one verifying line.
        let Reply::Cosigned(lines) = service.add_checkpoint(&a.body(0, 0)?) else {
            panic!("not cosigned");
        };
        let text = a.checkpoints[0].note().text();
        let note = SignedCheckpoint::parse(&format!("{text}\n{lines}"), "answer")?;
        assert_eq!(note.note().signatures().len(), 1);
        assert_eq!(
            key.verifier().verify(text, &note.note().signatures()[0])?,
            Some(1_700_000_000)
        );
        // A log that thinks the witness saw nothing learns its size.
        assert_eq!(service.add_checkpoint(&a.body(0, 1)?), Reply::Conflict(3));
        // With the right old size and proof: cosigned.
        assert!(matches!(
            service.add_checkpoint(&a.body(3, 1)?),
            Reply::Cosigned(_)
        ));
        // The same checkpoint again is fine (a lost answer is asked again).
        assert!(matches!(
            service.add_checkpoint(&a.body(300, 1)?),
            Reply::Cosigned(_)
        ));
        // A rollback: the old checkpoint with the witness's size as old, or with its own.
        assert!(matches!(
            service.add_checkpoint(&a.body(300, 0)?),
            Reply::Refused(400, _)
        ));
        assert_eq!(service.add_checkpoint(&a.body(3, 0)?), Reply::Conflict(300));
        // A wrong proof.
        let mut bad = a.board.consistency_proof(300, 700)?;
        bad[0][0] ^= 1;
        let body = request_body(300, &bad, &a.checkpoints[2]);
        assert!(matches!(
            service.add_checkpoint(body.as_bytes()),
            Reply::Refused(422, _)
        ));

        // A fork: the same operator key signs another log of 700 entries, and of 300.
        let mut fork = log("board.example/a", &[300, 700], 1)?;
        fork.operator = NoteSigner::from_skey(&a.operator.to_skey(), "k")?;
        let forked: Vec<SignedCheckpoint> = [300u64, 700]
            .iter()
            .map(|&s| {
                let cp = fairtally_board::checkpoint::Checkpoint {
                    origin: "board.example/a".into(),
                    size: s,
                    root: fork.board.root_at(s)?,
                };
                SignedCheckpoint::sign(cp, &a.operator)
            })
            .collect::<Result<_, _>>()?;
        let proof = fork.board.consistency_proof(300, 700)?;
        let body = request_body(300, &proof, &forked[1]);
        assert!(matches!(
            service.add_checkpoint(body.as_bytes()),
            Reply::Refused(422, _)
        ));
        let body = request_body(300, &[], &forked[0]);
        assert_eq!(
            service.add_checkpoint(body.as_bytes()),
            Reply::Conflict(300)
        );
        assert_eq!(service.last("board.example/a").map(|l| l.0), Some(300));
        // Both forked checkpoints were kept as evidence.
        let evidence = std::fs::read_dir(state.path().join("refused"))?
            .flat_map(|d| d.map(|d| std::fs::read_dir(d.path())).into_iter().flatten())
            .flatten()
            .count();
        assert_eq!(
            evidence, 3,
            "the bad proof's, and the two forked checkpoints"
        );

        // Not the operator's signature: 403. An unknown log: 404. Garbage: 400.
        let other = log("board.example/b", &[5], 0)?;
        assert!(matches!(
            service.add_checkpoint(&other.body(0, 0)?),
            Reply::Refused(404, _)
        ));
        let impostor = NoteSigner::generate("board.example/a", KeyRole::Operator)?;
        let cp = a.checkpoints[2].checkpoint().clone();
        let body = request_body(
            300,
            &a.board.consistency_proof(300, 700)?,
            &SignedCheckpoint::sign(cp, &impostor)?,
        );
        assert!(matches!(
            service.add_checkpoint(body.as_bytes()),
            Reply::Refused(403, _)
        ));
        for garbage in [
            &b"old 01\n\n"[..],
            b"new 3\n\n",
            b"old 3\nnot base64\n\n",
            b"old 3\n",
            b"\xff",
        ] {
            assert!(
                matches!(service.add_checkpoint(garbage), Reply::Refused(400, _)),
                "{garbage:?}"
            );
        }
        let too_long = format!(
            "old 300\n{}\n{}",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n".repeat(64),
            a.checkpoints[2].to_text()
        );
        assert!(matches!(
            service.add_checkpoint(too_long.as_bytes()),
            Reply::Refused(400, _)
        ));

        // Restarted, the witness remembers 300 and still cosigns the extension to 700.
        drop(service);
        let service = WitnessService::open(&key, state.path(), &[a.operator.verifier()])?;
        assert_eq!(service.add_checkpoint(&a.body(0, 2)?), Reply::Conflict(300));
        assert!(matches!(
            service.add_checkpoint(&a.body(300, 2)?),
            Reply::Cosigned(_)
        ));
        Ok(())
    }
}
