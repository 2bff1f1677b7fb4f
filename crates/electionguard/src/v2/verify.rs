//! The verification steps of the ElectionGuard 2.0 specification (§6.2) over an
//! electionguard-kotlin-multiplatform record, numbered as 2.0 numbers them, or as 2.1 does for
//! a record in egk-ec's 2.1 layout: each [`Check`] is reported under the step [`CHECKS`] gives
//! it in the record's specification.
//!
//! Every check uses public data only; see [`crate::group`] on variable-time arithmetic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use num_bigint::BigUint;
use rayon::prelude::*;

use crate::constants::Standard;
use crate::curve::{self, P256, Point};
use crate::group::{Ciphertext, Group};
use crate::manifest::ManifestContest;
use crate::parameters::{self, Options};
use crate::report::{ContestResult, Report, Step, Steps, Tally};
use crate::v2::hash::{Part, hash, key};
use crate::v2::preencryption;
use crate::v2::record::{Ballot, Constants, Decryption, RangeProof, Record, Spec};

/// The verification steps of the 2.0 specification, by number and name.
pub const STEPS: [(&str, &str); 18] = [
    ("V1", "Parameter validation"),
    ("V2", "Guardian public-key validation"),
    ("V3", "Election public-key validation"),
    ("V4", "Extended base hash validation"),
    ("V5", "Well-formedness of selection encryptions"),
    ("V6", "Adherence to vote limits"),
    ("V7", "Validation of confirmation codes"),
    ("V8", "Correctness of ballot aggregation"),
    ("V9", "Correctness of tally decryptions"),
    ("V10", "Validation of correct decryption of tallies"),
    ("V11", "Correctness of decryptions of contest data"),
    ("V12", "Correctness of decryptions for challenged ballots"),
    (
        "V13",
        "Validation of correct decryption of challenged ballots",
    ),
    (
        "V14",
        "Correctness of contest data decryptions for challenged ballots",
    ),
    (
        "V15",
        "Well-formedness of selection encryptions in pre-encrypted ballots",
    ),
    ("V16", "Adherence to vote limits in pre-encrypted ballots"),
    (
        "V17",
        "Validation of confirmation codes in pre-encrypted ballots",
    ),
    ("V18", "Validation of short codes in pre-encrypted ballots"),
];

/// The verification steps of the 2.1 specification (§6.2 of 2.1), by number and name.
pub const STEPS_2_1: [(&str, &str); 19] = [
    ("V1", "Parameter validation"),
    ("V2", "Guardian public-key validation"),
    ("V3", "Election public-key validation"),
    ("V4", "Extended base hash validation"),
    ("V5", "Uniqueness of selection encryption identifiers"),
    ("V6", "Well-formedness of selection encryptions"),
    ("V7", "Adherence to vote limits"),
    ("V8", "Validation of confirmation codes"),
    ("V9", "Correctness of ballot aggregation"),
    ("V10", "Correctness of tally decryptions"),
    ("V11", "Validation of contents of tallies"),
    ("V12", "Correctness of decryptions of contest data"),
    ("V13", "Correctness of decryptions for challenged ballots"),
    (
        "V14",
        "Validation of well-formedness and content of challenged ballots",
    ),
    (
        "V15",
        "Validation of correct accumulation of selection vectors",
    ),
    (
        "V16",
        "Validation of confirmation codes in pre-encrypted ballots",
    ),
    ("V17", "Validation of short codes in pre-encrypted ballots"),
    (
        "V18",
        "Correctness of encryptions for uncast pre-encrypted ballots",
    ),
    (
        "V19",
        "Validation of content of uncast pre-encrypted ballots",
    ),
];

/// What the verifier checks, finer than either specification's steps: 2.0 and 2.1 group the
/// same checks into different steps ([`CHECKS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The constants, the version and the base hashes.
    Parameters,
    /// The guardians' Schnorr proofs.
    GuardianKeys,
    /// K = ∏ K_i.
    ElectionKey,
    /// H_E.
    ExtendedBaseHash,
    /// The selections' range proofs (of ballots not pre-encrypted).
    Selections,
    /// The contests' range proofs (of ballots not pre-encrypted).
    VoteLimits,
    /// Contest hashes, confirmation codes, their uniqueness and chains.
    Codes,
    /// The encrypted tally is the product of the cast ballots.
    Aggregation,
    /// The tally's decryption proofs.
    TallyProofs,
    /// The tally's values T = K^t.
    TallyValues,
    /// The tally's contests and options are the manifest's.
    TallyLabels,
    /// The tally's decrypted contest data.
    TallyContestData,
    /// The challenged ballots' decryption proofs.
    ChallengedProofs,
    /// The challenged ballots' values (T = K^t, within the limit) and their presence.
    ChallengedValues,
    /// The challenged ballots' decrypted contest data.
    ChallengedContestData,
    /// A pre-encrypted ballot's selections' range proofs.
    PreSelections,
    /// A pre-encrypted ballot's contests' range proofs.
    PreLimits,
    /// A pre-encrypted ballot's selection, contest and ballot hashes and unique codes.
    PreCodes,
    /// A pre-encrypted ballot's short codes.
    PreShortCodes,
    /// A cast pre-encrypted ballot's selections are the product of the vectors selected.
    PreAccumulation,
    /// An uncast pre-encrypted ballot's vectors are those its primary nonce gives.
    PreUncast,
}

