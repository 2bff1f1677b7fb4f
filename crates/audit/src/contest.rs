//! A contest's reported result: options with their votes, the ballots cast, the rule that
//! picks the winners, and the winner–loser pairs an audit must confirm.

use serde::{Deserialize, Serialize};

use crate::error::AuditError;

/// How a contest is decided.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Rule {
    /// The `winners` options with the most votes win (vote-for-n when `winners > 1`).
    Plurality {
        /// How many options win.
        winners: usize,
    },
    /// The leading option wins only with more than `fraction` of the valid votes
    /// (vote-for-one).
    Supermajority {
        /// The share of valid votes the winner needs, in (0, 1).
        fraction: f64,
    },
}

/// One option and its reported votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The option's name as on the ballot.
    pub name: String,
    /// Its reported votes.
    pub votes: u64,
}

/// A reported contest result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contest {
    /// The contest's name.
    pub name: String,
    /// The options with their reported votes.
    pub choices: Vec<Choice>,
    /// Ballots cast in the contest, including those with no valid vote in it.
    pub ballots: u64,
    /// How the winners are decided.
    pub rule: Rule,
}

/// The options a ballot is marked for, by index into [`Contest::choices`].
pub type Marks = Vec<usize>;

/// A ballot of a comparison sample: its cast vote record's marks, then its paper's.
pub type ComparedBallot = (Marks, Marks);

/// A reported winner and a reported loser, by index into [`Contest::choices`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The reported winner.
    pub winner: usize,
    /// The reported loser.
    pub loser: usize,
}

/// Parses a tally `NAME=VOTES,NAME=VOTES,…`.
pub fn parse_tally(text: &str) -> Result<Vec<Choice>, AuditError> {
    let mut choices: Vec<Choice> = Vec::new();
    for part in text.split(',') {
        let Some((name, votes)) = part.split_once('=') else {
            return Err(AuditError::invalid(
                "--tally",
                format!("{part:?} is not NAME=VOTES"),
            ));
        };
        let name = name.trim();
        let votes: u64 = votes.trim().parse().map_err(|_| {
            AuditError::invalid(
                "--tally",
                format!(
                    "the votes of {name:?}, {:?}, are not a whole number",
                    votes.trim()
                ),
            )
        })?;
        if name.is_empty() || choices.iter().any(|c| c.name == name) {
            return Err(AuditError::invalid(
                "--tally",
                format!("option name {name:?} is empty or repeated"),
            ));
        }
        choices.push(Choice {
            name: name.to_owned(),
            votes,
        });
    }
    Ok(choices)
}

impl Contest {
    /// Checks and builds a contest. `ballots` defaults to the votes cast when `None` (every
    /// ballot then holds one vote, or `winners` votes in a vote-for-n contest).
    pub fn new(
        name: &str,
        choices: Vec<Choice>,
        ballots: Option<u64>,
        rule: Rule,
    ) -> Result<Self, AuditError> {
        let votes: u64 = choices.iter().map(|c| c.votes).sum();
        let per_ballot = match rule {
            Rule::Plurality { winners } => winners as u64,
            Rule::Supermajority { .. } => 1,
        };
        let ballots = ballots.unwrap_or(votes.div_ceil(per_ballot.max(1)));
        if votes > ballots.saturating_mul(per_ballot) {
            return Err(AuditError::contest(
                name,
                format!(
                    "{votes} votes cannot be cast on {ballots} ballots with {per_ballot} vote(s) each"
                ),
            ));
        }
        if ballots == 0 {
            return Err(AuditError::contest(name, "no ballots were cast"));
        }
        match rule {
            Rule::Plurality { winners: 0 } => {
                return Err(AuditError::contest(
                    name,
                    "a contest needs at least one winner",
                ));
            }
            Rule::Supermajority { fraction } if !(fraction > 0.0 && fraction < 1.0) => {
                return Err(AuditError::contest(
                    name,
                    format!("the supermajority fraction {fraction} is not in (0, 1)"),
                ));
            }
            _ => {}
        }
        let contest = Self {
            name: name.to_owned(),
            choices,
            ballots,
            rule,
        };
        contest.pairs()?;
        Ok(contest)
    }

