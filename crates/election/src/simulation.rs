//! A whole election on one machine: the all-in-one key ceremony, credentials, voters who vote,
//! challenge and re-vote with random choices, the tally with one guardian absent and the
//! published result. It serves `fairtally demo`, `fairtally bench` and the tests; it uses the
//! same library steps as the multi-machine walk-through.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fairtally_board::board::Board;
use fairtally_board::note::NoteSigner;
use fairtally_crypto::random::random_bytes;
use fairtally_files::{Access, write_new};
use rayon::prelude::*;

use crate::authority;
use crate::ballot::{BallotEntry, Selections, encrypt_ballot};
use crate::ballot_box::{self, BallotBox};
use crate::bulletin;
use crate::ceremony::{KeyShare, run_all_in_one};
use crate::context::VotingContext;
use crate::credential::{self, Credential};
use crate::error::{ElectionError, Result};
use crate::manifest::Manifest;
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::progress::Progress;
use crate::record::{JsonLinesReader, JsonLinesWriter, read_json, write_secret_json};
use crate::tally::{ElectionResult, decrypt_share};

/// Voters encrypted per parallel block (bounds memory for large runs); each block's ballots go
/// into the ballot box as one batch.
const VOTER_BLOCK: usize = 2048;

/// The most voters a demo (or a registrar) issues credentials for in one go.
pub const MAX_VOTERS: usize = credential::MAX_CREDENTIALS;

/// The file in a demo's output directory that marks it as the demo's own: only a directory
/// holding it is ever cleared by a later demo.
pub const DEMO_MARKER: &str = "fairtally-demo.marker";

/// The board operator's name (the log's origin) of a demo election.
pub const DEMO_ORIGIN: &str = "fairtally.demo/election";

/// How the simulated voters behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VotingPlan {
    /// Percentage of credential holders who vote at all.
    pub turnout_percent: f64,
    /// Percentage of voters who challenge one ballot before casting.
    pub challenge_percent: f64,
    /// Percentage of voters who cast a second ballot that replaces the first.
    pub revote_percent: f64,
}

impl Default for VotingPlan {
    fn default() -> Self {
        VotingPlan {
            turnout_percent: 100.0,
            challenge_percent: 1.0,
            revote_percent: 5.0,
        }
    }
}

/// The demo's settings.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// The manifest.
    pub manifest: Manifest,
    /// Number of voters (one credential each).
    pub voters: usize,
    /// Guardians and threshold.
    pub parameters: ElectionParameters,
    /// How many guardians stay away from the decryption (at most n - k).
    pub absent: u32,
    /// Voters' behaviour.
    pub plan: VotingPlan,
}

/// How long a phase took.
#[derive(Clone, Debug)]
pub struct PhaseTime {
    /// The phase.
    pub phase: &'static str,
    /// Its wall-clock time.
    pub elapsed: Duration,
}

/// What the demo did.
#[derive(Clone, Debug)]
pub struct DemoOutcome {
    /// Where the public record is.
    pub record: PathBuf,
    /// Where the secrets are.
    pub private: PathBuf,
    /// The authority's bulletin board (its public files are in `board/public`).
    pub board: PathBuf,
    /// The board operator's signing key.
    pub operator_key: PathBuf,
    /// Per-phase times.
    pub phases: Vec<PhaseTime>,
    /// The totals counted in plain text by the simulation (what the result must equal).
    pub expected: ElectionResult,
    /// The published result.
    pub result: ElectionResult,
    /// The guardians who decrypted.
    pub present: Vec<u32>,
    /// Ballots written (cast, challenged and re-votes).
    pub ballots: u64,
}

/// Reads the board operator's signing key.
fn read_operator(path: &Path) -> Result<NoteSigner> {
    let text = std::fs::read_to_string(path).map_err(|e| ElectionError::io(path, e))?;
    Ok(NoteSigner::from_skey(&text, &path.display().to_string())?)
}

fn random_below(n: u64) -> u64 {
    u64::from_le_bytes(random_bytes::<8>()) % n.max(1)
}

fn chance(percent: f64) -> bool {
    (random_below(1_000_000) as f64) < percent * 10_000.0
}

