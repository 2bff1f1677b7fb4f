//! The key ceremony after each guardian has published its commitments: shares encrypted to
//! their recipients, checked against the commitments, complaints that anyone can check, and
//! each guardian's key share. Every step is a pure function over the files' contents, so
//! each guardian can run it on an offline machine; [`run_all_in_one`] chains them for demos.
//! The share messages and complaints are published in the record ([`publish`]), so that anyone
//! can audit the ceremony from it.

use std::path::Path;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::traits::Identity;
use fairtally_crypto::encoding::hex_scalar;
use fairtally_crypto::hash::Digest;
use fairtally_crypto::proofs::SchnorrProof;
use fairtally_crypto::share_transport::{
    EncryptedShare, KeyDisclosure, decrypt_share, disclose_key, encrypt_share, open_disclosed,
};
use fairtally_crypto::sharing::{evaluate_commitments, verify_share};
use fairtally_crypto::{RistrettoPoint, Scalar};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::authority::read_election;
use crate::error::{ElectionError, Result};
use crate::guardian::{self, GuardianPublic, GuardianSecret};
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::record::{
    Access, ItemKind, JsonLinesReader, RecordItem, canonical_json, files, write_file_atomically,
};

/// A share P_from(to), encrypted by guardian `from` to guardian `to`'s transport key and signed
/// by `from`. These messages are published (they are encrypted), so a complaint can point at
/// one, and the signature shows who sent it: nobody else can put a bad share in a guardian's
/// name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareMessage {
    /// The sending guardian.
    pub from: u32,
    /// The receiving guardian.
    pub to: u32,
    /// The encrypted share.
    pub encrypted: EncryptedShare,
    /// The sender's signature: a Schnorr proof of knowledge of its transport secret, bound to
    /// the ceremony context and [`message_binding`] (sender, recipient and the encrypted share).
    pub signature: SchnorrProof,
}

impl RecordItem for ShareMessage {
    const KIND: ItemKind = ItemKind::ShareMessage;
}

/// The statement a share message's signature binds: `"share-message" ‖ from ‖ to ‖ E ‖
/// ciphertext` (indices as 4 bytes big-endian, E compressed).
pub fn message_binding(from: u32, to: u32, encrypted: &EncryptedShare) -> Vec<u8> {
    let mut binding = b"share-message".to_vec();
    binding.extend_from_slice(&from.to_be_bytes());
    binding.extend_from_slice(&to.to_be_bytes());
    binding.extend_from_slice(encrypted.ephemeral.compress().as_bytes());
    binding.extend_from_slice(&encrypted.ciphertext);
    binding
}

/// The length of an encrypted share's ciphertext: a 32-byte scalar and a 16-byte tag.
pub const SHARE_CIPHERTEXT_BYTES: usize = 48;

impl ShareMessage {
    /// The message of `encrypted` from the guardian of `secret` to guardian `to`, signed.
    pub fn signed(
        context: &Digest,
        secret: &GuardianSecret,
        to: u32,
        encrypted: EncryptedShare,
    ) -> Self {
        let signature = SchnorrProof::prove(
            context,
            &message_binding(secret.index, to, &encrypted),
            secret.transport_secret(),
            &(RISTRETTO_BASEPOINT_TABLE * secret.transport_secret()),
        );
        ShareMessage {
            from: secret.index,
            to,
            encrypted,
            signature,
        }
    }

    /// Checks what anyone can check of a message: that `sender` (the published guardian
    /// `from`) signed it for this recipient in this ceremony, and that it has a share's size.
    pub fn check_signed(&self, context: &Digest, sender: &GuardianPublic) -> Result<()> {
        let fail = |reason: String| ElectionError::Ceremony {
            guardian: self.from,
            reason,
        };
        if sender.index != self.from {
            return Err(fail(format!(
                "the message is checked against guardian {}",
                sender.index
            )));
        }
        if self.encrypted.ciphertext.len() != SHARE_CIPHERTEXT_BYTES {
            return Err(fail(format!(
                "its share to guardian {} is {} bytes, an encrypted share is {SHARE_CIPHERTEXT_BYTES}",
                self.to,
                self.encrypted.ciphertext.len()
            )));
        }
        self.signature
            .verify(
                context,
                &message_binding(self.from, self.to, &self.encrypted),
                &sender.transport_key,
            )
            .map_err(|e| {
                fail(format!(
                    "its share to guardian {} is not signed by it: {e}",
                    self.to
                ))
            })
    }
}

