//! The verification steps of the ElectionGuard 2.0 specification (§6.2), numbered and named as
//! it numbers them, over a 1.91 record: the 2.0 equations it follows, with the hash inputs of
//! its writer, electionguard-core2, confirmed item by item on the sample (docs/ELECTIONGUARD.md
//! lists them, and where they depart from the specification).
//!
//! Every check uses public data only; see [`crate::group`] on variable-time arithmetic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use num_bigint::BigUint;
use num_traits::One;
use rayon::prelude::*;

use crate::constants::Standard;
use crate::group::{Ciphertext, FixedBase, Group, IntegerGroup};
use crate::manifest::ManifestContest;
use crate::parameters::{self, Options};
use crate::report::{ContestResult, Report, Steps, Tally};
use crate::v1::hash::{Hasher, Item};
use crate::v1::record::{BallotState, DisjunctiveProof};
use crate::v1_91::record::{Ballot, Decryption, RangeProof, Record};
use crate::v2::verify::{STEPS, merge_pair, proof_and_value, value_reason};

/// The format named in reports.
pub const NAME: &str = "ElectionGuard 1.91 (electionguard-core2; 1.x files, 2.0 equations)";

struct Context<'a> {
    record: &'a Record,
    group: IntegerGroup,
    hash: Hasher,
    key: FixedBase,
}

impl Context<'_> {
    /// The extended base hash, written as electionguard-core2 writes a hash.
    fn he(&self) -> Item<'_> {
        Item::Q(&self.record.election.extended_base_hash)
    }
}

/// Verify a 1.91 record: every step of the 2.0 specification, then the result.
pub fn verify(record: &Record, options: Options) -> Report {
    let mut steps = Steps::default();
    let mut notes = Vec::new();
    let (v1, note, group) =
        parameters::checked_group(Standard::V2, record.election.constants(), options);
    *steps.at(1) = v1;
    notes.extend(note);
    let key = group.fixed_base(&record.election.public_key);
    let cx = Context {
        record,
        group,
        hash: Hasher::fixed(&record.election.q),
        key,
    };

    base_hash(&cx, steps.at(1));
    // V1 (continued, 2.0's 1.G): the manifest hash and every ballot's description hashes.
    let ballots = record
        .ballots
        .iter()
        .map(|b| (b.id.as_str(), &b.contests[..]));
    let hashes = &record.election.manifest_hashes;
    hashes.check(
        &record.election.manifest_hash,
        &record.election.manifest,
        ballots,
        steps.at(1),
    );
    guardians(&cx, steps.at(2));
    election_key(&cx, steps.at(3));
    extended_base_hash(&cx, steps.at(4));
    let ballots = record
        .ballots
        .par_iter()
        .map(|b| ballot(&cx, b))
        .reduce(Steps::default, Steps::merge);
    steps = steps.merge(ballots);
    code_chain(&cx, steps.at(7));
    aggregation(&cx, steps.at(8));
    let messages: HashMap<(&str, &str), &Ciphertext> = record
        .election
        .encrypted_tally
        .iter()
        .flat_map(|(c, sels)| {
            sels.iter()
                .map(move |(s, ct)| ((c.as_str(), s.as_str()), ct))
        })
        .collect();
    let (v9, v10) = decryption(&cx, &record.tally, &messages, "tally", None);
    steps.at(9).merge(v9);
    steps.at(10).merge(v10);
    labels(&cx, steps.at(10));
    challenged(&cx, &mut steps);
    notes.extend(reused_commitments(record));
    notes.push("V7: the confirmation code hashes no code_seed (H(B) = H(H_E, 24, null, χ_1, ...)), so the chain of seeds is checked for its shape only: it is not bound by the codes".into());
    notes.push("V11 and V14: the record publishes no decrypted contest data; V15–V18: it has no pre-encrypted ballots".into());
    steps.at(18);

    let cast = record
        .ballots
        .iter()
        .filter(|b| b.state == BallotState::Cast)
        .count() as u64;
    Report {
        format: NAME.into(),
        steps: steps.finish(&STEPS),
        notes,
        contests: result(record),
        exponentiations: cx.group.exponentiations(),
        cast_ballots: cast,
        spoiled_ballots: record.ballots.len() as u64 - cast,
    }
}

