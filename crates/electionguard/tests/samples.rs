//! The electionguard-python sample records verify, with the tally of their own `tally.json`;
//! a modified copy of each kind of item is rejected by the step the specification assigns it.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fairtally_electionguard::{Options, Report, verify_path};
use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/electionguard/python-1.x")
}

fn minimal() -> PathBuf {
    data().join("0.95.0/sample/minimal")
}

fn hamilton() -> PathBuf {
    data().join("1.0.0-preview-1/sample/hamilton-general")
}

const TEST_GROUP: Options = Options {
    allow_test_group: true,
};

fn verify(path: &Path, options: Options) -> Report {
    verify_path(path, None, options).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// contest id → selection id → count, read from the record's tally.json directly.
fn published_tally(record: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let files = fairtally_electionguard::Files::read(record).unwrap();
    let tally = files.json("tally.json").unwrap();
    let mut out = BTreeMap::new();
    for (cid, c) in tally["contests"].as_object().unwrap() {
        let sels: BTreeMap<String, u64> = c["selections"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(sid, _)| !sid.contains("placeholder"))
            .map(|(sid, s)| (sid.clone(), s["tally"].as_u64().unwrap()))
            .collect();
        out.insert(cid.clone(), sels);
    }
    out
}

fn assert_verifies(record: &Path, options: Options) -> Report {
    let report = verify(record, options);
    for step in &report.steps {
        assert!(step.ok(), "{} failed: {:?}", step.id, step.failures);
    }
    assert_eq!(report.result(), published_tally(record));
    report
}

#[test]
fn minimal_0_95_verifies_with_its_tally() {
    let report = assert_verifies(&minimal(), Options::default());
    assert!(report.format.contains("0.95"));
    // The manifest, its contest and its two selections hash as the record says.
    let mh = &report.steps[12];
    assert_eq!((mh.id.as_str(), mh.passed), ("MH", 4));
    assert!(report.notes.is_empty());
    // Two guardians are missing: their shares are rebuilt from compensated parts.
    let v9 = &report.steps[8];
    assert_eq!((v9.id.as_str(), v9.passed), ("V9", 12));
}

/// The manifest step's failed items.
fn manifest_hash_failures(report: &Report) -> Vec<String> {
    let step = report.steps.iter().find(|s| s.id == "MH").unwrap();
    step.failures.iter().map(|f| f.item.clone()).collect()
}

#[test]
fn hamilton_general_verifies_with_its_tally_only_as_a_test_group_except_its_manifest_hash() {
    let report = verify(&hamilton(), TEST_GROUP);
    for step in report.steps.iter().filter(|s| s.id != "MH") {
        assert!(step.ok(), "{} failed: {:?}", step.id, step.failures);
    }
    assert_eq!(report.result(), published_tally(&hamilton()));
    // Its manifest.json numbers contests and selections from 1; the manifest hash and every
    // ballot's description hashes were computed with them numbered from 0.
    let failed = manifest_hash_failures(&report);
    assert_eq!(failed.len(), 9, "{failed:?}");
    assert_eq!(failed[0], "manifest jefferson-county-primary");
    assert!(failed.contains(&"contest justice-supreme-court".to_string()));
    assert!(failed.contains(
        &"selection referendum-pineapple/referendum-pineapple-negative-selection".to_string()
    ));
    let renumbered = modified(&hamilton(), "manifest.json", |v| {
        for c in v["contests"].as_array_mut().unwrap() {
            for s in c["ballot_selections"].as_array_mut().unwrap() {
                s["sequence_order"] = (s["sequence_order"].as_u64().unwrap() - 1).into();
            }
            c["sequence_order"] = (c["sequence_order"].as_u64().unwrap() - 1).into();
        }
    });
    let report = verify(renumbered.path(), TEST_GROUP);
    assert_eq!(manifest_hash_failures(&report), Vec::<String>::new());
    assert!(report.is_valid());
    assert_eq!((report.cast_ballots, report.spoiled_ballots), (2, 4));
    assert_eq!(report.notes.len(), 1, "the test group is noted");
    let names: Vec<&str> = report.contests[0]
        .selections
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "John Adams",
            "Benjamin Franklin",
            "John Hancock",
            "Write In Candidate"
        ]
    );
    assert_eq!(report.contests[0].name, "Justice of the Supreme Court");

    let strict = verify(&hamilton(), Options::default());
    assert_eq!(strict.first_failure().map(|s| s.id.as_str()), Some("V1"));
}

