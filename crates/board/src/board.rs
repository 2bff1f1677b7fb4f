//! The board: a log of typed entries, durable in a database, with signed checkpoints and a
//! static-file public form (see [`crate::publish`]).
//!
//! ```text
//! DIR/board.sqlite   entries, tree tiles, checkpoints (WAL mode, synchronous=FULL)
//! DIR/database       or: the URL of the PostgreSQL database holding the same tables
//!                    (owner-only: it may hold a password; see crate::store::Database)
//! DIR/public/        the static mirror: checkpoint, tiles, entry bundles (C2SP tlog-tiles)
//! DIR/publish.lock   publishers take turns on it (see crate::publish)
//! ```
//!
//! Appends are group commits: a batch is one transaction and one fsync. Identical entries are
//! stored once: appending an entry that is already on the board returns its existing index.
//! Several processes (or servers, with PostgreSQL) may append at once; the database serialises
//! the transactions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::checkpoint::{Checkpoint, SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::hashstore::{self, HashStore, append_leaves, meta_get, meta_set, stored_size};
use crate::merkle::Hash;
use crate::note::{NoteSigner, NoteVerifier};
use crate::store::{Column, Database, Dialects, Param, Store, WriteTx};

/// File name of the database inside a board directory.
pub const DATABASE_FILE: &str = "board.sqlite";

/// File inside a board directory whose board is in PostgreSQL: the database's URL, so that
/// [`Board::open`] finds it (readable by its owner only, as the URL may hold a password).
pub const DATABASE_POINTER: &str = "database";

/// Name of the static mirror directory inside a board directory.
pub const PUBLIC_DIR: &str = "public";

/// The value of the `format` setting in every board's database.
const FORMAT: &str = "fairtally-board/1";

const SCHEMA: Dialects = Dialects {
    sqlite: "
CREATE TABLE IF NOT EXISTS entries(
    idx INTEGER PRIMARY KEY, leaf_key INTEGER NOT NULL, leaf_hash BLOB NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_leaf_key ON entries(leaf_key);
CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL);
",
    postgres: "
CREATE TABLE IF NOT EXISTS entries(
    idx BIGINT PRIMARY KEY, leaf_key BIGINT NOT NULL, leaf_hash BYTEA NOT NULL, data BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_leaf_key ON entries(leaf_key);
CREATE TABLE IF NOT EXISTS checkpoints(size BIGINT PRIMARY KEY, note TEXT NOT NULL);
",
};

const INSERT_ENTRIES: Dialects = Dialects {
    sqlite: "INSERT INTO entries(idx, leaf_key, leaf_hash, data) VALUES (?1, ?2, ?3, ?4)",
    postgres: "INSERT INTO entries(idx, leaf_key, leaf_hash, data)
               SELECT * FROM UNNEST(?1::BIGINT[], ?2::BIGINT[], ?3::BYTEA[], ?4::BYTEA[])",
};

const ENTRIES_BY_KEY: Dialects = Dialects {
    sqlite: "SELECT idx, leaf_hash FROM entries WHERE leaf_key = ?1",
    postgres: "SELECT idx, leaf_hash FROM entries WHERE leaf_key = ANY(?1)",
};

/// What happened to one entry of an appended batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The entry's index in the log.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// `false` when the entry was already on the board (its existing index is returned).
    pub new: bool,
}

/// A board directory opened for reading and appending.
pub struct Board {
    dir: PathBuf,
    store: HashStore,
    policy: TrustPolicy,
}

impl Board {
    /// Creates a new, empty board in `dir` (created if missing) for the log whose checkpoints
    /// are accepted under `policy` (the operator's key names the log), in SQLite.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when `dir` already holds a board; I/O or database errors.
    pub fn create(dir: &Path, policy: &TrustPolicy) -> Result<Self, BoardError> {
        Self::create_with(dir, policy, &Database::Sqlite)
    }

