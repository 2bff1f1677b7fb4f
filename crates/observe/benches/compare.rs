//! Import, full comparison and report for a 100,000-station election:
//! `cargo bench -p fairtally-observe --bench compare`.
//!
//! The synthetic election has, per station, an official protocol, an observer's protocol
//! (differing at every 50th station) and voters' reports with photo-confirmed counts; the
//! real one is Russia 2012 (95,415 official protocols).
#![allow(missing_docs, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use fairtally_observe::{compare, write_comparison};
use fairtally_results::{Mapping, import};

const MAPPING: &str = r#"
[election]
name = "Synthetic 100,000 stations"
options = [{ id = "a", name = "A" }, { id = "b", name = "B" }, { id = "c", name = "C" }]
[station]
id = "id"
region = "region"
registered = "registered"
[[source]]
kind = "official"
[source.fields]
registered = "registered"
ballots_issued = "issued"
ballots_counted = { sum = ["valid", "invalid"] }
valid = "valid"
invalid = "invalid"
[source.votes]
a = "a"
b = "b"
c = "c"
[[source]]
kind = "observer"
observer = "observer"
[source.fields]
valid = "obs_valid"
[source.votes]
a = "obs_a"
b = "obs_b"
c = "obs_c"
[[source]]
kind = "voters"
[source.votes]
a = "rep_a"
b = "rep_b"
c = "rep_c"
[source.confirmed.votes]
a = "photo_a"
b = "photo_b"
c = "photo_c"
"#;

fn synthetic_csv(stations: u64) -> String {
    let mut csv = String::from(
        "id,region,registered,issued,valid,invalid,a,b,c,observer,obs_valid,obs_a,obs_b,obs_c,\
         rep_a,rep_b,rep_c,photo_a,photo_b,photo_c\n",
    );
    for i in 0..stations {
        let registered = 500 + (i * 7919) % 2000;
        let issued = registered * 6 / 10;
        let invalid = issued / 40;
        let valid = issued - invalid;
        let a = valid * (40 + i % 30) / 100;
        let b = (valid - a) * 2 / 3;
        let c = valid - a - b;
        let (oa, ob) = if i % 50 == 0 {
            (a - 20, b + 20)
        } else {
            (a, b)
        };
        let (ra, rb, rc) = (a / 10, b / 8 + u64::from(i % 97 == 0) * b, c / 9);
        let _ = writeln!(
            csv,
            "S{i:06},R{},{registered},{issued},{valid},{invalid},{a},{b},{c},obs{},{valid},{oa},{ob},{c},{ra},{rb},{rc},{},{},{}",
            i % 80,
            i % 3000,
            ra / 2,
            rb / 2,
            rc / 2
        );
    }
    csv
}

fn pipeline(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("synthetic.csv");
    std::fs::write(&data, synthetic_csv(100_000)).expect("write synthetic election");
    let mapping = Mapping::from_toml(MAPPING, Path::new("synthetic.toml")).expect("mapping");
    let out = dir.path().join("out");
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let russia_mapping =
        Mapping::from_file(&root.join("mappings/russia-2012.toml")).expect("mapping");
    let russia = root.join("../shared/data/russia/2012.csv.zip");

    let mut group = c.benchmark_group("import+compare+report");
    group.sample_size(10);
    group.bench_function("synthetic 100,000 stations, 3 sources", |b| {
        b.iter(|| {
            let (results, _) = import(&data, &mapping).expect("import");
            write_comparison(&out, &compare(&results), None, None).expect("write")
        })
    });
    group.bench_function("russia 2012, 95,415 stations (zip)", |b| {
        b.iter(|| {
            let (results, _) = import(&russia, &russia_mapping).expect("import");
            write_comparison(&out, &compare(&results), None, None).expect("write")
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
