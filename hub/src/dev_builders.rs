//! `kiln-hub dev --builders N`: registers N local build hosts (channels `default` and
//! `createrepo`, arches = this machine's arch and `noarch`) and runs a `kiln-builderd` for
//! each as a child process, found next to `kiln-hub`'s own executable.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::states::{UserStatus, UserType};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand::Rng;
use rand::distr::Alphanumeric;
use tracing::{info, warn};

use crate::Hub;
use crate::auth::password;
use crate::db::hosts::{ChannelKey, HostConfig, HostKey};
use crate::db::{self, Tx};
use crate::error::{Error, Result};

/// The builder processes of a development hub.
#[derive(Debug, Default)]
pub struct DevBuilders {
    children: Vec<(String, Child)>,
}

/// This machine's arch as RPM names it.
pub fn machine_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86" => "i686",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "arm" => "armv7hl",
        other => other,
    }
}

/// `kiln-builderd` next to the running executable.
pub fn builderd_path() -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| Error::io("find", "kiln-hub", e))?;
    let path = exe.with_file_name("kiln-builderd");
    if path.exists() {
        Ok(path)
    } else {
        Err(Error::Generic(format!(
            "kiln-builderd is not next to kiln-hub ({}); build it with cargo build",
            path.display()
        )))
    }
}

fn read_or_make_password(file: &Path) -> Result<String> {
    if let Ok(stored) = std::fs::read_to_string(file) {
        let stored = stored.trim().to_owned();
        if !stored.is_empty() {
            return Ok(stored);
        }
    }
    let generated: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    crate::dev::write_private(file, &generated)?;
    Ok(generated)
}

/// Makes sure host `name` exists with this password hash, these arches and channels.
async fn ensure_host(tx: &Tx<'_>, name: &str, hash: &str, arches: &str) -> Result<()> {
    let admin = db::users::get_by_name(tx, "admin")
        .await?
        .ok_or_else(|| Error::Internal("the admin user is missing".into()))?;
    let user_id = match db::users::get_by_name(tx, name).await? {
        Some(user) => user.id,
        None => db::users::create(tx, name, UserType::Host, UserStatus::Normal, None).await?,
    };
    db::users::set_password_hash(tx, user_id, Some(hash)).await?;
    let event = db::events::create(tx).await?;
    let host_id = match db::hosts::get(tx, HostKey::Name(name), None).await? {
        Some(host) => host.id,
        None => {
            let host_id = db::hosts::create(tx, user_id, name).await?;
            let config = HostConfig {
                arches: Some(arches.to_owned()),
                capacity: 2.0,
                description: Some("kiln-hub dev builder".into()),
                comment: None,
                enabled: true,
            };
            db::hosts::set_config(tx, host_id, &config, admin.id, event).await?;
            host_id
        }
    };
    let joined = db::hosts::host_channel_ids(tx, host_id).await?;
    for channel in ["default", "createrepo"] {
        let found = db::hosts::channel(tx, ChannelKey::Name(channel))
            .await?
            .ok_or_else(|| Error::Internal(format!("the {channel} channel is missing")))?;
        if !joined.contains(&found.id) {
            db::hosts::add_host_channel(tx, host_id, found.id, admin.id, event).await?;
        }
    }
    Ok(())
}

fn builder_config(server: &str, name: &str, password_file: &Path, workdir: &Path, topdir: &Path) -> String {
    format!(
        "server = {server:?}\nhost = {name:?}\npassword_file = {:?}\nworkdir = {:?}\ntopdir = {:?}\npoll_seconds = 10\n",
        password_file.display().to_string(),
        workdir.display().to_string(),
        topdir.display().to_string()
    )
}

impl DevBuilders {
    /// Registers `count` builders of `hub` (reachable at `server`) and starts them; their files
    /// live under `dir/builders`.
    pub async fn start(hub: &Hub, dir: &Path, server: &str, count: usize) -> Result<DevBuilders> {
        let mut builders = DevBuilders::default();
        if count == 0 {
            return Ok(builders);
        }
        let exe = builderd_path()?;
        let base = dir.join("builders");
        std::fs::create_dir_all(&base).map_err(|e| Error::io("create", &base, e))?;
        let arches = format!("{} noarch", machine_arch());
        for i in 1..=count {
            let name = format!("dev-builder{i}");
            let password_file = base.join(format!("{name}.password"));
            let password = read_or_make_password(&password_file)?;
            let hash = password::hash_blocking(password).await?;
            let client = hub.ctx.pool.get().await.map_err(Error::DatabaseOutage)?;
            client.batch_execute("BEGIN").await?;
            let tx = Tx::assume_begun(db::Client::of(&client));
            match ensure_host(&tx, &name, &hash, &arches).await {
                Ok(()) => client.batch_execute("COMMIT").await?,
                Err(e) => {
                    client.batch_execute("ROLLBACK").await?;
                    return Err(e);
                }
            }
            let workdir = base.join(&name);
            std::fs::create_dir_all(&workdir).map_err(|e| Error::io("create", &workdir, e))?;
            let config_file = base.join(format!("{name}.toml"));
            std::fs::write(
                &config_file,
                builder_config(server, &name, &password_file, &workdir, &hub.ctx.config.topdir),
            )
            .map_err(|e| Error::io("write", &config_file, e))?;
            let child = Command::new(&exe)
                .arg("--config")
                .arg(&config_file)
                .stdin(Stdio::null())
                .process_group(0)
                .spawn()
                .map_err(|e| Error::io("start", &exe, e))?;
            info!(host.name = %name, pid = child.id(), "started builder {name}");
            builders.children.push((name, child));
        }
        Ok(builders)
    }

    /// The builders' host names.
    pub fn names(&self) -> Vec<&str> {
        self.children.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Asks the builders to stop (SIGTERM; they give back their tasks) and waits for them,
    /// killing those that take longer than `grace`.
    pub fn stop(mut self, grace: Duration) {
        for (_, child) in &self.children {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
        let deadline = Instant::now() + grace;
        for (name, child) in &mut self.children {
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() >= deadline => {
                        warn!(host.name = %name, "builder {name} did not stop in time; killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        self.children.clear();
    }
}

impl Drop for DevBuilders {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
