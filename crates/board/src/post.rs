//! Posting to the board: the one way entries get onto a board and out to its public files.
//!
//! A post appends entries in durable batches (group commits; identical entries are stored once),
//! signs one checkpoint over the result and publishes the static files. Election records,
//! observers' stores and the CLI all post through [`Board::post`] or, when entries arrive one at
//! a time from a callback, through a [`Posting`].

use std::path::Path;

use crate::board::{Appended, Board};
use crate::checkpoint::{SignedCheckpoint, TrustPolicy};
use crate::entry::Entry;
use crate::error::BoardError;
use crate::note::NoteSigner;
use crate::publish::PublishReport;

/// Entries per durable batch unless [`Posting::batch_size`] says otherwise.
pub const DEFAULT_BATCH: usize = 1024;

/// What a post did.
#[derive(Clone, Debug)]
pub struct Posted {
    /// Entries handed to the post (repeats included).
    pub entries: u64,
    /// Of them, entries that were not on the board yet (posting twice adds nothing).
    pub new_entries: u64,
    /// The checkpoint signed after the last batch.
    pub checkpoint: SignedCheckpoint,
    /// What publishing the static files did.
    pub published: PublishReport,
}

/// One batch of a post that has become durable: everything in it survives a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurableBatch {
    /// Entries in the batch.
    pub entries: usize,
    /// Of them, entries that were not on the board yet.
    pub new_entries: usize,
    /// Index of the batch's first entry (its existing index when it was on the board already).
    pub first_index: u64,
    /// Index of the batch's last entry.
    pub last_index: u64,
    /// Entries on the board once the batch was committed.
    pub log_size: u64,
}

/// A post in progress: entries pushed one at a time are appended in durable batches;
/// [`Posting::finish`] signs the checkpoint and publishes. Dropping it without finishing leaves
/// the committed batches on the board, unsigned until the next checkpoint.
pub struct Posting<'a> {
    board: &'a mut Board,
    operator: &'a NoteSigner,
    batch: Vec<Entry>,
    batch_size: usize,
    entries: u64,
    new_entries: u64,
}

impl Board {
    /// Opens the board in `dir`, or creates an empty one there under `policy` when `dir` holds
    /// no board yet.
    ///
    /// # Errors
    /// [`BoardError::WrongLog`] when the existing board belongs to another operator key; as
    /// [`Board::open`] and [`Board::create`].
    pub fn open_or_create(dir: &Path, policy: &TrustPolicy) -> Result<Self, BoardError> {
        if !Board::exists(dir) {
            return Self::create(dir, policy);
        }
        let board = Self::open(dir)?;
        if board.operator() != &policy.operator {
            return Err(BoardError::WrongLog {
                item: format!("board {}", dir.display()),
                found: board.origin().to_owned(),
                expected: policy.origin().to_owned(),
            });
        }
        Ok(board)
    }

    /// Starts a post signed by `operator`; see [`Posting`].
    ///
    /// # Errors
    /// [`BoardError::Signature`] when `operator` is not this log's key (checked before anything
    /// is appended).
    pub fn posting<'a>(&'a mut self, operator: &'a NoteSigner) -> Result<Posting<'a>, BoardError> {
        if operator.verifier() != *self.operator() {
            return Err(BoardError::Signature {
                item: format!("board {}", self.dir().display()),
                reason: format!("key {:?} is not this log's operator key", operator.name()),
            });
        }
        Ok(Posting {
            board: self,
            operator,
            batch: Vec::with_capacity(DEFAULT_BATCH),
            batch_size: DEFAULT_BATCH,
            entries: 0,
            new_entries: 0,
        })
    }

    /// Posts `entries`: appends them in durable batches of [`DEFAULT_BATCH`] (entries already on
    /// the board keep their index and are not appended again), signs one checkpoint with
    /// `operator` and publishes the static files.
    ///
    /// # Errors
    /// As [`Board::posting`]; database and I/O errors. Batches committed before an error stay
    /// on the board.
    pub fn post(
        &mut self,
        entries: impl IntoIterator<Item = Entry>,
        operator: &NoteSigner,
    ) -> Result<Posted, BoardError> {
        let mut posting = self.posting(operator)?;
        for entry in entries {
            posting.push(entry)?;
        }
        posting.finish()
    }
}

