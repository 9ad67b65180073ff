//! The REST API under `/module-build-service/<1|2>/` (mbs.md §3): routing, request bodies, JSON
//! answers and MBS's error bodies.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::auth::{self, Caller};
use super::config::REBUILD_STRATEGIES;
use super::error::ApiError;
use super::json::{ModuleView, Verbosity, component_json, module_json};
use super::query::{self, Params};
use super::{import, state, submit};
use crate::ctx::Ctx;
use crate::db::modules::{self, ComponentBuildRow, ModuleBuildRow, TraceRow};
use crate::db::{Client, Tx};
use crate::http::router::{Body, full};
use crate::rpc::call::Peer;

/// Where the API lives.
pub const PREFIX: &str = "/module-build-service/";

/// The largest request body accepted (a modulemd document is far smaller).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

fn json_response(status: u16, value: &Value, cors: bool) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if cors {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    response
}

fn error_response(error: &ApiError) -> Response<Body> {
    json_response(error.status, &error.body(), false)
}

/// One request's context.
struct ApiRequest<'a> {
    ctx: &'a Ctx,
    peer: &'a Peer,
    client: &'a Client,
    headers: http::HeaderMap,
    params: Params,
    api_version: u32,
    /// `scheme://host` as the client addressed us, for pagination links.
    origin: String,
}

impl ApiRequest<'_> {
    async fn caller(&self) -> Result<Option<Caller>, ApiError> {
        auth::authenticate(self.ctx, self.client, &self.headers, self.peer).await
    }

    fn base(&self) -> String {
        format!("{PREFIX}{}/", self.api_version)
    }
}

/// Handles a request under [`PREFIX`].
pub async fn route(ctx: Arc<Ctx>, peer: Arc<Peer>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let (version, endpoint) = rest.split_once('/').unwrap_or((rest, ""));
    let api_version = match version {
        "1" => 1,
        "2" => 2,
        _ => {
            return error_response(&ApiError::not_found("The requested API version is not available"));
        }
    };
    let connection = match ctx.pool.get().await {
        Ok(connection) => connection,
        Err(error) => {
            return error_response(&ApiError::new(
                500,
                format!("The database is unavailable: {error}"),
            ));
        }
    };
    let client = Client::of(&connection);
    let scheme = if peer.tls { "https" } else { "http" };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| ctx.config.listen.to_string(), str::to_owned);
    let method = request.method().clone();
    let (parts, body) = request.into_parts();
    let context = ApiRequest {
        ctx: &ctx,
        peer: &peer,
        client,
        headers: parts.headers,
        params: Params::parse(parts.uri.query()),
        api_version,
        origin: format!("{scheme}://{host}"),
    };
    let segments: Vec<&str> = endpoint.split('/').filter(|s| !s.is_empty()).collect();
    let result = match (method.clone(), segments.as_slice()) {
        (Method::GET, ["module-builds"]) => list_modules(&context).await,
        (Method::POST, ["module-builds"]) => match read_json(body).await {
            Ok(value) => submit_build(&context, &value).await,
            Err(error) => Err(error),
        },
        (Method::GET, ["module-builds", id]) => get_module(&context, id).await,
        (Method::PATCH | Method::PUT, ["module-builds", id]) => {
            let body = read_json(body).await;
            cancel(&context, id, body).await
        }
        (Method::GET, ["component-builds"]) => list_components(&context).await,
        (Method::GET, ["component-builds", id]) => get_component(&context, id).await,
        (Method::GET, ["about"]) => Ok((
            200,
            json!({"version": env!("CARGO_PKG_VERSION"), "api_version": 2, "auth_method": "kerberos"}),
        )),
        (Method::GET, ["rebuild-strategies"]) => Ok((200, rebuild_strategies(&ctx))),
        (Method::GET, ["final-modulemd", id]) => final_modulemd(&context, id).await,
        (Method::POST, ["import-module"]) => match read_json(body).await {
            Ok(value) => import_module(&context, &value).await,
            Err(error) => Err(error),
        },
        (
            _,
            [
                "module-builds" | "component-builds" | "about" | "rebuild-strategies" | "import-module"
                | "final-modulemd",
                ..,
            ],
        ) => Err(ApiError::new(
            405,
            "The method is not allowed for the requested URL.",
        )),
        _ => Err(ApiError::not_found(
            "The requested URL was not found on the server.",
        )),
    };
    match result {
        Ok((status, value)) => json_response(status, &value, method == Method::GET),
        Err(error) => error_response(&error),
    }
}

