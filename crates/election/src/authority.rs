//! The election authority's steps over a record directory: create the election, publish the
//! guardians and the credential list, open voting (see [`crate::ballot_box`], which also
//! accepts ballots and closes voting) and publish the result from the guardians' shares.
//! Each step reads what the earlier ones wrote and refuses to run out of order.

use std::path::Path;

use fairtally_board::board::Board;
use fairtally_board::note::NoteSigner;

use crate::ballot_box::{RecordLock, post_items};
use crate::context::{ElectionContext, VotingContext};
use crate::credential::CredentialList;
use crate::error::{ElectionError, Result};
use crate::guardian::{self, GuardianPublic};
use crate::manifest::Manifest;
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::record::{
    ItemKind, JsonLinesReader, JsonLinesWriter, RecordHeader, canonical_json, files, read_json,
    write_json,
};
use crate::record_entries;
use crate::tally::{self, DecryptionShare, ElectionResult, EncryptedTally};
use crate::verifier::read_credentials;

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

/// Refuses to change the set-up once voting is open: the context (and with it every ballot)
/// binds the guardians and the credential list.
fn refuse_after_opening(dir: &Path, what: &str) -> Result<()> {
    if dir.join(files::CONTEXT).exists() {
        return Err(ElectionError::Record(format!(
            "voting is open in {}: the {what} can no longer change",
            dir.display()
        )));
    }
    Ok(())
}

/// Write the guardians' verified public records (after the ceremony). Refused once voting is
/// open.
pub fn publish_guardians(dir: &Path, guardians: &[GuardianPublic]) -> Result<()> {
    let _lock = RecordLock::acquire(dir)?;
    refuse_after_opening(dir, "guardians")?;
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

/// Write the registrar's credential list. Refused once voting is open.
pub fn publish_credentials(dir: &Path, credentials: &CredentialList) -> Result<()> {
    let _lock = RecordLock::acquire(dir)?;
    refuse_after_opening(dir, "credential list")?;
    let (manifest, _) = read_election(dir)?;
    credentials.check_styles(&manifest)?;
    let mut out = JsonLinesWriter::create(&dir.join(files::CREDENTIALS))?;
    for entry in credentials.entries() {
        out.write(&entry?)?;
    }
    out.finish()
}

/// Step 2 (first half; [`crate::ballot_box::open_voting`] does the rest): check the guardians
/// and the credential list, compute and publish the election context and an empty
/// `ballots.jsonl`. The caller holds the record's lock.
pub(crate) fn write_context(dir: &Path) -> Result<ElectionContext> {
    let (manifest, parameters, guardians, credentials) = load_published(dir)?;
    if credentials.is_empty() {
        return Err(ElectionError::Credential(
            "the credential list is empty".into(),
        ));
    }
    if dir.join(files::CONTEXT).exists() {
        return Err(ElectionError::Record("voting was already opened".into()));
    }
    crate::ceremony::check_finished(dir, &ceremony_context(&manifest, &parameters)?, &guardians)?;
    let context = ElectionContext::compute(&manifest, &parameters, &guardians, &credentials)?;
    JsonLinesWriter::create(&dir.join(files::BALLOTS))?.finish()?;
    write_json(&dir.join(files::CONTEXT), &context)?;
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
    credentials.check_styles(&manifest)?;
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

/// Whether voting is closed (the encrypted tally is published).
pub(crate) fn voting_closed(dir: &Path) -> bool {
    dir.join(files::ENCRYPTED_TALLY).exists()
}

/// Add a guardian's decryption share to the record after checking its proofs, post it to the
/// board, and refresh the record's copy of the board.
pub fn accept_decryption_share(
    dir: &Path,
    share: &DecryptionShare,
    board: &mut Board,
    operator: &NoteSigner,
) -> Result<()> {
    let _lock = RecordLock::acquire(dir)?;
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
    out.finish()?;
    post_items(
        board,
        operator,
        vec![record_entries::Entry {
            kind: ItemKind::DecryptionShare,
            bytes: canonical_json(share)?,
        }],
    )?;
    crate::bulletin::refresh_record_board(dir, board)
}

/// Step 5: combine the published decryption shares (at least k), publish the result, post it
/// to the board, and refresh the record's copy of the board.
pub fn publish_result(
    dir: &Path,
    board: &mut Board,
    operator: &NoteSigner,
) -> Result<ElectionResult> {
    let _lock = RecordLock::acquire(dir)?;
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
    let result = ElectionResult::decrypt(&setup.manifest, tally.ballots, &points)?
        .with_contest_ballots(&tally);
    write_json(&dir.join(files::RESULT), &result)?;
    post_items(
        board,
        operator,
        vec![record_entries::Entry {
            kind: ItemKind::Result,
            bytes: canonical_json(&result)?,
        }],
    )?;
    crate::bulletin::refresh_record_board(dir, board)?;
    Ok(result)
}
