//! An electionguard-python 1.x election record, read into one shape from the layouts of
//! 0.95 (every number wrapped as `{"data": ...}`, decimal constants) and 1.0.

use std::collections::{BTreeMap, HashMap};

use num_bigint::BigUint;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
pub use crate::group::Ciphertext;
use crate::json::{Node, parse_hex};
use crate::source::Files;
use crate::v1::hash::{Hasher, Reduction};
use crate::v1::manifest_hash::{self, DescribedContest, ManifestHashes};

/// The layout version of a 1.x record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// electionguard-python 0.95: `{"data": "HEX"}` values, decimal constants.
    V0_95,
    /// electionguard-python 1.0 (the 1.0.0-preview-1 sample data): plain hexadecimal strings.
    V1_0,
}

impl Layout {
    /// How this layout's hash reduces a digest.
    pub fn reduction(self) -> Reduction {
        match self {
            Layout::V0_95 => Reduction::QMinusOne,
            Layout::V1_0 => Reduction::Q,
        }
    }

    /// The name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::V0_95 => "ElectionGuard 0.95 (electionguard-python)",
            Layout::V1_0 => "ElectionGuard 1.0 (electionguard-python 1.x)",
        }
    }
}

/// A disjunctive Chaum–Pedersen proof that a ciphertext encrypts 0 or 1.
pub struct DisjunctiveProof {
    /// Commitments (a0, b0) of the zero branch.
    pub zero_pad: BigUint,
    #[allow(missing_docs)]
    pub zero_data: BigUint,
    /// Commitments (a1, b1) of the one branch.
    pub one_pad: BigUint,
    #[allow(missing_docs)]
    pub one_data: BigUint,
    /// Challenges c0, c1 and their sum c.
    pub zero_challenge: BigUint,
    #[allow(missing_docs)]
    pub one_challenge: BigUint,
    #[allow(missing_docs)]
    pub challenge: BigUint,
    /// Responses v0, v1.
    pub zero_response: BigUint,
    #[allow(missing_docs)]
    pub one_response: BigUint,
}

/// A Chaum–Pedersen proof (a, b, c, v), for a contest's selection sum or a decryption share.
pub struct ChaumPedersen {
    /// Commitment a.
    pub pad: BigUint,
    /// Commitment b.
    pub data: BigUint,
    /// Challenge c.
    pub challenge: BigUint,
    /// Response v.
    pub response: BigUint,
}

/// One encrypted selection of a ballot.
pub struct Selection {
    /// The selection's object_id (a manifest selection or a placeholder).
    pub id: String,
    /// The description hash it claims.
    pub description_hash: BigUint,
    /// Its encryption.
    pub ciphertext: Ciphertext,
    /// Its `crypto_hash`.
    pub crypto_hash: BigUint,
    /// Whether this is a placeholder selection.
    pub placeholder: bool,
    /// The proof that it encrypts 0 or 1.
    pub proof: DisjunctiveProof,
}

/// One encrypted contest of a ballot.
pub struct Contest {
    /// The contest's object_id.
    pub id: String,
    /// The description hash it claims.
    pub description_hash: BigUint,
    /// Its selections, placeholders included.
    pub selections: Vec<Selection>,
    /// The published product of the selections' encryptions.
    pub accumulation: Ciphertext,
    /// Its `crypto_hash`.
    pub crypto_hash: BigUint,
    /// The proof that the selections add up to `constant`.
    pub proof: ChaumPedersen,
    /// The constant the selections add up to (the contest's vote limit).
    pub constant: u64,
}

/// What happened to a submitted ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallotState {
    /// Cast: counted in the tally.
    Cast,
    /// Spoiled (challenged): decrypted on its own, not counted.
    Spoiled,
    /// Any other state value.
    Other(u64),
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
    /// The ballot's object_id.
    pub id: String,
    /// The file it came from.
    pub file: String,
    /// Its ballot style.
    pub style: String,
    /// The manifest hash it claims.
    pub manifest_hash: BigUint,
    /// The previous code in the device's chain (or the device's hash).
    pub code_seed: BigUint,
    /// Its confirmation code.
    pub code: BigUint,
    /// When it was encrypted.
    pub timestamp: u64,
    /// Its `crypto_hash`.
    pub crypto_hash: BigUint,
    /// Cast or spoiled.
    pub state: BallotState,
    /// Its contests.
    pub contests: Vec<Contest>,
}

