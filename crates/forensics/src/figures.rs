//! The figures, drawn with plotters once for PNG and once for SVG.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::fingerprint::FINGERPRINT_BINS;
use crate::{Analysis, BINS_PER_POINT, ForensicsError, Outcome};

/// Something that can be drawn on any plotters backend.
trait Figure {
    /// Draws the figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn text<E: std::fmt::Debug>(error: E) -> String {
    format!("{error:?}")
}

/// What every standalone figure carries: the election's name, the source and the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureCaption {
    /// The election (and region) analysed.
    pub title: String,
    /// Where the data come from (file name or publisher).
    pub source: String,
    /// When the figure was made (UTC date).
    pub date: String,
}

/// Draws `figure` under a title line and above a footer naming the source and date.
fn captioned<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    caption: &FigureCaption,
    heading: &str,
    figure: &impl Figure,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(text)?;
    let (_, height) = root.dim_in_pixel();
    let (top, rest) = root.split_vertically(30);
    let (body, bottom) = rest.split_vertically(height.saturating_sub(30 + 22));
    top.draw_text(
        &format!("{}: {heading}", caption.title),
        &("sans-serif", 18).into_font().color(&BLACK),
        (10, 6),
    )
    .map_err(text)?;
    bottom
        .draw_text(
            &format!(
                "Source: {}. Analysis: fairtally {}, {}.",
                caption.source,
                env!("CARGO_PKG_VERSION"),
                caption.date
            ),
            &("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90)),
            (10, 4),
        )
        .map_err(text)?;
    figure.draw(&body)
}

/// Something drawn with its caption.
struct Captioned<'a, F> {
    caption: &'a FigureCaption,
    heading: &'a str,
    figure: F,
}

impl<F: Figure> Figure for Captioned<'_, F> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        captioned(root, self.caption, self.heading, &self.figure)
    }
}

/// A tick label: a count with thousands separators (1,400,000 rather than 1400000.0), or two
/// decimals for a small fraction.
fn tick(value: &f64) -> String {
    if (value - value.round()).abs() > 1e-9 && value.abs() < 10.0 {
        format!("{value:.2}")
    } else {
        crate::report::thousands(*value)
    }
}

/// Writes `NAME.png` and `NAME.svg` in `dir`; returns the SVG's path.
fn write_figure(
    dir: &Path,
    name: &str,
    size: (u32, u32),
    figure: &impl Figure,
) -> Result<PathBuf, ForensicsError> {
    let png = dir.join(format!("{name}.png"));
    let svg = dir.join(format!("{name}.svg"));
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |reason: String| ForensicsError::Figure { path, reason }
    };
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        figure.draw(&root).map_err(fail(&png))?;
        root.present().map_err(text).map_err(fail(&png))?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        figure.draw(&root).map_err(fail(&svg))?;
        root.present().map_err(text).map_err(fail(&svg))?;
    }
    Ok(svg)
}

/// Turnout and leader's share in 0.1-point bins, by stations and by voters.
struct HistogramsFigure<'a>(&'a Analysis);

fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    values: &[u64],
    colour: RGBColor,
) -> Result<(), String> {
    let max = values.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..100f64, 0f64..max * 1.05)
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("percent")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .disable_mesh()
        .draw()
        .map_err(text)?;
    let points = values
        .iter()
        .enumerate()
        .map(|(bin, &v)| (bin as f64 / BINS_PER_POINT as f64, v as f64));
    chart
        .draw_series(LineSeries::new(points, &colour))
        .map_err(text)?;
    Ok(())
}

impl Figure for HistogramsFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(text)?;
        let h = &self.0.histograms;
        let panels = root.split_evenly((2, 2));
        let blue = RGBColor(31, 119, 180);
        let red = RGBColor(214, 39, 40);
        line_panel(
            &panels[0],
            "Turnout, stations per 0.1 %",
            &h.turnout.stations,
            blue,
        )?;
        line_panel(
            &panels[1],
            "Turnout, voters per 0.1 %",
            &h.turnout.voters,
            blue,
        )?;
        line_panel(
            &panels[2],
            "Leader's share, stations per 0.1 %",
            &h.leader_share.stations,
            red,
        )?;
        line_panel(
            &panels[3],
            "Leader's share, voters per 0.1 %",
            &h.leader_share.voters,
            red,
        )?;
        Ok(())
    }
}

/// The integer-percentage test: the counts chance gives, and the observed count.
struct IntegerFigure<'a>(&'a Analysis);

