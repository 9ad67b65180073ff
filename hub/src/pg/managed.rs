//! A PostgreSQL cluster the hub runs itself when no database is configured: `initdb` and
//! `pg_ctl` from the installed PostgreSQL, on a private Unix socket, as an unprivileged user
//! when the hub runs as root (PostgreSQL refuses to run as root).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::unistd::{Gid, Uid, User};
use tokio::process::Command;
use tracing::{info, warn};

use crate::error::{Error, Result};

/// The superuser name of managed clusters.
pub const DB_USER: &str = "kiln";

/// Longest Unix socket path the kernel accepts (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// A running managed cluster.
#[derive(Debug)]
pub struct ManagedPostgres {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<(Uid, Gid)>,
}

/// Settings for a managed cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Trade durability for speed (`fsync=off`), for throwaway test clusters.
    pub unsafe_fast: bool,
}

impl ManagedPostgres {
    /// Starts (initialising if needed) the cluster under `base/postgres`. A cluster left running
    /// by a previous hub that died is adopted.
    pub async fn start(base: &Path, options: &ClusterOptions) -> Result<ManagedPostgres> {
        let bin_dir = find_bin_dir()?;
        let run_as = unprivileged_user()?;
        let root = cluster_root(base, run_as)?;
        let data_dir = root.join("data");
        let run_dir = root.join("run");
        let socket_dir = socket_dir_for(&run_dir)?;
        for dir in [&root, &run_dir, &socket_dir] {
            create_owned_dir(dir, run_as)?;
        }
        let log_file = run_dir.join("postgres.log");
        let cluster = ManagedPostgres {
            data_dir,
            socket_dir,
            log_file,
            bin_dir,
            run_as,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb().await?;
        }
        if cluster.is_running().await {
            info!(data_dir = %cluster.data_dir.display(), "adopted the managed PostgreSQL that was already running");
        } else {
            cluster.pg_ctl_start(options).await?;
        }
        Ok(cluster)
    }

    /// A connection string for a database of this cluster.
    pub fn connection_string(&self, dbname: &str) -> String {
        format!(
            "host={} user={DB_USER} dbname={dbname}",
            self.socket_dir.display()
        )
    }

    /// The directory holding the cluster's socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The directory holding the server's binaries (for `pgbench` and friends).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Creates a database if it does not exist yet.
    pub async fn ensure_database(&self, dbname: &str) -> Result<()> {
        let (client, connection) =
            tokio_postgres::connect(&self.connection_string("postgres"), tokio_postgres::NoTls).await?;
        let task = tokio::spawn(connection);
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&dbname],
            )
            .await?
            .get(0);
        if !exists {
            let quoted = format!("\"{}\"", dbname.replace('"', "\"\""));
            client.batch_execute(&format!("CREATE DATABASE {quoted}")).await?;
            info!(database = %dbname, "created database {dbname}");
        }
        drop(client);
        let _ = task.await;
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        command.stdin(Stdio::null()).kill_on_drop(false);
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command.env_remove("PGDATA").env("LC_ALL", "C");
        command
    }

    async fn run(&self, mut command: Command, what: &str) -> Result<()> {
        let output = command.output().await.map_err(|e| Error::io("run", what, e))?;
        if output.status.success() {
            return Ok(());
        }
        Err(Error::Generic(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            String::from_utf8_lossy(&output.stdout).trim()
        )))
    }

    async fn initdb(&self) -> Result<()> {
        info!(data_dir = %self.data_dir.display(), "initialising a managed PostgreSQL cluster");
        let mut command = self.command("initdb");
        command.arg("-D").arg(&self.data_dir).args([
            "-U",
            DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ]);
        self.run(command, "initdb").await
    }

    async fn is_running(&self) -> bool {
        let mut command = self.command("pg_ctl");
        command
            .arg("status")
            .arg("-D")
            .arg(&self.data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        matches!(command.status().await, Ok(status) if status.success())
    }

    async fn pg_ctl_start(&self, options: &ClusterOptions) -> Result<()> {
        let mut server_options = format!(
            "-k {} -c listen_addresses='' -c max_connections=200 -c shared_buffers=128MB",
            self.socket_dir.display()
        );
        if options.unsafe_fast {
            server_options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let mut command = self.command("pg_ctl");
        command
            .arg("start")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args(["-w", "-t", "120", "-o", &server_options]);
        self.run(command, "pg_ctl start")
            .await
            .map_err(|e| Error::Generic(format!("{e} (see {})", self.log_file.display())))?;
        info!(socket_dir = %self.socket_dir.display(), "managed PostgreSQL is running");
        Ok(())
    }

    /// Stops the cluster (fast shutdown: connections are closed, transactions roll back).
    pub async fn stop(&self) -> Result<()> {
        let mut command = self.command("pg_ctl");
        command
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", "60"]);
        self.run(command, "pg_ctl stop").await?;
        info!("managed PostgreSQL stopped");
        Ok(())
    }
}

/// Finds the PostgreSQL server binaries: `$KILN_PG_BIN`, then Debian's
/// `/usr/lib/postgresql/<newest>/bin`, then Fedora's `/usr/bin`, then `pg_config --bindir`.
pub fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KILN_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, e.path().join("bin")))
            })
            .filter(|(_, bin)| has_initdb(bin))
            .collect();
        versions.sort();
        if let Some((_, bin)) = versions.pop() {
            return Ok(bin);
        }
    }
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/local/pgsql/bin"] {
        if has_initdb(Path::new(dir)) {
            return Ok(PathBuf::from(dir));
        }
    }
    if let Ok(output) = std::process::Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_initdb(&dir) {
            return Ok(dir);
        }
    }
    Err(Error::Generic(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL (Debian/Ubuntu: apt-get install \
         postgresql; Fedora: dnf install postgresql-server) or set database_url"
            .into(),
    ))
}

