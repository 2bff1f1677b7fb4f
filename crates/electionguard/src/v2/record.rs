//! An ElectionGuard 2.0 record in electionguard-kotlin-multiplatform's JSON layout.

use num_bigint::BigUint;

use crate::error::Result;
pub use crate::group::Ciphertext;
use crate::json::Node;
use crate::source::Files;

/// A range proof: a challenge and a response per value j = 0..R (commitments are recomputed).
pub struct RangeProof {
    /// (c_j, v_j) for j = 0, 1, ...
    pub parts: Vec<(BigUint, BigUint)>,
}

/// One encrypted selection.
pub struct Selection {
    /// selection_id.
    pub id: String,
    /// Its encrypted vote.
    pub vote: Ciphertext,
    /// Its proof of 0..R.
    pub proof: RangeProof,
}

/// One encrypted contest.
pub struct Contest {
    /// contest_id.
    pub id: String,
    /// Its index in the manifest (the `l` of χ_l).
    pub sequence: u32,
    /// The vote limit the ballot claims.
    pub votes_allowed: u64,
    /// χ_l as published.
    pub contest_hash: BigUint,
    /// Its selections.
    pub selections: Vec<Selection>,
    /// Its proof of 0..L for the sum.
    pub proof: RangeProof,
}

/// One encrypted ballot.
pub struct Ballot {
    /// ballot_id.
    pub id: String,
    /// B_aux.
    pub code_baux: Vec<u8>,
    /// H(B) as published.
    pub confirmation_code: BigUint,
    /// CAST or CHALLENGED (SPOILED) as written.
    pub state: String,
    /// The device that encrypted it (`encrypting_device`).
    pub device: String,
    /// Whether the ballot was pre-encrypted.
    pub preencrypted: bool,
    /// Its contests.
    pub contests: Vec<Contest>,
}

/// A decrypted selection (of the tally or a challenged ballot).
pub struct DecryptedSelection {
    /// selection_id.
    pub id: String,
    /// t.
    pub tally: u64,
    /// T = B / M.
    pub b_over_m: BigUint,
    /// The ciphertext decrypted.
    pub vote: Ciphertext,
    /// (c, v).
    pub challenge: BigUint,
    #[allow(missing_docs)]
    pub response: BigUint,
}

/// A decryption: the tally or a challenged ballot.
pub struct Decryption {
    /// Its id.
    pub id: String,
    /// contest_id and its selections.
    pub contests: Vec<(String, Vec<DecryptedSelection>)>,
}

/// One device's chain of confirmation codes, as electionguard-kotlin-multiplatform publishes
/// it beside the device's ballots (`encrypted_ballots/DEVICE/ballot_chain.json`).
pub struct Chain {
    /// The file it came from.
    pub file: String,
    /// encrypting_device.
    pub device: String,
    /// B_aux,0: the device information that starts the chain.
    pub baux0: Vec<u8>,
    /// The ballots in chain order.
    pub ballot_ids: Vec<String>,
    /// H(B_ℓ) as published.
    pub last_code: BigUint,
    /// The closing hash H = H(H_E; 0x24, H(B_ℓ) ∥ B_aux,0 ∥ "CLOSE"), if the chain was closed.
    pub closing_hash: Option<BigUint>,
}

/// The file name of a device's chain of codes.
const CHAIN_FILE: &str = "ballot_chain.json";

/// A guardian's public key proofs: per coefficient K_ij with (c_ij, v_ij).
pub struct Guardian {
    /// guardian_id.
    pub id: String,
    /// Its x-coordinate i.
    pub x: u32,
    /// (K_ij, c_ij, v_ij).
    pub proofs: Vec<(BigUint, BigUint, BigUint)>,
}

