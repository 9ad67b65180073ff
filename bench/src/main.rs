//! `kiln-bench`: load generator for any Koji-compatible hub. Prints a table and writes JSON;
//! never a pass/fail. See `--help`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

mod cpu;
mod cycle;
mod pg;
mod rpc;
mod scenarios;

/// Benchmarks a Koji-compatible hub: read and write RPC throughput and latency at several
/// client counts, multicall, and the database's own limit (pgbench) for comparison.
#[derive(Debug, Clone, Parser)]
#[command(name = "kiln-bench", version)]
pub struct Args {
    /// The hub's XML-RPC URL (plain http).
    #[arg(long, default_value = "http://127.0.0.1:8080/kojihub")]
    pub hub: String,
    /// User for authenticated scenarios (each client logs in with its own session).
    #[arg(long)]
    pub user: Option<String>,
    /// Password for --user.
    #[arg(long)]
    pub password: Option<String>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Concurrent client counts (keep-alive connections), comma separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    pub clients: Vec<usize>,
    /// Scenarios to run (default: all that the hub supports). One of: api-version,
    /// logged-in-user, get-tag, list-tags, task-info, list-tasks, multicall-get-tag, create-tag,
    /// task-cycle.
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    /// Tag name for get-tag and multicall-get-tag (created first when missing and --user can).
    #[arg(long, default_value = "bench-tag")]
    pub tag: String,
    /// Task id for task-info.
    #[arg(long)]
    pub task: Option<i64>,
    /// PostgreSQL connection string of the hub's database server, to measure its own limit with
    /// pgbench (a scratch database `kiln_pgbench` is created there).
    #[arg(long)]
    pub pg: Option<String>,
    /// The hub's database on the --pg server (for the commits a task cycle costs).
    #[arg(long, default_value = "kiln")]
    pub pg_db: String,
    /// Simulated builder hosts for task-cycle (created with `addHost`; needs an admin --user).
    #[arg(long, default_value_t = 4)]
    pub hosts: usize,
    /// Tasks for task-cycle.
    #[arg(long, default_value_t = 2000)]
    pub tasks: usize,
    /// Before list-tags, create tags (`createTag` in multicalls of 100; needs an admin --user)
    /// until the hub has this many, e.g. 10000 for the target's "listTags with 10,000 tags".
    #[arg(long)]
    pub tags_in_db: Option<usize>,
    /// Directory holding pgbench (default: found like the hub finds PostgreSQL).
    #[arg(long)]
    pub pg_bin: Option<PathBuf>,
    /// The hub's process id, to report its resident memory at idle and under load.
    #[arg(long)]
    pub hub_pid: Option<u32>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl Args {
    fn measure_for(&self) -> Duration {
        Duration::from_secs_f64(self.duration.max(0.5))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match scenarios::run_all(&args).await {
        Ok(report) => {
            #[expect(clippy::print_stdout, reason = "the benchmark's output is its table")]
            {
                println!("{}", report.table());
            }
            if let Some((path, Err(e))) = args
                .json
                .as_ref()
                .map(|path| (path, std::fs::write(path, report.json())))
            {
                eprintln!("kiln-bench: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kiln-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