/// V1 (continued): the base hash, as the 1.x writers compute it. The sample's value matches no
/// construction tried (docs/ELECTIONGUARD.md), so this item fails there: nothing shows that
/// the record's hashes bind the parameters and the manifest.
fn base_hash(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let q = cx.hash.hash(&[
        Item::P(&r.election.p),
        Item::Q(&r.election.q),
        Item::P(&r.election.g),
        Item::I(r.election.guardians_count),
        Item::I(r.election.quorum),
        Item::Q(&r.election.manifest_hash),
    ]);
    tally.item(
        || "crypto_base_hash".into(),
        (q != r.election.base_hash)
            .then(|| "is not H(p, q, g, n, k, manifest_hash) (nor any construction tried: the record's hashes are not shown to bind the parameters and the manifest)".into()),
    );
}

/// V2: n guardians numbered 1..n, k commitments each, and a Schnorr proof for each:
/// c = H(K_ij, h_ij) and g^u = h_ij · K_ij^c (the 1.x form this writer keeps, with its
/// writer's encoding of the hash inputs).
fn guardians(cx: &Context, tally: &mut Tally) {
    let hash = |k: &BigUint, h: &BigUint| cx.hash.hash(&[Item::P(k), Item::P(h)]);
    crate::v1::verify::guardian_proofs(&cx.record.election, &cx.group, hash, tally);
}

/// V3: K = ∏ K_i (each in Z_p^r, not 1) and the commitment hash H([K_10, ..., K_n(k−1)]).
fn election_key(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.group;
    let mut product = BigUint::one();
    for guardian in &r.election.guardians {
        tally.item(
            || format!("guardian {} key", guardian.id),
            (guardian.key.is_one() || !g.is_element(&guardian.key))
                .then(|| "K_i is not in Z_p^r or is 1".into()),
        );
        product = g.mul(&product, &guardian.key);
    }
    tally.item(
        || "elgamal_public_key".into(),
        (product != r.election.public_key || product.is_one())
            .then(|| "K ≠ ∏ K_i, or K = 1".into()),
    );
    let all: Vec<Item> = r
        .election
        .guardians
        .iter()
        .flat_map(|x| x.commitments.iter().map(Item::P))
        .collect();
    tally.item(
        || "commitment_hash".into(),
        (cx.hash.hash(&[Item::Seq(all)]) != r.election.commitment_hash)
            .then(|| "is not H([every guardian's commitments])".into()),
    );
}

/// V4: H_E = H(Q, 12, K, commitment hash).
fn extended_base_hash(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let he = cx.hash.hash(&[
        Item::Q(&r.election.base_hash),
        Item::S("12"),
        Item::P(&r.election.public_key),
        Item::Q(&r.election.commitment_hash),
    ]);
    tally.item(
        || "crypto_extended_base_hash".into(),
        (he != r.election.extended_base_hash).then(|| "H_E ≠ H(Q, 12, K, commitment_hash)".into()),
    );
}