/// A guardian's public record: its coefficient commitments and their Schnorr proofs.
pub struct Guardian {
    /// The guardian's id.
    pub id: String,
    /// Its sequence order (the x-coordinate of its share).
    pub sequence: u64,
    /// Its election public key K_i (the first commitment).
    pub key: BigUint,
    /// Its coefficient commitments K_ij.
    pub commitments: Vec<BigUint>,
    /// The Schnorr proofs of knowledge of each coefficient.
    pub proofs: Vec<Schnorr>,
}

/// A Schnorr proof of knowledge of the discrete log of `public_key`.
pub struct Schnorr {
    /// The key it is about.
    pub public_key: BigUint,
    /// Commitment h.
    pub commitment: BigUint,
    /// Challenge c.
    pub challenge: BigUint,
    /// Response u.
    pub response: BigUint,
}

/// A guardian's share of one decryption.
pub struct Share {
    /// The guardian.
    pub guardian_id: String,
    /// M_i = A^{s_i}.
    pub share: BigUint,
    /// The proof, for a guardian that was present.
    pub proof: Option<ChaumPedersen>,
    /// The parts computed by the present guardians, for a missing guardian.
    pub recovered: Vec<RecoveredPart>,
}

/// A present guardian's part of a missing guardian's share (a compensated share).
pub struct RecoveredPart {
    /// The present guardian who computed it.
    pub guardian_id: String,
    /// The missing guardian.
    pub missing_guardian_id: String,
    /// M_il.
    pub share: BigUint,
    /// The recovery key g^{P_i(l)}.
    pub recovery_key: BigUint,
    /// Its proof.
    pub proof: ChaumPedersen,
}

/// One decrypted selection: of the tally or of a spoiled ballot.
pub struct DecryptedSelection {
    /// The selection's object_id.
    pub id: String,
    /// The plaintext claimed.
    pub tally: u64,
    /// g^tally claimed.
    pub value: BigUint,
    /// The ciphertext decrypted.
    pub message: Ciphertext,
    /// Every guardian's share.
    pub shares: Vec<Share>,
}

/// A decryption: the tally or a spoiled ballot; contests by id, selections in file order.
pub struct Decryption {
    /// The tally's or ballot's object_id.
    pub id: String,
    /// The file it came from.
    pub file: String,
    /// Contest id and its decrypted selections.
    pub contests: Vec<(String, Vec<DecryptedSelection>)>,
}

/// A device that encrypted ballots: its hash starts its chain of confirmation codes.
pub struct Device {
    /// device_id, as written.
    pub id: String,
    /// session_id.
    pub session: String,
    /// launch_code.
    pub launch_code: String,
    /// location.
    pub location: String,
}

/// What every 1.x record says the same way, in each layout and in the 1.91 sample:
/// `constants.json`, `context.json`, the manifest, the guardians and the encrypted tally.
pub struct Election {
    /// p, q, r, g as published.
    pub p: BigUint,
    #[allow(missing_docs)]
    pub q: BigUint,
    #[allow(missing_docs)]
    pub r: BigUint,
    #[allow(missing_docs)]
    pub g: BigUint,
    /// Number of guardians n and quorum k.
    pub guardians_count: u64,
    #[allow(missing_docs)]
    pub quorum: u64,
    /// Joint public key K.
    pub public_key: BigUint,
    /// Published hashes of the context.
    pub commitment_hash: BigUint,
    #[allow(missing_docs)]
    pub manifest_hash: BigUint,
    #[allow(missing_docs)]
    pub base_hash: BigUint,
    #[allow(missing_docs)]
    pub extended_base_hash: BigUint,
    /// The manifest's contests.
    pub manifest: Vec<crate::manifest::ManifestContest>,
    /// The manifest's hashes, recomputed from `manifest.json` with electionguard-python's
    /// rules.
    pub manifest_hashes: ManifestHashes,
    /// The guardians, as published.
    pub guardians: Vec<Guardian>,
    /// The encrypted tally: contest id → selection id → ciphertext.
    pub encrypted_tally: BTreeMap<String, BTreeMap<String, Ciphertext>>,
}

impl Election {
    /// (p, q, r, g), as the parameter step takes them.
    pub fn constants(&self) -> (&BigUint, &BigUint, &BigUint, &BigUint) {
        (&self.p, &self.q, &self.r, &self.g)
    }

    /// The manifest's contests by object_id.
    pub fn contests_by_id(&self) -> HashMap<&str, &crate::manifest::ManifestContest> {
        self.manifest.iter().map(|c| (c.id.as_str(), c)).collect()
    }
}

