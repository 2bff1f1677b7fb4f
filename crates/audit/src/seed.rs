//! The sampler's seed by commit–reveal.
//!
//! Before anything public is drawn, the audit board makes a 32-byte secret from the operating
//! system's randomness and publishes the commitment
//!
//! ```text
//! commitment = hex(SHA-256(lp("fairtally/audit/commitment/v1") || lp(audit) || lp(secret)))
//! ```
//!
//! where `lp(x)` is `x`'s length as 8 bytes big-endian followed by `x`, and `audit` names the
//! audit (election, contest, date), so a commitment cannot be reused for another audit. Then a
//! public value is drawn in the open (dice rolled in front of observers, a state lottery). The
//! board reveals the secret; anyone checks it against the commitment and computes
//!
//! ```text
//! seed = hex(SHA-256(lp("fairtally/audit/seed/v1") || lp(audit) || lp(secret) || lp(public)))
//! ```
//!
//! the 64-character text the sampler is seeded with. The board fixed its secret before the
//! public value was known, and the public value was drawn after the commitment, so neither
//! side alone can choose the sample. A board that refuses to reveal stops the audit openly.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::AuditError;

/// Domain separator of the commitment.
pub const COMMITMENT_DOMAIN: &str = "fairtally/audit/commitment/v1";
/// Domain separator of the seed.
pub const SEED_DOMAIN: &str = "fairtally/audit/seed/v1";
/// First line of a secret file.
pub const SECRET_HEADER: &str = "fairtally audit secret v1";
/// Longest audit name or public value, in bytes.
pub const MAX_PUBLIC_LEN: usize = 4096;

/// The audit board's secret; zeroized when dropped.
pub struct Secret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl Secret {
    /// A new secret from the operating system's randomness.
    pub fn generate() -> Result<Self, AuditError> {
        use rand::TryRng;
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::SysRng
            .try_fill_bytes(bytes.as_mut())
            .map_err(|e| {
                AuditError::invalid(
                    "new secret",
                    format!("the operating system gave no randomness: {e}"),
                )
            })?;
        Ok(Self(bytes))
    }

    /// The secret file's text: the header line and the secret in hex.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{SECRET_HEADER}\n{}\n", hex::encode(*self.0)))
    }

    /// Reads a secret file's text (`file` names it in errors).
    pub fn from_text(text: &str, file: &str) -> Result<Self, AuditError> {
        let mut lines = text.lines();
        if lines.next() != Some(SECRET_HEADER) {
            return Err(AuditError::line(
                file,
                1,
                format!("not a secret file: the first line must be {SECRET_HEADER:?}"),
            ));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        let line = lines.next().unwrap_or("").trim();
        hex::decode_to_slice(line, bytes.as_mut()).map_err(|_| {
            AuditError::line(file, 2, "the secret must be 64 hexadecimal characters")
        })?;
        Ok(Self(bytes))
    }

    /// The commitment to this secret for `audit`.
    pub fn commitment(&self, audit: &str) -> Result<String, AuditError> {
        check_text("audit name", audit)?;
        Ok(hash_parts(&[
            COMMITMENT_DOMAIN.as_bytes(),
            audit.as_bytes(),
            &*self.0,
        ]))
    }

    /// The seed from this secret and the public value, after checking the secret against the
    /// published `commitment`.
    pub fn seed(&self, audit: &str, commitment: &str, public: &str) -> Result<String, AuditError> {
        check_text("public value", public)?;
        if self.commitment(audit)? != commitment.trim().to_ascii_lowercase() {
            return Err(AuditError::invalid(
                "secret",
                format!("does not open the commitment {commitment} for the audit {audit:?}"),
            ));
        }
        Ok(hash_parts(&[
            SEED_DOMAIN.as_bytes(),
            audit.as_bytes(),
            &*self.0,
            public.as_bytes(),
        ]))
    }
}

fn check_text(what: &str, text: &str) -> Result<(), AuditError> {
    if text.trim().is_empty() || text.len() > MAX_PUBLIC_LEN {
        return Err(AuditError::invalid(
            what,
            format!("must be 1 to {MAX_PUBLIC_LEN} bytes of text"),
        ));
    }
    Ok(())
}

/// SHA-256 of the length-prefixed parts, in hex.
fn hash_parts(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> Secret {
        Secret(Zeroizing::new([7u8; 32]))
    }

    #[test]
    fn commit_then_reveal() {
        let s = fixed();
        let c = s.commitment("county 2026").unwrap();
        let seed = s.seed("county 2026", &c, "31415926535897932384").unwrap();
        assert_eq!(seed.len(), 64);
        // Each input changes the seed; a wrong audit or a wrong secret is refused.
        assert_ne!(
            seed,
            s.seed("county 2026", &c, "31415926535897932385").unwrap()
        );
        assert!(s.seed("county 2027", &c, "1").is_err());
        let other = Secret(Zeroizing::new([8u8; 32]));
        assert!(other.seed("county 2026", &c, "1").is_err());
        // Length prefixes: moving a byte between parts changes the hash.
        assert_ne!(hash_parts(&[b"ab", b"c"]), hash_parts(&[b"a", b"bc"]));
    }

    #[test]
    fn secret_file_round_trip() {
        let s = Secret::generate().unwrap();
        let back = Secret::from_text(&s.to_text(), "s").unwrap();
        assert_eq!(*back.0, *s.0);
        let e = Secret::from_text("fairtally audit secret v1\nzz\n", "s.txt").unwrap_err();
        assert!(e.to_string().starts_with("s.txt, line 2"), "{e}");
    }

    #[test]
    fn known_vector() {
        // Computed independently with Python's hashlib and struct.pack(">Q", len).
        let s = fixed();
        let c = s.commitment("a").unwrap();
        assert_eq!(
            c,
            "0ff7739c58fbbedd4a340589be8744cfe54cd92fef1da78f1fe50acdcbc6682a"
        );
        assert_eq!(
            s.seed("a", &c, "123").unwrap(),
            "1c1290b79df9a21f191dad595630bab0dd843909846b9d7a3a5a5f0e53e83332"
        );
    }
}
