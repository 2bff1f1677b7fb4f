//! `fairtally serve` against its OpenAPI description (docs/openapi.json), with the real binary:
//! every documented path answers, every status the test can provoke is documented and its body
//! parses as documented; malformed, oversized and slow requests; concurrent duplicates.

mod serve_support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fairtally_election::ballot::Intent;
use fairtally_observe::keys::generate_key;
use fairtally_observe::signed::{Accreditation, ObservationItem};
use reqwest::blocking::{Client, RequestBuilder};
use serve_support::{
    OpenApi, OpenElection, ServeProcess, TestResult, client, photo_protocol, post_ballot,
};

/// Sends requests and checks each answer against the description, remembering what was
/// exercised.
struct Checker {
    api: OpenApi,
    http: Client,
    url: String,
    seen: BTreeSet<(String, String, u16)>,
}

impl Checker {
    fn new(url: &str) -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Checker {
            api: OpenApi::load()?,
            http: client(),
            url: url.to_owned(),
            seen: BTreeSet::new(),
        })
    }

    /// Sends `request` (to `template`, e.g. `/api/v1/ballots/{code}`), checks it answers
    /// `expected` as documented, returns the body.
    fn expect(
        &mut self,
        template: &str,
        method: &str,
        request: RequestBuilder,
        expected: u16,
    ) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let response = request.send()?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes()?.to_vec();
        assert_eq!(
            status,
            expected,
            "{method} {template}: {}",
            String::from_utf8_lossy(&body)
        );
        let problems = self.api.check(template, method, status, &headers, &body);
        assert!(problems.is_empty(), "{problems:#?}");
        self.seen
            .insert((template.to_owned(), method.to_owned(), status));
        Ok(body)
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(format!("{}{path}", self.url))
    }

    fn post(&self, path: &str, body: Vec<u8>) -> RequestBuilder {
        self.post_as(path, body, "application/json")
    }

    fn post_as(&self, path: &str, body: Vec<u8>, content_type: &str) -> RequestBuilder {
        self.http
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body)
    }
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_default()
}

