//! Events: `getEvent`, `getLastEvent`.

use common::signature;
use common::time::parse_client_time;
use common::wire::EventInfo;
use common::xmlrpc::{Params, Signature, Value, to_value};

use crate::db::{self, Micros};
use crate::error::{Error, Result};
use crate::rpc::call::Call;

fn event_value(event: &db::events::EventRow) -> Result<Value> {
    Ok(to_value(&EventInfo {
        id: event.id,
        ts: event.time.koji_ts(),
    })?)
}

/// `getEvent(id, strict=True)`.
pub async fn get_event(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getEvent", ["id"], ["strict"]);
    let mut bound = params.bind(&SIG)?;
    let event_id: i64 = bound.arg()?;
    let strict: Option<bool> = bound.arg()?;
    match db::events::get(cx.db(), event_id).await? {
        Some(event) => event_value(&event),
        None if strict.unwrap_or(true) => Err(Error::NotFound {
            what: "event",
            key: event_id.to_string(),
        }),
        None => Ok(Value::Nil),
    }
}

/// `getLastEvent(before=None, strict=True)`: the newest event, or the newest before a time
/// (epoch seconds).
pub async fn get_last_event(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("getLastEvent", [], ["before", "strict"]);
    let mut bound = params.bind(&SIG)?;
    let before = bound.next_raw();
    let strict: Option<bool> = bound.arg()?;
    let before = match &before {
        Value::Nil => None,
        Value::Int(_) | Value::Double(_) => parse_client_time(&before).map(Micros),
        other => {
            return Err(Error::InvalidValue(format!(
                "Invalid type for before: {}",
                other.type_name()
            )));
        }
    };
    match db::events::last(cx.db(), before).await? {
        Some(event) => event_value(&event),
        None if strict.unwrap_or(true) => Err(Error::Generic("No event found before the given time".into())),
        None => Ok(Value::Nil),
    }
}
