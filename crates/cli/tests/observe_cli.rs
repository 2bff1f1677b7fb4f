//! `fairtally observe` end to end: keys, accreditation, offline submission, import, compare,
//! pvt, report and sample-size, and the errors a user can meet on the way.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

const MAPPING: &str = r#"
[election]
name = "Test election"
options = [{ id = "a", name = "Alice" }, { id = "b", name = "Bob" }]
[station]
id = "id"
region = "region"
registered = "registered"
[[source]]
kind = "official"
[source.fields]
registered = "registered"
ballots_issued = "issued"
valid = "valid"
[source.votes]
a = "a"
b = "b"
[[source]]
kind = "voters"
[source.votes]
a = "rep_a"
b = "rep_b"
[source.confirmed.votes]
a = "photo_a"
b = "photo_b"
"#;

/// Runs `fairtally observe ARGS` in `dir`; `args` is split at whitespace.
fn fairtally(dir: &Path, args: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .arg("observe")
        .args(args.split_whitespace())
        .output()
        .expect("run fairtally")
}

fn ok(dir: &Path, args: &str) -> String {
    let out = fairtally(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args}: {stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn fails(dir: &Path, args: &str) -> String {
    let out = fairtally(dir, args);
    assert_eq!(out.status.code(), Some(2), "{args} should fail");
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("map.toml"), MAPPING).unwrap();
    let mut csv =
        String::from("id,region,registered,issued,valid,a,b,rep_a,rep_b,photo_a,photo_b\n");
    for i in 0..40 {
        let region = if i % 2 == 0 { "North" } else { "South" };
        // Station S-7: 60 voters showed a photo of a ballot for b; the official count gives b 20.
        let (b, photo_b) = if i == 7 { (20, 60) } else { (40, 10) };
        csv.push_str(&format!(
            "S-{i},{region},1000,600,590,{},{b},30,15,20,{photo_b}\n",
            590 - b
        ));
    }
    std::fs::write(dir.path().join("results.csv"), csv).unwrap();
    dir
}

#[test]
fn observers_submit_offline_and_the_report_confronts_everything() {
    let dir = setup();
    let d = dir.path();
    let org = ok(d, "keygen --out org.key");
    let ann = ok(d, "keygen --out ann.key");
    assert_eq!(ok(d, "pubkey --key ann.key"), ann);
    let acc = ok(
        d,
        &format!("accredit --org-key org.key --observer {ann} --name Ann --map map.toml"),
    );
    assert!(
        acc.starts_with("outbox/items/") && acc.ends_with(".json"),
        "{acc}"
    );
    std::fs::write(d.join("photo.jpg"), b"protocol photo").unwrap();
    let submit = format!(
        "submit --key ann.key --accreditation {acc} --map map.toml --station S-3 \
         --figure valid=590 --vote a=560 --vote b=30 --photo photo.jpg"
    );
    let item = ok(d, &submit);
    assert!(d.join(&item).exists());
    let listing = ok(d, &format!("verify outbox --trust {org}"));
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.contains("observe/protocol/v1 station S-3: ok"),
        "{listing}"
    );
    assert!(
        listing.contains("observe/accreditation/v1 observer Ann: ok"),
        "{listing}"
    );
    // The operator posts the outbox to the bulletin board; posting it again adds nothing.
    let init = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(d)
        .args([
            "board",
            "init",
            "board",
            "--origin",
            "board.example/observers",
        ])
        .output()
        .unwrap();
    assert!(init.status.success());
    let posted = ok(d, "post outbox --board board");
    assert!(
        posted.contains("Posted 2 items") && posted.contains("(2 new)"),
        "{posted}"
    );
    let again = ok(d, "post outbox --board board");
    assert!(again.contains("(0 new)"), "{again}");
    assert!(fails(d, "post outbox --board nowhere").contains("nowhere"));
    // Trusting another organisation: both items are refused, exit code 1.
    let stranger = ok(d, "keygen --out stranger.key");
    let out = fairtally(d, &format!("verify outbox --trust {stranger}"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("REFUSED")
            .count(),
        2
    );

    let report = format!(
        "report results.csv --map map.toml --submissions outbox --trust {org} --seed public \
         --stations 10 --stratify --source official --out report"
    );
    let out = ok(d, &report);
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("votes:b photo-confirmed > official at 1 of 40 stations"),
        "{out}"
    );
    // Ann copied S-3 as 560/30; the official protocol says 550/40.
    assert!(
        words.contains("votes:a observer ≠ official at 1 of 1 reports"),
        "{out}"
    );
    for file in [
        "summary.json",
        "flagged.csv",
        "report.html",
        "pvt.json",
        "sample.csv",
    ] {
        assert!(d.join("report").join(file).exists(), "{file}");
    }
    let flagged = std::fs::read_to_string(d.join("report/flagged.csv")).unwrap();
    let row = "S-7,South,confirmed_exceeds_official,votes:b,20,60,voters,";
    assert!(flagged.contains(row), "{flagged}");
    let html = std::fs::read_to_string(d.join("report/report.html")).unwrap();
    assert!(html.contains("Parallel vote tabulation"));

    let out = ok(d, "compare results.csv --map map.toml --out cmp");
    assert!(out.starts_with("40 stations, 1 flagged"), "{out}");
    let out = ok(
        d,
        "pvt results.csv --map map.toml --seed x --stations 5 --source official",
    );
    assert!(
        out.starts_with("REHEARSAL")
            && out.contains("\nPVT: 5 of 40 stations in 1 stratum, 0 without figures"),
        "{out}"
    );
    let out = ok(d, "import results.csv --map map.toml --out results.json");
    assert!(out.is_empty());
    // JSON results need no mapping.
    let out = ok(d, "compare results.json --out cmp2");
    assert!(out.starts_with("40 stations, 1 flagged"), "{out}");
}

