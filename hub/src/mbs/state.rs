//! The one place a module build changes state: the row, the trace, the completion time and the
//! `kiln_module_state` notification the backend waits on all change together.

use common::states::ModuleBuildState;
use tracing::info;

use crate::db::Tx;
use crate::db::modules::{self, ModuleBuildRow};
use crate::error::{Error, Result};

/// The notification channel a module build's state change is announced on (payload: its id),
/// delivered when the transaction commits.
pub const MODULE_STATE_CHANNEL: &str = "kiln_module_state";

/// Why a caller may not cancel a module build (MBS's rules, shared by the REST API and the web).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelRefusal {
    /// Neither the owner nor an MBS admin.
    NotOwner,
    /// The build is past the states a cancel applies to.
    Finished,
}

impl CancelRefusal {
    /// MBS's message.
    pub fn message(self) -> &'static str {
        match self {
            CancelRefusal::NotOwner => "You are not owner of this build and therefore cannot modify it.",
            CancelRefusal::Finished => {
                "To cancel a module build, it must be in one of the following states: build, init, wait"
            }
        }
    }
}

/// Checks MBS's cancel rules: the owner or an MBS admin, and a build in init, wait or build.
pub fn check_cancel(
    module: &ModuleBuildRow,
    caller: &crate::mbs::auth::Caller,
    ctx: &crate::ctx::Ctx,
) -> std::result::Result<(), CancelRefusal> {
    if module.owner != caller.name && !caller.is_admin(ctx) {
        return Err(CancelRefusal::NotOwner);
    }
    if !matches!(
        module.state,
        ModuleBuildState::Init | ModuleBuildState::Wait | ModuleBuildState::Build
    ) {
        return Err(CancelRefusal::Finished);
    }
    Ok(())
}

/// Cancels a module build (MBS's PATCH `{"state": "failed"}`): it fails with `reason`, its
/// unbuilt components fail with the same reason, and its `moduleBuild` task, with every
/// unfinished task under it, is canceled in the same transaction, so no builder picks up work
/// for a canceled module.
pub async fn cancel(tx: &Tx<'_>, module_id: i64, reason: &str) -> Result<ModuleBuildRow> {
    let row = transition(tx, module_id, ModuleBuildState::Failed, Some(reason), None).await?;
    let components = crate::db::components::lock_of_module(tx, module_id).await?;
    crate::mbs::backend::fail_unbuilt(tx, &components, reason).await?;
    if let Some(task_id) = row.task_id {
        crate::tasks::lifecycle::cancel(tx, task_id, true).await?;
    }
    Ok(row)
}

/// Moves a module build to `to` with `reason`, records the trace row, sets `time_completed` on
/// entering done or failed, and (with `batch`) sets the current batch. Locks the row first and
/// returns it as it is now. Every state change of a module build goes through here.
pub async fn transition(
    tx: &Tx<'_>,
    module_id: i64,
    to: ModuleBuildState,
    reason: Option<&str>,
    batch: Option<i32>,
) -> Result<ModuleBuildRow> {
    let before = modules::lock(tx, module_id)
        .await?
        .ok_or(Error::Generic(format!("no module build {module_id}")))?;
    let completed = matches!(to, ModuleBuildState::Done | ModuleBuildState::Failed);
    modules::write_state(tx, module_id, to, reason, completed, batch).await?;
    modules::insert_trace(tx, module_id, to, reason).await?;
    if before.state != to {
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&MODULE_STATE_CHANNEL, &module_id.to_string()],
        )
        .await?;
    }
    info!(
        module.id = module_id,
        module.nsvc = %before.nsvc(),
        from = %before.state,
        to = %to,
        "module build {module_id} ({}) went from {} to {to}",
        before.nsvc(),
        before.state
    );
    modules::get(tx, module_id)
        .await?
        .ok_or(Error::Generic(format!("no module build {module_id}")))
}

/// The state a resumed failed build returns to: `init` if it failed before leaving init (its
/// last state before failing was init), else `wait`.
pub fn resume_state(trace: &[modules::TraceRow]) -> ModuleBuildState {
    let last_unfailed = trace
        .iter()
        .rev()
        .filter_map(|row| row.state.and_then(ModuleBuildState::from_code))
        .find(|state| !matches!(state, ModuleBuildState::Failed | ModuleBuildState::Garbage));
    match last_unfailed {
        Some(ModuleBuildState::Init) | None => ModuleBuildState::Init,
        Some(_) => ModuleBuildState::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Micros;
    use crate::db::modules::TraceRow;

    fn trace(states: &[ModuleBuildState]) -> Vec<TraceRow> {
        states
            .iter()
            .map(|state| TraceRow {
                owner_id: 1,
                state_time: Micros(0),
                state: Some(state.code()),
                state_reason: None,
            })
            .collect()
    }

    #[test]
    fn resume_goes_back_to_init_only_when_it_failed_in_init() {
        use ModuleBuildState::*;
        assert_eq!(resume_state(&trace(&[Init, Failed])), Init);
        assert_eq!(resume_state(&trace(&[Init, Wait, Build, Failed])), Wait);
        assert_eq!(resume_state(&trace(&[Init, Wait, Failed, Init, Failed])), Init);
        assert_eq!(resume_state(&trace(&[])), Init);
    }
}