    /// Creates a new, empty board with its public files in `dir` and its entries in
    /// `database`.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when the database already holds a board; I/O or database
    /// errors.
    pub fn create_with(
        dir: &Path,
        policy: &TrustPolicy,
        database: &Database,
    ) -> Result<Self, BoardError> {
        std::fs::create_dir_all(dir).map_err(BoardError::io(dir))?;
        let store = open_store(dir, database)?;
        {
            let tx = store.write()?;
            if meta_get(&tx, "format")?.is_some() {
                return Err(BoardError::malformed(
                    tx.name(),
                    "a board already exists here",
                ));
            }
            meta_set(&tx, "format", FORMAT)?;
            meta_set(&tx, "policy", &policy.to_text())?;
            meta_set(&tx, "size", "0")?;
            tx.commit()?;
        }
        point_to(dir, database)?;
        Ok(Self {
            dir: dir.to_owned(),
            store: HashStore::over(store),
            policy: policy.clone(),
        })
    }

    /// Opens an existing board in SQLite and checks that its tree matches its latest
    /// checkpoint.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when `dir` holds no board or its tree does not match its
    /// latest checkpoint; database errors.
    pub fn open(dir: &Path) -> Result<Self, BoardError> {
        Self::open_with(dir, &Self::database_of(dir)?)
    }

