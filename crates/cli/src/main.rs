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

/// Exit status of a usage error (BSD's EX_USAGE), as decided for every command.
const USAGE: u8 = 64;

/// Whether the error chain holds a broken pipe: the reader of our output went away.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` panics when stdout is a closed pipe (`fairtally verify … | head`); end quietly
/// instead, as ripgrep does, and leave every other panic to the default hook.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => {
            // Help and version go to stdout and succeed; a usage error goes to stderr.
            let _ = usage.print();
            return if usage.use_stderr() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain of context: file, item, reason.
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
