//! The audit of a public board directory: every file, tied to the signed root.
//!
//! Whoever publishes a mirror controls all of its files, so nothing in it is believed until it
//! is tied to a checkpoint that verified under the reader's [`TrustPolicy`]. The audit goes in
//! this order (each step relies only on the ones before it):
//!
//! 1. `checkpoint`: read (size-capped) and verified under the policy ([`crate::mirror::Mirror::open`]).
//! 2. Hash tiles ([`VerifiedTree::read`]): every tile the checkpoint's tree needs, at every
//!    level, full and partial, is read with its exact length. Each level is recomputed from the
//!    level below and must equal the published tiles; the tree recomputed from the level-0
//!    hashes must have the checkpoint's root. From here on, the level-0 hashes are the leaves
//!    under the signed root.
//! 3. Entry bundles: every bundle parses into exactly its entries (no trailing bytes), every
//!    entry is well formed, and its leaf hash is the verified level-0 hash at its index. Only
//!    then is it handed to the caller, in log order.
//! 4. Files left by earlier publications (partial tiles and bundles of smaller sizes) must be
//!    prefixes of the verified ones.
//! 5. `checkpoints/<size>`: every archived checkpoint is named by its size, signed by the
//!    operator (every signature line by a key of the policy must verify), no larger than the
//!    latest, and consistent with it by a consistency proof computed from the verified tree;
//!    the archive holds the latest checkpoint itself.
//! 6. `policy` parses; whether it equals the policy used is reported.
//! 7. Any other file is reported as unexpected, never silently ignored.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::checkpoint::{Checkpoint, SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::layout::{
    CHECKPOINTS_DIR, MAX_BUNDLE_LEN, MAX_TILE_LEN, POLICY_FILE, PublicFile, read_capped, read_note,
};
use crate::merkle::{EMPTY_ROOT, HASH_LEN, Hash, NodeSource, node_hash, root_at};
use crate::proof::{consistency_proof, verify_consistency};
use crate::publish::is_temporary;
use crate::tiles::{TILE_HEIGHT, TILE_WIDTH, nodes_at_tile_level, tile_path};

/// Entry bundles read and hashed in parallel before their entries are handed on in order.
const BUNDLES_PER_ROUND: u64 = 16;

/// The hash tiles of a tree, every one recomputed from the level below and tied to the root of
/// a checkpoint: `rows[t]` holds the complete nodes of tree level `8t`.
#[derive(Clone, Debug)]
pub(crate) struct VerifiedTree {
    size: u64,
    rows: Vec<Vec<Hash>>,
}

impl VerifiedTree {
    /// Reads every hash tile of the tree of `checkpoint` from the public directory `dir` and
    /// checks it (step 2 of the module documentation).
    ///
    /// # Errors
    /// [`BoardError::Inconsistent`] naming the first tile that is missing, of the wrong length
    /// or different from what the level below gives, or saying that the tiles do not lead to
    /// the root; [`BoardError::FileTooLarge`] or I/O errors naming the file.
    pub(crate) fn read(dir: &Path, checkpoint: &Checkpoint) -> Result<Self, BoardError> {
        let size = checkpoint.size;
        let mut rows: Vec<Vec<Hash>> = Vec::new();
        for tile_level in 0..=u8::MAX {
            let count = nodes_at_tile_level(size, tile_level);
            if count == 0 {
                break;
            }
            let published = read_level(dir, tile_level, count)?;
            if let Some(below) = rows.last() {
                let computed = level_above(below);
                if let Some(at) = computed.iter().zip(&published).position(|(a, b)| a != b) {
                    let index = at as u64 / TILE_WIDTH;
                    let width = (count - index * TILE_WIDTH).min(TILE_WIDTH);
                    return Err(BoardError::Inconsistent {
                        file: dir.join(tile_path(Some(tile_level), index, width)),
                        reason: format!(
                            "hash {} is not the hash of the 256 nodes below it in {}",
                            at as u64 % TILE_WIDTH,
                            tile_path(Some(tile_level - 1), at as u64, TILE_WIDTH)
                        ),
                    });
                }
            }
            rows.push(published);
        }
        let mut tree = Self { size, rows };
        let root = if size == 0 {
            EMPTY_ROOT
        } else {
            root_at(&mut tree, size)?
        };
        if root != checkpoint.root {
            return Err(BoardError::Inconsistent {
                file: dir.join("tile"),
                reason: format!(
                    "the hash tiles lead to root {}, not to the root of the signed {checkpoint} \
                     (a tile on the right edge of the tree, or a tile together with those \
                     above it, does not match)",
                    hex::encode(root)
                ),
            });
        }
        Ok(tree)
    }

