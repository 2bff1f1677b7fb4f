//! An ElectionGuard 2.0 record in electionguard-kotlin-multiplatform's JSON layout.

use num_bigint::BigUint;

use crate::error::{Error, Result};
pub use crate::group::Ciphertext;
use crate::json::Node;
use crate::source::Files;

/// A range proof: a challenge and a response per value j = 0..R (commitments are recomputed).
pub struct RangeProof {
    /// (c_j, v_j) for j = 0, 1, ...
    pub parts: Vec<(BigUint, BigUint)>,
}

/// One encrypted selection.
pub struct Selection<E> {
    /// selection_id.
    pub id: String,
    /// Its encrypted vote.
    pub vote: Ciphertext<E>,
    /// Its proof of 0..R.
    pub proof: RangeProof,
}

/// One encrypted contest.
pub struct Contest<E> {
    /// contest_id.
    pub id: String,
    /// Its index in the manifest (the `l` of χ_l).
    pub sequence: u32,
    /// The vote limit the ballot claims (egk-ec's 2.1 layout does not state it).
    pub votes_allowed: Option<u64>,
    /// χ_l as published.
    pub contest_hash: BigUint,
    /// Its selections.
    pub selections: Vec<Selection<E>>,
    /// Its proof of 0..L for the sum.
    pub proof: RangeProof,
    /// Its encrypted contest data, if written.
    pub contest_data: Option<ContestData<E>>,
    /// A pre-encrypted ballot's pre-encryption data for the contest (§4.4), if written.
    pub pre_encryption: Option<PreEncryption<E>>,
}

/// What the record publishes of a pre-encrypted contest (§4.4), in egk's layout
/// (`pre_encryption`).
pub struct PreEncryption<E> {
    /// χ_l = H(H_E; 0x41, …) as published (`preencryption_hash`).
    pub contest_hash: BigUint,
    /// ψ of every selection vector of the contest, nulls included, as published
    /// (`all_selection_hashes`, sorted).
    pub selection_hashes: Vec<BigUint>,
    /// The vectors published in full (`selected_vectors`): those the voter selected on a
    /// cast ballot, every vector on an uncast one.
    pub vectors: Vec<PreEncryptedVector<E>>,
}

/// One pre-encryption vector Ψ with its selection hash and short code.
pub struct PreEncryptedVector<E> {
    /// ψ as published.
    pub selection_hash: BigUint,
    /// ω as published.
    pub short_code: String,
    /// ⟨E_1, …, E_m⟩: one encryption per selection of the contest.
    pub encryptions: Vec<Ciphertext<E>>,
}

/// One encrypted ballot.
pub struct Ballot<E> {
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
    /// The primary nonce ξ of an uncast pre-encrypted ballot, if published (§4.4).
    pub primary_nonce: Option<BigUint>,
    /// Its contests.
    pub contests: Vec<Contest<E>>,
}

/// A decrypted selection (of the tally or a challenged ballot).
pub struct DecryptedSelection<E> {
    /// selection_id.
    pub id: String,
    /// t.
    pub tally: u64,
    /// T = B / M.
    pub b_over_m: E,
    /// The ciphertext decrypted.
    pub vote: Ciphertext<E>,
    /// (c, v).
    pub challenge: BigUint,
    #[allow(missing_docs)]
    pub response: BigUint,
}

/// A contest's encrypted contest data (C0, C1, C2): the hashed ElGamal encryption of its
/// overvotes and write-ins (§3.3.3).
#[derive(Clone, Debug, PartialEq)]
pub struct ContestData<E> {
    /// C0 = g^ξ.
    pub c0: E,
    /// C1: the data, encrypted.
    pub c1: Vec<u8>,
    /// C2: the MAC.
    pub c2: Vec<u8>,
}

/// A challenged ballot's decrypted contest data, with its proof (V14).
pub struct DecryptedContestData<E> {
    /// contest_id.
    pub contest: String,
    /// The contest data it decrypts.
    pub encrypted: ContestData<E>,
    /// β = C0^s, the decryption factor.
    pub beta: E,
    /// (c, v).
    pub challenge: BigUint,
    #[allow(missing_docs)]
    pub response: BigUint,
}

