//! The `fairtally` command line: parses flags and wires the libraries together. It holds no
//! election, board, observation or forensics logic of its own.
//!
//! Each command group lives in its own module with a clap `Subcommand` or `Args` type and a
//! `run` function returning `anyhow::Result<ExitCode>`; `main` only dispatches and prints errors.

mod audit;
mod authority;
mod bench;
mod board;
mod demo;
mod electionguard;
mod files;
mod forensics;
mod guardian;
mod observe;
mod progress;
mod record_board;
mod registrar;
mod report;
mod verify;
mod voter;

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
    /// Run a whole verifiable election on the embedded default manifest, then verify it.
    Demo(demo::DemoArgs),
    /// Verify an election record: every hash, proof, signature, the tally and the result.
    Verify(verify::VerifyArgs),
    /// Measure verification speed on a large generated (or given) record.
    Bench(bench::BenchArgs),
    /// Election authority: create the election, open and close voting, publish the result.
    #[command(subcommand)]
    Authority(authority::AuthorityCommand),
    /// Guardian: key ceremony steps, complaints and decryption shares.
    #[command(subcommand)]
    Guardian(guardian::GuardianCommand),
    /// Registrar: issue voter credentials.
    #[command(subcommand)]
    Registrar(registrar::RegistrarCommand),
    /// Voter: encrypt, cast or challenge a ballot, look up a confirmation code.
    #[command(subcommand)]
    Voter(voter::VoterCommand),
    /// The public bulletin board: an append-only Merkle log with signed, witnessed checkpoints.
    #[command(subcommand)]
    Board(board::BoardCommand),
    /// Statistical fingerprints of falsification in station-level results.
    Forensics(forensics::ForensicsArgs),
    /// Independent observation: signed protocols, confrontation, parallel vote tabulation.
    Observe(observe::ObserveArgs),
    /// Risk-limiting audits: public-seed sampling, BRAVO, ALPHA, ballot and batch comparison.
    Audit(audit::AuditArgs),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Authority(command) => authority::run(command),
        Command::Guardian(command) => guardian::run(command),
        Command::Registrar(command) => registrar::run(command),
        Command::Voter(command) => voter::run(command),
        Command::Board(command) => board::run(command),
        Command::Forensics(args) => forensics::run(args),
        Command::Observe(args) => observe::run(args),
        Command::Audit(args) => audit::run(args),
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
