//! `fairtally registrar ...`: issuing voter credentials.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use fairtally_election::{authority, credential};

use crate::files::write_new_secret;

/// The registrar's commands.
#[derive(Subcommand)]
pub enum RegistrarCommand {
    /// Issue credentials: publish the public list into the record, one secret file per voter.
    Issue {
        /// The record directory (credentials.jsonl is written there).
        #[arg(long)]
        record: PathBuf,
        /// Number of eligible voters.
        #[arg(long)]
        voters: usize,
        /// Directory for the voters' secret credential files (voter-00001.json, ...).
        #[arg(long)]
        out_dir: PathBuf,
    },
}

/// Run one registrar command.
pub fn run(command: RegistrarCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistrarCommand::Issue {
            record,
            voters,
            out_dir,
        } => {
            if voters == 0 {
                anyhow::bail!("--voters must be at least 1");
            }
            authority::read_election(&record)?;
            let list_path = record.join(fairtally_election::record::files::CREDENTIALS);
            if list_path.exists() {
                anyhow::bail!(
                    "{} already exists: credentials were issued",
                    list_path.display()
                );
            }
            let (credentials, list) = credential::issue(voters)?;
            for (c, i) in credentials.iter().zip(1..) {
                write_new_secret(&out_dir.join(format!("voter-{i:05}.json")), c)?;
            }
            authority::publish_credentials(&record, &list)?;
            println!(
                "Issued {voters} credentials: public list {}, secrets in {} (hand each voter theirs).",
                list_path.display(),
                out_dir.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
