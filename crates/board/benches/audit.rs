//! Audit throughput: the full audit of a public board directory ([`Mirror::audit`]: every hash
//! tile, entry bundle and archived checkpoint against the signed root), and the verification
//! of the hash tiles alone (what `locate`, `find` and `prove` need first), on a board of
//! 20,000 ballot-sized entries (9,400 bytes, the size of a demo record's ballot line).
//!
//! Run: `CARGO_TARGET_DIR=... cargo bench -p fairtally-board --bench audit`. The board is built
//! once per run in a temporary directory (a few seconds).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fairtally_board::board::{Board, PUBLIC_DIR};
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::mirror::Mirror;
use fairtally_board::note::{KeyRole, NoteSigner};

const ENTRIES: u64 = 20_000;
const ENTRY_LEN: usize = 9_400;

fn audit(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(op) = NoteSigner::generate("bench.example/audit", KeyRole::Operator) else {
        return;
    };
    let policy = TrustPolicy::operator_only(op.verifier());
    let Ok(mut board) = Board::create(&dir.path().join("board"), &policy) else {
        return;
    };
    let Ok(kind) = EntryKind::new("election/ballot") else {
        return;
    };
    // Published in four steps, so that the directory also holds earlier partial files and
    // several archived checkpoints.
    for step in 0..4 {
        let entries = (step * ENTRIES / 4..(step + 1) * ENTRIES / 4).filter_map(|i| {
            let mut body = format!("{{\"ballot\":{i},\"ciphertexts\":\"").into_bytes();
            body.resize(ENTRY_LEN, b'a' + (i % 26) as u8);
            Entry::new(kind.clone(), body).ok()
        });
        if board.post(entries, &op).is_err() {
            return;
        }
    }
    let public = dir.path().join("board").join(PUBLIC_DIR);

    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ENTRIES));
    group.bench_function("full_20k_ballot_entries", |b| {
        b.iter(|| {
            let report = Mirror::open(&public, &policy).and_then(|mut m| m.audit(|_| {}));
            black_box(report.map(|r| r.entries).ok())
        });
    });
    group.bench_function("hash_tiles_only_20k", |b| {
        b.iter(|| {
            let mut mirror = Mirror::open(&public, &policy).ok();
            black_box(mirror.as_mut().map(|m| m.leaf_hashes().map(<[_]>::len).ok()))
        });
    });
    group.finish();
}

criterion_group!(benches, audit);
criterion_main!(benches);
