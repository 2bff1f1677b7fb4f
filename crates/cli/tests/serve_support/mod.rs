//! Shared by the `serve*` tests: an election left open for voting (built with the election
//! library, the same steps `fairtally demo` takes), ballots made with the code `fairtally voter
//! encrypt` and `cast` use, the real `fairtally serve` binary in a guard that kills it, and a
//! small blocking HTTP client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use fairtally_board::board::Board;
use fairtally_board::note::NoteSigner;
use fairtally_election::ballot::{BallotEntry, Intent, encrypt_ballot};
use fairtally_election::ballot_box::{self, BallotBox};
use fairtally_election::bulletin::{self, OPERATOR_KEY_FILE};
use fairtally_election::ceremony::{self, KeyShare, run_all_in_one};
use fairtally_election::credential::{self, Credential};
use fairtally_election::manifest::Manifest;
use fairtally_election::parameters::{ElectionParameters, ceremony_context};
use fairtally_election::progress::Silent;
use fairtally_election::simulation::{DEMO_ORIGIN, demo_board, random_selections};
use fairtally_election::tally::decrypt_share;
use fairtally_election::verifier::{Pins, verify_record};
use fairtally_election::{authority, context::VotingContext};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// An election whose voting is open: `dir/record`, `dir/board`, the voters' credentials and
/// the guardians' key shares.
pub struct OpenElection {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub voters: Vec<Credential>,
    key_shares: Vec<KeyShare>,
    context: VotingContext,
}

impl OpenElection {
    /// Two guardians (threshold 2), `voters` credentials, voting opened.
    pub fn new(voters: usize) -> Result<Self, Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("election");
        let (board, operator) = demo_board(&dir, DEMO_ORIGIN)?;
        let record = dir.join("record");
        let manifest = Manifest::default_demo()?;
        let parameters = ElectionParameters::new(2, 2, board.policy())?;
        authority::create_election(&record, &manifest, &parameters)?;
        let names = vec!["Guardian 1".to_string(), "Guardian 2".to_string()];
        let ceremony = run_all_in_one(
            &ceremony_context(&manifest, &parameters)?,
            &parameters,
            &names,
        )?;
        authority::publish_guardians(&record, &ceremony.guardians)?;
        ceremony::publish(&record, &ceremony.messages, &[])?;
        let (credentials, list) = credential::issue(voters)?;
        authority::publish_credentials(&record, &list)?;
        let setup = ballot_box::open_voting(&record, board, &operator)?;
        Ok(OpenElection {
            _tmp: tmp,
            dir,
            voters: credentials,
            key_shares: ceremony.key_shares,
            context: setup.voting_context(),
        })
    }

    pub fn record(&self) -> PathBuf {
        self.dir.join("record")
    }

    pub fn board(&self) -> PathBuf {
        self.dir.join("board")
    }

    /// A fresh ballot of voter `voter` with random choices, signed for `intent`.
    pub fn ballot(
        &self,
        voter: usize,
        intent: Intent,
    ) -> Result<BallotEntry, Box<dyn std::error::Error>> {
        let credential = &self.voters[voter];
        let prepared = encrypt_ballot(
            &self.context,
            credential,
            &random_selections(&self.context.manifest)?,
        )?;
        Ok(match intent {
            Intent::Cast => prepared.cast(credential)?,
            Intent::Challenge => prepared.challenge(credential)?,
        })
    }

    /// Closes voting, has both guardians decrypt, publishes the result, posts the record to
    /// the board and verifies it: whether the verifier says it is valid.
    pub fn finish(&self) -> Result<bool, Box<dyn std::error::Error>> {
        let operator = self.operator()?;
        let record = self.record();
        let tally =
            BallotBox::open(&record, Board::open(&self.board())?, &operator)?.close(&Silent)?;
        let mut board = Board::open(&self.board())?;
        for key in &self.key_shares {
            let share =
                decrypt_share(&self.context.base_hash, &self.context.manifest, key, &tally)?;
            authority::accept_decryption_share(&record, &share, &mut board, &operator)?;
        }
        authority::publish_result(&record, &mut board, &operator)?;
        bulletin::post_record(&record, &mut board, &operator)?;
        Ok(verify_record(&record, &Pins::default(), &Silent)?.is_valid())
    }

    pub fn operator(&self) -> Result<NoteSigner, Box<dyn std::error::Error>> {
        let path = self.board().join(OPERATOR_KEY_FILE);
        Ok(NoteSigner::from_skey(
            &std::fs::read_to_string(&path)?,
            "operator key",
        )?)
    }
}

/// `fairtally serve` running in a child process, killed when dropped.
pub struct ServeProcess {
    child: Child,
    pub url: String,
}

