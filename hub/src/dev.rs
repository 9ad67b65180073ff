//! `kiln-hub dev`: a complete development hub in one directory: a managed PostgreSQL, a topdir,
//! a private CA with a server certificate and an admin client certificate, the `admin` user,
//! and ready-to-paste client commands.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::states::{UserStatus, UserType};
use rand::Rng;
use rand::distr::Alphanumeric;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::Hub;
use crate::auth::password;
use crate::config::{Config, TlsConfig};
use crate::db::{self, Tx};
use crate::error::{Error, Result};

/// What `kiln-hub dev` was asked for.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// The directory holding everything.
    pub dir: PathBuf,
    /// Where to listen; `None` means 127.0.0.1:8080, or a free port if that is taken.
    pub listen: Option<SocketAddr>,
    /// The admin password; `None` keeps the one stored in the directory, or makes one.
    pub admin_password: Option<String>,
}

/// Files of the development PKI.
#[derive(Debug, Clone)]
pub struct DevPki {
    /// The CA certificate (PEM): the hub's `client_ca` and the clients' `serverca`.
    pub ca_cert: PathBuf,
    /// The server certificate (PEM).
    pub server_cert: PathBuf,
    /// The server key (PEM).
    pub server_key: PathBuf,
    /// The admin client certificate and key in one PEM file, as Koji's `cert` option wants.
    pub admin_cert: PathBuf,
}

/// Writes a file only its owner may read.
pub fn write_private(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io("write", path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io("chmod", path, e))
}

fn pki_error(e: rcgen::Error) -> Error {
    Error::Internal(format!("certificate generation failed: {e}"))
}

/// Creates the development CA and certificates under `dir/pki`, unless they exist.
pub fn ensure_pki(dir: &Path) -> Result<DevPki> {
    let pki = dir.join("pki");
    let files = DevPki {
        ca_cert: pki.join("ca.crt"),
        server_cert: pki.join("server.crt"),
        server_key: pki.join("server.key"),
        admin_cert: pki.join("admin.pem"),
    };
    if [
        &files.ca_cert,
        &files.server_cert,
        &files.server_key,
        &files.admin_cert,
    ]
    .iter()
    .all(|p| p.exists())
    {
        return Ok(files);
    }
    std::fs::create_dir_all(&pki).map_err(|e| Error::io("create", &pki, e))?;
    let ca_key = KeyPair::generate().map_err(pki_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Kiln development CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(pki_error)?;

    let server_key = KeyPair::generate().map_err(pki_error)?;
    let mut server_params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .map_err(pki_error)?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &ca).map_err(pki_error)?;

    let admin_key = KeyPair::generate().map_err(pki_error)?;
    let mut admin_params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
    admin_params.distinguished_name.push(DnType::CommonName, "admin");
    admin_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let admin_cert = admin_params.signed_by(&admin_key, &ca).map_err(pki_error)?;

    std::fs::write(&files.ca_cert, ca.pem()).map_err(|e| Error::io("write", &files.ca_cert, e))?;
    std::fs::write(&files.server_cert, server_cert.pem())
        .map_err(|e| Error::io("write", &files.server_cert, e))?;
    write_private(&files.server_key, &server_key.serialize_pem())?;
    write_private(
        &files.admin_cert,
        &format!("{}{}", admin_cert.pem(), admin_key.serialize_pem()),
    )?;
    info!(dir = %pki.display(), "created a development CA and certificates in {}", pki.display());
    Ok(files)
}

/// The admin password: the one given, else the one stored in the directory, else a new one.
fn admin_password(dir: &Path, given: Option<String>) -> Result<(String, bool)> {
    let file = dir.join("admin-password");
    if let Some(password) = given {
        write_private(&file, &password)?;
        return Ok((password, true));
    }
    if let Ok(stored) = std::fs::read_to_string(&file) {
        let stored = stored.trim().to_owned();
        if !stored.is_empty() {
            return Ok((stored, false));
        }
    }
    let generated: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    write_private(&file, &generated)?;
    Ok((generated, true))
}

/// Makes sure user `name` exists with `password` (re-hashed when `set_password`) and holds the
/// admin permission.
pub async fn ensure_admin(hub: &Hub, name: &str, password: &str, set_password: bool) -> Result<()> {
    let client = hub.ctx.pool.get().await.map_err(Error::DatabaseOutage)?;
    let hash = password::hash_blocking(password.to_owned()).await?;
    client.batch_execute("BEGIN").await?;
    let tx = Tx::assume_begun(db::Client::of(&client));
    let result = ensure_admin_in(&tx, name, &hash, set_password).await;
    match result {
        Ok(()) => client.batch_execute("COMMIT").await?,
        Err(e) => {
            client.batch_execute("ROLLBACK").await?;
            return Err(e);
        }
    }
    Ok(())
}

