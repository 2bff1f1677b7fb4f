//! Reads a static mirror (a copy of a board's `public/` directory) with nothing but its files
//! and a trust policy: verifies the checkpoint, reads entries, finds an entry by its leaf hash,
//! and proves inclusion and consistency from the hash tiles.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::checkpoint::{SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::merkle::{HASH_LEN, Hash, NodeSource, node_hash, root_at};
use crate::proof::{self, verify_inclusion};
use crate::tiles::{TILE_HEIGHT, TILE_WIDTH, nodes_at_tile_level, tile_path};

/// Parsed tiles kept in memory before the cache is emptied.
const CACHE_TILES: usize = 1024;

/// A verified static mirror, read at the size of its checkpoint.
pub struct Mirror {
    dir: PathBuf,
    checkpoint: SignedCheckpoint,
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

/// Proof that an entry is on the board: its index, the inclusion proof, and the checkpoint it
/// is included in (already verified against the trust policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inclusion {
    /// Index of the entry.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// The RFC 9162 inclusion proof in the checkpoint's tree.
    pub proof: Vec<Hash>,
    /// The checkpoint the proof leads to.
    pub checkpoint: SignedCheckpoint,
}

impl Mirror {
    /// Opens the mirror in `dir`: reads `dir/checkpoint` and verifies it under `policy`.
    ///
    /// # Errors
    /// I/O errors naming the file; [`BoardError::Malformed`], [`BoardError::Signature`],
    /// [`BoardError::WrongLog`] or [`BoardError::NotEnoughWitnesses`] for a bad checkpoint.
    pub fn open(dir: &Path, policy: &TrustPolicy) -> Result<Self, BoardError> {
        let path = dir.join("checkpoint");
        let text = std::fs::read_to_string(&path).map_err(BoardError::io(&path))?;
        let checkpoint = SignedCheckpoint::parse(&text, &path.display().to_string())?;
        policy.verify(&checkpoint)?;
        Ok(Self {
            dir: dir.to_owned(),
            checkpoint,
            tiles: HashMap::new(),
        })
    }

    /// The verified checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// Number of entries covered by the checkpoint.
    pub fn size(&self) -> u64 {
        self.checkpoint.checkpoint().size
    }

    fn read(&self, relative: &str) -> Result<Vec<u8>, BoardError> {
        let path = self.dir.join(relative);
        std::fs::read(&path).map_err(BoardError::io(path))
    }

    /// Reads a tile or entry bundle of the given width: the partial file for that width, or the
    /// full one (which starts with the same content) when the log has grown since.
    fn read_tile_file(
        &self,
        level: Option<u8>,
        index: u64,
        width: u64,
    ) -> Result<(String, Vec<u8>), BoardError> {
        let exact = tile_path(level, index, width);
        match self.read(&exact) {
            Ok(bytes) => Ok((exact, bytes)),
            Err(first) if width < TILE_WIDTH => {
                let full = tile_path(level, index, TILE_WIDTH);
                self.read(&full).map(|b| (full, b)).map_err(|_| first)
            }
            Err(e) => Err(e),
        }
    }

    fn tile(&mut self, tile_level: u8, index: u64) -> Result<&[Hash], BoardError> {
        let count = nodes_at_tile_level(self.size(), tile_level);
        let width = count.saturating_sub(index * TILE_WIDTH).min(TILE_WIDTH);
        if width == 0 {
            return Err(BoardError::MissingNode {
                level: tile_level * TILE_HEIGHT,
                index: index * TILE_WIDTH,
            });
        }
        if !self.tiles.contains_key(&(tile_level, index)) {
            let (name, bytes) = self.read_tile_file(Some(tile_level), index, width)?;
            let need = width as usize * HASH_LEN;
            if bytes.len() < need || bytes.len() % HASH_LEN != 0 {
                return Err(BoardError::malformed(
                    self.dir.join(name).display().to_string(),
                    format!(
                        "tile is {} bytes, expected at least {need} in whole hashes",
                        bytes.len()
                    ),
                ));
            }
            let hashes = bytes[..need]
                .chunks_exact(HASH_LEN)
                .filter_map(|c| Hash::try_from(c).ok())
                .collect();
            if self.tiles.len() >= CACHE_TILES {
                self.tiles.clear();
            }
            self.tiles.insert((tile_level, index), hashes);
        }
        Ok(self
            .tiles
            .get(&(tile_level, index))
            .map(Vec::as_slice)
            .unwrap_or_default())
    }

