//! The board under real processes: a writer killed with SIGKILL in the middle of appending,
//! again and again, loses no acknowledged entry and stays consistent with its last checkpoint;
//! several writer processes at once lose and duplicate nothing.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fairtally_board::board::Board;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::mirror::Mirror;

const FAIRTALLY: &str = env!("CARGO_BIN_EXE_fairtally");

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fairtally(args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new(FAIRTALLY).args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "fairtally {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// `fairtally board append DIR --kind test/line --lines INPUT --batch N`.
fn append_args<'a>(dir: &'a str, input: &'a str, batch: &'a str) -> [&'a str; 9] {
    [
        "board",
        "append",
        dir,
        "--kind",
        "test/line",
        "--lines",
        input,
        "--batch",
        batch,
    ]
}

fn line_entry(kind: &EntryKind, text: &str) -> Result<Entry, Box<dyn std::error::Error>> {
    Ok(Entry::new(kind.clone(), text.as_bytes().to_vec())?)
}

/// Checks that the board holds exactly the first `size` input lines in order, that its tree is
/// the tree of those entries at its latest checkpoint (Board::open checks the root), and returns
/// the size.
fn check_board(dir: &Path, lines: &[String]) -> Result<u64, Box<dyn std::error::Error>> {
    let board = Board::open(dir)?;
    let size = board.size()?;
    let data = board.leaf_data(0, size)?;
    let kind = EntryKind::new("test/line")?;
    for (i, d) in data.iter().enumerate() {
        assert_eq!(
            *d,
            line_entry(&kind, &lines[i])?.to_leaf_data(),
            "entry {i}"
        );
    }
    let latest = board.latest_checkpoint()?.ok_or("no checkpoint")?;
    assert!(latest.checkpoint().size <= size);
    board.policy().verify(&latest)?;
    Ok(size)
}

#[test]
fn killed_writers_lose_no_acknowledged_entry() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("board");
    let dir_s = dir.to_str().ok_or("path")?;
    fairtally(&["board", "init", dir_s, "--origin", "crash.example/log"])?;
    // Enough entries that no writer finishes before it is killed: each round appends a few
    // thousand new ones at most.
    let lines: Vec<String> = (0..200_000).map(|i| format!("entry-{i}")).collect();
    let input = tmp.path().join("input.txt");
    std::fs::write(&input, lines.join("\n") + "\n")?;
    let input_s = input.to_str().ok_or("path")?;
    let mut acknowledged = 0u64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut kills = 0;
    for _round in 0..12 {
        // Every run re-sends the whole input: entries already on the board keep their index.
        let mut child = Command::new(FAIRTALLY)
            .args(append_args(dir_s, input_s, "200"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = std::thread::spawn(move || {
            let mut acked = 0u64;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // "acknowledged N entries (..., last index L); log size S"
                if let Some(size) = line
                    .rsplit("log size ")
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    acked = acked.max(size);
                }
            }
            acked
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 180));
        if child.try_wait()?.is_none() {
            child.kill()?; // SIGKILL
            kills += 1;
        }
        child.wait()?;
        let acked = reader.join().map_err(|_| "reader panicked")?;
        acknowledged = acknowledged.max(acked);
        let size = check_board(&dir, &lines)?;
        assert!(
            size >= acknowledged,
            "acknowledged {acknowledged} entries but only {size} survived"
        );
    }
    assert!(
        kills >= 6,
        "only {kills} writers were killed mid-append; the test proved little"
    );
    // A last uninterrupted run completes the log without duplicates.
    fairtally(&append_args(dir_s, input_s, "5000"))?;
    assert_eq!(check_board(&dir, &lines)?, lines.len() as u64);
    // And its public files verify on their own.
    let public = dir.join("public");
    let out = fairtally(&["board", "verify", public.to_str().ok_or("path")?])?;
    assert!(
        out.contains(&format!(
            "all {} entries and tiles match the signed root",
            lines.len()
        )),
        "{out}"
    );
    Ok(())
}

#[test]
fn writer_processes_at_once_lose_and_duplicate_nothing() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("board");
    let dir_s = dir.to_str().ok_or("path")?;
    fairtally(&["board", "init", dir_s, "--origin", "concurrent.example/log"])?;
    let mut expected = std::collections::HashSet::new();
    let mut children = Vec::new();
    for w in 0..4 {
        // Each writer has its own entries and 500 that all writers share.
        let mut lines: Vec<String> = (0..3000).map(|i| format!("writer-{w}-{i}")).collect();
        lines.extend((0..500).map(|i| format!("shared-{i}")));
        expected.extend(lines.iter().cloned());
        let input = tmp.path().join(format!("input-{w}.txt"));
        std::fs::write(&input, lines.join("\n") + "\n")?;
        children.push(
            Command::new(FAIRTALLY)
                .args([
                    "board",
                    "append",
                    dir_s,
                    "--kind",
                    "test/line",
                    "--batch",
                    "100",
                    "--lines",
                ])
                .arg(&input)
                .stdout(Stdio::null())
                .spawn()?,
        );
    }
    for mut child in children {
        assert!(child.wait()?.success());
    }
    let board = Board::open(&dir)?;
    let size = board.size()?;
    assert_eq!(size, expected.len() as u64);
    let kind = EntryKind::new("test/line")?;
    let mut seen = std::collections::HashSet::new();
    for data in board.leaf_data(0, size)? {
        let entry = Entry::from_leaf_data(&data, "stored entry")?;
        assert_eq!(entry.kind(), &kind);
        assert!(
            seen.insert(String::from_utf8(entry.body().to_vec())?),
            "duplicate entry"
        );
    }
    assert_eq!(seen, expected);
    // The published files prove any of them from the files alone.
    fairtally(&["board", "publish", dir_s])?;
    let mut mirror = Mirror::open(&dir.join("public"), board.policy())?;
    let inclusion = mirror.prove(&line_entry(&kind, "shared-7")?)?;
    assert_eq!(inclusion.checkpoint.checkpoint().size, size);
    Ok(())
}
