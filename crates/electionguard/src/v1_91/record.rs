//! The 1.91 record: the file names and JSON shapes of electionguard-python 1.x, with the
//! cryptography of the ElectionGuard 2.0 drafts, as electionguard-core2 writes it (the
//! specification's sample `python-1.x/1.91/sample`).
//!
//! What differs from the 1.0 layout: guardians publish `coefficient_commitments` and
//! `coefficient_proofs`; a contest has no placeholders and proves its vote limit with a range
//! proof of (challenge, response) pairs whose commitments are recomputed; `tally.json` and the
//! spoiled ballots publish one combined decryption proof per selection and `T = K^t`, not the
//! guardians' shares.

use num_bigint::BigUint;

use crate::error::Result;
pub use crate::group::Ciphertext;
use crate::json::Node;
use crate::source::Files;
use crate::v1::hash::Reduction;
use crate::v1::manifest_hash::DescribedContest;
use crate::v1::record::{
    BallotState, ChaumPedersen, DisjunctiveProof, chaum_pedersen, ciphertext, disjunctive,
    election, state,
};
pub use crate::v1::record::{Election, Guardian};

/// A contest's proof that its selections add up to 0..L: the joint challenge and one
/// (challenge, response) pair per value j, as `[j, {challenge, response}]`.
pub struct RangeProof {
    /// c.
    pub challenge: BigUint,
    /// L as the proof states it (`range_limit`).
    pub range_limit: u64,
    /// (j, c_j, v_j) in file order.
    pub parts: Vec<(u64, BigUint, BigUint)>,
}

/// One encrypted selection.
pub struct Selection {
    /// object_id.
    pub id: String,
    /// Its encryption (α, β) = (g^ξ, K^(m+ξ)).
    pub ciphertext: Ciphertext,
    /// Its `crypto_hash`.
    pub crypto_hash: BigUint,
    /// The description hash it claims.
    pub description_hash: BigUint,
    /// `is_placeholder_selection`.
    pub placeholder: bool,
    /// Its proof of 0 or 1.
    pub proof: DisjunctiveProof,
}

/// One encrypted contest.
pub struct Contest {
    /// object_id.
    pub id: String,
    /// sequence_order: the contest index Λ of χ.
    pub sequence: u64,
    /// The description hash it claims.
    pub description_hash: BigUint,
    /// Its selections.
    pub selections: Vec<Selection>,
    /// The published product of the selections' encryptions.
    pub accumulation: Ciphertext,
    /// χ as published (`crypto_hash`).
    pub crypto_hash: BigUint,
    /// Its range proof.
    pub proof: RangeProof,
}

impl DescribedContest for Contest {
    fn described(&self) -> (&str, &BigUint, Vec<(&str, &BigUint)>) {
        let selections = self.selections.iter().filter(|s| !s.placeholder);
        let selections = selections.map(|s| (s.id.as_str(), &s.description_hash));
        (&self.id, &self.description_hash, selections.collect())
    }
}

/// One submitted ballot.
pub struct Ballot {
    /// object_id.
    pub id: String,
    /// The manifest hash it claims.
    pub manifest_hash: BigUint,
    /// The previous ballot's code (or the chain's first seed).
    pub code_seed: BigUint,
    /// Its confirmation code.
    pub code: BigUint,
    /// Its `crypto_hash` (the same value as the code in this layout).
    pub crypto_hash: BigUint,
    /// Cast or spoiled.
    pub state: BallotState,
    /// Its contests.
    pub contests: Vec<Contest>,
}

/// One decrypted selection: t, T = K^t and the combined proof.
pub struct DecryptedSelection {
    /// object_id.
    pub id: String,
    /// t.
    pub tally: u64,
    /// T (`value`).
    pub value: BigUint,
    /// The combined Chaum–Pedersen proof (a, b, c, v).
    pub proof: ChaumPedersen,
}

/// The tally or a spoiled ballot, decrypted: contests by id, selections in file order.
pub struct Decryption {
    /// tally_id or ballot_id.
    pub id: String,
    /// Contest id and its selections.
    pub contests: Vec<(String, Vec<DecryptedSelection>)>,
}

/// A whole 1.91 record.
pub struct Record {
    /// Its constants, context, manifest, guardians and encrypted tally, as 1.x writes them.
    pub election: Election,
    /// Every submitted ballot.
    pub ballots: Vec<Ballot>,
    /// The ballots the encrypted tally says it counts.
    pub cast_ids: Vec<String>,
    /// The ballots it says were challenged or spoiled.
    pub challenged_ids: Vec<String>,
    /// tally.json.
    pub tally: Decryption,
    /// spoiled_ballots/*.json.
    pub spoiled: Vec<Decryption>,
}

