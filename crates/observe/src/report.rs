//! `report.html`: one self-contained page (inline SVG charts drawn with plotters, no external
//! files or scripts) with the confrontation's tables and charts, the map of the stations and
//! the rates per region ([`crate::report_map`]), the PVT if there is one, and the provenance.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::compare::{Comparison, ItemComparison, Point};
use crate::error::ObserveError;
use crate::pvt::PvtResult;
use crate::report_map::{findings_table, map_section, region_table};
use fairtally_results::Provenance;

/// Most points drawn per scatter chart; beyond that, stations above the diagonal are kept and
/// the rest thinned evenly (the tables count them all).
const MAX_POINTS: usize = 4000;
/// Most rows of the flagged-stations table in the page (`flagged.csv` has them all).
const MAX_FLAG_ROWS: usize = 300;
/// Most regions in the bar chart.
const MAX_REGIONS: usize = 40;

pub(crate) fn chart_error(chart: &str) -> impl Fn(String) -> ObserveError + '_ {
    move |reason| ObserveError::Chart {
        chart: chart.to_owned(),
        reason,
    }
}

/// The PVT section of `report.html`.
fn pvt_section(
    p: &PvtResult,
    options: &[fairtally_results::ElectionOption],
) -> Result<String, ObserveError> {
    let mut html = String::new();
    if p.plan.source == crate::pvt::PvtSource::Official {
        html.push_str(
            "<p class=rehearsal><b>REHEARSAL.</b> This PVT was computed from the official figures              of the sampled stations, not from observers' protocols. It can only agree with the              official totals: \"official outside? no\" below checks the method, not the count.</p>",
        );
    }
    let _ = write!(
        html,
        "<h2>Parallel vote tabulation</h2><p>Seed <code>{}</code>; {} of {} stations sampled \
         in {} strata; {} sampled stations without figures; source: {}; {:.0} % intervals.</p>\
         {}<table><tr><th>figure</th><th>estimate</th><th>margin</th><th>interval</th>\
         <th>official</th><th>official outside?</th></tr>",
        esc(&p.plan.seed),
        thousands(p.sample.len() as u64),
        thousands(p.population as u64),
        p.strata,
        thousands(p.missing.len() as u64),
        match p.plan.source {
            crate::pvt::PvtSource::Official => "official protocols",
            crate::pvt::PvtSource::Observers => "observers' protocols",
        },
        p.plan.confidence * 100.0,
        if p.thin_strata.is_empty() {
            String::new()
        } else {
            format!(
                "<p><b>Warning:</b> fewer than 2 sampled stations with figures in {}: the margins \
                 understate the uncertainty.</p>",
                esc(&p.thin_strata.join(", "))
            )
        }
    );
    for e in &p.estimates {
        let pct = |v: f64| format!("{:.2} %", v * 100.0);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>±{}</td><td>{} – {}</td><td>{}</td><td{}>{}</td></tr>",
            esc(options
                .iter()
                .find(|o| o.id == e.name)
                .map_or(e.name.as_str(), |o| o.name.as_str())),
            pct(e.estimate),
            pct(e.margin),
            pct(e.estimate - e.margin),
            pct(e.estimate + e.margin),
            e.official.map(pct).unwrap_or_default(),
            if e.official_outside == Some(true) {
                " class=n"
            } else {
                ""
            },
            match e.official_outside {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            }
        );
    }
    html.push_str("</table>");
    html.push_str(&pvt_chart(p)?);
    Ok(html)
}

