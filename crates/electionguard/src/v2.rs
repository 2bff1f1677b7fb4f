//! ElectionGuard 2.0 records as electionguard-kotlin-multiplatform writes them, and the 2.0
//! specification's verification steps.

pub mod hash;
pub mod preencryption;
pub mod record;
pub mod verify;
