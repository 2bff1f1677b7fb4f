//! Batch verification of group equations by one multiscalar multiplication.

use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_core::Rng as _;

use crate::elgamal::PublicKey;
use crate::random::os_rng;
use crate::{CryptoError, RistrettoPoint, Scalar};

/// A batch of group equations `Σ sᵢ·Pᵢ = 0`, each scaled by a secret random weight, checked
/// together by one multiscalar multiplication.
///
/// Coefficients of the base point and of election keys are merged, so they cost one term each
/// however many proofs the batch holds. The weights come from a ChaCha generator seeded by the
/// OS, so a prover cannot predict them.
pub struct BatchVerifier {
    rng: StdRng,
    base: Scalar,
    keys: Vec<([u8; 32], RistrettoPoint, Scalar)>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Default for BatchVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchVerifier {
    /// An empty batch.
    pub fn new() -> Self {
        BatchVerifier {
            rng: StdRng::from_rng(&mut os_rng()),
            base: Scalar::ZERO,
            keys: Vec::new(),
            scalars: Vec::new(),
            points: Vec::new(),
        }
    }

    /// The number of variable points queued so far (a measure of the work `verify` will do).
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing has been queued.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.keys.is_empty() && self.base == Scalar::ZERO
    }

    /// A fresh random 128-bit weight for one equation.
    pub(crate) fn weight(&mut self) -> Scalar {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        Scalar::from(u128::from_le_bytes(bytes))
    }

    /// Adds `scalar · g` to the pending sum.
    pub(crate) fn add_base(&mut self, scalar: Scalar) {
        self.base += scalar;
    }

    /// Adds `scalar · K` for an election key, merged with earlier terms of the same key.
    pub(crate) fn add_key(&mut self, key: &PublicKey, scalar: Scalar) {
        let encoded = key.compressed();
        match self.keys.iter_mut().find(|(bytes, _, _)| *bytes == encoded) {
            Some((_, _, total)) => *total += scalar,
            None => self.keys.push((encoded, *key.point(), scalar)),
        }
    }

    /// Adds `scalar · point` to the pending sum.
    pub(crate) fn add_term(&mut self, scalar: Scalar, point: RistrettoPoint) {
        self.scalars.push(scalar);
        self.points.push(point);
    }

    /// Checks every queued equation at once.
    pub fn verify(self) -> Result<(), CryptoError> {
        if self.is_empty() {
            return Ok(());
        }
        let base = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
        let scalars = self
            .scalars
            .iter()
            .chain(self.keys.iter().map(|(_, _, s)| s))
            .chain(std::iter::once(&self.base));
        let points = self
            .points
            .iter()
            .chain(self.keys.iter().map(|(_, p, _)| p))
            .chain(std::iter::once(&base));
        if RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity() {
            Ok(())
        } else {
            Err(CryptoError::BatchFailed)
        }
    }

    /// Verifies a batch holding one proof, naming that proof's kind on failure.
    pub(crate) fn verify_single(self, kind: &'static str) -> Result<(), CryptoError> {
        self.verify().map_err(|_| CryptoError::ProofFailed(kind))
    }
}
