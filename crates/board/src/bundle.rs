//! Offline bundles: a single file carrying the entries from some size on, the operator's signed
//! checkpoint at the end, the right edge of the tree where the bundle starts, and the
//! consistency proof between the two. Carried on a USB stick when the network is down.
//!
//! Import checks everything before it stores anything: the checkpoint's signatures under the
//! board's trust policy, that the entries lead from the bundle's starting tree to the
//! checkpoint's root, and that the starting tree is this board's own tree at that size. A
//! bundle of a forked log is rejected with both checkpoints named. Import is idempotent, and a
//! bundle that starts past the local end is refused until the earlier one is imported.
//!
//! A bundle is never held in memory whole: it is read as a stream ([`stream_entries`]), one
//! entry at a time, once to check it and once more to import it (in batches, in the one
//! transaction), so a bundle of millions of entries takes the memory of one batch.

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use fairtally_files::{Access, write_atomic};

use crate::board::{Board, append_in};
use crate::checkpoint::{SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::hashstore::{TileCache, TileNodes, stored_size};
use crate::merkle::{Frontier, Hash, root_at};
use crate::proof::verify_consistency;

/// Format tag of a bundle file.
pub const BUNDLE_FORMAT: &str = "fairtally-board-bundle/1";

/// Largest bundle file read, in bytes.
pub const MAX_BUNDLE_LEN: u64 = 1 << 32;

/// Entries appended at once while a bundle is imported, at most (and at most
/// [`IMPORT_BATCH_BYTES`] of them).
const IMPORT_BATCH: usize = 4096;
const IMPORT_BATCH_BYTES: usize = 16 << 20;

/// The JSON bundle file, as it is written.
#[derive(Serialize)]
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

/// The members of a bundle file other than its entries, as they are read (the entries are
/// streamed; the frontier must come before them, as [`Board::export_bundle`] writes it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleHeader {
    format: String,
    origin: String,
    from: u64,
    frontier: Vec<String>,
    checkpoint: String,
    consistency_proof: Vec<String>,
}

/// A bundle file read through: its header, the tree it starts from, and the tree its entries
/// lead to (`None` when the entries came before the start in the file, so that it must be
/// read again from the start now known).
struct Streamed {
    header: BundleHeader,
    start: Frontier,
    end: Option<Frontier>,
}

/// The tree a bundle's entries start from, from its `from` and `frontier` members.
fn start_of(from: u64, frontier: &[String], name: &str) -> Result<Frontier, BoardError> {
    Frontier::from_hashes(from, b64_hashes(frontier, &format!("{name}: frontier"))?)
        .map_err(|e| BoardError::malformed(name, e.to_string()))
}

/// The start a bundle's members name, if those read so far include it.
fn start_in(members: &Map<String, Value>, name: &str) -> Result<Option<Frontier>, BoardError> {
    let (Some(from), Some(Value::Array(frontier))) = (
        members.get("from").and_then(Value::as_u64),
        members.get("frontier"),
    ) else {
        return Ok(None);
    };
    let frontier: Vec<String> = frontier
        .iter()
        .map(|h| h.as_str().unwrap_or_default().to_owned())
        .collect();
    start_of(from, &frontier, name).map(Some)
}

/// What [`stream_bundle`] hands each entry to: its index in the file and its leaf data.
type EachLeaf<'a> = dyn FnMut(u64, &[u8]) -> Result<(), BoardError> + 'a;

/// Reads the bundle at `path` through, handing each entry's index and leaf data to `each`,
/// extending `start` (when known; else the start the file names before its entries).
fn stream_bundle(
    path: &Path,
    start: Option<Frontier>,
    each: &mut EachLeaf<'_>,
) -> Result<Streamed, BoardError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(BoardError::io(path))?;
    let (mut end, mut looked) = (start, false);
    let what = "a fairtally board bundle";
    let members = stream_entries(
        file,
        &name,
        what,
        MAX_BUNDLE_LEN,
        &mut |index, data, _, members| {
            if end.is_none() && !looked {
                looked = true;
                end = start_in(members, &name)?;
            }
            if let Some(end) = &mut end {
                end.push(crate::merkle::leaf_hash(data), |_| {});
            }
            each(index, data)
        },
    )?;
    let header: BundleHeader = serde_json::from_value(Value::Object(members))
        .map_err(|e| BoardError::malformed(&name, format!("not {what}: {e}")))?;
    let start = start_of(header.from, &header.frontier, &name)?;
    let end = match end {
        None if !looked => Some(start.clone()), // no entries
        end => end,
    };
    Ok(Streamed { header, start, end })
}

