//! The map of the stations and the rates per region in `report.html` (and `regions.csv`).
//!
//! The map is drawn offline from the stations' own coordinates (a joined file, see
//! `[[join]]` in `docs/OBSERVE.md`), with an equirectangular projection scaled by the cosine of
//! the middle latitude: no tile service, no script, nothing fetched when the page is opened.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;

use crate::compare::{MapStation, Summary};
use crate::error::ObserveError;
use crate::report::{chart_error, esc, thousands};

/// The map's frame holds the stations between these quantiles of latitude and of longitude,
/// widened on each side by [`PAD_SHARE`] of its span; stations outside (embassies' stations
/// abroad) are counted and named, not drawn, so that a few far away do not shrink the country
/// to a corner.
const FRAME_QUANTILES: (f64, f64) = (0.02, 0.98);
/// Margin around the frame, as a share of its span.
const PAD_SHARE: f64 = 0.25;

/// How a station is drawn, in drawing order (the most important on top).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Unflagged,
    FindingsOnly,
    Flagged,
}

impl Mark {
    fn of(s: &MapStation) -> Mark {
        if !s.reasons.is_empty() {
            Mark::Flagged
        } else if !s.findings.is_empty() {
            Mark::FindingsOnly
        } else {
            Mark::Unflagged
        }
    }

    fn colour(self) -> RGBColor {
        match self {
            Mark::Unflagged => RGBColor(170, 170, 170),
            Mark::FindingsOnly => RGBColor(230, 140, 0),
            Mark::Flagged => RGBColor(200, 0, 0),
        }
    }

    fn css(self) -> String {
        let RGBColor(r, g, b) = self.colour();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// The values at the quantiles `q` of `values` (sorted here).
fn quantiles(mut values: Vec<f64>, q: (f64, f64)) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = ((values.len().saturating_sub(1)) as f64 * p).round() as usize;
        values.get(i).copied().unwrap_or(0.0)
    };
    (at(q.0), at(q.1))
}

