//! Board benchmarks: group commit of single entries, inclusion proof generation in a tree of
//! 10 million entries, and proof verification (durable appends in batches: `benches/storage.rs`).
//!
//! Run: `CARGO_TARGET_DIR=... cargo bench -p fairtally-board --bench board`. The 10-million
//! leaf hash store is built once per run in a temporary directory (about half a minute).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fairtally_board::board::Board;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::group::GroupCommit;
use fairtally_board::hashstore::HashStore;
use fairtally_board::merkle::{Hash, leaf_hash};
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_board::proof::verify_inclusion;

const BIG_TREE: u64 = 10_000_000;

/// A small deterministic generator for benchmark indexes (xorshift64).
struct Indexes(u64);

impl Indexes {
    fn next_below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Eight threads each appending single entries through one [`GroupCommit`].
fn group_commit(c: &mut Criterion) {
    const THREADS: u64 = 8;
    const EACH: u64 = 250;
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(op) = NoteSigner::generate("bench.example/group", KeyRole::Operator) else {
        return;
    };
    let Ok(board) = Board::create(dir.path(), &TrustPolicy::operator_only(op.verifier())) else {
        return;
    };
    let Ok(kind) = EntryKind::new("election/ballot") else {
        return;
    };
    let shared = GroupCommit::new(board);
    let mut round = 0u64;
    let mut group = c.benchmark_group("group_commit_single_entries");
    group.sample_size(10);
    group.throughput(Throughput::Elements(THREADS * EACH));
    group.bench_function("8_threads", |b| {
        b.iter(|| {
            round += 1;
            std::thread::scope(|scope| {
                for t in 0..THREADS {
                    let (shared, kind) = (&shared, kind.clone());
                    scope.spawn(move || {
                        for i in 0..EACH {
                            let body = format!("round {round} thread {t} ballot {i}").into_bytes();
                            if let Ok(entry) = Entry::new(kind.clone(), body) {
                                black_box(shared.append(entry).ok());
                            }
                        }
                    });
                }
            });
        });
    });
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(mut store) = HashStore::open(&dir.path().join("hashes.sqlite")) else {
        return;
    };
    let started = Instant::now();
    let chunk = 1_000_000u64;
    for first in (0..BIG_TREE).step_by(chunk as usize) {
        let leaves: Vec<Hash> = (first..first + chunk)
            .map(|i| leaf_hash(&i.to_le_bytes()))
            .collect();
        if store.append(&leaves).is_err() {
            return;
        }
    }
    eprintln!(
        "built a {BIG_TREE}-leaf hash store in {:.1?}",
        started.elapsed()
    );
    let Ok(root) = store.root_at(BIG_TREE) else {
        return;
    };
    let mut indexes = Indexes(0x9e37_79b9_7f4a_7c15);
    c.bench_function("inclusion_proof_10M", |b| {
        b.iter(|| {
            black_box(
                store
                    .inclusion_proof(indexes.next_below(BIG_TREE), BIG_TREE)
                    .ok(),
            )
        });
    });
    let samples: Vec<(u64, Vec<Hash>)> = (0..1000)
        .filter_map(|_| {
            let index = indexes.next_below(BIG_TREE);
            Some((index, store.inclusion_proof(index, BIG_TREE).ok()?))
        })
        .collect();
    let mut n = 0;
    c.bench_function("verify_inclusion_10M", |b| {
        b.iter(|| {
            let (index, proof) = &samples[n % samples.len()];
            n += 1;
            let leaf = leaf_hash(&index.to_le_bytes());
            black_box(verify_inclusion(*index, BIG_TREE, &leaf, proof, &root).is_ok())
        });
    });
    c.bench_function("consistency_proof_10M", |b| {
        b.iter(|| {
            let size1 = 1 + indexes.next_below(BIG_TREE - 1);
            black_box(store.consistency_proof(size1, BIG_TREE).ok())
        });
    });
}

criterion_group!(benches, group_commit, proofs);
criterion_main!(benches);
