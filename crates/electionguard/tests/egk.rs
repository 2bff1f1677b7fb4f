//! ElectionGuard 2.0: the electionguard-kotlin-multiplatform workflow record verifies with its
//! own tally.json, a modified decryption is rejected by V9, and the known-answer vectors of
//! egk that concern verification reproduce (docs/ELECTIONGUARD.md lists those that do not).

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fairtally_electionguard::constants::Standard;
use fairtally_electionguard::group::{Group, IntegerGroup};
use fairtally_electionguard::json::parse_hex;
use fairtally_electionguard::v2::hash::{Part, hash, key};
use fairtally_electionguard::{Files, Options, Version, verify_files};
use num_bigint::BigUint;
use serde_json::Value;

fn egk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/electionguard/egk-2.0")
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn hex(v: &Value) -> BigUint {
    parse_hex(v.as_str().unwrap()).unwrap()
}

#[test]
fn the_workflow_record_verifies_and_a_changed_decryption_proof_is_rejected() {
    let record = egk().join("workflow/allAvailableJson");
    let mut files = Files::read(&record).unwrap();
    assert_eq!(
        fairtally_electionguard::detect(&files).unwrap(),
        Some(Version::Two)
    );
    let report = verify_files(&files, None, Options::default()).unwrap();
    for step in &report.steps {
        assert!(step.ok(), "{} failed: {:?}", step.id, step.failures);
    }
    assert_eq!(report.steps.len(), 18);
    assert_eq!(
        report.steps[4].passed, 1100,
        "V5: every selection of the 11 ballots"
    );
    assert_eq!(report.result(), egk_tally(&record));
    let tally = json(&record.join("tally.json"));

    // The same record with one decryption proof's response changed.
    let mut modified = tally.clone();
    let response = &mut modified["contests"][0]["selections"][2]["proof"]["response"];
    let text = response.as_str().unwrap().to_string();
    *response = Value::String(format!(
        "{}{}",
        &text[..text.len() - 1],
        if text.ends_with('1') { '2' } else { '1' }
    ));
    files.insert("tally.json", serde_json::to_vec(&modified).unwrap());
    let report = verify_files(&files, None, Options::default()).unwrap();
    let failed: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| !s.ok())
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(failed, ["V9"]);
    assert_eq!(
        report.steps[8].failures[0].item,
        "tally contest contest1 selection selection3"
    );
}

#[test]
fn parameter_base_hash_vector_reproduces_with_its_version_string() {
    let v = json(&egk().join("testvectors/ParametersTestVector.json"));
    let v = &v["parameter_base_hash"];
    let (p, q, _, g) = Standard::V2.constants();
    assert_eq!(hex(&v["primes"]["large_prime"]), p);
    assert_eq!(hex(&v["primes"]["small_prime"]), q);
    assert_eq!(hex(&v["primes"]["generator"]), g);
    // The vector predates the final 2.0.0: its version string is "v2.0", not "v2.0.0".
    let mut ver = [0u8; 32];
    ver[..4].copy_from_slice(v["protocolVersion"].as_str().unwrap().as_bytes());
    let hp = hash(&ver, &[Part::Tag(0), Part::P(&p), Part::Q(&q), Part::P(&g)]);
    assert_eq!(hp, hex(&v["expected"]));
}

#[test]
fn key_ceremony_vector_joint_key_reproduces() {
    let v = json(&egk().join("testvectors/KeyCeremonyTestVector.json"));
    let (p, q, r, g) = Standard::V2.constants();
    let group = IntegerGroup::new(p, q, r, g);
    let mut k = BigUint::from(1u32);
    for guardian in v["guardians"].as_array().unwrap() {
        let ki = hex(&guardian["expected_proofs"][0]["public_key"]);
        assert!(group.is_element(&ki));
        k = group.mul(&k, &ki);
    }
    assert_eq!(k, hex(&v["expected_joint_public_key"]));
    // Its extended base hash is not H(H_B; 0x12, K) of the final 2.0.0 (a draft formula).
    let he = hash(
        &key(&hex(&v["election_base_hash"])),
        &[Part::Tag(0x12), Part::P(&k)],
    );
    assert_ne!(he, hex(&v["expected_extended_base_hash"]));
}