/// A guardian's share s_i = Σ_j P_j(i) of the joint secret: what it decrypts with. Lives only in
/// the guardian's own file and is zeroized in memory when dropped.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct KeyShare {
    /// The guardian's sequence number.
    #[zeroize(skip)]
    pub index: u32,
    /// s_i.
    #[serde(with = "hex_scalar")]
    secret: Scalar,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyShare {{ index: {}, .. }}", self.index)
    }
}

impl KeyShare {
    /// The secret share s_i.
    pub fn secret(&self) -> &Scalar {
        &self.secret
    }
}

/// A complaint by guardian `to` that the share `from` sent does not match `from`'s commitments.
/// The complainer discloses the Diffie–Hellman key of that one message with a proof, so anyone
/// can decrypt it and check the share, and learns nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The accused sender.
    pub from: u32,
    /// The complaining recipient.
    pub to: u32,
    /// The published message complained about.
    pub encrypted: EncryptedShare,
    /// The disclosed shared key (ephemeral^transport_secret) with its proof.
    pub disclosure: KeyDisclosure,
}

impl RecordItem for Complaint {
    const KIND: ItemKind = ItemKind::Complaint;
}

/// What checking a complaint shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The complaint is upheld: the named sender sent a bad share and must be excluded.
    SenderAtFault {
        /// The guardian who sent the bad share.
        guardian: u32,
        /// Why its share is bad.
        reason: String,
    },
    /// The complaint does not hold: the complainer's disclosure is false or the share is good.
    Unfounded {
        /// The complaining guardian.
        guardian: u32,
        /// Why the complaint fails.
        reason: String,
    },
}

/// What a guardian gets from the shares sent to it.
#[derive(Debug)]
pub enum Received {
    /// Every share matched its sender's commitments.
    KeyShare(KeyShare),
    /// At least one share was bad: publish these complaints.
    Complaints(Vec<Complaint>),
}

/// Associated data of the share from `from` to `to` (binds sender and recipient).
pub fn share_associated_data(from: u32, to: u32) -> Vec<u8> {
    let mut ad = b"fairtally/share".to_vec();
    ad.extend_from_slice(&from.to_be_bytes());
    ad.extend_from_slice(&to.to_be_bytes());
    ad
}

/// Second ceremony step: encrypt this guardian's share for every other guardian.
pub fn encrypt_shares(
    context: &Digest,
    secret: &GuardianSecret,
    guardians: &[GuardianPublic],
) -> Result<Vec<ShareMessage>> {
    let mut messages = Vec::with_capacity(guardians.len());
    for recipient in guardians.iter().filter(|g| g.index != secret.index) {
        let share = secret
            .share_for(recipient.index)
            .ok_or_else(|| ElectionError::Ceremony {
                guardian: recipient.index,
                reason: format!(
                    "guardian {} has no share for this sequence number",
                    secret.index
                ),
            })?;
        let ad = share_associated_data(secret.index, recipient.index);
        let encrypted = encrypt_share(context, &ad, &recipient.transport_key, share);
        messages.push(ShareMessage::signed(
            context,
            secret,
            recipient.index,
            encrypted,
        ));
    }
    Ok(messages)
}

