//! The durable hash store: every node of the tree, kept in the board's database
//! ([`crate::store`]: SQLite or PostgreSQL) as height-4 tiles that also hold the tile's
//! interior nodes (960 bytes, one row in one page), so that any node is one (often cached) row
//! read away and an inclusion proof in a tree of 10 million leaves takes about six.
//!
//! Durability: an append is one transaction (group commit), so after a crash the store holds
//! exactly the committed appends. The tree size is stored in the same transaction as the tiles
//! and entries it covers.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;

use crate::error::BoardError;
use crate::merkle::{Frontier, HASH_LEN, Hash, NewNode, NodeSource, root_at};
use crate::proof;
use crate::store::{Column, Database, Dialects, Param, Store, WriteTx};
use crate::tiles::{NodeSlot, STORED_TILE_HASHES};

/// Cached upper tiles before the cache is emptied (about 1 KiB each). Bottom tiles are not
/// kept beyond the last one: a random proof reads a different one each time.
const CACHE_TILES: usize = 65_536;

/// The tables of the tree: settings (the tree size among them) and tiles.
pub(crate) const SCHEMA: Dialects = Dialects {
    sqlite: "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tiles(id INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
",
    postgres: "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tiles(id BIGINT PRIMARY KEY, hashes BYTEA NOT NULL);
",
};

/// Reads a `meta` value.
pub(crate) fn meta_get(store: &Store, key: &str) -> Result<Option<String>, BoardError> {
    store
        .first_value("SELECT value FROM meta WHERE key = ?1", &[Param::Text(key)])?
        .map(|v| v.into_text(store, "setting"))
        .transpose()
}

/// Writes a `meta` value.
pub(crate) fn meta_set(store: &Store, key: &str, value: &str) -> Result<(), BoardError> {
    store
        .execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            &[Param::Text(key), Param::Text(value)],
        )
        .map(drop)
}

/// Tiles read from the database, each with the tree size up to which its nodes are known to be
/// final (nodes are never rewritten, so a tile read at size `s` stays valid for nodes below `s`).
#[derive(Default)]
pub(crate) struct TileCache {
    upper: HashMap<TileKey, CachedTile>,
    bottom: Option<(u64, CachedTile)>,
}

impl TileCache {
    fn get(&self, key: TileKey) -> Option<&CachedTile> {
        match key {
            (0, index) => self
                .bottom
                .as_ref()
                .filter(|(i, _)| *i == index)
                .map(|(_, tile)| tile),
            _ => self.upper.get(&key),
        }
    }

    fn insert(&mut self, key: TileKey, tile: CachedTile) -> &CachedTile {
        match key {
            (0, index) => &self.bottom.insert((index, tile)).1,
            _ => {
                if self.upper.len() >= CACHE_TILES {
                    self.upper.clear();
                }
                self.upper.entry(key).insert_entry(tile).into_mut()
            }
        }
    }
}

/// Tile level and tile index.
type TileKey = (u8, u64);

/// A tile's bytes and the tree size up to which they are final.
type CachedTile = (Box<[u8]>, u64);

/// A [`NodeSource`] over the tiles of one database, for the tree of `size` leaves.
pub(crate) struct TileNodes<'a> {
    pub store: &'a Store,
    pub size: u64,
    pub cache: &'a mut TileCache,
}

impl NodeSource for TileNodes<'_> {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        let missing = BoardError::MissingNode { level, index };
        let end = index
            .checked_add(1)
            .and_then(|i| i.checked_mul(1u64.checked_shl(u32::from(level))?))
            .ok_or(BoardError::MissingNode { level, index })?;
        if end > self.size {
            return Err(missing);
        }
        let slot = NodeSlot::of(level, index);
        let key = (slot.tile_level, slot.tile_index);
        let cached = self.cache.get(key).filter(|(_, valid)| *valid >= end);
        let tile = match cached {
            Some((tile, _)) => tile,
            None => {
                let blob = read_tile(self.store, key)?.ok_or(missing)?;
                &self.cache.insert(key, (blob, self.size)).0
            }
        };
        tile.get(slot.slot * HASH_LEN..(slot.slot + 1) * HASH_LEN)
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or(BoardError::MissingNode { level, index })
    }
}

/// The row id of a tile: its tile level in the top byte, its index below (the fastest lookup
/// SQLite has). `None` for indexes no real tree reaches (2^56 tiles).
fn tile_id((level, index): (u8, u64)) -> Option<i64> {
    (index < 1 << 56).then(|| (i64::from(level) << 56) | index as i64)
}

