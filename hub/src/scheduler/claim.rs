//! Handing FREE tasks to a host that asks for work (`host.getTasks`, `host.waitTasks`).
//!
//! The host's row is locked for the claim, so one host's concurrent calls cannot overfill it;
//! candidate tasks are locked with `FOR UPDATE SKIP LOCKED`, so two hubs (or two hosts) never
//! hand out the same task.

use common::states::TaskState;
use tracing::debug;

use crate::config::SchedulerConfig;
use crate::db::claim::HostView;
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

/// What a host may take now, from what it looks like without locks: `None` when it has tasks
/// ASSIGNED already, is disabled, not ready or full.
fn abilities(view: &HostView, config: &SchedulerConfig, host_id: i64) -> Option<(HostAbilities, i64)> {
    if view.assigned > 0 || !view.enabled || !view.ready {
        return None;
    }
    let reported = view.data.as_ref().map(Reported::from_json).unwrap_or_default();
    let maxjobs = reported.maxjobs.unwrap_or(config.default_maxjobs).max(1);
    if view.ntasks >= maxjobs || !fits(view.capacity - view.load, 0.0, 0.0) {
        return None;
    }
    let abilities = HostAbilities {
        host_id,
        channel_ids: view.channel_ids.clone(),
        arches: view
            .arches
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        methods: reported.methods,
        soft_refusal_seconds: config.soft_refusal_seconds,
    };
    Some((abilities, maxjobs))
}

/// The host's ASSIGNED tasks, after assigning it more FREE ones if it is enabled, ready and
/// has room.
///
/// It reads first and locks only when there is something to take, so a host asking while
/// there is nothing for it writes nothing (its call commits nothing).
pub async fn claim_for_host(tx: &Tx<'_>, config: &SchedulerConfig, host_id: i64) -> Result<Vec<TaskRow>> {
    let Some(view) = db::claim::host_view(tx, host_id).await? else {
        return db::tasks::of_host(tx, host_id, TaskState::Assigned).await;
    };
    if view.assigned > 0 {
        return db::tasks::of_host(tx, host_id, TaskState::Assigned).await;
    }
    let Some((abilities, maxjobs)) = abilities(&view, config, host_id) else {
        return Ok(Vec::new());
    };
    if !db::tasks::has_candidates(tx, &abilities).await? {
        return Ok(Vec::new());
    }
    // The host's row is locked so one host's concurrent calls cannot overfill it; what was read
    // before the lock is read again under it.
    db::hosts::lock(tx, host_id).await?;
    let assigned = db::tasks::of_host(tx, host_id, TaskState::Assigned).await?;
    if !assigned.is_empty() {
        return Ok(assigned);
    }
    let (mut load, mut ntasks) = db::tasks::host_load(tx, host_id).await?;
    if ntasks >= maxjobs || !fits(view.capacity - load, 0.0, 0.0) {
        return Ok(assigned);
    }
    let candidates = db::tasks::claim_candidates(tx, &abilities, maxjobs - ntasks).await?;
    let mut chosen = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        if ntasks >= maxjobs {
            break;
        }
        if !fits(view.capacity - load, candidate.weight, config.capacity_overcommit) {
            continue;
        }
        load += candidate.weight;
        ntasks += 1;
        debug!(
            task.id = candidate.id,
            host.id = host_id,
            "assigned task {} to host {host_id}",
            candidate.id
        );
        chosen.push(candidate.id);
    }
    if chosen.is_empty() {
        return Ok(assigned);
    }
    db::claim::assign(tx, &chosen, host_id).await?;
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
