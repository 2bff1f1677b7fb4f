//! Voter credentials (eligibility verifiability, as in Belenios): each eligible voter holds an
//! Ed25519 signing key; the registrar publishes the list of public keys before voting opens.
//! Every ballot is signed with one, so the authority cannot add ballots without credentials,
//! and the size of the list is public.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use fairtally_crypto::hash::{Digest, hash_parts};
use fairtally_crypto::random::random_bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{ElectionError, Result};
use crate::record::{ItemKind, RecordItem};

/// Domain separator of the credential list hash.
pub const CREDENTIAL_LIST_DOMAIN: &str = "fairtally/credential-list/v1";

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
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for CredentialKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        CredentialKey::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// One line of `credentials.jsonl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialEntry {
    /// The voter's public credential.
    pub key: CredentialKey,
}

impl RecordItem for CredentialEntry {
    const KIND: ItemKind = ItemKind::Credential;
}

/// Serde for Ed25519 signatures as 128 lowercase hex characters.
pub mod hex_signature {
    use ed25519_dalek::Signature;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes lowercase hex.
    pub fn serialize<S: Serializer>(sig: &Signature, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(sig.to_bytes()))
    }

    /// Reads 64 bytes of lowercase hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Signature, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = super::fixed_hex::<64>(&text).map_err(serde::de::Error::custom)?;
        Ok(Signature::from_bytes(&bytes))
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
#[derive(Clone, Debug, Default)]
pub struct CredentialList {
    keys: Vec<[u8; 32]>,
    positions: HashMap<[u8; 32], u32>,
}

impl CredentialList {
    /// Build the list, rejecting duplicates (each voter must have a distinct credential).
    pub fn new(keys: impl IntoIterator<Item = CredentialKey>) -> Result<Self> {
        let mut list = CredentialList::default();
        for key in keys {
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

    /// `H(CREDENTIAL_LIST_DOMAIN, count as 8 bytes LE, key_1 ‖ … ‖ key_N)`.
    pub fn hash(&self) -> Digest {
        hash_parts(
            CREDENTIAL_LIST_DOMAIN,
            &[
                &(self.keys.len() as u64).to_le_bytes(),
                self.keys.as_flattened(),
            ],
        )
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
}