#[test]
fn ballot_aggregation_vector_reproduces() {
    let v = json(&egk().join("testvectors/BallotAggregationTestVector.json"));
    let (p, q, r, g) = Standard::V2.constants();
    let group = IntegerGroup::new(p, q, r, g);
    let mut sums: BTreeMap<(String, String), (BigUint, BigUint)> = BTreeMap::new();
    for b in v["encrypted_ballots"].as_array().unwrap() {
        for c in b["contests"].as_array().unwrap() {
            for s in c["selections"].as_array().unwrap() {
                let id = (
                    c["contestId"].as_str().unwrap().to_string(),
                    s["selectionId"].as_str().unwrap().to_string(),
                );
                let e = sums
                    .entry(id)
                    .or_insert((BigUint::from(1u32), BigUint::from(1u32)));
                e.0 = group.mul(&e.0, &hex(&s["encrypted_vote"]["pad"]));
                e.1 = group.mul(&e.1, &hex(&s["encrypted_vote"]["data"]));
            }
        }
    }
    let mut checked = 0;
    for c in v["expected_encrypted_tally"]["contests"]
        .as_array()
        .unwrap()
    {
        for s in c["selections"].as_array().unwrap() {
            let id = (
                c["contest_id"].as_str().unwrap().to_string(),
                s["selection_id"].as_str().unwrap().to_string(),
            );
            let (a, b) = &sums[&id];
            assert_eq!(a, &hex(&s["encrypted_vote"]["pad"]));
            assert_eq!(b, &hex(&s["encrypted_vote"]["data"]));
            checked += 1;
        }
    }
    assert_eq!(checked, sums.len());
}

/// The workflow's first five ballots re-chained (V7.D–G), with their codes recomputed:
/// device A's two ballots form a closed chain, device B's second ballot has a broken B_aux and
/// B's chain is not closed, and device C publishes no chain at all.
#[test]
fn chained_confirmation_codes_are_checked_device_by_device() {
    let record = egk().join("workflow/allAvailableJson");
    let mut files = Files::read(&record).unwrap();
    let init = files.json("election_initialized.json").unwrap();
    let he = key(&hex(&init["extended_base_hash"]));
    let mut config = files.json("election_config.json").unwrap();
    config["chain_confirmation_codes"] = Value::Bool(true);
    files.insert("election_config.json", serde_json::to_vec(&config).unwrap());
    let dir = "encrypted_ballots/runWorkflowAllAvailableJson";
    for n in 6..=11 {
        files.remove(&format!("{dir}/eballot-id-{n}.json")).unwrap();
    }
    let code = |ballot: &Value, baux: &[u8]| {
        let hashes: Vec<BigUint> = ballot["contests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| hex(&c["contest_hash"]))
            .collect();
        let mut parts = vec![Part::Tag(0x24)];
        parts.extend(hashes.iter().map(Part::Q));
        parts.push(Part::Bytes(baux));
        hash(&he, &parts)
    };
    let to_hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    let mut chain = |device: &str, ids: &[u32], broken: Option<u32>, close: bool| {
        let baux0 = format!("device {device}").into_bytes();
        let mut previous = hash(&he, &[Part::Tag(0x24), Part::Bytes(&baux0)]);
        for &n in ids {
            let file = format!("{dir}/eballot-id-{n}.json");
            let mut ballot = files.json(&file).unwrap();
            let mut baux = key(&previous).to_vec();
            baux.extend_from_slice(&baux0);
            if broken == Some(n) {
                baux[0] ^= 1;
            }
            previous = code(&ballot, &baux);
            ballot["encrypting_device"] = Value::from(device);
            ballot["code_baux"] = Value::from(to_hex(&baux));
            ballot["confirmation_code"] = Value::from(format!("{previous:064X}"));
            files.insert(&file, serde_json::to_vec(&ballot).unwrap());
        }
        let mut closing = key(&previous).to_vec();
        closing.extend_from_slice(&baux0);
        closing.extend_from_slice(b"CLOSE");
        let closing = hash(&he, &[Part::Tag(0x24), Part::Bytes(&closing)]);
        let chain = serde_json::json!({
            "encrypting_device": device,
            "baux0": to_hex(&baux0),
            "ballot_ids": ids.iter().map(|n| format!("id-{n}")).collect::<Vec<_>>(),
            "last_confirmation_code": format!("{previous:064X}"),
            "chaining": true,
            "closing_hash": close.then(|| format!("{closing:064X}")),
        });
        files.insert(
            &format!("encrypted_ballots/{device}/ballot_chain.json"),
            serde_json::to_vec(&chain).unwrap(),
        );
    };
    chain("A", &[2, 1], None, true);
    chain("B", &[3, 4], Some(4), false);
    // Ballot 5 moves to device C, which publishes no chain.
    let file = format!("{dir}/eballot-id-5.json");
    let mut ballot = files.json(&file).unwrap();
    ballot["encrypting_device"] = Value::from("C");
    files.insert(&file, serde_json::to_vec(&ballot).unwrap());

    let report = verify_files(&files, None, Options::default()).unwrap();
    let v7 = &report.steps[6];
    assert_eq!(v7.id, "V7");
    let mut failed: Vec<&str> = v7.failures.iter().map(|f| f.item.as_str()).collect();
    failed.sort_unstable();
    assert_eq!(
        failed,
        [
            "ballot id-4 chain",
            "ballot id-5 chain",
            "device B chain closing",
            "device C chain"
        ],
        "{:?}",
        v7.failures
    );
    // Every other chain item passed: A's start, two links, end and closing; B's start, first
    // link and end; the 5 codes and the 5 ballots' own hashes.
    assert!(v7.passed >= 5 + 3 + 3, "{}", v7.passed);
}

fn egk_ec(group: &str) -> PathBuf {
    egk().join("../egk-ec-2.1").join(group)
}

/// contest id → selection id → count of an egk tally.json (2.0 and egk-ec layouts alike).
fn egk_tally(record: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let tally = json(&record.join("tally.json"));
    tally["contests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let sels = c["selections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["selection_id"].as_str().unwrap().to_string(),
                        s["tally"].as_u64().unwrap(),
                    )
                })
                .collect();
            (c["contest_id"].as_str().unwrap().to_string(), sels)
        })
        .collect()
}

