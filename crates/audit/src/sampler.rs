//! Rivest's consistent sampler over a ballot manifest, exactly as Arlo draws with it.
//!
//! Ballot `p` of batch `B` has the id `('B', p)` (Python's text of the tuple). With
//! `seed_hash = hex(SHA-256(seed))`, its first ticket number is
//! `sha256_uniform(seed_hash + id)`, where `sha256_uniform(s)` is `"0."` followed by the decimal
//! digits of SHA-256(s), read as a big-endian integer and padded to 64 digits, **in reverse
//! order** (the low-order digits are the unbiased ones). Ballots are drawn in increasing order
//! of ticket number (compared as text, then by id). With replacement, a drawn ballot gets the
//! next ticket number `next_fraction(x)`: keep `x`'s leading 9s and append the digits of
//! `sha256_uniform(x + ":" + i)` for `i = 1, 2, …` until the result exceeds `x`. Ticket numbers
//! are shown with 18 significant digits after the leading 9s, as Arlo shows them.
//!
//! Only the smallest `size` first tickets can be drawn in the first `size` draws (every later
//! ticket of a ballot is larger than its first), so the sampler hashes every ballot once, keeps
//! the `size` smallest in a bounded heap, and runs the with-replacement draws on those alone.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AuditError;
use crate::manifest::{BallotManifest, csv_field};

/// Significant digits of a ticket number as shown (after its leading 9s), as in Arlo.
pub const TICKET_DIGITS: usize = 18;

/// Largest sample the sampler draws at once.
pub const MAX_SAMPLE: u64 = 10_000_000;

/// One draw of the sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    /// The ticket number that drew the ballot, shown with [`TICKET_DIGITS`] digits.
    pub ticket_number: String,
    /// The batch's name.
    pub batch: String,
    /// The ballot's position in its batch, from 1.
    pub position: u64,
    /// How many times this ballot had been drawn, this draw included.
    pub times_drawn: u32,
}

/// The digits of a ticket number after `0.`, and whose ballot it is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ticket {
    digits: String,
    batch: usize,
    position: u64,
    generation: u32,
}

/// Ballots compare by ticket number, then by id (batch name, then position), as Python's
/// tuples do.
fn compare(a: &Ticket, b: &Ticket, manifest: &BallotManifest) -> Ordering {
    let name = |t: &Ticket| manifest.batches()[t.batch].name.as_str();
    a.digits
        .cmp(&b.digits)
        .then_with(|| name(a).cmp(name(b)))
        .then_with(|| a.position.cmp(&b.position))
        .then_with(|| a.generation.cmp(&b.generation))
}

/// The decimal digits of a SHA-256 digest read as a big-endian integer, zero-padded to 64
/// digits and reversed: the digits of `sha256_uniform` after `0.`.
fn uniform_digits(digest: &[u8]) -> String {
    let mut limbs = [0u64; 4];
    for (i, chunk) in digest.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        limbs[i] = u64::from_be_bytes(bytes);
    }
    // Repeated division by 10^19 yields the digits from the least significant end, which is
    // the order sha256_uniform shows them in.
    const CHUNK: u64 = 10_000_000_000_000_000_000;
    let mut out = String::with_capacity(80);
    while limbs.iter().any(|&l| l != 0) {
        let mut rem: u128 = 0;
        for limb in &mut limbs {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(CHUNK)) as u64;
            rem = cur % u128::from(CHUNK);
        }
        let mut rem = rem as u64;
        let last = limbs.iter().all(|&l| l == 0);
        for _ in 0..19 {
            if last && rem == 0 {
                break;
            }
            out.push(char::from(b'0' + (rem % 10) as u8));
            rem /= 10;
        }
    }
    while out.len() < 64 {
        out.push('0');
    }
    out
}

/// The first 19 digits of `uniform_digits(digest)` as one number, for fast comparison.
fn leading_key(digest: &[u8]) -> u64 {
    const MODULUS: u128 = 10_000_000_000_000_000_000;
    let mut rem: u128 = 0;
    for chunk in digest.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        rem = ((rem << 64) | u128::from(u64::from_be_bytes(bytes))) % MODULUS;
    }
    let mut rem = rem as u64;
    let mut key = 0u64;
    for _ in 0..19 {
        key = key * 10 + rem % 10;
        rem /= 10;
    }
    key
}

