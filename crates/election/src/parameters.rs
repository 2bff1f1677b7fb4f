//! The election parameters: how many guardians and how many of them decrypt, the election's
//! unique value, and the bulletin board it is published on (the operator's key and the witness
//! policy), with the ceremony context that binds the key ceremony's proofs to all of it.
//!
//! Because the board's keys are parameters, they are hashed into the ceremony context and so
//! into the base hash: whoever pins an election's fingerprint (its base hash) also pins the
//! board that decides the order and completeness of its record.

use fairtally_board::checkpoint::TrustPolicy;
use fairtally_crypto::hash::{Digest, hash_parts};
use fairtally_crypto::random::random_bytes;
use serde::{Deserialize, Serialize};

use crate::error::{ElectionError, Result};
use crate::manifest::Manifest;
use crate::record::{ItemKind, RecordItem};

/// The largest number of guardians accepted (the ceremony is quadratic in it).
pub const MAX_GUARDIANS: u32 = 100;

/// The largest number of witnesses a board policy may list.
pub const MAX_WITNESSES: usize = 100;

/// Domain separator of the ceremony context.
pub const CEREMONY_CONTEXT_DOMAIN: &str = "fairtally/ceremony-context/v2";

/// The election's shape and anchors: `guardians` trustees, any `threshold` of whom can decrypt;
/// a random election id; the board's trust policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionParameters {
    /// n: the number of guardians (sequence numbers 1..=n).
    pub guardians: u32,
    /// k: the number of guardians needed to decrypt (1 <= k <= n).
    pub threshold: u32,
    /// 32 random bytes from the operating system, drawn when the election is created, so that
    /// no two elections (even with the same manifest) share a ceremony context and no key
    /// ceremony proof can be replayed from one to another.
    pub election_id: Digest,
    /// The bulletin board the record is published on.
    pub board: BoardPolicy,
}

/// The trust policy of the election's bulletin board, as stored in `parameters.json`: the
/// operator's verifier key (its name is the log's origin), the witnesses' keys, and how many
/// witnesses must cosign a checkpoint. Keys are C2SP note verifier keys (`name+hash+base64`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardPolicy {
    /// The operator's verifier key.
    pub operator: String,
    /// The witnesses' verifier keys.
    pub witnesses: Vec<String>,
    /// How many distinct witnesses must cosign.
    pub quorum: u32,
}

impl BoardPolicy {
    /// The stored form of a board's trust policy.
    pub fn from_trust(policy: &TrustPolicy) -> Self {
        BoardPolicy {
            operator: policy.operator.to_vkey(),
            witnesses: policy.witnesses.iter().map(|w| w.to_vkey()).collect(),
            quorum: u32::try_from(policy.quorum).unwrap_or(u32::MAX),
        }
    }

    /// The trust policy, after checking every key and the quorum as the board does.
    pub fn to_trust(&self) -> Result<TrustPolicy> {
        if self.witnesses.len() > MAX_WITNESSES {
            return Err(ElectionError::Parameters(format!(
                "the board policy lists {} witnesses, at most {MAX_WITNESSES} are accepted",
                self.witnesses.len()
            )));
        }
        let mut text = format!("operator {}\n", self.operator);
        for witness in &self.witnesses {
            text.push_str(&format!("witness {witness}\n"));
        }
        text.push_str(&format!("quorum {}\n", self.quorum));
        let policy = TrustPolicy::parse(&text, "parameters.json board")
            .map_err(|e| ElectionError::Parameters(e.to_string()))?;
        // Only one spelling of each key: the stored form must be the policy's own.
        if BoardPolicy::from_trust(&policy) != *self {
            return Err(ElectionError::Parameters(
                "the board policy is not in its canonical form".into(),
            ));
        }
        Ok(policy)
    }
}

impl ElectionParameters {
    /// Parameters for a new election on the board with trust policy `board`, with a fresh
    /// election id, after checking 1 <= threshold <= guardians <= [`MAX_GUARDIANS`].
    pub fn new(guardians: u32, threshold: u32, board: &TrustPolicy) -> Result<Self> {
        let parameters = ElectionParameters {
            guardians,
            threshold,
            election_id: Digest(random_bytes::<32>()),
            board: BoardPolicy::from_trust(board),
        };
        parameters.validate()?;
        Ok(parameters)
    }