impl Figure for IntegerFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(text)?;
        let Outcome::Done(test) = &self.0.national.integer_percentage else {
            return Ok(());
        };
        let (Some(&low), Some(&high)) = (test.simulated.first(), test.simulated.last()) else {
            return Ok(());
        };
        let observed = test.observed_integer as f64;
        let width = (test.simulated_sd / 3.0).max(1.0);
        let bins = ((high - low) / width).floor() as usize + 1;
        let mut counts = vec![0u32; bins];
        for &x in &test.simulated {
            counts[(((x - low) / width) as usize).min(bins - 1)] += 1;
        }
        let margin = 4.0 * width;
        let (left, right) = (low.min(observed) - margin, high.max(observed) + margin);
        let top = f64::from(counts.iter().copied().max().unwrap_or(1)) * 1.15;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Stations at whole percentages: {} reported, {:.0} ± {:.0} by chance",
                    test.observed_integer, test.simulated_mean, test.simulated_sd
                ),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(left..right, 0f64..top)
            .map_err(text)?;
        chart
            .configure_mesh()
            .x_desc("stations with an integer turnout or leader's share")
            .y_desc("simulations")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .disable_mesh()
            .draw()
            .map_err(text)?;
        let grey = RGBColor(150, 150, 150);
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                let x = low + i as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, f64::from(c))], grey.filled())
            }))
            .map_err(text)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(observed, 0.0), (observed, top)],
                RED.stroke_width(3),
            )))
            .map_err(text)?;
        Ok(())
    }
}

/// The fingerprint: observed, fitted model, fair model.
struct FingerprintFigure<'a>(&'a Analysis);

fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    counts: &[f64],
) -> Result<(), String> {
    let max = counts.iter().copied().fold(0.0, f64::max).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..100f64, 0f64..100f64)
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("turnout, %")
        .y_desc("leader's share, %")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .disable_mesh()
        .draw()
        .map_err(text)?;
    let cells = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c >= 0.5)
        .map(|(index, &c)| {
            let (t, s) = (
                (index / FINGERPRINT_BINS) as f64,
                (index % FINGERPRINT_BINS) as f64,
            );
            // Logarithmic intensity: a single station is visible next to a thousand.
            let level = ((1.0 + c).ln() / (1.0 + max).ln()).clamp(0.0, 1.0);
            let shade = (255.0 * (1.0 - level)) as u8;
            Rectangle::new(
                [(t, s), (t + 1.0, s + 1.0)],
                RGBColor(shade, shade, 255).filled(),
            )
        });
    chart.draw_series(cells).map_err(text)?;
    Ok(())
}

/// The colour scale of the fingerprint: white for no station to full blue for the fullest
/// cell, logarithmic.
fn colour_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    max: f64,
) -> Result<(), String> {
    let style = ("sans-serif", 13).into_font().color(&BLACK);
    area.draw_text(
        "stations per 1 × 1 point cell (log scale):",
        &style,
        (10, 8),
    )
    .map_err(text)?;
    let (left, width) = (290i32, 300i32);
    for i in 0..width {
        let level = f64::from(i) / f64::from(width);
        let shade = (255.0 * (1.0 - level)) as u8;
        area.draw(&Rectangle::new(
            [(left + i, 6), (left + i + 1, 20)],
            RGBColor(shade, shade, 255).filled(),
        ))
        .map_err(text)?;
    }
    area.draw(&Rectangle::new(
        [(left, 6), (left + width, 20)],
        BLACK.stroke_width(1),
    ))
    .map_err(text)?;
    area.draw_text("1", &style, (left - 12, 8)).map_err(text)?;
    area.draw_text(&tick(&max), &style, (left + width + 6, 8))
        .map_err(text)?;
    Ok(())
}

impl Figure for FingerprintFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(text)?;
        let (_, height) = root.dim_in_pixel();
        let (root, legend) = root.split_vertically(height.saturating_sub(28));
        let observed = &self.0.national.fingerprint.counts;
        colour_legend(&legend, observed.iter().copied().fold(1.0, f64::max))?;
        let panels = root.split_evenly((1, 3));
        heatmap(
            &panels[0],
            "Observed: stations",
            &self.0.national.fingerprint.counts,
        )?;
        if let Outcome::Done(fit) = &self.0.national.klimek_fraud_model {
            heatmap(
                &panels[1],
                &format!("Fraud model: fi {:.3}, fe {:.4}", fit.fi, fit.fe),
                &fit.fitted,
            )?;
            heatmap(&panels[2], "Same model without fraud", &fit.fair)?;
        }
        Ok(())
    }
}

/// A labelled line: label, style, points.
type Series<'a> = (&'a str, ShapeStyle, Vec<(f64, f64)>);

/// Shpilkin: the leader's and others' votes by turnout, with the expected leader's votes.
struct ShpilkinFigure<'a>(&'a Analysis);

