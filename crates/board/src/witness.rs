//! A witness (an observer organisation, a newspaper, a university) cosigns a checkpoint only
//! after checking that it extends the last checkpoint it cosigned. Clients that demand m of n
//! witnesses' cosignatures cannot be shown a log that differs from what the witnesses saw.
//!
//! The witness remembers the last checkpoint it cosigned in a small state file, written
//! durably before the cosignature is released.

use std::path::{Path, PathBuf};

use crate::checkpoint::{Checkpoint, SignedCheckpoint, TrustPolicy};
use crate::error::BoardError;
use crate::merkle::Hash;
use crate::mirror::Mirror;
use crate::note::NoteSigner;
use crate::proof::verify_consistency;
use fairtally_files::{Access, write_atomic};

/// A witness: its key and the last checkpoint it cosigned.
pub struct Witness {
    signer: NoteSigner,
    state_path: PathBuf,
    last: Option<Checkpoint>,
}

impl Witness {
    /// Loads the witness state from `state_path` (none yet when the file does not exist).
    ///
    /// # Errors
    /// I/O errors; [`BoardError::Malformed`] for a damaged state file.
    pub fn open(signer: NoteSigner, state_path: &Path) -> Result<Self, BoardError> {
        let last = match std::fs::read_to_string(state_path) {
            Ok(text) => Some(Checkpoint::from_text(
                &text,
                &state_path.display().to_string(),
            )?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(BoardError::io(state_path)(e)),
        };
        Ok(Self {
            signer,
            state_path: state_path.to_owned(),
            last,
        })
    }

    /// The last checkpoint this witness cosigned.
    pub fn last(&self) -> Option<&Checkpoint> {
        self.last.as_ref()
    }

    /// Checks `signed` (the operator's signature under `policy`, and consistency with the last
    /// cosigned checkpoint through `proof`), records it, and returns it with this witness's
    /// cosignature added. The first checkpoint a witness sees is accepted on trust.
    ///
    /// # Errors
    /// [`BoardError::Signature`]/[`BoardError::WrongLog`] for a checkpoint not by the operator,
    /// [`BoardError::Fork`] naming both checkpoints when it does not extend the last one,
    /// [`BoardError::OutOfRange`] when it is older than the last one; I/O errors.
    pub fn cosign(
        &mut self,
        signed: &SignedCheckpoint,
        proof: &[Hash],
        policy: &TrustPolicy,
        now: u64,
    ) -> Result<SignedCheckpoint, BoardError> {
        let operator_only = policy.operator_signature_only();
        operator_only.verify(signed)?;
        let new = signed.checkpoint();
        if let Some(last) = &self.last {
            if last.origin != new.origin {
                return Err(BoardError::WrongLog {
                    item: format!("witness state {}", self.state_path.display()),
                    found: new.origin.clone(),
                    expected: last.origin.clone(),
                });
            }
            if new.size < last.size {
                return Err(BoardError::OutOfRange {
                    what: "checkpoint older than the last cosigned one, size",
                    value: new.size,
                    size: last.size,
                });
            }
            if last.size > 0 {
                verify_consistency(last.size, new.size, proof, &last.root, &new.root).map_err(
                    |e| BoardError::Fork {
                        first: last.to_string(),
                        second: new.to_string(),
                        reason: e.to_string(),
                    },
                )?;
            }
        }
        write_atomic(&self.state_path, new.to_text().as_bytes(), Access::Public)?;
        self.last = Some(new.clone());
        let mut cosigned = signed.clone();
        cosigned.cosign(&self.signer, now)?;
        Ok(cosigned)
    }

    /// Witnesses the checkpoint of a static mirror: verifies it, checks its tiles against its
    /// root, builds the consistency proof from the last cosigned size out of the tiles, and
    /// cosigns.
    ///
    /// # Errors
    /// As [`Witness::cosign`], plus [`BoardError::Malformed`] when the mirror's tiles do not
    /// match its checkpoint, and I/O errors naming the mirror's files.
    pub fn witness_mirror(
        &mut self,
        dir: &Path,
        policy: &TrustPolicy,
        now: u64,
    ) -> Result<SignedCheckpoint, BoardError> {
        let operator_only = policy.operator_signature_only();
        let mut mirror = Mirror::open(dir, &operator_only)?;
        let cp = mirror.checkpoint().checkpoint().clone();
        if mirror.root_at(cp.size)? != cp.root {
            return Err(BoardError::malformed(
                dir.display().to_string(),
                format!("the mirror's tiles do not match its {cp}"),
            ));
        }
        let proof = match &self.last {
            Some(last) if last.size > 0 && last.size < cp.size => {
                mirror.consistency_proof(last.size)?
            }
            _ => Vec::new(),
        };
        let signed = mirror.checkpoint().clone();
        self.cosign(&signed, &proof, policy, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Board, PUBLIC_DIR};
    use crate::entry::{Entry, EntryKind};
    use crate::note::KeyRole;

    #[test]
    fn witness_cosigns_extensions_and_refuses_forks() -> Result<(), BoardError> {
        let dir = tempfile::tempdir().map_err(BoardError::io("tempdir"))?;
        let op = NoteSigner::generate("board.example/w", KeyRole::Operator)?;
        let wkey = NoteSigner::generate("observers.example/w1", KeyRole::Witness)?;
        let policy = TrustPolicy {
            operator: op.verifier(),
            witnesses: vec![wkey.verifier()],
            quorum: 1,
        };
        let mut board = Board::create(&dir.path().join("b"), &policy)?;
        let kind = EntryKind::new("t")?;
        let state = dir.path().join("witness.state");
        let mut witness = Witness::open(NoteSigner::from_skey(&wkey.to_skey(), "k")?, &state)?;
        let public = board.dir().join(PUBLIC_DIR);
        for round in 0..3u8 {
            let batch: Vec<Entry> = (0..100u8)
                .map(|i| Entry::new(kind.clone(), vec![round, i]))
                .collect::<Result<_, _>>()?;
            board.append_batch(&batch)?;
            board.sign_checkpoint(&op)?;
            board.publish()?;
            let cosigned = witness.witness_mirror(&public, &policy, 1_700_000_000)?;
            policy.verify(&cosigned)?;
            board.add_cosignatures(&cosigned)?;
            board.publish()?;
            Mirror::open(&public, &policy)?;
        }
        // The state survives a restart.
        let mut witness = Witness::open(NoteSigner::from_skey(&wkey.to_skey(), "k")?, &state)?;
        assert_eq!(witness.last().map(|c| c.size), Some(300));
        // A forked log signed by the same operator key is refused, naming both checkpoints.
        let mut forked = Board::create(&dir.path().join("fork"), &policy)?;
        let batch: Vec<Entry> = (0..301u16)
            .map(|i| Entry::new(kind.clone(), i.to_be_bytes().to_vec()))
            .collect::<Result<_, _>>()?;
        forked.append_batch(&batch)?;
        forked.sign_checkpoint(&op)?;
        forked.publish()?;
        let err = witness.witness_mirror(&forked.dir().join(PUBLIC_DIR), &policy, 1);
        let Err(BoardError::Fork { first, second, .. }) = err else {
            return Err(BoardError::malformed(
                "test",
                format!("expected a fork, got {err:?}"),
            ));
        };
        assert!(first.contains("size 300") && second.contains("size 301"));
        assert_eq!(witness.last().map(|c| c.size), Some(300));
        Ok(())
    }
}
