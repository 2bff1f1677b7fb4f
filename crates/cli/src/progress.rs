//! Progress for the library's long phases, on stderr: an indicatif bar on a terminal; off a
//! terminal (a log file, CI, a pipe) a plain line every few seconds with the rate and what is
//! left, so that long work is never silent; nothing with `--quiet`.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fairtally_election::progress::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// How often a line is printed off a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Shows one phase at a time on stderr (see the module documentation).
pub struct Bars {
    mode: Mode,
    bar: Mutex<Option<ProgressBar>>,
    lines: Mutex<Option<Lines>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bar,
    Lines,
    Silent,
}

impl Default for Bars {
    fn default() -> Self {
        let mode = if crate::output::quiet() {
            Mode::Silent
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        Bars {
            mode,
            bar: Mutex::new(None),
            lines: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn begin(&self, phase: &str, total: u64) {
        match self.mode {
            Mode::Silent => {}
            Mode::Lines => {
                if let Ok(mut slot) = self.lines.lock() {
                    *slot = Some(Lines::new(phase, total, Instant::now()));
                }
            }
            Mode::Bar => {
                let bar = ProgressBar::new(total);
                let template = "{msg:>22} [{bar:40}] {percent:>3}% {elapsed_precise} (eta {eta})";
                if let Ok(style) = ProgressStyle::with_template(template) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(phase.to_string());
                if let Ok(mut slot) = self.bar.lock() {
                    *slot = Some(bar);
                }
            }
        }
    }

    fn advance(&self, done: u64) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(done);
        }
        if let Ok(mut slot) = self.lines.lock()
            && let Some(lines) = slot.as_mut()
            && let Some(line) = lines.advance(done, Instant::now())
        {
            eprintln!("{line}");
        }
    }

    fn end(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
        if let Ok(mut slot) = self.lines.lock()
            && let Some(lines) = slot.take()
            && let Some(line) = lines.finish(Instant::now())
        {
            eprintln!("{line}");
        }
    }
}

/// The state of one phase shown as lines: what is done, and when the last line was printed.
struct Lines {
    phase: String,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
    printed: bool,
}

impl Lines {
    fn new(phase: &str, total: u64, now: Instant) -> Self {
        Lines {
            phase: phase.to_string(),
            total,
            done: 0,
            started: now,
            last_line: now,
            printed: false,
        }
    }

    /// Counts `done` more units; the line to print if the last one is old enough.
    fn advance(&mut self, done: u64, now: Instant) -> Option<String> {
        self.done = self.done.saturating_add(done);
        if now.duration_since(self.last_line) < LINE_EVERY {
            return None;
        }
        self.last_line = now;
        self.printed = true;
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let rate = self.done as f64 / elapsed.max(1e-9);
        let left = self.total.saturating_sub(self.done);
        let eta = if rate > 0.0 {
            format!("about {} left", seconds(left as f64 / rate))
        } else {
            "time left unknown".to_string()
        };
        let percent = if self.total == 0 {
            100.0
        } else {
            100.0 * self.done as f64 / self.total as f64
        };
        Some(format!(
            "{}: {} of {} ({percent:.0}%) in {}, {} per second, {left} to go, {eta}",
            self.phase,
            self.done,
            self.total,
            seconds(elapsed),
            rate_text(rate)
        ))
    }

    /// The closing line, printed only for a phase that printed a line before (short phases
    /// stay quiet).
    fn finish(&self, now: Instant) -> Option<String> {
        self.printed.then(|| {
            let elapsed = now.duration_since(self.started).as_secs_f64();
            format!("{}: {} done in {}", self.phase, self.done, seconds(elapsed))
        })
    }
}

fn seconds(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

fn rate_text(rate: f64) -> String {
    if rate >= 100.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_a_terminal_a_line_every_few_seconds_with_rate_and_what_is_left() {
        let t0 = Instant::now();
        let mut lines = Lines::new("ballot proofs", 1000, t0);
        assert_eq!(lines.advance(100, t0 + Duration::from_secs(1)), None);
        assert!(lines.finish(t0).is_none(), "a short phase prints nothing");
        let line = lines.advance(150, t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(
            line,
            "ballot proofs: 250 of 1000 (25%) in 5 s, 50.0 per second, 750 to go, about 15 s left"
        );
        assert_eq!(lines.advance(10, t0 + Duration::from_secs(7)), None);
        let line = lines.advance(0, t0 + Duration::from_secs(300)).unwrap();
        assert!(line.contains("in 5.0 min"), "{line}");
        assert_eq!(
            lines.finish(t0 + Duration::from_secs(301)).unwrap(),
            "ballot proofs: 260 done in 5.0 min"
        );
    }

    #[test]
    fn nothing_done_yet_says_the_time_left_is_unknown() {
        let t0 = Instant::now();
        let mut lines = Lines::new("decryption", 10, t0);
        let line = lines.advance(0, t0 + Duration::from_secs(6)).unwrap();
        assert!(line.ends_with("10 to go, time left unknown"), "{line}");
    }
}
