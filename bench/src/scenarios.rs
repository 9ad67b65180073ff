//! The scenarios, the measurement loop, and the report (table and JSON).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::xmlrpc::{Value, encode_call};
use serde::Serialize;

use crate::Args;
use crate::pg;
use crate::rpc::{BoxError, Conn};

/// One measured row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Successful calls per second (for multicall: multicalls per second).
    pub per_second: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Calls that failed (transport errors or faults).
    pub errors: u64,
    /// Free text: what was measured.
    pub note: String,
    /// For task-cycle with `--pg`: the write commits one task cycle took.
    pub commits_per_cycle: Option<f64>,
    /// CPU milliseconds the whole machine spent per call (per cycle for task-cycle): the hub,
    /// its database and this load generator, when they share the machine.
    pub cpu_ms: Option<f64>,
}

/// A task-cycle figure beside the database's bound on it.
#[derive(Debug, Clone, Serialize)]
pub struct CycleBound {
    /// Simulated hosts.
    pub hosts: usize,
    /// Task cycles per second.
    pub per_second: f64,
    /// Durable commits per second the database manages (best pgbench simple-update figure).
    pub commit_limit: f64,
    /// Write commits one cycle took.
    pub commits_per_cycle: f64,
    /// `commit_limit / commits_per_cycle`: the cycles per second the commits allow.
    pub bound: f64,
    /// `per_second` as a percentage of `bound`.
    pub percent: f64,
    /// CPU milliseconds the machine spent per cycle.
    pub cpu_ms_per_cycle: Option<f64>,
    /// CPU milliseconds the machine spent per pgbench simple-update transaction (the commit
    /// limit's run).
    pub cpu_ms_per_commit: Option<f64>,
    /// The cycles per second the machine's cores allow at `cpu_ms_per_cycle`.
    pub cpu_bound: Option<f64>,
}

/// Everything measured in a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The hub URL.
    pub hub: String,
    /// Measured rows.
    pub rows: Vec<Row>,
    /// Scenarios skipped and why.
    pub skipped: Vec<(String, String)>,
    /// Hub resident memory in MiB at idle.
    pub hub_rss_idle_mib: Option<f64>,
    /// Highest hub resident memory seen under load, in MiB.
    pub hub_rss_peak_mib: Option<f64>,
    /// pgbench figures.
    pub pgbench: Vec<pg::Figure>,
}

