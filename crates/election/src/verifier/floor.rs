//! The floor of ballot verification: the time of the record's point decompressions,
//! multiscalar multiplications and signature checks alone, measured on the record's own
//! ballots with the verifier's parallelism. `fairtally bench` prints verification time against
//! it, so that everything else the verifier does (parsing, hashing, the board audit, the
//! tally) shows as the ratio above 1.

use std::path::Path;
use std::time::{Duration, Instant};

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use fairtally_crypto::random::random_scalar;
use fairtally_crypto::{RistrettoPoint, Scalar};
use rayon::prelude::*;
use serde_json::Value;

use crate::ballot::{BallotEntry, signed_message};
use crate::error::{ElectionError, Result};
use crate::record::JsonLinesReader;

/// Ballots per group, as the verifier batches them.
const GROUP: usize = 64;

/// The floor's parts, each the wall time of that work over all ballots.
#[derive(Clone, Copy, Debug, Default)]
pub struct Floor {
    /// Ballots measured.
    pub ballots: u64,
    /// Points decompressed.
    pub points: u64,
    /// Decompressing every point of every ballot.
    pub decompression: Duration,
    /// One multiscalar multiplication over every group's points.
    pub multiscalar: Duration,
    /// Verifying every ballot's signature (strictly).
    pub signatures: Duration,
}

impl Floor {
    /// The whole floor.
    pub fn total(&self) -> Duration {
        self.decompression + self.multiscalar + self.signatures
    }
}

/// One ballot's inputs to the floor: its point encodings, its signed message and signature.
struct Inputs {
    points: Vec<[u8; 32]>,
    entry: BallotEntry,
}

/// Ballots read and measured at a time: the whole record is measured, a block at a time, so
/// memory stays bounded however large the record (a multiple of [`GROUP`]).
const BLOCK: usize = 128 * GROUP;

/// Measures the floor on every ballot of `path`, a block of [`BLOCK`] ballots at a time (each
/// block is read into memory first, so reading the file is not timed).
pub fn measure_floor(path: &Path) -> Result<Floor> {
    let mut reader = JsonLinesReader::open(path)?;
    let mut floor = Floor::default();
    let mut inputs = Vec::with_capacity(BLOCK);
    loop {
        let entry = reader.next_item::<BallotEntry>()?;
        let done = entry.is_none();
        if let Some((_, entry)) = entry {
            let value = serde_json::to_value(&entry.ballot)
                .map_err(|e| ElectionError::Record(e.to_string()))?;
            let mut points = Vec::new();
            collect_points(&value, false, &mut points);
            inputs.push(Inputs { points, entry });
        }
        if inputs.len() == BLOCK || (done && !inputs.is_empty()) {
            measure_block(&inputs, &mut floor);
            inputs.clear();
        }
        if done {
            return Ok(floor);
        }
    }
}

/// Times the unavoidable operations on one block of ballots and adds them to `floor`.
fn measure_block(inputs: &[Inputs], floor: &mut Floor) {
    floor.ballots += inputs.len() as u64;
    floor.points += inputs.iter().map(|i| i.points.len() as u64).sum::<u64>();
    let start = Instant::now();
    let decoded: Vec<Vec<RistrettoPoint>> = inputs
        .par_iter()
        .map(|i| {
            i.points
                .iter()
                .filter_map(|b| CompressedRistretto(*b).decompress())
                .collect()
        })
        .collect();
    floor.decompression += start.elapsed();

    // The points of each group of ballots, with random weights, as one multiscalar
    // multiplication per group (laid out beforehand: only the multiplication is timed).
    let groups: Vec<(Vec<Scalar>, Vec<RistrettoPoint>)> = decoded
        .chunks(GROUP)
        .map(|group| {
            let points: Vec<RistrettoPoint> = group.iter().flatten().copied().collect();
            (points.iter().map(|_| random_scalar()).collect(), points)
        })
        .collect();
    let start = Instant::now();
    let sums: Vec<RistrettoPoint> = groups
        .par_iter()
        .map(|(scalars, points)| RistrettoPoint::vartime_multiscalar_mul(scalars, points))
        .collect();
    floor.multiscalar += start.elapsed();
    std::hint::black_box(sums);

    let messages: Vec<_> = inputs
        .iter()
        .map(|i| signed_message(&i.entry.ballot.hash(), i.entry.intent))
        .collect();
    let start = Instant::now();
    let valid = inputs
        .par_iter()
        .zip(&messages)
        .filter(|(i, m)| i.entry.ballot.credential.verify(&m.0, &i.entry.signature))
        .count();
    floor.signatures += start.elapsed();
    std::hint::black_box(valid);
}

fn collect_points(value: &Value, point: bool, out: &mut Vec<[u8; 32]>) {
    match value {
        Value::String(text) if point => {
            let mut bytes = [0u8; 32];
            if hex::decode_to_slice(text, &mut bytes).is_ok() {
                out.push(bytes);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_points(v, point, out)),
        Value::Object(members) => {
            for (key, v) in members {
                let is_point = matches!(key.as_str(), "pad" | "data" | "commitments");
                collect_points(v, is_point, out);
            }
        }
        _ => {}
    }
}