/// A decryption: the tally or a challenged ballot.
pub struct Decryption<E> {
    /// Its id.
    pub id: String,
    /// The contests' decrypted contest data, where published.
    pub contest_data: Vec<DecryptedContestData<E>>,
    /// contest_id and its selections.
    pub contests: Vec<(String, Vec<DecryptedSelection<E>>)>,
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
pub struct Guardian<E> {
    /// guardian_id.
    pub id: String,
    /// Its x-coordinate i.
    pub x: u32,
    /// (K_ij, c_ij, v_ij).
    pub proofs: Vec<(E, BigUint, BigUint)>,
}

/// The writer and layout named in reports.
const EGK_LAYOUT_NAME: &str = "electionguard-kotlin-multiplatform";
const EC_LAYOUT_NAME: &str = "egk-ec, in its 2.1 layout";

/// A contest's selections of the encrypted tally: (selection id, ciphertext).
pub type SelectionCiphertexts<E> = Vec<(String, Ciphertext<E>)>;

/// The specification whose step numbering a record's layout calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spec {
    /// ElectionGuard 2.0 (egk's layout).
    V2_0,
    /// ElectionGuard 2.1 (egk-ec's layout, `config_version` "2.1.0").
    V2_1,
}

/// A whole 2.0 record.
pub struct Record<E> {
    /// The protocol version: `config_version`, or egk-ec's `protocolVersion`.
    pub version: String,
    /// Whose step numbering the report follows.
    pub spec: Spec,
    /// The writer and layout (for reports).
    pub layout: &'static str,
    /// The group's constants as published.
    pub constants: Constants,
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
    pub public_key: E,
    /// The manifest file's bytes, and its contests.
    pub manifest_bytes: Vec<u8>,
    #[allow(missing_docs)]
    pub manifest: Vec<crate::manifest::ManifestContest>,
    /// The guardians.
    pub guardians: Vec<Guardian<E>>,
    /// Every submitted ballot.
    pub ballots: Vec<Ballot<E>>,
    /// The encrypted tally: (contest id, [(selection id, ciphertext)]), and the ballots it says it counts.
    pub encrypted_tally: Vec<(String, SelectionCiphertexts<E>)>,
    #[allow(missing_docs)]
    pub cast_ballot_ids: Vec<String>,
    /// The decrypted tally.
    pub tally: Decryption<E>,
    /// Decrypted challenged ballots.
    pub challenged: Vec<Decryption<E>>,
}

/// egk-ec's `config_version`: the 2.1 layout (base64 values, `constants.json` with a
/// `protocolVersion`).
const EC_LAYOUT: &str = "2.1.0";

/// The group a 2.0 record computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// The 4096-bit integer group.
    Integer,
    /// P-256 (egk-ec's elliptic-curve records).
    P256,
}

/// Whether `files` is a 2.0 record in this layout, or in egk-ec's 2.1 layout, and in which
/// group. egk-ec records in a group other than these two are refused by name.
pub fn detect(files: &Files) -> Result<Option<GroupKind>> {
    if !files.has("election_config.json") || !files.has("election_initialized.json") {
        return Ok(None);
    }
    let config = files.json("election_config.json")?;
    let version = config.get("config_version").and_then(|v| v.as_str());
    if version == Some(EC_LAYOUT) {
        let constants = files.json("constants.json")?;
        let kind = constants.get("type").and_then(|t| t.as_str());
        let name = constants.get("name").and_then(|n| n.as_str());
        return match (kind, name) {
            (Some("IntegerGroup"), _) => Ok(Some(GroupKind::Integer)),
            (Some("EllipticCurve"), Some("P-256")) => Ok(Some(GroupKind::P256)),
            _ => Err(Error::Unsupported(format!(
                "{} is an egk-ec 2.1 record in the group {}; this verifier computes in the 4096-bit integer group and in P-256 only (docs/ELECTIONGUARD.md)",
                files.origin.display(),
                name.unwrap_or("(unnamed)")
            ))),
        };
    }
    Ok(version
        .is_some_and(|v| v.starts_with("v2.0"))
        .then_some(GroupKind::Integer))
}

/// The constants of the record's group, as `constants.json` states them.
pub enum Constants {
    /// p, q, r, g of an integer group.
    Integer {
        #[allow(missing_docs)]
        p: BigUint,
        #[allow(missing_docs)]
        q: BigUint,
        #[allow(missing_docs)]
        r: BigUint,
        #[allow(missing_docs)]
        g: BigUint,
    },
    /// An elliptic curve's named constants (a, b, primeModulus, order, g.x, g.y, h).
    Curve {
        /// The curve's name.
        name: String,
        /// The constants by name, as integers.
        values: Vec<(String, BigUint)>,
    },
}

/// egk-ec's `constants.json`: `{"name", "type", "protocolVersion", "constants": {...}}`.
fn read_constants(top: &Node) -> Result<Constants> {
    let constants = top.get("constants")?;
    if top.get("type")?.str()? == "IntegerGroup" {
        let hex = |key: &str| constants.get(key)?.hex();
        return Ok(Constants::Integer {
            p: hex("largePrime")?,
            q: hex("smallPrime")?,
            r: hex("cofactor")?,
            g: hex("generator")?,
        });
    }
    let mut values = Vec::new();
    for (key, _) in crate::curve::CONSTANTS {
        values.push((key.to_string(), constants.get(key)?.hex()?));
    }
    Ok(Constants::Curve {
        name: top.get("name")?.str()?.to_string(),
        values,
    })
}

