//! The offline outbox: entries prepared without a connection (ballots, observers' protocols,
//! voters' reports) wait in a local SQLite file until they are on the board.
//!
//! No loss: an entry leaves the pending list only when the board has acknowledged it with an
//! index (sent directly) or when a verified mirror proves it included. No duplicates: the
//! board stores identical entries once, so re-sending after a crash or exporting twice is
//! harmless, and the outbox itself keeps each entry once.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use fairtally_files::{Access, write_atomic};

use crate::board::{Appended, Board};
use crate::checkpoint::TrustPolicy;
use crate::entry::Entry;
use crate::error::BoardError;
use crate::mirror::{Inclusion, Mirror};
use crate::proof::verify_inclusion;
use crate::store::open_sqlite;

use crate::bundle::stream_entries;

/// Format tag of a submissions file (the outbox's export).
pub const SUBMISSIONS_FORMAT: &str = "fairtally-board-submissions/1";

/// Largest submissions file read, in bytes.
pub const MAX_SUBMISSIONS_LEN: u64 = 1 << 30;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox(
    id INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL UNIQUE, data BLOB NOT NULL, log_index INTEGER);
";

/// A submissions file, as it is written.
#[derive(Serialize)]
struct SubmissionsFile {
    format: String,
    /// Leaf data of each entry, base64.
    entries: Vec<String>,
}

/// A local queue of entries waiting to be on the board.
pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

impl Outbox {
    /// Opens the outbox file, creating it if needed.
    ///
    /// # Errors
    /// Database errors naming the file.
    pub fn open(path: &Path) -> Result<Self, BoardError> {
        let conn = open_sqlite(path)?;
        conn.execute_batch(SCHEMA)
            .map_err(|source| BoardError::Database {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// Opens an outbox that must already exist (`status`, `send`, `export`, `confirm`): a
    /// mistyped path is an error, not a new empty outbox.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when there is no file at `path`; as [`Outbox::open`].
    pub fn open_existing(path: &Path) -> Result<Self, BoardError> {
        if !path.is_file() {
            return Err(BoardError::malformed(
                path.display().to_string(),
                "no outbox here (`fairtally board outbox add` creates one)",
            ));
        }
        Self::open(path)
    }

    fn db(&self) -> impl Fn(rusqlite::Error) -> BoardError + '_ {
        |source| BoardError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Queues an entry durably. Returns `false` when the same entry is already queued or
    /// delivered.
    ///
    /// # Errors
    /// Database errors.
    pub fn push(&mut self, entry: &Entry) -> Result<bool, BoardError> {
        let changed = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO outbox(leaf_hash, data) VALUES (?1, ?2)",
                params![entry.leaf_hash().as_slice(), entry.to_leaf_data()],
            )
            .map_err(self.db())?;
        Ok(changed == 1)
    }

    /// The entries still waiting, oldest first.
    ///
    /// # Errors
    /// Database errors or a damaged outbox.
    pub fn pending(&self) -> Result<Vec<Entry>, BoardError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, data FROM outbox WHERE log_index IS NULL ORDER BY id")
            .map_err(self.db())?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .map_err(self.db())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.db())?;
        rows.iter()
            .map(|(id, data)| {
                Entry::from_leaf_data(data, &format!("{}: outbox item {id}", self.path.display()))
            })
            .collect()
    }

