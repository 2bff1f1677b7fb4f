//! Pre-encrypted ballots (§4 and steps V15–V18 of the 2.0 specification): the selection,
//! contest and ballot hashes of V17, the short codes of V18, the accumulation of the vectors a
//! voter selected, and the vectors an uncast ballot's primary nonce gives. V15 and V16 are V5's
//! and V6's range proofs, run on pre-encrypted ballots by [`crate::v2::verify`]; 17.D is V7.C's
//! check of unique codes.
//!
//! The hashes follow electionguard-kotlin-multiplatform, whose known-answer vectors they
//! reproduce; where it departs from the specification (the contest label in χ and in the
//! nonces, the short codes) docs/ELECTIONGUARD.md says so (disagreement 16).
//!
//! Public data only, so variable-time arithmetic (see [`crate::group`]).

use std::collections::{BTreeSet, HashMap};

use num_bigint::BigUint;
use rayon::prelude::*;

use crate::group::{Ciphertext, Group};
use crate::manifest::ManifestContest;
use crate::report::{Step, Steps};
use crate::v2::hash::{Part, hash};
use crate::v2::record::{Ballot, Contest, PreEncryption, Spec};
use crate::v2::verify::{self, Check, Election, slot};

/// egk's hash-trimming function Ω: the first five hexadecimal digits of ψ, upper case (the
/// specification's Ω1–Ω8 all take the last bytes; egk's manifest names none).
pub fn short_code(psi: &BigUint) -> String {
    format!("{psi:064X}").chars().take(5).collect()
}

/// ψ = H(H_E; 0x40, K, α_1, β_1, …, α_m, β_m) (equation 92, 17.A).
pub fn selection_hash<G: Group>(e: &Election<G>, vector: &[Ciphertext<G::Element>]) -> BigUint {
    let g = &e.group;
    let mut parts = vec![Part::Tag(0x40), Part::Element(g.encode(e.public_key))];
    for c in vector {
        parts.push(Part::Element(g.encode(&c.pad)));
        parts.push(Part::Element(g.encode(&c.data)));
    }
    hash(&e.he, &parts)
}

/// χ = H(H_E; 0x41, Λ, K, ψ_σ(1), …, ψ_σ(m+L)) over the hashes as given (17.B), with the
/// contest's label Λ as egk hashes it: the bytes of its id, where 17.B has its index l.
pub fn contest_hash<G: Group>(e: &Election<G>, contest_id: &str, hashes: &[BigUint]) -> BigUint {
    let mut parts = vec![
        Part::Tag(0x41),
        Part::Bytes(contest_id.as_bytes()),
        Part::Element(e.group.encode(e.public_key)),
    ];
    parts.extend(hashes.iter().map(Part::Q));
    hash(&e.he, &parts)
}

/// H(B) = H(H_E; 0x42, χ_1, …, χ_mB, B_aux) (equation 95, 17.C).
pub fn confirmation_code<G: Group>(
    e: &Election<G>,
    contest_hashes: &[&BigUint],
    baux: &[u8],
) -> BigUint {
    let mut parts = vec![Part::Tag(0x42)];
    parts.extend(contest_hashes.iter().map(|h| Part::Q(h)));
    parts.push(Part::Bytes(baux));
    hash(&e.he, &parts)
}

/// ξ_i,j,k = H(H_E; 0x43, ξ, Λ_i, λ_j, λ_k) mod q (equation 96), with the labels as egk hashes
/// them: the bytes of the contest's and the selections' ids, where (96) has their indices.
pub fn nonce<G: Group>(
    e: &Election<G>,
    primary: &BigUint,
    contest: &str,
    j: &str,
    k: &str,
) -> BigUint {
    let x = hash(
        &e.he,
        &[
            Part::Tag(0x43),
            Part::Q(primary),
            Part::Bytes(contest.as_bytes()),
            Part::Bytes(j.as_bytes()),
            Part::Bytes(k.as_bytes()),
        ],
    );
    e.group.reduce(&x)
}

