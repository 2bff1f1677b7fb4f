//! fairtally's public bulletin board: an append-only Merkle transparency log with signed and
//! witnessed checkpoints, a static-file public form that any copy mirrors, offline bundles, and
//! an outbox for submissions made offline. The formats are described in `docs/BOARD.md`.
//!
//! - [`merkle`] and [`proof`]: RFC 9162 hashing, inclusion and consistency proofs.
//! - [`note`] and [`checkpoint`]: C2SP signed notes with Ed25519, tlog-checkpoint,
//!   tlog-cosignature, and the [`checkpoint::TrustPolicy`] (operator key, m of n witnesses).
//! - [`entry`]: typed, size-limited entries and their leaf encoding.
//! - [`board`]: the durable store ([`board::Board`], in SQLite or PostgreSQL, see [`store`])
//!   with group-commit appends and de-duplication; [`post`] is the one way to post entries (append, sign, publish); [`group`] shares one board among threads with group commit;
//!   [`hashstore`] keeps its tree; [`publish`] writes its static files.
//! - [`mirror`]: reads a copy of the static files alone: proofs and the [`audit`] of every
//!   file against the signed root; [`layout`] names the files and caps their sizes.
//! - [`bundle`], [`witness`], [`outbox`]: offline transport, witnessing, offline submissions.
//!
//! ```no_run
//! # fn main() -> Result<(), fairtally_board::BoardError> {
//! use fairtally_board::board::Board;
//! use fairtally_board::checkpoint::TrustPolicy;
//! use fairtally_board::entry::{Entry, EntryKind};
//! use fairtally_board::mirror::Mirror;
//! use fairtally_board::note::{KeyRole, NoteSigner};
//!
//! let operator = NoteSigner::generate("board.example.org/election-2026", KeyRole::Operator)?;
//! let policy = TrustPolicy::operator_only(operator.verifier());
//! let mut board = Board::create("board".as_ref(), &policy)?;
//! let ballot = Entry::new(EntryKind::new("election/ballot")?, b"canonical bytes".to_vec())?;
//! let acks = board.append_batch(std::slice::from_ref(&ballot))?; // durable once this returns
//! board.sign_checkpoint(&operator)?;
//! board.publish()?; // board/public/ is now a complete static mirror
//!
//! // Anyone with a copy of board/public and the operator's key:
//! let mut mirror = Mirror::open("board/public".as_ref(), &policy)?;
//! let inclusion = mirror.prove(&ballot)?;
//! assert_eq!(inclusion.index, acks[0].index);
//! # Ok(())
//! # }
//! ```

pub mod audit;
pub mod board;
pub mod bundle;
pub mod checkpoint;
pub mod entry;
pub mod error;
pub mod group;
pub mod hashstore;
pub mod layout;
pub mod merkle;
pub mod mirror;
pub mod note;
pub mod outbox;
pub mod post;
pub mod proof;
pub mod publish;
pub mod store;
pub mod tiles;
pub mod witness;

pub use error::BoardError;
