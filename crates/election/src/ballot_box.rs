//! The authority's ballot box: it accepts each ballot once, in one order, and puts it on the
//! bulletin board as it is accepted.
//!
//! - **Atomic.** Every step that reads or changes the box holds an exclusive lock on the record
//!   directory ([`RecordLock`]), so two processes accepting at once take turns.
//! - **Board first.** A ballot is checked in full, appended to the board (entry kind
//!   `election/ballot`, body = the line as stored), then indexed, then appended to
//!   `ballots.jsonl`. A crash between those steps is repaired by the next step that opens the
//!   box: the board is authoritative, and `ballots.jsonl` is brought back to the board's ballot
//!   entries, in board order.
//! - **Idempotent.** The same ballot submitted again gets the same answer (its position), not a
//!   second copy; a different line for a ballot already in the box is refused.
//! - **O(1) per ballot.** A small SQLite index beside the board ([`INDEX_FILE`]) holds the
//!   credential list and, per accepted ballot, its hash, credential, intent, board entry and
//!   place in `ballots.jsonl`; nothing is rescanned.
//! - **Close reuses what accept verified.** Closing sums the counted ballots (the re-vote rule,
//!   [`revote_statuses`]) without verifying a proof again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fairtally_board::board::Board;
use fairtally_board::checkpoint::SignedCheckpoint;
use fairtally_board::entry::Entry;
use fairtally_board::note::NoteSigner;
use fairtally_crypto::hash::Digest;
use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, params};

use crate::authority::{self, Setup};
use crate::ballot::{BallotEntry, ConfirmationCode, Intent, LineSummary};
use crate::ballot_checker::{
    BallotChecker, CheckedBallot, check_ballots, credential_position, lookup, sqlite,
};
use crate::bulletin::{board_entry, is_entry_of};
use crate::context::{ElectionContext, VotingContext};
use crate::credential::CredentialKey;
use crate::error::{ElectionError, Result};
use crate::manifest::Manifest;
use crate::progress::Progress;
use crate::record::{ItemKind, JsonLinesReader, canonical_json, files, read_json, write_json};
use crate::record_entries::{self, for_each_entry};
use crate::tally::{Accumulator, EncryptedTally, RevoteRule};
use crate::verifier::{CanonicalBallot, Spread};

/// The ballot box's index, inside the authority's board directory (not part of the record).
pub const INDEX_FILE: &str = "ballot-box.sqlite";

/// Ballot lines read and summed per parallel block when the box is closed.
const CLOSE_BLOCK: usize = 4096;

/// An exclusive lock on a record directory, released when dropped. Every step that changes
/// the ballot box or what follows it (accept, close, shares, result, posting) holds it.
#[derive(Debug)]
pub struct RecordLock {
    _dir: File,
}

impl RecordLock {
    /// Waits for and takes the lock on `dir` (an advisory lock on the directory itself, so the
    /// record holds no lock file).
    pub fn acquire(dir: &Path) -> Result<Self> {
        let handle = File::open(dir).map_err(|e| ElectionError::io(dir, e))?;
        handle.lock().map_err(|e| ElectionError::io(dir, e))?;
        Ok(RecordLock { _dir: handle })
    }
}

/// What a ballot in the box counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallotStatus {
    /// Cast, and the last cast ballot of its credential: it counts.
    Cast,
    /// Cast, but the same credential cast a later ballot (a re-vote), which counts instead.
    Superseded,
    /// Challenged: opened, never counted.
    Challenged,
}

impl BallotStatus {
    /// `cast`, `superseded` or `challenged`.
    pub fn name(self) -> &'static str {
        match self {
            BallotStatus::Cast => "cast",
            BallotStatus::Superseded => "superseded",
            BallotStatus::Challenged => "challenged",
        }
    }
}

/// Each ballot's status by the re-vote rule ([`RevoteRule`], the verifier's own): among a
/// credential's cast ballots the last in box (board) order counts, the earlier ones are
/// superseded; challenged ballots never count. Takes each ballot's credential position (below
/// `credentials`) and intent, in box order.
pub fn revote_statuses(
    credentials: usize,
    ballots: impl IntoIterator<Item = (usize, Intent)>,
) -> Vec<BallotStatus> {
    let mut rule = RevoteRule::new(credentials);
    let mut statuses = Vec::new();
    for (i, (credential, intent)) in ballots.into_iter().enumerate() {
        match intent {
            Intent::Challenge => statuses.push(BallotStatus::Challenged),
            Intent::Cast => {
                statuses.push(BallotStatus::Cast);
                if let Some(previous) = rule.cast(credential, i) {
                    statuses[previous] = BallotStatus::Superseded;
                }
            }
        }
    }
    statuses
}

/// Where a ballot is in a record's ballot box, and what it counts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotLookup {
    /// Its line in `ballots.jsonl` (1-based).
    pub line: u64,
    /// Cast, superseded or challenged.
    pub status: BallotStatus,
}

/// Finds the ballot with confirmation code `code` in the record in `dir` (a copy of the public
/// record is enough) and applies the re-vote rule to it. One pass over `ballots.jsonl` that
/// decodes no point.
pub fn ballot_status(dir: &Path, code: &ConfirmationCode) -> Result<Option<BallotLookup>> {
    let path = dir.join(files::BALLOTS);
    let mut reader = JsonLinesReader::open(&path)?;
    // Credentials numbered by first appearance: the rule only compares them.
    let mut positions: HashMap<[u8; 32], usize> = HashMap::new();
    let mut ballots = Vec::new();
    let mut found = None;
    while let Some((line, text)) = reader.next_raw()? {
        let summary = LineSummary::read(text.trim_end().as_bytes())
            .ok_or_else(|| ElectionError::parse(&path, Some(line), "not a ballot line"))?;
        if found.is_none() && ConfirmationCode::from_hash(&summary.hash) == *code {
            found = Some((ballots.len(), line));
        }
        let next = positions.len();
        let position = *positions.entry(summary.credential).or_insert(next);
        ballots.push((position, summary.intent));
    }
    let statuses = revote_statuses(positions.len(), ballots);
    Ok(found.map(|(i, line)| BallotLookup {
        line,
        status: statuses[i],
    }))
}

/// A ballot found in a ballot box's index by its confirmation code ([`BallotIndexReader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedBallot {
    /// Its position in the box (0-based line of `ballots.jsonl`).
    pub position: u64,
    /// Its entry on the bulletin board.
    pub board_index: u64,
    /// Cast or challenged.
    pub intent: Intent,
    /// What it counts as now, by the re-vote rule ([`revote_statuses`]).
    pub status: BallotStatus,
}