#[test]
fn a_zip_archive_verifies_like_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("record.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    let root = hamilton().join("election_record");
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                zip.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                std::io::Write::write_all(&mut zip, &fs::read(&path).unwrap()).unwrap();
            }
        }
    }
    zip.finish().unwrap();
    assert!(fairtally_electionguard::looks_like_record(&zip_path));
    let verdicts = |r: &Report| -> Vec<(String, u64, u64)> {
        r.steps
            .iter()
            .map(|s| (s.id.clone(), s.passed, s.failed))
            .collect()
    };
    let report = verify(&zip_path, TEST_GROUP);
    assert_eq!(
        verdicts(&report),
        verdicts(&verify(&hamilton(), TEST_GROUP))
    );
    assert_eq!(report.result(), published_tally(&hamilton()));
}

/// A copy of `record` in a temporary directory with `edit` applied to one JSON file.
fn modified(record: &Path, file: &str, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(record, dir.path());
    let path = dir.path().join("election_record").join(file);
    let mut value: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut value);
    fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    dir
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let path = e.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy(&path, &target)
        } else {
            fs::copy(&path, &target).map(|_| ()).unwrap()
        }
    }
}

/// Add one to a hexadecimal value, as a string or as 0.95's `{"data": ...}`.
fn bump(v: &mut Value) {
    let text = v
        .as_str()
        .map(str::to_string)
        .or_else(|| v["data"].as_str().map(str::to_string))
        .unwrap();
    let mut digits: Vec<u8> = text.into_bytes();
    let last = digits.last_mut().unwrap();
    *last = if *last == b'1' { b'2' } else { b'1' };
    let new = String::from_utf8(digits).unwrap();
    if v.is_string() {
        *v = Value::String(new)
    } else {
        v["data"] = Value::String(new)
    }
}

/// The first failed step's id and its failures' items.
fn rejected(report: &Report) -> (String, Vec<String>) {
    let step = report
        .first_failure()
        .expect("the modified record must be rejected");
    (
        step.id.clone(),
        step.failures.iter().map(|f| f.item.clone()).collect(),
    )
}

