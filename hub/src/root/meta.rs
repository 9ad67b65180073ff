//! Introspection and meta methods: versions, echo, the method list.

use common::signature;
use common::states::{API_VERSION, KOJI_VERSION};
use common::xmlrpc::{Params, Signature, Value};

use crate::error::{Error, Result};
use crate::rpc::call::Call;
use crate::rpc::dispatch;

const NO_ARGS: Signature = signature!("f", [], []);

fn no_args(name: &'static str, params: Params) -> Result<()> {
    params.bind(&Signature { name, ..NO_ARGS })?;
    Ok(())
}

/// `getAPIVersion()`: Koji's API version, 1.
pub async fn get_api_version(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("getAPIVersion", params)?;
    Ok(Value::Int(API_VERSION))
}

/// `getKojiVersion()`: the Koji version we are compatible with.
pub async fn get_koji_version(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("getKojiVersion", params)?;
    Ok(Value::from(KOJI_VERSION))
}

/// `echo(*args)`: the arguments back (kojid checks `echo("OK") == ["OK"]`).
pub async fn echo(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("echo", [], [], *args);
    let bound = params.bind(&SIG)?;
    Ok(Value::Array(bound.rest))
}

/// `hello(*args)`: a greeting.
pub async fn hello(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("hello", [], [], *args);
    params.bind(&SIG)?;
    Ok(Value::from("Hello World"))
}

/// `fault()`: always fails (for testing clients).
pub async fn fault(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("fault", params)?;
    Err(Error::Generic("test fault".into()))
}

/// `error()`: always fails (for testing clients).
pub async fn error(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("error", params)?;
    Err(Error::Generic("test error".into()))
}

/// `mavenEnabled()`: Kiln has no Maven support.
pub async fn maven_enabled(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("mavenEnabled", params)?;
    Ok(Value::Bool(false))
}

/// `winEnabled()`: Kiln has no Windows build support.
pub async fn win_enabled(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("winEnabled", params)?;
    Ok(Value::Bool(false))
}

/// `system.listMethods()`.
pub async fn list_methods(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("system_listMethods", params)?;
    Ok(Value::Array(dispatch::all_names().map(Value::from).collect()))
}

/// `system.methodSignature(method)`: as Koji, not supported.
pub async fn method_signature(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("system_methodSignature", ["method"], []);
    params.bind(&SIG)?;
    Ok(Value::from("signatures not supported"))
}

/// `system.methodHelp(method)`: the method name, or "" for unknown methods.
pub async fn method_help(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("system_methodHelp", ["method"], []);
    let mut bound = params.bind(&SIG)?;
    let method: String = bound.arg()?;
    let known = dispatch::all_names().any(|name| name == method);
    Ok(Value::from(if known {
        format!("{method}(...)")
    } else {
        String::new()
    }))
}

/// `_listapi()`: the methods, in the shape `koji list-api` prints.
pub async fn list_api(_cx: &mut Call<'_>, params: Params) -> Result<Value> {
    no_args("list_api", params)?;
    let entries = dispatch::all_names()
        .map(|name| {
            Value::structure([
                ("name", Value::from(name)),
                ("doc", Value::Nil),
                (
                    "argspec",
                    Value::Array(vec![
                        Value::Array(vec![]),
                        Value::from("args"),
                        Value::from("kwargs"),
                        Value::Nil,
                    ]),
                ),
                ("argdesc", Value::from("(*args, **kwargs)")),
                ("args", Value::Array(vec![])),
            ])
        })
        .collect();
    Ok(Value::Array(entries))
}