    /// Whether `dir` holds a board (a SQLite database or a pointer to PostgreSQL).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).exists() || dir.join(DATABASE_POINTER).exists()
    }

    /// The database the board in `dir` is kept in: the one its [`DATABASE_POINTER`] names,
    /// or SQLite.
    ///
    /// # Errors
    /// The pointer file cannot be read or holds no database URL.
    pub fn database_of(dir: &Path) -> Result<Database, BoardError> {
        let pointer = dir.join(DATABASE_POINTER);
        match std::fs::read_to_string(&pointer) {
            Ok(text) => Database::parse(text.trim())
                .map_err(|e| BoardError::malformed(pointer.display().to_string(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Database::Sqlite),
            Err(e) => Err(BoardError::io(pointer)(e)),
        }
    }

    /// Opens an existing board with its public files in `dir` and its entries in `database`,
    /// and checks that its tree matches its latest checkpoint.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when there is no board or its tree does not match its latest
    /// checkpoint; database errors ([`BoardError::is_unavailable`] when PostgreSQL cannot be
    /// reached).
    ///
    /// When `database` is PostgreSQL and holds no board yet while `dir` holds one in SQLite,
    /// the board is moved there first: its entries, tree, checkpoints and settings copied
    /// verbatim in one transaction, after which `dir` points to PostgreSQL (see
    /// [`DATABASE_POINTER`]) and `DIR/board.sqlite` is no longer used.
    pub fn open_with(dir: &Path, database: &Database) -> Result<Self, BoardError> {
        if database.url().is_some() && dir.join(DATABASE_FILE).exists() {
            let store = open_store(dir, database)?;
            if meta_get(&store, "format")?.is_none() {
                Self::open_with(dir, &Database::Sqlite)?.copy_into(&store)?;
            }
            point_to(dir, database)?;
        }
        if matches!(database, Database::Sqlite) && !dir.join(DATABASE_FILE).exists() {
            return Err(BoardError::malformed(
                dir.display().to_string(),
                format!(
                    "no board here (no {DATABASE_FILE}); create one with `fairtally board init`"
                ),
            ));
        }
        let store = open_store(dir, database)?;
        let item = store.name();
        match meta_get(&store, "format")? {
            Some(format) if format == FORMAT => {}
            Some(_) => {
                return Err(BoardError::malformed(
                    &item,
                    "not a fairtally board database",
                ));
            }
            None => {
                return Err(BoardError::malformed(
                    &item,
                    "no board in this database, and none in SQLite in the board directory to move here",
                ));
            }
        }
        let policy = meta_get(&store, "policy")?.unwrap_or_default();
        let policy = TrustPolicy::parse(&policy, &format!("{item}: stored policy"))?;
        let board = Self {
            dir: dir.to_owned(),
            store: HashStore::over(store),
            policy,
        };
        if let Some(latest) = board.latest_checkpoint()? {
            let cp = latest.checkpoint();
            if board.root_at(cp.size)? != cp.root {
                return Err(BoardError::malformed(
                    item,
                    format!("the stored tree does not match its latest {cp}"),
                ));
            }
        }
        Ok(board)
    }

    /// The board directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The trust policy checkpoints are checked against (operator key, witnesses, quorum).
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }

    /// Replaces the witnesses and quorum of the stored policy (the operator key stays).
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when the policy names another operator; database errors.
    pub fn set_policy(&mut self, policy: &TrustPolicy) -> Result<(), BoardError> {
        if policy.operator != self.policy.operator {
            return Err(BoardError::WrongLog {
                item: "trust policy".into(),
                found: policy.origin().to_owned(),
                expected: self.policy.origin().to_owned(),
            });
        }
        meta_set(self.store.store(), "policy", &policy.to_text())?;
        self.policy = policy.clone();
        Ok(())
    }

    /// The log's origin (the operator key's name).
    pub fn origin(&self) -> &str {
        self.policy.origin()
    }

    /// The operator's verifier key.
    pub fn operator(&self) -> &NoteVerifier {
        &self.policy.operator
    }

    /// Number of entries on the board.
    ///
    /// # Errors
    /// Database errors.
    pub fn size(&self) -> Result<u64, BoardError> {
        self.store.size()
    }

    /// The underlying hash store (roots and proofs at any size).
    pub fn hashes(&self) -> &HashStore {
        &self.store
    }

    /// Appends a batch of entries in one durable transaction (group commit). Entries already on
    /// the board, or repeated within the batch, are not appended again: their existing index is
    /// returned. When this returns, every entry of the batch survives a crash.
    ///
    /// # Errors
    /// Database errors; nothing of the batch is stored then.
    pub fn append_batch(&mut self, entries: &[Entry]) -> Result<Vec<Appended>, BoardError> {
        self.append(entries.iter().map(Entry::to_leaf_data).collect(), true)
    }

    /// Appends leaf data (already checked); `dedup` is off when a mirror copies a log verbatim.
    fn append(&mut self, leaves: Vec<Vec<u8>>, dedup: bool) -> Result<Vec<Appended>, BoardError> {
        let tx = self.store.store().write()?;
        let out = append_in(&tx, &leaves, dedup)?;
        tx.commit()?;
        #[cfg(feature = "fault-injection")]
        if fault::answer_lost() {
            return Err(BoardError::Io {
                path: self.dir.clone(),
                source: std::io::Error::other("injected fault: the commit's answer was lost"),
            });
        }
        Ok(out)
    }

    /// The index of the entry with this leaf hash, if it is on the board.
    ///
    /// # Errors
    /// Database errors.
    pub fn index_of(&self, leaf_hash: &Hash) -> Result<Option<u64>, BoardError> {
        let row = self.store.store().first_value(
            "SELECT idx FROM entries WHERE leaf_key = ?1 AND leaf_hash = ?2 LIMIT 1",
            &[Param::Int(leaf_key(leaf_hash)), Param::Blob(leaf_hash)],
        )?;
        row.map(|v| v.int(self.store.store(), "entry index").map(|i| i as u64))
            .transpose()
    }

    /// The leaf data of entries `from .. to`.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] past the end; database errors.
    pub fn leaf_data(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>, BoardError> {
        let size = self.size()?;
        if to > size || from > to {
            return Err(BoardError::OutOfRange {
                what: "entry",
                value: to,
                size,
            });
        }
        let store = self.store.store();
        store
            .query(
                "SELECT data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
                &[Param::Int(from as i64), Param::Int(to as i64)],
            )?
            .into_iter()
            .map(|row| single(row).into_blob(store, "entry"))
            .collect()
    }

    /// The entry at `index`.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] past the end; database errors.
    pub fn entry(&self, index: u64) -> Result<Entry, BoardError> {
        let data = self.leaf_data(index, index + 1)?;
        let data = data.first().map(Vec::as_slice).unwrap_or_default();
        Entry::from_leaf_data(data, &format!("entry {index}"))
    }

    /// The root of the tree of the first `size` entries.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] past the end; database errors.
    pub fn root_at(&self, size: u64) -> Result<Hash, BoardError> {
        self.store.root_at(size)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] or [`BoardError::Proof`] for bad sizes; database errors.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, BoardError> {
        self.store.inclusion_proof(index, size)
    }

    /// The consistency proof from `size1` to `size2` entries.
    ///
    /// # Errors
    /// [`BoardError::OutOfRange`] or [`BoardError::Proof`] for bad sizes; database errors.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, BoardError> {
        self.store.consistency_proof(size1, size2)
    }

    /// Signs a checkpoint of the board as it is now and stores it (the operator's step after
    /// appending).
    ///
    /// # Errors
    /// [`BoardError::Signature`] when `operator` is not this log's key; database errors.
    pub fn sign_checkpoint(
        &mut self,
        operator: &NoteSigner,
    ) -> Result<SignedCheckpoint, BoardError> {
        if operator.verifier() != self.policy.operator {
            return Err(BoardError::Signature {
                item: format!("board {}", self.dir.display()),
                reason: format!("key {:?} is not this log's operator key", operator.name()),
            });
        }
        let tx = self.store.store().write()?;
        let size = stored_size(&tx)?;
        let root = crate::merkle::root_at(
            &mut hashstore::TileNodes {
                store: &tx,
                size,
                cache: &mut Default::default(),
            },
            size,
        )?;
        let signed = SignedCheckpoint::sign(
            Checkpoint {
                origin: self.policy.origin().to_owned(),
                size,
                root,
            },
            operator,
        )?;
        store_checkpoint(&tx, &signed)?;
        tx.commit()?;
        Ok(signed)
    }

    /// The latest stored checkpoint with all cosignatures collected so far.
    ///
    /// # Errors
    /// Database errors or a corrupt stored note.
    pub fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, BoardError> {
        let store = self.store.store();
        store
            .first_value(
                "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )?
            .map(|note| parse_checkpoint(store, note))
            .transpose()
    }

    /// The stored checkpoints of size `from` or more, oldest first.
    ///
    /// # Errors
    /// Database errors or a corrupt stored note.
    pub fn checkpoints_from(&self, from: u64) -> Result<Vec<SignedCheckpoint>, BoardError> {
        let store = self.store.store();
        store
            .query(
                "SELECT note FROM checkpoints WHERE size >= ?1 ORDER BY size",
                &[Param::Int(from as i64)],
            )?
            .into_iter()
            .map(|row| parse_checkpoint(store, single(row)))
            .collect()
    }

    /// Adds witnesses' cosignatures to the stored checkpoint they sign. Only signatures that
    /// verify under the board's policy are kept; unknown cosigners are dropped.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when no stored checkpoint has that body;
    /// [`BoardError::Signature`] when a signature by a known key is invalid.
    pub fn add_cosignatures(
        &mut self,
        cosigned: &SignedCheckpoint,
    ) -> Result<SignedCheckpoint, BoardError> {
        let lenient = self.policy.operator_signature_only();
        lenient.verify(cosigned)?;
        let tx = self.store.store().write()?;
        let size = cosigned.checkpoint().size;
        let stored = load_checkpoint(&tx, size)?.ok_or_else(|| {
            BoardError::malformed(
                cosigned.checkpoint().to_string(),
                "this board never issued a checkpoint of that size",
            )
        })?;
        let mut merged = stored;
        merged.merge_signatures(cosigned)?;
        merged.retain_signatures(|s| {
            self.policy.operator.matches(s) || self.policy.witnesses.iter().any(|w| w.matches(s))
        });
        store_checkpoint(&tx, &merged)?;
        tx.commit()?;
        Ok(merged)
    }

    /// Stores a checkpoint received from the operator (mirrors), merging signatures with a
    /// stored checkpoint of the same size. The caller has verified it.
    pub(crate) fn store_received_checkpoint(
        tx: &WriteTx<'_>,
        signed: &SignedCheckpoint,
    ) -> Result<(), BoardError> {
        let merged = match load_checkpoint(tx, signed.checkpoint().size)? {
            Some(mut stored) if stored.note().text() == signed.note().text() => {
                stored.merge_signatures(signed)?;
                stored
            }
            Some(stored) => {
                return Err(BoardError::Fork {
                    first: stored.checkpoint().to_string(),
                    second: signed.checkpoint().to_string(),
                    reason: "two signed checkpoints of the same size differ".into(),
                });
            }
            None => signed.clone(),
        };
        store_checkpoint(tx, &merged)
    }
}

impl Board {
    /// Copies this board verbatim into the empty database `store`, in one transaction.
    fn copy_into(&self, store: &Store) -> Result<(), BoardError> {
        let tx = store.write()?;
        if meta_get(&tx, "format")?.is_some() {
            return Err(BoardError::malformed(
                tx.name(),
                "a board already exists here",
            ));
        }
        for key in ["format", "policy", "published_size"] {
            if let Some(value) = meta_get(self.store.store(), key)? {
                meta_set(&tx, key, &value)?;
            }
        }
        meta_set(&tx, "size", "0")?;
        let size = self.size()?;
        let mut from = 0;
        while from < size {
            let to = size.min(from + 10_000);
            append_in(&tx, &self.leaf_data(from, to)?, false)?;
            from = to;
        }
        for signed in self.checkpoints_from(0)? {
            store_checkpoint(&tx, &signed)?;
        }
        tx.commit()
    }
}

/// Records in `dir` which database holds its board, when it is not SQLite there.
fn point_to(dir: &Path, database: &Database) -> Result<(), BoardError> {
    let Some(url) = database.url() else {
        return Ok(());
    };
    let pointer = dir.join(DATABASE_POINTER);
    if std::fs::read_to_string(&pointer)
        .ok()
        .as_deref()
        .map(str::trim)
        != Some(url)
    {
        fairtally_files::write_atomic(
            &pointer,
            format!("{url}\n").as_bytes(),
            fairtally_files::Access::OwnerOnly,
        )?;
    }
    Ok(())
}

/// Opens the board's database in `dir` or elsewhere and creates the tables it lacks.
fn open_store(dir: &Path, database: &Database) -> Result<Store, BoardError> {
    let store = Store::open(database, &dir.join(DATABASE_FILE))?;
    store.create_schema(hashstore::SCHEMA)?;
    store.create_schema(SCHEMA)?;
    Ok(store)
}

/// The one column of a row.
fn single(row: crate::store::Row) -> crate::store::Value {
    row.into_iter().next().unwrap_or(crate::store::Value::Null)
}

fn parse_checkpoint(
    store: &Store,
    note: crate::store::Value,
) -> Result<SignedCheckpoint, BoardError> {
    SignedCheckpoint::parse(&note.into_text(store, "checkpoint")?, "stored checkpoint")
}

/// The first 8 bytes of a leaf hash: the indexed key for de-duplication. An 8-byte integer keeps
/// the index three times smaller than the whole hash (it takes random inserts, so its size
/// decides how many pages a batch touches); the full hash is compared on a match.
fn leaf_key(leaf_hash: &Hash) -> i64 {
    let mut key = [0; 8];
    key.copy_from_slice(&leaf_hash[..8]);
    i64::from_be_bytes(key)
}

/// The entries of `hashes` already on the board, with their indexes (one query for all).
fn find_indexes(tx: &Store, hashes: &[Hash]) -> Result<HashMap<Hash, u64>, BoardError> {
    let keys: Vec<i64> = hashes.iter().map(leaf_key).collect();
    let wanted: std::collections::HashSet<&Hash> = hashes.iter().collect();
    let mut found = HashMap::new();
    for row in tx.query_keys(ENTRIES_BY_KEY, &keys)? {
        let mut values = row.into_iter();
        let (Some(index), Some(hash)) = (values.next(), values.next()) else {
            continue;
        };
        let index = index.int(tx, "entry index")? as u64;
        let Ok(hash) = Hash::try_from(hash.into_blob(tx, "leaf hash")?) else {
            continue;
        };
        if wanted.contains(&hash) {
            // A verbatim mirror may hold an entry twice: the first one answers.
            let known = found.entry(hash).or_insert(index);
            *known = (*known).min(index);
        }
    }
    Ok(found)
}

/// Appends leaf data inside a write transaction: entries, their tree nodes and the new size.
pub(crate) fn append_in(
    tx: &WriteTx<'_>,
    leaves: &[Vec<u8>],
    dedup: bool,
) -> Result<Vec<Appended>, BoardError> {
    let mut size = stored_size(tx)?;
    let start = size;
    let hashes: Vec<Hash> = leaves.iter().map(|d| crate::merkle::leaf_hash(d)).collect();
    let mut known = if dedup {
        find_indexes(tx, &hashes)?
    } else {
        HashMap::new()
    };
    let mut out = Vec::with_capacity(leaves.len());
    let (mut indexes, mut keys, mut fresh, mut data) = (vec![], vec![], vec![], vec![]);
    for (leaf, leaf_hash) in leaves.iter().zip(hashes) {
        if let Some(&index) = known.get(&leaf_hash) {
            out.push(Appended {
                index,
                leaf_hash,
                new: false,
            });
            continue;
        }
        if dedup {
            known.insert(leaf_hash, size);
        }
        indexes.push(i64::try_from(size).map_err(|_| BoardError::OutOfRange {
            what: "entry",
            value: size,
            size,
        })?);
        keys.push(leaf_key(&leaf_hash));
        data.push(leaf.as_slice());
        out.push(Appended {
            index: size,
            leaf_hash,
            new: true,
        });
        fresh.push(leaf_hash);
        size += 1;
    }
    let hash_bytes: Vec<&[u8]> = fresh.iter().map(|h| h.as_slice()).collect();
    tx.write_rows(
        INSERT_ENTRIES,
        &[
            Column::Ints(&indexes),
            Column::Ints(&keys),
            Column::Blobs(&hash_bytes),
            Column::Blobs(&data),
        ],
    )?;
    append_leaves(tx, start, &fresh)?;
    Ok(out)
}

fn load_checkpoint(tx: &Store, size: u64) -> Result<Option<SignedCheckpoint>, BoardError> {
    tx.first_value(
        "SELECT note FROM checkpoints WHERE size = ?1",
        &[Param::Int(size as i64)],
    )?
    .map(|note| parse_checkpoint(tx, note))
    .transpose()
}

fn store_checkpoint(tx: &Store, signed: &SignedCheckpoint) -> Result<(), BoardError> {
    tx.execute(
        "INSERT INTO checkpoints(size, note) VALUES (?1, ?2)
         ON CONFLICT(size) DO UPDATE SET note = excluded.note",
        &[
            Param::Int(signed.checkpoint().size as i64),
            Param::Text(&signed.to_text()),
        ],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::EntryKind;
    use crate::note::KeyRole;
    use crate::proof::verify_inclusion;

    pub(crate) fn entry(kind: &str, body: &str) -> Result<Entry, BoardError> {
        Entry::new(EntryKind::new(kind)?, body.as_bytes().to_vec())
    }

    #[test]
    fn append_dedup_prove_and_checkpoint() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/test", KeyRole::Operator)?;
        let mut board = Board::create(dir.path(), &TrustPolicy::operator_only(op.verifier()))?;
        let a = entry("election/ballot", "a")?;
        let b = entry("election/ballot", "b")?;
        let out = board.append_batch(&[a.clone(), b.clone(), a.clone()])?;
        assert_eq!(
            out.iter().map(|o| (o.index, o.new)).collect::<Vec<_>>(),
            [(0, true), (1, true), (0, false)]
        );
        let again = board.append_batch(std::slice::from_ref(&b))?;
        assert_eq!((again[0].index, again[0].new), (1, false));
        assert_eq!(board.size()?, 2);
        assert_eq!(board.index_of(&b.leaf_hash())?, Some(1));
        assert_eq!(board.entry(1)?, b);
        let signed = board.sign_checkpoint(&op)?;
        board.policy().verify(&signed)?;
        let cp = signed.checkpoint();
        let proof = board.inclusion_proof(1, cp.size)?;
        assert!(verify_inclusion(1, cp.size, &b.leaf_hash(), &proof, &cp.root).is_ok());
        drop(board);
        let board = Board::open(dir.path())?;
        assert_eq!(board.latest_checkpoint()?.as_ref(), Some(&signed));
        assert!(Board::create(dir.path(), board.policy()).is_err());
        let stranger = NoteSigner::generate("board.example/test", KeyRole::Operator)?;
        let mut board = board;
        assert!(board.sign_checkpoint(&stranger).is_err());
        Ok(())
    }

    #[test]
    fn opening_a_missing_board_says_so() {
        let err = Board::open(Path::new("/nonexistent/board"));
        assert!(err.is_err_and(|e| e.to_string().contains("fairtally board init")));
    }
}

/// Fault injection for tests of what builds on the board (cargo feature `fault-injection`,
/// never in a release build of the tools).
#[cfg(feature = "fault-injection")]
pub mod fault {
    use std::cell::Cell;

    thread_local! {
        static LOST_ANSWERS: Cell<u32> = const { Cell::new(0) };
    }

    /// The next `count` appends on this thread commit, then report an error, as a database
    /// whose answer was lost after it committed does.
    pub fn lose_append_answers(count: u32) {
        LOST_ANSWERS.set(count);
    }

    /// Whether this append's answer is to be lost (counting it).
    pub(crate) fn answer_lost() -> bool {
        LOST_ANSWERS.with(|left| {
            let n = left.get();
            left.set(n.saturating_sub(1));
            n > 0
        })
    }
}
