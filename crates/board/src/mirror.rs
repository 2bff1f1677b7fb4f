//! Reads a static mirror (a copy of a board's `public/` directory) with nothing but its files
//! and a trust policy: verifies the checkpoint, audits every file against it (see
//! [`crate::audit`]), reads entries, finds an entry by its leaf hash, and proves inclusion and
//! consistency.
//!
//! Nothing is answered from a file that is not tied to the signed root: the first question
//! that needs the tree reads and checks every hash tile, and every entry read is checked
//! against its verified leaf hash.

use std::path::{Path, PathBuf};

use fairtally_files::{Access, write_atomic};

use crate::audit::{AuditReport, VerifiedEntry, VerifiedTree, audit_directory, read_bundle};
use crate::checkpoint::{SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::layout::{
    CHECKPOINT_FILE, MAX_ENTRY_BUNDLE_LEN, MAX_NOTE_LEN, read_capped, read_note, write_if_changed,
};
use crate::merkle::{Hash, NodeSource, root_at};
use crate::proof::{self, verify_inclusion};
use crate::publish::is_temporary;
use crate::tiles::{TILE_WIDTH, tile_path};

/// A static mirror whose checkpoint verified under a trust policy, read at the checkpoint's
/// size.
pub struct Mirror {
    dir: PathBuf,
    policy: TrustPolicy,
    checkpoint: SignedCheckpoint,
    tree: Option<VerifiedTree>,
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
    /// Opens the mirror in `dir`: reads `dir/checkpoint` (at most
    /// [`crate::layout::MAX_NOTE_LEN`] bytes) and verifies it under `policy`.
    ///
    /// # Errors
    /// I/O errors naming the file; [`BoardError::FileTooLarge`]; [`BoardError::Malformed`],
    /// [`BoardError::Signature`], [`BoardError::WrongLog`] or [`BoardError::NotEnoughWitnesses`]
    /// for a bad checkpoint.
    pub fn open(dir: &Path, policy: &TrustPolicy) -> Result<Self, BoardError> {
        let path = dir.join(CHECKPOINT_FILE);
        let text = read_note(&path)?;
        let checkpoint = SignedCheckpoint::parse(&text, &path.display().to_string())?;
        policy.verify(&checkpoint)?;
        Ok(Self {
            dir: dir.to_owned(),
            policy: policy.clone(),
            checkpoint,
            tree: None,
        })
    }

    /// The verified checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// The trust policy the checkpoint verified under.
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }

    /// Number of entries covered by the checkpoint.
    pub fn size(&self) -> u64 {
        self.checkpoint.checkpoint().size
    }

    /// The hash tiles, read and tied to the checkpoint's root on first use.
    fn tree(&mut self) -> Result<&mut VerifiedTree, BoardError> {
        if self.tree.is_none() {
            self.tree = Some(VerifiedTree::read(&self.dir, self.checkpoint.checkpoint())?);
        }
        self.tree
            .as_mut()
            .ok_or(BoardError::MissingNode { level: 0, index: 0 })
    }

    /// The leaf hashes of every entry in log order, each one under the signed root.
    ///
    /// # Errors
    /// As [`VerifiedTree::read`]: a tile that is missing, malformed or does not lead to the root.
    pub fn leaf_hashes(&mut self) -> Result<&[Hash], BoardError> {
        Ok(self.tree()?.leaf_hashes())
    }

    /// The leaf data of entries `from .. to`, read from the entry bundles and each checked
    /// against its verified leaf hash.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] past the checkpoint; [`BoardError::Inconsistent`] naming the
    /// bundle and entry that does not match; size limits and I/O errors naming the file.
    pub fn leaf_data(&mut self, from: u64, to: u64) -> Result<Vec<Vec<u8>>, BoardError> {
        Ok(self
            .entries(from, to)?
            .iter()
            .map(Entry::to_leaf_data)
            .collect())
    }

    /// The entries `from .. to`, each checked against its verified leaf hash.
    ///
    /// # Errors
    /// As [`Mirror::leaf_data`].
    pub fn entries(&mut self, from: u64, to: u64) -> Result<Vec<Entry>, BoardError> {
        let size = self.size();
        if to > size || from > to {
            return Err(BoardError::OutOfRange {
                what: "entry",
                value: to,
                size,
            });
        }
        let dir = self.dir.clone();
        let hashes = self.tree()?.leaf_hashes();
        let mut out = Vec::with_capacity((to - from) as usize);
        let mut bundle = from / TILE_WIDTH;
        while bundle * TILE_WIDTH < to {
            let first = bundle * TILE_WIDTH;
            let last = (first + TILE_WIDTH).min(size);
            let verified = hashes
                .get(first as usize..last as usize)
                .unwrap_or_default();
            let path = dir.join(tile_path(None, bundle, last - first));
            for (i, entry) in read_bundle(&path, first, verified)?.into_iter().enumerate() {
                let index = first + i as u64;
                if index >= from && index < to {
                    out.push(entry);
                }
            }
            bundle += 1;
        }
        Ok(out)
    }

    /// The entry at `index`, checked against its verified leaf hash.
    ///
    /// # Errors
    /// As [`Mirror::leaf_data`].
    pub fn entry(&mut self, index: u64) -> Result<Entry, BoardError> {
        self.entries(index, index + 1)?
            .pop()
            .ok_or(BoardError::OutOfRange {
                what: "entry",
                value: index,
                size: self.size(),
            })
    }

    /// Finds the index of the entry with this leaf hash among the verified leaf hashes.
    ///
    /// # Errors
    /// As [`Mirror::leaf_hashes`].
    pub fn find(&mut self, leaf_hash: &Hash) -> Result<Option<u64>, BoardError> {
        Ok(self
            .locate(std::slice::from_ref(leaf_hash))?
            .pop()
            .flatten())
    }

    /// Finds the indexes of many leaf hashes in one pass over the verified leaf hashes (`None`
    /// for those not on the board). When a leaf occurs more than once, the first index is given.
    ///
    /// # Errors
    /// As [`Mirror::leaf_hashes`].
    pub fn locate(&mut self, leaf_hashes: &[Hash]) -> Result<Vec<Option<u64>>, BoardError> {
        Ok(self.tree()?.locate(leaf_hashes))
    }

    /// Proves that the entry with this leaf hash is on the board: finds it among the verified
    /// leaves, builds its inclusion proof from the verified tree and checks it against the
    /// checkpoint.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when the leaf is not on the board; as [`Mirror::leaf_hashes`].
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
    /// board, with one pass over the leaves; fails on the first entry that is not.
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

    /// Proves that the entry with `leaf_hash` is entry `index`: the inclusion proof from the
    /// verified tree, checked against the checkpoint.
    ///
    /// # Errors
    /// As [`Mirror::leaf_hashes`]; [`BoardError::Proof`] when it is not that entry.
    pub fn prove_at(&mut self, index: u64, leaf_hash: &Hash) -> Result<Inclusion, BoardError> {
        self.inclusion_at(index, *leaf_hash)
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

    /// The inclusion proof of entry `index` in the checkpoint's tree, from the verified tree.
    ///
    /// # Errors
    /// As [`Mirror::leaf_hashes`]; an index past the checkpoint.
    pub fn inclusion_proof(&mut self, index: u64) -> Result<Vec<Hash>, BoardError> {
        let size = self.size();
        proof::inclusion_proof(self.tree()?, index, size)
    }

    /// The consistency proof from the tree of `size1` entries to the checkpoint's tree, from
    /// the verified tree.
    ///
    /// # Errors
    /// As [`Mirror::leaf_hashes`]; sizes out of range.
    pub fn consistency_proof(&mut self, size1: u64) -> Result<Vec<Hash>, BoardError> {
        let size = self.size();
        proof::consistency_proof(self.tree()?, size1, size)
    }

    /// Audits the whole public directory against the checkpoint: every hash tile, entry bundle,
    /// archived checkpoint and the policy, in the order [`crate::audit`] describes; files that
    /// do not belong are listed in the report. `progress` is called with the number of entries
    /// checked so far.
    ///
    /// # Errors
    /// The first problem found, naming the file and entry.
    pub fn audit(&mut self, progress: impl FnMut(u64)) -> Result<AuditReport, BoardError> {
        self.audit_entries(progress, |_| {})
    }

    /// [`Mirror::audit`], handing every entry to `visit` in log order (with its index and leaf
    /// hash) once it is tied to the signed root: one pass gives a caller the verified log.
    ///
    /// # Errors
    /// As [`Mirror::audit`]; entries already handed to `visit` were verified, but the verdict
    /// is the error.
    pub fn audit_entries(
        &mut self,
        progress: impl FnMut(u64),
        visit: impl FnMut(VerifiedEntry<'_>),
    ) -> Result<AuditReport, BoardError> {
        let dir = self.dir.clone();
        let policy = self.policy.clone();
        let checkpoint = self.checkpoint.clone();
        let tree = self.tree()?;
        audit_directory(&dir, &policy, &checkpoint, tree, progress, visit)
    }

    /// The root of the tree of `size` entries, from the verified tree (for `size` the
    /// checkpoint's, this is its root).
    ///
    /// # Errors
    /// As [`Mirror::leaf_hashes`]; a size past the checkpoint.
    pub fn root_at(&mut self, size: u64) -> Result<Hash, BoardError> {
        if size > self.size() {
            return Err(BoardError::OutOfRange {
                what: "tree size",
                value: size,
                size: self.size(),
            });
        }
        root_at(self.tree()?, size)
    }
}

impl NodeSource for Mirror {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        self.tree()?.node(level, index)
    }
}

/// Copies a board's public directory (or any mirror) to `to`: a plain copy is a full mirror.
/// Each file is read with the size limit of its kind and written durably
/// ([`fairtally_files::write_atomic`]); the `checkpoint` file goes last, so that a copy
/// interrupted half-way never shows a checkpoint whose files are missing. Temporary files of
/// unfinished writes are not copied. Existing files in `to` are overwritten, unless they
/// already hold the same bytes.
///
/// # Errors
/// I/O errors and size limits naming the file.
pub fn copy_mirror(from: &Path, to: &Path) -> Result<(), BoardError> {
    copy_tree(from, to, true)?;
    let checkpoint = from.join(CHECKPOINT_FILE);
    if checkpoint.is_file() {
        let bytes = read_capped(&checkpoint, MAX_NOTE_LEN)?;
        write_atomic(&to.join(CHECKPOINT_FILE), &bytes, Access::Public)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path, top: bool) -> Result<(), BoardError> {
    std::fs::create_dir_all(to).map_err(BoardError::io(to))?;
    for item in std::fs::read_dir(from).map_err(BoardError::io(from))? {
        let item = item.map_err(BoardError::io(from))?;
        let (source, target) = (item.path(), to.join(item.file_name()));
        let name = item.file_name();
        let name = name.to_str().unwrap_or_default();
        if source.is_dir() {
            copy_tree(&source, &target, false)?;
        } else if !(is_temporary(name) || top && name == CHECKPOINT_FILE) {
            let limit = MAX_ENTRY_BUNDLE_LEN.max(MAX_NOTE_LEN);
            // Full tiles and bundles never change: a large board's refresh rewrites (and
            // syncs) only the partial ones and the checkpoint.
            write_if_changed(&target, &read_capped(&source, limit)?, limit)?;
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

    #[cfg(unix)]
    #[test]
    fn copying_again_rewrites_only_what_differs() -> Result<(), BoardError> {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/recopy", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::create(&dir.path().join("board"), &policy)?;
        let kind = EntryKind::new("test/item")?;
        let entries: Vec<Entry> = (0..600u32)
            .map(|i| Entry::new(kind.clone(), i.to_be_bytes().to_vec()))
            .collect::<Result<_, _>>()?;
        board.append_batch(&entries)?;
        board.sign_checkpoint(&op)?;
        board.publish()?;
        let (public, copy) = (board.dir().join(PUBLIC_DIR), dir.path().join("copy"));
        copy_mirror(&public, &copy)?;
        let full = copy.join("tile/0/000");
        let damaged = copy.join("tile/0/001");
        let inode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.ino())
                .map_err(BoardError::io(p))
        };
        let kept = inode(&full)?;
        let mut bytes = std::fs::read(&damaged).map_err(BoardError::io(&damaged))?;
        bytes[7] ^= 1;
        std::fs::write(&damaged, &bytes).map_err(BoardError::io(&damaged))?;
        copy_mirror(&public, &copy)?;
        assert_eq!(inode(&full)?, kept, "an unchanged full tile was rewritten");
        let repaired = std::fs::read(&damaged).map_err(BoardError::io(&damaged))?;
        let genuine = std::fs::read(public.join("tile/0/001")).map_err(BoardError::io("tile"))?;
        assert_eq!(repaired, genuine, "a differing file was left as it was");
        Mirror::open(&copy, &policy)?.audit(|_| ())?;
        Ok(())
    }

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
