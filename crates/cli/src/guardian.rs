//! `fairtally guardian ...`: the key ceremony steps, complaints and decryption shares. Each step
//! reads the record directory (a copy is enough; nothing here needs a network) and the
//! guardian's own secret file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use fairtally_election::ceremony::{self, Complaint, KeyShare, Received, ShareMessage, Verdict};
use fairtally_election::guardian::GuardianSecret;
use fairtally_election::guardian::steps;
use fairtally_election::verifier::{Pins, parse_fingerprint};
use serde::de::DeserializeOwned;

use crate::files::{read, write_new, write_new_secret};
use crate::output::counted;
use crate::progress::Bars;

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
        /// Where to write this guardian's secret key file (keep it offline).
        #[arg(long = "key", alias = "secret", value_name = "FILE")]
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
        /// This guardian's secret key file (from `guardian generate --key`).
        #[arg(long = "key", alias = "secret", value_name = "FILE")]
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
        /// This guardian's secret key file (from `guardian generate --key`).
        #[arg(long = "key", alias = "secret", value_name = "FILE")]
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
    /// Anyone: check a guardian's complaints against the published shares. Exit 1 if a
    /// complaint is upheld (the ceremony must be held again), 0 if every one is unfounded.
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
    /// Verify the record up to its encrypted tally with the verifier's own code (board, order,
    /// every ballot, the sum), then publish this guardian's decryption share of that tally, with
    /// proofs. Refuses a tally the counted ballots do not add up to.
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
        /// The election's fingerprint, obtained out of band (see `fairtally verify --expect`).
        #[arg(long, value_name = "FINGERPRINT")]
        expect: Option<String>,
        /// The board's trust policy, obtained out of band (see `fairtally verify --board-policy`).
        #[arg(long, value_name = "FILE")]
        board_policy: Option<PathBuf>,
    },
}

/// Every item of the JSON list files `paths`, in order.
fn read_lists<T: DeserializeOwned>(paths: &[PathBuf]) -> anyhow::Result<Vec<T>> {
    let mut all = Vec::new();
    for path in paths {
        let items: Vec<T> = read(path)?;
        all.extend(items);
    }
    Ok(all)
}

fn read_messages(paths: &[PathBuf]) -> anyhow::Result<Vec<ShareMessage>> {
    read_lists(paths)
}

/// `fairtally authority add-ceremony`: publish the guardians' share messages and complaints in
/// the record. Exits 1 when a complaint is published (the ceremony did not finish).
pub fn publish_ceremony(
    record: &Path,
    shares: &[PathBuf],
    complaints: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let messages = read_messages(shares)?;
    let complaints: Vec<Complaint> = read_lists(complaints)?;
    let problems = ceremony::publish(record, &messages, &complaints)?;
    println!(
        "Published the key ceremony: {}, the complete set, each signed by its sender; {}.",
        counted(messages.len() as u64, "encrypted share", "encrypted shares"),
        counted(complaints.len() as u64, "complaint", "complaints")
    );
    for problem in &problems {
        eprintln!(
            "Complaint by guardian {} against guardian {}: {}.",
            problem.to, problem.from, problem.reason
        );
    }
    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "The ceremony did not finish: hold it again without the guardian at fault; this record will not verify."
        );
        Ok(ExitCode::from(1))
    }
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
            let (s, p) = steps::generate(&record, index, &name)?;
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
            let s: GuardianSecret = read(&secret)?;
            let messages = steps::send_shares(&record, &s)?;
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
            let s: GuardianSecret = read(&secret)?;
            let messages = read_messages(&shares)?;
            match steps::receive_shares(&record, &s, &messages)? {
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
            let messages = read_messages(&shares)?;
            let list: Vec<Complaint> = read(&complaints)?;
            let verdicts = steps::check_complaints(&record, &list, &messages)?;
            if list.is_empty() {
                println!("{} holds no complaint.", complaints.display());
            }
            let mut upheld = 0;
            for (complaint, verdict) in list.iter().zip(verdicts) {
                match verdict {
                    Verdict::SenderAtFault { guardian, reason } => {
                        upheld += 1;
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
            // An upheld complaint is a check that failed (the ceremony must be held again);
            // complaints that are all unfounded leave the ceremony standing.
            if upheld > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        GuardianCommand::Decrypt {
            record,
            key_share,
            out,
            expect,
            board_policy,
        } => {
            let pins = Pins {
                fingerprint: expect.as_deref().map(parse_fingerprint).transpose()?,
                board_policy: board_policy
                    .as_deref()
                    .map(crate::record_board::read_pinned_policy)
                    .transpose()?,
            };
            let key: KeyShare = read(&key_share)?;
            let (share, tally) = steps::decrypt(&record, &key, &pins, &Bars::default())?;
            write_new(&out, &share)?;
            println!(
                "Guardian {}: the record verifies up to its encrypted tally, which is the sum of the counted ballots; decryption share of {} in {}.",
                key.index,
                counted(tally.ballots, "ballot", "ballots"),
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
