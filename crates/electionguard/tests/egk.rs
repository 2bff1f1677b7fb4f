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
    let names: Vec<(&str, &str)> = report
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(names, fairtally_electionguard::v2::verify::STEPS);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "no ballot is pre-encrypted, so V15, V16, V17, V18 have no items"),
        "{:?}",
        report.notes
    );
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

/// The step of a report with this id.
fn step<'a>(report: &'a fairtally_electionguard::Report, id: &str) -> &'a Step {
    report.steps.iter().find(|s| s.id == id).unwrap()
}

/// The failed items of one step.
fn failures<'a>(report: &'a fairtally_electionguard::Report, id: &str) -> Vec<&'a str> {
    step(report, id)
        .failures
        .iter()
        .map(|f| f.item.as_str())
        .collect()
}

/// A record in egk-ec's 2.1 layout is reported with the 2.1 specification's 19 steps, named
/// and numbered as 2.1 does.
fn assert_2_1_numbering(report: &fairtally_electionguard::Report) {
    let steps: Vec<(&str, &str)> = report
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(steps, STEPS_2_1);
    assert_eq!(steps[4].1, "Uniqueness of selection encryption identifiers");
    assert_eq!(
        steps[17].1,
        "Correctness of encryptions for uncast pre-encrypted ballots"
    );
}

