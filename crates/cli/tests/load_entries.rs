//! `fairtally load URL --entries N`: plain board entries in batches against a real `fairtally
//! serve` child process on loopback. Every entry is acknowledged with its own board index, the
//! acknowledged-entries file holds each one's index and leaf hash, the sample is proven on the
//! served board, and the board's own copy has those very entries; a server that trusts another
//! organisation refuses every batch, and the run says so and fails.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod serve_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use fairtally_board::board::Board;
use fairtally_observe::keys::{generate_key, public_key_hex, write_secret_key};
use serve_support::{OpenElection, ServeProcess, TestResult};

const ENTRIES: usize = 60;
const BATCH: usize = 25;

fn load(url: &str, acked: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .args(["-q", "load", url, "--entries", &ENTRIES.to_string()])
        .args(["--batch", &BATCH.to_string(), "--per-observer", "7"])
        .args(["--concurrency", "2", "--offline-sample", "30"])
        .args(["--board-sample", "60", "--checkpoint-wait", "20"])
        .args(["--retry-for", "10", "--timeout", "20"])
        .arg("--acked")
        .arg(acked)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn entries_in_batches_are_acknowledged_and_proven_on_the_board() -> TestResult {
    let election = OpenElection::new(3)?;
    let before = Board::open(&election.board())?.size()?;
    let server = ServeProcess::start(&election.dir, &["--checkpoint-interval", "0.2"])?;
    let tmp = tempfile::tempdir()?;
    let acked = tmp.path().join("acked.txt");
    let out = load(&server.url, &acked, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("60 entries in 3 batches acknowledged, 0 batches failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("station protocols of 9 observers"),
        "{stdout}"
    );
    assert!(stdout.contains("Throughput: "), "{stdout}");
    assert!(stdout.contains("Latency per batch: p50"), "{stdout}");
    assert!(
        stdout.contains("60 of 60 sampled acknowledged entries proven included"),
        "{stdout}"
    );

    // Each line: a board index and the leaf hash of the entry the server acknowledged there.
    let text = std::fs::read_to_string(&acked)?;
    let lines: Vec<(u64, String)> = text
        .lines()
        .map(|l| {
            let (index, hash) = l.split_once(' ').unwrap();
            (index.parse().unwrap(), hash.to_owned())
        })
        .collect();
    assert_eq!(lines.len(), ENTRIES);
    let indexes: BTreeSet<u64> = lines.iter().map(|(i, _)| *i).collect();
    assert_eq!(indexes.len(), ENTRIES, "every entry has its own index");
    assert!(indexes.iter().all(|&i| i >= before));
    drop(server);

    // The board's own database holds exactly those entries at those indexes.
    let board = Board::open(&election.board())?;
    for (index, hash) in &lines {
        let entry = board.entry(*index)?;
        assert_eq!(&hex::encode(entry.leaf_hash()), hash);
        assert_eq!(entry.kind().as_str(), "observe/protocol/v1");
    }
    Ok(())
}

#[test]
fn a_server_that_trusts_another_organisation_refuses_every_batch() -> TestResult {
    let election = OpenElection::new(3)?;
    let tmp = tempfile::tempdir()?;
    let (ours, trusted) = (generate_key()?, generate_key()?);
    let key_file = tmp.path().join("organisation.key");
    write_secret_key(&key_file, &ours)?;
    let trusted_hex = public_key_hex(&trusted.verifying_key());
    let server = ServeProcess::start(&election.dir, &["--trust", &trusted_hex])?;
    let acked = tmp.path().join("acked.txt");
    let key_arg = key_file.to_string_lossy().into_owned();
    let out = load(&server.url, &acked, &["--organisation-key", &key_arg]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&public_key_hex(&ours.verifying_key())),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 entries in 0 batches acknowledged, 3 batches failed"),
        "{stdout}"
    );
    assert!(stdout.contains("Failed: 3 × 4xx rejected"), "{stdout}");
    assert!(stdout.contains("is not among the trusted ones"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&acked)?, "");
    Ok(())
}
