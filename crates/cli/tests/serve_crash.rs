//! `fairtally serve` killed with SIGKILL again and again under load: every ballot it
//! acknowledged is on the board after each restart, with the board entry it was acknowledged
//! with, and the election, finished afterwards, verifies.

mod serve_support;

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, VecDeque};
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fairtally_election::ballot::{BallotEntry, Intent};
use serve_support::{OpenElection, ServeProcess, TestResult, client, post_ballot};

/// Rounds of load that end in a SIGKILL.
const KILLS: usize = 5;
/// Clients posting at once.
const CLIENTS: usize = 4;

fn random_below(n: u64) -> u64 {
    RandomState::new().build_hasher().finish() % n.max(1)
}

/// Posts ballots from `queue` with `CLIENTS` threads until it is empty or the server stops
/// answering; a ballot without an answer goes back to the queue.
fn load(url: &str, queue: &Mutex<VecDeque<BallotEntry>>, acked: &Mutex<BTreeMap<String, u64>>) {
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            scope.spawn(|| {
                let http = client();
                loop {
                    let Some(ballot) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                        return;
                    };
                    match post_ballot(&http, url, &ballot) {
                        Ok((201, answer)) => {
                            if let (Some(code), Some(index), Ok(mut acked)) = (
                                answer["confirmation_code"].as_str(),
                                answer["board_index"].as_u64(),
                                acked.lock(),
                            ) {
                                let previous = acked.insert(code.to_owned(), index);
                                assert!(previous.is_none_or(|p| p == index), "{code} moved");
                            }
                        }
                        Ok((status, answer)) => {
                            assert!(status >= 500, "refused a valid ballot: {status} {answer}");
                            if let Ok(mut q) = queue.lock() {
                                q.push_back(ballot);
                            }
                            return;
                        }
                        // Killed mid-request: maybe on the board, maybe not; resending is safe.
                        Err(_) => {
                            if let Ok(mut q) = queue.lock() {
                                q.push_back(ballot);
                            }
                            return;
                        }
                    }
                }
            });
        }
    });
}

/// Every acknowledged ballot is in the box with the board entry it was acknowledged with.
fn check_acknowledged(url: &str, acked: &BTreeMap<String, u64>) -> TestResult {
    let http = client();
    for (code, index) in acked {
        let answer: serde_json::Value = http
            .get(format!("{url}/api/v1/ballots/{code}"))
            .send()?
            .json()?;
        assert_eq!(
            answer["board_index"].as_u64(),
            Some(*index),
            "{code}: {answer}"
        );
    }
    Ok(())
}

#[test]
fn every_acknowledged_ballot_survives_kill_9_and_the_finished_record_verifies() -> TestResult {
    let voters = 240;
    let election = OpenElection::new(voters)?;
    let mut ballots = Vec::new();
    for voter in 0..voters {
        ballots.push(election.ballot(voter, Intent::Cast)?);
    }
    for voter in 0..voters / 8 {
        ballots.push(election.ballot(voter, Intent::Challenge)?);
        ballots.push(election.ballot(voter * 2, Intent::Cast)?);
    }
    let total = ballots.len();
    let queue = Mutex::new(VecDeque::from(ballots));
    let acked = Mutex::new(BTreeMap::new());

    let mut killed_under_load = 0;
    for _ in 0..KILLS {
        let mut server = ServeProcess::start(&election.dir, &["--checkpoint-interval", "0.2"])?;
        check_acknowledged(&server.url, &acked.lock().map_err(|_| "poisoned")?.clone())?;
        let url = server.url.clone();
        // Killed after a random number of new acknowledgements, not after a random time: a
        // fast machine acknowledged every ballot before a timed kill (each round takes at
        // most a sixth of the ballots and those in flight, so the last run has some to take).
        let acked_before = acked.lock().map_err(|_| "poisoned")?.len();
        let target = acked_before + 1 + random_below((total / (KILLS + 1)) as u64) as usize;
        std::thread::scope(|scope| {
            let loading = scope.spawn(|| load(&url, &queue, &acked));
            let started = Instant::now();
            while acked.lock().map_or(0, |a| a.len()) < target
                && !loading.is_finished()
                && started.elapsed() < Duration::from_secs(60)
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            if !loading.is_finished() {
                killed_under_load += 1;
            }
            server.kill();
        });
    }
    assert!(
        killed_under_load > 0,
        "no kill happened under load; raise the ballot count"
    );

    // The last run takes the rest, then stops cleanly.
    let mut server = ServeProcess::start(&election.dir, &["--checkpoint-interval", "0.2"])?;
    let acked_now = acked.lock().map_err(|_| "poisoned")?.clone();
    check_acknowledged(&server.url, &acked_now)?;
    for _ in 0..5 {
        load(&server.url, &queue, &acked);
        if queue.lock().map_err(|_| "poisoned")?.is_empty() {
            break;
        }
    }
    let acked = acked.into_inner().map_err(|_| "poisoned")?;
    assert_eq!(acked.len(), total, "every ballot acknowledged in the end");
    check_acknowledged(&server.url, &acked)?;
    assert!(
        server.terminate()?,
        "fairtally serve did not exit cleanly on SIGTERM"
    );

    let lines = std::fs::read_to_string(election.record().join("ballots.jsonl"))?;
    assert_eq!(
        lines.lines().count(),
        total,
        "each ballot once in the record"
    );
    assert!(election.finish()?, "the finished record does not verify");
    Ok(())
}
