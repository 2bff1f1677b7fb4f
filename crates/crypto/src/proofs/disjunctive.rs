//! Disjunctive Chaum–Pedersen proofs that a ciphertext encrypts one of a range of integers.
//!
//! For a ciphertext (α, β) = (g^r, g^v·K^r) and a range [min, max], the proof holds, for every
//! m in the range, commitments (a_m, b_m), a challenge c_m and a response v_m such that
//!
//! ```text
//! g^{v_m} = a_m · α^{c_m}        K^{v_m} = b_m · (β / g^m)^{c_m}        Σ c_m = H(statement)
//! ```
//!
//! Only the branch m = v can be answered honestly; every other branch is simulated. The prover
//! computes every branch with the same constant-time operations (which branch is real is the
//! vote), using its knowledge of r to replace α^c and K^r by fixed-base multiplications.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::BatchVerifier;
use crate::elgamal::{CiphertextStatement, Nonce, PublicKey};
use crate::encoding::EncodedPoint;
use crate::hash::Digest;
use crate::random::random_scalar;
use crate::transcript::Transcript;
use crate::{CryptoError, Scalar};

/// The largest number of branches a range proof may have; it bounds a verifier's work.
pub const MAX_RANGE_BRANCHES: u64 = 256;

const ZERO_ONE_DOMAIN: &str = "fairtally/proof/zero-one/v1";
const RANGE_DOMAIN: &str = "fairtally/proof/range/v1";

/// The branches of a disjunctive proof, in order of the value they stand for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Disjunction {
    /// a_m and b_m of each branch, interleaved: a_min, b_min, a_min+1, b_min+1, …
    commitments: Vec<EncodedPoint>,
    /// c_m of each branch.
    #[serde(with = "crate::encoding::hex_scalars")]
    challenges: Vec<Scalar>,
    /// v_m of each branch.
    #[serde(with = "crate::encoding::hex_scalars")]
    responses: Vec<Scalar>,
}

/// The statement of a disjunctive proof: which ciphertext, under which key, in which range.
struct Statement<'a, C: CiphertextStatement + ?Sized> {
    domain: &'static str,
    context: &'a Digest,
    binding: &'a [u8],
    pk: &'a PublicKey,
    ct: &'a C,
    min: u64,
    max: u64,
}

impl<'a, C: CiphertextStatement + ?Sized> Statement<'a, C> {
    fn new(
        domain: &'static str,
        context: &'a Digest,
        binding: &'a [u8],
        pk: &'a PublicKey,
        ct: &'a C,
        [min, max]: [u64; 2],
    ) -> Self {
        Statement {
            domain,
            context,
            binding,
            pk,
            ct,
            min,
            max,
        }
    }

    fn branches(&self) -> Result<u64, CryptoError> {
        if self.max < self.min || self.max - self.min >= MAX_RANGE_BRANCHES {
            return Err(CryptoError::InvalidRange {
                min: self.min,
                max: self.max,
            });
        }
        Ok(self.max - self.min + 1)
    }

    fn challenge(&self, commitments: &[EncodedPoint]) -> Scalar {
        let mut t = Transcript::new(self.domain, self.context);
        t.append_bytes("binding", self.binding);
        t.append_u64("min", self.min);
        t.append_u64("max", self.max);
        t.append_bytes("key", &self.pk.compressed());
        let [pad, data] = self.ct.encodings();
        t.append_bytes("pad", &pad);
        t.append_bytes("data", &data);
        for commitment in commitments {
            t.append_bytes("commitment", commitment.as_bytes());
        }
        t.challenge_scalar("challenge")
    }

    fn prove(&self, value: u64, nonce: &Nonce) -> Result<Disjunction, CryptoError> {
        let branches = self.branches()?;
        if value < self.min || value > self.max {
            return Err(CryptoError::OutOfRange {
                value,
                min: self.min,
                max: self.max,
            });
        }
        Ok(self.prove_in_range(branches, value, nonce))
    }

