//! `fairtally forensics`: statistical fingerprints of falsification in station-level results.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use fairtally_forensics::{Provenance, Settings, analyse, from_results, write_outputs};
use fairtally_results::{ElectionResults, Mapping, import};

/// Run every forensic test on station-level results and write summary.json, figures (PNG and
/// SVG) and report.html.
#[derive(Args)]
pub struct ForensicsArgs {
    /// Station-level results: a CSV file, or a .zip holding one (with --map), or the JSON
    /// that `observe import --out` writes.
    results: PathBuf,
    /// Column mapping (TOML) that says which column holds which figure (see mappings/), for
    /// CSV results.
    #[arg(long)]
    map: Option<PathBuf>,
    /// Directory for summary.json, the figures and report.html (created if needed).
    #[arg(long)]
    out: PathBuf,
    /// Also run every test on each region; `--region=NAME` analyses only that region (the
    /// `=` is needed, so `--region FILE` leaves FILE as the results).
    #[arg(long, value_name = "NAME", num_args = 0..=1, require_equals = true)]
    region: Option<Option<String>>,
    /// Seed of the Monte Carlo and bootstrap draws (the same seed gives the same figures).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Monte Carlo repetitions of the integer-percentage test.
    #[arg(long, default_value_t = 1000)]
    reps: usize,
    /// Simulated redraws of every station for the digit tests' null.
    #[arg(long, default_value_t = fairtally_forensics::DIGIT_REPS)]
    digit_reps: usize,
    /// Bootstrap replicates of the fraud-model fit and of Shpilkin's estimate.
    #[arg(long, default_value_t = 200)]
    bootstrap: usize,
    /// The option examined, by its id in the mapping or its ballot name (default: the option
    /// with the most votes).
    #[arg(long)]
    leader: Option<String>,
    /// Print summary.json as JSON on stdout (`fairtally-forensics/1`: its fields and
    /// `written`) instead of the lines for people.
    #[arg(long)]
    json: bool,
}

/// The results: JSON from `observe import --out`, or CSV through the mapping.
fn load(args: &ForensicsArgs) -> anyhow::Result<ElectionResults> {
    let is_json = args
        .results
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    match (&args.map, is_json) {
        (None, true) => Ok(ElectionResults::read_json(&args.results)?),
        (Some(map), false) => {
            let mapping = Mapping::from_file(map)
                .with_context(|| format!("reading the mapping {}", map.display()))?;
            eprintln!("importing {} ...", args.results.display());
            let (results, summary) = import(&args.results, &mapping)
                .with_context(|| format!("importing {}", args.results.display()))?;
            eprintln!("{summary}");
            Ok(results)
        }
        (Some(_), true) => anyhow::bail!(
            "{}: JSON results need no --map (it is for CSV files)",
            args.results.display()
        ),
        (None, false) => anyhow::bail!(
            "{}: CSV results need --map MAPPING (or give the JSON of `observe import --out`)",
            args.results.display()
        ),
    }
}

/// Runs `fairtally forensics`.
pub fn run(args: ForensicsArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let results = load(&args)?;
    let (mut election, conversion) = from_results(&results, args.leader.as_deref())
        .with_context(|| format!("preparing {} for the tests", args.results.display()))?;
    for left_out in &conversion.left_out {
        eprintln!(
            "left out {} stations: {} (e.g. {})",
            left_out.stations,
            left_out.reason,
            left_out.examples.join(", ")
        );
    }
    let mut title = results.name.clone();
    let per_region = match &args.region {
        Some(Some(name)) => {
            // What went wrong first, then the choices (there may be a hundred).
            election = election.region(name).map_err(|e| {
                anyhow::anyhow!(
                    "{e} ({}); the {} regions are: {}",
                    args.results.display(),
                    election.regions.len(),
                    election.regions.join(", ")
                )
            })?;
            title = format!("{title}, {name}");
            false
        }
        Some(None) => true,
        None => false,
    };
    let settings = Settings {
        reps: args.reps,
        digit_reps: args.digit_reps,
        seed: args.seed,
        bootstrap: args.bootstrap,
        regions: per_region,
    };
    eprintln!(
        "analysing {} stations (leader: {}; {} Monte Carlo repetitions, {} bootstrap replicates{}) ...",
        election.stations.len(),
        election.leader,
        settings.reps,
        settings.bootstrap,
        if per_region { ", every region too" } else { "" }
    );
    let analysis_started = Instant::now();
    let analysis = analyse(&election, &settings).context("running the tests")?;
    let analysis_time = analysis_started.elapsed();
    let mut inputs = vec![args.results.as_path()];
    inputs.extend(args.map.as_deref());
    let command = Provenance::this_command();
    let source = args
        .results
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let provenance = Provenance::new(&inputs, command, source).context("recording the inputs")?;
    let outputs =
        write_outputs(&analysis, &title, &provenance, &args.out).context("writing the outputs")?;
    if args.json {
        return crate::output::print_summary_file(
            "fairtally-forensics/1",
            &outputs.summary,
            &[&outputs.summary, &outputs.report],
        );
    }
    if let Some(test) = analysis.national.integer_percentage.done() {
        println!(
            "integer percentages: {} observed, {:.1} ± {:.1} expected, excess {:.1} (p = {:.4})",
            test.observed_integer,
            test.simulated_mean,
            test.simulated_sd,
            test.excess,
            test.p_value
        );
    }
    if let Some(fit) = analysis.national.klimek_fraud_model.done() {
        println!(
            "fraud model: fi {:.3} ({:.3}–{:.3}), fe {:.4} ({:.4}–{:.4})",
            fit.fi,
            fit.fi_interval.low,
            fit.fi_interval.high,
            fit.fe,
            fit.fe_interval.low,
            fit.fe_interval.high
        );
    }
    if let Some(estimate) = analysis.national.shpilkin.done() {
        println!(
            "Shpilkin: {:.0} anomalous votes for the leader ({:.0}–{:.0}), {:.1} % of the leader's votes",
            estimate.anomalous_votes,
            estimate.anomalous_votes_interval.low,
            estimate.anomalous_votes_interval.high,
            100.0 * estimate.anomalous_fraction_of_leader_votes
        );
    }
    let timings: Vec<String> = analysis
        .national
        .seconds
        .iter()
        .map(|(test, seconds)| format!("{test} {seconds:.3} s"))
        .collect();
    eprintln!("time per test, whole election: {}", timings.join(", "));
    println!(
        "wrote {}, {} and {} figure files in {:.2} s (tests {:.2} s)",
        outputs.summary.display(),
        outputs.report.display(),
        outputs.figures.len(),
        started.elapsed().as_secs_f64(),
        analysis_time.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