/// Third ceremony step: guardian `secret.index` decrypts the shares sent to it, checks each
/// against its sender's commitments and either derives its key share or files complaints.
/// `messages` may hold messages for other guardians; those are ignored. A message its sender
/// did not sign is refused (an error, not a complaint: someone else made it).
pub fn receive_shares(
    context: &Digest,
    parameters: &ElectionParameters,
    secret: &GuardianSecret,
    guardians: &[GuardianPublic],
    messages: &[ShareMessage],
) -> Result<Received> {
    guardian::verify_all(context, parameters, guardians)?;
    let me = secret.index;
    let own = guardians
        .iter()
        .find(|g| g.index == me)
        .ok_or_else(|| ElectionError::Ceremony {
            guardian: me,
            reason: "not among the guardians".into(),
        })?;
    secret.check_matches(own)?;
    let mut sum = *secret
        .share_for(me)
        .ok_or_else(|| ElectionError::Ceremony {
            guardian: me,
            reason: "no own share".into(),
        })?;
    let mut complaints = Vec::new();
    for sender in guardians.iter().filter(|g| g.index != me) {
        let mut for_me = messages
            .iter()
            .filter(|m| m.from == sender.index && m.to == me);
        let message = match (for_me.next(), for_me.next()) {
            (Some(m), None) => m,
            (None, _) => {
                return Err(ElectionError::Ceremony {
                    guardian: sender.index,
                    reason: format!("no share from guardian {} to guardian {me}", sender.index),
                });
            }
            (Some(_), Some(_)) => {
                return Err(ElectionError::Ceremony {
                    guardian: sender.index,
                    reason: format!(
                        "two different shares from guardian {} to guardian {me}",
                        sender.index
                    ),
                });
            }
        };
        message.check_signed(context, sender)?;
        let ad = share_associated_data(sender.index, me);
        let good = decrypt_share(context, &ad, secret.transport_secret(), &message.encrypted)
            .ok()
            .filter(|share| verify_share(&sender.commitments, me, share));
        match good {
            Some(share) => sum += share,
            None => {
                complaints.push(Complaint {
                    from: sender.index,
                    to: me,
                    encrypted: message.encrypted.clone(),
                    disclosure: disclose_key(
                        context,
                        &ad,
                        secret.transport_secret(),
                        &message.encrypted,
                    ),
                });
            }
        }
    }
    if complaints.is_empty() {
        Ok(Received::KeyShare(KeyShare {
            index: me,
            secret: sum,
        }))
    } else {
        Ok(Received::Complaints(complaints))
    }
}

/// Anyone's check of a complaint: against the published guardians and, when given, the
/// sender's published share messages (so the complainer cannot complain about a message that
/// was never sent).
pub fn check_complaint(
    context: &Digest,
    guardians: &[GuardianPublic],
    published: Option<&[ShareMessage]>,
    complaint: &Complaint,
) -> Result<Verdict> {
    let find = |index: u32| {
        guardians
            .iter()
            .find(|g| g.index == index)
            .ok_or_else(|| ElectionError::Ceremony {
                guardian: index,
                reason: "the complaint names a guardian who is not in the ceremony".into(),
            })
    };
    let (sender, recipient) = (find(complaint.from)?, find(complaint.to)?);
    let unfounded = |reason: &str| Verdict::Unfounded {
        guardian: complaint.to,
        reason: reason.into(),
    };
    if complaint.from == complaint.to {
        return Ok(unfounded("a guardian cannot complain about itself"));
    }
    if let Some(messages) = published {
        let sent = messages.iter().any(|m| {
            m.from == complaint.from && m.to == complaint.to && m.encrypted == complaint.encrypted
        });
        if !sent {
            return Ok(unfounded(
                "the sender never published the message complained about",
            ));
        }
    }
    let ad = share_associated_data(complaint.from, complaint.to);
    let disclosure = &complaint.disclosure;
    // open_disclosed checks this proof too, but its error would not tell a false disclosure
    // (the complainer's fault) from a share that does not decrypt (the sender's).
    if disclosure
        .proof
        .verify(
            context,
            &ad,
            &recipient.transport_key,
            &complaint.encrypted.ephemeral,
            &disclosure.shared,
        )
        .is_err()
    {
        return Ok(unfounded("the disclosed key's proof does not verify"));
    }
    Ok(
        match open_disclosed(
            context,
            &ad,
            &recipient.transport_key,
            &complaint.encrypted,
            disclosure,
        ) {
            Err(e) => Verdict::SenderAtFault {
                guardian: complaint.from,
                reason: format!(
                    "its share to guardian {} does not decrypt: {e}",
                    complaint.to
                ),
            },
            Ok(share) if !verify_share(&sender.commitments, complaint.to, &share) => {
                Verdict::SenderAtFault {
                    guardian: complaint.from,
                    reason: format!(
                        "its share to guardian {} does not match its commitments",
                        complaint.to
                    ),
                }
            }
            Ok(_) => unfounded("the share matches the sender's commitments"),
        },
    )
}

