//! The board on the network, end to end: witnesses served by `fairtally board witness serve`
//! cosigning, refusing a fork and a rollback, and keeping their state across a restart; a
//! mirror made over HTTP by `fairtally board mirror` that verifies offline, is extended
//! incrementally and refuses a tampered file or a rollback; and `fairtally board outbox send`
//! to a server, delivering exactly once when an answer is lost and confirming nothing a
//! server merely claims. Everything listens on loopback, on ports the system picks.

mod serve_support;

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fairtally_board::board::{Board, PUBLIC_DIR};
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::note::NoteSigner;
use fairtally_net::NetError;
use fairtally_net::http::HttpClient;
use fairtally_net::witness_client::{ConsistencyProofs, WitnessEndpoint, Witnesses};
use fairtally_net::witness_service::{SIZE_CONTENT_TYPE, request_body};
use serve_support::{Server, TestFallible as Fallible, TlsServer, test_authority};

const FAIRTALLY: &str = env!("CARGO_BIN_EXE_fairtally");

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `fairtally` in `dir`; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> Fallible<(i32, String, String)> {
    run_with(dir, &[], args)
}

/// [`run`] with these environment variables set.
fn run_with(dir: &Path, env: &[(&str, &Path)], args: &[&str]) -> Fallible<(i32, String, String)> {
    let out = Command::new(FAIRTALLY)
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

fn ok(dir: &Path, args: &[&str]) -> Fallible<String> {
    let (code, stdout, stderr) = run(dir, args)?;
    if code != 0 {
        return Err(format!("fairtally {args:?} exited {code}: {stdout}{stderr}").into());
    }
    Ok(stdout)
}

/// A child process killed when the guard goes (also when a test fails half-way).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fairtally board witness serve` on a free loopback port; its guard and URL.
fn start_witness(dir: &Path, key: &str, state: &str, log: &str) -> Fallible<(Guard, String)> {
    let mut child = Command::new(FAIRTALLY)
        .current_dir(dir)
        .args(["board", "witness", "serve", "--listen", "127.0.0.1:0"])
        .args(["--key", key, "--state", state, "--log", log])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let guard = Guard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30))?;
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| format!("no URL in {line:?}"))?
        .to_owned();
    Ok((guard, url))
}

/// A board made with `fairtally board init` and `append`: its directory, operator key and
/// the policy file as published.
struct OpBoard {
    dir: PathBuf,
    policy_file: PathBuf,
}

impl OpBoard {
    /// Board `op` in `root` with `entries` entries; with its public directory.
    fn with_entries(root: &Path, origin: &str, entries: u32) -> Fallible<(Self, PathBuf)> {
        let op = Self::init(root, "op", origin)?;
        op.append(root, 0, entries)?;
        let public = op.dir.join(PUBLIC_DIR);
        Ok((op, public))
    }

    fn init(root: &Path, name: &str, origin: &str) -> Fallible<Self> {
        ok(root, &["board", "init", name, "--origin", origin])?;
        let dir = root.join(name);
        Ok(Self {
            policy_file: dir.join(PUBLIC_DIR).join("policy"),
            dir,
        })
    }

    fn append(&self, root: &Path, from: u32, to: u32) -> Fallible<()> {
        let lines: String = (from..to).map(|i| format!("{{\"item\":{i}}}\n")).collect();
        let file = root.join(format!("lines-{from}-{to}.txt"));
        std::fs::write(&file, lines)?;
        ok(
            root,
            &[
                "board",
                "append",
                &self.dir.to_string_lossy(),
                "--kind",
                "test/line",
                "--lines",
                &file.to_string_lossy(),
            ],
        )?;
        Ok(())
    }

    fn policy(&self) -> Fallible<TrustPolicy> {
        let text = std::fs::read_to_string(&self.policy_file)?;
        Ok(TrustPolicy::parse(&text, "policy")?)
    }