async fn ensure_admin_in(tx: &Tx<'_>, name: &str, hash: &str, set_password: bool) -> Result<()> {
    let user_id = match db::users::get_by_name(tx, name).await? {
        Some(user) => {
            if set_password || user.password_hash.is_none() {
                db::users::set_password_hash(tx, user.id, Some(hash)).await?;
            }
            if user.status != UserStatus::Normal {
                db::users::set_status(tx, user.id, UserStatus::Normal).await?;
            }
            user.id
        }
        None => db::users::create(tx, name, UserType::Normal, UserStatus::Normal, Some(hash)).await?,
    };
    let admin = db::users::permission_by_name(tx, "admin")
        .await?
        .ok_or_else(|| Error::Internal("the admin permission is missing from the schema".into()))?;
    if !db::users::has_direct_permission(tx, user_id, admin.id).await? {
        let event = db::events::create(tx).await?;
        db::users::grant_permission(tx, user_id, admin.id, user_id, event).await?;
    }
    Ok(())
}

/// Binds the requested address, or 127.0.0.1:8080 falling back to a free port.
async fn bind(listen: Option<SocketAddr>) -> Result<TcpListener> {
    match listen {
        Some(addr) => TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io("listen on", addr.to_string(), e)),
        None => match TcpListener::bind(("127.0.0.1", 8080)).await {
            Ok(listener) => Ok(listener),
            Err(e) => {
                warn!("127.0.0.1:8080 is not available ({e}); using a free port");
                TcpListener::bind(("127.0.0.1", 0))
                    .await
                    .map_err(|e| Error::io("listen on", "127.0.0.1:0", e))
            }
        },
    }
}

/// A development hub, started and listening but not yet serving.
pub struct DevHub {
    /// The hub.
    pub hub: Hub,
    /// The bound listener.
    pub listener: TcpListener,
    /// The address clients use.
    pub addr: SocketAddr,
    /// The admin password.
    pub admin_password: String,
    /// The certificates.
    pub pki: DevPki,
    /// The Koji client configuration written for this hub.
    pub koji_conf: PathBuf,
}

/// Prepares the directory, starts the hub and binds the listener.
pub async fn start(options: DevOptions) -> Result<DevHub> {
    let dir = &options.dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let dir = dir.canonicalize().map_err(|e| Error::io("resolve", dir, e))?;
    let pki = ensure_pki(&dir)?;
    let listener = bind(options.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("inspect", "listener", e))?;
    let base_url = format!("http://{addr}");
    let config = Config {
        listen: addr,
        state_dir: dir.clone(),
        topdir: dir.join("topdir"),
        database_url: None,
        topurl: Some(format!("{base_url}/kojifiles")),
        weburl: Some(format!("{base_url}/koji")),
        tls: Some(TlsConfig {
            cert: pki.server_cert.clone(),
            key: pki.server_key.clone(),
            client_ca: Some(pki.ca_cert.clone()),
        }),
        limits: Default::default(),
        auth: Default::default(),
        db_pool_size: 16,
        scheduler: Default::default(),
        repos: Default::default(),
        mbs: crate::mbs::config::MbsConfig::dev(),
        allowed_scms: vec!["git+file://*".to_owned(), "git+https://*".to_owned()],
    };
    let hub = Hub::start(config).await?;
    let (admin_password, changed) = admin_password(&dir, options.admin_password)?;
    ensure_admin(&hub, "admin", &admin_password, changed).await?;
    let koji_conf = dir.join("koji.conf");
    std::fs::write(&koji_conf, koji_conf_text(addr, &pki, &dir.join("topdir")))
        .map_err(|e| Error::io("write", &koji_conf, e))?;
    Ok(DevHub {
        hub,
        listener,
        addr,
        admin_password,
        pki,
        koji_conf,
    })
}

/// A Koji client configuration with two profiles: `koji` (password) and `kiln-cert`
/// (the admin certificate over https). `topdir` makes the paths the client prints (e.g.
/// `buildinfo`'s RPM paths) the hub's real ones.
pub fn koji_conf_text(addr: SocketAddr, pki: &DevPki, topdir: &std::path::Path) -> String {
    let mut text = String::new();
    let topdir = topdir.display();
    let _ = writeln!(
        text,
        "[koji]\nserver = http://{addr}/kojihub\ntopurl = http://{addr}/kojifiles\ntopdir = {topdir}\nweburl = http://{addr}/koji\nauthtype = password\n"
    );
    let _ = writeln!(
        text,
        "[kiln-cert]\nserver = https://{addr}/kojihub\ntopurl = http://{addr}/kojifiles\ntopdir = {topdir}\nweburl = http://{addr}/koji\nauthtype = ssl\ncert = {}\nserverca = {}",
        pki.admin_cert.display(),
        pki.ca_cert.display()
    );
    text
}

impl DevHub {
    /// The text printed when the hub is up.
    pub fn banner(&self) -> String {
        let conf = self.koji_conf.display();
        format!(
            "Kiln development hub\n\
             \n\
             \x20 XML-RPC:   http://{addr}/kojihub  (https on the same port)\n\
             \x20 web:       {weburl}  (log in as admin, or with the admin certificate over https)\n\
             \x20 admin:     user admin, password {password}\n\
             \x20 directory: {dir}\n\
             \n\
             Try it with the stock koji client:\n\
             \x20 koji -c {conf} --user admin --password {password} hello\n\
             \x20 koji -c {conf} -p kiln-cert hello\n\
             \n\
             Press Ctrl-C to stop.\n",
            addr = self.addr,
            weburl = self
                .hub
                .ctx
                .config
                .weburl
                .as_deref()
                .unwrap_or("(not configured)"),
            password = self.admin_password,
            dir = self.hub.ctx.config.state_dir.display(),
        )
    }
}
