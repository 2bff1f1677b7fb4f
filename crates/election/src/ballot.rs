//! Ballots: encrypted on the voter's device under the joint key, with a proof that every option
//! encrypts 0 or 1 and a proof per contest that the number of selections is within its limits,
//! signed with the voter's credential. The voter gets a confirmation code and either casts the
//! ballot or challenges it (Benaloh): a challenged ballot is opened for anyone to check and is
//! not counted.

use std::collections::BTreeMap;

use ed25519_dalek::Signature;
use fairtally_crypto::Scalar;
use fairtally_crypto::elgamal::{Ciphertext, EncodedCiphertext, Nonce, encrypt, opens_to};
use fairtally_crypto::encoding::hex_scalar;
use fairtally_crypto::hash::{Digest, hash_parts};
use fairtally_crypto::proofs::{BatchVerifier, RangeProof, ZeroOneProof};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::check::{Check, Failure};
pub use crate::confirmation_code::ConfirmationCode;
use crate::context::VotingContext;
use crate::credential::{Credential, CredentialKey, hex_signature};
use crate::error::{ElectionError, Result};
use crate::manifest::{Contest, Manifest};
use crate::record::{ItemKind, RecordItem, canonical_json};

/// Domain separator of a ballot's hash (from which the confirmation code comes).
pub const BALLOT_HASH_DOMAIN: &str = "fairtally/ballot/v1";
/// Domain separator of the message a credential signs.
pub const BALLOT_SIGNATURE_DOMAIN: &str = "fairtally/ballot-signature/v1";

/// A voter's choices: for each contest id, the chosen option ids. The JSON form is
/// `{"president": ["chen"], "referendum-priorities": ["parks", "schools"]}`; a contest left out
/// is left blank.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Choices(pub BTreeMap<String, Vec<String>>);

/// Choices checked against the manifest: per contest of the ballot (every contest, or the
/// voter's ballot style's), per option, chosen or not.
#[derive(Clone, Debug, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Selections {
    rows: Vec<Vec<bool>>,
    #[zeroize(skip)]
    style: Option<String>,
}

impl Selections {
    /// Check `choices` against the manifest: known contests and options, no option twice,
    /// between the contest's minimum and maximum number of selections. For a manifest without
    /// ballot styles; see [`Selections::for_style`].
    pub fn from_choices(manifest: &Manifest, choices: &Choices) -> Result<Self> {
        Self::for_style(manifest, None, choices)
    }

    /// [`Selections::from_choices`] for a voter registered with ballot style `style` (`None`
    /// when the manifest has no styles): only the style's contests may be chosen in.
    pub fn for_style(manifest: &Manifest, style: Option<&str>, choices: &Choices) -> Result<Self> {
        let contests = ballot_contests(manifest, style)?;
        for contest in choices.0.keys() {
            if !contests.iter().any(|c| &c.id == contest) {
                let reason = if manifest.contest(contest).is_some() {
                    format!("contest {contest:?} is not on this voter's ballot style")
                } else {
                    format!("there is no contest {contest:?}")
                };
                return Err(ElectionError::Choices(reason));
            }
        }
        let mut all = Vec::with_capacity(contests.len());
        for contest in contests {
            let mut row = vec![false; contest.options.len()];
            for chosen in choices.0.get(&contest.id).into_iter().flatten() {
                let position = contest
                    .options
                    .iter()
                    .position(|o| &o.id == chosen)
                    .ok_or_else(|| unknown_option(contest, chosen))?;
                if std::mem::replace(&mut row[position], true) {
                    return Err(ElectionError::Choices(format!(
                        "contest {:?}: option {chosen:?} is chosen twice",
                        contest.id
                    )));
                }
            }
            check_limits(contest, row.iter().filter(|&&v| v).count())?;
            all.push(row);
        }
        Ok(Selections {
            rows: all,
            style: style.map(str::to_string),
        })
    }