    fn operator(&self) -> Fallible<NoteSigner> {
        let text = std::fs::read_to_string(self.dir.join("operator.key"))?;
        Ok(NoteSigner::from_skey(&text, "operator.key")?)
    }
}

fn proofs_of(board: Board) -> Arc<dyn ConsistencyProofs> {
    let board = Mutex::new(board);
    Arc::new(move |old, new| {
        board
            .lock()
            .map_err(|_| fairtally_board::BoardError::Batch {
                reason: "poisoned".into(),
            })?
            .consistency_proof(old, new)
    })
}

#[test]
fn witnesses_cosign_refuse_a_fork_and_a_rollback_and_keep_their_state() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let op = OpBoard::init(d, "op", "board.example.org/net")?;
    op.append(d, 0, 300)?;
    let operator_vkey = op.policy()?.operator.to_vkey();
    let mut vkeys = Vec::new();
    for w in ["w1", "w2"] {
        let out = ok(
            d,
            &[
                "board",
                "keygen",
                &format!("{w}.example.org/witness"),
                "--out",
                &format!("{w}.key"),
            ],
        )?;
        vkeys.push(out.trim().to_owned());
    }
    ok(
        d,
        &[
            "board",
            "policy",
            "op",
            "--witness",
            &vkeys[0],
            "--witness",
            &vkeys[1],
            "--quorum",
            "2",
        ],
    )?;
    let policy = op.policy()?;
    let (w1, url1) = start_witness(d, "w1.key", "w1.state", &operator_vkey)?;
    let (_w2, url2) = start_witness(d, "w2.key", "w2.state", &operator_vkey)?;
    let endpoints = vec![
        WitnessEndpoint::parse(&format!("{url1}={}", vkeys[0]))?,
        WitnessEndpoint::parse(&format!("{url2}={}", vkeys[1]))?,
    ];
    let http = HttpClient::new(Duration::from_secs(5), 3)?.with_backoff(Duration::from_millis(50));
    let witnesses = Witnesses::new(endpoints, http.clone());
    let operator = op.operator()?;

    // Two rounds: each checkpoint cosigned by both, added to the board, and then the board's
    // public files verify under the policy that demands both.
    let mut first = None;
    for round in 0..2u32 {
        if round == 1 {
            op.append(d, 300, 700)?;
        }
        let mut board = Board::open(&op.dir)?;
        let signed = board.sign_checkpoint(&operator)?;
        first.get_or_insert_with(|| signed.clone());
        let cosigned = fairtally_net::block_on(witnesses.cosign(
            &signed,
            &policy,
            proofs_of(Board::open(&op.dir)?),
        ))??;
        board.add_cosignatures(&cosigned)?;
        board.publish()?;
        let out = ok(
            d,
            &[
                "board",
                "verify",
                "op/public",
                "--policy",
                "op/public/policy",
            ],
        )?;
        assert!(out.contains("signed by w1.example.org/witness"), "{out}");
        assert!(out.contains("signed by w2.example.org/witness"), "{out}");
    }
    let first = first.ok_or("no checkpoint")?;

    // A fork: the operator key signs a log of other entries, larger than the witnessed one.
    let mut fork = Board::create(&d.join("fork"), &policy)?;
    let kind = EntryKind::new("test/line")?;
    let entries: Vec<Entry> = (0..800u32)
        .map(|i| Entry::new(kind.clone(), format!("forked {i}").into_bytes()))
        .collect::<Result<_, _>>()?;
    fork.append_batch(&entries)?;
    let forked = fork.sign_checkpoint(&operator)?;
    let err = fairtally_net::block_on(witnesses.cosign(&forked, &policy, proofs_of(fork)))?;
    let Err(NetError::NoQuorum {
        got: 0, failures, ..
    }) = &err
    else {
        return Err(format!("a fork was cosigned: {err:?}").into());
    };
    assert_eq!(failures.matches("422").count(), 2, "{failures}");

    // A rollback: the first checkpoint again. Told the witness's size, it answers 400; the
    // client, who starts from what it knows, is told the witness has cosigned more.
    let body = request_body(700, &[], &first);
    let url = format!("{url1}add-checkpoint");
    let answer = fairtally_net::block_on(http.post(&url, "text/plain", body.into_bytes(), 4096))??;
    assert_eq!(answer.status, 400, "{}", answer.body_text());
    let body = request_body(300, &[], &first);
    let answer = fairtally_net::block_on(http.post(&url, "text/plain", body.into_bytes(), 4096))??;
    assert_eq!(
        (
            answer.status,
            answer.content_type.as_deref(),
            answer.body.as_slice()
        ),
        (409, Some(SIZE_CONTENT_TYPE), &b"700\n"[..])
    );
    let err = fairtally_net::block_on(witnesses.cosign(
        &first,
        &policy,
        proofs_of(Board::open(&op.dir)?),
    ))?;
    assert!(
        err.as_ref()
            .is_err_and(|e| e.to_string().contains("larger than this one")),
        "{err:?}"
    );

    // Restarted on the same state, the witness still knows size 700 and cosigns what extends it.
    drop(w1);
    let (_w1, url1) = start_witness(d, "w1.key", "w1.state", &operator_vkey)?;
    let body = request_body(0, &[], &first);
    let url = format!("{url1}add-checkpoint");
    let answer = fairtally_net::block_on(http.post(&url, "text/plain", body.into_bytes(), 4096))??;
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (409, &b"700\n"[..])
    );
    op.append(d, 700, 750)?;
    let signed = Board::open(&op.dir)?.sign_checkpoint(&operator)?;
    let restarted = Witnesses::new(
        vec![WitnessEndpoint::parse(&format!("{url1}={}", vkeys[0]))?],
        http,
    );
    let one = TrustPolicy {
        quorum: 1,
        ..policy.clone()
    };
    let cosigned = fairtally_net::block_on(restarted.cosign(
        &signed,
        &one,
        proofs_of(Board::open(&op.dir)?),
    ))??;
    assert_eq!(one.verify_signers(&cosigned)?.verified.len(), 2);
    Ok(())
}

