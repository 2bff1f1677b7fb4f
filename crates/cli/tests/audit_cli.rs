//! `fairtally audit` end to end: sample sizes, the known-answer draw, commit–reveal, BRAVO,
//! ALPHA, ballot and batch comparison, report, posting to a board, and the errors a user
//! meets (JSON output parsed back; exit codes 0 confirmed, 1 escalate, 2 unusable input).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn fairtally(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run fairtally")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args`, expecting exit code 2 (unusable input) and `needle` in the error message.
fn expect_error(args: &[&str], dir: &Path, needle: &str) {
    let out = fairtally(args, dir);
    assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
}

fn votes(a: usize, b: usize) -> String {
    let mut csv = String::from("vote\n");
    for i in 0..a + b {
        csv.push_str(if i % (a + b) < a { "Alice\n" } else { "Bob\n" });
    }
    csv
}

#[test]
fn sample_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let bravo = fairtally(
        &[
            "audit",
            "sample-size",
            "--method",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            "cand1=600,cand2=400",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&bravo), 0, "{}", stderr(&bravo));
    assert_eq!(stdout_json(&bravo)["sample_size"], 119);
    // rlacalc -m 1 -n: margin 1% at alpha 0.1 needs 479 ballots.
    let comparison = fairtally(
        &[
            "audit",
            "sample-size",
            "--method",
            "comparison",
            "--risk-limit",
            "0.1",
            "--tally",
            "A=5050,B=4950",
            "--ballots",
            "10000",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(stdout_json(&comparison)["sample_size"], 479);
    expect_error(
        &[
            "audit",
            "sample-size",
            "--method",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            "A=5,B=5",
        ],
        dir.path(),
        "tied contest",
    );
}

#[test]
fn draw_reproduces_arlo_and_checks_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "batch,ballots\npct 1,25\npct 2,25\npct 3,25\npct 4,25\n";
    std::fs::write(dir.path().join("manifest.csv"), manifest).unwrap();
    let seed = "12345678901234567890abcdefghijklmnopqrstuvwxyz😊";
    let out = fairtally(
        &[
            "audit",
            "draw",
            "--manifest",
            "manifest.csv",
            "--seed",
            seed,
            "--size",
            "20",
            "--with-replacement",
            "--ballots",
            "100",
            "--out",
            "retrieval.csv",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let draws = stdout_json(&out)["draws"].as_array().unwrap().clone();
    assert_eq!(draws.len(), 20);
    assert_eq!(draws[0]["ticket_number"], "0.000617786129909912");
    assert_eq!(draws[0]["batch"], "pct 2");
    assert_eq!(draws[10]["times_drawn"], 2);
    let list = std::fs::read_to_string(dir.path().join("retrieval.csv")).unwrap();
    assert!(
        list.starts_with(
            "batch,position,ticket_number,times_drawn\npct 1,4,0.111195681310332785,1\n"
        ),
        "{list}"
    );
    assert!(list.contains("pct 1,20,0.078998835671540970,2\n"), "{list}");

    expect_error(
        &[
            "audit",
            "draw",
            "--manifest",
            "manifest.csv",
            "--seed",
            "1",
            "--size",
            "5",
            "--ballots",
            "101",
            "--out",
            "r.csv",
        ],
        dir.path(),
        "manifest.csv: the batches' counts add up to 100 ballots, but 101 ballots were cast",
    );
    std::fs::write(dir.path().join("dup.csv"), "batch,ballots\nA,3\nA,4\n").unwrap();
    expect_error(
        &[
            "audit",
            "draw",
            "--manifest",
            "dup.csv",
            "--seed",
            "1",
            "--size",
            "1",
            "--out",
            "r.csv",
        ],
        dir.path(),
        "dup.csv, line 3",
    );
}

#[test]
fn commit_then_seed() {
    let dir = tempfile::tempdir().unwrap();
    let commit = fairtally(
        &[
            "audit",
            "commit",
            "--audit",
            "county 2026",
            "--secret",
            "secret.txt",
            "--out",
            ".",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&commit), 0, "{}", stderr(&commit));
    let commitment = stdout_json(&commit)["commitment"]
        .as_str()
        .unwrap()
        .to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let args = |c: &str| {
        vec![
            "audit",
            "seed",
            "--audit",
            "county 2026",
            "--secret",
            "secret.txt",
            "--commitment",
            c,
            "--public",
            "31415926535897932384",
            "--json",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let run = |c: &str| {
        fairtally(
            &args(c).iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        )
    };
    let seed = run(&commitment);
    assert_eq!(code(&seed), 0, "{}", stderr(&seed));
    assert_eq!(stdout_json(&seed)["seed"].as_str().unwrap().len(), 64);
    let wrong = run(&"0".repeat(64));
    assert_eq!(code(&wrong), 2);
    assert!(
        stderr(&wrong).contains("does not open the commitment"),
        "{}",
        stderr(&wrong)
    );
    // The secret is never overwritten.
    let again = fairtally(
        &["audit", "commit", "--audit", "x", "--secret", "secret.txt"],
        dir.path(),
    );
    assert_eq!(code(&again), 2);
}

#[test]
fn bravo_confirms_escalates_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("round1.csv"), votes(30, 20)).unwrap();
    std::fs::write(dir.path().join("round2.csv"), votes(120, 80)).unwrap();
    let tally = "Alice=600,Bob=400";
    let one = fairtally(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            tally,
            "--sample",
            "round1.csv",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&one), 1, "{}", stderr(&one));
    let j = stdout_json(&one);
    assert_eq!(j["verdict"], "escalate");
    // 30 for Alice, 20 for Bob: T = 1.2^30 0.8^20.
    let risk = 1.0 / (1.2f64.powi(30) * 0.8f64.powi(20));
    assert!((j["risk"].as_f64().unwrap() - risk).abs() < 1e-12);
    assert!(j["next_round_size"].as_u64().unwrap() > 0);
    let text = fairtally(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            tally,
            "--sample",
            "round1.csv",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&text.stdout).contains("escalate"));

    let two = fairtally(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            tally,
            "--sample",
            "round1.csv",
            "--sample",
            "round2.csv",
            "--seed",
            "42",
            "--out",
            "audit",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&two), 0, "{}", stderr(&two));
    let j = stdout_json(&two);
    assert_eq!(j["verdict"], "confirmed");
    assert_eq!(j["rounds"].as_array().unwrap().len(), 2);
    assert!(j["risk"].as_f64().unwrap() <= 0.1);

    let report = fairtally(&["audit", "report", "audit"], dir.path());
    assert_eq!(code(&report), 0, "{}", stderr(&report));
    let html = std::fs::read_to_string(dir.path().join("audit/report.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("name=\"viewport\""));
    assert!(
        html.contains("<svg")
            && html.contains("Outcome confirmed")
            && html.contains("What was sampled and why")
    );
    assert!(
        !html.contains("src=\"http"),
        "the report must be self-contained"
    );

    // ALPHA on the same sample.
    let alpha = fairtally(
        &[
            "audit",
            "alpha",
            "--risk-limit",
            "0.1",
            "--tally",
            tally,
            "--sample",
            "round1.csv",
            "--sample",
            "round2.csv",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&alpha), 0, "{}", stderr(&alpha));
    assert!(stdout_json(&alpha)["risk"].as_f64().unwrap() <= 0.1);
}

