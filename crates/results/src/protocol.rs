//! The figures of one result sheet (protocol) of a polling station.

use serde::{Deserialize, Serialize};

/// One figure of a protocol other than the votes per option. The order is the order of a
/// result sheet and of every table fairtally prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Voters on the register of the station.
    Registered,
    /// Ballots the station received.
    BallotsReceived,
    /// Ballots issued to voters (early, in the room and outside it): the voters who took part.
    BallotsIssued,
    /// Unused ballots cancelled after the close.
    BallotsCancelled,
    /// Ballots found in the boxes and counted (valid + invalid).
    BallotsCounted,
    /// Valid ballots.
    Valid,
    /// Invalid (spoilt) ballots.
    Invalid,
}

impl Field {
    /// All fields, in result-sheet order.
    pub const ALL: [Field; 7] = [
        Field::Registered,
        Field::BallotsReceived,
        Field::BallotsIssued,
        Field::BallotsCancelled,
        Field::BallotsCounted,
        Field::Valid,
        Field::Invalid,
    ];

    /// The name used in mapping files, JSON and CSV output (`ballots_issued`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Field::Registered => "registered",
            Field::BallotsReceived => "ballots_received",
            Field::BallotsIssued => "ballots_issued",
            Field::BallotsCancelled => "ballots_cancelled",
            Field::BallotsCounted => "ballots_counted",
            Field::Valid => "valid",
            Field::Invalid => "invalid",
        }
    }
}

/// The figures of a station's result sheet. Every figure is optional: a source may lack it
/// (voters' reports have no count of ballots received; some official files have no cancelled
/// ballots). `votes[i]` is the count for option `i` of the election's option list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationProtocol {
    /// Voters on the register.
    pub registered: Option<u64>,
    /// Ballots received by the station.
    pub ballots_received: Option<u64>,
    /// Ballots issued to voters: the number of voters who took part.
    pub ballots_issued: Option<u64>,
    /// Unused ballots cancelled.
    pub ballots_cancelled: Option<u64>,
    /// Ballots counted (valid + invalid).
    pub ballots_counted: Option<u64>,
    /// Valid ballots.
    pub valid: Option<u64>,
    /// Invalid ballots.
    pub invalid: Option<u64>,
    /// Votes per option, indexed like [`crate::ElectionResults::options`]; `None` where the
    /// source has no figure for that option.
    pub votes: Vec<Option<u64>>,
}

impl StationProtocol {
    /// An empty protocol (no figures) for an election with `options` options.
    pub fn empty(options: usize) -> Self {
        StationProtocol {
            votes: vec![None; options],
            ..StationProtocol::default()
        }
    }

    /// The value of one figure.
    pub fn get(&self, field: Field) -> Option<u64> {
        match field {
            Field::Registered => self.registered,
            Field::BallotsReceived => self.ballots_received,
            Field::BallotsIssued => self.ballots_issued,
            Field::BallotsCancelled => self.ballots_cancelled,
            Field::BallotsCounted => self.ballots_counted,
            Field::Valid => self.valid,
            Field::Invalid => self.invalid,
        }
    }

    /// Sets one figure.
    pub fn set(&mut self, field: Field, value: Option<u64>) {
        let slot = match field {
            Field::Registered => &mut self.registered,
            Field::BallotsReceived => &mut self.ballots_received,
            Field::BallotsIssued => &mut self.ballots_issued,
            Field::BallotsCancelled => &mut self.ballots_cancelled,
            Field::BallotsCounted => &mut self.ballots_counted,
            Field::Valid => &mut self.valid,
            Field::Invalid => &mut self.invalid,
        };
        *slot = value;
    }

    /// Votes for option `option`, if the source has that figure.
    pub fn votes_for(&self, option: usize) -> Option<u64> {
        self.votes.get(option).copied().flatten()
    }

    /// True when the protocol holds no figure at all.
    pub fn is_empty(&self) -> bool {
        Field::ALL.iter().all(|&f| self.get(f).is_none()) && self.votes.iter().all(Option::is_none)
    }

    /// The number of voters who took part: ballots issued, or else ballots counted.
    pub fn voters(&self) -> Option<u64> {
        self.ballots_issued.or(self.ballots_counted)
    }

    /// Turnout as a fraction of the register (`voters / registered`), when both are known and
    /// the register is not empty.
    pub fn turnout(&self) -> Option<f64> {
        match (self.voters(), self.registered) {
            (Some(v), Some(r)) if r > 0 => Some(v as f64 / r as f64),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_and_set_cover_every_field() {
        let mut p = StationProtocol::empty(2);
        assert!(p.is_empty());
        for (i, f) in Field::ALL.iter().enumerate() {
            p.set(*f, Some(i as u64 + 10));
        }
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(p.get(*f), Some(i as u64 + 10), "{}", f.name());
        }
        assert!(!p.is_empty());
    }

    #[test]
    fn turnout_uses_issued_then_counted() {
        let mut p = StationProtocol::empty(0);
        p.registered = Some(200);
        assert_eq!(p.turnout(), None);
        p.ballots_counted = Some(50);
        assert_eq!(p.turnout(), Some(0.25));
        p.ballots_issued = Some(100);
        assert_eq!(p.turnout(), Some(0.5));
        p.registered = Some(0);
        assert_eq!(p.turnout(), None);
    }
}