/// egk-ec's 2.1 layout in the integer group (base64 values, `protocolVersion` v2.0.0): every
/// step of the 2.0 specification passes and the result is its tally.json; a changed
/// confirmation code fails V7 with its ballot named.
#[test]
fn the_egk_ec_integer_record_verifies_and_a_changed_code_is_rejected() {
    let record = egk_ec("allAvailable");
    let mut files = Files::read(&record).unwrap();
    assert_eq!(
        fairtally_electionguard::detect(&files).unwrap(),
        Some(Version::Two)
    );
    let report = verify_files(&files, None, Options::default()).unwrap();
    for step in &report.steps {
        assert!(step.ok(), "{} failed: {:?}", step.id, step.failures);
    }
    assert!(report.format.contains("egk-ec"), "{}", report.format);
    assert_eq!((report.cast_ballots, report.spoiled_ballots), (33, 9));
    assert_eq!(
        report.steps[4].passed, 700,
        "V5: every selection of the 42 ballots"
    );
    assert_eq!(report.result(), egk_tally(&record));
    assert!(
        report.steps[13].passed > 0,
        "V14: the challenged ballots' contest data"
    );

    // A challenged ballot's contest data decryption with a changed proof fails V14 (the copy
    // keeps that ballot alone, so it verifies fast).
    let mut copy = Files::read(&record).unwrap();
    let challenged = copy.json_under("challenged_ballots")[0].to_string();
    let mut d = copy.json(&challenged).unwrap();
    let id = d["id"].as_str().unwrap().to_string();
    for other in (1..=42).map(|n| format!("id-{n}")).filter(|n| *n != id) {
        copy.remove(&format!(
            "encrypted_ballots/runWorkflowDevice/eballot-{other}.json"
        ));
    }
    let data = &mut d["contests"][0]["decrypted_contest_data"];
    let other = data["proof"]["challenge"].clone();
    data["proof"]["response"] = other;
    let contest = d["contests"][0]["contest_id"].as_str().unwrap().to_string();
    copy.insert(&challenged, serde_json::to_vec(&d).unwrap());
    let report = verify_files(&copy, None, Options::default()).unwrap();
    let v14: Vec<&str> = report.steps[13]
        .failures
        .iter()
        .map(|f| f.item.as_str())
        .collect();
    assert_eq!(
        v14,
        [format!("challenged ballot {id} contest {contest} data")]
    );

    // The modified copy keeps ballot id-7 alone (V7 concerns it only), so it verifies fast.
    let file = "encrypted_ballots/runWorkflowDevice/eballot-id-7.json";
    for other in (1..=42).filter(|n| *n != 7) {
        files.remove(&format!(
            "encrypted_ballots/runWorkflowDevice/eballot-id-{other}.json"
        ));
    }
    let mut ballot = files.json(file).unwrap();
    let code = ballot["confirmation_code"].as_str().unwrap().to_string();
    let changed = if code.starts_with('A') { "B" } else { "A" };
    ballot["confirmation_code"] = Value::from(format!("{changed}{}", &code[1..]));
    files.insert(file, serde_json::to_vec(&ballot).unwrap());
    let report = verify_files(&files, None, Options::default()).unwrap();
    let v7: Vec<&str> = report.steps[6]
        .failures
        .iter()
        .map(|f| f.item.as_str())
        .collect();
    assert_eq!(v7, ["ballot id-7"]);
}