#[test]
fn bad_samples_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), "vote\nAlice\nCarol\n").unwrap();
    expect_error(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            "Alice=6,Bob=4",
            "--sample",
            "s.csv",
        ],
        dir.path(),
        "s.csv, line 3: unknown option \"Carol\"",
    );
    expect_error(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            "Alice=6,Bob=4",
            "--sample",
            "none.csv",
        ],
        dir.path(),
        "none.csv",
    );
    std::fs::write(dir.path().join("ok.csv"), "vote\nAlice\n").unwrap();
    expect_error(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "1.5",
            "--tally",
            "Alice=6,Bob=4",
            "--sample",
            "ok.csv",
        ],
        dir.path(),
        "risk limit: 1.5 is not between 0 and 1",
    );
    expect_error(
        &[
            "audit",
            "bravo",
            "--risk-limit",
            "0.1",
            "--tally",
            "Alice=six",
            "--sample",
            "s.csv",
        ],
        dir.path(),
        "--tally",
    );
}

#[test]
fn ballot_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("cvr,mvr\n");
    for i in 0..100 {
        csv.push_str(if i == 0 {
            "Alice,\n"
        } else if i % 2 == 0 {
            "Alice,Alice\n"
        } else {
            "Bob,Bob\n"
        });
    }
    std::fs::write(dir.path().join("c.csv"), csv).unwrap();
    let out = fairtally(
        &[
            "audit",
            "comparison",
            "--risk-limit",
            "0.05",
            "--tally",
            "Alice=5500,Bob=4500",
            "--ballots",
            "10000",
            "--sample",
            "c.csv",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // One 1-vote overstatement in 100 ballots at margin 0.1.
    let g = 1.03905f64;
    let want = (1.0 - 0.1 / (2.0 * g)).powi(100) / (1.0 - 1.0 / (2.0 * g));
    assert!((stdout_json(&out)["risk"].as_f64().unwrap() - want).abs() < 1e-12);
}

#[test]
fn batch_comparison_and_post() {
    let dir = tempfile::tempdir().unwrap();
    let mut reported = String::from("batch,ballots,Alice,Bob\n");
    for i in 0..50 {
        reported.push_str(&format!("s{i},100,60,40\n"));
    }
    std::fs::write(dir.path().join("reported.csv"), &reported).unwrap();
    let draw = fairtally(
        &[
            "audit",
            "draw",
            "--manifest",
            "reported.csv",
            "--seed",
            "7",
            "--size",
            "40",
            "--with-replacement",
            "--out",
            "audit/retrieval.csv",
        ],
        dir.path(),
    );
    assert_eq!(code(&draw), 0, "{}", stderr(&draw));
    // The hand counts agree with every protocol.
    std::fs::write(dir.path().join("audited.csv"), &reported).unwrap();
    let run = |audited: &str| {
        fairtally(
            &[
                "audit",
                "batch",
                "--risk-limit",
                "0.05",
                "--reported",
                "reported.csv",
                "--audited",
                audited,
                "--draws",
                "audit/retrieval.csv",
                "--out",
                "audit",
                "--json",
            ],
            dir.path(),
        )
    };
    let out = run("audited.csv");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["verdict"], "confirmed");
    // A hand count missing a drawn station is refused.
    std::fs::write(
        dir.path().join("partial.csv"),
        "batch,ballots,Alice,Bob\ns0,100,60,40\n",
    )
    .unwrap();
    let partial = run("partial.csv");
    assert_eq!(code(&partial), 2);
    assert!(
        stderr(&partial).contains("was drawn but has no hand count"),
        "{}",
        stderr(&partial)
    );
    // Hand counts that reverse every station: not confirmed.
    std::fs::write(
        dir.path().join("reversed.csv"),
        reported.replace(",60,40", ",40,60"),
    )
    .unwrap();
    let reversed = run("reversed.csv");
    assert_eq!(code(&reversed), 1, "{}", stderr(&reversed));

    let board = fairtally(
        &["board", "init", "board", "--origin", "example.org/audit"],
        dir.path(),
    );
    assert_eq!(code(&board), 0, "{}", stderr(&board));
    std::fs::copy(
        dir.path().join("reported.csv"),
        dir.path().join("audit/manifest.csv"),
    )
    .unwrap();
    let post = fairtally(
        &[
            "audit",
            "post",
            "audit",
            "--board",
            "board",
            "--audit",
            "test audit",
        ],
        dir.path(),
    );
    assert_eq!(code(&post), 0, "{}", stderr(&post));
    let text = String::from_utf8_lossy(&post.stdout);
    assert!(text.contains("Posted 4 audit entries"), "{text}");
    let again = fairtally(
        &[
            "audit",
            "post",
            "audit",
            "--board",
            "board",
            "--audit",
            "test audit",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("(0 new)"));
}