/// V5 for one selection: (α, β) in Z_p^r and the proof of 0 or 1 with
/// c = H(21, H_E, K, α, β, a_0, b_0, a_1, b_1), c = c_0 + c_1, a_j = g^v_j · α^c_j,
/// b_0 = K^v_0 · β^c_0 and b_1 = K^(v_1 − c_1) · β^c_1.
fn selection_reason(cx: &Context, ct: &Ciphertext, p: &DisjunctiveProof) -> Option<String> {
    let g = &cx.group;
    let r = cx.record;
    let (alpha, beta) = (&ct.pad, &ct.data);
    if !g.is_element(alpha) || !g.is_element(beta) {
        return Some("α or β is not in Z_p^r".into());
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
        Item::S("21"),
        cx.he(),
        Item::P(&r.election.public_key),
        Item::P(alpha),
        Item::P(beta),
        Item::P(&p.zero_pad),
        Item::P(&p.zero_data),
        Item::P(&p.one_pad),
        Item::P(&p.one_data),
    ]);
    if c != p.challenge {
        return Some("c ≠ H(21, H_E, K, α, β, a_0, b_0, a_1, b_1)".into());
    }
    if g.reduce(&(&p.zero_challenge + &p.one_challenge)) != p.challenge {
        return Some("c ≠ c_0 + c_1".into());
    }
    if g.multi_pow(&[
        (&r.election.g, &p.zero_response),
        (alpha, &p.zero_challenge),
    ]) != p.zero_pad
        || g.multi_pow(&[(&r.election.g, &p.one_response), (alpha, &p.one_challenge)]) != p.one_pad
    {
        return Some("a_j ≠ g^v_j · α^c_j".into());
    }
    let w1 = g.reduce(&(&p.one_response + &r.election.q - &p.one_challenge));
    let b0 = g.mul(
        &g.fixed_pow(&cx.key, &p.zero_response),
        &g.pow(beta, &p.zero_challenge),
    );
    let b1 = g.mul(&g.fixed_pow(&cx.key, &w1), &g.pow(beta, &p.one_challenge));
    if b0 != p.zero_data || b1 != p.one_data {
        return Some("b_0 ≠ K^v_0 · β^c_0 or b_1 ≠ K^(v_1 − c_1) · β^c_1".into());
    }
    None
}

/// V6 for one contest's sum (Ā, B̄): a range proof of 0..L with the commitments recomputed,
/// a_j = g^v_j · Ā^c_j and b_j = K^(v_j − j·c_j) · B̄^c_j, the challenge
/// c = H(H_E, 21, K, Ā, B̄, [H(a_0, b_0), H(a_1, b_1), ...]) and c = Σ c_j.
fn range_reason(cx: &Context, sum: &Ciphertext, proof: &RangeProof, limit: u64) -> Option<String> {
    let g = &cx.group;
    let r = cx.record;
    if !proof
        .parts
        .iter()
        .all(|(_, c, v)| g.is_scalar(c) && g.is_scalar(v))
        || !g.is_scalar(&proof.challenge)
    {
        return Some("a challenge or response is not in Z_q".into());
    }
    let indices: Vec<u64> = proof.parts.iter().map(|(j, _, _)| *j).collect();
    let expected: Vec<u64> = (0..=limit).collect();
    let mut hashes = Vec::with_capacity(proof.parts.len());
    let mut total = BigUint::ZERO;
    for (j, c, v) in &proof.parts {
        let jc = g.reduce(&(BigUint::from(*j) * c));
        let w = g.reduce(&(v + &r.election.q - jc));
        let a = g.multi_pow(&[(&r.election.g, v), (&sum.pad, c)]);
        let b = g.mul(&g.fixed_pow(&cx.key, &w), &g.pow(&sum.data, c));
        hashes.push(cx.hash.hash(&[Item::P(&a), Item::P(&b)]));
        total += c;
    }
    let c = cx.hash.hash(&[
        cx.he(),
        Item::S("21"),
        Item::P(&r.election.public_key),
        Item::P(&sum.pad),
        Item::P(&sum.data),
        Item::Seq(hashes.iter().map(Item::Q).collect()),
    ]);
    let challenge = if c == proof.challenge {
        "its challenge c = H(H_E, 21, K, Ā, B̄, [H(a_j, b_j)]) does reproduce"
    } else {
        "and c ≠ H(H_E, 21, K, Ā, B̄, [H(a_j, b_j)])"
    };
    if indices != expected {
        return Some(format!(
            "the proof has branches for {indices:?}, a vote limit of {limit} needs 0..={limit} (the branch of {limit} is missing, so the proof shows nothing); {challenge}"
        ));
    }
    if proof.range_limit != limit {
        return Some(format!(
            "range_limit is {}, the contest allows {limit} votes",
            proof.range_limit
        ));
    }
    if c != proof.challenge {
        return Some("c ≠ H(H_E, 21, K, Ā, B̄, [H(a_j, b_j)])".into());
    }
    (g.reduce(&total) != proof.challenge).then(|| "c ≠ Σ c_j".into())
}

