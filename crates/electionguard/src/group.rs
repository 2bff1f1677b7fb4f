//! The group ElectionGuard computes in, behind a small trait, and its fast exponentiations.
//!
//! Verification handles public data only (ciphertexts, proofs, public keys), so this module
//! uses variable-time arithmetic throughout: there is no secret whose timing could leak.
//!
//! Big integers come from `num-bigint`. Measured on this machine (one core, a 4096-bit
//! modulus, a 256-bit exponent): `num-bigint` `modpow` 2.0 ms, `crypto-bigint` 0.6 `pow`
//! 2.1–2.4 ms (1.9 ms with `pow_bounded_exp`), a modular multiplication 6.2 µs in both.
//! They are level, so the choice falls on `num-bigint`: its integers have the width of the
//! value, which the samples need (the hamilton-general record uses a 64-bit test group that a
//! fixed 4096-bit type would compute on at full cost), and it parses any width of hexadecimal.
//! GMP through `rug` would be faster, but the `gmp-mpfr-sys` versions that `rug` accepts
//! refuse Debian's GMP 6.2.1, and building GMP from source on every CI run is not worth it.

use std::sync::atomic::{AtomicU64, Ordering};

use num_bigint::BigUint;
use num_traits::{One, Zero};
use rayon::prelude::*;

/// What the verifier needs of a group of prime order `q`: ElectionGuard's 4096-bit integer
/// group ([`IntegerGroup`]) and the P-256 curve of egk-ec's 2.1 records
/// ([`crate::curve::P256`]). Exponents (scalars) are integers in both; the verifier reduces
/// them modulo `q` where the equations do.
pub trait Group: Send + Sync {
    /// An element of the group.
    type Element: Clone + PartialEq + Send + Sync;
    /// A precomputed table for a base that many exponentiations use (the election key).
    type Table: Send + Sync;

    /// The prime order `q` of the group.
    fn order(&self) -> &BigUint;
    /// The identity element.
    fn one(&self) -> Self::Element;
    /// The group's generator.
    fn generator(&self) -> &Self::Element;
    /// Whether `x` is a valid element of the order-`q` group (for the integer group:
    /// `0 < x < p` and `x^q = 1 mod p`; for a curve: a point of the curve other than the
    /// point at infinity).
    fn is_element(&self, x: &Self::Element) -> bool;
    /// `a · b`.
    fn mul(&self, a: &Self::Element, b: &Self::Element) -> Self::Element;
    /// `a^-1` (0 for 0, which has none).
    fn inverse(&self, a: &Self::Element) -> Self::Element;
    /// `base^e` for a base known only now.
    fn pow(&self, base: &Self::Element, e: &BigUint) -> Self::Element;
    /// `g^e` for the group's generator, from a precomputed table.
    fn g_pow(&self, e: &BigUint) -> Self::Element;
    /// `∏ base_i^e_i` in one pass (simultaneous exponentiation).
    fn multi_pow(&self, terms: &[(&Self::Element, &BigUint)]) -> Self::Element;
    /// A table for a base that many exponentiations will use (the election public key).
    fn fixed_base(&self, base: &Self::Element) -> Self::Table;
    /// `table.base^e`, counted like any other exponentiation.
    fn fixed_pow(&self, table: &Self::Table, e: &BigUint) -> Self::Element;
    /// The bytes of `x` that ElectionGuard 2.x hashes (§5.1: 512 big-endian bytes in the
    /// 4096-bit group; egk-ec's 33-byte compressed point on P-256).
    fn encode(&self, x: &Self::Element) -> Vec<u8>;
    /// How many exponentiations the specification's equations asked of this group so far: the
    /// work a verifier that computes each power on its own would do.
    fn exponentiations(&self) -> u64;

    /// `a mod q`.
    fn reduce(&self, a: &BigUint) -> BigUint {
        a % self.order()
    }
    /// Whether `x` is in `Z_q`.
    fn is_scalar(&self, x: &BigUint) -> bool {
        x < self.order()
    }
}

/// The multiplicative group of integers modulo a prime `p`, restricted to its subgroup of
/// prime order `q`, with cofactor `r = (p − 1)/q` and generator `g`.
pub struct IntegerGroup {
    /// The large prime.
    pub p: BigUint,
    /// The small prime, the order of the subgroup.
    pub q: BigUint,
    /// The cofactor.
    pub r: BigUint,
    /// The generator.
    pub g: BigUint,
    g_table: FixedBase,
    count: AtomicU64,
}

