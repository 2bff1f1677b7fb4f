//! fairtally's public bulletin board: an append-only Merkle transparency log.
//!
//! See `docs/BOARD.md` for the formats.
pub mod board;
pub mod bundle;
pub mod checkpoint;
pub mod entry;
pub mod error;
pub mod hashstore;
pub mod merkle;
pub mod mirror;
pub mod note;
pub mod outbox;
pub mod proof;
pub mod publish;
pub mod tiles;
pub mod witness;

pub use error::BoardError;
