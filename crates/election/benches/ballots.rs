//! Criterion benchmarks of one demo ballot (10 options in 2 contests): encrypting it on the
//! voter's device (ciphertexts, 0-or-1 proofs, range proofs, signature) and verifying it as the
//! ballot box and the verifier do (hash, signature, every proof in one batch).

use criterion::{Criterion, criterion_group, criterion_main};
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_election::ballot::{Choices, Selections, encrypt_ballot};
use fairtally_election::ceremony::run_all_in_one;
use fairtally_election::context::{ElectionContext, VotingContext};
use fairtally_election::credential::issue;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::{ElectionParameters, ceremony_context};
use fairtally_election::verifier::check_ballot;

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
}

criterion_group!(benches, ballots);
criterion_main!(benches);