/// Whether the record in `files` is a 1.91 record: 1.x files whose guardians publish
/// `coefficient_proofs`.
pub fn detect(files: &Files) -> Result<bool> {
    if !files.has("context.json") || !files.has("constants.json") {
        return Ok(false);
    }
    Ok(match files.json_under("guardians").first() {
        Some(guardian) => files.json(guardian)?.get("coefficient_proofs").is_some(),
        None => false,
    })
}

fn range_proof(node: &Node) -> Result<RangeProof> {
    let mut parts = Vec::new();
    for pair in node.get("proofs")?.array()? {
        let items = pair.array()?;
        let [j, zk] = items.as_slice() else {
            return Err(pair.error("is not a pair [j, {challenge, response}]"));
        };
        parts.push((
            j.u64()?,
            zk.get("challenge")?.hex()?,
            zk.get("response")?.hex()?,
        ));
    }
    Ok(RangeProof {
        challenge: node.get("challenge")?.hex()?,
        range_limit: node.get("range_limit")?.u64()?,
        parts,
    })
}

fn ballot(node: &Node) -> Result<Ballot> {
    let mut contests = Vec::new();
    for c in node.get("contests")?.array()? {
        let mut selections = Vec::new();
        for s in c.get("ballot_selections")?.array()? {
            selections.push(Selection {
                id: s.get("object_id")?.str()?.to_string(),
                ciphertext: ciphertext(&s.get("ciphertext")?)?,
                crypto_hash: s.get("crypto_hash")?.hex()?,
                description_hash: s.get("description_hash")?.hex()?,
                placeholder: s.get("is_placeholder_selection")?.bool()?,
                proof: disjunctive(&s.get("proof")?)?,
            });
        }
        contests.push(Contest {
            id: c.get("object_id")?.str()?.to_string(),
            sequence: c.get("sequence_order")?.u64()?,
            description_hash: c.get("description_hash")?.hex()?,
            selections,
            accumulation: ciphertext(&c.get("ciphertext_accumulation")?)?,
            crypto_hash: c.get("crypto_hash")?.hex()?,
            proof: range_proof(&c.get("proof")?)?,
        });
    }
    Ok(Ballot {
        id: node.get("object_id")?.str()?.to_string(),
        manifest_hash: node.get("manifest_hash")?.hex()?,
        code_seed: node.get("code_seed")?.hex()?,
        code: node.get("code")?.hex()?,
        crypto_hash: node.get("crypto_hash")?.hex()?,
        state: state(&node.get("state")?)?,
        contests,
    })
}

fn decryption(node: &Node, id_key: &str) -> Result<Decryption> {
    let mut contests = Vec::new();
    for (contest_id, c) in node.get("contests")?.members()? {
        let mut selections = Vec::new();
        for (_, s) in c.get("selections")?.members()? {
            selections.push(DecryptedSelection {
                id: s.get("object_id")?.str()?.to_string(),
                tally: s.get("tally")?.u64()?,
                value: s.get("value")?.hex()?,
                proof: chaum_pedersen(&s.get("proof")?)?,
            });
        }
        contests.push((contest_id.to_string(), selections));
    }
    Ok(Decryption {
        id: node.get(id_key)?.id()?,
        contests,
    })
}

fn ids(node: &Node, key: &str) -> Result<Vec<String>> {
    match node.opt(key) {
        None => Ok(Vec::new()),
        Some(list) => list.array()?.iter().map(Node::id).collect(),
    }
}

/// Read a 1.91 record.
pub fn read(files: &Files) -> Result<Record> {
    let keys = ("coefficient_proofs", "key", "coefficient_commitments");
    // The manifest follows electionguard-python's hashing rules, at full width.
    let election = election(files, Reduction::Q, keys)?;

    let mut ballots = Vec::new();
    for file in files.json_under("submitted_ballots") {
        let value = files.json(file)?;
        ballots.push(ballot(&Node::root(&value, file))?);
    }

    let file = "encrypted_tally.json";
    let value = files.json(file)?;
    let root = Node::root(&value, file);
    let cast_ids = ids(&root, "cast_ballot_ids")?;
    let mut challenged_ids = ids(&root, "challenged_ballot_ids")?;
    challenged_ids.extend(ids(&root, "spoiled_ballot_ids")?);

    let tally_value = files.json("tally.json")?;
    let tally = decryption(&Node::root(&tally_value, "tally.json"), "tally_id")?;
    let mut spoiled = Vec::new();
    for file in files.json_under("spoiled_ballots") {
        let value = files.json(file)?;
        spoiled.push(decryption(&Node::root(&value, file), "ballot_id")?);
    }

    Ok(Record {
        election,
        ballots,
        cast_ids,
        challenged_ids,
        tally,
        spoiled,
    })
}
