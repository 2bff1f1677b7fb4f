//! `fairtally load` against a real `fairtally serve` child process that is killed with SIGKILL
//! mid-run and restarted on the same address: the load generator resumes by itself, every
//! ballot is acknowledged once, every code in its acknowledged-codes file is on the board,
//! and `fairtally demo --finish` counts them (re-votes and challenges by the rule) and
//! verifies. Also: mistakes in its options, and an `https://` server it cannot trust.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod serve_support;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fairtally_election::ballot::{BallotEntry, ConfirmationCode};
use fairtally_election::record::{JsonLinesReader, files};
use serve_support::ServeProcess;

const VOTERS: usize = 120;
const BALLOTS: usize = 160;

/// The load generator's child process, killed when dropped.
struct LoadProcess(Child);

impl Drop for LoadProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fairtally(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// `fairtally demo --open` for `voters` voters (3 guardians, any 2 decrypt) into `dir/demo`.
fn open_demo(dir: &Path, voters: usize) {
    let voters = voters.to_string();
    let opened = fairtally(
        dir,
        &[
            "demo",
            "--open",
            "--voters",
            &voters,
            "--guardians",
            "3",
            "--threshold",
            "2",
            "--absent",
            "0",
            "--out",
            "demo",
        ],
    );
    assert!(opened.status.success(), "{opened:?}");
}

/// A loopback port that was free a moment ago (the server restarts on the same one).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Waits (bounded) until `done` holds; whether it did.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn the_load_generator_resumes_after_the_server_is_killed_and_every_acked_code_is_on_the_board() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    open_demo(dir, VOTERS);
    let demo = dir.join("demo");
    let listen = format!("127.0.0.1:{}", free_port());
    let serve_args = ["--checkpoint-interval", "0.2"];
    let mut server = ServeProcess::start_on(&demo, &listen, &serve_args).unwrap();
    let url = server.url.clone();
    assert_eq!(url, format!("http://{listen}"));

    let acked = dir.join("acked.txt");
    let first_pid = server.pid().to_string();
    let load = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .args([
            "--quiet",
            "load",
            &url,
            "--demo",
            "demo",
            "--acked",
            "acked.txt",
        ])
        .args(["--ballots", &BALLOTS.to_string(), "--concurrency", "4"])
        .args(["--revote-percent", "10", "--challenge-percent", "5"])
        // Slow enough that the kill lands mid-run; bounded retries.
        .args([
            "--rate",
            "40",
            "--retry-for",
            "60",
            "--offline-sample",
            "20",
            // Killed mid-run: its memory is sampled until then, and no CPU time is claimed
            // for a process that is gone.
            "--server-pid",
            &first_pid,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut load = LoadProcess(load);

    // Kill the server once a quarter of the ballots are acknowledged, then restart it.
    assert!(
        wait_for(Duration::from_secs(180), || lines(&acked).len()
            >= BALLOTS / 4),
        "no acknowledgements: {:?}",
        lines(&acked).len()
    );
    server.kill();
    let at_kill = lines(&acked).len();
    assert!(at_kill < BALLOTS, "the run ended before the kill");
    std::thread::sleep(Duration::from_millis(500));
    let mut server = ServeProcess::start_on(&demo, &listen, &serve_args).unwrap();

    assert!(
        wait_for(Duration::from_secs(240), || matches!(
            load.0.try_wait(),
            Ok(Some(_))
        )),
        "the load generator did not finish"
    );
    let child = std::mem::replace(&mut load.0, Command::new("true").spawn().unwrap());
    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains(&format!("{BALLOTS} acknowledged, 0 failed")),
        "{report}"
    );
    assert!(
        report.contains("Retried:"),
        "the kill went unnoticed: {report}"
    );
    for figure in [
        "Throughput:",
        "p50",
        "p90",
        "p99",
        "% of the offline verifier",
        // Timed before and after the run, which the two bracket.
        "ballots/s before the run and",
    ] {
        assert!(report.contains(figure), "{figure}: {report}");
    }
    assert!(report.contains("Server memory (VmRSS, MiB)"), "{report}");
    assert!(!report.contains("Server CPU"), "{report}");
    assert!(
        server.terminate().unwrap(),
        "the server did not stop cleanly"
    );

    // Every acknowledged code once, all of them on the board (ballots.jsonl is the board's
    // ballot entries in order, which the verifier checks below).
    let codes = lines(&acked);
    let distinct: BTreeSet<ConfirmationCode> = codes.iter().map(|c| c.parse().unwrap()).collect();
    assert_eq!((codes.len(), distinct.len()), (BALLOTS, BALLOTS));
    let on_board: BTreeSet<ConfirmationCode> =
        JsonLinesReader::open(&demo.join("record").join(files::BALLOTS))
            .unwrap()
            .read_all::<BallotEntry>()
            .unwrap()
            .iter()
            .map(|b| b.ballot.code())
            .collect();
    assert_eq!(distinct, on_board);

    // 160 ballots: 16 re-votes and 8 challenges leave 136 first ballots over 120 voters, so
    // every voter's last cast ballot counts once.
    let finished = fairtally(dir, &["demo", "--finish", "demo"]);
    let text = String::from_utf8_lossy(&finished.stdout);
    assert!(finished.status.success(), "{text}");
    assert!(
        text.contains(&format!("{VOTERS} ballots counted")),
        "{text}"
    );
    assert!(text.contains("8 challenged"), "{text}");
}

/// With the server's process id, the run reports the server's CPU time per ballot: the figure
/// that stays steady on a busy machine when rates do not, so a change to the server shows.
#[test]
fn the_servers_cpu_time_per_ballot_is_reported_for_its_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    open_demo(dir, 20);
    let mut server = ServeProcess::start(&dir.join("demo"), &[]).unwrap();
    let pid = server.pid().to_string();
    let out = fairtally(
        dir,
        &[
            "--quiet",
            "load",
            &server.url,
            "--demo",
            "demo",
            "--acked",
            "acked.txt",
            "--ballots",
            "60",
            "--offline-sample",
            "30",
            "--server-pid",
            &pid,
        ],
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    let line = report
        .lines()
        .find(|l| l.starts_with("Server CPU while sending"))
        .unwrap_or_else(|| panic!("no CPU line: {report}"));
    let per_ballot: f64 = line
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(" µs").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure: {line}"));
    // 60 ballots fully checked and synced: tens of milliseconds, never nothing.
    assert!(per_ballot > 0.0, "{line}");
    assert!(
        line.contains("in the kernel") && line.contains("cores"),
        "{line}"
    );
    // The split by thread names the server's own threads (the time is counted in 10 ms ticks,
    // so which of them reach a tick in so short a run varies; one at least does).
    let threads = report
        .lines()
        .find(|l| l.starts_with("Server CPU by thread name"))
        .unwrap_or_else(|| panic!("no split by thread: {report}"));
    assert!(
        ["tokio-rt-worker", "ballot-checker", "ballot-box"]
            .iter()
            .any(|name| threads.contains(name)),
        "{threads}"
    );
    assert!(
        report.contains("The offline verifier used") && report.contains("times that"),
        "{report}"
    );
    assert!(report.contains("Server memory (VmRSS, MiB)"), "{report}");
    assert!(
        server.terminate().unwrap(),
        "the server did not stop cleanly"
    );
}

#[test]
fn mistakes_are_reported_before_any_ballot_is_prepared() {
    let tmp = tempfile::tempdir().unwrap();
    let base = ["load", "--acked", "acked.txt", "--demo", "nowhere"];
    for (extra, expected) in [
        (
            &["ftp://example.invalid"][..],
            "must start with http:// or https://",
        ),
        // An https:// URL is taken: the mistake found is the next one.
        (&["https://127.0.0.1:1"][..], "nowhere"),
        (
            &["http://127.0.0.1:1", "--concurrency", "0"][..],
            "--concurrency",
        ),
        (&["http://127.0.0.1:1", "--rate", "0"][..], "--rate"),
        (&["http://127.0.0.1:1"][..], "nowhere"),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = fairtally(tmp.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(!tmp.path().join("acked.txt").exists());
}

#[test]
fn a_server_whose_certificate_is_not_trusted_ends_the_run_at_once_saying_why() {
    let tmp = tempfile::tempdir().unwrap();
    let made = fairtally(
        tmp.path(),
        &["demo", "--open", "--voters", "4", "--out", "live"],
    );
    assert!(made.status.success());
    let server = serve_support::TlsServer::start(axum::Router::new()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(tmp.path())
        .env("SSL_CERT_FILE", tmp.path().join("no-such-file.pem"))
        .args(["load", &server.url(""), "--demo", "live", "--ballots", "4"])
        .args(["--concurrency", "2", "--acked", "acked.txt", "--quiet"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Each ballot fails once, none is retried: no retry makes the certificate trusted.
    assert!(!out.status.success(), "{text}");
    for words in [
        "0 acknowledged, 4 failed",
        "Failed: 4 × TLS certificate not trusted",
        "UnknownIssuer",
        "SSL_CERT_FILE",
    ] {
        assert!(text.contains(words), "{words:?} not in {text}");
    }
    assert!(!text.contains("Retried"), "{text}");
}