/// The first 9 digits of `uniform_digits(digest)` as one number: `n mod 10⁹` reversed, with
/// divisions by constants only (cheap), to rule out most ballots before [`leading_key`].
fn leading_key9(digest: &[u8]) -> u64 {
    const P: u64 = 1_000_000_000;
    // 2^64 mod 10^9 and its powers.
    const C1: u64 = 709_551_616;
    const C2: u64 = C1 * C1 % P;
    const C3: u64 = C2 * C1 % P;
    let limb = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        u64::from_be_bytes(bytes) % P
    };
    let mut rem = (limb(3) + limb(2) * C1 % P + limb(1) * C2 % P + limb(0) * C3 % P) % P;
    let mut key = 0u64;
    for _ in 0..9 {
        key = key * 10 + rem % 10;
        rem /= 10;
    }
    key
}

fn sha256_uniform_digits(text: &str) -> String {
    uniform_digits(&Sha256::digest(text.as_bytes()))
}

/// Python's `str(s)` of a string: single quotes unless the text holds a single quote and no
/// double quote. The manifest refuses every character Python would escape beyond these.
fn python_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(quote);
    out
}

/// The sampler's id of ballot `position` of batch `batch`: Python's `str((batch, position))`.
pub fn ballot_id(batch: &str, position: u64) -> String {
    format!("({}, {position})", python_str(batch))
}

/// The first ticket number of a ballot, in full (`0.` and at least 64 digits).
pub fn first_ticket_number(seed: &str, batch: &str, position: u64) -> String {
    let seed_hash = hex::encode(Sha256::digest(seed.as_bytes()));
    format!(
        "0.{}",
        sha256_uniform_digits(&format!("{seed_hash}{}", ballot_id(batch, position)))
    )
}

/// The index in `x0` (a ticket number with a `0` appended) of the first digit after `0.`
/// that is not a 9.
fn end_of_leading_nines(x0: &str) -> usize {
    x0.bytes()
        .enumerate()
        .skip(2)
        .find(|&(_, b)| b < b'9')
        .map_or(x0.len(), |(i, _)| i)
}

/// Rivest's `next_fraction`: the next ticket number of a ballot whose ticket number was `x`.
pub fn next_ticket_number(x: &str) -> String {
    let x0 = format!("{x}0");
    let nines = end_of_leading_nines(&x0);
    let mut i = 0u64;
    loop {
        i += 1;
        let y = format!(
            "{}{}",
            &x0[..nines],
            sha256_uniform_digits(&format!("{x}:{i}"))
        );
        if y > x0 {
            return y;
        }
    }
}

/// Rivest's `trim`: `x` cut to `digits` digits after its leading 9s (truncated, not rounded).
pub fn trim_ticket_number(x: &str, digits: usize) -> String {
    let x0 = format!("{x}0");
    let nines = end_of_leading_nines(&x0);
    x[..(nines + digits).min(x.len())].to_owned()
}

/// A ballot kept while scanning the manifest: its key, then its digest for exact ties.
#[derive(Clone, PartialEq, Eq)]
struct Candidate {
    key: u64,
    digest: [u8; 32],
    batch: usize,
    position: u64,
}

impl Candidate {
    fn ticket(&self) -> Ticket {
        Ticket {
            digits: uniform_digits(&self.digest),
            batch: self.batch,
            position: self.position,
            generation: 1,
        }
    }
}

/// A candidate with the manifest at hand, ordered as its ticket is (the heap keeps the largest
/// on top, so that the smallest `size` remain).
struct Ranked<'a> {
    candidate: Candidate,
    manifest: &'a BallotManifest,
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked<'_> {}
impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.candidate.key.cmp(&other.candidate.key).then_with(|| {
            compare(
                &self.candidate.ticket(),
                &other.candidate.ticket(),
                self.manifest,
            )
        })
    }
}

/// A ticket in the with-replacement heap, smallest on top.
struct Pending<'a> {
    ticket: Ticket,
    manifest: &'a BallotManifest,
}

impl PartialEq for Pending<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending<'_> {}
impl PartialOrd for Pending<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&other.ticket, &self.ticket, self.manifest)
    }
}

/// Ballots hashed per parallel task.
const CHUNK_BALLOTS: u64 = 250_000;

/// Pushes `ranked` into the bounded max-heap `heap`, keeping its `size` smallest.
fn push_bounded<'a>(heap: &mut BinaryHeap<Ranked<'a>>, ranked: Ranked<'a>, size: usize) {
    heap.push(ranked);
    if heap.len() > size {
        heap.pop();
    }
}