#[test]
fn the_sample_size_calculator_gives_the_check_figure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(
        d,
        "sample-size --population 14570774 --margin 0.32% --confidence 99% --station-size 1000 \
         --design-effect 1",
    );
    assert_eq!(out, "voters:   160204 (exactly 160203.78)\nstations: 161");
    // A value clap's parser refuses is a usage error (64), not unusable input (2).
    let out = fairtally(d, "sample-size --population 10 --margin 2");
    assert_eq!(
        out.status.code(),
        Some(64),
        "an ambiguous margin is a usage error"
    );
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("margin: `2` is ambiguous"), "{e}");
}

#[test]
fn user_errors_are_explained() {
    let dir = setup();
    let d = dir.path();
    let ann = ok(d, "keygen --out ann.key");
    ok(d, "keygen --out org.key");
    let e = fails(d, "keygen --out ann.key");
    assert!(e.starts_with("error: writing ann.key: File exists"), "{e}");
    let e = fails(
        d,
        "compare results.csv --map map.toml --out x --submissions outbox",
    );
    assert_eq!(
        e,
        "error: --submissions needs at least one --trust ORGANISATION_PUBLIC_KEY"
    );
    let e = fails(d, &format!("verify nowhere --trust {ann}"));
    assert_eq!(
        e,
        "error: nowhere: not a store of observation items (no items/ directory)"
    );
    let e = fails(d, "compare results.csv --out x");
    assert_eq!(e, "error: results.csv: CSV results need --map MAPPING");
    ok(d, "import results.csv --map map.toml --out results.json");
    let e = fails(d, "compare results.json --map map.toml --out x");
    assert_eq!(
        e,
        "error: results.json: JSON results need no --map (it is for CSV files)"
    );
    let e = fails(d, "compare missing.csv --map map.toml --out x");
    assert!(e.starts_with("error: missing.csv: "), "{e}");
    let e = fails(d, "compare results.csv --map nomap.toml --out x");
    assert!(e.starts_with("error: nomap.toml: "), "{e}");
    let e = fails(
        d,
        "accredit --org-key org.key --observer abc --name A --map map.toml",
    );
    assert_eq!(
        e,
        "error: --observer: not a valid key: a public key is 64 hexadecimal digits"
    );
    let acc = ok(
        d,
        &format!("accredit --org-key org.key --observer {ann} --name Ann --map map.toml"),
    );
    let submit = |key: &str, accreditation: &str, extra: &str| {
        let args = format!(
            "submit --key {key} --accreditation {accreditation} --map map.toml --station S-1 {extra}"
        );
        fails(d, &args)
    };
    let cases = [
        (
            "--figure bogus=1",
            "error: figure `bogus`: no such field; the fields are registered, ballots_received, \
             ballots_issued, ballots_cancelled, ballots_counted, valid, invalid",
        ),
        (
            "--vote c=1",
            "error: vote `c`: no such option; the options are a (Alice), b (Bob)",
        ),
        ("--vote a=1 --vote a=2", "error: vote `a`: given twice"),
        (
            "--vote a=x",
            "error: --vote a=x: `x` is not a whole number: invalid digit found in string",
        ),
        ("--vote a", "error: --vote a: expected NAME=N"),
        (
            "",
            "error: protocol: nothing to submit: no figure and no vote",
        ),
    ];
    for (extra, expected) in cases {
        assert_eq!(submit("ann.key", &acc, extra), expected);
    }
    // Another observer cannot use Ann's accreditation.
    ok(d, "keygen --out eve.key");
    let e = submit("eve.key", &acc, "--vote a=1 --vote b=0");
    assert!(
        e.contains("the accreditation is for another observer"),
        "{e}"
    );
    let e = submit("ann.key", "map.toml", "--vote a=1");
    assert!(
        e.starts_with("error: map.toml: not an observation item"),
        "{e}"
    );
    let e = fails(d, "pvt results.csv --map map.toml --seed x --stations 41");
    let expected = "error: sample size: must be between 2 and the 40 stations of the election";
    assert!(e.ends_with(expected), "{e}");
}

