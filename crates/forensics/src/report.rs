//! The outputs: `summary.json`, the figures, CSV tables and a self-contained `report.html` a
//! journalist can publish as it is: a headline, findings by severity with their reasons in
//! words, names and thousands separators, rates with their denominators, and a provenance
//! footer (version, date, SHA-256 of every input, command).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use fairtally_results::Provenance;

use crate::figures::{FigureCaption, write_figures};
use crate::{Analysis, DigitTest, ForensicsError, Outcome, TestResults};

/// The files written by [`write_outputs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    /// `summary.json`.
    pub summary: PathBuf,
    /// `report.html`.
    pub report: PathBuf,
    /// The figures (PNG and SVG).
    pub figures: Vec<PathBuf>,
    /// The tables as CSV (`digits.csv`, and `regions.csv` with regions).
    pub tables: Vec<PathBuf>,
}

fn write(path: &Path, contents: &[u8]) -> Result<(), ForensicsError> {
    fairtally_files::write_atomic(path, contents, fairtally_files::Access::Public).map_err(|e| {
        ForensicsError::Write {
            path: e.path,
            source: e.source,
        }
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One CSV cell: quoted, and made inert by [`fairtally_results::spreadsheet_safe`] if a
/// spreadsheet would run it as a formula. Every CSV table of the report goes through here.
fn csv_cell(text: &str) -> String {
    let inert = fairtally_results::spreadsheet_safe(text);
    format!("\"{}\"", inert.replace('"', "\"\""))
}

fn csv_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let line = |cells: Vec<String>| cells.join(",") + "\n";
    let mut out = line(header.iter().map(|h| csv_cell(h)).collect());
    for row in rows {
        out.push_str(&line(row.iter().map(|c| csv_cell(c)).collect()));
    }
    out
}

/// A count with thousands separators.
pub(crate) fn thousands(value: f64) -> String {
    let rounded = value.round();
    let digits = format!("{}", rounded.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// A large estimate as a reader says it: "15.2 million", or with thousands separators below
/// a million.
fn approximately(value: f64) -> String {
    if value.abs() >= 1e6 {
        format!("{:.1} million", value / 1e6)
    } else {
        thousands(value)
    }
}

fn int(value: impl Into<u64>) -> String {
    thousands(value.into() as f64)
}

/// Each test in plain words: what it looks at, what it shows, what it does not prove.
const EXPLANATIONS: [(&str, &str, &str, &str); 5] = [
    (
        "histograms",
        "Integer peaks in turnout and the leader's share",
        "We count polling stations by their turnout and by the leader's share, in steps of a tenth of a percent. Honest counts give smooth curves; spikes at whole numbers such as 70 % or 80 % appear when officials write down a target percentage instead of counting.",
        "Spikes are a sign that some results were made up, but they do not say where, by whom, or how many votes changed hands.",
    ),
    (
        "integer_percentage",
        "Integer-percentage test (Kobak, Shpilkin & Pshenichnikov 2016)",
        "We count the stations whose turnout or leader's share is a whole percentage, and compare that with the count a computer gets by re-running each station's result by chance a thousand times. An excess far beyond the chance range means that more stations sit on round numbers than honest counting can explain.",
        "It shows that round numbers were reported more often than chance allows; it does not identify the stations concerned, and a result without excess does not prove the count was honest.",
    ),
    (
        "fingerprint",
        "Election fingerprint and fraud model (Klimek, Yegorov, Hanel & Thurner 2012)",
        "Each station is a dot placed by its turnout and the leader's share; a clean election gives one round cloud, while ballot stuffing drags stations towards the corner of 100 % turnout and 100 % for the leader. A simple model of stuffing is fitted to the picture and says what fraction of stations it needs to reproduce it: fi for moderate stuffing, fe for extreme stuffing.",
        "The model is a rough description: it can also fit some clean elections with regional differences, so its fractions are estimates under its assumptions, not counts of falsified stations.",
    ),
    (
        "shpilkin",
        "Shpilkin's estimate of anomalous votes",
        "In stations with low turnout the leader gets a certain ratio of votes to everyone else's; if stations with high turnout were just as honest, the ratio would stay the same. The leader's votes beyond that ratio in high-turnout stations are counted as anomalous.",
        "The estimate assumes that support does not change with turnout in a clean election; where towns and villages genuinely vote differently, part of the anomaly may be real support.",
    ),
    (
        "digits",
        "Digit tests (second-digit Benford, last digit)",
        "The last digit of a vote count of a hundred or more should be any of 0 to 9 equally often, and second digits follow a known pattern; people inventing numbers tend to favour some digits. We measure how far the counts depart from these patterns.",
        "Digit tests are weak evidence: honest counts can deviate (the second-digit pattern holds only approximately), and careful falsifiers leave digits untouched.",
    ),
];

fn percent(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

/// How strongly a finding speaks, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    /// A calibrated test rejects chance far beyond doubt, with a large effect.
    Strong,
    /// A test raises its alarm, but the measure depends on a model's assumptions.
    Moderate,
    /// A calibrated test rejects chance, with a small effect.
    Weak,
    /// Nothing beyond chance.
    Nothing,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Strong => "strong",
            Severity::Moderate => "moderate",
            Severity::Weak => "weak",
            Severity::Nothing => "nothing found",
        }
    }
}

/// One finding of one test, in words.
struct Finding {
    severity: Severity,
    test: &'static str,
    /// What was found.
    what: String,
    /// Why it has its severity.
    why: String,
}

fn digit_findings(t: &TestResults, findings: &mut Vec<Finding>) {
    let tests = t
        .digits
        .second_digit
        .iter()
        .chain(&t.digits.last_digit)
        .filter_map(Outcome::done);
    let mut run = 0;
    for test in tests {
        run += 1;
        if !test.alarm {
            continue;
        }
        let digit = match test.kind {
            crate::DigitKind::Second => "second",
            crate::DigitKind::Last => "last",
        };
        findings.push(Finding {
            severity: Severity::Weak,
            test: "Digit tests",
            what: format!(
                "The {digit} digits of the {} counts for {} differ from what chance gives (mean digit {:.2}, expected {:.2}).",
                int(test.counts_used as u64),
                test.option,
                test.mean_digit,
                test.expected_mean_digit
            ),
            why: format!(
                "None of more than {} honest recounts simulated from each station's own figures differed as much (p = {:.3}); but the effect is small (w = {:.3}), and honest counts can show it.",
                test.reps - 1,
                test.p_value,
                test.effect_size
            ),
        });
    }
    if run > 0 && !findings.iter().any(|f| f.test == "Digit tests") {
        findings.push(Finding {
            severity: Severity::Nothing,
            test: "Digit tests",
            what: format!("In all {run} digit tests the digits are as chance gives."),
            why: "No test's p-value fell below 0.01 against honest recounts simulated from the stations' own figures.".into(),
        });
    }
}

/// Every test's finding, strongest first.
fn findings(analysis: &Analysis, t: &TestResults) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Outcome::Done(i) = &t.integer_percentage {
        let what = format!(
            "{} of {} stations report a whole-number turnout or leader's share; honest counting gives about {} ± {}, so {} stations too many.",
            int(i.observed_integer),
            int(i.kept as u64),
            thousands(i.simulated_mean),
            thousands(i.simulated_sd),
            thousands(i.excess)
        );
        let (severity, why) = if i.excess > 0.0 && i.p_value <= 1.0 / i.reps as f64 * 1.5 {
            (
                Severity::Strong,
                format!(
                    "None of {} simulated honest counts came this high (p = {:.4}); rounded-up percentages are a known mark of results written down rather than counted.",
                    int(i.reps as u64),
                    i.p_value
                ),
            )
        } else if i.excess > 0.0 && i.p_value < 0.05 {
            (
                Severity::Moderate,
                format!(
                    "Few simulated honest counts came this high (p = {:.3}).",
                    i.p_value
                ),
            )
        } else {
            (
                Severity::Nothing,
                format!(
                    "Simulated honest counts often come this high (p = {:.3}).",
                    i.p_value
                ),
            )
        };
        let what = if severity == Severity::Nothing {
            format!(
                "Whole-number percentages are as frequent as honest counting gives ({} of {} stations).",
                int(i.observed_integer),
                int(i.kept as u64)
            )
        } else {
            what
        };
        findings.push(Finding {
            severity,
            test: "Integer percentages",
            what,
            why,
        });
    }
    if let Outcome::Done(e) = &t.shpilkin {
        let interval = &e.anomalous_votes_interval;
        if e.alarm && e.anomalous_votes > 0.0 {
            findings.push(Finding {
                severity: Severity::Strong,
                test: "Shpilkin's estimate",
                what: format!(
                    "About {} of the {} votes for {} ({}) lie beyond what the low-turnout stations predict (95 % interval {} to {}); without them the share would be {}, not {}.",
                    approximately(e.anomalous_votes),
                    approximately(e.leader_votes as f64),
                    analysis.leader,
                    percent(e.anomalous_fraction_of_leader_votes),
                    approximately(interval.low),
                    approximately(interval.high),
                    percent(e.corrected_leader_share),
                    percent(e.reported_leader_share)
                ),
                why: "The whole interval lies above zero: the leader's share rises with turnout, as ballot stuffing makes it do. The estimate assumes support does not depend on turnout in an honest election.".into(),
            });
        } else {
            findings.push(Finding {
                severity: Severity::Nothing,
                test: "Shpilkin's estimate",
                what: format!(
                    "No anomalous votes: the share of {} does not rise with turnout beyond chance.",
                    analysis.leader
                ),
                why: "The interval of the estimate includes zero.".into(),
            });
        }
    }
    if let Outcome::Done(k) = &t.klimek_fraud_model {
        let spread = t
            .klimek_model_uncertainty
            .as_ref()
            .map_or(String::new(), |u| {
                format!(
                    " Variants of the model put it between {} and {}.",
                    percent(u.fi_range.0),
                    percent(u.fi_range.1)
                )
            });
        findings.push(Finding {
            severity: if k.alarm {
                Severity::Moderate
            } else {
                Severity::Nothing
            },
            test: "Fingerprint and fraud model",
            what: if k.alarm {
                format!(
                    "The fraud model reproduces the fingerprint with ballot stuffing at {} of stations (incremental) and {} (extreme).",
                    percent(k.fi),
                    percent(k.fe)
                )
            } else {
                "The fingerprint needs no ballot stuffing beyond what the model gives clean elections.".into()
            },
            why: format!(
                "This is the model's reading of the picture under its assumptions, not a count of falsified stations.{spread}"
            ),
        });
    }
    digit_findings(t, &mut findings);
    findings.sort_by_key(|f| f.severity);
    findings
}

/// The headline: what was found and how sure it is.
fn headline(title: &str, findings: &[Finding]) -> String {
    let top = findings.first().map_or(Severity::Nothing, |f| f.severity);
    let lead = match top {
        Severity::Strong => "strong statistical signs of falsification.",
        Severity::Moderate => "signs of falsification that rest on a model's assumptions.",
        Severity::Weak => "only weak statistical signs, of the kind honest counts can also show.",
        Severity::Nothing => {
            "no test found statistical signs of falsification, which does not prove an honest count."
        }
    };
    let detail = findings
        .iter()
        .find(|f| f.severity == top && top != Severity::Nothing)
        .map_or(String::new(), |f| format!(" {}", f.what));
    format!("{title}: {lead}{detail}")
}

fn findings_html(findings: &[Finding], html: &mut String) {
    let _ = writeln!(
        html,
        "<h2>Findings, strongest first</h2><ol class=findings>"
    );
    for f in findings {
        let _ = writeln!(
            html,
            "<li class={0}><span class=badge>{0}</span> <b>{1}.</b> {2}<br><span class=why>Why: {3}</span></li>",
            f.severity.label().replace(' ', "-"),
            escape(f.test),
            escape(&f.what),
            escape(&f.why)
        );
    }
    let _ = writeln!(html, "</ol>");
}

fn digit_row(test: &DigitTest) -> Vec<String> {
    vec![
        test.option.clone(),
        format!("{:?}", test.kind).to_lowercase(),
        test.counts_used.to_string(),
        format!("{:.3}", test.mean_digit),
        format!("{:.3}", test.expected_mean_digit),
        format!("{:.4}", test.effect_size),
        format!("{:.4}", test.p_value),
        if test.alarm { "yes" } else { "no" }.to_owned(),
    ]
}

const DIGIT_HEADER: [&str; 8] = [
    "option",
    "digit",
    "counts",
    "mean digit",
    "expected mean",
    "effect size w",
    "p-value",
    "alarm",
];

/// The figures of one test, below its explanation; `None` when the test did not run.
fn test_details(key: &str, t: &TestResults, html: &mut String) {
    let not_run = |reason: &str, html: &mut String| {
        let _ = writeln!(html, "<p class=note>Not run: {}.</p>", escape(reason));
    };
    match key {
        "histograms" => {
            let ratio = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.2}"));
            let _ = writeln!(
                html,
                "<p>Stations per whole-percentage bin over the average of other bins: turnout {}, leader's share {} (about 1 without peaks).</p>",
                ratio(t.histograms.turnout_peak_ratio),
                ratio(t.histograms.share_peak_ratio)
            );
        }
        "integer_percentage" => match &t.integer_percentage {
            Outcome::Done(i) => {
                let _ = writeln!(
                    html,
                    "<div class=scroll><table><tr><th>stations kept</th><th>integer stations</th><th>expected by chance (mean ± sd)</th><th>excess</th><th>p-value</th></tr>\
                     <tr><td>{} of {}</td><td>{} ({})</td><td>{} ± {}</td><td>{}</td><td>{:.4}</td></tr></table></div>\
                     <p class=note>{} Monte Carlo repetitions, seed {}.</p>",
                    int(i.kept as u64),
                    int(i.stations as u64),
                    int(i.observed_integer),
                    percent(i.observed_integer as f64 / i.kept.max(1) as f64),
                    thousands(i.simulated_mean),
                    thousands(i.simulated_sd),
                    thousands(i.excess),
                    i.p_value,
                    int(i.reps as u64),
                    i.seed
                );
            }
            Outcome::InsufficientData { reason } => not_run(reason, html),
        },
        "fingerprint" => {
            let f = &t.fingerprint;
            let _ = writeln!(
                html,
                "<p>{} stations; {} with turnout and leader's share both at least 80 %, {} both at least 99 %.</p>",
                int(f.stations as u64),
                int(f.top_right_stations as u64),
                int(f.corner_stations as u64)
            );
            let mut rows = String::new();
            if let Outcome::Done(k) = &t.klimek_fraud_model {
                let _ = write!(
                    rows,
                    "<tr><td>2D fingerprint, least squares</td><td>{:.3} ({:.3}–{:.3})</td><td>{:.4} ({:.4}–{:.4})</td><td>{}</td></tr>",
                    k.fi,
                    k.fi_interval.low,
                    k.fi_interval.high,
                    k.fe,
                    k.fe_interval.low,
                    k.fe_interval.high,
                    k.alpha
                );
            }
            for fit in &t.klimek_published {
                let _ = write!(
                    rows,
                    "<tr><td>{}</td><td>{:.3}</td><td>{:.4}</td><td>{}</td></tr>",
                    escape(fit.label),
                    fit.fi,
                    fit.fe,
                    fit.alpha
                );
            }
            if rows.is_empty() {
                if let Outcome::InsufficientData { reason } = &t.klimek_fraud_model {
                    not_run(reason, html);
                }
                return;
            }
            let _ = writeln!(
                html,
                "<div class=scroll><table><tr><th>fit</th><th>fi (incremental)</th><th>fe (extreme)</th><th>alpha</th></tr>{rows}</table></div>"
            );
            let spread = t.klimek_model_uncertainty.as_ref().map_or(String::new(), |u| {
                format!(
                    " Across these fits fi runs from {:.3} to {:.3} and fe from {:.4} to {:.4}: that spread, not the bootstrap interval in brackets, is the model's uncertainty.",
                    u.fi_range.0, u.fi_range.1, u.fe_range.0, u.fe_range.1
                )
            });
            let _ = writeln!(
                html,
                "<p class=caveat><b>Read fi with care.</b> fi is the share of stations that the model needs stuffed to reproduce the picture, under its assumptions (one Gaussian cloud of honest stations); regional differences alone can give fi of 0.1 to 0.25 in clean simulated elections. Klimek et al. published fi 0.64 for Russia 2011 and 0.39 for 2012.{}</p>",
                escape(&spread)
            );
        }
        "shpilkin" => match &t.shpilkin {
            Outcome::Done(e) => {
                let votes = if e.anomalous_votes > 0.0 {
                    format!(
                        "{} ({} of the leader's {})",
                        thousands(e.anomalous_votes),
                        percent(e.anomalous_fraction_of_leader_votes),
                        int(e.leader_votes)
                    )
                } else {
                    "none".to_owned()
                };
                let _ = writeln!(
                    html,
                    "<div class=scroll><table><tr><th>turnout peak</th><th>leader's share left of it</th><th>reported share</th><th>anomalous votes</th><th>95 % interval</th></tr>\
                     <tr><td>{:.1} %</td><td>{}</td><td>{}</td><td>{votes}</td><td>{} to {} (resampling {})</td></tr></table></div>",
                    e.turnout_peak_percent,
                    percent(e.clean_leader_share),
                    percent(e.reported_leader_share),
                    thousands(e.anomalous_votes_interval.low),
                    thousands(e.anomalous_votes_interval.high),
                    e.resampled
                );
            }
            Outcome::InsufficientData { reason } => not_run(reason, html),
        },
        "digits" => {
            let rows: Vec<Vec<String>> = t
                .digits
                .second_digit
                .iter()
                .chain(&t.digits.last_digit)
                .filter_map(Outcome::done)
                .map(digit_row)
                .collect();
            if rows.is_empty() {
                not_run("fewer than 100 counts of 10 or more for every option", html);
                return;
            }
            let _ = write!(html, "<div class=scroll><table><tr>");
            for h in DIGIT_HEADER {
                let _ = write!(html, "<th>{h}</th>");
            }
            let _ = write!(html, "</tr>");
            for row in rows {
                let _ = write!(html, "<tr>");
                for (i, cell) in row.iter().enumerate() {
                    let cell = if i == 2 {
                        thousands(cell.parse().unwrap_or(0.0))
                    } else {
                        escape(cell)
                    };
                    let _ = write!(html, "<td>{cell}</td>");
                }
                let _ = write!(html, "</tr>");
            }
            let _ = writeln!(
                html,
                "</table></div><p class=note>Download: <a href=digits.csv>digits.csv</a>. Expected: what honest recounts simulated from each station's own figures give.</p>"
            );
        }
        _ => {}
    }
}