#[test]
fn the_running_server_answers_as_its_openapi_description_says() -> TestResult {
    let election = OpenElection::new(4)?;
    // A web directory that is not built, whether or not this checkout's web/dist is.
    let unbuilt = election.dir.join("web-not-built");
    std::fs::create_dir_all(&unbuilt)?;
    let unbuilt = unbuilt.to_string_lossy().into_owned();
    let mut server = ServeProcess::start(
        &election.dir,
        &[
            "--checkpoint-interval",
            "0.1",
            "--max-body",
            "200000",
            "--rate",
            "1000",
            "--web",
            &unbuilt,
            // Its observers accredit themselves (no --trust): take their photos.
            "--open-photo-uploads",
        ],
    )?;
    let mut api = Checker::new(&server.url)?;

    // Ballots: accepted, the same again, unreadable, invalid, oversized.
    let ballot = election.ballot(0, Intent::Cast)?;
    let receipt = json(&api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", serde_json::to_vec(&ballot)?),
        201,
    )?);
    let again = json(&api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", serde_json::to_vec(&ballot)?),
        201,
    )?);
    assert_eq!(receipt, again);
    assert_eq!(
        receipt["confirmation_code"],
        ballot.ballot.code().to_string()
    );
    api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", b"{\"ballot\":".to_vec()),
        400,
    )?;
    let mut forged = election.ballot(1, Intent::Cast)?;
    forged.signature = election.ballot(2, Intent::Cast)?.signature;
    let refused = json(&api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", serde_json::to_vec(&forged)?),
        422,
    )?);
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("signature")),
        "{refused}"
    );
    api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", vec![b' '; 300_000]),
        413,
    )?;

    // Tracking: found with a proof once a checkpoint covers it, unknown, unreadable.
    let code = ballot.ballot.code().to_string();
    let mut tracked = serde_json::Value::Null;
    for _ in 0..100 {
        tracked = json(&api.expect(
            "/api/v1/ballots/{code}",
            "get",
            api.get(&format!("/api/v1/ballots/{code}")),
            200,
        )?);
        if !tracked["proof"].is_null() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(tracked["status"], "cast");
    assert_eq!(tracked["board_index"], receipt["board_index"]);
    let entry = BASE64.decode(tracked["entry"].as_str().unwrap_or_default())?;
    let kind = b"election/ballot";
    assert_eq!(entry[0] as usize, kind.len());
    assert_eq!(&entry[1..=kind.len()], kind);
    let body: fairtally_election::ballot::BallotEntry =
        serde_json::from_slice(&entry[1 + kind.len()..])?;
    assert_eq!(body, ballot);
    let unknown = election.ballot(3, Intent::Cast)?.ballot.code();
    api.expect(
        "/api/v1/ballots/{code}",
        "get",
        api.get(&format!("/api/v1/ballots/{unknown}")),
        404,
    )?;
    api.expect(
        "/api/v1/ballots/{code}",
        "get",
        api.get("/api/v1/ballots/not-a-code"),
        400,
    )?;

    // Observations: accepted, the same again, not canonical, a broken signature.
    let (organisation, observer) = (generate_key()?, generate_key()?);
    let item = ObservationItem::Accreditation(Accreditation::sign(
        &organisation,
        "E",
        &observer.verifying_key(),
        "Ann",
    ));
    let posted = json(&api.expect(
        "/api/v1/observations",
        "post",
        api.post("/api/v1/observations", item.canonical_bytes()),
        201,
    )?);
    let reposted = json(&api.expect(
        "/api/v1/observations",
        "post",
        api.post("/api/v1/observations", item.canonical_bytes()),
        201,
    )?);
    assert_eq!(posted, reposted);
    // The same item as an outbox holds it (leaf data), and in a submissions file.
    let entry = fairtally_observe::bulletin::board_entry(&item)?;
    let as_entry = json(&api.expect(
        "/api/v1/observations",
        "post",
        api.post_as(
            "/api/v1/observations",
            entry.to_leaf_data(),
            "application/octet-stream",
        ),
        201,
    )?);
    assert_eq!(as_entry, posted);
    let other = ObservationItem::Accreditation(Accreditation::sign(
        &organisation,
        "E",
        &generate_key()?.verifying_key(),
        "Cy",
    ));
    let encoded = [&item, &other]
        .iter()
        .map(|i| {
            fairtally_observe::bulletin::board_entry(i).map(|e| BASE64.encode(e.to_leaf_data()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let file = serde_json::json!({
        "format": fairtally_board::outbox::SUBMISSIONS_FORMAT,
        "entries": encoded,
    });
    let batch = json(&api.expect(
        "/api/v1/observations",
        "post",
        api.post("/api/v1/observations", serde_json::to_vec(&file)?),
        201,
    )?);
    assert_eq!(batch["board_indexes"][0], posted["board_index"]);
    assert!(batch["board_indexes"][1].as_u64() > posted["board_index"].as_u64());
    api.expect(
        "/api/v1/observations",
        "post",
        api.post("/api/v1/observations", b"{\"type\":\"nonsense\"}".to_vec()),
        400,
    )?;
    let ObservationItem::Accreditation(mut bad) = item.clone() else {
        return Err("not an accreditation".into());
    };
    bad.body.observer_name = "Bob".into();
    api.expect(
        "/api/v1/observations",
        "post",
        api.post(
            "/api/v1/observations",
            ObservationItem::Accreditation(bad).canonical_bytes(),
        ),
        422,
    )?;

    // Photos: stored when a protocol on the board names them, once; served immutable.
    let photo = [&[0xFF, 0xD8, 0xFF, 0xE0][..], b"a photo of the protocol"].concat();
    let photo_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo));
    let ObservationItem::Accreditation(accreditation) = item.clone() else {
        return Err("not an accreditation".into());
    };
    let protocol = photo_protocol(&observer, accreditation, &photo);
    let on_board = json(&api.expect(
        "/api/v1/observations",
        "post",
        api.post("/api/v1/observations", protocol.canonical_bytes()),
        201,
    )?)["board_index"]
        .as_u64()
        .unwrap_or_default();
    let upload = format!("/api/v1/photos?entry={on_board}");
    let stored = json(&api.expect(
        "/api/v1/photos",
        "post",
        api.post_as(&upload, photo.clone(), "image/jpeg"),
        201,
    )?);
    assert_eq!(stored["sha256"], photo_hash.as_str());
    let again = api.post_as(&upload, photo.clone(), "image/jpeg");
    assert_eq!(
        json(&api.expect("/api/v1/photos", "post", again, 200)?),
        stored
    );
    let not_image = api.post_as(&upload, b"<html>".to_vec(), "image/jpeg");
    api.expect("/api/v1/photos", "post", not_image, 415)?;
    let not_named = api.post_as(&upload, [&photo[..], b"!"].concat(), "image/jpeg");
    api.expect("/api/v1/photos", "post", not_named, 422)?;
    let no_entry = api.post_as("/api/v1/photos?entry=x", photo.clone(), "image/jpeg");
    api.expect("/api/v1/photos", "post", no_entry, 400)?;
    let served = api.expect(
        "/api/v1/photos/{sha256}",
        "get",
        api.get(&format!("/api/v1/photos/{photo_hash}")),
        200,
    )?;
    assert_eq!(served, photo);
    let part = api.expect(
        "/api/v1/photos/{sha256}",
        "get",
        api.get(&format!("/api/v1/photos/{photo_hash}"))
            .header("range", "bytes=2-5"),
        206,
    )?;
    assert_eq!(part, photo[2..6]);
    let held = api.expect(
        "/api/v1/photos/{sha256}",
        "get",
        api.get(&format!("/api/v1/photos/{photo_hash}"))
            .header("if-none-match", format!("\"{photo_hash}\"")),
        304,
    )?;
    assert!(held.is_empty());
    let past_the_end = api.expect(
        "/api/v1/photos/{sha256}",
        "get",
        api.get(&format!("/api/v1/photos/{photo_hash}"))
            .header("range", format!("bytes={}-", photo.len())),
        416,
    )?;
    assert!(
        json(&past_the_end)["error"]
            .as_str()
            .is_some_and(|e| e.contains("not within the photo")),
        "{}",
        String::from_utf8_lossy(&past_the_end)
    );
    let unknown = format!("/api/v1/photos/{}", "0".repeat(64));
    api.expect("/api/v1/photos/{sha256}", "get", api.get(&unknown), 404)?;
    let bad = api.get("/api/v1/photos/not-a-hash");
    api.expect("/api/v1/photos/{sha256}", "get", bad, 400)?;

    // The board's files, with the tlog-tiles caching.
    std::thread::sleep(Duration::from_millis(300));
    let checkpoint = String::from_utf8(api.expect(
        "/board/checkpoint",
        "get",
        api.get("/board/checkpoint"),
        200,
    )?)?;
    let size: u64 = checkpoint.lines().nth(1).unwrap_or_default().parse()?;
    api.expect("/board/policy", "get", api.get("/board/policy"), 200)?;
    api.expect(
        "/board/checkpoints/{size}",
        "get",
        api.get(&format!("/board/checkpoints/{size}")),
        200,
    )?;
    api.expect(
        "/board/checkpoints/{size}",
        "get",
        api.get("/board/checkpoints/999999"),
        404,
    )?;
    // The board is small: its level-0 tile and entry bundle are partial.
    for (template, path, missing) in [
        (
            "/board/tile/{level}/{index}",
            format!("/board/tile/0/000.p/{size}"),
            "/board/tile/0/x999/999",
        ),
        (
            "/board/tile/entries/{index}",
            format!("/board/tile/entries/000.p/{size}"),
            "/board/tile/entries/x999/999",
        ),
    ] {
        let response = api.get(&path).send()?;
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("public, max-age=60")
        );
        api.expect(template, "get", api.get(&path), 200)?;
        api.expect(template, "get", api.get(missing), 404)?;
    }
    assert_eq!(
        api.get("/board/.fairtally-x.tmp").send()?.status().as_u16(),
        404
    );

    // Health, metrics, the front end (not built here: the pages say what to run).
    let health = json(&api.expect("/healthz", "get", api.get("/healthz"), 200)?);
    assert_eq!(health["ballots"], 1);
    let metrics = String::from_utf8(api.expect("/metrics", "get", api.get("/metrics"), 200)?)?;
    assert!(
        metrics.contains("fairtally_ballots_accepted_total 1"),
        "{metrics}"
    );
    api.expect("/", "get", api.get("/"), 200)?;
    for page in ["/vote", "/track", "/observe", "/results", "/observation"] {
        let body = api.expect(page, "get", api.get(page), 404)?;
        assert!(String::from_utf8_lossy(&body).contains("npm run build"));
    }

    // Voting closed: 503 with Retry-After, after a clean shutdown and the finished record.
    assert!(
        server.terminate()?,
        "fairtally serve did not exit cleanly on SIGTERM"
    );
    assert!(election.finish()?, "the finished record does not verify");
    let server = ServeProcess::start(&election.dir, &[])?;
    api.url = server.url.clone();
    api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", serde_json::to_vec(&ballot)?),
        503,
    )?;

    // Every documented path was exercised.
    let documented: BTreeSet<(String, String)> = api
        .api
        .operations()
        .into_iter()
        .map(|(path, method, _)| (path, method))
        .collect();
    let exercised: BTreeSet<(String, String)> = api
        .seen
        .iter()
        .map(|(path, method, _)| (path.clone(), method.clone()))
        .collect();
    assert_eq!(documented, exercised);
    Ok(())
}

