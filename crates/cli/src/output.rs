//! How the command line talks: results on stdout, notes and progress on stderr, `--quiet` to
//! silence the notes and progress, and colour only when wanted (`--color`, `NO_COLOR`).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use serde::Serialize;

static QUIET: AtomicBool = AtomicBool::new(false);
static COLOR: AtomicBool = AtomicBool::new(false);

/// When to colour the output (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless the environment sets `NO_COLOR`.
    #[default]
    Auto,
    /// Always, even into a pipe or file.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether to colour, given `NO_COLOR` (set and non-empty, per no-color.org) and whether
    /// stdout is a terminal. An explicit `--color always` wins over the environment.
    pub fn decide(self, no_color: Option<&str>, terminal: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => terminal && no_color.is_none_or(str::is_empty),
        }
    }
}

/// Set once from the global flags, before any command runs.
pub fn configure(quiet: bool, color: ColorWhen) {
    QUIET.store(quiet, Ordering::Relaxed);
    let no_color = std::env::var("NO_COLOR").ok();
    let colored = color.decide(no_color.as_deref(), std::io::stdout().is_terminal());
    COLOR.store(colored, Ordering::Relaxed);
}

/// Whether `--quiet` was given: no notes, no progress.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Print a note for people on stderr (`note: ...`), unless `--quiet`.
pub fn note(text: &str) {
    if !quiet() {
        eprintln!("note: {text}");
    }
}

/// Print what the command is doing on stderr, unless `--quiet`.
pub fn status(text: &str) {
    if !quiet() {
        eprintln!("{text}");
    }
}

/// `n` and the noun in the right number: `counted(1, "witness", "witnesses")` is "1 witness".
pub fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A JSON document for scripts: `format` (a name and a major version) first, then the fields
/// of `body`, and the files the command wrote.
#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    format: &'static str,
    #[serde(flatten)]
    body: &'a T,
    written: Vec<String>,
}

/// Print `body` as the JSON document `format` on stdout (the only thing there with `--json`),
/// naming the files the command `written`.
pub fn print_document<T: Serialize>(
    format: &'static str,
    body: &T,
    written: &[&std::path::Path],
) -> anyhow::Result<()> {
    let document = Document {
        format,
        body,
        written: written.iter().map(|p| p.display().to_string()).collect(),
    };
    crate::report::print_json(&document)
}

/// Print the JSON file `summary` that a command wrote as the JSON document `format` on stdout:
/// exactly what the file holds, so scripts need not read it back.
pub fn print_summary_file(
    format: &'static str,
    summary: &std::path::Path,
    written: &[&std::path::Path],
) -> anyhow::Result<std::process::ExitCode> {
    let text = std::fs::read_to_string(summary)
        .map_err(|e| anyhow::anyhow!("reading back {}: {e}", summary.display()))?;
    let body: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("reading back {}: {e}", summary.display()))?;
    print_document(format, &body, written)?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// A verdict's tone, for colour.
#[derive(Clone, Copy)]
pub enum Tone {
    /// Verified, passed.
    Good,
    /// Passed, with a caveat (not pinned).
    Caution,
    /// Failed.
    Bad,
}

/// `text` in the tone's colour when colour is on, else as is.
pub fn paint(text: &str, tone: Tone) -> String {
    if !COLOR.load(Ordering::Relaxed) {
        return text.to_string();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Caution => "33",
        Tone::Bad => "31",
    };
    format!("\x1b[1;{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::{ColorWhen, counted};

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1u32, "witness", "witnesses"), "1 witness");
        assert_eq!(counted(0u32, "witness", "witnesses"), "0 witnesses");
        assert_eq!(counted(2u64, "stratum", "strata"), "2 strata");
    }

    #[test]
    fn no_color_turns_automatic_colour_off() {
        assert!(ColorWhen::Auto.decide(None, true));
        assert!(ColorWhen::Auto.decide(Some(""), true));
        assert!(!ColorWhen::Auto.decide(Some("1"), true));
        assert!(!ColorWhen::Auto.decide(None, false));
        assert!(ColorWhen::Always.decide(Some("1"), false));
        assert!(!ColorWhen::Never.decide(None, true));
    }
}
