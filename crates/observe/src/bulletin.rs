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
use crate::store::Store;

/// The board entry of an observation item.
pub fn board_entry(item: &ObservationItem) -> Result<Entry, ObserveError> {
    Ok(Entry::new(
        EntryKind::new(item.kind())?,
        item.canonical_bytes(),
    )?)
}

/// What posting a store did.
#[derive(Clone, Debug)]
pub struct Posted {
    /// Items in the store.
    pub items: usize,
    /// Of them, items that were not on the board yet.
    pub new_items: usize,
    /// The checkpoint signed after posting.
    pub checkpoint: SignedCheckpoint,
}

/// Appends every item of `store` to `board` in one durable batch, signs a checkpoint with
/// `operator` and publishes the board's static files.
pub fn post_store(
    store: &Store,
    board: &mut Board,
    operator: &NoteSigner,
) -> Result<Posted, ObserveError> {
    let entries = store
        .items()?
        .iter()
        .map(|(_, item)| board_entry(item))
        .collect::<Result<Vec<_>, _>>()?;
    let appended = board.append_batch(&entries)?;
    let checkpoint = board.sign_checkpoint(operator)?;
    board.publish()?;
    Ok(Posted {
        items: entries.len(),
        new_items: appended.iter().filter(|a| a.new).count(),
        checkpoint,
    })
}
