//! `listBuilds` until builds land: `taskinfo` calls `listBuilds(taskID=…)` for every task, and
//! there are no builds yet, so the answer is always empty.
//!
//! FIXME: the builds issue replaces this module with the real `listBuilds`.

use common::signature;
use common::xmlrpc::{Params, Signature, Value};

use crate::db::query::QueryOpts;
use crate::error::Result;
use crate::rpc::call::Call;

/// `listBuilds(packageID=None, userID=None, taskID=None, …, queryOpts=None, …)`: no builds
/// exist yet.
pub async fn list_builds(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "listBuilds",
        [],
        [
            "packageID",
            "userID",
            "taskID",
            "prefix",
            "state",
            "volumeID",
            "source",
            "createdBefore",
            "createdAfter",
            "completeBefore",
            "completeAfter",
            "type",
            "typeInfo",
            "queryOpts",
            "pattern",
            "cgID",
            "draft"
        ]
    );
    let mut bound = params.bind(&SIG)?;
    for _ in 0..13 {
        bound.next_raw();
    }
    let opts = QueryOpts::from_value(&bound.next_raw())?;
    Ok(if opts.count_only {
        Value::Int(0)
    } else {
        Value::Array(Vec::new())
    })
}