/// V5, V6 and V7's hashes for one ballot. Its contests, and their selections, are checked in
/// parallel (a small record has fewer ballots than there are cores).
fn ballot(cx: &Context, ballot: &Ballot) -> Steps {
    let r = cx.record;
    let manifest = r.election.contests_by_id();
    let mut steps = ballot
        .contests
        .par_iter()
        .map(|contest| contest_steps(cx, ballot, contest, manifest.get(contest.id.as_str())))
        .reduce(Steps::default, Steps::merge);
    let mut items = vec![cx.he(), Item::S("24"), Item::S("")];
    items.extend(ballot.contests.iter().map(|c| Item::Q(&c.crypto_hash)));
    let h = cx.hash.hash(&items);
    let reason = if ballot.manifest_hash != r.election.manifest_hash {
        Some("its manifest_hash is not the election's".to_string())
    } else if h != ballot.crypto_hash || ballot.code != ballot.crypto_hash {
        Some("code or crypto_hash ≠ H(H_E, 24, null, χ_1, χ_2, ...)".into())
    } else {
        None
    };
    steps.at(7).item(|| format!("ballot {}", ballot.id), reason);
    steps
}

/// V5, V6 and V7's hashes for one contest of a ballot.
fn contest_steps(
    cx: &Context,
    ballot: &Ballot,
    contest: &crate::v1_91::record::Contest,
    manifest: Option<&&ManifestContest>,
) -> Steps {
    let mut steps = Steps::default();
    let g = &cx.group;
    let r = cx.record;
    let name = format!("ballot {} contest {}", ballot.id, contest.id);
    let proofs: Vec<Option<String>> = contest
        .selections
        .par_iter()
        .map(|s| selection_reason(cx, &s.ciphertext, &s.proof))
        .collect();
    let mut sum = Ciphertext::one();
    for (s, reason) in contest.selections.iter().zip(proofs) {
        let item = || format!("{name} selection {}", s.id);
        steps.at(5).item(item, reason);
        sum = sum.mul(&s.ciphertext, g);
        let h = cx
            .hash
            .hash(&[Item::P(&s.ciphertext.pad), Item::P(&s.ciphertext.data)]);
        steps.at(7).item(
            item,
            (h != s.crypto_hash).then(|| "crypto_hash ≠ H(α, β)".into()),
        );
    }
    let reason = match manifest.copied() {
        None => Some("the contest is not in the manifest".to_string()),
        Some(m) if u64::from(m.sequence) != contest.sequence => Some(format!(
            "its sequence_order {} is not the manifest's {}",
            contest.sequence, m.sequence
        )),
        Some(m)
            if contest.selections.iter().any(|s| s.placeholder)
                || m.selections
                    .iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<BTreeSet<_>>()
                    != contest
                        .selections
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<BTreeSet<_>>()
                || m.selections.len() != contest.selections.len() =>
        {
            Some("its selections are not the manifest's (once each, no placeholders)".into())
        }
        Some(_) if sum != contest.accumulation => {
            Some("ciphertext_accumulation is not the product of the selections".into())
        }
        Some(m) => range_reason(cx, &sum, &contest.proof, m.votes_allowed),
    };
    steps.at(6).item(|| name.clone(), reason);
    let mut items = vec![
        cx.he(),
        Item::S("23"),
        Item::I(contest.sequence),
        Item::P(&r.election.public_key),
    ];
    items.extend(contest.selections.iter().map(|s| Item::Q(&s.crypto_hash)));
    steps.at(7).item(
        || name.clone(),
        (cx.hash.hash(&items) != contest.crypto_hash)
            .then(|| "χ ≠ H(H_E, 23, sequence_order, K, selection hashes)".into()),
    );
    steps
}

/// V7 (continued): codes are unique, and the seeds form chains: each seed is another ballot's
/// code or a chain's first seed, and no seed starts two chains.
fn code_chain(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let mut codes: BTreeMap<&BigUint, &str> = BTreeMap::new();
    for b in &r.ballots {
        let reason = codes
            .insert(&b.code, &b.id)
            .map(|other| format!("has the same confirmation code as ballot {other}"));
        tally.item(|| format!("ballot {} code", b.id), reason);
    }
    let mut seeds: BTreeMap<&BigUint, &str> = BTreeMap::new();
    for b in &r.ballots {
        let reason = if let Some(other) = seeds.insert(&b.code_seed, &b.id) {
            Some(format!(
                "its code_seed is also ballot {other}'s: the chain forks"
            ))
        } else if codes.get(&b.code_seed) == Some(&b.id.as_str()) {
            Some("its code_seed is its own code".into())
        } else {
            None
        };
        tally.item(|| format!("ballot {} code_seed", b.id), reason);
    }
}

