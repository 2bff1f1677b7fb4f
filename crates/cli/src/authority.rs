//! `fairtally authority ...`: the election authority's steps over the record directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use fairtally_election::ballot::BallotEntry;
use fairtally_election::guardian::GuardianPublic;
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::ElectionParameters;
use fairtally_election::tally::DecryptionShare;
use fairtally_election::{authority, bulletin};

use crate::files::read;
use crate::progress::Bars;
use crate::report::print_result;

/// The authority's commands.
#[derive(Subcommand)]
pub enum AuthorityCommand {
    /// Create an election: writes record.json, manifest.json and parameters.json into RECORD.
    Create {
        /// The record directory to create.
        #[arg(long)]
        record: PathBuf,
        /// The manifest (JSON); the embedded demo manifest when left out.
        #[arg(long)]
        manifest: Option<PathBuf>,
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
    /// Publish the guardians' public records (all of them, any order) after checking their proofs.
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
    /// Open voting: check guardians and credential list, publish the election context.
    Open {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
    },
    /// Check ballots fully and append them to the ballot box.
    Accept {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// Ballot files from `fairtally voter cast` or `fairtally voter challenge`.
        #[arg(required = true)]
        ballots: Vec<PathBuf>,
    },
    /// Close voting: verify the ballot box and publish the encrypted tally.
    Close {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
    },
    /// Check guardians' decryption shares and add them to the record.
    AddShare {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// Share files from `fairtally guardian decrypt`.
        #[arg(required = true)]
        shares: Vec<PathBuf>,
    },
    /// Combine the decryption shares and publish the result.
    Publish {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
    },
    /// Post every item of the record to the bulletin board (created with `fairtally board
    /// init`), sign a checkpoint and copy the board's public files into RECORD/board. Posting
    /// again after more items were added appends only the new ones.
    Post {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// The board directory.
        #[arg(long)]
        board: PathBuf,
        /// The operator key (default BOARD/operator.key).
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

/// Run one authority command.
pub fn run(command: AuthorityCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuthorityCommand::Create {
            record,
            manifest,
            guardians,
            threshold,
            board,
            witness_policy,
        } => {
            let manifest = match manifest {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Manifest::from_json(&text, &path)?
                }
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
                "Created election {:?} in {}: {} contests, {guardians} guardians, threshold {threshold}.",
                manifest.election,
                record.display(),
                manifest.contests.len()
            );
        }
        AuthorityCommand::AddGuardians { record, publics } => {
            let mut guardians: Vec<GuardianPublic> = publics
                .iter()
                .map(|p| read(p))
                .collect::<anyhow::Result<_>>()?;
            guardians.sort_by_key(|g| g.index);
            authority::publish_guardians(&record, &guardians)?;
            println!(
                "Published {} guardians; their proofs verify.",
                guardians.len()
            );
        }
        AuthorityCommand::AddCeremony {
            record,
            shares,
            complaints,
        } => return crate::guardian::publish_ceremony(&record, &shares, &complaints),
        AuthorityCommand::Open { record } => {
            let context = authority::open_voting(&record)?;
            println!(
                "Voting is open. {} credentials. Election base hash {}.",
                context.credentials, context.base_hash
            );
        }
        AuthorityCommand::Accept { record, ballots } => {
            let setup = authority::load_setup(&record)?;
            for path in &ballots {
                let entry: BallotEntry = read(path)?;
                authority::accept_ballot(&record, &setup, &entry)
                    .with_context(|| format!("ballot {}", path.display()))?;
                println!(
                    "Accepted ballot {} ({:?}).",
                    entry.ballot.code(),
                    entry.intent
                );
            }
        }
        AuthorityCommand::Close { record } => {
            let tally = authority::close_voting(&record, &Bars::default())?;
            println!(
                "Voting is closed. Encrypted tally of {} counted ballots published.",
                tally.ballots
            );
        }
        AuthorityCommand::AddShare { record, shares } => {
            for path in &shares {
                let share: DecryptionShare = read(path)?;
                authority::accept_decryption_share(&record, &share)
                    .with_context(|| format!("share {}", path.display()))?;
                println!(
                    "Accepted the decryption share of guardian {}; its proofs verify.",
                    share.guardian
                );
            }
        }
        AuthorityCommand::Post { record, board, key } => {
            crate::record_board::post(&record, &board, key.as_deref())?;
        }
        AuthorityCommand::Publish { record } => {
            let result = authority::publish_result(&record)?;
            let (manifest, _) = authority::read_election(&record)?;
            println!("Result published:");
            print_result(&manifest, &result);
        }
    }
    Ok(ExitCode::SUCCESS)
}
