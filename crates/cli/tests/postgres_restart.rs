//! `fairtally serve --database postgres://…` while PostgreSQL is restarted under load, once
//! cleanly and once by a crash: clients get `503` and send their ballot again, every
//! acknowledged ballot is on the board afterwards with the board entry it was acknowledged
//! with, and each ballot is once in the record.
//!
//! Runs a PostgreSQL cluster of its own (Debian's postgresql package; see
//! `crates/board/tests/storage.rs`).

mod serve_support;

#[path = "../../board/tests/storage/pg_server.rs"]
#[allow(dead_code)]
mod pg_server;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fairtally_election::ballot::{BallotEntry, Intent};
use serve_support::{OpenElection, ServeProcess, client, post_ballot};

use serve_support::TestResult;

const CLIENTS: usize = 4;

/// Posts every ballot of `queue`, sending again after a `503` or a broken connection, for at
/// most a minute.
fn load(
    url: &str,
    queue: &Mutex<VecDeque<BallotEntry>>,
    acked: &Mutex<BTreeMap<String, u64>>,
    unavailable: &AtomicU32,
) -> Result<(), String> {
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    let http = client();
                    while started.elapsed() < Duration::from_secs(60) {
                        let Some(ballot) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                            return Ok(());
                        };
                        let retry = match post_ballot(&http, url, &ballot) {
                            Ok((201, answer)) => {
                                let code = answer["confirmation_code"].as_str();
                                let index = answer["board_index"].as_u64();
                                let (Some(code), Some(index)) = (code, index) else {
                                    return Err(format!("a 201 without its fields: {answer}"));
                                };
                                let mut acked = acked.lock().map_err(|_| "poisoned")?;
                                if let Some(previous) = acked.insert(code.to_owned(), index)
                                    && previous != index
                                {
                                    return Err(format!("{code} moved from {previous}"));
                                }
                                false
                            }
                            Ok((503, _)) => {
                                unavailable.fetch_add(1, Ordering::Relaxed);
                                true
                            }
                            Ok((status, answer)) => {
                                return Err(format!("refused a valid ballot: {status} {answer}"));
                            }
                            Err(_) => true,
                        };
                        if retry {
                            queue.lock().map_err(|_| "poisoned")?.push_back(ballot);
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                    Err("the load did not finish within a minute".into())
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| "a client panicked")??;
        }
        Ok(())
    })
}

#[test]
fn a_postgres_restart_under_load_loses_no_acknowledged_ballot() -> TestResult {
    let cluster = pg_server::Cluster::start()?;
    let schema = pg_server::TestSchema::in_server(&cluster.url)?;
    let voters = 300;
    let election = OpenElection::new(voters)?;
    let mut ballots = VecDeque::new();
    for voter in 0..voters {
        ballots.push_back(election.ballot(voter, Intent::Cast)?);
    }
    for voter in 0..voters / 6 {
        ballots.push_back(election.ballot(voter, Intent::Cast)?);
    }
    let total = ballots.len();
    let queue = Mutex::new(ballots);
    let acked = Mutex::new(BTreeMap::new());
    let unavailable = AtomicU32::new(0);

    // The board, made in SQLite by the election's set-up, moves into PostgreSQL here.
    let mut server = ServeProcess::start(
        &election.dir,
        &["--database", &schema.url, "--checkpoint-interval", "0.2"],
    )?;
    assert!(election.board().join("database").exists());
    std::thread::scope(|scope| -> TestResult {
        let loading = scope.spawn(|| load(&server.url, &queue, &acked, &unavailable));
        std::thread::sleep(Duration::from_millis(150));
        cluster.restart("fast")?;
        std::thread::sleep(Duration::from_millis(300));
        cluster.restart("immediate")?;
        Ok(loading.join().map_err(|_| "the load panicked")??)
    })?;
    assert!(
        unavailable.load(Ordering::Relaxed) > 0,
        "no client saw 503: the restarts missed the load"
    );
    let acked = acked.into_inner().map_err(|_| "poisoned")?;
    assert_eq!(acked.len(), total, "every ballot acknowledged in the end");
    let http = client();
    for (code, index) in &acked {
        let answer: serde_json::Value = http
            .get(format!("{}/api/v1/ballots/{code}", server.url))
            .send()?
            .json()?;
        assert_eq!(
            answer["board_index"].as_u64(),
            Some(*index),
            "{code}: {answer}"
        );
    }
    assert!(server.terminate()?, "fairtally serve did not exit cleanly");
    let lines = std::fs::read_to_string(election.record().join("ballots.jsonl"))?;
    assert_eq!(
        lines.lines().count(),
        total,
        "each ballot once in the record"
    );
    assert!(election.finish()?, "the finished record does not verify");
    Ok(())
}

#[test]
fn while_postgres_is_down_reads_answer_503_with_retry_after() -> TestResult {
    let cluster = pg_server::Cluster::start()?;
    let schema = pg_server::TestSchema::in_server(&cluster.url)?;
    let election = OpenElection::new(3)?;
    let ballot = election.ballot(0, Intent::Cast)?;
    let server = ServeProcess::start(&election.dir, &["--database", &schema.url])?;
    let http = client();
    let (status, answer) = post_ballot(&http, &server.url, &ballot)?;
    assert_eq!(status, 201, "{answer}");
    let code = answer["confirmation_code"].as_str().ok_or("no code")?;
    let status_url = format!("{}/api/v1/ballots/{code}", server.url);
    assert_eq!(http.get(&status_url).send()?.status().as_u16(), 200);

    cluster.stop()?;
    let response = http.get(&status_url).send()?;
    assert_eq!(response.status().as_u16(), 503, "a ballot's status");
    assert!(
        response.headers().contains_key("retry-after"),
        "503 without Retry-After"
    );
    let answer: serde_json::Value = response.json()?;
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("database is unavailable")),
        "{answer}"
    );
    let (status, _) = post_ballot(&http, &server.url, &election.ballot(1, Intent::Cast)?)?;
    assert_eq!(status, 503, "a ballot while the database is down");

    cluster.start_again()?;
    // The server connects again on its next use.
    let started = Instant::now();
    let status = loop {
        let status = http.get(&status_url).send()?.status().as_u16();
        if status != 503 || started.elapsed() > Duration::from_secs(20) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, 200, "the status once the database is back");
    Ok(())
}