/// egk-ec's 2.1 layout in the integer group (base64 values, `protocolVersion` v2.0.0): every
/// step passes, numbered as 2.1 numbers them, and the result is its tally.json; a changed
/// confirmation code fails V8 (2.0's V7) with its ballot named.
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
    assert_2_1_numbering(&report);
    assert!(report.format.contains("egk-ec"), "{}", report.format);
    assert_eq!((report.cast_ballots, report.spoiled_ballots), (33, 9));
    assert_eq!(
        step(&report, "V6").passed,
        700,
        "V6: every selection of the 42 ballots"
    );
    assert_eq!(report.result(), egk_tally(&record));
    // V10: 41 tally proofs (2.0's V9) and 41 values T = K^t (2.0's V10); V11: 20 contests'
    // labels (2.0's V10.B–E); V14: the challenged values (2.0's V13).
    assert_eq!(step(&report, "V10").passed, 82);
    assert_eq!(step(&report, "V11").passed, 20);
    assert_eq!(step(&report, "V14").passed, 154);
    assert_eq!(step(&report, "V5").passed, 0, "no identifiers to check");
    assert!(
        report.notes.iter().any(|n| n.starts_with("V5: ")),
        "{:?}",
        report.notes
    );

    // A challenged ballot's contest data decryption with a changed proof fails V13 (2.0's
    // V14; the copy keeps that ballot alone, so it verifies fast).
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
    assert_eq!(
        failures(&report, "V13"),
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
    assert_eq!(failures(&report, "V8"), ["ballot id-7"]);
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

/// The steps (2.1's numbers) whose NIZK proofs egk-ec's P-256 record does not satisfy
/// (docs/ELECTIONGUARD.md, "egk-ec's P-256 proofs"): every other step passes.
const P256_PROOF_STEPS: [&str; 5] = ["V2", "V6", "V7", "V10", "V13"];

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
    assert_2_1_numbering(&report);
    assert_eq!(failed_steps(&report), P256_PROOF_STEPS);
    // Every proof fails alike; V2's other items (n guardians with k coefficients each) pass.
    let v2 = step(&report, "V2");
    assert_eq!((v2.passed, v2.failed), (4, 9));
    for id in ["V6", "V7", "V13"] {
        assert_eq!(step(&report, id).passed, 0, "{id}");
    }
    assert_eq!((report.cast_ballots, report.spoiled_ballots), (33, 9));
    assert_eq!(
        step(&report, "V8").passed,
        422,
        "V8: contest hashes and codes"
    );
    // V10: the 41 tally proofs fail, the 41 values T = K^t pass.
    let v10 = step(&report, "V10");
    assert_eq!((v10.passed, v10.failed), (41, 41));
    assert_eq!(step(&report, "V11").passed, 20, "V11: the tally's labels");
    assert_eq!(
        step(&report, "V14").passed,
        141,
        "V14: challenged ballots' values"
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

/// The steps that fail more items than they do on the original P-256 record (`base`).
fn p256_new_failures(
    base: &fairtally_electionguard::Report,
    files: &Files,
) -> (Vec<String>, fairtally_electionguard::Report) {
    let report = verify_files(files, None, Options::default()).unwrap();
    let failed = report
        .steps
        .iter()
        .zip(&base.steps)
        .filter(|(s, b)| s.failed > b.failed)
        .map(|(s, _)| s.id.clone())
        .collect();
    (failed, report)
}

/// Modified copies of the P-256 record fail the step that checks the modified item.
#[test]
fn p256_modified_items_are_rejected_by_their_steps() {
    let base = p256_files();
    let original = verify_files(&base, None, Options::default()).unwrap();
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
    let (_, report) = p256_new_failures(&original, &files);
    let cid = b["contests"][0]["contest_id"].as_str().unwrap();
    let sid = b["contests"][0]["selections"][0]["selection_id"]
        .as_str()
        .unwrap();
    let item = format!("ballot id-7 contest {cid} selection {sid}");
    let failure = step(&report, "V6")
        .failures
        .iter()
        .find(|f| f.item == item)
        .unwrap();
    assert!(
        failure.reason.contains("not in Z_p^r"),
        "{}",
        failure.reason
    );

    // A ciphertext replaced by another point of the record: V8 (its contest hash) and V9.
    let mut files = p256_files();
    let mut b = ballot.clone();
    let other = b["contests"][0]["selections"][0]["encrypted_vote"]["data"].clone();
    b["contests"][0]["selections"][0]["encrypted_vote"]["pad"] = other;
    files.insert(ballot_file, serde_json::to_vec(&b).unwrap());
    let (failed, report) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V8", "V9"]);
    assert_eq!(
        failures(&report, "V8"),
        [format!("ballot id-7 contest {cid}")]
    );

    // A confirmation code: V8.
    let mut files = p256_files();
    let mut b = ballot.clone();
    let code = b["confirmation_code"].as_str().unwrap().to_string();
    let changed = if code.starts_with('A') { "B" } else { "A" };
    b["confirmation_code"] = Value::from(format!("{changed}{}", &code[1..]));
    files.insert(ballot_file, serde_json::to_vec(&b).unwrap());
    let (failed, report) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V8"]);
    assert_eq!(failures(&report, "V8"), ["ballot id-7"]);

    // A guardian's key K_i replaced by another's: V3 (K ≠ ∏ K_i).
    let mut files = p256_files();
    let mut init = files.json("election_initialized.json").unwrap();
    let other = init["guardians"][1]["coefficient_proofs"][0]["public_key"].clone();
    init["guardians"][0]["coefficient_proofs"][0]["public_key"] = other;
    files.insert(
        "election_initialized.json",
        serde_json::to_vec(&init).unwrap(),
    );
    let (failed, report) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V3"]);
    assert_eq!(failures(&report, "V3"), ["joint_public_key"]);

    // The encrypted tally: V9.
    let mut files = p256_files();
    let mut et = files.json("encrypted_tally.json").unwrap();
    let other = et["contests"][0]["selections"][1]["encrypted_vote"].clone();
    et["contests"][0]["selections"][0]["encrypted_vote"] = other;
    files.insert("encrypted_tally.json", serde_json::to_vec(&et).unwrap());
    let (failed, _) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V9"]);

    // A decrypted count: V10, with its selection named.
    let mut files = p256_files();
    let mut tally = files.json("tally.json").unwrap();
    let count = tally["contests"][0]["selections"][0]["tally"]
        .as_u64()
        .unwrap();
    tally["contests"][0]["selections"][0]["tally"] = Value::from(count + 1);
    files.insert("tally.json", serde_json::to_vec(&tally).unwrap());
    let (failed, report) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V10"]);
    let reasons: Vec<&str> = step(&report, "V10")
        .failures
        .iter()
        .map(|f| f.reason.as_str())
        .collect();
    assert!(
        reasons.contains(&format!("T ≠ K^{}", count + 1).as_str()),
        "{reasons:?}"
    );

    // A challenged ballot's decrypted value: V14 (2.0's V13).
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
    let (failed, _) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V14"]);

    // A constant of the curve: V1.
    let mut files = p256_files();
    let mut constants = files.json("constants.json").unwrap();
    constants["constants"]["b"] =
        Value::from("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604c");
    files.insert("constants.json", serde_json::to_vec(&constants).unwrap());
    let (failed, report) = p256_new_failures(&original, &files);
    assert_eq!(failed, ["V1"]);
    // H_P hashes the constants, and H_B hashes H_P: both fail with it.
    assert_eq!(
        failures(&report, "V1"),
        ["constants b", "parameter_base_hash", "election_base_hash"]
    );
}

// Pre-encrypted ballots (V15–V18). No record here has one: egk's two pre-encryption vectors
// are the data, verified by the same functions a record's pre-encrypted ballots go through.

use fairtally_electionguard::manifest::ManifestContest;
use fairtally_electionguard::report::Step;
use fairtally_electionguard::v2::preencryption::{
    self, confirmation_code, contest_hash, nonce, selection_hash, short_code, verify_ballots,
};
use fairtally_electionguard::v2::record::{Ballot, read_ballot};
use fairtally_electionguard::v2::verify::{Election, STEPS_2_1};

fn vector(name: &str) -> Value {
    json(&egk().join("testvectors").join(name))
}

fn standard_group() -> IntegerGroup {
    let (p, q, r, g) = Standard::V2.constants();
    IntegerGroup::new(p, q, r, g)
}

/// The contests of a vector's manifest (egk's 2.0 layout), as the record reader gives them.
fn vector_manifest(v: &Value) -> Vec<ManifestContest> {
    v["manifest"]["contests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| ManifestContest {
            id: c["object_id"].as_str().unwrap().to_string(),
            name: c["name"].as_str().unwrap_or_default().to_string(),
            sequence: c["sequence_order"].as_u64().unwrap() as u32,
            votes_allowed: c["votes_allowed"].as_u64().unwrap(),
            option_limit: 1,
            selections: c["ballot_selections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let id = s["object_id"].as_str().unwrap().to_string();
                    (id, s["candidate_id"].as_str().unwrap().to_string())
                })
                .collect(),
        })
        .collect()
}

