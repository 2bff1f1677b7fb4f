//! docs/WALKTHROUGH.md, run as written: the test reads the document's blocks and runs them in
//! order, each role in its own directory, so the document and the code cannot drift apart.
//!
//! - A `sh` block starts with `# ROLE`, optionally `, when CONDITION` and `: exits N`; it runs
//!   with `sh -e` in ROLE's directory, with the built `fairtally` first on `PATH`, and must end
//!   with status N (0 when not said).
//! - A `files` block lists moves, `FROM → TO, TO: PATH PATH`, optionally under a first line
//!   `# when CONDITION`; a path ending in `/` is a directory and replaces the copy there.
//! - The document's example confirmation code stands for the last code its role's device
//!   printed; that is the only text the test fills in.
//!
//! Every fenced block of the document is one of these, so no command in it goes untested.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Not every helper of the shared support module is needed here.
#[allow(dead_code)]
#[path = "support/cli.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fairtally_election::authority::read_election;
use fairtally_election::ceremony::ShareMessage;
use fairtally_election::guardian::GuardianSecret;
use fairtally_election::parameters::ceremony_context;
use support::{fairtally, ok};

/// The document, read from the source tree.
fn document() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/WALKTHROUGH.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One step of the walk-through.
#[derive(Debug)]
enum Step {
    /// Commands one role runs.
    Run {
        role: String,
        when: Option<String>,
        exits: i32,
        script: String,
    },
    /// Files one role gives to others.
    Move {
        when: Option<String>,
        moves: Vec<Transfer>,
    },
}

impl Step {
    fn when(&self) -> Option<&str> {
        match self {
            Step::Run { when, .. } | Step::Move { when, .. } => when.as_deref(),
        }
    }
}

/// `from → to, to: paths`.
#[derive(Debug)]
struct Transfer {
    from: String,
    to: Vec<String>,
    paths: Vec<String>,
}

/// The steps of the document, in order. Panics on a fenced block that is neither kind, or one
/// whose first line does not say who runs it: every command shown must be run.
fn steps(doc: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(kind) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let at = number + 1;
        match kind.trim() {
            "sh" => {
                let first = body.first().copied().unwrap_or_default();
                let header = first
                    .strip_prefix("# ")
                    .unwrap_or_else(|| panic!("line {at}: an sh block starts with `# ROLE`"));
                let (header, exits) = match header.split_once(": exits ") {
                    Some((h, n)) => (h, n.trim().parse().unwrap()),
                    None => (header, 0),
                };
                let (role, when) = match header.split_once(", when ") {
                    Some((role, when)) => (role, Some(when.to_string())),
                    None => (header, None),
                };
                assert!(
                    !role.contains(' '),
                    "line {at}: the role is one word: {role:?}"
                );
                steps.push(Step::Run {
                    role: role.to_string(),
                    when,
                    exits,
                    script: body[1..].join("\n"),
                });
            }
            "files" => {
                let mut when = None;
                let mut moves = Vec::new();
                for line in &body {
                    if let Some(condition) = line.strip_prefix("# when ") {
                        when = Some(condition.to_string());
                        continue;
                    }
                    let (roles, paths) = line
                        .split_once(": ")
                        .unwrap_or_else(|| panic!("line {at}: `FROM → TO: PATHS`, not {line:?}"));
                    let (from, to) = roles
                        .split_once(" → ")
                        .unwrap_or_else(|| panic!("line {at}: `FROM → TO`, not {roles:?}"));
                    moves.push(Transfer {
                        from: from.trim().to_string(),
                        to: to.split(',').map(|r| r.trim().to_string()).collect(),
                        paths: paths.split_whitespace().map(String::from).collect(),
                    });
                }
                steps.push(Step::Move { when, moves });
            }
            other => panic!("line {at}: a ```{other} block: use sh (with `# ROLE`) or files"),
        }
    }
    steps
}

