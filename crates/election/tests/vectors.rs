//! Known-answer vectors in `docs/vectors/`: a small complete election record and the hashes,
//! codes and challenges an independent verifier must recompute from it.
//!
//! `generate_vectors` (ignored; run it with `cargo test -p fairtally-election --release --test
//! vectors -- --ignored`) wrote them once. The normal tests check that our verifier accepts the
//! committed record and that the hashes and Fiat–Shamir challenges recomputed here, from the
//! byte layouts written in `docs/PROTOCOL.md` (not from the library's internals), equal the
//! committed ones.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use fairtally_crypto::encoding::{point_from_hex, scalar_from_hex};
use fairtally_crypto::hash::{Digest, hash_parts};
use fairtally_crypto::transcript::Transcript;
use fairtally_crypto::{RistrettoPoint, Scalar};
use fairtally_election::ballot::{BallotEntry, contest_binding, selection_binding, signed_message};
use fairtally_election::context::ElectionContext;
use fairtally_election::guardian::{GuardianPublic, coefficient_binding};
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::progress::Silent;
use fairtally_election::record::{JsonLinesReader, files, read_json};
use fairtally_election::simulation::VotingPlan;
use fairtally_election::tally::{DecryptionShare, EncryptedTally, decryption_binding};
use fairtally_election::verifier::{Pins, verify_record};
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/vectors")
}

fn record_dir() -> PathBuf {
    vectors_dir().join("record")
}

/// Hash vectors: (domain, parts as UTF-8) → digest.
fn hash_cases() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("fairtally/test", vec![]),
        ("fairtally/test", vec![""]),
        ("fairtally/test", vec!["ab", "c"]),
        ("fairtally/test", vec!["a", "bc"]),
    ]
}

/// The documented challenge of a disjunctive proof (zero-one or range).
fn disjunctive_challenge(
    domain: &'static str,
    context: &Digest,
    binding: &[u8],
    (min, max): (u64, u64),
    [key, pad, data]: [&RistrettoPoint; 3],
    commitments: &[RistrettoPoint],
) -> Scalar {
    let mut t = Transcript::new(domain, context);
    t.append_bytes("binding", binding);
    t.append_u64("min", min);
    t.append_u64("max", max);
    t.append_point("key", key);
    t.append_point("pad", pad);
    t.append_point("data", data);
    for c in commitments {
        t.append_point("commitment", c);
    }
    t.challenge_scalar("challenge")
}

fn points(v: &Value) -> Vec<RistrettoPoint> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| point_from_hex(p.as_str().unwrap()).unwrap())
        .collect()
}

fn scalars(v: &Value) -> Vec<Scalar> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| scalar_from_hex(p.as_str().unwrap()).unwrap())
        .collect()
}

fn point(v: &Value) -> RistrettoPoint {
    point_from_hex(v.as_str().unwrap()).unwrap()
}