/// Each directory's files under its prefix (`/board`: `dir/...`).
fn static_files(dirs: &[(&str, &Path)]) -> axum::Router {
    dirs.iter()
        .fold(axum::Router::new(), |router, (prefix, dir)| {
            router.nest_service(prefix, tower_http::services::ServeDir::new(dir))
        })
}

fn flip(path: &Path, at: usize) -> TestResult {
    let mut bytes = std::fs::read(path)?;
    bytes[at] ^= 1;
    std::fs::write(path, bytes)?;
    Ok(())
}

/// `fairtally board mirror URL DIR` fails a check (exit 1) saying each of `expect`.
fn mirror_fails(d: &Path, url: &str, dir: &str, pinned: &str, expect: &[&str]) -> TestResult {
    let (code, out, err) = run(d, &["board", "mirror", url, dir, "--policy", pinned])?;
    assert_eq!(code, 1, "{out}{err}");
    for words in expect {
        assert!(out.contains(words), "{words:?} not in {out}");
    }
    Ok(())
}

/// "N files (M bytes) fetched": N.
fn files_fetched(out: &str) -> Fallible<u64> {
    let line = out
        .lines()
        .find(|l| l.contains("files ("))
        .ok_or_else(|| format!("no fetch line in {out}"))?;
    Ok(line.split_whitespace().next().unwrap_or("").parse()?)
}