/// Thinking like an operator who edits the ballot box's index (a lookup aid beside the board):
/// a row pointed at another ballot's entry, or a challenged ballot indexed as cast, makes the
/// tracker answer `500`, never the other entry and its proof; a rightly indexed ballot is
/// still tracked.
#[test]
fn the_tracker_refuses_an_index_that_names_another_entry() -> TestResult {
    let election = OpenElection::new(3)?;
    let server = ServeProcess::start(&election.dir, &[])?;
    let mut api = Checker::new(&server.url)?;
    let ballots = [
        election.ballot(0, Intent::Cast)?,
        election.ballot(1, Intent::Cast)?,
        election.ballot(2, Intent::Challenge)?,
    ];
    let mut entries = Vec::new();
    for ballot in &ballots {
        let request = api.post("/api/v1/ballots", serde_json::to_vec(ballot)?);
        let receipt = json(&api.expect("/api/v1/ballots", "post", request, 201)?);
        entries.push(receipt["board_index"].as_i64().ok_or("no board index")?);
    }
    let track =
        |api: &Checker, i: usize| api.get(&format!("/api/v1/ballots/{}", ballots[i].ballot.code()));
    let before = json(&api.expect("/api/v1/ballots/{code}", "get", track(&api, 0), 200)?);
    assert_eq!(before["board_index"], entries[0]);

    let index_path = election
        .board()
        .join(fairtally_election::ballot_box::INDEX_FILE);
    let index = rusqlite::Connection::open(&index_path)?;
    let sql = "UPDATE ballots SET board_index = ?1 WHERE board_index = ?2";
    assert_eq!(index.execute(sql, [entries[1], entries[0]])?, 1);
    let sql = "UPDATE ballots SET is_cast = 1 WHERE board_index = ?1";
    assert_eq!(index.execute(sql, [entries[2]])?, 1);
    drop(index);

    for i in [0, 2] {
        let refused = json(&api.expect("/api/v1/ballots/{code}", "get", track(&api, i), 500)?);
        let reason = refused["error"].as_str().unwrap_or_default();
        assert!(reason.contains("is not this ballot"), "{refused}");
    }
    let tracked = json(&api.expect("/api/v1/ballots/{code}", "get", track(&api, 1), 200)?);
    assert_eq!(tracked["board_index"], entries[1]);
    assert_eq!(
        tracked["confirmation_code"],
        ballots[1].ballot.code().to_string()
    );

    // An index row past the end of the board is refused with its own reason.
    let index = rusqlite::Connection::open(&index_path)?;
    let sql = "UPDATE ballots SET board_index = 1000000 WHERE position = 1";
    assert_eq!(index.execute(sql, [])?, 1);
    drop(index);
    let refused = json(&api.expect("/api/v1/ballots/{code}", "get", track(&api, 1), 500)?);
    let reason = refused["error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("names board entry 1000000") && reason.contains("but the board holds"),
        "{refused}"
    );
    Ok(())
}

