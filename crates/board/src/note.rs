//! C2SP signed notes with Ed25519 keys: the operator's signatures (type `0x01`, signed-note) and
//! the witnesses' timestamped cosignatures (type `0x04`, tlog-cosignature `cosignature/v1`).
//!
//! Keys are written in the signed-note text encodings: a verifier key (*vkey*) is
//! `<name>+<hex key ID>+<base64(type || public key)>` and a signer key (*skey*) is
//! `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _};
use rand::TryRng as _;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize as _, Zeroizing};

use crate::error::BoardError;

/// Largest note accepted, in bytes: a checkpoint with well over a hundred signatures.
pub const MAX_NOTE_LEN: usize = 16 * 1024;

/// Most signature lines accepted on one note (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// What a key signs: the operator signs checkpoints, a witness cosigns them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRole {
    /// The log operator: plain Ed25519 note signatures (signature type `0x01`).
    Operator,
    /// A witness: timestamped `cosignature/v1` signatures (signature type `0x04`).
    Witness,
}

impl KeyRole {
    fn type_byte(self) -> u8 {
        match self {
            Self::Operator => 0x01,
            Self::Witness => 0x04,
        }
    }

    fn from_type_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Operator),
            0x04 => Some(Self::Witness),
            _ => None,
        }
    }
}

/// One signature line of a note: `— <name> base64(key ID || bytes)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 32-bit key ID.
    pub key_id: u32,
    /// The signature after the key ID (for a cosignature: timestamp and signature).
    pub bytes: Vec<u8>,
}

impl NoteSignature {
    fn to_line(&self) -> String {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.bytes);
        format!("\u{2014} {} {}\n", self.name, BASE64.encode(raw))
    }
}

/// A signed note: the text (ending in a newline) and its signature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

fn check_key_name(name: &str, item: &str) -> Result<(), BoardError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(BoardError::malformed(
            item,
            format!("key name {name:?} must be non-empty, without spaces or '+'"),
        ));
    }
    Ok(())
}

