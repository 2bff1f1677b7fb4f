//! Verifiable elections on top of `fairtally-crypto`.
//!
//! - [`manifest`] and [`parameters`]: what is on the ballot; how many guardians, threshold.
//! - [`guardian`] and [`ceremony`]: the key ceremony, step by step over files, with complaints.
//! - [`credential`]: voters' Ed25519 credentials and the public credential list.
//! - [`context`]: the base hash every proof binds, and the joint key.
//! - [`ballot`]: encryption on the device, proofs, signatures, confirmation codes, challenges.
//! - [`ballot_box`]: the authority's ballot box: locked, idempotent, indexed, on the board.
//! - [`tally`]: homomorphic aggregation, decryption shares, Lagrange combination, the result.
//! - [`record`]: the election record's files; [`verifier`]: the independent verifier.
//! - [`simulation`]: a whole election on one machine, for `fairtally demo` and benchmarks.
//!
//! `docs/PROTOCOL.md` specifies every hash, encoding, proof and file.

pub mod authority;
pub mod ballot;
pub mod ballot_box;
pub mod ballot_checker;
pub mod bulletin;
pub mod ceremony;
pub mod check;
pub mod confirmation_code;
pub mod context;
pub mod credential;
mod error;
pub mod guardian;
pub mod manifest;
pub mod parameters;
pub mod progress;
pub mod record;
pub mod record_entries;
pub mod simulation;
pub mod tally;
pub mod verifier;

pub use error::{ElectionError, Result};