/// `GET final-modulemd/<id>`: `{"<arch>": "<modulemd>"}` (MBS's final per-arch documents);
/// an unknown id is a 400, as in MBS.
async fn final_modulemd(request: &ApiRequest<'_>, id: &str) -> Result<(u16, Value), ApiError> {
    let missing = || ApiError::bad_request("The module could not be found");
    let id: i64 = id.parse().map_err(|_| missing())?;
    let row = modules::get(request.client, id).await?.ok_or_else(missing)?;
    let documents = crate::mbs::backend::final_modulemds(request.client, &row).await?;
    Ok((200, json!(documents)))
}

async fn read_json(body: Incoming) -> Result<Value, ApiError> {
    let bytes = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|_| ApiError::bad_request("Invalid JSON submitted"))?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|_| ApiError::bad_request("Invalid JSON submitted"))
}

fn parse_id(text: &str, missing: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| ApiError::not_found(missing))
}

/// The JSON of module builds, loading what their shape needs in a few queries.
async fn modules_json(
    request: &ApiRequest<'_>,
    rows: &[ModuleBuildRow],
    verbosity: Verbosity,
    with_tasks: bool,
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let (components, traces) = if verbosity == Verbosity::Short {
        (Vec::new(), Vec::new())
    } else {
        let components = modules::components_of(request.client, &ids).await?;
        let traces = if verbosity == Verbosity::Extended {
            modules::module_traces(request.client, &ids).await?
        } else {
            Vec::new()
        };
        (components, traces)
    };
    let mut by_module: BTreeMap<i64, Vec<&ComponentBuildRow>> = BTreeMap::new();
    for component in &components {
        by_module.entry(component.module_id).or_default().push(component);
    }
    let mut trace_by_module: BTreeMap<i64, Vec<&TraceRow>> = BTreeMap::new();
    for row in &traces {
        trace_by_module.entry(row.owner_id).or_default().push(row);
    }
    let mut values = Vec::with_capacity(rows.len());
    for row in rows {
        let mut view = ModuleView {
            components: by_module.remove(&row.id).unwrap_or_default(),
            trace: trace_by_module.remove(&row.id).unwrap_or_default(),
            ..ModuleView::default()
        };
        if verbosity != Verbosity::Short {
            view.siblings = modules::siblings(request.client, row).await?;
        }
        if verbosity == Verbosity::Extended {
            view.base_modules = modules::base_module_buildrequires(request.client, row.id).await?;
        }
        values.push(module_json(
            row,
            &view,
            verbosity,
            with_tasks,
            request.api_version,
        ));
    }
    Ok(values)
}

