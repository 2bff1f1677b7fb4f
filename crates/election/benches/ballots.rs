//! Criterion benchmarks of one demo ballot (10 options in 2 contests): encrypting it on the
//! voter's device (ciphertexts, 0-or-1 proofs, range proofs, signature) and verifying it as the
//! ballot box and the verifier do (hash, signature, every proof in one batch); then what a
//! ballot box pays per ballot for each step, on one core: parsing a line, encoding it
//! canonically, and checking groups of 1 to 64 ballots whose proofs share one batch.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_election::ballot::BallotEntry;
use fairtally_election::ballot::{Choices, Selections, encrypt_ballot};
use fairtally_election::ceremony::run_all_in_one;
use fairtally_election::context::{ElectionContext, VotingContext};
use fairtally_election::credential::issue;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::{ElectionParameters, ceremony_context};
use fairtally_election::verifier::{
    CanonicalBallot, Spread, check_ballot, check_canonical_ballots,
};

fn ballots(c: &mut Criterion) {
    let Ok(operator) = NoteSigner::generate("board.example/bench", KeyRole::Operator) else {
        return;
    };
    let board = TrustPolicy::operator_only(operator.verifier());
    let Ok((manifest, parameters)) =
        Manifest::default_demo().and_then(|m| Ok((m, ElectionParameters::new(5, 3, &board)?)))
    else {
        return;
    };
    let names: Vec<String> = (1..=5).map(|i| format!("Guardian {i}")).collect();
    let Ok(ceremony) = ceremony_context(&manifest, &parameters) else {
        return;
    };
    let Ok(ceremony) = run_all_in_one(&ceremony, &parameters, &names) else {
        return;
    };
    let guardians = ceremony.guardians;
    let Ok((credentials, list)) = issue(100) else {
        return;
    };
    let Ok(context) = ElectionContext::compute(&manifest, &parameters, &guardians, &list) else {
        return;
    };
    let ctx = VotingContext::new(manifest.clone(), &context);
    let choices: Choices = serde_json::from_str(
        r#"{"president": ["chen"], "referendum-priorities": ["parks", "schools"]}"#,
    )
    .unwrap_or_default();
    let Ok(selections) = Selections::from_choices(&manifest, &choices) else {
        return;
    };
    let credential = &credentials[0];

    c.bench_function("encrypt and sign one demo ballot", |b| {
        b.iter(|| encrypt_ballot(&ctx, credential, &selections).and_then(|p| p.cast(credential)))
    });
    let Ok(entry) = encrypt_ballot(&ctx, credential, &selections).and_then(|p| p.cast(credential))
    else {
        return;
    };
    c.bench_function("verify one demo ballot", |b| {
        b.iter(|| check_ballot(&ctx, &list, &entry))
    });

    // 64 distinct voters' ballots, as lines.
    let Ok(lines) = credentials
        .iter()
        .take(64)
        .map(|credential| {
            let entry = encrypt_ballot(&ctx, credential, &selections)?.cast(credential)?;
            Ok(CanonicalBallot::new(entry)?.line)
        })
        .collect::<fairtally_election::Result<Vec<Vec<u8>>>>()
    else {
        return;
    };
    let Ok(one_core) = rayon::ThreadPoolBuilder::new().num_threads(1).build() else {
        return;
    };
    let mut steps = c.benchmark_group("a ballot box's steps per ballot, one core");
    steps.throughput(Throughput::Elements(1));
    steps.bench_function("parse a ballot line", |b| {
        b.iter(|| serde_json::from_slice::<BallotEntry>(&lines[0]))
    });
    steps.bench_function("encode a parsed ballot canonically", |b| {
        b.iter(|| CanonicalBallot::new(entry.clone()))
    });
    let Ok(parsed) = lines
        .iter()
        .map(|line| {
            serde_json::from_slice::<BallotEntry>(line)
                .map_err(|e| fairtally_election::ElectionError::Record(e.to_string()))
                .and_then(CanonicalBallot::new)
        })
        .collect::<fairtally_election::Result<Vec<_>>>()
    else {
        return;
    };
    for group in [1usize, 8, 16, 32, 64] {
        let ballots: Vec<&CanonicalBallot> = parsed.iter().take(group).collect();
        steps.throughput(Throughput::Elements(group as u64));
        steps.bench_with_input(
            BenchmarkId::new("check a group", group),
            &ballots,
            |b, ballots| {
                b.iter(|| {
                    one_core.install(|| {
                        check_canonical_ballots(&ctx, &list, ballots, Spread::FullGroups)
                    })
                })
            },
        );
    }
    steps.finish();
}

criterion_group!(benches, ballots);
criterion_main!(benches);
