//! `list-history`: `queryHistory` rows as Koji's timeline, one line per change, edits (a
//! revoke and a create of the same key in one event) folded into one line with the changes.

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;
use common::xmlrpc::{Struct, Value};
use tz::TimeZone;

use crate::commands::args::as_f64;
use crate::commands::{field_i64, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::py_str;
use crate::output::time::{Civil, asctime, parse_time};

/// History commands.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Display historical data
    ListHistory(Box<ListHistoryArgs>),
}

/// Arguments of `list-history`.
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "one field per Koji flag")]
pub struct ListHistoryArgs {
    /// Only show data for a specific build
    #[arg(long)]
    pub build: Option<String>,
    /// Only show data for a specific package
    #[arg(long)]
    pub package: Option<String>,
    /// Only show data for a specific tag
    #[arg(long)]
    pub tag: Option<String>,
    /// Only show entries modified by user
    #[arg(long, visible_alias = "by", value_name = "USER")]
    pub editor: Option<String>,
    /// Only show entries affecting a user
    #[arg(long)]
    pub user: Option<String>,
    /// Only show entries relating to a given permission
    #[arg(long)]
    pub permission: Option<String>,
    /// Only show entries relating to a given content generator
    #[arg(long)]
    pub cg: Option<String>,
    /// Only show entries relating to a given external repo
    #[arg(long, visible_alias = "erepo")]
    pub external_repo: Option<String>,
    /// Only show entries relating to a given build target
    #[arg(long, visible_alias = "target")]
    pub build_target: Option<String>,
    /// Only show entries relating to a given group
    #[arg(long)]
    pub group: Option<String>,
    /// Only show entries related to given host
    #[arg(long)]
    pub host: Option<String>,
    /// Only show entries related to given channel
    #[arg(long)]
    pub channel: Option<String>,
    /// Only show entries related to given tag extra key
    #[arg(long)]
    pub xkey: Option<String>,
    /// Only show entries before this time (a timestamp or "YYYY-MM-DD HH:MM")
    #[arg(long)]
    pub before: Option<String>,
    /// Only show entries after timestamp (same format as for --before)
    #[arg(long)]
    pub after: Option<String>,
    /// Only show entries before event
    #[arg(long, value_name = "EVENT_ID")]
    pub before_event: Option<i64>,
    /// Only show entries after event
    #[arg(long, value_name = "EVENT_ID")]
    pub after_event: Option<i64>,
    /// Monitor history data
    #[arg(long)]
    pub watch: bool,
    /// Only show entries that are currently active
    #[arg(long, conflicts_with = "revoked")]
    pub active: bool,
    /// Only show entries that are currently revoked
    #[arg(long)]
    pub revoked: bool,
    /// Show related entries
    #[arg(long)]
    pub context: bool,
    /// Show data from selected tables
    #[arg(short = 's', long = "show")]
    pub show: Vec<String>,
    /// Show more detail
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Show event ids
    #[arg(short = 'e', long)]
    pub events: bool,
    /// Allows listing the entire global history
    #[arg(long)]
    pub all: bool,
    /// Shows time in UTC timezone
    #[arg(long)]
    pub utc: bool,
    /// Print the history rows as JSON
    #[arg(long)]
    pub json: bool,
}

impl HistoryCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            HistoryCommand::ListHistory(args) => list_history(ctx, &args),
        }
    }
}

/// Koji's `_table_keys`: the columns that identify a row of each versioned table.
fn table_keys(table: &str) -> &'static [&'static str] {
    match table {
        "user_perms" => &["user_id", "perm_id"],
        "user_groups" => &["user_id", "group_id"],
        "cg_users" => &["user_id", "cg_id"],
        "tag_inheritance" => &["tag_id", "parent_id"],
        "tag_config" => &["tag_id"],
        "tag_extra" => &["tag_id", "key"],
        "build_target_config" => &["build_target_id"],
        "external_repo_config" | "external_repo_data" => &["external_repo_id"],
        "host_config" => &["host_id"],
        "host_channels" => &["host_id", "channel_id"],
        "tag_external_repos" => &["tag_id", "external_repo_id"],
        "tag_listing" => &["build_id", "tag_id"],
        "tag_packages" | "tag_package_owners" => &["package_id", "tag_id"],
        "group_config" => &["group_id", "tag_id"],
        "group_req_listing" => &["group_id", "tag_id", "req_id"],
        "group_package_listing" => &["group_id", "tag_id", "package"],
        _ => &[],
    }
}