    /// Proves a value already known to lie in a valid range of `branches` values.
    fn prove_in_range(&self, branches: u64, value: u64, nonce: &Nonce) -> Disjunction {
        let r = nonce.scalar();
        let v = Scalar::from(value);
        // Per branch: simulated challenge (0 on the real branch) and response-or-witness.
        let mut sim_challenges = Vec::with_capacity(branches as usize);
        let mut responses = Vec::with_capacity(branches as usize);
        let mut commitments = Vec::with_capacity(2 * branches as usize);
        let mut real = Vec::with_capacity(branches as usize);
        for m in self.min..=self.max {
            let is_real = m.ct_eq(&value);
            let c = Scalar::conditional_select(&random_scalar(), &Scalar::ZERO, is_real);
            let x = random_scalar();
            // a = g^{x - c·r} = g^x · α^{-c};  b = K^{x - c·r} · g^{-c·(v-m)} = K^x · (β/g^m)^{-c}.
            let exponent = x - c * r;
            commitments.push(EncodedPoint::new(RISTRETTO_BASEPOINT_TABLE * &exponent));
            commitments.push(EncodedPoint::new(
                self.pk.mul(&exponent) - RISTRETTO_BASEPOINT_TABLE * &(c * (v - Scalar::from(m))),
            ));
            sim_challenges.push(c);
            responses.push(x);
            real.push(is_real);
        }
        let total = self.challenge(&commitments);
        let real_challenge = total - sim_challenges.iter().sum::<Scalar>();
        let challenges = sim_challenges
            .iter()
            .zip(&real)
            .map(|(c, is_real)| Scalar::conditional_select(c, &real_challenge, *is_real))
            .collect();
        for (response, is_real) in responses.iter_mut().zip(&real) {
            let honest = *response + real_challenge * r;
            *response = Scalar::conditional_select(response, &honest, *is_real);
        }
        Disjunction {
            commitments,
            challenges,
            responses,
        }
    }

    fn verify_batched(
        &self,
        proof: &Disjunction,
        batch: &mut BatchVerifier,
    ) -> Result<(), CryptoError> {
        let branches = self.branches()? as usize;
        if proof.challenges.len() != branches
            || proof.responses.len() != branches
            || proof.commitments.len() != 2 * branches
        {
            return Err(CryptoError::MalformedProof {
                proof: self.domain,
                reason: format!(
                    "expected {branches} branches, found {} challenges, {} responses and {} commitments",
                    proof.challenges.len(),
                    proof.responses.len(),
                    proof.commitments.len()
                ),
            });
        }
        if proof.challenges.iter().sum::<Scalar>() != self.challenge(&proof.commitments) {
            return Err(CryptoError::ProofFailed(self.domain));
        }
        // Σ_m z_m (v_m g - a_m - c_m α) + z'_m (v_m K - b_m - c_m β + c_m m g) = 0
        let (mut pad, mut data) = (Scalar::ZERO, Scalar::ZERO);
        for (i, m) in (self.min..=self.max).enumerate() {
            let (c, v) = (proof.challenges[i], proof.responses[i]);
            let (z, z2) = (batch.weight(), batch.weight());
            batch.add_base(z * v + z2 * c * Scalar::from(m));
            batch.add_key(self.pk, z2 * v);
            batch.add_term(-z, *proof.commitments[2 * i].point());
            batch.add_term(-z2, *proof.commitments[2 * i + 1].point());
            pad -= z * c;
            data -= z2 * c;
        }
        let ct = self.ct.ciphertext();
        batch.add_term(pad, ct.pad);
        batch.add_term(data, ct.data);
        Ok(())
    }
}

/// Proof that a ciphertext encrypts 0 or 1: one option of a ballot is either marked or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZeroOneProof(Disjunction);

impl ZeroOneProof {
    /// Proves that `ct = encrypt(pk, vote, nonce)` encrypts 0 or 1.
    pub fn prove(
        context: &Digest,
        binding: &[u8],
        pk: &PublicKey,
        ct: &(impl CiphertextStatement + ?Sized),
        vote: bool,
        nonce: &Nonce,
    ) -> Self {
        // A bool always lies in the valid range [0, 1] of two branches.
        ZeroOneProof(
            Statement::new(ZERO_ONE_DOMAIN, context, binding, pk, ct, [0, 1]).prove_in_range(
                2,
                u64::from(vote),
                nonce,
            ),
        )
    }

