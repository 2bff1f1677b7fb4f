//! `fairtally observe`: keys and accreditation, offline submission to an outbox, import,
//! confrontation, parallel vote tabulation and the full report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use fairtally_observe::keys::{
    generate_key, parse_public_key, parse_public_keys, public_key_hex, read_secret_key,
    write_secret_key,
};
use fairtally_observe::pvt::{PvtPlan, PvtResult, PvtSource, ShareBase, run_pvt};
use fairtally_observe::{
    Accreditation, ObservationItem, Store, Submission, compare, sample_size, write_comparison,
    write_pvt,
};
use fairtally_results::{ElectionResults, Mapping, Provenance, import};

/// Independent observation: observers' signed protocols, voters' reports, confrontation with
/// the official results, parallel vote tabulation.
#[derive(Args)]
pub struct ObserveArgs {
    #[command(subcommand)]
    command: ObserveCommand,
}

#[derive(Subcommand)]
enum ObserveCommand {
    /// Make a new Ed25519 key (organisation or observer) and print its public key.
    Keygen {
        /// Where to write the secret key (a new file, readable only by you).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a secret key file.
    Pubkey {
        /// The secret key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// As an organisation, accredit an observer for an election (works offline).
    Accredit {
        /// The organisation's secret key file.
        #[arg(long, visible_alias = "key")]
        org_key: PathBuf,
        /// The observer's public key (hex, from `keygen` or `pubkey`).
        #[arg(long)]
        observer: String,
        /// The observer's name or code.
        #[arg(long)]
        name: String,
        /// The mapping of the election (its name is what the accreditation covers).
        #[arg(long = "map")]
        map: PathBuf,
        /// Store directory to write the signed accreditation to.
        #[arg(long, default_value = "outbox")]
        outbox: PathBuf,
    },
    /// As an observer, sign a station's protocol (with photos) into the outbox (works
    /// offline; the outbox goes to the bulletin board when online).
    Submit(SubmitArgs),
    /// List and verify the signed items of a store or outbox (before sending it, or after
    /// receiving one): one line per item with its hash, kind, station and verdict.
    Verify {
        /// The store directory.
        store: PathBuf,
        /// Public key (hex) of an organisation whose accreditations you trust (repeatable).
        #[arg(long = "trust", required = true)]
        trust: Vec<String>,
    },
    /// Post every signed item of a store or outbox to the bulletin board (as its operator):
    /// durable, checkpointed, published. Items already on the board are not added again, so
    /// the same outbox can be posted as often as it arrives.
    Post {
        /// The store directory.
        store: PathBuf,
        /// The board directory (created with `fairtally board init`).
        #[arg(long)]
        board: PathBuf,
        /// The operator key (default BOARD/operator.key).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Post only items accredited by this organisation (public key, hex; repeatable).
        /// Without it, every item whose signatures verify is posted.
        #[arg(long = "trust")]
        trust: Vec<String>,
    },
    /// Import results through a mapping and print what was read and skipped.
    Import {
        #[command(flatten)]
        input: Input,
        /// Also write the results as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Confront official figures with observers and voters: writes summary.json, flagged.csv
    /// and report.html into --out.
    Compare {
        #[command(flatten)]
        input: Input,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Print the summary as JSON on stdout (`fairtally-observe-compare/1`: summary.json's
        /// fields and `written`) instead of the lines for people.
        #[arg(long)]
        json: bool,
    },
    /// Before election day: draw the PVT's secret into a new file (keep it confidential) and
    /// print the commitment to publish (see docs/OBSERVE.md, "Seeds by commit–reveal").
    PvtCommit {
        /// Where to write the secret (a new file, readable only by you).
        #[arg(long)]
        out: PathBuf,
    },
    /// Parallel vote tabulation from a sample drawn from a public seed. Exits 1 when no
    /// sampled station has the figures needed.
    Pvt {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        pvt: PvtArgs,
        /// Also write pvt.json and sample.csv into this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the result as JSON on stdout (`fairtally-pvt/1`: pvt.json's fields and
        /// `written`) instead of the table for people.
        #[arg(long)]
        json: bool,
    },
    /// How many stations a PVT needs. With --past, measured on past station-level results
    /// (ratio estimator of the option's share, its design effect measured); without, the
    /// voter formula n = p(1−p)/(E²/z² + p(1−p)/N), in stations only with --design-effect.
    SampleSize(SampleSizeArgs),
    /// Everything for publication: confrontation and PVT in one report (summary.json,
    /// flagged.csv, report.html, pvt.json, sample.csv).
    Report {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        pvt: PvtArgs,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where the results come from.
#[derive(Args)]
struct Input {
    /// Results file: CSV, or a .zip holding one, or JSON written by `import --out`.
    results: PathBuf,
    /// Column mapping (TOML) for CSV results; see mappings/ and docs/OBSERVE.md.
    #[arg(long = "map")]
    map: Option<PathBuf>,
    /// Store directory of signed observers' submissions to merge in.
    #[arg(long)]
    submissions: Option<PathBuf>,
    /// Public key (hex) of an organisation whose accreditations you trust (repeatable).
    #[arg(long = "trust")]
    trust: Vec<String>,
}

#[derive(Args)]
struct SampleSizeArgs {
    /// Past station-level results (CSV or .zip with --map, or JSON from `import --out`).
    #[arg(long, requires = "option")]
    past: Option<PathBuf>,
    /// Column mapping of the past results, for CSV.
    #[arg(long = "map")]
    map: Option<PathBuf>,
    /// The option whose share the PVT estimates (id or ballot name), with --past.
    #[arg(long)]
    option: Option<String>,
    /// Margin of error: a percentage (0.32%) or a fraction (0.0032); a bare number above 0.2
    /// is refused as ambiguous.
    #[arg(long, value_parser = parse_margin_arg)]
    margin: f64,
    /// Confidence level: 95% or 0.95 (the same default as `pvt`).
    #[arg(long, value_parser = parse_confidence_arg, default_value = "0.95")]
    confidence: f64,
    /// Voters expected to vote (N), without --past.
    #[arg(long, conflicts_with = "past", required_unless_present = "past")]
    population: Option<u64>,
    /// Expected share (0.5 is the safe choice), without --past.
    #[arg(long, default_value_t = 0.5, conflicts_with = "past")]
    p: f64,
    /// Voters per station, to get the number of stations (needs --design-effect).
    #[arg(long, conflicts_with = "past")]
    station_size: Option<f64>,
    /// Design effect of sampling whole stations (measure it with --past).
    #[arg(long, conflicts_with = "past")]
    design_effect: Option<f64>,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_margin_arg(text: &str) -> Result<f64, String> {
    fairtally_observe::parse_margin(text).map_err(|e| e.to_string())
}

fn parse_confidence_arg(text: &str) -> Result<f64, String> {
    fairtally_observe::parse_confidence(text).map_err(|e| e.to_string())
}

#[derive(Args)]
#[group(id = "seeding", required = true, args = ["seed", "secret"])]
struct PvtArgs {
    /// A seed given directly (for rehearsals; a real PVT uses --secret and --public-random).
    #[arg(long, conflicts_with_all = ["secret", "public_random", "commitment"])]
    seed: Option<String>,
    /// The secret file from `pvt-commit`, revealed with the results.
    #[arg(long, requires = "public_random")]
    secret: Option<PathBuf>,
    /// The public random value drawn after the polls closed (a lottery draw, a beacon round).
    #[arg(long)]
    public_random: Option<String>,
    /// The commitment published before election day: the secret must match it.
    #[arg(long)]
    commitment: Option<String>,
    /// Stations to sample.
    #[arg(long)]
    stations: usize,
    /// Stratify by region.
    #[arg(long)]
    stratify: bool,
    /// Confidence level of the intervals: 95% or 0.95 (the same default as `sample-size`).
    #[arg(long, value_parser = parse_confidence_arg, default_value = "0.95")]
    confidence: f64,
    /// Figures of the sampled stations: observers' protocols, or official ones (rehearsal).
    #[arg(long, value_enum, default_value_t = SourceArg::Observers)]
    source: SourceArg,
    /// Shares of valid ballots or of ballots counted.
    #[arg(long, value_enum, default_value_t = BaseArg::Valid)]
    base: BaseArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceArg {
    Observers,
    Official,
}

#[derive(Clone, Copy, ValueEnum)]
enum BaseArg {
    Valid,
    Counted,
}

#[derive(Args)]
struct SubmitArgs {
    /// The observer's secret key file.
    #[arg(long)]
    key: PathBuf,
    /// The observer's accreditation (a file from `accredit`).
    #[arg(long)]
    accreditation: PathBuf,
    /// The mapping of the election (for its name and option ids).
    #[arg(long = "map")]
    map: PathBuf,
    /// The station id.
    #[arg(long)]
    station: String,
    /// A figure of the protocol, FIELD=N (registered, ballots_received, ballots_issued,
    /// ballots_cancelled, ballots_counted, valid, invalid); repeatable.
    #[arg(long = "figure", value_name = "FIELD=N")]
    figures: Vec<String>,
    /// Votes for an option, OPTION=N (option ids from the mapping); repeatable.
    #[arg(long = "vote", value_name = "OPTION=N")]
    votes: Vec<String>,
    /// A photo of the protocol; stored beside it under its SHA-256; repeatable.
    #[arg(long)]
    photo: Vec<PathBuf>,
    /// Store directory to write the signed protocol to.
    #[arg(long, default_value = "outbox")]
    outbox: PathBuf,
    /// Official results or a station list to check the station id against: CSV (or a .zip)
    /// read through --map, or JSON from `import --out`.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Sign even if the protocol looks wrong (an unknown station, figures that do not add
    /// up); the reasons are printed as a warning.
    #[arg(long)]
    force: bool,
}

/// Runs `fairtally observe ...`.
pub fn run(args: ObserveArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ObserveCommand::Keygen { out } => {
            let key = generate_key()?;
            write_secret_key(&out, &key)?;
            println!("{}", public_key_hex(&key.verifying_key()));
            eprintln!(
                "secret key written to {}; keep it safe, share the public key above",
                out.display()
            );
        }
        ObserveCommand::Pubkey { key } => {
            println!(
                "{}",
                public_key_hex(&read_secret_key(&key)?.verifying_key())
            );
        }
        ObserveCommand::Accredit {
            org_key,
            observer,
            name,
            map,
            outbox,
        } => {
            let org = read_secret_key(&org_key)?;
            let observer = parse_public_key(&observer, "--observer")?;
            let mapping = Mapping::from_file(&map)?;
            let item = ObservationItem::Accreditation(Accreditation::sign(
                &org,
                &mapping.election.name,
                &observer,
                &name,
            ));
            let path = stored(&outbox, &item)?;
            println!("{}", path.display());
        }
        ObserveCommand::Submit(args) => submit(args)?,
        ObserveCommand::Verify { store, trust } => return verify_store(&store, &trust),
        ObserveCommand::Post {
            store,
            board,
            key,
            trust,
        } => return post(&store, &board, key, &trust),
        ObserveCommand::Import { input, out } => {
            let results = load(&input)?;
            if let Some(out) = out {
                results.write_json(&out)?;
                eprintln!("results written to {}", out.display());
            }
        }
        ObserveCommand::Compare { input, out, json } => {
            let results = load(&input)?;
            if json {
                return compare_json(&input, &results, &out);
            }
            publish(&input, &results, None, &out)?;
        }
        ObserveCommand::PvtCommit { out } => {
            let secret = fairtally_observe::pvt::new_secret()?;
            let text = fairtally_observe::pvt::secret_file_text(&secret);
            fairtally_files::write_new(&out, text.as_bytes(), fairtally_files::Access::OwnerOnly)?;
            println!(
                "{}",
                fairtally_observe::pvt::seed_commitment(secret.as_ref())
            );
            eprintln!(
                "secret written to {}; publish the commitment above now, keep the secret \
                 confidential until the results are published",
                out.display()
            );
        }
        ObserveCommand::Pvt {
            input,
            pvt,
            out,
            json,
        } => {
            let results = load(&input)?;
            let result = pvt_of(&results, &pvt)?;
            if !json {
                print_pvt(&result);
            }
            let mut written = Vec::new();
            if let Some(out) = out {
                for path in write_pvt(&out, &result)? {
                    eprintln!("wrote {}", path.display());
                    written.push(path);
                }
            }
            if json {
                let paths: Vec<&Path> = written.iter().map(PathBuf::as_path).collect();
                crate::output::print_document("fairtally-pvt/1", &result, &paths)?;
            }
            if result.estimates.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        ObserveCommand::SampleSize(a) => sample_size_command(&a)?,
        ObserveCommand::Report { input, pvt, out } => {
            let results = load(&input)?;
            let result = pvt_of(&results, &pvt)?;
            print_pvt(&result);
            write_pvt(&out, &result)?;
            publish(&input, &results, Some(&result), &out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Stores an item in the store at `dir` (created if needed); returns its path.
fn stored(dir: &Path, item: &ObservationItem) -> anyhow::Result<PathBuf> {
    let store = Store::open_or_create(dir)?;
    let digest = store.put_item(item)?;
    Ok(store.item_path(&digest))
}

/// Exit code 1 (a check failed) when anything was refused, else 0.
fn refused_code(refused: usize) -> ExitCode {
    if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Posts the items of a store whose signatures verify; exit code 1 if any was refused.
fn post(
    store: &Path,
    board: &Path,
    key: Option<PathBuf>,
    trust: &[String],
) -> anyhow::Result<ExitCode> {
    let trusted = parse_public_keys(trust, "--trust")?;
    let outbox = Store::open(store)?;
    let operator = crate::board::operator_key(board, key.as_deref())?;
    let mut board = fairtally_board::board::Board::open(board)?;
    let trusted = (!trusted.is_empty()).then_some(trusted.as_slice());
    let post = fairtally_observe::bulletin::post_store(&outbox, &mut board, &operator, trusted)?;
    println!(
        "Posted {} items from {} to the bulletin board ({} new).",
        post.posted.entries,
        store.display(),
        post.posted.new_entries
    );
    crate::board::print_checkpoint(&post.posted.checkpoint);
    for e in &post.refused {
        eprintln!("not posted: {e}");
    }
    if !post.refused.is_empty() {
        eprintln!(
            "{} items of {} were not posted",
            post.refused.len(),
            store.display()
        );
    }
    Ok(refused_code(post.refused.len()))
}

/// Prints one line per item of the store; fails (exit code 1) if any item does not verify or
/// cannot be read.
fn verify_store(dir: &Path, trust: &[String]) -> anyhow::Result<ExitCode> {
    let trusted = parse_public_keys(trust, "--trust")?;
    let read = Store::open(dir)?.items()?;
    let mut bad = read.unreadable.len();
    for e in &read.unreadable {
        println!("REFUSED: {e}");
    }
    for (digest, item) in read.items {
        let what = match &item {
            ObservationItem::Accreditation(a) => format!("observer {}", a.body.observer_name),
            ObservationItem::Protocol(p) => format!("station {}", p.body.station),
        };
        match item.verify(&trusted) {
            Ok(()) => println!("{digest} {} {what}: ok", item.kind()),
            Err(e) => {
                bad += 1;
                println!("{digest} {} {what}: REFUSED: {e}", item.kind());
            }
        }
    }
    Ok(refused_code(bad))
}

/// Imports the results, prints the import summary, merges verified submissions.
fn load(input: &Input) -> anyhow::Result<ElectionResults> {
    if input.submissions.is_some() && input.trust.is_empty() {
        bail!("--submissions needs at least one --trust ORGANISATION_PUBLIC_KEY");
    }
    let trusted = parse_public_keys(&input.trust, "--trust")?;
    // Opened before the import, so a mistyped directory fails at once.
    let store = input.submissions.as_deref().map(Store::open).transpose()?;
    let mapping = input.map.as_deref().map(Mapping::from_file).transpose()?;
    let is_json = is_json(&input.results);
    if mapping.is_some() && is_json {
        bail!(
            "{}: JSON results need no --map (it is for CSV files)",
            input.results.display()
        );
    }
    let mut results = read_results(&input.results, mapping.as_ref())?;
    if let (Some(dir), Some(store)) = (&input.submissions, store) {
        let merged = store.merge_into(&mut results, &trusted)?;
        eprintln!(
            "{}: {} signed protocols merged, {} refused",
            dir.display(),
            merged.merged,
            merged.refused.len()
        );
        for e in &merged.refused {
            eprintln!("  refused: {e}");
        }
    }
    Ok(results)
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Reads results: JSON written by `import --out`, or CSV (or a .zip) through `mapping`,
/// printing the import summary.
fn read_results(path: &Path, mapping: Option<&Mapping>) -> anyhow::Result<ElectionResults> {
    if is_json(path) {
        return Ok(ElectionResults::read_json(path)?);
    }
    let Some(mapping) = mapping else {
        bail!("{}: CSV results need --map MAPPING", path.display());
    };
    let (results, summary) = import(path, mapping)?;
    eprint!("{summary}");
    Ok(results)
}

/// The seed: given directly, or revealed from the committed secret and the public value.
fn pvt_seed(a: &PvtArgs) -> anyhow::Result<String> {
    match (&a.seed, &a.secret, &a.public_random) {
        (Some(seed), _, _) => Ok(seed.clone()),
        (None, Some(path), Some(public)) => {
            let secret = fairtally_observe::pvt::read_secret_file(path)?;
            Ok(fairtally_observe::pvt::reveal_seed(
                secret.as_ref(),
                public,
                a.commitment.as_deref(),
            )?)
        }
        _ => bail!("give --seed, or --secret with --public-random"),
    }
}

fn sample_size_command(a: &SampleSizeArgs) -> anyhow::Result<()> {
    if let (Some(past), Some(option)) = (&a.past, &a.option) {
        let input = Input {
            results: past.clone(),
            map: a.map.clone(),
            submissions: None,
            trust: Vec::new(),
        };
        let results = load(&input)?;
        let s = fairtally_observe::sample_size_from_past(&results, option, a.margin, a.confidence)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            println!(
                "stations: {} of {} (share of {} {:.2} %, ±{:.2} points at {:.0} %)",
                s.stations,
                s.population_stations,
                s.option,
                100.0 * s.share,
                100.0 * s.margin,
                100.0 * s.confidence
            );
            println!(
                "design effect measured: {:.1} (a station of {:.0} ballots tells as much as {:.1} independent voters)",
                s.design_effect,
                s.ballots_per_station,
                s.ballots_per_station / s.design_effect
            );
        }
        return Ok(());
    }
    let population = a
        .population
        .context("--population is needed without --past")?;
    let s = sample_size(
        population,
        a.margin,
        a.confidence,
        a.p,
        a.station_size,
        a.design_effect,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!("voters:   {} (exactly {:.2})", s.voters, s.exact);
        if let Some(stations) = s.stations {
            println!("stations: {stations}");
        }
    }
    Ok(())
}

fn pvt_of(results: &ElectionResults, a: &PvtArgs) -> anyhow::Result<PvtResult> {
    let plan = PvtPlan {
        seed: pvt_seed(a)?,
        stations: a.stations,
        stratify: a.stratify,
        confidence: a.confidence,
        source: match a.source {
            SourceArg::Observers => PvtSource::Observers,
            SourceArg::Official => PvtSource::Official,
        },
        base: match a.base {
            BaseArg::Valid => ShareBase::Valid,
            BaseArg::Counted => ShareBase::Counted,
        },
    };
    Ok(run_pvt(results, &plan)?)
}

fn print_pvt(p: &PvtResult) {
    if p.plan.source == PvtSource::Official {
        println!(
            "REHEARSAL: computed from the official figures of the sampled stations, so it can \
             only agree with the official totals; it checks the method, not the count"
        );
    }
    println!(
        "PVT: {} of {} stations in {}, {} without figures; {:.0} % intervals",
        p.sample.len(),
        p.population,
        crate::output::counted(p.strata as u64, "stratum", "strata"),
        p.missing.len(),
        p.plan.confidence * 100.0
    );
    if p.estimates.is_empty() {
        println!(
            "no sampled station has the figures needed: shares need the votes and the valid \
             ballots (--base valid) or ballots counted (--base counted); turnout needs voters \
             and registered voters"
        );
        if p.plan.source == PvtSource::Observers {
            println!(
                "no observers' protocols for the sampled stations: merge them with \
                 --submissions, or rehearse on the official figures with --source official"
            );
        }
    }
    if !p.thin_strata.is_empty() {
        println!(
            "warning: fewer than 2 sampled stations with figures in {} ({}): the margins \
             understate the uncertainty",
            crate::output::counted(p.thin_strata.len() as u64, "stratum", "strata"),
            p.thin_strata.join(", ")
        );
    }
    println!(
        "{:<16} {:>9} {:>9} {:>9}  official outside?",
        "figure", "estimate", "margin", "official"
    );
    for e in &p.estimates {
        let official = e
            .official
            .map(|o| format!("{:.2} %", o * 100.0))
            .unwrap_or_default();
        let outside = match e.official_outside {
            Some(true) => "YES",
            Some(false) => "no",
            None => "",
        };
        println!(
            "{:<16} {:>7.2} % {:>7.2} % {:>9}  {outside}",
            e.name,
            e.estimate * 100.0,
            e.margin * 100.0,
            official
        );
    }
}

fn publish(
    input: &Input,
    results: &ElectionResults,
    pvt: Option<&PvtResult>,
    out: &Path,
) -> anyhow::Result<()> {
    let c = compare(results);
    let provenance = provenance(input)?;
    let written = write_comparison(out, &c, pvt, Some(&provenance))?;
    let s = &c.summary;
    println!("{} stations, {} flagged", s.stations, s.flagged_stations);
    for i in &s.confirmed_exceeds_official {
        println!(
            "  {:<24} photo-confirmed > official at {} of {} stations",
            i.item, i.flagged, i.compared
        );
    }
    for i in &s.observed_vs_official {
        println!(
            "  {:<24} observer ≠ official at {} of {} reports",
            i.item, i.flagged, i.compared
        );
    }
    for (reason, n) in &s.flagged_by_reason {
        println!("  {reason}: {n} stations");
    }
    for path in [
        written.summary,
        written.flagged,
        written.regions,
        written.report,
    ] {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The report's provenance: the results file, the mapping and the files it joins, hashed,
/// with the command line (a store of submissions is named there).
fn provenance(input: &Input) -> anyhow::Result<Provenance> {
    let mut inputs: Vec<PathBuf> = vec![input.results.clone()];
    if let Some(map) = &input.map {
        inputs.push(map.clone());
        let folder = input.results.parent().unwrap_or_else(|| Path::new(""));
        inputs.extend(
            Mapping::from_file(map)?
                .joins
                .iter()
                .map(|j| folder.join(&j.file)),
        );
    }
    let paths: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let source = input
        .results
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    Ok(Provenance::new(&paths, Provenance::this_command(), source)?)
}

/// `observe compare --json`: the files written as without it, the summary on stdout.
fn compare_json(input: &Input, results: &ElectionResults, out: &Path) -> anyhow::Result<ExitCode> {
    let c = compare(results);
    let provenance = provenance(input)?;
    let written = write_comparison(out, &c, None, Some(&provenance))?;
    crate::output::print_document(
        "fairtally-observe-compare/1",
        &c.summary,
        &[
            &written.summary,
            &written.flagged,
            &written.regions,
            &written.report,
        ],
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Parses every `NAME=N` of a repeated flag.
fn assignments(texts: &[String], flag: &str) -> anyhow::Result<Vec<(String, u64)>> {
    texts.iter().map(|t| assignment(t, flag)).collect()
}

/// Parses `NAME=N`.
fn assignment(text: &str, flag: &str) -> anyhow::Result<(String, u64)> {
    let (name, value) = text
        .split_once('=')
        .with_context(|| format!("{flag} {text}: expected NAME=N"))?;
    let value = value
        .trim()
        .parse()
        .with_context(|| format!("{flag} {text}: `{value}` is not a whole number"))?;
    Ok((name.trim().to_owned(), value))
}

fn submit(a: SubmitArgs) -> anyhow::Result<()> {
    let key = read_secret_key(&a.key)?;
    let mapping = Mapping::from_file(&a.map)?;
    let bytes = std::fs::read(&a.accreditation)
        .with_context(|| format!("reading {}", a.accreditation.display()))?;
    let accreditation = match ObservationItem::from_canonical_bytes(&bytes) {
        Ok(ObservationItem::Accreditation(acc)) => acc,
        Ok(_) => bail!("{}: not an accreditation", a.accreditation.display()),
        Err(reason) => bail!("{}: {reason}", a.accreditation.display()),
    };
    let submission = Submission {
        station: a.station.clone(),
        figures: assignments(&a.figures, "--figure")?,
        votes: assignments(&a.votes, "--vote")?,
    };
    let options = &mapping.election.options;
    let protocol = submission.protocol(options)?;
    let known = match &a.results {
        Some(path) => Some(read_results(path, Some(&mapping))?),
        None => None,
    };
    let concerns = submission.concerns(&protocol, options, known.as_ref());
    if !concerns.is_empty() {
        let list: String = concerns.iter().map(|c| format!("\n  {c}")).collect();
        if !a.force {
            bail!(
                "the protocol of station {} was not signed:{list}\ncheck the figures against \
                 the result sheet, or sign it as it is with --force",
                a.station
            );
        }
        eprintln!(
            "warning: signing the protocol of station {} as given (--force) although:{list}",
            a.station
        );
    }
    let store = Store::open_or_create(&a.outbox)?;
    let photos = a
        .photo
        .iter()
        .map(|p| store.put_photo(p))
        .collect::<Result<Vec<_>, _>>()?;
    let signed_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let signed = submission.sign(
        &key,
        &mapping.election.name,
        options,
        accreditation,
        photos,
        signed_at,
    )?;
    let digest = store.put_item(&ObservationItem::Protocol(Box::new(signed)))?;
    println!("{}", store.item_path(&digest).display());
    eprintln!(
        "signed protocol of station {} is in the outbox {}",
        a.station,
        a.outbox.display()
    );
    Ok(())
}