/// V8: the encrypted tally is the product of the cast ballots, which are the ballots it lists.
fn aggregation(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    let g = &cx.group;
    let state_ids = |want: BallotState| -> BTreeSet<&str> {
        r.ballots
            .iter()
            .filter(|b| b.state == want)
            .map(|b| b.id.as_str())
            .collect()
    };
    let listed: BTreeSet<&str> = r.cast_ids.iter().map(String::as_str).collect();
    tally.item(
        || "cast_ballot_ids".into(),
        (state_ids(BallotState::Cast) != listed)
            .then(|| "the encrypted tally's cast ballots are not the ballots marked cast".into()),
    );
    let listed: BTreeSet<&str> = r.challenged_ids.iter().map(String::as_str).collect();
    tally.item(
        || "challenged_ballot_ids".into(),
        (state_ids(BallotState::Spoiled) != listed).then(|| {
            "the encrypted tally's challenged ballots are not the ballots marked spoiled".into()
        }),
    );
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
            let expected = sums.get(&(m.id.as_str(), sid.as_str())).unwrap_or(&one);
            let reason = match r
                .election
                .encrypted_tally
                .get(&m.id)
                .and_then(|c| c.get(sid))
            {
                None => Some("is missing from encrypted_tally.json".to_string()),
                Some(p) if p != expected => {
                    Some("(A, B) is not the product of the cast ballots' encryptions".into())
                }
                _ => None,
            };
            tally.item(|| format!("tally contest {} selection {sid}", m.id), reason);
        }
    }
}

/// V9/V10 (V12/V13 for a challenged ballot): each selection's combined proof with M = B · T^-1,
/// a = g^v · K^c, b = A^v · M^c and c = H(30, H_E, K, A, B, a, b, M); and T = K^t.
fn decryption(
    cx: &Context,
    d: &Decryption,
    messages: &HashMap<(&str, &str), &Ciphertext>,
    what: &str,
    limit: Option<u64>,
) -> (Tally, Tally) {
    let g = &cx.group;
    let r = cx.record;
    d.contests
        .par_iter()
        .flat_map_iter(|(cid, sels)| sels.iter().map(move |s| (cid, s)))
        .map(|(cid, s)| {
            let name = format!("{what} contest {cid} selection {}", s.id);
            let p = &s.proof;
            let proof = match messages.get(&(cid.as_str(), s.id.as_str())) {
                None => Some("there is no ciphertext of this selection to decrypt".to_string()),
                Some(_) if !g.is_scalar(&p.response) || !g.is_scalar(&p.challenge) => {
                    Some("c or v is not in Z_q".into())
                }
                Some(_) if !g.is_element(&s.value) => Some("T is not in Z_p^r".into()),
                Some(ct) => {
                    let (a, b) = (&ct.pad, &ct.data);
                    let m = g.mul(b, &g.inverse(&s.value));
                    let ca = g.mul(&g.g_pow(&p.response), &g.fixed_pow(&cx.key, &p.challenge));
                    let cb = g.multi_pow(&[(a, &p.response), (&m, &p.challenge)]);
                    let c = cx.hash.hash(&[
                        Item::S("30"),
                        cx.he(),
                        Item::P(&r.election.public_key),
                        Item::P(a),
                        Item::P(b),
                        Item::P(&p.pad),
                        Item::P(&p.data),
                        Item::P(&m),
                    ]);
                    let mut wrong = Vec::new();
                    if ca != p.pad {
                        wrong.push("g^v · K^c ≠ a");
                    }
                    if cb != p.data {
                        wrong.push("A^v · M^c ≠ b");
                    }
                    if c != p.challenge {
                        wrong.push("c ≠ H(30, H_E, K, A, B, a, b, M)");
                    }
                    (!wrong.is_empty()).then(|| wrong.join("; "))
                }
            };
            let value = value_reason(g, &cx.key, s.tally, &s.value, limit);
            proof_and_value(name, proof, value)
        })
        .reduce(Default::default, merge_pair)
}

