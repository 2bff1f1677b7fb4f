//! The verification steps of the ElectionGuard 1.0 specification, numbered as it numbers
//! them, over an electionguard-python 0.95 or 1.x record.
//!
//! Every check uses public data only; see [`crate::group`] on variable-time arithmetic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use num_bigint::BigUint;
use num_traits::One;
use rayon::prelude::*;

use crate::constants::Standard;
use crate::group::{Ciphertext, FixedBase, Group, IntegerGroup};
use crate::parameters::{self, Options};
use crate::report::{ContestResult, Report, Steps, Tally};
use crate::v1::hash::{Hasher, Item};
use crate::v1::record::{
    Ballot, BallotState, ChaumPedersen, DecryptedSelection, Decryption, Election, Record,
};

/// The steps of the 1.0 specification's verifier, by number and name.
/// The last, "MH", is an extra step: the 1.0 specification numbers no check of the manifest
/// hash itself (V1 takes it as given when it checks the base hash).
pub const STEPS: [(&str, &str); 13] = [
    ("V1", "Parameter validation"),
    ("V2", "Guardian public-key validation"),
    ("V3", "Election public-key validation"),
    ("V4", "Correctness of selection encryptions"),
    ("V5", "Adherence to vote limits"),
    ("V6", "Validation of confirmation codes"),
    ("V7", "Correctness of ballot aggregation"),
    ("V8", "Correctness of partial decryptions"),
    ("V9", "Correctness of substitute data for missing guardians"),
    (
        "V10",
        "Correctness of construction of replacement partial decryptions",
    ),
    ("V11", "Validation of correct decryption of tallies"),
    ("V12", "Correct decryption of spoiled ballots"),
    (
        "MH",
        "Manifest hash (not numbered by the 1.0 specification)",
    ),
];

/// The precomputed state every check shares.
struct Context<'a> {
    record: &'a Record,
    group: IntegerGroup,
    hash: Hasher,
    /// Table for the joint key K.
    key: FixedBase,
    /// Each guardian's key K_i by guardian id, with a table when enough decryptions use it.
    guardian_keys: HashMap<&'a str, (&'a BigUint, Option<FixedBase>)>,
    /// The extended base hash Q̄ as published (V3 checks it).
    extended: &'a BigUint,
    /// The recovery key ∏_j K_lj^(i^j) of each (missing guardian l, present guardian i) that
    /// a compensated share names, computed once rather than for every selection.
    recovery_keys: HashMap<(&'a str, u64), BigUint>,
}

/// Every (missing guardian, present guardian's sequence number) pair of the record's
/// compensated shares, with its recovery key.
fn recovery_keys<'a>(g: &IntegerGroup, r: &'a Record) -> HashMap<(&'a str, u64), BigUint> {
    let pairs: BTreeSet<(&str, u64)> = std::iter::once(&r.tally)
        .chain(&r.spoiled)
        .flat_map(|d| &d.contests)
        .flat_map(|(_, sels)| sels)
        .flat_map(|s| &s.shares)
        .flat_map(|share| &share.recovered)
        .filter_map(|p| Some((p.missing_guardian_id.as_str(), sequence(r, &p.guardian_id)?)))
        .collect();
    pairs
        .into_par_iter()
        .filter_map(|(l, i)| Some(((l, i), recovery_key(g, r, l, i)?)))
        .collect()
}