/// Each check with the step that reports it in 2.0 and in 2.1 (step numbers, 1-based).
pub const CHECKS: [(Check, usize, usize); 21] = [
    (Check::Parameters, 1, 1),
    (Check::GuardianKeys, 2, 2),
    (Check::ElectionKey, 3, 3),
    (Check::ExtendedBaseHash, 4, 4),
    (Check::Selections, 5, 6),
    (Check::VoteLimits, 6, 7),
    (Check::Codes, 7, 8),
    (Check::Aggregation, 8, 9),
    (Check::TallyProofs, 9, 10),
    (Check::TallyValues, 10, 10),
    (Check::TallyLabels, 10, 11),
    (Check::TallyContestData, 11, 12),
    (Check::ChallengedProofs, 12, 13),
    (Check::ChallengedValues, 13, 14),
    (Check::ChallengedContestData, 14, 13),
    (Check::PreSelections, 15, 6),
    (Check::PreLimits, 16, 7),
    (Check::PreCodes, 17, 16),
    (Check::PreShortCodes, 18, 17),
    (Check::PreAccumulation, 18, 15),
    (Check::PreUncast, 17, 18),
];

/// The names of `spec`'s steps.
fn names(spec: Spec) -> &'static [(&'static str, &'static str)] {
    match spec {
        Spec::V2_0 => &STEPS,
        Spec::V2_1 => &STEPS_2_1,
    }
}

/// The number of the step that reports `check` in `spec` (1-based).
fn number(spec: Spec, check: Check) -> usize {
    CHECKS
        .iter()
        .find(|(c, _, _)| *c == check)
        .map_or(0, |(_, v20, v21)| match spec {
            Spec::V2_0 => *v20,
            Spec::V2_1 => *v21,
        })
}

/// The id of the step that reports `check` in `spec` (e.g. "V13"), for notes.
pub fn step_id(spec: Spec, check: Check) -> &'static str {
    names(spec)
        .get(number(spec, check).wrapping_sub(1))
        .map_or("V?", |(id, _)| id)
}

/// The ids of `spec`'s steps that check pre-encrypted ballots alone.
fn preencryption_steps(spec: Spec) -> Vec<&'static str> {
    let pre = |c: &Check| {
        matches!(
            c,
            Check::PreSelections
                | Check::PreLimits
                | Check::PreCodes
                | Check::PreShortCodes
                | Check::PreAccumulation
                | Check::PreUncast
        )
    };
    (1..=names(spec).len())
        .filter(|n| {
            let mut checks = CHECKS
                .iter()
                .map(|(c, _, _)| c)
                .filter(|c| number(spec, **c) == *n)
                .peekable();
            checks.peek().is_some() && checks.all(pre)
        })
        .filter_map(|n| names(spec).get(n - 1).map(|(id, _)| *id))
        .collect()
}

/// The tally of one check while verifying.
pub(crate) fn slot(steps: &mut Steps, check: Check) -> &mut Tally {
    steps.at(check as usize + 1)
}

/// The checks' tallies gathered into `spec`'s steps, in its order and with its names.
pub(crate) fn finish(mut steps: Steps, spec: Spec) -> Vec<Step> {
    let names = names(spec);
    let mut out = vec![Tally::default(); names.len()];
    for (check, _, _) in CHECKS {
        let tally = std::mem::take(slot(&mut steps, check));
        if let Some(step) = out.get_mut(number(spec, check).wrapping_sub(1)) {
            step.merge(tally);
        }
    }
    out.into_iter()
        .zip(names)
        .map(|(t, (id, name))| t.step(id, name))
        .collect()
}

/// The public values every ballot check needs: the group, K with its fixed-base table, H_E
/// and the manifest's contests. Built from a record, or from a test vector's election.
pub struct Election<'a, G: Group> {
    /// The group.
    pub group: G,
    /// K.
    pub public_key: &'a G::Element,
    /// K's fixed-base table.
    pub key_table: G::Table,
    /// H_E, as the key of the hashes.
    pub he: [u8; 32],
    /// The manifest's contests.
    pub manifest: &'a [ManifestContest],
}

impl<'a, G: Group> Election<'a, G> {
    /// The election with key K = `public_key` and H_E = `extended_base_hash`.
    pub fn new(
        group: G,
        public_key: &'a G::Element,
        extended_base_hash: &BigUint,
        manifest: &'a [ManifestContest],
    ) -> Election<'a, G> {
        let key_table = group.fixed_base(public_key);
        Election {
            group,
            public_key,
            key_table,
            he: key(extended_base_hash),
            manifest,
        }
    }
}

struct Context<'a, G: Group> {
    record: &'a Record<G::Element>,
    e: Election<'a, G>,
}

/// What V1 found of the group, before the steps that compute in it.
struct Parameters {
    /// V1's items so far (the constants).
    v1: Tally,
    /// A note on the group (a test group accepted), if any.
    note: Option<String>,
    /// The protocol version the record must state.
    version: &'static str,
    /// H_P recomputed from the constants, and how.
    hp: BigUint,
    hp_formula: &'static str,
    /// The group as named in the report's format ("" for the integer group).
    group_name: &'static str,
}

/// Verify a 2.0 record in the integer group: every step, then the result from the verified
/// tally.
pub fn verify(record: &Record<BigUint>, options: Options) -> Report {
    let none = BigUint::ZERO;
    let (p, q, r, g) = match &record.constants {
        Constants::Integer { p, q, r, g } => (p, q, r, g),
        Constants::Curve { .. } => (&none, &none, &none, &none),
    };
    let (mut v1, note, group) = parameters::checked_group(Standard::V2, (p, q, r, g), options);
    if matches!(record.constants, Constants::Curve { .. }) {
        v1.fail(
            "constants".into(),
            "an integer-group record states the constants of a curve".into(),
        );
    }
    let mut ver = [0u8; 32];
    ver[..6].copy_from_slice(b"v2.0.0");
    let hp = hash(&ver, &[Part::Tag(0), Part::P(p), Part::Q(q), Part::P(g)]);
    let parameters = Parameters {
        v1,
        note,
        version: "v2.0.0",
        hp,
        hp_formula: "H(ver; 0x00, p, q, g)",
        group_name: "",
    };
    verify_in(record, group, parameters)
}

