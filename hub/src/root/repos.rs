//! Repos: `repoInfo`, `getRepo`, `getActiveRepos`, `repoExpire`, `repoProblem`, `repoDelete`,
//! `newRepo`, and Koji 1.35's `repo.*` request API (`repo.request`, `repo.checkRequest`,
//! `repo.get`, `repo.query`, `repo.queryQueue`, `repo.references`, `repo.setState`,
//! `repo.setRequestPriority`).

use std::cmp::Ordering;

use common::signature;
use common::states::{PRIO_DEFAULT, RepoState};
use common::xmlrpc::{Params, STARSTAR, Signature, Struct, Value};
use tracing::info;

use crate::db::repos::{NewRequest, RepoFilter, RepoOpts, RepoRow, RequestFilter, RequestRow};
use crate::db::{self, Micros};
use crate::error::{Error, Result};
use crate::repos::{layout, opts};
use crate::root::inheritance::tag_and_ancestors;
use crate::root::lookup::{self, py_str};
use crate::rpc::call::Call;
use crate::tasks::create::{TaskSpec, create};

fn time_pair(s: &mut Struct, name: &str, ts: &str, value: Option<Micros>) {
    s.insert(
        name.into(),
        value.map_or(Value::Nil, |t| Value::from(t.koji_time())),
    );
    s.insert(
        ts.into(),
        value.map_or(Value::Nil, |t| Value::Double(t.koji_ts())),
    );
}

fn opts_value(value: Option<&RepoOpts>) -> Value {
    value.map_or(Value::Nil, opts::to_value)
}

/// The wire form of a repo (every field of Koji's `RepoQuery`).
pub fn repo_value(row: &RepoRow) -> Value {
    let mut s = Struct::new();
    s.insert("id".into(), Value::Int(row.id));
    s.insert("tag_id".into(), Value::Int(row.tag_id));
    s.insert("tag_name".into(), Value::from(row.tag_name.clone()));
    time_pair(&mut s, "creation_time", "creation_ts", Some(row.creation_time));
    time_pair(&mut s, "state_time", "state_ts", Some(row.state_time));
    s.insert("create_event".into(), Value::Int(row.create_event));
    s.insert("create_ts".into(), Value::Double(row.create_ts.koji_ts()));
    s.insert("begin_event".into(), Value::from(row.begin_event));
    s.insert(
        "begin_ts".into(),
        row.begin_ts.map_or(Value::Nil, |t| Value::Double(t.koji_ts())),
    );
    s.insert("end_event".into(), Value::from(row.end_event));
    s.insert(
        "end_ts".into(),
        row.end_ts.map_or(Value::Nil, |t| Value::Double(t.koji_ts())),
    );
    s.insert("state".into(), Value::Int(i64::from(row.state.code())));
    s.insert("dist".into(), Value::Bool(row.dist));
    s.insert("opts".into(), opts_value(row.opts.as_ref()));
    s.insert("custom_opts".into(), opts_value(row.custom_opts.as_ref()));
    s.insert("task_id".into(), Value::from(row.task_id));
    s.insert(
        "task_state".into(),
        row.task_state.map_or(Value::Nil, |v| Value::Int(i64::from(v))),
    );
    Value::Struct(s)
}

/// The wire form of a repo request (every field of Koji's `RepoQueueQuery`).
pub fn request_value(row: &RequestRow) -> Value {
    let mut s = Struct::new();
    s.insert("id".into(), Value::Int(row.id));
    time_pair(&mut s, "create_time", "create_ts", Some(row.create_time));
    s.insert("owner".into(), Value::Int(row.owner));
    s.insert("owner_name".into(), Value::from(row.owner_name.clone()));
    s.insert("priority".into(), Value::Int(i64::from(row.priority)));
    s.insert("tag_id".into(), Value::Int(row.tag_id));
    s.insert("tag_name".into(), Value::from(row.tag_name.clone()));
    s.insert("at_event".into(), Value::from(row.at_event));
    s.insert("min_event".into(), Value::from(row.min_event));
    s.insert("opts".into(), opts::to_value(&row.opts));
    time_pair(&mut s, "update_time", "update_ts", Some(row.update_time));
    s.insert("active".into(), Value::Bool(row.active));
    s.insert("task_id".into(), Value::from(row.task_id));
    s.insert(
        "task_state".into(),
        row.task_state.map_or(Value::Nil, |v| Value::Int(i64::from(v))),
    );
    s.insert("tries".into(), Value::Int(i64::from(row.tries)));
    s.insert("repo_id".into(), Value::from(row.repo_id));
    Value::Struct(s)
}