/// A vector with its election: the manifest's contests, K and H_E.
fn vector_election(name: &str) -> (Value, Vec<ManifestContest>, BigUint, BigUint) {
    let v = vector(name);
    let manifest = vector_manifest(&v);
    let k = hex(&v["joint_public_key"]);
    let he = hex(&v["extended_base_hash"]);
    (v, manifest, k, he)
}

fn ciphertext(v: &Value) -> (BigUint, BigUint) {
    (hex(&v["pad"]), hex(&v["data"]))
}

fn steps_by_id(steps: &[Step]) -> Vec<(&str, u64, u64)> {
    steps
        .iter()
        .map(|s| (s.id.as_str(), s.passed, s.failed))
        .collect()
}

/// The steps of V15–V18 that failed, with their failed items.
fn failed_items(steps: &[Step]) -> Vec<(String, String)> {
    steps
        .iter()
        .flat_map(|s| s.failures.iter().map(|f| (s.id.clone(), f.item.clone())))
        .collect()
}

/// PreEncryptionTestVector (the ballot-encrypting tool): from the primary nonce, every nonce
/// (96), every vector (91), its selection hash (92), short code, the contest hash (94) and the
/// confirmation code (95) reproduce with the verifier's functions.
#[test]
fn pre_encryption_vector_reproduces_from_its_primary_nonce() {
    let (v, manifest, k, he) = vector_election("PreEncryptionTestVector.json");
    let e = Election::new(standard_group(), &k, &he, &manifest);
    let ballot = &v["preencrypted_ballot"];
    let primary = hex(&ballot["primaryNonce"]);
    assert_eq!(primary, hex(&v["primary_nonce"]));
    let contest = &ballot["contests"][0];
    let m = &manifest[0];
    let regenerated = preencryption::vectors(&e, m, &primary);
    let selections = contest["selections"].as_array().unwrap();
    assert_eq!(
        regenerated.len(),
        selections.len(),
        "3 selections and 1 null"
    );
    let mut hashes = Vec::new();
    for ((label, vector), s) in regenerated.iter().zip(selections) {
        assert_eq!(label, s["selectionId"].as_str().unwrap());
        let expected: Vec<(BigUint, BigUint)> = s["expected_selectionVector"]
            .as_array()
            .unwrap()
            .iter()
            .map(ciphertext)
            .collect();
        let got: Vec<(BigUint, BigUint)> = vector
            .iter()
            .map(|c| (c.pad.clone(), c.data.clone()))
            .collect();
        assert_eq!(got, expected, "vector of {label}");
        for ((k, _), n) in m
            .selections
            .iter()
            .zip(s["expected_selectionNonces"].as_array().unwrap())
        {
            assert_eq!(nonce(&e, &primary, &m.id, label, k), hex(n));
        }
        let psi = selection_hash(&e, vector);
        assert_eq!(psi, hex(&s["expected_selectionHash"]));
        assert_eq!(short_code(&psi), s["shortCode"].as_str().unwrap());
        hashes.push(psi);
    }
    hashes.sort_unstable();
    let chi = contest_hash(&e, &m.id, &hashes);
    assert_eq!(chi, hex(&contest["expected_preencryptionHash"]));
    assert_eq!(
        confirmation_code(&e, &[&chi], b""),
        hex(&ballot["expected_confirmationCode"])
    );
}

