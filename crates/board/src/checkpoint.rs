//! C2SP tlog-checkpoint: the operator's signed statement "the log `origin` has `size` entries
//! and root hash `root`", with witnesses' cosignatures, and the [`TrustPolicy`] a client uses to
//! accept one (the operator's key and m of n known witnesses).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::BoardError;
use crate::merkle::Hash;
use crate::note::{KeyRole, Note, NoteSigner, NoteVerifier};

/// The body of a checkpoint: origin line, decimal tree size, base64 root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (its unique name, also the operator key's name).
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// Root hash of the tree of `size` entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: three lines, each ending in a newline.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// Parses the note text of a checkpoint (extension lines after the third are allowed and
    /// ignored, as the spec says); `item` names the source in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] naming the line at fault.
    pub fn from_text(text: &str, item: &str) -> Result<Self, BoardError> {
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(BoardError::malformed(
                format!("{item} line 1"),
                "empty origin",
            ));
        }
        let size_line = lines.next().unwrap_or_default();
        let canonical = size_line == "0" || !size_line.starts_with('0');
        let size = size_line
            .parse::<u64>()
            .ok()
            .filter(|_| canonical && size_line.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                BoardError::malformed(
                    format!("{item} line 2"),
                    format!(
                        "tree size {size_line:?} is not a decimal number without leading zeros"
                    ),
                )
            })?;
        let root_line = lines.next().unwrap_or_default();
        let root = BASE64
            .decode(root_line)
            .ok()
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or_else(|| {
                BoardError::malformed(
                    format!("{item} line 3"),
                    "root hash is not 32 bytes of base64",
                )
            })?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checkpoint {} size {} root {}",
            self.origin,
            self.size,
            hex::encode(self.root)
        )
    }
}

/// A checkpoint in its signed-note form: the body and its signature lines (the operator's and
/// any witnesses'). Nothing in it is trusted until [`TrustPolicy::verify`] says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Signs a checkpoint with the operator's key.
    ///
    /// # Errors
    /// [`BoardError::Signature`] when the key is not an operator key named like the origin.
    pub fn sign(checkpoint: Checkpoint, operator: &NoteSigner) -> Result<Self, BoardError> {
        if operator.role() != KeyRole::Operator || operator.name() != checkpoint.origin {
            return Err(BoardError::Signature {
                item: checkpoint.to_string(),
                reason: format!(
                    "key {:?} is not the operator key of log {:?}",
                    operator.name(),
                    checkpoint.origin
                ),
            });
        }
        let mut note = Note::new(checkpoint.to_text())?;
        note.add_signature(operator.sign(note.text(), 0));
        Ok(Self { checkpoint, note })
    }

    /// Parses a signed checkpoint; `item` names the source in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] for a malformed note or checkpoint body.
    pub fn parse(text: &str, item: &str) -> Result<Self, BoardError> {
        let note = Note::parse(text, item)?;
        let checkpoint = Checkpoint::from_text(note.text(), item)?;
        Ok(Self { checkpoint, note })
    }

    /// The checkpoint body (unverified until checked against a policy).
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The underlying note.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The whole signed note as text.
    pub fn to_text(&self) -> String {
        self.note.to_text()
    }

    /// Adds a witness's cosignature made now.
    ///
    /// # Errors
    /// [`BoardError::Signature`] when the key is not a witness key.
    pub fn cosign(&mut self, witness: &NoteSigner, timestamp: u64) -> Result<(), BoardError> {
        if witness.role() != KeyRole::Witness {
            return Err(BoardError::Signature {
                item: self.checkpoint.to_string(),
                reason: format!("key {:?} is not a witness key", witness.name()),
            });
        }
        let signature = witness.sign(self.note.text(), timestamp);
        self.note.add_signature(signature);
        Ok(())
    }

    /// Keeps only the signature lines for which `keep` is true.
    pub fn retain_signatures(&mut self, keep: impl FnMut(&crate::note::NoteSignature) -> bool) {
        self.note.retain_signatures(keep);
    }

    /// Takes over the signature lines of `other`, which must sign the very same text. Used to
    /// collect cosignatures that witnesses sent back separately.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when `other` signs a different checkpoint.
    pub fn merge_signatures(&mut self, other: &Self) -> Result<(), BoardError> {
        if other.note.text() != self.note.text() {
            return Err(BoardError::malformed(
                other.checkpoint.to_string(),
                format!("signs a different checkpoint than {}", self.checkpoint),
            ));
        }
        for signature in other.note.signatures() {
            self.note.add_signature(signature.clone());
        }
        Ok(())
    }
}

