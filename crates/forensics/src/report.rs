//! The outputs: `summary.json`, the figures and a self-contained `report.html`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::figures::write_figures;
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
}

fn write(path: &Path, contents: &[u8]) -> Result<(), ForensicsError> {
    fs::write(path, contents).map_err(|source| ForensicsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

fn digit_cell(test: &Outcome<DigitTest>) -> String {
    match test {
        Outcome::Done(t) => format!(
            "{} counts, mean digit {:.2} (chance {:.2}), w = {:.3}, p = {:.3}{}",
            t.counts_used,
            t.mean_digit,
            t.expected_mean_digit,
            t.effect_size,
            t.p_value,
            if t.alarm { " <b>alarm</b>" } else { "" }
        ),
        Outcome::InsufficientData { reason } => format!("insufficient data ({})", escape(reason)),
    }
}

fn test_figures(results: &TestResults, html: &mut String) {
    let _ = writeln!(html, "<h3>Integer percentages</h3>");
    let peaks = &results.histograms;
    let ratio = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.2}"));
    let _ = writeln!(
        html,
        "<p>Stations per whole-percentage bin over the average of other bins: turnout {}, leader's share {} (about 1 without peaks).</p>",
        ratio(peaks.turnout_peak_ratio),
        ratio(peaks.share_peak_ratio)
    );
    match &results.integer_percentage {
        Outcome::Done(t) => {
            let _ = writeln!(
                html,
                "<table><tr><th>stations kept</th><th>integer stations</th><th>expected by chance (mean ± sd)</th><th>99.9th percentile</th><th>excess</th><th>p-value</th></tr>\
                 <tr><td>{} of {}</td><td>{}</td><td>{:.1} ± {:.1}</td><td>{:.1}</td><td><b>{:.1}</b></td><td>{:.4}</td></tr></table>\
                 <p class=note>{} Monte Carlo repetitions, seed {}.</p>",
                t.kept,
                t.stations,
                t.observed_integer,
                t.simulated_mean,
                t.simulated_sd,
                t.simulated_p99_9,
                t.excess,
                t.p_value,
                t.reps,
                t.seed
            );
        }
        Outcome::InsufficientData { reason } => {
            let _ = writeln!(html, "<p><b>Insufficient data:</b> {}.</p>", escape(reason));
        }
    }
    let _ = writeln!(html, "<h3>Fingerprint and fraud model</h3>");
    let f = &results.fingerprint;
    let _ = writeln!(
        html,
        "<p>{} stations; {} with turnout and leader's share both at least 80 %, {} both at least 99 %.</p>",
        f.stations, f.top_right_stations, f.corner_stations
    );
    match &results.klimek_fraud_model {
        Outcome::Done(k) => {
            let _ = writeln!(
                html,
                "<table><tr><th>fi (incremental)</th><th>95 % interval</th><th>fe (extreme)</th><th>95 % interval</th><th>alpha, theta</th><th>misfit left</th><th>alarm</th></tr>\
                 <tr><td><b>{:.3}</b></td><td>{:.3} – {:.3}</td><td><b>{:.4}</b></td><td>{:.4} – {:.4}</td><td>{}, {}</td><td>{:.2}</td><td>{}</td></tr></table>\
                 <p class=note>Clean part of the model: turnout {} ± {}, leader's share {} ± {}. The intervals are bootstrap intervals over stations ({} replicates); they do not include the model's own error.</p>",
                k.fi,
                k.fi_interval.low,
                k.fi_interval.high,
                k.fe,
                k.fe_interval.low,
                k.fe_interval.high,
                k.alpha,
                k.theta,
                k.residual_ratio,
                if k.alarm { "yes" } else { "no" },
                percent(k.clean.turnout_peak),
                percent(k.clean.turnout_spread),
                percent(k.clean.share_peak),
                percent(k.clean.share_spread),
                k.fi_interval.replicates
            );
        }
        Outcome::InsufficientData { reason } => {
            let _ = writeln!(html, "<p><b>Insufficient data:</b> {}.</p>", escape(reason));
        }
    }
    let _ = writeln!(html, "<h3>Shpilkin's estimate</h3>");
    match &results.shpilkin {
        Outcome::Done(s) => {
            let _ = writeln!(
                html,
                "<table><tr><th>turnout peak</th><th>leader's share left of it</th><th>reported share</th><th>anomalous votes</th><th>95 % interval</th><th>share without them</th></tr>\
                 <tr><td>{:.1} %</td><td>{}</td><td>{}</td><td><b>{:.0}</b> ({} of the leader's votes)</td><td>{:.0} – {:.0} (resampling {})</td><td>{}</td></tr></table>",
                s.turnout_peak_percent,
                percent(s.clean_leader_share),
                percent(s.reported_leader_share),
                s.anomalous_votes,
                percent(s.anomalous_fraction_of_leader_votes),
                s.anomalous_votes_interval.low,
                s.anomalous_votes_interval.high,
                s.resampled,
                percent(s.corrected_leader_share)
            );
        }
        Outcome::InsufficientData { reason } => {
            let _ = writeln!(html, "<p><b>Insufficient data:</b> {}.</p>", escape(reason));
        }
    }
    let _ = writeln!(
        html,
        "<h3>Digit tests</h3><table><tr><th>option</th><th>second digit (counts ≥ 10)</th><th>last digit (counts ≥ 100)</th></tr>"
    );
    let names = results
        .digits
        .second_digit
        .iter()
        .zip(&results.digits.last_digit);
    for (second, last) in names {
        let name = second
            .done()
            .or(last.done())
            .map_or("", |t| t.option.as_str());
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            digit_cell(second),
            digit_cell(last)
        );
    }
    let _ = writeln!(html, "</table>");
}

