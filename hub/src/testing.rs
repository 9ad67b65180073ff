//! Test support (the `testing` feature): a fresh database per test, copied from a template that
//! holds `schema.sql`, and an in-process hub on a free port.
//!
//! The server is `TEST_DATABASE_URL` when set (a server where tests may create databases), else
//! a throwaway cluster this process starts itself and that dies with it. If neither works, the
//! test fails with a message saying what to install; it never skips.

#![expect(clippy::expect_used, reason = "test support fails loudly, by design")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::states::{UserStatus, UserType};
use tokio::sync::oneshot;

use crate::config::{AuthConfig, Config, Limits, SchedulerConfig, TlsConfig};
use crate::db::{self, Pool, Tx};
use crate::pg::managed;
use crate::{Ctx, Hub};

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    /// Its connection string.
    pub url: String,
    name: String,
}

static SERVER_URL: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces (or adds) the database name in a connection string of either form.
pub fn with_dbname(url: &str, dbname: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
    {
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let authority = authority.split_once('/').map_or(authority, |(a, _)| a);
        return match query {
            Some(q) => format!("postgresql://{authority}/{dbname}?{q}"),
            None => format!("postgresql://{authority}/{dbname}"),
        };
    }
    let kept: Vec<&str> = url
        .split_whitespace()
        .filter(|kv| !kv.starts_with("dbname="))
        .collect();
    format!("{} dbname={dbname}", kept.join(" "))
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server ({url}): {e}"));
    tokio::spawn(connection);
    client
}

fn schema_digest() -> String {
    let digest = db::schema::SCHEMA_SQL
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{digest:016x}")
}