/// The (edit, create, revoke) templates of each table's line.
fn templates(table: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match table {
        "tag_listing" => (
            "%(name)s-%(version)s-%(release)s re-tagged into %(tag.name)s",
            "%(name)s-%(version)s-%(release)s tagged into %(tag.name)s",
            "%(name)s-%(version)s-%(release)s untagged from %(tag.name)s",
        ),
        "user_perms" => (
            "permission %(permission.name)s re-granted to %(user.name)s",
            "permission %(permission.name)s granted to %(user.name)s",
            "permission %(permission.name)s revoked for %(user.name)s",
        ),
        "user_groups" => (
            "user %(user.name)s re-added to group %(group.name)s",
            "user %(user.name)s added to group %(group.name)s",
            "user %(user.name)s removed from group %(group.name)s",
        ),
        "cg_users" => (
            "user %(user.name)s re-added to content generator %(content_generator.name)s",
            "user %(user.name)s added to content generator %(content_generator.name)s",
            "user %(user.name)s removed from content generator %(content_generator.name)s",
        ),
        "tag_packages" => (
            "package list entry for %(package.name)s in %(tag.name)s updated",
            "package list entry created: %(package.name)s in %(tag.name)s",
            "package list entry revoked: %(package.name)s in %(tag.name)s",
        ),
        "tag_package_owners" => (
            "package owner changed for %(package.name)s in %(tag.name)s",
            "package owner %(owner.name)s set for %(package.name)s in %(tag.name)s",
            "package owner %(owner.name)s revoked for %(package.name)s in %(tag.name)s",
        ),
        "tag_inheritance" => (
            "inheritance line %(tag.name)s->%(parent.name)s updated",
            "inheritance line %(tag.name)s->%(parent.name)s added",
            "inheritance line %(tag.name)s->%(parent.name)s removed",
        ),
        "tag_config" => (
            "tag configuration for %(tag.name)s altered",
            "new tag: %(tag.name)s",
            "tag deleted: %(tag.name)s",
        ),
        "tag_extra" => (
            "tag option %(key)s for tag %(tag.name)s altered",
            "added tag option %(key)s for tag %(tag.name)s",
            "tag option %(key)s removed for %(tag.name)s",
        ),
        "host_config" => (
            "host configuration for %(host.name)s altered",
            "new host: %(host.name)s",
            "host deleted: %(host.name)s",
        ),
        "host_channels" => (
            "host %(host.name)s removed from channel %(channels.name)s",
            "host %(host.name)s added to channel %(channels.name)s",
            "host %(host.name)s removed from channel %(channels.name)s",
        ),
        "build_target_config" => (
            "build target configuration for %(build_target.name)s updated",
            "new build target: %(build_target.name)s",
            "build target deleted: %(build_target.name)s",
        ),
        "external_repo_config" => (
            "external repo configuration for %(external_repo.name)s altered",
            "new external repo: %(external_repo.name)s",
            "external repo deleted: %(external_repo.name)s",
        ),
        "external_repo_data" => (
            "tracking data for external repo %(external_repo.name)s altered",
            "new tracking data for external repo %(external_repo.name)s",
            "deleted tracking data for external repo %(external_repo.name)s",
        ),
        "tag_external_repos" => (
            "external repo entry for %(external_repo.name)s in tag %(tag.name)s updated",
            "external repo entry for %(external_repo.name)s added to tag %(tag.name)s",
            "external repo entry for %(external_repo.name)s removed from tag %(tag.name)s",
        ),
        "group_config" => (
            "group %(group.name)s configuration for tag %(tag.name)s updated",
            "group %(group.name)s added to tag %(tag.name)s",
            "group %(group.name)s removed from tag %(tag.name)s",
        ),
        "group_req_listing" => (
            "group dependency %(group.name)s->%(req.name)s updated in tag %(tag.name)s",
            "group dependency %(group.name)s->%(req.name)s added in tag %(tag.name)s",
            "group dependency %(group.name)s->%(req.name)s dropped from tag %(tag.name)s",
        ),
        "group_package_listing" => (
            "package entry %(package)s in group %(group.name)s, tag %(tag.name)s updated",
            "package %(package)s added to group %(group.name)s in tag %(tag.name)s",
            "package %(package)s removed from group %(group.name)s in tag %(tag.name)s",
        ),
        _ => return None,
    })
}

