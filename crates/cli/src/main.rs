//! The `fairtally` command line: parses flags and wires the libraries together. It holds no
//! election, board, observation or forensics logic of its own.
//!
//! Each command group lives in its own module with a clap `Subcommand` or `Args` type and a
//! `run` function returning `anyhow::Result<ExitCode>`; `main` only dispatches and prints errors.

mod audit;
mod authority;
mod bench;
mod board;
mod board_net;
mod credential_qr;
mod demo;
mod electionguard;
mod files;
mod forensics;
mod guardian;
mod load;
mod manifest;
mod manual;
mod observe;
mod output;
mod progress;
mod record_board;
mod registrar;
mod report;
mod serve;
mod verify;
mod voter;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What every command's exit status means (also in the README's "Exit codes").
const EXIT_CODES: &str = "\
Exit codes (every command):
  0   success; for a check: verified
  1   a check failed: not verified, a tampered or wrongly signed board, a code not found
  2   unusable input: a file missing, garbled or oversized
  64  usage error: unknown command or flag, bad flag value";

/// fairtally: verifiable elections, independent observation and election forensics.
#[derive(Parser)]
#[command(name = "fairtally", version, about, after_help = EXIT_CODES)]
struct Cli {
    /// No notes or progress on stderr (results and errors are still printed).
    #[arg(long, short, global = true)]
    quiet: bool,
    /// When to colour the output; `auto` is off when NO_COLOR is set or stdout is not a terminal.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    color: output::ColorWhen,
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
    /// Load generator: encrypt real ballots for a demo's voters, submit them to a server, report.
    Load(load::LoadArgs),
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
    /// Manifests: a template to edit, and what a manifest holds (contests, option ids, limits).
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// Serve an election live: the ballot box, the board and the web front end over HTTP.
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(manual::CompletionsArgs),
    /// Write man pages, one per command, generated from these definitions.
    Man(manual::ManArgs),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    output::configure(cli.quiet, cli.color);
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Load(args) => load::run(args),
        Command::Authority(command) => authority::run(command),
        Command::Guardian(command) => guardian::run(command),
        Command::Registrar(command) => registrar::run(command),
        Command::Voter(command) => voter::run(command),
        Command::Board(command) => board::run(command),
        Command::Forensics(args) => forensics::run(args),
        Command::Observe(args) => observe::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Manifest(command) => manifest::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Completions(args) => manual::completions(args),
        Command::Man(args) => manual::man(args),
    }
}

/// Exit status of a usage error (BSD's EX_USAGE), as decided for every command.
const USAGE: u8 = 64;

/// Exit status of an error: 1 when a board check failed on its way (a bad signature, too few
/// witnesses, a fork, a rejected proof, files that disagree with the signed root), 2 for
/// everything else, which is unusable input.
fn exit_status(error: &anyhow::Error) -> u8 {
    use fairtally_board::BoardError;
    let failed_check = error.chain().any(|cause| {
        cause.downcast_ref::<BoardError>().is_some_and(|e| {
            matches!(
                e,
                BoardError::Signature { .. }
                    | BoardError::NotEnoughWitnesses { .. }
                    | BoardError::Fork { .. }
                    | BoardError::Proof(_)
                    | BoardError::Inconsistent { .. }
                    | BoardError::WrongLog { .. }
            )
        })
    });
    if failed_check { 1 } else { 2 }
}

/// The whole chain of context (file, item, reason), each cause once: an error that shows its
/// source in its own message (`bulletin board: {0}`) would otherwise print it twice.
fn error_chain(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

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
            eprintln!("error: {}", error_chain(&error));
            ExitCode::from(exit_status(&error))
        }
    }
}