/// Sets up org and Ann keys, Ann's accreditation and one protocol in `outbox`, and a board;
/// returns the organisation's public key and the protocol's item path.
fn outbox_with_a_protocol(d: &Path) -> (String, String) {
    let org = ok(d, "keygen --out org.key");
    let ann = ok(d, "keygen --out ann.key");
    let acc = ok(
        d,
        &format!("accredit --org-key org.key --observer {ann} --name Ann --map map.toml"),
    );
    let item = ok(
        d,
        &format!(
            "submit --key ann.key --accreditation {acc} --map map.toml --station S-3 \
             --figure valid=590 --vote a=560 --vote b=30"
        ),
    );
    let init = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(d)
        .args(["board", "init", "board", "--origin", "board.example/o"])
        .output()
        .unwrap();
    assert!(init.status.success());
    (org, item)
}

/// Stores a copy of the item at `path` with one vote changed after signing, canonical and
/// under its own hash, as someone editing the outbox would.
fn forge(d: &Path, path: &str) -> String {
    use fairtally_observe::ObservationItem;
    let bytes = std::fs::read(d.join(path)).unwrap();
    let Ok(ObservationItem::Protocol(mut p)) = ObservationItem::from_canonical_bytes(&bytes) else {
        panic!("{path} is not a protocol");
    };
    p.body.protocol.votes[0] = Some(561);
    let forged = ObservationItem::Protocol(p);
    let name: String = forged.digest().iter().map(|b| format!("{b:02x}")).collect();
    let forged_path = format!("outbox/items/{name}.json");
    std::fs::write(d.join(&forged_path), forged.canonical_bytes()).unwrap();
    forged_path
}

#[test]
fn a_truncated_item_is_refused_and_the_others_still_verify() {
    let dir = setup();
    let d = dir.path();
    let (org, item) = outbox_with_a_protocol(d);
    // A second protocol, then truncated.
    let acc = std::fs::read_dir(d.join("outbox/items"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("\"accreditation\",\"body")
        })
        .unwrap();
    let second = ok(
        d,
        &format!(
            "submit --key ann.key --accreditation {} --map map.toml --station S-4 --vote a=1 \
             --vote b=0",
            acc.display()
        ),
    );
    let bytes = std::fs::read(d.join(&second)).unwrap();
    std::fs::write(d.join(&second), &bytes[..bytes.len() / 2]).unwrap();

    let out = fairtally(d, &format!("verify outbox --trust {org}"));
    assert_eq!(out.status.code(), Some(1), "a bad item is a failed check");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("station S-3: ok"), "{listing}");
    assert!(listing.contains("observer Ann: ok"), "{listing}");
    let refused: Vec<&str> = listing.lines().filter(|l| l.contains("REFUSED")).collect();
    assert_eq!(refused.len(), 1, "{listing}");
    assert!(
        refused[0].contains(&second) && refused[0].contains("not an observation item"),
        "{listing}"
    );

    // The comparison merges the good protocol and reports the truncated one.
    let out = fairtally(
        d,
        &format!("compare results.csv --map map.toml --submissions outbox --trust {org} --out c"),
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 signed protocols merged, 1 refused"),
        "{stderr}"
    );
    assert!(stderr.contains(&second), "{stderr}");
    assert!(!d.join(&item).to_string_lossy().is_empty());
}

