//! The self-contained `report.html` of an audit: its verdict in two plain sentences, the risk
//! after each round (an inline SVG chart), what was sampled and why, and each round's figures.

use plotters::prelude::*;

use crate::error::AuditError;
use crate::rounds::{AuditRecord, Verdict, percent};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn figure_error<E: std::fmt::Debug>(error: E) -> AuditError {
    AuditError::Figure {
        reason: format!("{error:?}"),
    }
}

/// The risk after each round against the cumulative sample, on a log scale, with the limit.
fn risk_chart(record: &AuditRecord) -> Result<String, AuditError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(figure_error)?;
        let lowest = record
            .rounds
            .iter()
            .map(|r| r.risk)
            .fold(record.risk_limit, f64::min)
            .max(1e-12);
        let max_x = record
            .rounds
            .iter()
            .map(|r| r.sample_size)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption("Risk after each round", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..max_x * 1.08, (lowest / 3.0..1.2f64).log_scale())
            .map_err(figure_error)?;
        chart
            .configure_mesh()
            .x_desc(format!("{} examined (cumulative)", record.method.unit()))
            .y_desc("risk (log scale)")
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(WHITE)
            .draw()
            .map_err(figure_error)?;
        let limit = record.risk_limit;
        chart
            .draw_series(LineSeries::new(
                [(0.0, limit), (max_x * 1.08, limit)],
                RED.stroke_width(2),
            ))
            .map_err(figure_error)?
            .label(format!("risk limit {}", percent(limit)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
        let mut points = vec![(0.0, 1.0)];
        points.extend(
            record
                .rounds
                .iter()
                .map(|r| (r.sample_size as f64, r.risk.max(lowest))),
        );
        chart
            .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))
            .map_err(figure_error)?
            .label("measured risk")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 5, BLUE.filled())))
            .map_err(figure_error)?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(figure_error)?;
        root.present().map_err(figure_error)?;
    }
    Ok(svg)
}

/// The report's HTML.
pub fn report_html(record: &AuditRecord) -> Result<String, AuditError> {
    let chart = risk_chart(record)?;
    let (badge, colour) = match &record.verdict {
        Verdict::Confirmed => ("Outcome confirmed", "#1b7a3a"),
        Verdict::Escalate { .. } => ("Escalate: examine more", "#a66300"),
        Verdict::FullHandCount => ("Full hand count required", "#a11"),
    };
    let rows: String = record
        .rounds
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                r.round,
                r.sample_size,
                percent(r.risk),
                if r.risk <= record.risk_limit {
                    "at or below the limit"
                } else {
                    "above the limit"
                }
            )
        })
        .collect();
    let seed = record
        .seed
        .as_deref()
        .map(|s| format!("<p>The sample was drawn with the public seed <code>{}</code>; anyone can redraw it with <code>fairtally audit draw</code>.</p>", escape(s)))
        .unwrap_or_default();
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Risk-limiting audit: {contests}</title>\n<style>\
         body{{font-family:sans-serif;max-width:900px;margin:2em auto;padding:0 1em;line-height:1.5;color:#222}}\
         .verdict{{border-left:6px solid {colour};background:#f6f7f9;padding:.8em 1.2em;font-size:1.1em}}\
         .badge{{color:{colour};font-weight:bold;font-size:1.3em}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3em .8em;text-align:right}}\
         svg{{max-width:100%;height:auto}}code{{word-break:break-all}}.note{{color:#555;font-size:.9em}}\
         </style>\n</head>\n<body>\n<h1>Risk-limiting audit: {contests}</h1>\n\
         <div class=\"verdict\"><p class=\"badge\">{badge}</p><p>{meaning}</p></div>\n\
         <h2>Risk after each round</h2>\n<figure>{chart}<figcaption class=\"note\">Blue: the measured risk after each round (1 before any {unit} were examined). Red: the risk limit. The audit stops when blue falls to or below red.</figcaption></figure>\n\
         <h2>What was sampled and why</h2>\n<p>{sampled}</p>\n{seed}\n\
         <h2>Rounds</h2>\n<table><tr><th>round</th><th>{unit} examined</th><th>risk</th><th></th></tr>{rows}</table>\n\
         <p class=\"note\">Method: {title}; risk limit {limit}; population {population} {unit}. \
         Formulas and sources: docs/AUDIT.md of fairtally.</p>\n</body>\n</html>\n",
        contests = escape(&record.contests.join(", ")),
        meaning = escape(&record.meaning()),
        sampled = escape(&record.sampled),
        unit = record.method.unit(),
        title = record.method.title(),
        limit = percent(record.risk_limit),
        population = record.population,
    ))
}