#[test]
fn a_mirror_made_over_http_verifies_offline_and_refuses_what_was_tampered_with() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let (op, public) = OpBoard::with_entries(d, "board.example.org/mirror", 600)?;
    let old = d.join("old-public");
    fairtally_board::mirror::copy_mirror(&public, &old)?;
    let policy = d.join("pinned.policy");
    std::fs::copy(&op.policy_file, &policy)?;
    // A fork: the operator's key signs another log of 900 entries.
    let mut fork = Board::create(&d.join("fork"), &op.policy()?)?;
    let kind = EntryKind::new("test/line")?;
    let forked: Vec<Entry> = (0..900u32)
        .map(|i| Entry::new(kind.clone(), format!("forked {i}").into_bytes()))
        .collect::<Result<_, _>>()?;
    fork.post(forked, &op.operator()?)?;
    let server = Server::start(static_files(&[
        ("/board", &public),
        ("/old", &old),
        ("/fork", &d.join("fork").join(PUBLIC_DIR)),
    ]))?;
    let board_url = server.url("board/");
    let pinned = policy.to_string_lossy().into_owned();

    let out = ok(
        d,
        &["board", "mirror", &board_url, "m", "--policy", &pinned],
    )?;
    assert!(out.contains("mirrored 600 entries into m"), "{out}");
    let first_fetch = files_fetched(&out)?;
    let out = ok(d, &["board", "verify", "m", "--policy", &pinned])?;
    assert!(out.contains("VERIFIED"), "{out}");

    // The board grows: the mirror fetches only what is new, and still verifies.
    op.append(d, 600, 900)?;
    let out = ok(
        d,
        &["board", "mirror", &board_url, "m", "--policy", &pinned],
    )?;
    assert!(out.contains("from 600 to 900 entries, consistent"), "{out}");
    let second_fetch = files_fetched(&out)?;
    assert!(
        second_fetch < first_fetch,
        "{second_fetch} >= {first_fetch}: {out}"
    );
    let out = ok(d, &["board", "verify", "m", "--policy", &pinned])?;
    assert!(out.contains("2 archived checkpoints"), "{out}");
    let out = ok(
        d,
        &["board", "mirror", &board_url, "m", "--policy", &pinned],
    )?;
    assert!(out.contains("up to date: 900 entries"), "{out}");

    // A server that went back (it serves the copy of size 600), or a fork of the same size:
    // refused, and m is unchanged.
    let before = std::fs::read(d.join("m/checkpoint"))?;
    mirror_fails(
        d,
        &server.url("old/"),
        "m",
        &pinned,
        &["the board went back"],
    )?;
    mirror_fails(
        d,
        &server.url("fork/"),
        "m",
        &pinned,
        &["another root: the log is forked"],
    )?;
    assert_eq!(std::fs::read(d.join("m/checkpoint"))?, before);

    // One flipped byte in a served entry bundle, or in a hash tile: refused, naming the URL
    // and the reason, and nothing is written to the new mirror.
    flip(&public.join("tile/entries/001"), 100)?;
    let bundle = format!("{board_url}tile/entries/001: entry");
    mirror_fails(
        d,
        &board_url,
        "m2",
        &pinned,
        &[&bundle, "does not match its leaf hash"],
    )?;
    assert!(!d.join("m2/checkpoint").exists());
    flip(&public.join("tile/entries/001"), 100)?;
    flip(&public.join("tile/1/000.p/3"), 5)?;
    let tile = format!("{board_url}tile/1/000.p/3: hash 0 is not the hash of the 256 nodes");
    mirror_fails(d, &board_url, "m3", &pinned, &[&tile])?;
    flip(&public.join("tile/1/000.p/3"), 5)?;

    // A policy the served checkpoint does not satisfy (another operator key) is refused.
    let other = OpBoard::init(d, "other", "board.example.org/mirror")?;
    let (code, out, _) = run(
        d,
        &[
            "board",
            "mirror",
            &board_url,
            "m4",
            "--policy",
            &other.policy_file.to_string_lossy(),
        ],
    )?;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{board_url}checkpoint")), "{out}");

    // Nothing listening: unusable input, exit 2, naming the URL.
    drop(server);
    let (code, _, err) = run(
        d,
        &["board", "mirror", &board_url, "m", "--policy", &pinned],
    )?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&board_url), "{err}");
    Ok(())
}