fn region_table(analysis: &Analysis, html: &mut String) {
    if analysis.regions.is_empty() {
        return;
    }
    let _ = writeln!(
        html,
        "<h2>By region</h2><p>Every test on each region alone. Small regions cannot support every test; they say so.</p>\
         <table><tr><th>region</th><th>stations</th><th>integer excess (p)</th><th>fi</th><th>fe</th><th>anomalous votes</th><th>digit alarms</th></tr>"
    );
    for region in &analysis.regions {
        let t = &region.tests;
        let integer = t
            .integer_percentage
            .done()
            .map_or("insufficient data".to_owned(), |i| {
                format!("{:.1} ({:.3})", i.excess, i.p_value)
            });
        let (fi, fe) = t
            .klimek_fraud_model
            .done()
            .map_or(("insufficient data".to_owned(), String::new()), |k| {
                (format!("{:.3}", k.fi), format!("{:.4}", k.fe))
            });
        let shpilkin = t
            .shpilkin
            .done()
            .map_or("insufficient data".to_owned(), |s| {
                format!(
                    "{:.0} ({:.0} – {:.0})",
                    s.anomalous_votes,
                    s.anomalous_votes_interval.low,
                    s.anomalous_votes_interval.high
                )
            });
        let alarms = t
            .digits
            .second_digit
            .iter()
            .chain(&t.digits.last_digit)
            .filter(|d| d.done().is_some_and(|d| d.alarm))
            .count();
        let run = t
            .digits
            .second_digit
            .iter()
            .chain(&t.digits.last_digit)
            .filter(|d| d.done().is_some())
            .count();
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {} tests</td></tr>",
            escape(&region.region),
            t.stations,
            integer,
            fi,
            fe,
            shpilkin,
            alarms,
            run
        );
    }
    let _ = writeln!(html, "</table>");
}

/// Writes `summary.json`, the figures (PNG and SVG) and `report.html` into `dir` (created if
/// needed). `title` names the election in the report.
pub fn write_outputs(
    analysis: &Analysis,
    title: &str,
    dir: &Path,
) -> Result<Outputs, ForensicsError> {
    fs::create_dir_all(dir).map_err(|source| ForensicsError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let summary = dir.join("summary.json");
    write(&summary, &serde_json::to_vec_pretty(analysis)?)?;
    let figures = write_figures(analysis, dir)?;
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Forensics: {0}</title><style>\
         body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}}\
         table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #bbb;padding:.25em .5em;text-align:left}}\
         .explain{{background:#f4f6fa;padding:.6em 1em;border-left:4px solid #4a6fa5}}.note{{color:#555;font-size:.9em}}\
         svg{{max-width:100%;height:auto}}</style></head><body>\
         <h1>Election forensics: {0}</h1>\
         <p>Leader examined: <b>{1}</b>. {2} stations, {3} voters registered, {4} ballots counted, {5} votes for the leader.</p>\
         <p class=note>These tests look for statistical marks that falsification leaves in station-level results. A mark is a reason to look closer (observers' reports, protocols, recounts); none of these tests proves fraud on its own, and a clean result does not prove an honest count.</p>",
        escape(title),
        escape(&analysis.leader),
        analysis.national.stations,
        analysis.national.registered,
        analysis.national.counted,
        analysis.national.leader_votes
    );
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
    }
    let _ = writeln!(html, "<h2>The figures, whole election</h2>");
    test_figures(&analysis.national, &mut html);
    region_table(analysis, &mut html);
    let _ = writeln!(
        html,
        "<p class=note>Settings: {} Monte Carlo repetitions, {} bootstrap replicates, seed {}. All figures are in summary.json; every figure is also saved as PNG and SVG beside this file.</p></body></html>",
        analysis.settings.reps, analysis.settings.bootstrap, analysis.settings.seed
    );
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
        let outputs = write_outputs(&analysis, "Test <election>", dir.path())?;
        assert_eq!(outputs.figures.len(), 10);
        let html = fs::read_to_string(&outputs.report)?;
        assert!(html.contains("Test &lt;election&gt;"), "names are escaped");
        // A directory where a figure should go.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(blocked.join("histograms.png"))?;
        assert!(matches!(
            write_outputs(&analysis, "t", &blocked),
            Err(ForensicsError::Figure { path, .. }) if path.ends_with("histograms.png")
        ));
        // A file where the output directory should go.
        let file = dir.path().join("file");
        fs::write(&file, "x")?;
        assert!(matches!(
            write_outputs(&analysis, "t", &file),
            Err(ForensicsError::Write { .. })
        ));
        Ok(())
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
