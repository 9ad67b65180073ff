//! Figures for the task system (a benchmark, not a test; nothing is asserted):
//!
//! - pickup latency: from a task's creation to its handler starting on an idle builder
//!   (median and p99), read from the hub's `create_ts` and the first line of the task log;
//! - cycle throughput: `sleep 0` tasks created, assigned, opened and closed per second with
//!   four builders, and the database commits one cycle costs;
//! - the database's own limit on this machine: `pgbench` (TPC-B-like) transactions per second
//!   on a scratch database of the same server, divided by the commits per cycle.
//!
//! Run with `cargo bench -p kiln-tests --bench task_cycle` (`TEST_DATABASE_URL` as for tests;
//! `PGBENCH` names the pgbench binary, default `/usr/lib/postgresql/15/bin/pgbench`).

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::client::ClientSession;
use common::time::parse_client_time;
use common::xmlrpc::{Params, Struct, Value};
use hub::test_clients::{blocking, login, make_task};
use hub::testing::{TestHub, with_dbname};
use kiln_tests::cluster::{Builder, BuilderOptions, assert_clean, eventually, new_marker};

fn add_host(admin: &ClientSession, name: &str) {
    admin
        .call_kw(
            "addHost",
            vec![Value::from(name), Value::Array(vec![Value::from("x86_64")])],
            vec![("password", Value::from("hostpw"))],
        )
        .unwrap();
}

fn info(admin: &ClientSession, task_id: i64) -> Value {
    admin.call("getTaskInfo", vec![Value::Int(task_id)]).unwrap()
}

/// The time the handler started: the timestamp of the log line that says so.
fn handler_start(admin: &ClientSession, task_id: i64) -> f64 {
    let text = admin
        .call(
            "downloadTaskOutput",
            vec![Value::Int(task_id), Value::from("task.log")],
        )
        .unwrap();
    let log = base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap();
    let log = String::from_utf8_lossy(&log);
    let line = log.lines().find(|l| l.contains("handler for task")).unwrap();
    let stamp = line.split_whitespace().next().unwrap();
    parse_client_time(&Value::from(stamp)).unwrap() as f64 / 1e6
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs one SQL statement on `database_url` and returns the first column of the first row as
/// an integer, if there is one.
fn sql(runtime: &tokio::runtime::Handle, database_url: &str, statement: &str) -> Option<i64> {
    let pool = hub::db::connect_pool(database_url, 1).unwrap();
    runtime.block_on(async {
        let client = pool.get().await.unwrap();
        let rows = client.query(statement, &[]).await.unwrap();
        rows.first().map(|row| row.get::<_, i64>(0))
    })
}

fn xact_commits(runtime: &tokio::runtime::Handle, database_url: &str) -> i64 {
    let dbname = database_url
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("dbname="))
        .unwrap()
        .to_owned();
    sql(
        runtime,
        database_url,
        &format!("SELECT xact_commit FROM pg_stat_database WHERE datname = '{dbname}'"),
    )
    .unwrap()
}

/// The next transaction id PostgreSQL will hand out: only writing transactions take one, so
/// its growth counts write commits (reads excluded).
fn next_xid(runtime: &tokio::runtime::Handle, database_url: &str) -> i64 {
    sql(
        runtime,
        database_url,
        "SELECT txid_snapshot_xmax(txid_current_snapshot())",
    )
    .unwrap()
}

fn conn_args(database_url: &str) -> Vec<String> {
    let mut args = Vec::new();
    for kv in database_url.split_whitespace() {
        if let Some(host) = kv.strip_prefix("host=") {
            args.extend(["-h".to_owned(), host.to_owned()]);
        } else if let Some(user) = kv.strip_prefix("user=") {
            args.extend(["-U".to_owned(), user.to_owned()]);
        } else if let Some(port) = kv.strip_prefix("port=") {
            args.extend(["-p".to_owned(), port.to_owned()]);
        }
    }
    args
}