/// The joint election key K = Π_j C_{j,0}.
pub fn joint_key(guardians: &[GuardianPublic]) -> RistrettoPoint {
    guardians
        .iter()
        .filter_map(|g| g.commitments.first())
        .fold(RistrettoPoint::identity(), |acc, c| acc + c)
}

/// g^{s_i}: the public counterpart of guardian `index`'s key share, from everyone's commitments.
pub fn public_key_share(guardians: &[GuardianPublic], index: u32) -> RistrettoPoint {
    guardians
        .iter()
        .map(|g| evaluate_commitments(&g.commitments, index))
        .fold(RistrettoPoint::identity(), |acc, p| acc + p)
}

impl KeyShare {
    /// Check that this key share matches the public commitments (a mixed-up file otherwise).
    pub fn check_matches(&self, guardians: &[GuardianPublic]) -> Result<()> {
        if RISTRETTO_BASEPOINT_TABLE * &self.secret == public_key_share(guardians, self.index) {
            Ok(())
        } else {
            Err(ElectionError::Ceremony {
                guardian: self.index,
                reason: "the key share does not match the guardians' commitments".into(),
            })
        }
    }
}

/// One problem with the ceremony's published messages or complaints, named by the sending
/// and the receiving guardian.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The sender of the share (the accused, for a complaint).
    pub from: u32,
    /// Its recipient (the complainer, for a complaint).
    pub to: u32,
    /// The line of the file, when the problem is with a line.
    pub line: Option<u64>,
    /// Why.
    pub reason: String,
}

/// Every (sender, recipient) pair of a ceremony of `n` guardians, in the canonical order of
/// the published messages: by sender, then by recipient.
pub fn message_pairs(n: u32) -> impl Iterator<Item = (u32, u32)> {
    (1..=n).flat_map(move |from| {
        (1..=n)
            .filter(move |&to| to != from)
            .map(move |to| (from, to))
    })
}

/// Checks that `messages` (as published, in order) are the ceremony's complete set: exactly
/// one message from every guardian to every other, in [`message_pairs`] order, each signed by
/// its sender for its recipient in this ceremony. Returns every problem found.
pub fn audit_messages(
    context: &Digest,
    guardians: &[GuardianPublic],
    messages: &[ShareMessage],
) -> Vec<Problem> {
    let n = guardians.len() as u32;
    let known = |i: u32| (1..=n).contains(&i);
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut previous = None;
    for (message, line) in messages.iter().zip(1u64..) {
        let pair = (message.from, message.to);
        let mut problem = |reason: String| {
            problems.push(Problem {
                from: pair.0,
                to: pair.1,
                line: Some(line),
                reason,
            })
        };
        if pair.0 == pair.1 || !known(pair.0) || !known(pair.1) {
            problem(format!(
                "no such pair of guardians (the ceremony has guardians 1 to {n}, each sending to \
                 every other)"
            ));
        } else if let Some(first) = seen.get(&pair) {
            problem(format!(
                "a second message for this pair (the first is at line {first})"
            ));
        } else {
            seen.insert(pair, line);
            if let Some((from, to)) = previous.replace(pair).filter(|&p| p > pair) {
                problem(format!(
                    "out of order: it follows the share from guardian {from} to guardian {to} \
                     (messages are listed by sender, then recipient)"
                ));
            } else if let Err(e) = guardians
                .iter()
                .find(|g| g.index == pair.0)
                .map_or(Ok(()), |sender| message.check_signed(context, sender))
            {
                problem(e.to_string());
            }
        }
    }
    for (from, to) in message_pairs(n).filter(|pair| !seen.contains_key(pair)) {
        problems.push(Problem {
            from,
            to,
            line: None,
            reason: "missing: the ceremony needs a share from every guardian to every other".into(),
        });
    }
    problems
}

