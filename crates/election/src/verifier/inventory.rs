//! Every file of a record directory is either one the verifier reads or reported as
//! unexpected: nothing published goes unchecked, and nothing is slipped in beside the record.

use std::path::Path;

use super::{Report, Stage};
use crate::bulletin::BOARD_DIR;
use crate::check::Check;
use crate::error::{ElectionError, Result};
use crate::record::files;

/// Reports every entry of `dir` that is not a file of the record (the `board/` directory is
/// audited file by file with the board).
pub(super) fn check_files(report: &mut Report, dir: &Path, stage: Stage) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| ElectionError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ElectionError::io(dir, e))?;
        let kind = entry
            .file_type()
            .map_err(|e| ElectionError::io(entry.path(), e))?;
        names.push((entry.file_name().to_string_lossy().into_owned(), kind));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in names {
        let expected = if name == BOARD_DIR {
            kind.is_dir()
        } else {
            kind.is_file() && files::ALL.contains(&name.as_str())
        };
        // A guardian checks the record before the shares and the result exist; files of later
        // stages are not read then, so they are not vouched for either.
        let read = match stage {
            Stage::Result => true,
            Stage::EncryptedTally => !files::AFTER_TALLY.contains(&name.as_str()),
        };
        if !expected {
            report.fail(
                Check::RecordFiles,
                &name,
                "unexpected: not a file of an election record (remove it or publish it elsewhere)",
            );
        } else if read {
            report.pass(Check::RecordFiles, 1);
        }
    }
    Ok(())
}
