//! Schnorr proofs of knowledge of a discrete logarithm.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use serde::{Deserialize, Serialize};

use super::BatchVerifier;
use crate::hash::Digest;
use crate::random::random_scalar;
use crate::transcript::Transcript;
use crate::{CryptoError, RistrettoPoint, Scalar};

const DOMAIN: &str = "fairtally/proof/schnorr/v1";

/// Proof of knowledge of x with X = g^x: `g^response = commitment · X^c`, where c hashes the
/// context, the binding, X and the commitment. Guardians prove each coefficient of their
/// secret polynomial with one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchnorrProof {
    /// h = g^w.
    #[serde(with = "crate::encoding::hex_point")]
    pub commitment: RistrettoPoint,
    /// u = w + c·x.
    #[serde(with = "crate::encoding::hex_scalar")]
    pub response: Scalar,
}

fn challenge(
    context: &Digest,
    binding: &[u8],
    public: &RistrettoPoint,
    commitment: &RistrettoPoint,
) -> Scalar {
    let mut t = Transcript::new(DOMAIN, context);
    t.append_bytes("binding", binding);
    t.append_point("public", public);
    t.append_point("commitment", commitment);
    t.challenge_scalar("challenge")
}

impl SchnorrProof {
    /// Proves knowledge of `secret` with `public = g^secret`.
    pub fn prove(
        context: &Digest,
        binding: &[u8],
        secret: &Scalar,
        public: &RistrettoPoint,
    ) -> Self {
        let w = random_scalar();
        let commitment = RISTRETTO_BASEPOINT_TABLE * &w;
        let c = challenge(context, binding, public, &commitment);
        SchnorrProof {
            commitment,
            response: w + c * secret,
        }
    }

    /// Verifies the proof against `public`.
    pub fn verify(
        &self,
        context: &Digest,
        binding: &[u8],
        public: &RistrettoPoint,
    ) -> Result<(), CryptoError> {
        let c = challenge(context, binding, public, &self.commitment);
        let mut batch = BatchVerifier::new();
        // u·g - h - c·X = 0
        batch.add_base(self.response);
        batch.add_term(-Scalar::ONE, self.commitment);
        batch.add_term(-c, *public);
        batch.verify_single(DOMAIN)
    }
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;

    use super::*;
    use crate::hash::hash_parts;

    #[test]
    fn proves_and_rejects() {
        let context = hash_parts("test", &[b"election"]);
        let x = random_scalar();
        let public = RISTRETTO_BASEPOINT_POINT * x;
        let proof = SchnorrProof::prove(&context, b"guardian 1", &x, &public);
        assert_eq!(proof.verify(&context, b"guardian 1", &public), Ok(()));
        assert!(proof.verify(&context, b"guardian 2", &public).is_err());
        let other = RISTRETTO_BASEPOINT_POINT * random_scalar();
        assert!(proof.verify(&context, b"guardian 1", &other).is_err());
        let mut bad = proof.clone();
        bad.response += Scalar::ONE;
        assert_eq!(
            bad.verify(&context, b"guardian 1", &public),
            Err(CryptoError::ProofFailed(DOMAIN))
        );
    }
}
