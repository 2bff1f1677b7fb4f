//! Observation items on the public bulletin board.
//!
//! Every signed item of a store (accreditations and protocols) becomes one board entry whose
//! kind is the item's ([`ObservationItem::kind`]) and whose body is its canonical bytes, so
//! that it is timestamped by a checkpoint and cannot be altered or withdrawn quietly. The board
//! stores identical entries once: posting a store again, or two copies of the same outbox,
//! adds nothing, and nothing prepared offline is lost as long as its store is posted once.

use ed25519_dalek::VerifyingKey;
use fairtally_board::board::Board;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::note::NoteSigner;
use fairtally_board::post::Posted;

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
pub struct StorePost {
    /// The board's account of the post: items handed to it (their signatures verify), of
    /// them the new ones, the checkpoint signed after it.
    pub posted: Posted,
    /// Files of the store that were not posted, each with the reason: unreadable, or a
    /// signature that does not verify.
    pub refused: Vec<ObserveError>,
}

/// Posts every item of `store` whose signatures verify to `board` with [`Board::post`]:
/// durable, one checkpoint signed by `operator`, published. With `trusted`, an item must also
/// be accredited by one of those organisations ([`ObservationItem::verify`]); without, its
/// signatures are checked against the organisation it names
/// ([`ObservationItem::verify_signatures`]). Unreadable items and items that fail are left
/// out and listed in [`StorePost::refused`]; they never reach the board, where they could not
/// be removed.
pub fn post_store(
    store: &Store,
    board: &mut Board,
    operator: &NoteSigner,
    trusted: Option<&[VerifyingKey]>,
) -> Result<StorePost, ObserveError> {
    let Items {
        items,
        unreadable: mut refused,
    } = store.items()?;
    let mut entries = Vec::with_capacity(items.len());
    for (digest, item) in &items {
        let verified = match trusted {
            Some(trusted) => item.verify(trusted),
            None => item.verify_signatures(),
        };
        match verified {
            Ok(()) => entries.push(board_entry(item)?),
            Err(source) => refused.push(ObserveError::Refused {
                path: store.item_path(digest),
                source: Box::new(source),
            }),
        }
    }
    let posted = board.post(entries, operator)?;
    Ok(StorePost { posted, refused })
}