/// pgbench's TPC-B-like transactions per second on a scratch database.
fn pgbench_tps(runtime: &tokio::runtime::Handle, server_url: &str) -> f64 {
    let scratch = format!("kiln_pgbench_{}", std::process::id());
    let admin_url = with_dbname(server_url, "postgres");
    sql(runtime, &admin_url, &format!("DROP DATABASE IF EXISTS {scratch}"));
    sql(runtime, &admin_url, &format!("CREATE DATABASE {scratch}"));
    let pgbench = std::env::var("PGBENCH").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin/pgbench".into());
    let init = Command::new(&pgbench)
        .args(conn_args(server_url))
        .args(["-i", "-q", "-s", "10", &scratch])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let run = Command::new(&pgbench)
        .args(conn_args(server_url))
        .args(["-c", "8", "-j", "2", "-T", "15", &scratch])
        .output()
        .unwrap();
    sql(runtime, &admin_url, &format!("DROP DATABASE IF EXISTS {scratch}"));
    let text = String::from_utf8_lossy(&run.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .unwrap_or_else(|| panic!("no tps in pgbench output:\n{text}"));
    line.trim_start_matches("tps = ")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let hub = TestHub::start().await;
        hub.add_user("admin", "pw", &["admin"]).await;
        let url = hub.url();
        let database_url = hub.db.url.clone();
        let dir = tempfile::tempdir().unwrap();
        let files = dir.path().to_path_buf();
        let handle = tokio::runtime::Handle::current();
        blocking(move || {
            let marker = new_marker();
            let admin = login(&url, "admin", "pw");
            let options = BuilderOptions {
                poll_seconds: 10.0,
                maxjobs: 10,
                topdir: None,
            };
            let mut builders = Vec::new();
            for i in 1..=4 {
                let name = format!("b{i}");
                add_host(&admin, &name);
                builders.push(Builder::start(&url, &name, "hostpw", &files, &marker, &options));
            }
            eventually(Duration::from_secs(60), "builders to check in", || {
                let ready = admin
                    .call_kw("listHosts", vec![], vec![("ready", Value::Bool(true))])
                    .unwrap();
                (ready.as_array().unwrap().len() == 4).then_some(())
            });
            std::thread::sleep(Duration::from_secs(1));

            // Pickup latency, one task at a time on idle builders.
            let mut latencies = Vec::new();
            for _ in 0..200 {
                let task = make_task(&admin, "sleep", vec![Value::Int(0)], vec![]);
                eventually(Duration::from_secs(30), "the task to close", || {
                    (info(&admin, task).get("state") == Some(&Value::Int(2))).then_some(())
                });
                let created = info(&admin, task).get("create_ts").and_then(|v| match v {
                    Value::Double(d) => Some(*d),
                    _ => None,
                });
                latencies.push((handler_start(&admin, task) - created.unwrap()) * 1000.0);
            }
            latencies.sort_by(f64::total_cmp);
            println!(
                "pickup latency (creation to handler start, idle builder, {} tasks): median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                latencies.len(),
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99),
                latencies.last().unwrap()
            );

            // Cycle throughput with four builders.
            let n = 800;
            let commits_before = xact_commits(&handle, &database_url);
            let xid_before = next_xid(&handle, &database_url);
            let start = Instant::now();
            let calls: Vec<(String, Params)> = (0..n)
                .map(|_| {
                    let mut keywords = Struct::new();
                    keywords.insert("method".into(), Value::from("sleep"));
                    keywords.insert("arglist".into(), Value::Array(vec![Value::Int(0)]));
                    ("makeTask".to_owned(), Params { positional: vec![], keywords })
                })
                .collect();
            let created: Vec<i64> = admin
                .multicall(calls)
                .unwrap()
                .into_iter()
                .map(|r| r.unwrap().as_i64().unwrap())
                .collect();
            eventually(Duration::from_secs(600), "all tasks to close", || {
                let open = admin
                    .call(
                        "listTasks",
                        vec![
                            Value::structure([("state", Value::Array(vec![Value::Int(0), Value::Int(1), Value::Int(4)]))]),
                            Value::structure([("countOnly", Value::Bool(true))]),
                        ],
                    )
                    .unwrap();
                (open == Value::Int(0)).then_some(())
            });
            let elapsed = start.elapsed().as_secs_f64();
            // PostgreSQL publishes a backend's counters within a second or so.
            std::thread::sleep(Duration::from_millis(1500));
            let commits = xact_commits(&handle, &database_url) - commits_before;
            let writes = next_xid(&handle, &database_url) - xid_before;
            let all_per_cycle = commits as f64 / created.len() as f64;
            let per_cycle = writes as f64 / created.len() as f64;
            let throughput = created.len() as f64 / elapsed;
            println!(
                "cycle throughput (4 builders, {n} sleep-0 tasks): {throughput:.1} tasks/s ({elapsed:.1} s); \
                 {per_cycle:.1} write commits per cycle ({all_per_cycle:.1} transactions with reads)"
            );
            let daemon_calls = sql(
                &handle,
                &database_url,
                "SELECT coalesce(sum(callnum + 1), 0)::bigint FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE u.usertype = 1 AND s.master IS NULL",
            )
            .unwrap_or(0);
            let task_calls = sql(
                &handle,
                &database_url,
                "SELECT coalesce(sum(callnum + 1), 0)::bigint FROM sessions WHERE master IS NOT NULL",
            )
            .unwrap_or(0);
            let total_tasks = 200.0 + created.len() as f64;
            println!(
                "calls per task: {:.1} by the daemons, {:.1} by the task processes (both runs, {total_tasks} tasks)",
                daemon_calls as f64 / total_tasks,
                task_calls as f64 / total_tasks
            );
            let tps = pgbench_tps(&handle, &database_url);
            println!(
                "pgbench (TPC-B-like, 8 clients) on the same server: {tps:.0} tps; / {per_cycle:.1} write commits per cycle = {:.0} cycles/s ceiling",
                tps / per_cycle
            );
            assert_clean(&admin, &mut builders, &marker);
        })
        .await;
    });
}