/// Verify an egk-ec record on P-256: V1 compares its constants with P-256's and recomputes
/// egk-ec's H_P = H("v2.1.0"; 0x00, a, b, p, g.x, g.y, h) (32 bytes each: egk-ec's
/// generalisation of §3.1.2, which names no curve); the other steps are those of the integer
/// group, computed on the curve.
pub fn verify_p256(record: &Record<Point>) -> Report {
    let mut v1 = Tally::default();
    let mut hp = BigUint::ZERO;
    match &record.constants {
        Constants::Curve { name, values } => {
            for ((key, value), (expected_key, expected)) in values.iter().zip(curve::CONSTANTS) {
                let ok = key == expected_key
                    && BigUint::parse_bytes(expected.as_bytes(), 16).as_ref() == Some(value);
                v1.item(
                    || format!("constants {key}"),
                    (!ok).then(|| format!("is not P-256's {expected_key}")),
                );
            }
            v1.item(
                || "constants name".into(),
                (name != "P-256").then(|| format!("the curve is named {name}, not P-256")),
            );
            let mut ver = [0u8; 32];
            ver[..6].copy_from_slice(b"v2.1.0");
            let parts: Vec<Part> = std::iter::once(Part::Tag(0))
                .chain(values.iter().map(|(_, v)| Part::Q(v)))
                .collect();
            // egk-ec leaves out the order n (the fourth constant).
            let parts: Vec<Part> = parts
                .into_iter()
                .enumerate()
                .filter(|(i, _)| *i != 4)
                .map(|(_, p)| p)
                .collect();
            hp = hash(&ver, &parts);
        }
        Constants::Integer { .. } => v1.fail(
            "constants".into(),
            "a P-256 record states the constants of an integer group".into(),
        ),
    }
    let parameters = Parameters {
        v1,
        note: None,
        version: "v2.1.0",
        hp,
        hp_formula: "H(\"v2.1.0\"; 0x00, a, b, p, g.x, g.y, h)",
        group_name: " on P-256",
    };
    verify_in(record, P256::new(), parameters)
}

/// Every step in `group`, after V1's look at the constants.
fn verify_in<G: Group>(record: &Record<G::Element>, group: G, parameters: Parameters) -> Report {
    let mut steps = Steps::default();
    let mut notes = Vec::new();
    *slot(&mut steps, Check::Parameters) = parameters.v1;
    notes.extend(parameters.note);
    let cx = Context {
        record,
        e: Election::new(
            group,
            &record.public_key,
            &record.extended_base_hash,
            &record.manifest,
        ),
    };

    base_hashes(
        &cx,
        slot(&mut steps, Check::Parameters),
        &mut notes,
        (parameters.version, &parameters.hp, parameters.hp_formula),
    );
    guardians(&cx, slot(&mut steps, Check::GuardianKeys));
    election_key(&cx, slot(&mut steps, Check::ElectionKey));
    let r = record;
    let he = hash(
        &key(&r.base_hash),
        &[
            Part::Tag(0x12),
            Part::Element(cx.e.group.encode(&r.public_key)),
        ],
    );
    slot(&mut steps, Check::ExtendedBaseHash).item(
        || "extended_base_hash".into(),
        (he != r.extended_base_hash).then(|| "H_E ≠ H(H_B; 0x12, K)".into()),
    );

    let ballots = r
        .ballots
        .par_iter()
        .map(|b| ballot(&cx.e, b))
        .reduce(Steps::default, Steps::merge);
    steps = steps.merge(ballots);
    unique_codes(&r.ballots, &mut steps);
    if r.chained {
        chains(&cx, slot(&mut steps, Check::Codes));
    }
    aggregation(&cx, slot(&mut steps, Check::Aggregation));
    let tally_messages: HashMap<(&str, &str), &Ciphertext<G::Element>> = r
        .encrypted_tally
        .iter()
        .flat_map(|(c, sels)| {
            sels.iter()
                .map(move |(s, ct)| ((c.as_str(), s.as_str()), ct))
        })
        .collect();
    let (v9, v10) = decryption(&cx, &r.tally, &tally_messages, "tally", None);
    slot(&mut steps, Check::TallyProofs).merge(v9);
    slot(&mut steps, Check::TallyValues).merge(v10);
    labels(&cx, slot(&mut steps, Check::TallyLabels));
    challenged(&cx, &mut steps);
    let id = |check| step_id(r.spec, check);
    if r.challenged.iter().all(|d| d.contest_data.is_empty()) {
        notes.push(format!(
            "{}: no challenged ballot publishes decrypted contest data, so it has no items of contest data",
            id(Check::ChallengedContestData)
        ));
    }
    notes.push(format!(
        "{}: the record publishes no decrypted contest data for the tally, so it has no items",
        id(Check::TallyContestData)
    ));
    if !r.ballots.iter().any(|b| b.preencrypted) {
        notes.push(format!(
            "no ballot is pre-encrypted, so {} have no items",
            preencryption_steps(r.spec).join(", ")
        ));
    }
    if r.spec == Spec::V2_1 {
        notes.push(
            "numbered as the 2.1 specification numbers its steps; the checks are those of the 2.0 equations the record follows (docs/ELECTIONGUARD.md)".into(),
        );
        notes.push("V5: the ballots carry no selection encryption identifiers (2.1's id_B), so V5 has no items".into());
        notes.push("V19: the labels of an uncast pre-encrypted ballot are checked by V18 (its contests must be the manifest's), so V19 has no items of its own".into());
    }

    let cast = r.ballots.iter().filter(|b| b.state == "CAST").count() as u64;
    let exponentiations = cx.e.group.exponentiations();
    Report {
        format: format!(
            "ElectionGuard {}{} ({})",
            r.version, parameters.group_name, r.layout
        ),
        steps: finish(steps, r.spec),
        notes,
        contests: result(r),
        exponentiations,
        cast_ballots: cast,
        spoiled_ballots: r.ballots.len() as u64 - cast,
    }
}

