//! Non-interactive zero-knowledge proofs (Fiat–Shamir), all verifiable in batches.
//!
//! Every proof's challenge is derived by a [`Transcript`](crate::transcript::Transcript) that
//! absorbs, in order: the proof's own domain separator, the election's base hash (`context`),
//! the caller's `binding` bytes (identifiers that pin the proof to its place, such as a voter's
//! credential, a contest and an option), then the whole statement and the prover's commitments.
//!
//! Verification never trusts the prover's arithmetic: it checks the challenge relation in the
//! scalar field, then queues each group equation, multiplied by a fresh 128-bit random weight,
//! in a [`BatchVerifier`]; one multiscalar multiplication then checks all equations at once.
//! A batch that holds a false equation passes with probability at most 2^-128.

mod batch;
mod decryption;
mod disjunctive;
mod schnorr;

pub use batch::BatchVerifier;
pub use decryption::DecryptionProof;
pub use disjunctive::{RangeProof, ZeroOneProof};
pub use schnorr::SchnorrProof;
