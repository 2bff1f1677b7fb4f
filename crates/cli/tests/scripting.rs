//! The command line as scripts use it: completions, man pages, exit codes, `--json`, `--quiet`.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;

#[path = "support/cli.rs"]
mod support;

use support::{fairtally, ok, small_demo};

#[test]
fn completions_cover_every_command_and_an_unknown_shell_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(dir.path(), &["completions", shell]);
        for command in ["verify", "board", "voter", "observe", "completions"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let bash = ok(dir.path(), &["completions", "bash"]);
    assert!(bash.contains("--board-policy"), "flags are completed too");
    let out = fairtally(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn man_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let printed = ok(dir.path(), &["man", "--out", "man"]);
    let pages: Vec<String> = std::fs::read_dir(dir.path().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(printed.contains(&format!("wrote {} man pages", pages.len())));
    for page in [
        "fairtally.1",
        "fairtally-verify.1",
        "fairtally-board-verify.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "no {page} in {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("help")), "{pages:?}");
    let verify = std::fs::read_to_string(dir.path().join("man/fairtally-verify.1")).unwrap();
    assert!(
        verify.starts_with(".ie") || verify.contains(".TH"),
        "roff: {verify:.80}"
    );
    assert!(verify.contains("board\\-policy"), "options are documented");
    let top = std::fs::read_to_string(dir.path().join("man/fairtally.1")).unwrap();
    assert!(top.contains("Exit codes"), "the exit codes are in the page");
}

/// Change one character of the operator's signature on the demo record's board checkpoint.
fn break_checkpoint_signature(d: &Path) {
    let checkpoint = d.join("demo/record/board/checkpoint");
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    let at = text.rfind(' ').unwrap() + 6;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&checkpoint, bytes).unwrap();
}

/// Run, expect exit status `code`, and parse stdout as JSON (nothing else may be on stdout).
fn json(d: &Path, args: &[&str], code: i32) -> Value {
    let out = fairtally(d, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

#[test]
fn verify_json_is_the_verification_record_and_quiet_silences_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_demo(d);
    let record = json(d, &["verify", "demo/record", "--json"], 0);
    assert_eq!(record["format"], "fairtally-verification/1");
    assert_eq!(record["result"], "verified-not-pinned");
    assert_eq!(record["valid"], true);
    assert_eq!(record["pinned"]["fingerprint"], false);
    let fingerprint = record["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 64);
    assert_eq!(record["checkpoint"]["origin"], "fairtally.demo/election");
    assert!(
        record["checkpoint"]["text"]
            .as_str()
            .unwrap()
            .contains('\n')
    );
    let checks = record["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 24);
    assert!(checks.iter().all(|c| c["failed"] == 0));
    let signatures = checks
        .iter()
        .find(|c| c["name"] == "ballot signatures")
        .unwrap();
    // The demo's voters re-vote at random: every ballot's signature, one counted per voter.
    assert_eq!(signatures["passed"], record["ballots"]["total"]);
    assert_eq!(record["ballots"]["counted"], 6);
    assert_eq!(record["tally"]["counted"], 6);

    // Pinned: the same record, now "verified"; --quiet leaves stderr empty.
    let out = fairtally(
        d,
        &[
            "verify",
            "demo/record",
            "--json",
            "--quiet",
            "--expect",
            &fingerprint,
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pinned: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pinned["result"], "verified");
    assert_eq!(pinned["pinned"]["fingerprint"], true);

    // The human report: on stdout, the progress note on stderr.
    let out = fairtally(d, &["verify", "demo/record"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Verifying the election record"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Verifying the election record"));
    let human = fairtally(d, &["verify", "demo/record", "--color", "always"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("\x1b[1;33mVERIFIED"));
    assert!(
        !out.stdout.contains(&0x1b),
        "no colour into a pipe by default"
    );

    // A tampered board: exit 1, the failing check and item named in the record.
    break_checkpoint_signature(d);
    let record = json(d, &["verify", "demo/record", "--json"], 1);
    assert_eq!(record["result"], "not-verified");
    assert!(
        record["tally"].is_null(),
        "no tally from a record that fails"
    );
    let failed: Vec<&Value> = record["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["failed"] != 0)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["name"], "board checkpoint");
    assert_eq!(failed[0]["failures"][0]["item"], "board/checkpoint");
    let reason = failed[0]["failures"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("signature") || reason.contains("not signed by"),
        "{reason}"
    );
    let audit = json(d, &["board", "verify", "demo/record/board", "--json"], 1);
    assert_eq!(audit["format"], "fairtally-board-audit/1");
    assert_eq!(audit["result"], "failed");
    let failure = audit["failure"].as_str().unwrap();
    assert!(
        failure.contains("signature") || failure.contains("not signed"),
        "{failure}"
    );
}

#[test]
fn board_verify_and_prove_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_demo(d);
    let audit = json(
        d,
        &[
            "board",
            "verify",
            "demo/record/board",
            "--json",
            "--policy",
            "demo/record/board/policy",
        ],
        0,
    );
    assert_eq!(audit["result"], "verified");
    assert_eq!(audit["entries"], audit["checkpoint"]["size"]);
    assert!(audit["files_checked"].as_u64().unwrap() > 0);
    assert_eq!(audit["published_policy_matches"], true);
    assert_eq!(audit["signers"][0], "fairtally.demo/election");
    assert_eq!(audit["unexpected"].as_array().unwrap().len(), 0);
    // A stray file in the public directory fails the audit (exit 1), and is listed.
    std::fs::write(d.join("demo/record/board/stray.txt"), "x").unwrap();
    let audit = json(d, &["board", "verify", "demo/record/board", "--json"], 1);
    assert_eq!(audit["result"], "failed");
    assert_eq!(audit["unexpected"][0]["path"], "stray.txt");
}

#[test]
fn ballot_proof_and_lookup_json_and_an_unknown_code_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    support::open_election(d, (2, 2), 1);
    std::fs::write(d.join("choices.json"), r#"{"president": ["evans"]}"#).unwrap();
    let code = support::cast(d, "voters/voter-00001.json", "choices.json");
    assert_eq!(code.len(), 34, "{code}");

    let found = json(
        d,
        &[
            "voter", "lookup", "--record", "record", "--code", &code, "--json",
        ],
        0,
    );
    assert_eq!(found["format"], "fairtally-lookup/1");
    assert_eq!(found["found"], true);
    assert_eq!(found["status"], "cast");
    assert_eq!(found["counted"], true);
    assert_eq!(found["code"], code.as_str());
    let absent = "0000-0000-0000-0000-0000-0000-0000";
    // `--ballot` is accepted for `--code`, as in `verify --ballot`.
    let missing = json(
        d,
        &[
            "voter", "lookup", "--record", "record", "--ballot", absent, "--json",
        ],
        1,
    );
    assert_eq!(missing["found"], false);
    assert!(missing["status"].is_null());

    // Observers prove it from the record's copy of the board's public files.
    ok(
        d,
        &[
            "authority",
            "post",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );
    let proof = json(d, &["verify", "record", "--ballot", &code, "--json"], 0);
    assert_eq!(proof["format"], "fairtally-ballot-proof/1");
    assert_eq!(proof["result"], "included");
    assert_eq!(proof["code"], code.as_str());
    assert!(proof["index"].as_u64().is_some());
    let hashes = proof["proof"].as_array().unwrap();
    assert!(hashes.iter().all(|h| h.as_str().unwrap().len() == 64));
    assert_eq!(proof["checkpoint"]["origin"], "example.org/election");

    let missing = json(d, &["verify", "record", "--ballot", absent, "--json"], 1);
    assert_eq!(missing["result"], "not-found");
    let out = fairtally(d, &["verify", "record", "--ballot", absent]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT in the record"));
    // A code with a wrong check character is unusable input, not "not found".
    let out = fairtally(
        d,
        &[
            "verify",
            "record",
            "--ballot",
            "0000-0000-0000-0000-0000-0000-0001",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// `fairtally ARGS` in `d`: its exit status and stderr.
fn status(d: &Path, args: &[&str]) -> (i32, String) {
    let out = fairtally(d, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn exit_codes_mean_the_same_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_demo(d);
    // 64: usage errors, whatever the command.
    for args in [
        &["verify", "demo/record", "--no-such-flag"][..],
        &["verify"],
        &["voter", "lookup", "--record", "demo/record"],
        &["board", "verify"],
        &["man"],
        &["nonsense"],
    ] {
        assert_eq!(status(d, args).0, 64, "{args:?}");
    }
    // 2: unusable input, checked before any long work, and each cause said once.
    let (code, stderr) = status(
        d,
        &["verify", "demo/record", "--board-policy", "missing.txt"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.txt"), "{stderr}");
    let (code, stderr) = status(d, &["verify", "nowhere"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, stderr) = status(
        d,
        &[
            "verify",
            "demo",
            "--ballot",
            "0000-0000-0000-0000-0000-0000-0000",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    let (code, _) = status(
        d,
        &[
            "voter",
            "lookup",
            "--record",
            "nowhere",
            "--code",
            "0000-0000-0000-0000-0000-0000-0000",
        ],
    );
    assert_eq!(code, 2);

    // 1: a wrongly signed board fails the check, in every command that reads it.
    break_checkpoint_signature(d);
    std::fs::write(d.join("body.txt"), "x").unwrap();
    for args in [
        &["verify", "demo/record"][..],
        &[
            "verify",
            "demo/record",
            "--ballot",
            "0000-0000-0000-0000-0000-0000-0000",
        ],
        &["board", "verify", "demo/record/board"],
        &[
            "board",
            "prove",
            "demo/record/board",
            "--kind",
            "test/x",
            "--body",
            "body.txt",
        ],
    ] {
        let (code, stderr) = status(d, args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
    }
    let (_, stderr) = status(
        d,
        &[
            "board",
            "prove",
            "demo/record/board",
            "--kind",
            "test/x",
            "--body",
            "body.txt",
        ],
    );
    let root = stderr
        .split("root ")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    assert_eq!(stderr.matches(root).count(), 1, "said once: {stderr}");
}

#[test]
fn manifest_template_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = fairtally(d, &["manifest", "template"]);
    assert_eq!(out.status.code(), Some(0));
    let template: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(template["contests"][0]["id"], "president");
    let explanation = String::from_utf8_lossy(&out.stderr);
    assert!(explanation.contains("min_selections"), "{explanation}");
    assert!(
        fairtally(d, &["manifest", "template", "--quiet"])
            .stderr
            .is_empty()
    );

    ok(d, &["manifest", "template", "--out", "manifest.json"]);
    let (code, stderr) = status(d, &["manifest", "template", "--out", "manifest.json"]);
    assert_eq!(code, 2, "never overwrites");
    assert!(stderr.contains("must not exist yet"), "{stderr}");

    let shown = ok(d, &["manifest", "show", "manifest.json"]);
    assert!(
        shown.contains("contest president: President (choose one) (choose exactly 1)"),
        "{shown}"
    );
    assert!(shown.contains("(choose up to 2)"), "{shown}");
    assert!(shown.contains("    chen         Chen Li"), "{shown}");

    // An edited manifest that breaks a rule is refused, naming the file and the reason.
    let mut edited = template.clone();
    edited["contests"][0]["options"][1]["id"] = "adams".into();
    std::fs::write(d.join("bad.json"), edited.to_string()).unwrap();
    let (code, stderr) = status(d, &["manifest", "show", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bad.json") && stderr.contains("adams"),
        "{stderr}"
    );
    std::fs::write(d.join("garbled.json"), "{\"election\": ").unwrap();
    assert_eq!(status(d, &["manifest", "show", "garbled.json"]).0, 2);
    assert_eq!(status(d, &["manifest", "show", "missing.json"]).0, 2);
}

#[test]
fn one_name_per_concept_with_the_old_spellings_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_demo(d);
    let policy = "demo/record/board/policy";
    // `verify --record R` as in the other election commands, beside the positional RECORD.
    let by_flag = json(d, &["verify", "--record", "demo/record", "--json"], 0);
    let by_position = json(d, &["verify", "demo/record", "--json"], 0);
    assert_eq!(by_flag["fingerprint"], by_position["fingerprint"]);
    assert_eq!(
        status(d, &["verify", "demo/record", "--record", "demo/record"]).0,
        64
    );
    // `--policy` as in `board`, and the old `--board-policy`.
    for flag in ["--policy", "--board-policy"] {
        let pinned = json(d, &["verify", "demo/record", flag, policy, "--json"], 0);
        assert_eq!(pinned["pinned"]["board_policy"], true, "{flag}");
    }
    // `--code` as in `voter lookup`, and the old `--ballot`.
    let absent = "0000-0000-0000-0000-0000-0000-0000";
    for flag in ["--code", "--ballot"] {
        let missing = json(d, &["verify", "demo/record", flag, absent, "--json"], 1);
        assert_eq!(missing["result"], "not-found", "{flag}");
    }
    // `--out` for the registrar's directory of credential files (old: `--out-dir`).
    support::start_ceremony(d, 1, 1);
    support::finish_ceremony(d, 1);
    ok(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            "2",
            "--out",
            "voters",
        ],
    );
    assert!(d.join("voters/voter-00002.json").is_file());
    // `--board DIR` in the board's own commands, as in `authority` (old: the positional DIR,
    // still accepted, hidden); not both.
    ok(
        d,
        &["board", "init", "--board", "b", "--origin", "example.org/b"],
    );
    for args in [
        &["board", "status", "--board", "b"][..],
        &["board", "status", "b"],
    ] {
        assert!(
            ok(d, args).contains("log example.org/b: 0 entries"),
            "{args:?}"
        );
    }
    assert_eq!(status(d, &["board", "status", "b", "--board", "b"]).0, 64);
    let help = ok(d, &["board", "checkpoint", "--help"]);
    assert!(help.contains("--board <DIR>"), "{help}");
    // `--key` for a guardian's secret key file (old: `--secret`, hidden).
    let help = ok(d, &["guardian", "send-shares", "--help"]);
    assert!(
        help.contains("--key <FILE>") && !help.contains("--secret"),
        "{help}"
    );
    // `--key` for an organisation's key (old: `--org-key`) is accepted by the parser.
    let help = ok(d, &["observe", "accredit", "--help"]);
    assert!(
        help.contains("--org-key") && help.contains("[alias: --key]"),
        "{help}"
    );
}

/// The names of the checks of a verification record with `status`.
fn checks_with(record: &Value, status: &str) -> Vec<String> {
    record["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn verify_on_a_record_in_progress_checks_what_is_there_and_claims_no_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Before voting opens there is nothing to verify: unusable input, and it says why.
    let early = d.join("early");
    std::fs::create_dir(&early).unwrap();
    support::start_ceremony(&early, 1, 1);
    let (code, stderr) = status(&early, &["verify", "--record", "record"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("ceremony-shares.jsonl") && stderr.contains("set-up is not complete"),
        "{stderr}"
    );
    support::finish_ceremony(&early, 1);
    ok(
        &early,
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
    let (code, stderr) = status(&early, &["verify", "--record", "record"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("context.json") && stderr.contains("voting has not opened yet"),
        "{stderr}"
    );
    support::authority(&early, "open");
    std::fs::remove_file(early.join("record/credentials.jsonl")).unwrap();
    let (code, stderr) = status(&early, &["verify", "--record", "record"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("credentials.jsonl")
            && stderr.contains("a file of the set-up is missing, but later ones (context.json"),
        "{stderr}"
    );
    support::open_election(d, (1, 1), 2);
    std::fs::write(d.join("c.json"), r#"{"president": ["chen"]}"#).unwrap();
    support::cast(d, "voters/voter-00001.json", "c.json");
    support::authority(d, "post");

    // Voting open: every check of the set-up, the board and the ballots so far runs and
    // passes; the tally, the shares and the result wait; exit 0, and never "VERIFIED".
    let human = ok(d, &["verify", "--record", "record"]);
    assert!(!human.contains("VERIFIED:"), "{human}");
    assert!(human.contains("NO RESULT YET, VALID SO FAR"), "{human}");
    assert!(human.contains("voting is still open"), "{human}");
    assert!(
        human.contains("--     encrypted tally") && human.contains("not yet"),
        "{human}"
    );
    assert!(!human.contains("Verified result"), "{human}");
    let record = json(d, &["verify", "--record", "record", "--json"], 0);
    assert_eq!(record["result"], "valid-so-far-not-pinned");
    assert_eq!(record["phase"], "voting");
    assert_eq!(
        record["missing"],
        serde_json::json!([
            "encrypted-tally.json",
            "decryption-shares.jsonl",
            "result.json"
        ])
    );
    assert_eq!(
        checks_with(&record, "pending"),
        ["encrypted tally", "decryption shares", "result"]
    );
    assert!(checks_with(&record, "failed").is_empty());
    assert!(checks_with(&record, "passed").contains(&"selection proofs".to_string()));
    assert_eq!(record["ballots"]["total"], 1);
    assert!(record["tally"].is_null());
    let fingerprint = record["fingerprint"].as_str().unwrap().to_string();
    let pinned = json(
        d,
        &["verify", "record", "--json", "--expect", &fingerprint],
        0,
    );
    assert_eq!(pinned["result"], "valid-so-far");

    // A guardian has nothing to decrypt yet, and says so.
    let (code, stderr) = status(
        d,
        &[
            "guardian",
            "decrypt",
            "--record",
            "record",
            "--key-share",
            "g1.key-share.json",
            "--out",
            "d.json",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("voting is still open"), "{stderr}");

    // A ballot in the record that the board copy does not hold yet is a failure, not "so far".
    let kept = std::fs::read(d.join("record/ballots.jsonl")).unwrap();
    support::cast(d, "voters/voter-00002.json", "c.json");
    let stale_board = d.join("record/board");
    let fresh = std::fs::read(d.join("record/ballots.jsonl")).unwrap();
    assert!(fresh.len() > kept.len() && stale_board.is_dir());
    let record = json(d, &["verify", "record", "--json"], 1);
    assert_eq!(record["result"], "not-verified");
    support::authority(d, "post");

    // Closed: the tally is checked; the shares and result wait.
    support::authority(d, "close");
    support::authority(d, "post");
    let record = json(d, &["verify", "record", "--json"], 0);
    assert_eq!(record["phase"], "tallied");
    // `close` starts an empty list of decryption shares: checked (none yet), not pending.
    assert_eq!(checks_with(&record, "pending"), ["result"]);
    let tally = &record["checks"][21];
    assert_eq!(
        (&tally["name"], &tally["status"]),
        (&"encrypted tally".into(), &"passed".into())
    );

    // A file after a missing one is a gap: not read, and a failure.
    std::fs::remove_file(d.join("record/decryption-shares.jsonl")).unwrap();
    std::fs::write(d.join("record/result.json"), "{}\n").unwrap();
    let record = json(d, &["verify", "record", "--json"], 1);
    let files = &record["checks"][0];
    assert_eq!(files["failures"][0]["item"], "result.json");
    assert!(
        files["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("decryption-shares.jsonl before it is not"),
        "{files}"
    );
    std::fs::remove_file(d.join("record/result.json")).unwrap();

    // Removing the tally from a record whose board holds it does not turn it back to "voting".
    std::fs::remove_file(d.join("record/encrypted-tally.json")).unwrap();
    let record = json(d, &["verify", "record", "--json"], 1);
    let contents = record["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "board contents")
        .unwrap()
        .clone();
    assert!(
        contents["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("on the board but not in the record"),
        "{contents}"
    );
}

#[test]
fn observe_compare_pvt_and_forensics_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    support::write_station_results(d);
    let base = ["results.csv", "--map", "mapping.toml"];
    let with = |command: &[&str], rest: &[&str]| -> Vec<String> {
        command
            .iter()
            .chain(&base)
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
    };
    let args = with(&["observe", "compare"], &["--out", "cmp", "--json"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let compared = json(d, &args, 0);
    assert_eq!(compared["format"], "fairtally-observe-compare/1");
    assert_eq!(compared["stations"], 30);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cmp/summary.json")).unwrap())
            .unwrap();
    assert_eq!(compared["flagged_stations"], summary["flagged_stations"]);
    assert!(
        compared["written"][0]
            .as_str()
            .unwrap()
            .ends_with("summary.json")
    );

    let args = with(
        &["observe", "pvt"],
        &[
            "--seed",
            "s",
            "--stations",
            "10",
            "--source",
            "official",
            "--json",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let pvt = json(d, &args, 0);
    assert_eq!(pvt["format"], "fairtally-pvt/1");
    assert_eq!(pvt["sample"].as_array().unwrap().len(), 10);
    assert!(!pvt["estimates"].as_array().unwrap().is_empty(), "{pvt}");
    // No figures from observers: exit 1, as without --json, and still one JSON document.
    let args = with(
        &["observe", "pvt"],
        &["--seed", "s", "--stations", "10", "--json"],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let empty = json(d, &args, 1);
    assert!(empty["estimates"].as_array().unwrap().is_empty());

    let args = with(
        &["forensics"],
        &["--out", "f", "--reps", "200", "--bootstrap", "50", "--json"],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let forensics = json(d, &args, 0);
    assert_eq!(forensics["format"], "fairtally-forensics/1");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("f/summary.json")).unwrap()).unwrap();
    for (key, value) in written.as_object().unwrap() {
        assert_eq!(&forensics[key], value, "{key}");
    }
}
