//! The demo's two halves with real ballots in between: `fairtally demo --open`, voters casting,
//! challenging and re-voting through the authority's ballot box in other processes, then
//! `fairtally demo --finish`, which must count exactly those ballots and verify.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Not every helper of the shared support module is needed here.
#[allow(dead_code)]
#[path = "support/cli.rs"]
mod support;

use std::path::Path;

use fairtally_election::record::files;
use fairtally_election::tally::ElectionResult;
use support::{fairtally, ok};

/// Writes voter `n`'s credential (1-based line of the demo's credentials file) to `cN.json`.
fn credential(dir: &Path, n: usize) -> String {
    let all = std::fs::read_to_string(dir.join("demo/private/credentials.jsonl")).unwrap();
    let line = all.lines().nth(n - 1).unwrap();
    let name = format!("c{n}.json");
    std::fs::write(dir.join(&name), line).unwrap();
    name
}

/// Voter `n` encrypts `president` and casts (or challenges) it; the ballot file's name.
fn ballot(dir: &Path, n: usize, president: &str, challenge: bool, tag: &str) -> String {
    let credential = credential(dir, n);
    let choices = format!("choices-{n}-{tag}.json");
    std::fs::write(
        dir.join(&choices),
        format!(r#"{{"president":["{president}"],"referendum-priorities":["parks"]}}"#),
    )
    .unwrap();
    let prepared = format!("prepared-{n}-{tag}.json");
    ok(
        dir,
        &[
            "voter",
            "encrypt",
            "--record",
            "demo/record",
            "--credential",
            &credential,
            "--choices",
            &choices,
            "--out",
            &prepared,
        ],
    );
    let out = format!("ballot-{n}-{tag}.json");
    let mut args = vec!["voter"];
    if challenge {
        args.extend(["challenge", "--record", "demo/record"]);
    } else {
        args.push("cast");
    }
    args.extend([
        "--prepared",
        &prepared,
        "--credential",
        &credential,
        "--out",
        &out,
    ]);
    ok(dir, &args);
    out
}

fn accept(dir: &Path, ballots: &[String]) -> std::process::Output {
    let mut args = vec![
        "authority",
        "accept",
        "--record",
        "demo/record",
        "--board",
        "demo/board",
    ];
    args.extend(ballots.iter().map(String::as_str));
    fairtally(dir, &args)
}

#[test]
fn open_then_finish_counts_the_ballots_that_arrived_in_between() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let opened = ok(
        dir,
        &[
            "demo",
            "--open",
            "--voters",
            "4",
            "--guardians",
            "3",
            "--threshold",
            "2",
            "--absent",
            "1",
            "--out",
            "demo",
        ],
    );
    assert!(opened.contains("fairtally serve demo"), "{opened}");
    assert!(opened.contains("fairtally demo --finish demo"), "{opened}");
    for secret in [
        "credentials.jsonl",
        "guardian-1-key-share.json",
        "guardian-3-key-share.json",
    ] {
        assert!(dir.join("demo/private").join(secret).is_file(), "{secret}");
    }
    // Voting is open and nothing was decrypted yet.
    assert!(dir.join("demo/record").join(files::CONTEXT).is_file());
    assert!(!dir.join("demo/record").join(files::RESULT).exists());

    // Voter 1 casts adams, then re-votes baker; voter 2 challenges one ballot, then casts
    // adams; voter 3 casts chen; voter 4 abstains. Two processes feed the box.
    let first = vec![
        ballot(dir, 1, "adams", false, "a"),
        ballot(dir, 2, "baker", true, "a"),
    ];
    assert!(accept(dir, &first).status.success());
    let second = vec![
        ballot(dir, 1, "baker", false, "b"),
        ballot(dir, 2, "adams", false, "b"),
        ballot(dir, 3, "chen", false, "a"),
    ];
    assert!(accept(dir, &second).status.success());

    let finished = ok(dir, &["demo", "--finish", "demo"]);
    assert!(finished.contains("3 ballots counted"), "{finished}");
    assert!(
        finished.contains("Decrypted by guardians [1, 2]"),
        "{finished}"
    );
    assert!(finished.contains("VERIFIED"), "{finished}");
    let result: ElectionResult = serde_json::from_str(
        &std::fs::read_to_string(dir.join("demo/record").join(files::RESULT)).unwrap(),
    )
    .unwrap();
    assert_eq!(result.counted, 3);
    let president: Vec<(String, u64)> = result.contests[0]
        .options
        .iter()
        .map(|o| (o.option.clone(), o.votes))
        .collect();
    for (option, votes) in [("adams", 1), ("baker", 1), ("chen", 1), ("diallo", 0)] {
        assert!(
            president.contains(&(option.to_string(), votes)),
            "{option}: {president:?}"
        );
    }
    assert_eq!(result.contests[1].options[2].votes, 3, "parks: {result:?}");
    // The published record verifies on its own, too.
    ok(dir, &["verify", "demo/record"]);

    // Voting is closed: a late ballot is refused, and the demo cannot be finished twice.
    let late = accept(dir, &[ballot(dir, 4, "evans", false, "late")]);
    assert!(!late.status.success());
    assert!(String::from_utf8_lossy(&late.stderr).contains("voting is closed"));
    let again = fairtally(dir, &["demo", "--finish", "demo"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already closed"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn finishing_a_directory_that_is_no_open_demo_names_the_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fairtally(tmp.path(), &["demo", "--finish", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("demo.json"), "{stderr}");
}

/// `demo --serve` in a child process, killed when dropped.
struct DemoServe(std::process::Child);

impl Drop for DemoServe {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_serve_serves_until_sigterm_then_finishes_and_verifies() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .args([
            "demo",
            "--serve",
            "--listen",
            "127.0.0.1:0",
            "--voters",
            "10",
        ])
        .args(["--guardians", "2", "--threshold", "2", "--absent", "0"])
        .args(["--out", "demo"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut serve = DemoServe(child);
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                let _ = tx.send(url.to_owned());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let url = rx.recv_timeout(Duration::from_secs(120)).unwrap();
    let load = fairtally(
        dir,
        &[
            "--quiet",
            "load",
            &url,
            "--demo",
            "demo",
            "--ballots",
            "12",
            "--revote-percent",
            "10",
            "--challenge-percent",
            "10",
            "--acked",
            "acked.txt",
            "--offline-sample",
            "0",
        ],
    );
    assert!(load.status.success(), "{load:?}");
    let killed = Command::new("kill")
        .args(["-TERM", &serve.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..1200 {
        status = serve.0.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = reader.join().unwrap();
    assert!(status.is_some_and(|s| s.success()), "{status:?}\n{output}");
    // 12 ballots: 1 re-vote, 1 challenge, 10 first ballots of the 10 voters.
    assert!(output.contains("10 ballots counted"), "{output}");
    assert!(output.contains("1 challenged"), "{output}");
    assert!(output.contains("VERIFIED"), "{output}");
}