    /// Selections given directly as rows of the manifest's contests (checked like choices).
    /// For a manifest without ballot styles; see [`Selections::rows_for_style`].
    pub fn from_rows(manifest: &Manifest, rows: Vec<Vec<bool>>) -> Result<Self> {
        Self::rows_for_style(manifest, None, rows)
    }

    /// [`Selections::from_rows`] with one row per contest of ballot style `style`.
    pub fn rows_for_style(
        manifest: &Manifest,
        style: Option<&str>,
        rows: Vec<Vec<bool>>,
    ) -> Result<Self> {
        let contests = ballot_contests(manifest, style)?;
        if rows.len() != contests.len() {
            return Err(ElectionError::Choices(format!(
                "{} contests on the ballot, {} given",
                contests.len(),
                rows.len()
            )));
        }
        for (contest, row) in contests.iter().zip(&rows) {
            if row.len() != contest.options.len() {
                return Err(ElectionError::Choices(format!(
                    "contest {:?} has {} options, {} given",
                    contest.id,
                    contest.options.len(),
                    row.len()
                )));
            }
            check_limits(contest, row.iter().filter(|&&v| v).count())?;
        }
        Ok(Selections {
            rows,
            style: style.map(str::to_string),
        })
    }

    /// The rows: per contest of the ballot, per option.
    pub fn rows(&self) -> &[Vec<bool>] {
        &self.rows
    }

    /// The ballot style the selections are for.
    pub fn style(&self) -> Option<&str> {
        self.style.as_deref()
    }

    /// Back to the voter's choices.
    pub fn to_choices(&self, manifest: &Manifest) -> Choices {
        let mut map = BTreeMap::new();
        let contests = manifest.ballot_contests(self.style()).unwrap_or_default();
        for (contest, row) in contests.iter().zip(&self.rows) {
            let chosen: Vec<String> = contest
                .options
                .iter()
                .zip(row)
                .filter(|(_, v)| **v)
                .map(|(o, _)| o.id.clone())
                .collect();
            map.insert(contest.id.clone(), chosen);
        }
        Choices(map)
    }
}

/// The contests of a ballot of `style`, or why a voter of that style cannot vote here.
fn ballot_contests<'m>(manifest: &'m Manifest, style: Option<&str>) -> Result<Vec<&'m Contest>> {
    manifest
        .ballot_contests(style)
        .map_err(|e| ElectionError::Choices(format!("the voter's ballot: {e}")))
}

/// A choice that names no option: the error lists the contest's option ids with their titles,
/// and points at the id when the voter wrote an option's title instead.
fn unknown_option(contest: &Contest, chosen: &str) -> ElectionError {
    let by_title = contest
        .options
        .iter()
        .find(|o| o.title.eq_ignore_ascii_case(chosen.trim()))
        .map(|o| format!(" (write its id {:?}, not its title)", o.id))
        .unwrap_or_default();
    ElectionError::Choices(format!(
        "contest {:?} ({}) has no option {chosen:?}{by_title}; its options are: {}",
        contest.id,
        contest.title,
        contest.options_text()
    ))
}

fn check_limits(contest: &Contest, chosen: usize) -> Result<()> {
    let (min, max) = (
        contest.min_selections as usize,
        contest.max_selections as usize,
    );
    if chosen < min || chosen > max {
        return Err(ElectionError::Choices(format!(
            "contest {:?} ({}) needs {} selection{}, {chosen} chosen",
            contest.id,
            contest.title,
            contest.limits_text(),
            if max == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// One option of an encrypted contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSelection {
    /// The option's id.
    pub option: String,
    /// Encryption of 1 (chosen) or 0 (kept with its encodings, which hashing and proofs need).
    pub ciphertext: EncodedCiphertext,
    /// Proof that the ciphertext encrypts 0 or 1.
    pub proof: ZeroOneProof,
}

/// One encrypted contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedContest {
    /// The contest's id.
    pub contest: String,
    /// One selection per option, in manifest order.
    pub selections: Vec<EncryptedSelection>,
    /// Proof that the sum of the selections encrypts a number within the contest's limits.
    pub range_proof: RangeProof,
}

/// The encrypted ballot, as the device produced it. Its hash gives the confirmation code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The election's base hash.
    pub election: Digest,
    /// The voter's public credential.
    pub credential: CredentialKey,
    /// The ballot style (when the manifest has styles): the ballot holds exactly its contests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// The contests, in manifest order (the style's, with ballot styles).
    pub contests: Vec<EncryptedContest>,
}

/// What the voter did with the ballot; it is part of the signed message, so nobody else can
/// turn a challenged ballot into a counted one or back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    /// The ballot is cast and counts (unless the same credential casts a later one).
    Cast,
    /// The ballot is challenged: opened and never counted.
    Challenge,
}

impl Intent {
    /// The name used in the signed message.
    pub fn name(self) -> &'static str {
        match self {
            Intent::Cast => "cast",
            Intent::Challenge => "challenge",
        }
    }
}

