//! `fairtally serve ELECTION_DIR --listen ADDR`: the election's live ballot box and public
//! board over HTTP (the server itself is the `fairtally-server` crate).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use fairtally_server::photos::{PhotoLimits, PhotoOptions};
use fairtally_server::{ServeOptions, Server};

use crate::output::{note, quiet};

/// Arguments of `fairtally serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The authority's election directory: DIR/record (voting open) and DIR/board (with
    /// DIR/board/operator.key), as `fairtally demo` and the walkthrough lay it out.
    pub election_dir: PathBuf,
    /// The address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Seconds between checkpoints (fractions allowed).
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub checkpoint_interval: f64,
    /// The built web front end (default: web/dist of this checkout, when built).
    #[arg(long, value_name = "DIR")]
    pub web: Option<PathBuf>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// Longest time a request may take, its body included, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub request_timeout: f64,
    /// Longest time a client may take to send a request's headers, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub header_timeout: f64,
    /// Most connections open at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Most ballots waiting for the ballot box before clients get 503.
    #[arg(long, default_value_t = 4096)]
    pub max_pending: usize,
    /// Requests per second each client address may make to the POST endpoints, on average.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// Burst of POST requests a client address may make at once.
    #[arg(long, default_value_t = 4000.0)]
    pub burst: f64,
    /// An observer organisation's public key (hex) whose accreditations are accepted;
    /// repeatable. Without it, an item's signatures are checked against the organisation it
    /// names, as `fairtally observe post` does: accreditation is open (anyone can make an
    /// organisation key), so photos are then refused unless --open-photo-uploads.
    #[arg(long, value_name = "ORGANISATION_PUBLIC_KEY")]
    pub trust: Vec<String>,
    /// A witness that cosigns every checkpoint, as `URL=KEY` (its C2SP tlog-witness URL and
    /// vkey); repeatable. Checkpoints are published once the board policy's quorum cosigned.
    #[arg(long = "witness", value_name = "URL=KEY")]
    pub witnesses: Vec<String>,
    /// Where the board keeps its entries: `sqlite` (DIR/board/board.sqlite, the default) or a
    /// PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DATABASE. A board in SQLite is
    /// moved into an empty PostgreSQL database the first time; DIR/board then points to it.
    #[arg(long, value_name = "URL")]
    pub database: Option<fairtally_board::store::Database>,
    #[command(flatten)]
    pub photos: PhotoArgs,
}

/// The photo store's options of `fairtally serve` (docs/API.md, "POST /api/v1/photos").
#[derive(Args)]
pub struct PhotoArgs {
    /// Largest photo an observer may upload, in bytes.
    #[arg(long, default_value_t = PhotoLimits::default().max_photo_bytes, value_name = "BYTES")]
    pub photo_max_bytes: u64,
    /// Most photos a protocol may name for the server to store them.
    #[arg(long, default_value_t = PhotoLimits::default().max_photos_per_entry, value_name = "N")]
    pub photos_per_entry: usize,
    /// Most bytes all stored photos may take together; shared equally among the --trust
    /// organisations' observers.
    #[arg(long, default_value_t = PhotoLimits::default().max_total_bytes, value_name = "BYTES")]
    pub photo_store_bytes: u64,
    /// Most bytes the photos of one observer key may take.
    #[arg(long, default_value_t = PhotoLimits::default().max_observer_bytes, value_name = "BYTES")]
    pub photo_observer_bytes: u64,
    /// Longest time one photo upload may take, in seconds (instead of --request-timeout).
    #[arg(long, default_value_t = PhotoLimits::default().upload_timeout.as_secs_f64(), value_name = "SECONDS")]
    pub photo_upload_timeout: f64,
    /// Longest wait for the next piece of a photo upload, in seconds.
    #[arg(long, default_value_t = PhotoLimits::default().idle_timeout.as_secs_f64(), value_name = "SECONDS")]
    pub photo_idle_timeout: f64,
    /// Without --trust, take photos from observers whatever organisation accredited them.
    /// Anyone can make an accreditation, so this is for demos and trainings: each observer
    /// key stays within its quota, but enough keys fill the store. Without this flag and
    /// without --trust, photo uploads are refused (403).
    #[arg(long)]
    pub open_photo_uploads: bool,
}

impl PhotoArgs {
    fn options(&self) -> anyhow::Result<PhotoOptions> {
        Ok(PhotoOptions {
            limits: PhotoLimits {
                max_photo_bytes: self.photo_max_bytes,
                max_photos_per_entry: self.photos_per_entry,
                max_total_bytes: self.photo_store_bytes,
                max_observer_bytes: self.photo_observer_bytes,
                upload_timeout: seconds(self.photo_upload_timeout, "--photo-upload-timeout")?,
                idle_timeout: seconds(self.photo_idle_timeout, "--photo-idle-timeout")?,
            },
            open_accreditation: self.open_photo_uploads,
        })
    }
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag} must be a positive number of seconds, not {value}"))
}

/// The web front end: the one given, else `web/dist` here or in this checkout.
fn web_dir(given: Option<PathBuf>) -> Option<PathBuf> {
    if given.is_some() {
        return given;
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    [PathBuf::from("web/dist"), checkout]
        .into_iter()
        .find(|dir| fairtally_server::web::is_built(dir))
}

/// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if quiet() { "warn" } else { "info" })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let mut options = ServeOptions::new(args.election_dir.clone(), args.listen);
    options.checkpoint_interval = seconds(args.checkpoint_interval, "--checkpoint-interval")?;
    options.limits.request_timeout = seconds(args.request_timeout, "--request-timeout")?;
    options.limits.header_timeout = seconds(args.header_timeout, "--header-timeout")?;
    options.limits.max_connections = args.max_connections;
    options.limits.max_body_bytes = args.max_body;
    options.limits.max_pending_ballots = args.max_pending;
    options.limits.rate_per_second = args.rate;
    options.limits.rate_burst = args.burst;
    options.trusted_organisations =
        fairtally_observe::keys::parse_public_keys(&args.trust, "--trust")?;
    options.photos = args.photos.options()?;
    // The board is moved or pointed to its database first: everything after opens it there.
    if let Some(database) = &args.database {
        let election = fairtally_server::election_dir::ElectionDir::new(&args.election_dir)?;
        fairtally_board::board::Board::open_with(&election.board, database)
            .with_context(|| format!("opening the board in {database}"))?;
    }
    if let Some(cosigner) = crate::board_net::witness_cosigner(&args.election_dir, &args.witnesses)?
    {
        options.cosigner = cosigner;
    }
    options.web_dir = web_dir(args.web);
    if options.web_dir.is_none() {
        note(&format!(
            "the web front end is not built; run `{}` (the API is served)",
            fairtally_server::web::BUILD_COMMAND
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(options)
            .await
            .with_context(|| format!("serving {}", args.election_dir.display()))?;
        println!(
            "Serving {} on http://{}",
            args.election_dir.display(),
            server.local_addr()?
        );
        server.run(shutdown_signal()).await?;
        println!("Stopped; every acknowledged ballot is on the board.");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