/// A whole 2.0 record.
pub struct Record {
    /// config_version.
    pub version: String,
    /// p, q, r, g as published.
    pub p: BigUint,
    #[allow(missing_docs)]
    pub q: BigUint,
    #[allow(missing_docs)]
    pub r: BigUint,
    #[allow(missing_docs)]
    pub g: BigUint,
    /// n and k.
    pub guardians_count: u64,
    #[allow(missing_docs)]
    pub quorum: u64,
    /// H_P, H_M, H_B, H_E as published.
    pub parameter_base_hash: BigUint,
    #[allow(missing_docs)]
    pub manifest_hash: BigUint,
    #[allow(missing_docs)]
    pub base_hash: BigUint,
    #[allow(missing_docs)]
    pub extended_base_hash: BigUint,
    /// Whether ballots are chained.
    pub chained: bool,
    /// The devices' chains of codes.
    pub chains: Vec<Chain>,
    /// K.
    pub public_key: BigUint,
    /// The manifest file's bytes, and its contests.
    pub manifest_bytes: Vec<u8>,
    #[allow(missing_docs)]
    pub manifest: Vec<crate::manifest::ManifestContest>,
    /// The guardians.
    pub guardians: Vec<Guardian>,
    /// Every submitted ballot.
    pub ballots: Vec<Ballot>,
    /// The encrypted tally: (contest id, [(selection id, ciphertext)]), and the ballots it says it counts.
    pub encrypted_tally: Vec<(String, Vec<(String, Ciphertext)>)>,
    #[allow(missing_docs)]
    pub cast_ballot_ids: Vec<String>,
    /// The decrypted tally.
    pub tally: Decryption,
    /// Decrypted challenged ballots.
    pub challenged: Vec<Decryption>,
}

/// Whether `files` is a 2.0 record in this layout.
pub fn detect(files: &Files) -> Result<bool> {
    if !files.has("election_config.json") || !files.has("election_initialized.json") {
        return Ok(false);
    }
    let config = files.json("election_config.json")?;
    Ok(config
        .get("config_version")
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.starts_with("v2.0")))
}

fn ciphertext(node: &Node) -> Result<Ciphertext> {
    Ok(Ciphertext {
        pad: node.get("pad")?.hex()?,
        data: node.get("data")?.hex()?,
    })
}

fn range_proof(node: &Node) -> Result<RangeProof> {
    let mut parts = Vec::new();
    for p in node.get("proofs")?.array()? {
        parts.push((p.get("challenge")?.hex()?, p.get("response")?.hex()?));
    }
    Ok(RangeProof { parts })
}

fn index(node: &Node) -> Result<u32> {
    u32::try_from(node.u64()?).map_err(|_| node.error("is larger than 2^32 − 1"))
}

fn ballot(node: &Node) -> Result<Ballot> {
    let mut contests = Vec::new();
    for c in node.get("contests")?.array()? {
        let mut selections = Vec::new();
        for s in c.get("selections")?.array()? {
            selections.push(Selection {
                id: s.get("selection_id")?.str()?.to_string(),
                vote: ciphertext(&s.get("encrypted_vote")?)?,
                proof: range_proof(&s.get("proof")?)?,
            });
        }
        contests.push(Contest {
            id: c.get("contest_id")?.str()?.to_string(),
            sequence: index(&c.get("sequence_order")?)?,
            votes_allowed: c.get("votes_allowed")?.u64()?,
            contest_hash: c.get("contest_hash")?.hex()?,
            selections,
            proof: range_proof(&c.get("proof")?)?,
        });
    }
    let baux = node.get("code_baux")?;
    let code_baux = hex_bytes(baux.str()?).ok_or_else(|| baux.error("is not hexadecimal"))?;
    Ok(Ballot {
        id: node.get("ballot_id")?.str()?.to_string(),
        code_baux,
        confirmation_code: node.get("confirmation_code")?.hex()?,
        state: node.get("state")?.str()?.to_string(),
        device: node.get("encrypting_device")?.str()?.to_string(),
        preencrypted: node
            .opt("is_preencrypt")
            .map(|n| n.bool())
            .transpose()?
            .unwrap_or(false),
        contests,
    })
}