/// V1.A, V1.F–H: the version and the base hashes.
fn base_hashes<G: Group>(
    cx: &Context<G>,
    tally: &mut Tally,
    notes: &mut Vec<String>,
    (version, hp, hp_formula): (&str, &BigUint, &str),
) {
    let r = cx.record;
    tally.item(
        || "config_version".into(),
        (r.version != version)
            .then(|| format!("is {}, this verifier implements {version} here", r.version)),
    );
    tally.item(
        || "parameter_base_hash".into(),
        (hp != &r.parameter_base_hash).then(|| format!("H_P ≠ {hp_formula}")),
    );
    let hm = hash(&key(hp), &[Part::Tag(1), Part::Bytes(&r.manifest_bytes)]);
    if hm != r.manifest_hash {
        // egk hashes its own serialisation of the manifest, not the file it publishes
        // (docs/ELECTIONGUARD.md): 1.G cannot be reproduced from the record's bytes.
        notes.push("V1 (1.G): H_M is not H(H_P; 0x01, manifest.json as published); the record's own value is used for H_B".into());
    }
    let (n, k) = (r.guardians_count, r.quorum);
    let hb = match (u32::try_from(n), u32::try_from(k)) {
        (Ok(n), Ok(k)) => hash(
            &key(hp),
            &[
                Part::Tag(2),
                Part::Q(&r.manifest_hash),
                Part::U32(n),
                Part::U32(k),
            ],
        ),
        _ => BigUint::ZERO,
    };
    tally.item(
        || "election_base_hash".into(),
        (hb != r.base_hash).then(|| "H_B ≠ H(H_P; 0x02, H_M, n, k)".into()),
    );
}

/// V2: every coefficient's Schnorr proof, h = g^v K^c recomputed.
fn guardians<G: Group>(cx: &Context<G>, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.e.group;
    let hp = key(&r.parameter_base_hash);
    let xs: BTreeSet<u32> = r.guardians.iter().map(|x| x.x).collect();
    tally.item(
        || "guardians".into(),
        (r.guardians.len() as u64 != r.guardians_count
            || xs.len() != r.guardians.len()
            || xs.contains(&0))
        .then(|| {
            format!(
                "{} guardians with x-coordinates {xs:?} for n = {}",
                r.guardians.len(),
                r.guardians_count
            )
        }),
    );
    let out: Vec<(String, Option<String>)> = r
        .guardians
        .par_iter()
        .flat_map_iter(|guardian| {
            let count = (guardian.proofs.len() as u64 != r.quorum).then(|| {
                format!(
                    "has {} coefficient proofs for a quorum of {}",
                    guardian.proofs.len(),
                    r.quorum
                )
            });
            let mut out = vec![(format!("guardian {}", guardian.id), count)];
            for (j, (kij, c, v)) in guardian.proofs.iter().enumerate() {
                let reason = if !g.is_element(kij) {
                    Some("K_ij is not in Z_p^r".to_string())
                } else if !g.is_scalar(v) {
                    Some("v_ij is not in Z_q".into())
                } else {
                    let h = g.multi_pow(&[(g.generator(), v), (kij, c)]);
                    let expected = hash(
                        &hp,
                        &[
                            Part::Tag(0x10),
                            Part::U32(guardian.x),
                            Part::U32(j as u32),
                            Part::Element(g.encode(kij)),
                            Part::Element(g.encode(&h)),
                        ],
                    );
                    (&expected != c)
                        .then(|| "c_ij ≠ H(H_P; 0x10, i, j, K_ij, g^v_ij · K_ij^c_ij)".into())
                };
                out.push((format!("guardian {} coefficient {j}", guardian.id), reason));
            }
            out
        })
        .collect();
    for (item, reason) in out {
        tally.item(|| item, reason);
    }
}

/// V3: K = ∏ K_i with every K_i (and K) in Z_p^r and not 1.
fn election_key<G: Group>(cx: &Context<G>, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.e.group;
    let mut product = g.one();
    for guardian in &r.guardians {
        let ki = guardian.proofs.first().map(|(k, _, _)| k);
        let ok = ki.is_some_and(|k| *k != g.one() && g.is_element(k));
        tally.item(
            || format!("guardian {} key", guardian.id),
            (!ok).then(|| "K_i is not in Z_p^r or is 1".into()),
        );
        if let Some(k) = ki {
            product = g.mul(&product, k);
        }
    }
    let ok = product == r.public_key && product != g.one();
    tally.item(
        || "joint_public_key".into(),
        (!ok).then(|| "K ≠ ∏ K_i, or K = 1".into()),
    );
}