/// A whole 1.x record.
pub struct Record {
    /// The layout it was written in.
    pub layout: Layout,
    /// Its constants, context, manifest, guardians and encrypted tally.
    pub election: Election,
    /// The encryption devices.
    pub devices: Vec<Device>,
    /// Every submitted ballot.
    pub ballots: Vec<Ballot>,
    /// The decrypted tally.
    pub tally: Decryption,
    /// The decrypted spoiled ballots.
    pub spoiled: Vec<Decryption>,
    /// The published Lagrange coefficients by guardian id (may be empty).
    pub lagrange: Vec<(String, BigUint)>,
}

/// Whether a parsed record claims this layout (0.95 wraps numbers in objects).
pub fn detect(files: &Files) -> Result<Option<Layout>> {
    if !files.has("context.json") || !files.has("constants.json") {
        return Ok(None);
    }
    // The 1.91 sample keeps the 1.x file names with 2.0 cryptography: its guardians publish
    // `coefficient_proofs`. It is `crate::v1_91`'s.
    if crate::v1_91::record::detect(files)? {
        return Ok(None);
    }
    let context = files.json("context.json")?;
    Ok(match context.get("elgamal_public_key") {
        Some(serde_json::Value::Object(_)) => Some(Layout::V0_95),
        Some(serde_json::Value::String(_)) => Some(Layout::V1_0),
        _ => None,
    })
}

/// `{"pad": ..., "data": ...}`.
pub(crate) fn ciphertext(node: &Node) -> Result<Ciphertext> {
    Ok(Ciphertext {
        pad: node.get("pad")?.hex()?,
        data: node.get("data")?.hex()?,
    })
}

/// `{"pad", "data", "challenge", "response"}`.
pub(crate) fn chaum_pedersen(node: &Node) -> Result<ChaumPedersen> {
    Ok(ChaumPedersen {
        pad: node.get("pad")?.hex()?,
        data: node.get("data")?.hex()?,
        challenge: node.get("challenge")?.hex()?,
        response: node.get("response")?.hex()?,
    })
}

/// A submitted ballot's `state`.
pub(crate) fn state(node: &Node) -> Result<BallotState> {
    // electionguard-python's BallotBoxState: CAST = 1, SPOILED = 2; written as its value
    // (or, by some versions, its name).
    Ok(match node.value {
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("cast") => BallotState::Cast,
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("spoiled") => BallotState::Spoiled,
        _ => match node.u64()? {
            1 => BallotState::Cast,
            2 => BallotState::Spoiled,
            other => BallotState::Other(other),
        },
    })
}

/// A selection's proof of 0 or 1, with its commitments (`proof_zero_pad`, ...).
pub(crate) fn disjunctive(p: &Node) -> Result<DisjunctiveProof> {
    Ok(DisjunctiveProof {
        zero_pad: p.get("proof_zero_pad")?.hex()?,
        zero_data: p.get("proof_zero_data")?.hex()?,
        one_pad: p.get("proof_one_pad")?.hex()?,
        one_data: p.get("proof_one_data")?.hex()?,
        zero_challenge: p.get("proof_zero_challenge")?.hex()?,
        one_challenge: p.get("proof_one_challenge")?.hex()?,
        challenge: p.get("challenge")?.hex()?,
        zero_response: p.get("proof_zero_response")?.hex()?,
        one_response: p.get("proof_one_response")?.hex()?,
    })
}

fn ballot(node: &Node, file: &str) -> Result<Ballot> {
    let mut contests = Vec::new();
    for c in node.get("contests")?.array()? {
        let mut selections = Vec::new();
        for s in c.get("ballot_selections")?.array()? {
            selections.push(Selection {
                id: s.get("object_id")?.str()?.to_string(),
                description_hash: s.get("description_hash")?.hex()?,
                ciphertext: ciphertext(&s.get("ciphertext")?)?,
                crypto_hash: s.get("crypto_hash")?.hex()?,
                placeholder: s.get("is_placeholder_selection")?.bool()?,
                proof: disjunctive(&s.get("proof")?)?,
            });
        }
        let proof = c.get("proof")?;
        contests.push(Contest {
            id: c.get("object_id")?.str()?.to_string(),
            description_hash: c.get("description_hash")?.hex()?,
            selections,
            accumulation: ciphertext(&c.get("ciphertext_accumulation")?)?,
            crypto_hash: c.get("crypto_hash")?.hex()?,
            constant: proof.get("constant")?.u64()?,
            proof: chaum_pedersen(&proof)?,
        });
    }
    Ok(Ballot {
        id: node.get("object_id")?.str()?.to_string(),
        file: file.to_string(),
        style: node.get("style_id")?.str()?.to_string(),
        manifest_hash: node.get("manifest_hash")?.hex()?,
        code_seed: node.get("code_seed")?.hex()?,
        code: node.get("code")?.hex()?,
        timestamp: node.get("timestamp")?.u64()?,
        crypto_hash: node.get("crypto_hash")?.hex()?,
        state: state(&node.get("state")?)?,
        contests,
    })
}

