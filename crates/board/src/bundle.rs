//! Offline bundles: a single file carrying the entries from some size on, the operator's signed
//! checkpoint at the end, the right edge of the tree where the bundle starts, and the
//! consistency proof between the two. Carried on a USB stick when the network is down.
//!
//! Import checks everything before it stores anything: the checkpoint's signatures under the
//! board's trust policy, that the entries lead from the bundle's starting tree to the
//! checkpoint's root, and that the starting tree is this board's own tree at that size. A
//! bundle of a forked log is rejected with both checkpoints named. Import is idempotent, and a
//! bundle that starts past the local end is refused until the earlier one is imported.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use fairtally_files::{Access, write_atomic};

use crate::board::{Board, append_in};
use crate::checkpoint::{SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::hashstore::{TileCache, TileNodes, stored_size};
use crate::layout::read_capped;
use crate::merkle::{Frontier, Hash, root_at};
use crate::proof::verify_consistency;

/// Format tag of a bundle file.
pub const BUNDLE_FORMAT: &str = "fairtally-board-bundle/1";

/// Largest bundle file read, in bytes.
pub const MAX_BUNDLE_LEN: u64 = 1 << 32;

/// The JSON bundle file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    format: String,
    origin: String,
    from: u64,
    /// Right edge of the tree of `from` entries (base64 hashes, largest subtree first).
    frontier: Vec<String>,
    /// Leaf data of entries `from ..`, base64.
    entries: Vec<String>,
    /// The operator's signed checkpoint covering the entries (signed-note text).
    checkpoint: String,
    /// Consistency proof from `from` to the checkpoint's size (base64 hashes).
    consistency_proof: Vec<String>,
}

/// A bundle read from its file and checked on its own: the checkpoint's signatures under a
/// trust policy, and that the entries lead from the bundle's starting tree to the checkpoint's
/// root (with the consistency proof between the two). Import it with [`Board::import_bundle`].
#[derive(Clone, Debug)]
pub struct Bundle {
    name: String,
    from: u64,
    frontier: Frontier,
    leaves: Vec<Vec<u8>>,
    head: SignedCheckpoint,
}

impl Bundle {
    /// Reads and checks a bundle file.
    ///
    /// # Errors
    /// I/O errors; [`BoardError::Malformed`] (naming the file and item) for a damaged or forged
    /// bundle; [`BoardError::Signature`], [`BoardError::NotEnoughWitnesses`] or
    /// [`BoardError::WrongLog`] for its checkpoint.
    pub fn open(path: &Path, policy: &TrustPolicy) -> Result<Self, BoardError> {
        let name = path.display().to_string();
        let bytes = read_capped(path, MAX_BUNDLE_LEN)?;
        let file: BundleFile = serde_json::from_slice(&bytes).map_err(|e| {
            BoardError::malformed(&name, format!("not a fairtally board bundle: {e}"))
        })?;
        if file.format != BUNDLE_FORMAT {
            return Err(BoardError::malformed(
                format!("{name}: format"),
                format!("{:?} is not {BUNDLE_FORMAT:?}", file.format),
            ));
        }
        if file.origin != policy.origin() {
            return Err(BoardError::WrongLog {
                item: name,
                found: file.origin,
                expected: policy.origin().to_owned(),
            });
        }
        let head = SignedCheckpoint::parse(&file.checkpoint, &format!("{name}: checkpoint"))?;
        policy.verify(&head)?;
        let cp = head.checkpoint().clone();
        let mut leaves = Vec::with_capacity(file.entries.len());
        for (i, text) in file.entries.iter().enumerate() {
            let item = format!("{name}: entries[{i}]");
            let data = BASE64
                .decode(text)
                .map_err(|e| BoardError::malformed(&item, format!("not base64: {e}")))?;
            Entry::from_leaf_data(&data, &item)?;
            leaves.push(data);
        }
        let frontier = Frontier::from_hashes(
            file.from,
            b64_hashes(&file.frontier, &format!("{name}: frontier"))?,
        )
        .map_err(|e| BoardError::malformed(&name, e.to_string()))?;
        let mut end = frontier.clone();
        for data in &leaves {
            end.push(crate::merkle::leaf_hash(data), |_| {});
        }
        if end.size() != cp.size || end.root() != cp.root {
            return Err(BoardError::malformed(
                &name,
                format!(
                    "its {} entries from index {} do not lead to its {cp} (damaged or forged bundle)",
                    leaves.len(),
                    file.from
                ),
            ));
        }
        let proof = b64_hashes(
            &file.consistency_proof,
            &format!("{name}: consistency_proof"),
        )?;
        if file.from > 0 && file.from < cp.size {
            verify_consistency(file.from, cp.size, &proof, &frontier.root(), &cp.root).map_err(
                |e| BoardError::malformed(format!("{name}: consistency_proof"), e.to_string()),
            )?;
        }
        Ok(Self {
            name,
            from: file.from,
            frontier,
            leaves,
            head,
        })
    }

    /// The bundle's checkpoint (verified).
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.head
    }

    /// Index of the first entry in the bundle.
    pub fn from(&self) -> u64 {
        self.from
    }
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    /// First entry index in the bundle.
    pub from: u64,
    /// Size of the checkpoint in the bundle.
    pub size: u64,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// Entries added to the board (0 when it already had them all).
    pub appended: u64,
    /// The board's size afterwards.
    pub size: u64,
    /// The bundle's checkpoint, now stored, with only the signature lines that verified.
    pub checkpoint: SignedCheckpoint,
    /// Signature lines of the bundle's checkpoint by keys the board's policy does not know:
    /// unverifiable, so neither stored nor republished.
    pub dropped_signatures: usize,
}

