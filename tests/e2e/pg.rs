//! A throwaway PostgreSQL server for the tests: Debian's `postgresql`
//! package, a cluster made with `initdb` in a temporary folder, listening on
//! a free loopback port and a socket in that folder. Started once per test
//! process (the first test that asks), stopped and deleted by a watchdog
//! when the process ends. Only Debian's own programs (`initdb`, `pg_ctl`,
//! `psql`) touch it here; the tests reach it through Chorus.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The role that logs in with a password (SCRAM) over TCP; every other
/// role is trusted on loopback.
pub const PASSWORD_ROLE: &str = "chorus_pw";
pub const PASSWORD: &str = "correct horse battery staple";

/// The running test server.
#[derive(Debug)]
pub struct Cluster {
    pub port: u16,
    /// The folder holding the data, the socket and the log.
    pub dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    next: AtomicUsize,
    /// Its stdin is the watchdog's: it stops the server when this process
    /// ends and the pipe closes. Never dropped (a static).
    _watchdog: std::process::Child,
}

/// The server, started on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(start)
}

/// Whether this run of the tests uses PostgreSQL for every collector
/// (`CHORUS_TEST_BACKEND=postgres`); SQLite otherwise.
pub fn selected() -> bool {
    std::env::var("CHORUS_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The newest installed server's programs.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/setup.sh: need_postgres)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    versions
        .pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

impl Cluster {
    /// A server program, run as the `postgres` user when the tests run as
    /// root (PostgreSQL refuses to run as root).
    fn command(&self, program: &str) -> Command {
        command(&self.bin, self.as_postgres, program)
    }

    /// `psql` as the superuser `chorus` on database `db`, running `sql`.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self
            .command("psql")
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"])
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "chorus",
            ])
            .args(["-d", db, "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A new, empty database; its URL (the trusted role, no password).
    pub fn database(&self) -> String {
        let name = self.new_database();
        format!("postgres://chorus@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database owned by nobody special; its name.
    pub fn new_database(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{}_{n}", std::process::id());
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        name
    }

    /// Every file of the cluster's data folder, for scans of what is stored.
    pub fn data_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.join("data"), &mut out);
        out
    }
}

fn command(bin: &Path, as_postgres: bool, program: &str) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start() -> Cluster {
    let bin = bin_dir();
    let as_postgres = is_root();
    let dir = tempfile::Builder::new()
        .prefix("chorus-pg-")
        .tempdir()
        .expect("tempdir")
        .keep();
    if as_postgres {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres:postgres").arg(&dir);
                c
            },
            "chown the cluster folder",
        );
    }
    let data = dir.join("data");
    let mut initdb = command(&bin, as_postgres, "initdb");
    initdb.arg("-D").arg(&data).args([
        "-U",
        "chorus",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
    ]);
    run(initdb, "initdb");
    // Trusted on loopback, but the password role must log in with SCRAM.
    let hba = format!(
        "local all all trust\nhost all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    );
    // Written by this process (root can, and the server only reads it).
    std::fs::write(data.join("pg_hba.conf"), hba).expect("write pg_hba.conf");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300 -c log_min_messages=warning",
        dir.display()
    );
    let mut pg_ctl = command(&bin, as_postgres, "pg_ctl");
    pg_ctl
        .arg("-D")
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "start"]);
    run(pg_ctl, "pg_ctl start");

    // Stops the server and deletes its folder once this process is gone
    // (its end of the pipe closes, and `read` returns).
    let stop = format!(
        "read _; {} {} -D {} -m immediate stop >/dev/null 2>&1; rm -rf {}",
        if as_postgres {
            "runuser -u postgres --"
        } else {
            ""
        },
        bin.join("pg_ctl").display(),
        data.display(),
        dir.display()
    );
    let watchdog = Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the watchdog");
    let cluster = Cluster {
        port,
        dir,
        bin,
        as_postgres,
        next: AtomicUsize::new(0),
        _watchdog: watchdog,
    };
    cluster.psql(
        "postgres",
        &format!("CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"),
    );
    cluster
}
