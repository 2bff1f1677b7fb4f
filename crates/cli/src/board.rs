//! `fairtally board ...`: run the public bulletin board, mirror it, witness it, carry it offline.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use fairtally_board::BoardError;
use fairtally_board::board::{Board, PUBLIC_DIR};
use fairtally_board::bundle::Bundle;
use fairtally_board::checkpoint::{SignedCheckpoint, Signers, TrustPolicy};
use fairtally_board::entry::{Entry, EntryKind, MAX_ENTRY_LEN};
use fairtally_board::layout::{CHECKPOINT_FILE, POLICY_FILE, read_note};
use fairtally_board::mirror::Mirror;
use fairtally_board::note::{KeyRole, NoteSigner, NoteVerifier};
use fairtally_board::outbox::{Outbox, read_submissions};
use fairtally_board::post::DurableBatch;
use fairtally_board::witness::Witness;
use fairtally_election::progress::Progress as _;
use fairtally_files::{Access, write_atomic, write_new};
use serde::Serialize;

use crate::output::{Tone, note, paint};
use crate::progress::Bars;
use crate::report::{CheckpointView, print_json};

/// The operator's key inside a board directory (never published).
const OPERATOR_KEY: &str = "operator.key";

/// `fairtally board`: the public bulletin board.
#[derive(Subcommand)]
pub enum BoardCommand {
    /// Create a new board: an operator key (DIR/operator.key), an empty signed log, its public files.
    Init {
        #[command(flatten)]
        dir: BoardDir,
        /// The log's name, e.g. `board.example.org/election-2026`.
        #[arg(long)]
        origin: String,
    },
    /// Create a key: a witness key (default) or an operator key.
    Keygen {
        /// Key name, e.g. `observers.example.org/witness`.
        name: String,
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
        /// Make an operator key instead of a witness key.
        #[arg(long)]
        operator: bool,
    },
    /// Set the witnesses a checkpoint needs (m of n) for this board and its mirrors.
    Policy {
        #[command(flatten)]
        dir: BoardDir,
        /// A witness's public key (vkey); repeat for each witness.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// How many witnesses must cosign.
        #[arg(long, default_value_t = 0)]
        quorum: usize,
    },
    /// Append entries (durably, in batches), sign a checkpoint after each batch, publish.
    Append(AppendArgs),
    /// Append the entries of a submissions file exported from an outbox (duplicates are skipped).
    Submit {
        /// Board directory.
        dir: PathBuf,
        /// Submissions file.
        file: PathBuf,
        /// Operator key (default DIR/operator.key).
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Sign a checkpoint of the board as it is and publish it.
    Checkpoint {
        #[command(flatten)]
        dir: BoardDir,
        /// Operator key (default DIR/operator.key).
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Bring the static files in DIR/public up to the latest checkpoint.
    Publish {
        #[command(flatten)]
        dir: BoardDir,
    },
    /// Show the board's size, latest checkpoint and cosignatures.
    Status {
        #[command(flatten)]
        dir: BoardDir,
    },
    /// Write a bundle of the entries from SIZE on, with the latest checkpoint and proofs.
    Export {
        #[command(flatten)]
        dir: BoardDir,
        /// First entry to include (the size the receiver already has).
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Bundle file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a bundle into a mirror board, checking signatures and consistency first.
    Import {
        /// Mirror board directory (created with --policy if it does not exist).
        dir: PathBuf,
        /// Bundle file.
        bundle: PathBuf,
        /// Trust policy file, needed to create the mirror.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Witness a log: check its checkpoint extends the last one you cosigned, then cosign
    /// (or `witness serve`: do so for logs that submit their checkpoints over HTTP).
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Witness {
        /// The witness on the network.
        #[command(subcommand)]
        serve: Option<crate::board_net::WitnessCommand>,
        /// The log's public directory (a mirror copy is fine).
        #[arg(required = true)]
        public: Option<PathBuf>,
        /// Witness private key.
        #[arg(long, required = true)]
        key: Option<PathBuf>,
        /// File remembering the last cosigned checkpoint.
        #[arg(long, required = true)]
        state: Option<PathBuf>,
        /// Trust policy file with the operator's key.
        #[arg(long, required = true)]
        policy: Option<PathBuf>,
        /// Where to write the cosigned checkpoint (give it to the operator).
        #[arg(long, required = true)]
        out: Option<PathBuf>,
    },
    /// Mirror a board served over HTTP into a directory, checking every file it fetches.
    Mirror(crate::board_net::MirrorArgs),
    /// Add cosignatures a witness returned to the board's checkpoint and publish.
    Cosign {
        /// Board directory.
        dir: PathBuf,
        /// Cosigned checkpoint file from `fairtally board witness`.
        file: PathBuf,
    },
    /// Prove an entry is on the board, from a public directory alone.
    Prove {
        /// Public directory (or a copy of it).
        public: PathBuf,
        /// Entry kind.
        #[arg(long)]
        kind: String,
        /// File holding the entry's body.
        #[arg(long)]
        body: PathBuf,
        /// Trust policy file (default PUBLIC/policy; better pin your own copy).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Print the proof as JSON on stdout: `format`, `index`, `proof` (hex hashes),
        /// `checkpoint`, `signers`.
        #[arg(long)]
        json: bool,
    },
    /// Audit a public directory: checkpoint signatures, every tile and entry against the root.
    Verify {
        /// Public directory (or a copy of it).
        public: PathBuf,
        /// Trust policy file (default PUBLIC/policy; better pin your own copy).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Print the audit as JSON on stdout (schema in the README, "Scripting").
        #[arg(long)]
        json: bool,
    },
    /// Offline outbox: keep submissions until they are on the board.
    #[command(subcommand)]
    Outbox(OutboxCommand),
}

/// The board directory: `--board DIR`, as in `authority` and `observe post`; the positional DIR
/// of earlier releases is still accepted (hidden).
#[derive(Args)]
pub struct BoardDir {
    /// The board directory.
    #[arg(
        long = "board",
        id = "board_flag",
        value_name = "DIR",
        required_unless_present = "board_dir"
    )]
    flag: Option<PathBuf>,
    /// The board directory (old spelling of --board).
    #[arg(
        id = "board_dir",
        value_name = "DIR",
        hide = true,
        conflicts_with = "board_flag"
    )]
    positional: Option<PathBuf>,
}