/// Each interval relative to the official figure, in percentage points: the official figure
/// is the vertical line at 0, so an interval that does not cross it shows a discrepancy.
fn pvt_chart(p: &PvtResult) -> Result<String, ObserveError> {
    let title = "PVT interval minus official figure (percentage points)";
    let err = chart_error(title);
    let rows: Vec<(&str, f64, f64, bool)> = p
        .estimates
        .iter()
        .filter_map(|e| {
            let o = e.official?;
            let low = (e.estimate - e.margin - o) * 100.0;
            let high = (e.estimate + e.margin - o) * 100.0;
            Some((e.name.as_str(), low, high, e.official_outside == Some(true)))
        })
        .collect();
    if rows.is_empty() {
        return Ok(String::new());
    }
    let n = rows.len();
    let reach = rows
        .iter()
        .map(|r| r.1.abs().max(r.2.abs()))
        .fold(0.01f64, f64::max)
        * 1.4;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 80 + 30 * n as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(30)
            .build_cartesian_2d(-reach..reach, 0f64..n as f64)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("estimate − official, percentage points (0 = official)")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (0.0, n as f64)],
                RED.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?;
        let y = |i: usize| (n - 1 - i) as f64 + 0.5;
        let bar = |(i, r): (usize, &(&str, f64, f64, bool))| {
            let colour = if r.3 { RED } else { RGBColor(40, 90, 200) };
            Rectangle::new([(r.1, y(i) - 0.15), (r.2, y(i) + 0.15)], colour.filled())
        };
        chart
            .draw_series(rows.iter().enumerate().map(bar))
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                Text::new(
                    r.0.to_owned(),
                    (-reach * 0.97, y(i) + 0.1),
                    ("sans-serif", 13),
                )
            }))
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// HTML-escapes text.
pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Official (x) against observed (y) votes of one option, one point per station and source,
/// with the diagonal where they agree.
fn scatter(title: &str, points: &[&Point]) -> Result<String, ObserveError> {
    let err = chart_error(title);
    let max = points
        .iter()
        .map(|p| p.official.max(p.observed))
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.05;
    let above: Vec<&&Point> = points.iter().filter(|p| p.observed > p.official).collect();
    let rest: Vec<&&Point> = points.iter().filter(|p| p.observed <= p.official).collect();
    let room = MAX_POINTS.saturating_sub(above.len()).max(1);
    let step = rest.len().div_ceil(room).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..max, 0f64..max)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("official votes")
            .y_desc("observed / photo-confirmed")
            .x_label_formatter(&|v| thousands(v.max(0.0).round() as u64))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (max, max)], &BLACK))
            .map_err(|e| err(e.to_string()))?;
        let dot = |p: &Point, color: RGBColor| {
            Circle::new(
                (p.official as f64, p.observed as f64),
                2,
                color.mix(0.6).filled(),
            )
        };
        let colour = |p: &Point| {
            if p.from_voters {
                RGBColor(40, 90, 200)
            } else {
                RGBColor(20, 150, 60)
            }
        };
        chart
            .draw_series(rest.iter().step_by(step).map(|p| dot(p, colour(p))))
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(above.iter().map(|p| dot(p, RED)))
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// Horizontal bars: flagged stations per region, largest first.
fn region_bars(regions: &[(&String, &u64)]) -> Result<String, ObserveError> {
    let title = "Flagged stations by region";
    let err = chart_error(title);
    let n = regions.len().max(1);
    let max = regions.iter().map(|(_, c)| **c).max().unwrap_or(1).max(1) as f64 * 1.6;
    let mut svg = String::new();
    {
        let height = 70 + 22 * n as u32;
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(30)
            .build_cartesian_2d(0f64..max, 0f64..n as f64)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("stations")
            .x_label_formatter(&|v| thousands(v.max(0.0).round() as u64))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let y = |i: usize| (n - 1 - i) as f64;
        chart
            .draw_series(regions.iter().enumerate().map(|(i, (_, c))| {
                Rectangle::new(
                    [(0.0, y(i) + 0.15), (**c as f64, y(i) + 0.85)],
                    RGBColor(200, 60, 60).filled(),
                )
            }))
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(regions.iter().enumerate().map(|(i, (name, c))| {
                Text::new(
                    format!(" {}  {name}", thousands(**c)),
                    (**c as f64, y(i) + 0.8),
                    ("sans-serif", 13),
                )
            }))
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// A count with thousands separators.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A figure's name in words: `votes:tihanovkaja` becomes the option's name on the ballot.
fn item_name(item: &str, options: &[fairtally_results::ElectionOption]) -> String {
    if let Some(id) = item.strip_prefix("votes:") {
        return options
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| item.to_owned(), |o| format!("votes for {}", o.name));
    }
    item.replace('_', " ")
}

/// Why a station is flagged, in words, with its rank (most serious first).
fn reason_words(reason: crate::Reason) -> (u8, &'static str) {
    match reason {
        crate::Reason::ConfirmedExceedsOfficial => (
            0,
            "more voters photographed their ballot for an option than the official protocol gives it",
        ),
        crate::Reason::DiffersFromOfficial => (
            1,
            "an observer's copy of the protocol differs from the official one",
        ),
        crate::Reason::ObserversDisagree => (2, "two observers' copies of the protocol disagree"),
        crate::Reason::InconsistentProtocol => (3, "the protocol breaks its own arithmetic"),
    }
}

fn reason_by_slug(slug: &str) -> &'static str {
    [
        crate::Reason::ConfirmedExceedsOfficial,
        crate::Reason::DiffersFromOfficial,
        crate::Reason::ObserversDisagree,
        crate::Reason::InconsistentProtocol,
    ]
    .into_iter()
    .find(|r| r.name() == slug)
    .map_or("other", |r| reason_words(r).1)
}

