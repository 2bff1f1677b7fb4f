//! Streaming, parallel verification of `ballots.jsonl`.
//!
//! The file is read in blocks of lines; each block is verified by rayon in groups, each group's
//! proofs in one [`BatchVerifier`] (one multiscalar multiplication); when a batch fails, its
//! ballots are verified one by one to name the culprit. Signatures are verified strictly.
//! Memory holds one block, the set of ballot hashes and one slot per credential, never all
//! ballots.
//!
//! Each line is compared, in order, with the board's ballot entry at the same position: the
//! ballots verified and counted are exactly the board's, in the board's order, and the re-vote
//! rule ([`RevoteRule`]) follows that order.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use fairtally_board::merkle::Hash;
use fairtally_crypto::hash::Digest;
use fairtally_crypto::proofs::BatchVerifier;
use rayon::prelude::*;

use crate::ballot::{BallotEntry, ConfirmationCode, Intent, LineSummary, signed_message};
use crate::bulletin::audit::BoardEntry;
use crate::bulletin::board_entry;
use crate::check::{Check, Failure};
use crate::context::VotingContext;
use crate::credential::CredentialList;
use crate::error::{ElectionError, Result};
use crate::progress::Progress;
use crate::record::{ItemKind, JsonLinesReader, canonical_json, parse_line};
use crate::record_entries::Entry;
use crate::tally::{Accumulator, RevoteRule};

/// Lines read before a block is handed to the thread pool.
const BLOCK_LINES: usize = 4096;
/// Ballots whose proofs share one batch.
const GROUP: usize = 64;

/// What streaming the ballots found.
#[derive(Clone, Debug)]
pub struct BallotSummary {
    /// Ballots that passed, per check.
    pub passed: BTreeMap<Check, u64>,
    /// Every failure, with the ballot named.
    pub failures: Vec<Failure>,
    /// Lines in the file.
    pub ballots: u64,
    /// Cast ballots.
    pub cast: u64,
    /// Challenged ballots (opened, not counted).
    pub challenged: u64,
    /// Cast ballots replaced by a later ballot of the same credential.
    pub superseded: u64,
    /// The sum of the counted ballots.
    pub tally: Accumulator,
}

/// Where a ballot is in the file, to read it again when a later one supersedes it.
#[derive(Clone, Copy)]
struct Place {
    line: u64,
    offset: u64,
    hash: Digest,
}

/// One ballot's outcome from a worker.
struct Outcome {
    line: u64,
    offset: u64,
    hash: Digest,
    code: ConfirmationCode,
    credential: Option<u32>,
    intent: Intent,
    /// Valid in every respect that does not depend on other ballots.
    valid: bool,
    failures: Vec<Failure>,
    passed: Vec<Check>,
}

struct RawLine {
    line: u64,
    offset: u64,
    text: String,
}

/// Verify every ballot of `path` and sum the counted ones (without a board to compare with:
/// for a ballot box before it is published).
pub fn verify_ballots(
    path: &Path,
    ctx: &VotingContext,
    credentials: &CredentialList,
    progress: &dyn Progress,
) -> Result<BallotSummary> {
    verify_ballots_on_board(path, ctx, credentials, None, progress)
}

