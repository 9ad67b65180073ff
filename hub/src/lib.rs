//! Kiln's hub: a passive XML-RPC server, wire-compatible with Koji 1.36, that alone owns the
//! PostgreSQL database and the file store.
//!
//! `main` loads the configuration and calls [`Hub::start`] then [`Hub::serve`]; everything else
//! is reachable from here so tests can run a hub in-process.

#![warn(clippy::print_stdout, clippy::print_stderr)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod auth;
pub mod cache;
pub mod comps;
pub mod config;
pub mod ctx;
pub mod db;
pub mod dev;
pub mod dev_builders;
pub mod error;
pub mod files;
pub mod host;
pub mod http;
pub mod inheritance;
pub mod logging;
pub mod mbs;
pub mod pg;
pub mod pyjson;
pub mod repos;
pub mod root;
pub mod rpc;
pub mod scheduler;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod test_clients;
#[cfg(feature = "testing")]
pub mod test_rpms;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod testing_content;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tracing::info;

pub use config::Config;
pub use ctx::Ctx;
pub use error::{Error, Result};

use pg::managed::{ClusterOptions, ManagedPostgres};

/// The database name of managed clusters.
pub const MANAGED_DB_NAME: &str = "kiln";

/// A hub ready to serve: database reachable, schema current.
pub struct Hub {
    /// The shared context.
    pub ctx: Arc<Ctx>,
    managed: Option<ManagedPostgres>,
    /// The notification listener and the scheduler's periodic check, stopped with the hub.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Hub {
    /// Connects to the configured database, or starts the managed cluster when none is
    /// configured, and brings the schema up to date.
    pub async fn start(config: Config) -> Result<Hub> {
        let (database_url, managed) = match &config.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let cluster = ManagedPostgres::start(&config.state_dir, &ClusterOptions::default()).await?;
                cluster.ensure_database(MANAGED_DB_NAME).await?;
                (cluster.connection_string(MANAGED_DB_NAME), Some(cluster))
            }
        };
        let pool = db::connect_pool(&database_url, config.db_pool_size)?;
        {
            let mut client = pool.get().await.map_err(Error::DatabaseOutage)?;
            db::schema::apply(&mut client).await?;
        }
        let repos_dir = config.topdir.join("repos");
        std::fs::create_dir_all(&repos_dir).map_err(|e| Error::io("create", &repos_dir, e))?;
        let tls = config.tls.as_ref().map(http::tls::acceptor).transpose()?;
        let ctx = Ctx::new(config, pool, tls);
        let background = vec![
            tokio::spawn(scheduler::wakeups::listen(ctx.wakeups.clone(), database_url)),
            tokio::spawn(scheduler::monitor::run(ctx.clone())),
            tokio::spawn(repos::policy::run(ctx.clone())),
        ];
        Ok(Hub {
            ctx,
            managed,
            background,
        })
    }

    /// The managed cluster, when the hub runs one.
    pub fn managed_postgres(&self) -> Option<&ManagedPostgres> {
        self.managed.as_ref()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        if let Ok(addr) = listener.local_addr() {
            info!(listen = %addr, "hub listening on {addr}");
        }
        serve(listener, self.ctx.clone(), shutdown).await;
    }

    /// Closes the pool and stops the managed cluster, if any.
    pub async fn stop(self) -> Result<()> {
        for task in &self.background {
            task.abort();
        }
        self.ctx.pool.close();
        if let Some(cluster) = self.managed {
            cluster.stop().await?;
        }
        Ok(())
    }
}

/// Serves XML-RPC (and the rest of the hub's HTTP) on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, ctx: Arc<Ctx>, shutdown: impl Future<Output = ()>) {
    http::server::serve(listener, ctx, shutdown).await;
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