impl IntegerGroup {
    /// The group with these constants (they are checked by the caller's parameter step).
    pub fn new(p: BigUint, q: BigUint, r: BigUint, g: BigUint) -> IntegerGroup {
        let g_table = FixedBase::new(&g, &p, q.bits());
        IntegerGroup {
            p,
            q,
            r,
            g,
            g_table,
            count: AtomicU64::new(0),
        }
    }

    fn tick(&self, n: usize) {
        self.count.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Group for IntegerGroup {
    type Element = BigUint;
    type Table = FixedBase;

    fn order(&self) -> &BigUint {
        &self.q
    }

    fn one(&self) -> BigUint {
        BigUint::one()
    }

    fn generator(&self) -> &BigUint {
        &self.g
    }

    fn is_element(&self, x: &BigUint) -> bool {
        self.tick(1);
        !x.is_zero() && x < &self.p && x.modpow(&self.q, &self.p).is_one()
    }

    fn mul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a * b) % &self.p
    }

    fn inverse(&self, a: &BigUint) -> BigUint {
        // The extended Euclidean algorithm: about a hundredth of the a^(p−2) it replaces, and
        // not an exponentiation, so not counted. Zero (which has none) maps to zero, which no
        // check accepts.
        a.modinv(&self.p).unwrap_or_default()
    }

    fn pow(&self, base: &BigUint, e: &BigUint) -> BigUint {
        self.tick(1);
        base.modpow(e, &self.p)
    }

    fn g_pow(&self, e: &BigUint) -> BigUint {
        self.tick(1);
        self.g_table.pow(e, &self.p)
    }

    fn multi_pow(&self, terms: &[(&BigUint, &BigUint)]) -> BigUint {
        self.tick(terms.len());
        straus(terms, &self.p)
    }

    fn fixed_base(&self, base: &BigUint) -> FixedBase {
        FixedBase::new(base, &self.p, self.q.bits())
    }

    fn fixed_pow(&self, table: &FixedBase, e: &BigUint) -> BigUint {
        self.tick(1);
        table.pow(e, &self.p)
    }

    fn encode(&self, x: &BigUint) -> Vec<u8> {
        crate::v2::hash::fixed(x, 512)
    }

    fn exponentiations(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// An ElGamal ciphertext (α, β), `pad` and `data` in ElectionGuard's words, over a group
/// whose elements are `E` (integers by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext<E = BigUint> {
    /// α = g^ξ.
    pub pad: E,
    /// β: the message under K^ξ (g^m · K^ξ in 1.x, K^(m+ξ) in 2.0).
    pub data: E,
}

impl Ciphertext {
    /// The encryption of zero with no randomness, (1, 1), in the integer group.
    pub fn one() -> Ciphertext {
        Ciphertext {
            pad: BigUint::one(),
            data: BigUint::one(),
        }
    }
}

impl<E: Clone> Ciphertext<E> {
    /// The encryption of zero with no randomness, (1, 1): the start of a product.
    pub fn unit<G: Group<Element = E>>(group: &G) -> Ciphertext<E> {
        Ciphertext {
            pad: group.one(),
            data: group.one(),
        }
    }