/// Verify every ballot of `path`, compare the lines in order with the board's ballot entries
/// `board` (both ways: a line not on the board at its position, and a board entry missing
/// from the file, are [`Check::BallotOrder`] failures), and sum the counted ones.
pub fn verify_ballots_on_board(
    path: &Path,
    ctx: &VotingContext,
    credentials: &CredentialList,
    board: Option<&[BoardEntry]>,
    progress: &dyn Progress,
) -> Result<BallotSummary> {
    // Progress counts ballots: as many as the board holds, which the record must match (or,
    // without a board, which fails anyway, the lines of the file).
    let expected = match board {
        Some(entries) => entries.len() as u64,
        None => count_lines(path)?,
    };
    progress.begin("verifying ballots", expected);
    let mut reader = JsonLinesReader::open(path)?;
    let mut summary = BallotSummary {
        passed: BTreeMap::new(),
        failures: Vec::new(),
        ballots: 0,
        cast: 0,
        challenged: 0,
        superseded: 0,
        tally: Accumulator::start(&ctx.manifest, &ctx.public_key),
    };
    let mut merge = Merge {
        seen: HashSet::new(),
        revotes: RevoteRule::new(credentials.len()),
        to_subtract: Vec::new(),
        board,
    };
    let mut offset = 0u64;
    loop {
        let mut block = Vec::with_capacity(BLOCK_LINES);
        while block.len() < BLOCK_LINES {
            match reader.next_raw()? {
                None => break,
                Some((line, text)) => {
                    let start = offset;
                    offset += text.len() as u64;
                    block.push(RawLine {
                        line,
                        offset: start,
                        text,
                    });
                }
            }
        }
        if block.is_empty() {
            break;
        }
        let lines = block.len() as u64;
        let results: Vec<Result<Verified>> = block
            .par_chunks(GROUP)
            .map(|group| verify_group(path, ctx, credentials, group))
            .collect();
        for result in results {
            let verified = result?;
            summary.tally.merge(&verified.partial);
            for (outcome, leaf) in verified.outcomes.into_iter().zip(verified.leaves) {
                merge.outcome(&mut summary, outcome, leaf);
            }
        }
        progress.advance(lines);
    }
    progress.end();
    if let Some(board) = board {
        for (position, entry) in board
            .iter()
            .enumerate()
            .skip(summary.ballots as usize)
            .take(20)
        {
            summary.failures.push(Failure::new(
                Check::BallotOrder,
                format!("board entry {} (ballot #{})", entry.index, position + 1),
                format!(
                    "on the board but not in {}, which holds {} ballots",
                    path.display(),
                    summary.ballots
                ),
            ));
        }
    }
    subtract_lines(path, &mut summary.tally, &merge.to_subtract)?;
    Ok(summary)
}

/// What merging the workers' outcomes in file order keeps.
struct Merge<'a> {
    seen: HashSet<[u8; 32]>,
    revotes: RevoteRule<Place>,
    to_subtract: Vec<Place>,
    board: Option<&'a [BoardEntry]>,
}

impl Merge<'_> {
    /// Takes in the next line's outcome, and its leaf hash as a board entry.
    fn outcome(&mut self, summary: &mut BallotSummary, outcome: Outcome, leaf: Hash) {
        let position = summary.ballots as usize;
        summary.ballots += 1;
        for check in outcome.passed {
            *summary.passed.entry(check).or_default() += 1;
        }
        summary.failures.extend(outcome.failures);
        let item = || format!("ballot {} (line {})", outcome.code, outcome.line);
        if let Some(board) = self.board {
            match board.get(position) {
                Some(entry) if entry.leaf_hash == leaf => {
                    *summary.passed.entry(Check::BallotOrder).or_default() += 1;
                }
                Some(entry) => summary.failures.push(Failure::new(
                    Check::BallotOrder,
                    item(),
                    format!(
                        "the board's ballot #{} (log index {}) is another ballot",
                        position + 1,
                        entry.index
                    ),
                )),
                None => summary.failures.push(Failure::new(
                    Check::BallotOrder,
                    item(),
                    format!("not on the board, which holds {} ballots", board.len()),
                )),
            }
        }
        let place = Place {
            line: outcome.line,
            offset: outcome.offset,
            hash: outcome.hash,
        };
        if !self.seen.insert(outcome.hash.0) {
            summary.failures.push(Failure::new(
                Check::UniqueBallots,
                item(),
                "this ballot appears earlier in the record",
            ));
            if outcome.valid && outcome.intent == Intent::Cast {
                // The worker added it to its partial sum; take it out again.
                self.to_subtract.push(place);
            }
            return;
        }
        *summary.passed.entry(Check::UniqueBallots).or_default() += 1;
        match outcome.intent {
            Intent::Challenge => summary.challenged += 1,
            Intent::Cast => summary.cast += 1,
        }
        if let (true, Intent::Cast, Some(credential)) =
            (outcome.valid, outcome.intent, outcome.credential)
            && let Some(previous) = self.revotes.cast(credential as usize, place)
        {
            self.to_subtract.push(previous);
            summary.superseded += 1;
        }
    }
}

/// Check one ballot on its own, as a ballot box does before accepting it: every check that does
/// not depend on other ballots. Returns the failures (empty when it is valid).
pub fn check_ballot(
    ctx: &VotingContext,
    credentials: &CredentialList,
    entry: &BallotEntry,
) -> Result<Vec<Failure>> {
    let ballot = CanonicalBallot::new(entry.clone())?;
    let mut failures = check_canonical_ballots(ctx, credentials, &[&ballot], Spread::EveryCore)?;
    Ok(failures.pop().unwrap_or_default())
}