#[test]
fn only_items_whose_signature_verifies_are_posted() {
    let dir = setup();
    let d = dir.path();
    let (_, item) = outbox_with_a_protocol(d);
    let forged = forge(d, &item);
    let out = fairtally(d, "post outbox --board board");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a refused item is a failed check"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Posted 2 items") && stdout.contains("(2 new)"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("not posted: {forged}"))
            && stderr.contains("the observer's signature does not verify"),
        "{stderr}"
    );
    // The genuine vote is in the board's files; the forged one is nowhere.
    let files_with = |text: &str| {
        let out = Command::new("grep")
            .args(["-rlF", text, "board"])
            .current_dir(d)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(!files_with("\"votes\":[560,").is_empty());
    let entries = files_with("\"votes\":[561,");
    assert!(entries.is_empty(), "{entries}");
    // With --trust, a stranger's accreditations are not posted either.
    let stranger = ok(d, "keygen --out stranger.key");
    let out = fairtally(d, &format!("post outbox --board board --trust {stranger}"));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Posted 0 items"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 items of outbox were not posted"),
        "{stderr}"
    );
    assert!(stderr.contains("is not among the trusted ones"), "{stderr}");
}

#[test]
fn missing_directories_that_are_read_are_errors_not_created() {
    let dir = setup();
    let d = dir.path();
    let (org, _) = outbox_with_a_protocol(d);
    let e = fails(d, "post outbx --board board");
    assert_eq!(
        e,
        "error: outbx: not a store of observation items (no items/ directory)"
    );
    assert!(!d.join("outbx").exists());
    let e = fails(
        d,
        &format!("compare results.csv --map map.toml --submissions subs --trust {org} --out c"),
    );
    assert_eq!(
        e,
        "error: subs: not a store of observation items (no items/ directory)"
    );
    assert!(!d.join("subs").exists());
}

#[test]
fn submit_refuses_doubtful_protocols_unless_forced() {
    let dir = setup();
    let d = dir.path();
    let ann = ok(d, "keygen --out ann.key");
    ok(d, "keygen --out org.key");
    let acc = ok(
        d,
        &format!("accredit --org-key org.key --observer {ann} --name Ann --map map.toml"),
    );
    let submit = |rest: &str| {
        fairtally(
            d,
            &format!("submit --key ann.key --accreditation {acc} --map map.toml {rest}"),
        )
    };
    let items = || std::fs::read_dir(d.join("outbox/items")).unwrap().count();
    assert_eq!(items(), 1, "the accreditation only");

    // Valid 5 but the votes add up to 1.
    let out = submit("--station S-1 --figure valid=5 --vote a=1 --vote b=0");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.starts_with(
            "error: the protocol of station S-1 was not signed:\n  votes 1 ≠ valid 5 \
                       (votes for all options = valid ballots)\n"
        ),
        "{e}"
    );
    assert!(e.contains("--force"), "{e}");
    // An option left out.
    let out = submit("--station S-1 --figure valid=5 --vote a=5");
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("no votes for b: a protocol lists every option"),
        "{e}"
    );
    // A station that is not in the official results.
    let out = submit("--station S-99 --vote a=1 --vote b=0 --results results.csv");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("station `S-99` is not among the 40 stations of the results given"),
        "{e}"
    );
    ok(d, "import results.csv --map map.toml --out results.json");
    let out = submit("--station S-99 --vote a=1 --vote b=0 --results results.json");
    assert!(String::from_utf8_lossy(&out.stderr).contains("`S-99` is not among"));
    assert_eq!(items(), 1, "nothing refused was stored");

    // A known station that adds up is signed; --force signs a doubtful one with a warning.
    ok(d, "submit --key ann.key --accreditation ACC --map map.toml --station S-1 --figure valid=5 --vote a=4 --vote b=1 --results results.json".replace("ACC", &acc).as_str());
    let out = submit(
        "--station S-99 --figure valid=5 --vote a=1 --vote b=0 --results results.json --force",
    );
    assert!(out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.starts_with("warning: signing the protocol of station S-99 as given (--force) although:"),
        "{e}"
    );
    assert!(
        e.contains("votes 1 ≠ valid 5") && e.contains("`S-99` is not among"),
        "{e}"
    );
    assert_eq!(items(), 3);
}

#[test]
fn an_oversized_record_stops_the_import_with_a_short_error() {
    let dir = setup();
    let d = dir.path();
    let mut csv = std::fs::read_to_string(d.join("results.csv")).unwrap();
    csv.push_str(&format!(
        "S-99,North,1000,600,590,{},1,1,1,1,1\n",
        "9".repeat(10 << 20)
    ));
    std::fs::write(d.join("big.csv"), csv).unwrap();
    let out = fairtally(d, "import big.csv --map map.toml");
    assert_eq!(out.status.code(), Some(2), "unusable input");
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.len() < 400, "{} bytes of error", e.len());
    assert!(
        e.starts_with("error: big.csv: line 42: the record is longer than 1048576 bytes"),
        "{e}"
    );
}
