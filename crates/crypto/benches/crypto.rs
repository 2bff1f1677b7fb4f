//! Benchmarks of the primitives that dominate ballot encryption and verification.
//!
//! Run with `cargo bench -p fairtally-crypto`.

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use fairtally_crypto::elgamal::{Nonce, PublicKey, encrypt};
use fairtally_crypto::encoding::{point_from_bytes, point_to_hex};
use fairtally_crypto::hash::hash_parts;
use fairtally_crypto::proofs::{BatchVerifier, ZeroOneProof};
use fairtally_crypto::random::random_scalar;

fn primitives(c: &mut Criterion) {
    let context = hash_parts("bench", &[b"election"]);
    let pk = PublicKey::new(RISTRETTO_BASEPOINT_POINT * random_scalar());
    let nonce = Nonce::random();
    let ct = encrypt(&pk, 1, &nonce);
    let proof = ZeroOneProof::prove(&context, b"b", &pk, &ct, true, &nonce);
    let bytes = ct.pad.compress().to_bytes();

    c.bench_function("encrypt one option", |b| b.iter(|| encrypt(&pk, 1, &nonce)));
    c.bench_function("prove zero-one", |b| {
        b.iter(|| ZeroOneProof::prove(&context, b"b", &pk, &ct, true, &nonce))
    });
    c.bench_function("verify zero-one alone", |b| {
        b.iter(|| proof.verify(&context, b"b", &pk, &ct))
    });
    c.bench_function("verify 64 zero-one in one batch", |b| {
        b.iter(|| {
            let mut batch = BatchVerifier::new();
            for _ in 0..64 {
                proof.verify_batched(&context, b"b", &pk, &ct, &mut batch)?;
            }
            batch.verify()
        })
    });
    c.bench_function("decode point", |b| b.iter(|| point_from_bytes(&bytes)));
    c.bench_function("encode point", |b| b.iter(|| point_to_hex(&ct.pad)));
}

criterion_group!(benches, primitives);
criterion_main!(benches);