/// Judges every published complaint (in order) against the guardians and the published
/// messages. Any complaint is a problem: an upheld one means the named sender sent a bad share,
/// so no joint key may be made with it; an unfounded one means the complainer did not derive
/// its key share (it complained instead), so the ceremony did not finish either. Complaints
/// are listed by sender, then recipient, at most one per pair.
pub fn audit_complaints(
    context: &Digest,
    guardians: &[GuardianPublic],
    messages: &[ShareMessage],
    complaints: &[Complaint],
) -> Vec<Problem> {
    let mut previous: Option<(u32, u32)> = None;
    complaints
        .iter()
        .zip(1u64..)
        .map(|(complaint, line)| {
            let pair = (complaint.from, complaint.to);
            let verdict = match check_complaint(context, guardians, Some(messages), complaint) {
                Ok(Verdict::SenderAtFault { guardian, reason }) => format!(
                    "upheld: guardian {guardian} is at fault ({reason}); the joint key must not \
                     be made with its share"
                ),
                Ok(Verdict::Unfounded { reason, .. }) => format!(
                    "unfounded ({reason}); the complainer derived no key share, so the ceremony \
                     did not finish"
                ),
                Err(e) => format!("cannot be judged: {e}"),
            };
            let order = match previous.replace(pair) {
                Some(p) if p >= pair => {
                    "; listed out of order or twice (complaints are listed by \
                                         sender, then recipient)"
                }
                _ => "",
            };
            Problem {
                from: pair.0,
                to: pair.1,
                line: Some(line),
                reason: format!("{verdict}{order}"),
            }
        })
        .collect()
}

/// What the authority publishes of the key ceremony: the share messages in their canonical
/// order (after checking they are the complete set, each signed by its sender) and the
/// complaints, each with its verdict. Writes `ceremony-shares.jsonl` and
/// `ceremony-complaints.jsonl` of the record in `dir` (the guardians must be published, and
/// voting not yet open). Complaints are published too, because they are the evidence: a record
/// that holds any does not verify, and the ceremony is held again without the guardian at fault.
pub fn publish(
    dir: &Path,
    messages: &[ShareMessage],
    complaints: &[Complaint],
) -> Result<Vec<Problem>> {
    if dir.join(files::CONTEXT).exists() {
        return Err(ElectionError::Record(format!(
            "voting is open in {}: the key ceremony can no longer change",
            dir.display()
        )));
    }
    let (manifest, parameters) = read_election(dir)?;
    let context = ceremony_context(&manifest, &parameters)?;
    let guardians: Vec<GuardianPublic> =
        JsonLinesReader::open(&dir.join(files::GUARDIANS))?.read_all()?;
    guardian::verify_all(&context, &parameters, &guardians)?;
    let mut messages = messages.to_vec();
    messages.sort_by_key(|m| (m.from, m.to));
    messages.dedup();
    if let Some(problem) = audit_messages(&context, &guardians, &messages).first() {
        return Err(ElectionError::Ceremony {
            guardian: problem.from,
            reason: format!(
                "the share messages are not the ceremony's complete set: the share from \
                 guardian {} to guardian {}: {}",
                problem.from, problem.to, problem.reason
            ),
        });
    }
    let mut complaints = complaints.to_vec();
    complaints.sort_by_key(|c| (c.from, c.to));
    complaints.dedup();
    let verdicts = audit_complaints(&context, &guardians, &messages, &complaints);
    write_lines(&dir.join(files::CEREMONY_SHARES), &messages)?;
    write_lines(&dir.join(files::CEREMONY_COMPLAINTS), &complaints)?;
    Ok(verdicts)
}

