//! Helpers shared by the command-line tests: run the built binary, and the key ceremony steps
//! every scenario starts with.

use std::path::Path;
use std::process::{Command, Output};

/// Run `fairtally ARGS` in `dir`.
pub fn fairtally(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtally"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run fairtally")
}

/// Run `fairtally ARGS` in `dir`, which must succeed; its standard output.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = fairtally(dir, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "fairtally {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Run the authority's `step` (`open`, `close`, `post`, ...) on `dir/record` with the board
/// `dir/board`, which must succeed; its standard output.
pub fn authority(dir: &Path, step: &str) -> String {
    ok(
        dir,
        &["authority", step, "--record", "record", "--board", "board"],
    )
}

/// Create the authority's bulletin board in `dir/board` (operator key `board/operator.key`).
pub fn init_board(dir: &Path) {
    ok(
        dir,
        &["board", "init", "board", "--origin", "example.org/election"],
    );
}

/// Create the board and an election in `dir/record` (embedded manifest) with `n` guardians and
/// threshold `k`; every guardian generates its keys (`g{i}.secret.json`, `g{i}.public.json`),
/// the authority publishes them and every guardian sends its shares (`shares-{i}.json`).
pub fn start_ceremony(dir: &Path, n: u32, k: u32) {
    start_ceremony_with(dir, n, k, &[]);
}

/// [`start_ceremony`] with more arguments for `authority create` (e.g. `--manifest FILE`).
pub fn start_ceremony_with(dir: &Path, n: u32, k: u32, create: &[&str]) {
    init_board(dir);
    let (n_text, k_text) = (n.to_string(), k.to_string());
    let mut args = vec![
        "authority",
        "create",
        "--record",
        "record",
        "--board",
        "board",
        "--guardians",
        &n_text,
        "--threshold",
        &k_text,
    ];
    args.extend_from_slice(create);
    ok(dir, &args);
    let mut publics = Vec::new();
    for i in 1..=n {
        let (index, name) = (i.to_string(), format!("Guardian {i}"));
        let (secret, public) = (format!("g{i}.secret.json"), format!("g{i}.public.json"));
        ok(
            dir,
            &[
                "guardian", "generate", "--record", "record", "--index", &index, "--name", &name,
                "--secret", &secret, "--public", &public,
            ],
        );
        publics.push(public);
    }
    let mut args = vec!["authority", "add-guardians", "--record", "record"];
    args.extend(publics.iter().map(String::as_str));
    ok(dir, &args);
    for i in 1..=n {
        ok(
            dir,
            &[
                "guardian",
                "send-shares",
                "--record",
                "record",
                "--secret",
                &format!("g{i}.secret.json"),
                "--out",
                &format!("shares-{i}.json"),
            ],
        );
    }
}

/// The shares files of guardians 1..=n.
fn share_files(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("shares-{i}.json")).collect()
}

/// Every guardian receives its shares and writes `g{i}.key-share.json`; the authority
/// publishes the share messages in the record.
pub fn finish_ceremony(dir: &Path, n: u32) {
    let shares = share_files(n);
    let mut publish = vec![
        "authority",
        "add-ceremony",
        "--record",
        "record",
        "--shares",
    ];
    publish.extend(shares.iter().map(String::as_str));
    ok(dir, &publish);
    for i in 1..=n {
        let (secret, key, complaints) = (
            format!("g{i}.secret.json"),
            format!("g{i}.key-share.json"),
            format!("g{i}.complaints.json"),
        );
        let mut args = vec![
            "guardian",
            "receive-shares",
            "--record",
            "record",
            "--secret",
            &secret,
            "--key-share",
            &key,
            "--complaints",
            &complaints,
            "--shares",
        ];
        args.extend(shares.iter().map(String::as_str));
        ok(dir, &args);
    }
}

/// A whole election up to open voting: `n` guardians (threshold `k`), `voters` credentials in
/// `voters/`, the set-up on the board.
pub fn open_election(dir: &Path, (n, k): (u32, u32), voters: u32) {
    start_ceremony(dir, n, k);
    finish_ceremony(dir, n);
    let voters = voters.to_string();
    ok(
        dir,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            &voters,
            "--out-dir",
            "voters",
        ],
    );
    authority(dir, "open");
}

/// A demo election of 6 voters and 3 guardians (threshold 2) in `dir/demo`.
pub fn small_demo(dir: &Path) {
    ok(
        dir,
        &[
            "demo",
            "--voters",
            "6",
            "--guardians",
            "3",
            "--threshold",
            "2",
            "--out",
            "demo",
        ],
    );
}

/// The voter with credential `credential` encrypts `choices`, casts the ballot and the
/// authority accepts it; its confirmation code.
pub fn cast(dir: &Path, credential: &str, choices: &str) -> String {
    let prepared = format!("{credential}.prepared");
    let signed = format!("{credential}.cast");
    let printed = ok(
        dir,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            credential,
            "--choices",
            choices,
            "--out",
            &prepared,
        ],
    );
    ok(
        dir,
        &[
            "voter",
            "cast",
            "--prepared",
            &prepared,
            "--credential",
            credential,
            "--out",
            &signed,
        ],
    );
    ok(
        dir,
        &[
            "authority",
            "accept",
            "--record",
            "record",
            "--board",
            "board",
            &signed,
        ],
    );
    printed
        .lines()
        .find_map(|l| l.strip_prefix("Confirmation code: "))
        .unwrap_or_default()
        .to_string()
}

/// Station-level results of 30 stations in 3 regions (`results.csv`) and their column mapping
/// (`mapping.toml`), for the observation and forensics commands.
pub fn write_station_results(d: &Path) {
    std::fs::write(
        d.join("mapping.toml"),
        r#"
[election]
name = "Test"
options = [{ id = "a", name = "A" }, { id = "b", name = "B" }]
[station]
id = "id"
region = "region"
registered = "registered"
[[source]]
kind = "official"
[source.fields]
registered = "registered"
ballots_issued = "issued"
ballots_counted = "counted"
[source.votes]
a = "a"
b = "b"
"#,
    )
    .unwrap();
    let mut csv = String::from("id,region,registered,issued,counted,a,b\n");
    for i in 0..30 {
        let region = ["North", "South", "East"][i % 3];
        csv.push_str(&format!(
            "{i},{region},1000,600,590,{},{}\n",
            300 + i,
            290 - i
        ));
    }
    std::fs::write(d.join("results.csv"), csv).unwrap();
}
