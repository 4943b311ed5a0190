//! Faults: a PostgreSQL or Redis of the test's own (never the shared services) is stopped
//! under traffic; requests fail fast with 503, the provider recovers on its own, and nothing
//! committed is lost.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Browser, TestServer};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// PostgreSQL's server binaries (initdb, pg_ctl) from the installed packages.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries (Debian package postgresql) are needed by the fault tests")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop().expect("pg_ctl")
}

/// A PostgreSQL cluster of the test's own, on a free port.
pub struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

impl ThrowawayPostgres {
    /// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    pub fn start_new() -> ThrowawayPostgres {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            assert!(
                Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap().success()
            );
        }
        let pg = ThrowawayPostgres { dir, port: free_port(), bin: postgres_bin() };
        let data = pg.dir.path().join("data");
        let status = pg
            .tool("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb failed");
        pg.start();
        pg
    }

    pub fn start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let status = self
            .tool("pg_ctl")
            .args(["-w", "-D"])
            .arg(self.dir.path().join("data"))
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .arg("start")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl start failed");
    }

    /// Stops without a checkpoint, as a crash would: only what was committed (in the WAL)
    /// comes back.
    fn crash(&self) {
        let status = self
            .tool("pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl stop failed");
    }

    /// `kill -9` of the server and every backend, as the machine's OOM killer or a power cut
    /// would leave it: the postmaster frozen first so it restarts nothing, then killed with its
    /// children.
    pub fn kill_9(&self) {
        let pid_file = std::fs::read_to_string(self.dir.path().join("data").join("postmaster.pid")).unwrap();
        let pid = pid_file.lines().next().unwrap().trim().to_owned();
        let signal = |args: &[&str]| Command::new(args[0]).args(&args[1..]).status().unwrap();
        signal(&["kill", "-STOP", &pid]);
        signal(&["pkill", "-9", "-P", &pid]);
        signal(&["kill", "-9", &pid]);
        let started = Instant::now();
        // Gone, or a zombie nobody has reaped yet (the postmaster's parent is whatever adopted it).
        let alive = |pid: &str| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
        };
        while alive(&pid) || Command::new("pgrep").args(["-P", &pid]).status().unwrap().success() {
            assert!(started.elapsed() < Duration::from_secs(10), "PostgreSQL still running after kill -9");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Where PID 1 reaps nothing (a container), the dead postmaster stays a zombie whose pid
        // PostgreSQL would take for a live server: remove its lock files, as the reaping would
        // have made them stale.
        std::fs::remove_file(self.dir.path().join("data").join("postmaster.pid")).unwrap();
        for stale in [format!(".s.PGSQL.{}.lock", self.port), format!(".s.PGSQL.{}", self.port)] {
            let _ = std::fs::remove_file(self.dir.path().join(stale));
        }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A Redis of the test's own (it keeps nothing on disk, like the shared one).
pub struct ThrowawayRedis {
    port: u16,
    process: Option<Child>,
}

impl ThrowawayRedis {
    pub fn start_new() -> ThrowawayRedis {
        let mut redis = ThrowawayRedis { port: free_port(), process: None };
        redis.start();
        redis
    }

    pub fn start(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) is needed by the fault tests");
        self.process = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, as `Child::kill` sends.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for ThrowawayRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` until it holds or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_crash_gets_fast_503s_then_recovery_with_nothing_committed_lost() {
    let pg = ThrowawayPostgres::start_new();
    let server = TestServer::start_with(|c| {
        c.database_url = pg.url();
        c.database_acquire_timeout_seconds = 1;
    })
    .await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let tokens = server.tokens(&Browser::new(&server), &client, &[("scope", "openid offline_access")]).await;
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let at = tokens["access_token"].as_str().unwrap().to_owned();

    pg.crash();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) =
            server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"], "temporarily_unavailable");
        assert!(started.elapsed() < Duration::from_secs(4), "failed fast: {:?}", started.elapsed());
    }
    let started = Instant::now();
    let page = http.get(server.authorize_url(&client, &[])).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.headers().get("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(http.get(server.url("/readyz")).send().await.unwrap().status(), 503);
    assert_eq!(
        http.get(server.url("/.well-known/openid-configuration")).send().await.unwrap().status(),
        200,
        "no database needed"
    );

    pg.start();
    let ready = eventually(Duration::from_secs(30), || async {
        http.get(server.url("/readyz")).send().await.map(|r| r.status() == 200).unwrap_or(false)
    })
    .await;
    assert!(ready, "the provider recovered on its own");
    assert_eq!(server.userinfo(&at).await.0, 200, "the grant survived the crash");
    let (status, body) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await;
    assert_eq!(status, 200, "the committed refresh token survived: {body}");
    // The resident, the client and the consent are all there: a new browser logs in and goes
    // straight back to the client.
    let login = Browser::new(&server);
    let page = login.open(&server.authorize_url(&client, &[])).await;
    let landing = login.login(&page, "camille@lyon.fr", crate::support::PASSWORD).await;
    assert!(landing.callback().contains_key("code"), "consent remembered across the crash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_costs_sessions_only() {
    let mut redis = ThrowawayRedis::start_new();
    let url = redis.url();
    let server = TestServer::start_with(|c| {
        c.redis_url = Some(url);
        c.redis_timeout_ms = 500;
    })
    .await;
    server.resident("camille@lyon.fr").await;
    let client = server.web_client().await;
    let browser = Browser::new(&server);
    let tokens = server.tokens(&browser, &client, &[("scope", "openid offline_access")]).await;
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

    redis.kill();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The authorization request is verified (client, redirect URI: the database is up), so the
    // failure goes back to the client as RFC 6749's temporarily_unavailable.
    let started = Instant::now();
    let page = http.get(server.authorize_url(&client, &[])).send().await.unwrap();
    assert_eq!(page.status(), 303);
    let location = url::Url::parse(page.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(&client.redirect_uri), "{location}");
    assert!(location.query_pairs().any(|(k, v)| k == "error" && v == "temporarily_unavailable"), "{location}");
    assert!(started.elapsed() < Duration::from_secs(4), "failed fast: {:?}", started.elapsed());
    let started = Instant::now();
    let (status, _) = server.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 503);
    assert!(started.elapsed() < Duration::from_secs(4));

    redis.start();
    let recovered = eventually(Duration::from_secs(30), || async {
        let response = http.get(server.authorize_url(&client, &[])).send().await;
        response.is_ok_and(|r| {
            r.headers().get("location").is_some_and(|l| l.to_str().unwrap_or_default().starts_with("/login/"))
        })
    })
    .await;
    assert!(recovered, "the provider reconnected on its own");
    // The browser session lived in Redis: gone. Everything durable is intact.
    let callback = browser.open(&server.authorize_url(&client, &[("prompt", "none")])).await.callback();
    assert_eq!(callback["error"], "login_required");
    let (status, refreshed) =
        server.post_as("/token", &client, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(server.userinfo(refreshed["access_token"].as_str().unwrap()).await.0, 200);
    let tokens = server.tokens(&browser, &client, &[]).await;
    assert!(tokens["id_token"].is_string(), "the resident logs in again, account and consent intact");
}
