//! Figures for a module build (a benchmark, not a test; nothing is asserted): a module of N
//! trivial noarch components in B buildorder batches (default 50 in 5) built on 2 real
//! builders, from submission to `ready`. Printed: the total time, the sum over batches of the
//! longest component build (the critical path of component work), and per batch the
//! orchestration overhead before it could start: from the previous batch's last build ending
//! to this batch's first build task being created (taking the finished builds in, tagging,
//! the build tag's repo regeneration, scheduling).
//!
//! Run with `cargo bench -p kiln-tests --bench module_build [-- COMPONENTS BATCHES CONCURRENT]`
//! (`TEST_DATABASE_URL` as for tests; CONCURRENT is `num_concurrent_builds`, default 10).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::xmlrpc::Value;
use kiln_tests::cluster::eventually;
use kiln_tests::modules::{ClusterOptions, modulemd, noarch_spec, with_cluster};

fn number(task: &Value, key: &str) -> f64 {
    match task.get(key) {
        Some(Value::Double(d)) => *d,
        Some(Value::Int(n)) => *n as f64,
        _ => f64::NAN,
    }
}

/// One component build: its batch and its task's creation, start and end.
struct Span {
    batch: i64,
    created: f64,
    started: f64,
    ended: f64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let components = args.first().copied().unwrap_or(50);
    let batches = args.get(1).copied().unwrap_or(5).max(1);
    let concurrent = args.get(2).copied().unwrap_or(10);
    let options = ClusterOptions {
        num_concurrent_builds: u32::try_from(concurrent).unwrap_or(10),
        ..ClusterOptions::default()
    };
    with_cluster(options, move |cluster| {
        let names: Vec<String> = (0..components).map(|i| format!("comp{i:03}")).collect();
        for name in &names {
            cluster.component(name, &noarch_spec(name, "", "", ""));
        }
        let per_batch = components.div_ceil(batches);
        let order: Vec<(&str, i64)> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i64::try_from(i / per_batch).unwrap_or(0) * 10))
            .collect();
        let scmurl = cluster.module_repo("benchmodule", &modulemd(&order));
        let started = Instant::now();
        let module_id = cluster.submit(&scmurl);
        cluster.wait_state(module_id, &["ready"], Duration::from_secs(3600));
        let to_ready = started.elapsed();
        let parent = cluster.parent_task(module_id);
        eventually(Duration::from_secs(300), "the parent task to close", || {
            let info = cluster
                .admin
                .call("getTaskInfo", vec![Value::Int(parent)])
                .unwrap();
            (info.get("state").and_then(Value::as_i64) == Some(2)).then_some(())
        });
        let total = started.elapsed();

        let mut spans = Vec::new();
        for component in cluster.components(module_id) {
            let task_id = component["task_id"].as_i64().unwrap();
            let task = cluster
                .admin
                .call("getTaskInfo", vec![Value::Int(task_id)])
                .unwrap();
            spans.push(Span {
                batch: component["batch"].as_i64().unwrap(),
                created: number(&task, "create_ts"),
                started: number(&task, "start_ts"),
                ended: number(&task, "completion_ts"),
            });
        }
        let mut by_batch: BTreeMap<i64, Vec<&Span>> = BTreeMap::new();
        for span in &spans {
            by_batch.entry(span.batch).or_default().push(span);
        }
        let parent_info = cluster
            .admin
            .call("getTaskInfo", vec![Value::Int(parent)])
            .unwrap();
        let mut previous_end = number(&parent_info, "start_ts");
        let mut critical = 0.0;
        let mut overhead = 0.0;
        println!(
            "module of {components} components in {batches} batches (+ module-build-macros), 2 builders, num_concurrent_builds {concurrent}"
        );
        println!(
            "{:>5} {:>6} {:>12} {:>14} {:>14} {:>12}",
            "batch", "builds", "overhead s", "longest build", "batch wall s", "queued max s"
        );
        for (batch, items) in &by_batch {
            let first_created = items.iter().map(|s| s.created).fold(f64::MAX, f64::min);
            let last_end = items.iter().map(|s| s.ended).fold(f64::MIN, f64::max);
            let longest = items
                .iter()
                .map(|s| s.ended - s.started)
                .fold(0.0, f64::max);
            let queued = items
                .iter()
                .map(|s| s.started - s.created)
                .fold(0.0, f64::max);
            let gap = first_created - previous_end;
            critical += longest;
            overhead += gap;
            println!(
                "{batch:>5} {:>6} {gap:>12.2} {longest:>14.2} {:>14.2} {queued:>12.2}",
                items.len(),
                last_end - first_created
            );
            previous_end = last_end;
        }
        let tail = number(&parent_info, "completion_ts") - previous_end;
        println!(
            "submission to ready: {:.1} s; to the parent task closed (module tag repo with modules.yaml): {:.1} s",
            to_ready.as_secs_f64(),
            total.as_secs_f64()
        );
        println!(
            "sum of the longest build per batch (critical path of component work): {critical:.1} s"
        );
        println!(
            "orchestration between batches (sum of overheads above, init and macros included in batch 1's): {overhead:.1} s; after the last batch to the task's end: {tail:.1} s"
        );
    })
    .await;
}