#[test]
fn a_board_served_over_https_mirrors_only_under_a_trusted_authority() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let (op, public) = OpBoard::with_entries(d, "board.example.org/https", 300)?;
    let server = TlsServer::start(static_files(&[("/board", &public)]))?;
    let (trusted, other) = (d.join("authority.pem"), d.join("other-authority.pem"));
    std::fs::write(&trusted, &server.authority)?;
    std::fs::write(&other, test_authority("another authority")?.0)?;
    let url = server.url("board/");
    let pinned = op.policy_file.to_string_lossy().into_owned();
    let mirror = |env: &[(&str, &Path)], dir: &str| {
        run_with(d, env, &["board", "mirror", &url, dir, "--policy", &pinned])
    };

    // Under the server's authority: mirrored, and the mirror verifies.
    let (code, out, err) = mirror(&[("SSL_CERT_FILE", &trusted)], "m")?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("mirrored 300 entries into m"), "{out}");
    let out = ok(d, &["board", "verify", "m", "--policy", &pinned])?;
    assert!(out.contains("VERIFIED"), "{out}");

    // Under another authority only, or with no certificates at all: refused at once (no
    // retries), naming the URL, the reason and what to do; nothing is written.
    let missing = d.join("no-such-file.pem");
    for env in [
        [("SSL_CERT_FILE", other.as_path())],
        [("SSL_CERT_FILE", missing.as_path())],
    ] {
        let (code, out, err) = mirror(&env, "m2")?;
        assert_eq!(code, 2, "{out}{err}");
        for words in [
            &format!("{url}checkpoint: the server's TLS certificate is not trusted"),
            "SSL_CERT_FILE",
        ] {
            assert!(err.contains(words), "{words:?} not in {err}");
        }
        assert!(!err.contains("attempts"), "{err}");
        assert!(!d.join("m2/checkpoint").exists());
    }

    // Plain HTTP needs no certificates.
    let plain = Server::start(static_files(&[("/board", &public)]))?;
    let out = run_with(
        d,
        &[("SSL_CERT_FILE", &missing)],
        &[
            "board",
            "mirror",
            &plain.url("board/"),
            "m3",
            "--policy",
            &pinned,
        ],
    )?;
    assert_eq!(out.0, 0, "{}{}", out.1, out.2);
    drop(server);
    Ok(())
}

/// A minimal observations endpoint in front of a real board: appends, signs, publishes,
/// answers `201 {"board_index"}`; `lie` makes it claim index 0 for every entry.
struct Observations {
    board: Mutex<Board>,
    operator: NoteSigner,
    posts: AtomicUsize,
    lie: AtomicBool,
}