/// Verify a 1.x record: every step, then the result from the verified tally.
pub fn verify(record: &Record, options: Options) -> Report {
    let mut steps = Steps::default();
    let mut notes = Vec::new();
    let (v1, note, group) =
        parameters::checked_group(Standard::V1, record.election.constants(), options);
    *steps.at(1) = v1;
    notes.extend(note);
    let hash = Hasher::new(&record.election.q, record.layout.reduction());
    let key = group.fixed_base(&record.election.public_key);
    // A table costs about 30 exponentiations to build: worth it only for a key used more.
    let decrypted: usize = std::iter::once(&record.tally)
        .chain(&record.spoiled)
        .map(|d| d.contests.iter().map(|(_, s)| s.len()).sum::<usize>())
        .sum();
    let guardian_keys = record
        .election
        .guardians
        .par_iter()
        .map(|g| {
            (
                g.id.as_str(),
                (&g.key, (decrypted >= 32).then(|| group.fixed_base(&g.key))),
            )
        })
        .collect();
    let cx = Context {
        record,
        recovery_keys: recovery_keys(&group, record),
        group,
        hash,
        key,
        guardian_keys,
        extended: &record.election.extended_base_hash,
    };

    base_hash(&cx, steps.at(1));
    guardian_keys_step(&cx, steps.at(2));
    election_key(&cx, steps.at(3));
    let ballots = record
        .ballots
        .par_iter()
        .map(|b| ballot(&cx, b))
        .reduce(Steps::default, Steps::merge);
    steps = steps.merge(ballots);
    confirmation_chain(&cx, steps.at(6));
    aggregation(&cx, steps.at(7));
    let tally = decryption(&cx, &record.tally, &tally_messages(record), "tally");
    steps = steps.merge(tally);
    let spoiled = spoiled_ballots(&cx);
    steps.at(12).merge(spoiled);
    check_tally_matches_manifest(&cx, steps.at(11));
    // MH: the manifest hash and every ballot's description hashes.
    let ballots = record
        .ballots
        .iter()
        .map(|b| (b.id.as_str(), &b.contests[..]));
    let hashes = &record.election.manifest_hashes;
    hashes.check(
        &record.election.manifest_hash,
        &record.election.manifest,
        ballots,
        steps.at(13),
    );

    let contests = result(record);
    let cast = record
        .ballots
        .iter()
        .filter(|b| b.state == BallotState::Cast)
        .count() as u64;
    let spoiled = record
        .ballots
        .iter()
        .filter(|b| b.state == BallotState::Spoiled)
        .count() as u64;
    let steps = steps.finish(&STEPS);
    Report {
        format: record.layout.name().into(),
        steps,
        notes,
        contests,
        exponentiations: cx.group.exponentiations(),
        cast_ballots: cast,
        spoiled_ballots: spoiled,
    }
}

/// V1 (continued): the base hash Q = H(p, q, g, n, k, manifest hash).
fn base_hash(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let (n, k) = (r.election.guardians_count, r.election.quorum);
    let q = cx.hash.hash(&[
        Item::E(&r.election.p),
        Item::E(&r.election.q),
        Item::E(&r.election.g),
        Item::I(n),
        Item::I(k),
        Item::E(&r.election.manifest_hash),
    ]);
    tally.item(
        || "crypto_base_hash".into(),
        (q != r.election.base_hash).then(|| "is not H(p, q, g, n, k, manifest_hash)".into()),
    );
}

/// V2: every coefficient commitment has a valid Schnorr proof.
fn guardian_keys_step(cx: &Context, tally: &mut Tally) {
    let hash = |k: &BigUint, h: &BigUint| cx.hash.hash(&[Item::E(k), Item::E(h)]);
    guardian_proofs(&cx.record.election, &cx.group, hash, tally);
}

/// V2 as the 1.x writers (and the 1.91 one) publish it: n guardians numbered 1..n, k
/// commitments each with the key first, and a Schnorr proof of each commitment with
/// c = `challenge`(K_ij, h_ij) and g^u = h_ij · K_ij^c. The proofs are checked in parallel.
pub(crate) fn guardian_proofs(
    e: &Election,
    g: &IntegerGroup,
    challenge: impl Fn(&BigUint, &BigUint) -> BigUint + Sync,
    tally: &mut Tally,
) {
    let sequences: BTreeSet<u64> = e.guardians.iter().map(|x| x.sequence).collect();
    let expected: BTreeSet<u64> = (1..=e.guardians_count).collect();
    tally.item(
        || "guardians".into(),
        (e.guardians.len() as u64 != e.guardians_count || sequences != expected).then(|| {
            format!(
                "the record has {} guardians with sequence orders {sequences:?}; the context says {}",
                e.guardians.len(),
                e.guardians_count
            )
        }),
    );
    let outcomes: Vec<(String, Option<String>)> = e
        .guardians
        .par_iter()
        .flat_map_iter(|guardian| {
            let shape = (guardian.commitments.len() as u64 != e.quorum
                || guardian.proofs.len() != guardian.commitments.len()
                || guardian.commitments.first() != Some(&guardian.key))
            .then(|| {
                format!(
                    "has {} commitments and {} proofs for a quorum of {}, or its key is not its first commitment",
                    guardian.commitments.len(),
                    guardian.proofs.len(),
                    e.quorum
                )
            });
            let mut out = vec![(format!("guardian {}", guardian.id), shape)];
            let proofs: Vec<_> = guardian
                .commitments
                .par_iter()
                .zip(&guardian.proofs)
                .enumerate()
                .map(|(j, (kij, proof))| {
                    let reason = if &proof.public_key != kij {
                        Some("the proof is about another key than the commitment".to_string())
                    } else if !g.is_element(kij) {
                        Some("the commitment K_ij is not in Z_p^r".into())
                    } else if !g.is_scalar(&proof.response) {
                        Some("the response is not in Z_q".into())
                    } else if challenge(kij, &proof.commitment) != proof.challenge {
                        Some("c ≠ H(K_ij, h_ij)".into())
                    } else if g.g_pow(&proof.response)
                        != g.mul(&proof.commitment, &g.pow(kij, &proof.challenge))
                    {
                        Some("g^u ≠ h_ij · K_ij^c".into())
                    } else {
                        None
                    };
                    (format!("guardian {} coefficient {j}", guardian.id), reason)
                })
                .collect();
            out.extend(proofs);
            out
        })
        .collect();
    for (item, reason) in outcomes {
        tally.item(|| item, reason);
    }
}