/// A group element as the record writes it: an integer (hexadecimal, or base64 bytes in the
/// 2.1 layout), or egk-ec's compressed point in base64.
pub trait Element: Sized {
    /// The element at `node`.
    fn read(node: &Node) -> Result<Self>;
}

impl Element for BigUint {
    fn read(node: &Node) -> Result<BigUint> {
        node.int()
    }
}

impl Element for crate::curve::Point {
    fn read(node: &Node) -> Result<crate::curve::Point> {
        // A valid encoding starts with 0x02 or 0x03, so the integer's bytes are all of it.
        Ok(crate::curve::Point::decode(&node.int()?.to_bytes_be()))
    }
}

fn ciphertext<E: Element>(node: &Node) -> Result<Ciphertext<E>> {
    Ok(Ciphertext {
        pad: E::read(&node.get("pad")?)?,
        data: E::read(&node.get("data")?)?,
    })
}

fn range_proof(node: &Node) -> Result<RangeProof> {
    let mut parts = Vec::new();
    for p in node.get("proofs")?.array()? {
        parts.push((p.get("challenge")?.int()?, p.get("response")?.int()?));
    }
    Ok(RangeProof { parts })
}

fn index(node: &Node) -> Result<u32> {
    u32::try_from(node.u64()?).map_err(|_| node.error("is larger than 2^32 − 1"))
}

/// The pre-encryption data of a contest (`pre_encryption`).
fn pre_encryption<E: Element>(node: &Node) -> Result<PreEncryption<E>> {
    let mut vectors = Vec::new();
    for v in node.get("selected_vectors")?.array()? {
        let mut encryptions = Vec::new();
        for e in v.get("encryptions")?.array()? {
            encryptions.push(ciphertext(&e)?);
        }
        vectors.push(PreEncryptedVector {
            selection_hash: v.get("selection_hash")?.int()?,
            short_code: v.get("short_code")?.str()?.to_string(),
            encryptions,
        });
    }
    Ok(PreEncryption {
        contest_hash: node.get("preencryption_hash")?.int()?,
        selection_hashes: node
            .get("all_selection_hashes")?
            .array()?
            .iter()
            .map(Node::int)
            .collect::<Result<_>>()?,
        vectors,
    })
}

/// One encrypted ballot as egk writes it (a file of `encrypted_ballots/`, or a test vector's
/// ballot).
pub fn read_ballot<E: Element>(node: &Node) -> Result<Ballot<E>> {
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
            votes_allowed: c.opt("votes_allowed").map(|n| n.u64()).transpose()?,
            contest_hash: c.get("contest_hash")?.int()?,
            selections,
            proof: range_proof(&c.get("proof")?)?,
            contest_data: c
                .opt("encrypted_contest_data")
                .map(|n| contest_data(&n))
                .transpose()?,
            pre_encryption: c
                .opt("pre_encryption")
                .map(|n| pre_encryption(&n))
                .transpose()?,
        });
    }
    let code_baux = node.get("code_baux")?.hex_bytes()?;
    Ok(Ballot {
        id: node.get("ballot_id")?.str()?.to_string(),
        code_baux,
        confirmation_code: node.get("confirmation_code")?.int()?,
        state: node.get("state")?.str()?.to_string(),
        device: node.get("encrypting_device")?.str()?.to_string(),
        preencrypted: node
            .opt("is_preencrypt")
            .map(|n| n.bool())
            .transpose()?
            .unwrap_or(false),
        primary_nonce: node.opt("primary_nonce").map(|n| n.int()).transpose()?,
        contests,
    })
}

fn chain(node: &Node, file: &str) -> Result<Chain> {
    Ok(Chain {
        file: file.to_string(),
        device: node.get("encrypting_device")?.str()?.to_string(),
        baux0: node.get("baux0")?.hex_bytes()?,
        ballot_ids: node
            .get("ballot_ids")?
            .array()?
            .iter()
            .map(|n| n.str().map(str::to_string))
            .collect::<Result<_>>()?,
        last_code: node.get("last_confirmation_code")?.int()?,
        closing_hash: node.opt("closing_hash").map(|n| n.int()).transpose()?,
    })
}

fn contest_data<E: Element>(node: &Node) -> Result<ContestData<E>> {
    Ok(ContestData {
        c0: E::read(&node.get("c0")?)?,
        c1: node.get("c1")?.bytes()?,
        c2: node.get("c2")?.bytes()?,
    })
}