impl TestDb {
    /// A fresh database with the current schema.
    pub async fn new() -> TestDb {
        let server = SERVER_URL.get_or_init(server_url);
        let admin = connect(&with_dbname(server, "postgres")).await;
        let template = format!("kiln_template_{}", schema_digest());
        admin
            .execute("SELECT pg_advisory_lock(4242)", &[])
            .await
            .expect("advisory lock");
        let exists: bool = admin
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&template],
            )
            .await
            .expect("query pg_database")
            .get(0);
        if !exists {
            let building = format!("{template}_building");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
                .await
                .expect("drop stale template");
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .await
                .expect("create template");
            {
                let mut client = connect(&with_dbname(server, &building)).await;
                db::schema::apply(&mut client)
                    .await
                    .expect("apply schema to the template");
            }
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .await
                .expect("rename template");
        }
        admin
            .execute("SELECT pg_advisory_unlock(4242)", &[])
            .await
            .expect("advisory unlock");
        let name = format!(
            "kiln_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut attempts = 0;
        loop {
            match admin
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .await
            {
                Ok(()) => break,
                Err(e) if attempts < 50 => {
                    attempts += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot create test database {name}: {e}"),
            }
        }
        TestDb {
            url: with_dbname(server, &name),
            name,
        }
    }

    /// A pool on this database.
    pub fn pool(&self) -> Pool {
        db::connect_pool(&self.url, 8).expect("test pool")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(server) = SERVER_URL.get().cloned() else {
            return;
        };
        let name = self.name.clone();
        // Drop from a thread of its own: this may run inside a runtime that is shutting down.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let admin = connect(&with_dbname(&server, "postgres")).await;
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

fn server_url() -> String {
    if let Some(url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        return url;
    }
    private_cluster()
}

/// Starts a cluster for this test process only: `postgres` runs as a direct child that gets
/// SIGINT when the process dies (PR_SET_PDEATHSIG), from a thread that lives as long as it.
fn private_cluster() -> String {
    let bin =
        managed::find_bin_dir().unwrap_or_else(|e| panic!("tests need PostgreSQL or TEST_DATABASE_URL: {e}"));
    remove_stale_clusters();
    let dir = tempfile::Builder::new()
        .prefix("kiln-test-pg-")
        .tempdir_in("/tmp")
        .expect("temp dir")
        .keep();
    let run_as = if nix::unistd::Uid::effective().is_root() {
        let user = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .or_else(|| nix::unistd::User::from_name("nobody").ok().flatten())
            .expect("running as root: a postgres or nobody user is needed to run PostgreSQL");
        nix::unistd::chown(&dir, Some(user.uid), Some(user.gid)).expect("chown test cluster dir");
        Some((user.uid.as_raw(), user.gid.as_raw()))
    } else {
        None
    };
    let data = dir.join("data");
    let mut initdb = std::process::Command::new(bin.join("initdb"));
    initdb.arg("-D").arg(&data).args([
        "-U",
        managed::DB_USER,
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
    ]);
    initdb.stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some((uid, gid)) = run_as {
        std::os::unix::process::CommandExt::uid(&mut initdb, uid);
        std::os::unix::process::CommandExt::gid(&mut initdb, gid);
    }
    let output = initdb.output().expect("run initdb");
    assert!(
        output.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let socket_dir = dir.clone();
    std::thread::spawn(move || {
        let mut command = std::process::Command::new(bin.join("postgres"));
        command.arg("-D").arg(&data).arg("-k").arg(&socket_dir).args([
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
        ]);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        if let Some((uid, gid)) = run_as {
            std::os::unix::process::CommandExt::uid(&mut command, uid);
            std::os::unix::process::CommandExt::gid(&mut command, gid);
        }
        #[expect(
            unsafe_code,
            reason = "pre_exec is how to ask for a parent-death signal before exec"
        )]
        // SAFETY: prctl is async-signal-safe and the closure touches nothing else.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGINT).map_err(std::io::Error::from)
            });
        }
        let mut child = command.spawn().expect("start postgres");
        let _ = ready_tx.send(());
        let _ = child.wait();
    });
    ready_rx.recv().expect("postgres thread");
    let url = format!("host={} user={} dbname=postgres", dir.display(), managed::DB_USER);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join(".s.PGSQL.5432").exists() {
        assert!(
            Instant::now() < deadline,
            "the test PostgreSQL did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    url
}

/// Removes clusters of earlier test processes that are gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("kiln-test-pg-"));
        if !is_ours {
            continue;
        }
        let pid = std::fs::read_to_string(path.join("data/postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
        let alive =
            pid.is_some_and(|pid| nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok());
        if !alive {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// An in-process hub on a free port, with its own database and topdir.
pub struct TestHub {
    /// The hub's context.
    pub ctx: Arc<Ctx>,
    /// The listening address.
    pub addr: SocketAddr,
    /// The database.
    pub db: TestDb,
    /// The topdir and other files.
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Options for a test hub.
#[derive(Debug, Clone, Default)]
pub struct TestHubOptions {
    /// TLS files.
    pub tls: Option<TlsConfig>,
    /// Session and login rules.
    pub auth: Option<AuthConfig>,
    /// Request limits.
    pub limits: Option<Limits>,
    /// Scheduling and host liveness.
    pub scheduler: Option<SchedulerConfig>,
    /// The Module Build Service (default: a development hub's).
    pub mbs: Option<crate::mbs::config::MbsConfig>,
}

impl TestHub {
    /// Starts a hub with default options.
    pub async fn start() -> TestHub {
        TestHub::start_with(TestHubOptions::default()).await
    }

    /// Starts a hub.
    pub async fn start_with(options: TestHubOptions) -> TestHub {
        crate::logging::init_for_test();
        let db = TestDb::new().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let config = Config {
            listen: addr,
            state_dir: dir.path().join("state"),
            topdir: dir.path().join("topdir"),
            database_url: Some(db.url.clone()),
            topurl: Some(format!("http://{addr}/kojifiles")),
            weburl: Some(format!("http://{addr}/koji")),
            tls: options.tls,
            limits: options.limits.unwrap_or_default(),
            auth: options.auth.unwrap_or_default(),
            db_pool_size: 8,
            scheduler: options.scheduler.unwrap_or_default(),
            allowed_scms: vec!["git+file://*".to_owned(), "git+https://*".to_owned()],
            mbs: options.mbs.unwrap_or_else(crate::mbs::config::MbsConfig::dev),
        };
        let hub = Hub::start(config).await.expect("start hub");
        let ctx = hub.ctx.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            hub.serve(listener, async {
                let _ = stopped.await;
            })
            .await;
            let _ = hub.stop().await;
        });
        TestHub {
            ctx,
            addr,
            db,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The XML-RPC URL.
    pub fn url(&self) -> String {
        format!("http://{}/kojihub", self.addr)
    }

    /// Creates a user with a password and, optionally, permissions. Returns its id.
    pub async fn add_user(&self, name: &str, password: &str, perms: &[&str]) -> i64 {
        add_user(&self.ctx.pool, name, password, perms).await
    }

    /// Stops the hub and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The topdir.
    pub fn topdir(&self) -> PathBuf {
        self.ctx.config.topdir.clone()
    }

    /// The directory holding test files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Creates a user with a password and, optionally, permissions, in the database behind
/// `pool`. Returns its id.
pub async fn add_user(pool: &Pool, name: &str, password: &str, perms: &[&str]) -> i64 {
    let client = pool.get().await.expect("pool");
    let hash = crate::auth::password::hash(password).expect("hash");
    client.batch_execute("BEGIN").await.expect("begin");
    let tx = Tx::assume_begun(db::Client::of(&client));
    let user_id = db::users::create(&tx, name, UserType::Normal, UserStatus::Normal, Some(&hash))
        .await
        .expect("create user");
    for perm in perms {
        let perm_id = match db::users::permission_by_name(&tx, perm).await.expect("perm") {
            Some(p) => p.id,
            None => db::users::create_permission(&tx, perm, None)
                .await
                .expect("create perm"),
        };
        let event = db::events::create(&tx).await.expect("event");
        db::users::grant_permission(&tx, user_id, perm_id, user_id, event)
            .await
            .expect("grant");
    }
    client.batch_execute("COMMIT").await.expect("commit");
    user_id
}

/// Posts a raw body to `url` with extra headers; returns the status and the body text.
pub fn raw_post(url: &str, body: impl AsRef<[u8]>, headers: &[(&str, String)]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let mut response = request.send(body.as_ref()).expect("raw post");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, text)
}

/// An XML-RPC fault document's code and message, or `None` for a success response.
pub fn fault_of(document: &str) -> Option<(i32, String)> {
    match common::xmlrpc::decode_response(document.as_bytes()) {
        Ok(Err(fault)) => Some((fault.code, fault.message)),
        _ => None,
    }
}