/// Reads an integer argument (ids, events); nil is `None`.
fn int_arg(value: &Value, what: &str) -> Result<Option<i64>> {
    match value {
        Value::Nil => Ok(None),
        Value::Bool(_) => Err(Error::InvalidValue(format!("Invalid {what}: {value}"))),
        other => other
            .as_i64()
            .or_else(|| other.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| Error::InvalidValue(format!("Invalid {what}: {}", py_str(other)))),
    }
}

async fn require_repo(cx: &Call<'_>, repo_id: i64) -> Result<RepoRow> {
    db::repos::get(cx.db(), repo_id)
        .await?
        .ok_or_else(|| Error::Generic(format!("No such repo: {repo_id}")))
}

/// `repoInfo(repo_id, strict=False)`.
pub async fn repo_info(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repo_info", ["repo_id"], ["strict"]);
    let mut b = params.bind(&SIG)?;
    let repo_id = int_arg(&b.next_raw(), "repo id")?.unwrap_or(0);
    let strict: bool = b.arg()?;
    match db::repos::get(cx.db(), repo_id).await? {
        Some(row) => Ok(repo_value(&row)),
        None if strict => Err(Error::Generic(format!("No such repo: {repo_id}"))),
        None => Ok(Value::Nil),
    }
}

/// `getRepo(tag, state=None, event=None, dist=False, min_event=None)`: the newest repo of the
/// tag in `state` (READY by default) with `create_event >= min_event`; with `event`, the
/// newest made at or before it, whatever its state.
pub async fn get_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_repo", ["tag"], ["state", "event", "dist", "min_event"]);
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require_tag(cx.db(), &b.next_raw(), None).await?;
    let state = int_arg(&b.next_raw(), "state")?;
    let event = int_arg(&b.next_raw(), "event")?;
    let dist = b.next_raw().truthy();
    let min_event = int_arg(&b.next_raw(), "event")?;
    let mut filter = RepoFilter {
        tag_id: Some(tag.id),
        dist: Some(dist),
        min_event,
        newest_first: true,
        limit: Some(1),
        ..RepoFilter::default()
    };
    match event.filter(|e| *e != 0) {
        Some(event) => filter.max_event = Some(event),
        None => {
            let code = state.unwrap_or(i64::from(RepoState::Ready.code()));
            let state = i32::try_from(code)
                .ok()
                .and_then(RepoState::from_code)
                .ok_or_else(|| Error::InvalidValue(format!("Invalid repo state: {code}")))?;
            filter.states = Some(vec![state]);
        }
    }
    Ok(db::repos::query(cx.db(), &filter)
        .await?
        .first()
        .map_or(Value::Nil, repo_value))
}

/// The best READY repo for a tag (Koji's `repos.get_repo`): non-dist, every requested option,
/// no custom option not requested, `create_event == at_event` or `>= min_event`; newest event
/// first.
pub async fn best_repo(
    client: &db::Client,
    tag_id: i64,
    min_event: Option<i64>,
    at_event: Option<i64>,
    requested: &RepoOpts,
) -> Result<Option<RepoRow>> {
    let filter = RepoFilter {
        tag_id: Some(tag_id),
        dist: Some(false),
        states: Some(vec![RepoState::Ready]),
        opts_contain: Some(requested.clone()),
        custom_within: Some(requested.clone()),
        at_event,
        min_event: if at_event.is_some() { None } else { min_event },
        newest_first: true,
        limit: Some(1),
        ..RepoFilter::default()
    };
    Ok(db::repos::query(client, &filter).await?.into_iter().next())
}