    /// Delivered entries with their board index, oldest first.
    ///
    /// # Errors
    /// Database errors or a damaged outbox.
    pub fn delivered(&self) -> Result<Vec<(Entry, u64)>, BoardError> {
        let mut stmt = self
            .conn
            .prepare("SELECT data, log_index FROM outbox WHERE log_index IS NOT NULL ORDER BY id")
            .map_err(self.db())?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(self.db())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.db())?;
        rows.iter()
            .map(|(data, index)| {
                let item = format!("{}: delivered entry {index}", self.path.display());
                Ok((Entry::from_leaf_data(data, &item)?, *index as u64))
            })
            .collect()
    }

    fn mark(&mut self, delivered: &[Appended]) -> Result<(), BoardError> {
        let path = self.path.clone();
        let db = |source| BoardError::Database {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut stmt = tx
                .prepare("UPDATE outbox SET log_index = ?1 WHERE leaf_hash = ?2")
                .map_err(db)?;
            for a in delivered {
                stmt.execute(params![a.index as i64, a.leaf_hash.as_slice()])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    /// Sends the pending entries to a board in one batch and records their indexes. Entries
    /// the board already had (sent before a crash, or by someone else) get their existing
    /// index. Returns the board's acknowledgements.
    ///
    /// # Errors
    /// Database errors of either side; the entries stay pending then.
    pub fn send(&mut self, board: &mut Board) -> Result<Vec<Appended>, BoardError> {
        let pending = self.pending()?;
        let acks = board.append_batch(&pending)?;
        self.mark(&acks)?;
        Ok(acks)
    }

    /// Writes the pending entries to a submissions file for someone to carry to the board
    /// (`fairtally board submit`). They stay pending until [`Outbox::confirm`] sees them.
    /// Returns how many were written.
    ///
    /// # Errors
    /// I/O or database errors.
    pub fn export(&self, path: &Path) -> Result<usize, BoardError> {
        let pending = self.pending()?;
        let file = SubmissionsFile {
            format: SUBMISSIONS_FORMAT.into(),
            entries: pending
                .iter()
                .map(|e| BASE64.encode(e.to_leaf_data()))
                .collect(),
        };
        let json = serde_json::to_vec(&file).map_err(|e| BoardError::Io {
            path: path.to_owned(),
            source: std::io::Error::other(e),
        })?;
        write_atomic(path, &json, Access::Public)?;
        Ok(pending.len())
    }

    /// Marks as delivered every pending entry that a verified mirror proves included: its
    /// index comes from the mirror's verified tree and its inclusion proof is checked against
    /// the checkpoint that verified under the mirror's policy. Returns the number confirmed.
    ///
    /// # Errors
    /// A mirror whose files do not match its signed checkpoint (nothing is marked then);
    /// errors reading the mirror's files; database errors.
    pub fn confirm(&mut self, mirror: &mut Mirror) -> Result<usize, BoardError> {
        let hashes: Vec<_> = self.pending()?.iter().map(Entry::leaf_hash).collect();
        let mut found = Vec::new();
        for (leaf_hash, index) in hashes.iter().zip(mirror.locate(&hashes)?) {
            if let Some(index) = index {
                let inclusion = mirror.prove_at(index, leaf_hash)?;
                found.push(Appended {
                    index: inclusion.index,
                    leaf_hash: *leaf_hash,
                    new: false,
                });
            }
        }
        self.mark(&found)?;
        Ok(found.len())
    }
}

impl Outbox {
    /// Marks as delivered every pending entry that one of `proven` shows on the board (what
    /// a client that fetched proofs from a board over the network has): each inclusion's
    /// checkpoint must verify under `policy`, and its proof must lead from the entry's leaf
    /// hash at its index to that checkpoint's root. Inclusions of entries that are not pending
    /// are ignored. Returns the number marked.
    ///
    /// # Errors
    /// The first inclusion whose checkpoint or proof does not verify (nothing is marked then);
    /// database errors.
    pub fn confirm_inclusions(
        &mut self,
        proven: &[Inclusion],
        policy: &TrustPolicy,
    ) -> Result<usize, BoardError> {
        let pending: std::collections::HashSet<_> =
            self.pending()?.iter().map(Entry::leaf_hash).collect();
        let mut found = Vec::new();
        for inclusion in proven {
            policy.verify(&inclusion.checkpoint)?;
            let cp = inclusion.checkpoint.checkpoint();
            verify_inclusion(
                inclusion.index,
                cp.size,
                &inclusion.leaf_hash,
                &inclusion.proof,
                &cp.root,
            )?;
            if pending.contains(&inclusion.leaf_hash) {
                found.push(Appended {
                    index: inclusion.index,
                    leaf_hash: inclusion.leaf_hash,
                    new: false,
                });
            }
        }
        self.mark(&found)?;
        Ok(found.len())
    }
}

/// Reads a submissions file as a stream (never holding its text whole), checking every entry
/// before anything is returned.
///
/// # Errors
/// I/O errors; [`BoardError::Malformed`] or [`BoardError::EntryTooLarge`] naming the file and
/// the entry (a file cut short, or longer than [`MAX_SUBMISSIONS_LEN`], is malformed).
pub fn read_submissions(path: &Path) -> Result<Vec<Entry>, BoardError> {
    let file = std::fs::File::open(path).map_err(BoardError::io(path))?;
    submissions_from(file, &path.display().to_string())
}

/// Parses the bytes of a submissions file (as [`Outbox::export`] writes it, or as a server
/// receives it), checking every entry before anything is returned; `name` names the source in
/// errors.
///
/// # Errors
/// [`BoardError::Malformed`] or [`BoardError::EntryTooLarge`] naming the source and the entry.
pub fn parse_submissions(bytes: &[u8], name: &str) -> Result<Vec<Entry>, BoardError> {
    submissions_from(bytes, name)
}

fn submissions_from(reader: impl std::io::Read, name: &str) -> Result<Vec<Entry>, BoardError> {
    /// The members of a submissions file other than its entries.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Header {
        format: String,
    }
    let mut entries = Vec::new();
    let members = stream_entries(
        reader,
        name,
        "a submissions file",
        MAX_SUBMISSIONS_LEN,
        &mut |_, _, entry, _| {
            entries.push(entry);
            Ok(())
        },
    )?;
    let header: Header = serde_json::from_value(serde_json::Value::Object(members))
        .map_err(|e| BoardError::malformed(name, format!("not a submissions file: {e}")))?;
    if header.format != SUBMISSIONS_FORMAT {
        return Err(BoardError::malformed(
            format!("{name}: format"),
            format!("{:?} is not {SUBMISSIONS_FORMAT:?}", header.format),
        ));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::PUBLIC_DIR;
    use crate::checkpoint::TrustPolicy;
    use crate::entry::EntryKind;
    use crate::note::{KeyRole, NoteSigner};

    #[test]
    fn offline_entries_reach_the_board_once() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/outbox", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::create(&dir.path().join("b"), &policy)?;
        let kind = EntryKind::new("observe/protocol")?;
        let e = |i: u8| Entry::new(kind.clone(), vec![i]);
        let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite"))?;
        assert!(outbox.push(&e(1)?)?);
        assert!(!outbox.push(&e(1)?)?);
        assert!(outbox.push(&e(2)?)?);
        // Path 1: exported, carried, submitted; confirmed from a mirror.
        let file = dir.path().join("submissions.json");
        assert_eq!(outbox.export(&file)?, 2);
        board.append_batch(&read_submissions(&file)?)?;
        // The courier submits twice: no duplicates.
        board.append_batch(&read_submissions(&file)?)?;
        assert_eq!(board.size()?, 2);
        board.sign_checkpoint(&op)?;
        board.publish()?;
        let mut mirror = Mirror::open(&board.dir().join(PUBLIC_DIR), &policy)?;
        assert_eq!(outbox.confirm(&mut mirror)?, 2);
        assert!(outbox.pending()?.is_empty());
        // Path 2: sent directly; an entry the board already has keeps its index.
        outbox.push(&e(3)?)?;
        drop(outbox);
        let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite"))?;
        assert_eq!(outbox.pending()?, vec![e(3)?]);
        let acks = outbox.send(&mut board)?;
        assert_eq!((acks[0].index, acks[0].new), (2, true));
        assert_eq!(outbox.send(&mut board)?, vec![]);
        let delivered: Vec<u64> = outbox.delivered()?.iter().map(|(_, i)| *i).collect();
        assert_eq!(delivered, [0, 1, 2]);
        Ok(())
    }

    #[test]
    fn a_mirror_with_a_forged_tile_hash_confirms_nothing() -> Result<(), BoardError> {
        // Defect 1: the operator suppresses a submission and writes its leaf hash over another
        // entry's in tile/0/000; the checkpoint is left as signed.
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/outbox", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::create(&dir.path().join("b"), &policy)?;
        let kind = EntryKind::new("observe/protocol")?;
        let posted = Entry::new(kind.clone(), b"posted".to_vec())?;
        let suppressed = Entry::new(kind, b"suppressed".to_vec())?;
        board.post([posted.clone()], &op)?;
        let public = board.dir().join(PUBLIC_DIR);
        let tile = public.join("tile/0/000.p/1");
        std::fs::write(&tile, suppressed.leaf_hash()).map_err(BoardError::io(&tile))?;
        let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite"))?;
        outbox.push(&suppressed)?;
        let mut mirror = Mirror::open(&public, &policy)?;
        assert!(matches!(
            outbox.confirm(&mut mirror),
            Err(BoardError::Inconsistent { .. })
        ));
        assert_eq!(outbox.pending()?, vec![suppressed]);
        assert!(outbox.delivered()?.is_empty());
        Ok(())
    }

    #[test]
    fn only_proven_inclusions_confirm_entries() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/outbox", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::create(&dir.path().join("b"), &policy)?;
        let kind = EntryKind::new("observe/protocol")?;
        let entries: Vec<Entry> = (0..5u8)
            .map(|i| Entry::new(kind.clone(), vec![i]))
            .collect::<Result<_, _>>()?;
        board.post(entries.iter().cloned(), &op)?;
        let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite"))?;
        outbox.push(&entries[3])?;
        let mut mirror = Mirror::open(&board.dir().join(PUBLIC_DIR), &policy)?;
        let genuine = mirror.prove(&entries[3])?;
        // A server claiming another index for the entry, with the proof of that index.
        let mut wrong_index = mirror.prove(&entries[2])?;
        wrong_index.leaf_hash = entries[3].leaf_hash();
        assert!(matches!(
            outbox.confirm_inclusions(&[wrong_index], &policy),
            Err(BoardError::Proof(_))
        ));
        // A checkpoint signed by another key.
        let other = NoteSigner::generate("board.example/outbox", KeyRole::Operator)?;
        let mut forged = genuine.clone();
        forged.checkpoint = crate::checkpoint::SignedCheckpoint::sign(
            genuine.checkpoint.checkpoint().clone(),
            &other,
        )?;
        assert!(outbox.confirm_inclusions(&[forged], &policy).is_err());
        assert_eq!(outbox.pending()?, vec![entries[3].clone()]);
        assert_eq!(
            outbox.confirm_inclusions(std::slice::from_ref(&genuine), &policy)?,
            1
        );
        assert_eq!(outbox.delivered()?, vec![(entries[3].clone(), 3)]);
        assert_eq!(outbox.confirm_inclusions(&[genuine], &policy)?, 0);
        Ok(())
    }

    #[test]
    fn a_mistyped_outbox_is_not_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let typo = dir.path().join("outbx.sqlite");
        assert!(Outbox::open_existing(&typo).is_err_and(|e| e.to_string().contains("no outbox")));
        assert!(!typo.exists());
    }

    #[test]
    fn bad_submission_files_name_the_entry() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let file = dir.path().join("s.json");
        let write = |text: &str| std::fs::write(&file, text).map_err(BoardError::io(&file));
        write(r#"{"format":"fairtally-board-submissions/1","entries":["AXQA","!!"]}"#)?;
        let err = read_submissions(&file);
        assert!(err.is_err_and(|e| e.to_string().contains("s.json: entries[1]: not base64")));
        write(r#"{"format":"other","entries":[]}"#)?;
        assert!(read_submissions(&file).is_err_and(|e| e.to_string().contains("format")));
        write("not json")?;
        assert!(
            read_submissions(&file)
                .is_err_and(|e| e.to_string().contains("not a submissions file"))
        );
        let mut big = vec![1u8, b'k'];
        big.resize(70_000, 0);
        let big = BASE64.encode(big);
        write(&format!(
            r#"{{"format":"fairtally-board-submissions/1","entries":["{big}"]}}"#
        ))?;
        assert!(matches!(
            read_submissions(&file),
            Err(BoardError::EntryTooLarge { .. })
        ));
        // One entry of a megabyte is not even read whole, and a file cut short names the entry.
        let huge = "A".repeat(1 << 20);
        write(&format!(
            r#"{{"format":"fairtally-board-submissions/1","entries":["AXQA","{huge}"]}}"#
        ))?;
        let err = read_submissions(&file).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("s.json: entries[1]") && err.contains("longer than"),
            "{err}"
        );
        write(r#"{"format":"fairtally-board-submissions/1","entries":["AXQA","AXQ"#)?;
        let err = read_submissions(&file).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("s.json: entries[1]") && err.contains("cut short"),
            "{err}"
        );
        Ok(())
    }
}
