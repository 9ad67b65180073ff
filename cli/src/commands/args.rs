//! Pieces several command families share: Koji's event options (`--event`, `--ts`,
//! `--repo`), multicalls with Koji's strict and lenient result handling, and small value
//! conversions (`parse_arches`, `parse_NVR`, timestamps).

use std::io::Write;

use common::client::ClientError;
use common::xmlrpc::{Params, Value};
use common::{Fault, FaultCode};

use crate::commands::field_i64;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::time::asctime;

/// Koji's event options: query at an event, at the last event before a time, or at a repo's
/// creation (`koji.util.eventFromOpts`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EventArgs {
    /// query at event
    #[arg(long, value_name = "EVENT#")]
    pub event: Option<i64>,
    /// query at last event before timestamp
    #[arg(long, value_name = "TIMESTAMP")]
    pub ts: Option<i64>,
    /// query at event for a repo
    #[arg(long, value_name = "REPO#")]
    pub repo: Option<i64>,
}

/// An event as the event options pick it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event id.
    pub id: i64,
    /// Its time (Unix seconds).
    pub ts: f64,
}

impl EventArgs {
    /// The chosen event, if any option was given (`eventFromOpts`).
    pub fn resolve(&self, ctx: &Ctx) -> Result<Option<Event>> {
        let info = if let Some(event) = self.event.filter(|e| *e != 0) {
            ctx.call("getEvent", vec![Value::Int(event)])?
        } else if let Some(ts) = self.ts {
            ctx.call_kw("getLastEvent", vec![], vec![("before", Value::Int(ts))])?
        } else if let Some(repo) = self.repo {
            let info = ctx.call_kw(
                "repoInfo",
                vec![Value::Int(repo)],
                vec![("strict", Value::Bool(true))],
            )?;
            Value::structure([
                ("id", info.get("create_event").cloned().unwrap_or_default()),
                ("ts", info.get("create_ts").cloned().unwrap_or_default()),
            ])
        } else {
            return Ok(None);
        };
        if info.is_nil() {
            return Err(Error::Failed("Error: no such event".into()));
        }
        Ok(Some(Event {
            id: field_i64(&info, "id").unwrap_or_default(),
            ts: info.get("ts").and_then(as_f64).unwrap_or_default(),
        }))
    }
}

/// Resolves the event options and prints Koji's `Querying at event N (time)` line.
pub fn announce_event(ctx: &mut Ctx, args: &EventArgs) -> Result<Option<Event>> {
    let event = args.resolve(ctx)?;
    if let Some(event) = &event {
        writeln!(ctx.out, "Querying at event {} ({})", event.id, asctime(event.ts))?;
    }
    Ok(event)
}

/// The keyword arguments for an event: `event=N` or nothing.
pub fn event_keywords(event: Option<&Event>) -> Vec<(&'static str, Value)> {
    event
        .map(|e| vec![("event", Value::Int(e.id))])
        .unwrap_or_default()
}

/// A number as a float (ints and doubles), as Python treats timestamps.
pub fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Double(d) => Some(*d),
        #[expect(clippy::cast_precision_loss, reason = "timestamps fit in an f64 mantissa")]
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// One call of a multicall: its method and parameters.
pub fn entry(method: &str, positional: Vec<Value>, keywords: Vec<(&str, Value)>) -> (String, Params) {
    (
        method.to_owned(),
        Params {
            positional,
            keywords: keywords.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        },
    )
}

/// A multicall whose first fault fails the command, as Koji's `multicall(strict=True)`.
pub fn multicall_strict(ctx: &Ctx, calls: Vec<(String, Params)>) -> Result<Vec<Value>> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let results = ctx.session()?.multicall(calls)?;
    results
        .into_iter()
        .map(|r| r.map_err(|fault| Error::Client(ClientError::Fault(fault))))
        .collect()
}

/// A multicall whose faults are returned one by one.
pub fn multicall(ctx: &Ctx, calls: Vec<(String, Params)>) -> Result<Vec<Result<Value, Fault>>> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ctx.session()?.multicall(calls)?)
}

/// True for Koji's ParameterError fault (a hub too old for a keyword).
pub fn is_parameter_error(error: &Error) -> bool {
    error.is_fault(FaultCode::Parameter)
}

/// Koji's `parse_arches`: a comma- or space-separated list, normalised to single spaces.
pub fn parse_arches(text: &str) -> Result<Vec<String>> {
    let arches: Vec<String> = text
        .replace(',', " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let valid = |arch: &String| {
        arch.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !arches.iter().all(valid) {
        return Err(Error::Failed(
            "GenericError: Architecture can be only [a-zA-Z0-9_-]".into(),
        ));
    }
    Ok(arches)
}

/// True when `text` splits as Koji's `parse_NVR` splits an N-V-R.
pub fn is_nvr(text: &str) -> bool {
    let Some(p2) = text.rfind('-') else {
        return false;
    };
    if p2 + 1 == text.len() {
        return false;
    }
    let head = &text[..p2];
    match head.rfind('-') {
        Some(p1) => p1 + 1 != p2,
        None => false,
    }
}

/// Koji's `arg_filter(value, parse_json=True)`: a number, `None`/`True`/`False`, JSON, or the
/// text itself.
pub fn arg_filter_json(text: &str) -> Value {
    match crate::pyliteral::arg_filter(text) {
        Ok(Value::String(s)) => crate::pyliteral::from_json(&s).unwrap_or(Value::String(s)),
        Ok(other) => other,
        Err(_) => Value::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches() {
        assert_eq!(
            parse_arches("x86_64,aarch64  ppc64le").unwrap(),
            ["x86_64", "aarch64", "ppc64le"]
        );
        assert!(parse_arches("x86/64").is_err());
    }

    #[test]
    fn nvrs() {
        for (text, expected) in [
            ("foo-1-1", true),
            ("foo-bar-1.0-1.fc40", true),
            ("123", false),
            ("foo-1", false),
            ("foo--1", false),
            ("foo-1-", false),
        ] {
            assert_eq!(is_nvr(text), expected, "{text}");
        }
    }

    #[test]
    fn json_filter() {
        assert_eq!(arg_filter_json("12"), Value::Int(12));
        assert_eq!(arg_filter_json("None"), Value::Nil);
        assert_eq!(
            arg_filter_json("[1, \"a\"]"),
            Value::Array(vec![Value::Int(1), Value::from("a")])
        );
        assert_eq!(arg_filter_json("plain"), Value::from("plain"));
    }
}
