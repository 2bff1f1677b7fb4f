//! ElectionGuard 2.0 records as electionguard-kotlin-multiplatform writes them (and egk-ec's
//! 2.1 layout), the 2.0 specification's verification steps, numbered as 2.0 numbers them or,
//! for a record in the 2.1 layout, as 2.1 does, and pre-encrypted ballots (V15–V18).

pub mod hash;
pub mod preencryption;
pub mod record;
pub mod verify;
