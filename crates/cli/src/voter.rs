//! `fairtally voter ...`: what the voter's device does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use fairtally_election::authority;
use fairtally_election::ballot::{
    Choices, ConfirmationCode, DeviceBallot, Selections, encrypt_ballot,
};
use fairtally_election::ballot_box::{BallotStatus, ballot_status};
use fairtally_election::credential::Credential;

use crate::files::{read, replace_secret, write_new, write_new_secret};
use crate::output::status;
use crate::report::print_json;

/// The voter's commands.
#[derive(Subcommand)]
pub enum VoterCommand {
    /// Generate your own credential (a signing key) on your device; give only the printed
    /// public key to the registrar (`fairtally registrar issue --public-keys`).
    Keygen {
        /// Where to write the secret credential (owner-only; it must not exist yet).
        #[arg(long)]
        out: PathBuf,
    },
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
    /// Sign a prepared ballot for casting and wipe its nonces from the prepared file; give the
    /// output to the authority. Refused for a challenged ballot.
    Cast {
        /// The prepared ballot (rewritten without its opening).
        #[arg(long)]
        prepared: PathBuf,
        /// The voter's credential file.
        #[arg(long)]
        credential: PathBuf,
        /// Where to write the signed ballot.
        #[arg(long)]
        out: PathBuf,
    },
    /// Challenge a prepared ballot instead: it is opened (never counted) and anyone can check
    /// it. Refused for a cast ballot.
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
    /// Look up a confirmation code in the record's ballot box: cast, superseded or challenged.
    Lookup {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// The confirmation code as printed (case, dashes, O/0 and I/L/1 do not matter).
        #[arg(long, visible_alias = "ballot")]
        code: String,
        /// Print the answer as JSON on stdout: `format`, `code`, `found`, `status`, `line`,
        /// `counted` (schema in the README, "Scripting").
        #[arg(long)]
        json: bool,
    },
}

fn refuse_existing(out: &std::path::Path) -> anyhow::Result<()> {
    if out.exists() {
        anyhow::bail!("{} already exists; refusing to overwrite it", out.display());
    }
    Ok(())
}

/// Run one voter command.
pub fn run(command: VoterCommand) -> anyhow::Result<ExitCode> {
    match command {
        VoterCommand::Keygen { out } => {
            let credential = Credential::generate();
            write_new_secret(&out, &credential)?;
            // Only the public key on stdout, so that `> my-public-key.txt` is the file to give.
            status(&format!(
                "Your secret credential is in {} (owner-only; keep it).",
                out.display()
            ));
            status("Your public credential, for the registrar (one line of hex):");
            println!("{}", credential.public().to_hex());
        }
        VoterCommand::Encrypt {
            record,
            credential,
            choices,
            out,
        } => {
            let setup = authority::load_setup(&record)?;
            let credential: Credential = read(&credential)?;
            let Some(position) = setup.credentials.position(&credential.public()) else {
                anyhow::bail!("this credential is not on the election's credential list");
            };
            let choices: Choices = read(&choices)?;
            let style = setup.credentials.style_of(position);
            let selections = Selections::for_style(&setup.manifest, style, &choices)?;
            let prepared = encrypt_ballot(&setup.voting_context(), &credential, &selections)?;
            write_new_secret(&out, &DeviceBallot::from(prepared.clone()))?;
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
            refuse_existing(&out)?;
            let mut device: DeviceBallot = read(&prepared)?;
            let credential: Credential = read(&credential)?;
            let had_opening = device.opening.is_some();
            let entry = device.cast(&credential)?;
            // Wipe the nonces before the cast ballot exists anywhere: a crash in between
            // leaves a ballot that can be cast again, never a receipt.
            replace_secret(&prepared, &device)?;
            write_new(&out, &entry)?;
            println!(
                "Ballot {} signed for casting in {}. Look the code up in the record later.",
                entry.ballot.code(),
                out.display()
            );
            if had_opening {
                println!(
                    "Its nonces were wiped from {}: the file can no longer show how you voted.",
                    prepared.display()
                );
            }
        }
        VoterCommand::Challenge {
            record,
            prepared,
            credential,
            out,
        } => {
            refuse_existing(&out)?;
            let setup = authority::load_setup(&record)?;
            let mut device: DeviceBallot = read(&prepared)?;
            let credential: Credential = read(&credential)?;
            let code = device.code();
            if let Some(found) = ballot_status(&record, &code)?
                && found.status != BallotStatus::Challenged
            {
                anyhow::bail!(
                    "ballot {code} is in the ballot box as {}: a cast ballot cannot be challenged",
                    found.status.name()
                );
            }
            let entry = device.challenge(&credential)?;
            let opened = entry
                .check_opening(&setup.voting_context())
                .map_err(|e| anyhow::anyhow!("the device's opening is wrong: {e}"))?;
            replace_secret(&prepared, &device)?;
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
        VoterCommand::Lookup { record, code, json } => {
            let code: ConfirmationCode = code.parse()?;
            let found = ballot_status(&record, &code)?;
            if json {
                print_json(&serde_json::json!({
                    "format": "fairtally-lookup/1",
                    "code": code.to_string(),
                    "found": found.is_some(),
                    "status": found.as_ref().map(|f| f.status.name()),
                    "line": found.as_ref().map(|f| f.line),
                    "counted": found.as_ref().is_some_and(|f| f.status == BallotStatus::Cast),
                }))?;
                return Ok(ExitCode::from(u8::from(found.is_none())));
            }
            match found {
                Some(found) => println!(
                    "Ballot {code} is in the record at line {}: {}.",
                    found.line,
                    match found.status {
                        BallotStatus::Cast => "cast, and it counts",
                        BallotStatus::Superseded =>
                            "superseded: the same credential cast a later ballot, which counts instead",
                        BallotStatus::Challenged => "challenged: opened, and not counted",
                    }
                ),
                None => {
                    println!("Ballot {code} is NOT in the record.");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
