//! External repos: `createExternalRepo`, `getExternalRepo`, `listExternalRepos`,
//! `editExternalRepo`, `deleteExternalRepo`, `addExternalRepoToTag`,
//! `removeExternalRepoFromTag`, `editTagExternalRepo`, `getTagExternalRepos`,
//! `getExternalRepoList` (with inheritance).

use common::signature;
use common::wire::{ExternalRepoInfo, TagExternalRepo};
use common::xmlrpc::{Params, Signature, Value, to_value};
use tracing::info;

use crate::db::external_repos::{ExternalRepoRow, RepoKey, TagRepoRow};
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::root::inheritance::full_inheritance;
use crate::root::lookup::{self, py_str};
use crate::rpc::call::Call;

/// Koji's `REPO_MERGE_MODES`.
const MERGE_MODES: &[&str] = &["koji", "simple", "bare"];

fn key_of(value: &Value) -> Result<RepoKey> {
    match value {
        Value::Int(id) => Ok(RepoKey::Id(*id)),
        Value::String(name) => Ok(RepoKey::Name(name.clone())),
        Value::Struct(members) => match (members.get("id"), members.get("name")) {
            (Some(id), _) => id
                .as_i64()
                .map(RepoKey::Id)
                .ok_or_else(|| Error::InvalidNameOrId { value: py_str(value) }),
            (None, Some(name)) => key_of(name),
            _ => Err(Error::InvalidNameOrId { value: py_str(value) }),
        },
        other => Err(Error::InvalidNameOrId { value: py_str(other) }),
    }
}

async fn find(client: &Client, value: &Value, event: Option<i64>) -> Result<Option<ExternalRepoRow>> {
    let key = key_of(value)?;
    if key == RepoKey::Id(0) {
        return Ok(None);
    }
    Ok(db::external_repos::list(client, Some(&key), None, event)
        .await?
        .into_iter()
        .next())
}

/// The id of the external repo a value names (for `queryHistory`), even a deleted one.
pub async fn find_value(client: &Client, value: &Value) -> Result<Option<i64>> {
    match key_of(value)? {
        RepoKey::Id(id) => Ok(Some(id)),
        RepoKey::Name(name) => db::external_repos::id_of_name(client, &name).await,
    }
}

async fn require(client: &Client, value: &Value, event: Option<i64>) -> Result<ExternalRepoRow> {
    find(client, value, event)
        .await?
        .ok_or_else(|| Error::Generic(format!("No such repo: {}", py_str(value))))
}

fn wire(row: ExternalRepoRow) -> ExternalRepoInfo {
    ExternalRepoInfo {
        id: row.id,
        name: row.name,
        url: row.url,
    }
}

fn tag_wire(row: TagRepoRow) -> TagExternalRepo {
    TagExternalRepo {
        external_repo_id: row.external_repo_id,
        external_repo_name: row.external_repo_name,
        priority: i64::from(row.priority),
        tag_id: row.tag_id,
        tag_name: row.tag_name,
        url: row.url,
        merge_mode: row.merge_mode,
        arches: row.arches,
    }
}

/// Koji appends the trailing slash repo URLs need.
fn normalize_url(url: &str) -> Result<String> {
    if url.is_empty() {
        return Err(Error::Generic("url must not be empty".into()));
    }
    Ok(if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    })
}

/// `createExternalRepo(name, url)` (admin): `{id, name, url}`.
pub async fn create_external_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("createExternalRepo", ["name", "url"], []))?;
    let name: String = b.arg()?;
    let url: String = b.arg()?;
    let who = cx.assert_perm("admin").await?;
    lookup::validate_name(&name)?;
    if find(cx.db(), &Value::from(name.clone()), None).await?.is_some() {
        return Err(Error::Generic(format!(
            "An external repo named \"{name}\" already exists"
        )));
    }
    let url = normalize_url(&url)?;
    let change = lookup::change(cx, &who).await?;
    let id = db::external_repos::create(&cx.tx()?, &name, &url, change).await?;
    info!(external_repo.name = %name, "created external repo {name} ({url})");
    Ok(to_value(&ExternalRepoInfo { id, name, url })?)
}

/// `getExternalRepo(info, strict=False, event=None)`.
pub async fn get_external_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getExternalRepo", ["info"], ["strict", "event"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let strict: bool = b.arg()?;
    let event = lookup::event_arg(&b.next_raw())?;
    match find(cx.db(), &info, event).await? {
        Some(row) => Ok(to_value(&wire(row))?),
        None if strict => Err(Error::Generic(format!("No such repo: {}", py_str(&info)))),
        None => Ok(Value::Nil),
    }
}