impl BoardDir {
    /// The directory, however it was given.
    pub fn path(self) -> PathBuf {
        self.flag.or(self.positional).unwrap_or_default()
    }
}

/// Arguments of `fairtally board append`.
#[derive(Args)]
pub struct AppendArgs {
    /// Board directory.
    dir: PathBuf,
    /// Entry kind, e.g. `election/ballot`.
    #[arg(long)]
    kind: String,
    /// Files whose contents are entries (one entry per file).
    files: Vec<PathBuf>,
    /// Read one entry per line from this file (`-` for standard input) instead.
    #[arg(long, conflicts_with = "files")]
    lines: Option<PathBuf>,
    /// Entries per durable batch.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Operator key (default DIR/operator.key).
    #[arg(long)]
    key: Option<PathBuf>,
}

/// `fairtally board outbox ...`.
#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Queue entries (one per file).
    Add {
        /// Outbox file.
        outbox: PathBuf,
        /// Entry kind.
        #[arg(long)]
        kind: String,
        /// Files whose contents are entries.
        files: Vec<PathBuf>,
    },
    /// Send the pending entries to a board directory, or to a server's URL.
    Send {
        /// Outbox file.
        outbox: PathBuf,
        /// Board directory, or a server's URL (`http://...`: delivered to its
        /// `api/v1/observations`, confirmed by inclusion proofs from its `board/`).
        dir: PathBuf,
        /// Trust policy file (needed for a URL; pin your own copy).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Seconds to wait for a checkpoint covering the entries sent to a URL.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        wait: u64,
    },
    /// Write the pending entries to a submissions file for `fairtally board submit`.
    Export {
        /// Outbox file.
        outbox: PathBuf,
        /// Submissions file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Mark pending entries that a verified public directory shows on the board as delivered.
    Confirm {
        /// Outbox file.
        outbox: PathBuf,
        /// Public directory (or a copy of it).
        public: PathBuf,
        /// Trust policy file (default PUBLIC/policy).
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// List pending and delivered entries.
    Status {
        /// Outbox file.
        outbox: PathBuf,
    },
}

/// Reads a key, policy or signed note (size-capped: these are small files).
fn read_text(path: &Path) -> anyhow::Result<String> {
    Ok(read_note(path)?)
}

fn load_signer(path: &Path) -> anyhow::Result<NoteSigner> {
    Ok(NoteSigner::from_skey(
        &read_text(path)?,
        &path.display().to_string(),
    )?)
}

pub(crate) fn operator_key(dir: &Path, key: Option<&Path>) -> anyhow::Result<NoteSigner> {
    load_signer(&key.map_or_else(|| dir.join(OPERATOR_KEY), Path::to_owned))
}

fn load_policy(path: &Path) -> anyhow::Result<TrustPolicy> {
    Ok(TrustPolicy::parse(
        &read_text(path)?,
        &path.display().to_string(),
    )?)
}

pub(crate) fn public_policy(public: &Path, policy: Option<&Path>) -> anyhow::Result<TrustPolicy> {
    match policy {
        Some(path) => load_policy(path),
        None => {
            note(&format!(
                "trusting the keys in {}/policy; pin your own copy with --policy",
                public.display()
            ));
            load_policy(&public.join("policy"))
        }
    }
}

/// Writes a private key readable by its owner only.
pub(crate) fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let bytes = zeroize::Zeroizing::new(format!("{text}\n").into_bytes());
    write_new(path, &bytes, Access::OwnerOnly).with_context(|| {
        format!(
            "creating key file {} (it must not exist yet)",
            path.display()
        )
    })
}

