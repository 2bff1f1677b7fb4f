//! `fairtally forensics` end to end on a simulated election written as CSV, and the errors a
//! user can meet.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use fairtally_forensics::{Simulation, simulate};

const MAPPING: &str = r#"
[election]
name = "Simulated election"
options = [{ id = "leader", name = "Leader" }, { id = "o1", name = "Option 1" }, { id = "o2", name = "Option 2" }, { id = "o3", name = "Option 3" }]
[station]
id = "id"
region = "region"
registered = "registered"
[[source]]
kind = "official"
[source.fields]
registered = "registered"
ballots_issued = "issued"
ballots_counted = "counted"
[source.votes]
leader = "leader"
o1 = "o1"
o2 = "o2"
o3 = "o3"
"#;

/// Writes a simulated election with some ballot stuffing as `results.csv` and its mapping.
fn write_election(dir: &Path) {
    let spec = Simulation {
        regions: 3,
        stuffing: 0.1,
        ..Simulation::clean(3000, 7)
    };
    let election = simulate(&spec).unwrap();
    let mut csv = String::from("id,region,registered,issued,counted,leader,o1,o2,o3\n");
    for (i, s) in election.stations.iter().enumerate() {
        let region = &election.regions[s.region as usize];
        writeln!(
            csv,
            "{i},{region},{},{},{},{},{},{},{}",
            s.registered, s.took_part, s.counted, s.leader, s.others[0], s.others[1], s.others[2]
        )
        .unwrap();
    }
    std::fs::write(dir.join("results.csv"), csv).unwrap();
    std::fs::write(dir.join("mapping.toml"), MAPPING).unwrap();
}

fn forensics(dir: &Path, args: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .arg("forensics")
        .args(args.split_whitespace())
        .output()
        .unwrap()
}

fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_summary(dir: &Path, out: &str) -> serde_json::Value {
    let text = std::fs::read(dir.join(out).join("summary.json")).unwrap();
    serde_json::from_slice(&text).unwrap()
}

#[test]
fn writes_summary_figures_and_report() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    let out = forensics(
        dir.path(),
        "results.csv --map mapping.toml --out out --region --reps 200 --bootstrap 50",
    );
    succeeded(&out);
    let summary = read_summary(dir.path(), "out");
    for test in [
        "integer_percentage",
        "klimek_fraud_model",
        "shpilkin",
        "digits",
        "fingerprint",
        "histograms",
    ] {
        assert!(summary["national"].get(test).is_some(), "{test} missing");
    }
    assert_eq!(summary["national"]["integer_percentage"]["status"], "ok");
    assert_eq!(summary["regions"].as_array().unwrap().len(), 3);
    assert_eq!(summary["settings"]["reps"], 200);
    for figure in [
        "histograms",
        "integer_percentage",
        "fingerprint",
        "shpilkin",
        "digits",
    ] {
        for extension in ["png", "svg"] {
            assert!(
                dir.path()
                    .join(format!("out/{figure}.{extension}"))
                    .is_file(),
                "{figure}.{extension}"
            );
        }
    }
    let report = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(report.contains("<svg") && report.contains("What it does not prove"));
    assert!(
        !report.contains("<?xml"),
        "the SVGs are inlined without their XML declaration"
    );
}

#[test]
fn one_region_and_insufficient_data() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    // "Region 2" holds a space, so the arguments are passed one by one.
    let out = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir.path())
        .args([
            "forensics",
            "results.csv",
            "--map",
            "mapping.toml",
            "--out",
            "one",
            "--region=Region 2",
        ])
        .args(["--reps", "50", "--bootstrap", "20"])
        .output()
        .unwrap();
    succeeded(&out);
    let summary = read_summary(dir.path(), "one");
    assert_eq!(summary["national"]["stations"], 1000);
    // 150 stations are too few for the integer-percentage test and the fraud model.
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    let small: String = csv.lines().take(151).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("small.csv"), small).unwrap();
    let out = forensics(
        dir.path(),
        "small.csv --map mapping.toml --out small --reps 50 --bootstrap 20",
    );
    succeeded(&out);
    let summary = read_summary(dir.path(), "small");
    assert_eq!(
        summary["national"]["integer_percentage"]["status"],
        "insufficient data"
    );
    assert_eq!(
        summary["national"]["klimek_fraud_model"]["status"],
        "insufficient data"
    );
}

#[test]
fn errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    let cases = [
        ("results.csv --map missing.toml --out out", "missing.toml"),
        (
            "results.csv --map mapping.toml --out out --region=Atlantis",
            "Atlantis",
        ),
        (
            "results.csv --map mapping.toml --out out --leader nobody",
            "nobody",
        ),
        ("results.csv --map mapping.toml --out out --reps 1", "reps"),
        (
            "results.csv --map mapping.toml --out out --bootstrap 3",
            "bootstrap",
        ),
        (
            "results.csv --map mapping.toml --out results.csv",
            "results.csv",
        ),
    ];
    for (args, expected) in cases {
        let out = forensics(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args}: {stderr}");
        assert!(
            stderr.contains("error:") && stderr.contains(expected),
            "{args}: {stderr}"
        );
    }
}

