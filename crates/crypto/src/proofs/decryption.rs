//! Chaum–Pedersen proofs of equal discrete logarithms (correct partial decryption).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use serde::{Deserialize, Serialize};

use super::BatchVerifier;
use crate::hash::Digest;
use crate::random::random_scalar;
use crate::transcript::Transcript;
use crate::{CryptoError, RistrettoPoint, Scalar};

const DOMAIN: &str = "fairtally/proof/decryption/v1";

/// Proof that `log_g(public_share) = log_pad(partial)`: a guardian's partial decryption
/// `partial = pad^s` of a ciphertext uses the same secret s as its public share `g^s`.
///
/// Equations: `g^v = a · public_share^c` and `pad^v = b · partial^c`, with c hashing the context,
/// the binding, the public share, the pad, the partial decryption and the commitments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptionProof {
    /// a = g^w.
    #[serde(with = "crate::encoding::hex_point")]
    pub commitment_base: RistrettoPoint,
    /// b = pad^w.
    #[serde(with = "crate::encoding::hex_point")]
    pub commitment_pad: RistrettoPoint,
    /// v = w + c·s.
    #[serde(with = "crate::encoding::hex_scalar")]
    pub response: Scalar,
}

fn challenge(
    context: &Digest,
    binding: &[u8],
    statement: [&RistrettoPoint; 3],
    a: &RistrettoPoint,
    b: &RistrettoPoint,
) -> Scalar {
    let mut t = Transcript::new(DOMAIN, context);
    t.append_bytes("binding", binding);
    let [public_share, pad, partial] = statement;
    t.append_point("public-share", public_share);
    t.append_point("pad", pad);
    t.append_point("partial", partial);
    t.append_point("commitment-base", a);
    t.append_point("commitment-pad", b);
    t.challenge_scalar("challenge")
}

impl DecryptionProof {
    /// Proves that `partial = pad^secret` for the secret behind the public share `g^secret`.
    pub fn prove(
        context: &Digest,
        binding: &[u8],
        secret: &Scalar,
        pad: &RistrettoPoint,
        partial: &RistrettoPoint,
    ) -> Self {
        let public_share = RISTRETTO_BASEPOINT_TABLE * secret;
        let w = random_scalar();
        let a = RISTRETTO_BASEPOINT_TABLE * &w;
        let b = pad * w;
        let c = challenge(context, binding, [&public_share, pad, partial], &a, &b);
        DecryptionProof {
            commitment_base: a,
            commitment_pad: b,
            response: w + c * secret,
        }
    }

    /// Verifies the proof for the statement (public share, pad, partial).
    pub fn verify(
        &self,
        context: &Digest,
        binding: &[u8],
        public_share: &RistrettoPoint,
        pad: &RistrettoPoint,
        partial: &RistrettoPoint,
    ) -> Result<(), CryptoError> {
        let (a, b) = (&self.commitment_base, &self.commitment_pad);
        let c = challenge(context, binding, [public_share, pad, partial], a, b);
        let mut batch = BatchVerifier::new();
        let z = batch.weight();
        // (v·g - a - c·X) + z·(v·pad - b - c·partial) = 0
        batch.add_base(self.response);
        batch.add_term(-Scalar::ONE, *a);
        batch.add_term(-c, *public_share);
        batch.add_term(z * self.response, *pad);
        batch.add_term(-z, *b);
        batch.add_term(-z * c, *partial);
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
        let s = random_scalar();
        let public = RISTRETTO_BASEPOINT_POINT * s;
        let pad = RISTRETTO_BASEPOINT_POINT * random_scalar();
        let partial = pad * s;
        let proof = DecryptionProof::prove(&context, b"g1", &s, &pad, &partial);
        assert_eq!(
            proof.verify(&context, b"g1", &public, &pad, &partial),
            Ok(())
        );
        let wrong_partial = partial + RISTRETTO_BASEPOINT_POINT;
        assert!(
            proof
                .verify(&context, b"g1", &public, &pad, &wrong_partial)
                .is_err()
        );
        // An honest-looking proof for a wrong partial decryption does not verify either.
        let forged = DecryptionProof::prove(&context, b"g1", &s, &pad, &wrong_partial);
        assert_eq!(
            forged.verify(&context, b"g1", &public, &pad, &wrong_partial),
            Err(CryptoError::ProofFailed(DOMAIN))
        );
        assert!(
            proof
                .verify(&context, b"g2", &public, &pad, &partial)
                .is_err()
        );
    }
}