/// The selection vectors the primary nonce ξ gives a contest (§4.2): for each selection λ_j
/// of the manifest, then for the nulls "null1" … "nullL", the vector ⟨Enc(δ_jk; ξ_i,j,k)⟩ over
/// the selections λ_k, with Enc(σ; ξ) = (g^ξ, K^(σ+ξ)). Each vector comes with its label λ_j.
pub fn vectors<G: Group>(
    e: &Election<G>,
    contest: &ManifestContest,
    primary: &BigUint,
) -> Vec<(String, Vec<Ciphertext<G::Element>>)> {
    let g = &e.group;
    let labels: Vec<String> = contest
        .selections
        .iter()
        .map(|(id, _)| id.clone())
        .chain((1..=contest.votes_allowed).map(|n| format!("null{n}")))
        .collect();
    labels
        .par_iter()
        .map(|j| {
            let vector = contest
                .selections
                .iter()
                .map(|(k, _)| {
                    let xi = nonce(e, primary, &contest.id, j, k);
                    let sigma = BigUint::from(u8::from(j == k));
                    Ciphertext {
                        pad: g.g_pow(&xi),
                        data: g.fixed_pow(&e.key_table, &(sigma + &xi)),
                    }
                })
                .collect();
            (j.clone(), vector)
        })
        .collect()
}

/// V17.A–C and V18 for one pre-encrypted ballot, with the accumulation of its selected vectors
/// (cast) or the vectors of its primary nonce (uncast).
pub(crate) fn ballot<G: Group>(e: &Election<G>, ballot: &Ballot<G::Element>) -> Steps {
    let mut steps = Steps::default();
    let manifest: HashMap<&str, &ManifestContest> =
        e.manifest.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut contest_hashes = Vec::new();
    for contest in &ballot.contests {
        let name = format!("ballot {} contest {}", ballot.id, contest.id);
        let Some(pre) = &contest.pre_encryption else {
            slot(&mut steps, Check::PreCodes).fail(
                name,
                "the contest of a pre-encrypted ballot has no pre_encryption".into(),
            );
            continue;
        };
        contest_hashes.push(&pre.contest_hash);
        let m = manifest.get(contest.id.as_str()).copied();
        vectors_published(e, &name, pre, m, &mut steps);

        // 17.B
        let hashes = &pre.selection_hashes;
        let reason = match m {
            None => Some("the contest is not in the manifest".to_string()),
            Some(m) if hashes.len() as u64 != m.selections.len() as u64 + m.votes_allowed => {
                Some(format!(
                    "{} selection hashes for m + L = {} + {}",
                    hashes.len(),
                    m.selections.len(),
                    m.votes_allowed
                ))
            }
            _ if !hashes.windows(2).all(|w| w[0] < w[1]) => {
                Some("the selection hashes are not in increasing order".into())
            }
            _ if contest_hash(e, &contest.id, hashes) != pre.contest_hash => {
                Some("χ ≠ H(H_E; 0x41, Λ, K, ψ_σ(1), …, ψ_σ(m+L))".into())
            }
            _ => None,
        };
        slot(&mut steps, Check::PreCodes).item(|| name.clone(), reason);

        // §4.1.4: the short codes within a contest are unique.
        let codes: BTreeSet<String> = hashes.iter().map(short_code).collect();
        slot(&mut steps, Check::PreShortCodes).item(
            || format!("{name} short codes"),
            (codes.len() != hashes.len())
                .then(|| "two selection vectors of the contest have the same short code".into()),
        );

        if ballot.state == "CAST" {
            slot(&mut steps, Check::PreAccumulation).item(
                || format!("{name} selected vectors"),
                accumulation_reason(e, contest, pre, m),
            );
        } else {
            slot(&mut steps, Check::PreUncast).item(
                || format!("{name} primary nonce"),
                uncast_reason(e, ballot.primary_nonce.as_ref(), contest, pre, m),
            );
        }
    }
    // 17.C
    let code = confirmation_code(e, &contest_hashes, &ballot.code_baux);
    slot(&mut steps, Check::PreCodes).item(
        || format!("ballot {}", ballot.id),
        (code != ballot.confirmation_code)
            .then(|| "H(B) ≠ H(H_E; 0x42, χ_1, …, χ_mB, B_aux)".into()),
    );
    steps
}