/// The user to run PostgreSQL as: none when we are not root, else `postgres` or `nobody`.
fn unprivileged_user() -> Result<Option<(Uid, Gid)>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name) {
            return Ok(Some((user.uid, user.gid)));
        }
    }
    Err(Error::Generic(
        "running as root, but neither a postgres nor a nobody user exists to run PostgreSQL as".into(),
    ))
}

/// Where the cluster lives: `base/postgres`, unless the unprivileged user cannot reach it (a
/// state directory under `/root`, say), in which case under `/var/tmp` with a symlink there.
fn cluster_root(base: &Path, run_as: Option<(Uid, Gid)>) -> Result<PathBuf> {
    std::fs::create_dir_all(base).map_err(|e| Error::io("create", base, e))?;
    let base = base.canonicalize().map_err(|e| Error::io("resolve", base, e))?;
    let link = base.join("postgres");
    if let Ok(target) = std::fs::read_link(&link) {
        return Ok(target);
    }
    let Some((uid, _)) = run_as else {
        return Ok(link);
    };
    if reachable_by(&base, uid) {
        return Ok(link);
    }
    let name: String = base
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let relocated = Path::new("/var/tmp/kiln-postgres").join(name.trim_start_matches('_'));
    std::fs::create_dir_all(&relocated).map_err(|e| Error::io("create", &relocated, e))?;
    std::os::unix::fs::symlink(&relocated, &link).map_err(|e| Error::io("link", &link, e))?;
    warn!(
        cluster = %relocated.display(),
        "{} is not reachable by the PostgreSQL user; the cluster lives in {} instead",
        base.display(),
        relocated.display()
    );
    Ok(relocated)
}

/// True if every directory from `/` to `dir` lets `uid` through.
fn reachable_by(dir: &Path, uid: Uid) -> bool {
    dir.ancestors().all(|d| match std::fs::metadata(d) {
        Ok(meta) => meta.uid() == uid.as_raw() || meta.mode() & 0o001 != 0,
        Err(_) => false,
    })
}

/// The socket directory: `run_dir` when its socket path fits, else a short one under `/tmp`.
fn socket_dir_for(run_dir: &Path) -> Result<PathBuf> {
    if run_dir.join(".s.PGSQL.5432").as_os_str().len() <= MAX_SOCKET_PATH {
        return Ok(run_dir.to_path_buf());
    }
    let digest = run_dir
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    Ok(PathBuf::from(format!("/tmp/kiln-pg-{digest:016x}")))
}

fn create_owned_dir(dir: &Path, run_as: Option<(Uid, Gid)>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    if let Some((uid, gid)) = run_as {
        nix::unistd::chown(dir, Some(uid), Some(gid))
            .map_err(|e| Error::io("chown", dir, std::io::Error::from_raw_os_error(e as i32)))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io("chmod", dir, e))?;
    Ok(())
}
