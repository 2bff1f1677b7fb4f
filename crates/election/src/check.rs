//! The named checks of verification and the failures they report.

use std::fmt;

/// One named check the verifier performs. Their names are what `fairtally verify` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Check {
    /// Every file of the record directory is a file of an election record.
    RecordFiles,
    /// The record's format and version are known.
    RecordFormat,
    /// The manifest is well formed.
    Manifest,
    /// The parameters are possible.
    Parameters,
    /// Each guardian's commitments and transport key carry valid Schnorr proofs.
    GuardianCommitments,
    /// The key ceremony's encrypted share messages are the complete set, one from every
    /// guardian to every other in their canonical order, each signed by its sender.
    CeremonyShares,
    /// No complaint was filed in the key ceremony; each one found is judged and named.
    CeremonyComplaints,
    /// The credential list holds valid, distinct keys.
    CredentialList,
    /// `context.json` matches the base hash and joint key recomputed from the set-up.
    ElectionContext,
    /// The election's fingerprint (its base hash) is the one the person verifying expects.
    Fingerprint,
    /// The board's latest checkpoint is signed (and cosigned) as the election's board policy
    /// demands, and that policy is the one the person verifying pinned.
    BoardCheckpoint,
    /// Every file of the board (entry bundles, hash tiles at every level, archived checkpoints,
    /// policy) is consistent with the signed checkpoint.
    BoardFiles,
    /// Every item of the record is the board's entry of its kind at the same position, and
    /// every election entry of the board is in the record.
    BoardContents,
    /// The record's ballots are the board's ballot entries, in the same order.
    BallotOrder,
    /// Each ballot is for this election and has the manifest's contests and options.
    BallotStructure,
    /// Each ballot is signed by its credential.
    BallotSignatures,
    /// Each ballot's credential is on the published list.
    EligibleCredentials,
    /// No ballot appears twice.
    UniqueBallots,
    /// Each selection carries a valid proof that it encrypts 0 or 1.
    SelectionProofs,
    /// Each contest carries a valid proof that its number of selections is within its limits.
    ContestRangeProofs,
    /// Each challenged ballot opens to the choices it claims.
    ChallengedBallots,
    /// The published encrypted tally is the sum of the counted ballots.
    EncryptedTally,
    /// Each decryption share carries a valid proof against its guardian's public key share.
    DecryptionShares,
    /// The published result is the decryption of the encrypted tally.
    Result,
}

impl Check {
    /// Every check, in the order they run and are printed.
    pub const ALL: [Check; 24] = [
        Check::RecordFiles,
        Check::RecordFormat,
        Check::Manifest,
        Check::Parameters,
        Check::GuardianCommitments,
        Check::CeremonyShares,
        Check::CeremonyComplaints,
        Check::CredentialList,
        Check::ElectionContext,
        Check::Fingerprint,
        Check::BoardCheckpoint,
        Check::BoardFiles,
        Check::BoardContents,
        Check::BallotOrder,
        Check::BallotStructure,
        Check::BallotSignatures,
        Check::EligibleCredentials,
        Check::UniqueBallots,
        Check::SelectionProofs,
        Check::ContestRangeProofs,
        Check::ChallengedBallots,
        Check::EncryptedTally,
        Check::DecryptionShares,
        Check::Result,
    ];

    /// The check's printed name.
    pub fn name(self) -> &'static str {
        match self {
            Check::RecordFiles => "record files",
            Check::RecordFormat => "record format",
            Check::Manifest => "manifest",
            Check::Parameters => "parameters",
            Check::GuardianCommitments => "guardian commitments",
            Check::CeremonyShares => "ceremony shares",
            Check::CeremonyComplaints => "ceremony complaints",
            Check::CredentialList => "credential list",
            Check::ElectionContext => "election context",
            Check::Fingerprint => "fingerprint",
            Check::BoardCheckpoint => "board checkpoint",
            Check::BoardFiles => "board files",
            Check::BoardContents => "board contents",
            Check::BallotOrder => "ballot order",
            Check::BallotStructure => "ballot structure",
            Check::BallotSignatures => "ballot signatures",
            Check::EligibleCredentials => "eligible credentials",
            Check::UniqueBallots => "unique ballots",
            Check::SelectionProofs => "selection proofs",
            Check::ContestRangeProofs => "contest range proofs",
            Check::ChallengedBallots => "challenged ballots",
            Check::EncryptedTally => "encrypted tally",
            Check::DecryptionShares => "decryption shares",
            Check::Result => "result",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed check on one item: a ballot (by confirmation code and line), a contest, a guardian.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The check that failed.
    pub check: Check,
    /// The item, e.g. `ballot 7K3D-… (line 12)`, `contest president`, `guardian 2`.
    pub item: String,
    /// Why.
    pub reason: String,
}

impl Failure {
    /// A failure of `check` on `item`.
    pub fn new(check: Check, item: impl Into<String>, reason: impl Into<String>) -> Self {
        Failure {
            check,
            item: item.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed on {}: {}", self.check, self.item, self.reason)
    }
}
