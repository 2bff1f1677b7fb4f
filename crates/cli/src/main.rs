//! The `fairtally` command line: parses flags and wires the libraries together. It holds no
//! election, board, observation or forensics logic of its own.
//!
//! Each command group lives in its own module with a clap `Subcommand` or `Args` type and a
//! `run` function returning `anyhow::Result<ExitCode>`; `main` only dispatches and prints errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod board;

/// fairtally: verifiable elections, independent observation and election forensics.
#[derive(Parser)]
#[command(name = "fairtally", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The public bulletin board: an append-only Merkle log with signed, witnessed checkpoints.
    #[command(subcommand)]
    Board(board::BoardCommand),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Board(command) => board::run(command),
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