fn decryption(node: &Node, file: &str) -> Result<Decryption> {
    let mut contests = Vec::new();
    for (contest_id, c) in node.get("contests")?.members()? {
        let mut selections = Vec::new();
        for (_, s) in c.get("selections")?.members()? {
            let mut shares = Vec::new();
            for sh in s.get("shares")?.array()? {
                let mut recovered = Vec::new();
                if let Some(parts) = sh.opt("recovered_parts") {
                    for (_, part) in parts.members()? {
                        recovered.push(RecoveredPart {
                            guardian_id: part.get("guardian_id")?.id()?,
                            missing_guardian_id: part.get("missing_guardian_id")?.id()?,
                            share: part.get("share")?.hex()?,
                            recovery_key: part.get("recovery_key")?.hex()?,
                            proof: chaum_pedersen(&part.get("proof")?)?,
                        });
                    }
                }
                shares.push(Share {
                    guardian_id: sh.get("guardian_id")?.id()?,
                    share: sh.get("share")?.hex()?,
                    proof: sh.opt("proof").map(|p| chaum_pedersen(&p)).transpose()?,
                    recovered,
                });
            }
            selections.push(DecryptedSelection {
                id: s.get("object_id")?.str()?.to_string(),
                tally: s.get("tally")?.u64()?,
                value: s.get("value")?.hex()?,
                message: ciphertext(&s.get("message")?)?,
                shares,
            });
        }
        contests.push((contest_id.to_string(), selections));
    }
    Ok(Decryption {
        id: node.get("object_id")?.id()?,
        file: file.to_string(),
        contests,
    })
}

/// A constant of `constants.json`: hexadecimal in a string, or a decimal JSON number (0.95).
pub(crate) fn constant(raw: &BTreeMap<String, Box<RawValue>>, key: &str) -> Result<BigUint> {
    let bad = |reason: &str| Error::Format {
        file: "constants.json".into(),
        item: key.into(),
        reason: reason.into(),
    };
    let text = raw.get(key).ok_or_else(|| bad("is missing"))?.get().trim();
    if let Some(hex) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        parse_hex(hex).ok_or_else(|| bad("is not a hexadecimal number"))
    } else if !text.is_empty() && text.len() <= 2000 && text.bytes().all(|b| b.is_ascii_digit()) {
        BigUint::parse_bytes(text.as_bytes(), 10).ok_or_else(|| bad("is not a number"))
    } else {
        Err(bad("is not a hexadecimal string or a decimal number"))
    }
}

/// `constants.json` as raw JSON values (0.95 writes decimal numbers too long for a JSON
/// number; see [`constant`]).
pub(crate) fn raw_constants(files: &Files) -> Result<BTreeMap<String, Box<RawValue>>> {
    serde_json::from_slice(files.get("constants.json")?).map_err(|source| Error::Json {
        file: "constants.json".into(),
        source,
    })
}

