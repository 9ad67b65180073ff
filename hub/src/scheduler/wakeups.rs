//! Wake-ups from PostgreSQL: one connection per hub LISTENs to the channels the `task` trigger
//! notifies on commit, and fans them out to long-polling calls in this process.
//!
//! Waiters subscribe before they look at the database and then wait, so nothing committed in
//! between is missed. If the listening connection is down they fall back to polling, and every
//! reconnection wakes everyone once, since notifications sent meanwhile are lost.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::AsyncMessage;
use tracing::{info, warn};

/// A change to a task held by a host (`kiln_host`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostEvent {
    /// The host that holds (or held) the task.
    pub host_id: i64,
    /// The task.
    pub task_id: i64,
    /// The task's new state (`TASK_STATES` number).
    pub state: i32,
}

impl HostEvent {
    /// Reads a `kiln_host` payload: `"<host> <task> <state>"`.
    pub fn parse(payload: &str) -> Option<HostEvent> {
        let mut parts = payload.split_whitespace().map(str::parse::<i64>);
        let host_id = parts.next()?.ok()?;
        let task_id = parts.next()?.ok()?;
        let state = i32::try_from(parts.next()?.ok()?).ok()?;
        Some(HostEvent {
            host_id,
            task_id,
            state,
        })
    }
}

/// The fan-out of task notifications inside one hub.
#[derive(Debug)]
pub struct Wakeups {
    work: watch::Sender<u64>,
    hosts: broadcast::Sender<HostEvent>,
    done: broadcast::Sender<i64>,
    listening: AtomicBool,
    /// Moves on every `kiln_tags` notification and reconnection (see `cache::TagCache`).
    tags: AtomicU64,
    /// Changes when tag contents or repo requests change, or a task finishes (the repo loop).
    repo_work: watch::Sender<u64>,
}

impl Default for Wakeups {
    fn default() -> Self {
        Wakeups::new()
    }
}

impl Wakeups {
    /// No subscribers yet, not listening yet.
    pub fn new() -> Wakeups {
        Wakeups {
            work: watch::channel(0).0,
            hosts: broadcast::channel(4096).0,
            done: broadcast::channel(4096).0,
            listening: AtomicBool::new(false),
            tags: AtomicU64::new(0),
            repo_work: watch::channel(0).0,
        }
    }

    /// Changes whenever a task became FREE (or anything may have been missed).
    pub fn work(&self) -> watch::Receiver<u64> {
        self.work.subscribe()
    }

    /// Changes to tasks held by hosts.
    pub fn host_events(&self) -> broadcast::Receiver<HostEvent> {
        self.hosts.subscribe()
    }

    /// Parents whose children finished.
    pub fn done_events(&self) -> broadcast::Receiver<i64> {
        self.done.subscribe()
    }

    /// True while the listening connection is up: waiters may then rely on notifications and
    /// poll only rarely.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// How long a waiter may sleep before looking at the database again on its own.
    pub fn fallback_poll(&self) -> Duration {
        if self.is_listening() {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(250)
        }
    }

    /// The generation of tag changes announced by notifications.
    pub fn tag_generation(&self) -> u64 {
        self.tags.load(Ordering::Acquire)
    }

    /// Changes when the repo loop may have work.
    pub fn repo_work(&self) -> watch::Receiver<u64> {
        self.repo_work.subscribe()
    }

    fn wake_repo_loop(&self) {
        self.repo_work
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    fn wake_everyone(&self) {
        self.work
            .send_modify(|generation| *generation = generation.wrapping_add(1));
        self.wake_repo_loop();
    }

    /// Delivers one notification.
    pub fn deliver(&self, channel: &str, payload: &str) {
        match channel {
            "kiln_task_work" => self.wake_everyone(),
            "kiln_tags" => {
                self.tags.fetch_add(1, Ordering::AcqRel);
                self.wake_repo_loop();
            }
            "kiln_tag_content" | "kiln_repo_work" => self.wake_repo_loop(),
            "kiln_host" => {
                if let Some(event) = HostEvent::parse(payload) {
                    // A finished task may be a newRepo task the repo loop waits for.
                    if matches!(event.state, 2 | 3 | 5) {
                        self.wake_repo_loop();
                    }
                    let _ = self.hosts.send(event);
                }
            }
            "kiln_task_done" => {
                if let Ok(parent) = payload.trim().parse::<i64>() {
                    let _ = self.done.send(parent);
                }
            }
            _ => {}
        }
    }
}

/// The channels the `task` trigger (and tag changes) notify.
const CHANNELS: &str = "LISTEN kiln_task_work; LISTEN kiln_host; LISTEN kiln_task_done; LISTEN kiln_tags; \
     LISTEN kiln_tag_content; LISTEN kiln_repo_work";

/// Listens until the process ends, reconnecting with a backoff.
pub async fn listen(wakeups: Arc<Wakeups>, database_url: String) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen_once(&wakeups, &database_url).await {
            Ok(()) => {
                warn!("the notification connection closed; reconnecting");
                backoff = Duration::from_millis(100);
            }
            Err(e) => {
                warn!(error = %e, "the notification connection failed ({e}); retrying in {backoff:?}");
            }
        }
        wakeups.listening.store(false, Ordering::Relaxed);
        // Tag changes announced while disconnected are lost: forget what was cached.
        wakeups.tags.fetch_add(1, Ordering::AcqRel);
        wakeups.wake_everyone();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn listen_once(wakeups: &Wakeups, database_url: &str) -> Result<(), tokio_postgres::Error> {
    let mut config = match tokio_postgres::Config::from_str(database_url) {
        Ok(config) => config,
        Err(e) => return Err(e),
    };
    config.application_name("kiln-hub-listener");
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if sender
                        .send((n.channel().to_owned(), n.payload().to_owned()))
                        .is_err()
                    {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let result = async {
        client.batch_execute(CHANNELS).await?;
        wakeups.tags.fetch_add(1, Ordering::AcqRel);
        wakeups.listening.store(true, Ordering::Relaxed);
        wakeups.wake_everyone();
        info!("listening for task notifications");
        while let Some((channel, payload)) = receiver.recv().await {
            wakeups.deliver(&channel, &payload);
        }
        Ok(())
    }
    .await;
    drop(client);
    match driver.await {
        Ok(Err(e)) => Err(e),
        _ => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_payloads_parse() {
        assert_eq!(
            HostEvent::parse("3 42 1"),
            Some(HostEvent {
                host_id: 3,
                task_id: 42,
                state: 1
            })
        );
        assert_eq!(HostEvent::parse("3 42"), None);
        assert_eq!(HostEvent::parse("x 1 2"), None);
    }

    #[tokio::test]
    async fn deliveries_reach_subscribers() {
        let wakeups = Wakeups::new();
        let mut work = wakeups.work();
        let mut hosts = wakeups.host_events();
        let mut done = wakeups.done_events();
        wakeups.deliver("kiln_task_work", "");
        wakeups.deliver("kiln_host", "1 2 3");
        wakeups.deliver("kiln_task_done", "7");
        wakeups.deliver("kiln_task_done", "junk");
        assert!(work.has_changed().unwrap());
        work.mark_unchanged();
        assert_eq!(hosts.recv().await.unwrap().task_id, 2);
        assert_eq!(done.recv().await.unwrap(), 7);
        assert!(done.try_recv().is_err());
    }
}
