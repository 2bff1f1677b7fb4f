//! Plain board entries over HTTP: station protocols signed by accredited observers, prepared
//! before the clock starts and sent in submissions files of `B` entries each (the form
//! `fairtally board outbox export` writes) to `POST /api/v1/observations`, which checks every
//! entry as `fairtally observe post` does (canonical form, shape, both signatures) and appends
//! each file to the board in one transaction. Afterwards a sample of the acknowledged entries
//! is proven on the board from its public tiles, against a checkpoint that verifies.
//!
//! There is deliberately no endpoint for unsigned entries (anyone could fill the public board),
//! so this is the board's batch write path as the public can reach it.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::layout::{MAX_NOTE_LEN, POLICY_FILE};
use fairtally_board::merkle::Hash;
use fairtally_board::outbox::SUBMISSIONS_FORMAT;
use fairtally_election::progress::Progress;
use fairtally_net::http::HttpClient;
use fairtally_net::remote::RemoteBoard;
use fairtally_observe::bulletin::board_entry;
use fairtally_observe::keys::generate_key;
use fairtally_observe::signed::{
    ACCREDITATION_DOMAIN, Accreditation, ObservationItem, PROTOCOL_DOMAIN, ProtocolBody,
    SignedProtocol, verify_items,
};
use fairtally_results::StationProtocol;
use rand::RngExt;
use rayon::prelude::*;

use crate::error::{LoadError, Result};
use crate::offline::OfflineRate;
use crate::submit::{Expected, Submission};

/// The election the prepared protocols name (the server does not check it: any accredited
/// observer may post any election's protocols, and readers choose what to count).
pub const LOAD_ELECTION: &str = "fairtally load";

/// The options of the prepared protocols, in order.
const OPTIONS: [&str; 3] = ["a", "b", "c"];

/// How many entries and how they are batched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryPlan {
    /// Entries in all.
    pub entries: usize,
    /// Entries per request (one submissions file, one transaction on the server).
    pub batch: usize,
    /// Protocols each observer signs (each observer has one accreditation, embedded whole in
    /// each of its protocols).
    pub per_observer: usize,
}

impl EntryPlan {
    /// Checks the plan (before anything is prepared).
    pub fn check(&self) -> Result<()> {
        for (value, option) in [
            (self.entries, "--entries"),
            (self.batch, "--batch"),
            (self.per_observer, "--per-observer"),
        ] {
            if value == 0 {
                return Err(LoadError::Options(format!("{option} must be at least 1")));
            }
        }
        Ok(())
    }
}

/// The prepared entries.
#[derive(Clone, Debug)]
pub struct PreparedEntries {
    /// The requests, one submissions file each.
    pub submissions: Vec<Submission>,
    /// Entries in them.
    pub entries: usize,
    /// Observers (keys) who signed them.
    pub observers: usize,
    /// The canonical bytes of the first entries' items, for timing the server's check offline.
    pub sample: Vec<Vec<u8>>,
}

/// Signs `plan.entries` station protocols by `plan.entries / plan.per_observer` new observers,
/// each accredited by `organisation`, and packs them into submissions files of `plan.batch`
/// entries (on all cores). Keeps the first `sample` items' bytes for [`measure_checks`].
pub fn prepare_entries(
    plan: &EntryPlan,
    organisation: &SigningKey,
    sample: usize,
    progress: &dyn Progress,
) -> Result<PreparedEntries> {
    plan.check()?;
    let observers = plan.entries.div_ceil(plan.per_observer);
    progress.begin("signing station protocols", plan.entries as u64);
    let signed: Vec<Vec<ObservationItem>> = (0..observers)
        .into_par_iter()
        .map(|o| {
            let first = o * plan.per_observer;
            let count = plan.per_observer.min(plan.entries - first);
            let items = observer_protocols(organisation, o, first, count)?;
            progress.advance(count as u64);
            Ok(items)
        })
        .collect::<Result<_>>()?;
    progress.end();
    let items: Vec<ObservationItem> = signed.into_iter().flatten().collect();
    let sample = items
        .iter()
        .take(sample)
        .map(ObservationItem::canonical_bytes)
        .collect();
    let submissions = items
        .par_chunks(plan.batch)
        .map(submissions_file)
        .collect::<Result<_>>()?;
    Ok(PreparedEntries {
        submissions,
        entries: items.len(),
        observers,
        sample,
    })
}