/// The vector's ballot published as egk publishes an uncast (challenged) pre-encrypted ballot:
/// its primary nonce, every vector with its short code, the sorted hashes.
fn uncast_ballot(v: &Value) -> Value {
    let ballot = &v["preencrypted_ballot"];
    let contests: Vec<Value> = ballot["contests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let selections = c["selections"].as_array().unwrap();
            let mut hashes: Vec<String> = selections
                .iter()
                .map(|s| s["expected_selectionHash"].as_str().unwrap().to_string())
                .collect();
            hashes.sort_unstable();
            let vectors: Vec<Value> = selections
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "selection_hash": s["expected_selectionHash"],
                        "short_code": s["shortCode"],
                        "encryptions": s["expected_selectionVector"],
                    })
                })
                .collect();
            serde_json::json!({
                "contest_id": c["contestId"],
                "sequence_order": c["sequenceOrder"],
                "votes_allowed": c["votesAllowed"],
                "contest_hash": c["expected_preencryptionHash"],
                "selections": [],
                "proof": {"proofs": []},
                "pre_encryption": {
                    "preencryption_hash": c["expected_preencryptionHash"],
                    "all_selection_hashes": hashes,
                    "selected_vectors": vectors,
                },
            })
        })
        .collect();
    serde_json::json!({
        "ballot_id": ballot["ballotId"],
        "ballot_style_id": ballot["ballotStyleId"],
        "encrypting_device": "device",
        "code_baux": "",
        "confirmation_code": ballot["expected_confirmationCode"],
        "contests": contests,
        "state": "CHALLENGED",
        "is_preencrypt": true,
        "primary_nonce": ballot["primaryNonce"],
    })
}

fn ballot_of(value: &Value) -> Ballot<BigUint> {
    read_ballot(&fairtally_electionguard::json::Node::root(value, "vector")).unwrap()
}