/// A read-only connection to a ballot box's index ([`INDEX_FILE`]), for looking ballots up
/// while the box accepts: the index is in WAL mode, so a reader sees the last committed accept
/// and neither blocks the box's writes nor holds the record's lock. Open it once the box has
/// been opened ([`BallotBox::open`] adds the index the status lookup uses to an older file).
pub struct BallotIndexReader {
    index: Connection,
    path: PathBuf,
}

impl BallotIndexReader {
    /// Opens the index of the ballot box whose board is in `board_dir`, read-only.
    ///
    /// # Errors
    /// [`ElectionError::Index`] when the file is missing or is not a database.
    pub fn open(board_dir: &Path) -> Result<Self> {
        let path = board_dir.join(INDEX_FILE);
        let index = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite(&path))?;
        Ok(BallotIndexReader { index, path })
    }

    /// The ballot with confirmation code `code` and its status, if it is in the box. One range
    /// scan of the hash index (a code is a prefix of the ballot hash) and one probe of the
    /// credential's later cast ballots, in one statement (one snapshot).
    ///
    /// # Errors
    /// [`ElectionError::Index`]; [`ElectionError::Record`] when two ballots in the box have
    /// this code (a 135-bit collision: never answered with either).
    pub fn find(&self, code: &ConfirmationCode) -> Result<Option<IndexedBallot>> {
        let (low, high) = code.hash_range();
        let mut statement = self
            .index
            .prepare_cached(
                "SELECT b.position, b.board_index, b.is_cast, b.hash, EXISTS(
                     SELECT 1 FROM ballots later WHERE later.credential = b.credential
                     AND later.position > b.position AND later.is_cast = 1)
                 FROM ballots b WHERE b.hash >= ?1 AND b.hash <= ?2 LIMIT 2",
            )
            .map_err(sqlite(&self.path))?;
        let rows: Vec<(IndexedBallot, Vec<u8>)> = statement
            .query_map(params![low.as_slice(), high.as_slice()], |r| {
                let intent = if r.get::<_, bool>(2)? {
                    Intent::Cast
                } else {
                    Intent::Challenge
                };
                let status = match intent {
                    Intent::Challenge => BallotStatus::Challenged,
                    Intent::Cast if r.get::<_, bool>(4)? => BallotStatus::Superseded,
                    Intent::Cast => BallotStatus::Cast,
                };
                let found = IndexedBallot {
                    position: r.get::<_, i64>(0)? as u64,
                    board_index: r.get::<_, i64>(1)? as u64,
                    intent,
                    status,
                };
                Ok((found, r.get(3)?))
            })
            .map_err(sqlite(&self.path))?
            .collect::<std::result::Result<_, _>>()
            .map_err(sqlite(&self.path))?;
        match rows.as_slice() {
            [] => Ok(None),
            [(found, hash)] => {
                let hash: [u8; 32] = hash.as_slice().try_into().map_err(|_| {
                    ElectionError::Record(format!(
                        "{}: ballot {} has a hash of {} bytes",
                        self.path.display(),
                        found.position,
                        hash.len()
                    ))
                })?;
                if ConfirmationCode::from_hash(&Digest(hash)) != *code {
                    return Err(ElectionError::Record(format!(
                        "{}: the lookup of {code} found ballot {}, whose code is another",
                        self.path.display(),
                        found.position
                    )));
                }
                Ok(Some(*found))
            }
            _ => Err(ElectionError::Record(format!(
                "{}: more than one ballot has confirmation code {code}",
                self.path.display()
            ))),
        }
    }
}

/// What accepting one ballot did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The ballot's confirmation code.
    pub code: ConfirmationCode,
    /// Cast or challenged.
    pub intent: Intent,
    /// Its position in the box (0-based line of `ballots.jsonl`).
    pub position: u64,
    /// Its entry on the bulletin board.
    pub board_index: u64,
    /// `false` when the same ballot was already in the box (nothing changed).
    pub new: bool,
}

/// One accepted ballot as the index holds it.
struct Row {
    position: u64,
    board_index: u64,
    intent: Intent,
}

/// The ballot box of one election, open and locked. See the module documentation.
pub struct BallotBox<'a> {
    record: PathBuf,
    board: Board,
    operator: &'a NoteSigner,
    index: Connection,
    index_path: PathBuf,
    context: VotingContext,
    /// Ballots in the box.
    count: u64,
    /// The length `ballots.jsonl` has when it holds exactly the box's ballots.
    end: u64,
    /// Set when an append to the board failed: the board may have committed it all the same
    /// (a database whose answer was lost), so the index and `ballots.jsonl` are brought back to
    /// the board ([`BallotBox::repair`]) before anything else is accepted. Otherwise a ballot
    /// retried later would take a place in the file after ballots that follow it on the board.
    unsure: bool,
    _lock: RecordLock,
}

/// Where the indexed ballots already in `ballots.jsonl` end: every ballot before `position`
/// ends by byte `end` of the file.
#[derive(Clone, Copy, Debug)]
struct Settled {
    position: u64,
    end: u64,
}

impl Settled {
    /// Nothing is known to be in the file.
    const NONE: Settled = Settled {
        position: 0,
        end: 0,
    };
}