/// V3: K = ∏ K_i, the commitment hash, and Q̄ = H(Q, commitment hash).
fn election_key(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.group;
    let product = r
        .election
        .guardians
        .iter()
        .fold(BigUint::one(), |acc, x| g.mul(&acc, &x.key));
    tally.item(
        || "elgamal_public_key".into(),
        (product != r.election.public_key).then(|| "K ≠ ∏ K_i".into()),
    );
    let all: Vec<Item> = r
        .election
        .guardians
        .iter()
        .flat_map(|x| x.commitments.iter().map(Item::E))
        .collect();
    let commitment_hash = cx.hash.hash(&[Item::Seq(all)]);
    tally.item(
        || "commitment_hash".into(),
        (commitment_hash != r.election.commitment_hash)
            .then(|| "is not the hash of every guardian's commitments".into()),
    );
    let extended = cx.hash.hash(&[
        Item::E(&r.election.base_hash),
        Item::E(&r.election.commitment_hash),
    ]);
    tally.item(
        || "crypto_extended_base_hash".into(),
        (&extended != cx.extended).then(|| "Q̄ ≠ H(Q, commitment_hash)".into()),
    );
}

/// V4, V5 and the hashes of V6 for one ballot. Its contests, and their selections, are
/// checked in parallel (a small record has fewer ballots than there are cores).
fn ballot(cx: &Context, ballot: &Ballot) -> Steps {
    let r = cx.record;
    let manifest = r.election.contests_by_id();
    let mut steps = ballot
        .contests
        .par_iter()
        .map(|contest| contest_steps(cx, ballot, contest, manifest.get(contest.id.as_str())))
        .reduce(Steps::default, Steps::merge);
    let mut items = vec![Item::S(&ballot.id), Item::E(&ballot.manifest_hash)];
    items.extend(ballot.contests.iter().map(|c| Item::E(&c.crypto_hash)));
    let h = cx.hash.hash(&items);
    let code = cx.hash.hash(&[
        Item::E(&ballot.code_seed),
        Item::I(ballot.timestamp),
        Item::E(&ballot.crypto_hash),
    ]);
    let reason = if ballot.manifest_hash != r.election.manifest_hash {
        Some("its manifest_hash is not the election's".to_string())
    } else if h != ballot.crypto_hash {
        Some("crypto_hash ≠ H(object_id, manifest_hash, contest hashes)".into())
    } else if code != ballot.code {
        Some("code ≠ H(code_seed, timestamp, crypto_hash)".into())
    } else {
        None
    };
    steps.at(6).item(|| format!("ballot {}", ballot.id), reason);
    steps
}

/// V4, V5 and the hashes of V6 for one contest of a ballot.
fn contest_steps(
    cx: &Context,
    ballot: &Ballot,
    contest: &crate::v1::record::Contest,
    manifest: Option<&&crate::manifest::ManifestContest>,
) -> Steps {
    let mut steps = Steps::default();
    let g = &cx.group;
    let name = format!("ballot {} contest {}", ballot.id, contest.id);
    let proofs: Vec<Option<String>> = contest
        .selections
        .par_iter()
        .map(|s| selection_reason(cx, &s.ciphertext, &s.proof))
        .collect();
    let mut sum = Ciphertext::one();
    for (s, reason) in contest.selections.iter().zip(proofs) {
        steps
            .at(4)
            .item(|| format!("{name} selection {}", s.id), reason);
        sum = sum.mul(&s.ciphertext, g);
        let ct_hash = cx
            .hash
            .hash(&[Item::E(&s.ciphertext.pad), Item::E(&s.ciphertext.data)]);
        let h = cx.hash.hash(&[
            Item::S(&s.id),
            Item::E(&s.description_hash),
            Item::E(&ct_hash),
        ]);
        steps.at(6).item(
            || format!("{name} selection {}", s.id),
            (h != s.crypto_hash)
                .then(|| "crypto_hash ≠ H(object_id, description_hash, H(pad, data))".into()),
        );
    }
    let reason = contest_reason(cx, contest, manifest.copied(), &sum);
    steps.at(5).item(|| name.clone(), reason);
    let mut items = vec![Item::S(&contest.id), Item::E(&contest.description_hash)];
    items.extend(contest.selections.iter().map(|s| Item::E(&s.crypto_hash)));
    let h = cx.hash.hash(&items);
    steps.at(6).item(
        || name.clone(),
        (h != contest.crypto_hash)
            .then(|| "crypto_hash ≠ H(object_id, description_hash, selection hashes)".into()),
    );
    steps
}