    /// Number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The leaf hashes, in log order.
    pub(crate) fn leaf_hashes(&self) -> &[Hash] {
        self.rows.first().map(Vec::as_slice).unwrap_or_default()
    }

    /// The verified content of tile `index` at `tile_level`, as wide as the tree makes it.
    fn tile(&self, tile_level: u8, index: u64) -> &[Hash] {
        let row = self
            .rows
            .get(usize::from(tile_level))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let start = usize::try_from(index * TILE_WIDTH).unwrap_or(usize::MAX);
        let end = start.saturating_add(TILE_WIDTH as usize).min(row.len());
        row.get(start..end).unwrap_or_default()
    }

    /// The index of the first leaf of each of `leaf_hashes` (`None` when not in the tree).
    pub(crate) fn locate(&self, leaf_hashes: &[Hash]) -> Vec<Option<u64>> {
        let mut wanted: std::collections::HashMap<Hash, Option<u64>> =
            leaf_hashes.iter().map(|h| (*h, None)).collect();
        let mut missing = wanted.len();
        for (index, hash) in self.leaf_hashes().iter().enumerate() {
            if missing == 0 {
                break;
            }
            if let Some(slot @ None) = wanted.get_mut(hash) {
                *slot = Some(index as u64);
                missing -= 1;
            }
        }
        leaf_hashes
            .iter()
            .map(|h| wanted.get(h).copied().flatten())
            .collect()
    }
}

impl NodeSource for VerifiedTree {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        let missing = BoardError::MissingNode { level, index };
        let row = level % TILE_HEIGHT;
        let nodes = self
            .rows
            .get(usize::from(level / TILE_HEIGHT))
            .ok_or(BoardError::MissingNode { level, index })?;
        // The node covers nodes first .. first + 2^row of its tile level.
        let first = index.checked_shl(u32::from(row)).ok_or(missing)?;
        let first = usize::try_from(first).map_err(|_| BoardError::MissingNode { level, index })?;
        nodes
            .get(first..first.saturating_add(1 << row))
            .map(subtree_of)
            .ok_or(BoardError::MissingNode { level, index })
    }
}

/// The hash of the complete subtree over `nodes` (a power of two of them).
fn subtree_of(nodes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = nodes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level.first().copied().unwrap_or(EMPTY_ROOT)
}

/// The complete nodes one tile level up: the subtree hash of every full 256 of `below`.
fn level_above(below: &[Hash]) -> Vec<Hash> {
    below
        .par_chunks_exact(TILE_WIDTH as usize)
        .map(subtree_of)
        .collect()
}

/// Reads the `count` published nodes of a tile level, each tile with its exact length.
fn read_level(dir: &Path, tile_level: u8, count: u64) -> Result<Vec<Hash>, BoardError> {
    let tiles: Vec<Vec<Hash>> = (0..count.div_ceil(TILE_WIDTH))
        .into_par_iter()
        .map(|index| {
            let width = (count - index * TILE_WIDTH).min(TILE_WIDTH);
            read_tile(&dir.join(tile_path(Some(tile_level), index, width)), width)
        })
        .collect::<Result<_, _>>()?;
    Ok(tiles.concat())
}

