//! Many writers appending to one board at once, each through its own connection: no entry is
//! lost, none is stored twice, and the tree matches the entries.

use std::collections::HashSet;

use fairtally_board::BoardError;
use fairtally_board::board::Board;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::merkle::MemoryTree;
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_board::proof::verify_inclusion;

const WRITERS: u32 = 6;
const BATCHES: u32 = 20;
const PER_BATCH: u32 = 50;

#[test]
fn concurrent_writers_lose_nothing_and_duplicate_nothing() -> Result<(), BoardError> {
    let dir = tempfile::tempdir().map_err(|e| BoardError::Io {
        path: "tempdir".into(),
        source: e,
    })?;
    let op = NoteSigner::generate("board.example/concurrent", KeyRole::Operator)?;
    let policy = TrustPolicy::operator_only(op.verifier());
    Board::create(dir.path(), &policy)?;
    let kind = EntryKind::new("test/item")?;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let kind = kind.clone();
                let path = dir.path();
                let op = &op;
                scope.spawn(move || -> Result<Vec<(Entry, u64)>, BoardError> {
                    let mut board = Board::open(path)?;
                    let mut acked = Vec::new();
                    for b in 0..BATCHES {
                        let mut batch: Vec<Entry> = (0..PER_BATCH)
                            .map(|i| {
                                Entry::new(kind.clone(), format!("w{w} b{b} i{i}").into_bytes())
                            })
                            .collect::<Result<_, _>>()?;
                        // Every writer also sends the same shared entries: stored once.
                        batch.push(Entry::new(
                            kind.clone(),
                            format!("shared {b}").into_bytes(),
                        )?);
                        let acks = board.append_batch(&batch)?;
                        if b % 5 == 0 {
                            board.sign_checkpoint(op)?;
                        }
                        acked.extend(batch.into_iter().zip(acks.iter().map(|a| a.index)));
                    }
                    Ok(acked)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(BoardError::Malformed {
                        item: "writer thread".into(),
                        reason: "panicked".into(),
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut board = Board::open(dir.path())?;
    let size = board.size()?;
    assert_eq!(size, u64::from(WRITERS * BATCHES * PER_BATCH + BATCHES));
    // Every acknowledged entry is where its writer was told it is.
    for (entry, index) in results.iter().flatten() {
        assert_eq!(&board.entry(*index)?, entry);
    }
    // No index holds two entries, no entry is stored twice.
    let data = board.leaf_data(0, size)?;
    let distinct: HashSet<&Vec<u8>> = data.iter().collect();
    assert_eq!(distinct.len() as u64, size);
    // The stored tree is the tree of the stored entries.
    let mut tree = MemoryTree::new();
    for d in &data {
        tree.push(fairtally_board::merkle::leaf_hash(d));
    }
    assert_eq!(board.root_at(size)?, tree.root());
    let signed = board.sign_checkpoint(&op)?;
    let cp = signed.checkpoint();
    let proof = board.inclusion_proof(size / 2, cp.size)?;
    let leaf = fairtally_board::merkle::leaf_hash(&data[(size / 2) as usize]);
    assert!(verify_inclusion(size / 2, cp.size, &leaf, &proof, &cp.root).is_ok());
    Ok(())
}