/// V4 for one selection: α, β in the group and the disjunctive proof of 0 or 1.
fn selection_reason(
    cx: &Context,
    ct: &Ciphertext,
    p: &crate::v1::record::DisjunctiveProof,
) -> Option<String> {
    let g = &cx.group;
    let (alpha, beta) = (&ct.pad, &ct.data);
    if !g.is_element(alpha) || !g.is_element(beta) {
        return Some("the ciphertext (α, β) is not in Z_p^r".into());
    }
    let scalars = [
        &p.zero_challenge,
        &p.one_challenge,
        &p.challenge,
        &p.zero_response,
        &p.one_response,
    ];
    if !scalars.iter().all(|x| g.is_scalar(x)) {
        return Some("a challenge or response is not in Z_q".into());
    }
    let c = cx.hash.hash(&[
        Item::E(cx.extended),
        Item::E(alpha),
        Item::E(beta),
        Item::E(&p.zero_pad),
        Item::E(&p.zero_data),
        Item::E(&p.one_pad),
        Item::E(&p.one_data),
    ]);
    if c != p.challenge {
        return Some("c ≠ H(Q̄, α, β, a0, b0, a1, b1)".into());
    }
    if g.reduce(&(&p.zero_challenge + &p.one_challenge)) != p.challenge {
        return Some("c0 + c1 ≠ c".into());
    }
    // g^v0 = a0 α^c0, g^v1 = a1 α^c1, K^v0 = b0 β^c0, g^c1 K^v1 = b1 β^c1.
    if g.g_pow(&p.zero_response) != g.mul(&p.zero_pad, &g.pow(alpha, &p.zero_challenge))
        || g.g_pow(&p.one_response) != g.mul(&p.one_pad, &g.pow(alpha, &p.one_challenge))
    {
        return Some("g^v ≠ a · α^c".into());
    }
    if g.fixed_pow(&cx.key, &p.zero_response)
        != g.mul(&p.zero_data, &g.pow(beta, &p.zero_challenge))
    {
        return Some("K^v0 ≠ b0 · β^c0".into());
    }
    let lhs = g.mul(
        &g.g_pow(&p.one_challenge),
        &g.fixed_pow(&cx.key, &p.one_response),
    );
    if lhs != g.mul(&p.one_data, &g.pow(beta, &p.one_challenge)) {
        return Some("g^c1 · K^v1 ≠ b1 · β^c1".into());
    }
    None
}

/// V5 for one contest: the right selections, their product, and the proof that they add up
/// to the vote limit L.
fn contest_reason(
    cx: &Context,
    contest: &crate::v1::record::Contest,
    manifest: Option<&crate::manifest::ManifestContest>,
    sum: &Ciphertext,
) -> Option<String> {
    let g = &cx.group;
    let Some(m) = manifest else {
        return Some("the contest is not in the manifest".into());
    };
    let real: BTreeSet<&str> = contest
        .selections
        .iter()
        .filter(|s| !s.placeholder)
        .map(|s| s.id.as_str())
        .collect();
    let expected: BTreeSet<&str> = m.selections.iter().map(|(id, _)| id.as_str()).collect();
    let placeholders = contest.selections.iter().filter(|s| s.placeholder).count() as u64;
    let ids: BTreeSet<&str> = contest.selections.iter().map(|s| s.id.as_str()).collect();
    if real != expected || placeholders != m.votes_allowed || ids.len() != contest.selections.len()
    {
        return Some(format!(
            "has {} selections and {placeholders} placeholders; the manifest has {} selections and {} votes allowed",
            real.len(),
            expected.len(),
            m.votes_allowed
        ));
    }
    if contest.constant != m.votes_allowed {
        return Some(format!(
            "the proof's constant is {}, the contest allows {} votes",
            contest.constant, m.votes_allowed
        ));
    }
    if sum.pad != contest.accumulation.pad || sum.data != contest.accumulation.data {
        return Some("ciphertext_accumulation is not the product of the selections".into());
    }
    let p = &contest.proof;
    if !g.is_scalar(&p.challenge) || !g.is_scalar(&p.response) {
        return Some("the challenge or response is not in Z_q".into());
    }
    let (a, b) = (&sum.pad, &sum.data);
    let c = cx.hash.hash(&[
        Item::E(cx.extended),
        Item::E(a),
        Item::E(b),
        Item::E(&p.pad),
        Item::E(&p.data),
    ]);
    if c != p.challenge {
        return Some("c ≠ H(Q̄, A, B, a, b)".into());
    }
    if g.g_pow(&p.response) != g.mul(&p.pad, &g.pow(a, &p.challenge)) {
        return Some("g^v ≠ a · A^c".into());
    }
    let lc = g.reduce(&(BigUint::from(contest.constant) * &p.challenge));
    let lhs = g.mul(&g.g_pow(&lc), &g.fixed_pow(&cx.key, &p.response));
    if lhs != g.mul(&p.data, &g.pow(b, &p.challenge)) {
        return Some("g^(L·c) · K^v ≠ b · B^c".into());
    }
    None
}