impl Posting<'_> {
    /// Sets the number of entries per durable batch (at least 1).
    #[must_use]
    pub fn batch_size(mut self, entries: usize) -> Self {
        self.batch_size = entries.max(1);
        self
    }

    /// Adds one entry; when that fills a batch, the batch is committed and described.
    ///
    /// # Errors
    /// Database errors; nothing of the failed batch is stored then.
    pub fn push(&mut self, entry: Entry) -> Result<Option<DurableBatch>, BoardError> {
        self.batch.push(entry);
        if self.batch.len() >= self.batch_size {
            return self.flush();
        }
        Ok(None)
    }

    /// Commits the entries pushed since the last batch, if any.
    ///
    /// # Errors
    /// Database errors; nothing of the batch is stored then.
    pub fn flush(&mut self) -> Result<Option<DurableBatch>, BoardError> {
        if self.batch.is_empty() {
            return Ok(None);
        }
        let acks = self.board.append_batch(&self.batch)?;
        self.batch.clear();
        let new_entries = acks.iter().filter(|a| a.new).count();
        self.entries += acks.len() as u64;
        self.new_entries += new_entries as u64;
        let index = |a: Option<&Appended>| a.map_or(0, |a| a.index);
        Ok(Some(DurableBatch {
            entries: acks.len(),
            new_entries,
            first_index: index(acks.first()),
            last_index: index(acks.last()),
            log_size: self.board.size()?,
        }))
    }

    /// Commits the last batch, signs a checkpoint of the board and publishes its static files.
    ///
    /// # Errors
    /// Database and I/O errors.
    pub fn finish(mut self) -> Result<Posted, BoardError> {
        self.flush()?;
        let checkpoint = self.board.sign_checkpoint(self.operator)?;
        let published = self.board.publish()?;
        Ok(Posted {
            entries: self.entries,
            new_entries: self.new_entries,
            checkpoint,
            published,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::EntryKind;
    use crate::mirror::Mirror;
    use crate::note::KeyRole;

    fn entries(n: u32) -> Result<Vec<Entry>, BoardError> {
        let kind = EntryKind::new("test/item")?;
        (0..n)
            .map(|i| Entry::new(kind.clone(), i.to_be_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn posting_twice_adds_nothing_and_publishes_a_verifiable_mirror() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/post", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let path = dir.path().join("board");
        let mut board = Board::open_or_create(&path, &policy)?;
        let all = entries(2_500)?;
        let posted = board.post(all.clone(), &op)?;
        assert_eq!((posted.entries, posted.new_entries), (2_500, 2_500));
        assert_eq!(posted.checkpoint.checkpoint().size, 2_500);
        assert_eq!(posted.published.size, 2_500);
        drop(board);

        let mut board = Board::open_or_create(&path, &policy)?;
        let again = board.post(all[..10].iter().cloned(), &op)?;
        assert_eq!((again.entries, again.new_entries), (10, 0));

        let mut posting = board.posting(&op)?.batch_size(3);
        let mut batches = Vec::new();
        for entry in entries(2_505)?.into_iter().skip(2_498) {
            batches.extend(posting.push(entry)?);
        }
        let posted = posting.finish()?;
        assert_eq!((posted.entries, posted.new_entries), (7, 5));
        assert_eq!(batches.len(), 2);
        assert_eq!((batches[0].first_index, batches[0].new_entries), (2_498, 1));
        assert_eq!(batches[1].log_size, 2_504);

        let mut mirror = Mirror::open(&path.join(crate::board::PUBLIC_DIR), &policy)?;
        assert_eq!(mirror.size(), 2_505);
        assert_eq!(mirror.prove(&all[7])?.index, 7);
        Ok(())
    }

    #[test]
    fn another_operator_is_refused_before_anything_is_appended() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/post", KeyRole::Operator)?;
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = Board::open_or_create(dir.path(), &policy)?;
        let stranger = NoteSigner::generate("board.example/post", KeyRole::Operator)?;
        assert!(matches!(
            board.post(entries(3)?, &stranger),
            Err(BoardError::Signature { .. })
        ));
        assert_eq!(board.size()?, 0);
        drop(board);
        let foreign = TrustPolicy::operator_only(stranger.verifier());
        assert!(matches!(
            Board::open_or_create(dir.path(), &foreign),
            Err(BoardError::WrongLog { .. })
        ));
        Ok(())
    }
}
