//! The P-256 group of egk-ec's elliptic-curve records (ElectionGuard 2.1 on NIST P-256),
//! computed with RustCrypto's `p256`, in multiplicative notation as the specification writes
//! its equations: `a · b` is point addition, `a^e` scalar multiplication, 1 the point at
//! infinity.
//!
//! Verification handles public data only; `p256` happens to be constant-time, which costs
//! nothing here but is not needed, and the tables below ([`PointTable`], [`straus`]) are
//! variable-time: they index by the public exponent's digits and skip its zero digits.
//!
//! `p256` 0.13 has no precomputed tables: its `MulByGenerator` and `LinearCombination` are the
//! plain `x · k + y · l`. So the fixed-base tables and the simultaneous exponentiation of
//! [`crate::group`] are built here again from `p256`'s own point additions and doublings.

use std::sync::atomic::{AtomicU64, Ordering};

use num_bigint::BigUint;
use p256::elliptic_curve::PrimeField;
use p256::elliptic_curve::group::Group as _;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar};
use rayon::prelude::*;

use crate::group::Group;

/// The constants of P-256 (SEC 2 §2.4.2, FIPS 186-5 §3.2.1.3) in egk-ec's `constants.json`
/// names and lower-case hexadecimal, as the record must state them.
pub const CONSTANTS: [(&str, &str); 7] = [
    (
        "a",
        "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
    ),
    (
        "b",
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    ),
    (
        "primeModulus",
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    ),
    (
        "order",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    ),
    (
        "g.x",
        "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
    ),
    (
        "g.y",
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    ),
    ("h", "1"),
];

/// A point as read from a record: `None` when its bytes are not a compressed point of P-256
/// (the step that checks the value reports it; nothing computed from it is accepted).
#[derive(Clone, Debug, PartialEq)]
pub struct Point(pub Option<ProjectivePoint>);

impl Point {
    /// Decode egk-ec's encoding: the 33-byte compressed SEC1 point (0x02 or 0x03 for the
    /// parity of y, then x), and 33 bytes 0xFF for the point at infinity (Verificatum's
    /// convention, which egk-ec keeps: a decryption to 0 is T = K^0 = 1, written so). Any
    /// other length or prefix, or an x that is not on the curve, is not a point (egk-ec
    /// writes no other form; SEC1's uncompressed and one-byte infinity forms are refused so
    /// that each point has one encoding).
    pub fn decode(bytes: &[u8]) -> Point {
        if bytes.len() == 33 && bytes.iter().all(|b| *b == 0xFF) {
            return Point(Some(ProjectivePoint::IDENTITY));
        }
        if bytes.len() != 33 || !matches!(bytes[0], 2 | 3) {
            return Point(None);
        }
        let point: Option<AffinePoint> = EncodedPoint::from_bytes(bytes)
            .ok()
            .and_then(|e| AffinePoint::from_encoded_point(&e).into());
        Point(point.map(ProjectivePoint::from))
    }
}

/// P-256 behind [`Group`].
pub struct P256 {
    order: BigUint,
    generator: Point,
    g_table: PointTable,
    count: AtomicU64,
}

impl Default for P256 {
    fn default() -> P256 {
        P256::new()
    }
}

impl P256 {
    /// The group (its constants are those of `p256`; the parameter step compares the
    /// record's with [`CONSTANTS`]).
    pub fn new() -> P256 {
        let generator = Point(Some(ProjectivePoint::GENERATOR));
        P256 {
            order: BigUint::parse_bytes(CONSTANTS[3].1.as_bytes(), 16).unwrap_or_default(),
            g_table: PointTable::new(&generator),
            generator,
            count: AtomicU64::new(0),
        }
    }

    /// `e mod n` as a scalar of `p256`.
    fn scalar(&self, e: &BigUint) -> Scalar {
        let bytes = self.digits(e);
        let mut repr = FieldBytes::default();
        repr[32 - bytes.len()..].copy_from_slice(&bytes);
        // Below n after the reduction, so always a scalar.
        Option::from(Scalar::from_repr(repr)).unwrap_or(Scalar::ZERO)
    }