/// Observer number `o`, a new key accredited by `organisation`, signs protocols of stations
/// `first .. first + count`.
fn observer_protocols(
    organisation: &SigningKey,
    o: usize,
    first: usize,
    count: usize,
) -> Result<Vec<ObservationItem>> {
    let observer = generate_key()?;
    let accreditation = Accreditation::sign(
        organisation,
        LOAD_ELECTION,
        &observer.verifying_key(),
        &format!("load observer {o}"),
    );
    let mut rng = rand::rng();
    let signed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok((first..first + count)
        .map(|station| {
            let registered: u64 = rng.random_range(500..2000);
            let issued = rng.random_range(0..=registered);
            let invalid = rng.random_range(0..=issued / 20);
            let valid = issued - invalid;
            let a = rng.random_range(0..=valid);
            let b = rng.random_range(0..=valid - a);
            let protocol = StationProtocol {
                registered: Some(registered),
                ballots_issued: Some(issued),
                ballots_counted: Some(issued),
                valid: Some(valid),
                invalid: Some(invalid),
                votes: vec![Some(a), Some(b), Some(valid - a - b)],
                ..StationProtocol::default()
            };
            ObservationItem::Protocol(Box::new(SignedProtocol::sign(
                &observer,
                ProtocolBody {
                    election: LOAD_ELECTION.into(),
                    station: format!("S-{station:07}"),
                    observer: String::new(),
                    accreditation: accreditation.clone(),
                    options: OPTIONS.iter().map(|&o| o.to_owned()).collect(),
                    protocol,
                    photos: vec![],
                    signed_at,
                },
            )))
        })
        .collect())
}

/// One request: the items' board entries in a submissions file, and their leaf hashes.
fn submissions_file(items: &[ObservationItem]) -> Result<Submission> {
    let mut encoded = Vec::with_capacity(items.len());
    let mut hashes = Vec::with_capacity(items.len());
    for item in items {
        let entry = board_entry(item)?;
        encoded.push(BASE64.encode(entry.to_leaf_data()));
        hashes.push(entry.leaf_hash());
    }
    let file = serde_json::json!({ "format": SUBMISSIONS_FORMAT, "entries": encoded });
    Ok(Submission {
        body: serde_json::to_vec(&file)
            .map_err(|e| LoadError::Options(format!("a submissions file: {e}")))?
            .into(),
        expected: Expected::Entries(hashes),
    })
}

/// The server's check of the entries timed offline on the same items, in the same batches, on
/// all cores: the floor that the server's rate cannot pass on this machine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryChecks {
    /// What the server runs on each batch: every item parsed and re-encoded
    /// ([`ObservationItem::from_canonical_bytes`]: canonical form, the protocol's shape), then
    /// [`verify_items`] (each protocol's signature, each distinct accreditation's once).
    pub full: OfflineRate,
    /// Only the Ed25519 verifications (`verify_strict`) that check makes: one per protocol,
    /// one per distinct accreditation of a batch.
    pub signatures: OfflineRate,
    /// Ed25519 verifications per entry in that check.
    pub signatures_per_entry: f64,
}

/// Times the server's check of `items` in batches of `batch`, and its signature verifications
/// alone (on all cores). Every item must pass.
pub fn measure_checks(items: &[Vec<u8>], batch: usize) -> Result<EntryChecks> {
    let bad = |what: String| LoadError::Options(format!("a prepared entry fails: {what}"));
    let start = Instant::now();
    for chunk in items.chunks(batch.max(1)) {
        let parsed = chunk
            .par_iter()
            .map(|bytes| ObservationItem::from_canonical_bytes(bytes).map_err(bad))
            .collect::<Result<Vec<_>>>()?;
        for verdict in verify_items(&parsed, None) {
            verdict.map_err(|e| bad(e.to_string()))?;
        }
    }
    let full = OfflineRate {
        items: items.len(),
        elapsed: start.elapsed(),
        cpu: None,
    };
    let mut signed = Vec::with_capacity(items.len() * 2);
    for chunk in items.chunks(batch.max(1)) {
        let mut accreditations = std::collections::HashSet::new();
        for bytes in chunk {
            let [accreditation, own] =
                signatures_of(bytes).ok_or_else(|| bad("not a signed protocol".into()))?;
            if accreditations.insert(accreditation.2.to_bytes()) {
                signed.push(accreditation);
            }
            signed.push(own);
        }
    }
    let start = Instant::now();
    signed
        .par_iter()
        .try_for_each(|(key, message, signature)| {
            key.verify_strict(message, signature)
                .map_err(|_| bad("a signature does not verify".into()))
        })?;
    let signatures = OfflineRate {
        items: items.len(),
        elapsed: start.elapsed(),
        cpu: None,
    };
    Ok(EntryChecks {
        full,
        signatures,
        signatures_per_entry: signed.len() as f64 / items.len().max(1) as f64,
    })
}

