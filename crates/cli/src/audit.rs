//! `fairtally audit`: risk-limiting audits of paper ballots and of station protocols. Every
//! method, verdict and file format lives in `fairtally-audit`; this module reads flags and
//! files, calls it and prints. Exit codes: 0 confirmed (or done), 1 not confirmed (escalate
//! or count by hand), 2 unusable input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use fairtally_audit::batch::{BatchAudit, parse_protocols};
use fairtally_audit::contest::{Contest, Rule, parse_tally};
use fairtally_audit::manifest::BallotManifest;
use fairtally_audit::rounds::{AuditRecord, Method, Verdict, percent};
use fairtally_audit::seed::Secret;
use fairtally_audit::{bravo, comparison, conduct, entries, report, sampler, samples};
use fairtally_files::{Access, write_atomic, write_new};
use serde_json::json;

/// Risk-limiting audits: sample sizes, public-seed draws, BRAVO, ALPHA, ballot and batch
/// comparison, report and bulletin board.
#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Clone, Copy, ValueEnum)]
enum SizeMethod {
    /// BRAVO ballot polling: the average sample number (or, with --completion, the round
    /// size that finishes with that probability).
    Bravo,
    /// Ballot-level comparison (Kaplan–Markov).
    Comparison,
}

/// The reported result of one contest.
#[derive(Args)]
struct ContestArgs {
    /// Reported votes: NAME=VOTES,NAME=VOTES[,…].
    #[arg(long)]
    tally: String,
    /// Ballots cast in the contest (default: the votes, one per ballot).
    #[arg(long)]
    ballots: Option<u64>,
    /// Number of winners (vote-for-n).
    #[arg(long, default_value_t = 1)]
    winners: usize,
    /// Decide by supermajority instead: the leader needs more than this share of valid votes.
    #[arg(long, conflicts_with = "winners")]
    supermajority: Option<f64>,
    /// The contest's name.
    #[arg(long, default_value = "contest")]
    contest: String,
}

impl ContestArgs {
    fn contest(&self) -> anyhow::Result<Contest> {
        Ok(Contest::new(
            &self.contest,
            parse_tally(&self.tally)?,
            self.ballots,
            rule(self.winners, self.supermajority),
        )?)
    }
}

fn rule(winners: usize, supermajority: Option<f64>) -> Rule {
    match supermajority {
        Some(fraction) => Rule::Supermajority { fraction },
        None => Rule::Plurality { winners },
    }
}