    /// Option indices from the most to the fewest votes (ties keep the tally's order).
    fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.choices.len()).collect();
        order.sort_by(|&a, &b| self.choices[b].votes.cmp(&self.choices[a].votes));
        order
    }

    /// The reported winners.
    pub fn winners(&self) -> Vec<usize> {
        let k = match self.rule {
            Rule::Plurality { winners } => winners,
            Rule::Supermajority { .. } => 1,
        };
        self.ranking().into_iter().take(k).collect()
    }

    /// Every (reported winner, reported loser) pair. Errors when there is no loser, when the
    /// last winner ties the first loser, or when a supermajority was not reached.
    pub fn pairs(&self) -> Result<Vec<Pair>, AuditError> {
        let ranking = self.ranking();
        let winners = self.winners();
        if ranking.len() <= winners.len() {
            return Err(AuditError::contest(
                &self.name,
                "no losers: every option wins, there is nothing to audit",
            ));
        }
        let last = self.choices[winners[winners.len() - 1]].votes;
        let first_loser = self.choices[ranking[winners.len()]].votes;
        if last == first_loser {
            return Err(AuditError::contest(
                &self.name,
                format!("tied contest: a winner and a loser both have {last} votes"),
            ));
        }
        if let Rule::Supermajority { fraction } = self.rule {
            let valid: u64 = self.choices.iter().map(|c| c.votes).sum();
            if (last as f64) <= fraction * valid as f64 {
                return Err(AuditError::contest(
                    &self.name,
                    format!("the leader's {last} of {valid} valid votes do not exceed {fraction}"),
                ));
            }
        }
        Ok(winners
            .iter()
            .flat_map(|&w| {
                ranking[winners.len()..].iter().map(move |&l| Pair {
                    winner: w,
                    loser: l,
                })
            })
            .collect())
    }

    /// The pair with the smallest reported margin: the last winner and the first loser.
    pub fn closest_pair(&self) -> Result<Pair, AuditError> {
        let pairs = self.pairs()?;
        pairs
            .into_iter()
            .min_by_key(|p| self.choices[p.winner].votes - self.choices[p.loser].votes)
            .ok_or_else(|| AuditError::contest(&self.name, "no winner-loser pair"))
    }

    /// The smallest winner–loser margin divided by the ballots cast (the diluted margin).
    pub fn diluted_margin(&self) -> Result<f64, AuditError> {
        let p = self.closest_pair()?;
        Ok(
            (self.choices[p.winner].votes - self.choices[p.loser].votes) as f64
                / self.ballots as f64,
        )
    }

    /// The index of the option named `name`.
    pub fn option(&self, name: &str) -> Option<usize> {
        self.choices.iter().position(|c| c.name == name)
    }

    /// Parses one sampled ballot's marks: option names separated by `;`, empty for none.
    /// The reason names the unknown option and lists the known ones.
    pub fn parse_marks(&self, text: &str) -> Result<Vec<usize>, String> {
        let mut marks = Vec::new();
        for name in text.split(';').map(str::trim).filter(|n| !n.is_empty()) {
            let index = self.option(name).ok_or_else(|| {
                format!(
                    "unknown option {name:?} (the contest {:?} has: {})",
                    self.name,
                    self.choices
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            if !marks.contains(&index) {
                marks.push(index);
            }
        }
        Ok(marks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contest(tally: &str, winners: usize) -> Result<Contest, AuditError> {
        Contest::new("c", parse_tally(tally)?, None, Rule::Plurality { winners })
    }

    #[test]
    fn pairs_and_errors() {
        let c = contest("A=300,B=200,C=100", 2).unwrap();
        assert_eq!(c.winners(), vec![0, 1]);
        assert_eq!(c.pairs().unwrap().len(), 2);
        assert_eq!(
            c.closest_pair().unwrap(),
            Pair {
                winner: 1,
                loser: 2
            }
        );
        assert!(
            contest("A=5,B=5", 1)
                .unwrap_err()
                .to_string()
                .contains("tied")
        );
        assert!(
            contest("A=5", 1)
                .unwrap_err()
                .to_string()
                .contains("no losers")
        );
        assert!(parse_tally("A=5,B").is_err());
        assert!(parse_tally("A=5,A=3").is_err());
        assert!(parse_tally("A=-1").is_err());
        let e = Contest::new(
            "c",
            parse_tally("A=10,B=5").unwrap(),
            Some(10),
            Rule::Plurality { winners: 1 },
        );
        assert!(e.unwrap_err().to_string().contains("cannot be cast"));
        let s = Contest::new(
            "c",
            parse_tally("A=60,B=40").unwrap(),
            None,
            Rule::Supermajority {
                fraction: 2.0 / 3.0,
            },
        );
        assert!(s.unwrap_err().to_string().contains("do not exceed"));
    }

    #[test]
    fn marks() {
        let c = contest("A=3,B=2", 1).unwrap();
        assert_eq!(c.parse_marks("").unwrap(), Vec::<usize>::new());
        assert_eq!(c.parse_marks("B").unwrap(), vec![1]);
        assert!(
            c.parse_marks("Z")
                .unwrap_err()
                .contains("unknown option \"Z\"")
        );
    }
}