#[test]
fn clients_past_their_rate_get_429_with_retry_after() -> TestResult {
    let election = OpenElection::new(1)?;
    let server = ServeProcess::start(&election.dir, &["--rate", "0.5", "--burst", "2"])?;
    let mut api = Checker::new(&server.url)?;
    for _ in 0..2 {
        api.expect(
            "/api/v1/ballots",
            "post",
            api.post("/api/v1/ballots", b"{}".to_vec()),
            400,
        )?;
    }
    api.expect(
        "/api/v1/ballots",
        "post",
        api.post("/api/v1/ballots", b"{}".to_vec()),
        429,
    )?;
    // Reads are not limited.
    api.expect("/healthz", "get", api.get("/healthz"), 200)?;
    Ok(())
}

/// Sends `head` and then nothing; the server's answer within 20 s.
fn stalled_request(url: &str, head: &str) -> Result<String, Box<dyn std::error::Error>> {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(head.as_bytes())?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    Ok(answer)
}

#[test]
fn slow_and_malformed_requests_are_refused_and_the_server_keeps_serving() -> TestResult {
    let election = OpenElection::new(2)?;
    let server = ServeProcess::start(
        &election.dir,
        &["--request-timeout", "1", "--header-timeout", "1"],
    )?;
    let mut api = Checker::new(&server.url)?;

    // Headers that never end: the connection is closed.
    let started = std::time::Instant::now();
    let answer = stalled_request(&server.url, "POST /api/v1/ballots HTTP/1.1\r\nHost: x\r\n")?;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A body that never arrives.
    let started = std::time::Instant::now();
    let answer = stalled_request(
        &server.url,
        "POST /api/v1/ballots HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"ballot\"",
    )?;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Garbage and mangled ballots: always a 4xx with a reason, never a failure of the server.
    let line = serde_json::to_vec(&election.ballot(0, Intent::Cast)?)?;
    let mut bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"[]".to_vec(),
        vec![0xff, 0xfe, 0x00],
        b"{\"ballot\":{},\"intent\":\"cast\",\"signature\":\"00\"}".to_vec(),
    ];
    for cut in (1..line.len()).step_by(line.len() / 20 + 1) {
        bodies.push(line[..cut].to_vec());
    }
    for at in (1..line.len()).step_by(line.len() / 20 + 1) {
        let mut mangled = line.clone();
        mangled[at] = if mangled[at] == b'0' { b'1' } else { b'0' };
        bodies.push(mangled);
    }
    for body in bodies {
        let response = api.post("/api/v1/ballots", body.clone()).send()?;
        let status = response.status().as_u16();
        let answer = json(&response.bytes()?);
        // A mangled byte may land where it changes nothing that is checked (e.g. inside a
        // number's leading zero it cannot); then the ballot is simply valid.
        assert!(
            (400..500).contains(&status) || status == 201,
            "{status} for {}",
            String::from_utf8_lossy(&body)
        );
        if status != 201 {
            assert!(
                answer["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{answer}"
            );
        }
    }
    api.expect("/healthz", "get", api.get("/healthz"), 200)?;
    Ok(())
}

