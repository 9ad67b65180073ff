//! The task-cycle scenario: an admin creates `sleep` tasks while simulated builder hosts (real
//! host accounts, logged in with exclusive sessions) drive them through `host.getTasks`,
//! `host.openTask` and `host.closeTask`. It measures tasks per second, the time from a task's
//! creation to its opening, and (with `--pg`) the write commits one cycle costs.
//!
//! PostgreSQL's transaction ids count write transactions, but a multicall's writing sub-calls
//! each take one too (for their savepoint) while the multicall commits once. So the ids one
//! creation multicall takes are measured first, on tasks no host can take (canceled after),
//! and the creation's ids are replaced by its commits: one per multicall.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::xmlrpc::{Value, encode_response};

use crate::Args;
use crate::pg;
use crate::rpc::{BoxError, Conn};
use crate::scenarios::Row;

/// Tasks made per `multiCall` by the admin.
const CREATE_BATCH: usize = 50;

/// Creation instants of tasks by id, filled by the creator, read by the hosts.
type Created = Arc<Mutex<HashMap<i64, Instant>>>;

/// What the simulated hosts did, together.
#[derive(Debug, Default)]
struct Progress {
    /// Tasks closed.
    closed: AtomicUsize,
    /// `host.getTasks` calls that returned no task.
    idle_polls: AtomicUsize,
}

/// An arch no simulated host has, for the tasks that measure what creating tasks costs.
const NO_HOST_ARCH: &str = "bench_none";

fn make_task_call(arch: Option<&str>) -> Value {
    let mut options = vec![
        ("method", Value::from("sleep")),
        ("arglist", Value::Array(vec![Value::Int(0)])),
    ];
    if let Some(arch) = arch {
        options.push(("arch", Value::from(arch)));
    }
    options.push(("__starstar", Value::Bool(true)));
    Value::structure([
        ("methodName", Value::from("makeTask")),
        ("params", Value::Array(vec![Value::structure(options)])),
    ])
}

/// Makes `count` tasks in one multicall and returns their ids.
async fn make_tasks(admin: &mut Conn, count: usize, arch: Option<&str>) -> Result<Vec<i64>, BoxError> {
    let calls = Value::Array((0..count).map(|_| make_task_call(arch)).collect());
    let results = admin.call("multiCall", &[calls]).await??;
    let mut ids = Vec::with_capacity(count);
    for result in results.as_array().into_iter().flatten() {
        match result.as_array().and_then(|r| r.first()).and_then(Value::as_i64) {
            Some(id) => ids.push(id),
            None => return Err(format!("makeTask failed: {result:?}").into()),
        }
    }
    Ok(ids)
}

/// The transaction ids one creation multicall of [`CREATE_BATCH`] tasks takes, measured on
/// tasks no host can take, which are canceled afterwards.
async fn creation_ids_per_task(args: &Args, conn: &str, admin: &mut Conn) -> Result<f64, BoxError> {
    let before = pg::write_counters(args, conn).await?;
    let ids = make_tasks(admin, CREATE_BATCH, Some(NO_HOST_ARCH)).await?;
    let after = pg::write_counters(args, conn).await?;
    let cancels = Value::Array(
        ids.iter()
            .map(|id| {
                Value::structure([
                    ("methodName", Value::from("cancelTask")),
                    ("params", Value::Array(vec![Value::Int(*id)])),
                ])
            })
            .collect(),
    );
    admin.call("multiCall", &[cancels]).await??;
    Ok((after - before) as f64 / CREATE_BATCH as f64)
}

async fn admin_conn(args: &Args) -> Result<Conn, BoxError> {
    let (Some(user), Some(password)) = (&args.user, &args.password) else {
        return Err("needs --user and --password (an admin)".into());
    };
    let mut conn = Conn::connect(&args.hub).await?;
    conn.login(user, password).await?;
    Ok(conn)
}

/// Creates the simulated hosts (Kiln's `addHost(…, password=…)`) and returns their names.
async fn add_hosts(admin: &mut Conn, count: usize, password: &str) -> Result<Vec<String>, BoxError> {
    let mut names = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("bench-host-{}-{i}", std::process::id());
        admin
            .call(
                "addHost",
                &[
                    Value::from(name.as_str()),
                    Value::Array(vec![Value::from("x86_64"), Value::from("noarch")]),
                    Value::structure([
                        ("password", Value::from(password)),
                        ("__starstar", Value::Bool(true)),
                    ]),
                ],
            )
            .await?
            .map_err(|f| format!("addHost: {}", f.message))?;
        admin
            .call(
                "editHost",
                &[
                    Value::from(name.as_str()),
                    Value::structure([
                        ("capacity", Value::Double(1000.0)),
                        ("__starstar", Value::Bool(true)),
                    ]),
                ],
            )
            .await?
            .map_err(|f| format!("editHost: {}", f.message))?;
        names.push(name);
    }
    Ok(names)
}