/// Recompute, from the record and the documented layouts, every value `expected.json` lists.
fn recompute(record: &Path) -> Value {
    let manifest: Manifest = read_json(&record.join(files::MANIFEST)).unwrap();
    let parameters: ElectionParameters = read_json(&record.join(files::PARAMETERS)).unwrap();
    let guardians: Vec<GuardianPublic> = JsonLinesReader::open(&record.join(files::GUARDIANS))
        .unwrap()
        .read_all()
        .unwrap();
    let credential_lines = std::fs::read_to_string(record.join(files::CREDENTIALS)).unwrap();
    let mut keys = Vec::new();
    for line in credential_lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        keys.extend(hex::decode(v["key"].as_str().unwrap()).unwrap());
    }
    let count = (keys.len() / 32) as u64;

    // Hashes, from the canonical bytes (compact JSON) and the documented framing.
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    let parameters_bytes = serde_json::to_vec(&parameters).unwrap();
    let ceremony = hash_parts(
        "fairtally/ceremony-context/v2",
        &[&manifest_bytes, &parameters_bytes],
    );
    let guardian_bytes: Vec<Vec<u8>> = guardians
        .iter()
        .map(|g| serde_json::to_vec(g).unwrap())
        .collect();
    let guardians_hash = hash_parts(
        "fairtally/guardians/v1",
        &guardian_bytes.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    );
    let credentials_hash = hash_parts(
        "fairtally/credential-list/v1",
        &[&count.to_le_bytes(), &keys],
    );
    let joint_key: RistrettoPoint = guardians.iter().map(|g| g.commitments[0]).sum();
    let base_hash = hash_parts(
        "fairtally/base-hash/v1",
        &[
            &ceremony.0,
            &guardians_hash.0,
            &credentials_hash.0,
            &count.to_le_bytes(),
            joint_key.compress().as_bytes(),
        ],
    );

    // Schnorr challenge of guardian 1's first coefficient, and its equation.
    let g1 = serde_json::to_value(&guardians[0]).unwrap();
    let proof = &g1["commitment_proofs"][0];
    let mut t = Transcript::new("fairtally/proof/schnorr/v1", &ceremony);
    t.append_bytes("binding", &coefficient_binding(1, 0));
    t.append_point("public", &guardians[0].commitments[0]);
    t.append_point("commitment", &point(&proof["commitment"]));
    let schnorr_c = t.challenge_scalar("challenge");
    let u = scalar_from_hex(proof["response"].as_str().unwrap()).unwrap();
    assert_eq!(
        RISTRETTO_BASEPOINT_POINT * u,
        point(&proof["commitment"]) + guardians[0].commitments[0] * schnorr_c
    );

    // Signature challenge of the first share message (guardian 1 to guardian 2), from the
    // documented binding, and its equation against guardian 1's transport key.
    let shares = std::fs::read_to_string(record.join(files::CEREMONY_SHARES)).unwrap();
    let message: Value = serde_json::from_str(shares.lines().next().unwrap()).unwrap();
    assert_eq!((&message["from"], &message["to"]), (&json!(1), &json!(2)));
    let mut binding = b"share-message".to_vec();
    binding.extend_from_slice(&1u32.to_be_bytes());
    binding.extend_from_slice(&2u32.to_be_bytes());
    binding.extend_from_slice(
        point(&message["encrypted"]["ephemeral"])
            .compress()
            .as_bytes(),
    );
    binding.extend_from_slice(
        &hex::decode(message["encrypted"]["ciphertext"].as_str().unwrap()).unwrap(),
    );
    let signature = &message["signature"];
    let mut t = Transcript::new("fairtally/proof/schnorr/v1", &ceremony);
    t.append_bytes("binding", &binding);
    t.append_point("public", &guardians[0].transport_key);
    t.append_point("commitment", &point(&signature["commitment"]));
    let share_c = t.challenge_scalar("challenge");
    let u = scalar_from_hex(signature["response"].as_str().unwrap()).unwrap();
    assert_eq!(
        RISTRETTO_BASEPOINT_POINT * u,
        point(&signature["commitment"]) + guardians[0].transport_key * share_c
    );

    // Ballots: hash, code, signed message; challenges of the first ballot's proofs.
    let mut ballots = Vec::new();
    let lines = std::fs::read_to_string(record.join(files::BALLOTS)).unwrap();
    let mut first_challenges = Value::Null;
    for (i, line) in lines.lines().enumerate() {
        let entry: BallotEntry = serde_json::from_str(line).unwrap();
        let body = serde_json::to_vec(&entry.ballot).unwrap();
        let hash = hash_parts("fairtally/ballot/v1", &[&body]);
        let intent = if entry.opening.is_some() {
            "challenge"
        } else {
            "cast"
        };
        let message = hash_parts(
            "fairtally/ballot-signature/v1",
            &[&hash.0, intent.as_bytes()],
        );
        assert_eq!(message, signed_message(&hash, entry.intent));
        ballots.push(json!({ "line": i + 1, "hash": hash.to_hex(), "code": entry.ballot.code().to_string(), "signed_message": message.to_hex() }));
        if i == 0 {
            let v: Value = serde_json::from_str(line).unwrap();
            let key = &entry.ballot.credential;
            let c0 = &v["ballot"]["contests"][0];
            let s0 = &c0["selections"][0];
            let binding = selection_binding(
                key,
                c0["contest"].as_str().unwrap(),
                s0["option"].as_str().unwrap(),
            );
            let zero_one = disjunctive_challenge(
                "fairtally/proof/zero-one/v1",
                &base_hash,
                &binding,
                (0, 1),
                [
                    &joint_key,
                    &point(&s0["ciphertext"]["pad"]),
                    &point(&s0["ciphertext"]["data"]),
                ],
                &points(&s0["proof"]["commitments"]),
            );
            assert_eq!(
                zero_one,
                scalars(&s0["proof"]["challenges"]).iter().sum::<Scalar>(),
                "zero-one challenge layout"
            );
            let c1 = &v["ballot"]["contests"][1];
            let (pad, data): (RistrettoPoint, RistrettoPoint) =
                c1["selections"].as_array().unwrap().iter().fold(
                    (RistrettoPoint::default(), RistrettoPoint::default()),
                    |(p, d), s| {
                        (
                            p + point(&s["ciphertext"]["pad"]),
                            d + point(&s["ciphertext"]["data"]),
                        )
                    },
                );
            let binding = contest_binding(key, c1["contest"].as_str().unwrap());
            let (min, max) = (
                u64::from(manifest.contests[1].min_selections),
                u64::from(manifest.contests[1].max_selections),
            );
            let range = disjunctive_challenge(
                "fairtally/proof/range/v1",
                &base_hash,
                &binding,
                (min, max),
                [&joint_key, &pad, &data],
                &points(&c1["range_proof"]["commitments"]),
            );
            assert_eq!(
                range,
                scalars(&c1["range_proof"]["challenges"])
                    .iter()
                    .sum::<Scalar>(),
                "range challenge layout"
            );
            first_challenges = json!({ "zero_one": hex::encode(zero_one.as_bytes()), "range": hex::encode(range.as_bytes()) });
        }
    }

    // Decryption proof of the first share's first option.
    let tally: EncryptedTally = read_json(&record.join(files::ENCRYPTED_TALLY)).unwrap();
    let shares: Vec<DecryptionShare> =
        JsonLinesReader::open(&record.join(files::DECRYPTION_SHARES))
            .unwrap()
            .read_all()
            .unwrap();
    let share = &shares[0];
    let public_share: RistrettoPoint = guardians
        .iter()
        .map(|g| {
            let x = Scalar::from(share.guardian);
            let mut power = Scalar::ONE;
            let mut acc = RistrettoPoint::default();
            for c in &g.commitments {
                acc += c * power;
                power *= x;
            }
            acc
        })
        .sum();
    let part = &share.contests[0].options[0];
    let proof = serde_json::to_value(&part.proof).unwrap();
    let pad = tally.contests[0].options[0].ciphertext.pad;
    let mut t = Transcript::new("fairtally/proof/decryption/v1", &base_hash);
    t.append_bytes(
        "binding",
        &decryption_binding(share.guardian, &share.contests[0].contest, &part.option),
    );
    t.append_point("public-share", &public_share);
    t.append_point("pad", &pad);
    t.append_point("partial", &part.partial);
    t.append_point("commitment-base", &point(&proof["commitment_base"]));
    t.append_point("commitment-pad", &point(&proof["commitment_pad"]));
    let decryption_c = t.challenge_scalar("challenge");
    let v = scalar_from_hex(proof["response"].as_str().unwrap()).unwrap();
    assert_eq!(
        RISTRETTO_BASEPOINT_POINT * v,
        point(&proof["commitment_base"]) + public_share * decryption_c
    );
    assert_eq!(
        pad * v,
        point(&proof["commitment_pad"]) + part.partial * decryption_c
    );

    let hashes: Vec<Value> = hash_cases()
        .into_iter()
        .map(|(domain, parts)| {
            let bytes: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
            json!({ "domain": domain, "parts_utf8": parts, "digest": hash_parts(domain, &bytes).to_hex() })
        })
        .collect();

    json!({
        "hash_parts": hashes,
        "ceremony_context": ceremony.to_hex(),
        "guardians_hash": guardians_hash.to_hex(),
        "credentials_hash": credentials_hash.to_hex(),
        "joint_key": hex::encode(joint_key.compress().as_bytes()),
        "base_hash": base_hash.to_hex(),
        "schnorr_challenge_guardian_1_coefficient_0": hex::encode(schnorr_c.as_bytes()),
        "signature_challenge_share_1_to_2": hex::encode(share_c.as_bytes()),
        "ballots": ballots,
        "first_ballot_challenges": first_challenges,
        "decryption_challenge_first_share_first_option": hex::encode(decryption_c.as_bytes()),
        "result": serde_json::to_value(read_json::<Value>(&record.join(files::RESULT)).unwrap()).unwrap(),
    })
}