/// The map section, or nothing when no station has coordinates.
pub(crate) fn map_section(s: &Summary) -> Result<String, ObserveError> {
    let placed: Vec<(&MapStation, f64, f64)> = s
        .map
        .iter()
        .filter_map(|m| m.coordinates.map(|c| (m, c.longitude, c.latitude)))
        .collect();
    if placed.is_empty() {
        return Ok(String::new());
    }
    let (lon0, lon1) = quantiles(placed.iter().map(|p| p.1).collect(), FRAME_QUANTILES);
    let (lat0, lat1) = quantiles(placed.iter().map(|p| p.2).collect(), FRAME_QUANTILES);
    let widen = |(lo, hi): (f64, f64)| {
        let pad = ((hi - lo) * PAD_SHARE).max(0.05);
        (lo - pad, hi + pad)
    };
    let ((lon0, lon1), (lat0, lat1)) = (widen((lon0, lon1)), widen((lat0, lat1)));
    let (near, far): (Vec<&(&MapStation, f64, f64)>, Vec<_>) = placed
        .iter()
        .partition(|(_, lon, lat)| (lon0..=lon1).contains(lon) && (lat0..=lat1).contains(lat));
    let mid_lat = (lat0 + lat1) / 2.0;
    let squash = mid_lat.to_radians().cos().max(0.1);
    let width = 760u32;
    let height = ((f64::from(width) - 80.0) * (lat1 - lat0) / ((lon1 - lon0) * squash) + 80.0)
        .clamp(300.0, 1000.0) as u32;
    let title = "Stations by their coordinates";
    let err = chart_error(title);
    let mut counts = BTreeMap::new();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(lon0..lon1, lat0..lat1)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("longitude (°E)")
            .y_desc("latitude (°N)")
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|v| format!("{v:.1}°"))
            .y_label_formatter(&|v| format!("{v:.1}°"))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for mark in [Mark::Unflagged, Mark::FindingsOnly, Mark::Flagged] {
            let these: Vec<_> = near.iter().filter(|p| Mark::of(p.0) == mark).collect();
            *counts.entry(mark as u8).or_insert(0u64) += these.len() as u64;
            let size = if mark == Mark::Unflagged { 2 } else { 3 };
            chart
                .draw_series(
                    these
                        .iter()
                        .map(|p| Circle::new((p.1, p.2), size, mark.colour().mix(0.75).filled())),
                )
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let count = |m: Mark| thousands(counts.get(&(m as u8)).copied().unwrap_or(0));
    let label = format!(
        "Map of {} stations: {} flagged by fairtally in red, {} with observers' findings only in \
         orange, {} others in grey. The tables below list the same stations.",
        thousands(near.len() as u64),
        count(Mark::Flagged),
        count(Mark::FindingsOnly),
        count(Mark::Unflagged)
    );
    let svg = svg.replacen(
        "<svg ",
        &format!("<svg role=img aria-label=\"{}\" ", esc(&label)),
        1,
    );
    let mut html = String::new();
    let _ = write!(
        html,
        "<h2>Where the stations are</h2><figure>{svg}<figcaption>\
         <span style=\"color:{red}\">●</span> flagged by fairtally ({flagged}) \
         <span style=\"color:{orange}\">●</span> observers' findings only ({findings}) \
         <span style=\"color:{grey}\">●</span> neither ({others}). Drawn from the stations' \
         coordinates; no map service is used.{far}</figcaption></figure>",
        red = Mark::Flagged.css(),
        orange = Mark::FindingsOnly.css(),
        grey = Mark::Unflagged.css(),
        flagged = count(Mark::Flagged),
        findings = count(Mark::FindingsOnly),
        others = count(Mark::Unflagged),
        far = if far.is_empty() {
            String::new()
        } else {
            format!(
                " {} stations far from the others (abroad) are not drawn: {}.",
                far.len(),
                esc(&far
                    .iter()
                    .map(|p| p.0.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
            )
        }
    );
    Ok(html)
}

/// One region's rates.
pub(crate) struct RegionRow {
    pub(crate) region: String,
    pub(crate) stations: u64,
    pub(crate) flagged: u64,
    pub(crate) with_findings: u64,
}

/// Percentage of `part` in `whole`, one decimal.
pub(crate) fn rate(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    format!("{:.1} %", 100.0 * part as f64 / whole as f64)
}

/// Every region with its stations, flagged stations and stations with observers' findings,
/// the highest rate of flagged stations first.
pub(crate) fn region_rows(s: &Summary) -> Vec<RegionRow> {
    let mut findings: BTreeMap<&str, u64> = BTreeMap::new();
    for m in &s.map {
        if !m.findings.is_empty() {
            *findings
                .entry(m.region.as_deref().unwrap_or("(unknown)"))
                .or_insert(0) += 1;
        }
    }
    let mut rows: Vec<RegionRow> = s
        .stations_by_region
        .iter()
        .map(|(region, &stations)| RegionRow {
            region: region.clone(),
            stations,
            flagged: s.flagged_by_region.get(region).copied().unwrap_or(0),
            with_findings: findings.get(region.as_str()).copied().unwrap_or(0),
        })
        .collect();
    rows.sort_by(|a, b| {
        let share = |r: &RegionRow| r.flagged as f64 / r.stations.max(1) as f64;
        share(b).total_cmp(&share(a)).then(a.region.cmp(&b.region))
    });
    rows
}

/// The table of rates per region.
pub(crate) fn region_table(s: &Summary) -> String {
    let rows = region_rows(s);
    if rows.len() < 2 {
        return String::new();
    }
    let with_findings = s.stations_with_findings > 0;
    let mut html = String::from(
        "<h3>Rates per region</h3><p><a href=regions.csv>regions.csv</a> has this table.</p>\
         <table><tr><th>region</th><th>stations</th><th>flagged</th><th>share flagged</th>",
    );
    if with_findings {
        html.push_str("<th>with observers' findings</th><th>share with findings</th>");
    }
    html.push_str("</tr>");
    for r in &rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td>",
            esc(&r.region),
            thousands(r.stations),
            thousands(r.flagged),
            rate(r.flagged, r.stations)
        );
        if with_findings {
            let _ = write!(
                html,
                "<td>{}</td><td>{}</td>",
                thousands(r.with_findings),
                rate(r.with_findings, r.stations)
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    html
}

/// Observers' findings by kind, with how many of those stations fairtally flags too.
pub(crate) fn findings_table(s: &Summary) -> String {
    if s.findings_by_kind.is_empty() {
        return String::new();
    }
    let mut flagged_too: BTreeMap<&str, u64> = BTreeMap::new();
    for m in s.map.iter().filter(|m| !m.reasons.is_empty()) {
        for f in &m.findings {
            *flagged_too.entry(f.finding.as_str()).or_insert(0) += 1;
        }
    }
    let both = s
        .map
        .iter()
        .filter(|m| !m.reasons.is_empty() && !m.findings.is_empty())
        .count() as u64;
    let mut kinds: Vec<(&String, &u64)> = s.findings_by_kind.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut html = format!(
        "<h2>Observers' findings</h2><p>{} stations have findings of an independent observer \
         network; {} of them are also flagged by fairtally's checks. A finding is the \
         observers' report, not a figure fairtally checked.</p><table><tr><th>finding</th>\
         <th>stations</th><th>of them flagged by fairtally</th></tr>",
        thousands(s.stations_with_findings),
        thousands(both)
    );
    for (kind, n) in kinds {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(kind),
            thousands(*n),
            thousands(flagged_too.get(kind.as_str()).copied().unwrap_or(0))
        );
    }
    html.push_str("</table>");
    html
}
