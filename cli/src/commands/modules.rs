//! Module Build Service commands, talking to the hub's MBS REST API (the profile's `mbs_url`,
//! default `<server base>/module-build-service/1/`): `module-build` (with `--watch`),
//! `module-build-info`, `module-build-watch`, `module-overview`, `module-build-cancel` and
//! `module-import`, printing what `rpkg` / `mbs-build` print.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use serde_json::{Map, Value, json};

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::watch::{self, ModuleSource, Outcome};

/// Module commands.
#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// Build a module using MBS
    ModuleBuild(ModuleBuildArgs),
    /// Show information of an MBS build
    ModuleBuildInfo {
        /// The ID of the module build
        build_id: i64,
    },
    /// Watch MBS builds: components per batch, their Koji tasks and states, until every build
    /// is ready or failed (exit code 1 if one failed)
    ModuleBuildWatch(WatchArgs),
    /// Shows an overview of MBS builds
    ModuleOverview(OverviewArgs),
    /// Cancel an MBS module build
    ModuleBuildCancel {
        /// The ID of the module build
        build_id: i64,
    },
    /// Import an existing Koji tag (or a modulemd) as a ready module, for other modules to
    /// build against (kiln)
    ModuleImport(ImportArgs),
}

/// Arguments of `module-build`.
#[derive(Debug, clap::Args)]
pub struct ModuleBuildArgs {
    /// The module's SCM URL (`<url>?#<commit>`); required unless --file is given
    pub scm_url: Option<String>,
    /// The module's branch (its stream); required with an SCM URL
    pub branch: Option<String>,
    /// Submit this modulemd file instead of an SCM URL
    #[arg(long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A scratch build
    #[arg(long)]
    pub scratch: bool,
    /// Buildrequire override, `name:stream` (repeatable)
    #[arg(long = "buildrequires", value_name = "N:S")]
    pub buildrequires: Vec<String>,
    /// Require override, `name:stream` (repeatable)
    #[arg(long = "requires", value_name = "N:S")]
    pub requires: Vec<String>,
    /// Any other submission parameter, `key=value` (repeatable)
    #[arg(long = "optional", value_name = "KEY=VALUE")]
    pub optional: Vec<String>,
    /// Watch the build(s) after submitting, as module-build-watch does
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Seconds between polls while watching (default: 5)
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, requires = "watch")]
    pub interval: f64,
}

/// Arguments of `module-build-watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The IDs of the module builds
    #[arg(required = true, value_name = "BUILD_ID")]
    pub build_ids: Vec<i64>,
    /// Seconds between polls (default: 5)
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub interval: f64,
    /// Print nothing while watching, then the builds' final JSON (a list)
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `module-overview`.
#[derive(Debug, clap::Args)]
pub struct OverviewArgs {
    /// Show unfinished module builds (init, wait, build) instead of finished ones
    #[arg(long)]
    pub unfinished: bool,
    /// How many builds to show
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Only builds of this owner
    #[arg(long, conflicts_with = "mine")]
    pub owner: Option<String>,
    /// Only your own builds
    #[arg(long)]
    pub mine: bool,
}

/// Arguments of `module-import`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["tag", "file", "scmurl"])))]
pub struct ImportArgs {
    /// The module as `name:stream[:version[:context]]` (with --tag)
    pub nsvc: Option<String>,
    /// The existing Koji tag holding the module's content (creates a minimal modulemd)
    #[arg(long)]
    pub tag: Option<String>,
    /// Import this modulemd file
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Import the modulemd at this SCM URL (`<url>?#<commit>`)
    #[arg(long)]
    pub scmurl: Option<String>,
}

impl ModuleCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            ModuleCommand::ModuleBuild(args) => module_build(ctx, &args),
            ModuleCommand::ModuleBuildInfo { build_id } => module_build_info(ctx, build_id),
            ModuleCommand::ModuleBuildWatch(args) => {
                ctx.connect_anonymous()?;
                watch_builds(ctx, &args.build_ids, args.interval, args.json)
            }
            ModuleCommand::ModuleOverview(args) => module_overview(ctx, &args),
            ModuleCommand::ModuleBuildCancel { build_id } => module_build_cancel(ctx, build_id),
            ModuleCommand::ModuleImport(args) => module_import(ctx, &args),
        }
    }
}