fn chain(node: &Node, file: &str) -> Result<Chain> {
    let baux0 = node.get("baux0")?;
    Ok(Chain {
        file: file.to_string(),
        device: node.get("encrypting_device")?.str()?.to_string(),
        baux0: hex_bytes(baux0.str()?).ok_or_else(|| baux0.error("is not hexadecimal"))?,
        ballot_ids: node
            .get("ballot_ids")?
            .array()?
            .iter()
            .map(|n| n.str().map(str::to_string))
            .collect::<Result<_>>()?,
        last_code: node.get("last_confirmation_code")?.hex()?,
        closing_hash: node.opt("closing_hash").map(|n| n.hex()).transpose()?,
    })
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 1 << 16 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn decryption(node: &Node) -> Result<Decryption> {
    let mut contests = Vec::new();
    for c in node.get("contests")?.array()? {
        let mut selections = Vec::new();
        for s in c.get("selections")?.array()? {
            let proof = s.get("proof")?;
            selections.push(DecryptedSelection {
                id: s.get("selection_id")?.str()?.to_string(),
                tally: s.get("tally")?.u64()?,
                b_over_m: s.get("b_over_m")?.hex()?,
                vote: ciphertext(&s.get("encrypted_vote")?)?,
                challenge: proof.get("challenge")?.hex()?,
                response: proof.get("response")?.hex()?,
            });
        }
        contests.push((c.get("contest_id")?.str()?.to_string(), selections));
    }
    Ok(Decryption {
        id: node.get("id")?.str()?.to_string(),
        contests,
    })
}

/// Read a 2.0 record.
pub fn read(files: &Files) -> Result<Record> {
    let constants = files.json("constants.json")?;
    let constants = Node::root(&constants, "constants.json");
    let config_value = files.json("election_config.json")?;
    let config = Node::root(&config_value, "election_config.json");
    let init_value = files.json("election_initialized.json")?;
    let init = Node::root(&init_value, "election_initialized.json");

    let mut guardians = Vec::new();
    for g in init.get("guardians")?.array()? {
        let mut proofs = Vec::new();
        for p in g.get("coefficient_proofs")?.array()? {
            proofs.push((
                p.get("public_key")?.hex()?,
                p.get("challenge")?.hex()?,
                p.get("response")?.hex()?,
            ));
        }
        guardians.push(Guardian {
            id: g.get("guardian_id")?.id()?,
            x: index(&g.get("x_coordinate")?)?,
            proofs,
        });
    }

    let mut ballots = Vec::new();
    let mut chains = Vec::new();
    for file in files.json_under("encrypted_ballots") {
        let value = files.json(file)?;
        let node = Node::root(&value, file);
        if file.rsplit('/').next() == Some(CHAIN_FILE) {
            chains.push(chain(&node, file)?);
        } else {
            ballots.push(ballot(&node)?);
        }
    }

    let et_value = files.json("encrypted_tally.json")?;
    let et = Node::root(&et_value, "encrypted_tally.json");
    let mut encrypted_tally = Vec::new();
    for c in et.get("contests")?.array()? {
        let mut selections = Vec::new();
        for s in c.get("selections")?.array()? {
            selections.push((
                s.get("selection_id")?.str()?.to_string(),
                ciphertext(&s.get("encrypted_vote")?)?,
            ));
        }
        encrypted_tally.push((c.get("contest_id")?.str()?.to_string(), selections));
    }
    let cast_ballot_ids = et
        .get("cast_ballot_ids")?
        .array()?
        .iter()
        .map(|n| n.str().map(str::to_string))
        .collect::<Result<_>>()?;

    let tally_value = files.json("tally.json")?;
    let tally = decryption(&Node::root(&tally_value, "tally.json"))?;
    let mut challenged = Vec::new();
    for file in files.json_under("challenged_ballots") {
        let value = files.json(file)?;
        challenged.push(decryption(&Node::root(&value, file))?);
    }

    let hex = |node: &Node, key: &str| node.get(key)?.hex();
    Ok(Record {
        version: config.get("config_version")?.str()?.to_string(),
        p: hex(&constants, "large_prime")?,
        q: hex(&constants, "small_prime")?,
        r: hex(&constants, "cofactor")?,
        g: hex(&constants, "generator")?,
        guardians_count: config.get("number_of_guardians")?.u64()?,
        quorum: config.get("quorum")?.u64()?,
        parameter_base_hash: hex(&config, "parameter_base_hash")?,
        manifest_hash: hex(&config, "manifest_hash")?,
        base_hash: hex(&config, "election_base_hash")?,
        extended_base_hash: hex(&init, "extended_base_hash")?,
        chained: config.get("chain_confirmation_codes")?.bool()?,
        chains,
        public_key: hex(&init, "joint_public_key")?,
        manifest_bytes: files.get("manifest.json")?.to_vec(),
        manifest: crate::manifest::read(files)?,
        guardians,
        ballots,
        encrypted_tally,
        cast_ballot_ids,
        tally,
        challenged,
    })
}
