//! `fairtally authority ...`: the election authority's steps over the record directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use fairtally_board::board::Board;
use fairtally_board::note::NoteSigner;
use fairtally_election::ballot::BallotEntry;
use fairtally_election::ballot_box::{self, BallotBox, RecordLock};
use fairtally_election::guardian::GuardianPublic;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::tally::DecryptionShare;
use fairtally_election::{authority, bulletin};

use crate::board::{operator_key, print_checkpoint};
use crate::files::read;
use crate::manifest::{ManifestFormat, read_manifest};
use crate::output::counted;
use crate::progress::Bars;
use crate::report::print_result;

/// The authority's bulletin board, where every item goes as it is published.
#[derive(Args)]
pub struct BoardArgs {
    /// The board directory (made with `fairtally board init`).
    #[arg(long)]
    pub board: PathBuf,
    /// The operator key (default BOARD/operator.key).
    #[arg(long)]
    pub key: Option<PathBuf>,
}

impl BoardArgs {
    fn open(&self) -> anyhow::Result<(Board, NoteSigner)> {
        let operator = operator_key(&self.board, self.key.as_deref())?;
        Ok((Board::open(&self.board)?, operator))
    }
}

/// Refuses a record directory that holds no election (a mistyped path is never created).
fn existing_record(record: &Path) -> anyhow::Result<()> {
    if !record
        .join(fairtally_election::record::files::HEADER)
        .is_file()
    {
        anyhow::bail!(
            "{} holds no election record (no {}); check the path",
            record.display(),
            fairtally_election::record::files::HEADER
        );
    }
    Ok(())
}

/// The authority's commands.
#[derive(Subcommand)]
pub enum AuthorityCommand {
    /// Create an election: writes record.json, manifest.json and parameters.json into RECORD.
    Create {
        /// The record directory to create.
        #[arg(long)]
        record: PathBuf,
        /// The manifest (JSON): fairtally's, or an ElectionGuard manifest (detected, or say
        /// --manifest-format electionguard); the embedded demo manifest when left out.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// What the manifest file is; detected when left out.
        #[arg(long, value_enum, default_value_t = ManifestFormat::Auto)]
        manifest_format: ManifestFormat,
        /// Number of guardians.
        #[arg(long)]
        guardians: u32,
        /// Guardians needed to decrypt.
        #[arg(long)]
        threshold: u32,
        /// The election's bulletin board (made with `fairtally board init`): its operator's key
        /// goes into the parameters, and so into the election's fingerprint.
        #[arg(long)]
        board: PathBuf,
        /// A trust policy file (operator, witness keys, quorum) for the board; the board's own
        /// operator-only policy when left out.
        #[arg(long, value_name = "FILE")]
        witness_policy: Option<PathBuf>,
    },
    /// Publish the guardians' public records (all of them, any order) after checking their
    /// proofs. Refused once voting is open.
    AddGuardians {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// The guardians' public files from `fairtally guardian generate`.
        #[arg(required = true)]
        publics: Vec<PathBuf>,
    },
    /// Publish the key ceremony: every guardian's encrypted shares (checked to be the complete
    /// set, each signed by its sender) and any complaints, each judged.
    AddCeremony {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// Every guardian's encrypted shares file from `fairtally guardian send-shares`.
        #[arg(long, required = true, num_args = 1..)]
        shares: Vec<PathBuf>,
        /// The guardians' complaints files, if any guardian complained.
        #[arg(long, num_args = 1..)]
        complaints: Vec<PathBuf>,
    },
    /// Open voting: check guardians and credential list, publish the election context and
    /// post the set-up to the bulletin board.
    Open {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        board: BoardArgs,
    },
    /// Check ballots fully and put them in the ballot box: on the board first, then in
    /// ballots.jsonl. A ballot already in the box is reported, not added again.
    Accept {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        board: BoardArgs,
        /// Ballot files from `fairtally voter cast` or `fairtally voter challenge`.
        #[arg(required = true)]
        ballots: Vec<PathBuf>,
    },
    /// Close voting: sum the counted ballots (each was verified when accepted) and publish
    /// and post the encrypted tally.
    Close {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        board: BoardArgs,
    },
    /// Check guardians' decryption shares, add them to the record and post them.
    AddShare {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        board: BoardArgs,
        /// Share files from `fairtally guardian decrypt`.
        #[arg(required = true)]
        shares: Vec<PathBuf>,
    },
    /// Combine the decryption shares, publish the result and post it.
    Publish {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        board: BoardArgs,
    },
    /// Post every item of the record that is not on the bulletin board yet, sign a
    /// checkpoint and copy the board's public files into RECORD/board. The record must exist.
    Post {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        board: BoardArgs,
    },
}

