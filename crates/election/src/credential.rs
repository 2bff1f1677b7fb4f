//! Voter credentials (eligibility verifiability, as in Belenios): each eligible voter holds an
//! Ed25519 signing key; the registrar publishes the list of public keys before voting opens.
//! Every ballot is signed with one, so the authority cannot add ballots without credentials,
//! and the size of the list is public.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use fairtally_crypto::encoding::{HexBytes, read_str};
use fairtally_crypto::hash::{Digest, hash_parts};
use fairtally_crypto::random::random_bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{ElectionError, Result};
use crate::record::{ItemKind, RecordItem};

/// Domain separator of the credential list hash.
pub const CREDENTIAL_LIST_DOMAIN: &str = "fairtally/credential-list/v1";
/// Domain separator of the hash of a credential list whose voters carry ballot styles.
pub const STYLED_CREDENTIAL_LIST_DOMAIN: &str = "fairtally/credential-list-styles/v1";

/// A voter's public credential: an Ed25519 verifying key, serialized as 64 lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CredentialKey(pub VerifyingKey);

impl CredentialKey {
    /// Parse 32 bytes, rejecting invalid and weak (small-order) keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| {
            ElectionError::Credential(format!(
                "{} is not an Ed25519 public key",
                hex::encode(bytes)
            ))
        })?;
        if key.is_weak() {
            return Err(ElectionError::Credential(format!(
                "{} is a weak (small-order) key",
                hex::encode(bytes)
            )));
        }
        Ok(CredentialKey(key))
    }

    /// Parse 64 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<Self> {
        Self::from_bytes(&fixed_hex::<32>(text).map_err(ElectionError::Credential)?)
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    /// Verify `signature` on `message` (strict: no malleable signatures).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.0.verify_strict(message, signature).is_ok()
    }
}

/// Exactly `N` bytes of lowercase hex.
pub(crate) fn fixed_hex<const N: usize>(text: &str) -> std::result::Result<[u8; N], String> {
    let mut out = [0u8; N];
    if text.len() != 2 * N || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "expected {} lowercase hex characters, found {:?}",
            2 * N,
            abbreviate(text)
        ));
    }
    hex::decode_to_slice(text, &mut out).map_err(|e| format!("{e} in {:?}", abbreviate(text)))?;
    Ok(out)
}

fn abbreviate(text: &str) -> String {
    text.chars().take(20).collect()
}

impl Serialize for CredentialKey {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        HexBytes(self.as_bytes()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for CredentialKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        read_str(d, CredentialKey::from_hex)
    }
}

/// One line of `credentials.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialEntry {
    /// The voter's public credential.
    pub key: CredentialKey,
    /// The voter's ballot style, chosen by the registrar, when the manifest has styles (and
    /// only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

impl RecordItem for CredentialEntry {
    const KIND: ItemKind = ItemKind::Credential;
}

/// Serde for Ed25519 signatures as 128 lowercase hex characters.
pub mod hex_signature {
    use ed25519_dalek::Signature;
    use serde::{Deserializer, Serializer};

    /// Writes lowercase hex.
    pub fn serialize<S: Serializer>(sig: &Signature, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&super::HexBytes(&sig.to_bytes()), s)
    }

    /// Reads 64 bytes of lowercase hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Signature, D::Error> {
        super::read_str(d, |text| {
            super::fixed_hex::<64>(text).map(|bytes| Signature::from_bytes(&bytes))
        })
    }
}

/// A voter's secret credential. Its file stays with the voter; zeroized when dropped (the
/// signing key zeroizes itself).
#[derive(Clone)]
pub struct Credential {
    key: SigningKey,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({})", self.public().to_hex())
    }
}

/// The file form of a [`Credential`].
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct CredentialFile {
    /// The public key, to check the file is not mixed up.
    #[zeroize(skip)]
    public: CredentialKey,
    /// The 32-byte Ed25519 secret key, hex.
    secret: String,
}

