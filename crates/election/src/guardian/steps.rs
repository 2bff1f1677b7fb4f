//! A guardian's steps over a copy of the election record: each reads what the record holds
//! (the manifest and parameters, the published guardians, the ballot box and tally) and checks
//! it before using a secret. The CLI only reads and writes the guardian's own files.

use std::path::Path;

use crate::authority::{load_setup, read_election};
use crate::ceremony::{self, Complaint, KeyShare, Received, ShareMessage, Verdict};
use crate::error::{ElectionError, Result};
use crate::guardian::{self, GuardianPublic, GuardianSecret};
use crate::parameters::ceremony_context;
use crate::progress::Progress;
use crate::record::{JsonLinesReader, files, read_record_json};
use crate::tally::{DecryptionShare, EncryptedTally, decrypt_share};
use crate::verifier::{Pins, Stage, verify_record_to};

/// The guardians published in the record, in order.
fn published_guardians(record: &Path) -> Result<Vec<GuardianPublic>> {
    JsonLinesReader::open(&record.join(files::GUARDIANS))?.read_all()
}

/// Step 1: this guardian's polynomial, commitments, proofs and transport key, bound to the
/// election in `record` (its manifest and parameters, with the election id).
pub fn generate(record: &Path, index: u32, name: &str) -> Result<(GuardianSecret, GuardianPublic)> {
    let (manifest, parameters) = read_election(record)?;
    let context = ceremony_context(&manifest, &parameters)?;
    guardian::generate(&context, &parameters, index, name)
}

/// Step 2: this guardian's shares, encrypted for every other published guardian (whose
/// proofs are checked first).
pub fn send_shares(record: &Path, secret: &GuardianSecret) -> Result<Vec<ShareMessage>> {
    let (manifest, parameters) = read_election(record)?;
    let context = ceremony_context(&manifest, &parameters)?;
    let guardians = published_guardians(record)?;
    guardian::verify_all(&context, &parameters, &guardians)?;
    ceremony::encrypt_shares(&context, secret, &guardians)
}

/// Step 3: decrypt and check the shares sent to this guardian: its key share, or complaints.
pub fn receive_shares(
    record: &Path,
    secret: &GuardianSecret,
    messages: &[ShareMessage],
) -> Result<Received> {
    let (manifest, parameters) = read_election(record)?;
    let context = ceremony_context(&manifest, &parameters)?;
    let guardians = published_guardians(record)?;
    ceremony::receive_shares(&context, &parameters, secret, &guardians, messages)
}

/// Anyone: the verdict on each complaint, against the published guardians and messages.
pub fn check_complaints(
    record: &Path,
    complaints: &[Complaint],
    messages: &[ShareMessage],
) -> Result<Vec<Verdict>> {
    let (manifest, parameters) = read_election(record)?;
    let context = ceremony_context(&manifest, &parameters)?;
    let guardians = published_guardians(record)?;
    complaints
        .iter()
        .map(|c| ceremony::check_complaint(&context, &guardians, Some(messages), c))
        .collect()
}

/// This guardian's decryption share of the record's encrypted tally, made only after the
/// verifier's own code has checked the record up to the tally (its board, order, every ballot)
/// and found `encrypted-tally.json` to be the sum of the counted ballots. Anything else is
/// refused: honest guardians never decrypt a tally the ballots do not add up to.
pub fn decrypt(
    record: &Path,
    key: &KeyShare,
    pins: &Pins,
    progress: &dyn Progress,
) -> Result<(DecryptionShare, EncryptedTally)> {
    let report = verify_record_to(record, pins, Stage::EncryptedTally, progress)?;
    if let Some(first) = report.failures.first() {
        return Err(ElectionError::Record(format!(
            "refusing to decrypt: the record does not verify up to its encrypted tally \
             ({} failure(s); first: {first})",
            report.failures.len()
        )));
    }
    let setup = load_setup(record)?;
    key.check_matches(&setup.guardians)?;
    let tally: EncryptedTally = read_record_json(&record.join(files::ENCRYPTED_TALLY))?;
    let share = decrypt_share(&setup.context.base_hash, &setup.manifest, key, &tally)?;
    Ok((share, tally))
}