/// Hashes ballots `from..=to` of batch `batch_index` into the bounded heap.
fn scan<'a>(
    base: &Sha256,
    manifest: &'a BallotManifest,
    (batch_index, from, to): (usize, u64, u64),
    size: usize,
    heap: &mut BinaryHeap<Ranked<'a>>,
) {
    let prefix = format!("({}, ", python_str(&manifest.batches()[batch_index].name));
    let mut id = Vec::with_capacity(prefix.len() + 21);
    let mut digits = itoa_buffer();
    for position in from..=to {
        id.clear();
        id.extend_from_slice(prefix.as_bytes());
        id.extend_from_slice(format_position(&mut digits, position));
        id.push(b')');
        let digest: [u8; 32] = base.clone().chain_update(&id).finalize().into();
        let full = heap.len() == size;
        // Most ballots are ruled out by their first 9 digits, cheaply.
        if full
            && heap
                .peek()
                .is_some_and(|top| leading_key9(&digest) > top.candidate.key / 10_000_000_000)
        {
            continue;
        }
        let key = leading_key(&digest);
        if full && heap.peek().is_some_and(|top| key > top.candidate.key) {
            continue;
        }
        let candidate = Candidate {
            key,
            digest,
            batch: batch_index,
            position,
        };
        push_bounded(
            heap,
            Ranked {
                candidate,
                manifest,
            },
            size,
        );
    }
}

/// The `size` ballots with the smallest first tickets, in increasing order. The manifest is
/// cut into chunks hashed in parallel, each into its own bounded heap; the heaps are merged.
fn smallest_first_tickets(manifest: &BallotManifest, seed: &str, size: usize) -> Vec<Ticket> {
    use rayon::prelude::*;
    if size == 0 {
        return Vec::new();
    }
    let seed_hash = hex::encode(Sha256::digest(seed.as_bytes()));
    // The hex seed hash is exactly one SHA-256 block: hash it once, clone the state per ballot.
    let base = Sha256::new().chain_update(seed_hash.as_bytes());
    let mut chunks = Vec::new();
    for (i, batch) in manifest.batches().iter().enumerate() {
        let mut from = 1;
        while from <= batch.ballots {
            let to = (from + CHUNK_BALLOTS - 1).min(batch.ballots);
            chunks.push((i, from, to));
            from = to + 1;
        }
    }
    let heap = chunks
        .into_par_iter()
        .fold(
            || BinaryHeap::with_capacity(size + 1),
            |mut heap, chunk| {
                scan(&base, manifest, chunk, size, &mut heap);
                heap
            },
        )
        .reduce(BinaryHeap::new, |mut a, b| {
            for ranked in b {
                push_bounded(&mut a, ranked, size);
            }
            a
        });
    let mut tickets: Vec<Ticket> = heap.into_iter().map(|r| r.candidate.ticket()).collect();
    tickets.sort_by(|a, b| compare(a, b, manifest));
    tickets
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// The decimal digits of `n`, written into `buf`.
fn format_position(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[start..]
}

/// Draws `size` ballots from `manifest` with `seed`, in draw order, as Arlo's `draw_sample`
/// does. Without replacement `size` may not exceed the number of ballots.
pub fn draw(
    manifest: &BallotManifest,
    seed: &str,
    size: u64,
    with_replacement: bool,
) -> Result<Vec<Draw>, AuditError> {
    if size > MAX_SAMPLE {
        return Err(AuditError::invalid(
            "sample size",
            format!("{size} is more than the {MAX_SAMPLE} ballots drawn at once"),
        ));
    }
    if !with_replacement && size > manifest.total() {
        return Err(AuditError::invalid(
            "sample size",
            format!(
                "{size} ballots cannot be drawn without replacement from {} ballots",
                manifest.total()
            ),
        ));
    }
    let size = size as usize;
    let first = smallest_first_tickets(manifest, seed, size);
    let show = |t: &Ticket| Draw {
        ticket_number: trim_ticket_number(&format!("0.{}", t.digits), TICKET_DIGITS),
        batch: manifest.batches()[t.batch].name.clone(),
        position: t.position,
        times_drawn: t.generation,
    };
    if !with_replacement {
        return Ok(first.iter().map(show).collect());
    }
    let mut heap: BinaryHeap<Pending<'_>> = first
        .into_iter()
        .map(|ticket| Pending { ticket, manifest })
        .collect();
    let mut draws = Vec::with_capacity(size);
    while draws.len() < size {
        let Some(Pending { ticket, .. }) = heap.pop() else {
            break;
        };
        draws.push(show(&ticket));
        let next = next_ticket_number(&format!("0.{}", ticket.digits));
        heap.push(Pending {
            ticket: Ticket {
                digits: next[2..].to_owned(),
                generation: ticket.generation + 1,
                ..ticket
            },
            manifest,
        });
    }
    Ok(draws)
}

/// One line of a retrieval list: a ballot to pull, with the ticket that first drew it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retrieval {
    /// The batch's name.
    pub batch: String,
    /// The ballot's position in the batch, from 1.
    pub position: u64,
    /// The ticket number of its first draw.
    pub ticket_number: String,
    /// How many times the sample drew it.
    pub times_drawn: u32,
}

