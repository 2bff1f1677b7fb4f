//! `fairtally completions SHELL` and `fairtally man --out DIR`: shell completions and man pages,
//! both generated from the clap definitions so that they cannot drift from the flags.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _};
use clap_complete::Shell;
use fairtally_files::{Access, write_atomic};

/// Arguments of `fairtally completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `fairtally man`.
#[derive(Args)]
pub struct ManArgs {
    /// Directory to write the pages to (created if missing): `fairtally.1`, and one
    /// `fairtally-COMMAND[-SUBCOMMAND].1` per command.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Print the completion script for `args.shell` on stdout.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = crate::Cli::command();
    // Into memory first: the generator panics on a failed write, e.g. into a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "fairtally", &mut script);
    std::io::stdout()
        .write_all(&script)
        .context("writing the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// Write one man page per command (hidden ones excepted) to `args.out`.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    // Building names each subcommand by its whole path (`fairtally-board-verify`), as git does.
    let mut command = crate::Cli::command().disable_help_subcommand(true);
    command.build();
    let written = write_pages(command, &args.out)?;
    println!("wrote {written} man pages to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `command` and those of its subcommands; how many pages.
fn write_pages(command: clap::Command, dir: &Path) -> anyhow::Result<usize> {
    let mut written = 0;
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        written += write_pages(sub.clone(), dir)?;
    }
    let page = clap_mangen::Man::new(command);
    let path = dir.join(page.get_filename());
    let mut text = Vec::new();
    page.render(&mut text)
        .with_context(|| format!("rendering {}", path.display()))?;
    write_atomic(&path, &text, Access::Public)?;
    Ok(written + 1)
}