impl ServeProcess {
    /// Starts `fairtally serve DIR --listen 127.0.0.1:0 EXTRA...` and waits (at most 60 s)
    /// for the line that names its address.
    pub fn start(dir: &Path, extra: &[&str]) -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_on(dir, "127.0.0.1:0", extra)
    }

    /// As [`ServeProcess::start`], listening on `listen` (a restart on the same address).
    pub fn start_on(
        dir: &Path,
        listen: &str,
        extra: &[&str],
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fairtally"))
            .arg("serve")
            .arg(dir)
            .args(["--listen", listen])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut guard = ServeProcess {
            child,
            url: String::new(),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep reading so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx.recv_timeout(Duration::from_secs(60))?;
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .ok_or_else(|| format!("no address in {line:?}"))?
            .to_owned();
        guard.url = url;
        Ok(guard)
    }

    /// The server's resident memory now (VmRSS), in bytes.
    pub fn resident_bytes(&self) -> Result<u64, Box<dyn std::error::Error>> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or("no VmRSS line")?;
        Ok(kib * 1024)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits (at most 60 s) for a clean exit; whether it exited with 0.
    pub fn terminate(&mut self) -> Result<bool, Box<dyn std::error::Error>> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            return Err("kill -TERM failed".into());
        }
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.success());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("the server did not stop within 60 s of SIGTERM".into())
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking client with a bounded timeout.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|_| reqwest::blocking::Client::new())
}

/// Posts a ballot; the status and the JSON answer.
pub fn post_ballot(
    client: &reqwest::blocking::Client,
    url: &str,
    ballot: &BallotEntry,
) -> Result<(u16, serde_json::Value), Box<dyn std::error::Error>> {
    let response = client
        .post(format!("{url}/api/v1/ballots"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(ballot)?)
        .send()?;
    let status = response.status().as_u16();
    Ok((status, response.json()?))
}

/// The OpenAPI description the server is checked against.
pub struct OpenApi {
    spec: serde_json::Value,
}

impl OpenApi {
    pub fn load() -> Result<Self, Box<dyn std::error::Error>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        Ok(OpenApi {
            spec: serde_json::from_str(&std::fs::read_to_string(path)?)?,
        })
    }

    /// Every documented (path, method, status).
    pub fn operations(&self) -> Vec<(String, String, u16)> {
        let mut out = Vec::new();
        let paths = self.spec["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in paths {
            for (method, operation) in item.as_object().cloned().unwrap_or_default() {
                for status in operation["responses"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
                    .keys()
                {
                    if let Ok(status) = status.parse() {
                        out.push((path.clone(), method.clone(), status));
                    }
                }
            }
        }
        out
    }

    fn resolve<'a>(&'a self, value: &'a serde_json::Value) -> &'a serde_json::Value {
        match value["$ref"].as_str() {
            Some(reference) => {
                let mut target = &self.spec;
                for part in reference.trim_start_matches("#/").split('/') {
                    target = &target[part];
                }
                self.resolve(target)
            }
            None => value,
        }
    }

    /// Checks a response (status, headers, body) against the documented response of `path`
    /// (the template, e.g. `/api/v1/ballots/{code}`) and `method`; the reasons it does not
    /// match, empty when it does.
    pub fn check(
        &self,
        path: &str,
        method: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Vec<String> {
        let operation = &self.spec["paths"][path][method];
        if operation.is_null() {
            return vec![format!("{method} {path} is not documented")];
        }
        let response = self.resolve(&operation["responses"][status.to_string()]);
        if response.is_null() {
            return vec![format!(
                "{method} {path}: status {status} is not documented"
            )];
        }
        let mut problems = Vec::new();
        for (name, header) in response["headers"].as_object().cloned().unwrap_or_default() {
            let value = headers.get(name.as_str()).and_then(|v| v.to_str().ok());
            match (value, header["schema"]["const"].as_str()) {
                (None, _)
                    if header["required"] == true || header["schema"]["const"].is_string() =>
                {
                    problems.push(format!("{method} {path} {status}: no {name} header"))
                }
                (Some(v), Some(c)) if v != c => problems.push(format!(
                    "{method} {path} {status}: {name} is {v:?}, not {c:?}"
                )),
                _ => {}
            }
        }
        let Some((media, content)) = response["content"]
            .as_object()
            .and_then(|c| c.iter().next())
        else {
            return problems;
        };
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !content_type.starts_with(media.as_str()) {
            problems.push(format!(
                "{method} {path} {status}: content type {content_type:?}, documented {media}"
            ));
        }
        if media == "application/json" {
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(value) => self.validate(&content["schema"], &value, "body", &mut problems),
                Err(e) => problems.push(format!("{method} {path} {status}: not JSON: {e}")),
            }
        }
        problems
    }

    fn validate(
        &self,
        schema: &serde_json::Value,
        value: &serde_json::Value,
        at: &str,
        problems: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        if let Some(options) = schema["oneOf"].as_array() {
            let matching = options
                .iter()
                .filter(|s| {
                    let mut p = Vec::new();
                    self.validate(s, value, at, &mut p);
                    p.is_empty()
                })
                .count();
            if matching != 1 {
                problems.push(format!("{at}: matches {matching} of oneOf"));
            }
            return;
        }
        let ok = match schema["type"].as_str() {
            Some("object") => value.is_object(),
            Some("string") => value.is_string(),
            Some("integer") => value.is_u64() || value.is_i64(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("null") => value.is_null(),
            _ => true,
        };
        if !ok {
            problems.push(format!("{at}: {value} is not of type {}", schema["type"]));
            return;
        }
        if let Some(c) = schema.get("const")
            && c != value
        {
            problems.push(format!("{at}: {value} is not {c}"));
        }
        if let Some(options) = schema["enum"].as_array()
            && !options.contains(value)
        {
            problems.push(format!("{at}: {value} is not one of {options:?}"));
        }
        if let Some(min) = schema["minimum"].as_u64()
            && value.as_u64().is_some_and(|v| v < min)
        {
            problems.push(format!("{at}: {value} is below {min}"));
        }
        for required in schema["required"].as_array().cloned().unwrap_or_default() {
            if let Some(name) = required.as_str()
                && value.get(name).is_none()
            {
                problems.push(format!("{at}: no {name}"));
            }
        }
        for (name, property) in schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
        {
            if let Some(v) = value.get(&name) {
                self.validate(&property, v, &format!("{at}.{name}"), problems);
            }
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
            for (i, v) in values.iter().enumerate() {
                self.validate(items, v, &format!("{at}[{i}]"), problems);
            }
        }
    }
}

/// Station 001's empty protocol for election "E", signed by `observer` under `accreditation`,
/// naming `photo` by its SHA-256: what the photo tests put on the board before an upload.
pub fn photo_protocol(
    observer: &ed25519_dalek::SigningKey,
    accreditation: fairtally_observe::signed::Accreditation,
    photo: &[u8],
) -> fairtally_observe::signed::ObservationItem {
    use fairtally_observe::signed::{ObservationItem, ProtocolBody, SignedProtocol};
    ObservationItem::Protocol(Box::new(SignedProtocol::sign(
        observer,
        ProtocolBody {
            election: "E".into(),
            station: "001".into(),
            observer: String::new(),
            accreditation,
            options: vec!["a".into()],
            protocol: fairtally_results::StationProtocol::empty(1),
            photos: vec![hex::encode(<sha2::Sha256 as sha2::Digest>::digest(photo))],
            signed_at: 1,
        },
    )))
}

/// A helper's result, failing the test that calls it.
pub type TestFallible<T> = Result<T, Box<dyn std::error::Error>>;

/// A tokio runtime serving `router` on a free loopback port while it lives.
pub struct Server {
    /// The runtime the server runs on.
    pub runtime: tokio::runtime::Runtime,
    /// Where it listens.
    pub address: std::net::SocketAddr,
}

impl Server {
    /// Serves `router`.
    pub fn start(router: axum::Router) -> TestFallible<Self> {
        Self::start_with(|listener| async move {
            let _ = axum::serve(listener, router).await;
        })
    }

    /// Runs `serve` on a listener bound to a free loopback port.
    pub fn start_with<F: Future<Output = ()> + Send + 'static>(
        serve: impl FnOnce(tokio::net::TcpListener) -> F,
    ) -> TestFallible<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let address = listener.local_addr()?;
        runtime.spawn(serve(listener));
        Ok(Self { runtime, address })
    }

    /// `http://ADDRESS/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.address)
    }
}

