//! Cryptographic building blocks of fairtally, on the ristretto255 group.
//!
//! - [`encoding`]: canonical 32-byte encodings of points and scalars, validated on input.
//! - [`hash`] and [`transcript`]: domain-separated hashing and the Fiat–Shamir transcript.
//! - [`elgamal`]: exponential ElGamal under the guardians' joint key.
//! - [`proofs`]: Schnorr, disjunctive Chaum–Pedersen (0/1 and ranges) and decryption proofs,
//!   all verifiable in batches with one multiscalar multiplication.
//! - [`sharing`]: Feldman verifiable secret sharing and Lagrange interpolation.
//! - [`share_transport`]: shares encrypted to their recipient, and publicly checkable complaints.
//! - [`dlog`]: baby-step giant-step discrete logarithms of tally totals.
//!
//! Everything here is a thin composition of audited primitives (curve25519-dalek, sha2, hkdf,
//! chacha20poly1305); `docs/PROTOCOL.md` specifies every encoding and hash input.

pub mod dlog;
pub mod elgamal;
pub mod encoding;
mod error;
pub mod hash;
pub mod proofs;
pub mod random;
pub mod share_transport;
pub mod sharing;
pub mod transcript;

pub use curve25519_dalek::ristretto::RistrettoPoint;
pub use curve25519_dalek::scalar::Scalar;
pub use error::CryptoError;