fn read_entries(kind: &EntryKind, files: &[PathBuf]) -> anyhow::Result<Vec<Entry>> {
    files
        .iter()
        .map(|f| {
            // Refuse an oversized file before reading it into memory.
            let len = std::fs::metadata(f)
                .with_context(|| format!("reading {}", f.display()))?
                .len();
            if len > MAX_ENTRY_LEN as u64 {
                bail!(
                    "{}: {len} bytes, an entry holds at most {MAX_ENTRY_LEN}",
                    f.display()
                );
            }
            let body = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            Entry::new(kind.clone(), body).with_context(|| f.display().to_string())
        })
        .collect()
}

/// Prints a checkpoint's size and root (its signers are printed only once verified: see
/// [`print_signers`]).
pub(crate) fn print_checkpoint(signed: &SignedCheckpoint) {
    let cp = signed.checkpoint();
    let entries = crate::output::counted(cp.size, "entry", "entries");
    println!("checkpoint: {entries}, root {}", hex_root(signed));
}

/// Prints a checkpoint with the signature lines that verified under `policy`: only those are
/// signers; lines by keys the policy does not know are counted, never named as signers.
fn print_signed(signed: &SignedCheckpoint, signers: &Signers) {
    print_checkpoint(signed);
    print_signers(signers);
}

fn print_signers(signers: &Signers) {
    for s in &signers.verified {
        println!("  signed by {}", s.name);
    }
    if !signers.unknown.is_empty() {
        println!(
            "  {} signature line(s) by keys not in the policy: not verified, ignored",
            signers.unknown.len()
        );
    }
}