/// The retrieval list of `draws`: each ballot once, in manifest order and then by position, so
/// that the audit board walks through the boxes once.
pub fn retrieval_list(manifest: &BallotManifest, draws: &[Draw]) -> Vec<Retrieval> {
    let order: BTreeMap<&str, usize> = manifest
        .batches()
        .iter()
        .enumerate()
        .map(|(i, b)| (b.name.as_str(), i))
        .collect();
    let mut ballots: BTreeMap<(usize, u64), Retrieval> = BTreeMap::new();
    for d in draws {
        let index = order.get(d.batch.as_str()).copied().unwrap_or(usize::MAX);
        ballots
            .entry((index, d.position))
            .and_modify(|r| r.times_drawn += 1)
            .or_insert_with(|| Retrieval {
                batch: d.batch.clone(),
                position: d.position,
                ticket_number: d.ticket_number.clone(),
                times_drawn: 1,
            });
    }
    ballots.into_values().collect()
}

/// The retrieval list as CSV: `batch,position,ticket_number,times_drawn`.
pub fn retrieval_csv(list: &[Retrieval]) -> String {
    let mut out = String::from("batch,position,ticket_number,times_drawn\n");
    for r in list {
        out.push_str(&format!(
            "{},{},{},{}\n",
            csv_field(&r.batch),
            r.position,
            r.ticket_number,
            r.times_drawn
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Batch;

    #[test]
    fn rivest_doctests() {
        // consistent_sampler's own doctests.
        assert_eq!(
            format!("0.{}", sha256_uniform_digits("abc")),
            "0.56998071861792858926477341561059638840106636224182943832566300809078486324348"
        );
        assert_eq!(
            next_ticket_number("0.25471"),
            "0.642853261655004694691182528114375607701032283189922170593838029306715548381901"
        );
        assert_eq!(trim_ticket_number("0.9991234567890", 4), "0.9991234");
    }

    #[test]
    fn python_quoting() {
        assert_eq!(ballot_id("pct 1", 3), "('pct 1', 3)");
        assert_eq!(ballot_id("O'Hara", 1), "(\"O'Hara\", 1)");
        assert_eq!(ballot_id("a'b\"c", 1), "('a\\'b\"c', 1)");
        assert_eq!(ballot_id("a\\b", 1), "('a\\\\b', 1)");
    }

    #[test]
    fn key_is_the_leading_digits() {
        for text in ["a", "b", "abc", "pct 1"] {
            let d = Sha256::digest(text.as_bytes());
            let digits = uniform_digits(&d);
            assert_eq!(
                leading_key(&d).to_string(),
                digits[..19].trim_start_matches('0')
            );
            assert_eq!(
                leading_key9(&d).to_string(),
                digits[..9].trim_start_matches('0')
            );
        }
    }

    #[test]
    fn without_replacement_is_a_prefix_of_a_larger_sample() {
        let m = BallotManifest::new(vec![
            Batch {
                name: "A".into(),
                ballots: 40,
            },
            Batch {
                name: "B".into(),
                ballots: 60,
            },
        ])
        .unwrap();
        let small = draw(&m, "42", 10, false).unwrap();
        let all = draw(&m, "42", 100, false).unwrap();
        assert_eq!(&all[..10], &small[..]);
        let mut ids: Vec<_> = all.iter().map(|d| (d.batch.clone(), d.position)).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 100);
        assert!(draw(&m, "42", 101, false).is_err());
    }
}
