//! The log's side of C2SP tlog-witness: submit a new checkpoint to every witness with a
//! consistency proof from the size it last cosigned, verify each cosignature under that
//! witness's key, and return the checkpoint once the board policy's quorum has cosigned.
//!
//! The log does not need to remember what each witness saw: it starts from the size it last
//! got a cosignature for (0 the first time), and a witness that knows better answers 409 with
//! its size, from which the log builds the right proof and asks again (at most
//! [`MAX_CONFLICTS`] times per checkpoint). Each request has a timeout and a bounded number
//! of attempts ([`crate::http::HttpClient`]); the witnesses are asked at once, and the answer
//! comes as soon as the quorum is reached.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use fairtally_board::BoardError;
use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::merkle::Hash;
use fairtally_board::note::{KeyRole, NoteVerifier};
use tokio::task::JoinSet;

use crate::error::NetError;
use crate::http::{HttpClient, directory_url};
use crate::witness_service::{MAX_REQUEST_LEN, SIZE_CONTENT_TYPE, request_body};

/// How many 409 answers (the witness knows another size) a checkpoint may meet per witness.
pub const MAX_CONFLICTS: usize = 2;

/// A witness the log submits its checkpoints to: its submission prefix and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// The submission prefix, e.g. `http://127.0.0.1:7380/` (`add-checkpoint` is appended).
    pub url: String,
    /// The witness's cosignature key.
    pub key: NoteVerifier,
}

impl WitnessEndpoint {
    /// Parses `URL=VKEY` (what `fairtally serve --witness` takes).
    ///
    /// # Errors
    /// [`NetError::Malformed`] naming the argument, for a missing `=`, a URL that is not
    /// `http://` or `https://`, or a key that is not a witness's vkey.
    pub fn parse(spec: &str) -> Result<Self, NetError> {
        let bad = |reason: String| NetError::Malformed {
            url: format!("--witness {spec}"),
            reason,
        };
        let (url, vkey) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected URL=KEY (the witness's URL and its vkey)".into()))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(bad(format!("{url:?} is not an http:// or https:// URL")));
        }
        let key = NoteVerifier::from_vkey(vkey, "--witness key").map_err(|e| bad(e.to_string()))?;
        if key.role() != KeyRole::Witness {
            return Err(bad(format!("{:?} is not a witness key", key.name())));
        }
        Ok(Self {
            url: directory_url(url),
            key,
        })
    }

    fn name(&self) -> String {
        format!("{} ({})", self.url, self.key.name())
    }
}

/// The future [`ConsistencyProofs::consistency_proof`] returns: the proof, or why there is
/// none.
pub type ProofFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Hash>, String>> + Send + 'a>>;

/// Where the consistency proofs come from: the log's own tree (a server computes them off its
/// async threads; a closure over a [`fairtally_board::board::Board`] does it at once).
pub trait ConsistencyProofs: Send + Sync {
    /// The RFC 9162 consistency proof from the tree of `old` entries to that of `new`.
    fn consistency_proof(&self, old: u64, new: u64) -> ProofFuture<'_>;
}

impl<F> ConsistencyProofs for F
where
    F: Fn(u64, u64) -> Result<Vec<Hash>, BoardError> + Send + Sync,
{
    fn consistency_proof(&self, old: u64, new: u64) -> ProofFuture<'_> {
        Box::pin(std::future::ready(
            self(old, new).map_err(|e| e.to_string()),
        ))
    }
}

/// A witness and the size it last cosigned, as far as this log knows.
#[derive(Debug)]
struct Tracked {
    endpoint: WitnessEndpoint,
    known: Mutex<u64>,
}

/// The witnesses a log submits every new checkpoint to.
#[derive(Clone, Debug)]
pub struct Witnesses {
    witnesses: Vec<Arc<Tracked>>,
    http: HttpClient,
}

impl Witnesses {
    /// The witnesses at `endpoints`, asked through `http`.
    pub fn new(endpoints: Vec<WitnessEndpoint>, http: HttpClient) -> Self {
        Self {
            witnesses: endpoints
                .into_iter()
                .map(|endpoint| {
                    Arc::new(Tracked {
                        endpoint,
                        known: Mutex::new(0),
                    })
                })
                .collect(),
            http,
        }
    }

    /// The witnesses' endpoints.
    pub fn endpoints(&self) -> impl Iterator<Item = &WitnessEndpoint> {
        self.witnesses.iter().map(|t| &t.endpoint)
    }