/// 17.A and 18.A for each vector the contest publishes: its encryptions are in the group, one
/// per selection, ψ is their hash and one of the contest's, and its short code is Ω(ψ).
fn vectors_published<G: Group>(
    e: &Election<G>,
    name: &str,
    pre: &PreEncryption<G::Element>,
    m: Option<&ManifestContest>,
    steps: &mut Steps,
) {
    let g = &e.group;
    let hashes: BTreeSet<&BigUint> = pre.selection_hashes.iter().collect();
    for v in &pre.vectors {
        let item = || format!("{name} vector {}", v.short_code);
        let reason = if m.is_some_and(|m| v.encryptions.len() != m.selections.len()) {
            Some(format!(
                "has {} encryptions for the contest's {} selections",
                v.encryptions.len(),
                m.map_or(0, |m| m.selections.len())
            ))
        } else if !v
            .encryptions
            .iter()
            .all(|c| g.is_element(&c.pad) && g.is_element(&c.data))
        {
            Some("an α or β is not in Z_p^r".into())
        } else if selection_hash(e, &v.encryptions) != v.selection_hash {
            Some("ψ ≠ H(H_E; 0x40, K, α_1, β_1, …, α_m, β_m)".into())
        } else if !hashes.contains(&v.selection_hash) {
            Some("ψ is not one of the contest's selection hashes".into())
        } else {
            None
        };
        slot(steps, Check::PreCodes).item(item, reason);
        let expected = short_code(&v.selection_hash);
        slot(steps, Check::PreShortCodes).item(
            item,
            (expected != v.short_code).then(|| format!("the short code is not Ω(ψ) = {expected}")),
        );
    }
}

/// V18 (the second paragraph): a cast contest's selections are the component-wise product of
/// the L distinct vectors selected (nulls for an undervote), each one of the contest's.
fn accumulation_reason<G: Group>(
    e: &Election<G>,
    contest: &Contest<G::Element>,
    pre: &PreEncryption<G::Element>,
    m: Option<&ManifestContest>,
) -> Option<String> {
    let g = &e.group;
    let limit = m.map_or(0, |m| m.votes_allowed);
    let distinct: BTreeSet<&BigUint> = pre.vectors.iter().map(|v| &v.selection_hash).collect();
    if m.is_none() {
        return Some("the contest is not in the manifest".into());
    }
    if pre.vectors.len() as u64 != limit {
        return Some(format!(
            "publishes {} selected vectors for a vote limit of {limit}",
            pre.vectors.len()
        ));
    }
    if distinct.len() != pre.vectors.len() {
        return Some("a vector is selected twice".into());
    }
    for (k, s) in contest.selections.iter().enumerate() {
        let mut product = Ciphertext::unit(g);
        for v in &pre.vectors {
            let Some(encryption) = v.encryptions.get(k) else {
                return Some(format!("a selected vector has no encryption for {}", s.id));
            };
            product = product.mul(encryption, g);
        }
        if product != s.vote {
            return Some(format!(
                "selection {}'s encryption is not the product of the selected vectors'",
                s.id
            ));
        }
    }
    None
}

/// An uncast contest (§4.5, 2.1's V18): the vectors its primary nonce gives hash to exactly the
/// published selection hashes, so every pre-encryption the voter saw is of the manifest's
/// selections.
fn uncast_reason<G: Group>(
    e: &Election<G>,
    primary: Option<&BigUint>,
    contest: &Contest<G::Element>,
    pre: &PreEncryption<G::Element>,
    m: Option<&ManifestContest>,
) -> Option<String> {
    let Some(m) = m else {
        return Some(format!("{} is not a contest of the manifest", contest.id));
    };
    let Some(primary) = primary else {
        return Some("the ballot is uncast but publishes no primary nonce".into());
    };
    if primary.bits() > 256 {
        return Some("the primary nonce is not below 2^256".into());
    }
    // More nulls than selections would only cost time: no manifest here has them.
    if m.votes_allowed > m.selections.len() as u64 {
        return Some("the vote limit is above the number of selections".into());
    }
    let mut hashes: Vec<BigUint> = vectors(e, m, primary)
        .iter()
        .map(|(_, v)| selection_hash(e, v))
        .collect();
    hashes.sort_unstable();
    (hashes != pre.selection_hashes).then(|| {
        "the vectors of the primary nonce do not hash to the published selection hashes".into()
    })
}

/// V15–V18 of the 2.0 specification for `ballots` alone, without the rest of an election
/// record: how egk's known-answer vectors, which are ballots of an election that publishes
/// nothing else, are verified. Ballots that are not pre-encrypted have no items here.
pub fn verify_ballots<G: Group>(e: &Election<G>, ballots: &[Ballot<G::Element>]) -> Vec<Step> {
    let pre: Vec<&Ballot<G::Element>> = ballots.iter().filter(|b| b.preencrypted).collect();
    let mut steps = pre
        .par_iter()
        .map(|b| verify::ballot(e, b))
        .reduce(Steps::default, Steps::merge);
    verify::unique_codes(ballots, &mut steps);
    verify::finish(steps, Spec::V2_0)
        .into_iter()
        .skip(14)
        .collect()
}
