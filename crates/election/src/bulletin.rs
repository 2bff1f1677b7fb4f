//! The election record on the public bulletin board.
//!
//! Every item of a record ([`crate::record_entries`]) is one board entry of kind
//! `election/<item>` (`election/manifest`, `election/ballot`, …) whose body is the item's
//! canonical bytes. The authority appends them in publication order, signs a checkpoint, and
//! copies the board's static files into `RECORD/board/`. From those files alone, and the keys
//! in the election's parameters, the verifier audits the board ([`audit`]) and checks that the
//! record is the board's election entries, in order; a voter can prove that their ballot is
//! included and under which checkpoint.

pub mod audit;

use std::path::{Path, PathBuf};

use fairtally_board::board::{Board, PUBLIC_DIR};
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::mirror::{Inclusion, Mirror, copy_mirror};
use fairtally_board::note::{KeyRole, NoteSigner};
use fairtally_board::post::Posted;

use fairtally_crypto::hash::hash_parts;

use crate::ballot::{BALLOT_HASH_DOMAIN, ConfirmationCode, LineSummary};
use crate::error::{ElectionError, Result};
use crate::parameters::ElectionParameters;
use crate::record::{ItemKind, files, read_record_json};
use crate::record_entries::{self, for_each_entry};

/// The static mirror of the board inside a record directory.
pub const BOARD_DIR: &str = "board";

/// The trust policy (operator and witness keys, quorum) inside the static mirror. A verifier
/// should pin its own copy, obtained out of band, rather than trust the one in the record.
pub const POLICY_FILE: &str = "policy";

/// The board entry of a record item.
pub fn board_entry(item: record_entries::Entry) -> Result<Entry> {
    let kind = EntryKind::new(&kind_name(item.kind))?;
    Ok(Entry::new(kind, item.bytes)?)
}

/// What every election item's board entry kind starts with (see [`kind_name`]).
pub(crate) const ELECTION_KIND_PREFIX: &str = "election/";

/// The board entry kind of a record item, e.g. `election/ballot`.
pub fn kind_name(kind: ItemKind) -> String {
    format!("{ELECTION_KIND_PREFIX}{}", kind.name())
}

/// Whether board entry `entry` is of kind [`kind_name`]`(kind)`.
pub fn is_entry_of(entry: &Entry, kind: ItemKind) -> bool {
    entry.kind().as_str().strip_prefix(ELECTION_KIND_PREFIX) == Some(kind.name())
}

/// The board directory of a record.
pub fn board_dir(record: &Path) -> PathBuf {
    record.join(BOARD_DIR)
}

/// The board's trust policy of the election in `record`, from its parameters (hashed into
/// its fingerprint).
pub fn election_policy(record: &Path) -> Result<TrustPolicy> {
    let parameters: ElectionParameters = read_record_json(&record.join(files::PARAMETERS))?;
    parameters.board_policy()
}

/// The trust policy a new election on the board in `board_dir` puts into its parameters: the
/// board's own (its operator's key), or `witnesses` (a policy file naming the same operator,
/// the witnesses and the quorum), which then becomes the board's policy too, so that the
/// board publishes the very policy the election names.
pub fn board_policy_for_election(
    board_dir: &Path,
    witnesses: Option<&TrustPolicy>,
) -> Result<TrustPolicy> {
    let mut board = Board::open(board_dir)?;
    if let Some(policy) = witnesses {
        if policy.operator != *board.operator() {
            return Err(ElectionError::Parameters(format!(
                "the witness policy names the operator {:?}, the board in {} is run by {:?}",
                policy.operator.name(),
                board_dir.display(),
                board.operator().name()
            )));
        }
        board.set_policy(policy)?;
    }
    Ok(board.policy().clone())
}

/// The file in a board directory that holds its operator's signing key (as `fairtally board
/// init` writes it).
pub const OPERATOR_KEY_FILE: &str = "operator.key";

/// Creates a new board in `dir` for log `origin`, with a fresh operator key saved owner-only
/// in `dir/operator.key`: what a demo, a benchmark or a test needs before it creates an
/// election on that board.
pub fn create_board(dir: &Path, origin: &str) -> Result<(Board, NoteSigner)> {
    let operator = NoteSigner::generate(origin, KeyRole::Operator)?;
    let board = Board::create(dir, &TrustPolicy::operator_only(operator.verifier()))?;
    let mut key = operator.to_skey().as_bytes().to_vec();
    key.push(b'\n');
    fairtally_files::write_new(
        &dir.join(OPERATOR_KEY_FILE),
        &key,
        fairtally_files::Access::OwnerOnly,
    )
    .map_err(|e| ElectionError::Record(e.to_string()))?;
    Ok((board, operator))
}

