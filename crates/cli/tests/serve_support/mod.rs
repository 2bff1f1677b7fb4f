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
        let mut child = Command::new(env!("CARGO_BIN_EXE_fairtally"))
            .arg("serve")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
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
