//! The election authority's steps over a record directory: create the election, open voting
//! (once the guardians and the registrar have published), accept ballots into the ballot box,
//! close voting (the encrypted tally) and publish the result from the guardians' shares.
//! Each step reads what the earlier ones wrote and refuses to run out of order.

use std::collections::HashSet;
use std::path::Path;

use crate::ballot::BallotEntry;
use crate::context::{ElectionContext, VotingContext};
use crate::credential::{CredentialKey, CredentialList};
use crate::error::{ElectionError, Result};
use crate::guardian::{self, GuardianPublic};
use crate::manifest::Manifest;
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::progress::Progress;
use crate::record::{JsonLinesReader, JsonLinesWriter, RecordHeader, files, read_json, write_json};
use crate::tally::{self, DecryptionShare, ElectionResult, EncryptedTally};
use crate::verifier::{check_ballot, read_credentials, verify_ballots};

/// Everything published before voting, loaded and checked.
pub struct Setup {
    /// The manifest.
    pub manifest: Manifest,
    /// The parameters.
    pub parameters: ElectionParameters,
    /// The guardians' public records.
    pub guardians: Vec<GuardianPublic>,
    /// The credential list.
    pub credentials: CredentialList,
    /// The election context.
    pub context: ElectionContext,
}

impl Setup {
    /// The context for encrypting and checking ballots.
    pub fn voting_context(&self) -> VotingContext {
        VotingContext::new(self.manifest.clone(), &self.context)
    }
}

/// Step 1: start a record directory with the header, manifest and parameters. Refuses to
/// overwrite an existing election.
pub fn create_election(
    dir: &Path,
    manifest: &Manifest,
    parameters: &ElectionParameters,
) -> Result<()> {
    manifest.validate()?;
    parameters.validate()?;
    if dir.join(files::MANIFEST).exists() {
        return Err(ElectionError::Record(format!(
            "{} already holds an election",
            dir.display()
        )));
    }
    write_json(&dir.join(files::HEADER), &RecordHeader::current())?;
    write_json(&dir.join(files::MANIFEST), manifest)?;
    write_json(&dir.join(files::PARAMETERS), parameters)
}

/// Read the manifest and parameters of a record directory.
pub fn read_election(dir: &Path) -> Result<(Manifest, ElectionParameters)> {
    let manifest: Manifest = read_json(&dir.join(files::MANIFEST))?;
    manifest.validate()?;
    let parameters: ElectionParameters = read_json(&dir.join(files::PARAMETERS))?;
    parameters.validate()?;
    Ok((manifest, parameters))
}

/// Write the guardians' verified public records (after the ceremony).
pub fn publish_guardians(dir: &Path, guardians: &[GuardianPublic]) -> Result<()> {
    let (manifest, parameters) = read_election(dir)?;
    guardian::verify_all(
        &ceremony_context(&manifest, &parameters)?,
        &parameters,
        guardians,
    )?;
    let mut out = JsonLinesWriter::create(&dir.join(files::GUARDIANS))?;
    for g in guardians {
        out.write(g)?;
    }
    out.finish()
}

/// Write the registrar's credential list.
pub fn publish_credentials(dir: &Path, credentials: &CredentialList) -> Result<()> {
    let mut out = JsonLinesWriter::create(&dir.join(files::CREDENTIALS))?;
    for key in credentials.key_bytes() {
        out.write(&crate::credential::CredentialEntry {
            key: CredentialKey::from_bytes(key)?,
        })?;
    }
    out.finish()
}

/// Step 2: open voting: check the guardians and the credential list, compute the election
/// context and start an empty ballot box.
pub fn open_voting(dir: &Path) -> Result<ElectionContext> {
    let (manifest, parameters, guardians, credentials) = load_published(dir)?;
    if credentials.is_empty() {
        return Err(ElectionError::Credential(
            "the credential list is empty".into(),
        ));
    }
    if dir.join(files::CONTEXT).exists() {
        return Err(ElectionError::Record("voting was already opened".into()));
    }
    let context = ElectionContext::compute(&manifest, &parameters, &guardians, &credentials)?;
    write_json(&dir.join(files::CONTEXT), &context)?;
    JsonLinesWriter::create(&dir.join(files::BALLOTS))?.finish()?;
    Ok(context)
}

/// The set-up files before the context: manifest, parameters, verified guardians, credentials.
fn load_published(
    dir: &Path,
) -> Result<(
    Manifest,
    ElectionParameters,
    Vec<GuardianPublic>,
    CredentialList,
)> {
    let (manifest, parameters) = read_election(dir)?;
    let guardians: Vec<GuardianPublic> =
        JsonLinesReader::open(&dir.join(files::GUARDIANS))?.read_all()?;
    guardian::verify_all(
        &ceremony_context(&manifest, &parameters)?,
        &parameters,
        &guardians,
    )?;
    let credentials = read_credentials(&dir.join(files::CREDENTIALS))??;
    Ok((manifest, parameters, guardians, credentials))
}

/// Load and check everything published before voting (voting must be open).
pub fn load_setup(dir: &Path) -> Result<Setup> {
    let (manifest, parameters, guardians, credentials) = load_published(dir)?;
    let context: ElectionContext = read_json(&dir.join(files::CONTEXT))?;
    context.check_against(&ElectionContext::compute(
        &manifest,
        &parameters,
        &guardians,
        &credentials,
    )?)?;
    Ok(Setup {
        manifest,
        parameters,
        guardians,
        credentials,
        context,
    })
}