/// Checks, before voting opens, that the record in `dir` holds a finished key ceremony: the
/// complete set of share messages, each signed by its sender, and no complaint.
pub fn check_finished(dir: &Path, context: &Digest, guardians: &[GuardianPublic]) -> Result<()> {
    let read = |file: &str| {
        let path = dir.join(file);
        if path.exists() {
            Ok(path)
        } else {
            Err(ElectionError::Record(format!(
                "{} is missing: publish the key ceremony first (`fairtally authority add-ceremony`)",
                path.display()
            )))
        }
    };
    let messages: Vec<ShareMessage> =
        JsonLinesReader::open(&read(files::CEREMONY_SHARES)?)?.read_all()?;
    let complaints: Vec<Complaint> =
        JsonLinesReader::open(&read(files::CEREMONY_COMPLAINTS)?)?.read_all()?;
    let problems = audit_messages(context, guardians, &messages);
    let complained = audit_complaints(context, guardians, &messages, &complaints);
    match problems.iter().chain(&complained).next() {
        None => Ok(()),
        Some(problem) => Err(ElectionError::Ceremony {
            guardian: problem.from,
            reason: format!(
                "the key ceremony did not finish (guardian {} to guardian {}: {})",
                problem.from, problem.to, problem.reason
            ),
        }),
    }
}

/// Writes `items` as a JSON Lines file in one atomic write (the ceremony's files are small).
fn write_lines<T: Serialize>(path: &Path, items: &[T]) -> Result<()> {
    let mut bytes = Vec::new();
    for item in items {
        bytes.extend(canonical_json(item)?);
        bytes.push(b'\n');
    }
    write_file_atomically(path, &bytes, Access::Public)
}

/// The whole ceremony on one machine, as [`run_all_in_one`] runs it.
pub struct AllInOne {
    /// The guardians' public records, in order.
    pub guardians: Vec<GuardianPublic>,
    /// Every share message, in their canonical order ([`message_pairs`]).
    pub messages: Vec<ShareMessage>,
    /// Every guardian's key share, in order.
    pub key_shares: Vec<KeyShare>,
}