/// [`Server`] over TLS, with a certificate for 127.0.0.1 issued by an authority of its own.
pub struct TlsServer {
    /// The server underneath.
    pub server: Server,
    /// The authority's certificate (PEM), for `SSL_CERT_FILE`.
    pub authority: String,
}

impl TlsServer {
    /// Serves `router` over TLS.
    pub fn start(router: axum::Router) -> TestFallible<Self> {
        use tokio_rustls::rustls;
        let (authority, issuer) = test_authority("fairtally test authority")?;
        let key = rcgen::KeyPair::generate()?;
        let certificate = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])?
            .signed_by(&key, &issuer)?;
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![certificate.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )?;
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let server = Server::start_with(|listener| async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, router) = (acceptor.clone(), router.clone());
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake here.
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let builder = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    );
                    let _ = builder
                        .serve_connection(
                            hyper_util::rt::TokioIo::new(stream),
                            hyper_util::service::TowerToHyperService::new(router),
                        )
                        .await;
                });
            }
        })?;
        Ok(Self { server, authority })
    }

    /// `https://ADDRESS/path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}/{path}", self.server.address)
    }
}

/// A certificate authority: its certificate (PEM) and the issuer that signs with its key.
pub fn test_authority(
    name: &str,
) -> TestFallible<(String, rcgen::Issuer<'static, rcgen::KeyPair>)> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate()?;
    let pem = params.self_signed(&key)?.pem();
    Ok((pem, rcgen::Issuer::new(params, key)))
}