    /// Verifies the proof on its own.
    pub fn verify(
        &self,
        context: &Digest,
        binding: &[u8],
        pk: &PublicKey,
        ct: &(impl CiphertextStatement + ?Sized),
    ) -> Result<(), CryptoError> {
        let mut batch = BatchVerifier::new();
        self.verify_batched(context, binding, pk, ct, &mut batch)?;
        batch.verify_single(ZERO_ONE_DOMAIN)
    }

    /// Checks the challenge now and queues the group equations in `batch`.
    pub fn verify_batched(
        &self,
        context: &Digest,
        binding: &[u8],
        pk: &PublicKey,
        ct: &(impl CiphertextStatement + ?Sized),
        batch: &mut BatchVerifier,
    ) -> Result<(), CryptoError> {
        Statement::new(ZERO_ONE_DOMAIN, context, binding, pk, ct, [0, 1])
            .verify_batched(&self.0, batch)
    }
}

/// Proof that a ciphertext encrypts an integer in `[min, max]`: the number of options marked in
/// a contest lies within its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RangeProof(Disjunction);

impl RangeProof {
    /// Proves that `ct = encrypt(pk, value, nonce)` with `min <= value <= max`. Fails if the
    /// value is outside the range or the range is wider than [`MAX_RANGE_BRANCHES`].
    #[allow(clippy::too_many_arguments)]
    pub fn prove(
        context: &Digest,
        binding: &[u8],
        pk: &PublicKey,
        ct: &(impl CiphertextStatement + ?Sized),
        value: u64,
        nonce: &Nonce,
        min: u64,
        max: u64,
    ) -> Result<Self, CryptoError> {
        Statement::new(RANGE_DOMAIN, context, binding, pk, ct, [min, max])
            .prove(value, nonce)
            .map(RangeProof)
    }

    /// Verifies the proof on its own.
    pub fn verify(
        &self,
        context: &Digest,
        binding: &[u8],
        pk: &PublicKey,
        ct: &(impl CiphertextStatement + ?Sized),
        min: u64,
        max: u64,
    ) -> Result<(), CryptoError> {
        let mut batch = BatchVerifier::new();
        self.verify_batched(context, binding, pk, ct, min, max, &mut batch)?;
        batch.verify_single(RANGE_DOMAIN)
    }