/// The whole ceremony on one machine (for demos and tests): every guardian generates, sends and
/// receives its shares. Guardian i is named `names[i - 1]`.
pub fn run_all_in_one(
    context: &Digest,
    parameters: &ElectionParameters,
    names: &[String],
) -> Result<AllInOne> {
    if names.len() != parameters.guardians as usize {
        return Err(ElectionError::Parameters(format!(
            "{} guardian names for {} guardians",
            names.len(),
            parameters.guardians
        )));
    }
    let mut secrets = Vec::new();
    let mut publics = Vec::new();
    for (name, index) in names.iter().zip(1u32..) {
        let (secret, public) = guardian::generate(context, parameters, index, name)?;
        secrets.push(secret);
        publics.push(public);
    }
    let mut messages = Vec::new();
    for secret in &secrets {
        messages.extend(encrypt_shares(context, secret, &publics)?);
    }
    let mut key_shares = Vec::new();
    for secret in &secrets {
        match receive_shares(context, parameters, secret, &publics, &messages)? {
            Received::KeyShare(share) => key_shares.push(share),
            Received::Complaints(complaints) => {
                return Err(ElectionError::Ceremony {
                    guardian: complaints.first().map(|c| c.from).unwrap_or(secret.index),
                    reason: "sent a bad share".into(),
                });
            }
        }
    }
    Ok(AllInOne {
        guardians: publics,
        messages,
        key_shares,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use fairtally_crypto::sharing::lagrange_at_zero;

    fn setup(n: u32, k: u32) -> (Digest, ElectionParameters) {
        let params = crate::parameters::for_tests(n, k).unwrap();
        (
            ceremony_context(&Manifest::default_demo().unwrap(), &params).unwrap(),
            params,
        )
    }

    #[test]
    fn any_k_key_shares_interpolate_the_joint_secret() -> Result<()> {
        let (ctx, params) = setup(5, 3);
        let names: Vec<String> = (1..=5).map(|i| format!("Guardian {i}")).collect();
        let AllInOne {
            guardians: publics,
            key_shares: shares,
            ..
        } = run_all_in_one(&ctx, &params, &names)?;
        let key = joint_key(&publics);
        for present in [[1u32, 2, 3], [2, 4, 5], [1, 3, 5]] {
            let mut secret = Scalar::ZERO;
            for &i in &present {
                let share = &shares[(i - 1) as usize];
                share.check_matches(&publics)?;
                secret += lagrange_at_zero(i, &present).unwrap() * share.secret();
            }
            assert_eq!(RISTRETTO_BASEPOINT_TABLE * &secret, key);
        }
        Ok(())
    }

    #[test]
    fn a_bad_share_leads_to_a_complaint_that_names_the_sender() -> Result<()> {
        let (ctx, params) = setup(3, 2);
        let mut secrets = Vec::new();
        let mut publics = Vec::new();
        for i in 1..=3 {
            let (s, p) = guardian::generate(&ctx, &params, i, &format!("G{i}"))?;
            secrets.push(s);
            publics.push(p);
        }
        let mut messages = Vec::new();
        for s in &secrets {
            messages.extend(encrypt_shares(&ctx, s, &publics)?);
        }
        // Guardian 2 cheats: it sends guardian 3 a share that does not match its commitments.
        let bad = encrypt_share(
            &ctx,
            &share_associated_data(2, 3),
            &publics[2].transport_key,
            &Scalar::from(7u64),
        );
        for m in messages.iter_mut().filter(|m| m.from == 2 && m.to == 3) {
            *m = ShareMessage::signed(&ctx, &secrets[1], 3, bad.clone());
        }
        assert!(matches!(
            receive_shares(&ctx, &params, &secrets[0], &publics, &messages)?,
            Received::KeyShare(_)
        ));
        let Received::Complaints(complaints) =
            receive_shares(&ctx, &params, &secrets[2], &publics, &messages)?
        else {
            panic!("guardian 3 should complain");
        };
        assert_eq!(complaints.len(), 1);
        // Guardian 2 signed its bad share, so the set of messages is complete, and the
        // published complaint is upheld against it.
        assert_eq!(audit_messages(&ctx, &publics, &messages), vec![]);
        let judged = audit_complaints(&ctx, &publics, &messages, &complaints);
        assert_eq!((judged.len(), judged[0].from, judged[0].to), (1, 2, 3));
        assert!(judged[0].reason.starts_with("upheld"), "{judged:?}");
        let mut fewer = messages.clone();
        fewer.retain(|m| (m.from, m.to) != (3, 1));
        let missing = audit_messages(&ctx, &publics, &fewer);
        assert_eq!((missing.len(), missing[0].from, missing[0].to), (1, 3, 1));
        assert!(missing[0].reason.starts_with("missing"), "{missing:?}");
        let verdict = check_complaint(&ctx, &publics, Some(&messages), &complaints[0])?;
        assert!(
            matches!(verdict, Verdict::SenderAtFault { guardian: 2, .. }),
            "{verdict:?}"
        );

        // A false complaint about a good share is unfounded, and so is a forged disclosure.
        let good = messages.iter().find(|m| m.from == 1 && m.to == 3).unwrap();
        let ad = share_associated_data(1, 3);
        let d = disclose_key(&ctx, &ad, secrets[2].transport_secret(), &good.encrypted);
        let false_complaint = Complaint {
            from: 1,
            to: 3,
            encrypted: good.encrypted.clone(),
            disclosure: d,
        };
        assert!(matches!(
            check_complaint(&ctx, &publics, Some(&messages), &false_complaint)?,
            Verdict::Unfounded { guardian: 3, .. }
        ));
        let mut forged = complaints[0].clone();
        forged.disclosure.shared = publics[0].transport_key;
        assert!(matches!(
            check_complaint(&ctx, &publics, Some(&messages), &forged)?,
            Verdict::Unfounded { .. }
        ));
        Ok(())
    }

    #[test]
    fn missing_shares_are_named() -> Result<()> {
        let (ctx, params) = setup(2, 2);
        let (s1, p1) = guardian::generate(&ctx, &params, 1, "A")?;
        let (_s2, p2) = guardian::generate(&ctx, &params, 2, "B")?;
        let err = receive_shares(&ctx, &params, &s1, &[p1, p2], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("no share from guardian 2"), "{err}");
        Ok(())
    }
}