impl Report {
    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "hub: {}", self.hub);
        let _ = writeln!(
            out,
            "{:<22} {:>7} {:>12} {:>9} {:>9} {:>7}  note",
            "scenario", "clients", "per second", "p50 ms", "p99 ms", "errors"
        );
        for row in &self.rows {
            let _ = writeln!(
                out,
                "{:<22} {:>7} {:>12.0} {:>9.2} {:>9.2} {:>7}  {}{}",
                row.scenario,
                row.clients,
                row.per_second,
                row.p50_ms,
                row.p99_ms,
                row.errors,
                row.note,
                cpu_note(row.cpu_ms, row.note.is_empty())
            );
        }
        for figure in &self.pgbench {
            let _ = writeln!(
                out,
                "{:<22} {:>7} {:>12.0}  (PostgreSQL's own limit, pgbench){}",
                format!("pgbench {}", figure.test),
                figure.clients,
                figure.tps,
                cpu_note(figure.cpu_ms, false)
            );
        }
        for bound in self.cycle_bounds() {
            let _ = writeln!(
                out,
                "task-cycle, {} hosts: {:.0}/s = {:.0}% of the commit bound {:.0}/s \
                 (pgbench simple-update {:.0}/s / {:.2} commits per cycle)",
                bound.hosts,
                bound.per_second,
                bound.percent,
                bound.bound,
                bound.commit_limit,
                bound.commits_per_cycle
            );
            if let (Some(cycle), Some(commit), Some(cpu_bound)) =
                (bound.cpu_ms_per_cycle, bound.cpu_ms_per_commit, bound.cpu_bound)
            {
                let _ = writeln!(
                    out,
                    "task-cycle, {} hosts: the machine spent {cycle:.2} CPU ms per cycle \
                     ({:.1} pgbench commits' worth at {commit:.3} ms each); its {} cores allow \
                     {cpu_bound:.0} cycles/s at that cost",
                    bound.hosts,
                    cycle / commit,
                    crate::cpu::cores()
                );
            }
        }
        if let (Some(idle), Some(peak)) = (self.hub_rss_idle_mib, self.hub_rss_peak_mib) {
            let _ = writeln!(
                out,
                "hub resident memory: {idle:.1} MiB idle, {peak:.1} MiB peak under load"
            );
        }
        for (name, why) in &self.skipped {
            let _ = writeln!(out, "skipped {name}: {why}");
        }
        out
    }

    /// Each task-cycle row against the bound the database puts on it: its commit limit (the
    /// best pgbench simple-update rate of the run, durable one-row updates) divided by the
    /// commits one cycle takes.
    pub fn cycle_bounds(&self) -> Vec<CycleBound> {
        let best = self
            .pgbench
            .iter()
            .filter(|figure| figure.test == "simple-update")
            .max_by(|a, b| a.tps.total_cmp(&b.tps));
        let Some(best) = best else {
            return Vec::new();
        };
        let commit_limit = best.tps;
        self.rows
            .iter()
            .filter(|row| row.scenario == "task-cycle")
            .filter_map(|row| {
                let commits_per_cycle = row.commits_per_cycle.filter(|c| *c > 0.0)?;
                let bound = commit_limit / commits_per_cycle;
                Some(CycleBound {
                    hosts: row.clients,
                    per_second: row.per_second,
                    commit_limit,
                    commits_per_cycle,
                    bound,
                    percent: row.per_second / bound * 100.0,
                    cpu_ms_per_cycle: row.cpu_ms,
                    cpu_ms_per_commit: best.cpu_ms,
                    cpu_bound: row
                        .cpu_ms
                        .filter(|ms| *ms > 0.0)
                        .map(|ms| crate::cpu::cores() as f64 * 1000.0 / ms),
                })
            })
            .collect()
    }

    /// The JSON form.
    pub fn json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let (Some(object), Ok(bounds)) = (value.as_object_mut(), serde_json::to_value(self.cycle_bounds()))
        {
            object.insert("task_cycle_bounds".into(), bounds);
        }
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// What each simulated client sends.
#[derive(Clone)]
enum Workload {
    /// The same pre-encoded call every time.
    Fixed(Bytes),
    /// A fresh `createTag` per call.
    CreateTag,
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn measure(
    args: &Args,
    name: &str,
    clients: usize,
    workload: Workload,
    auth: bool,
    peak: &mut Option<f64>,
) -> Result<Row, BoxError> {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut conn = Conn::connect(&args.hub).await?;
        if auth {
            conn.login(
                args.user.as_deref().unwrap_or_default(),
                args.password.as_deref().unwrap_or_default(),
            )
            .await?;
        }
        conns.push(conn);
    }
    let deadline = Instant::now() + args.measure_for();
    let started = Instant::now();
    let cpu_start = crate::cpu::mark();
    let run_id = started.elapsed().as_nanos() ^ u128::from(std::process::id());
    let workload = Arc::new(workload);
    let mut tasks = Vec::new();
    for (worker, mut conn) in conns.into_iter().enumerate() {
        let workload = workload.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0_u64;
            let mut n = 0_u64;
            while Instant::now() < deadline {
                let body = match &*workload {
                    Workload::Fixed(body) => body.clone(),
                    Workload::CreateTag => {
                        n += 1;
                        Bytes::from(encode_call(
                            "createTag",
                            &[Value::from(format!("bench-{run_id:x}-{worker}-{n}"))],
                        ))
                    }
                };
                let start = Instant::now();
                match conn.send_checked(body).await {
                    Ok(true) => latencies.push(start.elapsed()),
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let sampler = args.hub_pid.map(|pid| {
        tokio::spawn(async move {
            let mut high: f64 = 0.0;
            while Instant::now() < deadline {
                if let Some(rss) = rss_mib(pid) {
                    high = high.max(rss);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            high
        })
    });
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    if let Some(sampler) = sampler {
        let high = sampler.await?;
        *peak = Some(peak.unwrap_or(0.0).max(high));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok(Row {
        scenario: name.to_owned(),
        clients,
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        errors,
        note: String::new(),
        commits_per_cycle: None,
        cpu_ms: crate::cpu::ms_per_op(cpu_start, crate::cpu::mark(), latencies.len() as f64),
    })
}

/// Creates tags (in multicalls of 100 `createTag`) until the hub lists at least `wanted`;
/// returns how many it lists then.
async fn populate_tags(args: &Args, wanted: usize) -> Result<usize, BoxError> {
    let (Some(user), Some(password)) = (&args.user, &args.password) else {
        return Err("--tags-in-db needs an admin --user and --password".into());
    };
    let mut conn = Conn::connect(&args.hub).await?;
    conn.login(user, password).await?;
    let count = |tags: Value| tags.as_array().map_or(0, |t| t.len());
    let mut have = count(conn.call("listTags", &[]).await??);
    let mut next = 0_usize;
    while have < wanted {
        let batch = (wanted - have).min(100);
        let calls = (0..batch)
            .map(|i| {
                Value::structure([
                    ("methodName", Value::from("createTag")),
                    (
                        "params",
                        Value::Array(vec![Value::from(format!(
                            "bench-many-{}-{}",
                            std::process::id(),
                            next + i
                        ))]),
                    ),
                ])
            })
            .collect();
        let results = conn.call("multiCall", &[Value::Array(calls)]).await??;
        if let Some(fault) = results
            .as_array()
            .and_then(|r| r.iter().find_map(|entry| entry.get("faultString")))
        {
            return Err(format!("createTag failed: {fault}").into());
        }
        next += batch;
        have += batch;
    }
    Ok(count(conn.call("listTags", &[]).await??))
}

/// `N CPU ms each` for a table line, when measured, after `; ` unless it stands alone.
fn cpu_note(cpu_ms: Option<f64>, alone: bool) -> String {
    match cpu_ms {
        Some(ms) if alone => format!("{ms:.3} CPU ms each"),
        Some(ms) => format!("; {ms:.3} CPU ms each"),
        None => String::new(),
    }
}

/// Checks a method with one call; `Err` explains why the scenario cannot run.
async fn probe(args: &Args, method: &str, params: &[Value], auth: bool) -> Result<Value, String> {
    let mut conn = Conn::connect(&args.hub).await.map_err(|e| e.to_string())?;
    if auth {
        let (Some(user), Some(password)) = (&args.user, &args.password) else {
            return Err("needs --user and --password".into());
        };
        conn.login(user, password)
            .await
            .map_err(|e| format!("login failed: {e}"))?;
    }
    match conn.call(method, params).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(fault)) => Err(format!("{method} faulted: {}", fault.message)),
        Err(e) => Err(e.to_string()),
    }
}

fn wanted(args: &Args, name: &str) -> bool {
    args.scenarios.is_empty() || args.scenarios.iter().any(|s| s == name)
}

/// Runs every requested scenario the hub supports.
pub async fn run_all(args: &Args) -> Result<Report, BoxError> {
    let mut report = Report {
        hub: args.hub.clone(),
        ..Report::default()
    };
    probe(args, "getAPIVersion", &[], false)
        .await
        .map_err(|e| format!("the hub at {} does not answer: {e}", args.hub))?;
    report.hub_rss_idle_mib = args.hub_pid.and_then(rss_mib);
    let mut peak = None;

    let tag = Value::from(args.tag.as_str());
    let needs_tag = wanted(args, "get-tag") || wanted(args, "multicall-get-tag");
    if needs_tag
        && matches!(
            probe(args, "getTag", std::slice::from_ref(&tag), false).await,
            Ok(Value::Nil)
        )
    {
        let _ = probe(args, "createTag", std::slice::from_ref(&tag), true).await;
    }
    let task_id = match args.task {
        Some(id) => Some(id),
        None => probe(
            args,
            "listTasks",
            &[Value::Nil, Value::structure([("limit", Value::Int(1))])],
            false,
        )
        .await
        .ok()
        .and_then(|v| {
            v.as_array()
                .and_then(|a| a.first())
                .and_then(|t| t.get("id"))
                .and_then(Value::as_i64)
        }),
    };
    let multicall_body = Value::Array(
        (0..100)
            .map(|_| {
                Value::structure([
                    ("methodName", Value::from("getTag")),
                    ("params", Value::Array(vec![tag.clone()])),
                ])
            })
            .collect(),
    );

    // (name, method, params, needs login, write scenario)
    let mut fixed: Vec<(&str, &str, Vec<Value>, bool)> = vec![
        ("api-version", "getAPIVersion", vec![], false),
        ("logged-in-user", "getLoggedInUser", vec![], true),
        ("get-tag", "getTag", vec![tag.clone()], false),
        ("list-tags", "listTags", vec![], false),
        (
            "list-tasks",
            "listTasks",
            vec![
                Value::Nil,
                Value::structure([("limit", Value::Int(50)), ("order", Value::from("-id"))]),
            ],
            false,
        ),
        ("multicall-get-tag", "multiCall", vec![multicall_body], false),
    ];
    if let Some(id) = task_id {
        fixed.insert(4, ("task-info", "getTaskInfo", vec![Value::Int(id)], false));
    } else if wanted(args, "task-info") {
        report
            .skipped
            .push(("task-info".into(), "no task found (give --task)".into()));
    }
    let mut tags_in_db = None;
    if let (Some(wanted_tags), true) = (args.tags_in_db, wanted(args, "list-tags")) {
        match populate_tags(args, wanted_tags).await {
            Ok(count) => tags_in_db = Some(count),
            Err(e) => report.skipped.push(("tags-in-db".into(), e.to_string())),
        }
    }
    for (name, method, params, auth) in fixed {
        if !wanted(args, name) {
            continue;
        }
        match probe(args, method, &params, auth).await {
            Err(why) => report.skipped.push((name.to_owned(), why)),
            Ok(Value::Nil) if method == "getTag" => report
                .skipped
                .push((name.to_owned(), format!("tag {} does not exist", args.tag))),
            Ok(Value::Array(results))
                if method == "multiCall"
                    && results.first().is_some_and(|r| r.get("faultString").is_some()) =>
            {
                let why = results
                    .first()
                    .and_then(|r| r.get("faultString"))
                    .map(ToString::to_string)
                    .unwrap_or_default();
                report
                    .skipped
                    .push((name.to_owned(), format!("sub-calls fault: {why}")));
            }
            Ok(_) => {
                let body = Bytes::from(encode_call(method, &params));
                for &clients in &args.clients {
                    let mut row = measure(
                        args,
                        name,
                        clients,
                        Workload::Fixed(body.clone()),
                        auth,
                        &mut peak,
                    )
                    .await?;
                    if name == "multicall-get-tag" {
                        row.note = format!("{:.0} getTag/s inside multicalls of 100", row.per_second * 100.0);
                    }
                    if let (Some(count), "list-tags") = (tags_in_db, name) {
                        row.note = format!("{count} tags in the database");
                    }
                    report.rows.push(row);
                }
            }
        }
    }
    if wanted(args, "create-tag") {
        let probe_name = Value::from(format!("bench-probe-{}", std::process::id()));
        match probe(args, "createTag", &[probe_name], true).await {
            Err(why) => report.skipped.push(("create-tag".into(), why)),
            Ok(_) => {
                for clients in [1, 8] {
                    let mut row =
                        measure(args, "create-tag", clients, Workload::CreateTag, true, &mut peak).await?;
                    row.note = "writes: one new tag per call".into();
                    report.rows.push(row);
                }
            }
        }
    }
    if wanted(args, "task-cycle") {
        if args.user.is_none() {
            report
                .skipped
                .push(("task-cycle".into(), "needs an admin --user and --password".into()));
        } else {
            match crate::cycle::task_cycle(args, args.hosts, args.tasks).await {
                Ok(row) => report.rows.push(row),
                Err(e) => report.skipped.push(("task-cycle".into(), e.to_string())),
            }
        }
    }
    report.hub_rss_peak_mib = peak;
    if let Some(conn) = &args.pg {
        match pg::pgbench(args, conn).await {
            Ok(figures) => report.pgbench = figures,
            Err(e) => report.skipped.push(("pgbench".into(), e.to_string())),
        }
    }
    Ok(report)
}
