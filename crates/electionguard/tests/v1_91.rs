//! The 1.91 sample (electionguard-core2: 1.x files, 2.0 equations): what verifies and what
//! does not, item by item, and a modified copy of each kind of item rejected by its step.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use fairtally_electionguard::{Files, Options, Report, Version, detect, verify_files};
use serde_json::Value;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/electionguard/python-1.x/1.91/sample")
}

/// A ballot marked cast and one marked spoiled (challenged).
const CAST: &str =
    "submitted_ballots/1005FEB45DE793BDB8C337A5ABA768396EC570B7484825C6AACB2FADBF2840AC.json";
const SPOILED: &str =
    "spoiled_ballots/1C8DB0B7972C8E0456B1300F8F8D594E6634C4EDBFD9E71379989713D0FFEF6E.json";

fn verify(files: &Files) -> Report {
    verify_files(files, None, Options::default()).unwrap()
}

/// The sample with one file changed by `change`.
fn modified(file: &str, change: impl FnOnce(&mut Value)) -> Files {
    let mut files = Files::read(&sample()).unwrap();
    let mut value = files.json(file).unwrap();
    change(&mut value);
    files.insert(file, serde_json::to_vec(&value).unwrap());
    files
}

/// (passed, failed) of each step, V1 first.
fn counts(report: &Report) -> Vec<(u64, u64)> {
    report.steps.iter().map(|s| (s.passed, s.failed)).collect()
}

/// A hexadecimal value with its last digit changed (still a number of the same width).
fn bump(v: &mut Value) {
    let s = v.as_str().unwrap();
    let last = if s.ends_with('0') { '1' } else { '0' };
    *v = Value::String(format!("{}{last}", &s[..s.len() - 1]));
}

#[test]
fn the_sample_is_read_as_1_91_and_fails_where_its_proofs_fail() {
    let files = Files::read(&sample()).unwrap();
    assert_eq!(detect(&files).unwrap(), Some(Version::OneNinetyOne));
    let report = verify(&files);
    assert!(report.format.contains("1.91"), "{}", report.format);
    assert_eq!(report.steps.len(), 18);
    assert_eq!((report.cast_ballots, report.spoiled_ballots), (3, 2));
    let expected = [
        (13, 1), // V1: the base hash matches no construction; the manifest hash and its 8
        //          contest and selection description hashes (1.G) all reproduce
        (10, 0), // V2: 3 guardians × 2 coefficients, each with its proof, and the set
        (5, 0),  // V3
        (1, 0),  // V4
        (30, 0), // V5: every selection of the 5 ballots
        (0, 10), // V6: every contest's range proof lacks the branch of L
        (55, 0), // V7
        (8, 0),  // V8
        (0, 6),  // V9: the tally's 6 combined decryption proofs
        (8, 0),  // V10
        (0, 0),
        (0, 12), // V12: the 2 challenged ballots' 12 decryption proofs
        (14, 0), // V13
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
    ];
    assert_eq!(counts(&report), expected);
    let v6 = &report.steps[5].failures[0];
    assert!(v6.reason.contains("branch of"), "{}", v6.reason);
    let v9 = &report.steps[8].failures[0];
    assert!(v9.reason.contains("g^v · K^c ≠ a"), "{}", v9.reason);
    assert!(
        report.notes.iter().any(|n| n.contains("reuse")),
        "{:?}",
        report.notes
    );
    // The counts, as published, still use the manifest's ids.
    assert_eq!(
        report.result()["justice-supreme-court"]["john-adams-selection"],
        2
    );
    assert_eq!(
        report.result()["referendum-pineapple"]["referendum-pineapple-affirmative-selection"],
        3
    );
}

/// The step that now fails one more item than on the sample, and that item's name.
fn newly_failed(files: &Files) -> (String, String) {
    let base = verify(&Files::read(&sample()).unwrap());
    let report = verify(files);
    for (before, after) in base.steps.iter().zip(&report.steps) {
        if after.failed > before.failed {
            let known: Vec<&str> = before.failures.iter().map(|f| f.item.as_str()).collect();
            let new = after
                .failures
                .iter()
                .find(|f| !known.contains(&f.item.as_str()))
                .unwrap();
            return (after.id.clone(), new.item.clone());
        }
    }
    panic!("no step fails more items")
}

#[test]
fn a_modified_manifest_fails_v1_naming_the_item() {
    let files = modified("manifest.json", |m| {
        m["contests"][1]["ballot_selections"][0]["candidate_id"] = "someone-else".into()
    });
    let (step, _) = newly_failed(&files);
    assert_eq!(step, "V1");
    let report = verify(&files);
    let failed: Vec<&str> = report.steps[0]
        .failures
        .iter()
        .map(|f| f.item.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "crypto_base_hash",
            "manifest jefferson-county-primary",
            "selection referendum-pineapple/referendum-pineapple-affirmative-selection",
            "contest referendum-pineapple"
        ]
    );
}

#[test]
fn a_modified_guardian_proof_fails_v2() {
    let files = modified("guardians/guardian_g2.json", |g| {
        bump(&mut g["coefficient_proofs"][1]["response"])
    });
    assert_eq!(
        newly_failed(&files),
        ("V2".into(), "guardian g2 coefficient 1".into())
    );
}

#[test]
fn a_modified_selection_fails_v5_and_its_hashes() {
    let files = modified(CAST, |b| {
        bump(&mut b["contests"][1]["ballot_selections"][0]["proof"]["proof_one_response"])
    });
    assert_eq!(
        newly_failed(&files),
        (
            "V5".into(),
            "ballot fake-ballot-14 contest referendum-pineapple selection referendum-pineapple-affirmative-selection".into()
        )
    );
}

#[test]
fn a_modified_contest_hash_or_code_fails_v7() {
    let files = modified(CAST, |b| bump(&mut b["contests"][0]["crypto_hash"]));
    assert_eq!(
        newly_failed(&files),
        (
            "V7".into(),
            "ballot fake-ballot-14 contest justice-supreme-court".into()
        )
    );
    let files = modified(CAST, |b| bump(&mut b["code"]));
    assert_eq!(newly_failed(&files).0, "V7");
}

#[test]
fn a_modified_aggregate_fails_v8() {
    let files = modified("encrypted_tally.json", |t| {
        bump(
            &mut t["contests"]["referendum-pineapple"]["selections"]["referendum-pineapple-negative-selection"]
                ["ciphertext"]["data"],
        )
    });
    assert_eq!(
        newly_failed(&files),
        (
            "V8".into(),
            "tally contest referendum-pineapple selection referendum-pineapple-negative-selection"
                .into()
        )
    );
}

#[test]
fn a_modified_tally_fails_v10() {
    let files = modified("tally.json", |t| {
        t["contests"]["justice-supreme-court"]["selections"]["john-hancock-selection"]["tally"] =
            Value::from(2)
    });
    assert_eq!(
        newly_failed(&files),
        (
            "V10".into(),
            "tally contest justice-supreme-court selection john-hancock-selection".into()
        )
    );
}

#[test]
fn a_modified_spoiled_ballot_fails_v13() {
    let files = modified(SPOILED, |b| {
        b["contests"]["referendum-pineapple"]["selections"]["referendum-pineapple-affirmative-selection"]
            ["tally"] = Value::from(1)
    });
    assert_eq!(
        newly_failed(&files),
        (
            "V13".into(),
            "challenged ballot fake-ballot-16 contest referendum-pineapple selection referendum-pineapple-affirmative-selection".into()
        )
    );
}
