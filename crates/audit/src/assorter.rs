//! SHANGRLA's assorters: for each claim an audit must confirm, a function of a ballot with
//! values in `[0, upper]` whose mean over all ballots exceeds 1/2 exactly when the claim holds.
//!
//! - Plurality (and vote-for-n), winner `w` against loser `l`:
//!   `a(b) = (1 + [b votes w] − [b votes l]) / 2`, upper bound 1.
//! - Supermajority, winner `w` needing more than a fraction `f` of valid votes:
//!   `a(b) = 1/(2f)` for a valid vote for `w`, `0` for a valid vote for another option, `1/2`
//!   for no valid vote (blank or overvoted); upper bound `max(1/(2f), 1/2)`.
//!
//! Both are linear in a batch's counts, so a station's protocol gives the batch's total.

use serde::{Deserialize, Serialize};

use crate::contest::{Contest, Rule};
use crate::error::AuditError;

/// One assorter of a contest.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Assorter {
    /// Reported winner `winner` beat reported loser `loser`.
    Pair {
        /// Winner's option index.
        winner: usize,
        /// Loser's option index.
        loser: usize,
    },
    /// Reported winner `winner` has more than `fraction` of the valid votes.
    Supermajority {
        /// Winner's option index.
        winner: usize,
        /// The required share.
        fraction: f64,
    },
}

impl Assorter {
    /// Every assorter of `contest`.
    pub fn of(contest: &Contest) -> Result<Vec<Self>, AuditError> {
        match contest.rule {
            Rule::Plurality { .. } => Ok(contest
                .pairs()?
                .into_iter()
                .map(|p| Self::Pair {
                    winner: p.winner,
                    loser: p.loser,
                })
                .collect()),
            Rule::Supermajority { fraction } => {
                contest.pairs()?;
                Ok(vec![Self::Supermajority {
                    winner: contest.winners()[0],
                    fraction,
                }])
            }
        }
    }

    /// The largest value the assorter takes.
    pub fn upper(&self) -> f64 {
        match *self {
            Self::Pair { .. } => 1.0,
            Self::Supermajority { fraction, .. } => (0.5 / fraction).max(0.5),
        }
    }

    /// Its value on one ballot marked for the options `marks`. A vote-for-one ballot with
    /// several marks is an overvote: no valid vote.
    pub fn ballot(&self, marks: &[usize]) -> f64 {
        match *self {
            Self::Pair { winner, loser } => {
                let w = f64::from(u8::from(marks.contains(&winner)));
                let l = f64::from(u8::from(marks.contains(&loser)));
                (1.0 + w - l) / 2.0
            }
            Self::Supermajority { winner, fraction } => match marks {
                [only] if *only == winner => 0.5 / fraction,
                [_] => 0.0,
                _ => 0.5,
            },
        }
    }

    /// Its total over a batch of `ballots` ballots with `votes[i]` valid votes for option `i`.
    pub fn batch_total(&self, votes: &[u64], ballots: u64) -> f64 {
        let n = ballots as f64;
        match *self {
            Self::Pair { winner, loser } => (n + votes[winner] as f64 - votes[loser] as f64) / 2.0,
            Self::Supermajority { winner, fraction } => {
                let valid: u64 = votes.iter().sum();
                votes[winner] as f64 * 0.5 / fraction + (n - valid as f64).max(0.0) * 0.5
            }
        }
    }

    /// The reported mean of the assorter over the contest's ballots.
    pub fn reported_mean(&self, contest: &Contest) -> f64 {
        let votes: Vec<u64> = contest.choices.iter().map(|c| c.votes).collect();
        self.batch_total(&votes, contest.ballots) / contest.ballots as f64
    }

    /// A short label such as `Alice > Bob`.
    pub fn label(&self, contest: &Contest) -> String {
        match *self {
            Self::Pair { winner, loser } => format!(
                "{} > {}",
                contest.choices[winner].name, contest.choices[loser].name
            ),
            Self::Supermajority { winner, fraction } => {
                format!(
                    "{} > {fraction} of valid votes",
                    contest.choices[winner].name
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contest::parse_tally;

    #[test]
    fn ballot_values_add_up_to_batch_totals() {
        let c = Contest::new(
            "c",
            parse_tally("A=70,B=20,C=5").unwrap(),
            Some(100),
            Rule::Supermajority { fraction: 0.6 },
        )
        .unwrap();
        for a in Assorter::of(&c).unwrap() {
            // 70 for A, 20 for B, 5 for C, 5 blank.
            let by_ballot = 70.0 * a.ballot(&[0])
                + 20.0 * a.ballot(&[1])
                + 5.0 * a.ballot(&[2])
                + 5.0 * a.ballot(&[]);
            assert!((by_ballot - a.batch_total(&[70, 20, 5], 100)).abs() < 1e-9);
            // 70/95 > 0.6, so the mean exceeds 1/2.
            assert!(a.reported_mean(&c) > 0.5);
        }
    }
}