/// V10 (continued): tally.json has exactly the manifest's contests and selections.
fn labels(cx: &Context, tally: &mut Tally) {
    let r = cx.record;
    for m in &r.election.manifest {
        let want: BTreeSet<&str> = m.selections.iter().map(|(s, _)| s.as_str()).collect();
        let reason = match r.tally.contests.iter().find(|(id, _)| id == &m.id) {
            None => Some("is missing from tally.json".to_string()),
            Some((_, sels))
                if sels.iter().map(|s| s.id.as_str()).collect::<BTreeSet<_>>() != want =>
            {
                Some("its selections are not the manifest's".into())
            }
            _ => None,
        };
        tally.item(|| format!("tally contest {} labels", m.id), reason);
    }
    for (cid, _) in &r.tally.contests {
        if !r.election.manifest.iter().any(|m| &m.id == cid) {
            tally.fail(
                format!("tally contest {cid}"),
                "is not a contest of the manifest".into(),
            );
        }
    }
}

/// V12–V13: the spoiled ballots decrypted are exactly the ballots marked spoiled, each from
/// its own encryptions, with every selection decrypted.
fn challenged(cx: &Context, steps: &mut Steps) {
    let r = cx.record;
    let spoiled: HashMap<&str, &Ballot> = r
        .ballots
        .iter()
        .filter(|b| b.state == BallotState::Spoiled)
        .map(|b| (b.id.as_str(), b))
        .collect();
    let decrypted: BTreeSet<&str> = r.spoiled.iter().map(|d| d.id.as_str()).collect();
    for id in spoiled.keys().filter(|id| !decrypted.contains(*id)) {
        steps.at(13).fail(
            format!("challenged ballot {id}"),
            "is marked spoiled but its decryption is not published".into(),
        );
    }
    for d in &r.spoiled {
        let name = format!("challenged ballot {}", d.id);
        let Some(ballot) = spoiled.get(d.id.as_str()) else {
            steps
                .at(13)
                .fail(name, "is not a submitted ballot marked spoiled".into());
            continue;
        };
        let messages: HashMap<(&str, &str), &Ciphertext> = ballot
            .contests
            .iter()
            .flat_map(|c| {
                c.selections
                    .iter()
                    .map(move |s| ((c.id.as_str(), s.id.as_str()), &s.ciphertext))
            })
            .collect();
        let got: usize = d.contests.iter().map(|(_, s)| s.len()).sum();
        steps.at(13).item(
            || name.clone(),
            (got != messages.len()).then(|| {
                format!(
                    "{got} selections are decrypted, the ballot has {}",
                    messages.len()
                )
            }),
        );
        let (v12, v13) = decryption(cx, d, &messages, &name, Some(1));
        steps.at(12).merge(v12);
        steps.at(13).merge(v13);
    }
}

/// Decryption proofs of the same selection that share the commitment a: under two challenges
/// a Chaum–Pedersen commitment gives away the secret it hides.
fn reused_commitments(r: &Record) -> Option<String> {
    let mut seen: HashMap<&BigUint, (&str, &str)> = HashMap::new();
    let mut reused = Vec::new();
    for d in std::iter::once(&r.tally).chain(&r.spoiled) {
        for (_, sels) in &d.contests {
            for s in sels {
                if let Some((other, _)) = seen.insert(&s.proof.pad, (&d.id, &s.id)) {
                    reused.push(format!("{} in {other} and {}", s.id, d.id));
                }
            }
        }
    }
    (!reused.is_empty()).then(|| {
        format!(
            "V9/V12: {} decryption proofs reuse another proof's commitment a (which, under two challenges, reveals the secret behind it): {}",
            reused.len(),
            reused.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )
    })
}

/// The manifest's contests with the counts of tally.json (each checked by V9–V10).
fn result(r: &Record) -> Vec<ContestResult> {
    crate::manifest::result_from(&r.election.manifest, &r.tally.contests, |x| {
        (&x.id, x.tally)
    })
}