/// A ballot as a ballot box checks and stores it: the parsed entry, its canonical line (as
/// `ballots.jsonl` holds it, without the line end: the board entry's body) and its hash, each
/// made once. The line is the entry's own canonical encoding, so parsing it again gives back
/// the same entry (what [`verify_ballots`] reads is what was checked).
#[derive(Clone, Debug)]
pub struct CanonicalBallot {
    /// The signed ballot.
    pub entry: BallotEntry,
    /// Its canonical line.
    pub line: Vec<u8>,
    /// Its ballot hash (the confirmation code's source).
    pub hash: Digest,
}

impl CanonicalBallot {
    /// Encodes `entry` canonically and hashes its ballot.
    ///
    /// # Errors
    /// [`ElectionError::Record`] when it cannot be encoded.
    pub fn new(entry: BallotEntry) -> Result<Self> {
        let line = canonical_json(&entry)?;
        // The line holds the body's canonical bytes as its `ballot` member: hashed there, the
        // body is encoded once, and the hash is the one a verifier computes from the record.
        let hash = LineSummary::read(&line)
            .ok_or_else(|| {
                ElectionError::Record(format!(
                    "the ballot of credential {}: its canonical line has no ballot member to hash",
                    entry.ballot.credential.to_hex()
                ))
            })?
            .hash;
        Ok(CanonicalBallot { entry, line, hash })
    }

    /// The ballot's confirmation code.
    pub fn code(&self) -> ConfirmationCode {
        ConfirmationCode::from_hash(&self.hash)
    }
}

/// How [`check_canonical_ballots`] shares its ballots among the cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// Over every core, in groups as small as that takes: the fastest answer when nothing
    /// else runs (a ballot box accepting a file of ballots, a lone ballot).
    EveryCore,
    /// In groups as full as the batch allows (up to [`GROUP`] ballots), but at least one for
    /// each core while there are ballots for it: the least work per ballot that still keeps
    /// every core busy, for a server's checker stage, which parses and checks a batch while
    /// its box commits the last. On one core (`cargo bench -p
    /// fairtally-election --bench ballots`), a group of 64 demo ballots took 306–315 µs a
    /// ballot, a group of 16 329–368 µs, a ballot alone 561–613 µs.
    FullGroups,
}

/// [`check_ballot`] for many ballots at once, checked as the verifier checks them, from what
/// was parsed already (no point is decoded a second time): in parallel groups of up to
/// [`GROUP`] (see [`Spread`]), each group's proofs in one batch (one multiscalar
/// multiplication; a failing batch is checked ballot by ballot to name the culprit).
/// Returns each ballot's failures, in order. A ballot box checks what arrives together this
/// way, as fast as `fairtally verify`.
pub fn check_canonical_ballots(
    ctx: &VotingContext,
    credentials: &CredentialList,
    ballots: &[&CanonicalBallot],
    spread: Spread,
) -> Result<Vec<Vec<Failure>>> {
    let parsed: Vec<Parsed<'_>> = ballots
        .iter()
        .enumerate()
        .map(|(i, b)| Parsed {
            line: i as u64 + 1,
            offset: 0,
            text: &b.line,
            entry: &b.entry,
            hash: b.hash,
        })
        .collect();
    let groups = match spread {
        // Few ballots are spread over every core rather than batched on one.
        Spread::EveryCore => rayon::current_num_threads().max(1),
        // As few groups as hold them all, the same size, and no fewer than the cores.
        Spread::FullGroups => ballots
            .len()
            .div_ceil(GROUP)
            .max(rayon::current_num_threads().min(ballots.len())),
    };
    let group = ballots.len().div_ceil(groups.max(1)).clamp(1, GROUP);
    let groups: Vec<Vec<Vec<Failure>>> = parsed
        .par_chunks(group)
        .map(|group| {
            let outcomes = check_group(ctx, credentials, group)?;
            Ok(outcomes.into_iter().map(|o| o.failures).collect())
        })
        .collect::<Result<_>>()?;
    Ok(groups.into_iter().flatten().collect())
}

/// One line of a group, parsed.
struct Parsed<'a> {
    line: u64,
    offset: u64,
    /// The line without its end.
    text: &'a [u8],
    entry: &'a BallotEntry,
    hash: Digest,
}

