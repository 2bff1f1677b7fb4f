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
        out.starts_with("PVT: 5 of 40 stations in 1 strata, 0 without figures"),
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
        "sample-size --population 14570774 --margin 0.0032 --z 2.58 --station-size 1000",
    );
    assert_eq!(out, "voters:   160717 (exactly 160717.26)\nstations: 161");
    let e = fails(d, "sample-size --population 10 --margin 2");
    assert!(e.starts_with("error: margin: must be a fraction"), "{e}");
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
            "error: --figure bogus=1: no field `bogus`",
        ),
        (
            "--vote c=1",
            "error: --vote c=1: no option `c` (options: a, b)",
        ),
        (
            "--vote a=x",
            "error: --vote a=x: `x` is not a whole number: invalid digit found in string",
        ),
        ("--vote a", "error: --vote a: expected NAME=N"),
        (
            "",
            "error: nothing to submit: give --figure and --vote values",
        ),
    ];
    for (extra, expected) in cases {
        assert_eq!(submit("ann.key", &acc, extra), expected);
    }
    // Another observer cannot use Ann's accreditation.
    ok(d, "keygen --out eve.key");
    let e = submit("eve.key", &acc, "--vote a=1");
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
            "submit --key ann.key --accreditation {} --map map.toml --station S-4 --vote a=1",
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
    // The forged vote is nowhere on the board's public files.
    let entries = Command::new("grep")
        .args(["-rl", "561", "board"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        entries.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&entries.stdout)
    );
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