fn item_table(
    html: &mut String,
    options: &[fairtally_results::ElectionOption],
    caption: &str,
    other: &str,
    flagged: &str,
    rows: &[ItemComparison],
) {
    if rows.is_empty() {
        return;
    }
    let _ = write!(
        html,
        "<h3>{}</h3><table><tr><th>figure</th><th>stations compared</th><th>{}</th>\
         <th>official total</th><th>{} total</th><th>excess over official</th></tr>",
        esc(caption),
        esc(flagged),
        esc(other)
    );
    for r in rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&item_name(&r.item, options)),
            thousands(r.compared),
            thousands(r.flagged),
            thousands(r.official_total),
            thousands(r.other_total),
            thousands(r.excess_total)
        );
    }
    html.push_str("</table>");
}

/// The headline: what was found and how sure it is.
fn headline(c: &Comparison) -> String {
    let s = &c.summary;
    let proven: u64 = s
        .confirmed_exceeds_official
        .iter()
        .map(|i| i.flagged)
        .max()
        .unwrap_or(0);
    let differing: u64 = s
        .observed_vs_official
        .iter()
        .map(|i| i.flagged)
        .max()
        .unwrap_or(0);
    if s.flagged_stations == 0 {
        return format!(
            "{}: no station's official figures are contradicted by observers' or voters' reports ({} stations compared).",
            s.election,
            thousands(s.stations)
        );
    }
    let mut text = format!(
        "{}: {} of {} stations are flagged.",
        s.election,
        thousands(s.flagged_stations),
        thousands(s.stations)
    );
    if proven > 0 {
        text.push_str(&format!(
            " At {} stations more voters photographed their ballot for a candidate than the official protocol gives that candidate: those official figures cannot be true.",
            thousands(proven)
        ));
    }
    if differing > 0 {
        text.push_str(&format!(
            " At {} stations an observer's copy of the protocol differs from the official one.",
            thousands(differing)
        ));
    }
    text
}