/// Run one authority command.
pub fn run(command: AuthorityCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuthorityCommand::Create {
            record,
            manifest,
            manifest_format,
            guardians,
            threshold,
            board,
            witness_policy,
        } => {
            let manifest = match manifest {
                Some(path) => read_manifest(&path, manifest_format)?,
                None => Manifest::default_demo()?,
            };
            let witnesses = witness_policy
                .as_deref()
                .map(crate::record_board::read_pinned_policy)
                .transpose()?;
            let policy = bulletin::board_policy_for_election(&board, witnesses.as_ref())?;
            let parameters = ElectionParameters::new(guardians, threshold, &policy)?;
            authority::create_election(&record, &manifest, &parameters)?;
            println!(
                "Created election {:?} in {}: {}, {}, threshold {threshold}.",
                manifest.election,
                record.display(),
                counted(manifest.contests.len() as u64, "contest", "contests"),
                counted(guardians, "guardian", "guardians")
            );
            if let Some(styles) = &manifest.ballot_styles {
                println!(
                    "It has {}: give each voter one when issuing credentials.",
                    counted(styles.len() as u64, "ballot style", "ballot styles")
                );
            }
        }
        AuthorityCommand::AddGuardians { record, publics } => {
            let mut guardians: Vec<GuardianPublic> = publics
                .iter()
                .map(|p| read(p))
                .collect::<anyhow::Result<_>>()?;
            guardians.sort_by_key(|g| g.index);
            authority::publish_guardians(&record, &guardians)?;
            println!(
                "Published {}; their proofs verify.",
                counted(guardians.len() as u64, "guardian", "guardians")
            );
        }
        AuthorityCommand::AddCeremony {
            record,
            shares,
            complaints,
        } => return crate::guardian::publish_ceremony(&record, &shares, &complaints),
        AuthorityCommand::Open { record, board } => {
            let (board, operator) = board.open()?;
            let setup = ballot_box::open_voting(&record, board, &operator)?;
            println!(
                "Voting is open. {}. Election base hash {}. The set-up is on the board.",
                counted(setup.context.credentials, "credential", "credentials"),
                setup.context.base_hash
            );
        }
        AuthorityCommand::Accept {
            record,
            board,
            ballots,
        } => {
            let (board, operator) = board.open()?;
            let mut ballot_box = BallotBox::open(&record, board, &operator)?;
            let mut outcome = Ok(());
            for path in &ballots {
                let accepted = read::<BallotEntry>(path).and_then(|entry| {
                    ballot_box
                        .accept(&entry)
                        .with_context(|| format!("ballot {}", path.display()))
                });
                match accepted {
                    Ok(a) if a.new => println!(
                        "Accepted ballot {} ({}) as board entry {}.",
                        a.code,
                        a.intent.name(),
                        a.board_index
                    ),
                    Ok(a) => println!(
                        "Ballot {} ({}) was already accepted as board entry {}; nothing changed.",
                        a.code,
                        a.intent.name(),
                        a.board_index
                    ),
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            // The ballots accepted so far are on the board either way: sign and publish.
            print_checkpoint(&ballot_box.checkpoint()?);
            outcome?;
        }
        AuthorityCommand::Close { record, board } => {
            let (board, operator) = board.open()?;
            let tally = BallotBox::open(&record, board, &operator)?.close(&Bars::default())?;
            println!(
                "Voting is closed. Encrypted tally of {} published and posted.",
                counted(tally.ballots, "counted ballot", "counted ballots")
            );
        }
        AuthorityCommand::AddShare {
            record,
            board,
            shares,
        } => {
            let (mut board, operator) = board.open()?;
            for path in &shares {
                let share: DecryptionShare = read(path)?;
                authority::accept_decryption_share(&record, &share, &mut board, &operator)
                    .with_context(|| format!("share {}", path.display()))?;
                println!(
                    "Accepted the decryption share of guardian {}; its proofs verify.",
                    share.guardian
                );
            }
        }
        AuthorityCommand::Post { record, board } => {
            existing_record(&record)?;
            let _lock = RecordLock::acquire(&record)?;
            crate::record_board::post(&record, &board.board, board.key.as_deref())?;
        }
        AuthorityCommand::Publish { record, board } => {
            let (mut board, operator) = board.open()?;
            let result = authority::publish_result(&record, &mut board, &operator)?;
            let (manifest, _) = authority::read_election(&record)?;
            println!("Result published:");
            print_result(&manifest, &result);
        }
    }
    Ok(ExitCode::SUCCESS)
}
