//! Observation items on the public bulletin board.
//!
//! Every signed item of a store (accreditations and protocols) becomes one board entry whose
//! kind is the item's ([`ObservationItem::kind`]) and whose body is its canonical bytes, so
//! that it is timestamped by a checkpoint and cannot be altered or withdrawn quietly. The board
//! stores identical entries once: posting a store again, or two copies of the same outbox,
//! adds nothing, and nothing prepared offline is lost as long as its store is posted once.

use fairtally_board::board::Board;
use fairtally_board::checkpoint::SignedCheckpoint;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::note::NoteSigner;

use crate::error::ObserveError;
use crate::signed::ObservationItem;
use crate::store::{Items, Store};

/// The board entry of an observation item.
pub fn board_entry(item: &ObservationItem) -> Result<Entry, ObserveError> {
    Ok(Entry::new(
        EntryKind::new(item.kind())?,
        item.canonical_bytes(),
    )?)
}

/// What posting a store did.
#[derive(Debug)]
pub struct Posted {
    /// Items posted (their signatures verify).
    pub items: usize,
    /// Of them, items that were not on the board yet.
    pub new_items: usize,
    /// The checkpoint signed after posting.
    pub checkpoint: SignedCheckpoint,
    /// Files of the store that were not posted, each with the reason: unreadable, or a
    /// signature that does not verify.
    pub refused: Vec<ObserveError>,
}

/// Appends every item of `store` whose signatures verify ([`ObservationItem::verify_signatures`])
/// to `board` in one durable batch, signs a checkpoint with `operator` and publishes the
/// board's static files. Unreadable items and items whose signatures fail are left out and
/// listed in [`Posted::refused`]; they never reach the board, where they could not be removed.
pub fn post_store(
    store: &Store,
    board: &mut Board,
    operator: &NoteSigner,
) -> Result<Posted, ObserveError> {
    let Items {
        items,
        unreadable: mut refused,
    } = store.items()?;
    let mut entries = Vec::with_capacity(items.len());
    for (digest, item) in &items {
        match item.verify_signatures() {
            Ok(()) => entries.push(board_entry(item)?),
            Err(source) => refused.push(ObserveError::Refused {
                path: store.item_path(digest),
                source: Box::new(source),
            }),
        }
    }
    let appended = board.append_batch(&entries)?;
    let checkpoint = board.sign_checkpoint(operator)?;
    board.publish()?;
    Ok(Posted {
        items: entries.len(),
        new_items: appended.iter().filter(|a| a.new).count(),
        checkpoint,
        refused,
    })
}