/// Random valid selections for `manifest`.
pub fn random_selections(manifest: &Manifest) -> Result<Selections> {
    let rows = manifest
        .contests
        .iter()
        .map(|c| {
            let span = u64::from(c.max_selections - c.min_selections) + 1;
            let k = c.min_selections as usize + random_below(span) as usize;
            let mut order: Vec<usize> = (0..c.options.len()).collect();
            for i in 0..k {
                let j = i + random_below((order.len() - i) as u64) as usize;
                order.swap(i, j);
            }
            let mut row = vec![false; c.options.len()];
            for &i in &order[..k] {
                row[i] = true;
            }
            row
        })
        .collect();
    Selections::from_rows(manifest, rows)
}

/// A voter's ballots in the order they reach the ballot box, and the selections that count.
type Vote = (Vec<BallotEntry>, Selections);

/// One voter's ballots and counted selections (nothing when the voter abstains).
fn vote(ctx: &VotingContext, credential: &Credential, plan: &VotingPlan) -> Result<Option<Vote>> {
    if !chance(plan.turnout_percent) {
        return Ok(None);
    }
    let mut entries = Vec::with_capacity(1);
    if chance(plan.challenge_percent) {
        let prepared = encrypt_ballot(ctx, credential, &random_selections(&ctx.manifest)?)?;
        entries.push(prepared.challenge(credential)?);
    }
    let mut selections = random_selections(&ctx.manifest)?;
    entries.push(encrypt_ballot(ctx, credential, &selections)?.cast(credential)?);
    if chance(plan.revote_percent) {
        selections = random_selections(&ctx.manifest)?;
        entries.push(encrypt_ballot(ctx, credential, &selections)?.cast(credential)?);
    }
    Ok(Some((entries, selections)))
}

/// Let every credential holder vote (in parallel), put the ballots into the ballot box in
/// order (one batch per block of voters) and return the plaintext totals of the counted
/// selections, the number of ballots accepted and the number of voters who voted.
pub fn cast_ballots(
    ballot_box: &mut BallotBox<'_>,
    credentials: &[Credential],
    plan: &VotingPlan,
    progress: &dyn Progress,
) -> Result<(Vec<u64>, u64, u64)> {
    let ctx = ballot_box.voting_context().clone();
    let ctx = &ctx;
    progress.begin("encrypting ballots", credentials.len() as u64);
    let mut totals = vec![0u64; ctx.manifest.option_count()];
    let (mut written, mut voted) = (0u64, 0u64);
    for block in credentials.chunks(VOTER_BLOCK) {
        let votes: Vec<Result<Option<Vote>>> = block
            .par_iter()
            .map(|c| {
                let v = vote(ctx, c, plan);
                progress.advance(1);
                v
            })
            .collect();
        let mut batch = Vec::new();
        for v in votes {
            let Some((entries, selections)) = v? else {
                continue;
            };
            voted += 1;
            written += entries.len() as u64;
            batch.extend(entries);
            for (t, &chosen) in totals.iter_mut().zip(selections.rows().iter().flatten()) {
                *t += u64::from(chosen);
            }
        }
        ballot_box.accept_all(&batch)?;
    }
    ballot_box.checkpoint()?;
    progress.end();
    Ok((totals, written, voted))
}

