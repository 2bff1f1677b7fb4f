//! Exponential ElGamal on ristretto255.
//!
//! A message m under the joint key K = g^s with nonce r encrypts to (pad, data) =
//! (g^r, g^m · K^r). Ciphertexts add component-wise and their messages add, which is what lets
//! the tally be computed on encrypted ballots.

use std::iter::Sum;
use std::ops::Add;
use std::sync::Arc;

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::RistrettoBasepointTable;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};
use subtle::{Choice, ConditionallySelectable};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::encoding::EncodedPoint;
use crate::random::random_scalar;
use crate::{RistrettoPoint, Scalar};

/// The joint election public key K = g^s, with a precomputed table for fast encryption.
#[derive(Clone)]
pub struct PublicKey {
    point: RistrettoPoint,
    compressed: [u8; 32],
    table: Arc<RistrettoBasepointTable>,
}

impl PublicKey {
    /// Wraps a key and precomputes its multiplication table.
    pub fn new(point: RistrettoPoint) -> Self {
        PublicKey {
            point,
            compressed: point.compress().to_bytes(),
            table: Arc::new(RistrettoBasepointTable::create(&point)),
        }
    }

    /// The key as a group element.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The key's canonical encoding.
    pub(crate) fn compressed(&self) -> [u8; 32] {
        self.compressed
    }

    /// K^x, using the precomputed table.
    pub(crate) fn mul(&self, scalar: &Scalar) -> RistrettoPoint {
        &*self.table * scalar
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({})",
            crate::encoding::point_to_hex(&self.point)
        )
    }
}

/// An exponential ElGamal ciphertext (pad, data) = (g^r, g^m · K^r).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Ciphertext {
    /// g^r.
    #[serde(with = "crate::encoding::hex_point")]
    pub pad: RistrettoPoint,
    /// g^m · K^r.
    #[serde(with = "crate::encoding::hex_point")]
    pub data: RistrettoPoint,
}

impl Ciphertext {
    /// The encryption of 0 with nonce 0: the neutral element for sums.
    pub fn zero() -> Self {
        Ciphertext {
            pad: RistrettoPoint::identity(),
            data: RistrettoPoint::identity(),
        }
    }
}

impl Add for Ciphertext {
    type Output = Ciphertext;

    fn add(self, other: Ciphertext) -> Ciphertext {
        Ciphertext {
            pad: self.pad + other.pad,
            data: self.data + other.data,
        }
    }
}

impl Sum for Ciphertext {
    fn sum<I: Iterator<Item = Ciphertext>>(iter: I) -> Ciphertext {
        iter.fold(Ciphertext::zero(), Add::add)
    }
}

/// A ciphertext together with the canonical encodings of its two points. Proof statements and
/// ballot hashes need those encodings; keeping the ones read from a record saves compressing
/// every point again (which costs as much as decoding it). Serializes exactly like
/// [`Ciphertext`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct EncodedCiphertext {
    /// g^r.
    pub pad: EncodedPoint,
    /// g^m · K^r.
    pub data: EncodedPoint,
}

impl EncodedCiphertext {
    /// The ciphertext's points.
    pub fn ciphertext(&self) -> Ciphertext {
        Ciphertext {
            pad: *self.pad.point(),
            data: *self.data.point(),
        }
    }
}

impl From<Ciphertext> for EncodedCiphertext {
    fn from(ct: Ciphertext) -> Self {
        EncodedCiphertext {
            pad: EncodedPoint::new(ct.pad),
            data: EncodedPoint::new(ct.data),
        }
    }
}

/// A ciphertext as the statement of a proof: its points and their canonical encodings.
/// Implemented by [`Ciphertext`] (which compresses its points when asked) and by
/// [`EncodedCiphertext`] (which already has them).
pub trait CiphertextStatement {
    /// The ciphertext's points.
    fn ciphertext(&self) -> Ciphertext;
    /// The canonical encodings of pad and data.
    fn encodings(&self) -> [[u8; 32]; 2];
}

impl CiphertextStatement for Ciphertext {
    fn ciphertext(&self) -> Ciphertext {
        *self
    }