/// The index is rebuilt from the board on open ([`BallotBox::repair`]: every ballot entry past
/// `board_synced`), so it need not be durable on its own: in WAL mode `synchronous=NORMAL`
/// loses no commit when the process dies, and after a power cut the last commits, rolled back
/// together with their `board_synced`, are indexed again from the board, which is synced
/// before a ballot is answered. That saves one fsync per batch.
const SCHEMA: &str = "
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials(key BLOB PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS credential_styles(position INTEGER PRIMARY KEY, style TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ballots(
    position INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, credential INTEGER NOT NULL,
    is_cast INTEGER NOT NULL, board_index INTEGER NOT NULL, offset INTEGER NOT NULL,
    len INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ballots_by_credential ON ballots(credential, position);
";

impl<'a> BallotBox<'a> {
    /// Opens the ballot box of the record in `record` (voting must have been opened), with
    /// `board` as its bulletin board and `operator` signing its checkpoints. Takes the record's
    /// lock; on first use posts the set-up items to the board and builds the index; repairs an
    /// accept that a crash interrupted.
    pub fn open(record: &Path, board: Board, operator: &'a NoteSigner) -> Result<Self> {
        let lock = RecordLock::acquire(record)?;
        let context: ElectionContext = read_json(&record.join(files::CONTEXT))?;
        let (manifest, _) = authority::read_election(record)?;
        let index_path = board.dir().join(INDEX_FILE);
        let index = Connection::open(&index_path).map_err(sqlite(&index_path))?;
        index.execute_batch(SCHEMA).map_err(sqlite(&index_path))?;
        let mut ballot_box = BallotBox {
            record: record.to_path_buf(),
            board,
            operator,
            index,
            index_path,
            context: VotingContext::new(manifest, &context),
            count: 0,
            end: 0,
            unsure: false,
            _lock: lock,
        };
        let fingerprint = String::from_utf8(canonical_json(&context)?).unwrap_or_default();
        match ballot_box.meta("context")? {
            None => ballot_box.initialise(&fingerprint)?,
            Some(stored) if stored == fingerprint => {}
            Some(_) => {
                return Err(ElectionError::Record(format!(
                    "the ballot box {} belongs to another election than {}",
                    ballot_box.index_path.display(),
                    record.display()
                )));
            }
        }
        ballot_box.repair()?;
        Ok(ballot_box)
    }

    /// The context ballots are checked against.
    pub fn voting_context(&self) -> &VotingContext {
        &self.context
    }

    /// The number of ballots in the box.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether the box is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// First use: check the whole set-up, post it to the board, index the credential list.
    fn initialise(&mut self, fingerprint: &str) -> Result<()> {
        let setup = authority::load_setup(&self.record)?;
        let mut setup_items = Vec::new();
        for_each_entry(&self.record, |item| {
            if is_setup(item.kind) {
                setup_items.push(item);
            }
            Ok(())
        })?;
        post_items(&mut self.board, self.operator, setup_items)?;
        let tx = self.index.transaction().map_err(sqlite(&self.index_path))?;
        {
            let mut insert = tx
                .prepare("INSERT OR REPLACE INTO credentials(key, position) VALUES (?1, ?2)")
                .map_err(sqlite(&self.index_path))?;
            for (position, key) in setup.credentials.key_bytes().iter().enumerate() {
                insert
                    .execute(params![key.as_slice(), position as i64])
                    .map_err(sqlite(&self.index_path))?;
            }
            // With ballot styles, each voter's style from the roll (docs/PROTOCOL.md 4.3a).
            let mut styles = tx
                .prepare(
                    "INSERT OR REPLACE INTO credential_styles(position, style) VALUES (?1, ?2)",
                )
                .map_err(sqlite(&self.index_path))?;
            for position in 0..setup.credentials.len() as u32 {
                if let Some(style) = setup.credentials.style_of(position) {
                    styles
                        .execute(params![i64::from(position), style])
                        .map_err(sqlite(&self.index_path))?;
                }
            }
        }
        for (key, value) in [("context", fingerprint), ("board_synced", "0")] {
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(sqlite(&self.index_path))?;
        }
        tx.commit().map_err(sqlite(&self.index_path))
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.index
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sqlite(&self.index_path))
    }

    fn row(&self, hash: &[u8; 32]) -> Result<Option<Row>> {
        lookup(
            &self.index,
            &self.index_path,
            "SELECT position, board_index, is_cast FROM ballots WHERE hash = ?1",
            [hash.as_slice()],
            |r| {
                Ok(Row {
                    position: r.get::<_, i64>(0)? as u64,
                    board_index: r.get::<_, i64>(1)? as u64,
                    intent: if r.get::<_, bool>(2)? {
                        Intent::Cast
                    } else {
                        Intent::Challenge
                    },
                })
            },
        )
    }

    /// After a failed append, [`BallotBox::repair`] first; it stays to do while it fails.
    fn resync(&mut self) -> Result<()> {
        if self.unsure {
            self.repair()?;
            self.unsure = false;
        }
        Ok(())
    }

    /// Brings the index up to the board and `ballots.jsonl` up to the index.
    fn repair(&mut self) -> Result<()> {
        let synced: u64 = self
            .meta("board_synced")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let size = self.board.size()?;
        let (count, end) = self.extent()?;
        (self.count, self.end) = (count, end);
        let mut missing = Vec::new();
        let mut from = synced;
        while from < size {
            let to = size.min(from + 1024);
            for (data, index) in self.board.leaf_data(from, to)?.iter().zip(from..) {
                let entry = Entry::from_leaf_data(data, &format!("board entry {index}"))?;
                if !is_entry_of(&entry, ItemKind::Ballot) {
                    continue;
                }
                let summary = LineSummary::read(entry.body()).ok_or_else(|| {
                    ElectionError::Record(format!("board entry {index} is not a ballot line"))
                })?;
                if self.row(&summary.hash.0)?.is_none() {
                    missing.push((index, entry.body().to_vec(), summary));
                }
            }
            from = to;
        }
        if !missing.is_empty() {
            let mut rows = Vec::with_capacity(missing.len());
            for (board_index, line, summary) in missing {
                let key = CredentialKey::from_bytes(&summary.credential)?;
                let credential = credential_position(&self.index, &self.index_path, &key)?
                    .ok_or_else(|| {
                        ElectionError::Record(format!(
                            "board entry {board_index}: credential {} is not on the list",
                            key.to_hex()
                        ))
                    })?;
                rows.push(NewRow {
                    hash: summary.hash.0,
                    credential,
                    intent: summary.intent,
                    board_index,
                    len: line.len() as u64 + 1,
                });
            }
            self.insert_rows(&rows, size)?;
        } else if synced != size {
            self.set_synced(size)?;
        }
        self.repair_file(&HashMap::new(), Settled::NONE)
    }

    /// The number of indexed ballots and the file length they make.
    fn extent(&self) -> Result<(u64, u64)> {
        self.index
            .query_row(
                "SELECT count(*), coalesce(max(offset + len), 0) FROM ballots",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(sqlite(&self.index_path))
    }

    fn set_synced(&self, size: u64) -> Result<()> {
        self.index
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('board_synced', ?1)",
                [size.to_string()],
            )
            .map(drop)
            .map_err(sqlite(&self.index_path))
    }

    /// Indexes `rows` after the box's current ballots, in one transaction.
    fn insert_rows(&mut self, rows: &[NewRow], board_synced: u64) -> Result<()> {
        let tx = self.index.transaction().map_err(sqlite(&self.index_path))?;
        let (mut count, mut end) = (self.count, self.end);
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO ballots(position, hash, credential, is_cast, board_index, offset, len)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(sqlite(&self.index_path))?;
            for row in rows {
                insert
                    .execute(params![
                        count as i64,
                        row.hash.as_slice(),
                        i64::from(row.credential),
                        row.intent == Intent::Cast,
                        row.board_index as i64,
                        end as i64,
                        row.len as i64
                    ])
                    .map_err(sqlite(&self.index_path))?;
                count += 1;
                end += row.len;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('board_synced', ?1)",
            [board_synced.to_string()],
        )
        .map_err(sqlite(&self.index_path))?;
        tx.commit().map_err(sqlite(&self.index_path))?;
        (self.count, self.end) = (count, end);
        Ok(())
    }

    /// Makes `ballots.jsonl` hold exactly the indexed ballots: a line cut short or missing
    /// after a crash is rewritten from the board, or from `known` (the lines just appended to
    /// the board, by board index), which spares reading them back. Bytes the box did not write
    /// are an error. Only the ballots from `settled`'s position on are looked at when the file
    /// reaches its end (a commit's own ballots), so a commit costs the same at any size.
    fn repair_file(&mut self, known: &HashMap<u64, &[u8]>, settled: Settled) -> Result<()> {
        let path = self.record.join(files::BALLOTS);
        let length = std::fs::metadata(&path)
            .map_err(|e| ElectionError::io(&path, e))?
            .len();
        if length == self.end {
            return Ok(());
        }
        if length > self.end {
            return Err(ElectionError::Record(format!(
                "{} holds {} bytes after the {} ballots the ballot box accepted; \
                 ballots can only be added with `fairtally authority accept`",
                path.display(),
                length - self.end,
                self.count
            )));
        }
        // Lines are in position order, so every ballot before `settled.position` ends by
        // `settled.end`: none of them is missing from a file that long.
        let from = if length >= settled.end {
            settled.position
        } else {
            0
        };
        let mut missing = self
            .index
            .prepare_cached(
                "SELECT offset, board_index FROM ballots
                 WHERE position >= ?2 AND offset + len > ?1 ORDER BY position",
            )
            .map_err(sqlite(&self.index_path))?;
        let rows: Vec<(u64, u64)> = missing
            .query_map([length as i64, from as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .map_err(sqlite(&self.index_path))?
            .collect::<std::result::Result<_, _>>()
            .map_err(sqlite(&self.index_path))?;
        drop(missing);
        let Some(&(start, _)) = rows.first() else {
            return Ok(());
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| ElectionError::io(&path, e))?;
        file.set_len(start)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
            .map_err(|e| ElectionError::io(&path, e))?;
        let mut bytes = Vec::new();
        for (_, board_index) in rows {
            match known.get(&board_index) {
                Some(line) => bytes.extend_from_slice(line),
                None => bytes.extend_from_slice(self.board.entry(board_index)?.body()),
            }
            bytes.push(b'\n');
        }
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| ElectionError::io(&path, e))
    }

    /// Accepts one ballot: see [`BallotBox::accept_all`].
    pub fn accept(&mut self, entry: &BallotEntry) -> Result<Accepted> {
        let mut accepted = self.accept_all(std::slice::from_ref(entry))?;
        accepted.pop().ok_or_else(|| {
            ElectionError::Record("the ballot box returned no answer for a ballot".into())
        })
    }

    /// Accepts ballots in order: each is encoded and checked ([`BallotChecker::check`]), then
    /// committed ([`BallotBox::commit`]). If any is invalid, none is added.
    pub fn accept_all(&mut self, entries: &[BallotEntry]) -> Result<Vec<Accepted>> {
        let ballots: Vec<CanonicalBallot> = entries
            .par_iter()
            .map(|entry| CanonicalBallot::new(entry.clone()))
            .collect::<Result<_>>()?;
        let checked = check_ballots(
            &self.context,
            &self.index,
            &self.index_path,
            ballots,
            Spread::EveryCore,
        )?;
        self.commit(&checked)
    }

    /// A checker of ballots against this box's election, for another thread: it reads the roll
    /// through its own connection to the index, so it can check the next ballots while this
    /// box commits the last ones.
    ///
    /// # Errors
    /// The index cannot be opened for reading.
    pub fn checker(&self) -> Result<BallotChecker> {
        BallotChecker::open(self.context.clone(), &self.index_path)
    }

    /// Commits checked ballots in order: all new ones are appended to the board, indexed and
    /// appended to `ballots.jsonl`. A ballot already in the box is answered with its position
    /// and not added again. If any new ballot failed its checks, or a different ballot line
    /// with the same confirmation code is in the box, none is added.
    ///
    /// Whether a ballot is new is decided here, against the box as it is now: checks made
    /// before an earlier commit stay valid (they depend only on the ballot and the election),
    /// the repeat and re-vote decisions would not.
    pub fn commit(&mut self, checked: &[CheckedBallot]) -> Result<Vec<Accepted>> {
        if authority::voting_closed(&self.record) {
            return Err(ElectionError::Record("voting is closed".into()));
        }
        self.resync()?;
        let mut answers: Vec<Option<Accepted>> = Vec::with_capacity(checked.len());
        // Ballots of this call not yet in the box: hash → index in `fresh`.
        let mut pending: HashMap<[u8; 32], usize> = HashMap::new();
        let mut fresh: Vec<usize> = Vec::new();
        for (i, checked_ballot) in checked.iter().enumerate() {
            let ballot = checked_ballot.ballot();
            let code = ballot.code();
            if let Some(row) = self.row(&ballot.hash.0)? {
                if self.board.entry(row.board_index)?.body() != ballot.line.as_slice() {
                    return Err(already_other(code, row.intent));
                }
                answers.push(Some(Accepted {
                    code,
                    intent: row.intent,
                    position: row.position,
                    board_index: row.board_index,
                    new: false,
                }));
                continue;
            }
            if let Some(&j) = pending.get(&ballot.hash.0) {
                let first = checked[fresh[j]].ballot();
                if first.line != ballot.line {
                    return Err(already_other(code, first.entry.intent));
                }
            } else {
                checked_ballot.verdict()?;
                pending.insert(ballot.hash.0, fresh.len());
                fresh.push(i);
            }
            answers.push(None);
        }
        let appended = if fresh.is_empty() {
            Vec::new()
        } else {
            match self.append(checked, &fresh) {
                Ok(appended) => appended,
                Err(e) => {
                    self.unsure = true;
                    return Err(e);
                }
            }
        };
        // Answers for the new ballots come from the append, repeats within this call from
        // their first copy.
        let mut answers_fresh = vec![None; checked.len()];
        for (&i, accepted) in fresh.iter().zip(appended) {
            answers_fresh[i] = Some(accepted);
        }
        answers
            .into_iter()
            .zip(checked)
            .enumerate()
            .map(|(i, (answer, checked_ballot))| match answer {
                Some(a) => Ok(a),
                None => match answers_fresh[i].clone() {
                    Some(a) => Ok(a),
                    None => {
                        let missing = || {
                            ElectionError::Record(
                                "an accepted ballot is missing from the batch".into(),
                            )
                        };
                        let j = pending
                            .get(&checked_ballot.ballot().hash.0)
                            .copied()
                            .ok_or_else(missing)?;
                        let first = answers_fresh[fresh[j]].clone().ok_or_else(missing)?;
                        Ok(Accepted {
                            new: false,
                            ..first
                        })
                    }
                },
            })
            .collect()
    }

    /// Board, index, file: in that order, so that a crash is repaired from the board. Returns
    /// what accepting each of `fresh` did, in order.
    fn append(&mut self, checked: &[CheckedBallot], fresh: &[usize]) -> Result<Vec<Accepted>> {
        let board_entries: Vec<Entry> = fresh
            .iter()
            .map(|&i| {
                board_entry(record_entries::Entry {
                    kind: ItemKind::Ballot,
                    bytes: checked[i].ballot().line.clone(),
                })
            })
            .collect::<Result<_>>()?;
        let appended = self.board.append_batch(&board_entries)?;
        let rows: Vec<NewRow> = fresh
            .iter()
            .zip(&appended)
            .map(|(&i, appended)| {
                let ballot = checked[i].ballot();
                NewRow {
                    hash: ballot.hash.0,
                    // A ballot that passed is on the roll (an unlisted credential fails).
                    credential: checked[i].position().unwrap_or(u32::MAX),
                    intent: ballot.entry.intent,
                    board_index: appended.index,
                    len: ballot.line.len() as u64 + 1,
                }
            })
            .collect();
        let synced = appended.iter().map(|a| a.index + 1).max().unwrap_or(0);
        let settled = Settled {
            position: self.count,
            end: self.end,
        };
        self.insert_rows(&rows, synced)?;
        let known = fresh
            .iter()
            .zip(&appended)
            .map(|(&i, appended)| (appended.index, checked[i].ballot().line.as_slice()))
            .collect();
        self.repair_file(&known, settled)?;
        Ok(fresh
            .iter()
            .zip(&appended)
            .zip(settled.position..)
            .map(|((&i, appended), position)| Accepted {
                code: checked[i].ballot().code(),
                intent: checked[i].ballot().entry.intent,
                position,
                board_index: appended.index,
                new: true,
            })
            .collect())
    }

    /// Signs a checkpoint of the board as it is now and publishes the board's static files
    /// (`BOARD/public`), so that the accepted ballots can be proven included.
    pub fn checkpoint(&mut self) -> Result<SignedCheckpoint> {
        let checkpoint = self.board.sign_checkpoint(self.operator)?;
        self.board.publish()?;
        Ok(checkpoint)
    }

    /// Closes voting: sums the counted ballots (the re-vote rule over the index) from
    /// `ballots.jsonl`, checking that every line is the ballot the index holds, publishes the
    /// encrypted tally, posts it to the board, signs a checkpoint and copies the board's public
    /// files into `RECORD/board` (the guardians check them before they decrypt). No proof is verified
    /// again: every ballot was verified when it was accepted.
    pub fn close(mut self, progress: &dyn Progress) -> Result<EncryptedTally> {
        if authority::voting_closed(&self.record) {
            return Err(ElectionError::Record("voting is already closed".into()));
        }
        self.resync()?;
        let mut rows = Vec::with_capacity(self.count as usize);
        {
            let mut query = self
                .index
                .prepare("SELECT hash, credential, is_cast FROM ballots ORDER BY position")
                .map_err(sqlite(&self.index_path))?;
            let mapped = query
                .query_map([], |r| {
                    let hash: Vec<u8> = r.get(0)?;
                    let intent = if r.get::<_, bool>(2)? {
                        Intent::Cast
                    } else {
                        Intent::Challenge
                    };
                    Ok((hash, r.get::<_, i64>(1)?, intent))
                })
                .map_err(sqlite(&self.index_path))?;
            for row in mapped {
                rows.push(row.map_err(sqlite(&self.index_path))?);
            }
        }
        let credentials = rows
            .iter()
            .map(|(_, c, _)| *c as usize + 1)
            .max()
            .unwrap_or(0);
        let statuses = revote_statuses(
            credentials,
            rows.iter()
                .map(|(_, credential, intent)| (*credential as usize, *intent)),
        );
        let path = self.record.join(files::BALLOTS);
        let manifest: &Manifest = &self.context.manifest;
        let mut tally = Accumulator::start(manifest, &self.context.public_key);
        let zero = Accumulator::empty(manifest);
        progress.begin("summing counted ballots", self.end);
        let mut reader = JsonLinesReader::open(&path)?;
        let mut position = 0usize;
        loop {
            let mut block = Vec::with_capacity(CLOSE_BLOCK);
            while block.len() < CLOSE_BLOCK {
                match reader.next_raw()? {
                    Some((line, text)) => block.push((line, text)),
                    None => break,
                }
            }
            if block.is_empty() {
                break;
            }
            let expected = rows.get(position..position + block.len()).ok_or_else(|| {
                ElectionError::Record(format!(
                    "{} holds more ballots than the ballot box accepted",
                    path.display()
                ))
            })?;
            let counted = &statuses[position..position + block.len()];
            let partials: Vec<Result<Accumulator>> = block
                .par_iter()
                .zip(expected)
                .zip(counted)
                .map(|(((line, text), (hash, _, _)), status)| {
                    let bytes = text.trim_end().as_bytes();
                    let summary = LineSummary::read(bytes)
                        .filter(|s| s.hash.0.as_slice() == hash.as_slice())
                        .ok_or_else(|| {
                            ElectionError::parse(
                                &path,
                                Some(*line),
                                "this line is not the ballot the ballot box accepted here",
                            )
                        })?;
                    let mut partial = zero.clone();
                    if *status == BallotStatus::Cast && summary.intent == Intent::Cast {
                        let entry: BallotEntry = crate::record::parse_line(&path, *line, text)?;
                        partial.add(&entry.ballot);
                    }
                    Ok(partial)
                })
                .collect();
            for partial in partials {
                tally.merge(&partial?);
            }
            progress.advance(block.iter().map(|(_, t)| t.len() as u64).sum());
            position += block.len();
        }
        progress.end();
        if position != rows.len() {
            return Err(ElectionError::Record(format!(
                "{} holds {position} ballots, the ballot box accepted {}",
                path.display(),
                rows.len()
            )));
        }
        let encrypted = tally.to_tally(manifest);
        write_json(&self.record.join(files::ENCRYPTED_TALLY), &encrypted)?;
        crate::record::JsonLinesWriter::create(&self.record.join(files::DECRYPTION_SHARES))?
            .finish()?;
        post_items(
            &mut self.board,
            self.operator,
            vec![record_entries::Entry {
                kind: ItemKind::EncryptedTally,
                bytes: canonical_json(&encrypted)?,
            }],
        )?;
        // The guardians check the record, board included, before they decrypt.
        crate::bulletin::refresh_record_board(&self.record, &self.board)?;
        Ok(encrypted)
    }
}

/// A ballot to index.
struct NewRow {
    hash: [u8; 32],
    credential: u32,
    intent: Intent,
    board_index: u64,
    len: u64,
}

fn already_other(code: ConfirmationCode, intent: Intent) -> ElectionError {
    ElectionError::Ballot {
        code: code.to_string(),
        reason: format!(
            "a different submission of this ballot is already in the ballot box (as {}); \
             a ballot is either cast or challenged, once",
            match intent {
                Intent::Cast => "cast",
                Intent::Challenge => "challenged",
            }
        ),
    }
}

/// Whether items of this kind are published before voting opens.
fn is_setup(kind: ItemKind) -> bool {
    matches!(
        kind,
        ItemKind::Header
            | ItemKind::Manifest
            | ItemKind::Parameters
            | ItemKind::Guardian
            | ItemKind::ShareMessage
            | ItemKind::Complaint
            | ItemKind::Credential
            | ItemKind::Context
    )
}

/// Posts record items to the board ([`Board::post`]: durable batches, items already on the
/// board not added again, one signed checkpoint, the static files published).
pub fn post_items(
    board: &mut Board,
    operator: &NoteSigner,
    items: Vec<record_entries::Entry>,
) -> Result<SignedCheckpoint> {
    let entries: Vec<Entry> = items.into_iter().map(board_entry).collect::<Result<_>>()?;
    Ok(board.post(entries, operator)?.checkpoint)
}

/// Opens voting on the record in `dir`: checks the guardians and the credential list,
/// publishes the election context and an empty ballot box, posts the set-up to `board` and
/// builds the ballot box's index. Refuses if voting was opened before.
pub fn open_voting(dir: &Path, board: Board, operator: &NoteSigner) -> Result<Setup> {
    let _lock = RecordLock::acquire(dir)?;
    authority::write_context(dir)?;
    drop(_lock);
    BallotBox::open(dir, board, operator)?;
    authority::load_setup(dir)
}

#[cfg(test)]
mod tests {
    use fairtally_board::checkpoint::TrustPolicy;
    use fairtally_board::note::KeyRole;

    use super::*;
    use crate::ballot::encrypt_ballot;
    use crate::ceremony::run_all_in_one;
    use crate::credential::{self, Credential};
    use crate::parameters::{ElectionParameters, ceremony_context};
    use crate::progress::Silent;
    use crate::simulation::random_selections;

    struct Election {
        _dir: tempfile::TempDir,
        record: PathBuf,
        board: PathBuf,
        operator: NoteSigner,
        voters: Vec<Credential>,
    }

    impl Election {
        fn open_box(&self) -> Result<BallotBox<'_>> {
            BallotBox::open(&self.record, Board::open(&self.board)?, &self.operator)
        }

        fn ballot(&self, voter: usize, intent: Intent) -> Result<BallotEntry> {
            let ctx = authority::load_setup(&self.record)?.voting_context();
            let credential = &self.voters[voter];
            let prepared = encrypt_ballot(&ctx, credential, &random_selections(&ctx.manifest)?)?;
            match intent {
                Intent::Cast => prepared.cast(credential),
                Intent::Challenge => prepared.challenge(credential),
            }
        }

        fn ballots_file(&self) -> Vec<u8> {
            std::fs::read(self.record.join(files::BALLOTS)).unwrap_or_default()
        }
    }

    fn open_election() -> Result<Election> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let record = dir.path().join("record");
        let manifest = Manifest::default_demo()?;
        let operator = NoteSigner::generate("example.org/box-test", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(operator.verifier());
        let parameters = ElectionParameters::new(1, 1, &policy)?;
        authority::create_election(&record, &manifest, &parameters)?;
        let ceremony = run_all_in_one(
            &ceremony_context(&manifest, &parameters)?,
            &parameters,
            &["Guardian".to_string()],
        )?;
        authority::publish_guardians(&record, &ceremony.guardians)?;
        crate::ceremony::publish(&record, &ceremony.messages, &[])?;
        let (voters, list) = credential::issue(3)?;
        authority::publish_credentials(&record, &list)?;
        let board = dir.path().join("board");
        open_voting(&record, Board::create(&board, &policy)?, &operator)?;
        Ok(Election {
            _dir: dir,
            record,
            board,
            operator,
            voters,
        })
    }

    #[test]
    fn the_revote_rule_counts_the_last_cast_ballot_of_each_credential() {
        use BallotStatus::{Cast, Challenged, Superseded};
        let ballots = [
            (0, Intent::Cast),
            (1, Intent::Challenge),
            (0, Intent::Cast),
            (1, Intent::Cast),
            (2, Intent::Cast),
            (0, Intent::Challenge),
        ];
        assert_eq!(
            revote_statuses(3, ballots),
            vec![Superseded, Challenged, Cast, Cast, Cast, Challenged]
        );
    }

    #[test]
    fn repeats_get_the_same_answer_and_conflicts_or_bad_batches_add_nothing() -> Result<()> {
        let e = open_election()?;
        let mut ballot_box = e.open_box()?;
        let ballot = e.ballot(0, Intent::Cast)?;
        let first = ballot_box.accept(&ballot)?;
        assert!(first.new);
        let again = ballot_box.accept(&ballot)?;
        assert_eq!((again.new, again.position), (false, first.position));
        // The same ballot, once more within one batch, is one ballot.
        let other = e.ballot(1, Intent::Cast)?;
        let answers = ballot_box.accept_all(&[other.clone(), other.clone(), ballot.clone()])?;
        assert_eq!(
            answers
                .iter()
                .map(|a| (a.new, a.position))
                .collect::<Vec<_>>(),
            vec![(true, 1), (false, 1), (false, 0)]
        );
        assert_eq!(ballot_box.len(), 2);

        // Another line for a ballot already in the box (here: its signature changed).
        let mut conflicting = ballot.clone();
        conflicting.signature = other.signature;
        let err = ballot_box.accept(&conflicting).unwrap_err().to_string();
        assert!(err.contains("different submission"), "{err}");

        // A batch with one invalid ballot adds none of them.
        let good = e.ballot(2, Intent::Cast)?;
        let mut bad = e.ballot(2, Intent::Cast)?;
        bad.signature = good.signature;
        let before = e.ballots_file();
        let err = ballot_box.accept_all(&[good, bad]).unwrap_err().to_string();
        assert!(err.contains("ballot signatures"), "{err}");
        assert_eq!(e.ballots_file(), before);
        assert_eq!(ballot_box.len(), 2);
        Ok(())
    }

    #[test]
    fn ballots_checked_ahead_of_a_commit_are_judged_against_the_box_at_their_own_commit()
    -> Result<()> {
        let e = open_election()?;
        let mut ballot_box = e.open_box()?;
        let checker = ballot_box.checker()?;
        let ballot = e.ballot(0, Intent::Cast)?;
        let canonical = CanonicalBallot::new(ballot.clone())?;
        // Checked while the box does not hold it yet (as the server checks batch k+1 while
        // batch k commits) ...
        let checked = checker.check(vec![canonical.clone()])?;
        checked[0].verdict()?;
        let first = ballot_box.accept(&ballot)?;
        // ... and committed after it went in: a repeat, with the first answer.
        let again = ballot_box.commit(&checked)?;
        assert_eq!(
            (again[0].new, again[0].position, again[0].board_index),
            (false, first.position, first.board_index)
        );
        assert_eq!(ballot_box.len(), 1);

        // A ballot that failed its checks is refused at commit, and nothing is added.
        let good = e.ballot(1, Intent::Cast)?;
        let mut bad = e.ballot(2, Intent::Cast)?;
        bad.signature = good.signature;
        let checked = checker.check(vec![
            CanonicalBallot::new(good)?,
            CanonicalBallot::new(bad.clone())?,
        ])?;
        checked[0].verdict()?;
        let err = checked[1].verdict().unwrap_err().to_string();
        assert!(err.contains("ballot signatures"), "{err}");
        let before = e.ballots_file();
        let err = ballot_box.commit(&checked).unwrap_err().to_string();
        assert!(err.contains("ballot signatures"), "{err}");
        assert_eq!(e.ballots_file(), before);
        assert_eq!(ballot_box.len(), 1);
        Ok(())
    }

    #[test]
    fn an_interrupted_accept_is_repaired_from_the_board() -> Result<()> {
        let e = open_election()?;
        let (a, b, c) = (
            e.ballot(0, Intent::Cast)?,
            e.ballot(1, Intent::Challenge)?,
            e.ballot(2, Intent::Cast)?,
        );
        let whole = {
            let mut ballot_box = e.open_box()?;
            ballot_box.accept_all(&[a, b])?;
            e.ballots_file()
        };
        let path = e.record.join(files::BALLOTS);
        // A crash in the middle of writing the second line, or before writing either.
        for cut in [whole.len() - 7, 0] {
            std::fs::write(&path, &whole[..cut]).map_err(|err| ElectionError::io(&path, err))?;
            assert_eq!(e.open_box()?.len(), 2);
            assert_eq!(e.ballots_file(), whole);
        }
        // A crash after the board took a ballot but before the index and the file did.
        let mut board = Board::open(&e.board)?;
        post_items(
            &mut board,
            &e.operator,
            vec![record_entries::Entry {
                kind: ItemKind::Ballot,
                bytes: canonical_json(&c)?,
            }],
        )?;
        drop(board);
        let ballot_box = e.open_box()?;
        assert_eq!(ballot_box.len(), 3);
        let mut expected = whole.clone();
        expected.extend_from_slice(&canonical_json(&c)?);
        expected.push(b'\n');
        assert_eq!(e.ballots_file(), expected);
        drop(ballot_box);

        // Bytes the box never wrote are refused, not adopted.
        let mut tampered = expected.clone();
        tampered.extend_from_slice(b"{}\n");
        std::fs::write(&path, &tampered).map_err(|err| ElectionError::io(&path, err))?;
        let err = e
            .open_box()
            .err()
            .map(|x| x.to_string())
            .unwrap_or_default();
        assert!(err.contains("fairtally authority accept"), "{err}");
        Ok(())
    }

    #[test]
    fn a_commit_writes_its_own_lines_and_mends_a_file_cut_short_under_it() -> Result<()> {
        let e = open_election()?;
        let (a, b, c) = (
            e.ballot(0, Intent::Cast)?,
            e.ballot(1, Intent::Cast)?,
            e.ballot(2, Intent::Challenge)?,
        );
        let mut ballot_box = e.open_box()?;
        ballot_box.accept(&a)?;
        ballot_box.accept(&b)?;
        let line = |ballot: &BallotEntry| -> Result<Vec<u8>> {
            let mut line = canonical_json(ballot)?;
            line.push(b'\n');
            Ok(line)
        };
        let two = [line(&a)?, line(&b)?].concat();
        assert_eq!(e.ballots_file(), two);
        // Cut into the first line while the box is open: the next commit finds the file
        // shorter than the ballots it already holds, and rewrites them from the board.
        let path = e.record.join(files::BALLOTS);
        std::fs::write(&path, &two[..10]).map_err(|err| ElectionError::io(&path, err))?;
        ballot_box.accept(&c)?;
        assert_eq!(e.ballots_file(), [two, line(&c)?].concat());
        Ok(())
    }

    #[test]
    fn an_append_whose_answer_was_lost_keeps_the_record_in_board_order() -> Result<()> {
        let e = open_election()?;
        let (a, b, c, d) = (
            e.ballot(0, Intent::Cast)?,
            e.ballot(1, Intent::Cast)?,
            e.ballot(2, Intent::Challenge)?,
            e.ballot(0, Intent::Cast)?,
        );
        let mut ballot_box = e.open_box()?;
        assert_eq!(ballot_box.accept(&a)?.position, 0);
        // The board commits b and c, then reports an error (a database whose answer was lost).
        fairtally_board::board::fault::lose_append_answers(1);
        let lost = ballot_box.accept_all(&[b.clone(), c.clone()]);
        assert!(lost.is_err(), "the injected fault was not reported");
        // Another ballot comes first: the box catches up with the board, so d follows b and c.
        let later = ballot_box.accept(&d)?;
        assert!(later.new);
        assert_eq!(later.position, 3);
        // The retry of b and c gets their places, and adds nothing.
        let retried = ballot_box.accept_all(&[b, c])?;
        assert!(retried.iter().all(|r| !r.new), "{retried:?}");
        assert_eq!(
            retried.iter().map(|r| r.position).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(retried.iter().all(|r| r.board_index < later.board_index));
        drop(ballot_box);

        // ballots.jsonl holds exactly the board's ballot entries, in board order ...
        let board = Board::open(&e.board)?;
        let kind = board_entry(record_entries::Entry {
            kind: ItemKind::Ballot,
            bytes: b"{}".to_vec(),
        })?
        .kind()
        .clone();
        let mut on_board = Vec::new();
        for data in board.leaf_data(0, board.size()?)? {
            let entry = Entry::from_leaf_data(&data, "a board entry")?;
            if *entry.kind() == kind {
                on_board.extend_from_slice(entry.body());
                on_board.push(b'\n');
            }
        }
        drop(board);
        assert_eq!(e.ballots_file(), on_board);
        // ... which verify, and close counts b and d (a is superseded, c challenged).
        let setup = authority::load_setup(&e.record)?;
        let summary = crate::verifier::verify_ballots(
            &e.record.join(files::BALLOTS),
            &setup.voting_context(),
            &setup.credentials,
            &Silent,
        )?;
        assert!(summary.failures.is_empty(), "{:?}", summary.failures);
        assert_eq!((summary.ballots, summary.superseded), (4, 1));
        assert_eq!(e.open_box()?.close(&Silent)?.ballots, 2);
        Ok(())
    }

    #[test]
    fn close_counts_by_the_revote_rule_without_verifying_again() -> Result<()> {
        let e = open_election()?;
        let ballots = [
            e.ballot(0, Intent::Cast)?,
            e.ballot(1, Intent::Challenge)?,
            e.ballot(0, Intent::Cast)?,
            e.ballot(1, Intent::Cast)?,
        ];
        let mut ballot_box = e.open_box()?;
        ballot_box.accept_all(&ballots)?;
        let tally = ballot_box.close(&Silent)?;
        assert_eq!(tally.ballots, 2);
        let statuses: Vec<BallotStatus> = ballots
            .iter()
            .map(|b| {
                ballot_status(&e.record, &b.ballot.code())
                    .ok()
                    .flatten()
                    .map(|found| found.status)
                    .unwrap_or(BallotStatus::Challenged)
            })
            .collect();
        assert_eq!(
            statuses,
            vec![
                BallotStatus::Superseded,
                BallotStatus::Challenged,
                BallotStatus::Cast,
                BallotStatus::Cast
            ]
        );
        let err = e.open_box()?.accept(&ballots[0]).unwrap_err().to_string();
        assert!(err.contains("voting is closed"), "{err}");
        Ok(())
    }

    #[test]
    fn the_index_reader_finds_each_ballot_with_its_status_while_the_box_accepts() -> Result<()> {
        use BallotStatus::{Cast, Challenged, Superseded};
        let e = open_election()?;
        let ballots = [
            e.ballot(0, Intent::Cast)?,
            e.ballot(1, Intent::Challenge)?,
            e.ballot(0, Intent::Cast)?,
            e.ballot(2, Intent::Cast)?,
        ];
        let mut ballot_box = e.open_box()?;
        let reader = BallotIndexReader::open(&e.board)?;
        let status = |ballot: &BallotEntry| -> Result<Option<BallotStatus>> {
            Ok(reader
                .find(&ballot.ballot.code())?
                .map(|found| found.status))
        };
        let first = ballot_box.accept(&ballots[0])?;
        assert_eq!(status(&ballots[0])?, Some(Cast));
        let rest = ballot_box.accept_all(&ballots[1..])?;
        // The re-vote supersedes the first ballot at once.
        assert_eq!(
            ballots.iter().map(status).collect::<Result<Vec<_>>>()?,
            vec![Some(Superseded), Some(Challenged), Some(Cast), Some(Cast)]
        );
        for accepted in std::iter::once(&first).chain(&rest) {
            let found = reader.find(&accepted.code)?;
            assert_eq!(
                found.map(|f| (f.position, f.board_index, f.intent)),
                Some((accepted.position, accepted.board_index, accepted.intent))
            );
        }
        // A ballot never submitted is not found.
        assert_eq!(status(&e.ballot(1, Intent::Cast)?)?, None);
        drop(ballot_box);

        // Two ballots with one code (a 135-bit collision) get an error, not either ballot.
        let code = ballots[3].ballot.code();
        let (low, _) = code.hash_range();
        let index = Connection::open(e.board.join(INDEX_FILE)).map_err(sqlite(&e.board))?;
        index
            .execute(
                "INSERT INTO ballots(position, hash, credential, is_cast, board_index, offset, len)
                 VALUES (4, ?1, 1, 1, 99, 0, 0)",
                [low.as_slice()],
            )
            .map_err(sqlite(&e.board))?;
        let err = reader.find(&code).unwrap_err().to_string();
        assert!(err.contains("more than one ballot"), "{err}");
        Ok(())
    }

    #[test]
    fn an_index_made_before_the_status_lookup_opens_and_is_upgraded() -> Result<()> {
        let e = open_election()?;
        let ballots = [e.ballot(0, Intent::Cast)?, e.ballot(0, Intent::Cast)?];
        e.open_box()?.accept_all(&ballots)?;
        // The index as earlier versions made it: no index by credential.
        let path = e.board.join(INDEX_FILE);
        let has_index = || -> Result<bool> {
            Connection::open(&path)
                .and_then(|index| {
                    index.query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name = 'ballots_by_credential'",
                        [],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .map(|n| n == 1)
                .map_err(sqlite(&path))
        };
        Connection::open(&path)
            .and_then(|index| index.execute_batch("DROP INDEX ballots_by_credential"))
            .map_err(sqlite(&path))?;
        assert!(!has_index()?);
        let ballot_box = e.open_box()?;
        assert_eq!(ballot_box.len(), 2);
        assert!(has_index()?);
        let reader = BallotIndexReader::open(&e.board)?;
        let statuses = ballots
            .iter()
            .map(|b| Ok(reader.find(&b.ballot.code())?.map(|f| f.status)))
            .collect::<Result<Vec<_>>>()?;
        assert_eq!(
            statuses,
            vec![Some(BallotStatus::Superseded), Some(BallotStatus::Cast)]
        );
        // No index file at all is an error that names it.
        let err = BallotIndexReader::open(&e.record)
            .err()
            .map(|x| x.to_string())
            .unwrap_or_default();
        assert!(err.contains(INDEX_FILE), "{err}");
        Ok(())
    }

    #[test]
    fn the_setup_is_fixed_once_voting_is_open() -> Result<()> {
        let e = open_election()?;
        let err = authority::publish_guardians(&e.record, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("voting is open"), "{err}");
        let (_, list) = credential::issue(1)?;
        let err = authority::publish_credentials(&e.record, &list)
            .unwrap_err()
            .to_string();
        assert!(err.contains("voting is open"), "{err}");
        Ok(())
    }
}