/// What every audit command shares.
#[derive(Args)]
struct RiskArgs {
    /// The risk limit, e.g. 0.05.
    #[arg(long)]
    risk_limit: f64,
    /// The seed the sample was drawn with (shown in the report).
    #[arg(long)]
    seed: Option<String>,
    /// Directory for audit.json (read by `audit report`) and copies of the observations.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// The sample size to plan for.
    SampleSize {
        /// Method.
        #[arg(long, value_enum)]
        method: SizeMethod,
        /// The risk limit, e.g. 0.05.
        #[arg(long)]
        risk_limit: f64,
        #[command(flatten)]
        contest: ContestArgs,
        /// Comparison: error inflator gamma.
        #[arg(long, default_value_t = comparison::DEFAULT_GAMMA)]
        gamma: f64,
        /// Comparison: expected 1-vote overstatements per ballot (with the others, gives the
        /// expected sample size, counts rounded up as rlacalc does).
        #[arg(long, default_value_t = 0.0)]
        o1_rate: f64,
        /// Comparison: expected 2-vote overstatements per ballot.
        #[arg(long, default_value_t = 0.0)]
        o2_rate: f64,
        /// Comparison: expected 1-vote understatements per ballot.
        #[arg(long, default_value_t = 0.0)]
        u1_rate: f64,
        /// Comparison: expected 2-vote understatements per ballot.
        #[arg(long, default_value_t = 0.0)]
        u2_rate: f64,
        /// BRAVO: the round size that finishes with this probability (e.g. 0.9).
        #[arg(long)]
        completion: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw a sample with Rivest's consistent sampler and write the retrieval list.
    Draw {
        /// Ballot manifest CSV: columns batch, ballots.
        #[arg(long)]
        manifest: PathBuf,
        /// The seed (from `audit seed`, or dice rolled in public).
        #[arg(long)]
        seed: String,
        /// How many draws.
        #[arg(long)]
        size: u64,
        /// Sample with replacement (a ballot can be drawn more than once).
        #[arg(long)]
        with_replacement: bool,
        /// Ballots cast; the manifest's counts must add up to it.
        #[arg(long)]
        ballots: Option<u64>,
        /// Retrieval list CSV to write: batch, position, ticket_number, times_drawn.
        #[arg(long)]
        out: PathBuf,
        /// Print every draw as JSON.
        #[arg(long)]
        json: bool,
    },
    /// As the audit board, before the public draw: make a secret and print its commitment.
    Commit {
        /// The audit's name (election, contest, date).
        #[arg(long)]
        audit: String,
        /// Where to write the secret (a new file, readable only by you).
        #[arg(long)]
        secret: PathBuf,
        /// Directory to write commitment.json to (for `audit post`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// After the public draw: check the secret against the commitment and print the seed.
    Seed {
        /// The audit's name, as committed.
        #[arg(long)]
        audit: String,
        /// The secret file.
        #[arg(long)]
        secret: PathBuf,
        /// The published commitment.
        #[arg(long)]
        commitment: String,
        /// The public value: dice rolled in public, a lottery draw.
        #[arg(long)]
        public: String,
        /// Directory to write seed.json to (for `audit post`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// BRAVO ballot polling: the risk of the sample (one CSV per round, column `vote`).
    Bravo(PollingArgs),
    /// ALPHA ballot polling (SHANGRLA's supermartingale), also for supermajority contests.
    Alpha(PollingArgs),
    /// Ballot-level comparison (Kaplan–Markov): one CSV per round with columns cvr, mvr.
    Comparison {
        #[command(flatten)]
        contest: ContestArgs,
        #[command(flatten)]
        risk: RiskArgs,
        /// Error inflator gamma.
        #[arg(long, default_value_t = comparison::DEFAULT_GAMMA)]
        gamma: f64,
        /// Comparison sample CSV (repeat once per round).
        #[arg(long = "sample", required = true)]
        samples: Vec<PathBuf>,
    },
    /// Batch-level comparison of polling stations (MACRO, Kaplan–Markov).
    Batch {
        #[command(flatten)]
        risk: RiskArgs,
        /// Official protocols CSV: batch, ballots, then one column per option (or
        /// `CONTEST: OPTION`); it is also the manifest to draw from.
        #[arg(long)]
        reported: PathBuf,
        /// Hand counts (or observers' protocols) of the drawn stations, same columns.
        #[arg(long)]
        audited: PathBuf,
        /// Retrieval lists from `audit draw --with-replacement` (repeat once per round).
        #[arg(long = "draws", required = true)]
        draws: Vec<PathBuf>,
        /// Number of winners per contest.
        #[arg(long, default_value_t = 1)]
        winners: usize,
        /// Decide by supermajority with this share instead.
        #[arg(long, conflicts_with = "winners")]
        supermajority: Option<f64>,
    },
    /// Write DIR/report.html from DIR/audit.json.
    Report {
        /// The audit directory.
        dir: PathBuf,
    },
    /// Post an audit directory to the bulletin board: commitment.json, seed.json,
    /// manifest.csv, retrieval*.csv, observations*.csv and audit.json, as typed entries.
    Post {
        /// The audit directory.
        dir: PathBuf,
        /// The board directory.
        #[arg(long)]
        board: PathBuf,
        /// The operator key (default BOARD/operator.key).
        #[arg(long)]
        key: Option<PathBuf>,
        /// The audit's name on the board.
        #[arg(long)]
        audit: String,
    },
}

/// A ballot-polling audit's flags.
#[derive(Args)]
struct PollingArgs {
    #[command(flatten)]
    contest: ContestArgs,
    #[command(flatten)]
    risk: RiskArgs,
    /// Sample CSV with a column `vote` (repeat once per round).
    #[arg(long = "sample", required = true)]
    samples: Vec<PathBuf>,
    /// The ballots were drawn with replacement (ALPHA then treats the population as infinite).
    #[arg(long)]
    with_replacement: bool,
}

/// Runs `fairtally audit ...`.
pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::SampleSize {
            method,
            risk_limit,
            contest,
            gamma,
            o1_rate,
            o2_rate,
            u1_rate,
            u2_rate,
            completion,
            json,
        } => {
            let contest = contest.contest()?;
            bravo::check_risk_limit(risk_limit)?;
            let (size, detail) = match method {
                SizeMethod::Bravo => match completion {
                    None => (
                        bravo::asn(&contest, risk_limit)?,
                        "BRAVO average sample number".to_owned(),
                    ),
                    Some(p) => (
                        bravo::next_round_size(&contest, risk_limit, &[], p)?,
                        format!("BRAVO round size finishing with probability {p}"),
                    ),
                },
                SizeMethod::Comparison => {
                    let margin = contest.diluted_margin()?;
                    let rates = comparison::Rates {
                        o1: o1_rate,
                        o2: o2_rate,
                        u1: u1_rate,
                        u2: u2_rate,
                    };
                    let size = comparison::expected_sample_size_rounded(risk_limit, gamma, margin, rates, true, false)
                        .with_context(|| format!("with these error rates a comparison audit of margin {margin:.5} never ends"))?;
                    (
                        size,
                        format!(
                            "Kaplan–Markov comparison, diluted margin {margin:.6}, gamma {gamma}"
                        ),
                    )
                }
            };
            if json {
                println!(
                    "{}",
                    json!({"sample_size": size, "method": detail, "risk_limit": risk_limit})
                );
            } else {
                println!(
                    "sample size: {size} ballots ({detail}, risk limit {})",
                    percent(risk_limit)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Draw {
            manifest,
            seed,
            size,
            with_replacement,
            ballots,
            out,
            json,
        } => {
            let m = BallotManifest::from_file(&manifest)?;
            if let Some(n) = ballots {
                m.check_total(n, &manifest.display().to_string())?;
            }
            let draws = sampler::draw(&m, &seed, size, with_replacement)?;
            let list = sampler::retrieval_list(&m, &draws);
            write_atomic(
                &out,
                sampler::retrieval_csv(&list).as_bytes(),
                Access::Public,
            )?;
            if json {
                println!(
                    "{}",
                    json!({"draws": draws, "ballots": list.len(), "retrieval_list": out})
                );
            } else {
                println!(
                    "drew {} ballots ({} distinct) from {} ballots in {} batches; retrieval list: {}",
                    draws.len(),
                    list.len(),
                    m.total(),
                    m.batches().len(),
                    out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Commit {
            audit,
            secret,
            out,
            json,
        } => {
            let s = Secret::generate()?;
            let commitment = s.commitment(&audit)?;
            write_new(&secret, s.to_text().as_bytes(), Access::OwnerOnly)
                .with_context(|| format!("{} must not exist yet", secret.display()))?;
            let body = json!({"audit": audit, "commitment": commitment});
            if let Some(dir) = out {
                write_atomic(
                    &dir.join("commitment.json"),
                    body.to_string().as_bytes(),
                    Access::Public,
                )?;
            }
            if json {
                println!("{body}");
            } else {
                println!("{commitment}");
                eprintln!(
                    "publish this commitment before the public draw; keep {} secret until then",
                    secret.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Seed {
            audit,
            secret,
            commitment,
            public,
            out,
            json,
        } => {
            let text = std::fs::read_to_string(&secret)
                .with_context(|| format!("reading {}", secret.display()))?;
            let s = Secret::from_text(&text, &secret.display().to_string())?;
            let seed = s.seed(&audit, &commitment, &public)?;
            let body = json!({"audit": audit, "commitment": commitment.trim(), "public": public, "secret": text.lines().nth(1).unwrap_or("").trim(), "seed": seed});
            if let Some(dir) = out {
                write_atomic(
                    &dir.join("seed.json"),
                    body.to_string().as_bytes(),
                    Access::Public,
                )?;
            }
            if json {
                println!("{}", json!({"seed": seed}));
            } else {
                println!("{seed}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Bravo(args) => polling(Method::Bravo, &args),
        AuditCommand::Alpha(args) => polling(Method::Alpha, &args),
        AuditCommand::Comparison {
            contest,
            risk,
            gamma,
            samples: files,
        } => {
            let contest = contest.contest()?;
            let rounds = files
                .iter()
                .map(|f| samples::read_comparison(f, &contest))
                .collect::<Result<Vec<_>, _>>()?;
            let record = conduct::ballot_comparison(
                &contest,
                risk.risk_limit,
                gamma,
                &rounds,
                risk.seed.clone(),
            )?;
            finish(&record, &risk, &files)
        }
        AuditCommand::Batch {
            risk,
            reported,
            audited,
            draws,
            winners,
            supermajority,
        } => {
            let read = |path: &Path| -> anyhow::Result<_> {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                Ok(parse_protocols(&text, &path.display().to_string())?)
            };
            let (layout, protocols) = read(&reported)?;
            let (audited_layout, counts) = read(&audited)?;
            let audit = BatchAudit::new(&layout, protocols, rule(winners, supermajority))?;
            let mut rounds = Vec::new();
            for file in &draws {
                let drawn = samples::read_batch_draws(file)?;
                rounds.push(audit.draws(
                    &layout,
                    &audited_layout,
                    &counts,
                    &drawn,
                    &audited.display().to_string(),
                )?);
            }
            let record =
                conduct::batch_comparison(&audit, risk.risk_limit, &rounds, risk.seed.clone())?;
            // The retrieval lists are posted from the audit directory as draws; the hand
            // counts are the observations.
            finish(&record, &risk, std::slice::from_ref(&audited))
        }
        AuditCommand::Report { dir } => {
            let path = dir.join("audit.json");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let record: AuditRecord = serde_json::from_str(&text)
                .with_context(|| format!("{}: not an audit record", path.display()))?;
            let out = dir.join("report.html");
            write_atomic(
                &out,
                report::report_html(&record)?.as_bytes(),
                Access::Public,
            )?;
            println!("{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Post {
            dir,
            board,
            key,
            audit,
        } => post(&dir, &board, key.as_deref(), &audit),
    }
}

fn polling(method: Method, args: &PollingArgs) -> anyhow::Result<ExitCode> {
    let contest = args.contest.contest()?;
    let rounds = args
        .samples
        .iter()
        .map(|f| samples::read_polling(f, &contest))
        .collect::<Result<Vec<_>, _>>()?;
    let record = conduct::polling(
        method,
        &contest,
        args.risk.risk_limit,
        &rounds,
        args.with_replacement,
        args.risk.seed.clone(),
    )?;
    finish(&record, &args.risk, &args.samples)
}

/// Prints the verdict, writes the audit directory, and turns the verdict into the exit code.
fn finish(
    record: &AuditRecord,
    risk: &RiskArgs,
    observations: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &risk.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = serde_json::to_string_pretty(record)?;
        write_atomic(&dir.join("audit.json"), json.as_bytes(), Access::Public)?;
        for (i, file) in observations.iter().enumerate() {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            write_atomic(
                &dir.join(format!("observations-{}.csv", i + 1)),
                &bytes,
                Access::Public,
            )?;
        }
    }
    let (word, next) = match &record.verdict {
        Verdict::Confirmed => ("confirmed", None),
        Verdict::Escalate { next_round_size } => ("escalate", *next_round_size),
        Verdict::FullHandCount => ("full hand count", None),
    };
    if risk.json {
        println!(
            "{}",
            json!({"risk": record.risk(), "verdict": word, "confirmed": record.verdict == Verdict::Confirmed,
                   "next_round_size": next, "rounds": record.rounds, "risk_limit": record.risk_limit})
        );
    } else {
        for r in &record.rounds {
            println!(
                "round {}: {} {} examined, risk {}",
                r.round,
                r.sample_size,
                record.method.unit(),
                percent(r.risk)
            );
        }
        println!("{word}: {}", record.meaning());
    }
    Ok(if record.verdict == Verdict::Confirmed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn post(dir: &Path, board_dir: &Path, key: Option<&Path>, audit: &str) -> anyhow::Result<ExitCode> {
    let read = |name: &str| -> anyhow::Result<Option<String>> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        ))
    };
    let field = |text: &str, name: &str, key: &str| -> anyhow::Result<String> {
        let v: serde_json::Value =
            serde_json::from_str(text).with_context(|| format!("{name}: not JSON"))?;
        v[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{name}: no {key:?}"))
    };
    let mut list = Vec::new();
    if let Some(text) = read("commitment.json")? {
        list.push(entries::commitment(
            audit,
            &field(&text, "commitment.json", "commitment")?,
        )?);
    }
    if let Some(text) = read("seed.json")? {
        let get = |k| field(&text, "seed.json", k);
        list.push(entries::seed(
            audit,
            &get("public")?,
            &get("secret")?,
            &get("seed")?,
        )?);
    }
    if let Some(text) = read("manifest.csv")? {
        let m = BallotManifest::parse(&text, &dir.join("manifest.csv").display().to_string())?;
        list.extend(entries::table(entries::MANIFEST, audit, &m.to_csv())?);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .collect();
    names.sort();
    for name in &names {
        let kind = if name.starts_with("retrieval") && name.ends_with(".csv") {
            entries::DRAWS
        } else if name.starts_with("observations") && name.ends_with(".csv") {
            entries::OBSERVATIONS
        } else {
            continue;
        };
        if let Some(text) = read(name)? {
            list.extend(entries::table(kind, audit, &text)?);
        }
    }
    if let Some(text) = read("audit.json")? {
        let record: AuditRecord =
            serde_json::from_str(&text).context("audit.json: not an audit record")?;
        list.push(entries::result(audit, &record)?);
    }
    if list.is_empty() {
        bail!(
            "{}: nothing to post (no commitment.json, seed.json, manifest.csv, retrieval*.csv, observations*.csv or audit.json)",
            dir.display()
        );
    }
    let operator = crate::board::operator_key(board_dir, key)?;
    let mut board = fairtally_board::board::Board::open(board_dir)?;
    let posted = board.post(list, &operator)?;
    println!(
        "Posted {} audit entries from {} to the bulletin board ({} new).",
        posted.entries,
        dir.display(),
        posted.new_entries
    );
    crate::board::print_checkpoint(&posted.checkpoint);
    Ok(ExitCode::SUCCESS)
}