#[test]
#[ignore = "writes docs/vectors; run once by hand"]
fn generate_vectors() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = VotingPlan {
        turnout_percent: 100.0,
        challenge_percent: 50.0,
        revote_percent: 50.0,
    };
    let (outcome, _) = support::posted_demo(tmp.path(), 4, (3, 2, 1), plan);
    let record = record_dir();
    let _ = std::fs::remove_dir_all(&record);
    fairtally_board::mirror::copy_mirror(&outcome.record, &record).unwrap();
    let expected = recompute(&record);
    std::fs::write(
        vectors_dir().join("expected.json"),
        serde_json::to_string_pretty(&expected).unwrap() + "\n",
    )
    .unwrap();
}

#[test]
fn the_committed_record_verifies_with_the_committed_result() {
    let report = verify_record(&record_dir(), &Pins::default(), &Silent).unwrap();
    assert!(report.is_valid(), "{:#?}", report.failures);
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors_dir().join("expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(report.result.unwrap()).unwrap(),
        expected["result"]
    );
}

#[test]
fn hashes_codes_and_challenges_recompute_from_the_documented_layouts() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors_dir().join("expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(recompute(&record_dir()), expected);
    let context: ElectionContext = read_json(&record_dir().join(files::CONTEXT)).unwrap();
    assert_eq!(
        context.base_hash.to_hex(),
        expected["base_hash"].as_str().unwrap()
    );
}