/// Reads a hash tile that must hold exactly `width` hashes.
fn read_tile(path: &Path, width: u64) -> Result<Vec<Hash>, BoardError> {
    let bytes = read_required(path, MAX_TILE_LEN)?;
    if bytes.len() as u64 != width * HASH_LEN as u64 {
        return Err(BoardError::Inconsistent {
            file: path.to_owned(),
            reason: format!(
                "tile is {} bytes, the checkpoint needs exactly {width} hashes ({} bytes)",
                bytes.len(),
                width * HASH_LEN as u64
            ),
        });
    }
    Ok(bytes
        .chunks_exact(HASH_LEN)
        .filter_map(|c| Hash::try_from(c).ok())
        .collect())
}

/// Reads a file the checkpoint needs; its absence is an inconsistency, not a mere I/O error.
fn read_required(path: &Path, max: u64) -> Result<Vec<u8>, BoardError> {
    read_capped(path, max).map_err(|e| match e {
        BoardError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            BoardError::Inconsistent {
                file: path.to_owned(),
                reason: "missing: the signed checkpoint covers it".into(),
            }
        }
        other => other,
    })
}

/// Parses an entry bundle that must hold exactly the entries `first .. first + hashes.len()`
/// whose verified leaf hashes are `hashes`.
pub(crate) fn read_bundle(
    path: &Path,
    first: u64,
    hashes: &[Hash],
) -> Result<Vec<Entry>, BoardError> {
    let bytes = read_required(path, MAX_BUNDLE_LEN)?;
    let bad = |reason: String| BoardError::Inconsistent {
        file: path.to_owned(),
        reason,
    };
    let mut rest = bytes.as_slice();
    let mut entries = Vec::with_capacity(hashes.len());
    for (i, expected) in hashes.iter().enumerate() {
        let index = first + i as u64;
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return Err(bad(format!("entry {index} is missing")));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(bad(format!("entry {index} is truncated")));
        }
        let (data, tail) = tail.split_at(len);
        if crate::merkle::leaf_hash(data) != *expected {
            return Err(bad(format!(
                "entry {index} does not match its leaf hash under the signed root"
            )));
        }
        entries.push(Entry::from_leaf_data(
            data,
            &format!("{}: entry {index}", path.display()),
        )?);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad(format!(
            "{} bytes after the last of its {} entries",
            rest.len(),
            hashes.len()
        )));
    }
    Ok(entries)
}

/// A file in a public directory that is not part of the board's layout at its checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnexpectedFile {
    /// The file, relative to the public directory.
    pub path: PathBuf,
    /// Why it does not belong.
    pub reason: String,
}

/// What a full audit of a public directory found; every entry and file it counts was checked
/// against the signed checkpoint.
#[derive(Clone, Debug)]
pub struct AuditReport {
    /// The latest checkpoint, verified under the policy.
    pub checkpoint: SignedCheckpoint,
    /// Entries checked (the checkpoint's size).
    pub entries: u64,
    /// Files read and checked.
    pub files_checked: u64,
    /// Sizes of the archived checkpoints checked, ascending.
    pub archived: Vec<u64>,
    /// The published `policy` file, parsed (`None` when it is absent).
    pub published_policy: Option<TrustPolicy>,
    /// Files that are not part of the layout: temporaries, foreign files, tiles beyond the
    /// checkpoint. The caller must report them.
    pub unexpected: Vec<UnexpectedFile>,
}

/// What the audit has to read: the layout's files found in the directory.
#[derive(Default)]
struct Inventory {
    earlier_tiles: Vec<(Option<u8>, u64, u64)>,
    archived: Vec<u64>,
    policy: bool,
    unexpected: Vec<UnexpectedFile>,
}

impl Inventory {
    /// Walks `dir` and sorts every file into the layout at `size` or the unexpected ones.
    fn take(dir: &Path, size: u64) -> Result<Self, BoardError> {
        let mut inventory = Self::default();
        inventory.walk(dir, Path::new(""), size)?;
        inventory.archived.sort_unstable();
        inventory.unexpected.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(inventory)
    }

