//! The crate's error type.

/// Why a cryptographic object was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A point or scalar encoding had the wrong length.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// The required number of bytes.
        expected: usize,
        /// The number of bytes given.
        found: usize,
    },
    /// Text that should be hexadecimal was not.
    #[error("not lowercase hexadecimal: {0}")]
    Hex(String),
    /// Bytes that are not the canonical encoding of a ristretto255 point.
    #[error("not a canonical ristretto255 point encoding")]
    InvalidPoint,
    /// The identity point, which no valid key, ciphertext or commitment may be.
    #[error("the identity point is not allowed here")]
    IdentityPoint,
    /// Bytes that are not the canonical encoding of a scalar (they are not reduced mod ℓ).
    #[error("not a canonical scalar encoding (not reduced modulo the group order)")]
    InvalidScalar,
    /// A zero-knowledge proof whose equations do not hold.
    #[error("the {0} proof does not verify")]
    ProofFailed(&'static str),
    /// A batch of proofs in which at least one group equation does not hold; verify the
    /// proofs one by one to find which.
    #[error("at least one proof in the batch does not verify")]
    BatchFailed,
    /// A proof whose shape does not match its statement (for example the wrong number of branches).
    #[error("the {proof} proof is malformed: {reason}")]
    MalformedProof {
        /// Which kind of proof.
        proof: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value outside the range a range proof was asked to prove.
    #[error("value {value} is outside the range [{min}, {max}]")]
    OutOfRange {
        /// The value.
        value: u64,
        /// The lower bound.
        min: u64,
        /// The upper bound.
        max: u64,
    },
    /// A range whose bounds are reversed or too wide to prove branch by branch.
    #[error("invalid range [{min}, {max}]")]
    InvalidRange {
        /// The lower bound.
        min: u64,
        /// The upper bound.
        max: u64,
    },
    /// Lagrange interpolation over a set of guardians that is not valid.
    #[error("invalid guardian set for interpolation: {0}")]
    InvalidGuardianSet(String),
    /// An encrypted share that does not decrypt under the given key and associated data.
    #[error(
        "the encrypted share does not decrypt (wrong key, wrong context or tampered ciphertext)"
    )]
    ShareDecryption,
}