/// Whom a client trusts: the operator's key and a set of witnesses, of which at least `quorum`
/// must have cosigned a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustPolicy {
    /// The operator's verifier key; its name is the log's origin.
    pub operator: NoteVerifier,
    /// Known witnesses.
    pub witnesses: Vec<NoteVerifier>,
    /// How many of them must have cosigned.
    pub quorum: usize,
}

impl TrustPolicy {
    /// A policy that trusts the operator alone (no witnesses required).
    pub fn operator_only(operator: NoteVerifier) -> Self {
        Self {
            operator,
            witnesses: Vec::new(),
            quorum: 0,
        }
    }

    /// The same policy without the witness requirement: checks the operator's signature (and
    /// any known witness's that is present) only. What a witness and an operator use.
    pub fn operator_signature_only(&self) -> Self {
        Self {
            quorum: 0,
            ..self.clone()
        }
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        self.operator.name()
    }

    /// Parses a policy file: lines `operator <vkey>`, `witness <vkey>`, `quorum <m>`; blank lines
    /// and lines starting with `#` are ignored. `file` names the source in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] naming the line at fault.
    pub fn parse(text: &str, file: &str) -> Result<Self, BoardError> {
        let mut operator = None;
        let mut witnesses = Vec::new();
        let mut quorum = 0;
        for (i, line) in text.lines().enumerate() {
            let item = format!("{file} line {}", i + 1);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, value) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "operator" => operator = Some(NoteVerifier::from_vkey(value, &item)?),
                "witness" => witnesses.push(NoteVerifier::from_vkey(value, &item)?),
                "quorum" => {
                    quorum = value.trim().parse().map_err(|_| {
                        BoardError::malformed(&item, "quorum must be a whole number")
                    })?;
                }
                other => {
                    return Err(BoardError::malformed(
                        &item,
                        format!("unknown keyword {other:?} (expected operator, witness or quorum)"),
                    ));
                }
            }
        }
        let operator =
            operator.ok_or_else(|| BoardError::malformed(file, "no 'operator <vkey>' line"))?;
        let policy = Self {
            operator,
            witnesses,
            quorum,
        };
        policy.check(file)?;
        Ok(policy)
    }

    fn check(&self, item: &str) -> Result<(), BoardError> {
        if self.operator.role() != KeyRole::Operator {
            return Err(BoardError::malformed(
                item,
                "the operator key is a witness key",
            ));
        }
        if let Some(w) = self.witnesses.iter().find(|w| w.role() != KeyRole::Witness) {
            return Err(BoardError::malformed(
                item,
                format!(
                    "witness {:?} has an operator key, not a cosignature key",
                    w.name()
                ),
            ));
        }
        for (i, w) in self.witnesses.iter().enumerate() {
            if self.witnesses[..i]
                .iter()
                .any(|o| o.name() == w.name() || o == w)
            {
                return Err(BoardError::malformed(
                    item,
                    format!("witness {:?} is listed twice", w.name()),
                ));
            }
        }
        if self.quorum > self.witnesses.len() {
            return Err(BoardError::malformed(
                item,
                format!(
                    "quorum {} is more than the {} witnesses listed",
                    self.quorum,
                    self.witnesses.len()
                ),
            ));
        }
        Ok(())
    }

    /// The policy file text.
    pub fn to_text(&self) -> String {
        let mut out = format!("operator {}\n", self.operator.to_vkey());
        for witness in &self.witnesses {
            out.push_str(&format!("witness {}\n", witness.to_vkey()));
        }
        out.push_str(&format!("quorum {}\n", self.quorum));
        out
    }

    /// Verifies a signed checkpoint: the origin is the operator's, the operator's signature is
    /// present and valid, every signature by a known key is valid, no cosignature is dated more
    /// than [`MAX_CLOCK_SKEW_SECS`] ahead of this computer's clock, and at least `quorum`
    /// distinct known witnesses cosigned. Signatures by unknown keys are ignored, as the spec
    /// says.
    ///
    /// # Errors
    /// [`BoardError::WrongLog`], [`BoardError::Signature`] or [`BoardError::NotEnoughWitnesses`].
    pub fn verify(&self, signed: &SignedCheckpoint) -> Result<(), BoardError> {
        self.verify_signers(signed).map(|_| ())
    }

    /// [`TrustPolicy::verify`], returning the signature lines that verified.
    ///
    /// # Errors
    /// As [`TrustPolicy::verify`].
    pub fn verify_signers(&self, signed: &SignedCheckpoint) -> Result<Signers, BoardError> {
        let signers = self.signers(signed)?;
        let checkpoint = signed.checkpoint();
        if !signers.verified.iter().any(|s| s.role == KeyRole::Operator) {
            return Err(BoardError::Signature {
                item: checkpoint.to_string(),
                reason: format!("not signed by the operator key {}", self.operator.name()),
            });
        }
        // Distinct witnesses: two lines by the same witness count once.
        let cosigners: std::collections::BTreeSet<&str> = signers
            .verified
            .iter()
            .filter(|s| s.role == KeyRole::Witness)
            .map(|s| s.name.as_str())
            .collect();
        if cosigners.len() < self.quorum {
            return Err(BoardError::NotEnoughWitnesses {
                size: checkpoint.size,
                got: cosigners.len(),
                need: self.quorum,
            });
        }
        Ok(signers)
    }

    /// Checks every signature line of `signed` that claims a key of this policy, without
    /// asking for a quorum (what `board status` shows of a checkpoint still being witnessed).
    ///
    /// # Errors
    /// [`BoardError::WrongLog`] for another log; [`BoardError::Signature`] for a line by a
    /// known key that does not verify or a cosignature dated in the future.
    pub fn signers(&self, signed: &SignedCheckpoint) -> Result<Signers, BoardError> {
        self.signers_at(signed, unix_now())
    }

    fn signers_at(&self, signed: &SignedCheckpoint, now: u64) -> Result<Signers, BoardError> {
        self.check("trust policy")?;
        let checkpoint = signed.checkpoint();
        if checkpoint.origin != self.origin() {
            return Err(BoardError::WrongLog {
                item: checkpoint.to_string(),
                found: checkpoint.origin.clone(),
                expected: self.origin().to_owned(),
            });
        }
        let text = signed.note().text();
        let mut out = Signers::default();
        for signature in signed.note().signatures() {
            let fail = |reason: String| BoardError::Signature {
                item: checkpoint.to_string(),
                reason,
            };
            let key = std::iter::once(&self.operator)
                .chain(&self.witnesses)
                .find(|k| k.matches(signature));
            let Some(key) = key else {
                out.unknown.push(signature.name.clone());
                continue;
            };
            let timestamp = key
                .verify(text, signature)
                .map_err(|e| fail(e.to_string()))?;
            if let Some(t) = timestamp
                && t > now.saturating_add(MAX_CLOCK_SKEW_SECS)
            {
                return Err(fail(format!(
                    "the cosignature by {} is dated {t}, {} seconds ahead of this computer's clock",
                    key.name(),
                    t - now
                )));
            }
            out.verified.push(VerifiedSigner {
                name: key.name().to_owned(),
                role: key.role(),
                timestamp,
            });
        }
        Ok(out)
    }
}

