//! `fairtally serve`'s photo store over real HTTP: photos are refused without `--trust`
//! (accreditation is open), taken from a trusted organisation's observer, and a photo sent
//! slowly is not cut off by `--request-timeout` (uploads have their own, longer timeouts).
//! A stored photo is streamed to each client that asks, in ranges too, never read whole.

mod serve_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fairtally_observe::keys::{generate_key, public_key_hex};
use fairtally_observe::signed::{Accreditation, ObservationItem};
use serve_support::{OpenElection, ServeProcess, TestResult, client, photo_protocol};

/// Posts `item` to the board; its index.
fn on_board(url: &str, item: &ObservationItem) -> Result<u64, Box<dyn std::error::Error>> {
    let answer: serde_json::Value = client()
        .post(format!("{url}/api/v1/observations"))
        .header("content-type", "application/json")
        .body(item.canonical_bytes())
        .send()?
        .error_for_status()?
        .json()?;
    answer["board_index"]
        .as_u64()
        .ok_or_else(|| "no board index".into())
}

/// Sends `photo` for board entry `entry` in `pieces`, `pause` apart (stopping when the server
/// has answered already); the answer's status line and body.
fn upload_slowly(
    url: &str,
    entry: u64,
    photo: &[u8],
    pieces: usize,
    pause: Duration,
) -> Result<String, Box<dyn std::error::Error>> {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST /api/v1/photos?entry={entry} HTTP/1.1\r\nHost: {address}\r\nContent-Type: \
         image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        photo.len()
    )?;
    for piece in photo.chunks(photo.len().div_ceil(pieces)) {
        std::thread::sleep(pause);
        // A server that refuses before reading the whole body closes the connection.
        if stream.write_all(piece).is_err() {
            break;
        }
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[test]
fn photos_need_a_trusted_organisation_and_outlast_the_request_timeout() -> TestResult {
    let election = OpenElection::new(1)?;
    let (organisation, observer) = (generate_key()?, generate_key()?);
    let photo = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7; 50_000]].concat();
    let accreditation = Accreditation::sign(&organisation, "E", &observer.verifying_key(), "Ann");
    let protocol = photo_protocol(&observer, accreditation, &photo);

    // Open accreditation (no --trust): the protocol goes on the board, its photo does not.
    let open = ServeProcess::start(&election.dir, &[])?;
    let index = on_board(&open.url, &protocol)?;
    let answer = upload_slowly(&open.url, index, &photo, 1, Duration::ZERO)?;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("trusting none"), "{answer}");
    drop(open);

    // Trusting the organisation, with a 1 s request timeout: a photo sent over 2.5 s is stored.
    let org = public_key_hex(&organisation.verifying_key());
    let trusted = ServeProcess::start(
        &election.dir,
        &[
            "--trust",
            &org,
            "--request-timeout",
            "1",
            "--photo-idle-timeout",
            "5",
        ],
    )?;
    let answer = upload_slowly(&trusted.url, index, &photo, 5, Duration::from_millis(500))?;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let stored = client()
        .get(format!(
            "{}/api/v1/photos/{}",
            trusted.url,
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo))
        ))
        .send()?;
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.bytes()?.as_ref(), photo.as_slice());
    // A client that stops sending is cut off by the idle timeout, not left hanging.
    let answer = upload_slowly(&trusted.url, index, &photo, 2, Duration::from_secs(6))?;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    Ok(())
}

/// Sends `GET path` on a new connection and reads only the first `read` bytes of the answer;
/// the connection stays open.
fn ask(
    url: &str,
    path: &str,
    read: usize,
) -> Result<(TcpStream, Vec<u8>), Box<dyn std::error::Error>> {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n")?;
    let mut start = vec![0; read];
    let mut got = 0;
    while got < read {
        match stream.read(&mut start[got..])? {
            0 => break,
            n => got += n,
        }
    }
    start.truncate(got);
    Ok((stream, start))
}

#[test]
fn a_photo_is_streamed_to_many_clients_at_once_and_in_ranges() -> TestResult {
    let election = OpenElection::new(1)?;
    let (organisation, observer) = (generate_key()?, generate_key()?);
    // 8 MiB of varied bytes.
    let body: Vec<u8> = (0..8u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let photo = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &body].concat();
    let accreditation = Accreditation::sign(&organisation, "E", &observer.verifying_key(), "Ann");
    let protocol = photo_protocol(&observer, accreditation, &photo);
    let org = public_key_hex(&organisation.verifying_key());
    let server = ServeProcess::start(&election.dir, &["--trust", &org])?;
    let index = on_board(&server.url, &protocol)?;
    let answer = upload_slowly(&server.url, index, &photo, 1, Duration::ZERO)?;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo));
    let path = format!("/api/v1/photos/{sha256}");

    // 32 clients ask at once and read only the start: read whole for each, the photo would
    // take 256 MiB of the server's memory.
    let before = server.resident_bytes()?;
    let mut waiting = Vec::new();
    for _ in 0..32 {
        let (stream, start) = ask(&server.url, &path, 4096)?;
        assert!(
            start.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&start)
        );
        waiting.push(stream);
    }
    std::thread::sleep(Duration::from_millis(500));
    let grown = server.resident_bytes()?.saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "the server grew by {grown} bytes for 32 waiting clients"
    );
    drop(waiting);

    // Whole, with its headers; and a range of it, as a resumed download asks.
    let whole = client().get(format!("{}{path}", server.url)).send()?;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "image/jpeg");
    assert_eq!(whole.headers()["x-content-type-options"], "nosniff");
    assert!(whole.headers()["etag"].to_str()?.contains(&sha256));
    assert_eq!(whole.bytes()?.as_ref(), photo.as_slice());
    let part = client()
        .get(format!("{}{path}", server.url))
        .header("range", "bytes=1000000-1000099")
        .send()?;
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes()?.as_ref(), &photo[1_000_000..1_000_100]);
    // A range past the end is refused, and that answer is neither an image nor cached.
    let refused = client()
        .get(format!("{}{path}", server.url))
        .header("range", "bytes=99999999-")
        .send()?;
    assert_eq!(refused.status(), 416);
    assert!(refused.headers().get("etag").is_none());
    assert!(refused.headers().get("cache-control").is_none());
    assert_ne!(
        refused.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"image/jpeg"[..])
    );
    // A client that holds the photo is told so, without it, whether its tag is weak or one of
    // a list; a tag of something else gets the photo.
    for held in [
        format!("\"{sha256}\""),
        format!("\"{}\", W/\"{sha256}\"", "0".repeat(64)),
        "*".to_owned(),
    ] {
        let answer = client()
            .get(format!("{}{path}", server.url))
            .header("if-none-match", &held)
            .send()?;
        assert_eq!(answer.status(), 304, "If-None-Match: {held}");
        assert!(answer.headers()["etag"].to_str()?.contains(&sha256));
        assert!(answer.bytes()?.is_empty());
    }
    let other = client()
        .get(format!("{}{path}", server.url))
        .header("if-none-match", format!("\"{}\"", "0".repeat(64)))
        .send()?;
    assert_eq!(other.status(), 200);
    assert_eq!(other.bytes()?.as_ref(), photo.as_slice());
    Ok(())
}