    /// The leaf data of entries `from .. to`, read from the entry bundles.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] past the checkpoint; I/O errors or malformed bundles naming
    /// the file and entry.
    pub fn leaf_data(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>, BoardError> {
        if to > self.size() || from > to {
            return Err(BoardError::OutOfRange {
                what: "entry",
                value: to,
                size: self.size(),
            });
        }
        let mut out = Vec::with_capacity((to - from) as usize);
        let mut index = from;
        while index < to {
            let bundle = index / TILE_WIDTH;
            let width = (self.size() - bundle * TILE_WIDTH).min(TILE_WIDTH);
            let (name, bytes) = self.read_tile_file(None, bundle, width)?;
            let item = self.dir.join(&name).display().to_string();
            let mut rest = bytes.as_slice();
            for i in 0..width {
                let n = bundle * TILE_WIDTH + i;
                let Some((len, tail)) = rest.split_first_chunk::<2>() else {
                    return Err(BoardError::malformed(
                        &item,
                        format!("entry {n} is missing"),
                    ));
                };
                let len = usize::from(u16::from_be_bytes(*len));
                if tail.len() < len {
                    return Err(BoardError::malformed(
                        &item,
                        format!("entry {n} is truncated"),
                    ));
                }
                let (data, tail) = tail.split_at(len);
                if n >= index && n < to {
                    out.push(data.to_vec());
                }
                rest = tail;
            }
            index = (bundle + 1) * TILE_WIDTH;
        }
        Ok(out)
    }

    /// The entry at `index`, checked against the hash tiles.
    ///
    /// # Errors
    /// As [`Mirror::leaf_data`]; [`BoardError::Malformed`] when the entry does not match its
    /// leaf hash in the tiles.
    pub fn entry(&mut self, index: u64) -> Result<Entry, BoardError> {
        let data = self.leaf_data(index, index + 1)?;
        let data = data.first().map(Vec::as_slice).unwrap_or_default();
        let item = format!("{}: entry {index}", self.dir.display());
        if crate::merkle::leaf_hash(data) != self.node(0, index)? {
            return Err(BoardError::malformed(
                item,
                "entry bundle and hash tile disagree",
            ));
        }
        Entry::from_leaf_data(data, &item)
    }

    /// Finds the index of the entry with this leaf hash by scanning the level-0 tiles (32 bytes
    /// per entry: about a third of a second for ten million entries).
    ///
    /// # Errors
    /// I/O errors or malformed tiles.
    pub fn find(&mut self, leaf_hash: &Hash) -> Result<Option<u64>, BoardError> {
        Ok(self
            .locate(std::slice::from_ref(leaf_hash))?
            .pop()
            .flatten())
    }

    /// Finds the indexes of many leaf hashes in one scan of the level-0 tiles (`None` for
    /// those not on the board). When a leaf occurs more than once, the first index is given.
    ///
    /// # Errors
    /// I/O errors or malformed tiles.
    pub fn locate(&mut self, leaf_hashes: &[Hash]) -> Result<Vec<Option<u64>>, BoardError> {
        let mut wanted: HashMap<Hash, Option<u64>> =
            leaf_hashes.iter().map(|h| (*h, None)).collect();
        let mut missing = wanted.len();
        let tiles = self.size().div_ceil(TILE_WIDTH);
        for index in 0..tiles {
            if missing == 0 {
                break;
            }
            for (pos, hash) in self.tile(0, index)?.iter().enumerate() {
                if let Some(slot @ None) = wanted.get_mut(hash) {
                    *slot = Some(index * TILE_WIDTH + pos as u64);
                    missing -= 1;
                }
            }
            // Level-0 tiles are read once each; do not let them evict the upper tiles.
            self.tiles.remove(&(0, index));
        }
        Ok(leaf_hashes
            .iter()
            .map(|h| wanted.get(h).copied().flatten())
            .collect())
    }

    /// Proves that the entry with this leaf hash is on the board: finds it, builds its
    /// inclusion proof from the tiles and verifies it against the checkpoint.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when the leaf is not in the mirror; I/O errors; a proof error
    /// if the mirror's files are inconsistent with its checkpoint.
    pub fn prove_leaf(&mut self, leaf_hash: &Hash) -> Result<Inclusion, BoardError> {
        let index = self
            .find(leaf_hash)?
            .ok_or_else(|| self.not_on_board(leaf_hash))?;
        self.inclusion_at(index, *leaf_hash)
    }

    /// Proves that `entry` is on the board (see [`Mirror::prove_leaf`]).
    ///
    /// # Errors
    /// As [`Mirror::prove_leaf`].
    pub fn prove(&mut self, entry: &Entry) -> Result<Inclusion, BoardError> {
        self.prove_leaf(&entry.leaf_hash())
    }

    /// Proves that every one of `entries` (an election record, a set of protocols) is on the
    /// board, with one scan of the tiles; fails on the first entry that is not.
    ///
    /// # Errors
    /// As [`Mirror::prove_leaf`], naming the first missing entry by its position.
    pub fn prove_all(&mut self, entries: &[Entry]) -> Result<Vec<Inclusion>, BoardError> {
        let hashes: Vec<Hash> = entries.iter().map(Entry::leaf_hash).collect();
        let indexes = self.locate(&hashes)?;
        hashes
            .iter()
            .zip(indexes)
            .enumerate()
            .map(|(i, (hash, index))| match index {
                Some(index) => self.inclusion_at(index, *hash),
                None => Err(BoardError::malformed(
                    format!("item {i} ({})", entries[i].kind()),
                    self.not_on_board(hash).to_string(),
                )),
            })
            .collect()
    }

    fn not_on_board(&self, leaf_hash: &Hash) -> BoardError {
        BoardError::malformed(
            format!("entry with leaf hash {}", hex::encode(leaf_hash)),
            format!("not on the board as of {}", self.checkpoint.checkpoint()),
        )
    }

    fn inclusion_at(&mut self, index: u64, leaf_hash: Hash) -> Result<Inclusion, BoardError> {
        let proof = self.inclusion_proof(index)?;
        let cp = self.checkpoint.checkpoint();
        verify_inclusion(index, cp.size, &leaf_hash, &proof, &cp.root)?;
        Ok(Inclusion {
            index,
            leaf_hash,
            proof,
            checkpoint: self.checkpoint.clone(),
        })
    }

    /// The inclusion proof of entry `index` in the checkpoint's tree.
    ///
    /// # Errors
    /// I/O errors, malformed tiles, or an index past the checkpoint.
    pub fn inclusion_proof(&mut self, index: u64) -> Result<Vec<Hash>, BoardError> {
        let size = self.size();
        proof::inclusion_proof(self, index, size)
    }

    /// The consistency proof from the tree of `size1` entries to the checkpoint's tree.
    ///
    /// # Errors
    /// I/O errors, malformed tiles, or sizes out of range.
    pub fn consistency_proof(&mut self, size1: u64) -> Result<Vec<Hash>, BoardError> {
        let size = self.size();
        proof::consistency_proof(self, size1, size)
    }

    /// Audits the whole mirror: every entry bundle parses and matches its leaf hash in the
    /// level-0 tiles, and the tiles lead to the checkpoint's root. `progress` is called with the
    /// number of entries checked so far.
    ///
    /// # Errors
    /// The first problem found, naming the file and entry.
    pub fn audit(&mut self, mut progress: impl FnMut(u64)) -> Result<(), BoardError> {
        let size = self.size();
        let mut from = 0;
        while from < size {
            let to = (from + TILE_WIDTH).min(size);
            let data = self.leaf_data(from, to)?;
            let tile = self.tile(0, from / TILE_WIDTH)?.to_vec();
            for (i, (data, hash)) in data.iter().zip(&tile).enumerate() {
                let item = format!("{}: entry {}", self.dir.display(), from + i as u64);
                Entry::from_leaf_data(data, &item)?;
                if crate::merkle::leaf_hash(data) != *hash {
                    return Err(BoardError::malformed(
                        item,
                        "entry bundle and hash tile disagree",
                    ));
                }
            }
            self.tiles.remove(&(0, from / TILE_WIDTH));
            from = to;
            progress(from);
        }
        let cp = self.checkpoint.checkpoint().clone();
        if self.root_at(size)? != cp.root {
            return Err(BoardError::malformed(
                self.dir.display().to_string(),
                format!("the hash tiles do not lead to the root of its {cp}"),
            ));
        }
        Ok(())
    }

    /// Recomputes the root of the tree of `size` entries from the tiles (for `size` the
    /// checkpoint's, this checks the tiles against the checkpoint).
    ///
    /// # Errors
    /// I/O errors, malformed tiles, or a size past the checkpoint.
    pub fn root_at(&mut self, size: u64) -> Result<Hash, BoardError> {
        if size > self.size() {
            return Err(BoardError::OutOfRange {
                what: "tree size",
                value: size,
                size: self.size(),
            });
        }
        root_at(self, size)
    }
}

impl NodeSource for Mirror {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        let missing = BoardError::MissingNode { level, index };
        let row = level % TILE_HEIGHT;
        let tile_level = level / TILE_HEIGHT;
        // The node covers bottom-row nodes first .. first + 2^row of its tile.
        let first = index.checked_shl(u32::from(row)).ok_or(missing)?;
        let tile = self.tile(tile_level, first / TILE_WIDTH)?;
        let start = (first % TILE_WIDTH) as usize;
        let mut hashes: Vec<Hash> = tile
            .get(start..start + (1 << row))
            .ok_or(BoardError::MissingNode { level, index })?
            .to_vec();
        while hashes.len() > 1 {
            hashes = hashes
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
        }
        hashes.pop().ok_or(BoardError::MissingNode { level, index })
    }
}