/// Python's `template % row` for `%(key)s` placeholders.
fn fill(template: &str, row: &Struct) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("%(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find(")s") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = &after[..end];
        out.push_str(&row.get(key).map(py_str).unwrap_or_default());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// One change in the timeline.
#[derive(Debug, Clone)]
struct Change {
    event: i64,
    table: String,
    create: bool,
    row: Struct,
    /// Changes of the same key in the same event (the other half of an edit).
    related: Vec<Change>,
}

/// Koji's timeline: a change per create and per revoke (those the filters matched), sorted by
/// event, table and kind, with the halves of each edit grouped.
fn timeline(history: &Struct, context: bool) -> Vec<Change> {
    let matched = |row: &Struct, prefix: &str| {
        context
            || row
                .iter()
                .filter(|(key, _)| key.starts_with(prefix))
                .all(|(_, value)| value.truthy())
    };
    let mut changes = Vec::new();
    for (table, rows) in history {
        for row in rows.as_array().unwrap_or_default() {
            let Some(row) = row.as_struct() else { continue };
            if let Some(revoke) = row.get("revoke_event").and_then(Value::as_i64)
                && matched(row, "_revoked")
            {
                changes.push(Change {
                    event: revoke,
                    table: table.clone(),
                    create: false,
                    row: row.clone(),
                    related: Vec::new(),
                });
            }
            if matched(row, "_created") {
                changes.push(Change {
                    event: row
                        .get("create_event")
                        .and_then(Value::as_i64)
                        .unwrap_or_default(),
                    table: table.clone(),
                    create: true,
                    row: row.clone(),
                    related: Vec::new(),
                });
            }
        }
    }
    changes.sort_by(|a, b| (a.event, &a.table, a.create).cmp(&(b.event, &b.table, b.create)));
    let mut grouped: Vec<Change> = Vec::new();
    // Index in `grouped` of the first change of each (table, key) in the current event.
    let mut first_of: Vec<(String, Vec<Value>, usize)> = Vec::new();
    let mut last_event = None;
    for change in changes {
        if last_event != Some(change.event) {
            first_of.clear();
            last_event = Some(change.event);
        }
        let key: Vec<Value> = table_keys(&change.table)
            .iter()
            .map(|k| change.row.get(*k).cloned().unwrap_or_default())
            .collect();
        let previous = first_of
            .iter()
            .find(|(table, k, _)| *table == change.table && *k == key)
            .map(|(_, _, index)| *index);
        match previous.and_then(|index| grouped.get_mut(index)) {
            Some(first) => first.related.push(change),
            None => {
                first_of.push((change.table.clone(), key, grouped.len()));
                grouped.push(change);
            }
        }
    }
    grouped
}

const HIDDEN: [&str; 9] = [
    "active",
    "create_event",
    "revoke_event",
    "creator_id",
    "revoker_id",
    "creator_name",
    "revoker_name",
    "create_ts",
    "revoke_ts",
];

/// The `.name` key that describes an id column (`perm_id` → `permission.name`).
fn name_key(key: &str) -> String {
    if key == "perm_id" {
        "permission.name".into()
    } else if let Some(base) = key.strip_suffix("_id") {
        format!("{base}.name")
    } else {
        format!("{key}.name")
    }
}

/// How lines are printed.
#[derive(Debug, Clone, Copy)]
struct Style {
    utc: bool,
    events: bool,
    verbose: bool,
}