/// Appends every item of the record in `record` to `board` in durable batches, signs a
/// checkpoint with `operator`, publishes the board's static files and copies them into
/// `RECORD/board/`. Posting the same record again adds no entry.
pub fn post_record(record: &Path, board: &mut Board, operator: &NoteSigner) -> Result<Posted> {
    let mut posting = board.posting(operator)?;
    for_each_entry(record, |item| {
        posting.push(board_entry(item)?)?;
        Ok(())
    })?;
    let posted = posting.finish()?;
    refresh_record_board(record, board)?;
    Ok(posted)
}

/// Copies the board's public files into `RECORD/board/`, so that the record directory alone
/// is a full mirror of everything posted so far. Files that are already identical are not
/// rewritten, so refreshing the copy of a large board after a small post is cheap.
pub fn refresh_record_board(record: &Path, board: &Board) -> Result<()> {
    copy_mirror(&board.dir().join(PUBLIC_DIR), &board_dir(record))?;
    Ok(())
}

/// The confirmation code of a ballot line, from the line's canonical `ballot` member as it
/// stands, without decoding a single point (a million lines take seconds, not minutes).
fn line_code(line: &[u8]) -> Option<ConfirmationCode> {
    #[derive(serde::Deserialize)]
    struct Line<'a> {
        #[serde(borrow)]
        ballot: &'a serde_json::value::RawValue,
    }
    let line: Line<'_> = serde_json::from_slice(line).ok()?;
    Some(ConfirmationCode::from_hash(&hash_parts(
        BALLOT_HASH_DOMAIN,
        &[line.ballot.get().as_bytes()],
    )))
}

/// The ballot line that board entry `entry` holds, summarised (hash, credential, intent, read
/// without decoding a point); `None` when the entry is not of kind `election/ballot` or its
/// body is not a ballot line. What an index or a client says is a ballot's entry is checked
/// against this before it is shown as that ballot.
pub fn ballot_in_entry(entry: &Entry) -> Option<LineSummary> {
    is_entry_of(entry, ItemKind::Ballot)
        .then(|| LineSummary::read(entry.body()))
        .flatten()
}

/// A ballot's proof of inclusion.
#[derive(Clone, Debug)]
pub struct BallotInclusion {
    /// The ballot's confirmation code.
    pub code: ConfirmationCode,
    /// Its entry index, inclusion proof and the checkpoint it leads to (already verified).
    pub inclusion: Inclusion,
}

