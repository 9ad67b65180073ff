//! `search(terms, type, matchType, queryOpts=None)`: names matching a glob, a regular
//! expression or exactly, as `[{id, name}]`.

use common::signature;
use common::xmlrpc::{Params, Signature, Struct, Value};

use crate::db;
use crate::db::query::QueryOpts;
use crate::db::search::{Matching, SearchTable};
use crate::error::{Error, Result};
use crate::rpc::call::Call;

/// `search(terms, type, matchType, queryOpts=None)`.
pub async fn search(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("search", ["terms", "type", "matchType"], ["queryOpts"]);
    let mut bound = params.bind(&SIG)?;
    let terms: String = bound.arg()?;
    let kind: String = bound.arg()?;
    let match_type: String = bound.arg()?;
    let opts = QueryOpts::from_value(&bound.next_raw())?;
    if terms.is_empty() {
        return Err(Error::Generic("empty search terms".into()));
    }
    let table = SearchTable::from_koji(&kind)
        .ok_or_else(|| Error::Generic(format!("No such search type: {kind}")))?;
    // Koji treats any other match type as a regular expression.
    let matching = match match_type.as_str() {
        "glob" => Matching::Glob,
        "exact" => Matching::Exact,
        _ => Matching::Regexp,
    };
    let rows = db::search::search(cx.db(), table, &terms, matching, &opts).await?;
    if opts.count_only {
        return Ok(Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX)));
    }
    Ok(Value::Array(
        rows.into_iter()
            .map(|r| {
                Value::Struct(Struct::from([
                    ("id".to_owned(), Value::Int(r.id)),
                    ("name".to_owned(), Value::String(r.name)),
                ]))
            })
            .collect(),
    ))
}