/// `repo.get(tag, min_event=None, at_event=None, opts=None)`.
pub async fn repo_get(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_repo", ["tag"], ["min_event", "at_event", "opts"]);
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require_tag(cx.db(), &b.next_raw(), None).await?;
    let min_event = int_arg(&b.next_raw(), "event")?;
    let at_event = int_arg(&b.next_raw(), "event")?;
    let requested = opts::convert(&b.next_raw(), true)?;
    Ok(best_repo(cx.db(), tag.id, min_event, at_event, &requested)
        .await?
        .as_ref()
        .map_or(Value::Nil, repo_value))
}

/// The default `min_event` of a request (Koji's `default_min_event`): the tag's last change,
/// or, if that is recent, the last event older than the configured lag (rounded to the lag
/// window so close requests share an event).
async fn default_min_event(cx: &Call<'_>, tag_id: i64, extra: &Struct) -> Result<i64> {
    let tags = tag_and_ancestors(cx.db(), tag_id, None).await?;
    let last = db::history::last_change_event(cx.db(), &tags, None)
        .await?
        .unwrap_or(0);
    let lag = extra
        .get("repo.lag")
        .and_then(Value::as_i64)
        .map_or(cx.ctx.config.repos.lag_seconds, |l| l as f64);
    let window = cx.ctx.config.repos.lag_window_seconds.max(1.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let base_ts = ((now - lag) / window).floor() * window;
    let base = db::events::last(cx.db(), Some(Micros((base_ts * 1e6) as i64)))
        .await?
        .map_or(last, |e| e.id);
    Ok(base.min(last))
}

async fn check_event(cx: &Call<'_>, event: i64) -> Result<()> {
    if db::events::get(cx.db(), event).await?.is_none() {
        return Err(Error::InvalidValue(format!("Invalid event: {event}")));
    }
    Ok(())
}

/// `repo.request(tag, min_event=None, at_event=None, opts=None, priority=None, force=False)`:
/// a READY repo that already satisfies the request, else the matching active request
/// (`duplicate`), else a new request.
pub async fn repo_request(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "request_repo",
        ["tag"],
        ["min_event", "at_event", "opts", "priority", "force"]
    );
    let who = cx.assert_login()?;
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require_tag(cx.db(), &b.next_raw(), None).await?;
    let min_value = b.next_raw();
    let at_value = b.next_raw();
    let requested = opts::convert(&b.next_raw(), true)?;
    let priority = int_arg(&b.next_raw(), "priority")?;
    let force = b.next_raw().truthy();
    if requested.get("maven").copied().unwrap_or(false) {
        return Err(Error::Generic("Maven support not enabled".into()));
    }
    let extra = crate::root::tags::tag_info(&tag, false)?.extra;
    let (min_event, at_event) = match int_arg(&at_value, "event")? {
        Some(at) => {
            if !min_value.is_nil() {
                return Err(Error::InvalidValue(
                    "The min_event and at_event options conflict".into(),
                ));
            }
            check_event(cx, at).await?;
            (None, Some(at))
        }
        None => match &min_value {
            Value::String(s) if s == "last" => {
                let tags = tag_and_ancestors(cx.db(), tag.id, None).await?;
                (db::history::last_change_event(cx.db(), &tags, None).await?, None)
            }
            Value::Nil => (Some(default_min_event(cx, tag.id, &extra).await?), None),
            other => {
                let event = int_arg(other, "event")?.unwrap_or(0);
                check_event(cx, event).await?;
                (Some(event), None)
            }
        },
    };
    let priority = match priority {
        None => PRIO_DEFAULT,
        Some(p) => {
            if p < 0 && !cx.is_admin().await? {
                return Err(Error::NotAllowed(
                    "only admins may create high-priority requests".into(),
                ));
            }
            PRIO_DEFAULT + p
        }
    };
    let priority =
        i32::try_from(priority).map_err(|_| Error::InvalidValue(format!("Invalid priority: {priority}")))?;
    let mut answer = Struct::new();
    answer.insert("repo".into(), Value::Nil);
    answer.insert("request".into(), Value::Nil);
    answer.insert("duplicate".into(), Value::Bool(false));
    if !force && let Some(repo) = best_repo(cx.db(), tag.id, min_event, at_event, &requested).await? {
        answer.insert("repo".into(), repo_value(&repo));
        return Ok(Value::Struct(answer));
    }
    let filter = RequestFilter {
        tag_id: Some(tag.id),
        active: Some(true),
        opts: Some(requested.clone()),
        at_event,
        min_event_at_least: if at_event.is_some() { None } else { min_event },
        ..RequestFilter::default()
    };
    let tx = cx.tx()?;
    if let Some(mut existing) = db::repos::requests(&tx, &filter).await?.into_iter().next() {
        if existing.priority > priority {
            db::repos::set_request_priority(&tx, existing.id, priority).await?;
            existing.priority = priority;
        }
        answer.insert("request".into(), request_value(&existing));
        answer.insert("duplicate".into(), Value::Bool(true));
        return Ok(Value::Struct(answer));
    }
    let new = NewRequest {
        owner: who.user_id,
        priority,
        tag_id: tag.id,
        at_event,
        min_event: if at_event.is_some() {
            None
        } else {
            Some(min_event.unwrap_or(0))
        },
        opts: requested,
    };
    let request_id = db::repos::insert_request(&tx, &new).await?;
    info!(tag.name = %tag.name, request.id = request_id, "new repo request {request_id} for {}", tag.name);
    let row = db::repos::request(&tx, request_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("repo request {request_id} vanished")))?;
    answer.insert("request".into(), request_value(&row));
    Ok(Value::Struct(answer))
}