    /// The component-wise product, which encrypts the sum of the two messages.
    pub fn mul<G: Group<Element = E>>(&self, other: &Ciphertext<E>, group: &G) -> Ciphertext<E> {
        Ciphertext {
            pad: group.mul(&self.pad, &other.pad),
            data: group.mul(&self.data, &other.data),
        }
    }
}

/// Bits per window of a fixed-base table: 2^8 − 1 entries per window, so a 256-bit exponent
/// costs 32 multiplications instead of about 320 for a square-and-multiply.
const FIXED_WINDOW: u64 = 8;

/// Powers `base^(d · 2^(8i))` for every window `i` and digit `d`, so that `base^e` is one
/// multiplication per window of `e`.
pub struct FixedBase {
    base: BigUint,
    bits: u64,
    rows: Vec<Vec<BigUint>>,
}

impl FixedBase {
    /// Precompute the table for exponents of up to `bits` bits (about 8,000 multiplications
    /// for 256 bits: worth it from about 30 exponentiations on).
    pub fn new(base: &BigUint, p: &BigUint, bits: u64) -> FixedBase {
        let windows = bits.div_ceil(FIXED_WINDOW);
        // base^(2^(8i)) for each window i by squarings (8 a window), then the rows, which
        // are independent, on every core: a small record's verification starts with this.
        let mut starts = Vec::with_capacity(windows as usize);
        let mut start = base % p;
        for _ in 0..windows {
            starts.push(start.clone());
            for _ in 0..FIXED_WINDOW {
                start = (&start * &start) % p;
            }
        }
        let rows = starts
            .into_par_iter()
            .map(|start| {
                let mut row = Vec::with_capacity((1 << FIXED_WINDOW) - 1);
                let mut x = start.clone();
                row.push(x.clone());
                for _ in 2..(1u32 << FIXED_WINDOW) {
                    x = (&x * &start) % p;
                    row.push(x.clone());
                }
                row
            })
            .collect();
        FixedBase {
            base: base % p,
            bits,
            rows,
        }
    }

    /// `base^e mod p`; exponents wider than the table fall back to a plain exponentiation.
    pub fn pow(&self, e: &BigUint, p: &BigUint) -> BigUint {
        if e.bits() > self.bits {
            return self.base.modpow(e, p);
        }
        let mut acc = BigUint::one();
        for (i, digit) in e.to_bytes_le().iter().enumerate() {
            if *digit != 0 {
                acc = (&acc * &self.rows[i][*digit as usize - 1]) % p;
            }
        }
        acc
    }
}

/// Straus's simultaneous exponentiation with 4-bit windows: the squarings are shared by all
/// the terms, so two 256-bit powers cost about 410 multiplications instead of 640.
fn straus(terms: &[(&BigUint, &BigUint)], p: &BigUint) -> BigUint {
    const W: u64 = 4;
    let tables: Vec<Vec<BigUint>> = terms
        .iter()
        .map(|(base, _)| {
            let base = *base % p;
            let mut row = vec![BigUint::one(), base.clone()];
            for d in 2..(1usize << W) {
                let next = (&row[d - 1] * &base) % p;
                row.push(next);
            }
            row
        })
        .collect();
    let bits = terms.iter().map(|(_, e)| e.bits()).max().unwrap_or(0);
    let windows = bits.div_ceil(W);
    let mut acc = BigUint::one();
    for w in (0..windows).rev() {
        if w + 1 != windows {
            for _ in 0..W {
                acc = (&acc * &acc) % p;
            }
        }
        for ((_, e), table) in terms.iter().zip(&tables) {
            let mut digit = 0usize;
            for b in 0..W {
                if e.bit(w * W + b) {
                    digit |= 1 << b;
                }
            }
            if digit != 0 {
                acc = (&acc * &table[digit]) % p;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> IntegerGroup {
        // p = 2·q + 1 = 2039 with q = 1019, both prime; squares form the subgroup of order q.
        let q = BigUint::from(1019u32);
        let p = BigUint::from(2039u32);
        let r = BigUint::from(2u32);
        let g = BigUint::from(3u32).modpow(&r, &p);
        IntegerGroup::new(p, q, r, g)
    }

    #[test]
    fn fast_paths_agree_with_modpow() {
        let group = small();
        let k = BigUint::from(1234u32).modpow(&group.r, &group.p);
        let table = group.fixed_base(&k);
        for e in [0u32, 1, 2, 255, 256, 1018, 7777] {
            let e = BigUint::from(e);
            assert_eq!(group.g_pow(&e), group.g.modpow(&e, &group.p));
            assert_eq!(group.fixed_pow(&table, &e), k.modpow(&e, &group.p));
            let f = BigUint::from(999u32) + &e;
            let expected = (group.g.modpow(&e, &group.p) * k.modpow(&f, &group.p)) % &group.p;
            assert_eq!(group.multi_pow(&[(&group.g, &e), (&k, &f)]), expected);
        }
        assert!(group.is_element(&k));
        assert!(!group.is_element(&(&group.p - 1u32)));
        assert!(!group.is_element(&BigUint::zero()));
        assert_eq!(group.mul(&k, &group.inverse(&k)), BigUint::one());
    }
}
