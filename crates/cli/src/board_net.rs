//! `fairtally board mirror URL DIR`, `fairtally board witness serve` and
//! `fairtally board outbox send OUTBOX URL`: the board on the network (`fairtally-net`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use fairtally_board::board::Board;
use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::layout::read_note;
use fairtally_board::note::{NoteSigner, NoteVerifier};
use fairtally_board::outbox::Outbox;
use fairtally_net::NetError;
use fairtally_net::http::HttpClient;
use fairtally_net::remote::RemoteBoard;
use fairtally_net::witness_client::{ConsistencyProofs, ProofFuture, WitnessEndpoint, Witnesses};
use fairtally_net::witness_service::WitnessService;
use fairtally_server::checkpoints::CosignFuture;
use fairtally_server::election_dir::ElectionDir;
use fairtally_server::{CheckpointRequest, Cosigner, ServerError};

use crate::board::{print_checkpoint, public_policy};
use crate::output::{Tone, paint};

/// Arguments of `fairtally board mirror`.
#[derive(Args)]
pub struct MirrorArgs {
    /// The board's public files on the web, e.g. `http://127.0.0.1:8080/board/`.
    url: String,
    /// The mirror directory (created if missing; a re-mirror fetches only what is new).
    dir: PathBuf,
    /// Trust policy file with the operator's and witnesses' keys (pin your own copy).
    #[arg(long)]
    policy: PathBuf,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
}

/// `fairtally board witness serve`.
#[derive(Subcommand)]
pub enum WitnessCommand {
    /// Serve the C2SP tlog-witness protocol (`POST /add-checkpoint`) for the given logs.
    Serve(WitnessServeArgs),
}

/// Arguments of `fairtally board witness serve`.
#[derive(Args)]
pub struct WitnessServeArgs {
    /// Address to listen on, e.g. `127.0.0.1:7380` (port 0: any free port, printed).
    #[arg(long)]
    listen: SocketAddr,
    /// Witness private key.
    #[arg(long)]
    key: PathBuf,
    /// Directory keeping the last checkpoint cosigned for each log (created if missing).
    #[arg(long)]
    state: PathBuf,
    /// The operator public key (vkey) of a log to witness; repeat for each log.
    #[arg(long = "log", required = true)]
    logs: Vec<String>,
}

/// Whether an outbox target is a server (`http://`, `https://`) rather than a board directory.
pub fn is_url(target: &Path) -> bool {
    target
        .to_str()
        .is_some_and(|t| t.starts_with("http://") || t.starts_with("https://"))
}

/// Prints the verdict of a check that failed on what the network served (exit 1); any other
/// error is passed on, and `main` gives the board's own errors their exit codes.
fn verdict(error: NetError) -> anyhow::Result<ExitCode> {
    match error {
        NetError::Refused { .. } | NetError::Witness { .. } | NetError::NoQuorum { .. } => {
            println!("{}", paint(&format!("FAILED: {error}"), Tone::Bad));
            Ok(ExitCode::from(1))
        }
        NetError::Board(e) => Err(e.into()),
        other => Err(other.into()),
    }
}

fn signers_line(signed: &SignedCheckpoint, policy: &TrustPolicy) -> anyhow::Result<()> {
    print_checkpoint(signed);
    for signer in policy.verify_signers(signed)?.verified {
        println!("  signed by {}", signer.name);
    }
    Ok(())
}

/// `fairtally board mirror URL DIR --policy FILE`.
pub fn mirror(args: MirrorArgs) -> anyhow::Result<ExitCode> {
    let policy = public_policy(&args.dir, Some(&args.policy))?;
    let http = HttpClient::new(
        Duration::from_secs(args.timeout.max(1)),
        fairtally_net::http::DEFAULT_ATTEMPTS,
    )?;
    let remote = RemoteBoard::new(&args.url, http);
    let report = match fairtally_net::block_on(fairtally_net::mirror::mirror(
        &remote, &args.dir, &policy,
    ))? {
        Ok(report) => report,
        Err(e) => return verdict(e),
    };
    let size = report.checkpoint.checkpoint().size;
    match report.previous {
        Some(previous) if previous == size => println!(
            "{} is up to date: {size} entries (the checkpoint and policy fetched again)",
            args.dir.display()
        ),
        Some(previous) => println!(
            "extended {} from {previous} to {size} entries, consistent with its previous checkpoint",
            args.dir.display()
        ),
        None => println!("mirrored {size} entries into {}", args.dir.display()),
    }
    println!(
        "{} files ({} bytes) fetched from {}; all {} files of the mirror check against the signed root",
        report.files_fetched, report.bytes_fetched, args.url, report.audit.files_checked
    );
    signers_line(&report.checkpoint, &policy)?;
    println!(
        "{}",
        paint("VERIFIED: the mirror's files all check.", Tone::Good)
    );
    Ok(ExitCode::SUCCESS)
}

