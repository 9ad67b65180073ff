//! The machine's CPU use over a measurement, from `/proc/stat`: with the hub, PostgreSQL and
//! the load generator on one machine, it says what one operation costs in CPU time altogether,
//! and so how many per second the cores allow at that cost.

use std::time::Instant;

/// A reading of the CPU counters.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    busy: u64,
    total: u64,
    at: Instant,
}

/// The counters now, or `None` where `/proc/stat` cannot be read (not Linux).
pub fn mark() -> Option<Mark> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...; idle and iowait are not work.
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Some(Mark {
        busy: total.saturating_sub(idle),
        total,
        at: Instant::now(),
    })
}

/// The processors the counters cover.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// CPU milliseconds used by the whole machine per operation between two readings.
pub fn ms_per_op(start: Option<Mark>, end: Option<Mark>, operations: f64) -> Option<f64> {
    let (start, end) = (start?, end?);
    let total = end.total.checked_sub(start.total).filter(|t| *t > 0)?;
    let busy = end.busy.saturating_sub(start.busy);
    let wall = end.at.duration_since(start.at).as_secs_f64();
    if operations <= 0.0 {
        return None;
    }
    let cpu_seconds = busy as f64 / total as f64 * cores() as f64 * wall;
    Some(cpu_seconds * 1000.0 / operations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cost_is_busy_share_times_cores_times_wall_time() {
        let at = Instant::now();
        let start = Mark {
            busy: 100,
            total: 1000,
            at,
        };
        let end = Mark {
            busy: 600,
            total: 2000,
            at: at + Duration::from_secs(2),
        };
        // Half of every core busy for 2 s, over 1,000 operations.
        let expected = 0.5 * cores() as f64 * 2.0;
        let got = ms_per_op(Some(start), Some(end), 1000.0).unwrap();
        assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
        assert_eq!(ms_per_op(Some(start), Some(start), 10.0), None);
        assert_eq!(ms_per_op(None, Some(end), 10.0), None);
    }
}