/// The MBS API base, ending in `/`.
pub fn api_base(ctx: &Ctx) -> String {
    if let Some(url) = &ctx.config().mbs_url {
        return if url.ends_with('/') {
            url.clone()
        } else {
            format!("{url}/")
        };
    }
    let server = ctx.config().server.trim_end_matches('/');
    let base = server.strip_suffix("/kojihub").unwrap_or(server);
    format!("{base}/module-build-service/1/")
}

/// Sends a request; returns the status and the decoded JSON (or the text as a JSON string).
fn request(ctx: &Ctx, method: &str, url: &str, body: Option<&Value>) -> Result<(u16, Value)> {
    let text = body.map(Value::to_string);
    let (status, answer) = ctx.session()?.rest(method, url, text.as_deref())?;
    let value = serde_json::from_str(&answer).unwrap_or(Value::String(answer));
    Ok((status, value))
}

/// A `GET`: the status and the decoded JSON.
pub fn get_json(ctx: &Ctx, url: &str) -> Result<(u16, Value)> {
    request(ctx, "GET", url, None)
}

/// MBS's `message` from an error body.
pub fn message(value: &Value) -> String {
    match value.get("message").and_then(Value::as_str) {
        Some(message) => message.to_owned(),
        None => value.as_str().map_or_else(|| value.to_string(), str::to_owned),
    }
}

/// Python's `str()` of a JSON value as rpkg prints it (`None`, `True`, plain strings).
fn py(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn overrides(pairs: &[String], flag: &str) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for pair in pairs {
        let Some((name, stream)) = pair.split_once(':') else {
            return Err(Error::Usage(format!("--{flag} takes name:stream, not {pair:?}")));
        };
        let entry = map.entry(name.to_owned()).or_insert_with(|| json!([]));
        if let Value::Array(streams) = entry {
            streams.push(json!(stream));
        }
    }
    Ok(map)
}

fn module_build(ctx: &mut Ctx, args: &ModuleBuildArgs) -> Result<()> {
    let mut body = Map::new();
    match (&args.file, &args.scm_url) {
        (Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::Failed(format!("Cannot read {}: {e}", file.display())))?;
            body.insert("modulemd".into(), json!(text));
            let name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            body.insert("module_name".into(), json!(name));
            if let Some(branch) = &args.branch {
                body.insert("branch".into(), json!(branch));
            }
        }
        (None, Some(url)) => {
            let Some(branch) = &args.branch else {
                return Err(Error::Usage("a branch is required with an SCM URL".into()));
            };
            body.insert("scmurl".into(), json!(url));
            body.insert("branch".into(), json!(branch));
        }
        (None, None) => return Err(Error::Usage("give an SCM URL and a branch, or --file".into())),
    }
    body.insert("scratch".into(), json!(args.scratch));
    let buildrequires = overrides(&args.buildrequires, "buildrequires")?;
    if !buildrequires.is_empty() {
        body.insert("buildrequire_overrides".into(), Value::Object(buildrequires));
    }
    let requires = overrides(&args.requires, "requires")?;
    if !requires.is_empty() {
        body.insert("require_overrides".into(), Value::Object(requires));
    }
    for pair in &args.optional {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Error::Usage(format!("--optional takes key=value, not {pair:?}")));
        };
        body.insert(key.to_owned(), json!(value));
    }
    ctx.connect_login()?;
    let base = api_base(ctx);
    writeln!(ctx.out, "Submitting the module build...")?;
    let (status, answer) = request(
        ctx,
        "POST",
        &format!("{base}module-builds/"),
        Some(&Value::Object(body)),
    )?;
    if status != 201 {
        return Err(Error::Failed(format!(
            "The build failed with:\n{}",
            message(&answer)
        )));
    }
    let builds = match answer {
        Value::Array(items) => items,
        other => vec![other],
    };
    let ids: Vec<String> = builds.iter().map(|b| py(&b["id"])).collect();
    if let [one] = ids.as_slice() {
        writeln!(ctx.out, "The build #{one} was submitted to the MBS")?;
    } else {
        writeln!(ctx.out, "The builds {} were submitted to the MBS", ids.join(", "))?;
    }
    writeln!(ctx.out, "Build URLs:")?;
    for id in &ids {
        writeln!(ctx.out, "{base}module-builds/{id}")?;
    }
    if !args.watch {
        return Ok(());
    }
    let ids: Vec<i64> = builds.iter().filter_map(|b| b["id"].as_i64()).collect();
    watch_builds(ctx, &ids, args.interval, false)
}

