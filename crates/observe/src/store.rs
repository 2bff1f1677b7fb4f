//! A content-addressed directory of signed observation items and photos, used as the outbox
//! of submissions prepared offline and as the local copy of what was received:
//!
//! ```text
//! DIR/items/<sha256 of the canonical bytes>.json   accreditations and protocols
//! DIR/photos/<sha256 of the photo>                 photos, byte for byte
//! ```
//!
//! Files are written once, atomically, and never changed; reading checks that each file is
//! stored under its own hash. A file that fails the check (truncated, edited, misnamed, too
//! large) is reported and skipped: the other items of the store are still read.

use std::io::Read;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use fairtally_files::{Access, write_atomic};
use fairtally_results::{ElectionResults, Report, Source, StationProtocol};
use sha2::{Digest, Sha256};

use crate::error::ObserveError;
use crate::signed::{ObservationItem, SignedProtocol, is_sha256_hex};

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ObserveError + '_ {
    move |source| ObserveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads one item file, with its hash: at most [`MAX_ITEM_BYTES`], canonical, and stored under
/// its own hash.
fn read_item(path: &Path) -> Result<(String, ObservationItem), ObserveError> {
    let bad = |reason: String| ObserveError::BadItem {
        path: path.to_path_buf(),
        reason,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ITEM_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io(path))?;
    if bytes.len() as u64 > MAX_ITEM_BYTES {
        return Err(bad(format!(
            "larger than {MAX_ITEM_BYTES} bytes, the most an item may take"
        )));
    }
    let item = ObservationItem::from_canonical_bytes(&bytes).map_err(bad)?;
    let digest = hex::encode(item.digest());
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    if stem.as_deref() != Some(digest.as_str()) {
        return Err(bad(format!(
            "stored under the wrong name: its hash is {digest}"
        )));
    }
    Ok((digest, item))
}

/// The largest item file a store reads: 1 MiB. Accreditations and protocols are a few KB;
/// anything larger is refused without being read whole.
pub const MAX_ITEM_BYTES: u64 = 1 << 20;

/// The items of a store, as [`Store::items`] read them.
#[derive(Debug, Default)]
pub struct Items {
    /// Items that parse, are canonical and are stored under their own hash, in hash order,
    /// with their hash. Their signatures are not checked here.
    pub items: Vec<(String, ObservationItem)>,
    /// Files that could not be read as items, each with the file and the reason.
    pub unreadable: Vec<ObserveError>,
}

/// What [`Store::merge_into`] did.
#[derive(Debug, Default)]
pub struct MergeSummary {
    /// Protocols added to the results.
    pub merged: usize,
    /// Items refused, with the reason (bad signature, untrusted organisation, unknown
    /// station, ...).
    pub refused: Vec<ObserveError>,
}