    fn walk(&mut self, root: &Path, relative: &Path, size: u64) -> Result<(), BoardError> {
        let dir = root.join(relative);
        for item in std::fs::read_dir(&dir).map_err(BoardError::io(&dir))? {
            let item = item.map_err(BoardError::io(&dir))?;
            let rel = relative.join(item.file_name());
            let kind = item.file_type().map_err(BoardError::io(root.join(&rel)))?;
            if kind.is_dir() {
                self.walk(root, &rel, size)?;
                continue;
            }
            let unexpected = |reason: &str| UnexpectedFile {
                path: rel.clone(),
                reason: reason.to_owned(),
            };
            if !kind.is_file() {
                self.unexpected
                    .push(unexpected("not a regular file (a link or a device)"));
                continue;
            }
            let name = rel
                .to_str()
                .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"));
            match name.as_deref().and_then(PublicFile::classify) {
                Some(PublicFile::Checkpoint) => {}
                Some(PublicFile::Policy) => self.policy = true,
                Some(PublicFile::Archived(s)) => self.archived.push(s),
                Some(PublicFile::Tile {
                    level,
                    index,
                    width,
                }) => {
                    let count = level.map_or(size, |l| nodes_at_tile_level(size, l));
                    let now = count.saturating_sub(index.saturating_mul(TILE_WIDTH));
                    let now = now.min(TILE_WIDTH);
                    if width < now {
                        self.earlier_tiles.push((level, index, width));
                    } else if width > now {
                        self.unexpected.push(unexpected(&format!(
                            "holds nodes beyond the signed checkpoint of size {size}"
                        )));
                    }
                }
                None if item.file_name().to_str().is_some_and(is_temporary) => self
                    .unexpected
                    .push(unexpected("a temporary file left by an unfinished write")),
                None => self
                    .unexpected
                    .push(unexpected("not part of the board's layout")),
            }
        }
        Ok(())
    }
}

