//! The tag cache: answers stay right after changes made through this hub (at once) and through
//! another hub on the same database (once its notification arrives).

use std::time::{Duration, Instant};

use common::client::{ClientConfig, ClientSession};
use common::xmlrpc::{Params, Value};
use hub::Hub;
use hub::testing::TestHub;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn arches(value: &Value) -> Option<String> {
    value.get("arches").and_then(Value::as_str).map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_tags_follow_changes_from_every_hub() {
    let first = TestHub::start().await;
    first.add_user("admin", "pw", &["admin"]).await;
    // A second hub on the same database.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = first.ctx.config.clone();
    config.listen = listener.local_addr().unwrap();
    let second = Hub::start(config).await.unwrap();
    let second_url = format!("http://{}/kojihub", listener.local_addr().unwrap());
    let second_ctx = second.ctx.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        second
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(first.ctx.wakeups.is_listening() && second_ctx.wakeups.is_listening()) {
        assert!(Instant::now() < deadline, "the hubs never started listening");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (a_url, b_url) = (first.url(), second_url.clone());
    let a = blocking(move || {
        let a = ClientSession::new(ClientConfig::new(a_url)).unwrap();
        a.login_password("admin", "pw").unwrap();
        a
    })
    .await;
    let b = ClientSession::new(ClientConfig::new(b_url)).unwrap();
    let (a, b) = blocking(move || {
        // Misses are cached too: the tag does not exist yet on either hub.
        assert_eq!(a.call("getTag", vec![Value::from("cached")]).unwrap(), Value::Nil);
        assert_eq!(b.call("getTag", vec![Value::from("cached")]).unwrap(), Value::Nil);
        a.call_kw(
            "createTag",
            vec![Value::from("cached")],
            vec![("arches", Value::from("x86_64"))],
        )
        .unwrap();
        // The hub that made the change answers right at once.
        let tag = a.call("getTag", vec![Value::from("cached")]).unwrap();
        assert_eq!(arches(&tag).as_deref(), Some("x86_64"));
        let listed = a.call("listTags", vec![]).unwrap();
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.get("name") == Some(&Value::from("cached")))
        );
        // The cached listing (sent pre-encoded) says what an uncached query says.
        assert_eq!(a.call("listTags", vec![]).unwrap(), listed);
        let uncached = a
            .call_kw("listTags", vec![], vec![("pattern", Value::from("*"))])
            .unwrap();
        assert_eq!(uncached, listed);
        (a, b)
    })
    .await;
    // The other hub learns from the notification.
    blocking(move || {
        for expected in ["x86_64", "aarch64"] {
            if expected == "aarch64" {
                a.call_kw(
                    "editTag2",
                    vec![Value::from("cached")],
                    vec![("arches", Value::from("aarch64"))],
                )
                .unwrap();
                let tag = a.call("getTag", vec![Value::from("cached")]).unwrap();
                assert_eq!(arches(&tag).as_deref(), Some("aarch64"));
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let tag = b.call("getTag", vec![Value::from("cached")]).unwrap();
                if arches(&tag).as_deref() == Some(expected) {
                    break;
                }
                assert!(Instant::now() < deadline, "the second hub still answers {tag}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    })
    .await;
    // Repeated reads were answered from the caches.
    let hits_before = first.ctx.tag_cache.hits();
    let url = first.url();
    blocking(move || {
        let anonymous = ClientSession::new(ClientConfig::new(url)).unwrap();
        for _ in 0..5 {
            anonymous.call("getTag", vec![Value::from("cached")]).unwrap();
        }
    })
    .await;
    assert!(
        first.ctx.tag_cache.hits() >= hits_before + 4,
        "the cache was not used"
    );
    let _ = stop.send(());
    let _ = serving.await;
}

fn call(method: &str, positional: Vec<Value>, keywords: Vec<(&str, Value)>) -> (String, Params) {
    let mut params = Params {
        positional,
        keywords: Default::default(),
    };
    for (name, value) in keywords {
        params.keywords.insert(name.to_owned(), value);
    }
    (method.to_owned(), params)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multicalls_see_their_own_tag_changes_and_reads_fail_alone() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !hub.ctx.wakeups.is_listening() {
        assert!(Instant::now() < deadline, "the hub never started listening");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let url = hub.url();
    blocking(move || {
        let admin = ClientSession::new(ClientConfig::new(url)).unwrap();
        admin.login_password("admin", "pw").unwrap();
        admin
            .call_kw(
                "createTag",
                vec![Value::from("mc")],
                vec![("arches", Value::from("x86_64"))],
            )
            .unwrap();
        // Fill the cache with the current answer.
        assert_eq!(
            arches(&admin.call("getTag", vec![Value::from("mc")]).unwrap()).as_deref(),
            Some("x86_64")
        );

        // A writing multicall: the getTag after the edit sees the edit, not the cached answer.
        let results = admin
            .multicall(vec![
                call(
                    "editTag2",
                    vec![Value::from("mc")],
                    vec![("arches", Value::from("aarch64"))],
                ),
                call("getTag", vec![Value::from("mc")], vec![]),
            ])
            .unwrap();
        assert_eq!(arches(results[1].as_ref().unwrap()).as_deref(), Some("aarch64"));
        assert_eq!(
            arches(&admin.call("getTag", vec![Value::from("mc")]).unwrap()).as_deref(),
            Some("aarch64")
        );

        // A read-only multicall: a failing sub-call does not spoil the ones after it.
        let results = admin
            .multicall(vec![
                call(
                    "getTag",
                    vec![Value::from("nope")],
                    vec![("strict", Value::Bool(true))],
                ),
                call("getTaskInfo", vec![Value::from("not a number")], vec![]),
                call("getTag", vec![Value::from("mc")], vec![]),
                call("getLoggedInUser", vec![], vec![]),
            ])
            .unwrap();
        assert_eq!(results[0].as_ref().unwrap_err().code, 1000);
        assert!(results[1].is_err());
        assert_eq!(arches(results[2].as_ref().unwrap()).as_deref(), Some("aarch64"));
        assert_eq!(
            results[3].as_ref().unwrap().get("name").and_then(Value::as_str),
            Some("admin")
        );
    })
    .await;
}