#[test]
fn concurrent_duplicates_get_one_answer_and_a_bad_ballot_fails_alone() -> TestResult {
    let election = OpenElection::new(6)?;
    let server = ServeProcess::start(&election.dir, &[])?;
    let good: Vec<_> = (0..5)
        .map(|v| election.ballot(v, Intent::Cast))
        .collect::<Result<_, _>>()?;
    let mut forged = election.ballot(5, Intent::Cast)?;
    forged.signature = good[0].signature;
    // Each good ballot four times and the forged one, all at once.
    let mut submissions: Vec<(bool, fairtally_election::ballot::BallotEntry)> = Vec::new();
    for _ in 0..4 {
        submissions.extend(good.iter().map(|b| (true, b.clone())));
    }
    submissions.push((false, forged));
    let answers: Vec<(bool, String, u16, serde_json::Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = submissions
            .iter()
            .map(|(valid, ballot)| {
                let url = server.url.clone();
                scope.spawn(move || {
                    let (status, answer) = post_ballot(&client(), &url, ballot)
                        .unwrap_or((0, serde_json::Value::Null));
                    (*valid, ballot.ballot.code().to_string(), status, answer)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    assert_eq!(answers.len(), submissions.len());
    let mut indices = std::collections::HashMap::new();
    for (valid, code, status, answer) in &answers {
        if *valid {
            assert_eq!(*status, 201, "{answer}");
            let index = answer["board_index"].as_u64().ok_or("no board index")?;
            assert_eq!(*indices.entry(code.clone()).or_insert(index), index);
        } else {
            assert_eq!(*status, 422, "{answer}");
        }
    }
    assert_eq!(indices.len(), 5);
    let distinct: BTreeSet<u64> = indices.values().copied().collect();
    assert_eq!(distinct.len(), 5, "two ballots share a board entry");
    drop(server);
    let lines = std::fs::read_to_string(election.record().join("ballots.jsonl"))?;
    assert_eq!(lines.lines().count(), 5, "each ballot once in the box");
    Ok(())
}