impl Store {
    /// Opens the store at `root` to read it; a missing store (or one without `items/`) is an
    /// error, so that a mistyped path is not taken for an empty store.
    pub fn open(root: &Path) -> Result<Self, ObserveError> {
        let items = root.join("items");
        if !items.is_dir() {
            return Err(ObserveError::NotAStore {
                path: root.to_path_buf(),
            });
        }
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    /// Opens the store at `root` to add to it, creating its directories if needed.
    pub fn open_or_create(root: &Path) -> Result<Self, ObserveError> {
        for sub in ["items", "photos"] {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    /// The file of the item with this hash (hex).
    pub fn item_path(&self, digest: &str) -> PathBuf {
        self.root.join("items").join(format!("{digest}.json"))
    }

    /// Stores an item under its hash; returns the hash (hex). Storing it again is a no-op.
    pub fn put_item(&self, item: &ObservationItem) -> Result<String, ObserveError> {
        let digest = hex::encode(item.digest());
        let path = self.item_path(&digest);
        if !path.exists() {
            write_atomic(&path, &item.canonical_bytes(), Access::Public)?;
        }
        Ok(digest)
    }

    /// Copies a photo into the store under its SHA-256; returns the hash (hex).
    pub fn put_photo(&self, photo: &Path) -> Result<String, ObserveError> {
        let bytes = std::fs::read(photo).map_err(io(photo))?;
        let digest = hex::encode(Sha256::digest(&bytes));
        let path = self.root.join("photos").join(&digest);
        if !path.exists() {
            write_atomic(&path, &bytes, Access::Public)?;
        }
        Ok(digest)
    }

    /// True when the photo with this hash is in the store and its bytes match the hash.
    pub fn has_photo(&self, digest: &str) -> bool {
        if !is_sha256_hex(digest) {
            return false;
        }
        let path = self.root.join("photos").join(digest);
        std::fs::read(path).is_ok_and(|b| hex::encode(Sha256::digest(&b)) == digest)
    }

    /// Reads every item, checking that each is canonical and stored under its hash. A file
    /// that fails is listed in [`Items::unreadable`] and the others are still read; only a
    /// directory that cannot be listed is an error.
    pub fn items(&self) -> Result<Items, ObserveError> {
        let dir = self.root.join("items");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io(&dir))?;
        names.retain(|p| p.extension().is_some_and(|e| e == "json"));
        names.sort();
        let mut read = Items::default();
        for path in names {
            match read_item(&path) {
                Ok(item) => read.items.push(item),
                Err(e) => read.unreadable.push(e),
            }
        }
        Ok(read)
    }

    /// Adds every protocol of the store that verifies against `trusted` to `results` as an
    /// observer's report (signed). A protocol counts as photo-confirmed when it names at
    /// least one photo and every photo it names is in the store with the right hash.
    pub fn merge_into(
        &self,
        results: &mut ElectionResults,
        trusted: &[VerifyingKey],
    ) -> Result<MergeSummary, ObserveError> {
        let mut summary = MergeSummary::default();
        let index: std::collections::HashMap<String, usize> = results
            .station_index()
            .into_iter()
            .map(|(id, i)| (id.to_owned(), i))
            .collect();
        let Items { items, unreadable } = self.items()?;
        summary.refused = unreadable;
        for (digest, item) in items {
            let ObservationItem::Protocol(p) = item else {
                continue;
            };
            match self.fit(&digest, &p, results, trusted, &index) {
                Ok((station, report)) => {
                    results.stations[station].reports.push(report);
                    summary.merged += 1;
                }
                Err(e) => summary.refused.push(e),
            }
        }
        Ok(summary)
    }

    /// Checks one protocol and turns it into a report for the station with that index.
    fn fit(
        &self,
        digest: &str,
        p: &SignedProtocol,
        results: &ElectionResults,
        trusted: &[VerifyingKey],
        index: &std::collections::HashMap<String, usize>,
    ) -> Result<(usize, Report), ObserveError> {
        let b = &p.body;
        let does_not_fit = |reason: String| ObserveError::DoesNotFit {
            item: digest.to_owned(),
            reason,
        };
        p.verify(trusted)?;
        if b.election != results.name {
            return Err(does_not_fit(format!(
                "for election `{}`, not `{}`",
                b.election, results.name
            )));
        }
        let station = *index
            .get(&b.station)
            .ok_or_else(|| does_not_fit(format!("no station `{}` in the results", b.station)))?;
        let mut protocol = StationProtocol {
            votes: vec![None; results.options.len()],
            ..b.protocol.clone()
        };
        for (id, votes) in b.options.iter().zip(&b.protocol.votes) {
            let o = results
                .options
                .iter()
                .position(|opt| &opt.id == id)
                .ok_or_else(|| does_not_fit(format!("option `{id}` is not in the election")))?;
            protocol.votes[o] = *votes;
        }
        let confirmed = (!b.photos.is_empty() && b.photos.iter().all(|h| self.has_photo(h)))
            .then(|| protocol.clone());
        Ok((
            station,
            Report {
                source: Source::Observer {
                    observer: b.observer.clone(),
                    signed: true,
                },
                protocol,
                confirmed,
                photos: b.photos.clone(),
                origin: digest.to_owned(),
            },
        ))
    }
}
