//! Bad input to every command gives a clear error (exit status 2, the file or item and the
//! reason on stderr) and never a panic; verification failures exit with status 1.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[path = "support/cli.rs"]
mod support;

use support::{fairtally, finish_ceremony, ok, start_ceremony};

/// The command fails with status 2 and stderr contains every one of `expected`.
fn fails(dir: &Path, args: &[&str], expected: &[&str]) {
    let out = fairtally(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} should fail with {expected:?}; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in: {stderr}");
    }
}

/// An election with 2 guardians (threshold 2) and 2 voters, voting open.
fn open_election(d: &Path) {
    start_ceremony(d, 2, 2);
    finish_ceremony(d, 2);
    ok(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            "2",
            "--out-dir",
            "voters",
        ],
    );
    ok(d, &["authority", "open", "--record", "record"]);
    std::fs::write(d.join("choices.json"), r#"{"president": ["evans"]}"#).unwrap();
}

/// A demo election of 6 voters and 3 guardians (threshold 2) in `d/demo`.
fn small_demo(d: &Path) {
    ok(
        d,
        &[
            "demo",
            "--voters",
            "6",
            "--guardians",
            "3",
            "--threshold",
            "2",
            "--out",
            "demo",
        ],
    );
}

#[test]
fn verify_reports_missing_garbled_and_tampered_records() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fails(
        d,
        &["verify", "nowhere"],
        &["nowhere", "no such record directory"],
    );
    small_demo(d);
    let ballots = d.join("demo/record/ballots.jsonl");
    let text = std::fs::read_to_string(&ballots).unwrap();
    std::fs::write(&ballots, format!("{text}{{not json\n")).unwrap();
    fails(
        d,
        &["verify", "demo/record"],
        &["ballots.jsonl, line", "verification stopped"],
    );
    // Cut inside a line (a cut between lines is caught by the tally and result checks).
    std::fs::write(&ballots, &text[..text.len() / 2 + 7]).unwrap();
    fails(
        d,
        &["verify", "demo/record"],
        &["ballots.jsonl", "truncated"],
    );
    std::fs::write(&ballots, &text).unwrap();
    std::fs::remove_file(d.join("demo/record/result.json")).unwrap();
    fails(d, &["verify", "demo/record"], &["result.json"]);

    // A tampered result: exit 1, naming the check and the contest.
    small_demo(d);
    let result = d.join("demo/record/result.json");
    let text = std::fs::read_to_string(&result)
        .unwrap()
        .replacen("\"votes\": ", "\"votes\": 1", 1);
    std::fs::write(&result, text).unwrap();
    let out = fairtally(d, &["verify", "demo/record"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED result")
            && stdout.contains("NOT VERIFIED")
            && stdout.contains("contest president"),
        "{stdout}"
    );
}

#[test]
fn demo_and_bench_reject_impossible_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fails(
        d,
        &["demo", "--guardians", "5", "--threshold", "6"],
        &["threshold must be 1 to the number of guardians (5), got 6"],
    );
    fails(d, &["demo", "--guardians", "0"], &["number of guardians"]);
    fails(
        d,
        &["demo", "--absent", "3"],
        &["absent guardians leave fewer than the threshold"],
    );
    fails(d, &["demo", "--voters", "0"], &["at least one voter"]);
    fails(
        d,
        &["demo", "--challenge-percent", "150"],
        &["between 0 and 100"],
    );
    fails(d, &["bench", "--runs", "0"], &["--runs must be at least 1"]);
    fails(
        d,
        &["bench", "--turnout-percent", "150"],
        &["--turnout-percent must be between 0 and 100"],
    );
    fails(
        d,
        &["bench", "--record", "nowhere", "--runs", "1"],
        &["nowhere"],
    );
    std::fs::create_dir_all(d.join("taken/record")).unwrap();
    fails(d, &["demo", "--out", "taken"], &["is not a previous demo"]);
}