/// Copies a board's public directory (or any mirror) to `to`, file by file: a plain copy is a
/// full mirror. Existing files in `to` are overwritten.
///
/// # Errors
/// I/O errors naming the file.
pub fn copy_mirror(from: &Path, to: &Path) -> Result<(), BoardError> {
    std::fs::create_dir_all(to).map_err(BoardError::io(to))?;
    for entry in std::fs::read_dir(from).map_err(BoardError::io(from))? {
        let entry = entry.map_err(BoardError::io(from))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_mirror(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(BoardError::io(&target))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Board, PUBLIC_DIR};
    use crate::entry::EntryKind;
    use crate::note::{KeyRole, NoteSigner};

    #[test]
    fn a_copied_public_directory_proves_entries_alone() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/mirror", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::create(&dir.path().join("board"), &policy)?;
        let kind = EntryKind::new("test/item")?;
        let entries: Vec<Entry> = (0..3_000u32)
            .map(|i| Entry::new(kind.clone(), i.to_be_bytes().to_vec()))
            .collect::<Result<_, _>>()?;
        for (n, chunk) in entries.chunks(700).enumerate() {
            board.append_batch(chunk)?;
            board.sign_checkpoint(&op)?;
            if n % 3 == 0 {
                board.publish()?;
            }
        }
        board.publish()?;
        // A deleted public directory is rebuilt whole.
        std::fs::remove_dir_all(board.dir().join(PUBLIC_DIR)).map_err(BoardError::io("public"))?;
        board.publish()?;
        // A plain copy is a full mirror.
        let copy = dir.path().join("usb-stick");
        copy_mirror(&board.dir().join(PUBLIC_DIR), &copy)?;
        let mut mirror = Mirror::open(&copy, &policy)?;
        assert_eq!(mirror.size(), 3_000);
        assert_eq!(mirror.root_at(3_000)?, board.root_at(3_000)?);
        for index in [0u64, 255, 256, 2047, 2048, 2999] {
            assert_eq!(mirror.entry(index)?, entries[index as usize]);
            assert_eq!(
                mirror.inclusion_proof(index)?,
                board.inclusion_proof(index, 3_000)?
            );
        }
        let inclusion = mirror.prove(&entries[2_222])?;
        assert_eq!(inclusion.index, 2_222);
        let all = mirror.prove_all(&entries[..600])?;
        assert!(all.iter().enumerate().all(|(i, inc)| inc.index == i as u64));
        assert_eq!(
            mirror.consistency_proof(700)?,
            board.consistency_proof(700, 3_000)?
        );
        let absent = Entry::new(kind, b"absent".to_vec())?;
        assert!(
            mirror
                .prove(&absent)
                .is_err_and(|e| e.to_string().contains("not on the board"))
        );
        let with_absent = [entries[1].clone(), absent];
        assert!(
            mirror
                .prove_all(&with_absent)
                .is_err_and(|e| e.to_string().starts_with("item 1 (test/item)"))
        );
        // A damaged tile is reported with its file name.
        std::fs::write(copy.join("tile/0/000"), b"short").map_err(BoardError::io("tile"))?;
        let mut damaged = Mirror::open(&copy, &policy)?;
        assert!(
            damaged
                .inclusion_proof(3)
                .is_err_and(|e| e.to_string().contains("tile/0/000"))
        );
        Ok(())
    }
}