/// What the verifier keeps of a group of lines: each line's outcome and its leaf hash as a
/// board entry, in order, and the sum of the group's valid cast ballots.
struct Verified {
    outcomes: Vec<Outcome>,
    leaves: Vec<Hash>,
    partial: Accumulator,
}

/// Verify a group of lines: parse, [`check_group`], then what only the verifier needs (the
/// leaf hashes it joins the board with, the partial sum). A ballot box needs neither: its board
/// hashes what it appends.
fn verify_group(
    path: &Path,
    ctx: &VotingContext,
    credentials: &CredentialList,
    group: &[RawLine],
) -> Result<Verified> {
    let entries: Vec<BallotEntry> = group
        .iter()
        .map(|raw| parse_line(path, raw.line, &raw.text))
        .collect::<Result<_>>()?;
    let parsed: Vec<Parsed<'_>> = group
        .iter()
        .zip(&entries)
        .map(|(raw, entry)| Parsed {
            line: raw.line,
            offset: raw.offset,
            text: raw.text.strip_suffix('\n').unwrap_or(&raw.text).as_bytes(),
            entry,
            hash: entry.ballot.hash(),
        })
        .collect();
    let outcomes = check_group(ctx, credentials, &parsed)?;
    let leaves = parsed
        .iter()
        .map(|p| {
            let entry = board_entry(Entry {
                kind: ItemKind::Ballot,
                bytes: p.text.to_vec(),
            })?;
            Ok(entry.leaf_hash())
        })
        .collect::<Result<_>>()?;
    let mut partial = Accumulator::empty(&ctx.manifest);
    for (entry, outcome) in entries.iter().zip(&outcomes) {
        if entry.intent == Intent::Cast && outcome.valid {
            partial.add(&entry.ballot);
        }
    }
    Ok(Verified {
        outcomes,
        leaves,
        partial,
    })
}