async fn observe(
    axum::extract::State(state): axum::extract::State<Arc<Observations>>,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    state.posts.fetch_add(1, Ordering::SeqCst);
    let Ok(entry) = Entry::from_leaf_data(&body, "the request body") else {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"error":"not an entry"}"#.into(),
        );
    };
    let Ok(mut board) = state.board.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, String::new());
    };
    let leaf_hash = entry.leaf_hash();
    if board.post([entry], &state.operator).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, String::new());
    }
    match board.index_of(&leaf_hash) {
        Ok(Some(index)) => {
            let index = if state.lie.load(Ordering::SeqCst) {
                0
            } else {
                index
            };
            (StatusCode::CREATED, format!("{{\"board_index\":{index}}}"))
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

/// Forwards loopback connections to `upstream`; the first one's answer is read from the
/// server and thrown away, and the connection closed, as a lost answer would be.
async fn drop_first_answer(listener: tokio::net::TcpListener, upstream: SocketAddr) {
    let mut first = true;
    while let Ok((mut client, _)) = listener.accept().await {
        let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
            continue;
        };
        if std::mem::take(&mut first) {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                let mut request = vec![0; 64 * 1024];
                let Ok(n) = client.read(&mut request).await else {
                    return;
                };
                let _ = server.write_all(&request[..n]).await;
                let mut answer = [0; 1024];
                let _ =
                    tokio::time::timeout(Duration::from_secs(10), server.read(&mut answer)).await;
                // Both sockets are dropped here: the server has acted, the client hears nothing.
            });
        } else {
            tokio::spawn(async move {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    }
}

#[test]
fn outbox_send_delivers_exactly_once_and_only_proofs_confirm() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let op = OpBoard::init(d, "op", "board.example.org/observe")?;
    op.append(d, 0, 40)?;
    let state = Arc::new(Observations {
        board: Mutex::new(Board::open(&op.dir)?),
        operator: op.operator()?,
        posts: AtomicUsize::new(0),
        lie: AtomicBool::new(false),
    });
    let router = axum::Router::new()
        .route("/api/v1/observations", axum::routing::post(observe))
        .with_state(state.clone())
        .nest_service(
            "/board",
            tower_http::services::ServeDir::new(op.dir.join(PUBLIC_DIR)),
        );
    let server = Server::start(router)?;
    let proxy = server
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let proxy_url = format!("http://{}/", proxy.local_addr()?);
    server
        .runtime
        .spawn(drop_first_answer(proxy, server.address));

    for i in 0..3 {
        std::fs::write(
            d.join(format!("p{i}.json")),
            format!("{{\"protocol\":{i}}}"),
        )?;
    }
    ok(
        d,
        &[
            "board",
            "outbox",
            "add",
            "ob",
            "--kind",
            "observe/protocol",
            "p0.json",
            "p1.json",
            "p2.json",
        ],
    )?;
    let pinned = op.policy_file.to_string_lossy().into_owned();
    let out = ok(
        d,
        &[
            "board", "outbox", "send", "ob", &proxy_url, "--policy", &pinned, "--wait", "10",
        ],
    )?;
    assert!(out.contains("3 entries acknowledged"), "{out}");
    assert!(
        out.contains("3 proven on the board and marked delivered; 0 still pending"),
        "{out}"
    );
    // The lost answer made the first entry be sent twice; the board holds it once.
    assert_eq!(state.posts.load(Ordering::SeqCst), 4);
    assert_eq!(Board::open(&op.dir)?.size()?, 43);
    let status = ok(d, &["board", "outbox", "status", "ob"])?;
    assert_eq!(status.matches("delivered").count(), 3, "{status}");
    assert!(
        status.contains("at index 40") && status.contains("at index 42"),
        "{status}"
    );
    let out = ok(
        d,
        &[
            "board", "outbox", "send", "ob", &proxy_url, "--policy", &pinned,
        ],
    )?;
    assert!(out.contains("0 entries acknowledged"), "{out}");
    assert_eq!(state.posts.load(Ordering::SeqCst), 4);

    // A server that acknowledges with an index that does not hold the entry confirms nothing.
    state.lie.store(true, Ordering::SeqCst);
    std::fs::write(d.join("p3.json"), "{\"protocol\":3}")?;
    ok(
        d,
        &[
            "board",
            "outbox",
            "add",
            "ob",
            "--kind",
            "observe/protocol",
            "p3.json",
        ],
    )?;
    let (code, out, _) = run(
        d,
        &[
            "board",
            "outbox",
            "send",
            "ob",
            &server.url(""),
            "--policy",
            &pinned,
            "--wait",
            "5",
        ],
    )?;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("entry 0") && out.contains("not on the board"),
        "{out}"
    );
    let status = ok(d, &["board", "outbox", "status", "ob"])?;
    assert_eq!(status.matches("pending").count(), 1, "{status}");

    // A URL without a pinned policy is refused before anything is sent.
    let (code, _, err) = run(d, &["board", "outbox", "send", "ob", &server.url("")])?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs --policy"), "{err}");
    Ok(())
}

