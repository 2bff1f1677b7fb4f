//! An election defined for ElectionGuard (the Hamilton County manifest of electionguard-python's
//! sample data, with four ballot styles) run on fairtally from the command line: created from
//! the ElectionGuard manifest, voters registered with their styles, ballots cast, tallied,
//! decrypted, published and verified. Then what a cheating device or authority could try
//! with styles: a ballot holding a contest outside its voter's style, a ballot for another
//! style, and a roll entry whose style was changed.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "support/cli.rs"]
mod support;

use std::path::{Path, PathBuf};

use fairtally_election::authority::load_setup;
use fairtally_election::ballot::{BallotEntry, Choices, Selections, encrypt_ballot};
use fairtally_election::credential::Credential;
use fairtally_election::record::canonical_json;
use fairtally_election::tally::ElectionResult;
use support::{authority, cast, fairtally, finish_ceremony, ok, start_ceremony_with};

const JEFFERSON: &str = "jefferson-county-ballot-style";
const HARRISON: &str = "harrison-township-ballot-style";
const RUTLEDGE: &str = "rutledge-elementary-ballot-style";

fn hamilton() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/data/electionguard/python-1.x/1.0.0-preview-1/sample/\
         hamilton-general/election_record/manifest.json",
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn stdout_and_stderr(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Voters v0 and v1 have the Jefferson County style (the supreme court only), v2 Harrison
/// Township's and v3 Rutledge Elementary's (both contests). Returns after voting is open.
fn open_styled_election(dir: &Path) {
    let manifest = hamilton();
    start_ceremony_with(dir, 3, 2, &["--manifest", manifest.to_str().unwrap()]);
    finish_ceremony(dir, 3);
    let mut keys = String::new();
    for (i, style) in [JEFFERSON, JEFFERSON, HARRISON, RUTLEDGE]
        .iter()
        .enumerate()
    {
        let key = ok(dir, &["voter", "keygen", "--out", &format!("v{i}.json")]);
        keys.push_str(&format!("{} {style}\n", key.trim()));
    }
    // The registrar must give every voter a style of the manifest; nothing is written before.
    let out = fairtally(
        dir,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--voters",
            "2",
            "--out-dir",
            "gen",
        ],
    );
    let said = stdout_and_stderr(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("the manifest has ballot styles, but the credentials carry none"),
        "{said}"
    );
    assert!(!dir.join("gen/voter-00001.json").exists());
    write(
        dir,
        "bad-keys.txt",
        &keys.replacen(JEFFERSON, "mars-ballot-style", 1),
    );
    let out = fairtally(
        dir,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--public-keys",
            "bad-keys.txt",
        ],
    );
    let said = stdout_and_stderr(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("credential 1")
            && said.contains("\"mars-ballot-style\", which the manifest does not have"),
        "{said}"
    );
    write(dir, "keys.txt", &keys);
    ok(
        dir,
        &[
            "registrar",
            "issue",
            "--record",
            "record",
            "--public-keys",
            "keys.txt",
        ],
    );
    authority(dir, "open");
}

