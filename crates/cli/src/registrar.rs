//! `fairtally registrar ...`: issuing voter credentials.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use fairtally_election::authority;
use fairtally_election::credential::{
    self, CredentialEntry, CredentialKey, CredentialList, MAX_CREDENTIALS,
};

use crate::credential_qr;
use crate::files::write_new_secret;
use crate::output::counted;

/// The registrar's commands.
#[derive(Subcommand)]
pub enum RegistrarCommand {
    /// Publish the credential list into the record: fresh credentials for --voters voters
    /// (one owner-only file each, for delivery, with its QR code beside it; no combined file
    /// of secrets is kept) and/or the public keys that voters generated themselves (`fairtally voter keygen`).
    Issue {
        /// The record directory (credentials.jsonl is written there).
        #[arg(long)]
        record: PathBuf,
        /// Number of credentials to generate.
        #[arg(long, default_value_t = 0)]
        voters: usize,
        /// Directory for the generated secret credential files (voter-00001.json, ...) and their
        /// QR codes (voter-00001.svg, ...).
        #[arg(long, visible_alias = "out")]
        out_dir: Option<PathBuf>,
        /// A file of voters' own public keys, one 64-hex-character key per line; in an
        /// election with ballot styles each key is followed by a space and the voter's style.
        #[arg(long)]
        public_keys: Option<PathBuf>,
        /// In an election with ballot styles: the style of the --voters generated credentials.
        #[arg(long)]
        style: Option<String>,
    },
}

/// Reads one public key per line, each optionally followed by its voter's ballot style (blank
/// lines and `#` comments are skipped).
fn read_public_keys(path: &Path) -> anyhow::Result<Vec<CredentialEntry>> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    // 65 bytes a key: refuse a file far larger than the largest list before reading it.
    if metadata.len() > 80 * MAX_CREDENTIALS as u64 {
        anyhow::bail!("{} is too large for a list of public keys", path.display());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| {
            let (key, style) = match l.split_once(char::is_whitespace) {
                Some((key, style)) => (key, Some(style.trim().to_string())),
                None => (l, None),
            };
            Ok(CredentialEntry {
                key: CredentialKey::from_hex(key)
                    .with_context(|| format!("{}, line {n}", path.display()))?,
                style,
            })
        })
        .collect()
}

/// Run one registrar command.
pub fn run(command: RegistrarCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistrarCommand::Issue {
            record,
            voters,
            out_dir,
            public_keys,
            style,
        } => {
            let (manifest, _) = authority::read_election(&record)?;
            let list_path = record.join(fairtally_election::record::files::CREDENTIALS);
            if list_path.exists() {
                anyhow::bail!(
                    "{} already exists: credentials were issued",
                    list_path.display()
                );
            }
            let own = match &public_keys {
                Some(path) => read_public_keys(path)?,
                None => Vec::new(),
            };
            if voters == 0 && own.is_empty() {
                anyhow::bail!("give --voters N (at least 1) and/or --public-keys FILE");
            }
            if voters > MAX_CREDENTIALS {
                anyhow::bail!(
                    "--voters {voters}: an election has at most {MAX_CREDENTIALS} voters"
                );
            }
            let (generated, _) = credential::issue(voters)?;
            let list = CredentialList::from_entries(own.iter().cloned().chain(
                generated.iter().map(|c| CredentialEntry {
                    key: c.public(),
                    style: style.clone(),
                }),
            ))?;
            // Before any secret is written: every voter's style must be the manifest's.
            list.check_styles(&manifest)?;
            if let Some(dir) = out_dir.as_ref().filter(|_| voters > 0) {
                for (c, i) in generated.iter().zip(1..) {
                    let file = dir.join(format!("voter-{i:05}.json"));
                    write_new_secret(&file, c)?;
                    credential_qr::write_beside(&file)?;
                }
            } else if voters > 0 {
                anyhow::bail!("--voters needs --out-dir for the voters' credential files");
            }
            authority::publish_credentials(&record, &list)?;
            println!(
                "Published {} in {} ({} generated, {}).",
                counted(list.len() as u64, "credential", "credentials"),
                list_path.display(),
                voters,
                counted(own.len() as u64, "voter's own key", "voters' own keys")
            );
            if let Some(dir) = out_dir.filter(|_| voters > 0) {
                println!(
                    "The generated secrets are in {}, one owner-only file per voter, with a QR code \
                     of the same content beside it (voter-N.svg, for the booth's \"Scan QR \
                     code\"): the QR code is as secret as the file. Deliver each file or its \
                     QR code to its voter privately, then destroy every copy the registrar \
                     holds, both files (e.g. `shred -u {}/voter-*`; on SSDs and journaling or \
                     copy-on-write file systems overwriting is not enough: keep the directory on \
                     an encrypted or in-memory volume and destroy that). Anyone holding a file, or a picture \
                     of its QR code, can vote in its voter's name.",
                    dir.display(),
                    dir.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
