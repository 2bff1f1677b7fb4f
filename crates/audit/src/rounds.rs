//! An audit's rounds, its verdict and its escalation, as one record the CLI prints and the
//! report shows.

use serde::{Deserialize, Serialize};

/// The statistical method of an audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// BRAVO ballot polling.
    Bravo,
    /// ALPHA ballot polling.
    Alpha,
    /// Ballot-level comparison, Kaplan–Markov.
    Comparison,
    /// Batch-level comparison (stations), MACRO with Kaplan–Markov.
    Batch,
}

impl Method {
    /// What the method samples, in words.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Bravo | Self::Alpha | Self::Comparison => "ballots",
            Self::Batch => "polling stations",
        }
    }

    /// Its name as the report shows it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Bravo => "BRAVO ballot-polling audit",
            Self::Alpha => "ALPHA ballot-polling audit",
            Self::Comparison => "ballot-level comparison audit (Kaplan–Markov)",
            Self::Batch => {
                "batch-level comparison audit of polling stations (MACRO, Kaplan–Markov)"
            }
        }
    }
}

/// One round: how many units had been examined by its end and the measured risk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// Round number, from 1.
    pub round: u32,
    /// Units examined by the end of the round (cumulative).
    pub sample_size: u64,
    /// The risk after the round.
    pub risk: f64,
}

/// What the audit concludes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// The risk is at most the risk limit: the reported outcome stands.
    Confirmed,
    /// Not yet: examine more units.
    Escalate {
        /// Suggested size of the next round (further units), when one is computable.
        next_round_size: Option<u64>,
    },
    /// The sample has reached every unit: count everything by hand; the hand count decides.
    FullHandCount,
}

/// Decides after a round: confirmed when `risk ≤ risk_limit`; otherwise a full hand count
/// once the sample (with `next` more) would reach `population` units, else escalate.
pub fn verdict(
    risk: f64,
    risk_limit: f64,
    examined: u64,
    population: u64,
    next: Option<u64>,
) -> Verdict {
    if risk <= risk_limit {
        Verdict::Confirmed
    } else if examined >= population || next.is_some_and(|n| examined + n >= population) {
        Verdict::FullHandCount
    } else {
        Verdict::Escalate {
            next_round_size: next,
        }
    }
}

/// A whole audit as written to `audit.json` and read by `fairtally audit report`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The method.
    pub method: Method,
    /// The contests audited.
    pub contests: Vec<String>,
    /// The reported winners, by contest.
    pub winners: Vec<String>,
    /// The risk limit.
    pub risk_limit: f64,
    /// Units in the population (ballots, or stations for a batch audit).
    pub population: u64,
    /// Each round's result.
    pub rounds: Vec<Round>,
    /// The verdict after the last round.
    pub verdict: Verdict,
    /// What was sampled and why, in plain words.
    pub sampled: String,
    /// The seed the sample was drawn with, if given.
    pub seed: Option<String>,
}

impl AuditRecord {
    /// The risk after the last round (1 before any).
    pub fn risk(&self) -> f64 {
        self.rounds.last().map_or(1.0, |r| r.risk)
    }

    /// What the result means, in two plain sentences.
    pub fn meaning(&self) -> String {
        let limit = percent(self.risk_limit);
        let risk = percent(self.risk());
        let winners = self.winners.join("; ");
        match &self.verdict {
            Verdict::Confirmed => format!(
                "The {} checked by hand agree with the reported result ({winners}) closely \
                 enough that, had the reported winners been wrong, this audit would have found \
                 out and led to a full hand count with a chance of at least {}. The remaining \
                 risk that a wrong outcome stands is {risk}, within the risk limit of {limit}.",
                self.method.unit(),
                percent(1.0 - self.risk_limit)
            ),
            Verdict::Escalate { next_round_size } => format!(
                "The {} checked so far do not yet show strongly enough that the reported winners \
                 ({winners}) really won: the risk is {risk}, above the limit of {limit}. The \
                 audit must go on{}, and if the evidence never suffices every ballot is counted \
                 by hand.",
                self.method.unit(),
                next_round_size
                    .map(|n| format!(" with about {n} more {}", self.method.unit()))
                    .unwrap_or_default()
            ),
            Verdict::FullHandCount => format!(
                "The sample has reached every unit without confirming the reported result \
                 ({winners}): the risk is still {risk}, above the limit of {limit}. All ballots \
                 must be counted by hand, and that count decides the outcome."
            ),
        }
    }
}

/// A probability as a percentage with sensible precision.
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct >= 10.0 || pct == 0.0 {
        format!("{pct:.1}%")
    } else if pct >= 0.1 {
        format!("{pct:.2}%")
    } else if pct >= 0.001 {
        format!("{pct:.4}%")
    } else {
        "less than 0.001%".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(verdict(0.04, 0.05, 10, 100, None), Verdict::Confirmed);
        assert_eq!(
            verdict(0.2, 0.05, 10, 100, Some(20)),
            Verdict::Escalate {
                next_round_size: Some(20)
            }
        );
        assert_eq!(
            verdict(0.2, 0.05, 10, 100, Some(90)),
            Verdict::FullHandCount
        );
        assert_eq!(verdict(0.2, 0.05, 100, 100, None), Verdict::FullHandCount);
    }
}