/// One opened selection of a challenged ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct OpenedSelection {
    /// Whether the option was chosen.
    pub vote: bool,
    /// The encryption nonce.
    #[serde(with = "hex_scalar")]
    pub nonce: Scalar,
}

/// The opening of a ballot: every selection's vote and nonce, contest by contest in manifest
/// order. Published for challenged ballots; kept secret (and then discarded) for cast ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// Per contest, per option.
    pub contests: Vec<Vec<OpenedSelection>>,
}

/// One line of `ballots.jsonl`: a signed ballot with the voter's intent and, for challenged
/// ballots, its opening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotEntry {
    /// The encrypted ballot.
    pub ballot: BallotBody,
    /// Cast or challenged.
    pub intent: Intent,
    /// Ed25519 signature by the ballot's credential on [`signed_message`].
    #[serde(with = "hex_signature")]
    pub signature: Signature,
    /// For challenged ballots: the opening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening: Option<Opening>,
}

impl RecordItem for BallotEntry {
    const KIND: ItemKind = ItemKind::Ballot;
}

impl BallotBody {
    /// `H(BALLOT_HASH_DOMAIN, canonical bytes of the body)`.
    pub fn hash(&self) -> Digest {
        hash_parts(
            BALLOT_HASH_DOMAIN,
            &[&canonical_json(self).unwrap_or_default()],
        )
    }

    /// The confirmation code.
    pub fn code(&self) -> ConfirmationCode {
        ConfirmationCode::from_hash(&self.hash())
    }
}

/// The parts of a stored ballot line needed to find and classify it, read without decoding a
/// single point: the ballot hash (of the line's `ballot` member as it stands, which is its
/// canonical form in a record), the credential and the intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineSummary {
    /// The ballot hash.
    pub hash: Digest,
    /// The credential's 32-byte encoding.
    pub credential: [u8; 32],
    /// Cast or challenged.
    pub intent: Intent,
}

impl LineSummary {
    /// Reads a ballot line (without its line end); `None` when it is not one.
    pub fn read(line: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Line<'a> {
            #[serde(borrow)]
            ballot: &'a serde_json::value::RawValue,
            intent: Intent,
        }
        #[derive(Deserialize)]
        struct Head<'a> {
            credential: &'a str,
        }
        let parsed: Line<'_> = serde_json::from_slice(line).ok()?;
        let head: Head<'_> = serde_json::from_str(parsed.ballot.get()).ok()?;
        let mut credential = [0u8; 32];
        hex::decode_to_slice(head.credential, &mut credential).ok()?;
        Some(LineSummary {
            hash: hash_parts(BALLOT_HASH_DOMAIN, &[parsed.ballot.get().as_bytes()]),
            credential,
            intent: parsed.intent,
        })
    }
}

/// The 32 bytes a credential signs: `H(BALLOT_SIGNATURE_DOMAIN, ballot hash, intent)`.
pub fn signed_message(ballot_hash: &Digest, intent: Intent) -> Digest {
    hash_parts(
        BALLOT_SIGNATURE_DOMAIN,
        &[&ballot_hash.0, intent.name().as_bytes()],
    )
}