#[test]
fn authority_steps_reject_bad_files_and_wrong_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("bad-manifest.json"), "{\"election\": \"x\"").unwrap();
    fails(
        d,
        &[
            "authority",
            "create",
            "--record",
            "r",
            "--manifest",
            "bad-manifest.json",
            "--guardians",
            "1",
            "--threshold",
            "1",
        ],
        &["bad-manifest.json"],
    );
    fails(
        d,
        &[
            "authority",
            "create",
            "--record",
            "r",
            "--manifest",
            "missing.json",
            "--guardians",
            "1",
            "--threshold",
            "1",
        ],
        &["missing.json"],
    );
    std::fs::write(
        d.join("empty-manifest.json"),
        r#"{"election": "x", "title": "X", "contests": []}"#,
    )
    .unwrap();
    fails(
        d,
        &[
            "authority",
            "create",
            "--record",
            "r",
            "--manifest",
            "empty-manifest.json",
            "--guardians",
            "1",
            "--threshold",
            "1",
        ],
        &["manifest: the manifest has no contest"],
    );
    ok(
        d,
        &[
            "authority",
            "create",
            "--record",
            "r",
            "--guardians",
            "1",
            "--threshold",
            "1",
        ],
    );
    fails(
        d,
        &[
            "authority",
            "create",
            "--record",
            "r",
            "--guardians",
            "1",
            "--threshold",
            "1",
        ],
        &["already holds an election"],
    );
    fails(
        d,
        &["authority", "open", "--record", "r"],
        &["guardians.jsonl"],
    );
    fails(
        d,
        &["authority", "close", "--record", "r"],
        &["guardians.jsonl"],
    );
    fails(
        d,
        &["authority", "publish", "--record", "r"],
        &["guardians.jsonl"],
    );
    fails(
        d,
        &["authority", "add-guardians", "--record", "r", "nope.json"],
        &["nope.json"],
    );
    fails(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "r",
            "--voters",
            "0",
            "--out-dir",
            "v",
        ],
        &["--voters must be at least 1"],
    );
    fails(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "nowhere",
            "--voters",
            "1",
            "--out-dir",
            "v",
        ],
        &["nowhere"],
    );
}

#[test]
fn guardian_steps_reject_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(
        d,
        &[
            "authority",
            "create",
            "--record",
            "record",
            "--guardians",
            "2",
            "--threshold",
            "2",
        ],
    );
    fails(
        d,
        &[
            "guardian", "generate", "--record", "record", "--index", "3", "--name", "G",
            "--secret", "s", "--public", "p",
        ],
        &["guardian 3", "sequence number must be 1 to 2"],
    );
    fails(
        d,
        &[
            "guardian", "generate", "--record", "record", "--index", "1", "--name", "", "--secret",
            "s", "--public", "p",
        ],
        &["name must be"],
    );
    ok(
        d,
        &[
            "guardian",
            "generate",
            "--record",
            "record",
            "--index",
            "1",
            "--name",
            "G",
            "--secret",
            "g1.secret.json",
            "--public",
            "g1.public.json",
        ],
    );
    fails(
        d,
        &[
            "guardian",
            "generate",
            "--record",
            "record",
            "--index",
            "1",
            "--name",
            "G",
            "--secret",
            "g1.secret.json",
            "--public",
            "x.json",
        ],
        &["g1.secret.json already exists"],
    );
    fails(
        d,
        &[
            "authority",
            "add-guardians",
            "--record",
            "record",
            "g1.public.json",
        ],
        &["expected 2 guardians, found 1"],
    );
    ok(
        d,
        &[
            "guardian",
            "generate",
            "--record",
            "record",
            "--index",
            "2",
            "--name",
            "H",
            "--secret",
            "g2.secret.json",
            "--public",
            "g2.public.json",
        ],
    );
    ok(
        d,
        &[
            "authority",
            "add-guardians",
            "--record",
            "record",
            "g1.public.json",
            "g2.public.json",
        ],
    );
    ok(
        d,
        &[
            "guardian",
            "send-shares",
            "--record",
            "record",
            "--secret",
            "g1.secret.json",
            "--out",
            "s1.json",
        ],
    );
    fails(
        d,
        &[
            "guardian",
            "receive-shares",
            "--record",
            "record",
            "--secret",
            "g1.secret.json",
            "--shares",
            "s1.json",
            "--key-share",
            "k1.json",
            "--complaints",
            "c1.json",
        ],
        &["no share from guardian 2 to guardian 1"],
    );
    std::fs::write(d.join("garbage.json"), "[{]").unwrap();
    fails(
        d,
        &[
            "guardian",
            "receive-shares",
            "--record",
            "record",
            "--secret",
            "g1.secret.json",
            "--shares",
            "garbage.json",
            "--key-share",
            "k1.json",
            "--complaints",
            "c1.json",
        ],
        &["garbage.json"],
    );
    fails(
        d,
        &[
            "guardian",
            "check-complaint",
            "--record",
            "record",
            "--complaints",
            "none.json",
            "--shares",
            "s1.json",
        ],
        &["none.json"],
    );
    fails(
        d,
        &[
            "guardian",
            "decrypt",
            "--record",
            "record",
            "--key-share",
            "k1.json",
            "--out",
            "d1.json",
        ],
        &["credentials.jsonl"],
    );
}

