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

    // Running the demo again into the same directory replaces the previous one, board included.
    ok(d, &["demo", "--voters", "12", "--out", "demo"]);
    let verified = ok(d, &["verify", "demo/record"]);
    assert!(verified.contains("ok     bulletin board"), "{verified}");

    let ballots = std::fs::read_to_string(d.join("demo/record/ballots.jsonl")).unwrap();
    let first: BallotEntry = serde_json::from_str(ballots.lines().next().unwrap()).unwrap();
    let code = first.ballot.code().to_string();
    let proof = ok(d, &["verify", "demo/record", "--ballot", &code]);
    assert!(
        proof.contains(&format!("Ballot {code} is entry")),
        "{proof}"
    );
    assert!(proof.contains("checkpoint:"), "{proof}");

    let unknown = fairtally(
        d,
        &["verify", "demo/record", "--ballot", "0000-0000-0000-0000"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no ballot with this confirmation code")
    );

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
    assert!(out.contains("FAIL   bulletin board"), "{out}");
    assert!(out.contains(&format!("ballot {extra_code}")), "{out}");
}