async fn one_module_json(
    request: &ApiRequest<'_>,
    module_id: i64,
    verbosity: Verbosity,
) -> Result<Value, ApiError> {
    let row = modules::get(request.client, module_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such module found."))?;
    let mut values = modules_json(request, &[row], verbosity, true).await?;
    values
        .pop()
        .ok_or_else(|| ApiError::not_found("No such module found."))
}

async fn list_modules(request: &ApiRequest<'_>) -> Result<(u16, Value), ApiError> {
    let url = format!("{}{}module-builds/", request.origin, request.base());
    let (list_query, page) =
        query::module_query(&request.params, &format!("{}module-builds/", request.base()))?;
    let (rows, total) = modules::list(request.client, &list_query).await?;
    let items = modules_json(request, &rows, request.params.verbosity(), true).await?;
    let meta = query::meta(&request.params, page, total, &url);
    Ok((200, json!({"items": items, "meta": meta})))
}

async fn get_module(request: &ApiRequest<'_>, id: &str) -> Result<(u16, Value), ApiError> {
    let module_id = parse_id(id, "No such module found.")?;
    Ok((
        200,
        one_module_json(request, module_id, request.params.verbosity()).await?,
    ))
}

async fn list_components(request: &ApiRequest<'_>) -> Result<(u16, Value), ApiError> {
    let url = format!("{}{}component-builds/", request.origin, request.base());
    let (list_query, page) =
        query::component_query(&request.params, &format!("{}component-builds/", request.base()))?;
    let (rows, total) = modules::list_components(request.client, &list_query).await?;
    let extended = request.params.flag("verbose");
    let traces = if extended {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        modules::component_traces(request.client, &ids).await?
    } else {
        Vec::new()
    };
    let items: Vec<Value> = rows
        .iter()
        .map(|row| {
            let trace: Vec<&TraceRow> = traces.iter().filter(|t| t.owner_id == row.id).collect();
            component_json(row, &trace, extended, request.api_version)
        })
        .collect();
    let meta = query::meta(&request.params, page, total, &url);
    Ok((200, json!({"items": items, "meta": meta})))
}

async fn get_component(request: &ApiRequest<'_>, id: &str) -> Result<(u16, Value), ApiError> {
    let component_id = parse_id(id, "No such component found.")?;
    let row = modules::get_component(request.client, component_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such component found."))?;
    let extended = request.params.flag("verbose");
    let traces = if extended {
        modules::component_traces(request.client, &[row.id]).await?
    } else {
        Vec::new()
    };
    let trace: Vec<&TraceRow> = traces.iter().collect();
    Ok((200, component_json(&row, &trace, extended, request.api_version)))
}

async fn submit_build(request: &ApiRequest<'_>, body: &Value) -> Result<(u16, Value), ApiError> {
    let caller = auth::required(request.caller().await?)?;
    let submit_request = submit::check_params(request.ctx, &caller, body)?;
    let submitted = submit::submit(request.ctx, request.client, &caller, &submit_request).await?;
    let mut values = Vec::new();
    for module_id in &submitted.module_ids {
        values.push(one_module_json(request, *module_id, Verbosity::Extended).await?);
    }
    if request.api_version == 1 {
        let first = values.into_iter().next().unwrap_or(Value::Null);
        return Ok((201, first));
    }
    Ok((201, Value::Array(values)))
}

async fn cancel(
    request: &ApiRequest<'_>,
    id: &str,
    body: Result<Value, ApiError>,
) -> Result<(u16, Value), ApiError> {
    let caller = auth::required(request.caller().await?)?;
    let body = body?;
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Invalid JSON submitted"))?;
    if object.contains_key("owner") {
        return Err(ApiError::bad_request(
            "The request contains 'owner' parameter, however NO_AUTH is not allowed",
        ));
    }
    if let Some(permission) = &request.ctx.config.mbs.submit_permission
        && !caller.has(permission)
    {
        return Err(caller.not_in(permission));
    }
    let module_id = parse_id(id, "No such module found.")?;
    let module = modules::get(request.client, module_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such module found."))?;
    if let Err(state::CancelRefusal::NotOwner) = state::check_cancel(&module, &caller, request.ctx) {
        return Err(ApiError::forbidden(state::CancelRefusal::NotOwner.message()));
    }
    let wanted = match object.get("state") {
        Some(Value::String(text)) if !text.is_empty() => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => return Err(ApiError::bad_request("Invalid JSON submitted")),
    };
    if wanted != "failed" && wanted != "4" {
        return Err(ApiError::bad_request(
            "An invalid state was submitted. Valid states values are: failed, 4",
        ));
    }
    if let Err(refusal) = state::check_cancel(&module, &caller, request.ctx) {
        return Err(ApiError::bad_request(refusal.message()));
    }
    let reason = format!("Canceled by {}.", caller.name);
    request.client.batch_execute("BEGIN").await?;
    let tx = Tx::assume_begun(request.client);
    match state::cancel(&tx, module_id, &reason).await {
        Ok(_) => request.client.batch_execute("COMMIT").await?,
        Err(error) => {
            request.client.batch_execute("ROLLBACK").await?;
            return Err(error.into());
        }
    }
    Ok((
        200,
        one_module_json(request, module_id, Verbosity::Extended).await?,
    ))
}

async fn import_module(request: &ApiRequest<'_>, body: &Value) -> Result<(u16, Value), ApiError> {
    let caller = auth::required(request.caller().await?)?;
    let imported = import::import(request.ctx, request.client, &caller, body).await?;
    let row = modules::get(request.client, imported.module_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such module found."))?;
    let mut values = modules_json(request, &[row], Verbosity::Default, false).await?;
    let module = values.pop().unwrap_or(Value::Null);
    Ok((201, json!({"module": module, "messages": imported.messages})))
}

fn rebuild_strategies(ctx: &Ctx) -> Value {
    let config = &ctx.config.mbs;
    let items: Vec<Value> = REBUILD_STRATEGIES
        .iter()
        .map(|(name, description)| {
            json!({
                "name": name,
                "description": description,
                "allowed": config.strategy_allowed(name),
                "default": *name == config.rebuild_strategy,
            })
        })
        .collect();
    json!({ "items": items })
}