/// One simulated host: logs in, checks in, then takes, opens and closes tasks until `total`
/// have been closed by all hosts together. Returns creation-to-open latencies.
async fn run_host(
    args: &Args,
    name: &str,
    password: &str,
    created: Created,
    progress: Arc<Progress>,
    total: usize,
    deadline: Instant,
) -> Result<Vec<Duration>, BoxError> {
    let mut conn = Conn::connect(&args.hub).await?;
    conn.login(name, password).await?;
    conn.call("exclusiveSession", &[]).await??;
    conn.call("host.updateHost", &[Value::Double(0.0), Value::Bool(true)])
        .await??;
    let result = encode_response(&Value::from("slept"));
    let mut latencies = Vec::new();
    while progress.closed.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        let tasks = conn.call("host.getTasks", &[]).await??;
        let ids: Vec<i64> = tasks
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.get("id").and_then(Value::as_i64))
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() {
            progress.idle_polls.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        for id in ids {
            if conn.call("host.openTask", &[Value::Int(id)]).await??.is_nil() {
                continue;
            }
            let opened = Instant::now();
            if let Some(start) = created.lock().map_err(|_| "poisoned")?.get(&id) {
                latencies.push(opened.saturating_duration_since(*start));
            }
            conn.call("host.closeTask", &[Value::Int(id), Value::from(result.as_str())])
                .await??;
            progress.closed.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(latencies)
}

fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Runs the cycle with `hosts` simulated hosts over `total` tasks.
pub async fn task_cycle(args: &Args, hosts: usize, total: usize) -> Result<Row, BoxError> {
    let password = format!("bench-{}", std::process::id());
    let mut admin = admin_conn(args).await?;
    let names = add_hosts(&mut admin, hosts, &password).await?;
    let created: Created = Arc::new(Mutex::new(HashMap::new()));
    let progress = Arc::new(Progress::default());
    let deadline = Instant::now() + Duration::from_secs(600);
    let creation_ids = match &args.pg {
        Some(conn) => Some(creation_ids_per_task(args, conn, &mut admin).await?),
        None => None,
    };
    let counters_before = match &args.pg {
        Some(conn) => Some(pg::write_counters(args, conn).await?),
        None => None,
    };
    let started = Instant::now();
    let cpu_start = crate::cpu::mark();
    let mut workers = Vec::new();
    for name in names {
        let args = args.clone();
        let (created, progress, password) = (created.clone(), progress.clone(), password.clone());
        workers.push(tokio::spawn(async move {
            run_host(&args, &name, &password, created, progress, total, deadline).await
        }));
    }
    let mut made = 0;
    let mut multicalls = 0_usize;
    while made < total {
        let batch = CREATE_BATCH.min(total - made);
        let ids = make_tasks(&mut admin, batch, None).await?;
        let now = Instant::now();
        let mut map = created.lock().map_err(|_| "poisoned")?;
        for id in ids {
            map.insert(id, now);
        }
        made += batch;
        multicalls += 1;
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        match worker.await? {
            Ok(l) => latencies.extend(l),
            Err(e) => {
                errors += 1;
                eprintln!("kiln-bench: a simulated host stopped: {e}");
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_end = crate::cpu::mark();
    let done = progress.closed.load(Ordering::Relaxed);
    let idle_polls = progress.idle_polls.load(Ordering::Relaxed);
    latencies.sort();
    let mut note = format!(
        "{hosts} simulated hosts, {done} tasks, {:.2} idle polls per task; p50/p99 = creation to open",
        idle_polls as f64 / done.max(1) as f64
    );
    let mut commits_per_cycle = None;
    if let (Some(before), Some(conn), Some(creation_ids)) = (counters_before, &args.pg, creation_ids) {
        // PostgreSQL publishes a backend's counters within a second or so.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = pg::write_counters(args, conn).await?;
        let ids = (after - before) as f64;
        let commits = ids - creation_ids * made as f64 + multicalls as f64;
        let per_cycle = commits / done.max(1) as f64;
        commits_per_cycle = Some(per_cycle);
        note.push_str(&format!(
            "; {per_cycle:.2} write commits per cycle ({:.2} transaction ids, {creation_ids:.2} per created task)",
            ids / done.max(1) as f64
        ));
    }
    Ok(Row {
        scenario: "task-cycle".into(),
        clients: hosts,
        per_second: done as f64 / elapsed,
        p50_ms: percentile_ms(&latencies, 0.5),
        p99_ms: percentile_ms(&latencies, 0.99),
        errors,
        note,
        commits_per_cycle,
        cpu_ms: crate::cpu::ms_per_op(cpu_start, cpu_end, done as f64),
    })
}