/// The region table's rows (raw figures, for the CSV) and the page's cells.
fn region_rows(analysis: &Analysis) -> Vec<Vec<String>> {
    analysis
        .regions
        .iter()
        .map(|region| {
            let t = &region.tests;
            let (kept, integer, excess, p) = t.integer_percentage.done().map_or(
                (String::new(), String::new(), String::new(), String::new()),
                |i| {
                    (
                        i.kept.to_string(),
                        i.observed_integer.to_string(),
                        format!("{:.1}", i.excess),
                        format!("{:.4}", i.p_value),
                    )
                },
            );
            let (anomalous, fraction) =
                t.shpilkin
                    .done()
                    .map_or((String::new(), String::new()), |s| {
                        let votes = if s.alarm {
                            s.anomalous_votes.max(0.0)
                        } else {
                            0.0
                        };
                        (
                            format!("{votes:.0}"),
                            format!("{:.4}", votes / s.leader_votes.max(1) as f64),
                        )
                    });
            let digits = t.digits.second_digit.iter().chain(&t.digits.last_digit);
            let run = digits.clone().filter(|d| d.done().is_some()).count();
            let alarms = digits.filter(|d| d.done().is_some_and(|d| d.alarm)).count();
            vec![
                region.region.clone(),
                t.stations.to_string(),
                t.leader_votes.to_string(),
                kept,
                integer,
                excess,
                p,
                anomalous,
                fraction,
                alarms.to_string(),
                run.to_string(),
            ]
        })
        .collect()
}