/// `listExternalRepos(info=None, url=None, event=None, queryOpts=None)`.
pub async fn list_external_repos(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("listExternalRepos", [], ["info", "url", "event", "queryOpts"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let url: Option<String> = b.arg()?;
    let event = lookup::event_arg(&b.next_raw())?;
    let opts = crate::db::query::QueryOpts::from_value(&b.next_raw())?;
    let key = if info.is_nil() { None } else { Some(key_of(&info)?) };
    let rows = db::external_repos::list(cx.db(), key.as_ref(), url.as_deref(), event).await?;
    let rows: Vec<ExternalRepoInfo> = rows.into_iter().filter(|r| r.id != 0).map(wire).collect();
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    Ok(to_value(&rows)?)
}

/// `editExternalRepo(info, name=None, url=None)` (admin).
pub async fn edit_external_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("editExternalRepo", ["info"], ["name", "url"]);
    let mut b = params.bind(&SIG)?;
    let info = b.next_raw();
    let name: Option<String> = b.arg()?;
    let url: Option<String> = b.arg()?;
    let who = cx.assert_perm("admin").await?;
    let repo = require(cx.db(), &info, None).await?;
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    if let Some(name) = name.filter(|n| *n != repo.name) {
        lookup::validate_name(&name)?;
        if let Some(other) = db::external_repos::id_of_name(&tx, &name).await? {
            return Err(Error::Generic(format!(
                "name \"{name}\" is already taken by external repo {other}"
            )));
        }
        db::external_repos::rename(&tx, repo.id, &name).await?;
    }
    if let Some(url) = url {
        let url = normalize_url(&url)?;
        if url != repo.url {
            db::external_repos::set_url(&tx, repo.id, &url, change).await?;
        }
    }
    Ok(Value::Nil)
}

/// `deleteExternalRepo(info)` (admin): unlinks it from every tag and revokes it.
pub async fn delete_external_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!("deleteExternalRepo", ["info"], []))?;
    let info = b.next_raw();
    let who = cx.assert_perm("admin").await?;
    let repo = require(cx.db(), &info, None).await?;
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    db::external_repos::unlink_all(&tx, repo.id, change).await?;
    db::external_repos::revoke_config(&tx, repo.id, change).await?;
    info!(external_repo.name = %repo.name, "deleted external repo {}", repo.name);
    Ok(Value::Nil)
}

fn merge_mode(value: Option<String>) -> Result<Option<String>> {
    match value {
        Some(mode) if !MERGE_MODES.contains(&mode.as_str()) => {
            Err(Error::Generic(format!("No such merge mode: {mode}")))
        }
        other => Ok(other),
    }
}

/// Koji's `parse_arches(arches, strict=True, allow_none=True)` for external repos: commas or
/// spaces separate the names (the CLI sends `x86_64,aarch64`).
fn arches(value: &Value) -> Result<Option<String>> {
    if value.is_nil() {
        return Ok(None);
    }
    let text = match value {
        Value::String(text) => text.replace(',', " "),
        other => py_str(other),
    };
    let text = lookup::parse_arches(&Value::from(text))?;
    Ok((!text.is_empty()).then_some(text))
}