impl Note {
    /// A note with the given text and no signatures yet.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] unless the text is non-empty, ends in a newline, and has no
    /// control characters but newlines.
    pub fn new(text: String) -> Result<Self, BoardError> {
        if !text.ends_with('\n') || text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(BoardError::malformed(
                "note text",
                "must end in a newline and contain no control characters",
            ));
        }
        Ok(Self {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note; `item` names its source in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] naming the line at fault.
    pub fn parse(input: &str, item: &str) -> Result<Self, BoardError> {
        if input.len() > MAX_NOTE_LEN {
            return Err(BoardError::malformed(
                item,
                format!("note is {} bytes, the limit is {MAX_NOTE_LEN}", input.len()),
            ));
        }
        if let Some(c) = input.chars().find(|c| c.is_control() && *c != '\n') {
            return Err(BoardError::malformed(
                item,
                format!("control character {c:?} in note"),
            ));
        }
        let split = input
            .rfind("\n\n")
            .ok_or_else(|| BoardError::malformed(item, "no blank line before the signatures"))?;
        let text = &input[..=split];
        let sig_block = &input[split + 2..];
        if !sig_block.ends_with('\n') {
            return Err(BoardError::malformed(
                item,
                "the last signature line does not end in a newline",
            ));
        }
        let text_lines = text.lines().count();
        let mut signatures = Vec::new();
        for (i, line) in sig_block.lines().enumerate() {
            let line_item = format!("{item} line {}", text_lines + 2 + i);
            signatures.push(parse_signature_line(line, &line_item)?);
        }
        if signatures.is_empty() {
            return Err(BoardError::malformed(item, "note has no signatures"));
        }
        if signatures.len() > MAX_SIGNATURES {
            return Err(BoardError::malformed(
                item,
                format!("more than {MAX_SIGNATURES} signatures"),
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, ending in a newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line unless an identical name and key ID is already present (a key
    /// signs a note once; a newer cosignature replaces the older one).
    pub fn add_signature(&mut self, signature: NoteSignature) {
        self.signatures
            .retain(|s| s.name != signature.name || s.key_id != signature.key_id);
        self.signatures.push(signature);
    }

    /// Keeps only the signature lines for which `keep` is true.
    pub fn retain_signatures(&mut self, keep: impl FnMut(&NoteSignature) -> bool) {
        self.signatures.retain(keep);
    }

    /// The whole note as text: the text, a blank line, the signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        out
    }
}

fn parse_signature_line(line: &str, item: &str) -> Result<NoteSignature, BoardError> {
    let rest = line
        .strip_prefix("\u{2014} ")
        .ok_or_else(|| BoardError::malformed(item, "a signature line starts with '\u{2014} '"))?;
    let (name, sig) = rest
        .split_once(' ')
        .ok_or_else(|| BoardError::malformed(item, "expected '<key name> <signature>'"))?;
    check_key_name(name, item)?;
    let raw = BASE64
        .decode(sig)
        .map_err(|e| BoardError::malformed(item, format!("signature is not base64: {e}")))?;
    if raw.len() < 5 {
        return Err(BoardError::malformed(item, "signature too short"));
    }
    let (id, bytes) = raw.split_at(4);
    let mut key_id = [0; 4];
    key_id.copy_from_slice(id);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes(key_id),
        bytes: bytes.to_vec(),
    })
}

fn key_id(name: &str, role: KeyRole, public: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', role.type_byte()]);
    hasher.update(public);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The message a witness signs: `cosignature/v1`, the time, then the checkpoint text.
fn cosigned_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// A private signing key with its name and role. The seed is zeroized on drop.
pub struct NoteSigner {
    name: String,
    role: KeyRole,
    key: ed25519_dalek::SigningKey,
}

impl NoteSigner {
    /// Generates a new key from the operating system's randomness.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] for a bad name; [`BoardError::Io`] when the OS has no randomness.
    pub fn generate(name: &str, role: KeyRole) -> Result<Self, BoardError> {
        check_key_name(name, "key name")?;
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::SysRng
            .try_fill_bytes(seed.as_mut())
            .map_err(|e| BoardError::Io {
                path: "operating system randomness".into(),
                source: std::io::Error::other(e.to_string()),
            })?;
        Ok(Self {
            name: name.to_owned(),
            role,
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    /// Parses an skey; `item` names its source (usually the key file) in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] for anything but a well-formed Ed25519 skey whose key ID matches.
    pub fn from_skey(text: &str, item: &str) -> Result<Self, BoardError> {
        let text = text.trim_end();
        // The base64 key may itself contain '+', so split off the first four fields only.
        let parts: Vec<&str> = text.splitn(5, '+').collect();
        let [private, key, name, id, data] = parts[..] else {
            return Err(BoardError::malformed(
                item,
                "expected PRIVATE+KEY+<name>+<key ID>+<key>",
            ));
        };
        if private != "PRIVATE" || key != "KEY" {
            return Err(BoardError::malformed(item, "not a private key"));
        }
        check_key_name(name, item)?;
        let mut raw = Zeroizing::new(
            BASE64
                .decode(data)
                .map_err(|e| BoardError::malformed(item, format!("key is not base64: {e}")))?,
        );
        let (role, seed) = split_typed_key(&raw, item)?;
        let signer = Self {
            name: name.to_owned(),
            role,
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        };
        raw.zeroize();
        if format!("{:08x}", signer.verifier().key_id) != id {
            return Err(BoardError::malformed(
                item,
                "key ID does not match the key (corrupted key file?)",
            ));
        }
        Ok(signer)
    }

    /// The skey text encoding (secret: store it with care).
    pub fn to_skey(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![self.role.type_byte()]);
        raw.extend_from_slice(self.key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.verifier().key_id,
            BASE64.encode(raw.as_slice())
        ))
    }

    /// The matching public key.
    pub fn verifier(&self) -> NoteVerifier {
        let public = self.key.verifying_key();
        NoteVerifier {
            key_id: key_id(&self.name, self.role, public.as_bytes()),
            name: self.name.clone(),
            role: self.role,
            key: public,
        }
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's role.
    pub fn role(&self) -> KeyRole {
        self.role
    }

    /// Signs a note's text: a plain signature for an operator key, a `cosignature/v1` with the
    /// given POSIX `timestamp` for a witness key.
    pub fn sign(&self, text: &str, timestamp: u64) -> NoteSignature {
        let key_id = self.verifier().key_id;
        let bytes = match self.role {
            KeyRole::Operator => self.key.sign(text.as_bytes()).to_bytes().to_vec(),
            KeyRole::Witness => {
                let mut bytes = timestamp.to_be_bytes().to_vec();
                let signature = self.key.sign(&cosigned_message(text, timestamp));
                bytes.extend_from_slice(&signature.to_bytes());
                bytes
            }
        };
        NoteSignature {
            name: self.name.clone(),
            key_id,
            bytes,
        }
    }
}

fn split_typed_key(raw: &[u8], item: &str) -> Result<(KeyRole, [u8; 32]), BoardError> {
    let Some((&type_byte, key)) = raw.split_first() else {
        return Err(BoardError::malformed(item, "empty key"));
    };
    let role = KeyRole::from_type_byte(type_byte).ok_or_else(|| {
        BoardError::malformed(
            item,
            format!(
                "signature type 0x{type_byte:02x} is not Ed25519 (0x01) or cosignature/v1 (0x04)"
            ),
        )
    })?;
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| BoardError::malformed(item, "an Ed25519 key is 32 bytes"))?;
    Ok((role, key))
}

/// A public key that checks note signatures, with its name, key ID and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    role: KeyRole,
    key: ed25519_dalek::VerifyingKey,
}

impl NoteVerifier {
    /// Parses a vkey; `item` names its source in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] for anything but a well-formed Ed25519 vkey whose key ID
    /// matches, or a weak (small-order) key.
    pub fn from_vkey(text: &str, item: &str) -> Result<Self, BoardError> {
        let text = text.trim();
        let parts: Vec<&str> = text.splitn(3, '+').collect();
        let [name, id, data] = parts[..] else {
            return Err(BoardError::malformed(
                item,
                "expected <name>+<key ID>+<key>",
            ));
        };
        check_key_name(name, item)?;
        let raw = BASE64
            .decode(data)
            .map_err(|e| BoardError::malformed(item, format!("key is not base64: {e}")))?;
        let (role, public) = split_typed_key(&raw, item)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&public)
            .map_err(|e| BoardError::malformed(item, format!("not an Ed25519 public key: {e}")))?;
        if key.is_weak() {
            return Err(BoardError::malformed(item, "weak (small-order) public key"));
        }
        let verifier = Self {
            key_id: key_id(name, role, &public),
            name: name.to_owned(),
            role,
            key,
        };
        if format!("{:08x}", verifier.key_id) != id {
            return Err(BoardError::malformed(item, "key ID does not match the key"));
        }
        Ok(verifier)
    }

    /// The vkey text encoding.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.role.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(raw))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's role.
    pub fn role(&self) -> KeyRole {
        self.role
    }

    /// Whether a signature line claims to be from this key (same name and key ID).
    pub fn matches(&self, signature: &NoteSignature) -> bool {
        signature.name == self.name && signature.key_id == self.key_id
    }

    /// Checks a signature by this key on `text`. Returns the cosignature's timestamp for a
    /// witness key, `None` for an operator key.
    ///
    /// # Errors
    /// [`BoardError::Signature`] when the signature is not by this key or does not verify.
    pub fn verify(&self, text: &str, signature: &NoteSignature) -> Result<Option<u64>, BoardError> {
        let fail = |reason: &str| BoardError::Signature {
            item: format!("signature by {}", self.name),
            reason: reason.to_owned(),
        };
        if !self.matches(signature) {
            return Err(fail("made by another key"));
        }
        let (timestamp, message, sig) = match self.role {
            KeyRole::Operator => (None, text.as_bytes().to_vec(), signature.bytes.as_slice()),
            KeyRole::Witness => {
                if signature.bytes.len() != 72 {
                    return Err(fail("a cosignature is 8 bytes of time and 64 of signature"));
                }
                let (time, sig) = signature.bytes.split_at(8);
                let mut be = [0; 8];
                be.copy_from_slice(time);
                let timestamp = u64::from_be_bytes(be);
                if timestamp > i64::MAX as u64 {
                    return Err(fail("cosignature timestamp exceeds 2^63 - 1"));
                }
                (Some(timestamp), cosigned_message(text, timestamp), sig)
            }
        };
        let sig: [u8; 64] = sig
            .try_into()
            .map_err(|_| fail("an Ed25519 signature is 64 bytes"))?;
        self.key
            .verify_strict(&message, &Signature::from_bytes(&sig))
            .map_err(|_| fail("signature does not verify"))?;
        Ok(timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_text_encodings() -> Result<(), BoardError> {
        for role in [KeyRole::Operator, KeyRole::Witness] {
            let signer = NoteSigner::generate("board.example/election-2026", role)?;
            let again = NoteSigner::from_skey(&signer.to_skey(), "key file")?;
            assert_eq!(again.verifier(), signer.verifier());
            let verifier = NoteVerifier::from_vkey(&signer.verifier().to_vkey(), "vkey")?;
            assert_eq!(verifier, signer.verifier());
        }
        Ok(())
    }

    /// The verifier key from the Go `note` package's documentation, with its published key ID.
    #[test]
    fn parses_the_signed_note_example_vkey() -> Result<(), BoardError> {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let verifier = NoteVerifier::from_vkey(vkey, "vkey")?;
        assert_eq!(verifier.to_vkey(), vkey);
        let note = Note::parse(
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            "note",
        )?;
        assert_eq!(verifier.verify(note.text(), &note.signatures()[0])?, None);
        // Ed25519 is deterministic: the published skey reproduces the published signature.
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let signer = NoteSigner::from_skey(skey, "skey")?;
        assert_eq!(signer.verifier(), verifier);
        assert_eq!(signer.sign(note.text(), 0), note.signatures()[0]);
        assert_eq!(signer.to_skey().as_str(), skey);
        Ok(())
    }

    #[test]
    fn signatures_verify_and_tampering_is_caught() -> Result<(), BoardError> {
        let op = NoteSigner::generate("log.example", KeyRole::Operator)?;
        let wit = NoteSigner::generate("witness.example", KeyRole::Witness)?;
        let mut note = Note::new("log.example\n3\nAAAA\n".into())?;
        note.add_signature(op.sign(note.text(), 0));
        note.add_signature(wit.sign(note.text(), 1_700_000_000));
        let parsed = Note::parse(&note.to_text(), "checkpoint")?;
        assert_eq!(parsed, note);
        assert_eq!(
            op.verifier()
                .verify(parsed.text(), &parsed.signatures()[0])?,
            None
        );
        assert_eq!(
            wit.verifier()
                .verify(parsed.text(), &parsed.signatures()[1])?,
            Some(1_700_000_000)
        );
        // The operator's signature does not verify as the witness's and vice versa.
        assert!(
            op.verifier()
                .verify(parsed.text(), &parsed.signatures()[1])
                .is_err()
        );
        let tampered = parsed.to_text().replace("\n3\n", "\n4\n");
        let tampered = Note::parse(&tampered, "checkpoint")?;
        assert!(
            op.verifier()
                .verify(tampered.text(), &tampered.signatures()[0])
                .is_err()
        );
        assert!(
            wit.verifier()
                .verify(tampered.text(), &tampered.signatures()[1])
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn malformed_notes_and_keys_are_rejected_with_the_line() {
        let err = Note::parse("a\n\n- x AAAA\n", "checkpoint");
        assert!(err.is_err_and(|e| e.to_string().contains("checkpoint line 3")));
        assert!(Note::parse("a\nb\n", "n").is_err());
        assert!(Note::parse("a\n\n", "n").is_err());
        assert!(Note::parse("a\u{7}\n\n\u{2014} k AAAAAAA=\n", "n").is_err());
        assert!(Note::parse(&"a".repeat(MAX_NOTE_LEN + 1), "n").is_err());
        assert!(NoteVerifier::from_vkey("a+b", "k").is_err());
        assert!(NoteVerifier::from_vkey("a+00000000+AAAA", "k").is_err());
        assert!(
            NoteVerifier::from_vkey(
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                "k"
            )
            .is_err_and(|e| e.to_string().contains("key ID"))
        );
        assert!(NoteSigner::from_skey("PUBLIC+KEY+a+00000000+AA==", "k").is_err());
        assert!(NoteSigner::generate("has space", KeyRole::Operator).is_err());
    }
}