/// The binding of the proof that option `option` of contest `contest` encrypts 0 or 1.
pub fn selection_binding(credential: &CredentialKey, contest: &str, option: &str) -> Vec<u8> {
    let mut binding = contest_binding(credential, contest);
    binding.push(0);
    binding.extend_from_slice(option.as_bytes());
    binding
}

/// The binding of contest `contest`'s range proof: credential key ‖ contest id.
pub fn contest_binding(credential: &CredentialKey, contest: &str) -> Vec<u8> {
    let mut binding = credential.as_bytes().to_vec();
    binding.extend_from_slice(contest.as_bytes());
    binding
}

/// A ballot encrypted on the device, before the voter casts or challenges it. It holds the
/// opening, so it stays on the device.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreparedBallot {
    /// The encrypted ballot.
    pub ballot: BallotBody,
    /// The votes and nonces.
    pub opening: Opening,
}

/// Encrypt `selections` for the voter holding `credential`.
pub fn encrypt_ballot(
    ctx: &VotingContext,
    credential: &Credential,
    selections: &Selections,
) -> Result<PreparedBallot> {
    let key = credential.public();
    let pk = &ctx.public_key;
    let on_ballot = ballot_contests(&ctx.manifest, selections.style())?;
    let mut contests = Vec::with_capacity(on_ballot.len());
    let mut opening = Vec::with_capacity(on_ballot.len());
    if selections.rows().len() != on_ballot.len() {
        return Err(ElectionError::Choices(
            "the selections do not match the manifest".into(),
        ));
    }
    for (contest, row) in on_ballot.iter().zip(selections.rows()) {
        let mut encrypted = Vec::with_capacity(row.len());
        let mut opened = Vec::with_capacity(row.len());
        let mut nonce_sum = Nonce::from_scalar(Scalar::ZERO);
        for (option, &vote) in contest.options.iter().zip(row) {
            let nonce = Nonce::random();
            let ciphertext = EncodedCiphertext::from(encrypt(pk, u64::from(vote), &nonce));
            let binding = selection_binding(&key, &contest.id, &option.id);
            let proof =
                ZeroOneProof::prove(&ctx.base_hash, &binding, pk, &ciphertext, vote, &nonce);
            nonce_sum = &nonce_sum + &nonce;
            opened.push(OpenedSelection {
                vote,
                nonce: *nonce.scalar(),
            });
            encrypted.push(EncryptedSelection {
                option: option.id.clone(),
                ciphertext,
                proof,
            });
        }
        let total: Ciphertext = encrypted.iter().map(|s| s.ciphertext.ciphertext()).sum();
        let chosen = row.iter().filter(|&&v| v).count() as u64;
        let range_proof = RangeProof::prove(
            &ctx.base_hash,
            &contest_binding(&key, &contest.id),
            pk,
            &total,
            chosen,
            &nonce_sum,
            u64::from(contest.min_selections),
            u64::from(contest.max_selections),
        )
        .map_err(|e| ElectionError::Choices(format!("contest {:?}: {e}", contest.id)))?;
        contests.push(EncryptedContest {
            contest: contest.id.clone(),
            selections: encrypted,
            range_proof,
        });
        opening.push(opened);
    }
    Ok(PreparedBallot {
        ballot: BallotBody {
            election: ctx.base_hash,
            credential: key,
            style: selections.style().map(str::to_string),
            contests,
        },
        opening: Opening { contests: opening },
    })
}

impl PreparedBallot {
    /// The confirmation code to show the voter.
    pub fn code(&self) -> ConfirmationCode {
        self.ballot.code()
    }

    /// Sign and cast: the opening is dropped (and zeroized).
    pub fn cast(self, credential: &Credential) -> Result<BallotEntry> {
        self.finish(credential, Intent::Cast)
    }

    /// Sign and challenge: the opening is published with the ballot.
    pub fn challenge(self, credential: &Credential) -> Result<BallotEntry> {
        self.finish(credential, Intent::Challenge)
    }

    fn finish(self, credential: &Credential, intent: Intent) -> Result<BallotEntry> {
        let opening = (intent == Intent::Challenge).then_some(self.opening);
        sign_entry(self.ballot, credential, intent, opening)
    }
}