fn read_tile(store: &Store, key: (u8, u64)) -> Result<Option<Box<[u8]>>, BoardError> {
    let Some(id) = tile_id(key) else {
        return Ok(None);
    };
    let blob = store.first_value("SELECT hashes FROM tiles WHERE id = ?1", &[Param::Int(id)])?;
    Ok(blob
        .map(|v| v.into_blob(store, "tile"))
        .transpose()?
        .filter(|b| b.len() == STORED_TILE_HASHES * HASH_LEN)
        .map(Vec::into_boxed_slice))
}

/// Appends leaf hashes to the tree of `size` leaves inside a write transaction: writes every
/// node that becomes complete into its tile and records the new size. Returns the frontier of
/// the new tree.
pub(crate) fn append_leaves(
    tx: &WriteTx<'_>,
    size: u64,
    leaves: &[Hash],
) -> Result<Frontier, BoardError> {
    // A private cache: nothing read inside a transaction that may still roll back is shared.
    let mut cache = TileCache::default();
    let mut frontier = Frontier::load(
        &mut TileNodes {
            store: tx,
            size,
            cache: &mut cache,
        },
        size,
    )?;
    let mut created: Vec<NewNode> = Vec::with_capacity(leaves.len() * 2);
    for leaf in leaves {
        frontier.push(*leaf, |node| created.push(node));
    }
    let mut dirty: HashMap<(u8, u64), Box<[u8]>> = HashMap::new();
    for node in created {
        let slot = NodeSlot::of(node.level, node.index);
        let key = (slot.tile_level, slot.tile_index);
        let tile = match dirty.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let existing = read_tile(tx, key)?;
                e.insert(existing.unwrap_or_else(|| vec![0; STORED_TILE_HASHES * HASH_LEN].into()))
            }
        };
        tile[slot.slot * HASH_LEN..(slot.slot + 1) * HASH_LEN].copy_from_slice(&node.hash);
    }
    let mut ids = Vec::with_capacity(dirty.len());
    let mut tiles: Vec<&[u8]> = Vec::with_capacity(dirty.len());
    for (key, tile) in &dirty {
        ids.push(tile_id(*key).ok_or(BoardError::OutOfRange {
            what: "tile index",
            value: key.1,
            size,
        })?);
        tiles.push(tile);
    }
    tx.write_rows(WRITE_TILES, &[Column::Ints(&ids), Column::Blobs(&tiles)])?;
    meta_set(tx, "size", &frontier.size().to_string())?;
    Ok(frontier)
}

const WRITE_TILES: Dialects = Dialects {
    sqlite: "INSERT OR REPLACE INTO tiles(id, hashes) VALUES (?1, ?2)",
    postgres: "INSERT INTO tiles(id, hashes) SELECT * FROM UNNEST(?1::BIGINT[], ?2::BYTEA[])
               ON CONFLICT(id) DO UPDATE SET hashes = excluded.hashes",
};

/// Reads the committed tree size.
pub(crate) fn stored_size(store: &Store) -> Result<u64, BoardError> {
    match meta_get(store, "size")? {
        None => Ok(0),
        Some(text) => text
            .parse()
            .map_err(|_| BoardError::malformed(store.name(), "stored tree size is not a number")),
    }
}

/// A standalone durable Merkle hash store: the tree of leaf hashes without the entries. The
/// [`crate::board::Board`] keeps its tree in the same tables; this type lets benchmarks and
/// tools build and query a large tree directly from leaf hashes.
pub struct HashStore {
    store: Store,
    cache: RefCell<TileCache>,
    /// The committed size last read: sizes up to it need no database round trip to check.
    known_size: Cell<u64>,
}

impl HashStore {
    /// Opens the SQLite store at `path`, creating it if needed.
    ///
    /// # Errors
    /// [`BoardError::Database`] when the file cannot be opened as a SQLite database.
    pub fn open(path: &Path) -> Result<Self, BoardError> {
        let store = Store::open(&Database::Sqlite, path)?;
        store.create_schema(SCHEMA)?;
        Ok(Self::over(store))
    }

    /// A hash store over a board's open database.
    pub(crate) fn over(store: Store) -> Self {
        Self {
            store,
            cache: RefCell::default(),
            known_size: Cell::new(0),
        }
    }