/// Check a group of parsed lines: structure, eligibility, signatures, proofs (one batch),
/// openings.
fn check_group(
    ctx: &VotingContext,
    credentials: &CredentialList,
    group: &[Parsed<'_>],
) -> Result<Vec<Outcome>> {
    let entries: Vec<&BallotEntry> = group.iter().map(|p| p.entry).collect();
    let mut outcomes = Vec::with_capacity(group.len());
    for parsed in group {
        let entry = parsed.entry;
        let hash = parsed.hash;
        let code = ConfirmationCode::from_hash(&hash);
        let item = format!("ballot {code} (line {})", parsed.line);
        let mut outcome = Outcome {
            line: parsed.line,
            offset: parsed.offset,
            hash,
            code,
            credential: credentials.position(&entry.ballot.credential),
            intent: entry.intent,
            valid: true,
            failures: Vec::new(),
            passed: Vec::new(),
        };
        match entry.check_structure(ctx) {
            Ok(()) => outcome.passed.push(Check::BallotStructure),
            Err(reason) => {
                outcome
                    .failures
                    .push(Failure::new(Check::BallotStructure, &item, reason));
                outcome.valid = false;
            }
        }
        if let Some(position) = outcome.credential {
            match check_voter_style(credentials, position, entry) {
                Ok(()) => outcome.passed.push(Check::EligibleCredentials),
                Err(reason) => {
                    outcome
                        .failures
                        .push(Failure::new(Check::EligibleCredentials, &item, reason));
                    outcome.valid = false;
                }
            }
        } else {
            outcome.failures.push(Failure::new(
                Check::EligibleCredentials,
                &item,
                format!(
                    "credential {} is not on the published list",
                    entry.ballot.credential.to_hex()
                ),
            ));
            outcome.valid = false;
        }
        outcomes.push(outcome);
    }

    check_signatures(&entries, &mut outcomes);
    check_proofs(ctx, &entries, &mut outcomes);

    for (entry, outcome) in entries.iter().zip(&mut outcomes) {
        if entry.intent == Intent::Challenge && outcome.valid {
            match entry.check_opening(ctx) {
                Ok(_) => outcome.passed.push(Check::ChallengedBallots),
                Err(reason) => {
                    let item = format!("ballot {} (line {})", outcome.code, outcome.line);
                    outcome
                        .failures
                        .push(Failure::new(Check::ChallengedBallots, item, reason));
                    outcome.valid = false;
                }
            }
        }
    }
    Ok(outcomes)
}

/// The ballot names its voter's ballot style: the one the registrar gave the credential at
/// `position` on the published roll (none in an election without styles). With the structure
/// check (the ballot holds exactly its named style's contests), a voter's ballot holds exactly
/// the contests the roll gives the voter.
fn check_voter_style(
    credentials: &CredentialList,
    position: u32,
    entry: &BallotEntry,
) -> std::result::Result<(), String> {
    let registered = credentials.style_of(position);
    let named = entry.ballot.style.as_deref();
    if registered == named {
        return Ok(());
    }
    let say = |s: Option<&str>| {
        s.map_or("no ballot style".to_string(), |s| {
            format!("ballot style {s:?}")
        })
    };
    Err(format!(
        "the ballot is for {}, but its credential is registered for {}",
        say(named),
        say(registered)
    ))
}

fn check_signatures(entries: &[&BallotEntry], outcomes: &mut [Outcome]) {
    for (entry, outcome) in entries.iter().zip(outcomes.iter_mut()) {
        // Strict verification of each signature (not a cofactored batch), so that every
        // verifier following docs/PROTOCOL.md accepts exactly the same signatures.
        let message = signed_message(&outcome.hash, entry.intent);
        if entry.ballot.credential.verify(&message.0, &entry.signature) {
            outcome.passed.push(Check::BallotSignatures);
        } else {
            let item = format!("ballot {} (line {})", outcome.code, outcome.line);
            outcome.failures.push(Failure::new(
                Check::BallotSignatures,
                item,
                "the signature does not verify with its credential",
            ));
            outcome.valid = false;
        }
    }
}

fn check_proofs(ctx: &VotingContext, entries: &[&BallotEntry], outcomes: &mut [Outcome]) {
    let structured = |o: &Outcome| !o.failures.iter().any(|f| f.check == Check::BallotStructure);
    let mut batch = BatchVerifier::new();
    let mut queued_ok = true;
    for (entry, outcome) in entries.iter().zip(outcomes.iter()) {
        if structured(outcome) && entry.queue_proofs(ctx, &mut batch).is_err() {
            queued_ok = false;
        }
    }
    let batch_ok = queued_ok && batch.verify().is_ok();
    for (entry, outcome) in entries.iter().zip(outcomes.iter_mut()) {
        if !structured(outcome) {
            continue;
        }
        let result = if batch_ok {
            Ok(())
        } else {
            entry.verify_proofs_individually(ctx)
        };
        match result {
            Ok(()) => {
                outcome.passed.push(Check::SelectionProofs);
                outcome.passed.push(Check::ContestRangeProofs);
            }
            Err(failure) => {
                let item = format!(
                    "ballot {} (line {}), {}",
                    outcome.code, outcome.line, failure.item
                );
                if failure.check == Check::ContestRangeProofs {
                    // Every selection proof came before the failing range proof and passed.
                    outcome.passed.push(Check::SelectionProofs);
                }
                outcome
                    .failures
                    .push(Failure::new(failure.check, item, failure.reason));
                outcome.valid = false;
            }
        }
    }
}

/// Second, short pass: subtract superseded (re-voted) and duplicated ballots by seeking to them.
/// Each line read again must be the very ballot verified there (same hash), or verification
/// stops: the file changed under the verifier.
fn subtract_lines(path: &Path, tally: &mut Accumulator, places: &[Place]) -> Result<()> {
    if places.is_empty() {
        return Ok(());
    }
    let mut file = File::open(path).map_err(|e| ElectionError::io(path, e))?;
    for place in places {
        let (line, offset) = (place.line, place.offset);
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| ElectionError::io(path, e))?;
        let mut text = String::new();
        let mut reader = std::io::BufReader::new((&mut file).take(64 << 20));
        std::io::BufRead::read_line(&mut reader, &mut text)
            .map_err(|e| ElectionError::io(path, e))?;
        let entry: BallotEntry = parse_line(path, line, &text)?;
        if entry.ballot.hash() != place.hash {
            return Err(ElectionError::parse(
                path,
                Some(line),
                "the line changed while the record was being verified",
            ));
        }
        tally.subtract(&entry.ballot);
    }
    Ok(())
}

/// The number of lines of the file at `path` (a quick scan for line ends).
fn count_lines(path: &Path) -> Result<u64> {
    let mut file = File::open(path).map_err(|e| ElectionError::io(path, e))?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| ElectionError::io(path, e))?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}