/// Signs `ballot` with `credential` for `intent`; `opening` goes with a challenged ballot.
fn sign_entry(
    ballot: BallotBody,
    credential: &Credential,
    intent: Intent,
    opening: Option<Opening>,
) -> Result<BallotEntry> {
    if credential.public() != ballot.credential {
        return Err(ElectionError::Credential(
            "this credential is not the one the ballot was encrypted for".into(),
        ));
    }
    let signature = credential.sign(&signed_message(&ballot.hash(), intent).0);
    Ok(BallotEntry {
        ballot,
        intent,
        signature,
        opening,
    })
}

/// Where a ballot on the voter's device stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceState {
    /// Encrypted; neither cast nor challenged yet (the opening is kept).
    #[default]
    Prepared,
    /// Cast: the opening has been wiped, so the file proves nothing about the vote.
    Cast,
    /// Challenged: opened for anyone to check; it can never be cast.
    Challenged,
}

/// The voter's device file of one ballot (`voter encrypt` writes it; `voter cast` and
/// `voter challenge` rewrite it). Casting wipes the opening, so the file is no receipt of the
/// vote; a cast ballot cannot be challenged, and a challenged one cannot be cast.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceBallot {
    /// Prepared, cast or challenged.
    #[serde(default)]
    pub state: DeviceState,
    /// The encrypted ballot.
    pub ballot: BallotBody,
    /// The votes and nonces, until the ballot is cast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening: Option<Opening>,
}

impl From<PreparedBallot> for DeviceBallot {
    fn from(prepared: PreparedBallot) -> Self {
        DeviceBallot {
            state: DeviceState::Prepared,
            ballot: prepared.ballot,
            opening: Some(prepared.opening),
        }
    }
}

impl DeviceBallot {
    /// The confirmation code.
    pub fn code(&self) -> ConfirmationCode {
        self.ballot.code()
    }

    /// Signs the ballot for casting and wipes the opening (its nonces are zeroized). Refused
    /// for a challenged ballot, whose votes are public.
    pub fn cast(&mut self, credential: &Credential) -> Result<BallotEntry> {
        if self.state == DeviceState::Challenged {
            return Err(ElectionError::Ballot {
                code: self.code().to_string(),
                reason: "it was challenged (opened): it can never be cast; encrypt a new ballot"
                    .into(),
            });
        }
        let entry = sign_entry(self.ballot.clone(), credential, Intent::Cast, None)?;
        self.opening = None;
        self.state = DeviceState::Cast;
        Ok(entry)
    }

    /// Signs the ballot for challenging, with its opening. Refused for a cast ballot: it
    /// counts, and its opening is gone.
    pub fn challenge(&mut self, credential: &Credential) -> Result<BallotEntry> {
        let refuse = |reason: &str| ElectionError::Ballot {
            code: self.code().to_string(),
            reason: reason.into(),
        };
        if self.state == DeviceState::Cast {
            return Err(refuse(
                "it was cast: a cast ballot cannot be challenged (its nonces were wiped)",
            ));
        }
        let opening = self
            .opening
            .clone()
            .ok_or_else(|| refuse("the file holds no opening to challenge it with"))?;
        let entry = sign_entry(
            self.ballot.clone(),
            credential,
            Intent::Challenge,
            Some(opening),
        )?;
        self.state = DeviceState::Challenged;
        Ok(entry)
    }
}