fn hex_root(signed: &SignedCheckpoint) -> String {
    signed
        .checkpoint()
        .root
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs a `fairtally board` command.
pub fn run(command: BoardCommand) -> anyhow::Result<ExitCode> {
    match command {
        BoardCommand::Init { dir, origin } => {
            let dir = dir.path();
            let signer = NoteSigner::generate(&origin, KeyRole::Operator)?;
            let policy = TrustPolicy::operator_only(signer.verifier());
            let mut board = Board::create(&dir, &policy)?;
            write_secret(&dir.join(OPERATOR_KEY), &signer.to_skey())?;
            board.sign_checkpoint(&signer)?;
            board.publish()?;
            println!("created board {} for log {origin}", dir.display());
            println!("operator public key (publish it, e.g. in the election manifest):");
            println!("{}", signer.verifier().to_vkey());
            println!(
                "operator private key: {} (keep it safe)",
                dir.join(OPERATOR_KEY).display()
            );
        }
        BoardCommand::Keygen {
            name,
            out,
            operator,
        } => {
            let role = if operator {
                KeyRole::Operator
            } else {
                KeyRole::Witness
            };
            let signer = NoteSigner::generate(&name, role)?;
            write_secret(&out, &signer.to_skey())?;
            println!("{}", signer.verifier().to_vkey());
        }
        BoardCommand::Policy {
            dir,
            witnesses,
            quorum,
        } => {
            let dir = dir.path();
            let mut board = Board::open(&dir)?;
            let witnesses = witnesses
                .iter()
                .enumerate()
                .map(|(i, v)| NoteVerifier::from_vkey(v, &format!("--witness #{}", i + 1)))
                .collect::<Result<Vec<_>, _>>()?;
            let policy = TrustPolicy {
                operator: board.operator().clone(),
                witnesses,
                quorum,
            };
            let text = policy.to_text();
            TrustPolicy::parse(&text, "new policy")?;
            board.set_policy(&policy)?;
            board.publish()?;
            print!("{text}");
        }
        BoardCommand::Append(args) => append(args)?,
        BoardCommand::Submit { dir, file, key } => {
            let signer = operator_key(&dir, key.as_deref())?;
            let entries = read_submissions(&file)?;
            let posted = Board::open(&dir)?.post(entries, &signer)?;
            println!(
                "{} submitted, {} new, {} already on the board",
                posted.entries,
                posted.new_entries,
                posted.entries - posted.new_entries
            );
            print_checkpoint(&posted.checkpoint);
        }
        BoardCommand::Checkpoint { dir, key } => {
            let dir = dir.path();
            let signer = operator_key(&dir, key.as_deref())?;
            let mut board = Board::open(&dir)?;
            print_checkpoint(&board.sign_checkpoint(&signer)?);
            board.publish()?;
        }
        BoardCommand::Publish { dir } => {
            let dir = dir.path();
            let report = Board::open(&dir)?.publish()?;
            println!(
                "published {} entries to {} ({} files written)",
                report.size,
                dir.join(PUBLIC_DIR).display(),
                report.files_written
            );
        }
        BoardCommand::Status { dir } => {
            let dir = dir.path();
            let board = Board::open(&dir)?;
            println!("log {}: {} entries", board.origin(), board.size()?);
            match board.latest_checkpoint()? {
                Some(signed) => {
                    print_signed(&signed, &board.policy().signers(&signed)?);
                    if let Err(e) = board.policy().verify(&signed) {
                        println!("  not yet acceptable to clients: {e}");
                    }
                }
                None => println!("no checkpoint yet"),
            }
        }
        BoardCommand::Export { dir, from, out } => {
            let dir = dir.path();
            let report = Board::open(&dir)?.export_bundle(from, &out)?;
            println!(
                "wrote {}: entries {}..{} with the checkpoint of size {}",
                out.display(),
                report.from,
                report.size,
                report.size
            );
        }
        BoardCommand::Import {
            dir,
            bundle,
            policy,
        } => {
            // Check the bundle on its own before touching (or creating) the mirror.
            let existing = Board::exists(&dir);
            let mut board = if existing {
                Some(Board::open(&dir)?)
            } else {
                None
            };
            let policy = match (&board, policy) {
                (Some(board), _) => board.policy().clone(),
                (None, Some(policy)) => load_policy(&policy)?,
                (None, None) => bail!(
                    "{} is not a board yet; to create a mirror there, pass --policy with the log's trust policy",
                    dir.display()
                ),
            };
            let checked = Bundle::open(&bundle, &policy)?;
            let mut board = match board.take() {
                Some(board) => board,
                None => Board::create(&dir, &policy)?,
            };
            let report = board.import_bundle(&checked)?;
            board.publish()?;
            if report.dropped_signatures > 0 {
                println!(
                    "dropped {} signature line(s) of the bundle's checkpoint by keys not in the policy: unverifiable, not stored or republished",
                    report.dropped_signatures
                );
            }
            if report.appended == 0 {
                println!(
                    "nothing new: the mirror already had everything in {}",
                    bundle.display()
                );
            } else {
                println!(
                    "imported {} entries; the mirror now has {}",
                    report.appended, report.size
                );
            }
            print_signed(
                &report.checkpoint,
                &policy.verify_signers(&report.checkpoint)?,
            );
        }
        BoardCommand::Witness {
            serve: Some(command),
            ..
        } => return crate::board_net::witness(command),
        BoardCommand::Mirror(args) => return crate::board_net::mirror(args),
        BoardCommand::Witness {
            public: Some(public),
            key: Some(key),
            state: Some(state),
            policy: Some(policy),
            out: Some(out),
            ..
        } => {
            let signer = load_signer(&key)?;
            let policy = load_policy(&policy)?;
            let mut witness = Witness::open(signer, &state)?;
            let previous = witness.last().map(|c| c.size);
            let cosigned = witness.witness_mirror(&public, &policy, now())?;
            write_atomic(&out, cosigned.to_text().as_bytes(), Access::Public)?;
            match previous {
                Some(size) => println!(
                    "checked consistency from size {size} to {}; cosigned",
                    cosigned.checkpoint().size
                ),
                None => println!(
                    "first checkpoint seen from this log (size {}), trusted and cosigned",
                    cosigned.checkpoint().size
                ),
            }
            println!(
                "cosigned checkpoint written to {}; give it to the operator",
                out.display()
            );
        }
        BoardCommand::Witness { .. } => {
            bail!("board witness needs PUBLIC, --key, --state, --policy and --out")
        }
        BoardCommand::Cosign { dir, file } => {
            let cosigned =
                SignedCheckpoint::parse(&read_text(&file)?, &file.display().to_string())?;
            let mut board = Board::open(&dir)?;
            let merged = board.add_cosignatures(&cosigned)?;
            board.publish()?;
            print_signed(&merged, &board.policy().signers(&merged)?);
        }
        BoardCommand::Prove {
            public,
            kind,
            body,
            policy,
            json,
        } => {
            let policy = public_policy(&public, policy.as_deref())?;
            let mut mirror = Mirror::open(&public, &policy)?;
            let entry = read_entries(&EntryKind::new(&kind)?, &[body])?;
            let Some(entry) = entry.first() else {
                bail!("no entry given");
            };
            // An entry that is not there is a check that failed (exit 1), not unusable input.
            let Some(index) = mirror.find(&entry.leaf_hash())? else {
                let checkpoint = mirror.checkpoint().checkpoint();
                if json {
                    print_json(&serde_json::json!({
                        "format": "fairtally-board-proof/1",
                        "index": null,
                        "checkpoint": CheckpointView::of(mirror.checkpoint()),
                    }))?;
                } else {
                    println!(
                        "NOT on the board: no {kind} entry with this body as of checkpoint {} entries, root {}",
                        checkpoint.size,
                        hex_root(mirror.checkpoint())
                    );
                }
                return Ok(ExitCode::from(1));
            };
            let inclusion = mirror.prove_leaf(&entry.leaf_hash())?;
            debug_assert_eq!(inclusion.index, index);
            let signers = policy.verify_signers(&inclusion.checkpoint)?;
            if json {
                print_json(&serde_json::json!({
                    "format": "fairtally-board-proof/1",
                    "index": inclusion.index,
                    "proof": inclusion.proof.iter().map(hex::encode).collect::<Vec<_>>(),
                    "checkpoint": CheckpointView::of(&inclusion.checkpoint),
                    "signers": signers.verified.iter().map(|s| &s.name).collect::<Vec<_>>(),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            println!("entry {} is on the board", inclusion.index);
            print_signed(&inclusion.checkpoint, &signers);
            println!("inclusion proof ({} hashes):", inclusion.proof.len());
            for hash in &inclusion.proof {
                println!(
                    "  {}",
                    hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
                );
            }
        }
        BoardCommand::Verify {
            public,
            policy,
            json,
        } => return verify(&public, policy.as_deref(), json),
        BoardCommand::Outbox(OutboxCommand::Send {
            outbox,
            dir: url,
            policy,
            wait,
        }) if crate::board_net::is_url(&url) => {
            return crate::board_net::send(&outbox, &url, policy.as_deref(), wait);
        }
        BoardCommand::Outbox(command) => outbox(command)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn append(args: AppendArgs) -> anyhow::Result<()> {
    let kind = EntryKind::new(&args.kind)?;
    let signer = operator_key(&args.dir, args.key.as_deref())?;
    let mut board = Board::open(&args.dir)?;
    let mut posting = board.posting(&signer)?.batch_size(args.batch);
    // One line per durable batch: everything listed here survives a crash.
    let acknowledge = |batch: Option<DurableBatch>| -> anyhow::Result<()> {
        if let Some(b) = batch {
            println!(
                "acknowledged {} entries ({} new, first index {}, last index {}); log size {}",
                b.entries, b.new_entries, b.first_index, b.last_index, b.log_size
            );
            std::io::stdout().flush()?;
        }
        Ok(())
    };
    match &args.lines {
        Some(path) => {
            let reader: Box<dyn std::io::BufRead> = if path == Path::new("-") {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(std::io::BufReader::new(
                    std::fs::File::open(path)
                        .with_context(|| format!("opening {}", path.display()))?,
                ))
            };
            for (n, line) in reader.lines().enumerate() {
                let line = line.with_context(|| format!("{} line {}", path.display(), n + 1))?;
                let entry = Entry::new(kind.clone(), line.into_bytes())
                    .with_context(|| format!("{} line {}", path.display(), n + 1))?;
                acknowledge(posting.push(entry)?)?;
            }
        }
        None => {
            for entry in read_entries(&kind, &args.files)? {
                acknowledge(posting.push(entry)?)?;
            }
        }
    }
    acknowledge(posting.flush()?)?;
    let posted = posting.finish()?;
    print_checkpoint(&posted.checkpoint);
    println!("published {} entries", posted.published.size);
    Ok(())
}

/// What `fairtally board verify --json` prints (schema in the README, "Scripting").
#[derive(Serialize, Default)]
struct BoardAuditView {
    format: &'static str,
    public: String,
    /// `verified` or `failed`.
    result: &'static str,
    /// Why the board failed, when it failed a check before the end of the audit.
    failure: Option<String>,
    quorum: usize,
    entries: u64,
    files_checked: u64,
    archived_checkpoints: usize,
    checkpoint: Option<CheckpointView>,
    signers: Vec<String>,
    unexpected: Vec<UnexpectedView>,
    published_policy_matches: bool,
}

#[derive(Serialize)]
struct UnexpectedView {
    path: String,
    reason: String,
}

/// `board verify`: exit 0 when every file checks, 1 when the board fails a check (tampered,
/// wrongly signed, unexpected files), 2 when the input is unusable (no policy, no board).
fn verify(public: &Path, policy: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let policy = public_policy(public, policy)?;
    if !public.join(CHECKPOINT_FILE).is_file() {
        bail!(
            "{} is not a board's public directory (it has no {CHECKPOINT_FILE})",
            public.display()
        );
    }
    let mut view = BoardAuditView {
        format: "fairtally-board-audit/1",
        public: public.display().to_string(),
        result: "failed",
        quorum: policy.quorum,
        ..BoardAuditView::default()
    };
    let failed = |mut view: BoardAuditView, error: BoardError| {
        if json {
            view.failure = Some(error.to_string());
            print_json(&view)?;
        } else {
            println!("FAILED: {error}");
        }
        Ok(ExitCode::from(1))
    };
    let mut mirror = match Mirror::open(public, &policy) {
        Ok(mirror) => mirror,
        Err(e) => return failed(view, e),
    };
    let size = mirror.size();
    if !json {
        println!(
            "checkpoint signatures valid under the policy ({} required)",
            crate::output::counted(policy.quorum as u64, "witness", "witnesses")
        );
    }
    let progress = Bars::default();
    progress.begin("entries checked", size);
    let mut last = 0;
    let audit = mirror.audit(|checked| {
        progress.advance(checked.saturating_sub(last));
        last = checked;
    });
    progress.end();
    let report = match audit {
        Ok(report) => report,
        Err(e) => return failed(view, e),
    };
    let signers = policy.verify_signers(mirror.checkpoint())?;
    let matches = report.published_policy.as_ref() == Some(&policy);
    if json {
        view.result = if report.unexpected.is_empty() {
            "verified"
        } else {
            "failed"
        };
        view.entries = size;
        view.files_checked = report.files_checked;
        view.archived_checkpoints = report.archived.len();
        view.checkpoint = Some(CheckpointView::of(mirror.checkpoint()));
        view.signers = signers.verified.iter().map(|s| s.name.clone()).collect();
        view.unexpected = report
            .unexpected
            .iter()
            .map(|f| UnexpectedView {
                path: f.path.display().to_string(),
                reason: f.reason.clone(),
            })
            .collect();
        view.published_policy_matches = matches;
        print_json(&view)?;
        return Ok(ExitCode::from(u8::from(!report.unexpected.is_empty())));
    }
    println!(
        "all {size} entries and tiles match the signed root; {} files checked, {} archived checkpoints consistent with it",
        report.files_checked,
        report.archived.len()
    );
    print_signed(mirror.checkpoint(), &signers);
    if !matches {
        note(&format!(
            "{}/{POLICY_FILE} differs from the policy used (or is missing)",
            public.display()
        ));
    }
    if report.unexpected.is_empty() {
        println!(
            "{}",
            paint("VERIFIED: the board's files all check.", Tone::Good)
        );
        return Ok(ExitCode::SUCCESS);
    }
    for file in &report.unexpected {
        println!("unexpected file {}: {}", file.path.display(), file.reason);
    }
    println!(
        "{}",
        paint(
            &format!(
                "FAILED: {} file(s) in {} are not part of the board",
                report.unexpected.len(),
                public.display()
            ),
            Tone::Bad
        )
    );
    Ok(ExitCode::from(1))
}

fn outbox(command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::Add {
            outbox,
            kind,
            files,
        } => {
            let mut queue = Outbox::open(&outbox)?;
            let mut added = 0;
            for entry in read_entries(&EntryKind::new(&kind)?, &files)? {
                added += usize::from(queue.push(&entry)?);
            }
            println!(
                "queued {added} entries ({} already queued)",
                files.len() - added
            );
        }
        OutboxCommand::Send { outbox, dir, .. } => {
            let mut queue = Outbox::open_existing(&outbox)?;
            let mut board = Board::open(&dir)?;
            let acks = queue.send(&mut board)?;
            println!("{} entries delivered to {}", acks.len(), dir.display());
        }
        OutboxCommand::Export { outbox, out } => {
            let n = Outbox::open_existing(&outbox)?.export(&out)?;
            println!(
                "wrote {n} pending entries to {}; they stay pending until confirmed",
                out.display()
            );
        }
        OutboxCommand::Confirm {
            outbox,
            public,
            policy,
        } => {
            let policy = public_policy(&public, policy.as_deref())?;
            let mut queue = Outbox::open_existing(&outbox)?;
            let mut mirror = Mirror::open(&public, &policy)?;
            let confirmed = queue.confirm(&mut mirror)?;
            println!(
                "{confirmed} entries confirmed on the board; {} still pending",
                queue.pending()?.len()
            );
        }
        OutboxCommand::Status { outbox } => {
            let queue = Outbox::open_existing(&outbox)?;
            for entry in queue.pending()? {
                println!("pending    {} ({} bytes)", entry.kind(), entry.body().len());
            }
            for (entry, index) in queue.delivered()? {
                println!("delivered  {} at index {index}", entry.kind());
            }
        }
    }
    Ok(())
}
