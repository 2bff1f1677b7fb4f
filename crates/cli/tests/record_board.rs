//! The election record on the bulletin board, through the command line: the demo posts its
//! record, `verify` checks it against the board, `verify --ballot CODE` proves one ballot, and
//! a record that no longer matches its board, or a board under a key the verifier does not
//! trust, is refused.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The ceremony helpers of the shared support module are not needed here.
#[allow(dead_code)]
#[path = "support/cli.rs"]
mod support;

use fairtally_election::ballot::BallotEntry;
use support::{fairtally, ok};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_record_is_checked_against_its_board_and_ballots_are_proven() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let demo = ok(d, &["demo", "--voters", "12", "--out", "demo"]);
    assert!(demo.contains("Posted"), "{demo}");
    // Every secret the demo keeps (guardian key shares, credentials, the board operator's key)
    // is readable by its owner only.
    #[cfg(unix)]
    for entry in std::fs::read_dir(d.join("demo/private")).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", entry.path().display());
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(d.join("demo/board/operator.key")).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }

    // Running the demo again into the same directory replaces the previous one, board included.
    ok(d, &["demo", "--voters", "12", "--out", "demo"]);
    let verified = ok(d, &["verify", "demo/record"]);
    for check in [
        "board checkpoint",
        "board files",
        "board contents",
        "ballot order",
    ] {
        assert!(verified.contains(&format!("ok     {check}")), "{verified}");
    }
    // Without a pin the output says so, and what to compare.
    assert!(
        verified.contains("NOT PINNED") && verified.contains("self-consistent"),
        "{verified}"
    );
    let fingerprint = verified
        .lines()
        .find_map(|l| l.strip_prefix("Election fingerprint (base hash): "))
        .unwrap()
        .to_owned();
    assert!(verified.contains("fairtally.demo/election"), "{verified}");
    let pinned = ok(d, &["verify", "demo/record", "--expect", &fingerprint]);
    assert!(
        pinned.contains("VERIFIED: all") && !pinned.contains("NOT PINNED"),
        "{pinned}"
    );
    let mut other = fingerprint.clone().into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    let wrong = fairtally(
        d,
        &[
            "verify",
            "demo/record",
            "--expect",
            std::str::from_utf8(&other).unwrap(),
        ],
    );
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));
    ok(
        d,
        &[
            "verify",
            "demo/record",
            "--board-policy",
            "demo/board/public/policy",
        ],
    );

    // A pinned policy that does not exist fails before any work, naming the flag's file.
    let missing = fairtally(
        d,
        &["verify", "demo/record", "--board-policy", "typo/policy"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("typo/policy"));
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(!said.contains("Verifying"), "{said}");

    let ballots = std::fs::read_to_string(d.join("demo/record/ballots.jsonl")).unwrap();
    let first: BallotEntry = serde_json::from_str(ballots.lines().next().unwrap()).unwrap();
    let code = first.ballot.code().to_string();
    let out = fairtally(d, &["verify", "demo/record", "--ballot", &code]);
    assert_eq!(out.status.code(), Some(0));
    let proof = stdout(&out);
    assert!(
        proof.contains(&format!("Ballot {code} is entry")),
        "{proof}"
    );
    assert!(proof.contains("checkpoint:"), "{proof}");
    // The advice to pin is a note, on stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("--board-policy"));

    let unknown = fairtally(
        d,
        &[
            "verify",
            "demo/record",
            "--ballot",
            "0000-0000-0000-0000-0000-0000-0000",
        ],
    );
    // Not found is a failed check (exit 1), as in `voter lookup`.
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stdout(&unknown).contains("no ballot has this confirmation code"));

    // A board signed by a key the verifier does not trust is refused.
    ok(
        d,
        &["board", "init", "other", "--origin", "other.example/log"],
    );
    let foreign = fairtally(
        d,
        &[
            "verify",
            "demo/record",
            "--board-policy",
            "other/public/policy",
        ],
    );
    assert_ne!(foreign.status.code(), Some(0), "{}", stdout(&foreign));

    // A ballot slipped into the record after posting is named as not on the board.
    let mut extra = first.clone();
    extra.ballot.contests.reverse();
    let extra_code = extra.ballot.code().to_string();
    let mut text = ballots.clone();
    text.push_str(&serde_json::to_string(&extra).unwrap());
    text.push('\n');
    std::fs::write(d.join("demo/record/ballots.jsonl"), text).unwrap();
    let tampered = fairtally(d, &["verify", "demo/record"]);
    assert_eq!(tampered.status.code(), Some(1));
    let out = stdout(&tampered);
    assert!(out.contains("FAILED ballot order"), "{out}");
    assert!(out.contains(&format!("ballot {extra_code}")), "{out}");

    // A pinned policy with no board is a failure.
    std::fs::write(d.join("demo/record/ballots.jsonl"), &ballots).unwrap();
    std::fs::rename(d.join("demo/record/board"), d.join("board-away")).unwrap();
    let bare = fairtally(
        d,
        &[
            "verify",
            "demo/record",
            "--board-policy",
            "demo/board/public/policy",
        ],
    );
    assert_eq!(bare.status.code(), Some(1), "{}", stdout(&bare));
    assert!(
        stdout(&bare).contains("FAILED board checkpoint"),
        "{}",
        stdout(&bare)
    );
}
