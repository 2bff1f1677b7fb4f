//! electionguard-python 0.95 and 1.x records and the 1.0 specification's verification steps.

pub mod hash;
pub mod manifest_hash;
pub mod record;
pub mod verify;