fn hashes_to_b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| BASE64.encode(h)).collect()
}

fn b64_hashes(values: &[String], item: &str) -> Result<Vec<Hash>, BoardError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            BASE64
                .decode(v)
                .ok()
                .and_then(|b| Hash::try_from(b).ok())
                .ok_or_else(|| {
                    BoardError::malformed(format!("{item}[{i}]"), "not a base64 32-byte hash")
                })
        })
        .collect()
}

impl Board {
    /// Writes a bundle of the entries from `from` up to the latest checkpoint into `path`.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] when `from` is past the latest checkpoint (or there is none);
    /// I/O and database errors.
    pub fn export_bundle(&self, from: u64, path: &Path) -> Result<ExportReport, BoardError> {
        let head = self.latest_checkpoint()?.ok_or(BoardError::OutOfRange {
            what: "export start",
            value: from,
            size: 0,
        })?;
        let size = head.checkpoint().size;
        if from > size {
            return Err(BoardError::OutOfRange {
                what: "export start",
                value: from,
                size,
            });
        }
        let frontier = self.hashes().frontier(from)?;
        let proof = if from > 0 && from < size {
            self.consistency_proof(from, size)?
        } else {
            Vec::new()
        };
        let file = BundleFile {
            format: BUNDLE_FORMAT.into(),
            origin: self.origin().to_owned(),
            from,
            frontier: hashes_to_b64(frontier.hashes()),
            entries: self
                .leaf_data(from, size)?
                .iter()
                .map(|d| BASE64.encode(d))
                .collect(),
            checkpoint: head.to_text(),
            consistency_proof: hashes_to_b64(&proof),
        };
        let json = serde_json::to_vec(&file).map_err(|e| BoardError::Io {
            path: path.to_owned(),
            source: std::io::Error::other(e),
        })?;
        write_atomic(path, &json, Access::Public)?;
        Ok(ExportReport { from, size })
    }

    /// Imports a verified bundle (see [`Bundle::open`]): checks that it continues this board's
    /// own tree, then appends the entries this board lacks and stores the bundle's checkpoint,
    /// all in one transaction. Nothing is stored unless every check passes; importing the same
    /// bundle again changes nothing.
    ///
    /// # Errors
    /// [`BoardError::WrongLog`] for another log's bundle, [`BoardError::Signature`] or
    /// [`BoardError::NotEnoughWitnesses`] under this board's policy, [`BoardError::Gap`] for a bundle that
    /// starts past this board's end, [`BoardError::Fork`] naming both checkpoints when the
    /// bundle's log and this board's disagree; database errors.
    pub fn import_bundle(&mut self, bundle: &Bundle) -> Result<ImportReport, BoardError> {
        let Bundle {
            name,
            from,
            frontier,
            leaves,
            head,
        } = bundle;
        let (name, from) = (name.as_str(), *from);
        let cp = head.checkpoint().clone();
        if cp.origin != self.origin() {
            return Err(BoardError::WrongLog {
                item: name.to_owned(),
                found: cp.origin,
                expected: self.origin().to_owned(),
            });
        }
        // The bundle was checked under the policy it was opened with; this board's may be stricter.
        self.policy().verify(head)?;
        let mut head = head.clone();
        let dropped_signatures = head.keep_verified(self.policy())?;
        let latest = self.latest_checkpoint()?;
        let tx = self.hashes().store().write()?;
        let local_size = stored_size(&tx)?;
        let mut cache = TileCache::default();
        let mut local_root = |size: u64| {
            root_at(
                &mut TileNodes {
                    store: &tx,
                    size,
                    cache: &mut cache,
                },
                size,
            )
        };
        let fork = |reason: String| {
            let first = latest.as_ref().map_or_else(
                || format!("this board at size {local_size}"),
                |l| l.checkpoint().to_string(),
            );
            BoardError::Fork {
                first,
                second: format!("{cp} in {name}"),
                reason,
            }
        };
        if local_size < from {
            return Err(BoardError::Gap {
                file: name.into(),
                from,
                size: local_size,
            });
        }
        if local_root(from)? != frontier.root() {
            return Err(fork(format!("the trees differ at size {from}")));
        }
        let mut appended = 0;
        if local_size <= cp.size {
            let have = (local_size - from) as usize;
            let mut at_local = frontier.clone();
            for data in &leaves[..have] {
                at_local.push(crate::merkle::leaf_hash(data), |_| {});
            }
            if local_root(local_size)? != at_local.root() {
                return Err(fork(format!("the trees differ at size {local_size}")));
            }
            appended = append_in(&tx, &leaves[have..], false)?.len() as u64;
        } else if local_root(cp.size)? != cp.root {
            return Err(fork(format!("the trees differ at size {}", cp.size)));
        }
        Board::store_received_checkpoint(&tx, &head)?;
        let size = stored_size(&tx)?;
        tx.commit()?;
        Ok(ImportReport {
            appended,
            size,
            checkpoint: head,
            dropped_signatures,
        })
    }
}