/// How far a witness's cosignature may be dated ahead of the reader's clock, in seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 600;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A signature line of a checkpoint that verified under a trust policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The key's name.
    pub name: String,
    /// Operator or witness.
    pub role: KeyRole,
    /// A cosignature's timestamp (POSIX seconds); `None` for the operator.
    pub timestamp: Option<u64>,
}

/// The signature lines of a checkpoint, as a trust policy sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signers {
    /// Lines by keys of the policy, all verified, in the note's order.
    pub verified: Vec<VerifiedSigner>,
    /// Names on lines by keys the policy does not know: not verified, not to be shown as
    /// signers or passed on.
    pub unknown: Vec<String>,
}

impl SignedCheckpoint {
    /// Keeps only the signature lines that verify under `policy`; returns how many were
    /// dropped (lines by keys the policy does not know).
    ///
    /// # Errors
    /// As [`TrustPolicy::signers`]: a line by a known key that does not verify is an error,
    /// not something to drop quietly.
    pub fn keep_verified(&mut self, policy: &TrustPolicy) -> Result<usize, BoardError> {
        policy.signers(self)?;
        let before = self.note.signatures().len();
        self.note.retain_signatures(|s| {
            std::iter::once(&policy.operator)
                .chain(&policy.witnesses)
                .any(|k| k.matches(s))
        });
        Ok(before - self.note.signatures().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::EMPTY_ROOT;

    fn keys() -> Result<(NoteSigner, Vec<NoteSigner>), BoardError> {
        let op = NoteSigner::generate("board.example/2026", KeyRole::Operator)?;
        let witnesses = (0..3)
            .map(|i| NoteSigner::generate(&format!("observers.example/w{i}"), KeyRole::Witness))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((op, witnesses))
    }

    fn policy(op: &NoteSigner, witnesses: &[NoteSigner], quorum: usize) -> TrustPolicy {
        TrustPolicy {
            operator: op.verifier(),
            witnesses: witnesses.iter().map(NoteSigner::verifier).collect(),
            quorum,
        }
    }

    #[test]
    fn parses_the_spec_example_body() -> Result<(), BoardError> {
        let cp = Checkpoint::from_text(
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "cp",
        )?;
        assert_eq!(cp.size, 20_852_163);
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert!(
            Checkpoint::from_text("o\n012\nAAAA\n", "cp")
                .is_err_and(|e| e.to_string().contains("cp line 2"))
        );
        assert!(
            Checkpoint::from_text("o\n12\nAAAA\n", "cp")
                .is_err_and(|e| e.to_string().contains("cp line 3"))
        );
        assert!(Checkpoint::from_text("\n12\n", "cp").is_err());
        Ok(())
    }

    #[test]
    fn m_of_n_witnesses() -> Result<(), BoardError> {
        let (op, witnesses) = keys()?;
        let cp = Checkpoint {
            origin: op.name().into(),
            size: 0,
            root: EMPTY_ROOT,
        };
        let mut signed = SignedCheckpoint::sign(cp, &op)?;
        policy(&op, &witnesses, 0).verify(&signed)?;
        let strict = policy(&op, &witnesses, 2);
        assert!(matches!(
            strict.verify(&signed),
            Err(BoardError::NotEnoughWitnesses {
                got: 0,
                need: 2,
                ..
            })
        ));
        signed.cosign(&witnesses[0], 1)?;
        // The same witness twice still counts once.
        signed.cosign(&witnesses[0], 2)?;
        assert!(strict.verify(&signed).is_err());
        // Two signature lines by one witness (pasted in by hand) still count once.
        let mut twice = signed.clone();
        twice.cosign(&witnesses[0], 7)?;
        let twice_text = format!(
            "{}{}\n",
            signed.to_text(),
            twice.to_text().lines().last().unwrap_or_default()
        );
        let twice = SignedCheckpoint::parse(&twice_text, "checkpoint")?;
        assert_eq!(twice.note().signatures().len(), 3);
        assert!(matches!(
            strict.verify(&twice),
            Err(BoardError::NotEnoughWitnesses {
                got: 1,
                need: 2,
                ..
            })
        ));
        signed.cosign(&witnesses[2], 3)?;
        let parsed = SignedCheckpoint::parse(&signed.to_text(), "checkpoint")?;
        strict.verify(&parsed)?;
        // Unknown cosigners are ignored; a policy file round-trips.
        let stranger = NoteSigner::generate("stranger.example", KeyRole::Witness)?;
        signed.cosign(&stranger, 4)?;
        let reparsed = TrustPolicy::parse(&strict.to_text(), "policy.txt")?;
        assert_eq!(reparsed, strict);
        reparsed.verify(&signed)?;
        Ok(())
    }

    #[test]
    fn forged_or_foreign_checkpoints_are_rejected() -> Result<(), BoardError> {
        let (op, witnesses) = keys()?;
        let other = NoteSigner::generate("board.example/2026", KeyRole::Operator)?;
        let cp = Checkpoint {
            origin: op.name().into(),
            size: 5,
            root: EMPTY_ROOT,
        };
        let policy = policy(&op, &witnesses, 0);
        let by_other = SignedCheckpoint::sign(cp.clone(), &other)?;
        assert!(
            policy
                .verify(&by_other)
                .is_err_and(|e| e.to_string().contains("not signed by the operator"))
        );
        let mut signed = SignedCheckpoint::sign(cp.clone(), &op)?;
        signed.cosign(&witnesses[1], 9)?;
        let tampered = signed.to_text().replace("\n5\n", "\n6\n");
        let tampered = SignedCheckpoint::parse(&tampered, "checkpoint")?;
        assert!(matches!(
            policy.verify(&tampered),
            Err(BoardError::Signature { .. })
        ));
        let foreign = NoteSigner::generate("elsewhere.example", KeyRole::Operator)?;
        let foreign = SignedCheckpoint::sign(
            Checkpoint {
                origin: "elsewhere.example".into(),
                ..cp
            },
            &foreign,
        )?;
        assert!(matches!(
            policy.verify(&foreign),
            Err(BoardError::WrongLog { .. })
        ));
        assert!(SignedCheckpoint::sign(foreign.checkpoint().clone(), &op).is_err());
        assert!(signed.cosign(&op, 1).is_err());
        Ok(())
    }

    #[test]
    fn bad_policy_files_name_the_line() -> Result<(), BoardError> {
        let (op, witnesses) = keys()?;
        let text = format!("operator {}\nquorum x\n", op.verifier().to_vkey());
        assert!(
            TrustPolicy::parse(&text, "p.txt")
                .is_err_and(|e| e.to_string().starts_with("p.txt line 2"))
        );
        let text = format!("operator {}\nquorum 1\n", op.verifier().to_vkey());
        assert!(
            TrustPolicy::parse(&text, "p.txt").is_err_and(|e| e.to_string().contains("quorum 1"))
        );
        let text = format!("witness {}\n", witnesses[0].verifier().to_vkey());
        assert!(TrustPolicy::parse(&text, "p.txt").is_err());
        let text = format!("operator {}\n", witnesses[0].verifier().to_vkey());
        assert!(TrustPolicy::parse(&text, "p.txt").is_err());
        assert!(
            TrustPolicy::parse("oprator x\n", "p.txt")
                .is_err_and(|e| e.to_string().contains("line 1"))
        );
        Ok(())
    }

    #[test]
    fn only_verified_lines_are_signers_and_future_cosignatures_are_refused()
    -> Result<(), BoardError> {
        let (op, witnesses) = keys()?;
        let policy = policy(&op, &witnesses[..1], 1);
        let cp = Checkpoint {
            origin: op.name().into(),
            size: 0,
            root: EMPTY_ROOT,
        };
        let mut signed = SignedCheckpoint::sign(cp.clone(), &op)?;
        signed.cosign(&witnesses[0], 1_700_000_000)?;
        // A line by a key the policy does not know, and junk bytes under a made-up name.
        signed.cosign(&witnesses[1], 1_700_000_000)?;
        signed.note.add_signature(crate::note::NoteSignature {
            name: "mallory.example/witness".into(),
            key_id: 7,
            bytes: vec![0; 72],
        });
        let signers = policy.verify_signers(&signed)?;
        let names: Vec<&str> = signers.verified.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [op.name(), witnesses[0].name()]);
        assert_eq!(
            signers.unknown,
            [witnesses[1].name(), "mallory.example/witness"]
        );
        let mut kept = signed.clone();
        assert_eq!(kept.keep_verified(&policy)?, 2);
        assert_eq!(kept.note().signatures().len(), 2);
        policy.verify(&kept)?;

        // A cosignature dated beyond the allowed clock skew is refused; within it, accepted.
        let now = unix_now();
        let mut ahead = SignedCheckpoint::sign(cp.clone(), &op)?;
        ahead.cosign(&witnesses[0], now + MAX_CLOCK_SKEW_SECS + 60)?;
        assert!(
            policy
                .verify(&ahead)
                .is_err_and(|e| e.to_string().contains("ahead of this computer's clock"))
        );
        let mut skewed = SignedCheckpoint::sign(cp, &op)?;
        skewed.cosign(&witnesses[0], now + 30)?;
        policy.verify(&skewed)?;
        Ok(())
    }
}