    /// Check 1 <= threshold <= guardians <= [`MAX_GUARDIANS`] and the board policy.
    pub fn validate(&self) -> Result<()> {
        if self.guardians == 0 || self.guardians > MAX_GUARDIANS {
            return Err(ElectionError::Parameters(format!(
                "the number of guardians must be 1 to {MAX_GUARDIANS}, got {}",
                self.guardians
            )));
        }
        if self.threshold == 0 || self.threshold > self.guardians {
            return Err(ElectionError::Parameters(format!(
                "the threshold must be 1 to the number of guardians ({}), got {}",
                self.guardians, self.threshold
            )));
        }
        self.board.to_trust().map(|_| ())
    }

    /// The board's trust policy (see [`BoardPolicy::to_trust`]).
    pub fn board_policy(&self) -> Result<TrustPolicy> {
        self.board.to_trust()
    }

    /// The guardians' sequence numbers, 1..=n.
    pub fn guardian_indices(&self) -> impl Iterator<Item = u32> {
        1..=self.guardians
    }
}

/// Parameters on a board with a throw-away operator key, for the crate's unit tests.
#[cfg(test)]
pub(crate) fn for_tests(guardians: u32, threshold: u32) -> Result<ElectionParameters> {
    let operator =
        fairtally_board::note::NoteSigner::generate("board.example/test", fairtally_board::note::KeyRole::Operator)?;
    ElectionParameters::new(guardians, threshold, &TrustPolicy::operator_only(operator.verifier()))
}

impl RecordItem for ElectionParameters {
    const KIND: ItemKind = ItemKind::Parameters;
}

/// The context of the key ceremony's proofs: `H(CEREMONY_CONTEXT_DOMAIN, manifest, parameters)`
/// over their canonical bytes (the parameters hold the election id and the board policy). The
/// election's base hash extends it once the ceremony is done.
pub fn ceremony_context(manifest: &Manifest, parameters: &ElectionParameters) -> Result<Digest> {
    Ok(hash_parts(
        CEREMONY_CONTEXT_DOMAIN,
        &[&manifest.canonical_bytes()?, &parameters.canonical_bytes()?],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use fairtally_board::note::{KeyRole, NoteSigner};

    fn policy() -> TrustPolicy {
        let operator = NoteSigner::generate("board.example/test", KeyRole::Operator);
        TrustPolicy::operator_only(operator.map(|o| o.verifier()).unwrap())
    }

    #[test]
    fn thresholds_outside_one_to_n_are_rejected() {
        let board = policy();
        assert!(ElectionParameters::new(5, 3, &board).is_ok());
        assert!(ElectionParameters::new(1, 1, &board).is_ok());
        for (n, k) in [(0, 0), (3, 0), (3, 4), (MAX_GUARDIANS + 1, 1)] {
            let err = ElectionParameters::new(n, k, &board)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("parameters:"), "{err}");
        }
    }

    #[test]
    fn the_board_policy_round_trips_and_bad_keys_are_rejected() -> Result<()> {
        let board = policy();
        let mut parameters = ElectionParameters::new(3, 2, &board)?;
        assert_eq!(parameters.board_policy()?, board);
        parameters.board.quorum = 1;
        assert!(parameters.validate().is_err(), "quorum above the witnesses");
        parameters.board.quorum = 0;
        parameters.board.operator.push('x');
        assert!(parameters.validate().is_err(), "a garbled key");
        Ok(())
    }

    #[test]
    fn ceremony_context_depends_on_manifest_parameters_election_and_board() -> Result<()> {
        let m = Manifest::default_demo()?;
        let board = policy();
        let p = ElectionParameters::new(5, 3, &board)?;
        let a = ceremony_context(&m, &p)?;
        let mut fewer = p.clone();
        fewer.threshold = 2;
        assert_ne!(a, ceremony_context(&m, &fewer)?);
        let mut m2 = m.clone();
        m2.title.push('!');
        assert_ne!(a, ceremony_context(&m2, &p)?);
        // Same manifest and shape, another election: another context.
        assert_ne!(
            a,
            ceremony_context(&m, &ElectionParameters::new(5, 3, &board)?)?
        );
        // Same election on another board: another context.
        let mut other = p.clone();
        other.board = BoardPolicy::from_trust(&policy());
        assert_ne!(a, ceremony_context(&m, &other)?);
        Ok(())
    }
}
