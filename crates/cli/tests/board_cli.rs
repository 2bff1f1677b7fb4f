//! The `fairtally board` commands end to end, as an operator, a witness, a mirror and an
//! observer with an outbox would use them, including the errors they can run into.

use std::path::Path;
use std::process::Command;

const FAIRTALLY: &str = env!("CARGO_BIN_EXE_fairtally");

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `fairtally` in `dir` with the words of `args`; returns (success, stdout, stderr).
fn run(dir: &Path, args: &str) -> Result<(bool, String, String), Box<dyn std::error::Error>> {
    let out = Command::new(FAIRTALLY)
        .current_dir(dir)
        .args(args.split_whitespace())
        .output()?;
    Ok((
        out.status.success(),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

/// The exit status of `fairtally` run in `dir` with the words of `args`.
fn status(dir: &Path, args: &str) -> Result<i32, Box<dyn std::error::Error>> {
    let out = Command::new(FAIRTALLY)
        .current_dir(dir)
        .args(args.split_whitespace())
        .output()?;
    Ok(out.status.code().unwrap_or(-1))
}

fn ok(dir: &Path, args: &str) -> Result<String, Box<dyn std::error::Error>> {
    let (success, stdout, stderr) = run(dir, args)?;
    if !success {
        return Err(format!("fairtally {args} failed: {stderr}").into());
    }
    Ok(stdout)
}

/// The command fails and says `expect`: an error on stderr, or a failed check's verdict on
/// stdout.
fn fails(dir: &Path, args: &str, expect: &str) -> TestResult {
    let (success, stdout, stderr) = run(dir, args)?;
    assert!(!success, "fairtally {args} should fail");
    assert!(
        stderr.contains(expect) || stdout.contains(expect),
        "fairtally {args}: expected {expect:?} in {stderr:?} or {stdout:?}"
    );
    Ok(())
}

#[test]
fn operator_witness_mirror_and_outbox() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    let out = ok(d, "board init op --origin board.example.org/e2026")?;
    assert!(out.contains("board.example.org/e2026+"));
    for i in 0..3 {
        std::fs::write(
            d.join(format!("p{i}.json")),
            format!("{{\"protocol\":{i}}}"),
        )?;
    }
    let out = ok(
        d,
        "board append op --kind observe/protocol p0.json p1.json p2.json",
    )?;
    assert!(out.contains("acknowledged 3 entries (3 new"), "{out}");
    // Sending the same files again appends nothing.
    let out = ok(d, "board append op --kind observe/protocol p1.json")?;
    assert!(out.contains("(0 new, first index 1"), "{out}");

    // A witness joins; the policy now needs its cosignature.
    let vkey = ok(d, "board keygen observers.example/w1 --out w1.key")?;
    ok(
        d,
        &format!("board policy op --witness {} --quorum 1", vkey.trim()),
    )?;
    std::fs::copy(d.join("op/public/policy"), d.join("policy.txt"))?;
    fails(
        d,
        "board verify op/public --policy policy.txt",
        "0 valid witness cosignatures, 1 required",
    )?;
    let witness =
        "board witness op/public --key w1.key --state w1.state --policy policy.txt --out cos.txt";
    assert!(ok(d, witness)?.contains("first checkpoint seen"));
    ok(d, "board cosign op cos.txt")?;
    let out = ok(d, "board verify op/public --policy policy.txt")?;
    assert!(out.contains("signed by observers.example/w1"), "{out}");
    assert!(
        out.contains("all 3 entries and tiles match the signed root"),
        "{out}"
    );
    let out = ok(
        d,
        "board prove op/public --kind observe/protocol --body p2.json --policy policy.txt",
    )?;
    assert!(out.contains("entry 2 is on the board"), "{out}");
    let absent = "board prove op/public --kind observe/report --body p2.json --policy policy.txt";
    assert_eq!(
        status(d, absent)?,
        1,
        "an entry not found is a failed check"
    );
    assert!(run(d, absent)?.1.contains("NOT on the board"));
    let json: serde_json::Value = serde_json::from_str(&run(d, &format!("{absent} --json"))?.1)?;
    assert!(json["index"].is_null());
    let proof =
        "board prove op/public --kind observe/protocol --body p2.json --policy policy.txt --json";
    let json: serde_json::Value = serde_json::from_str(&ok(d, proof)?)?;
    assert_eq!(json["format"], "fairtally-board-proof/1");
    assert_eq!(json["index"], 2);
    assert_eq!(json["checkpoint"]["size"], 3);
    assert!(!json["proof"].as_array().ok_or("no proof")?.is_empty());

    // An observer works offline with an outbox.
    std::fs::write(d.join("r.json"), "{\"report\":1}")?;
    ok(
        d,
        "board outbox add my.outbox --kind observe/report r.json p0.json",
    )?;
    ok(d, "board outbox export my.outbox --out subs.json")?;
    let out = ok(d, "board submit op subs.json")?;
    assert!(out.contains("2 submitted, 2 new"), "{out}");
    assert!(ok(d, witness)?.contains("checked consistency from size 3 to 5"));
    ok(d, "board cosign op cos.txt")?;
    let out = ok(
        d,
        "board outbox confirm my.outbox op/public --policy policy.txt",
    )?;
    assert!(
        out.contains("2 entries confirmed on the board; 0 still pending"),
        "{out}"
    );
    assert!(
        ok(d, "board outbox status my.outbox")?.contains("delivered  observe/report at index 3")
    );

    // Bundles to a mirror, in order, twice; out of order is refused.
    ok(d, "board export op --from 0 --out all.bundle")?;
    ok(d, "board export op --from 3 --out tail.bundle")?;
    fails(d, "board import mirror all.bundle", "pass --policy")?;
    fails(
        d,
        "board import mirror tail.bundle --policy policy.txt",
        "import the earlier bundle first",
    )?;
    assert!(
        ok(d, "board import mirror all.bundle --policy policy.txt")?.contains("imported 5 entries")
    );
    assert!(ok(d, "board import mirror all.bundle")?.contains("nothing new"));
    assert!(ok(d, "board import mirror tail.bundle")?.contains("nothing new"));
    let out = ok(d, "board verify mirror/public --policy policy.txt")?;
    assert!(out.contains("all 5 entries"), "{out}");
    assert!(ok(d, "board status mirror")?.contains("5 entries"));
    Ok(())
}

#[test]
fn user_errors_name_the_file_and_reason() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    ok(d, "board init op --origin board.example.org/errors")?;
    fails(
        d,
        "board init op --origin board.example.org/errors",
        "a board already exists here",
    )?;
    fails(d, "board status nowhere", "no board here")?;
    fails(d, "board append op --kind Bad Kind x", "is not allowed")?;
    std::fs::write(d.join("big.bin"), vec![b'x'; 70_000])?;
    fails(
        d,
        "board append op --kind test/big big.bin",
        "big.bin: 70000 bytes, an entry holds at most 65535",
    )?;
    fails(
        d,
        "board append op --kind test/x missing.json",
        "missing.json",
    )?;
    std::fs::write(d.join("garbage.bundle"), "{not json")?;
    fails(
        d,
        "board import op garbage.bundle",
        "garbage.bundle: not a fairtally board bundle",
    )?;
    std::fs::write(d.join("bad.key"), "PRIVATE+KEY+x+00000000+AAAA")?;
    fails(d, "board checkpoint op --key bad.key", "bad.key")?;
    fails(
        d,
        "board export op --from 9 --out x.bundle",
        "export start 9 is beyond the log",
    )?;
    // Damaged public files are caught by verify, naming the file.
    fails(
        d,
        "board append op --kind test/x big.bin --lines x",
        "cannot be used with",
    )?;
    std::fs::write(d.join("lines.txt"), "a\nb\nc\n")?;
    ok(d, "board append op --kind test/x --lines lines.txt")?;
    let bundle = d.join("op/public/tile/entries/000.p/3");
    std::fs::write(&bundle, b"\x00\x07\x06test/xa")?;
    assert_eq!(status(d, "board verify op/public")?, 1);
    assert!(
        run(d, "board verify op/public")?
            .1
            .contains("tile/entries/000.p/3")
    );
    // A fork seen by a witness names both checkpoints.
    ok(d, "board keygen w.example/w --out w.key")?;
    let policy = d.join("op/public/policy");
    let policy = policy.to_str().ok_or("path")?;
    ok(
        d,
        &format!(
            "board witness op/public --key w.key --state w.state --policy {policy} --out c.txt"
        ),
    )?;
    std::fs::write(
        d.join("w.state"),
        "board.example.org/errors\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )?;
    fails(
        d,
        &format!(
            "board witness op/public --key w.key --state w.state --policy {policy} --out c.txt"
        ),
        "the log is forked: checkpoint board.example.org/errors size 2",
    )?;
    Ok(())
}

/// A bundle whose checkpoint carries an extra signature line by a key nobody knows.
fn with_junk_signature(bundle: &Path) -> TestResult {
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(bundle)?)?;
    let checkpoint = json["checkpoint"]
        .as_str()
        .ok_or("no checkpoint")?
        .to_owned();
    // Key ID 1 and 72 bytes of nothing, in base64: shaped like a cosignature, signing nothing.
    let junk = format!("\u{2014} mallory.example/witness AAAAA{}\n", "A".repeat(95));
    json["checkpoint"] = (checkpoint + &junk).into();
    std::fs::write(bundle, serde_json::to_vec(&json)?)?;
    Ok(())
}

#[test]
fn only_verified_signers_are_shown_and_imported() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    ok(d, "board init op --origin board.example.org/signers")?;
    std::fs::write(d.join("lines.txt"), "a\nb\n")?;
    ok(d, "board append op --kind test/x --lines lines.txt")?;
    std::fs::copy(d.join("op/public/policy"), d.join("policy.txt"))?;
    ok(d, "board export op --out all.bundle")?;
    with_junk_signature(&d.join("all.bundle"))?;
    let out = ok(d, "board import mirror all.bundle --policy policy.txt")?;
    assert!(
        out.contains("dropped 1 signature line(s)") && !out.contains("mallory"),
        "{out}"
    );
    let stored = std::fs::read_to_string(d.join("mirror/public/checkpoint"))?;
    assert!(!stored.contains("mallory"), "{stored}");
    assert!(!ok(d, "board status mirror")?.contains("mallory"));

    // A junk line slipped into a published checkpoint is not shown as a signer.
    let path = d.join("op/public/checkpoint");
    let text = std::fs::read_to_string(&path)?;
    let junk = format!("\u{2014} mallory.example/witness AAAAA{}\n", "A".repeat(95));
    std::fs::write(&path, text + &junk)?;
    let out = ok(d, "board verify op/public --policy policy.txt")?;
    assert!(
        out.contains("signed by board.example.org/signers")
            && !out.contains("signed by mallory")
            && out.contains("1 signature line(s) by keys not in the policy"),
        "{out}"
    );
    let out = ok(
        d,
        "board prove op/public --kind test/x --body lines.txt --policy policy.txt",
    );
    assert!(out.is_err(), "lines.txt as a whole is not an entry");
    Ok(())
}