    fn encodings(&self) -> [[u8; 32]; 2] {
        [
            self.pad.compress().to_bytes(),
            self.data.compress().to_bytes(),
        ]
    }
}

impl CiphertextStatement for EncodedCiphertext {
    fn ciphertext(&self) -> Ciphertext {
        EncodedCiphertext::ciphertext(self)
    }

    fn encodings(&self) -> [[u8; 32]; 2] {
        [*self.pad.as_bytes(), *self.data.as_bytes()]
    }
}

/// An encryption nonce r. It is zeroized when dropped: whoever holds it can open the ciphertext.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Nonce(Scalar);

impl Nonce {
    /// A fresh nonce from the OS.
    pub fn random() -> Self {
        Nonce(random_scalar())
    }

    /// Wraps a known scalar (for opening challenged ballots and for known-answer tests).
    pub fn from_scalar(scalar: Scalar) -> Self {
        Nonce(scalar)
    }

    /// The nonce as a scalar.
    pub fn scalar(&self) -> &Scalar {
        &self.0
    }
}

impl Add<&Nonce> for &Nonce {
    type Output = Nonce;

    fn add(self, other: &Nonce) -> Nonce {
        Nonce(self.0 + other.0)
    }
}

/// g^m. Ballot options encrypt 0 or 1, so those are selected in constant time without a
/// multiplication; larger messages (never a secret choice) use the base point table.
fn message_point(message: u64) -> RistrettoPoint {
    if message <= 1 {
        RistrettoPoint::conditional_select(
            &RistrettoPoint::identity(),
            &RISTRETTO_BASEPOINT_POINT,
            Choice::from(message as u8),
        )
    } else {
        RISTRETTO_BASEPOINT_TABLE * &Scalar::from(message)
    }
}

/// Encrypts `message` under `pk` with `nonce`.
pub fn encrypt(pk: &PublicKey, message: u64, nonce: &Nonce) -> Ciphertext {
    let r = nonce.scalar();
    Ciphertext {
        pad: RISTRETTO_BASEPOINT_TABLE * r,
        data: message_point(message) + pk.mul(r),
    }
}

/// Whether `ct` is the encryption of `message` under `pk` with the disclosed `nonce`: how anyone
/// checks a challenged (Benaloh) ballot.
pub fn opens_to(pk: &PublicKey, ct: &Ciphertext, message: u64, nonce: &Scalar) -> bool {
    encrypt(pk, message, &Nonce::from_scalar(*nonce)) == *ct
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decrypt_to_point(secret: &Scalar, ct: &Ciphertext) -> RistrettoPoint {
        ct.data - ct.pad * secret
    }

    proptest! {
        #[test]
        fn encryption_is_additive(a in 0u64..4, b in 0u64..1000) {
            let secret = random_scalar();
            let pk = PublicKey::new(RISTRETTO_BASEPOINT_POINT * secret);
            let (na, nb) = (Nonce::random(), Nonce::random());
            let sum = encrypt(&pk, a, &na) + encrypt(&pk, b, &nb);
            prop_assert_eq!(decrypt_to_point(&secret, &sum), RISTRETTO_BASEPOINT_POINT * Scalar::from(a + b));
            prop_assert_eq!(sum, encrypt(&pk, a + b, &(&na + &nb)));
            prop_assert!(opens_to(&pk, &encrypt(&pk, a, &na), a, na.scalar()));
            prop_assert!(!opens_to(&pk, &encrypt(&pk, a, &na), a + 1, na.scalar()));
        }
    }

    #[test]
    fn serde_round_trip_validates_points() {
        let pk = PublicKey::new(RISTRETTO_BASEPOINT_POINT * random_scalar());
        let ct = encrypt(&pk, 1, &Nonce::random());
        let json = serde_json::to_string(&ct).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Ciphertext>(&json).ok(), Some(ct));
        let zero = serde_json::to_string(&Ciphertext::zero()).unwrap_or_default();
        assert!(serde_json::from_str::<Ciphertext>(&zero).is_err());
    }
}