/// The lines Koji's `_print_histline` prints for one change.
fn change_lines(change: &Change, style: Style) -> Vec<String> {
    let edit = change.related.first();
    if !change.related.is_empty() {
        let bad = change.related.len() != 1
            || change.create
            || edit.is_some_and(|other| !other.create || other.event != change.event);
        if bad {
            crate::warn(&format!(
                "Unusual edit at event {} in table {}",
                change.event, change.table
            ));
            let mut alone = change.clone();
            alone.related.clear();
            let mut lines = Vec::new();
            for _ in 0..=change.related.len() {
                lines.extend(change_lines(&alone, style));
            }
            return lines;
        }
    }
    let row = &change.row;
    let (ts_key, who_key) = if change.create {
        ("create_ts", "creator_name")
    } else {
        ("revoke_ts", "revoker_name")
    };
    let ts = row.get(ts_key).and_then(as_f64).unwrap_or_default();
    let text = match templates(&change.table) {
        Some((edited, created, revoked)) => {
            let template = if edit.is_some() {
                edited
            } else if change.create {
                created
            } else {
                revoked
            };
            fill(template, row)
        }
        None => {
            let what = if edit.is_some() {
                "updated"
            } else if change.create {
                "created"
            } else {
                "revoked"
            };
            format!("{} entry {what}", change.table)
        }
    };
    let time = if style.utc {
        Civil::in_zone(ts, &TimeZone::utc()).asctime()
    } else {
        asctime(ts)
    };
    let mut parts = vec![time];
    if style.events || style.verbose {
        parts.push(format!("(eid {})", change.event));
    }
    parts.push(text);
    if let Some(who) = row.get(who_key) {
        parts.push(format!("by {}", py_str(who)));
    }
    let active = |r: &Struct| r.get("active").is_some_and(Value::truthy);
    if (change.create && active(row)) || edit.is_some_and(|other| active(&other.row)) {
        parts.push("[still active]".into());
    }
    let mut lines = vec![parts.join(" ")];
    if let Some(other) = edit {
        let newer = &other.row;
        for (key, value) in row {
            let other_value = newer.get(key).cloned().unwrap_or_default();
            if HIDDEN.contains(&key.as_str()) || *value == other_value || key.starts_with('_') {
                continue;
            }
            let nkey = name_key(key);
            if row.contains_key(&nkey) && newer.contains_key(&nkey) {
                continue;
            }
            lines.push(format!(
                "    {key}: {} -> {}",
                py_str(value),
                py_str(&other_value)
            ));
        }
    } else if change.create && style.verbose && change.table != "tag_listing" {
        let keys = table_keys(&change.table);
        let also_hidden: Vec<String> = keys
            .iter()
            .map(|k| (*k).to_owned())
            .chain(keys.iter().map(|k| name_key(k)))
            .collect();
        let blocked = row.get("blocked").is_some_and(Value::truthy);
        for (key, value) in row {
            if HIDDEN.contains(&key.as_str()) || also_hidden.contains(key) {
                continue;
            }
            if row.contains_key(&name_key(key)) || key.starts_with('_') {
                continue;
            }
            if blocked && key != "blocked" {
                continue;
            }
            let shown = key.strip_suffix(".name").unwrap_or(key);
            lines.push(format!("    {shown}: {}", py_str(value)));
        }
    }
    lines
}

fn time_option(name: &str, text: Option<&str>) -> Result<Option<f64>> {
    text.map(|t| {
        parse_time(t)
            .ok_or_else(|| Error::Usage(format!("option --{name}: invalid time specification: '{t}'")))
    })
    .transpose()
}