/// A bundle read from its file and checked on its own: the checkpoint's signatures under a
/// trust policy, and that the entries lead from the bundle's starting tree to the checkpoint's
/// root (with the consistency proof between the two). Import it with [`Board::import_bundle`].
#[derive(Clone, Debug)]
pub struct Bundle {
    path: PathBuf,
    name: String,
    from: u64,
    frontier: Frontier,
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
        let Streamed {
            header: file,
            start: frontier,
            end,
        } = stream_bundle(path, None, &mut |_, _| Ok(()))?;
        let end = match end {
            Some(end) => end,
            // The entries came first: read them again from the start the file names.
            None => stream_bundle(path, Some(frontier.clone()), &mut |_, _| Ok(()))?
                .end
                .unwrap_or_default(),
        };
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
        if end.size() != cp.size || end.root() != cp.root {
            return Err(BoardError::malformed(
                &name,
                format!(
                    "its {} entries from index {} do not lead to its {cp} (damaged or forged bundle)",
                    end.size() - frontier.size(),
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
            path: path.to_owned(),
            name,
            from: file.from,
            frontier,
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
            path,
            name,
            from,
            frontier,
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
            let local_now = local_root(local_size)?;
            // The file is read again: it may have changed since it was opened, so everything
            // is checked again before the transaction commits.
            let (mut at_local, mut batch, mut batch_bytes) = (frontier.clone(), Vec::new(), 0);
            let streamed = stream_bundle(path, Some(frontier.clone()), &mut |index, data| {
                if index + from < local_size {
                    at_local.push(crate::merkle::leaf_hash(data), |_| {});
                    return Ok(());
                }
                batch_bytes += data.len();
                batch.push(data.to_vec());
                if batch.len() >= IMPORT_BATCH || batch_bytes >= IMPORT_BATCH_BYTES {
                    appended += append_in(&tx, &batch, false)?.len() as u64;
                    (batch, batch_bytes) = (Vec::new(), 0);
                }
                Ok(())
            })?;
            appended += append_in(&tx, &batch, false)?.len() as u64;
            let Streamed { start, end, .. } = streamed;
            let end = end.unwrap_or_default();
            if start != *frontier || end.size() != cp.size || end.root() != cp.root {
                return Err(BoardError::malformed(
                    name,
                    "the bundle changed since it was opened and checked",
                ));
            }
            if at_local.root() != local_now {
                return Err(fork(format!("the trees differ at size {local_size}")));
            }
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

/// Largest member of a bundle or submissions file other than its entries (a checkpoint with
/// its cosignatures, a frontier, a proof), in bytes.
const MAX_MEMBER_LEN: u64 = 1 << 20;

/// Longest one entry's text is read (with room to spare, so that an entry a little too large
/// is refused as such; its base64 takes 4/3 of [`crate::entry::MAX_ENTRY_LEN`]).
const MAX_ENTRY_TEXT_LEN: u64 = 4 * crate::entry::MAX_ENTRY_LEN as u64;

/// What the parser reads ahead, in bytes. The buffer sits outside [`Capped`], so that
/// serde_json's reads of one byte at a time are served from it (std's fast path for
/// `Bytes<BufReader>`) rather than each passing through the cap: the cap sees the file in
/// pieces of this size, and counts an item to within one of them.
const READ_AHEAD: usize = 64 << 10;

/// A reader that stops at `max` bytes in all and at `per_item` bytes since the last
/// [`Mark`] (plus what was read ahead on either side of the mark): a file's parser never
/// buffers more than one item of it and twice [`READ_AHEAD`].
struct Capped<R> {
    inner: R,
    read: u64,
    max: u64,
    mark: Mark,
}

/// Bytes read since the parser last started an item, and how many one item may take.
#[derive(Clone, Default)]
struct Mark(Rc<Cell<(u64, u64)>>);

impl Mark {
    fn start(&self, per_item: u64) {
        self.0.set((0, per_item));
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let (since, per_item) = self.mark.0.get();
        self.mark.0.set((since + n as u64, per_item));
        if self.read > self.max {
            return Err(std::io::Error::other(format!(
                "longer than the {} bytes a file of this kind may have",
                self.max
            )));
        }
        if since + n as u64 > per_item + READ_AHEAD as u64 {
            return Err(std::io::Error::other(format!(
                "an item longer than the {per_item} bytes it may have"
            )));
        }
        Ok(n)
    }
}

/// What [`stream_entries`] hands each entry to: its index in the file, its leaf data, the
/// entry it holds, and the members read before the entries.
pub(crate) type EachEntry<'a> =
    dyn FnMut(u64, &[u8], Entry, &Map<String, Value>) -> Result<(), BoardError> + 'a;

/// Reads a JSON object, `what` it should be, from `reader` (`name` in errors, at most
/// `max_len` bytes) without holding it whole: each base64 leaf data of its `entries` member
/// goes to `each` as it is read, then dropped; the other members (each at most
/// [`MAX_MEMBER_LEN`] bytes) are returned. Errors name the source and the item (`NAME:
/// entries[7]`); a file cut short is one.
pub(crate) fn stream_entries(
    reader: impl Read,
    name: &str,
    what: &str,
    max_len: u64,
    each: &mut EachEntry<'_>,
) -> Result<Map<String, Value>, BoardError> {
    let mark = Mark::default();
    mark.start(MAX_MEMBER_LEN);
    let capped = Capped {
        inner: reader,
        read: 0,
        max: max_len,
        mark: mark.clone(),
    };
    let mut failed = None;
    let mut de =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(READ_AHEAD, capped));
    let visitor = FileVisitor {
        name,
        mark,
        each,
        failed: &mut failed,
    };
    let parsed = serde::de::DeserializeSeed::deserialize(visitor, &mut de).and_then(|m| {
        de.end()?;
        Ok(m)
    });
    match (parsed, failed) {
        (Ok(members), _) => Ok(members),
        (Err(_), Some(error)) => Err(error),
        (Err(e), None) => Err(BoardError::malformed(name, format!("not {what}: {e}"))),
    }
}

struct FileVisitor<'a, 'b> {
    name: &'a str,
    mark: Mark,
    each: &'a mut EachEntry<'b>,
    failed: &'a mut Option<BoardError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FileVisitor<'_, '_> {
    type Value = Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FileVisitor<'_, '_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                map.next_value_seed(EntriesVisitor {
                    name: self.name,
                    mark: self.mark.clone(),
                    each: &mut *self.each,
                    failed: &mut *self.failed,
                    members: &members,
                })?;
            } else {
                let value = map.next_value::<Value>()?;
                members.insert(key, value);
            }
            self.mark.start(MAX_MEMBER_LEN);
        }
        Ok(members)
    }
}

struct EntriesVisitor<'a, 'b> {
    name: &'a str,
    mark: Mark,
    each: &'a mut EachEntry<'b>,
    failed: &'a mut Option<BoardError>,
    members: &'a Map<String, Value>,
}

impl<'de> serde::de::DeserializeSeed<'de> for EntriesVisitor<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntriesVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of base64 entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        for index in 0u64.. {
            let item = format!("{}: entries[{index}]", self.name);
            self.mark.start(MAX_ENTRY_TEXT_LEN);
            let text = match seq.next_element::<String>() {
                Ok(Some(text)) => text,
                Ok(None) => break,
                Err(e) => {
                    let reason = format!("unreadable, the file cut short or damaged: {e}");
                    *self.failed = Some(BoardError::malformed(&item, reason));
                    return Err(e);
                }
            };
            let checked = BASE64
                .decode(&text)
                .map_err(|e| BoardError::malformed(&item, format!("not base64: {e}")))
                .and_then(|data| {
                    let entry = Entry::from_leaf_data(&data, &item)?;
                    (self.each)(index, &data, entry, self.members)
                });
            if let Err(error) = checked {
                let message = error.to_string();
                *self.failed = Some(error);
                return Err(A::Error::custom(message));
            }
        }
        Ok(())
    }
}
