//! Benchmarks of the forensic analysis on a 95,000-station election with 1,000 Monte Carlo
//! repetitions: the Russian State Duma election of 2011 when `../shared/data` is present,
//! otherwise a simulated election of the same size.
//!
//! Run: `cargo bench -p fairtally-forensics --bench forensics`.

#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use fairtally_forensics::{
    Election, ForensicsError, Settings, Simulation, analyse, from_results, integer_percentage_test,
    simulate,
};

fn election() -> Result<Election, ForensicsError> {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/russia/2011.csv.zip"
    );
    let mapping = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../mappings/russia-2011.toml"
    );
    let imported = fairtally_results::Mapping::from_file(Path::new(mapping))
        .and_then(|mapping| fairtally_results::import(Path::new(data), &mapping));
    match imported
        .ok()
        .and_then(|(results, _)| from_results(&results, None).ok())
    {
        Some((election, _)) => {
            eprintln!(
                "benchmarking on Russia 2011 ({} stations)",
                election.stations.len()
            );
            Ok(election)
        }
        None => {
            eprintln!(
                "../shared/data not found: benchmarking on a simulated election of 95,000 stations"
            );
            let spec = Simulation {
                regions: 84,
                stuffing: 0.1,
                rounding: 0.05,
                ..Simulation::clean(95_000, 1)
            };
            simulate(&spec)
        }
    }
}

fn bench(c: &mut Criterion) {
    let election = match election() {
        Ok(election) => election,
        Err(error) => {
            eprintln!("no election to benchmark: {error}");
            return;
        }
    };
    let mut group = c.benchmark_group("forensics_95k_stations");
    group.sample_size(10);
    group.bench_function("integer_percentage_1000_reps", |b| {
        b.iter(|| integer_percentage_test(black_box(&election), 1000, 42))
    });
    group.bench_function("full_analysis_national", |b| {
        let settings = Settings {
            regions: false,
            ..Settings::default()
        };
        b.iter(|| analyse(black_box(&election), &settings))
    });
    group.bench_function("full_analysis_with_every_region", |b| {
        b.iter(|| analyse(black_box(&election), &Settings::default()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
