//! The P-256 group of egk-ec's elliptic-curve records (ElectionGuard 2.1 on NIST P-256),
//! computed with RustCrypto's `p256`, in multiplicative notation as the specification writes
//! its equations: `a · b` is point addition, `a^e` scalar multiplication, 1 the point at
//! infinity.
//!
//! Verification handles public data only; `p256` happens to be constant-time, which costs
//! nothing here but is not needed.

use std::sync::atomic::{AtomicU64, Ordering};

use num_bigint::BigUint;
use p256::elliptic_curve::PrimeField;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar};

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
        P256 {
            order: BigUint::parse_bytes(CONSTANTS[3].1.as_bytes(), 16).unwrap_or_default(),
            generator: Point(Some(ProjectivePoint::GENERATOR)),
            count: AtomicU64::new(0),
        }
    }

    /// `e mod n` as a scalar of `p256`.
    fn scalar(&self, e: &BigUint) -> Scalar {
        let bytes = (e % &self.order).to_bytes_be();
        let mut repr = FieldBytes::default();
        repr[32 - bytes.len()..].copy_from_slice(&bytes);
        // Below n after the reduction, so always a scalar.
        Option::from(Scalar::from_repr(repr)).unwrap_or(Scalar::ZERO)
    }

    fn tick(&self, n: usize) {
        self.count.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Group for P256 {
    type Element = Point;
    type Table = Point;

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
        self.tick(1);
        Point(Some(ProjectivePoint::GENERATOR * self.scalar(e)))
    }

    fn multi_pow(&self, terms: &[(&Point, &BigUint)]) -> Point {
        self.tick(terms.len());
        let mut acc = Some(ProjectivePoint::IDENTITY);
        for (base, e) in terms {
            let s = self.scalar(e);
            acc = acc.zip(base.0).map(|(acc, b)| acc + b * s);
        }
        Point(acc)
    }

    fn fixed_base(&self, base: &Point) -> Point {
        base.clone()
    }

    fn fixed_pow(&self, table: &Point, e: &BigUint) -> Point {
        self.pow(table, e)
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
}