fn voting_closed(dir: &Path) -> bool {
    dir.join(files::ENCRYPTED_TALLY).exists()
}

/// Step 3 (for every ballot): check a ballot fully and append it to the ballot box. Rejects
/// invalid ballots (naming the check), ballots already in the box, and ballots after closing.
pub fn accept_ballot(dir: &Path, setup: &Setup, entry: &BallotEntry) -> Result<()> {
    if voting_closed(dir) {
        return Err(ElectionError::Record("voting is closed".into()));
    }
    let code = entry.ballot.code().to_string();
    let failures = check_ballot(&setup.voting_context(), &setup.credentials, entry)?;
    if let Some(f) = failures.first() {
        return Err(ElectionError::Ballot {
            code,
            reason: format!("{}: {}", f.check, f.reason),
        });
    }
    let path = dir.join(files::BALLOTS);
    let hash = entry.ballot.hash();
    let mut reader = JsonLinesReader::open(&path)?;
    let mut seen = HashSet::new();
    while let Some((_, existing)) = reader.next_item::<BallotEntry>()? {
        seen.insert(existing.ballot.hash());
    }
    if seen.contains(&hash) {
        return Err(ElectionError::Ballot {
            code,
            reason: "this ballot is already in the ballot box".into(),
        });
    }
    let mut out = JsonLinesWriter::append(&path)?;
    out.write(entry)?;
    out.finish()
}

/// Step 4: close voting: verify the whole ballot box and publish the encrypted tally of the
/// counted ballots. Refuses if any ballot fails verification.
pub fn close_voting(dir: &Path, progress: &dyn Progress) -> Result<EncryptedTally> {
    if voting_closed(dir) {
        return Err(ElectionError::Record("voting is already closed".into()));
    }
    let setup = load_setup(dir)?;
    let summary = verify_ballots(
        &dir.join(files::BALLOTS),
        &setup.voting_context(),
        &setup.credentials,
        progress,
    )?;
    if let Some(f) = summary.failures.first() {
        return Err(ElectionError::Record(format!(
            "the ballot box does not verify: {f}"
        )));
    }
    let tally = summary.tally.to_tally(&setup.manifest);
    write_json(&dir.join(files::ENCRYPTED_TALLY), &tally)?;
    JsonLinesWriter::create(&dir.join(files::DECRYPTION_SHARES))?.finish()?;
    Ok(tally)
}

/// Add a guardian's decryption share to the record after checking its proofs.
pub fn accept_decryption_share(dir: &Path, share: &DecryptionShare) -> Result<()> {
    let setup = load_setup(dir)?;
    let tally: EncryptedTally = read_json(&dir.join(files::ENCRYPTED_TALLY))?;
    tally::verify_share(
        &setup.context.base_hash,
        &setup.manifest,
        &setup.guardians,
        &tally,
        share,
    )
    .map_err(|reason| ElectionError::Ceremony {
        guardian: share.guardian,
        reason: format!("decryption share: {reason}"),
    })?;
    let path = dir.join(files::DECRYPTION_SHARES);
    let existing: Vec<DecryptionShare> = JsonLinesReader::open(&path)?.read_all()?;
    if existing.iter().any(|s| s.guardian == share.guardian) {
        return Err(ElectionError::Ceremony {
            guardian: share.guardian,
            reason: "its decryption share is already published".into(),
        });
    }
    let mut out = JsonLinesWriter::append(&path)?;
    out.write(share)?;
    out.finish()
}

/// Step 5: combine the published decryption shares (at least k) and publish the result.
pub fn publish_result(dir: &Path) -> Result<ElectionResult> {
    let setup = load_setup(dir)?;
    let tally: EncryptedTally = read_json(&dir.join(files::ENCRYPTED_TALLY))?;
    // The totals are at most the number of counted ballots, itself at most the number of
    // credentials: this bounds the discrete-logarithm table.
    if tally.ballots > setup.credentials.len() as u64 {
        return Err(ElectionError::Tally(format!(
            "the encrypted tally claims {} ballots for {} credentials",
            tally.ballots,
            setup.credentials.len()
        )));
    }
    let shares: Vec<DecryptionShare> =
        JsonLinesReader::open(&dir.join(files::DECRYPTION_SHARES))?.read_all()?;
    let points = tally::combine(&setup.parameters, &tally.flat(&setup.manifest)?, &shares)?;
    let result = ElectionResult::decrypt(&setup.manifest, tally.ballots, &points)?;
    write_json(&dir.join(files::RESULT), &result)?;
    Ok(result)
}

/// Find the ballot with confirmation code `code` (as printed, case-insensitive) in the ballot
/// box: its line and entry.
pub fn find_ballot(dir: &Path, code: &str) -> Result<Option<(u64, BallotEntry)>> {
    let wanted = code.trim().to_ascii_uppercase();
    let mut reader = JsonLinesReader::open(&dir.join(files::BALLOTS))?;
    while let Some((line, entry)) = reader.next_item::<BallotEntry>()? {
        if entry.ballot.code().to_string() == wanted {
            return Ok(Some((line, entry)));
        }
    }
    Ok(None)
}
