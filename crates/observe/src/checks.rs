//! Internal consistency of one protocol: the arithmetic every honest result sheet satisfies.

use fairtally_results::StationProtocol;
use serde::{Deserialize, Serialize};

/// One arithmetic rule of a result sheet. A check applies only when the protocol has every
/// figure it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Ballots counted = valid + invalid.
    CountedIsValidPlusInvalid,
    /// The votes for all options add up to the valid ballots.
    VotesSumToValid,
    /// No more ballots issued than received.
    IssuedAtMostReceived,
    /// Ballots issued + cancelled do not exceed ballots received.
    IssuedPlusCancelledAtMostReceived,
    /// Turnout at most 100 %: no more ballots issued than voters on the register.
    TurnoutAtMost100,
    /// No more ballots in the boxes than were issued (more is a sign of ballot stuffing).
    CountedAtMostIssued,
    /// The votes for each option do not exceed the valid ballots.
    OptionAtMostValid,
}

impl Check {
    /// All checks, in report order.
    pub const ALL: [Check; 7] = [
        Check::CountedIsValidPlusInvalid,
        Check::VotesSumToValid,
        Check::IssuedAtMostReceived,
        Check::IssuedPlusCancelledAtMostReceived,
        Check::TurnoutAtMost100,
        Check::CountedAtMostIssued,
        Check::OptionAtMostValid,
    ];

    /// Name used in JSON and CSV output.
    pub fn name(self) -> &'static str {
        match self {
            Check::CountedIsValidPlusInvalid => "counted_is_valid_plus_invalid",
            Check::VotesSumToValid => "votes_sum_to_valid",
            Check::IssuedAtMostReceived => "issued_at_most_received",
            Check::IssuedPlusCancelledAtMostReceived => "issued_plus_cancelled_at_most_received",
            Check::TurnoutAtMost100 => "turnout_at_most_100",
            Check::CountedAtMostIssued => "counted_at_most_issued",
            Check::OptionAtMostValid => "option_at_most_valid",
        }
    }

    /// The rule in words, for reports.
    pub fn rule(self) -> &'static str {
        match self {
            Check::CountedIsValidPlusInvalid => "ballots counted = valid + invalid",
            Check::VotesSumToValid => "votes for all options = valid ballots",
            Check::IssuedAtMostReceived => "ballots issued ≤ ballots received",
            Check::IssuedPlusCancelledAtMostReceived => "issued + cancelled ≤ received",
            Check::TurnoutAtMost100 => "ballots issued ≤ registered voters (turnout ≤ 100 %)",
            Check::CountedAtMostIssued => "ballots counted ≤ ballots issued",
            Check::OptionAtMostValid => "votes for each option ≤ valid ballots",
        }
    }
}

/// The result of one applicable check that failed, with the figures that break it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The rule broken.
    pub check: Check,
    /// The figures, e.g. `counted 1590 ≠ valid 1571 + invalid 20`.
    pub detail: String,
}