/// Prepares `out` for a demo or benchmark and creates its bulletin board in `out/board`
/// (operator key `out/board/operator.key`, log `origin`), whose policy the caller puts into the
/// election's parameters before [`run_demo`]. A directory that an earlier demo marked as its
/// own ([`DEMO_MARKER`]) is cleared (only the parts a demo writes); any other directory that is
/// not empty is refused, so a real election's files are never deleted.
pub fn demo_board(out: &Path, origin: &str) -> Result<(Board, NoteSigner)> {
    let marker = out.join(DEMO_MARKER);
    if marker.exists() {
        for part in ["record", "private", "board"].map(|p| out.join(p)) {
            if part.exists() {
                std::fs::remove_dir_all(&part).map_err(|e| ElectionError::io(&part, e))?;
            }
        }
    } else {
        let occupied = match std::fs::read_dir(out) {
            Ok(mut entries) => entries.next().is_some(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(ElectionError::io(out, e)),
        };
        if occupied {
            return Err(ElectionError::Record(format!(
                "{} is not empty and holds no {DEMO_MARKER} from an earlier demo; \
                 choose another --out (nothing was deleted)",
                out.display()
            )));
        }
        write_new(
            &marker,
            b"This directory was written by `fairtally demo`; a later demo may replace it.\n",
            Access::Public,
        )
        .map_err(|e| ElectionError::io(&e.path, e.source))?;
    }
    bulletin::create_board(&out.join("board"), origin)
}

/// The record and private directories of a demo in `out`, which must not exist yet.
fn prepare_output(out: &Path) -> Result<(PathBuf, PathBuf)> {
    let (record, private) = (out.join("record"), out.join("private"));
    for dir in [&record, &private] {
        if dir.exists() {
            return Err(ElectionError::Record(format!(
                "{} exists already; a demo starts in a fresh directory (see `demo_board`)",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| ElectionError::io(dir, e))?;
    }
    Ok((record, private))
}

/// The file in a demo's private directory that holds what finishing it needs besides the
/// guardians' key shares (how many guardians stay away from the decryption).
pub const DEMO_PLAN_FILE: &str = "demo.json";

/// What [`finish_demo`] reads back from `DIR/private/demo.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPlan {
    /// `fairtally-demo/1`.
    format: DemoFormat,
    /// Guardians absent at the decryption (the first `n - absent` decrypt).
    absent: u32,
}

/// The format tag of [`DemoPlan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum DemoFormat {
    #[serde(rename = "fairtally-demo/1")]
    V1,
}

/// A demo election whose voting is open ([`open_demo`]): everything a ballot box, a server
/// and later [`finish_demo`] need is in its directory.
#[derive(Debug)]
pub struct OpenDemo {
    /// Where the public record is.
    pub record: PathBuf,
    /// Where the secrets are (guardian key shares, `credentials.jsonl`, the demo's plan).
    pub private: PathBuf,
    /// The authority's bulletin board (its public files are in `board/public`).
    pub board: PathBuf,
    /// The board operator's signing key.
    pub operator_key: PathBuf,
    /// The voters' credentials, in list order (also in `private/credentials.jsonl`).
    pub credentials: Vec<Credential>,
    /// Per-phase times.
    pub phases: Vec<PhaseTime>,
}

/// A demo election closed, decrypted and published ([`finish_demo`]).
#[derive(Clone, Debug)]
pub struct FinishedDemo {
    /// Where the public record is.
    pub record: PathBuf,
    /// The authority's bulletin board.
    pub board: PathBuf,
    /// Per-phase times.
    pub phases: Vec<PhaseTime>,
    /// The published result.
    pub result: ElectionResult,
    /// The guardians who decrypted.
    pub present: Vec<u32>,
    /// The ballots counted (the last cast ballot of each credential that voted).
    pub counted: u64,
}

/// Records how long each phase took.
struct Laps {
    phases: Vec<PhaseTime>,
    clock: Instant,
}

impl Laps {
    fn start() -> Self {
        Laps {
            phases: Vec::new(),
            clock: Instant::now(),
        }
    }

    fn lap(&mut self, phase: &'static str) {
        self.phases.push(PhaseTime {
            phase,
            elapsed: self.clock.elapsed(),
        });
        self.clock = Instant::now();
    }
}

/// The first half of a demo: create the election in `out/record`, run the key ceremony, issue
/// the credentials and open voting, leaving the guardians' key shares, the voters'
/// credentials (`credentials.jsonl`) and the demo's plan in `out/private`. The board must
/// exist, with its operator key in `out/board/operator.key` and its policy in the parameters
/// (see [`demo_board`]). Ballots then go into the ballot box (a [`BallotBox`] on the record
/// and board, e.g. through `fairtally serve`) until [`finish_demo`].
pub fn open_demo(config: &DemoConfig, out: &Path) -> Result<OpenDemo> {
    config.manifest.validate()?;
    config.parameters.validate()?;
    if config.voters == 0 || config.voters > MAX_VOTERS {
        return Err(ElectionError::Parameters(format!(
            "the demo needs 1 to {MAX_VOTERS} voters, not {}",
            config.voters
        )));
    }
    let n = config.parameters.guardians;
    let k = config.parameters.threshold;
    if config.absent > n - k {
        return Err(ElectionError::Parameters(format!(
            "{} absent guardians leave fewer than the threshold of {k} out of {n}",
            config.absent
        )));
    }
    let board_dir = out.join("board");
    let operator_key = board_dir.join(bulletin::OPERATOR_KEY_FILE);
    let operator = read_operator(&operator_key)?;
    let board = Board::open(&board_dir)?;
    if *board.policy() != config.parameters.board_policy()? {
        return Err(ElectionError::Parameters(format!(
            "the board in {} is not the one the parameters name",
            board_dir.display()
        )));
    }
    let (record, private) = prepare_output(out)?;
    let mut laps = Laps::start();

    authority::create_election(&record, &config.manifest, &config.parameters)?;
    let names: Vec<String> = (1..=n).map(|i| format!("Guardian {i}")).collect();
    let ceremony = ceremony_context(&config.manifest, &config.parameters)?;
    let ceremony = run_all_in_one(&ceremony, &config.parameters, &names)?;
    authority::publish_guardians(&record, &ceremony.guardians)?;
    crate::ceremony::publish(&record, &ceremony.messages, &[])?;
    for share in &ceremony.key_shares {
        write_secret_json(&key_share_path(&private, share.index), share)?;
    }
    write_secret_json(
        &private.join(DEMO_PLAN_FILE),
        &DemoPlan {
            format: DemoFormat::V1,
            absent: config.absent,
        },
    )?;
    laps.lap("key ceremony");

    let (credentials, list) = credential::issue(config.voters)?;
    authority::publish_credentials(&record, &list)?;
    let mut secrets =
        JsonLinesWriter::create_with(&private.join(CREDENTIALS_FILE), Access::OwnerOnly)?;
    for c in &credentials {
        secrets.write(c)?;
    }
    secrets.finish()?;
    laps.lap("credentials");

    ballot_box::open_voting(&record, board, &operator)?;
    laps.lap("opening voting");
    Ok(OpenDemo {
        record,
        private,
        board: board_dir,
        operator_key,
        credentials,
        phases: laps.phases,
    })
}

/// The voters' credentials in a demo's private directory, one JSON line each, in list order.
pub const CREDENTIALS_FILE: &str = "credentials.jsonl";

fn key_share_path(private: &Path, index: u32) -> PathBuf {
    private.join(format!("guardian-{index}-key-share.json"))
}

/// Reads the voters' credentials of the demo in `out` (`out/private/credentials.jsonl`).
pub fn demo_credentials(out: &Path) -> Result<Vec<Credential>> {
    JsonLinesReader::open(&out.join("private").join(CREDENTIALS_FILE))?.read_all()
}

/// The second half of a demo opened with [`open_demo`] in `out`: close voting (the ballot box
/// sums every ballot it accepted, re-votes and challenges by the verifier's rule), have the
/// demo's guardians (all but the absent ones) decrypt, and publish the result, every item
/// posted to the board. Waits for the record's lock, so a server still holding the ballot
/// box open is waited for.
pub fn finish_demo(out: &Path, progress: &dyn Progress) -> Result<FinishedDemo> {
    let (record, private, board_dir) = (out.join("record"), out.join("private"), out.join("board"));
    let plan: DemoPlan = read_json(&private.join(DEMO_PLAN_FILE))?;
    let operator = read_operator(&board_dir.join(bulletin::OPERATOR_KEY_FILE))?;
    let setup = authority::load_setup(&record)?;
    let n = setup.parameters.guardians;
    let present = n.checked_sub(plan.absent).ok_or_else(|| {
        ElectionError::Parameters(format!(
            "{}: {} absent guardians of {n}",
            private.join(DEMO_PLAN_FILE).display(),
            plan.absent
        ))
    })?;
    let mut laps = Laps::start();
    let tally = BallotBox::open(&record, Board::open(&board_dir)?, &operator)?.close(progress)?;
    laps.lap("closing and encrypted tally");

    let mut board = Board::open(&board_dir)?;
    let mut decrypted = Vec::new();
    for index in 1..=present {
        let key: KeyShare = read_json(&key_share_path(&private, index))?;
        let share = decrypt_share(&setup.context.base_hash, &setup.manifest, &key, &tally)?;
        authority::accept_decryption_share(&record, &share, &mut board, &operator)?;
        decrypted.push(index);
    }
    let result = authority::publish_result(&record, &mut board, &operator)?;
    laps.lap("decryption and result");
    Ok(FinishedDemo {
        record,
        board: board_dir,
        phases: laps.phases,
        result,
        present: decrypted,
        counted: tally.ballots,
    })
}

/// Run a whole election into `out/record` (public) and `out/private` (guardian key shares, the
/// simulated voters' credentials), posting every item to the board in `out/board` as it is
/// published (ballots as they are accepted): [`open_demo`], the simulated voters voting
/// ([`cast_ballots`]), then [`finish_demo`]. The board must exist, with its operator key in
/// `out/board/operator.key` and its policy in the parameters (see [`demo_board`]).
pub fn run_demo(config: &DemoConfig, out: &Path, progress: &dyn Progress) -> Result<DemoOutcome> {
    let open = open_demo(config, out)?;
    let operator = read_operator(&open.operator_key)?;
    let mut phases = open.phases;
    let clock = Instant::now();
    let mut ballot_box = BallotBox::open(&open.record, Board::open(&open.board)?, &operator)?;
    let (totals, ballots, voted) =
        cast_ballots(&mut ballot_box, &open.credentials, &config.plan, progress)?;
    drop(ballot_box);
    phases.push(PhaseTime {
        phase: "voting",
        elapsed: clock.elapsed(),
    });
    let finished = finish_demo(out, progress)?;
    phases.extend(finished.phases);
    Ok(DemoOutcome {
        record: finished.record,
        private: open.private,
        board: finished.board,
        operator_key: open.operator_key,
        phases,
        expected: ElectionResult::from_totals(&config.manifest, voted, &totals),
        result: finished.result,
        present: finished.present,
        ballots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn random_selections_are_always_valid() -> Result<()> {
        let m = Manifest::default_demo()?;
        for _ in 0..200 {
            let s = random_selections(&m)?;
            assert_eq!(s.rows()[0].iter().filter(|&&v| v).count(), 1);
            assert!(s.rows()[1].iter().filter(|&&v| v).count() <= 2);
        }
        Ok(())
    }

    fn config(voters: usize, (n, k, absent): (u32, u32, u32), board: &Board) -> Result<DemoConfig> {
        Ok(DemoConfig {
            manifest: Manifest::default_demo()?,
            voters,
            parameters: ElectionParameters::new(n, k, board.policy())?,
            absent,
            plan: VotingPlan {
                turnout_percent: 100.0,
                challenge_percent: 10.0,
                revote_percent: 20.0,
            },
        })
    }

    #[test]
    fn demo_result_matches_the_plaintext_count() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (board, _) = demo_board(dir.path(), DEMO_ORIGIN)?;
        let outcome = run_demo(&config(40, (3, 2, 1), &board)?, dir.path(), &Silent)?;
        assert_eq!(outcome.result, outcome.expected);
        assert_eq!(outcome.present, vec![1, 2]);
        assert!(outcome.ballots >= 40);
        // Every ballot went on the board as it was accepted.
        let board = Board::open(&outcome.board)?;
        assert!(board.size()? > outcome.ballots);
        // A second demo into the same directory replaces the previous one.
        drop(board);
        let (board, _) = demo_board(dir.path(), DEMO_ORIGIN)?;
        run_demo(&config(3, (1, 1, 0), &board)?, dir.path(), &Silent)?;
        Ok(())
    }

    #[test]
    fn a_directory_without_the_demo_marker_is_never_cleared() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        // The layout of a real election: a record and the authority's private files.
        let record = dir.path().join("record");
        std::fs::create_dir_all(dir.path().join("private"))
            .and_then(|()| std::fs::create_dir_all(&record))
            .and_then(|()| std::fs::write(record.join("record.json"), "{}"))
            .map_err(|e| ElectionError::io("tmp", e))?;
        let err = demo_board(dir.path(), DEMO_ORIGIN)
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("nothing was deleted")),
            "{err:?}"
        );
        assert!(record.join("record.json").exists());
        assert!(!dir.path().join(DEMO_MARKER).exists());
        Ok(())
    }

    #[test]
    fn too_many_voters_are_refused_before_anything_is_allocated() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (board, _) = demo_board(dir.path(), DEMO_ORIGIN)?;
        let err = run_demo(&config(usize::MAX, (1, 1, 0), &board)?, dir.path(), &Silent)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("1 to")));
        Ok(())
    }
}