fn first_ballot(record: &Path) -> String {
    let mut names: Vec<_> = fs::read_dir(record.join("election_record/submitted_ballots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    format!("submitted_ballots/{}", names[0])
}

/// What is changed, how, and the items MH must then name.
type ManifestCase = (&'static str, fn(&mut Value), &'static [&'static str]);

#[test]
fn a_changed_manifest_is_rejected_by_the_manifest_hash_naming_the_item() {
    const SCOPE: &str = "manifest franklin-minimal-referendum-manifest";
    const CONTEST: &str = "contest referendum-pineapple";
    const SELECTION: &str =
        "selection referendum-pineapple/referendum-pineapple-negative-selection";
    let cases: [ManifestCase; 4] = [
        (
            "contest name",
            |v| v["contests"][0]["name"] = "Referendum for Pineapple".into(),
            &[SCOPE, CONTEST],
        ),
        (
            "selection",
            |v| v["contests"][0]["ballot_selections"][1]["candidate_id"] = "x".into(),
            &[SCOPE, SELECTION, CONTEST],
        ),
        (
            "vote limit",
            |v| v["contests"][0]["votes_allowed"] = 2.into(),
            &[SCOPE, CONTEST],
        ),
        (
            "election date",
            |v| v["start_date"] = "2020-03-01T08:00:01-05:00".into(),
            &[SCOPE],
        ),
    ];
    for (what, edit, items) in cases {
        let dir = modified(&minimal(), "manifest.json", edit);
        let report = verify(dir.path(), Options::default());
        assert_eq!(manifest_hash_failures(&report), items, "{what}");
        assert!(!report.is_valid(), "{what}");
    }
}

#[test]
fn a_guardian_proof_is_rejected_by_v2() {
    let dir = modified(&hamilton(), "guardians/guardian_2.json", |v| {
        bump(&mut v["election_proofs"][1]["response"])
    });
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V2");
    assert_eq!(items, ["guardian 2 coefficient 1"]);
}

#[test]
fn a_selection_ciphertext_is_rejected_by_v4() {
    let file = first_ballot(&hamilton());
    let dir = modified(&hamilton(), &file, |v| {
        bump(&mut v["contests"][0]["ballot_selections"][1]["ciphertext"]["data"])
    });
    let report = verify(dir.path(), TEST_GROUP);
    let (step, items) = rejected(&report);
    assert_eq!(step, "V4");
    assert_eq!(
        items,
        [
            "ballot 03a29d15-667c-4ac8-afd7-549f19b8e4eb contest justice-supreme-court selection benjamin-franklin-selection"
        ]
    );
}

#[test]
fn a_selection_proof_is_rejected_by_v4() {
    let file = first_ballot(&minimal());
    let dir = modified(&minimal(), &file, |v| {
        bump(&mut v["contests"][0]["ballot_selections"][0]["proof"]["proof_one_response"])
    });
    let (step, items) = rejected(&verify(dir.path(), Options::default()));
    assert_eq!(step, "V4");
    assert_eq!(items.len(), 1);
    assert!(
        items[0].ends_with("selection referendum-pineapple-affirmative-selection"),
        "{items:?}"
    );
}

#[test]
fn a_contest_proof_is_rejected_by_v5() {
    let file = first_ballot(&hamilton());
    let dir = modified(&hamilton(), &file, |v| {
        bump(&mut v["contests"][0]["proof"]["response"])
    });
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V5");
    assert_eq!(
        items,
        ["ballot 03a29d15-667c-4ac8-afd7-549f19b8e4eb contest justice-supreme-court"]
    );
}

#[test]
fn a_confirmation_code_is_rejected_by_v6() {
    let file = first_ballot(&hamilton());
    let dir = modified(&hamilton(), &file, |v| {
        v["timestamp"] = Value::from(1_651_598_677u64)
    });
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V6");
    assert_eq!(items, ["ballot 03a29d15-667c-4ac8-afd7-549f19b8e4eb"]);
}

#[test]
fn a_decryption_share_is_rejected_by_v8() {
    let dir = modified(&hamilton(), "tally.json", |v| {
        bump(
            &mut v["contests"]["justice-supreme-court"]["selections"]["john-hancock-selection"]["shares"]
                [2]["proof"]["response"],
        )
    });
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V8");
    assert_eq!(
        items,
        ["tally contest justice-supreme-court selection john-hancock-selection guardian 3"]
    );
}

#[test]
fn a_compensated_share_is_rejected_by_v9() {
    let dir = modified(&minimal(), "tally.json", |v| {
        let share = &mut v["contests"]["referendum-pineapple"]["selections"]["referendum-pineapple-negative-selection"]
            ["shares"];
        let missing = share
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|s| s["proof"].is_null())
            .unwrap();
        bump(&mut missing["recovered_parts"]["2"]["share"]);
    });
    let report = verify(dir.path(), Options::default());
    let (step, items) = rejected(&report);
    assert_eq!(step, "V9");
    assert_eq!(items.len(), 1);
    assert!(items[0].starts_with("tally contest referendum-pineapple selection referendum-pineapple-negative-selection guardian 2 for missing"), "{items:?}");
}

#[test]
fn a_spoiled_ballot_decryption_is_rejected_by_v12() {
    let dir = modified(
        &hamilton(),
        "spoiled_ballots/spoiled_ballot_03a29d15-667c-4ac8-afd7-549f19b8e4eb.json",
        |v| {
            v["contests"]["justice-supreme-court"]["selections"]["john-adams-selection"]["tally"] =
                Value::from(0u64);
        },
    );
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V12");
    assert_eq!(
        items,
        [
            "spoiled ballot 03a29d15-667c-4ac8-afd7-549f19b8e4eb contest justice-supreme-court selection john-adams-selection"
        ]
    );
}

#[test]
fn a_selection_left_out_of_a_spoiled_ballot_is_rejected_by_v12() {
    // Placeholders may be left out (electionguard 1.4 does), a real selection may not.
    let dir = modified(
        &hamilton(),
        "spoiled_ballots/spoiled_ballot_03a29d15-667c-4ac8-afd7-549f19b8e4eb.json",
        |v| {
            let sels = v["contests"]["justice-supreme-court"]["selections"]
                .as_object_mut()
                .unwrap();
            let placeholders: Vec<String> = sels
                .keys()
                .filter(|k| k.contains("placeholder"))
                .cloned()
                .collect();
            assert!(!placeholders.is_empty());
            for k in placeholders {
                sels.remove(&k);
            }
            sels.remove("john-adams-selection").unwrap();
        },
    );
    let report = verify(dir.path(), TEST_GROUP);
    let (step, items) = rejected(&report);
    assert_eq!(step, "V12");
    assert_eq!(
        items,
        ["spoiled ballot 03a29d15-667c-4ac8-afd7-549f19b8e4eb"]
    );
    let reason = &report.first_failure().unwrap().failures[0].reason;
    assert!(
        reason.contains("justice-supreme-court/john-adams-selection")
            && !reason.contains("placeholder"),
        "{reason}"
    );
}

#[test]
fn a_spoiled_ballot_withheld_is_rejected_by_v12() {
    let dir = tempfile::tempdir().unwrap();
    copy(&hamilton(), dir.path());
    fs::remove_file(dir.path().join(
        "election_record/spoiled_ballots/spoiled_ballot_25a7111b-4334-425a-87c1-f7a49f42b3a2.json",
    ))
    .unwrap();
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V12");
    assert_eq!(
        items,
        ["spoiled ballot 25a7111b-4334-425a-87c1-f7a49f42b3a2"]
    );
}

#[test]
fn a_changed_tally_count_is_rejected_by_v11() {
    let dir = modified(&hamilton(), "tally.json", |v| {
        v["contests"]["referendum-pineapple"]["selections"]["referendum-pineapple-negative-selection"]
            ["tally"] = Value::from(1u64);
    });
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V11");
    assert_eq!(
        items,
        ["tally contest referendum-pineapple selection referendum-pineapple-negative-selection"]
    );
}

#[test]
fn a_ballot_left_out_of_the_tally_is_rejected_by_v7() {
    let dir = modified(&hamilton(), "encrypted_tally.json", |v| {
        bump(
            &mut v["contests"]["justice-supreme-court"]["selections"]["write-in-selection"]["ciphertext"]
                ["pad"],
        )
    });
    let (step, items) = rejected(&verify(dir.path(), TEST_GROUP));
    assert_eq!(step, "V7");
    assert_eq!(
        items,
        ["tally contest justice-supreme-court selection write-in-selection"]
    );
}

#[test]
fn an_unreadable_manifest_date_is_an_error_naming_the_file_and_item() {
    let dir = modified(&minimal(), "manifest.json", |v| {
        v["start_date"] = "1 March 2020".into()
    });
    let text = verify_path(dir.path(), None, Options::default())
        .expect_err("an error")
        .to_string();
    assert!(
        text.contains("manifest.json") && text.contains("start_date"),
        "{text}"
    );
}

#[test]
fn unusable_input_is_an_error_naming_the_file_and_item() {
    let dir = modified(&hamilton(), "context.json", |v| {
        v["quorum"] = Value::from("three")
    });
    let error = verify_path(dir.path(), None, TEST_GROUP).expect_err("an error");
    let text = error.to_string();
    assert!(
        text.contains("context.json") && text.contains("quorum"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    copy(&hamilton(), dir.path());
    fs::write(dir.path().join("election_record/tally.json"), b"{not json").unwrap();
    let text = verify_path(dir.path(), None, TEST_GROUP)
        .expect_err("an error")
        .to_string();
    assert!(text.contains("tally.json"), "{text}");

    let empty = tempfile::tempdir().unwrap();
    assert!(!fairtally_electionguard::looks_like_record(empty.path()));
    assert!(verify_path(empty.path(), None, TEST_GROUP).is_err());
}

/// A record freshly written by electionguard 1.4 (`tools/electionguard-1.4-record.sh`, which
/// needs Python 3.10 and PyPI): not kept in the repository, so not run by CI. Run it with
/// `FAIRTALLY_EG14_RECORD=.../record.zip cargo test ... -- --ignored`.
#[test]
#[ignore = "needs a record written by electionguard 1.4 (tools/electionguard-1.4-record.sh)"]
fn a_record_written_by_electionguard_1_4_verifies_with_its_tally() {
    let path = PathBuf::from(
        std::env::var("FAIRTALLY_EG14_RECORD")
            .expect("FAIRTALLY_EG14_RECORD names the record to verify"),
    );
    let report = assert_verifies(&path, Options::default());
    assert!(report.format.contains("1.0"), "{}", report.format);
    assert!(report.spoiled_ballots >= 1);
}
