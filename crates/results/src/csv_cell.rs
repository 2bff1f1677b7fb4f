//! Cells of the CSV files fairtally writes: [`spreadsheet_safe`] is the one guard they all put on
//! their cells, so that no value read from input runs as a spreadsheet formula.

use std::borrow::Cow;

/// A CSV cell that a spreadsheet will show as text, never run as a formula.
///
/// Spreadsheets read a cell that begins with `=`, `+`, `-` or `@` as a formula, and some strip
/// a leading tab or carriage return first; a station name like `=HYPERLINK(...)` in a file
/// an observer opens would then run. As OWASP advises for CSV injection, such a value gets a
/// leading `'`, which spreadsheets take as "this is text" and do not show.
///
/// A number is left as it is: a value made of an optional `+` or `-`, digits and at most one
/// `.` between digits (`-12`, `+3.5`) is read as that number, which is harmless, and a `'` in
/// front of it would turn it into text and break sums. Anything else beginning with one of
/// those characters (`-1+2`, `-2e3`, `+`, `-`) is neutralised. Everything else is returned
/// unchanged; quoting of separators and quotes is the CSV writer's job.
pub fn spreadsheet_safe(value: &str) -> Cow<'_, str> {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || is_plain_number(value) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("'{value}"))
    }
}

/// `[+-]?digits(.digits)?`: a number every spreadsheet reads as itself.
fn is_plain_number(value: &str) -> bool {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for formula in [
            "=1+1",
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-1+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "-2e3",
            "-1.",
            "-.5",
            "--1",
        ] {
            assert_eq!(
                spreadsheet_safe(formula),
                format!("'{formula}"),
                "{formula:?}"
            );
        }
        for kept in [
            "-12",
            "+3",
            "-0.5",
            "42",
            "",
            "N-1",
            "a=b",
            "'=already",
            " =1",
        ] {
            assert_eq!(spreadsheet_safe(kept), kept, "{kept:?}");
        }
    }
}
