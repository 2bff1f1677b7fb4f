//! The `fairtally` command line: parses flags and wires the libraries together. It holds no
//! election, board, observation or forensics logic of its own.
//!
//! Each command group lives in its own module with a clap `Subcommand` or `Args` type and a
//! `run` function returning `anyhow::Result<ExitCode>`; `main` only dispatches and prints errors.

mod forensics;
mod observe;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// fairtally: verifiable elections, independent observation and election forensics.
#[derive(Parser)]
#[command(name = "fairtally", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Statistical fingerprints of falsification in station-level results.
    Forensics(forensics::ForensicsArgs),
    /// Independent observation: signed protocols, confrontation, parallel vote tabulation.
    Observe(observe::ObserveArgs),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Forensics(args) => forensics::run(args),
        Command::Observe(args) => observe::run(args),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the whole chain of context: file, item, reason.
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
