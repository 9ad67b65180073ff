//! Making repos on a builder's behalf: `host.repoInit` (the snapshot: a repo row in INIT and
//! its skeleton under `topdir/repos`) and `host.repoDone` (the createrepo output moved into
//! place; READY only when every arch has its repodata).

use common::signature;
use common::states::RepoState;
use common::xmlrpc::{Params, Signature, Value};
use tracing::info;

use crate::db::repos::{NewRepo, RepoFilter};
use crate::db::{self};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::repos::layout::{self, RepoJson};
use crate::repos::{content, opts};
use crate::root::groups::read_tag_groups;
use crate::root::inheritance::tag_and_ancestors;
use crate::root::lookup;
use crate::root::tags::tag_info;
use crate::rpc::call::Call;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("file work panicked: {e}")))?
}

/// `host.repoInit(tag, task_id=None, event=None, opts=None)` → `[repo_id, event_id]`.
pub async fn repo_init(cx: &mut Call<'_>, _host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repoInit", ["tag"], ["task_id", "event", "opts"]);
    let mut b = params.bind(&SIG)?;
    let tag_value = b.next_raw();
    let task_id = lookup::event_arg(&b.next_raw())?;
    let event = lookup::event_arg(&b.next_raw())?;
    let overrides = opts::convert(&b.next_raw(), true)?;
    let tag = lookup::require_tag(cx.db(), &tag_value, event).await?;
    // A newRepo task that runs again (its host died) gets the repo it started, so the
    // createrepo subtasks it finds again by label match the repo they were made for.
    if let Some(task_id) = task_id
        && let Some(repo) = db::repos::repo_of_task(cx.db(), task_id).await?
        && repo.state == RepoState::Init
        && repo.tag_id == tag.id
    {
        info!(
            repo.id = repo.id,
            task.id = task_id,
            "task {task_id} resumes repo {}",
            repo.id
        );
        return Ok(Value::Array(vec![
            Value::Int(repo.id),
            Value::Int(repo.create_event),
        ]));
    }
    let extra = tag_info(&tag, false)?.extra;
    let (all_opts, custom_opts) = opts::effective(&extra, Some(&overrides))?;
    let arches = content::repo_arches(tag.arches.as_deref().unwrap_or(""), &all_opts);
    if arches.is_empty() {
        return Err(Error::Generic(format!("Tag {} has no arches", tag.name)));
    }
    let event = match event {
        Some(event) => {
            if db::events::get(cx.db(), event).await?.is_none() {
                return Err(Error::InvalidValue(format!("Invalid event: {event}")));
            }
            event
        }
        None => cx.event().await?,
    };
    let tags = tag_and_ancestors(cx.db(), tag.id, Some(event)).await?;
    let begin_event = db::history::last_change_event(cx.db(), &tags, Some(event)).await?;
    let tx = cx.tx()?;
    let repo_id = db::repos::insert(
        &tx,
        &NewRepo {
            tag_id: tag.id,
            create_event: event,
            begin_event,
            opts: all_opts.clone(),
            custom_opts: custom_opts.clone(),
            task_id,
        },
    )
    .await?;
    let include_all = extra.get("repo_include_all").is_some_and(Value::truthy);
    let content = content::read(cx.db(), tag.id, event, &arches, &all_opts, include_all).await?;
    let groups = read_tag_groups(cx.db(), tag.id, Some(event), true, true, true, false).await?;
    let comps_xml = crate::comps::render(&groups, true);
    let info = RepoJson {
        id: repo_id,
        tag: tag.name.clone(),
        tag_id: tag.id,
        task_id,
        event_id: event,
        opts: all_opts,
        custom_opts,
        arches,
    };
    let topdir = cx.ctx.config.topdir.clone();
    let n_builds = content.builds.len();
    blocking(move || layout::write_skeleton(&topdir, &info, &content, &comps_xml)).await?;
    info!(
        repo.id = repo_id,
        tag.name = %tag.name,
        event.id = event,
        "initialized repo {repo_id} of {} at event {event} with {n_builds} builds",
        tag.name
    );
    Ok(Value::Array(vec![Value::Int(repo_id), Value::Int(event)]))
}