/// The commitments of a range proof of 0..limit for (α, β), and whether its challenge holds.
fn range_reason<G: Group>(
    e: &Election<G>,
    ct: &Ciphertext<G::Element>,
    proof: &RangeProof,
    limit: u64,
) -> Option<String> {
    let g = &e.group;
    let (alpha, beta) = (&ct.pad, &ct.data);
    if proof.parts.len() as u64 != limit + 1 {
        return Some(format!(
            "the proof has {} parts for a limit of {limit}",
            proof.parts.len()
        ));
    }
    let two256 = BigUint::from(1u32) << 256u32;
    if !proof
        .parts
        .iter()
        .all(|(c, v)| c < &two256 && g.is_scalar(v))
    {
        return Some("a challenge is not below 2^256 or a response not in Z_q".into());
    }
    let mut commitments = Vec::with_capacity(2 * proof.parts.len());
    let mut sum = BigUint::ZERO;
    for (j, (c, v)) in proof.parts.iter().enumerate() {
        // a_j = g^v_j · α^c_j, b_j = K^w_j · β^c_j with w_j = v_j − j·c_j mod q.
        let jc = g.reduce(&(BigUint::from(j as u64) * c));
        let w = g.reduce(&(v + g.order() - jc));
        let a = g.mul(&g.g_pow(v), &g.pow(alpha, c));
        let b = g.mul(&g.fixed_pow(&e.key_table, &w), &g.pow(beta, c));
        commitments.push(a);
        commitments.push(b);
        sum += c;
    }
    let mut parts = vec![
        Part::Tag(0x21),
        Part::Element(g.encode(e.public_key)),
        Part::Element(g.encode(alpha)),
        Part::Element(g.encode(beta)),
    ];
    parts.extend(commitments.iter().map(|x| Part::Element(g.encode(x))));
    let c = hash(&e.he, &parts);
    (g.reduce(&c) != g.reduce(&sum))
        .then(|| "c ≠ H(H_E; 0x21, K, α, β, a_0, b_0, ...) or c ≠ Σ c_j mod q".into())
}

/// V5, V6 and V7.A–B for one ballot; for a pre-encrypted ballot, V15 and V16 (V5's and V6's
/// proofs, on cast ballots: an uncast one is opened by its primary nonce) and V17.A–C and V18
/// in place of V7 ([`preencryption::ballot`]).
pub(crate) fn ballot<G: Group>(e: &Election<G>, ballot: &Ballot<G::Element>) -> Steps {
    let mut steps = Steps::default();
    if ballot.preencrypted && ballot.state != "CAST" {
        return preencryption::ballot(e, ballot);
    }
    let g = &e.group;
    let (selections, limits) = if ballot.preencrypted {
        (Check::PreSelections, Check::PreLimits)
    } else {
        (Check::Selections, Check::VoteLimits)
    };
    let manifest: HashMap<&str, &ManifestContest> =
        e.manifest.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut contest_hashes = Vec::new();
    for contest in &ballot.contests {
        let name = format!("ballot {} contest {}", ballot.id, contest.id);
        let m = manifest.get(contest.id.as_str()).copied();
        let option_limit = m.map_or(1, |m| m.option_limit);
        let mut sum = Ciphertext::unit(g);
        for s in &contest.selections {
            let reason = if !g.is_element(&s.vote.pad) || !g.is_element(&s.vote.data) {
                Some("α or β is not in Z_p^r".into())
            } else {
                range_reason(e, &s.vote, &s.proof, option_limit)
            };
            slot(&mut steps, selections).item(|| format!("{name} selection {}", s.id), reason);
            sum = sum.mul(&s.vote, g);
        }
        let reason = match m {
            None => Some("the contest is not in the manifest".to_string()),
            Some(m)
                if m.sequence != contest.sequence
                    || contest.votes_allowed.is_some_and(|l| l != m.votes_allowed) =>
            {
                Some(format!(
                    "its index or vote limit ({}, {:?}) differs from the manifest's ({}, {})",
                    contest.sequence, contest.votes_allowed, m.sequence, m.votes_allowed
                ))
            }
            Some(m)
                if m.selections
                    .iter()
                    .map(|(id, _)| id.as_str())
                    .ne(contest.selections.iter().map(|s| s.id.as_str())) =>
            {
                Some("its selections are not the manifest's, in the manifest's order".into())
            }
            Some(m) => range_reason(e, &sum, &contest.proof, m.votes_allowed),
        };
        slot(&mut steps, limits).item(|| name.clone(), reason);
        if ballot.preencrypted {
            continue;
        }
        let mut parts = vec![
            Part::Tag(0x23),
            Part::U32(contest.sequence),
            Part::Element(g.encode(e.public_key)),
        ];
        for s in &contest.selections {
            parts.push(Part::Element(g.encode(&s.vote.pad)));
            parts.push(Part::Element(g.encode(&s.vote.data)));
        }
        let chi = hash(&e.he, &parts);
        slot(&mut steps, Check::Codes).item(
            || name.clone(),
            (chi != contest.contest_hash).then(|| "χ_l ≠ H(H_E; 0x23, l, K, α_1, β_1, ...)".into()),
        );
        contest_hashes.push(&contest.contest_hash);
    }
    if ballot.preencrypted {
        return steps.merge(preencryption::ballot(e, ballot));
    }
    let mut parts = vec![Part::Tag(0x24)];
    parts.extend(contest_hashes.into_iter().map(Part::Q));
    parts.push(Part::Bytes(&ballot.code_baux));
    let code = hash(&e.he, &parts);
    slot(&mut steps, Check::Codes).item(
        || format!("ballot {}", ballot.id),
        (code != ballot.confirmation_code).then(|| "H(B) ≠ H(H_E; 0x24, χ_1, ..., B_aux)".into()),
    );
    steps
}

/// V7.C (17.D for a pre-encrypted ballot): no two submitted ballots share a confirmation code.
pub(crate) fn unique_codes<E>(ballots: &[Ballot<E>], steps: &mut Steps) {
    let mut seen: BTreeMap<&BigUint, &str> = BTreeMap::new();
    for b in ballots {
        let reason = seen
            .insert(&b.confirmation_code, &b.id)
            .map(|other| format!("has the same confirmation code as ballot {other}"));
        let check = if b.preencrypted {
            Check::PreCodes
        } else {
            Check::Codes
        };
        slot(steps, check).item(|| format!("ballot {} code", b.id), reason);
    }
}

