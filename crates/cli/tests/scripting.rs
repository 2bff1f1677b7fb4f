//! The command line as scripts use it: completions, man pages, exit codes, `--json`, `--quiet`.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod support;

use support::{fairtally, ok};

#[test]
fn completions_cover_every_command_and_an_unknown_shell_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(dir.path(), &["completions", shell]);
        for command in ["verify", "board", "voter", "observe", "completions"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let bash = ok(dir.path(), &["completions", "bash"]);
    assert!(bash.contains("--board-policy"), "flags are completed too");
    let out = fairtally(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn man_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let printed = ok(dir.path(), &["man", "--out", "man"]);
    let pages: Vec<String> = std::fs::read_dir(dir.path().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(printed.contains(&format!("wrote {} man pages", pages.len())));
    for page in [
        "fairtally.1",
        "fairtally-verify.1",
        "fairtally-board-verify.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "no {page} in {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("help")), "{pages:?}");
    let verify = std::fs::read_to_string(dir.path().join("man/fairtally-verify.1")).unwrap();
    assert!(
        verify.starts_with(".ie") || verify.contains(".TH"),
        "roff: {verify:.80}"
    );
    assert!(verify.contains("board\\-policy"), "options are documented");
    let top = std::fs::read_to_string(dir.path().join("man/fairtally.1")).unwrap();
    assert!(top.contains("Exit codes"), "the exit codes are in the page");
}
