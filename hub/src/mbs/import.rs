//! `POST import-module/`: an admin records an existing, curated Koji tag as a `ready` module
//! (MBS's bootstrap modules, e.g. `platform:f39`), from a modulemd at an SCM URL (MBS's form) or
//! given inline (Kiln's addition, what `kiln module-import` sends).

use common::modulemd::mbs::{DEFAULT_MODULE_CONTEXT, compute_contexts, stream_version};
use common::modulemd::{Document, MbsXmd, ModuleStream, ParseMode, XmdValue, parse_document};
use common::states::ModuleBuildState;
use serde_json::Value;

use super::auth::Caller;
use super::error::ApiError;
use super::scm;
use super::state;
use crate::ctx::Ctx;
use crate::db::modules::{self, NewModuleBuild};
use crate::db::names::NameOrId;
use crate::db::{self, Client, Tx};

/// The owner MBS gives imported modules.
pub const IMPORT_OWNER: &str = "mbs_import";

/// What an import recorded.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The module build id.
    pub module_id: i64,
    /// MBS's messages.
    pub messages: Vec<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(message)
}

/// Reads the document to import from the request body.
async fn read_document(
    ctx: &Ctx,
    body: &Value,
) -> Result<(ModuleStream, Option<String>, Option<String>), ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Invalid JSON submitted"))?;
    let (text, scmurl, commit) = match (object.get("scmurl"), object.get("modulemd")) {
        (Some(Value::String(url)), _) => {
            if !ctx.config.mbs.allow_custom_scmurls
                && !ctx
                    .config
                    .mbs
                    .scmurls
                    .iter()
                    .any(|prefix| url.starts_with(prefix.as_str()))
            {
                return Err(ApiError::forbidden(format!(
                    "The submitted scmurl {url} is not allowed"
                )));
            }
            let parsed = scm::parse_scmurl(url)?;
            if parsed.revision.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "The submitted scmurl {url} is not valid.  Expected format is '<url>?[module-path]#[revision]'"
                )));
            }
            let fetched = tokio::task::spawn_blocking(move || scm::fetch_module_at(&parsed))
                .await
                .map_err(|e| ApiError::new(500, format!("the git worker failed: {e}")))??;
            (fetched.text, Some(url.clone()), Some(fetched.commit))
        }
        (_, Some(Value::String(text))) => (text.clone(), None, None),
        _ => return Err(ApiError::bad_request("Missing scmurl")),
    };
    let document = parse_document(&text, ParseMode::Lenient).map_err(|error| {
        invalid(format!(
            "The modulemd is invalid. The error was:\n'{error}'\nPlease verify the syntax is correct."
        ))
    })?;
    let Document::Stream { stream, .. } = document else {
        return Err(invalid("The imported document is not a module stream"));
    };
    Ok((*stream, scmurl, commit))
}

