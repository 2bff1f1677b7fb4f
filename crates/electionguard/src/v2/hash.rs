//! The hash of ElectionGuard 2.0 (§5): `H(B0; B1) = HMAC-SHA-256(B0, B1)` with a 32-byte key
//! and fixed-length big-endian encodings, so no separators are needed.

use hmac::{KeyInit, Mac};
use num_bigint::BigUint;

/// One input element of `B1`.
pub enum Part<'a> {
    /// A domain separator byte.
    Tag(u8),
    /// An element of Z_p^r, as 512 bytes.
    P(&'a BigUint),
    /// An element of Z_q or an earlier hash, as 32 bytes.
    Q(&'a BigUint),
    /// An index, as 4 bytes.
    U32(u32),
    /// A byte array as it is (B_aux, the manifest file).
    Bytes(&'a [u8]),
    /// A group element, already encoded by [`crate::group::Group::encode`].
    Element(Vec<u8>),
}

/// `H(key; parts...)` read as a big-endian integer in [0, 2^256) (not reduced modulo q:
/// §5.4).
pub fn hash(key: &[u8; 32], parts: &[Part]) -> BigUint {
    // HMAC takes keys of any length: this never returns early.
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key) else {
        return BigUint::ZERO;
    };
    for part in parts {
        match part {
            Part::Tag(t) => mac.update(&[*t]),
            Part::P(x) => mac.update(&fixed(x, 512)),
            Part::Q(x) => mac.update(&fixed(x, 32)),
            Part::U32(n) => mac.update(&n.to_be_bytes()),
            Part::Bytes(b) => mac.update(b),
            Part::Element(b) => mac.update(b),
        }
    }
    BigUint::from_bytes_be(&mac.finalize().into_bytes())
}

/// A 32-byte key from a hash value (values ≥ 2^256 cannot come from a hash: their low 32
/// bytes are used, and the comparison with the record fails).
pub fn key(x: &BigUint) -> [u8; 32] {
    let bytes = fixed(x, 32);
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[bytes.len() - 32..]);
    out
}

/// `b(x, n)`: big-endian, left-padded with zeros to `n` bytes (longer values are kept whole,
/// so they cannot collide with a valid encoding of the same length).
pub(crate) fn fixed(x: &BigUint, n: usize) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    if bytes.len() >= n {
        return bytes;
    }
    let mut out = vec![0u8; n - bytes.len()];
    out.extend_from_slice(&bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameter base hash H_P of §3.1.2, equation (5), from the standard constants.
    #[test]
    fn parameter_base_hash_of_the_specification() {
        let (p, q, _, g) = crate::constants::Standard::V2.constants();
        let mut ver = [0u8; 32];
        ver[..6].copy_from_slice(b"v2.0.0");
        let hp = hash(&ver, &[Part::Tag(0), Part::P(&p), Part::Q(&q), Part::P(&g)]);
        assert_eq!(
            format!("{hp:064X}"),
            "2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296"
        );
    }
}