/// Watches module builds until each is over: a live tree on a terminal, a line per change
/// otherwise, then the SOP's report of each build (or, with `json`, only the final JSON).
fn watch_builds(ctx: &mut Ctx, ids: &[i64], interval: f64, json: bool) -> Result<()> {
    let interval = Duration::try_from_secs_f64(interval)
        .map_err(|_| Error::Usage(format!("--interval takes seconds, not {interval}")))?;
    ctx.out.flush()?;
    let (outcome, builds) = {
        let mut source = ModuleSource::new(ctx, ids);
        source.check()?;
        let mut view = watch::module_view_for_stdout(json);
        let outcome = watch::watch(&mut source, view.as_mut(), interval, &mut |d| {
            std::thread::sleep(d);
        })?;
        (outcome, source.builds())
    };
    if json {
        let text = serde_json::to_string_pretty(&builds).map_err(|e| Error::Failed(e.to_string()))?;
        writeln!(ctx.out, "{text}")?;
    } else {
        let weburl = ctx.config().weburl.clone();
        for build in &builds {
            write!(ctx.out, "{}", watch::module_summary(build, &weburl))?;
        }
    }
    match outcome {
        Outcome::Success => Ok(()),
        Outcome::Failure => Err(Error::Exit(outcome.exit_code())),
    }
}

fn get_build(ctx: &Ctx, build_id: i64) -> Result<Value> {
    let url = format!("{}module-builds/{build_id}?verbose=true", api_base(ctx));
    let (status, answer) = request(ctx, "GET", &url, None)?;
    if status != 200 {
        return Err(Error::Failed(format!(
            "Failed to get information about the module build #{build_id}:\n{}",
            message(&answer)
        )));
    }
    Ok(answer)
}

/// Koji's build state name for a component state number (`undefined` when not submitted).
fn build_state_name(state: &Value) -> &'static str {
    state
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .and_then(common::states::BuildState::from_code)
        .map_or("undefined", common::states::BuildState::name)
}

fn task_url(ctx: &Ctx, task_id: &Value) -> String {
    match task_id.as_i64() {
        Some(id) => format!(
            "{}/taskinfo?taskID={id}",
            ctx.config().weburl.trim_end_matches('/')
        ),
        None => String::new(),
    }
}

fn module_build_info(ctx: &mut Ctx, build_id: i64) -> Result<()> {
    ctx.connect_anonymous()?;
    let data = get_build(ctx, build_id)?;
    let mut text = String::new();
    for (label, key) in [
        ("Name:           ", "name"),
        ("Stream:         ", "stream"),
        ("Version:        ", "version"),
        ("Scratch:        ", "scratch"),
        ("Koji Tag:       ", "koji_tag"),
        ("Owner:          ", "owner"),
        ("State:          ", "state_name"),
        ("State Reason:   ", "state_reason"),
        ("Time Submitted: ", "time_submitted"),
        ("Time Completed: ", "time_completed"),
    ] {
        let value = if key == "state_reason" && data[key].is_null() {
            String::new()
        } else {
            py(&data[key])
        };
        text.push_str(&format!("{label}{value}\n"));
    }
    text.push_str("Components:\n");
    if let Some(rpms) = data["tasks"]["rpms"].as_object() {
        for (package, task) in rpms {
            text.push_str(&format!("    Name:       {package}\n"));
            text.push_str(&format!("    NVR:        {}\n", py(&task["nvr"])));
            text.push_str(&format!("    State:      {}\n", build_state_name(&task["state"])));
            text.push_str(&format!(
                "    Koji Task:  {}\n\n",
                task_url(ctx, &task["task_id"])
            ));
        }
    }
    write!(ctx.out, "{text}")?;
    Ok(())
}

