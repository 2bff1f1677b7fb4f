//! `fairtally voter ...`: what the voter's device does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use fairtally_election::authority;
use fairtally_election::ballot::{Choices, PreparedBallot, Selections, encrypt_ballot};
use fairtally_election::credential::Credential;

use crate::files::{read, write_new, write_new_secret};

/// The voter's commands.
#[derive(Subcommand)]
pub enum VoterCommand {
    /// Encrypt a ballot from a choices file and show its confirmation code.
    Encrypt {
        /// The record directory (voting must be open).
        #[arg(long)]
        record: PathBuf,
        /// The voter's credential file.
        #[arg(long)]
        credential: PathBuf,
        /// The choices, e.g. {"president": ["chen"], "referendum-priorities": ["parks"]}.
        #[arg(long)]
        choices: PathBuf,
        /// Where to write the prepared ballot (it holds the opening: keep it private).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a prepared ballot for casting; give the output to the authority.
    Cast {
        /// The prepared ballot.
        #[arg(long)]
        prepared: PathBuf,
        /// The voter's credential file.
        #[arg(long)]
        credential: PathBuf,
        /// Where to write the signed ballot.
        #[arg(long)]
        out: PathBuf,
    },
    /// Challenge a prepared ballot instead: it is opened (never counted) and anyone can check it.
    Challenge {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// The prepared ballot.
        #[arg(long)]
        prepared: PathBuf,
        /// The voter's credential file.
        #[arg(long)]
        credential: PathBuf,
        /// Where to write the signed, opened ballot.
        #[arg(long)]
        out: PathBuf,
    },
    /// Look up a confirmation code in the record's ballot box.
    Lookup {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// The confirmation code, e.g. 7K3D-QX2M-0ABF-9TZC.
        #[arg(long)]
        code: String,
    },
}

/// Run one voter command.
pub fn run(command: VoterCommand) -> anyhow::Result<ExitCode> {
    match command {
        VoterCommand::Encrypt {
            record,
            credential,
            choices,
            out,
        } => {
            let setup = authority::load_setup(&record)?;
            let credential: Credential = read(&credential)?;
            if setup.credentials.position(&credential.public()).is_none() {
                anyhow::bail!("this credential is not on the election's credential list");
            }
            let choices: Choices = read(&choices)?;
            let selections = Selections::from_choices(&setup.manifest, &choices)?;
            let prepared = encrypt_ballot(&setup.voting_context(), &credential, &selections)?;
            write_new_secret(&out, &prepared)?;
            println!("Confirmation code: {}", prepared.code());
            println!(
                "Now cast it (fairtally voter cast) or challenge it (fairtally voter challenge)."
            );
        }
        VoterCommand::Cast {
            prepared,
            credential,
            out,
        } => {
            let p: PreparedBallot = read(&prepared)?;
            let credential: Credential = read(&credential)?;
            let code = p.code();
            write_new(&out, &p.cast(&credential)?)?;
            println!(
                "Ballot {code} signed for casting in {}. Look the code up in the record later.",
                out.display()
            );
        }
        VoterCommand::Challenge {
            record,
            prepared,
            credential,
            out,
        } => {
            let setup = authority::load_setup(&record)?;
            let p: PreparedBallot = read(&prepared)?;
            let credential: Credential = read(&credential)?;
            let code = p.code();
            let entry = p.challenge(&credential)?;
            let opened = entry
                .check_opening(&setup.voting_context())
                .map_err(|e| anyhow::anyhow!("the device's opening is wrong: {e}"))?;
            write_new(&out, &entry)?;
            println!("Ballot {code} challenged; it will not be counted. It encrypts:");
            for (contest, options) in &opened.0 {
                println!(
                    "  {contest}: {}",
                    if options.is_empty() {
                        "(blank)".to_string()
                    } else {
                        options.join(", ")
                    }
                );
            }
            println!(
                "If that is not what you chose, the device is cheating. Encrypt a new ballot to vote."
            );
        }
        VoterCommand::Lookup { record, code } => match authority::find_ballot(&record, &code)? {
            Some((line, entry)) => println!(
                "Ballot {code} is in the record at line {line} ({:?}).",
                entry.intent
            ),
            None => {
                println!("Ballot {code} is NOT in the record.");
                return Ok(ExitCode::from(1));
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