/// The failed steps of a report.
fn failed_steps(report: &fairtally_electionguard::Report) -> Vec<&str> {
    report
        .steps
        .iter()
        .filter(|s| !s.ok())
        .map(|s| s.id.as_str())
        .collect()
}

/// The steps whose NIZK proofs egk-ec's P-256 record does not satisfy (docs/ELECTIONGUARD.md,
/// "egk-ec's P-256 proofs"): every other step passes.
const P256_PROOF_STEPS: [&str; 6] = ["V2", "V5", "V6", "V9", "V12", "V14"];

/// egk-ec's P-256 record: the constants, H_P, H_B, H_E, K = ∏ K_i, the contest hashes and
/// confirmation codes, the aggregation and T = K^t for every decrypted value verify on the
/// curve, and the result is its tally.json; none of its proofs does, each failing item named.
#[test]
fn the_egk_ec_p256_record_verifies_but_its_proofs() {
    let record = egk_ec("allAvailableEc");
    let files = Files::read(&record).unwrap();
    assert_eq!(
        fairtally_electionguard::detect(&files).unwrap(),
        Some(Version::TwoP256)
    );
    let report = verify_files(&files, None, Options::default()).unwrap();
    assert!(report.format.contains("P-256"), "{}", report.format);
    assert_eq!(failed_steps(&report), P256_PROOF_STEPS);
    // Every proof fails alike; V2's other items (n guardians with k coefficients each) pass.
    assert_eq!((report.steps[1].passed, report.steps[1].failed), (4, 9));
    for i in [4, 5, 8, 11, 13] {
        assert_eq!(report.steps[i].passed, 0, "{}", report.steps[i].id);
    }
    assert_eq!((report.cast_ballots, report.spoiled_ballots), (33, 9));
    assert_eq!(report.steps[6].passed, 422, "V7: contest hashes and codes");
    assert_eq!(
        report.steps[9].passed, 61,
        "V10: T = K^t for every tally value"
    );
    assert_eq!(
        report.steps[12].passed, 141,
        "V13: challenged ballots' values"
    );
    assert_eq!(report.result(), egk_tally(&record));
    assert!(
        report
            .result()
            .values()
            .flat_map(|c| c.values())
            .any(|n| *n > 0)
    );
}

fn p256_files() -> Files {
    Files::read(&egk_ec("allAvailableEc")).unwrap()
}

/// The failed steps beyond those the original P-256 record already fails.
fn p256_new_failures(files: &Files) -> (Vec<String>, fairtally_electionguard::Report) {
    let report = verify_files(files, None, Options::default()).unwrap();
    let failed = failed_steps(&report)
        .into_iter()
        .filter(|s| !P256_PROOF_STEPS.contains(s))
        .map(str::to_string)
        .collect();
    (failed, report)
}