/// One overview row: ID, State, Submitted, Components, Owner, Module.
fn overview_row(build: &Value) -> [String; 6] {
    let rpms = build["tasks"]["rpms"].as_object();
    let total = rpms.map_or(0, Map::len);
    let complete = rpms.map_or(0, |rpms| rpms.values().filter(|t| t["state"] == json!(1)).count());
    [
        py(&build["id"]),
        py(&build["state_name"]),
        py(&build["time_submitted"]),
        format!("{complete}/{total}"),
        py(&build["owner"]),
        format!(
            "{}-{}-{}",
            py(&build["name"]),
            py(&build["stream"]),
            py(&build["version"])
        ),
    ]
}

/// A table as Python's `tabulate` lays it out by default (`simple`): two spaces between
/// columns, a dashed rule under the headers, at least two characters beyond each header, the
/// numeric first column aligned right.
pub fn tabulate(headers: &[&str], rows: &[[String; 6]]) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let data = rows
                .iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0);
            data.max(header.chars().count() + 2)
        })
        .collect();
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(column, (cell, width))| {
                if column == 0 {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = String::new();
    out.push_str(&line(headers.to_vec()));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

fn module_overview(ctx: &mut Ctx, args: &OverviewArgs) -> Result<()> {
    let owner = if args.mine {
        ctx.connect_login()?;
        let user = ctx.call("getLoggedInUser", vec![])?;
        Some(crate::commands::field_str(&user, "name").to_owned())
    } else {
        ctx.connect_anonymous()?;
        args.owner.clone()
    };
    let states: [u8; 3] = if args.unfinished { [0, 1, 2] } else { [3, 5, 4] };
    let base = api_base(ctx);
    let per_page = args.limit.clamp(1, 100);
    let mut builds = Vec::new();
    for state in states {
        let mut url =
            format!("{base}module-builds/?state={state}&order_desc_by=id&verbose=True&per_page={per_page}");
        if let Some(owner) = &owner {
            url.push_str(&format!("&owner={owner}"));
        }
        let mut found = 0;
        let mut next = Some(url);
        while let Some(page) = next.take() {
            let (status, answer) = request(ctx, "GET", &page, None)?;
            if status != 200 {
                return Err(Error::Failed(format!(
                    "Failed to list module builds:\n{}",
                    message(&answer)
                )));
            }
            for item in answer["items"].as_array().cloned().unwrap_or_default() {
                found += 1;
                builds.push(item);
            }
            if found < args.limit {
                next = answer["meta"]["next"].as_str().map(str::to_owned);
            }
        }
    }
    builds.sort_by_key(|b| std::cmp::Reverse(b["id"].as_i64().unwrap_or(0)));
    builds.truncate(args.limit);
    let rows: Vec<[String; 6]> = builds.iter().map(overview_row).collect();
    let table = tabulate(
        &["ID", "State", "Submitted", "Components", "Owner", "Module"],
        &rows,
    );
    write!(ctx.out, "{table}")?;
    Ok(())
}

fn module_build_cancel(ctx: &mut Ctx, build_id: i64) -> Result<()> {
    ctx.connect_login()?;
    get_build(ctx, build_id)?;
    writeln!(ctx.out, "Cancelling module build #{build_id}...")?;
    let url = format!("{}module-builds/{build_id}", api_base(ctx));
    let (status, answer) = request(ctx, "PATCH", &url, Some(&json!({"state": "failed"})))?;
    if status != 200 {
        return Err(Error::Failed(format!(
            "The cancellation of module build #{build_id} failed with:\n{}",
            message(&answer)
        )));
    }
    writeln!(ctx.out, "The module build #{build_id} was cancelled")?;
    Ok(())
}

/// A minimal modulemd for a curated Koji tag: MBS's bootstrap modules.
fn bootstrap_modulemd(nsvc: &str, tag: &str) -> Result<String> {
    let parts: Vec<&str> = nsvc.split(':').collect();
    let (name, stream) = match parts.as_slice() {
        [name, stream, ..] if !name.is_empty() && !stream.is_empty() => (*name, *stream),
        _ => {
            return Err(Error::Usage(format!(
                "expected name:stream[:version[:context]], not {nsvc:?}"
            )));
        }
    };
    let version = parts.get(2).copied().unwrap_or("1");
    let context = parts.get(3).copied().unwrap_or("00000000");
    if version.parse::<u64>().is_err() {
        return Err(Error::Usage(format!(
            "the version must be a number, not {version:?}"
        )));
    }
    Ok(format!(
        "---\ndocument: modulemd\nversion: 2\ndata:\n  name: {name}\n  stream: \"{stream}\"\n  version: {version}\n  context: \"{context}\"\n  summary: {name} {stream} (imported from Koji tag {tag})\n  description: >-\n    The content of Koji tag {tag}, imported as module {name}:{stream}.\n  license:\n    module:\n    - MIT\n  xmd:\n    mbs:\n      mse: TRUE\n      koji_tag: {tag}\n...\n"
    ))
}

fn module_import(ctx: &mut Ctx, args: &ImportArgs) -> Result<()> {
    let body = match (&args.tag, &args.file, &args.scmurl) {
        (Some(tag), _, _) => {
            let nsvc = args
                .nsvc
                .as_deref()
                .ok_or_else(|| Error::Usage("--tag needs the module as name:stream".into()))?;
            json!({ "modulemd": bootstrap_modulemd(nsvc, tag)? })
        }
        (None, Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::Failed(format!("Cannot read {}: {e}", file.display())))?;
            json!({ "modulemd": text })
        }
        (None, None, Some(url)) => json!({ "scmurl": url }),
        (None, None, None) => return Err(Error::Usage("give --tag, --file or --scmurl".into())),
    };
    ctx.connect_login()?;
    let url = format!("{}import-module/", api_base(ctx));
    let (status, answer) = request(ctx, "POST", &url, Some(&body))?;
    if status != 201 {
        return Err(Error::Failed(format!(
            "The import failed with:\n{}",
            message(&answer)
        )));
    }
    for line in answer["messages"].as_array().cloned().unwrap_or_default() {
        writeln!(ctx.out, "{}", py(&line))?;
    }
    writeln!(
        ctx.out,
        "Module build #{} ({}) is {}",
        py(&answer["module"]["id"]),
        py(&answer["module"]["koji_tag"]),
        py(&answer["module"]["state_name"])
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overview_table_is_laid_out_like_tabulate() {
        let rows = vec![
            [
                "570".to_owned(),
                "build".to_owned(),
                "2017-06-01T17:18:11Z".to_owned(),
                "35/134".to_owned(),
                "psabata".to_owned(),
                "shared-userspace-f26-20170601141014".to_owned(),
            ],
            [
                "569".to_owned(),
                "build".to_owned(),
                "2017-06-01T14:18:04Z".to_owned(),
                "14/15".to_owned(),
                "mkocka".to_owned(),
                "mariadb-f26-20170601141728".to_owned(),
            ],
        ];
        let table = tabulate(
            &["ID", "State", "Submitted", "Components", "Owner", "Module"],
            &rows,
        );
        assert_eq!(
            table,
            "  ID  State    Submitted             Components    Owner    Module\n\
             ----  -------  --------------------  ------------  -------  -----------------------------------\n\
            \x20570  build    2017-06-01T17:18:11Z  35/134        psabata  shared-userspace-f26-20170601141014\n\
            \x20569  build    2017-06-01T14:18:04Z  14/15         mkocka   mariadb-f26-20170601141728\n"
        );
    }

    #[test]
    fn bootstrap_documents_name_the_tag() {
        let text = bootstrap_modulemd("platform:f39", "f39-build").unwrap();
        assert!(
            text.contains("  name: platform\n  stream: \"f39\"\n  version: 1\n"),
            "{text}"
        );
        assert!(text.contains("      koji_tag: f39-build\n"), "{text}");
        assert!(bootstrap_modulemd("platform", "t").is_err());
        assert!(bootstrap_modulemd("platform:f39:x", "t").is_err());
    }
}
