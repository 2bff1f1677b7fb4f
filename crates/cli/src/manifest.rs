//! `fairtally manifest template` and `fairtally manifest show FILE`: a manifest to start from,
//! and what a manifest holds (contests, option ids and titles, limits) for officials and voters.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use fairtally_election::manifest::{DEFAULT_MANIFEST_JSON, Manifest};
use fairtally_files::{Access, write_new};

use crate::output::quiet;

/// What each field of a manifest means, printed beside the template (JSON has no comments).
const EXPLANATION: &str = "\
How to edit this manifest (JSON has no comments, so here is what each field means):
  election        short id of the election: lowercase letters, digits, '-' and '_' (at most 64)
  title           the election's name, as voters see it
  contests        the ballot's contests, in ballot order; each has
    id              short id, unique in the manifest (same characters as above)
    title           what voters see, e.g. \"President (choose one)\"
    min_selections  the fewest options a voter must choose (0 lets a voter leave it blank)
    max_selections  the most options a voter may choose (at least min_selections)
    options         the candidates or answers, each with an id (unique in its contest) and a title
Voters write choices with the ids: {\"president\": [\"chen\"], \"referendum-priorities\": [\"parks\"]}.
Check your edit with `fairtally manifest show FILE`, then `fairtally authority create --manifest FILE`.";

/// `fairtally manifest`.
#[derive(Subcommand)]
pub enum ManifestCommand {
    /// Write a manifest to edit (the embedded demo election) and explain its fields on stderr.
    Template {
        /// Where to write it (it must not exist yet); stdout when left out.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check a manifest and list its contests, with the limits and the option ids and titles.
    Show {
        /// The manifest file (JSON).
        file: PathBuf,
    },
}

/// Run one `fairtally manifest` command.
pub fn run(command: ManifestCommand) -> anyhow::Result<ExitCode> {
    match command {
        ManifestCommand::Template { out } => {
            match &out {
                Some(path) => {
                    write_new(path, DEFAULT_MANIFEST_JSON.as_bytes(), Access::Public)
                        .with_context(|| {
                            format!("writing {} (it must not exist yet)", path.display())
                        })?;
                    println!("wrote the manifest template to {}", path.display());
                }
                None => std::io::stdout().write_all(DEFAULT_MANIFEST_JSON.as_bytes())?,
            }
            if !quiet() {
                eprintln!("{EXPLANATION}");
            }
        }
        ManifestCommand::Show { file } => {
            let manifest: Manifest = crate::files::read(&file)?;
            manifest
                .validate()
                .with_context(|| format!("{} is not a valid manifest", file.display()))?;
            print_manifest(&manifest);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_manifest(manifest: &Manifest) {
    println!("{} (election id {})", manifest.title, manifest.election);
    for contest in &manifest.contests {
        println!(
            "  contest {}: {} (choose {})",
            contest.id,
            contest.title,
            contest.limits_text()
        );
        let width = contest
            .options
            .iter()
            .map(|o| o.id.chars().count())
            .max()
            .unwrap_or(0);
        for option in &contest.options {
            println!("    {:<width$}  {}", option.id, option.title);
        }
    }
}
