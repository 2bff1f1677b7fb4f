//! Bad input to every command gives a clear error (exit status 2, the file or item and the
//! reason on stderr) and never a panic; verification failures exit with status 1.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

// Not every helper of the shared support module is needed here.
#[allow(dead_code)]
#[path = "support/cli.rs"]
mod support;

use support::{fairtally, init_board, ok, small_demo, start_ceremony};

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
    support::open_election(d, (2, 2), 2);
    std::fs::write(d.join("choices.json"), r#"{"president": ["evans"]}"#).unwrap();
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
    // Without result.json the record looks unfinished, but its board holds the result: a
    // failure naming the board's entry, never "no result yet".
    std::fs::remove_file(d.join("demo/record/result.json")).unwrap();
    let out = fairtally(d, &["verify", "demo/record"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("election/result #1): on the board but not in the record")
            && stdout.contains("NOT VERIFIED"),
        "{stdout}"
    );

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
    fails(d, &["demo", "--voters", "0"], &["1 to 10000000 voters"]);
    // A huge electorate is refused before anything is allocated (no capacity overflow).
    fails(
        d,
        &["demo", "--voters", "18446744073709551615"],
        &["1 to 10000000 voters, not 18446744073709551615"],
    );
    fails(
        d,
        &["bench", "--voters", "18446744073709551615", "--runs", "1"],
        &["1 to 10000000 voters"],
    );
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
    fails(d, &["demo", "--out", "taken"], &["nothing was deleted"]);
}

#[test]
fn demo_and_bench_never_delete_a_real_election() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A real election laid out as a demo's would be: record, private files, board.
    start_ceremony(d, 1, 1);
    std::fs::create_dir_all(d.join("private")).unwrap();
    std::fs::write(d.join("private/keep.json"), "{}").unwrap();
    for command in ["demo", "bench"] {
        fails(
            d,
            &[command, "--voters", "2", "--out", "."],
            &["nothing was deleted"],
        );
    }
    assert!(d.join("record/record.json").exists());
    assert!(d.join("record/guardians.jsonl").exists());
    assert!(d.join("private/keep.json").exists());
    assert!(d.join("board/board.sqlite").exists());
    // A demo's own directory is replaced by the next demo.
    ok(
        d,
        &[
            "demo",
            "--voters",
            "2",
            "--guardians",
            "1",
            "--threshold",
            "1",
            "--absent",
            "0",
            "--out",
            "mine",
        ],
    );
    ok(
        d,
        &[
            "demo",
            "--voters",
            "2",
            "--guardians",
            "1",
            "--threshold",
            "1",
            "--absent",
            "0",
            "--out",
            "mine",
        ],
    );
}