fn observe(dir: &Path, args: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .arg("observe")
        .args(args.split_whitespace())
        .output()
        .unwrap()
}

#[test]
fn sample_size_is_measured_on_past_results() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    let out = observe(
        dir.path(),
        "sample-size --past results.csv --map mapping.toml --option leader --margin 1% --json",
    );
    succeeded(&out);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stations = answer["stations"].as_u64().unwrap();
    assert!(stations > 10 && stations < 3000, "{answer}");
    assert!(answer["design_effect"].as_f64().unwrap() > 1.0, "{answer}");
    assert_eq!(answer["confidence"].as_f64(), Some(0.95));
    // The same margin written as a fraction gives the same answer.
    let fraction = observe(
        dir.path(),
        "sample-size --past results.csv --map mapping.toml --option leader --margin 0.01 --json",
    );
    assert_eq!(fraction.stdout, out.stdout);
}

#[test]
fn sample_size_refuses_ambiguous_margins_and_assumed_design_effects() {
    let dir = tempfile::tempdir().unwrap();
    let ambiguous = observe(dir.path(), "sample-size --population 100000 --margin 0.32");
    assert!(!ambiguous.status.success());
    let stderr = String::from_utf8_lossy(&ambiguous.stderr);
    assert!(
        stderr.contains("ambiguous") && stderr.contains("0.32%"),
        "{stderr}"
    );
    let stations = observe(
        dir.path(),
        "sample-size --population 100000 --margin 0.32% --station-size 1000",
    );
    assert!(!stations.status.success());
    let stderr = String::from_utf8_lossy(&stations.stderr);
    assert!(stderr.contains("--past"), "{stderr}");
    let voters = observe(
        dir.path(),
        "sample-size --population 100000 --margin 3% --json",
    );
    succeeded(&voters);
    let answer: serde_json::Value = serde_json::from_slice(&voters.stdout).unwrap();
    assert_eq!(answer["voters"].as_u64(), Some(1056));
    assert!(answer["stations"].is_null());
}

#[test]
fn pvt_without_figures_fails_and_a_rehearsal_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    let empty = observe(
        dir.path(),
        "pvt results.csv --map mapping.toml --seed s --stations 200",
    );
    assert_eq!(empty.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&empty.stdout);
    assert!(stdout.contains("--source official"), "{stdout}");
    let rehearsal = observe(
        dir.path(),
        "pvt results.csv --map mapping.toml --seed s --stations 200 --source official",
    );
    succeeded(&rehearsal);
    assert!(String::from_utf8_lossy(&rehearsal.stdout).starts_with("REHEARSAL"));
}

#[test]
fn pvt_seed_by_commit_and_reveal() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    let commit = observe(dir.path(), "pvt-commit --out pvt.secret");
    succeeded(&commit);
    let commitment = String::from_utf8_lossy(&commit.stdout).trim().to_owned();
    assert_eq!(commitment.len(), 64);
    let again = observe(dir.path(), "pvt-commit --out pvt.secret");
    assert!(
        !again.status.success(),
        "an existing secret is never overwritten"
    );
    let reveal = |commitment: &str| {
        observe(
            dir.path(),
            &format!(
                "pvt results.csv --map mapping.toml --stations 200 --source official \
                 --secret pvt.secret --public-random draw-42 --commitment {commitment} --out pvt"
            ),
        )
    };
    succeeded(&reveal(&commitment));
    let pvt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("pvt/pvt.json")).unwrap()).unwrap();
    assert_eq!(pvt["plan"]["seed"].as_str().map(str::len), Some(64));
    let wrong = reveal(&"0".repeat(64));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("commitment"));
}

#[test]
fn the_results_json_of_observe_import_is_read_and_region_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    write_election(dir.path());
    succeeded(&observe(
        dir.path(),
        "import results.csv --map mapping.toml --out results.json",
    ));
    // `--region` before the file: every region, and the file is still the results.
    let out = forensics(
        dir.path(),
        "--region results.json --out json --reps 50 --bootstrap 20",
    );
    succeeded(&out);
    let summary = read_summary(dir.path(), "json");
    assert_eq!(summary["national"]["stations"], 3000);
    assert_eq!(summary["regions"].as_array().unwrap().len(), 3);
    let both = forensics(dir.path(), "results.json --map mapping.toml --out x");
    assert!(!both.status.success());
    let neither = forensics(dir.path(), "results.csv --out x");
    assert!(String::from_utf8_lossy(&neither.stderr).contains("--map"));
}