fn decryption<E: Element>(node: &Node) -> Result<Decryption<E>> {
    let mut contests = Vec::new();
    let mut contest_data_list = Vec::new();
    for c in node.get("contests")?.array()? {
        if let Some(d) = c.opt("decrypted_contest_data") {
            let proof = d.get("proof")?;
            contest_data_list.push(DecryptedContestData {
                contest: c.get("contest_id")?.str()?.to_string(),
                encrypted: contest_data(&d.get("encrypted_contest_data")?)?,
                beta: E::read(&d.get("beta")?)?,
                challenge: proof.get("challenge")?.int()?,
                response: proof.get("response")?.int()?,
            });
        }
        let mut selections = Vec::new();
        for s in c.get("selections")?.array()? {
            let proof = s.get("proof")?;
            selections.push(DecryptedSelection {
                id: s.get("selection_id")?.str()?.to_string(),
                tally: s.get("tally")?.u64()?,
                b_over_m: E::read(&s.get("b_over_m")?)?,
                vote: ciphertext(&s.get("encrypted_vote")?)?,
                challenge: proof.get("challenge")?.int()?,
                response: proof.get("response")?.int()?,
            });
        }
        contests.push((c.get("contest_id")?.str()?.to_string(), selections));
    }
    Ok(Decryption {
        id: node.get("id")?.str()?.to_string(),
        contest_data: contest_data_list,
        contests,
    })
}

/// The root of one of the record's files, in the layout's encoding.
fn root<'a>(base64: bool, value: &'a serde_json::Value, file: &'a str) -> Node<'a> {
    if base64 {
        Node::root_base64(value, file)
    } else {
        Node::root(value, file)
    }
}

/// Read a 2.0 record whose group elements are `E`.
pub fn read<E: Element>(files: &Files) -> Result<Record<E>> {
    let config_value = files.json("election_config.json")?;
    let ec = config_value.get("config_version").and_then(|v| v.as_str()) == Some(EC_LAYOUT);
    let config = root(ec, &config_value, "election_config.json");
    let init_value = files.json("election_initialized.json")?;
    let init = root(ec, &init_value, "election_initialized.json");
    // The constants are hexadecimal in both layouts; egk-ec nests them and names the protocol.
    let constants_value = files.json("constants.json")?;
    let top = Node::root(&constants_value, "constants.json");
    let (constants, version) = if ec {
        (
            read_constants(&top)?,
            top.get("protocolVersion")?.str()?.to_string(),
        )
    } else {
        let hex = |key: &str| top.get(key)?.hex();
        (
            Constants::Integer {
                p: hex("large_prime")?,
                q: hex("small_prime")?,
                r: hex("cofactor")?,
                g: hex("generator")?,
            },
            config.get("config_version")?.str()?.to_string(),
        )
    };

    let mut guardians = Vec::new();
    for g in init.get("guardians")?.array()? {
        let mut proofs = Vec::new();
        for p in g.get("coefficient_proofs")?.array()? {
            proofs.push((
                E::read(&p.get("public_key")?)?,
                p.get("challenge")?.int()?,
                p.get("response")?.int()?,
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
        let node = root(ec, &value, file);
        if file.rsplit('/').next() == Some(CHAIN_FILE) {
            chains.push(chain(&node, file)?);
        } else {
            ballots.push(read_ballot(&node)?);
        }
    }

    let et_value = files.json("encrypted_tally.json")?;
    let et = root(ec, &et_value, "encrypted_tally.json");
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
    let tally = decryption(&root(ec, &tally_value, "tally.json"))?;
    let mut challenged = Vec::new();
    for file in files.json_under("challenged_ballots") {
        let value = files.json(file)?;
        challenged.push(decryption(&root(ec, &value, file))?);
    }

    let int = |node: &Node, key: &str| node.get(key)?.int();
    Ok(Record {
        version,
        spec: if ec { Spec::V2_1 } else { Spec::V2_0 },
        layout: if ec { EC_LAYOUT_NAME } else { EGK_LAYOUT_NAME },
        constants,
        guardians_count: config.get("number_of_guardians")?.u64()?,
        quorum: config.get("quorum")?.u64()?,
        parameter_base_hash: int(&config, "parameter_base_hash")?,
        manifest_hash: int(&config, "manifest_hash")?,
        base_hash: int(&config, "election_base_hash")?,
        extended_base_hash: int(&init, "extended_base_hash")?,
        chained: config.get("chain_confirmation_codes")?.bool()?,
        chains,
        public_key: E::read(&init.get("joint_public_key")?)?,
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