#[test]
fn usage_errors_exit_64_and_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for args in [
        &["authority", "accept", "--record", "r"][..],
        &["no-such-command"][..],
        &["demo", "--voters", "many"][..],
    ] {
        let out = fairtally(d, args);
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
    assert_eq!(fairtally(d, &["--help"]).status.code(), Some(0));

    // `fairtally ... | head` with the reader gone before the first line: no panic, no message.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(d)
        .args(["voter", "keygen", "--out", "k.json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The notes for people are on stderr; nothing else is.
    assert!(
        !stderr.contains("panicked") && !stderr.contains("error"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(d.join("k.json").exists());
}

#[test]
fn authority_steps_reject_bad_files_and_wrong_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    init_board(d);
    std::fs::write(d.join("bad-manifest.json"), "{\"election\": \"x\"").unwrap();
    fails(
        d,
        &[
            "authority",
            "create",
            "--record",
            "r",
            "--board",
            "board",
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
            "--board",
            "board",
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
            "--board",
            "board",
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
            "--board",
            "board",
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
            "--board",
            "board",
            "--guardians",
            "1",
            "--threshold",
            "1",
        ],
        &["already holds an election"],
    );
    fails(
        d,
        &["authority", "open", "--record", "r", "--board", "board"],
        &["guardians.jsonl"],
    );
    fails(
        d,
        &["authority", "close", "--record", "r", "--board", "board"],
        &["context.json"],
    );
    fails(
        d,
        &["authority", "publish", "--record", "r", "--board", "board"],
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
        &["give --voters N (at least 1)"],
    );
    fails(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "r",
            "--voters",
            "18446744073709551615",
            "--out-dir",
            "v",
        ],
        &["an election has at most 10000000 voters"],
    );
    // A mistyped record path is an error, not a new directory.
    fails(
        d,
        &["authority", "post", "--record", "typo", "--board", "board"],
        &["typo holds no election record"],
    );
    assert!(!d.join("typo").exists());
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
    init_board(d);
    ok(
        d,
        &[
            "authority",
            "create",
            "--record",
            "record",
            "--board",
            "board",
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
        &["k1.json"],
    );
}

#[test]
fn voter_and_ballot_box_reject_bad_ballots() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    open_election(d);
    let v1 = "voters/voter-00001.json";
    // Each mistake in a choices file is named, with what the voter can write instead.
    let mistakes: [(&str, &str, &[&str]); 4] = [
        (
            "unknown.json",
            r#"{"president": ["nobody"]}"#,
            &[
                "contest \"president\" (President (choose one)) has no option \"nobody\"",
                "its options are: adams (Ana Adams), baker (Boris Baker), chen (Chen Li)",
            ],
        ),
        (
            "title.json",
            r#"{"president": ["Chen Li"]}"#,
            &["has no option \"Chen Li\" (write its id \"chen\", not its title)"],
        ),
        (
            "over.json",
            r#"{"president": ["adams", "baker"]}"#,
            &["needs exactly 1 selection, 2 chosen"],
        ),
        ("blank.json", "{}", &["needs exactly 1 selection, 0 chosen"]),
    ];
    for (choices, text, expected) in mistakes {
        std::fs::write(d.join(choices), text).unwrap();
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
                choices,
                "--out",
                "p.json",
            ],
            expected,
        );
    }
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
    std::fs::copy(d.join("p.json"), d.join("p-copy.json")).unwrap();
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
    let accept = |file: &'static str| -> [&'static str; 7] {
        [
            "authority",
            "accept",
            "--record",
            "record",
            "--board",
            "board",
            file,
        ]
    };
    ok(d, &accept("b.json"));
    // The same ballot again: the same answer, not a second copy.
    let again = ok(d, &accept("b.json"));
    assert!(
        again.contains("was already accepted as board entry"),
        "{again}"
    );

    // Once voting is open the set-up cannot change.
    fails(
        d,
        &[
            "authority",
            "add-guardians",
            "--record",
            "record",
            "g1.public.json",
            "g2.public.json",
        ],
        &["voting is open", "guardians can no longer change"],
    );
    // A device that kept a copy of the prepared ballot cannot challenge it once it is cast.
    fails(
        d,
        &[
            "voter",
            "challenge",
            "--record",
            "record",
            "--prepared",
            "p-copy.json",
            "--credential",
            v1,
            "--out",
            "c.json",
        ],
        &["in the ballot box as cast", "cannot be challenged"],
    );

    // A second submission of that ballot with another signature is refused.
    let text = std::fs::read_to_string(d.join("b.json")).unwrap();
    let forge = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        let sig = v["signature"].as_str().unwrap().to_string();
        v["signature"] = serde_json::Value::String(format!(
            "{}{}",
            if sig.starts_with('0') { "1" } else { "0" },
            &sig[1..]
        ));
        v.to_string()
    };
    std::fs::write(d.join("forged.json"), forge(&text)).unwrap();
    fails(
        d,
        &accept("forged.json"),
        &["a different submission of this ballot is already in the ballot box"],
    );
    // A new ballot whose signature was tampered with is refused, naming the check.
    let v2 = "voters/voter-00002.json";
    ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            v2,
            "--choices",
            "choices.json",
            "--out",
            "p2.json",
        ],
    );
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "p2.json",
            "--credential",
            v2,
            "--out",
            "b2.json",
        ],
    );
    let text2 = std::fs::read_to_string(d.join("b2.json")).unwrap();
    std::fs::write(d.join("forged2.json"), forge(&text2)).unwrap();
    fails(d, &accept("forged2.json"), &["ballot signatures"]);
    std::fs::write(d.join("trunc.json"), &text[..text.len() / 2]).unwrap();
    fails(d, &accept("trunc.json"), &["trunc.json"]);
    assert_eq!(
        std::fs::read_to_string(d.join("record/ballots.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );

    let out = fairtally(
        d,
        &[
            "voter",
            "lookup",
            "--record",
            "record",
            "--code",
            "0000-0000-0000-0000-0000-0000-0000",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT in the record"));
    fails(
        d,
        &[
            "voter",
            "lookup",
            "--record",
            "record",
            "--code",
            "0000-0000-0000-0000",
        ],
        &["28 characters"],
    );

    ok(
        d,
        &[
            "authority",
            "close",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );
    fails(
        d,
        &[
            "authority",
            "accept",
            "--record",
            "record",
            "--board",
            "board",
            "b.json",
        ],
        &["voting is closed"],
    );
    fails(
        d,
        &[
            "authority",
            "close",
            "--record",
            "record",
            "--board",
            "board",
        ],
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
        &[
            "authority",
            "publish",
            "--record",
            "record",
            "--board",
            "board",
        ],
        &["the encrypted tally claims 99 ballots for 2 credentials"],
    );
    std::fs::write(&tally_path, tally).unwrap();
    fails(
        d,
        &[
            "authority",
            "publish",
            "--record",
            "record",
            "--board",
            "board",
        ],
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
        &[
            "authority",
            "add-share",
            "--record",
            "record",
            "--board",
            "board",
            "wrong.json",
        ],
        &["guardian 2", "decryption share"],
    );
    ok(
        d,
        &[
            "authority",
            "add-share",
            "--record",
            "record",
            "--board",
            "board",
            "d1.json",
        ],
    );
    fails(
        d,
        &[
            "authority",
            "add-share",
            "--record",
            "record",
            "--board",
            "board",
            "d1.json",
        ],
        &["already published"],
    );
}

#[test]
fn an_unknown_region_says_what_is_wrong_before_listing_the_regions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    support::write_station_results(d);
    let out = fairtally(
        d,
        &[
            "forensics",
            "results.csv",
            "--map",
            "mapping.toml",
            "--out",
            "out",
            "--region=Atlantis",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reason = stderr.find("\"Atlantis\" does not occur").expect(&stderr);
    let list = stderr.find("the 3 regions are:").expect(&stderr);
    assert!(reason < list, "the reason comes first: {stderr}");
    assert!(stderr.contains("North"), "{stderr}");
}

#[test]
fn a_garbled_json_line_names_its_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_demo(d);
    let path = d.join("demo/record/ballots.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let cut = &lines[2][..lines[2].len() / 2];
    let garbled = format!("{cut}x");
    lines[2] = &garbled;
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = fairtally(d, &["verify", "demo/record"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ballots.jsonl, line 3"), "{stderr}");
    assert!(stderr.contains("at column"), "{stderr}");
    assert!(!stderr.contains("line 1 column"), "{stderr}");
}

#[test]
fn what_is_pinned_is_read_before_any_verification_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_demo(d);
    for (flag, value, expected) in [
        (
            "--board-policy",
            "no-such-policy",
            "reading the pinned board policy no-such-policy",
        ),
        ("--policy", "no-such-policy", "no-such-policy"),
        ("--expect", "abc", "--expect needs 64 hex digits"),
    ] {
        let out = fairtally(d, &["verify", "demo/record", flag, value]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(expected), "{flag}: {stderr}");
        assert!(
            !stderr.contains("Verifying the election record"),
            "{flag}: it failed before starting: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{flag}");
    }
}

#[test]
fn counts_of_one_are_singular() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &["board", "init", "--board", "b", "--origin", "example.org/b"],
    );
    std::fs::write(d.join("entry.txt"), "hello").unwrap();
    let appended = ok(d, &["board", "append", "b", "--kind", "note", "entry.txt"]);
    assert!(appended.contains("checkpoint: 1 entry,"), "{appended}");
    let audit = ok(d, &["board", "verify", "b/public"]);
    assert!(
        audit.contains("(0 witnesses required)") || audit.contains("(0 required)"),
        "{audit}"
    );
    start_ceremony(d, 1, 1);
    let ceremony = ok(
        d,
        &[
            "authority",
            "add-ceremony",
            "--record",
            "record",
            "--shares",
            "shares-1.json",
        ],
    );
    assert!(
        ceremony.contains("0 encrypted shares") && ceremony.contains("0 complaints"),
        "{ceremony}"
    );
    let issued = ok(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            "1",
            "--out",
            "v",
        ],
    );
    assert!(issued.contains("Published 1 credential in"), "{issued}");
}