fn list_history(ctx: &mut Ctx, args: &ListHistoryArgs) -> Result<()> {
    let mut keywords: Vec<(&str, Value)> = Vec::new();
    for (name, value) in [
        ("package", &args.package),
        ("tag", &args.tag),
        ("build", &args.build),
        ("editor", &args.editor),
        ("user", &args.user),
        ("permission", &args.permission),
        ("cg", &args.cg),
        ("external_repo", &args.external_repo),
        ("build_target", &args.build_target),
        ("group", &args.group),
        ("host", &args.host),
        ("channel", &args.channel),
        ("xkey", &args.xkey),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            keywords.push((name, Value::from(value)));
        }
    }
    for (name, value) in [
        ("before", time_option("before", args.before.as_deref())?),
        ("after", time_option("after", args.after.as_deref())?),
    ] {
        if let Some(ts) = value.filter(|ts| *ts != 0.0) {
            keywords.push((name, Value::Double(ts)));
        }
    }
    let limited = !keywords.is_empty();
    if let Some(event) = args.before_event.filter(|e| *e != 0) {
        keywords.push(("beforeEvent", Value::Int(event)));
    }
    let mut after_event = args.after_event.filter(|e| *e != 0);
    if args.active {
        keywords.push(("active", Value::Bool(true)));
    } else if args.revoked {
        keywords.push(("active", Value::Bool(false)));
    }
    if args.utc {
        keywords.push(("utc", Value::Bool(true)));
    }
    let tables: Option<Vec<Value>> = (!args.show.is_empty()).then(|| {
        args.show
            .iter()
            .flat_map(|s| s.split(','))
            .map(Value::from)
            .collect()
    });
    if !limited && !args.all {
        return Err(Error::Usage("Please specify an option to limit the query".into()));
    }
    ctx.connect_anonymous()?;
    if let Some(host) = &args.host
        && ctx.call("getHost", vec![Value::from(host.as_str())])?.is_nil()
    {
        return Err(Error::Failed(format!("No such host: {host}")));
    }
    if let Some(channel) = &args.channel
        && ctx
            .call("getChannel", vec![Value::from(channel.as_str())])?
            .is_nil()
    {
        return Err(Error::Failed(format!("No such channel: {channel}")));
    }
    if args.watch && after_event.is_none() && args.after.is_none() {
        let last = ctx.call("getLastEvent", vec![])?;
        after_event = field_i64(&last, "id");
    }
    let style = Style {
        utc: args.utc,
        events: args.events,
        verbose: args.verbose,
    };
    loop {
        let mut call_keywords = keywords.clone();
        call_keywords.push(("tables", tables.clone().map_or(Value::Nil, Value::Array)));
        if let Some(event) = after_event {
            call_keywords.push(("afterEvent", Value::Int(event)));
        }
        let history = ctx.call_kw("queryHistory", vec![], call_keywords)?;
        if args.json {
            print_json(ctx, &history)?;
        } else {
            let changes = timeline(history.as_struct().unwrap_or(&Struct::new()), args.context);
            for change in &changes {
                for line in change_lines(change, style) {
                    writeln!(ctx.out, "{line}")?;
                }
            }
            if let Some(last) = changes.last() {
                after_event = Some(last.event.max(after_event.unwrap_or_default()));
            }
        }
        if !args.watch {
            return Ok(());
        }
        ctx.out.flush()?;
        std::thread::sleep(Duration::from_secs(ctx.config().poll_interval.max(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(members: &[(&str, Value)]) -> Value {
        Value::structure(members.iter().cloned())
    }

    fn check(history: Value, verbose: bool, expected: &[&str]) {
        let style = Style {
            utc: true,
            events: true,
            verbose,
        };
        let lines: Vec<String> = timeline(history.as_struct().unwrap(), false)
            .iter()
            .flat_map(|c| change_lines(c, style))
            .collect();
        assert_eq!(lines, expected);
    }

    #[test]
    fn a_tag_edit_folds_into_one_line() {
        let base = |create: i64, revoke: Value, active: bool, arches: &str| {
            row(&[
                ("tag_id", Value::Int(1)),
                ("tag.name", Value::from("f40")),
                ("arches", Value::from(arches)),
                ("create_event", Value::Int(create)),
                ("revoke_event", revoke.clone()),
                ("create_ts", Value::Double(1_795_342_816.0 + create as f64)),
                (
                    "revoke_ts",
                    revoke
                        .as_i64()
                        .map_or(Value::Nil, |e| Value::Double(1_795_342_816.0 + e as f64)),
                ),
                ("creator_name", Value::from("admin")),
                (
                    "revoker_name",
                    if revoke.is_nil() {
                        Value::Nil
                    } else {
                        Value::from("admin")
                    },
                ),
                ("active", Value::Bool(active)),
            ])
        };
        check(
            Value::structure([(
                "tag_config",
                Value::Array(vec![
                    base(10, Value::Int(12), false, "x86_64"),
                    base(12, Value::Nil, true, "x86_64 aarch64"),
                ]),
            )]),
            false,
            &[
                "Sun Nov 22 10:20:26 2026 (eid 10) new tag: f40 by admin",
                "Sun Nov 22 10:20:28 2026 (eid 12) tag configuration for f40 altered by admin [still active]",
                "    arches: x86_64 -> x86_64 aarch64",
            ],
        );
    }

    #[test]
    fn fills_templates() {
        let r = row(&[("name", Value::from("foo")), ("tag.name", Value::from("f40"))]);
        assert_eq!(
            fill("%(name)s tagged into %(tag.name)s!", r.as_struct().unwrap()),
            "foo tagged into f40!"
        );
    }
}
