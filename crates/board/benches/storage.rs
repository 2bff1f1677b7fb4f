//! Durable appends in batches (one transaction, one commit each) of plain 100-byte entries, on
//! each storage backend: SQLite in a temporary directory, and PostgreSQL in a schema of its own
//! in the server that `FAIRTALLY_TEST_POSTGRES` names (skipped, with a message, when unset).
//!
//! Run: `eval "$(.ci/postgres)"; cargo bench -p fairtally-board --bench storage`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fairtally_board::board::Board;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_board::store::Database;

/// A schema for the benchmark in the test server, dropped at the end.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    fn create(base: &str) -> Option<(Self, Database)> {
        let name = format!("storage_bench_{}", std::process::id());
        let mut client = postgres::Client::connect(base, postgres::NoTls).ok()?;
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .ok()?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let database =
            Database::parse(&format!("{base}{separator}options=-csearch_path%3D{name}")).ok()?;
        Some((
            Self {
                base: base.to_owned(),
                name,
            },
            database,
        ))
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.base, postgres::NoTls) {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
                .ok();
        }
    }
}

fn appends(c: &mut Criterion) {
    let postgres = match std::env::var("FAIRTALLY_TEST_POSTGRES") {
        Ok(url) => Schema::create(&url),
        Err(_) => {
            eprintln!(
                "FAIRTALLY_TEST_POSTGRES is not set: PostgreSQL skipped (eval \"$(.ci/postgres)\")"
            );
            None
        }
    };
    let mut backends = vec![("sqlite", Database::Sqlite)];
    if let Some((_, database)) = &postgres {
        backends.push(("postgres", database.clone()));
    }
    let Ok(kind) = EntryKind::new("election/ballot") else {
        return;
    };
    let mut group = c.benchmark_group("append_durable");
    group.sample_size(20);
    for (name, database) in backends {
        let Ok(dir) = tempfile::tempdir() else { return };
        let Ok(op) = NoteSigner::generate("bench.example/board", KeyRole::Operator) else {
            return;
        };
        let policy = TrustPolicy::operator_only(op.verifier());
        let mut board = match Board::create_with(dir.path(), &policy, &database) {
            Ok(board) => board,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        let mut counter = 0u64;
        for batch in [1_000usize, 10_000] {
            group.throughput(Throughput::Elements(batch as u64));
            let id = BenchmarkId::new(name, batch);
            group.bench_with_input(id, &batch, |b, &batch| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        // 100-byte entries, all distinct (identical ones would be de-duplicated).
                        let entries: Vec<Entry> = (0..batch)
                            .filter_map(|_| {
                                counter += 1;
                                let mut body = format!("ballot {counter:020} ").into_bytes();
                                body.resize(100, b'.');
                                Entry::new(kind.clone(), body).ok()
                            })
                            .collect();
                        let start = Instant::now();
                        let acks = board.append_batch(&entries);
                        total += start.elapsed();
                        black_box(acks.ok());
                    }
                    total
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