    /// The big-endian bytes of `e mod n` (at most 32).
    fn digits(&self, e: &BigUint) -> Vec<u8> {
        if e < &self.order {
            e.to_bytes_be()
        } else {
            (e % &self.order).to_bytes_be()
        }
    }

    fn tick(&self, n: usize) {
        self.count.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Group for P256 {
    type Element = Point;
    type Table = PointTable;

    fn order(&self) -> &BigUint {
        &self.order
    }

    fn one(&self) -> Point {
        Point(Some(ProjectivePoint::IDENTITY))
    }

    fn generator(&self) -> &Point {
        &self.generator
    }

    fn is_element(&self, x: &Point) -> bool {
        // A decoded point is on the curve (or infinity, the identity, as 1 is in Z_p^r), and
        // P-256 has cofactor 1: every point is in the group of order n.
        x.0.is_some()
    }

    fn mul(&self, a: &Point, b: &Point) -> Point {
        Point(a.0.zip(b.0).map(|(a, b)| a + b))
    }

    fn inverse(&self, a: &Point) -> Point {
        Point(a.0.map(|a| -a))
    }

    fn pow(&self, base: &Point, e: &BigUint) -> Point {
        self.tick(1);
        let s = self.scalar(e);
        Point(base.0.map(|b| b * s))
    }

    fn g_pow(&self, e: &BigUint) -> Point {
        self.fixed_pow(&self.g_table, e)
    }

    fn multi_pow(&self, terms: &[(&Point, &BigUint)]) -> Point {
        self.tick(terms.len());
        let mut points = Vec::with_capacity(terms.len());
        for (base, e) in terms {
            let Some(b) = base.0 else {
                return Point(None);
            };
            points.push((b, self.digits(e)));
        }
        Point(Some(straus(&points)))
    }

    fn fixed_base(&self, base: &Point) -> PointTable {
        PointTable::new(base)
    }

    fn fixed_pow(&self, table: &PointTable, e: &BigUint) -> Point {
        self.tick(1);
        Point(table.pow(&self.digits(e)))
    }

    fn encode(&self, x: &Point) -> Vec<u8> {
        match x.0 {
            Some(p) if p == ProjectivePoint::IDENTITY => vec![0xFF; 33],
            Some(p) => p.to_affine().to_encoded_point(true).as_bytes().to_vec(),
            None => Vec::new(),
        }
    }

    fn exponentiations(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// Multiples `d · 2^(8i) · B` of a base B for every byte position `i` of a 256-bit scalar and
/// every digit `d`, so that `e · B` is one point addition per non-zero byte of `e`: 32
/// additions instead of the 256 doublings and 64 additions of `p256`'s own multiplication.
/// Building it costs 8,160 additions, about 25 multiplications' worth.
pub struct PointTable {
    rows: Option<Vec<Vec<ProjectivePoint>>>,
}

impl PointTable {
    /// The table of `base` (none for a value that is not a point: its powers are not either).
    pub fn new(base: &Point) -> PointTable {
        let rows = base.0.map(|base| {
            // 2^(8i) · base by doublings, then the independent rows on every core.
            let mut starts = Vec::with_capacity(32);
            let mut start = base;
            for _ in 0..32 {
                starts.push(start);
                for _ in 0..8 {
                    start = start.double();
                }
            }
            starts
                .into_par_iter()
                .map(|start| {
                    let mut row = Vec::with_capacity(255);
                    let mut x = start;
                    row.push(x);
                    for _ in 2..256 {
                        x += start;
                        row.push(x);
                    }
                    row
                })
                .collect()
        });
        PointTable { rows }
    }

    /// `e · base` for the big-endian bytes of a scalar below n.
    fn pow(&self, be: &[u8]) -> Option<ProjectivePoint> {
        let rows = self.rows.as_ref()?;
        let mut acc = ProjectivePoint::IDENTITY;
        for (row, digit) in rows.iter().zip(be.iter().rev()) {
            if *digit != 0 {
                acc += row[*digit as usize - 1];
            }
        }
        Some(acc)
    }
}

/// Straus's simultaneous multiplication `Σ e_i · B_i` with 4-bit windows, over the big-endian
/// bytes of scalars below n: the 256 doublings are shared by all the terms.
fn straus(terms: &[(ProjectivePoint, Vec<u8>)]) -> ProjectivePoint {
    let tables: Vec<[ProjectivePoint; 16]> = terms
        .iter()
        .map(|(base, _)| {
            let mut row = [ProjectivePoint::IDENTITY; 16];
            for d in 1..16 {
                row[d] = row[d - 1] + base;
            }
            row
        })
        .collect();
    let mut acc = ProjectivePoint::IDENTITY;
    // Nibble w (from the top) of a scalar of `len` bytes, as if it were padded to 32.
    let nibble = |be: &[u8], w: usize| -> usize {
        let byte = (w / 2) as isize - (32 - be.len()) as isize;
        if byte < 0 {
            return 0;
        }
        let b = be[byte as usize];
        (if w.is_multiple_of(2) { b >> 4 } else { b & 15 }) as usize
    };
    for w in 0..64 {
        if w != 0 {
            for _ in 0..4 {
                acc = acc.double();
            }
        }
        for ((_, be), table) in terms.iter().zip(&tables) {
            let d = nibble(be, w);
            if d != 0 {
                acc += table[d];
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_the_crates() {
        let g = ProjectivePoint::GENERATOR
            .to_affine()
            .to_encoded_point(false);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(g.x().unwrap()), CONSTANTS[4].1);
        assert_eq!(hex(g.y().unwrap()), CONSTANTS[5].1);
        // n·G is the point at infinity and (n−1)·G = −G.
        let group = P256::new();
        let n = group.order().clone();
        assert_eq!(group.g_pow(&(&n - 1u32)), group.inverse(group.generator()));
        assert_eq!(group.scalar(&n), Scalar::ZERO);
    }

    #[test]
    fn encodings_round_trip_and_bad_ones_are_not_points() {
        let group = P256::new();
        let x = group.g_pow(&BigUint::from(12345u32));
        let bytes = group.encode(&x);
        assert_eq!(bytes.len(), 33);
        assert_eq!(Point::decode(&bytes), x);
        assert!(group.is_element(&Point::decode(&bytes)));
        let mut off = bytes.clone();
        off[0] = 4;
        assert!(!group.is_element(&Point::decode(&off)));
        assert!(!group.is_element(&Point::decode(&bytes[..32])));
        // x = 1 is not the x-coordinate of a point of P-256 (1 − 3 + b is not a square).
        let mut one = [0u8; 33];
        one[0] = 2;
        one[32] = 1;
        assert!(!group.is_element(&Point::decode(&one)));
        assert!(group.is_element(&group.one()));
        assert_eq!(group.encode(&group.one()), vec![0xFF; 33]);
        assert_eq!(Point::decode(&[0xFF; 33]), group.one());
        let e = BigUint::from(7u32);
        let f = BigUint::from(11u32);
        assert_eq!(
            group.multi_pow(&[(group.generator(), &e), (&x, &f)]),
            group.mul(&group.g_pow(&e), &group.pow(&x, &f))
        );
    }

    #[test]
    fn tables_and_straus_agree_with_p256s_multiplication() {
        let group = P256::new();
        let n = group.order().clone();
        let k = group.g_pow(&BigUint::from(987654321u64));
        let table = group.fixed_base(&k);
        let bases = [group.generator().clone(), k.clone()];
        for e in [
            BigUint::ZERO,
            BigUint::from(1u32),
            BigUint::from(255u32),
            BigUint::from(256u32),
            &n - 1u32,
            &n + 5u32,
            (BigUint::from(1u32) << 255u32) + 17u32,
        ] {
            let f = &e * 3u32 + 11u32;
            let plain = |b: &Point, e: &BigUint| Point(b.0.map(|b| b * group.scalar(e)));
            assert_eq!(group.g_pow(&e), plain(&bases[0], &e));
            assert_eq!(group.fixed_pow(&table, &e), plain(&k, &e));
            assert_eq!(
                group.multi_pow(&[(&bases[0], &e), (&k, &f)]),
                group.mul(&plain(&bases[0], &e), &plain(&k, &f))
            );
        }
        let none = Point(None);
        assert_eq!(group.fixed_pow(&group.fixed_base(&none), &n), none);
        assert_eq!(group.multi_pow(&[(&none, &n), (&k, &n)]), none);
    }
}
