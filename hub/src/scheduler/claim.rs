//! Handing FREE tasks to a host that asks for work (`host.getTasks`, `host.waitTasks`).
//!
//! The host's row is locked for the claim, so one host's concurrent calls cannot overfill it;
//! candidate tasks are locked with `FOR UPDATE SKIP LOCKED`, so two hubs (or two hosts) never
//! hand out the same task.

use common::states::TaskState;
use tracing::debug;

use crate::config::SchedulerConfig;
use crate::db::hosts::HostKey;
use crate::db::tasks::{HostAbilities, TaskRow};
use crate::db::{self, Tx};
use crate::error::Result;

/// What a host reported about itself that the scheduler uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reported {
    /// The methods it has handlers for.
    pub methods: Option<Vec<String>>,
    /// How many tasks it runs at most.
    pub maxjobs: Option<i64>,
}

impl Reported {
    /// Reads `{methods: [...], maxjobs: N}`; other keys are ignored.
    pub fn from_json(data: &serde_json::Value) -> Reported {
        Reported {
            methods: data.get("methods").and_then(|m| m.as_array()).map(|list| {
                list.iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            }),
            maxjobs: data.get("maxjobs").and_then(serde_json::Value::as_i64),
        }
    }
}

/// Whether a host with `free_capacity` left may take a task of `weight` (Koji's rule: the
/// free capacity must exceed the weight less the allowed overcommit, and be positive).
pub fn fits(free_capacity: f64, weight: f64, overcommit: f64) -> bool {
    free_capacity > (weight - overcommit).max(0.0)
}

/// The host's ASSIGNED tasks, after assigning it more FREE ones if it is enabled, ready and
/// has room.
pub async fn claim_for_host(tx: &Tx<'_>, config: &SchedulerConfig, host_id: i64) -> Result<Vec<TaskRow>> {
    db::hosts::lock(tx, host_id).await?;
    let assigned = db::tasks::of_host(tx, host_id, TaskState::Assigned).await?;
    if !assigned.is_empty() {
        return Ok(assigned);
    }
    let Some(host) = db::hosts::get(tx, HostKey::Id(host_id), None).await? else {
        return Ok(assigned);
    };
    if !host.enabled || !host.ready {
        return Ok(assigned);
    }
    let reported = db::hosts::host_data(tx, Some(host_id))
        .await?
        .first()
        .map(|row| Reported::from_json(&row.data))
        .unwrap_or_default();
    let maxjobs = reported.maxjobs.unwrap_or(config.default_maxjobs).max(1);
    let (mut load, mut ntasks) = db::tasks::host_load(tx, host_id).await?;
    if ntasks >= maxjobs || !fits(host.capacity - load, 0.0, 0.0) {
        return Ok(assigned);
    }
    let abilities = HostAbilities {
        host_id,
        channel_ids: db::hosts::host_channel_ids(tx, host_id).await?,
        arches: host.arch_list(),
        methods: reported.methods,
        soft_refusal_seconds: config.soft_refusal_seconds,
    };
    let candidates = db::tasks::claim_candidates(tx, &abilities, maxjobs - ntasks).await?;
    for candidate in candidates {
        if ntasks >= maxjobs {
            break;
        }
        if !fits(host.capacity - load, candidate.weight, config.capacity_overcommit) {
            continue;
        }
        db::tasks::set_assigned(tx, candidate.id, host_id).await?;
        db::scheduler::add_run(tx, candidate.id, host_id).await?;
        load += candidate.weight;
        ntasks += 1;
        debug!(
            task.id = candidate.id,
            host.id = host_id,
            "assigned task {} to host {}",
            candidate.id,
            host.name
        );
    }
    db::tasks::of_host(tx, host_id, TaskState::Assigned).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(free: f64, weight: f64, expected: bool) {
        assert_eq!(fits(free, weight, 5.0), expected, "free {free}, weight {weight}");
    }

    #[test]
    fn capacity_rule_matches_koji() {
        check(2.0, 1.0, true);
        check(0.5, 0.25, true);
        check(0.0, 0.25, false);
        check(-0.5, 0.1, false);
        check(1.0, 5.5, true);
        check(0.4, 5.5, false);
    }

    #[test]
    fn reported_data_is_read_leniently() {
        let data = serde_json::json!({"methods": ["sleep", 3, "fork"], "maxjobs": 4, "other": true});
        assert_eq!(
            Reported::from_json(&data),
            Reported {
                methods: Some(vec!["sleep".into(), "fork".into()]),
                maxjobs: Some(4)
            }
        );
        assert_eq!(Reported::from_json(&serde_json::json!("x")), Reported::default());
    }
}