    /// The database.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The committed number of leaves.
    ///
    /// # Errors
    /// Database errors.
    pub fn size(&self) -> Result<u64, BoardError> {
        stored_size(&self.store)
    }

    /// Appends leaf hashes durably in one transaction and returns the new root.
    ///
    /// # Errors
    /// Database errors; nothing is appended then.
    pub fn append(&mut self, leaves: &[Hash]) -> Result<Hash, BoardError> {
        let tx = self.store.write()?;
        let size = stored_size(&tx)?;
        let frontier = append_leaves(&tx, size, leaves)?;
        tx.commit()?;
        Ok(frontier.root())
    }

    fn with_nodes<T>(
        &self,
        size: u64,
        f: impl FnOnce(&mut TileNodes<'_>) -> Result<T, BoardError>,
    ) -> Result<T, BoardError> {
        if size > self.known_size.get() {
            // The log only grows, so a size once seen committed stays valid.
            let current = self.size()?;
            self.known_size.set(current);
            if size > current {
                return Err(BoardError::OutOfRange {
                    what: "tree size",
                    value: size,
                    size: current,
                });
            }
        }
        let mut cache = self.cache.borrow_mut();
        f(&mut TileNodes {
            store: &self.store,
            size,
            cache: &mut cache,
        })
    }

    /// The root of the tree of its first `size` leaves.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] beyond the store's size, or a database error.
    pub fn root_at(&self, size: u64) -> Result<Hash, BoardError> {
        self.with_nodes(size, |nodes| root_at(nodes, size))
    }

    /// The right edge of the tree of its first `size` leaves.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] beyond the store's size, or a database error.
    pub fn frontier(&self, size: u64) -> Result<Frontier, BoardError> {
        self.with_nodes(size, |nodes| Frontier::load(nodes, size))
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] beyond the store's size, or a database error.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, BoardError> {
        self.with_nodes(size, |nodes| proof::inclusion_proof(nodes, index, size))
    }

    /// The consistency proof from the tree of `size1` leaves to the tree of `size2` leaves.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] beyond the store's size, or a database error.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, BoardError> {
        self.with_nodes(size2, |nodes| proof::consistency_proof(nodes, size1, size2))
    }

    /// The node hashes at the bottom row of tile `(tile_level, index)`, `width` of them, for
    /// publishing C2SP tlog-tiles.
    pub(crate) fn tile_row(
        &self,
        tile_level: u8,
        index: u64,
        width: u64,
        size: u64,
    ) -> Result<Vec<u8>, BoardError> {
        let mut out = Vec::with_capacity(width as usize * HASH_LEN);
        self.with_nodes(size, |nodes| {
            let first = index * crate::tiles::TILE_WIDTH;
            for i in first..first + width {
                out.extend_from_slice(&nodes.node(tile_level * crate::tiles::TILE_HEIGHT, i)?);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{MemoryTree, leaf_hash};

    #[test]
    fn store_agrees_with_the_memory_tree_across_batches() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let mut store = HashStore::open(&dir.path().join("hashes.sqlite"))?;
        let mut tree = MemoryTree::new();
        let mut next = 0u32;
        // Batch sizes that cross tile boundaries at both tile levels.
        for batch in [1usize, 2, 255, 1, 300, 65_000, 1000] {
            let leaves: Vec<Hash> = (0..batch)
                .map(|_| {
                    next += 1;
                    leaf_hash(&next.to_be_bytes())
                })
                .collect();
            for leaf in &leaves {
                tree.push(*leaf);
            }
            assert_eq!(store.append(&leaves)?, tree.root());
        }
        let size = store.size()?;
        assert_eq!(size, tree.size());
        for (index, at) in [
            (0, 1),
            (5, 300),
            (65_535, 65_536),
            (66_000, size),
            (size - 1, size),
        ] {
            assert_eq!(
                store.inclusion_proof(index, at)?,
                proof::inclusion_proof(&mut tree, index, at)?
            );
            assert_eq!(store.root_at(at)?, root_at(&mut tree, at)?);
        }
        assert_eq!(
            store.consistency_proof(300, size)?,
            proof::consistency_proof(&mut tree, 300, size)?
        );
        assert!(matches!(
            store.root_at(size + 1),
            Err(BoardError::OutOfRange { .. })
        ));
        // Reopening sees the same tree.
        drop(store);
        let store = HashStore::open(&dir.path().join("hashes.sqlite"))?;
        assert_eq!(store.root_at(size)?, tree.root());
        Ok(())
    }
}
