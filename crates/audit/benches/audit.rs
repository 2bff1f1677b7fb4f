//! The performance figures: drawing 10,000 ballots from a 10,000,000-ballot manifest,
//! and the risk of a 100,000-ballot sample (BRAVO, ALPHA, Kaplan–Markov comparison, MACRO).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use fairtally_audit::batch::{BatchAudit, BatchCounts, Layout};
use fairtally_audit::contest::{Choice, Contest, Rule};
use fairtally_audit::manifest::{BallotManifest, Batch};
use fairtally_audit::{alpha, bravo, comparison, sampler};

fn manifest() -> BallotManifest {
    // 10,000 stations of 1,000 ballots each.
    BallotManifest::new(
        (0..10_000)
            .map(|i| Batch {
                name: format!("station {i}"),
                ballots: 1_000,
            })
            .collect(),
    )
    .unwrap()
}

fn contest() -> Contest {
    Contest::new(
        "mayor",
        vec![
            Choice {
                name: "A".into(),
                votes: 5_200_000,
            },
            Choice {
                name: "B".into(),
                votes: 4_500_000,
            },
            Choice {
                name: "C".into(),
                votes: 300_000,
            },
        ],
        Some(10_000_000),
        Rule::Plurality { winners: 1 },
    )
    .unwrap()
}

fn sample(n: usize) -> Vec<Vec<usize>> {
    (0..n)
        .map(|i| match i % 100 {
            0..52 => vec![0],
            52..97 => vec![1],
            _ => vec![2],
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let m = manifest();
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.bench_function("draw 10,000 of 10,000,000 ballots, with replacement", |b| {
        b.iter(|| sampler::draw(&m, "12345678901234567890", 10_000, true).unwrap())
    });
    group.bench_function(
        "draw 10,000 of 10,000,000 ballots, without replacement",
        |b| b.iter(|| sampler::draw(&m, "12345678901234567890", 10_000, false).unwrap()),
    );
    let contest = contest();
    let polled = sample(100_000);
    group.bench_function("BRAVO risk of 100,000 ballots", |b| {
        b.iter(|| bravo::risk(&contest, &polled).unwrap())
    });
    group.bench_function("ALPHA risk of 100,000 ballots", |b| {
        b.iter(|| alpha::polling_risk(&contest, &polled, Some(10_000_000)).unwrap())
    });
    let compared: Vec<(Vec<usize>, Vec<usize>)> =
        polled.iter().map(|m| (m.clone(), m.clone())).collect();
    group.bench_function("Kaplan-Markov comparison risk of 100,000 ballots", |b| {
        b.iter(|| comparison::risk(&contest, &compared, comparison::DEFAULT_GAMMA).unwrap())
    });
    let layout = Layout {
        contests: vec![("mayor".into(), vec!["A".into(), "B".into(), "C".into()])],
    };
    let reported: Vec<BatchCounts> = (0..10_000)
        .map(|i| BatchCounts {
            name: format!("station {i}"),
            ballots: 1_000,
            votes: vec![vec![520, 450, 30]],
        })
        .collect();
    let audit = BatchAudit::new(&layout, reported.clone(), Rule::Plurality { winners: 1 }).unwrap();
    let draws: Vec<(usize, &BatchCounts)> = (0..100_000)
        .map(|i| (i % 10_000, &reported[i % 10_000]))
        .collect();
    group.bench_function("MACRO batch risk of 100,000 station draws", |b| {
        b.iter(|| audit.risk(&draws))
    });
    group.finish();
}

criterion_group!(audit, benches);
criterion_main!(audit);