/// V6 (chain): every ballot's code seed is a device's hash or the code of exactly one earlier
/// ballot, and no code seeds two ballots.
fn confirmation_chain(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let devices: BTreeSet<BigUint> = r
        .devices
        .iter()
        .map(|d| {
            cx.hash.hash(&[
                Item::S(&d.id),
                Item::S(&d.session),
                Item::S(&d.launch_code),
                Item::S(&d.location),
            ])
        })
        .collect();
    let codes: BTreeSet<&BigUint> = r.ballots.iter().map(|b| &b.code).collect();
    let mut seeds: BTreeMap<&BigUint, &str> = BTreeMap::new();
    for b in &r.ballots {
        let reason = if !devices.contains(&b.code_seed) && !codes.contains(&b.code_seed) {
            Some(
                "its code_seed is neither an encryption device's hash nor another ballot's code"
                    .to_string(),
            )
        } else {
            seeds
                .insert(&b.code_seed, &b.id)
                .map(|other| format!("its code_seed also seeds ballot {other}: the chain forks"))
        };
        tally.item(|| format!("ballot {} chain", b.id), reason);
    }
}

/// V7: the encrypted tally is the product of the cast ballots' selections, and the tally
/// decrypted is that encrypted tally.
fn aggregation(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.group;
    let mut sums: BTreeMap<(&str, &str), Ciphertext> = BTreeMap::new();
    for b in r.ballots.iter().filter(|b| b.state == BallotState::Cast) {
        for c in &b.contests {
            for s in &c.selections {
                let e = sums
                    .entry((c.id.as_str(), s.id.as_str()))
                    .or_insert(Ciphertext::one());
                *e = e.mul(&s.ciphertext, g);
            }
        }
    }
    let one = Ciphertext::one();
    for m in &r.election.manifest {
        for (sid, _) in &m.selections {
            let item = || format!("tally contest {} selection {sid}", m.id);
            let expected = sums.get(&(m.id.as_str(), sid.as_str())).unwrap_or(&one);
            let published = r
                .election
                .encrypted_tally
                .get(&m.id)
                .and_then(|c| c.get(sid));
            let decrypted = r
                .tally
                .contests
                .iter()
                .find(|(id, _)| id == &m.id)
                .and_then(|(_, s)| s.iter().find(|x| &x.id == sid));
            let reason = match (published, decrypted) {
                (None, _) => Some("is missing from encrypted_tally.json".to_string()),
                (Some(p), _) if p.pad != expected.pad || p.data != expected.data => Some(
                    "the encrypted tally is not the product of the cast ballots' encryptions"
                        .into(),
                ),
                (_, None) => Some("is missing from tally.json".into()),
                (Some(p), Some(d)) if d.message.pad != p.pad || d.message.data != p.data => {
                    Some("the ciphertext decrypted in tally.json is not the encrypted tally".into())
                }
                _ => None,
            };
            tally.item(item, reason);
        }
    }
}

/// The ciphertext each tally selection must decrypt: the encrypted tally.
fn tally_messages(r: &Record) -> HashMap<(String, String), Ciphertext> {
    r.election
        .encrypted_tally
        .iter()
        .flat_map(|(c, sels)| {
            sels.iter()
                .map(move |(s, ct)| ((c.clone(), s.clone()), ct.clone()))
        })
        .collect()
}