/// Checks and records an import in one transaction on `client`.
pub async fn import(ctx: &Ctx, client: &Client, caller: &Caller, body: &Value) -> Result<Imported, ApiError> {
    if !caller.is_admin(ctx) {
        return Err(caller.not_in(&ctx.config.mbs.admin_permission));
    }
    let (mut stream, scmurl, commit) = read_document(ctx, body).await?;
    let name = stream
        .name
        .clone()
        .ok_or_else(|| invalid("The imported module's name is missing"))?;
    let module_stream = stream
        .stream
        .clone()
        .ok_or_else(|| invalid("The imported module's stream is missing"))?;
    let version = stream
        .version
        .ok_or_else(|| invalid("The imported module's version is missing"))?;
    let context = stream
        .context
        .clone()
        .unwrap_or_else(|| DEFAULT_MODULE_CONTEXT.to_owned());
    stream.context = Some(context.clone());
    if stream.dependencies.len() > 1 {
        return Err(invalid(
            "The imported module's dependencies list should contain just one element",
        ));
    }
    let mut xmd = MbsXmd::from_stream(&stream).unwrap_or(MbsXmd {
        mse: true,
        ..MbsXmd::default()
    });
    let required: Vec<&String> = stream
        .dependencies
        .iter()
        .flat_map(|entry| entry.buildrequires.keys())
        .collect();
    if required
        .iter()
        .any(|module| !xmd.buildrequires.contains_key(*module))
    {
        return Err(invalid(
            "The imported module buildrequires other modules, but the metadata in the xmd[\"mbs\"][\"buildrequires\"] dictionary is missing entries",
        ));
    }
    let koji_tag = xmd
        .other
        .get("koji_tag")
        .and_then(XmdValue::as_str)
        .map(str::to_owned);
    if let Some(tag) = &koji_tag
        && db::tags::get(client, &NameOrId::Name(tag.clone()), None)
            .await?
            .is_none()
    {
        return Err(invalid(format!(
            "The Koji tag {tag} of the imported module does not exist"
        )));
    }
    let virtual_streams = match xmd.other.get("virtual_streams") {
        Some(XmdValue::List(items)) => items
            .iter()
            .filter_map(XmdValue::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if commit.is_some() {
        xmd.commit.clone_from(&commit);
        xmd.scmurl.clone_from(&scmurl);
    }
    xmd.store(&mut stream);
    let is_base = ctx.config.mbs.base_module_names.contains(&name);
    let contexts = compute_contexts(&stream, &ctx.config.mbs.submit_config().base_module_name_refs());
    let modulemd = stream
        .emit()
        .map_err(|error| invalid(format!("Could not validate stream to emit: {error}")))?;
    let arches: Vec<String> = match xmd.other.get("koji_tag_arches") {
        Some(XmdValue::List(items)) => items
            .iter()
            .filter_map(XmdValue::as_str)
            .map(str::to_owned)
            .collect(),
        _ => ctx.config.mbs.arches.clone(),
    };
    let new = NewModuleBuild {
        name: name.clone(),
        stream: module_stream.clone(),
        version: version.to_string(),
        context: context.clone(),
        owner: IMPORT_OWNER.to_owned(),
        owner_id: None,
        scmurl,
        scm_commit: commit,
        branch: None,
        modulemd_submitted: None,
        modulemd,
        koji_tag,
        rebuild_strategy: "all".to_owned(),
        scratch: false,
        build_context: Some(contexts.build_context),
        build_context_no_bms: Some(contexts.build_context_no_bms),
        runtime_context: Some(contexts.runtime_context),
        stream_version: if is_base {
            stream_version(&module_stream).and_then(|v| i64::try_from(v).ok())
        } else {
            None
        },
        virtual_streams,
        arches,
    };
    let nsvc = format!("{name}:{module_stream}:{version}:{context}");
    client.batch_execute("BEGIN").await?;
    let tx = Tx::assume_begun(client);
    let result = record(&tx, &new).await;
    match result {
        Ok((module_id, updated)) => {
            client.batch_execute("COMMIT").await?;
            let mut messages = Vec::new();
            if updated {
                messages.push(format!("Updating existing module build {nsvc}."));
            }
            messages.push(format!("Module {nsvc} imported"));
            Ok(Imported { module_id, messages })
        }
        Err(error) => {
            client.batch_execute("ROLLBACK").await?;
            Err(error)
        }
    }
}

async fn record(tx: &Tx<'_>, new: &NewModuleBuild) -> Result<(i64, bool), ApiError> {
    let existing = modules::get_by_nsvc(tx, &new.name, &new.stream, &new.version, &new.context).await?;
    if let Some(row) = existing {
        modules::update_import(tx, row.id, new).await?;
        if row.state != ModuleBuildState::Ready {
            state::transition(tx, row.id, ModuleBuildState::Ready, None, None).await?;
        }
        return Ok((row.id, true));
    }
    let module_id = modules::insert(tx, new, ModuleBuildState::Ready).await?;
    modules::insert_trace(tx, module_id, ModuleBuildState::Ready, None).await?;
    Ok((module_id, false))
}
