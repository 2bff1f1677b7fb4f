//! The multi-machine walk-through of docs/WALKTHROUGH.md, run end to end with the built binary:
//! authority, guardians, registrar, voters and a verifier, each step reading and writing files.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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

    // Registrar: three voters.
    ok(
        d,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            "3",
            "--out-dir",
            "voters",
        ],
    );
    ok(d, &["authority", "open", "--record", "record"]);

    // Voters.
    std::fs::write(
        d.join("chen.json"),
        r#"{"president": ["chen"], "referendum-priorities": ["parks", "schools"]}"#,
    )
    .unwrap();
    std::fs::write(d.join("adams.json"), r#"{"president": ["adams"]}"#).unwrap();
    let voter = |n: u32| format!("voters/voter-0000{n}.json");
    // Voter 1 challenges a ballot first, then votes for real.
    ok(
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
    );
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
            "adams.json",
            "--out",
            "v3a.prepared.json",
        ],
    );
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
            "v1a.ballot.json",
            "v1.ballot.json",
            "v2.ballot.json",
            "v3a.ballot.json",
            "v3.ballot.json",
        ],
    );
    let found = ok(
        d,
        &["voter", "lookup", "--record", "record", "--code", &code1],
    );
    assert!(found.contains("is in the record"), "{found}");

    // Close, decrypt with guardians 1 and 3 (guardian 2 is absent), publish.
    ok(d, &["authority", "close", "--record", "record"]);
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
            "g1.decryption.json",
            "g3.decryption.json",
        ],
    );
    let published = ok(d, &["authority", "publish", "--record", "record"]);
    assert!(published.contains("3 counted ballots"), "{published}");

    // Anyone verifies.
    let verified = ok(d, &["verify", "record"]);
    assert!(
        verified.contains("VERIFIED: all 16 checks passed."),
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