const REGION_HEADER: [&str; 11] = [
    "region",
    "stations",
    "leader's votes",
    "stations kept by the integer test",
    "integer stations",
    "integer excess",
    "integer p-value",
    "anomalous votes (Shpilkin, when its interval is above zero)",
    "anomalous share of the leader's votes",
    "digit alarms",
    "digit tests run",
];

fn region_table(rows: &[Vec<String>], html: &mut String) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        html,
        "<h2>By region</h2><p>Every test on each region alone; a region too small for a test leaves its cells empty. Download: <a href=regions.csv>regions.csv</a>.</p>\
         <div class=scroll><table><tr><th>region</th><th>stations</th><th>integer stations (of kept)</th><th>excess (p)</th><th>anomalous votes (of the leader's)</th><th>digit alarms</th></tr>"
    );
    let n = |cell: &str| thousands(cell.parse().unwrap_or(0.0));
    for r in rows {
        let integer = if r[3].is_empty() {
            String::new()
        } else {
            let rate =
                r[4].parse::<f64>().unwrap_or(0.0) / r[3].parse::<f64>().unwrap_or(1.0).max(1.0);
            format!("{} of {} ({})", n(&r[4]), n(&r[3]), percent(rate))
        };
        let excess = if r[5].is_empty() {
            String::new()
        } else {
            format!("{} ({})", n(&r[5]), r[6])
        };
        let anomalous = if r[7].is_empty() {
            String::new()
        } else if r[7] == "0" {
            "none".to_owned()
        } else {
            format!(
                "{} of {} ({})",
                n(&r[7]),
                n(&r[2]),
                percent(r[8].parse().unwrap_or(0.0))
            )
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{integer}</td><td>{excess}</td><td>{anomalous}</td><td>{} of {}</td></tr>",
            escape(&r[0]),
            n(&r[1]),
            r[9],
            r[10]
        );
    }
    let _ = writeln!(html, "</table></div>");
}

