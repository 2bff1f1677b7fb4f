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

fn ok(dir: &Path, args: &str) -> Result<String, Box<dyn std::error::Error>> {
    let (success, stdout, stderr) = run(dir, args)?;
    if !success {
        return Err(format!("fairtally {args} failed: {stderr}").into());
    }
    Ok(stdout)
}

fn fails(dir: &Path, args: &str, expect: &str) -> TestResult {
    let (success, _, stderr) = run(dir, args)?;
    assert!(!success, "fairtally {args} should fail");
    assert!(
        stderr.contains(expect),
        "fairtally {args}: expected {expect:?} in {stderr:?}"
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
    assert!(
        out.contains("all 3 entries and tiles match the signed root"),
        "{out}"
    );
    let out = ok(
        d,
        "board prove op/public --kind observe/protocol --body p2.json --policy policy.txt",
    )?;
    assert!(out.contains("entry 2 is on the board"), "{out}");
    fails(
        d,
        "board prove op/public --kind observe/report --body p2.json --policy policy.txt",
        "not on the board",
    )?;

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
    fails(d, "board verify op/public", "tile/entries/000.p/3")?;
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