/// V7.D–G for every device: H_0 = H(H_E; 0x24, B_aux,0) with B_aux,0 unique to the device;
/// ballot j's B_aux is H(B_(j−1)) ∥ B_aux,0 (H(B_0) = H_0); every ballot of the device is on
/// its chain once; the chain ends at H(B_ℓ) and closes with H(H_E; 0x24, H(B_ℓ) ∥ B_aux,0 ∥
/// "CLOSE").
fn chains<G: Group>(cx: &Context<G>, tally: &mut Tally) {
    let r = cx.record;
    let by_id: HashMap<&str, &Ballot<G::Element>> =
        r.ballots.iter().map(|b| (b.id.as_str(), b)).collect();
    let devices: BTreeSet<&str> = r.ballots.iter().map(|b| b.device.as_str()).collect();
    let mut baux0s: BTreeMap<&[u8], &str> = BTreeMap::new();
    let mut chained: BTreeSet<&str> = BTreeSet::new();
    for device in &devices {
        if !r.chains.iter().any(|c| c.device == *device) {
            tally.fail(
                format!("device {device} chain"),
                "the record chains confirmation codes but publishes no ballot_chain.json for this device".into(),
            );
        }
    }
    for chain in &r.chains {
        let name = format!("device {} chain", chain.device);
        // 7.D
        let reason = if chain.baux0.is_empty() {
            Some("B_aux,0 is empty: it must hold the device's information".to_string())
        } else if let Some(other) = baux0s.insert(&chain.baux0, &chain.device) {
            Some(format!("B_aux,0 is also device {other}'s"))
        } else if !devices.contains(chain.device.as_str()) {
            Some(format!(
                "{} names a device that encrypted no ballot",
                chain.file
            ))
        } else {
            None
        };
        tally.item(|| format!("{name} start"), reason);
        // 7.E
        let mut previous = hash(&cx.e.he, &[Part::Tag(0x24), Part::Bytes(&chain.baux0)]);
        let mut on_chain: BTreeSet<&str> = BTreeSet::new();
        for id in &chain.ballot_ids {
            let item = || format!("ballot {id} chain");
            let Some(ballot) = by_id.get(id.as_str()) else {
                tally.fail(
                    item(),
                    format!("is on {} but is not a submitted ballot", chain.file),
                );
                continue;
            };
            let mut expected = key(&previous).to_vec();
            expected.extend_from_slice(&chain.baux0);
            let reason = if ballot.device != chain.device {
                Some(format!(
                    "was encrypted by device {}, not {}",
                    ballot.device, chain.device
                ))
            } else if !on_chain.insert(id) {
                Some("is on the chain twice".to_string())
            } else if ballot.code_baux != expected {
                Some("B_aux ≠ H(B_(j−1)) ∥ B_aux,0".into())
            } else {
                None
            };
            tally.item(item, reason);
            chained.insert(id);
            previous = ballot.confirmation_code.clone();
        }
        // 7.F
        tally.item(
            || format!("{name} end"),
            (chain.last_code != previous).then(|| {
                "last_confirmation_code is not the code of the chain's last ballot".into()
            }),
        );
        // 7.G
        let mut closing = key(&previous).to_vec();
        closing.extend_from_slice(&chain.baux0);
        closing.extend_from_slice(b"CLOSE");
        let expected = hash(&cx.e.he, &[Part::Tag(0x24), Part::Bytes(&closing)]);
        let reason = match &chain.closing_hash {
            None => Some("the chain is not closed (no closing_hash)".to_string()),
            Some(h) if *h != expected => {
                Some("closing_hash ≠ H(H_E; 0x24, H(B_ℓ) ∥ B_aux,0 ∥ \"CLOSE\")".into())
            }
            _ => None,
        };
        tally.item(|| format!("{name} closing"), reason);
    }
    for b in r
        .ballots
        .iter()
        .filter(|b| !chained.contains(b.id.as_str()))
    {
        tally.fail(
            format!("ballot {} chain", b.id),
            format!("is not on device {}'s chain", b.device),
        );
    }
}

/// V8: the encrypted tally is the product of the cast ballots, which are the ballots it lists.
fn aggregation<G: Group>(cx: &Context<G>, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.e.group;
    let cast: BTreeSet<&str> = r
        .ballots
        .iter()
        .filter(|b| b.state == "CAST")
        .map(|b| b.id.as_str())
        .collect();
    let listed: BTreeSet<&str> = r.cast_ballot_ids.iter().map(String::as_str).collect();
    tally.item(
        || "cast_ballot_ids".into(),
        (cast != listed)
            .then(|| "the encrypted tally's cast ballots are not the ballots marked CAST".into()),
    );
    let mut sums: BTreeMap<(&str, &str), Ciphertext<G::Element>> = BTreeMap::new();
    for b in r.ballots.iter().filter(|b| b.state == "CAST") {
        for c in &b.contests {
            for s in &c.selections {
                let e = sums
                    .entry((c.id.as_str(), s.id.as_str()))
                    .or_insert_with(|| Ciphertext::unit(g));
                *e = e.mul(&s.vote, g);
            }
        }
    }
    let one = Ciphertext::unit(g);
    for m in &r.manifest {
        for (sid, _) in &m.selections {
            let expected = sums.get(&(m.id.as_str(), sid.as_str())).unwrap_or(&one);
            let published = r
                .encrypted_tally
                .iter()
                .find(|(c, _)| c == &m.id)
                .and_then(|(_, s)| s.iter().find(|(x, _)| x == sid))
                .map(|(_, ct)| ct);
            let decrypted = r
                .tally
                .contests
                .iter()
                .find(|(c, _)| c == &m.id)
                .and_then(|(_, s)| s.iter().find(|x| &x.id == sid));
            let reason = match (published, decrypted) {
                (None, _) => Some("is missing from encrypted_tally.json".to_string()),
                (Some(p), _) if p != expected => {
                    Some("(A, B) is not the product of the cast ballots' encryptions".into())
                }
                (Some(p), Some(d)) if &d.vote != p => {
                    Some("the ciphertext decrypted in tally.json is not the encrypted tally".into())
                }
                _ => None,
            };
            tally.item(|| format!("tally contest {} selection {sid}", m.id), reason);
        }
    }
}

