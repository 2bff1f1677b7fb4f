//! The `fairtally` command line: parses flags and wires the libraries together. It holds no
//! election, board, observation or forensics logic of its own.

use clap::{Parser, Subcommand};

/// fairtally: verifiable elections, independent observation and election forensics.
#[derive(Parser)]
#[command(name = "fairtally", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() {
    let _cli = Cli::parse();
}