/// The two (key, signed message, signature) of a protocol: its accreditation's and its own.
fn signatures_of(bytes: &[u8]) -> Option<[(VerifyingKey, Vec<u8>, Signature); 2]> {
    let ObservationItem::Protocol(protocol) = ObservationItem::from_canonical_bytes(bytes).ok()?
    else {
        return None;
    };
    let key = |text: &str| -> Option<VerifyingKey> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(text, &mut key).ok()?;
        VerifyingKey::from_bytes(&key).ok()
    };
    let signature = |text: &str| -> Option<Signature> {
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Signature::from_bytes(&bytes))
    };
    let accreditation = &protocol.body.accreditation;
    let message = |domain: &[u8], body: Vec<u8>| [domain, &body].concat();
    Some([
        (
            key(&accreditation.body.organisation)?,
            message(
                ACCREDITATION_DOMAIN,
                serde_json::to_vec(&accreditation.body).ok()?,
            ),
            signature(&accreditation.signature)?,
        ),
        (
            key(&protocol.body.observer)?,
            message(PROTOCOL_DOMAIN, serde_json::to_vec(&protocol.body).ok()?),
            signature(&protocol.signature)?,
        ),
    ])
}

/// What checking the acknowledged entries against the served board found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardCheck {
    /// The checkpoint the sample was proven against (it verified under the board's policy).
    pub checkpoint_size: u64,
    /// Entries whose inclusion proof was checked.
    pub checked: usize,
    /// Of which proven on the board at the acknowledged index.
    pub proven: usize,
    /// Board indexes acknowledged for more than one entry (none on an honest board).
    pub shared_indexes: usize,
    /// Why entries were not proven (the first few).
    pub failures: Vec<String>,
}

impl BoardCheck {
    /// Whether every entry checked is on the board and no index was given twice.
    pub fn passed(&self) -> bool {
        self.proven == self.checked && self.shared_indexes == 0
    }
}

/// Proves `sample` of the acknowledged `entries` (spread evenly over the run, the first and
/// the last among them) on the board served at `base`: fetches its policy (`/board/policy`,
/// trusted on first use) and its checkpoint, waits at most `wait` for a checkpoint that covers
/// every acknowledged index, then checks each sampled entry's inclusion proof from the served
/// tiles against that checkpoint's root.
///
/// # Errors
/// The policy or the checkpoint cannot be fetched or does not verify.
pub fn check_on_board(
    base: &str,
    entries: &[(u64, Hash)],
    sample: usize,
    wait: Duration,
) -> Result<BoardCheck> {
    let mut indexes: Vec<u64> = entries.iter().map(|(i, _)| *i).collect();
    indexes.sort_unstable();
    let before = indexes.len();
    indexes.dedup();
    let shared_indexes = before - indexes.len();
    let Some(&last) = indexes.last() else {
        return Ok(BoardCheck::default());
    };
    let picked: Vec<(u64, Hash)> = match sample.min(entries.len()) {
        0 => vec![],
        1 => vec![entries[entries.len() - 1]],
        n => (0..n)
            .map(|k| entries[k * (entries.len() - 1) / (n - 1)])
            .collect(),
    };
    let remote = RemoteBoard::new(&format!("{base}/board/"), HttpClient::standard()?);
    fairtally_net::block_on(async {
        let policy = remote.fetch_required(POLICY_FILE, MAX_NOTE_LEN).await?;
        let policy =
            TrustPolicy::parse(&String::from_utf8_lossy(&policy), &remote.url(POLICY_FILE))?;
        let checkpoint = covering_checkpoint(&remote, &policy, last, wait).await?;
        let mut check = BoardCheck {
            checkpoint_size: checkpoint.checkpoint().size,
            shared_indexes,
            ..BoardCheck::default()
        };
        for (index, hash) in &picked {
            check.checked += 1;
            match remote.prove(&checkpoint, *index, hash).await {
                Ok(_) => check.proven += 1,
                Err(e) if check.failures.len() < 5 => check.failures.push(e.to_string()),
                Err(_) => {}
            }
        }
        Ok::<_, LoadError>(check)
    })?
}

/// The board's latest checkpoint once it covers entry `last`, or the last one fetched when
/// `wait` is over (the proofs beyond it then fail, naming it).
async fn covering_checkpoint(
    remote: &RemoteBoard,
    policy: &TrustPolicy,
    last: u64,
    wait: Duration,
) -> Result<SignedCheckpoint> {
    let deadline = Instant::now() + wait;
    loop {
        let checkpoint = remote.checkpoint(policy).await?;
        if checkpoint.checkpoint().size > last || Instant::now() >= deadline {
            return Ok(checkpoint);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