/// Renders the page; `provenance` (inputs, command, date) goes in its footer.
pub fn render_report(
    c: &Comparison,
    pvt: Option<&PvtResult>,
    provenance: Option<&Provenance>,
) -> Result<String, ObserveError> {
    let s = &c.summary;
    let mut html = String::with_capacity(1 << 20);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=en><head><meta charset=\"utf-8\">\
         <meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>\
         body{{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em;line-height:1.4}}\
         .scroll{{overflow-x:auto}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #bbb;\
         padding:2px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}\
         .headline{{font-size:1.25em;font-weight:bold}}\
         td.n{{font-weight:bold;color:#b00}}.t{{text-align:left}}.rehearsal{{background:#fff3cd;border:2px solid #b58900;padding:.5em 1em}}.charts{{display:flex;flex-wrap:wrap;gap:8px}}\
         svg{{max-width:100%;height:auto}}</style></head><body><h1>{title}</h1><p class=headline>{headline}</p>\
         <p>Stations: {stations}; with an official protocol: {off}; with observers' protocols: \
         {obs}; with voters' reports: {vot}. Flagged stations: <b>{flagged}</b>.</p>",
        title = esc(&format!("Confrontation: {}", s.election)),
        headline = esc(&headline(c)),
        stations = thousands(s.stations),
        off = thousands(s.stations_with_official),
        obs = thousands(s.stations_with_observers),
        vot = thousands(s.stations_with_voters),
        flagged = thousands(s.flagged_stations),
    );
    if !s.confirmed_exceeds_official.is_empty() || !s.reported_exceeds_official.is_empty() {
        html.push_str(
            "<h2>Proof without statistics</h2><p>A station where more voters showed a \
            photo of their ballot for an option than the official protocol gives that option \
            cannot have an honest protocol.</p>",
        );
    }
    item_table(
        &mut html,
        &s.options,
        "Voters' photo-confirmed reports against official figures",
        "photo-confirmed",
        "stations where confirmed > official",
        &s.confirmed_exceeds_official,
    );
    item_table(
        &mut html,
        &s.options,
        "All voters' reports (confirmed or not) against official figures",
        "reported",
        "stations where reported > official",
        &s.reported_exceeds_official,
    );
    item_table(
        &mut html,
        &s.options,
        "Observers' protocols against official protocols",
        "observed",
        "stations where they differ",
        &s.observed_vs_official,
    );
    if !s.observers_disagree.is_empty() {
        html.push_str("<h3>Observers disagreeing with each other</h3><table><tr><th>figure</th><th>stations</th></tr>");
        for (item, n) in &s.observers_disagree {
            let _ = write!(
                html,
                "<tr><td>{}</td><td class=n>{}</td></tr>",
                esc(&item_name(item, &s.options)),
                thousands(*n)
            );
        }
        html.push_str("</table>");
    }
    if !c.points.is_empty() {
        html.push_str(
            "<h2>Official against observed, per station</h2><p>Red: the observed or \
            photo-confirmed count exceeds the official one. Blue: voters' photo-confirmed \
            reports. Green: observers' protocols.</p><div class=charts>",
        );
    }
    for (o, option) in s.options.iter().enumerate() {
        let points: Vec<&Point> = c.points.iter().filter(|p| p.option == o).collect();
        if !points.is_empty() {
            html.push_str(&scatter(
                &format!("{} ({} stations)", option.name, points.len()),
                &points,
            )?);
        }
    }
    if !c.points.is_empty() {
        html.push_str("</div>");
    }
    if !s.checks.is_empty() {
        html.push_str(
            "<h2>Internal consistency of protocols</h2><table><tr><th>source</th>\
            <th>rule</th><th>protocols checked</th><th>failing</th></tr>",
        );
        for k in &s.checks {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td></tr>",
                esc(&k.source),
                esc(&k.rule),
                thousands(k.applied),
                thousands(k.failed)
            );
        }
        html.push_str("</table>");
    }
    let mut regions: Vec<(&String, &u64)> = s.flagged_by_region.iter().collect();
    regions.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if !regions.is_empty() {
        html.push_str("<h2>Flagged stations by region</h2>");
        html.push_str(&region_bars(&regions[..regions.len().min(MAX_REGIONS)])?);
        html.push_str("<table><tr><th>reason</th><th>stations</th></tr>");
        for (reason, n) in &s.flagged_by_reason {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(reason_by_slug(reason)),
                thousands(*n)
            );
        }
        html.push_str("</table>");
    }
    html.push_str(&region_table(s));
    html.push_str(&map_section(s)?);
    html.push_str(&findings_table(s));
    if let Some(p) = pvt {
        html.push_str(&pvt_section(p, &s.options)?);
    }
    if !c.flags.is_empty() {
        let _ = write!(
            html,
            "<h2>Findings</h2><p>The first {} of {} findings, the most serious first; \
             <a href=flagged.csv>flagged.csv</a> lists them all.</p><table><tr><th>station</th>\
             <th>region</th><th>reason</th><th>figure</th><th>official</th><th>other</th>\
             <th>source</th><th>detail</th>{}</tr>",
            c.flags.len().min(MAX_FLAG_ROWS),
            c.flags.len(),
            if s.stations_with_findings > 0 {
                "<th>observers' findings at the station</th>"
            } else {
                ""
            }
        );
        let stations: std::collections::HashMap<&str, &crate::MapStation> =
            s.map.iter().map(|m| (m.id.as_str(), m)).collect();
        let number = |v: Option<u64>| v.map(thousands).unwrap_or_default();
        let mut flags: Vec<&crate::Flag> = c.flags.iter().collect();
        flags.sort_by_key(|f| reason_words(f.reason).0);
        for f in flags.into_iter().take(MAX_FLAG_ROWS) {
            let station = stations.get(f.station.as_str());
            // The station's page at the commission's site, where the data gives one.
            let name = match station.and_then(|m| m.url.as_deref()) {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    format!("<a href=\"{}\">{}</a>", esc(url), esc(&f.station))
                }
                _ => esc(&f.station),
            };
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                name,
                esc(f.region.as_deref().unwrap_or("")),
                reason_words(f.reason).1,
                esc(&item_name(&f.item, &s.options)),
                number(f.official),
                number(f.other),
                esc(&f.source),
                esc(&f.detail)
            );
            if s.stations_with_findings > 0 {
                let words: Vec<String> = station
                    .map(|m| m.findings.iter().map(|x| esc(&x.finding)).collect())
                    .unwrap_or_default();
                let _ = write!(html, "<td class=t>{}</td>", words.join("; "));
            }
            html.push_str("</tr>");
        }
        html.push_str("</table>");
    }
    if let Some(p) = provenance {
        html.push_str(&p.footer_html());
    }
    let _ = writeln!(
        html,
        "<p><small>Made with fairtally observe {}.</small></p></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    // Wide tables scroll inside their box on a phone instead of widening the page.
    Ok(html
        .replace("<table>", "<div class=scroll><table>")
        .replace("</table>", "</table></div>"))
}
