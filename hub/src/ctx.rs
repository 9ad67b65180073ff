//! The hub's shared state, built once at start and passed to every call in an `Arc`.

use std::sync::Arc;

use crate::auth::callnums::CallnumMarks;
use crate::cache::TagCache;
use crate::config::Config;
use crate::db::Pool;
use crate::scheduler::Wakeups;

/// Everything a call may need from the hub.
pub struct Ctx {
    /// The configuration, as loaded.
    pub config: Config,
    /// The database pool.
    pub pool: Pool,
    /// The TLS acceptor, when `[tls]` is configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Task notifications for long-polling calls.
    pub wakeups: Arc<Wakeups>,
    /// Cached answers of the hot tag reads.
    pub tag_cache: TagCache,
    /// The highest call number each session used on this hub.
    pub callnums: CallnumMarks,
}

impl Ctx {
    /// Builds the context.
    pub fn new(config: Config, pool: Pool, tls: Option<tokio_rustls::TlsAcceptor>) -> Arc<Ctx> {
        Arc::new(Ctx {
            config,
            pool,
            tls,
            wakeups: Arc::new(Wakeups::new()),
            tag_cache: TagCache::default(),
            callnums: CallnumMarks::default(),
        })
    }
}