/// `addExternalRepoToTag(tag_info, repo_info, priority, merge_mode='koji', arches=None)`
/// (perm `tag`).
pub async fn add_external_repo_to_tag(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "addExternalRepoToTag",
        ["tag_info", "repo_info", "priority"],
        ["merge_mode", "arches"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let repo = b.next_raw();
    let priority: i32 = b.arg()?;
    let mode = merge_mode(b.arg()?)?.unwrap_or_else(|| "koji".to_owned());
    let arches = arches(&b.next_raw())?;
    let who = cx.assert_perm("tag").await?;
    let tag = lookup::require_tag(cx.db(), &tag, None).await?;
    let repo = require(cx.db(), &repo, None).await?;
    let links = db::external_repos::tag_links(cx.db(), Some(vec![tag.id]), None, None).await?;
    if links.iter().any(|l| l.external_repo_id == repo.id) {
        return Err(Error::Generic(format!(
            "tag {} already associated with external repo {}",
            tag.name, repo.name
        )));
    }
    if links.iter().any(|l| l.priority == priority) {
        return Err(Error::Generic(format!(
            "tag {} already associated with an external repo at priority {priority}",
            tag.name
        )));
    }
    let change = lookup::change(cx, &who).await?;
    db::external_repos::link(
        &cx.tx()?,
        tag.id,
        repo.id,
        priority,
        &mode,
        arches.as_deref(),
        change,
    )
    .await?;
    info!(tag.name = %tag.name, external_repo.name = %repo.name, "added external repo {} to {}", repo.name, tag.name);
    Ok(Value::Nil)
}

/// `removeExternalRepoFromTag(tag_info, repo_info)` (perm `tag`).
pub async fn remove_external_repo_from_tag(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut b = params.bind(&signature!(
        "removeExternalRepoFromTag",
        ["tag_info", "repo_info"],
        []
    ))?;
    let tag = b.next_raw();
    let repo = b.next_raw();
    let who = cx.assert_perm("tag").await?;
    let tag = lookup::require_tag(cx.db(), &tag, None).await?;
    let repo = require(cx.db(), &repo, None).await?;
    let change = lookup::change(cx, &who).await?;
    if db::external_repos::unlink(&cx.tx()?, tag.id, repo.id, change).await? == 0 {
        return Err(Error::Generic(format!(
            "external repo {} not associated with tag {}",
            repo.name, tag.name
        )));
    }
    Ok(Value::Nil)
}

/// `editTagExternalRepo(tag_info, repo_info, priority=None, merge_mode=None, arches=None)`
/// (perm `tag`).
pub async fn edit_tag_external_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "editTagExternalRepo",
        ["tag_info", "repo_info"],
        ["priority", "merge_mode", "arches"]
    );
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let repo = b.next_raw();
    let priority: Option<i32> = b.arg()?;
    let mode = merge_mode(b.arg()?)?;
    let arches_value = b.next_raw();
    let who = cx.assert_perm("tag").await?;
    let tag = lookup::require_tag(cx.db(), &tag, None).await?;
    let repo = require(cx.db(), &repo, None).await?;
    let links = db::external_repos::tag_links(cx.db(), Some(vec![tag.id]), None, None).await?;
    let Some(link) = links.iter().find(|l| l.external_repo_id == repo.id) else {
        return Err(Error::Generic(format!(
            "external repo {} not associated with tag {}",
            repo.name, tag.name
        )));
    };
    let priority = priority.unwrap_or(link.priority);
    if links
        .iter()
        .any(|l| l.priority == priority && l.external_repo_id != repo.id)
    {
        return Err(Error::Generic(format!(
            "tag {} already associated with an external repo at priority {priority}",
            tag.name
        )));
    }
    let mode = mode.unwrap_or_else(|| link.merge_mode.clone());
    let arches = if arches_value.is_nil() {
        link.arches.clone()
    } else {
        arches(&arches_value)?
    };
    if priority == link.priority && mode == link.merge_mode && arches == link.arches {
        return Ok(Value::Nil);
    }
    let change = lookup::change(cx, &who).await?;
    let tx = cx.tx()?;
    db::external_repos::unlink(&tx, tag.id, repo.id, change).await?;
    db::external_repos::link(&tx, tag.id, repo.id, priority, &mode, arches.as_deref(), change).await?;
    Ok(Value::Nil)
}

/// `getTagExternalRepos(tag_info=None, repo_info=None, event=None)`: the tag's own links (no
/// inheritance), by tag then priority.
pub async fn get_tag_external_repos(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_tag_external_repos", [], ["tag_info", "repo_info", "event"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let repo = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let tag_ids = if tag.truthy() {
        Some(vec![lookup::require_tag(cx.db(), &tag, event).await?.id])
    } else {
        None
    };
    let repo_id = if repo.truthy() {
        Some(require(cx.db(), &repo, event).await?.id)
    } else {
        None
    };
    let rows = db::external_repos::tag_links(cx.db(), tag_ids, repo_id, event).await?;
    Ok(to_value(&rows.into_iter().map(tag_wire).collect::<Vec<_>>())?)
}

/// Koji's `get_external_repo_list`: the external repos of the tag and its ancestors in
/// inheritance order, each repo once (the nearest link wins).
pub async fn external_repo_list(client: &Client, tag_id: i64, event: Option<i64>) -> Result<Vec<TagRepoRow>> {
    let mut order = vec![tag_id];
    for node in full_inheritance(client, tag_id, event, false).await? {
        if !order.contains(&node.link.parent_id) {
            order.push(node.link.parent_id);
        }
    }
    let links = db::external_repos::tag_links(client, Some(order.clone()), None, event).await?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for tag in order {
        for link in links.iter().filter(|l| l.tag_id == tag) {
            if seen.insert(link.external_repo_id) {
                out.push(link.clone());
            }
        }
    }
    Ok(out)
}

/// `getExternalRepoList(tag_info, event=None)`.
pub async fn get_external_repo_list(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_external_repo_list", ["tag_info"], ["event"]);
    let mut b = params.bind(&SIG)?;
    let tag = b.next_raw();
    let event = lookup::event_arg(&b.next_raw())?;
    let tag = lookup::require_tag(cx.db(), &tag, event).await?;
    let rows = external_repo_list(cx.db(), tag.id, event).await?;
    Ok(to_value(&rows.into_iter().map(tag_wire).collect::<Vec<_>>())?)
}