/// V8–V11 on one decryption (the tally, or a spoiled ballot): for every selection, its
/// message is the ciphertext it should be, every share is proven, every missing share is
/// rebuilt from proven parts with the right Lagrange coefficients, and the value is
/// B / ∏ M_i = g^t.
fn decryption(
    cx: &Context,
    d: &Decryption,
    messages: &HashMap<(String, String), Ciphertext>,
    what: &str,
) -> Steps {
    let lagrange = lagrange_check(cx, d);
    let mut steps = d
        .contests
        .par_iter()
        .flat_map_iter(|(cid, sels)| sels.iter().map(move |s| (cid, s)))
        .map(|(cid, s)| {
            let name = format!("{what} contest {cid} selection {}", s.id);
            selection_decryption(cx, s, messages.get(&(cid.clone(), s.id.clone())), &name)
        })
        .reduce(Steps::default, Steps::merge);
    if let Some((item, reason)) = lagrange {
        steps.at(10).item(|| format!("{what} {item}"), reason);
    }
    steps
}

/// V10's coefficients: w_i = ∏_{j ≠ i} j / (j − i) mod q over the guardians present.
fn lagrange_check(cx: &Context, d: &Decryption) -> Option<(String, Option<String>)> {
    let r = cx.record;
    let present: Vec<u64> = present_guardians(d)
        .iter()
        .filter_map(|id| sequence(r, id))
        .collect();
    if r.lagrange.is_empty() || present.is_empty() {
        return None;
    }
    let expected: Vec<BigUint> = present.iter().map(|&i| lagrange(cx, i, &present)).collect();
    let published: Vec<&BigUint> = r.lagrange.iter().map(|(_, w)| w).collect();
    let ok =
        published.len() == expected.len() && published.iter().zip(&expected).all(|(a, b)| *a == b);
    Some((
        "coefficients".into(),
        (!ok).then(|| {
            "the published Lagrange coefficients are not those of the guardians present".into()
        }),
    ))
}

