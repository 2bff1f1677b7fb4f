//! `fairtally guardian ...`: the key ceremony steps, complaints and decryption shares. Each step
//! reads the record directory (a copy is enough; nothing here needs a network) and the
//! guardian's own secret file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use fairtally_election::authority;
use fairtally_election::ceremony::{self, Complaint, KeyShare, Received, ShareMessage, Verdict};
use fairtally_election::guardian::{self, GuardianPublic, GuardianSecret};
use fairtally_election::parameters::ceremony_context;
use fairtally_election::record::{JsonLinesReader, files, read_json};
use fairtally_election::tally::{EncryptedTally, decrypt_share};

use crate::files::{read, write_new, write_new_secret};

/// The guardians' commands.
#[derive(Subcommand)]
pub enum GuardianCommand {
    /// Step 1: generate this guardian's polynomial, commitments, proofs and transport key.
    Generate {
        /// The record directory (manifest.json and parameters.json are read).
        #[arg(long)]
        record: PathBuf,
        /// This guardian's sequence number, 1..=n.
        #[arg(long)]
        index: u32,
        /// This guardian's name, e.g. "Electoral commission".
        #[arg(long)]
        name: String,
        /// Where to write the secret file (keep it offline).
        #[arg(long)]
        secret: PathBuf,
        /// Where to write the public file (give it to the authority).
        #[arg(long)]
        public: PathBuf,
    },
    /// Step 2: encrypt this guardian's share for every other guardian (after `authority add-guardians`).
    SendShares {
        /// The record directory (guardians.jsonl is read).
        #[arg(long)]
        record: PathBuf,
        /// This guardian's secret file.
        #[arg(long)]
        secret: PathBuf,
        /// Where to write the encrypted shares (publish them; they are encrypted).
        #[arg(long)]
        out: PathBuf,
    },
    /// Step 3: decrypt and check the shares sent to this guardian; write the key share, or
    /// complaints naming the guardians who sent bad shares.
    ReceiveShares {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// This guardian's secret file.
        #[arg(long)]
        secret: PathBuf,
        /// Every guardian's encrypted shares file from step 2.
        #[arg(long, required = true, num_args = 1..)]
        shares: Vec<PathBuf>,
        /// Where to write the key share (keep it offline).
        #[arg(long)]
        key_share: PathBuf,
        /// Where to write complaints if a share is bad.
        #[arg(long)]
        complaints: PathBuf,
    },
    /// Anyone: check a guardian's complaints against the published shares.
    CheckComplaint {
        /// The record directory.
        #[arg(long)]
        record: PathBuf,
        /// The complaints file.
        #[arg(long)]
        complaints: PathBuf,
        /// The published encrypted shares files.
        #[arg(long, required = true, num_args = 1..)]
        shares: Vec<PathBuf>,
    },
    /// Publish this guardian's decryption share of the encrypted tally, with proofs.
    Decrypt {
        /// The record directory (encrypted-tally.json is read).
        #[arg(long)]
        record: PathBuf,
        /// This guardian's key share file.
        #[arg(long)]
        key_share: PathBuf,
        /// Where to write the decryption share (give it to the authority).
        #[arg(long)]
        out: PathBuf,
    },
}

fn published_guardians(record: &Path) -> anyhow::Result<Vec<GuardianPublic>> {
    Ok(JsonLinesReader::open(&record.join(files::GUARDIANS))?.read_all()?)
}

fn read_messages(paths: &[PathBuf]) -> anyhow::Result<Vec<ShareMessage>> {
    let mut all = Vec::new();
    for path in paths {
        let messages: Vec<ShareMessage> = read(path)?;
        all.extend(messages);
    }
    Ok(all)
}

/// Run one guardian command.
pub fn run(command: GuardianCommand) -> anyhow::Result<ExitCode> {
    match command {
        GuardianCommand::Generate {
            record,
            index,
            name,
            secret,
            public,
        } => {
            let (manifest, parameters) = authority::read_election(&record)?;
            let context = ceremony_context(&manifest, &parameters);
            let (s, p) = guardian::generate(&context, &parameters, index, &name)?;
            write_new_secret(&secret, &s)?;
            write_new(&public, &p)?;
            println!(
                "Guardian {index} ({name}): secret in {}, public record in {}.",
                secret.display(),
                public.display()
            );
        }
        GuardianCommand::SendShares {
            record,
            secret,
            out,
        } => {
            let (manifest, parameters) = authority::read_election(&record)?;
            let context = ceremony_context(&manifest, &parameters);
            let guardians = published_guardians(&record)?;
            guardian::verify_all(&context, &parameters, &guardians)?;
            let s: GuardianSecret = read(&secret)?;
            let messages = ceremony::encrypt_shares(&context, &s, &guardians)?;
            write_new(&out, &messages)?;
            println!(
                "Guardian {}: {} encrypted shares in {}.",
                s.index,
                messages.len(),
                out.display()
            );
        }
        GuardianCommand::ReceiveShares {
            record,
            secret,
            shares,
            key_share,
            complaints,
        } => {
            let (manifest, parameters) = authority::read_election(&record)?;
            let context = ceremony_context(&manifest, &parameters);
            let guardians = published_guardians(&record)?;
            let s: GuardianSecret = read(&secret)?;
            let messages = read_messages(&shares)?;
            match ceremony::receive_shares(&context, &parameters, &s, &guardians, &messages)? {
                Received::KeyShare(key) => {
                    write_new_secret(&key_share, &key)?;
                    println!(
                        "Guardian {}: every share checks out; key share in {}.",
                        s.index,
                        key_share.display()
                    );
                }
                Received::Complaints(list) => {
                    write_new(&complaints, &list)?;
                    let accused: Vec<String> = list.iter().map(|c| c.from.to_string()).collect();
                    eprintln!(
                        "Guardian {}: bad share(s) from guardian(s) {}; complaints written to {} — publish them.",
                        s.index,
                        accused.join(", "),
                        complaints.display()
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
        GuardianCommand::CheckComplaint {
            record,
            complaints,
            shares,
        } => {
            let (manifest, parameters) = authority::read_election(&record)?;
            let context = ceremony_context(&manifest, &parameters);
            let guardians = published_guardians(&record)?;
            let messages = read_messages(&shares)?;
            let list: Vec<Complaint> = read(&complaints)?;
            for complaint in &list {
                match ceremony::check_complaint(&context, &guardians, Some(&messages), complaint)? {
                    Verdict::SenderAtFault { guardian, reason } => {
                        println!(
                            "Complaint by guardian {} upheld: guardian {guardian} is at fault: {reason}.",
                            complaint.to
                        );
                    }
                    Verdict::Unfounded { guardian, reason } => {
                        println!(
                            "Complaint by guardian {guardian} against guardian {} is unfounded: {reason}.",
                            complaint.from
                        );
                    }
                }
            }
        }
        GuardianCommand::Decrypt {
            record,
            key_share,
            out,
        } => {
            let setup = authority::load_setup(&record)?;
            let key: KeyShare = read(&key_share)?;
            key.check_matches(&setup.guardians)?;
            let tally: EncryptedTally = read_json(&record.join(files::ENCRYPTED_TALLY))?;
            let share = decrypt_share(&setup.context.base_hash, &setup.manifest, &key, &tally)?;
            write_new(&out, &share)?;
            println!(
                "Guardian {}: decryption share of {} ballots in {}.",
                key.index,
                tally.ballots,
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
