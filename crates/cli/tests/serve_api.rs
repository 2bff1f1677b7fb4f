//! `fairtally serve`: the ballot API end to end against the real binary.

mod serve_support;

use std::time::Duration;

use fairtally_election::ballot::Intent;
use serve_support::{OpenElection, ServeProcess, TestResult, client, post_ballot};

#[test]
fn a_ballot_is_acknowledged_once_tracked_with_a_proof_and_resent_idempotently() -> TestResult {
    let election = OpenElection::new(3)?;
    let server = ServeProcess::start(&election.dir, &["--checkpoint-interval", "0.1"])?;
    let http = client();
    let ballot = election.ballot(0, Intent::Cast)?;
    let (status, first) = post_ballot(&http, &server.url, &ballot)?;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["confirmation_code"], ballot.ballot.code().to_string());
    let (status, again) = post_ballot(&http, &server.url, &ballot)?;
    assert_eq!((status, &again), (201, &first));

    let code = ballot.ballot.code().to_string();
    let mut tracked = serde_json::Value::Null;
    for _ in 0..100 {
        tracked = http
            .get(format!("{}/api/v1/ballots/{code}", server.url))
            .send()?
            .json()?;
        if !tracked["proof"].is_null() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(tracked["status"], "cast", "{tracked}");
    assert_eq!(tracked["board_index"], first["board_index"]);
    assert!(
        tracked["proof"]["checkpoint"].as_str().is_some(),
        "{tracked}"
    );
    Ok(())
}