/// `fairtally board witness serve`: runs until interrupted (Ctrl-C or SIGTERM).
pub fn witness(command: WitnessCommand) -> anyhow::Result<ExitCode> {
    let WitnessCommand::Serve(args) = command;
    let key = read_note(&args.key)?;
    let signer = NoteSigner::from_skey(&key, &args.key.display().to_string())?;
    let logs = args
        .logs
        .iter()
        .enumerate()
        .map(|(i, v)| NoteVerifier::from_vkey(v, &format!("--log #{}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let service = Arc::new(WitnessService::open(&signer, &args.state, &logs)?);
    fairtally_net::block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let address = listener.local_addr()?;
        println!(
            "witness {} listening on http://{address}/ for {} log(s)",
            service.verifier().to_vkey(),
            logs.len()
        );
        std::io::stdout().flush()?;
        fairtally_net::witness_service::serve(listener, service, shutdown_signal()).await?;
        println!("witness stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })?
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// `fairtally board outbox send OUTBOX URL --policy FILE [--wait SECONDS]`.
pub fn send(
    outbox: &Path,
    url: &Path,
    policy: Option<&Path>,
    wait: u64,
) -> anyhow::Result<ExitCode> {
    let url = url.to_string_lossy();
    let Some(policy) = policy else {
        anyhow::bail!(
            "sending to a server needs --policy: the trust policy the board's checkpoint must verify under"
        );
    };
    let policy = public_policy(Path::new(url.as_ref()), Some(policy))?;
    let mut outbox = Outbox::open_existing(outbox)?;
    let http = HttpClient::standard()?;
    let wait = Duration::from_secs(wait);
    let report = match fairtally_net::block_on(fairtally_net::outbox::send(
        &mut outbox,
        &url,
        &policy,
        wait,
        &http,
    ))? {
        Ok(report) => report,
        Err(e) => return verdict(e),
    };
    println!(
        "{} entries acknowledged by {}; {} proven on the board and marked delivered; {} still pending",
        report.acknowledged, url, report.confirmed, report.pending
    );
    if let Some(signed) = &report.checkpoint {
        signers_line(signed, &policy)?;
    }
    if report.pending > 0 {
        println!(
            "run the same command again later: what is pending is sent again (never twice on the board)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The witnesses of `fairtally serve --witness URL=KEY ...`: every checkpoint the server signs
/// is submitted to them and published once the board policy's quorum has cosigned. `None`
/// without witnesses. Each key must be one of the board policy's witnesses (`fairtally board
/// policy`), or its cosignatures would count for nothing.
pub fn witness_cosigner(
    election_dir: &Path,
    specs: &[String],
) -> anyhow::Result<Option<Arc<dyn Cosigner>>> {
    if specs.is_empty() {
        return Ok(None);
    }
    let election = ElectionDir::new(election_dir)?;
    let policy = Board::open(&election.board)?.policy().clone();
    let endpoints = specs
        .iter()
        .map(|spec| WitnessEndpoint::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(stranger) = endpoints
        .iter()
        .find(|e| !policy.witnesses.contains(&e.key))
    {
        anyhow::bail!(
            "--witness {}: the key {} is not a witness of the board's policy; add it with `fairtally board policy {} --witness KEY ... --quorum M`",
            stranger.url,
            stranger.key.to_vkey(),
            election.board.display()
        );
    }
    if endpoints.len() < policy.quorum {
        anyhow::bail!(
            "the board's policy needs {} witnesses' cosignatures, but only {} --witness given",
            policy.quorum,
            endpoints.len()
        );
    }
    let http = HttpClient::new(WITNESS_TIMEOUT, fairtally_net::http::DEFAULT_ATTEMPTS)?;
    Ok(Some(Arc::new(WitnessCosigner {
        witnesses: Witnesses::new(endpoints, http),
        policy,
    })))
}

/// How long one request to a witness may take.
const WITNESS_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's [`Cosigner`] seam, answered by networked witnesses.
struct WitnessCosigner {
    witnesses: Witnesses,
    policy: TrustPolicy,
}

/// The server's consistency proofs, as the witness client asks for them.
struct ServerProofs(fairtally_server::checkpoints::ConsistencyProofs);

impl ConsistencyProofs for ServerProofs {
    fn consistency_proof(&self, old: u64, new: u64) -> ProofFuture<'_> {
        Box::pin(async move { self.0.between(old, new).await.map_err(|e| e.to_string()) })
    }
}

impl Cosigner for WitnessCosigner {
    fn cosign(&self, request: CheckpointRequest) -> CosignFuture<'_> {
        Box::pin(async move {
            let size = request.checkpoint.checkpoint().size;
            let proofs: Arc<dyn ConsistencyProofs> = Arc::new(ServerProofs(request.proofs));
            self.witnesses
                .cosign(&request.checkpoint, &self.policy, proofs)
                .await
                .map_err(|e| ServerError::Cosign {
                    size,
                    reason: e.to_string(),
                })
        })
    }
}