/// Writes `summary.json`, the figures (PNG and SVG), `digits.csv`, `regions.csv` (with
/// regions) and `report.html` into `dir` (created if needed). `title` names the election in
/// the report; `provenance` goes in its footer and under every figure.
pub fn write_outputs(
    analysis: &Analysis,
    title: &str,
    provenance: &Provenance,
    dir: &Path,
) -> Result<Outputs, ForensicsError> {
    fs::create_dir_all(dir).map_err(|source| ForensicsError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let summary = dir.join("summary.json");
    write(&summary, &serde_json::to_vec_pretty(analysis)?)?;
    let caption = FigureCaption {
        title: title.to_owned(),
        source: provenance.source.clone(),
        date: provenance.generated.clone(),
    };
    let figures = write_figures(analysis, &caption, dir)?;
    let mut tables = Vec::new();
    let digit_rows: Vec<Vec<String>> = analysis
        .national
        .digits
        .second_digit
        .iter()
        .chain(&analysis.national.digits.last_digit)
        .filter_map(Outcome::done)
        .map(digit_row)
        .collect();
    let digits_csv = dir.join("digits.csv");
    write(
        &digits_csv,
        csv_table(&DIGIT_HEADER, &digit_rows).as_bytes(),
    )?;
    tables.push(digits_csv);
    let regions = region_rows(analysis);
    if !regions.is_empty() {
        let regions_csv = dir.join("regions.csv");
        write(&regions_csv, csv_table(&REGION_HEADER, &regions).as_bytes())?;
        tables.push(regions_csv);
    }
    let found = findings(analysis, &analysis.national);
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\"><title>Forensics: {0}</title><style>\
         body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}}\
         .scroll{{overflow-x:auto}}table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #bbb;padding:.25em .5em;text-align:left}}\
         .headline{{font-size:1.3em;font-weight:bold}}.explain{{background:#f4f6fa;padding:.6em 1em;border-left:4px solid #4a6fa5}}.note{{color:#555;font-size:.9em}}\
         .caveat{{background:#fff8e1;padding:.5em 1em;border-left:4px solid #b58900}}\
         .findings li{{margin:.5em 0}}.badge{{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em;text-transform:uppercase}}\
         .strong .badge{{background:#b00020}}.moderate .badge{{background:#c77700}}.weak .badge{{background:#5f6b7a}}.nothing-found .badge{{background:#2e7d32}}\
         .why{{color:#444;font-size:.95em}}code.hash{{word-break:break-all}}svg{{max-width:100%;height:auto}}footer{{border-top:1px solid #bbb;margin-top:2em}}</style></head><body>\
         <h1>Election forensics: {0}</h1>\
         <p class=headline>{1}</p>\
         <p>Leader examined: <b>{2}</b>. {3} stations, {4} voters registered, {5} ballots counted, {6} votes for the leader.</p>\
         <p class=note>These tests look for statistical marks that falsification leaves in station-level results. A mark is a reason to look closer (observers' reports, protocols, recounts); none of these tests proves fraud on its own, and a clean result does not prove an honest count.</p>",
        escape(title),
        escape(&headline(title, &found)),
        escape(&analysis.leader),
        int(analysis.national.stations as u64),
        int(analysis.national.registered),
        int(analysis.national.counted),
        int(analysis.national.leader_votes)
    );
    findings_html(&found, &mut html);
    for (key, heading, what, limits) in EXPLANATIONS {
        let _ = writeln!(
            html,
            "<h2>{heading}</h2><div class=explain><p>{what}</p><p><b>What it does not prove:</b> {limits}</p></div>"
        );
        if let Some((_, svg)) = figures.iter().find(|(name, _)| *name == key) {
            let inline = fs::read_to_string(svg).map_err(|source| ForensicsError::Write {
                path: svg.clone(),
                source,
            })?;
            // The XML declaration is not allowed inside HTML.
            let inline = inline.trim_start_matches(|c| c != '<').to_owned();
            let inline = match inline.strip_prefix("<?xml") {
                Some(rest) => rest
                    .split_once("?>")
                    .map_or(String::new(), |(_, svg)| svg.to_owned()),
                None => inline,
            };
            html.push_str(&inline);
        }
        test_details(key, &analysis.national, &mut html);
    }
    region_table(&regions, &mut html);
    let _ = writeln!(
        html,
        "<p class=note>Settings: {} Monte Carlo repetitions, {} digit-test redraws, {} bootstrap replicates, seed {}. All figures are in summary.json; every figure is also saved as PNG and SVG beside this file.</p>",
        int(analysis.settings.reps as u64),
        int(analysis.settings.digit_reps as u64),
        int(analysis.settings.bootstrap as u64),
        analysis.settings.seed
    );
    html.push_str(&provenance.footer_html());
    html.push_str("</body></html>\n");
    let report = dir.join("report.html");
    write(&report, html.as_bytes())?;
    let mut files = Vec::new();
    for (_, svg) in figures {
        files.push(svg.with_extension("png"));
        files.push(svg);
    }
    Ok(Outputs {
        summary,
        report,
        figures: files,
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Settings, Simulation, analyse, simulate};

    #[test]
    fn outputs_are_written_and_unwritable_places_are_named()
    -> Result<(), Box<dyn std::error::Error>> {
        let election = simulate(&Simulation::clean(1000, 3))?;
        let analysis = analyse(
            &election,
            &Settings {
                reps: 50,
                bootstrap: 20,
                ..Settings::default()
            },
        )?;
        let dir = tempfile::tempdir()?;
        let provenance = Provenance {
            version: "0".into(),
            generated: fairtally_results::utc_minute(1_764_590_400),
            inputs: vec![],
            command: "fairtally forensics =cmd".into(),
            source: "simulated".into(),
        };
        let outputs = write_outputs(&analysis, "Test <election>", &provenance, dir.path())?;
        assert_eq!(outputs.figures.len(), 10);
        let html = fs::read_to_string(&outputs.report)?;
        assert!(html.contains("Test &lt;election&gt;"), "names are escaped");
        assert!(html.contains("<html lang=en>") && html.contains("name=viewport"));
        assert!(
            html.contains("2025-12-01 12:00 UTC"),
            "the provenance footer"
        );
        assert!(html.contains("class=headline"));
        // A clean simulated election: nothing found is said in words, nothing negative shown.
        assert!(!html.contains("anomalous votes for the leader (-"));
        let regions = fs::read_to_string(dir.path().join("regions.csv"))?;
        assert_eq!(regions.lines().count(), 21, "a header and 20 regions");
        assert!(outputs.tables.len() == 2);
        // A directory where a figure should go.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(blocked.join("histograms.png"))?;
        assert!(matches!(
            write_outputs(&analysis, "t", &provenance, &blocked),
            Err(ForensicsError::Figure { path, .. }) if path.ends_with("histograms.png")
        ));
        // A file where the output directory should go.
        let file = dir.path().join("file");
        fs::write(&file, "x")?;
        assert!(matches!(
            write_outputs(&analysis, "t", &provenance, &file),
            Err(ForensicsError::Write { .. })
        ));
        Ok(())
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_inert() {
        assert_eq!(csv_cell("Москва"), "\"Москва\"");
        assert_eq!(csv_cell("=1+1"), "\"'=1+1\"");
        assert_eq!(csv_cell("-12.5"), "\"-12.5\"", "numbers stay numbers");
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(-38_942.0), "-38,942");
    }

    #[test]
    fn settings_out_of_range_are_rejected() -> Result<(), ForensicsError> {
        let election = simulate(&Simulation::clean(300, 3))?;
        for (settings, name) in [
            (
                Settings {
                    reps: 1,
                    ..Settings::default()
                },
                "reps",
            ),
            (
                Settings {
                    bootstrap: 5,
                    ..Settings::default()
                },
                "bootstrap",
            ),
        ] {
            assert!(matches!(
                analyse(&election, &settings),
                Err(ForensicsError::InvalidParameter { name: n, .. }) if n == name
            ));
        }
        Ok(())
    }
}
