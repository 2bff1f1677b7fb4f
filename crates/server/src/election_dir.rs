//! The authority's election directory as `fairtally serve` reads it.
//!
//! ```text
//! DIR/record/               the election record (voting opened with `authority open`)
//! DIR/board/                the bulletin board (`board init`)
//! DIR/board/operator.key    the board operator's signing key
//! DIR/board/public/         the board's static files, served under /board/
//! ```
//!
//! This is the layout of `fairtally demo` and of the walkthrough in docs/WALKTHROUGH.md.

use std::path::{Path, PathBuf};

use fairtally_board::board::PUBLIC_DIR;
use fairtally_board::note::NoteSigner;
use fairtally_election::bulletin::{BOARD_DIR, OPERATOR_KEY_FILE};
use fairtally_election::record::files;

use crate::error::ServerError;

/// The election directory's parts.
#[derive(Clone, Debug)]
pub struct ElectionDir {
    /// `DIR/record`.
    pub record: PathBuf,
    /// `DIR/board`.
    pub board: PathBuf,
}

impl ElectionDir {
    /// Names the parts of `dir` and checks that they are there and that voting was opened.
    ///
    /// # Errors
    /// [`ServerError::ElectionDir`] naming what is missing.
    pub fn new(dir: &Path) -> Result<Self, ServerError> {
        let election = ElectionDir {
            record: dir.join("record"),
            board: dir.join(BOARD_DIR),
        };
        let missing = |path: PathBuf, reason: &str| ServerError::ElectionDir {
            path,
            reason: reason.to_owned(),
        };
        if !election.record.join(files::HEADER).is_file() {
            return Err(missing(
                election.record.clone(),
                "no election record here (expected DIR/record, as `fairtally demo` writes it)",
            ));
        }
        if !election.record.join(files::CONTEXT).is_file() {
            return Err(missing(
                election.record.clone(),
                "voting was never opened (`fairtally authority open`)",
            ));
        }
        if !election.operator_key().is_file() {
            return Err(missing(
                election.operator_key(),
                "no board operator key (expected DIR/board/operator.key)",
            ));
        }
        Ok(election)
    }

    /// `DIR/board/operator.key`.
    pub fn operator_key(&self) -> PathBuf {
        self.board.join(OPERATOR_KEY_FILE)
    }

    /// `DIR/board/public`: the files served under `/board/`.
    pub fn public(&self) -> PathBuf {
        self.board.join(PUBLIC_DIR)
    }

    /// Whether voting is closed (the encrypted tally is in the record).
    pub fn voting_closed(&self) -> bool {
        self.record.join(files::ENCRYPTED_TALLY).exists()
    }

    /// Reads the board operator's signing key.
    ///
    /// # Errors
    /// [`ServerError::ElectionDir`] when the file cannot be read; a board error when it
    /// holds no key.
    pub fn operator(&self) -> Result<NoteSigner, ServerError> {
        let path = self.operator_key();
        let text = std::fs::read_to_string(&path).map_err(|e| ServerError::ElectionDir {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(NoteSigner::from_skey(
            text.trim_end(),
            &path.display().to_string(),
        )?)
    }
}