/// Audits a public directory whose latest checkpoint `checkpoint` verified under `policy` and
/// whose hash tiles are `tree`: steps 3 to 7 of the module documentation. `visit` receives
/// every entry, in log order, once it is tied to the signed root; `progress` the number of
/// entries checked so far.
///
/// # Errors
/// The first inconsistency, naming the file (see [`BoardError::Inconsistent`]); signature
/// errors of archived checkpoints; size limits and I/O errors naming the file.
pub(crate) fn audit_directory(
    dir: &Path,
    policy: &TrustPolicy,
    checkpoint: &SignedCheckpoint,
    tree: &mut VerifiedTree,
    mut progress: impl FnMut(u64),
    mut visit: impl FnMut(u64, &Entry),
) -> Result<AuditReport, BoardError> {
    let size = tree.size();
    // The directory is listed first, so that a file slipped in while the audit runs is
    // either listed (and checked or reported) or was not there when the verdict was made.
    let inventory = Inventory::take(dir, size)?;
    let mut files_checked = 1 + size.div_ceil(TILE_WIDTH);
    for level in 1..=u8::MAX {
        let count = nodes_at_tile_level(size, level);
        if count == 0 {
            break;
        }
        files_checked += count.div_ceil(TILE_WIDTH);
    }

    // Step 3: the entry bundles, a round of bundles hashed in parallel, then handed on in order.
    let bundles = size.div_ceil(TILE_WIDTH);
    let mut next = 0;
    while next < bundles {
        let end = (next + BUNDLES_PER_ROUND).min(bundles);
        let round: Vec<Vec<Entry>> = (next..end)
            .into_par_iter()
            .map(|bundle| {
                let hashes = tree.tile(0, bundle);
                let width = hashes.len() as u64;
                read_bundle(
                    &dir.join(tile_path(None, bundle, width)),
                    bundle * TILE_WIDTH,
                    hashes,
                )
            })
            .collect::<Result<_, _>>()?;
        for (bundle, entries) in (next..end).zip(&round) {
            for (i, entry) in entries.iter().enumerate() {
                visit(bundle * TILE_WIDTH + i as u64, entry);
            }
        }
        files_checked += end - next;
        next = end;
        progress((next * TILE_WIDTH).min(size));
    }

    // Step 4: what earlier publications left must be prefixes of the verified files.
    for &(level, index, width) in &inventory.earlier_tiles {
        let path = dir.join(tile_path(level, index, width));
        let verified = tree.tile(level.unwrap_or(0), index);
        let prefix = verified.get(..width as usize).unwrap_or_default();
        match level {
            None => {
                read_bundle(&path, index * TILE_WIDTH, prefix)?;
            }
            Some(_) => {
                if read_tile(&path, width)? != prefix {
                    return Err(BoardError::Inconsistent {
                        file: path,
                        reason: format!(
                            "this earlier partial tile is not a prefix of the tile under the signed {}",
                            checkpoint.checkpoint()
                        ),
                    });
                }
            }
        }
        files_checked += 1;
    }

    // Step 5: the archive of checkpoints.
    let latest = checkpoint.checkpoint();
    if inventory.archived.binary_search(&size).is_err() {
        return Err(BoardError::Inconsistent {
            file: dir.join(CHECKPOINTS_DIR).join(size.to_string()),
            reason: "missing: the archive must hold the latest checkpoint".into(),
        });
    }
    let operator = policy.operator_signature_only();
    for &archived_size in &inventory.archived {
        let path = dir.join(CHECKPOINTS_DIR).join(archived_size.to_string());
        let item = path.display().to_string();
        let archived = SignedCheckpoint::parse(&read_note(&path)?, &item)?;
        let cp = archived.checkpoint();
        let bad = |reason: String| BoardError::Inconsistent {
            file: path.clone(),
            reason,
        };
        if cp.size != archived_size {
            return Err(bad(format!("holds a checkpoint of size {}", cp.size)));
        }
        operator.verify(&archived).map_err(|e| bad(e.to_string()))?;
        if cp.size > size {
            return Err(bad(format!(
                "newer than the latest checkpoint (size {size}): the checkpoint file went back, or a publication did not finish"
            )));
        }
        let consistent = match cp.size {
            0 => (cp.root == EMPTY_ROOT)
                .then_some(())
                .ok_or_else(|| "the empty tree has another root".to_owned()),
            s => consistency_proof(tree, s, size)
                .and_then(|proof| {
                    verify_consistency(s, size, &proof, &cp.root, &latest.root)
                        .map_err(BoardError::from)
                })
                .map_err(|e| e.to_string()),
        };
        consistent.map_err(|reason| BoardError::Fork {
            first: cp.to_string(),
            second: latest.to_string(),
            reason: format!("{item} is not consistent with the latest checkpoint: {reason}"),
        })?;
        files_checked += 1;
    }

    // Step 6: the published policy.
    let published_policy = if inventory.policy {
        let path = dir.join(POLICY_FILE);
        files_checked += 1;
        Some(TrustPolicy::parse(
            &read_note(&path)?,
            &path.display().to_string(),
        )?)
    } else {
        None
    };

    Ok(AuditReport {
        checkpoint: checkpoint.clone(),
        entries: size,
        files_checked,
        archived: inventory.archived,
        published_policy,
        unexpected: inventory.unexpected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Board, PUBLIC_DIR};
    use crate::entry::EntryKind;
    use crate::mirror::Mirror;
    use crate::note::{KeyRole, NoteSigner};

    /// A board of 700 entries published at sizes 300 and 700, so that its public directory has
    /// full and partial tiles at levels 0 and 1, partial files left from size 300 and two
    /// archived checkpoints.
    struct Published {
        _dir: tempfile::TempDir,
        public: PathBuf,
        policy: TrustPolicy,
        entries: Vec<Entry>,
    }

    fn published() -> Result<Published, BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/audit", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::create(&dir.path().join("board"), &policy)?;
        let kind = EntryKind::new("election/ballot")?;
        let entries: Vec<Entry> = (0..700u32)
            .map(|i| Entry::new(kind.clone(), format!("{{\"ballot\":{i}}}").into_bytes()))
            .collect::<Result<_, _>>()?;
        board.post(entries[..300].iter().cloned(), &op)?;
        board.post(entries[300..].iter().cloned(), &op)?;
        let public = dir.path().join("board").join(PUBLIC_DIR);
        Ok(Published {
            _dir: dir,
            public,
            policy,
            entries,
        })
    }

    impl Published {
        fn audit(&self) -> Result<AuditReport, BoardError> {
            Mirror::open(&self.public, &self.policy)?.audit(|_| {})
        }

        fn flip(&self, file: &str, at: usize) -> Result<(), BoardError> {
            let path = self.public.join(file);
            let mut bytes = std::fs::read(&path).map_err(BoardError::io(&path))?;
            bytes[at] ^= 0x01;
            std::fs::write(&path, bytes).map_err(BoardError::io(&path))
        }

        /// Audits a copy after `damage`, expecting an error that says `expect`.
        fn rejects(&self, expect: &str, damage: impl FnOnce(&Self) -> Result<(), BoardError>) {
            let copy = tempfile::tempdir().expect("tempdir");
            crate::mirror::copy_mirror(&self.public, copy.path()).expect("copy");
            let damaged = Self {
                _dir: copy,
                public: PathBuf::new(),
                policy: self.policy.clone(),
                entries: Vec::new(),
            };
            let damaged = Self {
                public: damaged._dir.path().to_owned(),
                ..damaged
            };
            damage(&damaged).expect("damage");
            match damaged.audit() {
                Ok(report) => panic!("{expect}: damage not noticed: {report:?}"),
                Err(e) => assert!(e.to_string().contains(expect), "{expect}: {e}"),
            }
        }
    }

    #[test]
    fn a_clean_directory_audits_whole_and_hands_out_every_entry_in_order() -> Result<(), BoardError>
    {
        let p = published()?;
        let mut mirror = Mirror::open(&p.public, &p.policy)?;
        let mut seen = Vec::new();
        let mut progress = Vec::new();
        let report =
            mirror.audit_entries(|n| progress.push(n), |i, e| seen.push((i, e.clone())))?;
        assert_eq!(report.entries, 700);
        assert_eq!(report.archived, [300, 700]);
        assert!(report.unexpected.is_empty(), "{:?}", report.unexpected);
        assert_eq!(report.published_policy.as_ref(), Some(&p.policy));
        // checkpoint, policy, 3 + 1 tiles, 3 bundles, 3 partial files of size 300, 2 archived.
        assert_eq!(report.files_checked, 14);
        assert_eq!(progress.last(), Some(&700));
        let expected: Vec<(u64, Entry)> = p
            .entries
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, e)| (i as u64, e))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(mirror.leaf_hashes()?.len(), 700);
        Ok(())
    }

    #[test]
    fn a_changed_entry_with_its_hash_patched_into_the_tiles_is_rejected() -> Result<(), BoardError>
    {
        // Defect 1: change a ballot, patch its leaf hash into tile/0/..., leave the checkpoint.
        let p = published()?;
        let forged = Entry::new(
            EntryKind::new("election/ballot")?,
            b"{\"ballot\":9999}".to_vec(),
        )?;
        let tile = p.public.join("tile/0/000");
        let mut bytes = std::fs::read(&tile).map_err(BoardError::io(&tile))?;
        bytes[5 * HASH_LEN..6 * HASH_LEN].copy_from_slice(&forged.leaf_hash());
        std::fs::write(&tile, bytes).map_err(BoardError::io(&tile))?;
        let mut mirror = Mirror::open(&p.public, &p.policy)?;
        let located = mirror.locate(&[forged.leaf_hash()]);
        assert!(
            matches!(located, Err(BoardError::Inconsistent { .. })),
            "{located:?}"
        );
        assert!(mirror.find(&p.entries[6].leaf_hash()).is_err());
        let audit = p.audit();
        assert!(
            audit.as_ref().is_err_and(|e| e.to_string().contains(
                "tile/1/000.p/2: hash 0 is not the hash of the 256 nodes below it in tile/0/000"
            )),
            "{audit:?}"
        );
        Ok(())
    }

    #[test]
    fn one_flipped_byte_anywhere_is_rejected() -> Result<(), BoardError> {
        // Defect 2: bundles, upper and partial tiles, earlier files, archived checkpoints.
        let p = published()?;
        p.audit()?;
        p.rejects("tile/entries/000", |d| d.flip("tile/entries/000", 40));
        p.rejects("tile/entries/002.p/188", |d| {
            d.flip("tile/entries/002.p/188", 3)
        });
        p.rejects("tile/1/000.p/2", |d| d.flip("tile/1/000.p/2", 33));
        p.rejects("tile: the hash tiles lead to root", |d| {
            d.flip("tile/0/002.p/188", 0)
        });
        p.rejects("tile/0/001.p/44", |d| d.flip("tile/0/001.p/44", 100));
        p.rejects("tile/1/000.p/1", |d| d.flip("tile/1/000.p/1", 31));
        p.rejects("tile/entries/001.p/44", |d| {
            d.flip("tile/entries/001.p/44", 10)
        });
        p.rejects("checkpoints/300", |d| d.flip("checkpoints/300", 30));
        p.rejects("checkpoints/300", |d| {
            // The archive claims another size for the checkpoint of size 700.
            std::fs::copy(
                d.public.join("checkpoints/700"),
                d.public.join("checkpoints/300"),
            )
            .map(|_| ())
            .map_err(BoardError::io("checkpoints/300"))
        });
        p.rejects("tile/entries/000", |d| {
            let path = d.public.join("tile/entries/000");
            let mut bytes = std::fs::read(&path).map_err(BoardError::io(&path))?;
            bytes.push(0);
            std::fs::write(&path, bytes).map_err(BoardError::io(&path))
        });
        p.rejects("checkpoints/700", |d| {
            std::fs::remove_file(d.public.join("checkpoints/700"))
                .map_err(BoardError::io("checkpoints/700"))
        });
        p.rejects("tile/0/001", |d| {
            std::fs::remove_file(d.public.join("tile/0/001")).map_err(BoardError::io("tile"))
        });
        Ok(())
    }

    #[test]
    fn files_outside_the_layout_are_reported() -> Result<(), BoardError> {
        let p = published()?;
        for (name, bytes) in [
            ("tile/0/.fairtally-x1.tmp", &b"half"[..]),
            ("notes.txt", b"hello"),
            ("tile/0/003.p/1", &[0u8; 32]),
        ] {
            let path = p.public.join(name);
            fairtally_files::write_atomic(&path, bytes, fairtally_files::Access::Public)?;
        }
        let report = p.audit()?;
        let found: Vec<(String, &str)> = report
            .unexpected
            .iter()
            .map(|u| (u.path.display().to_string(), u.reason.as_str()))
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, "notes.txt");
        assert!(found[1].1.contains("temporary"), "{found:?}");
        assert!(
            found[2].1.contains("beyond the signed checkpoint"),
            "{found:?}"
        );
        Ok(())
    }

    #[test]
    fn oversize_mirror_files_are_refused_before_reading() -> Result<(), BoardError> {
        let p = published()?;
        let path = p.public.join("checkpoint");
        let mut text = std::fs::read(&path).map_err(BoardError::io(&path))?;
        text.resize(crate::layout::MAX_NOTE_LEN as usize + 1, b'\n');
        std::fs::write(&path, text).map_err(BoardError::io(&path))?;
        assert!(matches!(
            Mirror::open(&p.public, &p.policy),
            Err(BoardError::FileTooLarge { .. })
        ));
        Ok(())
    }
}
