//! The election record as a sequence of bulletin-board entries: every item with its kind and
//! canonical bytes, in publication order (header, manifest, parameters, guardians, ceremony
//! share messages and complaints, credentials, context, ballots, encrypted tally, decryption shares, result). Ballots and credentials are
//! streamed, so a record of any size can be posted entry by entry.

use std::path::Path;

use crate::ballot::BallotEntry;
use crate::ceremony::{Complaint, ShareMessage};
use crate::context::ElectionContext;
use crate::credential::CredentialEntry;
use crate::error::Result;
use crate::guardian::GuardianPublic;
use crate::manifest::Manifest;
use crate::parameters::ElectionParameters;
use crate::record::{ItemKind, JsonLinesReader, RecordHeader, RecordItem, files, read_record_json};
use crate::tally::{DecryptionShare, ElectionResult, EncryptedTally};

/// One entry: the item's kind and its canonical bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What the item is.
    pub kind: ItemKind,
    /// Its canonical JSON.
    pub bytes: Vec<u8>,
}

/// Call `post` with every entry of the record in `dir`, in publication order. The first file
/// not written yet (a record still in progress) ends the sequence.
pub fn for_each_entry(dir: &Path, post: impl FnMut(Entry) -> Result<()>) -> Result<()> {
    for_each_entry_except(dir, &[], post)
}

/// As [`for_each_entry`], without reading the items of the kinds in `skip` (the verifier
/// streams the ballots on its own).
pub fn for_each_entry_except(
    dir: &Path,
    skip: &[ItemKind],
    mut post: impl FnMut(Entry) -> Result<()>,
) -> Result<()> {
    let post = &mut post;
    // `&&` stops at the first missing file.
    let _complete = one::<RecordHeader>(dir, files::HEADER, skip, post)?
        && one::<Manifest>(dir, files::MANIFEST, skip, post)?
        && one::<ElectionParameters>(dir, files::PARAMETERS, skip, post)?
        && lines::<GuardianPublic>(dir, files::GUARDIANS, skip, post)?
        && lines::<ShareMessage>(dir, files::CEREMONY_SHARES, skip, post)?
        && lines::<Complaint>(dir, files::CEREMONY_COMPLAINTS, skip, post)?
        && lines::<CredentialEntry>(dir, files::CREDENTIALS, skip, post)?
        && one::<ElectionContext>(dir, files::CONTEXT, skip, post)?
        && lines::<BallotEntry>(dir, files::BALLOTS, skip, post)?
        && one::<EncryptedTally>(dir, files::ENCRYPTED_TALLY, skip, post)?
        && lines::<DecryptionShare>(dir, files::DECRYPTION_SHARES, skip, post)?
        && one::<ElectionResult>(dir, files::RESULT, skip, post)?;
    Ok(())
}

type Post<'a> = &'a mut dyn FnMut(Entry) -> Result<()>;

/// Post the item of a single-item file; false if the file does not exist yet.
fn one<T: RecordItem>(dir: &Path, file: &str, skip: &[ItemKind], post: Post<'_>) -> Result<bool> {
    let path = dir.join(file);
    if !path.exists() {
        return Ok(false);
    }
    if skip.contains(&T::KIND) {
        return Ok(true);
    }
    let item: T = read_record_json(&path)?;
    post(Entry {
        kind: T::KIND,
        bytes: item.canonical_bytes()?,
    })?;
    Ok(true)
}

/// Post every line of a JSON Lines file, as stored (without its line end); false if the file
/// does not exist yet.
///
/// The record writes every line as the item's canonical JSON, so the line is the item's
/// canonical bytes. Taking it as it is, instead of parsing and re-encoding it, keeps posting
/// and checking a million ballots cheap (no point decoding), and makes the rule simple: the
/// record's files must be byte for byte what was posted. Whether each line is a valid item is
/// the verifier's business.
fn lines<T: RecordItem>(dir: &Path, file: &str, skip: &[ItemKind], post: Post<'_>) -> Result<bool> {
    let path = dir.join(file);
    if !path.exists() {
        return Ok(false);
    }
    if skip.contains(&T::KIND) {
        return Ok(true);
    }
    let mut reader = JsonLinesReader::open(&path)?;
    while let Some((_, line)) = reader.next_raw()? {
        post(Entry {
            kind: T::KIND,
            bytes: line.strip_suffix('\n').unwrap_or(&line).as_bytes().to_vec(),
        })?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use crate::simulation::{DemoConfig, VotingPlan, run_demo};

    #[test]
    fn a_record_is_a_sequence_of_kinded_canonical_entries() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::ElectionError::io("tmp", e))?;
        // The demo posts to its board as it goes: the board comes first.
        let (board, _) =
            crate::bulletin::create_board(&dir.path().join("board"), "board.example/test")?;
        let config = DemoConfig {
            manifest: Manifest::default_demo()?,
            voters: 3,
            parameters: ElectionParameters::new(2, 1, board.policy())?,
            absent: 1,
            plan: VotingPlan {
                turnout_percent: 100.0,
                challenge_percent: 0.0,
                revote_percent: 0.0,
            },
        };
        let outcome = run_demo(&config, dir.path(), &Silent)?;
        let mut kinds = Vec::new();
        for_each_entry(&outcome.record, |e| {
            let value: serde_json::Value = serde_json::from_slice(&e.bytes)
                .map_err(|x| crate::ElectionError::Record(x.to_string()))?;
            assert!(
                value.is_object() && !e.bytes.contains(&b'\n'),
                "one compact JSON object"
            );
            kinds.push(e.kind.name());
            Ok(())
        })?;
        let expected = [
            "record-header",
            "manifest",
            "parameters",
            "guardian",
            "guardian",
            "share-message",
            "share-message",
            "credential",
            "credential",
            "credential",
            "context",
            "ballot",
            "ballot",
            "ballot",
            "encrypted-tally",
            "decryption-share",
            "result",
        ];
        assert_eq!(kinds, expected);

        // A record in progress (no result yet) ends early without error.
        std::fs::remove_file(outcome.record.join(files::RESULT))
            .map_err(|e| crate::ElectionError::io("result", e))?;
        let mut count = 0;
        for_each_entry(&outcome.record, |_| {
            count += 1;
            Ok(())
        })?;
        assert_eq!(count, expected.len() - 1);
        Ok(())
    }
}