/// The example confirmation code of the document, in its loose typed form.
fn example_code(doc: &str) -> (String, String) {
    let printed = doc
        .split("`Confirmation code: ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("an example confirmation code")
        .to_string();
    let loose = loose(&printed);
    (printed, loose)
}

/// A code as a voter may type it: lower case, no dashes.
fn loose(code: &str) -> String {
    code.to_lowercase().replace('-', "")
}

/// What a step printed.
struct Ran {
    role: String,
    script: String,
    stdout: String,
    stderr: String,
}

/// The machines of the walk-through: one directory per role under a temporary directory.
struct Walk {
    root: tempfile::TempDir,
    example: (String, String),
    /// Confirmation codes each role's device printed, in order.
    codes: BTreeMap<String, Vec<String>>,
    ran: Vec<Ran>,
}

impl Walk {
    fn new(doc: &str) -> Self {
        Walk {
            root: tempfile::tempdir().unwrap(),
            example: example_code(doc),
            codes: BTreeMap::new(),
            ran: Vec::new(),
        }
    }

    fn dir(&self, role: &str) -> PathBuf {
        let dir = self.root.path().join(role);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Run one step; `exits` overrides the document's status (a step the scenario makes fail).
    fn run(&mut self, step: &Step, exits: Option<i32>) {
        match step {
            Step::Run {
                role,
                exits: documented,
                script,
                ..
            } => {
                let script = match self.codes.get(role).and_then(|c| c.last()) {
                    Some(code) => script
                        .replace(&self.example.0, code)
                        .replace(&self.example.1, &loose(code)),
                    None => script.clone(),
                };
                let binary = Path::new(env!("CARGO_BIN_EXE_fairtally"));
                let path = std::env::join_paths(
                    std::iter::once(binary.parent().unwrap().to_path_buf()).chain(
                        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
                    ),
                )
                .unwrap();
                let out = Command::new("sh")
                    .args(["-e", "-c", &script])
                    .current_dir(self.dir(role))
                    .env("PATH", path)
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                let expected = exits.unwrap_or(*documented);
                assert_eq!(
                    out.status.code(),
                    Some(expected),
                    "{role} ran, as in docs/WALKTHROUGH.md:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let printed = stdout
                    .lines()
                    .filter_map(|l| l.strip_prefix("Confirmation code: "))
                    .map(|c| c.trim().to_string());
                self.codes.entry(role.clone()).or_default().extend(printed);
                self.ran.push(Ran {
                    role: role.clone(),
                    script,
                    stdout,
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                });
            }
            Step::Move { moves, .. } => {
                for transfer in moves {
                    for to in &transfer.to {
                        for path in &transfer.paths {
                            let source = self.dir(&transfer.from).join(path);
                            let target = self.dir(to).join(path);
                            copy(&source, &target);
                        }
                    }
                }
            }
        }
    }

    /// What the `n`-th step of `role` whose commands contain `command` printed.
    fn printed(&self, role: &str, command: &str, n: usize) -> &str {
        self.ran
            .iter()
            .filter(|r| r.role == role && r.script.contains(command))
            .nth(n)
            .map(|r| r.stdout.as_str())
            .unwrap_or_else(|| panic!("{role} never ran {command:?} ({n})"))
    }
}

/// Copy a file, or a directory (replacing the copy at `target`), as a role hands it over.
fn copy(source: &Path, target: &Path) {
    assert!(
        source.exists(),
        "{} is to be handed over but does not exist",
        source.display()
    );
    if source.is_dir() {
        if target.exists() {
            std::fs::remove_dir_all(target).unwrap();
        }
        std::fs::create_dir_all(target).unwrap();
        for entry in std::fs::read_dir(source).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &target.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(source, target).unwrap();
    }
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

#[test]
fn the_walkthrough_runs_as_written_one_role_per_machine() {
    let doc = document();
    let steps = steps(&doc);
    assert!(steps.len() > 30, "{} steps", steps.len());
    let mut walk = Walk::new(&doc);
    for step in steps.iter().filter(|s| s.when().is_none()) {
        walk.run(step, None);
    }

    // What the document says the commands print.
    let verified = walk.printed("observer", "fairtally verify", 1);
    assert!(
        verified.contains("VERIFIED, SELF-CONSISTENT BUT NOT PINNED")
            && verified.contains("all 24 checks passed"),
        "{verified}"
    );
    assert!(
        verified
            .contains("4 in the record: 3 cast (1 replaced by a re-vote), 1 challenged; 2 counted"),
        "{verified}"
    );
    let chen = verified
        .lines()
        .find(|l| l.contains("Chen Li"))
        .unwrap_or_default();
    assert!(chen.split_whitespace().any(|w| w == "2"), "{chen}");
    let during = walk.printed("observer", "fairtally verify", 0);
    assert!(
        during.contains("NO RESULT YET, VALID SO FAR") && !during.contains("VERIFIED"),
        "{during}"
    );
    let looked_up = walk.printed("voter-1", "voter lookup", 0);
    assert!(looked_up.contains("cast, and it counts"), "{looked_up}");
    assert!(
        looked_up.contains("is entry"),
        "the inclusion proof: {looked_up}"
    );

    // Secrets stay where they were made: the authority and the observer hold none.
    let authority = files_under(&walk.dir("authority"));
    for secret in [
        "key.json",
        "key-share",
        "my-credential",
        "prepared",
        "voter-0",
    ] {
        assert!(
            !authority.iter().any(|f| f.contains(secret)),
            "{secret} reached the authority: {authority:?}"
        );
    }
    let observer = files_under(&walk.dir("observer"));
    assert!(
        observer.iter().all(|f| f.starts_with("record")),
        "{observer:?}"
    );

    // Beyond the document: the state it leaves behaves as the document says.
    let accepted = walk.printed("authority", "authority accept", 0);
    assert_eq!(accepted.matches("Accepted ballot").count(), 4, "{accepted}");
    assert!(accepted.contains("was already accepted"), "{accepted}");
    let voter_1 = walk.dir("voter-1");
    let code = walk.codes["voter-1"].last().unwrap().clone();
    let mut typo: Vec<char> = code.chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let out = fairtally(
        &voter_1,
        &["voter", "lookup", "--record", "record", "--code", &typo],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("check character"));
    let challenged = walk.codes["voter-1"][0].clone();
    let found = ok(
        &voter_1,
        &[
            "voter",
            "lookup",
            "--record",
            "record",
            "--code",
            &challenged,
        ],
    );
    assert!(found.contains("challenged"), "{found}");
    // Casting wiped the nonces: the cast ballot cannot be challenged, the challenged one
    // cannot be cast.
    let device = std::fs::read_to_string(voter_1.join("ballot.prepared.json")).unwrap();
    assert!(
        !device.contains("nonce") && device.contains("\"cast\""),
        "{device}"
    );
    let credential = "voters/voter-00001.json";
    let out = fairtally(
        &voter_1,
        &[
            "voter",
            "challenge",
            "--record",
            "record",
            "--prepared",
            "ballot.prepared.json",
            "--credential",
            credential,
            "--out",
            "late.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be challenged"));
    let out = fairtally(
        &voter_1,
        &[
            "voter",
            "cast",
            "--prepared",
            "check.prepared.json",
            "--credential",
            credential,
            "--out",
            "check-cast.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can never be cast"));
    assert!(!voter_1.join("check-cast.json").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(walk.dir("registrar").join("voters/voter-00001.json")),
            0o600
        );
        assert_eq!(mode(walk.dir("voter-2").join("my-credential.json")), 0o600);
        assert_eq!(
            mode(walk.dir("guardian-1").join("g1.key-share.json")),
            0o600
        );
    }
    let voter_2 = walk.dir("voter-2");
    let first = walk.codes["voter-2"][0].clone();
    std::fs::create_dir_all(voter_2.join("record")).unwrap();
    copy(&voter_1.join("record"), &voter_2.join("record"));
    let found = ok(
        &voter_2,
        &["voter", "lookup", "--record", "record", "--code", &first],
    );
    assert!(found.contains("superseded"), "{found}");
}

#[test]
fn a_bad_share_gives_a_complaint_anyone_can_check_as_the_walkthrough_says() {
    let doc = document();
    let steps = steps(&doc);
    let complained = Some("a guardian complained");
    assert!(
        steps.iter().filter(|s| s.when() == complained).count() >= 3,
        "the document shows what to do when a guardian complains"
    );
    let mut walk = Walk::new(&doc);
    let mut tampered = false;
    for step in &steps {
        // Once guardian 2 has made its shares, it swaps in, as its share for guardian 3, the
        // ciphertext it made for guardian 1 (signed, as a cheating guardian would).
        if !tampered
            && matches!(step, Step::Move { .. })
            && walk
                .ran
                .iter()
                .any(|r| r.role == "guardian-2" && r.script.contains("send-shares"))
        {
            bad_share_for_guardian_3(&walk.dir("guardian-2"));
            tampered = true;
        }
        let receives_3 = matches!(step, Step::Run { role, script, .. }
            if role == "guardian-3" && script.contains("receive-shares"));
        match step.when() {
            None if walk
                .ran
                .iter()
                .any(|r| r.script.contains("check-complaint")) =>
            {
                break;
            }
            None if receives_3 => {
                // The document: "If a share is bad ... exits with status 1."
                walk.run(step, Some(1));
                let guardian = walk.dir("guardian-3");
                assert!(guardian.join("g3.complaints.json").is_file());
                assert!(!guardian.join("g3.key-share.json").exists());
            }
            None | Some("a guardian complained") => walk.run(step, None),
            Some(other) => panic!("an unknown condition {other:?}"),
        }
    }
    assert!(tampered);
    let verdict = walk.printed("observer", "check-complaint", 0);
    assert!(
        verdict.contains("Complaint by guardian 3 upheld: guardian 2 is at fault"),
        "{verdict}"
    );
    // A forged disclosure makes the complaint unfounded: exit 0, and it says so.
    let observer = walk.dir("observer");
    let path = observer.join("g3.complaints.json");
    let mut complaints: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let guardians = std::fs::read_to_string(observer.join("record/guardians.jsonl")).unwrap();
    let guardian_1: serde_json::Value =
        serde_json::from_str(guardians.lines().next().unwrap()).unwrap();
    complaints[0]["disclosure"]["shared"] = guardian_1["transport_key"].clone();
    std::fs::write(&path, complaints.to_string()).unwrap();
    let out = fairtally(
        &observer,
        &[
            "guardian",
            "check-complaint",
            "--record",
            "record",
            "--complaints",
            "g3.complaints.json",
            "--shares",
            "shares-1.json",
            "shares-2.json",
            "shares-3.json",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("is unfounded"), "{stdout}");
    let published = walk
        .ran
        .iter()
        .find(|r| r.role == "authority" && r.script.contains("--complaints"))
        .unwrap();
    assert!(
        published
            .stderr
            .contains("Complaint by guardian 3 against guardian 2: upheld"),
        "{}",
        published.stderr
    );
}

fn bad_share_for_guardian_3(guardian_2: &Path) {
    let path = guardian_2.join("shares-2.json");
    let mut messages: Vec<ShareMessage> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let secret: GuardianSecret =
        serde_json::from_str(&std::fs::read_to_string(guardian_2.join("g2.key.json")).unwrap())
            .unwrap();
    let (manifest, parameters) = read_election(&guardian_2.join("record")).unwrap();
    let context = ceremony_context(&manifest, &parameters).unwrap();
    let to_1 = messages
        .iter()
        .find(|m| m.to == 1)
        .unwrap()
        .encrypted
        .clone();
    for m in messages.iter_mut().filter(|m| m.to == 3) {
        *m = ShareMessage::signed(&context, &secret, 3, to_1.clone());
    }
    std::fs::write(&path, serde_json::to_string(&messages).unwrap()).unwrap();
}

#[test]
fn two_processes_accepting_the_same_ballot_at_once_accept_it_once() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    support::open_election(d, (1, 1), 1);
    std::fs::write(d.join("c.json"), r#"{"president": ["chen"]}"#).unwrap();
    let credential = "voters/voter-00001.json";
    ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            credential,
            "--choices",
            "c.json",
            "--out",
            "p.json",
        ],
    );
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "p.json",
            "--credential",
            credential,
            "--out",
            "b.json",
        ],
    );
    let accept = || {
        Command::new(env!("CARGO_BIN_EXE_fairtally"))
            .current_dir(d)
            .args([
                "authority",
                "accept",
                "--record",
                "record",
                "--board",
                "board",
                "b.json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (accept(), accept());
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let stdout: Vec<String> = outputs
        .iter()
        .map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
        .collect();
    let new = stdout
        .iter()
        .filter(|s| s.contains("Accepted ballot"))
        .count();
    let repeated = stdout
        .iter()
        .filter(|s| s.contains("was already accepted"))
        .count();
    assert_eq!((new, repeated), (1, 1), "{stdout:?}");
    let lines = std::fs::read_to_string(d.join("record/ballots.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    let closed = support::authority(d, "close");
    assert!(closed.contains("of 1 counted ballot "), "{closed}");
}