impl BallotEntry {
    /// Check the shape against the manifest and election (the [`Check::BallotStructure`] check).
    pub fn check_structure(&self, ctx: &VotingContext) -> std::result::Result<(), String> {
        let body = &self.ballot;
        if body.election != ctx.base_hash {
            return Err(format!(
                "it is for election {}, not this one",
                body.election
            ));
        }
        let expected = ctx.manifest.ballot_contests(body.style.as_deref())?;
        let whose = match &body.style {
            Some(style) => format!("ballot style {style:?}"),
            None => "the manifest".to_string(),
        };
        if let Some(extra) = body
            .contests
            .iter()
            .find(|c| !expected.iter().any(|m| m.id == c.contest))
        {
            return Err(format!(
                "it holds contest {:?}, which is not on {whose}",
                extra.contest
            ));
        }
        if body.contests.len() != expected.len() {
            return Err(format!(
                "{} contests, {whose} has {}",
                body.contests.len(),
                expected.len()
            ));
        }
        for (c, m) in body.contests.iter().zip(&expected) {
            if c.contest != m.id {
                return Err(format!(
                    "contest {:?} where {whose} has {:?}",
                    c.contest, m.id
                ));
            }
            if c.selections.len() != m.options.len()
                || c.selections
                    .iter()
                    .zip(&m.options)
                    .any(|(s, o)| s.option != o.id)
            {
                return Err(format!(
                    "contest {:?}: the options differ from the manifest's",
                    m.id
                ));
            }
        }
        match (self.intent, &self.opening) {
            (Intent::Cast, Some(_)) => Err("a cast ballot must not carry an opening".into()),
            (Intent::Challenge, None) => Err("a challenged ballot must carry its opening".into()),
            _ => Ok(()),
        }
    }

    /// The signature check ([`Check::BallotSignatures`]).
    pub fn signature_valid(&self, hash: &Digest) -> bool {
        self.ballot
            .credential
            .verify(&signed_message(hash, self.intent).0, &self.signature)
    }

    /// Queue every proof of the ballot into `batch` (structure must have been checked).
    pub fn queue_proofs(
        &self,
        ctx: &VotingContext,
        batch: &mut BatchVerifier,
    ) -> std::result::Result<(), Failure> {
        self.each_proof(ctx, |proof, check, contest, option| {
            let item = describe(contest, option);
            match proof {
                ProofRef::Selection(p, ct, binding) => {
                    p.verify_batched(&ctx.base_hash, &binding, &ctx.public_key, ct, batch)
                }
                ProofRef::Range(p, ct, binding, min, max) => p.verify_batched(
                    &ctx.base_hash,
                    &binding,
                    &ctx.public_key,
                    &*ct,
                    min,
                    max,
                    batch,
                ),
            }
            .map_err(|e| Failure::new(check, item, e.to_string()))
        })
    }

    /// Verify every proof on its own and name the first that fails (used to find the culprit
    /// after a batch fails).
    pub fn verify_proofs_individually(
        &self,
        ctx: &VotingContext,
    ) -> std::result::Result<(), Failure> {
        self.each_proof(ctx, |proof, check, contest, option| {
            let item = describe(contest, option);
            match proof {
                ProofRef::Selection(p, ct, binding) => {
                    p.verify(&ctx.base_hash, &binding, &ctx.public_key, ct)
                }
                ProofRef::Range(p, ct, binding, min, max) => {
                    p.verify(&ctx.base_hash, &binding, &ctx.public_key, &*ct, min, max)
                }
            }
            .map_err(|e| Failure::new(check, item, e.to_string()))
        })
    }

