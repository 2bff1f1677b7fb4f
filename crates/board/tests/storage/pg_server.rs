//! PostgreSQL for the storage suite: a schema of its own per test in the server that
//! `FAIRTALLY_TEST_POSTGRES` names, and throwaway clusters for the tests that restart theirs.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use super::TestResult;

/// The variable that names the server the PostgreSQL half of the suite runs on.
pub const URL_VARIABLE: &str = "FAIRTALLY_TEST_POSTGRES";

/// What to do when [`URL_VARIABLE`] is not set: the suite fails rather than pass untested.
pub const HOW_TO_START: &str = "FAIRTALLY_TEST_POSTGRES is not set, so the PostgreSQL half of \
    the storage suite cannot run. Start a server and point the tests at it with \
    `eval \"$(.ci/postgres)\"` (Debian's postgresql package; as root, or with sudo), or set \
    FAIRTALLY_TEST_POSTGRES=postgres://USER:PASSWORD@127.0.0.1:5432/DATABASE for a role that \
    may create schemas there.";

/// A schema of its own in the test server, dropped at the end: tests run in parallel.
pub struct TestSchema {
    base: String,
    schema: String,
    /// The URL of the schema: the server's, with the schema as its search path.
    pub url: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl TestSchema {
    /// A fresh schema in the server that [`URL_VARIABLE`] names.
    pub fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let base = std::env::var(URL_VARIABLE).map_err(|_| HOW_TO_START)?;
        Self::in_server(&base)
    }

    /// A fresh schema in the server at `base`.
    pub fn in_server(base: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let schema = format!(
            "storage_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let mut client = postgres::Client::connect(base, postgres::NoTls)
            .map_err(|e| format!("{URL_VARIABLE}: cannot connect: {e}. {HOW_TO_START}"))?;
        client.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        Ok(Self {
            base: base.to_owned(),
            schema,
            url,
        })
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.base, postgres::NoTls) {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
                .ok();
        }
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// A PostgreSQL cluster of its own in a temporary directory, on a free loopback port, that a
/// test may restart or crash; stopped and removed when dropped.
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    options: String,
    _dir: tempfile::TempDir,
    pub url: String,
}

impl Cluster {
    /// Initialises and starts a cluster (as the `postgres` user when running as root:
    /// PostgreSQL refuses to run as root).
    pub fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let bin = server_binaries().ok_or(
            "no PostgreSQL server binaries (initdb, pg_ctl) found in \
             FAIRTALLY_TEST_POSTGRES_BIN or /usr/lib/postgresql/*/bin; \
             install Debian's postgresql package (`apt-get install -y postgresql`)",
        )?;
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path()))?;
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        run(as_server_user(&bin.join("initdb"))
            .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
            .arg(&data))?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={}",
            data.display()
        );
        let cluster = Self {
            bin,
            data,
            options,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            _dir: dir,
        };
        cluster.start_again()?;
        Ok(cluster)
    }

    /// Starts the stopped server again.
    pub fn start_again(&self) -> TestResult {
        run(as_server_user(&self.bin.join("pg_ctl"))
            .args(["start", "-w", "-t", "30", "-l"])
            .arg(self.data.join("log"))
            .args(["-o", &self.options, "-D"])
            .arg(&self.data))
    }

    /// Stops the server (every session ends cleanly) until [`Cluster::start_again`].
    #[allow(dead_code)] // the outage test of crates/cli/tests/postgres_restart.rs
    pub fn stop(&self) -> TestResult {
        run(as_server_user(&self.bin.join("pg_ctl"))
            .args(["stop", "-w", "-t", "30", "-m", "fast", "-D"])
            .arg(&self.data))
    }

    /// Restarts the server: `fast` ends every session cleanly, `immediate` crashes the server
    /// (it recovers from its write-ahead log on start).
    pub fn restart(&self, mode: &str) -> TestResult {
        run(as_server_user(&self.bin.join("pg_ctl"))
            .args(["restart", "-w", "-t", "30", "-m", mode, "-l"])
            // Without a log file the server would hold the pipe this command reads.
            .arg(self.data.join("log"))
            .arg("-D")
            .arg(&self.data))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        as_server_user(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output()
            .ok();
    }
}

fn server_binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FAIRTALLY_TEST_POSTGRES_BIN") {
        return Some(dir.into());
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> TestResult {
    let out = command.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}
