//! A measurement, not a check (ignored by default; the load helper's `fairtally load` makes the
//! official figures): the same ballots checked offline with the verifier's `check_ballot` on
//! every core, then submitted to `fairtally serve` by concurrent clients, then at half that
//! rate for latency. Prints ballots per second and latency percentiles.
//!
//! `cargo test -p fairtally --release --test serve_load -- --ignored --nocapture`
//! (`SERVE_LOAD_BALLOTS`, default 1500, `SERVE_LOAD_CLIENTS`, default 32, and
//! `SERVE_LOAD_CHECKPOINT_INTERVAL` in seconds, default 1).

mod serve_support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use fairtally_election::ballot::{BallotEntry, Intent};
use fairtally_election::verifier::check_ballot;
use serve_support::{OpenElection, ServeProcess, TestResult, client, post_ballot};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// Posts `ballots` with `clients` threads; when `interval` is set, each client sends one
/// ballot per interval (an open-loop pace). Returns the elapsed time and each latency.
fn submit(
    url: &str,
    ballots: &[BallotEntry],
    clients: usize,
    interval: Option<Duration>,
) -> (Duration, Vec<Duration>) {
    let next = Mutex::new(0usize);
    let latencies = Mutex::new(Vec::with_capacity(ballots.len()));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let http = client();
                let mut due = Instant::now();
                loop {
                    let i = {
                        let Ok(mut n) = next.lock() else { return };
                        *n += 1;
                        *n - 1
                    };
                    let Some(ballot) = ballots.get(i) else { return };
                    if let Some(interval) = interval {
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                        due += interval;
                    }
                    let sent = Instant::now();
                    let answer = post_ballot(&http, url, ballot);
                    assert!(matches!(answer, Ok((201, _))), "{answer:?}");
                    if let Ok(mut l) = latencies.lock() {
                        l.push(sent.elapsed());
                    }
                }
            });
        }
    });
    let mut latencies = latencies.into_inner().unwrap_or_default();
    latencies.sort();
    (started.elapsed(), latencies)
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn measure_ballots_per_second_and_latency() -> TestResult {
    let count = setting("SERVE_LOAD_BALLOTS", 1500);
    let clients = setting("SERVE_LOAD_CLIENTS", 32);
    let election = OpenElection::new(count)?;
    let ballots: Vec<BallotEntry> = (0..count)
        .map(|v| election.ballot(v, Intent::Cast))
        .collect::<Result<_, _>>()?;
    let setup = fairtally_election::authority::load_setup(&election.record())?;
    let context = setup.voting_context();

    // Offline: the verifier's per-ballot check on every core.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for chunk in ballots.chunks(count.div_ceil(cores)) {
            let (context, credentials) = (&context, &setup.credentials);
            scope.spawn(move || {
                for ballot in chunk {
                    assert!(
                        matches!(check_ballot(context, credentials, ballot), Ok(f) if f.is_empty())
                    );
                }
            });
        }
    });
    let offline = count as f64 / started.elapsed().as_secs_f64();
    println!("offline check_ballot: {count} ballots, {offline:.0} ballots/s on {cores} cores");

    let half = count / 2;
    let interval = std::env::var("SERVE_LOAD_CHECKPOINT_INTERVAL").unwrap_or_else(|_| "1".into());
    let server = ServeProcess::start(&election.dir, &["--checkpoint-interval", &interval])?;
    let (elapsed, latencies) = submit(&server.url, &ballots[..half], clients, None);
    let online = half as f64 / elapsed.as_secs_f64();
    println!(
        "server, {clients} clients flat out: {half} ballots, {online:.0} ballots/s ({:.0} % of offline); p50 {:?} p99 {:?}",
        100.0 * online / offline,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    let rate = online / 2.0;
    let paced_clients = 8;
    let interval = Duration::from_secs_f64(paced_clients as f64 / rate);
    let (elapsed, latencies) = submit(&server.url, &ballots[half..], paced_clients, Some(interval));
    println!(
        "server at half that rate ({rate:.0}/s target, {:.0}/s achieved): p50 {:?} p90 {:?} p99 {:?}",
        (count - half) as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99)
    );
    Ok(())
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn measure_board_entries_per_second_in_batches() -> TestResult {
    use base64::Engine as _;
    use fairtally_observe::keys::generate_key;
    use fairtally_observe::signed::{Accreditation, ObservationItem};
    let batches = setting("SERVE_LOAD_BATCHES", 20);
    let per_batch = setting("SERVE_LOAD_BATCH", 1000);
    let election = OpenElection::new(1)?;
    let organisation = generate_key()?;
    let observer = generate_key()?.verifying_key();
    let mut bodies = Vec::new();
    for b in 0..batches {
        let entries: Vec<String> = (0..per_batch)
            .map(|i| {
                let item = ObservationItem::Accreditation(Accreditation::sign(
                    &organisation,
                    "E",
                    &observer,
                    &format!("observer {b}-{i}"),
                ));
                fairtally_observe::bulletin::board_entry(&item)
                    .map(|e| base64::engine::general_purpose::STANDARD.encode(e.to_leaf_data()))
            })
            .collect::<Result<_, _>>()?;
        bodies.push(serde_json::to_vec(&serde_json::json!({
            "format": fairtally_board::outbox::SUBMISSIONS_FORMAT,
            "entries": entries,
        }))?);
    }
    let server = ServeProcess::start(&election.dir, &["--max-body", "4000000"])?;
    let http = client();
    let started = Instant::now();
    for body in bodies {
        let response = http
            .post(format!("{}/api/v1/observations", server.url))
            .header("content-type", "application/json")
            .body(body)
            .send()?;
        assert_eq!(response.status().as_u16(), 201);
    }
    let elapsed = started.elapsed();
    println!(
        "board entries over HTTP: {} signed accreditations in batches of {per_batch}, {:.0} entries/s",
        batches * per_batch,
        (batches * per_batch) as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