/// Finds the ballot with confirmation code `code` (as people type it, see
/// [`ConfirmationCode`]'s `FromStr`; a wrong check character is refused) in the
/// record and proves from `RECORD/board/` alone that it is on the board, under the checkpoint
/// signed as `policy` (the election's, see [`election_policy`]) demands. `None` when no ballot
/// of the record has this code: the caller says "not found", which is not unusable input.
pub fn prove_ballot(
    record: &Path,
    policy: &TrustPolicy,
    code: &str,
) -> Result<Option<BallotInclusion>> {
    let wanted: ConfirmationCode = code.parse()?;
    let mut mirror = Mirror::open(&board_dir(record), policy)?;
    let mut found = None;
    for_each_entry(record, |item| {
        if found.is_none()
            && item.kind == ItemKind::Ballot
            && let Some(ballot_code) = line_code(&item.bytes)
            && ballot_code == wanted
        {
            found = Some((ballot_code, board_entry(item)?));
        }
        Ok(())
    })?;
    let Some((code, entry)) = found else {
        return Ok(None);
    };
    let inclusion = mirror.prove(&entry)?;
    Ok(Some(BallotInclusion { code, inclusion }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Check;
    use crate::manifest::Manifest;
    use crate::progress::Silent;
    use crate::simulation::{DemoConfig, VotingPlan, run_demo};
    use crate::verifier::{Pins, Report, verify_record};

    /// A posted demo record of six voters (some re-vote), its board and operator key.
    fn posted(dir: &Path) -> Result<(PathBuf, Board, NoteSigner)> {
        let (mut board, operator) = create_board(&dir.join("board"), "board.example/test")?;
        let config = DemoConfig {
            manifest: Manifest::default_demo()?,
            voters: 6,
            parameters: ElectionParameters::new(2, 1, board.policy())?,
            absent: 0,
            plan: VotingPlan {
                turnout_percent: 100.0,
                challenge_percent: 0.0,
                revote_percent: 50.0,
            },
        };
        let outcome = run_demo(&config, dir, &Silent)?;
        post_record(&outcome.record, &mut board, &operator)?;
        Ok((outcome.record, board, operator))
    }

    fn verify(record: &Path) -> Result<Report> {
        verify_record(record, &Pins::default(), &Silent)
    }

    fn ballot_lines(record: &Path) -> Vec<String> {
        std::fs::read_to_string(record.join(files::BALLOTS))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write_lines(record: &Path, lines: &[String]) -> Result<()> {
        let path = record.join(files::BALLOTS);
        std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| ElectionError::io(&path, e))
    }

    #[test]
    fn a_posted_record_verifies_and_proves_its_ballots() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (record, mut board, operator) = posted(dir.path())?;
        let report = verify(&record)?;
        assert!(report.is_valid(), "{:#?}", report.failures);
        assert!(!report.is_pinned());
        // Posting again adds nothing.
        assert_eq!(post_record(&record, &mut board, &operator)?.new_entries, 0);

        let policy = election_policy(&record)?;
        let line = ballot_lines(&record).first().cloned().unwrap_or_default();
        let ballot: crate::ballot::BallotEntry =
            serde_json::from_str(&line).map_err(|e| ElectionError::Record(e.to_string()))?;
        let code = ballot.ballot.code().to_string();
        let proof = prove_ballot(&record, &policy, &code.to_lowercase())?;
        assert_eq!(proof.map(|p| p.code.to_string()), Some(code));
        // A well-formed code of no ballot is not found; a mistyped one is refused.
        assert!(matches!(
            prove_ballot(&record, &policy, "0000-0000-0000-0000-0000-0000-0000"),
            Ok(None)
        ));
        assert!(prove_ballot(&record, &policy, "0000-0000-0000-0000-0000-0000-0001").is_err());
        Ok(())
    }

    /// Defect 4: the authority swaps two ballot lines (a voter's re-vote then counts the first
    /// ballot); the board's order says otherwise.
    #[test]
    fn swapped_ballots_fail_the_board_order() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (record, _, _) = posted(dir.path())?;
        let mut lines = ballot_lines(&record);
        lines.swap(0, 1);
        write_lines(&record, &lines)?;
        let report = verify(&record)?;
        assert_eq!(
            report.failures_of(Check::BallotOrder).count(),
            2,
            "{:#?}",
            report.failures
        );
        Ok(())
    }

    /// Defect 4: a ballot on the board that the record leaves out is a failure.
    #[test]
    fn a_ballot_on_the_board_missing_from_the_record_fails() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (record, _, _) = posted(dir.path())?;
        let mut lines = ballot_lines(&record);
        lines.pop();
        write_lines(&record, &lines)?;
        let report = verify(&record)?;
        assert!(
            report
                .failures_of(Check::BallotOrder)
                .any(|f| f.reason.contains("on the board but not in")),
            "{:#?}",
            report.failures
        );
        Ok(())
    }

    /// Defect 1: a changed ballot whose leaf hash is patched into the level-0 tile and whose
    /// bundle is rewritten, with the checkpoint untouched, no longer hashes to the signed root.
    #[test]
    fn a_patched_tile_and_bundle_under_an_untouched_checkpoint_fail() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (record, board, _) = posted(dir.path())?;
        let size = board.size()?;
        let mut lines = ballot_lines(&record);
        let mut entry: crate::ballot::BallotEntry =
            serde_json::from_str(&lines[0]).map_err(|e| ElectionError::Record(e.to_string()))?;
        entry.ballot.contests.reverse();
        lines[0] = String::from_utf8(crate::record::canonical_json(&entry)?)
            .map_err(|e| ElectionError::Record(e.to_string()))?;
        write_lines(&record, &lines)?;
        // Rebuild the bundle and level-0 tile of the changed board, keep the checkpoint.
        let mut data: Vec<Vec<u8>> = board.leaf_data(0, size)?;
        let original = ballot_line_on_board(&board, size)?;
        let target = data
            .iter()
            .position(|d| d.ends_with(original.as_bytes()))
            .unwrap_or(0);
        let changed = board_entry(record_entries::Entry {
            kind: ItemKind::Ballot,
            bytes: lines[0].as_bytes().to_vec(),
        })?;
        data[target] = changed.to_leaf_data();
        let mut bundle = Vec::new();
        let mut tile = Vec::new();
        for d in &data {
            bundle.extend_from_slice(&(d.len() as u16).to_be_bytes());
            bundle.extend_from_slice(d);
            tile.extend_from_slice(&fairtally_board::merkle::leaf_hash(d));
        }
        let mirror = board_dir(&record);
        let width = size.min(256);
        for (name, bytes) in [
            (fairtally_board::tiles::tile_path(None, 0, width), &bundle),
            (fairtally_board::tiles::tile_path(Some(0), 0, width), &tile),
        ] {
            std::fs::write(mirror.join(&name), bytes).map_err(|e| ElectionError::io(&name, e))?;
        }
        let report = verify(&record)?;
        assert!(
            report
                .failures_of(Check::BoardFiles)
                .any(|f| f.reason.contains("root")),
            "{:#?}",
            report.failures
        );
        Ok(())
    }

    fn ballot_line_on_board(board: &Board, size: u64) -> Result<String> {
        // The first ballot entry's body as posted.
        for data in board.leaf_data(0, size)? {
            let entry = Entry::from_leaf_data(&data, "test")?;
            if entry.kind().as_str() == "election/ballot" {
                return String::from_utf8(entry.body().to_vec())
                    .map_err(|e| ElectionError::Record(e.to_string()));
            }
        }
        Ok(String::new())
    }

    /// Defect 2 and requirement 1: a flipped byte in an archived checkpoint, an extra file on
    /// the board or in the record, and a checkpoint under another key all fail.
    #[test]
    fn every_board_file_and_every_record_file_is_checked() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let (record, board, _) = posted(dir.path())?;
        let archived = board_dir(&record)
            .join("checkpoints")
            .join(board.size()?.to_string());
        let mut bytes = std::fs::read(&archived).map_err(|e| ElectionError::io(&archived, e))?;
        let at = bytes.len() - 5;
        bytes[at] ^= 1;
        std::fs::write(&archived, &bytes).map_err(|e| ElectionError::io(&archived, e))?;
        let report = verify(&record)?;
        assert!(
            report
                .failures_of(Check::BoardFiles)
                .any(|f| f.item.contains("checkpoints/") || f.reason.contains("checkpoints/")),
            "{:#?}",
            report.failures
        );
        bytes[at] ^= 1;
        std::fs::write(&archived, &bytes).map_err(|e| ElectionError::io(&archived, e))?;
        std::fs::write(board_dir(&record).join("notes.txt"), "hi")
            .map_err(|e| ElectionError::io("notes", e))?;
        std::fs::write(record.join("extra.json"), "{}").map_err(|e| ElectionError::io("x", e))?;
        let report = verify(&record)?;
        assert!(
            report
                .failures_of(Check::BoardFiles)
                .any(|f| f.item.contains("notes.txt"))
        );
        assert!(
            report
                .failures_of(Check::RecordFiles)
                .any(|f| f.item == "extra.json")
        );

        // A board signed by someone else than the election's operator.
        let (mut stranger, key) = create_board(&dir.path().join("other"), "board.example/test")?;
        post_record(&record, &mut stranger, &key)?;
        let report = verify(&record)?;
        assert!(report.failures_of(Check::BoardCheckpoint).next().is_some());
        Ok(())
    }

    /// Only an `election/ballot` entry whose body is a ballot line holds a ballot; its summary
    /// names that line's code.
    #[test]
    fn only_a_ballot_entry_holding_a_ballot_line_holds_a_ballot() -> Result<()> {
        let line = format!(
            r#"{{"ballot":{{"credential":"{}"}},"intent":"challenge"}}"#,
            "ab".repeat(32)
        );
        let entry = |kind: &str, body: &str| Entry::new(EntryKind::new(kind)?, body.into());
        let summary = ballot_in_entry(&entry("election/ballot", &line)?)
            .ok_or_else(|| ElectionError::Record("the ballot entry holds no ballot".into()))?;
        assert_eq!(summary.credential, [0xab; 32]);
        assert_eq!(summary.intent, crate::ballot::Intent::Challenge);
        assert_eq!(
            Some(ConfirmationCode::from_hash(&summary.hash)),
            line_code(line.as_bytes())
        );
        for (kind, body) in [
            ("election/credential", line.as_str()),
            ("observe/ballot", line.as_str()),
            ("election/ballot", "{}"),
            (
                "election/ballot",
                r#"{"ballot":{"credential":"ab"},"intent":"cast"}"#,
            ),
        ] {
            assert_eq!(ballot_in_entry(&entry(kind, body)?), None, "{kind} {body}");
        }
        Ok(())
    }
}
