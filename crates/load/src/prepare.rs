//! Ballots prepared before the clock starts: real encrypted, signed ballots for a demo's
//! voters, with some voters challenging a ballot or re-voting.

use std::path::Path;

use fairtally_election::authority;
use fairtally_election::ballot::{Intent, encrypt_ballot};
use fairtally_election::context::VotingContext;
use fairtally_election::credential::Credential;
use fairtally_election::progress::Progress;
use fairtally_election::record::canonical_json;
use fairtally_election::simulation::{demo_credentials, random_selections};
use rand::RngExt;
use rayon::prelude::*;

use crate::error::{LoadError, Result};
use crate::submit::{Expected, Submission};

/// How many ballots to prepare, and how the voters behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BallotPlan {
    /// Ballots in all (first ballots, re-votes and challenges).
    pub ballots: usize,
    /// Percentage of the ballots that are a voter's second cast ballot (a re-vote).
    pub revote_percent: f64,
    /// Percentage of the ballots that a voter challenges (opened, never counted).
    pub challenge_percent: f64,
}

/// The prepared ballots, in the order they are sent.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The ballots.
    pub submissions: Vec<Submission>,
    /// How many of them are re-votes (a credential's second or later cast ballot).
    pub revotes: usize,
    /// How many are challenged.
    pub challenges: usize,
    /// The voting context they were encrypted for (and are checked against).
    pub context: VotingContext,
    /// The election's credential list, for the offline check.
    pub credentials: fairtally_election::credential::CredentialList,
}

/// Who casts what, in sending order: a list of (voter, intent) pairs.
///
/// First ballots go to voters 0, 1, 2 … in turn (around again when there are more ballots
/// than voters: those are re-votes too); each re-vote and challenge goes to a random voter who
/// already voted and is placed at a random point after that voter's first ballot, so that
/// (with modest concurrency) it usually reaches the server later.
fn schedule(plan: &BallotPlan, voters: usize) -> Result<Vec<(usize, Intent)>> {
    if plan.ballots == 0 {
        return Err(LoadError::Options("--ballots must be at least 1".into()));
    }
    if voters == 0 {
        return Err(LoadError::Options("the demo has no voters".into()));
    }
    let percents = [plan.revote_percent, plan.challenge_percent];
    if percents.iter().any(|p| !(0.0..=100.0).contains(p)) || percents.iter().sum::<f64>() > 100.0 {
        return Err(LoadError::Options(
            "the re-vote and challenge percentages must be between 0 and 100 together".into(),
        ));
    }
    let share = |p: f64| ((plan.ballots as f64) * p / 100.0).round() as usize;
    let (revotes, challenges) = (share(plan.revote_percent), share(plan.challenge_percent));
    let first = plan.ballots.saturating_sub(revotes + challenges).max(1);
    let room = plan.ballots - first;
    let revotes = revotes.min(room);
    let challenges = challenges.min(room - revotes);
    let mut rng = rand::rng();
    // Sort keys: the k-th first ballot at k, each extra ballot between its voter's first
    // ballot and the end.
    let mut keyed: Vec<(f64, usize, Intent)> = (0..first)
        .map(|k| (k as f64, k % voters, Intent::Cast))
        .collect();
    let voted = first.min(voters);
    let extras = std::iter::repeat_n(Intent::Cast, revotes)
        .chain(std::iter::repeat_n(Intent::Challenge, challenges));
    for intent in extras {
        let voter = rng.random_range(0..voted);
        let key = rng.random_range(voter as f64 + 0.5..first as f64 + 0.5);
        keyed.push((key, voter, intent));
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, v, i)| (v, i)).collect())
}

/// Encrypts and signs the ballots of `plan` for the voters of the demo election in `demo`
/// (its record in `demo/record`, the voters' credentials in `demo/private`), on all cores.
pub fn prepare(demo: &Path, plan: &BallotPlan, progress: &dyn Progress) -> Result<Prepared> {
    let setup = authority::load_setup(&demo.join("record"))?;
    let context = setup.voting_context();
    let credentials = demo_credentials(demo)?;
    let schedule = schedule(plan, credentials.len())?;
    progress.begin("encrypting ballots", schedule.len() as u64);
    let submissions: Vec<Submission> = schedule
        .par_iter()
        .map(|&(voter, intent)| {
            let submission = encrypt(&context, &credentials[voter], intent);
            progress.advance(1);
            submission
        })
        .collect::<Result<_>>()?;
    progress.end();
    let (revotes, challenges) = extras(&schedule, credentials.len());
    Ok(Prepared {
        revotes,
        challenges,
        submissions,
        context,
        credentials: setup.credentials,
    })
}

/// The re-votes (cast ballots of a voter who cast before) and challenges in `schedule`.
fn extras(schedule: &[(usize, Intent)], voters: usize) -> (usize, usize) {
    let mut cast = vec![false; voters];
    let (mut revotes, mut challenges) = (0, 0);
    for &(voter, intent) in schedule {
        match intent {
            Intent::Challenge => challenges += 1,
            Intent::Cast if cast[voter] => revotes += 1,
            Intent::Cast => cast[voter] = true,
        }
    }
    (revotes, challenges)
}

fn encrypt(ctx: &VotingContext, credential: &Credential, intent: Intent) -> Result<Submission> {
    let prepared = encrypt_ballot(ctx, credential, &random_selections(&ctx.manifest)?)?;
    let code = prepared.code();
    let entry = match intent {
        Intent::Cast => prepared.cast(credential)?,
        Intent::Challenge => prepared.challenge(credential)?,
    };
    // The ballot as `fairtally voter cast` or `voter challenge` writes it (canonical JSON).
    Ok(Submission {
        body: canonical_json(&entry)?.into(),
        expected: Expected::Ballot(code),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(ballots: usize, revote_percent: f64, challenge_percent: f64) -> BallotPlan {
        BallotPlan {
            ballots,
            revote_percent,
            challenge_percent,
        }
    }

    #[test]
    fn every_extra_ballot_comes_after_its_voters_first() -> Result<()> {
        let order = schedule(&plan(1000, 5.0, 2.0), 2000)?;
        assert_eq!(order.len(), 1000);
        let mut seen = vec![false; 2000];
        for &(voter, intent) in &order {
            if !seen[voter] {
                assert_eq!(intent, Intent::Cast, "voter {voter}'s first ballot");
                seen[voter] = true;
            }
        }
        assert_eq!(extras(&order, 2000), (50, 20));
        Ok(())
    }

    #[test]
    fn more_ballots_than_voters_go_round_again() -> Result<()> {
        let order = schedule(&plan(10, 0.0, 0.0), 3)?;
        let voters: Vec<usize> = order.iter().map(|(v, _)| *v).collect();
        assert_eq!(voters, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(extras(&order, 3), (7, 0));
        Ok(())
    }

    #[test]
    fn nonsense_plans_are_refused() {
        for bad in [
            plan(0, 0.0, 0.0),
            plan(10, 101.0, 0.0),
            plan(10, 60.0, 60.0),
        ] {
            assert!(matches!(schedule(&bad, 5), Err(LoadError::Options(_))));
        }
        assert!(schedule(&plan(10, 0.0, 0.0), 0).is_err());
    }
}