    /// Checks the challenge now and queues the group equations in `batch`.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_batched(
        &self,
        context: &Digest,
        binding: &[u8],
        pk: &PublicKey,
        ct: &(impl CiphertextStatement + ?Sized),
        min: u64,
        max: u64,
        batch: &mut BatchVerifier,
    ) -> Result<(), CryptoError> {
        Statement::new(RANGE_DOMAIN, context, binding, pk, ct, [min, max])
            .verify_batched(&self.0, batch)
    }
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use proptest::prelude::*;

    use super::*;
    use crate::elgamal::{Ciphertext, EncodedCiphertext, encrypt};
    use crate::hash::hash_parts;

    fn setup() -> (Digest, PublicKey) {
        let context = hash_parts("test", &[b"election"]);
        let pk = PublicKey::new(RISTRETTO_BASEPOINT_POINT * random_scalar());
        (context, pk)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn range_proofs_round_trip(min in 0u64..5, width in 0u64..5, offset in 0u64..5) {
            let (context, pk) = setup();
            let max = min + width;
            let value = min + offset.min(width);
            let nonce = Nonce::random();
            let ct = encrypt(&pk, value, &nonce);
            let proof = RangeProof::prove(&context, b"b", &pk, &ct, value, &nonce, min, max)?;
            prop_assert_eq!(proof.verify(&context, b"b", &pk, &ct, min, max), Ok(()));
            // The proof is bound to its range, its binding and its ciphertext.
            prop_assert!(proof.verify(&context, b"b", &pk, &ct, min, max + 1).is_err());
            prop_assert!(proof.verify(&context, b"c", &pk, &ct, min, max).is_err());
            let other = encrypt(&pk, value, &Nonce::random());
            prop_assert!(proof.verify(&context, b"b", &pk, &other, min, max).is_err());
        }

        #[test]
        fn zero_one_round_trip(vote in any::<bool>()) {
            let (context, pk) = setup();
            let nonce = Nonce::random();
            let ct = encrypt(&pk, u64::from(vote), &nonce);
            let proof = ZeroOneProof::prove(&context, b"b", &pk, &ct, vote, &nonce);
            prop_assert_eq!(proof.verify(&context, b"b", &pk, &ct), Ok(()));
            let json = serde_json::to_string(&proof).unwrap_or_default();
            let back: ZeroOneProof = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &proof);
            // A ciphertext read with its encodings is the same statement.
            let ct_json = serde_json::to_string(&ct).unwrap_or_default();
            let encoded: EncodedCiphertext = serde_json::from_str(&ct_json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(encoded.ciphertext(), ct);
            prop_assert_eq!(proof.verify(&context, b"b", &pk, &encoded), Ok(()));
        }
    }

    #[test]
    fn an_encryption_of_two_cannot_pass_as_zero_or_one() {
        let (context, pk) = setup();
        let nonce = Nonce::random();
        let ct = encrypt(&pk, 2, &nonce);
        // A cheating prover runs the honest algorithm claiming 1 (or 0): the proof fails.
        for claim in [false, true] {
            let proof = ZeroOneProof::prove(&context, b"b", &pk, &ct, claim, &nonce);
            assert_eq!(
                proof.verify(&context, b"b", &pk, &ct),
                Err(CryptoError::ProofFailed(ZERO_ONE_DOMAIN))
            );
        }
        assert_eq!(
            RangeProof::prove(&context, b"b", &pk, &ct, 2, &nonce, 0, 1),
            Err(CryptoError::OutOfRange {
                value: 2,
                min: 0,
                max: 1
            })
        );
        assert!(matches!(
            RangeProof::prove(&context, b"b", &pk, &ct, 2, &nonce, 3, 1),
            Err(CryptoError::InvalidRange { .. })
        ));
    }

    #[test]
    fn every_mutated_field_is_rejected() {
        let (context, pk) = setup();
        let nonce = Nonce::random();
        let ct = encrypt(&pk, 1, &nonce);
        let proof = ZeroOneProof::prove(&context, b"b", &pk, &ct, true, &nonce);
        let g = RISTRETTO_BASEPOINT_POINT;
        for i in 0..4 {
            let mut bad = proof.clone();
            bad.0.commitments[i] = EncodedPoint::new(bad.0.commitments[i].point() + g);
            assert!(
                bad.verify(&context, b"b", &pk, &ct).is_err(),
                "commitment {i}"
            );
        }
        for i in 0..2 {
            let mut bad = proof.clone();
            bad.0.challenges[i] += Scalar::ONE;
            assert!(
                bad.verify(&context, b"b", &pk, &ct).is_err(),
                "challenge {i}"
            );
            let mut bad = proof.clone();
            bad.0.responses[i] += Scalar::ONE;
            assert!(
                bad.verify(&context, b"b", &pk, &ct).is_err(),
                "response {i}"
            );
        }
        let mut short = proof.clone();
        short.0.responses.pop();
        assert!(matches!(
            short.verify(&context, b"b", &pk, &ct),
            Err(CryptoError::MalformedProof { .. })
        ));
    }

    #[test]
    fn batches_find_one_bad_proof_among_many() {
        let (context, pk) = setup();
        let mut items = Vec::new();
        for i in 0..20u64 {
            let nonce = Nonce::random();
            let ct = encrypt(&pk, i % 2, &nonce);
            items.push((
                ct,
                ZeroOneProof::prove(&context, b"b", &pk, &ct, i % 2 == 1, &nonce),
            ));
        }
        let check = |items: &[(Ciphertext, ZeroOneProof)]| {
            let mut batch = BatchVerifier::new();
            for (ct, proof) in items {
                proof.verify_batched(&context, b"b", &pk, ct, &mut batch)?;
            }
            batch.verify()
        };
        assert_eq!(check(&items), Ok(()));
        // A cheating proof for an encryption of 2 passes the challenge check (the prover hashed
        // honestly) and fails only in the batched group equations.
        let nonce = Nonce::random();
        let two = encrypt(&pk, 2, &nonce);
        items[7] = (
            two,
            ZeroOneProof::prove(&context, b"b", &pk, &two, true, &nonce),
        );
        assert_eq!(check(&items), Err(CryptoError::BatchFailed));
    }
}
