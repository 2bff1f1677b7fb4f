//! A whole election on one machine: the all-in-one key ceremony, credentials, voters who vote,
//! challenge and re-vote with random choices, the tally with one guardian absent and the
//! published result. It serves `fairtally demo`, `fairtally bench` and the tests; it uses the
//! same library steps as the multi-machine walk-through.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fairtally_crypto::random::random_bytes;
use rayon::prelude::*;

use crate::authority;
use crate::ballot::{BallotEntry, Selections, encrypt_ballot};
use crate::ceremony::{KeyShare, run_all_in_one};
use crate::context::VotingContext;
use crate::credential::{self, Credential};
use crate::error::{ElectionError, Result};
use crate::manifest::Manifest;
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::progress::Progress;
use crate::record::{Access, JsonLinesWriter, files, write_secret_json};
use crate::tally::{ElectionResult, decrypt_share};

/// Voters encrypted per parallel block (bounds memory for large runs).
const VOTER_BLOCK: usize = 2048;

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

/// Let every credential holder vote (in parallel), write the ballots to `out` in order and
/// return the plaintext totals of the counted selections, the number of ballots written and
/// the number of voters who voted.
pub fn cast_ballots(
    ctx: &VotingContext,
    credentials: &[Credential],
    plan: &VotingPlan,
    out: &mut JsonLinesWriter,
    progress: &dyn Progress,
) -> Result<(Vec<u64>, u64, u64)> {
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
        for v in votes {
            let Some((entries, selections)) = v? else {
                continue;
            };
            voted += 1;
            for entry in &entries {
                out.write(entry)?;
            }
            written += entries.len() as u64;
            for (t, &chosen) in totals.iter_mut().zip(selections.rows().iter().flatten()) {
                *t += u64::from(chosen);
            }
        }
    }
    progress.end();
    Ok((totals, written, voted))
}

/// Prepare `out` for a demo: refuse a directory that holds something else, clear a previous demo.
fn prepare_output(out: &Path) -> Result<(PathBuf, PathBuf)> {
    let (record, private) = (out.join("record"), out.join("private"));
    if record.exists() {
        let ours = record.join(files::HEADER).exists() && private.is_dir();
        if !ours {
            return Err(ElectionError::Record(format!(
                "{} exists and is not a previous demo; choose another --out",
                record.display()
            )));
        }
        std::fs::remove_dir_all(&record).map_err(|e| ElectionError::io(&record, e))?;
        std::fs::remove_dir_all(&private).map_err(|e| ElectionError::io(&private, e))?;
    }
    for dir in [&record, &private] {
        std::fs::create_dir_all(dir).map_err(|e| ElectionError::io(dir, e))?;
    }
    Ok((record, private))
}

/// Run a whole election into `out/record` (public) and `out/private` (guardian key shares,
/// voter credentials).
pub fn run_demo(config: &DemoConfig, out: &Path, progress: &dyn Progress) -> Result<DemoOutcome> {
    config.manifest.validate()?;
    config.parameters.validate()?;
    if config.voters == 0 {
        return Err(ElectionError::Parameters(
            "the demo needs at least one voter".into(),
        ));
    }
    let n = config.parameters.guardians;
    let k = config.parameters.threshold;
    if config.absent > n - k {
        return Err(ElectionError::Parameters(format!(
            "{} absent guardians leave fewer than the threshold of {k} out of {n}",
            config.absent
        )));
    }
    let (record, private) = prepare_output(out)?;
    let mut phases = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |phase: &'static str, clock: &mut Instant| {
        phases.push(PhaseTime {
            phase,
            elapsed: clock.elapsed(),
        });
        *clock = Instant::now();
    };

    authority::create_election(&record, &config.manifest, &config.parameters)?;
    let names: Vec<String> = (1..=n).map(|i| format!("Guardian {i}")).collect();
    let ceremony = ceremony_context(&config.manifest, &config.parameters)?;
    let ceremony = run_all_in_one(&ceremony, &config.parameters, &names)?;
    authority::publish_guardians(&record, &ceremony.guardians)?;
    crate::ceremony::publish(&record, &ceremony.messages, &[])?;
    let key_shares = ceremony.key_shares;
    for share in &key_shares {
        write_secret_json(
            &private.join(format!("guardian-{}-key-share.json", share.index)),
            share,
        )?;
    }
    lap("key ceremony", &mut clock);

    let (credentials, list) = credential::issue(config.voters)?;
    authority::publish_credentials(&record, &list)?;
    let mut secrets =
        JsonLinesWriter::create_with(&private.join("credentials.jsonl"), Access::OwnerOnly)?;
    for c in &credentials {
        secrets.write(c)?;
    }
    secrets.finish()?;
    lap("credentials", &mut clock);

    authority::open_voting(&record)?;
    let setup = authority::load_setup(&record)?;
    let ctx = setup.voting_context();
    let mut box_out = JsonLinesWriter::create(&record.join(files::BALLOTS))?;
    let (totals, ballots, voted) =
        cast_ballots(&ctx, &credentials, &config.plan, &mut box_out, progress)?;
    box_out.finish()?;
    lap("voting", &mut clock);

    let tally = authority::close_voting(&record, progress)?;
    lap("closing and encrypted tally", &mut clock);

    let present: Vec<&KeyShare> = key_shares
        .iter()
        .take((n - config.absent) as usize)
        .collect();
    for key in &present {
        let share = decrypt_share(&setup.context.base_hash, &setup.manifest, key, &tally)?;
        authority::accept_decryption_share(&record, &share)?;
    }
    let result = authority::publish_result(&record)?;
    lap("decryption and result", &mut clock);

    Ok(DemoOutcome {
        record,
        private,
        phases,
        expected: ElectionResult::from_totals(&config.manifest, voted, &totals),
        result,
        present: present.iter().map(|k| k.index).collect(),
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

    #[test]
    fn demo_result_matches_the_plaintext_count() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let config = DemoConfig {
            manifest: Manifest::default_demo()?,
            voters: 40,
            parameters: crate::parameters::for_tests(3, 2)?,
            absent: 1,
            plan: VotingPlan {
                turnout_percent: 100.0,
                challenge_percent: 10.0,
                revote_percent: 20.0,
            },
        };
        let outcome = run_demo(&config, dir.path(), &Silent)?;
        assert_eq!(outcome.result, outcome.expected);
        assert_eq!(outcome.present, vec![1, 2]);
        assert!(outcome.ballots >= 40);
        // A second run into the same directory replaces the previous demo.
        run_demo(&config, dir.path(), &Silent)?;
        Ok(())
    }
}