/// The member names of a guardian file: (the proofs, K_i, the commitments). 1.x writes
/// `election_proofs`, `election_public_key`, `election_commitments`; the 1.91 sample
/// `coefficient_proofs`, `key`, `coefficient_commitments`.
pub(crate) type GuardianKeys = (&'static str, &'static str, &'static str);

/// The guardians of `guardians/*.json`, in sequence order.
pub(crate) fn guardians(
    files: &Files,
    (proofs_key, key_key, commitments_key): GuardianKeys,
) -> Result<Vec<Guardian>> {
    let mut guardians = Vec::new();
    for file in files.json_under("guardians") {
        let value = files.json(file)?;
        let g = Node::root(&value, file);
        let mut proofs = Vec::new();
        for p in g.get(proofs_key)?.array()? {
            proofs.push(Schnorr {
                public_key: p.get("public_key")?.hex()?,
                commitment: p.get("commitment")?.hex()?,
                challenge: p.get("challenge")?.hex()?,
                response: p.get("response")?.hex()?,
            });
        }
        guardians.push(Guardian {
            id: g.get("guardian_id")?.id()?,
            sequence: g.get("sequence_order")?.u64()?,
            key: g.get(key_key)?.hex()?,
            commitments: g
                .get(commitments_key)?
                .array()?
                .iter()
                .map(Node::hex)
                .collect::<Result<_>>()?,
            proofs,
        });
    }
    guardians.sort_by_key(|g| g.sequence);
    Ok(guardians)
}

/// Read a 1.x record of this layout.
pub fn read(files: &Files, layout: Layout) -> Result<Record> {
    let keys = (
        "election_proofs",
        "election_public_key",
        "election_commitments",
    );
    let election = election(files, layout.reduction(), keys)?;

    let mut devices = Vec::new();
    for file in files.json_under("encryption_devices") {
        let value = files.json(file)?;
        let d = Node::root(&value, file);
        devices.push(Device {
            id: d.get("device_id")?.id()?,
            session: d.get("session_id")?.id()?,
            launch_code: d.get("launch_code")?.id()?,
            location: d.get("location")?.id()?,
        });
    }

    let mut ballots = Vec::new();
    for file in files.json_under("submitted_ballots") {
        let value = files.json(file)?;
        ballots.push(ballot(&Node::root(&value, file), file)?);
    }

    let tally_value = files.json("tally.json")?;
    let tally = decryption(&Node::root(&tally_value, "tally.json"), "tally.json")?;
    let mut spoiled = Vec::new();
    for file in files.json_under("spoiled_ballots") {
        let value = files.json(file)?;
        spoiled.push(decryption(&Node::root(&value, file), file)?);
    }

    let mut lagrange = Vec::new();
    if files.has("coefficients.json") {
        let value = files.json("coefficients.json")?;
        let c = Node::root(&value, "coefficients.json").get("coefficients")?;
        match c.value {
            // 0.95: a list in the order of the guardians that took part.
            serde_json::Value::Array(_) => {
                for (i, w) in c.array()?.iter().enumerate() {
                    lagrange.push((format!("#{}", i + 1), w.hex()?));
                }
            }
            _ => {
                for (id, w) in c.members()? {
                    lagrange.push((id.to_string(), w.hex()?));
                }
            }
        }
    }

    Ok(Record {
        layout,
        election,
        devices,
        ballots,
        tally,
        spoiled,
        lagrange,
    })
}

/// Read the parts of a 1.x record that every layout writes alike; `keys` names the guardian
/// files' proofs, key and commitments, and `reduction` is the layout's hash's.
pub(crate) fn election(
    files: &Files,
    reduction: Reduction,
    keys: (&'static str, &'static str, &'static str),
) -> Result<Election> {
    let raw = raw_constants(files)?;
    let context_value = files.json("context.json")?;
    let context = Node::root(&context_value, "context.json");
    let guardians = guardians(files, keys)?;
    let file = "encrypted_tally.json";
    let value = files.json(file)?;
    let mut encrypted_tally = BTreeMap::new();
    for (contest_id, c) in Node::root(&value, file).get("contests")?.members()? {
        let mut selections = BTreeMap::new();
        for (selection_id, s) in c.get("selections")?.members()? {
            selections.insert(selection_id.to_string(), ciphertext(&s.get("ciphertext")?)?);
        }
        encrypted_tally.insert(contest_id.to_string(), selections);
    }
    let q = constant(&raw, "small_prime")?;
    let manifest_json = files.json("manifest.json")?;
    let manifest_hashes = manifest_hash::compute(
        &Node::root(&manifest_json, "manifest.json"),
        &Hasher::new(&q, reduction),
    )?;
    Ok(Election {
        p: constant(&raw, "large_prime")?,
        q,
        r: constant(&raw, "cofactor")?,
        g: constant(&raw, "generator")?,
        guardians_count: context.get("number_of_guardians")?.u64()?,
        quorum: context.get("quorum")?.u64()?,
        public_key: context.get("elgamal_public_key")?.hex()?,
        commitment_hash: context.get("commitment_hash")?.hex()?,
        manifest_hash: context.get("manifest_hash")?.hex()?,
        base_hash: context.get("crypto_base_hash")?.hex()?,
        extended_base_hash: context.get("crypto_extended_base_hash")?.hex()?,
        manifest: crate::manifest::read(files)?,
        manifest_hashes,
        guardians,
        encrypted_tally,
    })
}