/// V9/V10 (or V12/V13 for a challenged ballot): the proof of each decryption and T = K^t.
fn decryption<G: Group>(
    cx: &Context<G>,
    d: &Decryption<G::Element>,
    messages: &HashMap<(&str, &str), &Ciphertext<G::Element>>,
    what: &str,
    limit: Option<u64>,
) -> (Tally, Tally) {
    let g = &cx.e.group;
    let r = cx.record;
    d.contests
        .par_iter()
        .flat_map_iter(|(cid, sels)| sels.iter().map(move |s| (cid, s)))
        .map(|(cid, s)| {
            let name = format!("{what} contest {cid} selection {}", s.id);
            let (a, b) = (&s.vote.pad, &s.vote.data);
            let proof = if messages
                .get(&(cid.as_str(), s.id.as_str()))
                .is_none_or(|m| *m != &s.vote)
            {
                Some("the ciphertext decrypted is not the one it should be".to_string())
            } else if !g.is_scalar(&s.response) || !g.is_element(&s.b_over_m) {
                Some("v is not in Z_q or T is not in Z_p^r".into())
            } else {
                // M = B · T^-1, a = g^v · K^c, b = A^v · M^c.
                let m = g.mul(b, &g.inverse(&s.b_over_m));
                let ca = g.mul(
                    &g.g_pow(&s.response),
                    &g.fixed_pow(&cx.e.key_table, &s.challenge),
                );
                let cb = g.multi_pow(&[(a, &s.response), (&m, &s.challenge)]);
                let c = hash(
                    &cx.e.he,
                    &[
                        Part::Tag(0x30),
                        Part::Element(g.encode(&r.public_key)),
                        Part::Element(g.encode(a)),
                        Part::Element(g.encode(b)),
                        Part::Element(g.encode(&ca)),
                        Part::Element(g.encode(&cb)),
                        Part::Element(g.encode(&m)),
                    ],
                );
                (c != s.challenge).then(|| "c ≠ H(H_E; 0x30, K, A, B, a, b, M)".into())
            };
            let value = value_reason(g, &cx.e.key_table, s.tally, &s.b_over_m, limit);
            proof_and_value(name, proof, value)
        })
        .reduce(Default::default, merge_pair)
}

/// V10's (or V13's) check of one decrypted value: T = K^t, and t within the limit of a
/// challenged ballot's selection.
pub(crate) fn value_reason<G: Group>(
    g: &G,
    key: &G::Table,
    t: u64,
    value: &G::Element,
    limit: Option<u64>,
) -> Option<String> {
    if g.fixed_pow(key, &BigUint::from(t)) != *value {
        Some(format!("T ≠ K^{t}"))
    } else if limit.is_some_and(|l| t > l) {
        Some(format!("the selection decrypts to {t}, above the limit"))
    } else {
        None
    }
}

/// One decrypted selection's items of the proof step (V9, V12) and the value step (V10, V13).
pub(crate) fn proof_and_value(
    name: String,
    proof: Option<String>,
    value: Option<String>,
) -> (Tally, Tally) {
    let mut proofs = Tally::default();
    let mut values = Tally::default();
    proofs.item(|| name.clone(), proof);
    values.item(|| name, value);
    (proofs, values)
}

/// Two such pairs of tallies merged step by step.
pub(crate) fn merge_pair(mut a: (Tally, Tally), b: (Tally, Tally)) -> (Tally, Tally) {
    a.0.merge(b.0);
    a.1.merge(b.1);
    a
}

/// V10.B–E: the tally's contests and options are the manifest's, and every contest on a
/// ballot is in the tally.
fn labels<G: Group>(cx: &Context<G>, tally: &mut Tally) {
    let r = cx.record;
    let manifest: BTreeMap<&str, BTreeSet<&str>> = r
        .manifest
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.selections.iter().map(|(s, _)| s.as_str()).collect(),
            )
        })
        .collect();
    let decrypted: BTreeMap<&str, BTreeSet<&str>> = r
        .tally
        .contests
        .iter()
        .map(|(c, s)| (c.as_str(), s.iter().map(|x| x.id.as_str()).collect()))
        .collect();
    for (cid, sels) in &decrypted {
        let reason = match manifest.get(cid) {
            None => Some("is not a contest of the manifest".to_string()),
            Some(m) if m != sels => Some("its options are not the manifest's".into()),
            _ => None,
        };
        tally.item(|| format!("tally contest {cid} labels"), reason);
    }
    let on_ballots: BTreeSet<&str> = r
        .ballots
        .iter()
        .flat_map(|b| b.contests.iter().map(|c| c.id.as_str()))
        .collect();
    for cid in on_ballots.iter().filter(|c| !decrypted.contains_key(*c)) {
        tally.fail(
            format!("tally contest {cid}"),
            "is on a submitted ballot but not in the tally".into(),
        );
    }
}

