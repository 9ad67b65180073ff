//! The database's own limit on the same machine, measured with pgbench in the same run.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::process::Command;

use crate::Args;
use crate::cpu;
use crate::rpc::BoxError;

fn pg_bin(args: &Args) -> PathBuf {
    if let Some(dir) = &args.pg_bin {
        return dir.clone();
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("pgbench").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| PathBuf::from("/usr/bin"))
}

/// Turns a key=value connection string into pgbench's flags.
fn conn_flags(conn: &str, dbname: &str) -> Vec<String> {
    let mut flags = Vec::new();
    for pair in conn.split_whitespace() {
        match pair.split_once('=') {
            Some(("host", v)) => flags.extend(["-h".to_owned(), v.to_owned()]),
            Some(("port", v)) => flags.extend(["-p".to_owned(), v.to_owned()]),
            Some(("user", v)) => flags.extend(["-U".to_owned(), v.to_owned()]),
            _ => {}
        }
    }
    flags.push(dbname.to_owned());
    flags
}

async fn run(bin: &Path, args: &[String]) -> Result<String, BoxError> {
    let output = Command::new(bin.join("pgbench")).args(args).output().await?;
    if !output.status.success() {
        return Err(format!("pgbench failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn tps(output: &str) -> Option<f64> {
    output
        .lines()
        .find(|l| l.starts_with("tps = "))?
        .trim_start_matches("tps = ")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One pgbench measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// `select-only` or `simple-update`.
    pub test: String,
    /// Clients.
    pub clients: usize,
    /// Transactions per second.
    pub tps: f64,
    /// CPU milliseconds the machine spent per transaction (pgbench and PostgreSQL).
    pub cpu_ms: Option<f64>,
}

/// The transactions pgbench ran (`number of transactions actually processed: N`).
fn transactions(output: &str) -> Option<f64> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Runs pgbench select-only (`-S`) and simple-update (`-N`) at 1 and 8 clients.
pub async fn pgbench(args: &Args, conn: &str) -> Result<Vec<Figure>, BoxError> {
    let bin = pg_bin(args);
    let psql = bin.join("psql");
    let mut admin = conn_flags(conn, "postgres");
    admin.extend(["-c".to_owned(), "CREATE DATABASE kiln_pgbench".to_owned()]);
    let _ = Command::new(&psql).args(&admin).output().await;
    let db = conn_flags(conn, "kiln_pgbench");
    let mut init = vec!["-i".to_owned(), "-q".to_owned(), "-s".to_owned(), "10".to_owned()];
    init.extend(db.clone());
    run(&bin, &init).await?;
    let seconds = format!("{}", args.duration.max(1.0).round() as u64);
    let mut figures = Vec::new();
    for (test, flag) in [("select-only", "-S"), ("simple-update", "-N")] {
        for clients in [1_usize, 8] {
            let mut bench = vec![
                flag.to_owned(),
                "-M".to_owned(),
                "prepared".to_owned(),
                "-c".to_owned(),
                clients.to_string(),
                "-j".to_owned(),
                "2".to_owned(),
                "-T".to_owned(),
                seconds.clone(),
            ];
            bench.extend(db.clone());
            let cpu_start = cpu::mark();
            let out = run(&bin, &bench).await?;
            let cpu_end = cpu::mark();
            let tps = tps(&out).ok_or("no tps in pgbench output")?;
            let transactions = transactions(&out).unwrap_or(0.0);
            figures.push(Figure {
                test: test.to_owned(),
                clients,
                tps,
                cpu_ms: cpu::ms_per_op(cpu_start, cpu_end, transactions),
            });
        }
    }
    Ok(figures)
}

/// PostgreSQL's next transaction id in the hub's database: only writing transactions take one,
/// so its growth counts write commits (reads excluded).
pub async fn write_counters(args: &Args, conn: &str) -> Result<i64, BoxError> {
    let mut flags = conn_flags(conn, &args.pg_db);
    flags.extend([
        "-At".to_owned(),
        "-c".to_owned(),
        "SELECT txid_snapshot_xmax(txid_current_snapshot())".to_owned(),
    ]);
    let output = Command::new(pg_bin(args).join("psql"))
        .args(&flags)
        .output()
        .await?;
    if !output.status.success() {
        return Err(format!("psql failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().parse()?)
}
