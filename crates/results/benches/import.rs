//! Import speed on real data: `cargo bench -p fairtally-results --bench import`.
#![allow(missing_docs, clippy::expect_used)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use fairtally_results::{Mapping, import};

fn russia_2012(c: &mut Criterion) {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mapping = Mapping::from_file(&root.join("mappings/russia-2012.toml")).expect("mapping");
    let data = root.join("../shared/data/russia/2012.csv.zip");
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.bench_function("russia-2012 (95,415 stations, zip)", |b| {
        b.iter(|| import(&data, &mapping).expect("import"))
    });
    group.finish();
}

criterion_group!(benches, russia_2012);
criterion_main!(benches);