/// The same vector as an uncast ballot verifies (V17 with its nonce, V18); a changed primary
/// nonce or short code fails the step that checks it, and so does a nonce left out.
#[test]
fn an_uncast_pre_encrypted_ballot_is_opened_by_its_primary_nonce() {
    let (v, manifest, k, he) = vector_election("PreEncryptionTestVector.json");
    let e = Election::new(standard_group(), &k, &he, &manifest);
    let ballot = uncast_ballot(&v);
    let steps = verify_ballots(&e, &[ballot_of(&ballot)]);
    // V17: 4 vectors, the contest hash, the code, its uniqueness and the primary nonce's
    // vectors; V18: 4 short codes and their uniqueness. No proofs: the ballot is uncast.
    assert_eq!(
        steps_by_id(&steps),
        [("V15", 0, 0), ("V16", 0, 0), ("V17", 8, 0), ("V18", 5, 0)],
        "{:?}",
        failed_items(&steps)
    );

    let contest = "ballot ballot_id contest onlyContest";
    let mut changed = ballot.clone();
    let nonce = changed["primary_nonce"].as_str().unwrap().replace('4', "5");
    changed["primary_nonce"] = Value::from(nonce);
    let steps = verify_ballots(&e, &[ballot_of(&changed)]);
    assert_eq!(
        failed_items(&steps),
        [("V17".to_string(), format!("{contest} primary nonce"))]
    );

    let mut changed = ballot.clone();
    changed["contests"][0]["pre_encryption"]["selected_vectors"][1]["short_code"] =
        Value::from("30FB4");
    let steps = verify_ballots(&e, &[ballot_of(&changed)]);
    assert_eq!(
        failed_items(&steps),
        [("V18".to_string(), format!("{contest} vector 30FB4"))]
    );

    let mut changed = ballot.clone();
    changed["primary_nonce"] = Value::Null;
    let steps = verify_ballots(&e, &[ballot_of(&changed)]);
    assert_eq!(
        steps[2].failures[0].reason,
        "the ballot is uncast but publishes no primary nonce"
    );
}

/// PreEncryptionRecordedTestVector (the recording tool's cast ballot): it verifies, every item
/// counted, and its selected short codes are the voter's.
#[test]
fn pre_encryption_recorded_vector_verifies() {
    let (v, manifest, k, he) = vector_election("PreEncryptionRecordedTestVector.json");
    let e = Election::new(standard_group(), &k, &he, &manifest);
    let ballot = ballot_of(&v["expected_recorded_ballot"]);
    assert!(ballot.preencrypted);
    let steps = verify_ballots(&e, std::slice::from_ref(&ballot));
    // V15: 7 selections; V16: 2 contests; V17: 3 vectors, 2 contest hashes, the code and its
    // uniqueness; V18: 3 short codes, 2 contests' unique codes, 2 accumulations.
    assert_eq!(
        steps_by_id(&steps),
        [("V15", 7, 0), ("V16", 2, 0), ("V17", 7, 0), ("V18", 7, 0)],
        "{:?}",
        failed_items(&steps)
    );
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names[3],
        "Validation of short codes in pre-encrypted ballots"
    );
    for c in &ballot.contests {
        let selected: Vec<&str> = c
            .pre_encryption
            .as_ref()
            .unwrap()
            .vectors
            .iter()
            .map(|x| x.short_code.as_str())
            .collect();
        let mut voter: Vec<&str> = v["selected_codes"][&c.id]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        voter.sort_unstable();
        let mut selected = selected;
        selected.sort_unstable();
        assert_eq!(selected, voter, "{}", c.id);
    }

    // Regenerated from the vector's primary nonce, the record's vectors hash to the published
    // selection hashes of both contests (what V17 checks of an uncast ballot).
    let primary = hex(&v["primary_nonce"]);
    for (c, m) in ballot.contests.iter().zip(&manifest) {
        let mut hashes: Vec<BigUint> = preencryption::vectors(&e, m, &primary)
            .iter()
            .map(|(_, x)| selection_hash(&e, x))
            .collect();
        hashes.sort_unstable();
        assert_eq!(hashes, c.pre_encryption.as_ref().unwrap().selection_hashes);
    }
}