    fn each_proof(
        &self,
        ctx: &VotingContext,
        mut f: impl FnMut(ProofRef<'_>, Check, &str, Option<&str>) -> std::result::Result<(), Failure>,
    ) -> std::result::Result<(), Failure> {
        let key = &self.ballot.credential;
        let contests = ctx
            .manifest
            .ballot_contests(self.ballot.style.as_deref())
            .unwrap_or_default();
        for (c, m) in self.ballot.contests.iter().zip(contests) {
            for s in &c.selections {
                let binding = selection_binding(key, &c.contest, &s.option);
                f(
                    ProofRef::Selection(&s.proof, &s.ciphertext, binding),
                    Check::SelectionProofs,
                    &c.contest,
                    Some(&s.option),
                )?;
            }
            let total: Ciphertext = c.selections.iter().map(|s| s.ciphertext.ciphertext()).sum();
            let binding = contest_binding(key, &c.contest);
            let (min, max) = (u64::from(m.min_selections), u64::from(m.max_selections));
            f(
                ProofRef::Range(&c.range_proof, Box::new(total), binding, min, max),
                Check::ContestRangeProofs,
                &c.contest,
                None,
            )?;
        }
        Ok(())
    }

    /// Check a challenged ballot's opening against its ciphertexts; returns the opened choices.
    pub fn check_opening(&self, ctx: &VotingContext) -> std::result::Result<Choices, String> {
        let opening = self.opening.as_ref().ok_or("no opening")?;
        if opening.contests.len() != self.ballot.contests.len() {
            return Err("the opening does not cover every contest".into());
        }
        let mut rows = Vec::new();
        for (c, opened) in self.ballot.contests.iter().zip(&opening.contests) {
            if opened.len() != c.selections.len() {
                return Err(format!(
                    "contest {:?}: the opening does not cover every option",
                    c.contest
                ));
            }
            for (s, o) in c.selections.iter().zip(opened) {
                if !opens_to(
                    &ctx.public_key,
                    &s.ciphertext.ciphertext(),
                    u64::from(o.vote),
                    &o.nonce,
                ) {
                    return Err(format!(
                        "contest {:?}, option {:?}: the ciphertext does not open to the published vote",
                        c.contest, s.option
                    ));
                }
            }
            rows.push(opened.iter().map(|o| o.vote).collect());
        }
        Selections::rows_for_style(&ctx.manifest, self.ballot.style.as_deref(), rows)
            .map(|s| s.to_choices(&ctx.manifest))
            .map_err(|e| e.to_string())
    }
}

enum ProofRef<'a> {
    Selection(&'a ZeroOneProof, &'a EncodedCiphertext, Vec<u8>),
    Range(&'a RangeProof, Box<Ciphertext>, Vec<u8>, u64, u64),
}

fn describe(contest: &str, option: Option<&str>) -> String {
    match option {
        Some(o) => format!("contest {contest}, option {o}"),
        None => format!("contest {contest}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;
    use crate::ceremony::{KeyShare, run_all_in_one};
    use crate::context::ElectionContext;
    use crate::credential::{CredentialList, issue};
    use crate::parameters::{ElectionParameters, ceremony_context};
    use crate::tally::{Accumulator, ElectionResult, combine, decrypt_share, verify_share};

    struct Fixture {
        ctx: VotingContext,
        credentials: Vec<Credential>,
        list: CredentialList,
        guardians: Vec<crate::guardian::GuardianPublic>,
        keys: Vec<KeyShare>,
        parameters: ElectionParameters,
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let manifest = Manifest::default_demo().unwrap();
            let parameters = crate::parameters::for_tests(3, 2).unwrap();
            let names = vec!["A".to_string(), "B".to_string(), "C".to_string()];
            let ceremony = run_all_in_one(
                &ceremony_context(&manifest, &parameters).unwrap(),
                &parameters,
                &names,
            )
            .unwrap();
            let (guardians, keys) = (ceremony.guardians, ceremony.key_shares);
            let (credentials, list) = issue(4).unwrap();
            let context =
                ElectionContext::compute(&manifest, &parameters, &guardians, &list).unwrap();
            Fixture {
                ctx: VotingContext::new(manifest, &context),
                credentials,
                list,
                guardians,
                keys,
                parameters,
            }
        })
    }

    /// Valid selections for the demo manifest: one of six, and up to two of four.
    fn selections() -> impl Strategy<Value = Vec<Vec<bool>>> {
        (
            0usize..6,
            proptest::sample::subsequence(vec![0usize, 1, 2, 3], 0..=2),
        )
            .prop_map(|(p, approved)| {
                let mut president = vec![false; 6];
                president[p] = true;
                let mut priorities = vec![false; 4];
                for i in approved {
                    priorities[i] = true;
                }
                vec![president, priorities]
            })
    }

    #[test]
    fn casting_wipes_the_opening_and_cast_and_challenge_exclude_each_other() -> Result<()> {
        let f = fixture();
        let credential = &f.credentials[0];
        let selections = crate::simulation::random_selections(&f.ctx.manifest)?;
        let mut cast = DeviceBallot::from(encrypt_ballot(&f.ctx, credential, &selections)?);
        let entry = cast.cast(credential)?;
        assert_eq!(
            (cast.state, entry.intent),
            (DeviceState::Cast, Intent::Cast)
        );
        assert!(cast.opening.is_none());
        let stored = String::from_utf8(canonical_json(&cast)?).unwrap_or_default();
        assert!(!stored.contains("nonce"), "{stored}");
        let err = cast.challenge(credential).unwrap_err().to_string();
        assert!(err.contains("cannot be challenged"), "{err}");

        let mut challenged = DeviceBallot::from(encrypt_ballot(&f.ctx, credential, &selections)?);
        let opened = challenged.challenge(credential)?;
        assert!(opened.check_opening(&f.ctx).is_ok());
        let err = challenged.cast(credential).unwrap_err().to_string();
        assert!(err.contains("can never be cast"), "{err}");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn ballots_round_trip_verify_and_open_to_their_choices(rows in selections(), voter in 0usize..4) {
            let f = fixture();
            let s = Selections::from_rows(&f.ctx.manifest, rows).unwrap();
            let credential = &f.credentials[voter];
            let prepared = encrypt_ballot(&f.ctx, credential, &s).unwrap();
            let code = prepared.code();
            let entry = prepared.challenge(credential).unwrap();
            let text = String::from_utf8(canonical_json(&entry).unwrap()).unwrap();
            let back: BallotEntry = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &entry);
            prop_assert_eq!(back.ballot.code(), code);
            let canonical = crate::verifier::CanonicalBallot::new(back.clone()).unwrap();
            prop_assert_eq!(canonical.hash, back.ballot.hash());
            prop_assert_eq!(canonical.line, text.as_bytes());
            prop_assert!(crate::verifier::check_ballot(&f.ctx, &f.list, &back).unwrap().is_empty());
            prop_assert_eq!(back.check_opening(&f.ctx).unwrap(), s.to_choices(&f.ctx.manifest));
            prop_assert_eq!(Selections::from_choices(&f.ctx.manifest, &s.to_choices(&f.ctx.manifest)).unwrap(), s);
        }

        #[test]
        fn any_two_guardians_decrypt_the_sum_of_ballots(
            ballots in proptest::collection::vec(selections(), 1..5),
            absent in 0usize..3,
        ) {
            let f = fixture();
            let mut acc = Accumulator::start(&f.ctx.manifest, &f.ctx.public_key);
            let mut expected = vec![0u64; f.ctx.manifest.option_count()];
            for (rows, credential) in ballots.iter().zip(f.credentials.iter().cycle()) {
                for (e, v) in expected.iter_mut().zip(rows.iter().flatten()) {
                    *e += u64::from(*v);
                }
                let s = Selections::from_rows(&f.ctx.manifest, rows.clone()).unwrap();
                acc.add(&encrypt_ballot(&f.ctx, credential, &s).unwrap().ballot);
            }
            let tally = acc.to_tally(&f.ctx.manifest);
            let shares: Vec<_> = f.keys.iter().enumerate().filter(|(i, _)| *i != absent).map(|(_, k)| {
                let share = decrypt_share(&f.ctx.base_hash, &f.ctx.manifest, k, &tally).unwrap();
                verify_share(&f.ctx.base_hash, &f.ctx.manifest, &f.guardians, &tally, &share).unwrap();
                share
            }).collect();
            let points = combine(&f.parameters, &tally.flat(&f.ctx.manifest).unwrap(), &shares).unwrap();
            let result = ElectionResult::decrypt(&f.ctx.manifest, ballots.len() as u64, &points).unwrap();
            let got: Vec<u64> = result.contests.iter().flat_map(|c| c.options.iter().map(|o| o.votes)).collect();
            prop_assert_eq!(got, expected);
            prop_assert!(result.check(&f.ctx.manifest, &points).is_ok());
            prop_assert!(combine(&f.parameters, &tally.flat(&f.ctx.manifest).unwrap(), &shares[..1]).is_err());
        }
    }
}