/// Reads `{arch: [uploadpath, [files]]}`.
fn repodata_entries(data: &Value) -> Result<Vec<(String, String, Vec<String>)>> {
    let bad = |detail: String| Error::InvalidValue(format!("Invalid repo data: {detail}"));
    let members = data.as_struct().ok_or_else(|| bad(data.to_string()))?;
    let mut entries = Vec::new();
    for (arch, entry) in members {
        let parts = entry.as_array().unwrap_or_default();
        let (Some(path), Some(files)) = (
            parts.first().and_then(Value::as_str),
            parts.get(1).and_then(Value::as_array),
        ) else {
            return Err(bad(format!("{arch}: {entry}")));
        };
        let files: Option<Vec<String>> = files.iter().map(|f| f.as_str().map(str::to_owned)).collect();
        let files = files.ok_or_else(|| bad(format!("{arch}: {entry}")))?;
        entries.push((arch.clone(), path.to_owned(), files));
    }
    Ok(entries)
}

/// `host.repoDone(repo_id, data, expire=False, repo_json_updates=None)`: moves each arch's
/// uploaded repodata into the repo, then marks it READY (or EXPIRED with `expire`), points
/// `latest` at it and fulfils the requests it satisfies.
pub async fn repo_done(cx: &mut Call<'_>, _host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repoDone", ["repo_id", "data"], ["expire", "repo_json_updates"]);
    let mut b = params.bind(&SIG)?;
    let repo_id: i64 = b.arg()?;
    let data = b.next_raw();
    let expire = b.next_raw().truthy();
    let tx = cx.tx()?;
    let state = db::repos::lock(&tx, repo_id)
        .await?
        .ok_or_else(|| Error::Generic(format!("No such repo: {repo_id}")))?;
    if state != RepoState::Init {
        return Err(Error::Generic(format!(
            "Repo {repo_id} not in INIT state (got {})",
            state.name()
        )));
    }
    let repo = db::repos::get(&tx, repo_id)
        .await?
        .ok_or_else(|| Error::Generic(format!("No such repo: {repo_id}")))?;
    let entries = repodata_entries(&data)?;
    let topdir = cx.ctx.config.topdir.clone();
    let dir = layout::repo_dir(&topdir, &repo.tag_name, repo_id);
    let arches = {
        let dir = dir.clone();
        blocking(move || layout::read_arches(&dir)).await?
    };
    for arch in &arches {
        if !entries.iter().any(|(a, _, _)| a == arch) {
            return Err(Error::Generic(format!(
                "Repo {repo_id} has no repodata for arch {arch}"
            )));
        }
    }
    if let Some((arch, _, _)) = entries.iter().find(|(a, _, _)| !arches.contains(a)) {
        return Err(Error::Generic(format!("Repo {repo_id} has no arch {arch}")));
    }
    {
        let topdir = topdir.clone();
        let dir = dir.clone();
        blocking(move || {
            for (arch, path, files) in &entries {
                layout::move_repodata(&topdir, &dir, arch, path, files)?;
            }
            Ok(())
        })
        .await?;
    }
    if expire {
        db::repos::set_state(&tx, repo_id, RepoState::Expired).await?;
        db::repos::notify_repo_work(&tx).await?;
        return Ok(Value::Nil);
    }
    db::repos::set_state(&tx, repo_id, RepoState::Ready).await?;
    let fulfilled = db::repos::fulfil_requests(&tx, &repo).await?;
    db::repos::notify_repo_work(&tx).await?;
    if repo.has_default_opts() {
        let newer = RepoFilter {
            tag_id: Some(repo.tag_id),
            states: Some(vec![RepoState::Ready]),
            dist: Some(false),
            custom_within: Some(Default::default()),
            min_event: Some(repo.create_event + 1),
            limit: Some(1),
            ..RepoFilter::default()
        };
        if db::repos::query(&tx, &newer).await?.is_empty() {
            let tag_name = repo.tag_name.clone();
            blocking(move || layout::link_latest(&topdir, &tag_name, repo_id)).await?;
        }
    }
    info!(
        repo.id = repo_id,
        tag.name = %repo.tag_name,
        "repo {repo_id} of {} is ready; {fulfilled} requests fulfilled",
        repo.tag_name
    );
    Ok(Value::Nil)
}