fn present_guardians(d: &Decryption) -> BTreeSet<String> {
    d.contests
        .first()
        .and_then(|(_, s)| s.first())
        .map(|s| {
            s.shares
                .iter()
                .filter(|x| x.proof.is_some())
                .map(|x| x.guardian_id.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn sequence(r: &Record, guardian_id: &str) -> Option<u64> {
    r.election
        .guardians
        .iter()
        .find(|g| g.id == guardian_id)
        .map(|g| g.sequence)
}

/// w_i = ∏_{j ≠ i} j · (j − i)^-1 mod q.
fn lagrange(cx: &Context, i: u64, present: &[u64]) -> BigUint {
    let q = &cx.record.election.q;
    let mut w = BigUint::one();
    for &j in present.iter().filter(|&&j| j != i) {
        let diff = (BigUint::from(j) + q - BigUint::from(i) % q) % q;
        let inv = diff.modpow(&(q - 2u32), q);
        w = (w * BigUint::from(j) % q) * inv % q;
    }
    w
}

/// The recovery key of present guardian `i` for missing guardian `l`: ∏_j K_lj^(i^j).
fn recovery_key(g: &IntegerGroup, r: &Record, missing: &str, i: u64) -> Option<BigUint> {
    let l = r.election.guardians.iter().find(|x| x.id == missing)?;
    let mut power = BigUint::one();
    let mut acc = BigUint::one();
    for k in &l.commitments {
        acc = g.mul(&acc, &g.pow(k, &power));
        power = g.reduce(&(power * i));
    }
    Some(acc)
}

/// The Chaum–Pedersen check shared by shares and their parts: M = A^s for the s behind the
/// key, c = H(Q̄, A, B, a, b, M), g^v = a · key^c and A^v = b · M^c.
fn share_reason(
    cx: &Context,
    message: &Ciphertext,
    m: &BigUint,
    key: KeyRef,
    proof: &ChaumPedersen,
) -> Option<String> {
    let g = &cx.group;
    if !g.is_element(m) {
        return Some("the share M is not in Z_p^r".into());
    }
    if !g.is_scalar(&proof.challenge) || !g.is_scalar(&proof.response) {
        return Some("the proof's challenge or response is not in Z_q".into());
    }
    let (a, b) = (&message.pad, &message.data);
    let c = cx.hash.hash(&[
        Item::E(cx.extended),
        Item::E(a),
        Item::E(b),
        Item::E(&proof.pad),
        Item::E(&proof.data),
        Item::E(m),
    ]);
    if c != proof.challenge {
        return Some("c ≠ H(Q̄, A, B, a, b, M)".into());
    }
    let key_c = match key {
        KeyRef::Table(t) => g.fixed_pow(t, &proof.challenge),
        KeyRef::Value(k) => g.pow(k, &proof.challenge),
    };
    if g.g_pow(&proof.response) != g.mul(&proof.pad, &key_c) {
        return Some("g^v ≠ a · K^c".into());
    }
    // A^v = b · M^c, checked as A^v · M^(q−c) = b with one simultaneous exponentiation.
    let minus_c = &cx.record.election.q - &proof.challenge;
    if g.multi_pow(&[(a, &proof.response), (m, &minus_c)]) != &proof.data % &cx.record.election.p {
        return Some("A^v ≠ b · M^c".into());
    }
    None
}

/// The key a share is proven against: a guardian's (with its table) or a recovery key.
#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Table(&'a FixedBase),
    Value(&'a BigUint),
}

/// V8 for a present guardian's share; V9 and V10 for a missing guardian's, rebuilt from
/// the parts of the guardians `present` (ids and sequence numbers).
fn share_steps(
    cx: &Context,
    message: &Ciphertext,
    share: &crate::v1::record::Share,
    (present, present_seq): (&[(&str, u64)], &[u64]),
    name: &str,
) -> Steps {
    let mut steps = Steps::default();
    let g = &cx.group;
    let r = cx.record;
    let item = || format!("{name} guardian {}", share.guardian_id);
    if let Some(proof) = &share.proof {
        let reason = match cx.guardian_keys.get(share.guardian_id.as_str()) {
            None => Some("no such guardian".into()),
            Some((_, Some(t))) => share_reason(cx, message, &share.share, KeyRef::Table(t), proof),
            Some((k, None)) => share_reason(cx, message, &share.share, KeyRef::Value(k), proof),
        };
        steps.at(8).item(item, reason);
        return steps;
    }
    // A missing guardian: every present guardian's part is proven (V9), and the share is
    // their combination with the Lagrange coefficients (V10).
    let mut parts_ok = true;
    let by_guardian: BTreeSet<&str> = share
        .recovered
        .iter()
        .map(|p| p.guardian_id.as_str())
        .collect();
    if by_guardian != present.iter().map(|(id, _)| *id).collect()
        || by_guardian.len() != share.recovered.len()
    {
        parts_ok = false;
        steps.at(9).fail(
            item(),
            "its parts are not one from each guardian present".into(),
        );
    }
    let mut powers = Vec::with_capacity(share.recovered.len());
    for part in &share.recovered {
        let part_item = || {
            format!(
                "{name} guardian {} for missing {}",
                part.guardian_id, part.missing_guardian_id
            )
        };
        let Some(i) = sequence(r, &part.guardian_id) else {
            steps.at(9).fail(part_item(), "no such guardian".into());
            parts_ok = false;
            continue;
        };
        let reason = if part.missing_guardian_id != share.guardian_id {
            Some("the part is for another missing guardian".to_string())
        } else if cx
            .recovery_keys
            .get(&(part.missing_guardian_id.as_str(), i))
            != Some(&part.recovery_key)
        {
            Some("the recovery key is not ∏_j K_lj^(i^j)".into())
        } else {
            share_reason(
                cx,
                message,
                &part.share,
                KeyRef::Value(&part.recovery_key),
                &part.proof,
            )
        };
        parts_ok &= reason.is_none();
        steps.at(9).item(part_item, reason);
        powers.push((&part.share, lagrange(cx, i, present_seq)));
    }
    if parts_ok {
        // M_l = ∏ M_il^(w_i), in one simultaneous exponentiation.
        let terms: Vec<(&BigUint, &BigUint)> = powers.iter().map(|(m, w)| (*m, w)).collect();
        let rebuilt = g.multi_pow(&terms);
        steps.at(10).item(
            item,
            (rebuilt != share.share).then(|| "M_l ≠ ∏ M_il^(w_i)".into()),
        );
    }
    steps
}

fn selection_decryption(
    cx: &Context,
    s: &DecryptedSelection,
    expected: Option<&Ciphertext>,
    name: &str,
) -> Steps {
    let mut steps = Steps::default();
    let g = &cx.group;
    let r = cx.record;
    let message = &s.message;
    if expected.is_some_and(|e| e.pad != message.pad || e.data != message.data)
        || expected.is_none()
    {
        steps.at(11).fail(
            name.into(),
            "the ciphertext decrypted is not the one it should be".into(),
        );
    }
    let present: Vec<(&str, u64)> = s
        .shares
        .iter()
        .filter(|x| x.proof.is_some())
        .filter_map(|x| sequence(r, &x.guardian_id).map(|q| (x.guardian_id.as_str(), q)))
        .collect();
    let present_seq: Vec<u64> = present.iter().map(|(_, q)| *q).collect();
    let mut product = BigUint::one();
    let ids: BTreeSet<&str> = s.shares.iter().map(|x| x.guardian_id.as_str()).collect();
    if ids.len() != s.shares.len()
        || ids.len() as u64 != r.election.guardians_count
        || (present.len() as u64) < r.election.quorum
    {
        steps.at(8).fail(name.into(), format!("has {} shares from {} guardians, {} with proofs; needs one per guardian and a quorum of {}", s.shares.len(), ids.len(), present.len(), r.election.quorum));
    }
    // Each share on its own core: a record with few selections still uses them all.
    let shares = s
        .shares
        .par_iter()
        .map(|share| share_steps(cx, message, share, (&present, &present_seq), name))
        .reduce(Steps::default, Steps::merge);
    steps = steps.merge(shares);
    for share in &s.shares {
        product = g.mul(&product, &share.share);
    }
    // V11: B = value · ∏ M_i and value = g^t.
    let reason = if g.mul(&s.value, &product) != &message.data % &r.election.p {
        Some("B ≠ value · ∏ M_i".to_string())
    } else if g.g_pow(&BigUint::from(s.tally)) != s.value {
        Some(format!("value ≠ g^{}", s.tally))
    } else {
        None
    };
    steps.at(11).item(|| name.to_string(), reason);
    steps
}

/// V11 (continued): tally.json has exactly the manifest's contests and selections (placeholders
/// aside).
fn check_tally_matches_manifest(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    for m in &r.election.manifest {
        let contest = r.tally.contests.iter().find(|(id, _)| id == &m.id);
        let reason = match contest {
            None => Some("is missing from tally.json".to_string()),
            Some((_, sels)) => {
                let missing: Vec<&str> = m
                    .selections
                    .iter()
                    .filter(|(sid, _)| !sels.iter().any(|s| &s.id == sid))
                    .map(|(sid, _)| sid.as_str())
                    .collect();
                (!missing.is_empty()).then(|| format!("tally.json lacks selections {missing:?}"))
            }
        };
        tally.item(|| format!("tally contest {}", m.id), reason);
    }
}

/// V12: the spoiled ballots decrypted are exactly the submitted ballots marked spoiled, each
/// decrypted from its own ciphertexts with V8–V11's checks.
fn spoiled_ballots(cx: &Context) -> Tally {
    let r = cx.record;
    let mut out = Tally::default();
    let spoiled: BTreeMap<&str, &Ballot> = r
        .ballots
        .iter()
        .filter(|b| b.state == BallotState::Spoiled)
        .map(|b| (b.id.as_str(), b))
        .collect();
    let decrypted: BTreeSet<&str> = r.spoiled.iter().map(|d| d.id.as_str()).collect();
    for id in spoiled.keys().filter(|id| !decrypted.contains(*id)) {
        out.fail(
            format!("spoiled ballot {id}"),
            "is marked spoiled but its decryption is not published".into(),
        );
    }
    let results: Vec<Tally> = r
        .spoiled
        .par_iter()
        .map(|d| {
            let name = format!("spoiled ballot {}", d.id);
            let Some(ballot) = spoiled.get(d.id.as_str()) else {
                let mut t = Tally::default();
                t.fail(name, "is not a submitted ballot marked spoiled".into());
                return t;
            };
            let messages: HashMap<(String, String), Ciphertext> = ballot
                .contests
                .iter()
                .flat_map(|c| {
                    c.selections
                        .iter()
                        .map(move |s| ((c.id.clone(), s.id.clone()), s.ciphertext.clone()))
                })
                .collect();
            let mut t = Tally::default();
            // Every selection of the ballot must be decrypted; placeholders may be (the 1.0
            // sample decrypts them, electionguard 1.4 does not). A decrypted selection that
            // is not on the ballot fails V11 with its name.
            let decrypted: BTreeSet<(&str, &str)> = d
                .contests
                .iter()
                .flat_map(|(c, sels)| sels.iter().map(move |s| (c.as_str(), s.id.as_str())))
                .collect();
            let missing: Vec<String> = ballot
                .contests
                .iter()
                .flat_map(|c| {
                    c.selections
                        .iter()
                        .filter(|s| !s.placeholder)
                        .map(move |s| (c.id.as_str(), s.id.as_str()))
                })
                .filter(|key| !decrypted.contains(key))
                .map(|(c, s)| format!("{c}/{s}"))
                .collect();
            if !missing.is_empty() {
                t.fail(
                    name.clone(),
                    format!("selections of the ballot are not decrypted: {missing:?}"),
                );
            }
            t.merge(decryption(cx, d, &messages, &name).flatten());
            t
        })
        .collect();
    for t in results {
        out.merge(t);
    }
    out
}

/// The result: the manifest's contests and selections with the counts of tally.json (every
/// one of them checked by V11, so this is reported only with the steps beside it).
fn result(r: &Record) -> Vec<ContestResult> {
    crate::manifest::result_from(&r.election.manifest, &r.tally.contests, |x| {
        (&x.id, x.tally)
    })
}