/// `repo.checkRequest(req_id)`: the request, its repo once there is one, and its task while
/// it has one and no repo yet.
pub async fn repo_check_request(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("check_repo_request", ["req_id"], []);
    let mut b = params.bind(&SIG)?;
    let request_id = int_arg(&b.next_raw(), "request id")?.unwrap_or(0);
    let request = db::repos::request(cx.db(), request_id)
        .await?
        .ok_or_else(|| Error::Generic("No such request".into()))?;
    let mut answer = Struct::new();
    answer.insert("request".into(), request_value(&request));
    answer.insert("repo".into(), Value::Nil);
    if let Some(repo_id) = request.repo_id {
        if let Some(repo) = db::repos::get(cx.db(), repo_id).await? {
            answer.insert("repo".into(), repo_value(&repo));
        }
    } else if let Some(task_id) = request.task_id
        && let Some(task) = crate::root::tasks::info(cx, task_id, false).await?
    {
        answer.insert("task".into(), common::xmlrpc::to_value(&task)?);
    }
    Ok(Value::Struct(answer))
}

/// `repo.setRequestPriority(req_id, priority)` (admin).
pub async fn repo_set_request_priority(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("set_request_priority", ["req_id", "priority"], []);
    cx.assert_perm("admin").await?;
    let mut b = params.bind(&SIG)?;
    let request_id = int_arg(&b.next_raw(), "request id")?.unwrap_or(0);
    let priority = int_arg(&b.next_raw(), "priority")?.unwrap_or(PRIO_DEFAULT);
    let priority =
        i32::try_from(priority).map_err(|_| Error::InvalidValue(format!("Invalid priority: {priority}")))?;
    if db::repos::set_request_priority(&cx.tx()?, request_id, priority).await? == 0 {
        return Err(Error::Generic("No such request".into()));
    }
    Ok(Value::Nil)
}

