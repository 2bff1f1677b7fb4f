//! `fairtally verify` on ElectionGuard records: detection, `--format`, `--json` and the exit
//! codes 0 (verified), 1 (a step failed) and 2 (unusable input).

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/electionguard/python-1.x")
}

fn verify(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .arg("verify")
        .args(args)
        .output()
        .expect("run fairtally");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn an_electionguard_record_is_detected_verified_and_reported() {
    let record = data().join("0.95.0/sample/minimal");
    let (code, text) = verify(&[record.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("V9 Correctness of substitute data for missing guardians: 12 passed"),
        "{text}"
    );
    assert!(text.contains("VERIFIED"), "{text}");
    // `--json`: the report alone on stdout, as `fairtally verify --json` on a fairtally record.
    let out = Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .args(["verify", record.to_str().unwrap(), "--json"])
        .output()
        .expect("run fairtally");
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(
        report["result"]["referendum-pineapple"]["referendum-pineapple-affirmative-selection"],
        2
    );
    assert_eq!(report["steps"].as_array().unwrap().len(), 13);
}

#[test]
fn a_test_group_fails_v1_unless_allowed() {
    let record = data().join("1.0.0-preview-1/sample/hamilton-general");
    let record = record.to_str().unwrap();
    let (code, text) = verify(&[record]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("first failed step: V1"), "{text}");
    // With the test group allowed, only its manifest hash fails (docs/ELECTIONGUARD.md).
    let (code, text) = verify(&[record, "--allow-test-group", "--format", "electionguard-1"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("first failed step: MH"), "{text}");
    let (code, text) = verify(&[record, "--format", "electionguard-2"]);
    assert_eq!(code, 2, "{text}");
}

#[test]
fn unusable_input_exits_2_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("election_record");
    std::fs::create_dir_all(&rec).unwrap();
    for f in ["manifest.json", "context.json", "constants.json"] {
        std::fs::write(rec.join(f), b"{").unwrap();
    }
    let (code, text) = verify(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("context.json"), "{text}");
}

#[test]
fn the_1_91_sample_is_read_and_fails_the_steps_its_proofs_fail() {
    let record = data().join("1.91/sample");
    let record = record.to_str().unwrap();
    let (code, text) = verify(&[record, "--format", "electionguard-1"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("1.91"), "{text}");
    assert!(
        text.contains("FAILED   V6 Adherence to vote limits: 0 passed, 10 failed"),
        "{text}"
    );
    assert!(text.contains("first failed step: V1"), "{text}");
}

#[test]
fn a_folder_with_a_manifest_and_a_context_alone_is_left_to_fairtally() {
    // A fairtally record has manifest.json and context.json too: it is not taken for ElectionGuard.
    let dir = tempfile::tempdir().unwrap();
    for f in ["manifest.json", "context.json"] {
        std::fs::write(dir.path().join(f), b"{}").unwrap();
    }
    let (code, text) = verify(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(!text.contains("ElectionGuard"), "{text}");
}

/// egk-ec's P-256 record is read and verified on the curve; its proofs do not verify
/// (docs/ELECTIONGUARD.md), so it exits 1 with the first failed step named.
#[test]
fn a_p256_record_is_verified_on_the_curve() {
    let record = data().join("../egk-ec-2.1/allAvailableEc");
    let (code, text) = verify(&[record.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("on P-256"), "{text}");
    assert!(text.contains("ok       V4"), "{text}");
    assert!(text.contains("first failed step: V2"), "{text}");
}
