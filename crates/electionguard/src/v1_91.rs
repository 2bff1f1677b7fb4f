//! The 1.91 record of the specification's samples (written by electionguard-core2): 1.x files
//! and JSON shapes, ElectionGuard 2.0 equations, the 1.x text hash at full width.

pub mod record;
pub mod verify;