    /// Submits `signed` (the operator's fresh checkpoint) to every witness and returns it with
    /// the cosignatures that verified under each witness's key, as soon as it verifies under
    /// `policy` (the operator's signature and the quorum). With a quorum of 0, every witness's
    /// answer is awaited.
    ///
    /// # Errors
    /// [`NetError::NoQuorum`] naming why each witness that did not cosign failed.
    pub async fn cosign(
        &self,
        signed: &SignedCheckpoint,
        policy: &TrustPolicy,
        proofs: Arc<dyn ConsistencyProofs>,
    ) -> Result<SignedCheckpoint, NetError> {
        let mut asked = JoinSet::new();
        for tracked in &self.witnesses {
            let (tracked, http, signed) = (tracked.clone(), self.http.clone(), signed.clone());
            let proofs = proofs.clone();
            asked.spawn(async move {
                let answer = ask(&http, &tracked, &signed, proofs.as_ref()).await;
                (tracked.endpoint.name(), answer)
            });
        }
        let mut merged = signed.clone();
        let mut failures = Vec::new();
        while let Some(done) = asked.join_next().await {
            match done {
                Ok((_, Ok(cosigned))) => merged.merge_signatures(&cosigned)?,
                Ok((name, Err(e))) => {
                    tracing::warn!(witness = %name, error = %e, "no cosignature");
                    failures.push(e.to_string());
                }
                Err(e) => failures.push(format!("a witness request failed: {e}")),
            }
            if policy.quorum > 0 && policy.verify(&merged).is_ok() {
                // Dropping the set cancels the requests still out.
                return Ok(merged);
            }
        }
        match policy.verify(&merged) {
            Ok(()) => Ok(merged),
            Err(BoardError::NotEnoughWitnesses { got, need, .. }) => Err(NetError::NoQuorum {
                got,
                need,
                failures: failures.join("; "),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

/// Asks one witness to cosign `signed`; returns the checkpoint text with the witness's
/// verified cosignature lines only.
async fn ask(
    http: &HttpClient,
    tracked: &Tracked,
    signed: &SignedCheckpoint,
    proofs: &dyn ConsistencyProofs,
) -> Result<SignedCheckpoint, NetError> {
    let endpoint = &tracked.endpoint;
    let fail = |reason: String| NetError::Witness {
        witness: endpoint.name(),
        reason,
    };
    let new = signed.checkpoint().size;
    let url = format!("{}add-checkpoint", endpoint.url);
    let mut old = tracked.known.lock().map_or(0, |k| *k);
    if old > new {
        old = 0;
    }
    for _ in 0..=MAX_CONFLICTS {
        let proof = if old == 0 || old == new {
            Vec::new()
        } else {
            proofs
                .consistency_proof(old, new)
                .await
                .map_err(|e| fail(format!("no consistency proof from size {old}: {e}")))?
        };
        let body = request_body(old, &proof, signed);
        let answer = http
            .post(
                &url,
                "text/plain; charset=utf-8",
                body.into_bytes(),
                MAX_REQUEST_LEN as u64,
            )
            .await
            .map_err(|e| fail(e.to_string()))?;
        match answer.status {
            200 => {
                let cosigned =
                    verified_cosignatures(signed, &endpoint.key, &answer.body).map_err(fail)?;
                if let Ok(mut known) = tracked.known.lock() {
                    *known = new;
                }
                return Ok(cosigned);
            }
            409 if answer.content_type.as_deref() == Some(SIZE_CONTENT_TYPE) => {
                let size = std::str::from_utf8(&answer.body)
                    .ok()
                    .and_then(|t| t.strip_suffix('\n'))
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| fail("answered 409 without a size".into()))?;
                if size > new {
                    return Err(fail(format!(
                        "it has cosigned a checkpoint of size {size}, larger than this one \
                         ({new}): this log went back, or another log of the same name exists"
                    )));
                }
                if size == old {
                    return Err(fail(format!(
                        "it has cosigned another checkpoint of size {size}: the log is forked"
                    )));
                }
                old = size;
            }
            _ => return Err(fail(answer.unexpected(&url).to_string())),
        }
    }
    Err(fail(format!(
        "its size changed {} times while it was asked",
        MAX_CONFLICTS + 1
    )))
}

/// The checkpoint `signed` with only the lines of `body` that are valid cosignatures by `key`.
fn verified_cosignatures(
    signed: &SignedCheckpoint,
    key: &NoteVerifier,
    body: &[u8],
) -> Result<SignedCheckpoint, String> {
    let lines = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_owned())?;
    let text = signed.note().text();
    let mut answered = SignedCheckpoint::parse(&format!("{text}\n{lines}"), "the answer")
        .map_err(|e| format!("the answer is not signature lines: {e}"))?;
    let mut invalid = None;
    answered.retain_signatures(|s| {
        if !key.matches(s) {
            return false;
        }
        match key.verify(text, s) {
            Ok(Some(_)) => true,
            Ok(None) => false,
            Err(e) => {
                invalid = Some(e.to_string());
                false
            }
        }
    });
    if let Some(reason) = invalid {
        return Err(format!("its cosignature does not verify: {reason}"));
    }
    if answered.note().signatures().is_empty() {
        return Err(format!("the answer holds no cosignature by {}", key.name()));
    }
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::witness_service::{WitnessService, serve};
    use fairtally_board::board::Board;
    use fairtally_board::entry::{Entry, EntryKind};
    use fairtally_board::note::NoteSigner;
    use std::time::Duration;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Starts a witness for `operator`'s log on a free loopback port; its URL and key.
    async fn start_witness(
        name: &str,
        state: &std::path::Path,
        operator: &NoteVerifier,
    ) -> Result<WitnessEndpoint, Box<dyn std::error::Error>> {
        let key = NoteSigner::generate(name, KeyRole::Witness)?;
        let service = Arc::new(WitnessService::open(
            &key,
            state,
            std::slice::from_ref(operator),
        )?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        tokio::spawn(serve(listener, service, std::future::pending()));
        Ok(WitnessEndpoint {
            url,
            key: key.verifier(),
        })
    }

    #[tokio::test]
    async fn a_quorum_cosigns_despite_a_dead_witness_and_a_fork_gets_none() -> TestResult {
        let dir = tempfile::tempdir()?;
        let operator = NoteSigner::generate("board.example/q", KeyRole::Operator)?;
        let mut endpoints = Vec::new();
        for i in 0..2 {
            let state = dir.path().join(format!("w{i}"));
            endpoints.push(
                start_witness(&format!("w{i}.example/w"), &state, &operator.verifier()).await?,
            );
        }
        // A third witness that never answers: nothing listens on its port any more.
        let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let dead_url = format!("http://{}/", dead.local_addr()?);
        drop(dead);
        let dead_key = NoteSigner::generate("dead.example/w", KeyRole::Witness)?.verifier();
        endpoints.push(WitnessEndpoint {
            url: dead_url,
            key: dead_key,
        });
        let policy = TrustPolicy {
            operator: operator.verifier(),
            witnesses: endpoints.iter().map(|e| e.key.clone()).collect(),
            quorum: 2,
        };
        let http =
            HttpClient::new(Duration::from_secs(2), 2)?.with_backoff(Duration::from_millis(10));
        let witnesses = Witnesses::new(endpoints, http);

        let board = Arc::new(Mutex::new(Board::create(&dir.path().join("b"), &policy)?));
        let kind = EntryKind::new("test/item")?;
        let proofs: Arc<dyn ConsistencyProofs> = {
            let board = board.clone();
            Arc::new(move |old, new| {
                board
                    .lock()
                    .map_err(|_| BoardError::Batch {
                        reason: "poisoned".into(),
                    })?
                    .consistency_proof(old, new)
            })
        };
        for round in 0..3u32 {
            let signed = {
                let mut board = board.lock().map_err(|_| "poisoned")?;
                let batch: Vec<Entry> = (0..50u32)
                    .map(|i| Entry::new(kind.clone(), (round * 100 + i).to_be_bytes().to_vec()))
                    .collect::<Result<_, _>>()?;
                board.append_batch(&batch)?;
                board.sign_checkpoint(&operator)?
            };
            let cosigned = witnesses.cosign(&signed, &policy, proofs.clone()).await?;
            let signers = policy.verify_signers(&cosigned)?;
            assert_eq!(signers.verified.len(), 3, "the operator and two witnesses");
        }

        // A fork of the log (same key, other entries) gets no cosignature from either.
        let mut fork = Board::create(&dir.path().join("fork"), &policy)?;
        let batch: Vec<Entry> = (0..200u32)
            .map(|i| Entry::new(kind.clone(), (1_000_000 + i).to_be_bytes().to_vec()))
            .collect::<Result<_, _>>()?;
        fork.append_batch(&batch)?;
        let forked = fork.sign_checkpoint(&operator)?;
        let fork = Arc::new(Mutex::new(fork));
        let fork_proofs: Arc<dyn ConsistencyProofs> = Arc::new(move |old, new| {
            fork.lock()
                .map_err(|_| BoardError::Batch {
                    reason: "poisoned".into(),
                })?
                .consistency_proof(old, new)
        });
        let err = witnesses.cosign(&forked, &policy, fork_proofs).await;
        let Err(NetError::NoQuorum {
            got: 0,
            need: 2,
            failures,
        }) = &err
        else {
            panic!("expected no quorum, got {err:?}");
        };
        assert!(failures.contains("422"), "{failures}");
        assert!(failures.contains("dead.example/w"), "{failures}");
        Ok(())
    }

    #[test]
    fn witness_arguments_are_checked() -> Result<(), NetError> {
        let key = NoteSigner::generate("w.example/w", KeyRole::Witness)?.verifier();
        let endpoint = WitnessEndpoint::parse(&format!("http://127.0.0.1:7380={}", key.to_vkey()))?;
        assert_eq!(endpoint.url, "http://127.0.0.1:7380/");
        assert_eq!(endpoint.key, key);
        let operator = NoteSigner::generate("op.example/log", KeyRole::Operator)?.verifier();
        for (spec, says) in [
            (format!("127.0.0.1:7380={}", key.to_vkey()), "not an http"),
            ("http://127.0.0.1:7380".to_owned(), "expected URL=KEY"),
            (
                format!("http://x={}", operator.to_vkey()),
                "not a witness key",
            ),
            ("http://x=nonsense".to_owned(), "--witness"),
        ] {
            let err = WitnessEndpoint::parse(&spec);
            assert!(
                err.as_ref().is_err_and(|e| e.to_string().contains(says)),
                "{spec}: {err:?}"
            );
        }
        Ok(())
    }
}
