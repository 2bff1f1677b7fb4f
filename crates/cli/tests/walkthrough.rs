//! The multi-machine walk-through of docs/WALKTHROUGH.md, run end to end with the built binary:
//! authority, guardians, registrar, voters and a verifier, each step reading and writing files.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Not every helper of the shared support module is needed here.
#[allow(dead_code)]
#[path = "support/cli.rs"]
mod support;

use fairtally_election::authority::read_election;
use fairtally_election::ceremony::ShareMessage;
use fairtally_election::guardian::GuardianSecret;
use fairtally_election::parameters::ceremony_context;
use support::{fairtally, finish_ceremony, ok, start_ceremony};

fn code_of(encrypt_output: &str) -> String {
    encrypt_output
        .lines()
        .find_map(|l| l.strip_prefix("Confirmation code: "))
        .expect("a confirmation code")
        .trim()
        .to_string()
}

#[test]
fn an_election_runs_end_to_end_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();

    // Authority: create the election (3 guardians, any 2 decrypt) on the embedded manifest.
    // Guardians, each on their own machine with a copy of the record: keys, commitments and
    // proofs; the authority publishes them; each guardian sends and receives its shares.
    start_ceremony(d, 3, 2);
    finish_ceremony(d, 3);

    // Voter 3 makes their own credential; the registrar generates the other two and registers
    // voter 3's public key.
    let keygen = ok(d, &["voter", "keygen", "--out", "own-credential.json"]);
    let public_key = keygen.lines().last().unwrap().trim().to_string();
    assert_eq!(public_key.len(), 64, "{keygen}");
    std::fs::write(
        d.join("keys.txt"),
        format!("# voters' own keys\n{public_key}\n"),
    )
    .unwrap();
    let issued = ok(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            "2",
            "--out-dir",
            "voters",
            "--public-keys",
            "keys.txt",
        ],
    );
    assert!(issued.contains("Published 3 credentials"), "{issued}");
    assert!(issued.contains("destroy"), "{issued}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| std::fs::metadata(d.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("voters/voter-00001.json"), 0o600);
        assert_eq!(mode("own-credential.json"), 0o600);
    }
    assert_eq!(std::fs::read_dir(d.join("voters")).unwrap().count(), 2);
    ok(
        d,
        &[
            "authority",
            "open",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );

    // Voters.
    std::fs::write(
        d.join("chen.json"),
        r#"{"president": ["chen"], "referendum-priorities": ["parks", "schools"]}"#,
    )
    .unwrap();
    std::fs::write(d.join("adams.json"), r#"{"president": ["adams"]}"#).unwrap();
    let voter = |n: u32| match n {
        3 => "own-credential.json".to_string(),
        n => format!("voters/voter-0000{n}.json"),
    };
    // Voter 1 challenges a ballot first, then votes for real.
    let code_v1a = code_of(&ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            &voter(1),
            "--choices",
            "adams.json",
            "--out",
            "v1a.prepared.json",
        ],
    ));
    let opened = ok(
        d,
        &[
            "voter",
            "challenge",
            "--record",
            "record",
            "--prepared",
            "v1a.prepared.json",
            "--credential",
            &voter(1),
            "--out",
            "v1a.ballot.json",
        ],
    );
    assert!(opened.contains("president: adams"), "{opened}");
    let code1 = code_of(&ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            &voter(1),
            "--choices",
            "chen.json",
            "--out",
            "v1.prepared.json",
        ],
    ));
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "v1.prepared.json",
            "--credential",
            &voter(1),
            "--out",
            "v1.ballot.json",
        ],
    );
    // Voter 2 votes Chen; voter 3 votes Adams, then changes their mind (re-vote) to Chen.
    ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            &voter(2),
            "--choices",
            "chen.json",
            "--out",
            "v2.prepared.json",
        ],
    );
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "v2.prepared.json",
            "--credential",
            &voter(2),
            "--out",
            "v2.ballot.json",
        ],
    );
    let code_v3a = code_of(&ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            &voter(3),
            "--choices",
            "adams.json",
            "--out",
            "v3a.prepared.json",
        ],
    ));
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "v3a.prepared.json",
            "--credential",
            &voter(3),
            "--out",
            "v3a.ballot.json",
        ],
    );
    ok(
        d,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            &voter(3),
            "--choices",
            "chen.json",
            "--out",
            "v3.prepared.json",
        ],
    );
    ok(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "v3.prepared.json",
            "--credential",
            &voter(3),
            "--out",
            "v3.ballot.json",
        ],
    );
    ok(
        d,
        &[
            "authority",
            "accept",
            "--record",
            "record",
            "--board",
            "board",
            "v1a.ballot.json",
            "v1.ballot.json",
            "v2.ballot.json",
            "v3a.ballot.json",
            "v3.ballot.json",
        ],
    );
    // Accepting the same ballot again changes nothing.
    let again = ok(
        d,
        &[
            "authority",
            "accept",
            "--record",
            "record",
            "--board",
            "board",
            "v2.ballot.json",
        ],
    );
    assert!(again.contains("was already accepted"), "{again}");
    assert_eq!(
        std::fs::read_to_string(d.join("record/ballots.jsonl"))
            .unwrap()
            .lines()
            .count(),
        5
    );

    // Voters look up their codes, typed loosely: status cast, superseded or challenged.
    let lookup = |code: &str| {
        ok(
            d,
            &["voter", "lookup", "--record", "record", "--code", code],
        )
    };
    let found = lookup(&code1.to_lowercase().replace('-', ""));
    assert!(found.contains("cast, and it counts"), "{found}");
    let found = lookup(&code_v3a);
    assert!(found.contains("superseded"), "{found}");
    let found = lookup(&code_v1a);
    assert!(found.contains("challenged"), "{found}");
    let mut typo: Vec<char> = code1.chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let out = fairtally(
        d,
        &["voter", "lookup", "--record", "record", "--code", &typo],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("check character"));

    // Casting wiped the nonces: the cast ballot cannot be challenged, and the challenged one
    // cannot be cast.
    let device = std::fs::read_to_string(d.join("v1.prepared.json")).unwrap();
    assert!(
        !device.contains("nonce") && device.contains("\"cast\""),
        "{device}"
    );
    let out = fairtally(
        d,
        &[
            "voter",
            "challenge",
            "--record",
            "record",
            "--prepared",
            "v1.prepared.json",
            "--credential",
            &voter(1),
            "--out",
            "v1-challenge.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be challenged"));
    let out = fairtally(
        d,
        &[
            "voter",
            "cast",
            "--prepared",
            "v1a.prepared.json",
            "--credential",
            &voter(1),
            "--out",
            "v1a-cast.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can never be cast"));
    assert!(!d.join("v1a-cast.json").exists());

    // Close, decrypt with guardians 1 and 3 (guardian 2 is absent), publish.
    ok(
        d,
        &[
            "authority",
            "close",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );
    for i in [1, 3] {
        ok(
            d,
            &[
                "guardian",
                "decrypt",
                "--record",
                "record",
                "--key-share",
                &format!("g{i}.key-share.json"),
                "--out",
                &format!("g{i}.decryption.json"),
            ],
        );
    }
    ok(
        d,
        &[
            "authority",
            "add-share",
            "--record",
            "record",
            "--board",
            "board",
            "g1.decryption.json",
            "g3.decryption.json",
        ],
    );
    let published = ok(
        d,
        &[
            "authority",
            "publish",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );
    assert!(published.contains("3 counted ballots"), "{published}");

    // The authority copies the board's public files into the record; anyone verifies.
    let posted = ok(
        d,
        &[
            "authority",
            "post",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );
    assert!(
        posted.contains("(0 new)"),
        "every item was posted as it was published: {posted}"
    );
    let verified = ok(d, &["verify", "record"]);
    for check in [
        "board contents",
        "ballot order",
        "ceremony shares",
        "ceremony complaints",
    ] {
        assert!(verified.contains(&format!("ok     {check}")), "{verified}");
    }
    assert!(
        verified.contains("VERIFIED") && verified.contains("all 24 checks passed"),
        "{verified}"
    );
    assert!(
        verified
            .contains("5 in the record: 4 cast (1 replaced by a re-vote), 1 challenged; 3 counted"),
        "{verified}"
    );
    let chen = verified
        .lines()
        .find(|l| l.contains("Chen Li"))
        .unwrap_or_default()
        .to_string();
    assert!(chen.split_whitespace().any(|w| w == "3"), "{chen}");
}

#[test]
fn a_bad_share_gives_a_complaint_anyone_can_check() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    start_ceremony(d, 3, 2);
    // Guardian 2 publishes, as its share for guardian 3, the ciphertext it made for guardian 1
    // (signed, as a cheating guardian would: an unsigned message is refused, not complained of).
    let path = d.join("shares-2.json");
    let mut messages: Vec<ShareMessage> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let secret: GuardianSecret =
        serde_json::from_str(&std::fs::read_to_string(d.join("g2.secret.json")).unwrap()).unwrap();
    let (manifest, parameters) = read_election(&d.join("record")).unwrap();
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

    let out = fairtally(
        d,
        &[
            "guardian",
            "receive-shares",
            "--record",
            "record",
            "--secret",
            "g3.secret.json",
            "--shares",
            "shares-1.json",
            "shares-2.json",
            "shares-3.json",
            "--key-share",
            "g3.key-share.json",
            "--complaints",
            "g3.complaints.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad share(s) from guardian(s) 2"));
    assert!(!d.join("g3.key-share.json").exists());

    let verdict = ok(
        d,
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
    assert!(
        verdict.contains("upheld: guardian 2 is at fault"),
        "{verdict}"
    );

    // The authority publishes the ceremony with the complaint: it says the ceremony did not
    // finish (exit 1), and the record says so too.
    let out = fairtally(
        d,
        &[
            "authority",
            "add-ceremony",
            "--record",
            "record",
            "--shares",
            "shares-1.json",
            "shares-2.json",
            "shares-3.json",
            "--complaints",
            "g3.complaints.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Complaint by guardian 3 against guardian 2: upheld"),
        "{stderr}"
    );
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
        std::process::Command::new(env!("CARGO_BIN_EXE_fairtally"))
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
    let closed = ok(
        d,
        &[
            "authority",
            "close",
            "--record",
            "record",
            "--board",
            "board",
        ],
    );
    assert!(closed.contains("of 1 counted ballot "), "{closed}");
}
