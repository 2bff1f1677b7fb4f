//! electionguard-python 1.x's hash `hash_elems`: SHA-256 over `|`-separated text.
//!
//! Each item is written as text followed by `|`, after a leading `|`: a group element or
//! hash as uppercase hexadecimal without leading zeros (padded to an even number of digits),
//! an integer in decimal, a string as it is, a list as the hexadecimal of its own hash, and
//! an empty string or list as `null`. The digest is read big-endian and reduced modulo `q`
//! (1.0) or `q − 1` (0.95, whose `hash_elems` reduced modulo `Q_MINUS_ONE`).
//!
//! electionguard-core2, which wrote the 1.91 sample, keeps this text hash but writes every
//! element at its full width (512 bytes of Z_p as 1,024 digits, 32 bytes of Z_q as 64, leading
//! zeros kept): [`Item::P`] and [`Item::Q`], and lists hashed as 64 digits ([`Hasher::fixed`]).

use num_bigint::BigUint;
use sha2::{Digest, Sha256};

/// One argument of `hash_elems`.
pub enum Item<'a> {
    /// A group element, exponent or earlier hash, without leading zeros.
    E(&'a BigUint),
    /// An element of Z_p at its full width: 1,024 hexadecimal digits.
    P(&'a BigUint),
    /// An element of Z_q or a hash at its full width: 64 hexadecimal digits.
    Q(&'a BigUint),
    /// A string (object ids).
    S(&'a str),
    /// An integer (timestamps, sequence numbers, device data).
    I(u64),
    /// A list, hashed on its own first.
    Seq(Vec<Item<'a>>),
    /// Text written as it is, even when empty (the manifest's strings and integers, which
    /// electionguard-python 1.4 tests before `null`).
    Text(String),
    /// `null`: an absent value.
    Null,
}

/// How a digest becomes an exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// Modulo `q`.
    Q,
    /// Modulo `q − 1`.
    QMinusOne,
}

/// The hash function of one record.
pub struct Hasher {
    modulus: BigUint,
    /// Whether a list's hash is written at its full width (electionguard-core2).
    fixed: bool,
}

impl Hasher {
    /// The hash for a record whose small prime is `q`.
    pub fn new(q: &BigUint, reduction: Reduction) -> Hasher {
        let modulus = match reduction {
            Reduction::Q => q.clone(),
            Reduction::QMinusOne => q - 1u32,
        };
        Hasher {
            modulus,
            fixed: false,
        }
    }

    /// electionguard-core2's hash for a record whose small prime is `q`: reduced modulo `q`,
    /// lists hashed as 64 digits.
    pub fn fixed(q: &BigUint) -> Hasher {
        Hasher {
            modulus: q.clone(),
            fixed: true,
        }
    }

    /// `hash_elems(items...)`.
    pub fn hash(&self, items: &[Item]) -> BigUint {
        let mut h = Sha256::new();
        h.update(b"|");
        for item in items {
            let text = match item {
                Item::E(x) => hex(x),
                Item::P(x) => format!("{x:01024X}"),
                Item::Q(x) => format!("{x:064X}"),
                Item::S("") => "null".to_string(),
                Item::S(s) => (*s).to_string(),
                Item::I(0) => "null".to_string(),
                Item::I(n) => n.to_string(),
                Item::Seq(list) if list.is_empty() => "null".to_string(),
                Item::Seq(list) if self.fixed => format!("{:064X}", self.hash(list)),
                Item::Seq(list) => hex(&self.hash(list)),
                Item::Text(text) => text.clone(),
                Item::Null => "null".to_string(),
            };
            h.update(text.as_bytes());
            h.update(b"|");
        }
        BigUint::from_bytes_be(&h.finalize()) % &self.modulus
    }
}

/// Uppercase hexadecimal, even number of digits, as electionguard-python's `to_hex`.
pub fn hex(x: &BigUint) -> String {
    let s = format!("{x:X}");
    if s.len() % 2 == 1 { format!("0{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_pads_to_even_length() {
        assert_eq!(hex(&BigUint::from(0x5u32)), "05");
        assert_eq!(hex(&BigUint::from(0xABCu32)), "0ABC");
        assert_eq!(hex(&BigUint::from(0xABCDu32)), "ABCD");
    }

    #[test]
    fn reduces_and_separates() {
        let q = BigUint::from(0xFFF1u32);
        let h = Hasher::new(&q, Reduction::Q);
        let a = h.hash(&[Item::S("ab"), Item::S("c")]);
        let b = h.hash(&[Item::S("a"), Item::S("bc")]);
        assert_ne!(a, b);
        assert!(a < q);
    }
}
