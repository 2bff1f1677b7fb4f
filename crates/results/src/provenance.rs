//! Where a report comes from: fairtally's version, the time, the SHA-256 of every input file
//! and the command line, so anyone with the same files and version can remake it. Every
//! published report (observation, forensics) ends with this footer.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ResultsError;

/// One input file and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// The path as given.
    pub path: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// Where a report comes from: enough to reproduce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// fairtally's version.
    pub version: String,
    /// When the report was made (UTC, `YYYY-MM-DD HH:MM`).
    pub generated: String,
    /// The input files with their SHA-256.
    pub inputs: Vec<InputFile>,
    /// The command line that made it.
    pub command: String,
    /// Where the data come from, in words (shown under every figure).
    pub source: String,
}

impl Provenance {
    /// Hashes the `inputs` and records the time, the version and the `command`. `source`
    /// names where the data come from.
    pub fn new(
        inputs: &[&Path],
        command: String,
        source: String,
    ) -> Result<Provenance, ResultsError> {
        let inputs = inputs
            .iter()
            .map(|path| {
                let bytes = fs::read(path).map_err(|source| ResultsError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                Ok(InputFile {
                    path: path.display().to_string(),
                    sha256: hex::encode(Sha256::digest(&bytes)),
                })
            })
            .collect::<Result<_, ResultsError>>()?;
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Provenance {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            generated: utc_minute(seconds),
            inputs,
            command,
            source,
        })
    }

    /// The command line of this process, as a provenance records it.
    pub fn this_command() -> String {
        std::iter::once("fairtally".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The report's footer: version, date, command, inputs with their SHA-256, source.
    pub fn footer_html(&self) -> String {
        let mut html = String::new();
        let _ = write!(
            html,
            "<footer><h2>Provenance</h2><p>Made by fairtally {} on {}, with <code>{}</code>.</p><ul>",
            escape(&self.version),
            escape(&self.generated),
            escape(&self.command)
        );
        for input in &self.inputs {
            let _ = write!(
                html,
                "<li><code>{}</code>: SHA-256 <code class=hash>{}</code></li>",
                escape(&input.path),
                input.sha256
            );
        }
        let _ = writeln!(
            html,
            "</ul><p class=note>Source of the data: {}. Anyone with the same files and version can rerun the command and get the same figures.</p></footer>",
            escape(&self.source)
        );
        html
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `YYYY-MM-DD HH:MM` (UTC) of a Unix time.
pub fn utc_minute(seconds: u64) -> String {
    let minute = seconds % 86_400 / 60;
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minute / 60,
        minute % 60
    )
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (Howard
/// Hinnant's civil-from-days; negative days are before 1970).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_footer() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        let p = Provenance {
            version: "1".into(),
            generated: utc_minute(0),
            inputs: vec![InputFile {
                path: "a<b>.csv".into(),
                sha256: "00".into(),
            }],
            command: "fairtally x".into(),
            source: "S & T".into(),
        };
        let html = p.footer_html();
        assert!(
            html.contains("a&lt;b&gt;.csv") && html.contains("S &amp; T"),
            "{html}"
        );
        assert!(html.contains("1970-01-01 00:00 UTC"));
    }

    #[test]
    fn a_missing_input_is_named() {
        let e = Provenance::new(&[Path::new("/no/such/file")], String::new(), String::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("/no/such/file"), "{e}");
    }
}
