//! The scheduler's inspection calls: `scheduler.getTaskRuns`, `scheduler.getTaskRefusals`,
//! `scheduler.getHostData`, `scheduler.getLogMessages`, and `scheduler.doRun` (admin: runs the
//! periodic check now).
//!
//! Clauses are `[field, "=", value]` triples on `task_id`, `host_id` and (for runs) `active`.

use common::signature;
use common::xmlrpc::{Params, Signature, Struct, Value, to_value};

use crate::db;
use crate::error::{Error, Result};
use crate::rpc::call::Call;
use crate::scheduler::monitor;

/// Equality filters read from clauses.
#[derive(Debug, Default, PartialEq)]
struct Clauses {
    task_id: Option<i64>,
    host_id: Option<i64>,
    active: Option<bool>,
}

fn clauses(value: &Value) -> Result<Clauses> {
    let mut out = Clauses::default();
    let Some(items) = value.as_array() else {
        return if value.is_nil() {
            Ok(out)
        } else {
            Err(Error::InvalidValue("clauses must be a list".into()))
        };
    };
    for clause in items {
        let bad = || Error::InvalidValue(format!("Invalid clause: {clause}"));
        let [Value::String(field), Value::String(op), value] = clause.as_array().unwrap_or_default() else {
            return Err(bad());
        };
        if op != "=" && op != "==" {
            return Err(bad());
        }
        match field.as_str() {
            "task_id" => out.task_id = Some(value.as_i64().ok_or_else(bad)?),
            "host_id" => out.host_id = Some(value.as_i64().ok_or_else(bad)?),
            "active" => out.active = Some(value.truthy()),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

fn select_fields(rows: Vec<Value>, fields: &Value) -> Result<Value> {
    let Some(fields) = fields.as_array() else {
        return Ok(Value::Array(rows));
    };
    let names: Vec<&str> = fields.iter().filter_map(Value::as_str).collect();
    Ok(Value::Array(
        rows.into_iter()
            .map(|row| match row {
                Value::Struct(members) => Value::Struct(
                    members
                        .into_iter()
                        .filter(|(k, _)| names.contains(&k.as_str()))
                        .collect(),
                ),
                other => other,
            })
            .collect(),
    ))
}

/// `scheduler.getTaskRuns(clauses=None, fields=None, opts=None)`.
pub async fn get_task_runs(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getTaskRuns", [], ["clauses", "fields", "opts"]);
    let mut bound = params.bind(&SIG)?;
    let filter = clauses(&bound.next_raw())?;
    let fields = bound.next_raw();
    let _opts = bound.next_raw();
    let rows = db::scheduler::runs(cx.db(), filter.task_id, filter.host_id, filter.active).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Value::Struct(Struct::from([
                ("id".to_owned(), Value::Int(r.id)),
                ("task_id".to_owned(), Value::Int(r.task_id)),
                ("host_id".to_owned(), Value::Int(r.host_id)),
                ("active".to_owned(), Value::Bool(r.active)),
                ("create_ts".to_owned(), Value::Double(r.create_time.koji_ts())),
            ]))
        })
        .collect();
    select_fields(rows, &fields)
}

/// `scheduler.getTaskRefusals(clauses=None, fields=None)`.
pub async fn get_task_refusals(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getTaskRefusals", [], ["clauses", "fields"]);
    let mut bound = params.bind(&SIG)?;
    let filter = clauses(&bound.next_raw())?;
    let fields = bound.next_raw();
    let rows = db::scheduler::refusals(cx.db(), filter.task_id, filter.host_id).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Value::Struct(Struct::from([
                ("id".to_owned(), Value::Int(r.id)),
                ("task_id".to_owned(), Value::Int(r.task_id)),
                ("host_id".to_owned(), Value::Int(r.host_id)),
                ("by_host".to_owned(), Value::Bool(r.by_host)),
                ("soft".to_owned(), Value::Bool(r.soft)),
                ("msg".to_owned(), Value::from(r.msg.clone())),
                ("ts".to_owned(), Value::Double(r.time.koji_ts())),
            ]))
        })
        .collect();
    select_fields(rows, &fields)
}

/// `scheduler.getHostData(hostID=None)`: `[{host_id, data}]`.
pub async fn get_host_data(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("getHostData", [], ["hostID"]))?;
    let host_id: Option<i64> = bound.arg()?;
    let rows = db::hosts::host_data(cx.db(), host_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(Value::Struct(Struct::from([
            ("host_id".to_owned(), Value::Int(row.host_id)),
            ("data".to_owned(), to_value(&row.data)?),
        ])));
    }
    Ok(Value::Array(out))
}

/// `scheduler.getLogMessages(clauses=None, fields=None, opts=None)`.
pub async fn get_log_messages(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getLogMessages", [], ["clauses", "fields", "opts"]);
    let mut bound = params.bind(&SIG)?;
    let filter = clauses(&bound.next_raw())?;
    let fields = bound.next_raw();
    let opts = bound.next_raw();
    let limit = opts.get("limit").and_then(Value::as_i64).unwrap_or(1000);
    let rows = db::scheduler::log_messages(cx.db(), filter.task_id, filter.host_id, limit).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Value::Struct(Struct::from([
                ("id".to_owned(), Value::Int(r.id)),
                ("task_id".to_owned(), Value::from(r.task_id)),
                ("host_id".to_owned(), Value::from(r.host_id)),
                ("msg_ts".to_owned(), Value::Double(r.msg_time.koji_ts())),
                ("msg".to_owned(), Value::String(r.msg.clone())),
            ]))
        })
        .collect();
    select_fields(rows, &fields)
}

/// `scheduler.doRun(force=False)` (admin): runs the periodic check now; true if it ran (false
/// if another hub was running it).
pub async fn do_run(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    let mut bound = params.bind(&signature!("doRun", [], ["force"]))?;
    let _force: bool = bound.arg()?;
    cx.assert_perm("admin").await?;
    let report = monitor::check_once(cx.ctx).await?;
    Ok(Value::Bool(!report.skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_equalities_on_known_fields() {
        let value = Value::Array(vec![
            Value::Array(vec![Value::from("task_id"), Value::from("="), Value::Int(5)]),
            Value::Array(vec![Value::from("active"), Value::from("="), Value::Bool(true)]),
        ]);
        assert_eq!(
            clauses(&value).unwrap(),
            Clauses {
                task_id: Some(5),
                host_id: None,
                active: Some(true)
            }
        );
        let bad = Value::Array(vec![Value::Array(vec![
            Value::from("owner"),
            Value::from("="),
            Value::Int(1),
        ])]);
        assert!(clauses(&bad).is_err());
        assert!(clauses(&Value::Nil).unwrap() == Clauses::default());
    }
}