/// Modified copies of the recorded ballot: each changed item fails its own step, named.
#[test]
fn pre_encrypted_modified_items_fail_their_steps() {
    let (v, manifest, k, he) = vector_election("PreEncryptionRecordedTestVector.json");
    let e = Election::new(standard_group(), &k, &he, &manifest);
    let original = v["expected_recorded_ballot"].clone();
    let run = |changed: &Value| failed_items(&verify_ballots(&e, &[ballot_of(changed)]));
    let one = "ballot ballot_id contest contestOneVote";
    let two = "ballot ballot_id contest contestTwoVotes";
    let flip = |x: &mut Value| {
        let text = x.as_str().unwrap().to_string();
        let last = if text.ends_with('1') { '2' } else { '1' };
        *x = Value::from(format!("{}{last}", &text[..text.len() - 1]));
    };

    // A selection's range proof: V15.
    let mut b = original.clone();
    flip(&mut b["contests"][1]["selections"][2]["proof"]["proofs"][0]["response"]);
    assert_eq!(
        run(&b),
        [("V15".into(), format!("{two} selection selection6"))]
    );

    // A contest's range proof: V16.
    let mut b = original.clone();
    flip(&mut b["contests"][0]["proof"]["proofs"][1]["challenge"]);
    assert_eq!(run(&b), [("V16".into(), one.to_string())]);

    // A selection hash the voter did not select: V17 (the contest hash no longer holds).
    let mut b = original.clone();
    flip(&mut b["contests"][1]["pre_encryption"]["all_selection_hashes"][0]);
    assert_eq!(run(&b), [("V17".into(), two.to_string())]);

    // The confirmation code: V17.
    let mut b = original.clone();
    flip(&mut b["confirmation_code"]);
    assert_eq!(run(&b), [("V17".into(), "ballot ballot_id".to_string())]);

    // A selected vector's encryption: V17 (ψ), and V18 (the selections are not its product).
    let mut b = original.clone();
    let other = b["contests"][0]["pre_encryption"]["selected_vectors"][0]["encryptions"][1].clone();
    b["contests"][0]["pre_encryption"]["selected_vectors"][0]["encryptions"][0] = other;
    assert_eq!(
        run(&b),
        [
            ("V17".into(), format!("{one} vector B700A")),
            ("V18".into(), format!("{one} selected vectors"))
        ]
    );

    // A short code: V18.
    let mut b = original.clone();
    b["contests"][1]["pre_encryption"]["selected_vectors"][1]["short_code"] = Value::from("C13D3");
    assert_eq!(run(&b), [("V18".into(), format!("{two} vector C13D3"))]);

    // One of two selected vectors left out: V18 (the contest's selections are not the product
    // of L vectors), while the vector that remains still passes V17.
    let mut b = original.clone();
    b["contests"][1]["pre_encryption"]["selected_vectors"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert_eq!(run(&b), [("V18".into(), format!("{two} selected vectors"))]);

    // A second ballot with the same confirmation code: 17.D names it.
    let mut b = original.clone();
    b["ballot_id"] = Value::from("twin");
    let steps = verify_ballots(&e, &[ballot_of(&original), ballot_of(&b)]);
    assert_eq!(
        failed_items(&steps),
        [("V17".into(), "ballot twin code".to_string())]
    );

    // A vector encryption outside the group: V17 says so.
    let mut b = original.clone();
    b["contests"][0]["pre_encryption"]["selected_vectors"][0]["encryptions"][2]["pad"] =
        Value::from("00");
    let steps = verify_ballots(&e, &[ballot_of(&b)]);
    assert_eq!(steps[2].failures[0].reason, "an α or β is not in Z_p^r");
}

/// A pre-encrypted ballot in a record goes through V15–V18 in place of V5–V7: the workflow's
/// ballot id-1 published as a cast pre-encrypted ballot, each contest's selections as the one
/// vector selected among m + L = 6 (the other five hashes stand for vectors not published), its
/// codes recomputed. Its proofs count under V15 and V16, its hashes under V17, its short codes
/// and accumulation under V18, and a changed short code is named there. (The other ballots are
/// left out, so that the copy verifies fast: V8 fails, as it should.)
#[test]
fn a_pre_encrypted_ballot_in_a_record_is_verified_by_v15_to_v18() {
    let record = egk().join("workflow/allAvailableJson");
    let mut files = Files::read(&record).unwrap();
    let dir = "encrypted_ballots/runWorkflowAllAvailableJson";
    for n in 2..=11 {
        files.remove(&format!("{dir}/eballot-id-{n}.json")).unwrap();
    }
    let init = files.json("election_initialized.json").unwrap();
    let k = hex(&init["joint_public_key"]);
    let he = hex(&init["extended_base_hash"]);
    let manifest: Vec<ManifestContest> = Vec::new();
    let e = Election::new(standard_group(), &k, &he, &manifest);
    let file = format!("{dir}/eballot-id-1.json");
    let mut ballot = files.json(&file).unwrap();
    let mut chis = Vec::new();
    for c in ballot["contests"].as_array_mut().unwrap() {
        let vector: Vec<Value> = c["selections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["encrypted_vote"].clone())
            .collect();
        let encryptions: Vec<_> = vector
            .iter()
            .map(|v| {
                let (pad, data) = ciphertext(v);
                fairtally_electionguard::group::Ciphertext { pad, data }
            })
            .collect();
        let psi = selection_hash(&e, &encryptions);
        let mut hashes = vec![psi.clone()];
        for n in 0..5u32 {
            hashes.push(hash(&key(&psi), &[Part::U32(n)]));
        }
        hashes.sort_unstable();
        let chi = contest_hash(&e, c["contest_id"].as_str().unwrap(), &hashes);
        c["pre_encryption"] = serde_json::json!({
            "preencryption_hash": format!("{chi:064X}"),
            "all_selection_hashes": hashes.iter().map(|h| format!("{h:064X}")).collect::<Vec<_>>(),
            "selected_vectors": [{
                "selection_hash": format!("{psi:064X}"),
                "short_code": short_code(&psi),
                "encryptions": vector,
            }],
        });
        chis.push(chi);
    }
    let baux = hex_bytes(ballot["code_baux"].as_str().unwrap());
    let chi_refs: Vec<&BigUint> = chis.iter().collect();
    let code = confirmation_code(&e, &chi_refs, &baux);
    ballot["confirmation_code"] = Value::from(format!("{code:064X}"));
    ballot["is_preencrypt"] = Value::Bool(true);
    files.insert(&file, serde_json::to_vec(&ballot).unwrap());

    let report = verify_files(&files, None, Options::default()).unwrap();
    let counts = |id: &str| {
        let s = step(&report, id);
        (s.passed, s.failed)
    };
    // The ballot's 100 selections and 20 contests are proven under V15 and V16, not V5–V7.
    assert_eq!(counts("V5"), (0, 0));
    assert_eq!(counts("V6"), (0, 0));
    assert_eq!(counts("V7"), (0, 0));
    assert_eq!(
        counts("V15"),
        (100, 0),
        "{:?}",
        step(&report, "V15").failures
    );
    assert_eq!(counts("V16"), (20, 0));
    // V17: 20 vectors, 20 contest hashes, the code, its uniqueness; V18: 20 short codes, 20
    // contests' unique codes, 20 accumulations.
    assert_eq!(
        counts("V17"),
        (42, 0),
        "{:?}",
        step(&report, "V17").failures
    );
    assert_eq!(
        counts("V18"),
        (60, 0),
        "{:?}",
        step(&report, "V18").failures
    );
    assert_eq!(failed_steps(&report), ["V8"]);

    let vectors = &mut ballot["contests"][3]["pre_encryption"]["selected_vectors"][0];
    let code = vectors["short_code"].as_str().unwrap().to_string();
    let changed = if code.starts_with('A') { "B" } else { "A" };
    vectors["short_code"] = Value::from(format!("{changed}{}", &code[1..]));
    files.insert(&file, serde_json::to_vec(&ballot).unwrap());
    let report = verify_files(&files, None, Options::default()).unwrap();
    assert_eq!(failed_steps(&report), ["V8", "V18"]);
    assert_eq!(
        failures(&report, "V18"),
        [format!(
            "ballot id-1 contest contest4 vector {changed}{}",
            &code[1..]
        )]
    );
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}