/// Copies the directory `from` to `to`, but its `board/` (the test replaces it by a mirror).
fn copy_without_board(from: &Path, to: &Path) -> TestResult {
    std::fs::create_dir_all(to)?;
    for item in std::fs::read_dir(from)? {
        let item = item?;
        if item.file_name() == "board" {
            continue;
        }
        if item.file_type()?.is_dir() {
            copy_without_board(&item.path(), &to.join(item.file_name()))?;
        } else {
            std::fs::copy(item.path(), to.join(item.file_name()))?;
        }
    }
    Ok(())
}

/// `fairtally board mirror URL MIRROR`, then `fairtally board verify MIRROR`, both under the
/// pinned policy; both must say VERIFIED.
fn mirror_and_verify(d: &Path, url: &str, mirror: &Path, pinned: &str) -> TestResult {
    let mirror = mirror.to_string_lossy();
    for args in [
        ["board", "mirror", url, &mirror, "--policy", pinned].as_slice(),
        ["board", "verify", &mirror, "--policy", pinned].as_slice(),
    ] {
        let out = ok(d, args)?;
        assert!(out.contains("VERIFIED"), "{args:?}: {out}");
    }
    Ok(())
}

/// Fetches the served checkpoint until it verifies under `policy` at `size` or more (at most
/// 30 s); its size.
fn wait_for_cosigned(url: &str, policy: &TrustPolicy, size: u64) -> Fallible<u64> {
    let board = fairtally_net::remote::RemoteBoard::new(url, HttpClient::standard()?);
    for _ in 0..150 {
        if let Ok(Ok(signed)) = fairtally_net::block_on(board.checkpoint(policy))
            && signed.checkpoint().size >= size
        {
            return Ok(signed.checkpoint().size);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("no checkpoint of size {size} cosigned by the quorum at {url} within 30 s").into())
}

#[test]
fn fairtally_serve_with_witnesses_publishes_cosigned_checkpoints_that_mirror_and_verify()
-> TestResult {
    use fairtally_election::ballot::Intent;
    use fairtally_observe::keys::generate_key;
    use fairtally_observe::signed::{Accreditation, ObservationItem};
    use serve_support::{OpenElection, ServeProcess, client, post_ballot};

    let election = OpenElection::new(3)?;
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let board_dir = election.board();
    let operator_vkey = Board::open(&board_dir)?.policy().operator.to_vkey();
    let mut vkeys = Vec::new();
    let mut guards = Vec::new();
    let mut specs = Vec::new();
    for w in ["w1", "w2"] {
        let name = format!("{w}.example.org/witness");
        let out = ok(d, &["board", "keygen", &name, "--out", &format!("{w}.key")])?;
        let vkey = out.trim().to_owned();
        let (guard, url) = start_witness(
            d,
            &format!("{w}.key"),
            &format!("{w}.state"),
            &operator_vkey,
        )?;
        guards.push(guard);
        specs.push(format!("{url}={vkey}"));
        vkeys.push(vkey);
    }
    let board_arg = board_dir.to_string_lossy().into_owned();
    ok(
        d,
        &[
            "board",
            "policy",
            &board_arg,
            "--witness",
            &vkeys[0],
            "--witness",
            &vkeys[1],
            "--quorum",
            "2",
        ],
    )?;
    let policy_file = d.join("witnessed.policy");
    std::fs::copy(board_dir.join("public/policy"), &policy_file)?;
    let policy = TrustPolicy::parse(&std::fs::read_to_string(&policy_file)?, "policy")?;
    let pinned = policy_file.to_string_lossy().into_owned();
    let serve_args = [
        "--checkpoint-interval",
        "0.2",
        "--witness",
        &specs[0],
        "--witness",
        &specs[1],
    ];

    // A witness key the board's policy does not list is refused at start.
    let stranger = ok(
        d,
        &["board", "keygen", "x.example.org/witness", "--out", "x.key"],
    )?;
    let (code, _, err) = run(
        d,
        &[
            "serve",
            &election.dir.to_string_lossy(),
            "--listen",
            "127.0.0.1:0",
            "--witness",
            &format!("http://127.0.0.1:9/={}", stranger.trim()),
        ],
    )?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a witness of the board's policy"), "{err}");

    let server = ServeProcess::start(&election.dir, &serve_args)?;
    let http = client();
    for voter in 0..3 {
        let (status, answer) =
            post_ballot(&http, &server.url, &election.ballot(voter, Intent::Cast)?)?;
        assert_eq!(status, 201, "{answer}");
    }
    let board_url = format!("{}/board/", server.url);
    let size = wait_for_cosigned(&board_url, &policy, Board::open(&board_dir)?.size()?)?;
    assert!(size >= 3);

    // An observer's accreditation, delivered through a connection that loses the first answer.
    let (organisation, observer) = (generate_key()?, generate_key()?);
    let item = ObservationItem::Accreditation(Accreditation::sign(
        &organisation,
        "E",
        &observer.verifying_key(),
        "Ann",
    ));
    let mut outbox = fairtally_board::outbox::Outbox::open(&d.join("ob"))?;
    outbox.push(&fairtally_observe::bulletin::board_entry(&item)?)?;
    drop(outbox);
    let runtime = tokio::runtime::Runtime::new()?;
    let proxy = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let proxy_url = format!("http://{}/", proxy.local_addr()?);
    let upstream: SocketAddr = server.url.trim_start_matches("http://").parse()?;
    runtime.spawn(drop_first_answer(proxy, upstream));
    let out = ok(
        d,
        &[
            "board", "outbox", "send", "ob", &proxy_url, "--policy", &pinned, "--wait", "20",
        ],
    )?;
    assert!(out.contains("1 entries acknowledged"), "{out}");
    assert!(
        out.contains("1 proven on the board and marked delivered; 0 still pending"),
        "{out}"
    );
    assert!(
        out.contains("signed by w1.example.org/witness")
            && out.contains("signed by w2.example.org/witness"),
        "{out}"
    );

    // The served board, mirrored over HTTP, verifies offline under the witnessed policy.
    let mirror = d.join("witnessed-mirror");
    mirror_and_verify(d, &board_url, &mirror, &pinned)?;
    drop(server);
    drop(guards);
    Ok(())
}

#[test]
fn a_finished_election_served_by_fairtally_serve_mirrors_into_a_record_that_verifies() -> TestResult
{
    use fairtally_election::ballot::Intent;
    use serve_support::{OpenElection, ServeProcess, client, post_ballot};

    let election = OpenElection::new(2)?;
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let policy_file = d.join("pinned.policy");
    std::fs::copy(election.board().join("public/policy"), &policy_file)?;
    let pinned = policy_file.to_string_lossy().into_owned();
    let mut server = ServeProcess::start(&election.dir, &["--checkpoint-interval", "0.2"])?;
    for voter in 0..2 {
        let ballot = election.ballot(voter, Intent::Cast)?;
        let (status, answer) = post_ballot(&client(), &server.url, &ballot)?;
        assert_eq!(status, 201, "{answer}");
    }
    assert!(server.terminate()?);
    // Voting closes, the record is posted; served again, the final board is mirrored over
    // HTTP into a copy of the record (beside everything but its board/), which verifies.
    assert!(election.finish()?);
    let server = ServeProcess::start(&election.dir, &["--checkpoint-interval", "0.2"])?;
    let board_url = format!("{}/board/", server.url);
    let policy = TrustPolicy::parse(&std::fs::read_to_string(&policy_file)?, "policy")?;
    wait_for_cosigned(&board_url, &policy, Board::open(&election.board())?.size()?)?;
    let copy = d.join("record-copy");
    copy_without_board(&election.record(), &copy)?;
    let mirror = copy.join("board");
    mirror_and_verify(d, &board_url, &mirror, &pinned)?;
    drop(server);
    let (code, out, err) = run(
        d,
        &["verify", &copy.to_string_lossy(), "--board-policy", &pinned],
    )?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("NOT VERIFIED"), "{out}");
    Ok(())
}