/// Modified copies of the P-256 record fail the step that checks the modified item.
#[test]
fn p256_modified_items_are_rejected_by_their_steps() {
    let base = p256_files();
    let ballot_file = "encrypted_ballots/runWorkflowDevice/eballot-id-7.json";
    let ballot = base.json(ballot_file).unwrap();

    // A selection ciphertext that is not a point: V5 names it, as not a group element (the
    // other ballots are left out, so that its failure is among the 100 listed).
    let mut files = p256_files();
    for other in (1..=42).filter(|n| *n != 7) {
        files.remove(&format!(
            "encrypted_ballots/runWorkflowDevice/eballot-id-{other}.json"
        ));
    }
    let mut b = ballot.clone();
    let pad = &mut b["contests"][0]["selections"][0]["encrypted_vote"]["pad"];
    let text = pad.as_str().unwrap().to_string();
    // "B..." decodes to a first byte 0x04..0x07: not a compressed point.
    *pad = Value::from(format!("B{}", &text[1..]));
    files.insert(ballot_file, serde_json::to_vec(&b).unwrap());
    let (_, report) = p256_new_failures(&files);
    let cid = b["contests"][0]["contest_id"].as_str().unwrap();
    let sid = b["contests"][0]["selections"][0]["selection_id"]
        .as_str()
        .unwrap();
    let item = format!("ballot id-7 contest {cid} selection {sid}");
    let failure = report.steps[4]
        .failures
        .iter()
        .find(|f| f.item == item)
        .unwrap();
    assert!(
        failure.reason.contains("not in Z_p^r"),
        "{}",
        failure.reason
    );

    // A ciphertext replaced by another point of the record: V7 (its contest hash) and V8.
    let mut files = p256_files();
    let mut b = ballot.clone();
    let other = b["contests"][0]["selections"][0]["encrypted_vote"]["data"].clone();
    b["contests"][0]["selections"][0]["encrypted_vote"]["pad"] = other;
    files.insert(ballot_file, serde_json::to_vec(&b).unwrap());
    let (failed, report) = p256_new_failures(&files);
    assert_eq!(failed, ["V7", "V8"]);
    assert_eq!(
        report.steps[6].failures[0].item,
        format!("ballot id-7 contest {cid}")
    );

    // A confirmation code: V7.
    let mut files = p256_files();
    let mut b = ballot.clone();
    let code = b["confirmation_code"].as_str().unwrap().to_string();
    let changed = if code.starts_with('A') { "B" } else { "A" };
    b["confirmation_code"] = Value::from(format!("{changed}{}", &code[1..]));
    files.insert(ballot_file, serde_json::to_vec(&b).unwrap());
    let (failed, report) = p256_new_failures(&files);
    assert_eq!(failed, ["V7"]);
    assert_eq!(report.steps[6].failures[0].item, "ballot id-7");

    // A guardian's key K_i replaced by another's: V3 (K ≠ ∏ K_i).
    let mut files = p256_files();
    let mut init = files.json("election_initialized.json").unwrap();
    let other = init["guardians"][1]["coefficient_proofs"][0]["public_key"].clone();
    init["guardians"][0]["coefficient_proofs"][0]["public_key"] = other;
    files.insert(
        "election_initialized.json",
        serde_json::to_vec(&init).unwrap(),
    );
    let (failed, report) = p256_new_failures(&files);
    assert_eq!(failed, ["V3"]);
    assert_eq!(report.steps[2].failures[0].item, "joint_public_key");

    // The encrypted tally: V8.
    let mut files = p256_files();
    let mut et = files.json("encrypted_tally.json").unwrap();
    let other = et["contests"][0]["selections"][1]["encrypted_vote"].clone();
    et["contests"][0]["selections"][0]["encrypted_vote"] = other;
    files.insert("encrypted_tally.json", serde_json::to_vec(&et).unwrap());
    let (failed, _) = p256_new_failures(&files);
    assert_eq!(failed, ["V8"]);

    // A decrypted count: V10, with its selection named.
    let mut files = p256_files();
    let mut tally = files.json("tally.json").unwrap();
    let count = tally["contests"][0]["selections"][0]["tally"]
        .as_u64()
        .unwrap();
    tally["contests"][0]["selections"][0]["tally"] = Value::from(count + 1);
    files.insert("tally.json", serde_json::to_vec(&tally).unwrap());
    let (failed, report) = p256_new_failures(&files);
    assert_eq!(failed, ["V10"]);
    assert!(
        report.steps[9].failures[0]
            .item
            .starts_with("tally contest")
    );

    // A challenged ballot's decrypted value: V13.
    let mut files = p256_files();
    let file = files
        .json_under("challenged_ballots")
        .first()
        .map(|f| f.to_string())
        .unwrap();
    let mut d = files.json(&file).unwrap();
    let t = d["contests"][0]["selections"][0]["tally"].as_u64().unwrap();
    d["contests"][0]["selections"][0]["tally"] = Value::from(1 - t.min(1));
    files.insert(&file, serde_json::to_vec(&d).unwrap());
    let (failed, _) = p256_new_failures(&files);
    assert_eq!(failed, ["V13"]);

    // A constant of the curve: V1.
    let mut files = p256_files();
    let mut constants = files.json("constants.json").unwrap();
    constants["constants"]["b"] =
        Value::from("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604c");
    files.insert("constants.json", serde_json::to_vec(&constants).unwrap());
    let (failed, report) = p256_new_failures(&files);
    assert_eq!(failed, ["V1"]);
    assert_eq!(report.steps[0].failures[0].item, "constants b");
}