#[test]
fn verify_exit_status_tells_a_failed_check_from_unusable_input() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    ok(d, "board init op --origin board.example.org/status")?;
    std::fs::write(d.join("lines.txt"), "a\nb\nc\n")?;
    ok(d, "board append op --kind test/x --lines lines.txt")?;
    std::fs::copy(d.join("op/public/policy"), d.join("policy.txt"))?;
    assert_eq!(status(d, "board verify op/public --policy policy.txt")?, 0);
    assert_eq!(status(d, "board verify nowhere --policy policy.txt")?, 2);
    assert_eq!(status(d, "board verify op/public --policy missing.txt")?, 2);

    // A file that does not belong is reported and fails the check.
    std::fs::write(d.join("op/public/tile/notes.txt"), "hello")?;
    fails(
        d,
        "board verify op/public --policy policy.txt",
        "1 file(s) in op/public are not part of the board",
    )?;
    assert_eq!(status(d, "board verify op/public --policy policy.txt")?, 1);
    std::fs::remove_file(d.join("op/public/tile/notes.txt"))?;

    // One flipped byte of an archived checkpoint fails the check.
    let archived = d.join("op/public/checkpoints/0");
    let mut bytes = std::fs::read(&archived)?;
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    std::fs::write(&archived, &bytes)?;
    fails(
        d,
        "board verify op/public --policy policy.txt",
        "checkpoints/0",
    )?;
    assert_eq!(status(d, "board verify op/public --policy policy.txt")?, 1);

    // A checkpoint under another operator's key fails the check too.
    ok(d, "board init other --origin board.example.org/status")?;
    assert_eq!(
        status(d, "board verify op/public --policy other/public/policy")?,
        1
    );
    Ok(())
}

#[test]
fn outbox_commands_do_not_create_a_mistyped_outbox() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let d = tmp.path();
    ok(d, "board init op --origin board.example.org/outbox")?;
    for command in [
        "board outbox status typo.outbox",
        "board outbox send typo.outbox op",
        "board outbox export typo.outbox --out s.json",
        "board outbox confirm typo.outbox op/public",
    ] {
        fails(d, command, "no outbox here")?;
        assert!(!d.join("typo.outbox").exists(), "{command} created it");
    }
    Ok(())
}