/// Applies every check to `protocol`: returns the checks that applied, and the failures.
pub fn check_protocol(protocol: &StationProtocol) -> (Vec<Check>, Vec<Failure>) {
    let p = protocol;
    let mut applied = Vec::new();
    let mut failures = Vec::new();
    let mut rule = |check: Check, holds: Option<bool>, detail: &dyn Fn() -> String| {
        if let Some(holds) = holds {
            applied.push(check);
            if !holds {
                failures.push(Failure {
                    check,
                    detail: detail(),
                });
            }
        }
    };
    let (counted, valid, invalid) = (p.ballots_counted, p.valid, p.invalid);
    if let (Some(c), Some(v), Some(i)) = (counted, valid, invalid) {
        rule(
            Check::CountedIsValidPlusInvalid,
            Some(v.checked_add(i) == Some(c)),
            &|| format!("counted {c} ≠ valid {v} + invalid {i}"),
        );
    }
    // Figures come from input: add without overflow (u64::MAX then fails every check).
    let all_votes = p
        .votes
        .iter()
        .try_fold(0u64, |sum, v| v.map(|v| sum.saturating_add(v)));
    if let (Some(sum), Some(v)) = (all_votes, valid) {
        rule(Check::VotesSumToValid, Some(sum == v), &|| {
            format!("votes {sum} ≠ valid {v}")
        });
    }
    if let (Some(i), Some(r)) = (p.ballots_issued, p.ballots_received) {
        rule(Check::IssuedAtMostReceived, Some(i <= r), &|| {
            format!("issued {i} > received {r}")
        });
        if let Some(c) = p.ballots_cancelled {
            rule(
                Check::IssuedPlusCancelledAtMostReceived,
                Some(i.saturating_add(c) <= r),
                &|| format!("issued {i} + cancelled {c} > received {r}"),
            );
        }
    }
    if let (Some(i), Some(r)) = (p.ballots_issued, p.registered) {
        rule(Check::TurnoutAtMost100, Some(i <= r), &|| {
            format!("issued {i} > registered {r}")
        });
    }
    if let (Some(c), Some(i)) = (counted, p.ballots_issued) {
        rule(Check::CountedAtMostIssued, Some(c <= i), &|| {
            format!("counted {c} > issued {i}")
        });
    }
    if let Some(v) = valid {
        let over: Vec<String> = p
            .votes
            .iter()
            .enumerate()
            .filter_map(|(o, n)| n.filter(|&n| n > v).map(|n| format!("option {o}: {n}")))
            .collect();
        if p.votes.iter().any(Option::is_some) {
            rule(Check::OptionAtMostValid, Some(over.is_empty()), &|| {
                format!("{} > valid {v}", over.join(", "))
            });
        }
    }
    (applied, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> StationProtocol {
        StationProtocol {
            registered: Some(1000),
            ballots_received: Some(900),
            ballots_issued: Some(600),
            ballots_cancelled: Some(300),
            ballots_counted: Some(600),
            valid: Some(590),
            invalid: Some(10),
            votes: vec![Some(400), Some(190)],
        }
    }

    #[test]
    fn an_honest_sheet_passes_every_check() {
        let (applied, failures) = check_protocol(&sheet());
        assert_eq!(applied, Check::ALL.to_vec());
        assert!(failures.is_empty(), "{failures:?}");
    }

    #[test]
    fn each_rule_catches_its_violation() {
        type Breaker = fn(&mut StationProtocol);
        let cases: Vec<(Check, Breaker)> = vec![
            (Check::CountedIsValidPlusInvalid, |p| p.invalid = Some(11)),
            (Check::VotesSumToValid, |p| p.votes[1] = Some(191)),
            (Check::IssuedAtMostReceived, |p| {
                p.ballots_received = Some(599)
            }),
            (Check::IssuedPlusCancelledAtMostReceived, |p| {
                p.ballots_cancelled = Some(301)
            }),
            (Check::TurnoutAtMost100, |p| p.registered = Some(599)),
            (Check::CountedAtMostIssued, |p| p.ballots_issued = Some(599)),
        ];
        for (check, break_it) in cases {
            let mut p = sheet();
            break_it(&mut p);
            let (_, failures) = check_protocol(&p);
            assert!(
                failures.iter().any(|f| f.check == check),
                "{check:?}: {failures:?}"
            );
        }
        let mut p = sheet();
        p.valid = Some(300);
        p.votes = vec![Some(301), None];
        let (_, failures) = check_protocol(&p);
        let over = failures
            .iter()
            .find(|f| f.check == Check::OptionAtMostValid);
        assert_eq!(
            over.map(|f| f.detail.as_str()),
            Some("option 0: 301 > valid 300")
        );
    }

    #[test]
    fn checks_without_their_figures_do_not_apply() {
        let p = StationProtocol {
            votes: vec![Some(3), None],
            ..StationProtocol::default()
        };
        let (applied, failures) = check_protocol(&p);
        assert!(applied.is_empty() && failures.is_empty());
    }
}