impl Serialize for Credential {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        CredentialFile {
            public: self.public(),
            secret: hex::encode(self.key.as_bytes()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Credential {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let file = CredentialFile::deserialize(d)?;
        let bytes =
            Zeroizing::new(fixed_hex::<32>(&file.secret).map_err(serde::de::Error::custom)?);
        let credential = Credential {
            key: SigningKey::from_bytes(&bytes),
        };
        if credential.public() != file.public {
            return Err(serde::de::Error::custom(
                "the secret key does not match the public key",
            ));
        }
        Ok(credential)
    }
}

impl Credential {
    /// A fresh credential from OS randomness.
    pub fn generate() -> Self {
        let seed = Zeroizing::new(random_bytes::<32>());
        Credential {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public credential.
    pub fn public(&self) -> CredentialKey {
        CredentialKey(self.key.verifying_key())
    }

    /// Sign `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }
}

/// The published list of credentials, in registrar order, with an index for lookups. It keeps
/// only the 32-byte encodings (checked when parsed): a ballot carries its own key, so the list
/// is only consulted for membership, and a million voters cost tens of megabytes.
///
/// With ballot styles, each voter's style is kept as an index into the list's style names.
#[derive(Clone, Debug, Default)]
pub struct CredentialList {
    keys: Vec<[u8; 32]>,
    positions: HashMap<[u8; 32], u32>,
    /// Per voter, the index of its style in `style_names`; empty when no voter has a style.
    styles: Vec<u32>,
    style_names: Vec<String>,
}

impl CredentialList {
    /// Build the list, rejecting duplicates (each voter must have a distinct credential).
    pub fn new(keys: impl IntoIterator<Item = CredentialKey>) -> Result<Self> {
        Self::from_entries(
            keys.into_iter()
                .map(|key| CredentialEntry { key, style: None }),
        )
    }

    /// Build the list from `credentials.jsonl` entries: either every entry names a ballot
    /// style or none does; duplicate keys are rejected. Whether the styles are the manifest's
    /// is [`CredentialList::check_styles`].
    pub fn from_entries(entries: impl IntoIterator<Item = CredentialEntry>) -> Result<Self> {
        let mut list = CredentialList::default();
        let mut style_index: HashMap<String, u32> = HashMap::new();
        for CredentialEntry { key, style } in entries {
            let number = list.keys.len() + 1;
            match (style, list.keys.is_empty() || !list.styles.is_empty()) {
                (Some(style), true) => {
                    let next = style_index.len() as u32;
                    let index = *style_index.entry(style.clone()).or_insert_with(|| {
                        list.style_names.push(style);
                        next
                    });
                    list.styles.push(index);
                }
                (None, _) if list.styles.is_empty() => {}
                _ => {
                    return Err(ElectionError::Credential(format!(
                        "entry {number} ({}): either every credential names a ballot style or \
                         none does",
                        key.to_hex()
                    )));
                }
            }
            if list.keys.len() == MAX_CREDENTIALS {
                return Err(ElectionError::Credential(format!(
                    "the list holds more than {MAX_CREDENTIALS} credentials"
                )));
            }
            let i = list.keys.len() as u32;
            if list.positions.insert(*key.as_bytes(), i).is_some() {
                return Err(ElectionError::Credential(format!(
                    "credential {} is listed twice (entry {})",
                    key.to_hex(),
                    i + 1
                )));
            }
            list.keys.push(*key.as_bytes());
        }
        Ok(list)
    }

    /// The position (0-based) of `key` in the list, if listed.
    pub fn position(&self, key: &CredentialKey) -> Option<u32> {
        self.positions.get(key.as_bytes()).copied()
    }

    /// The number of credentials.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys' encodings in order.
    pub fn key_bytes(&self) -> &[[u8; 32]] {
        &self.keys
    }

    /// Whether the voters carry ballot styles.
    pub fn has_styles(&self) -> bool {
        !self.styles.is_empty()
    }

    /// The ballot style of the voter at `position` (0-based), if the voters carry styles.
    pub fn style_of(&self, position: u32) -> Option<&str> {
        let index = *self.styles.get(position as usize)?;
        self.style_names.get(index as usize).map(String::as_str)
    }

    /// The entries in order, as `credentials.jsonl` holds them.
    pub fn entries(&self) -> impl Iterator<Item = Result<CredentialEntry>> + '_ {
        (0..self.keys.len() as u32).map(|i| {
            Ok(CredentialEntry {
                key: CredentialKey::from_bytes(&self.keys[i as usize])?,
                style: self.style_of(i).map(str::to_string),
            })
        })
    }

    /// Check every voter's style against `manifest`: each voter carries one of its styles when
    /// it has styles, and none when it has not. The error names the first voter that does not.
    pub fn check_styles(&self, manifest: &crate::manifest::Manifest) -> Result<()> {
        let styled = manifest.ballot_styles.is_some();
        if self.styles.is_empty() {
            if styled && !self.keys.is_empty() {
                return Err(ElectionError::Credential(
                    "the manifest has ballot styles, but the credentials carry none: the \
                     registrar gives each voter one"
                        .into(),
                ));
            }
            return Ok(());
        }
        let known: Vec<bool> = self
            .style_names
            .iter()
            .map(|s| manifest.style(s).is_some())
            .collect();
        for (i, &index) in self.styles.iter().enumerate() {
            if !known[index as usize] {
                let name = &self.style_names[index as usize];
                let why = if styled {
                    "which the manifest does not have"
                } else {
                    "but the manifest has no ballot styles"
                };
                return Err(ElectionError::Credential(format!(
                    "credential {} ({}) carries ballot style {name:?}, {why}",
                    i + 1,
                    hex::encode(self.keys[i]),
                )));
            }
        }
        Ok(())
    }

    /// Without styles `H(CREDENTIAL_LIST_DOMAIN, le64(N), key_1 ‖ … ‖ key_N)`; with styles
    /// `H(STYLED_CREDENTIAL_LIST_DOMAIN, le64(N), key_1 ‖ … ‖ key_N, style_1, …, style_N)`,
    /// each style id its own (length-framed) part.
    pub fn hash(&self) -> Digest {
        let count = (self.keys.len() as u64).to_le_bytes();
        if self.styles.is_empty() {
            return hash_parts(CREDENTIAL_LIST_DOMAIN, &[&count, self.keys.as_flattened()]);
        }
        let mut parts: Vec<&[u8]> = Vec::with_capacity(self.styles.len() + 2);
        parts.push(&count);
        parts.push(self.keys.as_flattened());
        parts.extend(
            self.styles
                .iter()
                .map(|&i| self.style_names[i as usize].as_bytes()),
        );
        hash_parts(STYLED_CREDENTIAL_LIST_DOMAIN, &parts)
    }
}

/// The most credentials one election's list holds (ten million): positions in the list are
/// 32-bit, and a registrar issuing more in one go would need gigabytes of memory.
pub const MAX_CREDENTIALS: usize = 10_000_000;

/// The registrar's job: `count` fresh credentials (secrets for the voters) and their public list.
/// At most [`MAX_CREDENTIALS`].
pub fn issue(count: usize) -> Result<(Vec<Credential>, CredentialList)> {
    if count > MAX_CREDENTIALS {
        return Err(ElectionError::Credential(format!(
            "{count} credentials asked for; an election has at most {MAX_CREDENTIALS}"
        )));
    }
    let credentials: Vec<Credential> = (0..count).map(|_| Credential::generate()).collect();
    let list = CredentialList::new(credentials.iter().map(Credential::public))?;
    Ok((credentials, list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_and_sign() {
        let c = Credential::generate();
        let json = serde_json::to_string(&c).unwrap();
        let back: Credential = serde_json::from_str(&json).unwrap();
        assert_eq!(back.public(), c.public());
        let sig = back.sign(b"m");
        assert!(c.public().verify(b"m", &sig));
        assert!(!c.public().verify(b"n", &sig));

        let mixed = json.replace(
            &c.public().to_hex(),
            &Credential::generate().public().to_hex(),
        );
        assert!(
            serde_json::from_str::<Credential>(&mixed)
                .unwrap_err()
                .to_string()
                .contains("does not match")
        );
    }

    #[test]
    fn bad_keys_and_duplicates_are_rejected() {
        assert!(CredentialKey::from_hex("zz").is_err());
        assert!(
            CredentialKey::from_hex(&"00".repeat(32))
                .unwrap_err()
                .to_string()
                .contains("weak")
        );
        let (_, list) = issue(3).unwrap();
        let mut keys: Vec<CredentialKey> = list
            .key_bytes()
            .iter()
            .map(|k| CredentialKey::from_bytes(k).unwrap())
            .collect();
        keys.push(keys[1]);
        assert!(
            CredentialList::new(keys.clone())
                .unwrap_err()
                .to_string()
                .contains("listed twice")
        );
        assert_eq!(list.position(&keys[2]), Some(2));
        assert_ne!(list.hash(), issue(3).unwrap().1.hash());
    }

    #[test]
    fn styles_on_the_roll_are_hashed_and_checked() {
        let keys: Vec<CredentialKey> = (0..3).map(|_| Credential::generate().public()).collect();
        let entries = |styles: [Option<&str>; 3]| {
            keys.iter()
                .zip(styles)
                .map(|(k, s)| CredentialEntry {
                    key: *k,
                    style: s.map(str::to_string),
                })
                .collect::<Vec<_>>()
        };
        let plain = CredentialList::from_entries(entries([None; 3])).unwrap();
        assert_eq!(
            plain.hash(),
            CredentialList::new(keys.clone()).unwrap().hash()
        );
        assert!(!plain.has_styles());
        let styled =
            CredentialList::from_entries(entries([Some("first"), Some("both"), Some("first")]))
                .unwrap();
        assert_eq!(styled.style_of(1), Some("both"));
        assert_eq!(styled.style_of(2), Some("first"));
        let moved =
            CredentialList::from_entries(entries([Some("both"), Some("first"), Some("first")]))
                .unwrap();
        assert_ne!(styled.hash(), plain.hash());
        assert_ne!(styled.hash(), moved.hash());
        let back: Vec<CredentialEntry> = styled.entries().map(Result::unwrap).collect();
        assert_eq!(back, entries([Some("first"), Some("both"), Some("first")]));
        for mixed in [
            entries([Some("first"), None, Some("first")]),
            entries([None, Some("first"), None]),
        ] {
            let e = CredentialList::from_entries(mixed).unwrap_err().to_string();
            assert!(
                e.contains("every credential names a ballot style or none"),
                "{e}"
            );
        }

        let manifest = crate::manifest::tests::styled();
        assert!(styled.check_styles(&manifest).is_ok());
        let e = plain.check_styles(&manifest).unwrap_err().to_string();
        assert!(e.contains("credentials carry none"), "{e}");
        let unknown = CredentialList::from_entries(entries(
            [Some("first"), Some("third"), None].map(|s| s.or(Some("both"))),
        ))
        .unwrap();
        let e = unknown.check_styles(&manifest).unwrap_err().to_string();
        assert!(
            e.contains("credential 2") && e.contains("\"third\", which the manifest"),
            "{e}"
        );
        let demo = crate::manifest::Manifest::default_demo().unwrap();
        assert!(plain.check_styles(&demo).is_ok());
        let e = styled.check_styles(&demo).unwrap_err().to_string();
        assert!(e.contains("the manifest has no ballot styles"), "{e}");
    }
}
