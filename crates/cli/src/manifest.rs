//! `fairtally manifest template` and `fairtally manifest show FILE`: a manifest to start from,
//! and what a manifest holds (contests, option ids and titles, limits) for officials and voters.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use fairtally_election::manifest::{DEFAULT_MANIFEST_JSON, Manifest};
use fairtally_electionguard::import;
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
  ballot_styles   (optional) when voters do not all vote in every contest: each style has an id
                  and the ids of its contests, in manifest order; the registrar gives each voter
                  one style, and the voter's ballot holds exactly its contests
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
    /// Check a manifest and list its contests, with the limits and the option ids and titles
    /// (an ElectionGuard manifest is shown as fairtally imports it).
    Show {
        /// The manifest file (JSON).
        file: PathBuf,
        /// What the file is; detected when left out.
        #[arg(long, value_enum, default_value_t = ManifestFormat::Auto)]
        manifest_format: ManifestFormat,
    },
}

/// The kinds of manifest file fairtally reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ManifestFormat {
    /// An ElectionGuard manifest when it has `election_scope_id`, else fairtally's.
    Auto,
    /// fairtally's own manifest (docs/PROTOCOL.md, section 8).
    Fairtally,
    /// An ElectionGuard manifest (electionguard-python 0.95 or 1.x, ElectionGuard 2.0 or
    /// 2.1), converted as docs/ELECTIONGUARD.md ("Manifest import") says.
    Electionguard,
}

/// Read and validate the manifest at `path`, converting an ElectionGuard one.
pub fn read_manifest(path: &Path, format: ManifestFormat) -> anyhow::Result<Manifest> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if size > import::MAX_MANIFEST_BYTES {
        anyhow::bail!(
            "{}: {size} bytes, more than the {} a manifest may take",
            path.display(),
            import::MAX_MANIFEST_BYTES
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let electionguard = match format {
        ManifestFormat::Auto => import::is_electionguard_manifest(&text),
        ManifestFormat::Fairtally => false,
        ManifestFormat::Electionguard => true,
    };
    Ok(if electionguard {
        import::import_manifest(&text, &path.display().to_string())?
    } else {
        Manifest::from_json(&text, path)?
    })
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
        ManifestCommand::Show {
            file,
            manifest_format,
        } => {
            let manifest = read_manifest(&file, manifest_format)
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
    for style in manifest.ballot_styles.iter().flatten() {
        println!("  ballot style {}: {}", style.id, style.contests.join(", "));
    }
}