/// One `[field, op, value]` clause of `repo.query`/`repo.queryQueue`, checked against a
/// record.
fn clause_matches(record: &Struct, clause: &Value) -> Result<bool> {
    let bad = || Error::InvalidValue(format!("Invalid query clause: {clause}"));
    let parts = clause.as_array().ok_or_else(bad)?;
    let [field, op, value] = parts else {
        return Err(bad());
    };
    let field = field.as_str().ok_or_else(bad)?;
    let op = op.as_str().ok_or_else(bad)?.to_ascii_uppercase();
    let actual = record
        .get(field)
        .ok_or_else(|| Error::InvalidValue(format!("Invalid field for query: {field}")))?;
    let order = compare(actual, value);
    Ok(match op.as_str() {
        "=" | "IS" => actual == value || order == Some(Ordering::Equal),
        "!=" | "IS NOT" => !(actual == value || order == Some(Ordering::Equal)),
        "<" => order == Some(Ordering::Less),
        "<=" => matches!(order, Some(Ordering::Less | Ordering::Equal)),
        ">" => order == Some(Ordering::Greater),
        ">=" => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
        "IN" => value.as_array().ok_or_else(bad)?.iter().any(|v| v == actual),
        "NOT IN" => !value.as_array().ok_or_else(bad)?.iter().any(|v| v == actual),
        _ => return Err(Error::InvalidValue(format!("Invalid operator: {op}"))),
    })
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Double(y)) => (*x as f64).partial_cmp(y),
        (Value::Double(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Applies Koji's `QueryView` arguments to records: clauses, `fields` (nil: the defaults,
/// `'**'` or `'*'`: all), and `opts` `order` (`-field` descends) and `limit`.
fn query_view(
    records: Vec<Struct>,
    clauses: &Value,
    fields: &Value,
    query_opts: &Value,
    default_fields: &[&str],
) -> Result<Value> {
    let clauses = clauses.as_array().unwrap_or_default();
    let mut kept = Vec::new();
    for record in records {
        let mut all = true;
        for clause in clauses {
            if !clause_matches(&record, clause)? {
                all = false;
                break;
            }
        }
        if all {
            kept.push(record);
        }
    }
    if let Some(order) = query_opts.get("order").and_then(Value::as_str) {
        for key in order.split(',').rev() {
            let (key, descending) = match key.trim().strip_prefix('-') {
                Some(k) => (k, true),
                None => (key.trim(), false),
            };
            kept.sort_by(|a, b| {
                let o = compare(
                    a.get(key).unwrap_or(&Value::Nil),
                    b.get(key).unwrap_or(&Value::Nil),
                )
                .unwrap_or(Ordering::Equal);
                if descending { o.reverse() } else { o }
            });
        }
    }
    if let Some(limit) = query_opts.get("limit").and_then(Value::as_i64) {
        kept.truncate(usize::try_from(limit.max(0)).unwrap_or(0));
    }
    let wanted: Option<Vec<String>> = match fields {
        Value::Nil => Some(default_fields.iter().map(|f| (*f).to_owned()).collect()),
        Value::String(s) if s == "*" || s == "**" => None,
        Value::Array(list) => {
            let mut names = Vec::new();
            for f in list {
                match f.as_str() {
                    Some("*" | "**") => return query_view_all(kept),
                    Some(name) => names.push(name.to_owned()),
                    None => return Err(Error::InvalidValue(format!("Invalid field: {f}"))),
                }
            }
            Some(names)
        }
        other => return Err(Error::InvalidValue(format!("Invalid fields: {other}"))),
    };
    let Some(wanted) = wanted else {
        return query_view_all(kept);
    };
    let mut out = Vec::new();
    for record in kept {
        let mut s = Struct::new();
        for name in &wanted {
            let value = record
                .get(name)
                .ok_or_else(|| Error::InvalidValue(format!("Invalid field for query: {name}")))?;
            s.insert(name.clone(), value.clone());
        }
        out.push(Value::Struct(s));
    }
    Ok(Value::Array(out))
}

fn query_view_all(records: Vec<Struct>) -> Result<Value> {
    Ok(Value::Array(records.into_iter().map(Value::Struct).collect()))
}

fn as_struct(value: Value) -> Struct {
    match value {
        Value::Struct(s) => s,
        _ => Struct::new(),
    }
}

/// Pushes simple `tag_id`/`id`/`state` equality clauses down into the database filter.
fn repo_pushdown(clauses: &Value) -> RepoFilter {
    let mut filter = RepoFilter::default();
    for clause in clauses.as_array().unwrap_or_default() {
        if let Some([Value::String(field), Value::String(op), value]) = clause.as_array()
            && op == "="
        {
            match (field.as_str(), value.as_i64()) {
                ("tag_id", Some(v)) => filter.tag_id = Some(v),
                ("id", Some(v)) => filter.id = Some(v),
                ("state", Some(v)) => {
                    filter.states = i32::try_from(v)
                        .ok()
                        .and_then(RepoState::from_code)
                        .map(|s| vec![s]);
                }
                _ => {}
            }
        }
    }
    filter
}

/// `repo.query(clauses, fields=None, opts=None)`.
pub async fn repo_query(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("query", ["clauses"], ["fields", "opts"]);
    let mut b = params.bind(&SIG)?;
    let clauses = b.next_raw();
    let fields = b.next_raw();
    let query_opts = b.next_raw();
    let rows = db::repos::query(cx.db(), &repo_pushdown(&clauses)).await?;
    let records = rows.iter().map(|r| as_struct(repo_value(r))).collect();
    query_view(
        records,
        &clauses,
        &fields,
        &query_opts,
        &[
            "id",
            "tag_id",
            "create_event",
            "state",
            "dist",
            "task_id",
            "opts",
            "custom_opts",
        ],
    )
}

/// `repo.queryQueue(clauses=None, fields=None, opts=None)`.
pub async fn repo_query_queue(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("query_queue", [], ["clauses", "fields", "opts"]);
    let mut b = params.bind(&SIG)?;
    let clauses = b.next_raw();
    let fields = b.next_raw();
    let query_opts = b.next_raw();
    let rows = db::repos::requests(cx.db(), &RequestFilter::default()).await?;
    let records = rows.iter().map(|r| as_struct(request_value(r))).collect();
    query_view(
        records,
        &clauses,
        &fields,
        &query_opts,
        &[
            "id",
            "tag_id",
            "at_event",
            "min_event",
            "create_ts",
            "task_id",
            "tries",
            "repo_id",
            "opts",
            "active",
            "update_ts",
        ],
    )
}

/// `repo.references(repo_id)`: the buildroots still using the repo.
pub async fn repo_references(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repo_references", ["repo_id"], []);
    let mut b = params.bind(&SIG)?;
    let repo_id = int_arg(&b.next_raw(), "repo id")?.unwrap_or(0);
    let refs = db::repos::references(cx.db(), repo_id).await?;
    Ok(Value::Array(
        refs.iter()
            .map(|r| {
                Value::structure([
                    ("id", Value::Int(r.id)),
                    ("host_id", Value::Int(r.host_id)),
                    ("create_event", Value::Int(r.create_event)),
                    ("state", r.state.map_or(Value::Nil, |s| Value::Int(i64::from(s)))),
                ])
            })
            .collect(),
    ))
}

/// Moves a repo to `state`; with `check`, only forward (Koji's `repo_set_state`).
pub async fn set_state(cx: &mut Call<'_>, repo_id: i64, state: RepoState, check: bool) -> Result<RepoRow> {
    let tx = cx.tx()?;
    let current = db::repos::lock(&tx, repo_id)
        .await?
        .ok_or_else(|| Error::Generic(format!("No such repo: {repo_id}")))?;
    if check && current.code() > state.code() {
        return Err(Error::Generic(format!(
            "Invalid repo state transition {}->{}",
            current.code(),
            state.code()
        )));
    }
    db::repos::set_state(&tx, repo_id, state).await?;
    db::repos::notify_repo_work(&tx).await?;
    info!(repo.id = repo_id, "repo {repo_id} is now {}", state.name());
    require_repo(cx, repo_id).await
}

/// `repoExpire(repo_id)` (perm `repo`).
pub async fn repo_expire(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repoExpire", ["repo_id"], []);
    cx.assert_perm("repo").await?;
    let mut b = params.bind(&SIG)?;
    let repo_id = int_arg(&b.next_raw(), "repo id")?.unwrap_or(0);
    set_state(cx, repo_id, RepoState::Expired, true).await?;
    Ok(Value::Nil)
}

/// `repoProblem(repo_id)` (perm `repo`): marks the repo PROBLEM from any state.
pub async fn repo_problem(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repoProblem", ["repo_id"], []);
    cx.assert_perm("repo").await?;
    let mut b = params.bind(&SIG)?;
    let repo_id = int_arg(&b.next_raw(), "repo id")?.unwrap_or(0);
    set_state(cx, repo_id, RepoState::Problem, false).await?;
    Ok(Value::Nil)
}

/// `repo.setState(repo_id, state)` (perm `repo`).
pub async fn repo_set_state(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("set_state", ["repo_id", "state"], []);
    cx.assert_perm("repo").await?;
    let mut b = params.bind(&SIG)?;
    let repo_id = int_arg(&b.next_raw(), "repo id")?.unwrap_or(0);
    let code = int_arg(&b.next_raw(), "state")?.unwrap_or(-1);
    let state = i32::try_from(code)
        .ok()
        .and_then(RepoState::from_code)
        .ok_or_else(|| Error::InvalidValue(format!("Invalid repo state: {code}")))?;
    let row = set_state(cx, repo_id, state, true).await?;
    if state == RepoState::Deleted {
        remove_files(cx, &row).await?;
    }
    Ok(Value::Nil)
}

async fn remove_files(cx: &Call<'_>, row: &RepoRow) -> Result<()> {
    let topdir = cx.ctx.config.topdir.clone();
    let tag_name = row.tag_name.clone();
    let repo_id = row.id;
    tokio::task::spawn_blocking(move || layout::remove(&topdir, &tag_name, repo_id))
        .await
        .map_err(|e| Error::Internal(format!("removing repo files: {e}")))?
}

/// `repoDelete(repo_id)` (perm `repo`): the number of buildroots still using the repo; when
/// none, the repo is marked DELETED and its files removed.
pub async fn repo_delete(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("repoDelete", ["repo_id"], []);
    cx.assert_perm("repo").await?;
    let mut b = params.bind(&SIG)?;
    let repo_id = int_arg(&b.next_raw(), "repo id")?.unwrap_or(0);
    let refs = db::repos::references(cx.db(), repo_id).await?;
    if !refs.is_empty() {
        return Ok(Value::Int(i64::try_from(refs.len()).unwrap_or(i64::MAX)));
    }
    let row = set_state(cx, repo_id, RepoState::Deleted, false).await?;
    remove_files(cx, &row).await?;
    Ok(Value::Int(0))
}

/// `getActiveRepos()`: every repo not DELETED.
pub async fn get_active_repos(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("get_active_repos", [], []);
    params.bind(&SIG)?;
    let filter = RepoFilter {
        states: Some(vec![
            RepoState::Init,
            RepoState::Ready,
            RepoState::Expired,
            RepoState::Problem,
        ]),
        ..RepoFilter::default()
    };
    let rows = db::repos::query(cx.db(), &filter).await?;
    Ok(Value::Array(rows.iter().map(repo_value).collect()))
}

/// `newRepo(tag, event=None, src=False, debuginfo=False, separate_src=False)` (admin, `repo`
/// or `regen-repo`): a `newRepo` task in the `createrepo` channel at priority 15.
pub async fn new_repo(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("newRepo", ["tag"], ["event", "src", "debuginfo", "separate_src"]);
    let who = cx.assert_login()?;
    if !(cx.is_admin().await? || cx.has_perm("repo").await? || cx.has_perm("regen-repo").await?) {
        return Err(Error::PermissionRequired {
            perm: "repo".into(),
            user: who.user_name,
        });
    }
    let mut b = params.bind(&SIG)?;
    let tag = lookup::require_tag(cx.db(), &b.next_raw(), None).await?;
    let event = int_arg(&b.next_raw(), "event")?;
    let mut kwargs = Struct::new();
    if let Some(event) = event {
        check_event(cx, event).await?;
        kwargs.insert("event".into(), Value::Int(event));
    }
    for name in ["src", "debuginfo", "separate_src"] {
        if b.next_raw().truthy() {
            kwargs.insert(name.into(), Value::Bool(true));
        }
    }
    let mut args = vec![Value::from(tag.name.clone())];
    if !kwargs.is_empty() {
        kwargs.insert(STARSTAR.into(), Value::Bool(true));
        args.push(Value::Struct(kwargs));
    }
    let spec = TaskSpec {
        method: "newRepo".into(),
        args,
        channel: Some(Value::from("createrepo")),
        priority: Some(15),
        ..TaskSpec::default()
    };
    let task_id = create(&cx.tx()?, Some(who.user_id), spec).await?;
    Ok(Value::Int(task_id))
}