/// V12–V13: every challenged ballot is decrypted, from its own encryptions, with valid proofs.
fn challenged<G: Group>(cx: &Context<G>, steps: &mut Steps) {
    let r = cx.record;
    let submitted: HashMap<&str, &Ballot<G::Element>> =
        r.ballots.iter().map(|b| (b.id.as_str(), b)).collect();
    let decrypted: BTreeSet<&str> = r.challenged.iter().map(|d| d.id.as_str()).collect();
    // An uncast pre-encrypted ballot is opened by its primary nonce instead (V17/V18).
    let opened = |b: &Ballot<G::Element>| b.preencrypted && b.primary_nonce.is_some();
    for b in r
        .ballots
        .iter()
        .filter(|b| b.state != "CAST" && !decrypted.contains(b.id.as_str()) && !opened(b))
    {
        slot(steps, Check::ChallengedValues).fail(
            format!("challenged ballot {}", b.id),
            "is not cast but its decryption is not published".into(),
        );
    }
    for d in &r.challenged {
        let name = format!("challenged ballot {}", d.id);
        let Some(ballot) = submitted.get(d.id.as_str()).filter(|b| b.state != "CAST") else {
            slot(steps, Check::ChallengedValues)
                .fail(name, "is not a submitted ballot that was challenged".into());
            continue;
        };
        let messages: HashMap<(&str, &str), &Ciphertext<G::Element>> = ballot
            .contests
            .iter()
            .flat_map(|c| {
                c.selections
                    .iter()
                    .map(move |s| ((c.id.as_str(), s.id.as_str()), &s.vote))
            })
            .collect();
        let (v12, v13) = decryption(cx, d, &messages, &name, Some(1));
        slot(steps, Check::ChallengedProofs).merge(v12);
        slot(steps, Check::ChallengedValues).merge(v13);
        contest_data(cx, ballot, d, slot(steps, Check::ChallengedContestData));
    }
}

/// V14: each decrypted contest data of a challenged ballot is the ballot's own (C0, C1, C2),
/// and its proof holds: a = g^v · K^c, b = C0^v · β^c, c = H(H_E; 0x31, K, C0, C1, C2, a, b, β),
/// with C1 hashed as egk does (its upper-case hexadecimal text, not its bytes:
/// docs/ELECTIONGUARD.md).
fn contest_data<G: Group>(
    cx: &Context<G>,
    ballot: &Ballot<G::Element>,
    d: &Decryption<G::Element>,
    tally: &mut Tally,
) {
    let g = &cx.e.group;
    let r = cx.record;
    let out: Vec<(String, Option<String>)> = d
        .contest_data
        .par_iter()
        .map(|data| {
            let name = format!("challenged ballot {} contest {} data", d.id, data.contest);
            let own = ballot
                .contests
                .iter()
                .find(|c| c.id == data.contest)
                .and_then(|c| c.contest_data.as_ref());
            let e = &data.encrypted;
            let reason = if own != Some(e) {
                Some("the contest data decrypted is not the ballot's".to_string())
            } else if !g.is_scalar(&data.response)
                || !g.is_element(&data.beta)
                || !g.is_element(&e.c0)
            {
                Some("v is not in Z_q, or β or C0 is not in Z_p^r".into())
            } else {
                let a = g.mul(
                    &g.g_pow(&data.response),
                    &g.fixed_pow(&cx.e.key_table, &data.challenge),
                );
                let b = g.multi_pow(&[(&e.c0, &data.response), (&data.beta, &data.challenge)]);
                let c1: String = e.c1.iter().map(|x| format!("{x:02X}")).collect();
                let c = hash(
                    &cx.e.he,
                    &[
                        Part::Tag(0x31),
                        Part::Element(g.encode(&r.public_key)),
                        Part::Element(g.encode(&e.c0)),
                        Part::Bytes(c1.as_bytes()),
                        Part::Bytes(&e.c2),
                        Part::Element(g.encode(&a)),
                        Part::Element(g.encode(&b)),
                        Part::Element(g.encode(&data.beta)),
                    ],
                );
                (g.reduce(&c) != data.challenge)
                    .then(|| "c ≠ H(H_E; 0x31, K, C0, C1, C2, a, b, β)".into())
            };
            (name, reason)
        })
        .collect();
    for (name, reason) in out {
        tally.item(|| name, reason);
    }
}

/// The manifest's contests with the counts of tally.json (each checked by V9–V10).
fn result<E>(r: &Record<E>) -> Vec<ContestResult> {
    crate::manifest::result_from(&r.manifest, &r.tally.contests, |x| (&x.id, x.tally))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every check is reported once in each numbering, under a step that exists; every 2.0
    /// step has a check, and of 2.1's only V5 and V19 have none (no record here has what
    /// they check).
    #[test]
    fn every_check_has_one_step_in_each_specification() {
        for (i, (check, v20, v21)) in CHECKS.iter().enumerate() {
            assert_eq!(*check as usize, i, "CHECKS is in the order of Check");
            assert!((1..=STEPS.len()).contains(v20), "{check:?}");
            assert!((1..=STEPS_2_1.len()).contains(v21), "{check:?}");
        }
        let empty = |spec: Spec| -> Vec<&str> {
            names(spec)
                .iter()
                .enumerate()
                .filter(|(n, _)| !CHECKS.iter().any(|(c, _, _)| number(spec, *c) == n + 1))
                .map(|(_, (id, _))| *id)
                .collect()
        };
        assert!(empty(Spec::V2_0).is_empty());
        assert_eq!(empty(Spec::V2_1), ["V5", "V19"]);
        assert_eq!(step_id(Spec::V2_1, Check::ChallengedContestData), "V13");
        assert_eq!(
            preencryption_steps(Spec::V2_0),
            ["V15", "V16", "V17", "V18"]
        );
        assert_eq!(
            preencryption_steps(Spec::V2_1),
            ["V15", "V16", "V17", "V18"]
        );
    }
}