impl Figure for ShpilkinFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(text)?;
        let Outcome::Done(estimate) = &self.0.national.shpilkin else {
            return Ok(());
        };
        let max = estimate
            .bins
            .iter()
            .map(|b| b.leader_votes.max(b.other_votes) as f64)
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Votes by turnout: {:.0} anomalous votes for the leader right of the {:.1} % peak",
                    estimate.anomalous_votes, estimate.turnout_peak_percent
                ),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..101f64, 0f64..max * 1.05)
            .map_err(text)?;
        chart
            .configure_mesh()
            .x_desc("turnout, %")
            .y_desc("votes per 1 % of turnout")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(text)?;
        let centre = |b: &crate::TurnoutBin| f64::from(b.turnout_percent) + 0.5;
        let bins = &estimate.bins;
        let series: [Series; 3] = [
            (
                "leader",
                RGBColor(214, 39, 40).stroke_width(1),
                bins.iter()
                    .map(|b| (centre(b), b.leader_votes as f64))
                    .collect(),
            ),
            (
                "all other options",
                RGBColor(31, 119, 180).stroke_width(1),
                bins.iter()
                    .map(|b| (centre(b), b.other_votes as f64))
                    .collect(),
            ),
            (
                "leader, expected from the clean ratio",
                BLACK.stroke_width(2),
                bins.iter()
                    .filter_map(|b| Some((centre(b), b.expected_leader_votes?)))
                    .collect(),
            ),
        ];
        for (label, style, points) in series {
            chart
                .draw_series(LineSeries::new(points, style))
                .map_err(text)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(text)?;
        Ok(())
    }
}

/// The right edge of digit `d`'s bar on the segmented axis of digits 0 to 9.
fn segment_end(d: u32) -> SegmentValue<u32> {
    if d >= 9 {
        SegmentValue::Last
    } else {
        SegmentValue::Exact(d + 1)
    }
}

/// The leader's digits: observed against expected frequencies.
struct DigitsFigure<'a>(&'a Analysis);

fn digit_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    test: Option<&crate::DigitTest>,
) -> Result<(), String> {
    let Some(test) = test else {
        area.titled(&format!("{title}: insufficient data"), ("sans-serif", 16))
            .map_err(text)?;
        return Ok(());
    };
    let n = test.counts_used.max(1) as f64;
    let observed: Vec<f64> = test.observed.iter().map(|&o| o as f64 / n).collect();
    let max = observed
        .iter()
        .chain(&test.expected)
        .copied()
        .fold(0.0, f64::max)
        * 1.45;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{title} (p = {:.3})", test.p_value),
            ("sans-serif", 16),
        )
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d((0u32..9u32).into_segmented(), 0f64..max)
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("digit")
        .y_desc("share of counts")
        .x_labels(10)
        .x_label_formatter(&|d| match d {
            SegmentValue::CenterOf(d) | SegmentValue::Exact(d) => d.to_string(),
            SegmentValue::Last => String::new(),
        })
        .y_label_formatter(&|v| format!("{:.0} %", 100.0 * v))
        .disable_mesh()
        .draw()
        .map_err(text)?;
    let grey = RGBColor(150, 150, 150);
    chart
        .draw_series(observed.iter().enumerate().map(|(d, &f)| {
            let d = d as u32;
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(d), 0.0),
                    (SegmentValue::Exact(d + 1), f),
                ],
                grey.filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            bar
        }))
        .map_err(text)?
        .label("observed")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], grey.filled()));
    chart
        .draw_series(test.expected.iter().enumerate().map(|(d, &p)| {
            let d = d as u32;
            PathElement::new(
                vec![(SegmentValue::Exact(d), p), (segment_end(d), p)],
                RED.stroke_width(2),
            )
        }))
        .map_err(text)?
        .label("expected by chance (resampling)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(text)?;
    Ok(())
}

impl Figure for DigitsFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(text)?;
        let panels = root.split_evenly((1, 2));
        let digits = &self.0.national.digits;
        digit_panel(
            &panels[0],
            "Leader's second digit",
            digits.second_digit.first().and_then(Outcome::done),
        )?;
        digit_panel(
            &panels[1],
            "Leader's last digit",
            digits.last_digit.first().and_then(Outcome::done),
        )?;
        Ok(())
    }
}

/// The figures written, by name: (name, SVG path).
pub(crate) fn write_figures(
    analysis: &Analysis,
    caption: &FigureCaption,
    dir: &Path,
) -> Result<Vec<(&'static str, PathBuf)>, ForensicsError> {
    Ok(vec![
        (
            "histograms",
            write_figure(
                dir,
                "histograms",
                (1200, 852),
                &Captioned {
                    caption,
                    heading: "turnout and leader's share in 0.1-point bins",
                    figure: HistogramsFigure(analysis),
                },
            )?,
        ),
        (
            "integer_percentage",
            write_figure(
                dir,
                "integer_percentage",
                (900, 502),
                &Captioned {
                    caption,
                    heading: "integer-percentage test",
                    figure: IntegerFigure(analysis),
                },
            )?,
        ),
        (
            "fingerprint",
            write_figure(
                dir,
                "fingerprint",
                (1500, 580),
                &Captioned {
                    caption,
                    heading: "election fingerprint and fraud model",
                    figure: FingerprintFigure(analysis),
                },
            )?,
        ),
        (
            "shpilkin",
            write_figure(
                dir,
                "shpilkin",
                (1000, 602),
                &Captioned {
                    caption,
                    heading: "votes by turnout (Shpilkin)",
                    figure: ShpilkinFigure(analysis),
                },
            )?,
        ),
        (
            "digits",
            write_figure(
                dir,
                "digits",
                (1000, 472),
                &Captioned {
                    caption,
                    heading: "digit tests",
                    figure: DigitsFigure(analysis),
                },
            )?,
        ),
    ])
}