#[test]
fn an_electionguard_manifest_runs_with_ballot_styles_and_verifies() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let shown = ok(dir, &["manifest", "show", hamilton().to_str().unwrap()]);
    assert!(
        shown.contains(
            "contest justice-supreme-court: Justice of the Supreme Court (choose up to 2)"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "ballot style {JEFFERSON}: justice-supreme-court\n"
        )),
        "{shown}"
    );
    open_styled_election(dir);

    write(
        dir,
        "two.json",
        r#"{"justice-supreme-court": ["john-adams-selection", "benjamin-franklin-selection"]}"#,
    );
    write(
        dir,
        "one.json",
        r#"{"justice-supreme-court": ["john-adams-selection"]}"#,
    );
    write(
        dir,
        "both.json",
        r#"{"justice-supreme-court": ["john-hancock-selection"], "referendum-pineapple": ["referendum-pineapple-affirmative-selection"]}"#,
    );
    write(
        dir,
        "no.json",
        r#"{"referendum-pineapple": ["referendum-pineapple-negative-selection"]}"#,
    );

    // A Jefferson County voter cannot vote on Harrison Township's referendum.
    let refused = fairtally(
        dir,
        &[
            "voter",
            "encrypt",
            "--record",
            "record",
            "--credential",
            "v1.json",
            "--choices",
            "both.json",
            "--out",
            "x",
        ],
    );
    assert!(!refused.status.success());
    let said = stdout_and_stderr(&refused);
    assert!(
        said.contains("contest \"referendum-pineapple\" is not on this voter's ballot style"),
        "{said}"
    );

    cast(dir, "v0.json", "two.json");
    cast(dir, "v1.json", "one.json");
    cast(dir, "v2.json", "both.json");
    cast(dir, "v3.json", "no.json");
    authority(dir, "close");
    let mut shares = Vec::new();
    for i in [1, 3] {
        let out = format!("g{i}.decryption.json");
        ok(
            dir,
            &[
                "guardian",
                "decrypt",
                "--record",
                "record",
                "--key-share",
                &format!("g{i}.key-share.json"),
                "--out",
                &out,
            ],
        );
        shares.push(out);
    }
    let mut add = vec![
        "authority",
        "add-share",
        "--record",
        "record",
        "--board",
        "board",
    ];
    add.extend(shares.iter().map(String::as_str));
    ok(dir, &add);
    authority(dir, "publish");
    authority(dir, "post");

    let verified = ok(dir, &["verify", "--record", "record"]);
    assert!(verified.contains("VERIFIED"), "{verified}");
    assert!(
        verified.contains("Justice of the Supreme Court — on 4 counted ballots"),
        "{verified}"
    );
    assert!(
        verified.contains("Pineapple") || verified.contains("referendum"),
        "{verified}"
    );
    assert!(verified.contains("— on 2 counted ballots"), "{verified}");

    let result: ElectionResult =
        serde_json::from_str(&std::fs::read_to_string(dir.join("record/result.json")).unwrap())
            .unwrap();
    let held: Vec<Option<u64>> = result.contests.iter().map(|c| c.ballots).collect();
    assert_eq!(held, vec![Some(4), Some(2)]);
    assert_eq!(
        result.votes("justice-supreme-court", "john-adams-selection"),
        Some(2)
    );
    assert_eq!(
        result.votes("justice-supreme-court", "benjamin-franklin-selection"),
        Some(1)
    );
    assert_eq!(
        result.votes("justice-supreme-court", "john-hancock-selection"),
        Some(1)
    );
    assert_eq!(
        result.votes(
            "referendum-pineapple",
            "referendum-pineapple-affirmative-selection"
        ),
        Some(1)
    );
    assert_eq!(
        result.votes(
            "referendum-pineapple",
            "referendum-pineapple-negative-selection"
        ),
        Some(1)
    );

    // A roll entry whose style is changed (v0 given both contests) breaks the context.
    let copy = dir.join("restyled");
    copy_dir(&dir.join("record"), &copy);
    let roll = copy.join("credentials.jsonl");
    let text = std::fs::read_to_string(&roll).unwrap();
    let changed = text.replacen(JEFFERSON, HARRISON, 1);
    assert_ne!(changed, text);
    std::fs::write(&roll, changed).unwrap();
    let out = fairtally(dir, &["verify", "--record", "restyled"]);
    assert_eq!(out.status.code(), Some(1));
    let said = stdout_and_stderr(&out);
    assert!(said.contains("credentials_hash differs"), "{said}");
}

#[test]
fn ballots_outside_their_voters_style_are_refused_and_fail_verification() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    open_styled_election(dir);
    let setup = load_setup(&dir.join("record")).unwrap();
    let ctx = setup.voting_context();
    let jefferson: Credential =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v0.json")).unwrap()).unwrap();
    let choices: Choices = serde_json::from_str(
        r#"{"justice-supreme-court": ["john-adams-selection"], "referendum-pineapple": ["referendum-pineapple-affirmative-selection"]}"#,
    )
    .unwrap();
    let both = Selections::for_style(&setup.manifest, Some(HARRISON), &choices).unwrap();

    // A device that adds the referendum to a Jefferson County ballot, naming the voter's style.
    let mut extra = encrypt_ballot(&ctx, &jefferson, &both).unwrap();
    extra.ballot.style = Some(JEFFERSON.to_string());
    let extra = extra.cast(&jefferson).unwrap();
    // A device that gives the voter another style's ballot, naming that style.
    let other = encrypt_ballot(&ctx, &jefferson, &both)
        .unwrap()
        .cast(&jefferson)
        .unwrap();

    for (entry, file, reason) in [
        (
            &extra,
            "extra.json",
            "it holds contest \"referendum-pineapple\", which is not on ballot style \"jefferson-county-ballot-style\"",
        ),
        (
            &other,
            "other.json",
            "the ballot is for ballot style \"harrison-township-ballot-style\", but its credential is registered for ballot style \"jefferson-county-ballot-style\"",
        ),
    ] {
        std::fs::write(dir.join(file), serde_json::to_string(entry).unwrap()).unwrap();
        let out = fairtally(
            dir,
            &[
                "authority",
                "accept",
                "--record",
                "record",
                "--board",
                "board",
                file,
            ],
        );
        let said = stdout_and_stderr(&out);
        assert!(!out.status.success(), "{said}");
        assert!(said.contains(reason), "{said}");

        // An authority that puts it into the record anyway: the verifier names the reason.
        let copy = dir.join(format!("forged-{file}"));
        copy_dir(&dir.join("record"), &copy);
        append_line(&copy.join("ballots.jsonl"), entry);
        let out = fairtally(dir, &["verify", "--record", copy.to_str().unwrap()]);
        let said = stdout_and_stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains(reason), "{said}");
    }
}

fn append_line(path: &Path, entry: &BallotEntry) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str(std::str::from_utf8(&canonical_json(entry).unwrap()).unwrap());
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}
