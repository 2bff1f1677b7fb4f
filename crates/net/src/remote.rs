//! A board served over HTTP in the C2SP tlog-tiles layout, read a file at a time: its
//! checkpoint (verified under the reader's trust policy before anything else is believed) and
//! inclusion proofs built from the few hash tiles they need.
//!
//! A tile read on its own proves nothing; an inclusion proof built from tiles does once it
//! leads to the root of a checkpoint that verified, which [`RemoteBoard::prove`] checks before
//! it returns.

use std::collections::{BTreeSet, HashMap};

use fairtally_board::BoardError;
use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::layout::{CHECKPOINT_FILE, MAX_NOTE_LEN, MAX_TILE_LEN};
use fairtally_board::merkle::{Frontier, HASH_LEN, Hash, NodeSource};
use fairtally_board::mirror::Inclusion;
use fairtally_board::proof::{inclusion_proof, verify_inclusion};
use fairtally_board::tiles::{TILE_HEIGHT, TILE_WIDTH, tile_path};

use crate::error::NetError;
use crate::http::{HttpClient, directory_url};

/// A board's public files under a base URL (`http://host/board/`).
#[derive(Clone, Debug)]
pub struct RemoteBoard {
    http: HttpClient,
    base: String,
}

impl RemoteBoard {
    /// The board whose public files are under `base`.
    pub fn new(base: &str, http: HttpClient) -> Self {
        Self {
            http,
            base: directory_url(base),
        }
    }

    /// The URL of the public file `relative` (`tile/0/000`).
    pub fn url(&self, relative: &str) -> String {
        format!("{}{relative}", self.base)
    }

    /// GETs the public file `relative`, at most `max` bytes; `None` when the server has none.
    ///
    /// # Errors
    /// As [`HttpClient::get`].
    pub async fn fetch(&self, relative: &str, max: u64) -> Result<Option<Vec<u8>>, NetError> {
        self.http.get(&self.url(relative), max).await
    }

    /// GETs a file the signed checkpoint needs: its absence is a refusal naming it.
    ///
    /// # Errors
    /// [`NetError::Refused`] when the server has no such file; as [`RemoteBoard::fetch`].
    pub async fn fetch_required(&self, relative: &str, max: u64) -> Result<Vec<u8>, NetError> {
        self.fetch(relative, max)
            .await?
            .ok_or_else(|| NetError::Refused {
                item: self.url(relative),
                reason: "missing (404): the signed checkpoint covers it".into(),
            })
    }

    /// The board's latest checkpoint, verified under `policy` (operator signature, every
    /// signature by a listed key, the witness quorum).
    ///
    /// # Errors
    /// [`NetError::Refused`] naming the checkpoint's URL and why it does not verify; transport
    /// errors.
    pub async fn checkpoint(&self, policy: &TrustPolicy) -> Result<SignedCheckpoint, NetError> {
        let url = self.url(CHECKPOINT_FILE);
        let bytes = self.fetch_required(CHECKPOINT_FILE, MAX_NOTE_LEN).await?;
        let refused = |reason: String| NetError::Refused {
            item: url.clone(),
            reason,
        };
        let text = String::from_utf8(bytes).map_err(|_| refused("not UTF-8 text".into()))?;
        let signed = SignedCheckpoint::parse(&text, &url)?;
        policy
            .verify(&signed)
            .map_err(|e| refused(format!("does not verify under the trust policy: {e}")))?;
        Ok(signed)
    }

    /// Proves that entry `index` of the board has `leaf_hash`, against `checkpoint` (which the
    /// caller verified, e.g. with [`RemoteBoard::checkpoint`]): fetches the hash tiles the
    /// inclusion proof needs (about one per tile level), builds the proof from them and checks
    /// that it leads to the checkpoint's root.
    ///
    /// # Errors
    /// [`NetError::Refused`] when the index is beyond the checkpoint, a tile is missing or of
    /// the wrong length, or the proof does not lead to the root (the entry is not there, or a
    /// tile was tampered with).
    pub async fn prove(
        &self,
        checkpoint: &SignedCheckpoint,
        index: u64,
        leaf_hash: &Hash,
    ) -> Result<Inclusion, NetError> {
        let cp = checkpoint.checkpoint();
        let refused = |reason: String| NetError::Refused {
            item: format!("entry {index} ({})", hex::encode(leaf_hash)),
            reason,
        };
        if index >= cp.size {
            return Err(refused(format!("beyond the {cp}")));
        }
        // First pass: which tiles the proof reads; second: the proof from those tiles.
        let mut wanted = WantedTiles::default();
        inclusion_proof(&mut wanted, index, cp.size)?;
        let mut tiles = FetchedTiles::default();
        for (tile_level, tile_index) in wanted.0 {
            let count = cp.size >> (u32::from(tile_level) * u32::from(TILE_HEIGHT));
            let width = (count - tile_index * TILE_WIDTH).min(TILE_WIDTH);
            let relative = tile_path(Some(tile_level), tile_index, width);
            let bytes = self.fetch_required(&relative, MAX_TILE_LEN).await?;
            if bytes.len() as u64 != width * HASH_LEN as u64 {
                return Err(NetError::Refused {
                    item: self.url(&relative),
                    reason: format!(
                        "{} bytes, the checkpoint needs exactly {width} hashes",
                        bytes.len()
                    ),
                });
            }
            let hashes = bytes
                .chunks_exact(HASH_LEN)
                .filter_map(|c| Hash::try_from(c).ok())
                .collect();
            tiles.0.insert((tile_level, tile_index), hashes);
        }
        let proof = inclusion_proof(&mut tiles, index, cp.size)?;
        verify_inclusion(index, cp.size, leaf_hash, &proof, &cp.root).map_err(|e| {
            refused(format!(
                "not on the board under the signed {cp}: the served tiles give a proof that does \
                 not lead to its root ({e})"
            ))
        })?;
        Ok(Inclusion {
            index,
            leaf_hash: *leaf_hash,
            proof,
            checkpoint: checkpoint.clone(),
        })
    }
}

/// The tile holding node `(level, index)`, and the node's first position in it.
fn tile_of(level: u8, index: u64) -> Result<(u8, u64, u64, u64), BoardError> {
    let row = level % TILE_HEIGHT;
    let first = index
        .checked_shl(u32::from(row))
        .ok_or(BoardError::MissingNode { level, index })?;
    Ok((
        level / TILE_HEIGHT,
        first / TILE_WIDTH,
        first % TILE_WIDTH,
        1 << row,
    ))
}

/// A node source that only notes which tiles are read.
#[derive(Default)]
struct WantedTiles(BTreeSet<(u8, u64)>);

impl NodeSource for WantedTiles {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        let (tile_level, tile_index, ..) = tile_of(level, index)?;
        self.0.insert((tile_level, tile_index));
        Ok([0; HASH_LEN])
    }
}

/// The tiles fetched for one proof, by tile level and index.
#[derive(Default)]
struct FetchedTiles(HashMap<(u8, u64), Vec<Hash>>);

impl NodeSource for FetchedTiles {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        let missing = BoardError::MissingNode { level, index };
        let (tile_level, tile_index, first, len) = tile_of(level, index)?;
        let nodes = self
            .0
            .get(&(tile_level, tile_index))
            .and_then(|tile| tile.get(first as usize..(first + len) as usize))
            .ok_or(missing)?;
        // The complete subtree over these nodes: hash them up as a tree of their own.
        let mut frontier = Frontier::new();
        for node in nodes {
            frontier.push(*node, |_| {});
        }
        Ok(frontier.root())
    }
}