#[test]
fn voter_and_ballot_box_reject_bad_ballots() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    open_election(d);
    let v1 = "voters/voter-00001.json";
    std::fs::write(d.join("unknown.json"), r#"{"president": ["nobody"]}"#).unwrap();
    fails(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            v1,
            "--choices",
            "unknown.json",
            "--out",
            "p.json",
        ],
        &["contest \"president\" has no option \"nobody\""],
    );
    std::fs::write(d.join("over.json"), r#"{"president": ["adams", "baker"]}"#).unwrap();
    fails(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            v1,
            "--choices",
            "over.json",
            "--out",
            "p.json",
        ],
        &["needs 1 to 1 selections, 2 chosen"],
    );
    std::fs::write(d.join("blank.json"), r#"{}"#).unwrap();
    fails(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            v1,
            "--choices",
            "blank.json",
            "--out",
            "p.json",
        ],
        &["needs 1 to 1 selections, 0 chosen"],
    );
    std::fs::write(
        d.join("outsider.json"),
        serde_json::to_string(&serde_json::json!({"public": "", "secret": ""})).unwrap(),
    )
    .unwrap();
    fails(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            "outsider.json",
            "--choices",
            "choices.json",
            "--out",
            "p.json",
        ],
        &["outsider.json"],
    );

    ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            v1,
            "--choices",
            "choices.json",
            "--out",
            "p.json",
        ],
    );
    fails(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "p.json",
            "--credential",
            "voters/voter-00002.json",
            "--out",
            "b.json",
        ],
        &["not the one the ballot was encrypted for"],
    );
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "p.json",
            "--credential",
            v1,
            "--out",
            "b.json",
        ],
    );
    ok(d, &["authority", "accept", "--record", "record", "b.json"]);
    fails(
        d,
        &["authority", "accept", "--record", "record", "b.json"],
        &["already in the ballot box"],
    );

    // A ballot whose signature was tampered with is refused, naming the check.
    let text = std::fs::read_to_string(d.join("b.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sig = v["signature"].as_str().unwrap().to_string();
    v["signature"] = serde_json::Value::String(format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    ));
    std::fs::write(d.join("forged.json"), v.to_string()).unwrap();
    fails(
        d,
        &["authority", "accept", "--record", "record", "forged.json"],
        &["ballot signatures"],
    );
    std::fs::write(d.join("trunc.json"), &text[..text.len() / 2]).unwrap();
    fails(
        d,
        &["authority", "accept", "--record", "record", "trunc.json"],
        &["trunc.json"],
    );

    let out = fairtally(
        d,
        &[
            "voter",
            "lookup",
            "--record",
            "record",
            "--code",
            "0000-0000-0000-0000",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT in the record"));

    ok(d, &["authority", "close", "--record", "record"]);
    fails(
        d,
        &["authority", "accept", "--record", "record", "b.json"],
        &["voting is closed"],
    );
    fails(
        d,
        &["authority", "close", "--record", "record"],
        &["already closed"],
    );
    let tally_path = d.join("record/encrypted-tally.json");
    let tally = std::fs::read_to_string(&tally_path).unwrap();
    std::fs::write(
        &tally_path,
        tally.replace("\"ballots\": 1,", "\"ballots\": 99,"),
    )
    .unwrap();
    fails(
        d,
        &["authority", "publish", "--record", "record"],
        &["the encrypted tally claims 99 ballots for 2 credentials"],
    );
    std::fs::write(&tally_path, tally).unwrap();
    fails(
        d,
        &["authority", "publish", "--record", "record"],
        &["0 decryption shares, the threshold is 2"],
    );
    ok(
        d,
        &[
            "guardian",
            "decrypt",
            "--record",
            "record",
            "--key-share",
            "g1.key-share.json",
            "--out",
            "d1.json",
        ],
    );
    fails(
        d,
        &[
            "guardian",
            "decrypt",
            "--record",
            "record",
            "--key-share",
            "g2.key-share.json",
            "--out",
            "d1.json",
        ],
        &["d1.json already exists"],
    );
    let share = std::fs::read_to_string(d.join("d1.json"))
        .unwrap()
        .replace("\"guardian\": 1", "\"guardian\": 2");
    std::fs::write(d.join("wrong.json"), share).unwrap();
    fails(
        d,
        &["authority", "add-share", "--record", "record", "wrong.json"],
        &["guardian 2", "decryption share"],
    );
    ok(
        d,
        &["authority", "add-share", "--record", "record", "d1.json"],
    );
    fails(
        d,
        &["authority", "add-share", "--record", "record", "d1.json"],
        &["already published"],
    );
}
