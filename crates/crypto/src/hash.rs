//! SHA-256 digests with unambiguous framing of their inputs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::CryptoError;

/// A SHA-256 digest. It serializes as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Lowercase hexadecimal form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 lowercase hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        crate::encoding::fixed_from_hex::<32>(text).map(Digest)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::encoding::HexBytes(&self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::encoding::read_str(deserializer, Digest::from_hex)
    }
}

/// Appends `bytes` to a hash preceded by its length as 8 little-endian bytes, so that no two
/// different sequences of parts hash the same.
pub(crate) fn update_framed(hasher: &mut impl sha2::Digest, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// SHA-256 of a domain separator followed by the parts, each framed by its length:
/// `SHA-256(len(domain) ‖ domain ‖ len(p1) ‖ p1 ‖ …)` with 8-byte little-endian lengths.
pub fn hash_parts(domain: &str, parts: &[&[u8]]) -> Digest {
    let mut hasher = Sha256::new();
    update_framed(&mut hasher, domain.as_bytes());
    for part in parts {
        update_framed(&mut hasher, part);
    }
    Digest(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_separates_parts() {
        assert_ne!(
            hash_parts("d", &[b"ab", b"c"]),
            hash_parts("d", &[b"a", b"bc"])
        );
        assert_ne!(hash_parts("d", &[b"abc"]), hash_parts("e", &[b"abc"]));
    }

    #[test]
    fn known_answer() {
        // Computed independently with Python's hashlib:
        // hashlib.sha256((1).to_bytes(8,'little') + b'd' + (3).to_bytes(8,'little') + b'abc')
        let digest = hash_parts("d", &[b"abc"]);
        assert_eq!(
            digest.to_hex(),
            "c7a90f21a2cb1b2b9211d4acb316977978b92235974671e6c71fdcaaf4af6f8c"
        );
    }

    #[test]
    fn hex_round_trip_and_rejection() {
        let digest = hash_parts("d", &[]);
        assert_eq!(Digest::from_hex(&digest.to_hex()), Ok(digest));
        assert!(Digest::from_hex("00").is_err());
        assert!(Digest::from_hex(&"zz".repeat(32)).is_err());
    }
}
