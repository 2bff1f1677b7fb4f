//! fairtally's public bulletin board: an append-only Merkle transparency log.
//!
//! See `docs/BOARD.md` for the formats.
pub mod checkpoint;
pub mod entry;
pub mod error;
pub mod merkle;
pub mod note;
pub mod proof;

pub use error::BoardError;
pub mod hashstore;
pub mod tiles;
