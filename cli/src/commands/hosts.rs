//! Host commands: `add-host`, `list-hosts`, `hostinfo`, `add-host-to-channel`.

use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::Value;

use crate::commands::args::{as_f64, entry, multicall_strict};
use crate::commands::{field_i64, field_str, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::py_str;
use crate::output::time::{format_time_long, format_time_str};

/// Host commands.
#[derive(Debug, Subcommand)]
pub enum HostCommand {
    /// Add a host
    AddHost {
        /// set a non-default kerberos principal for the host
        #[arg(long)]
        krb_principal: Option<String>,
        /// if existing used is a regular user, convert it to a host
        #[arg(long)]
        force: bool,
        /// The host's name
        hostname: String,
        /// The arches it builds for
        #[arg(required = true)]
        arches: Vec<String>,
    },
    /// Print the host listing
    ListHosts(ListHostsArgs),
    /// Print basic information about a host
    Hostinfo {
        /// The hosts (names or ids)
        #[arg(required = true)]
        hosts: Vec<String>,
    },
    /// Add a host to a channel
    AddHostToChannel {
        /// Create channel if needed
        #[arg(long)]
        new: bool,
        /// force added, if possible
        #[arg(long)]
        force: bool,
        /// The host
        hostname: String,
        /// The channel
        channel: String,
    },
}

/// Arguments of `list-hosts`.
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "one field per Koji flag")]
pub struct ListHostsArgs {
    /// Specify an architecture
    #[arg(long)]
    pub arch: Vec<String>,
    /// Specify a channel
    #[arg(long)]
    pub channel: Option<String>,
    /// Limit to ready hosts
    #[arg(long, conflicts_with = "not_ready")]
    pub ready: bool,
    /// Limit to not ready hosts
    #[arg(long)]
    pub not_ready: bool,
    /// Limit to enabled hosts
    #[arg(long, conflicts_with_all = ["not_enabled", "disabled"])]
    pub enabled: bool,
    /// Limit to not enabled hosts
    #[arg(long)]
    pub not_enabled: bool,
    /// Alias for --not-enabled
    #[arg(long)]
    pub disabled: bool,
    /// Do not print header information
    #[arg(long)]
    pub quiet: bool,
    /// Show host's channels
    #[arg(long)]
    pub show_channels: bool,
    /// Show comments
    #[arg(long)]
    pub comment: bool,
    /// Show descriptions
    #[arg(long)]
    pub description: bool,
    /// Print the hosts as JSON
    #[arg(long)]
    pub json: bool,
}

impl HostCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            HostCommand::AddHost {
                krb_principal,
                force,
                hostname,
                arches,
            } => add_host(ctx, &hostname, &arches, krb_principal, force),
            HostCommand::ListHosts(args) => list_hosts(ctx, &args),
            HostCommand::Hostinfo { hosts } => hostinfo(ctx, &hosts),
            HostCommand::AddHostToChannel {
                new,
                force,
                hostname,
                channel,
            } => add_to_channel(ctx, &hostname, &channel, new, force),
        }
    }
}

fn add_host(
    ctx: &mut Ctx,
    hostname: &str,
    arches: &[String],
    krb_principal: Option<String>,
    force: bool,
) -> Result<()> {
    ctx.connect_login()?;
    if ctx.call("getHost", vec![Value::from(hostname)])?.truthy() {
        return Err(Error::Failed(format!("{hostname} is already in the database")));
    }
    let mut keywords = vec![("force", Value::Bool(force))];
    if let Some(principal) = krb_principal {
        keywords.push(("krb_principal", Value::from(principal)));
    }
    let arches = Value::Array(arches.iter().map(|a| Value::from(a.as_str())).collect());
    let id = ctx.call_kw("addHost", vec![Value::from(hostname), arches], keywords)?;
    writeln!(
        ctx.out,
        "{hostname} added: id {}",
        id.as_i64().unwrap_or_default()
    )?;
    Ok(())
}

fn add_to_channel(ctx: &mut Ctx, hostname: &str, channel: &str, new: bool, force: bool) -> Result<()> {
    ctx.connect_login()?;
    if !new && !ctx.call("getChannel", vec![Value::from(channel)])?.truthy() {
        return Err(Error::Failed(format!("No such channel: {channel}")));
    }
    if !ctx.call("getHost", vec![Value::from(hostname)])?.truthy() {
        return Err(Error::Failed(format!("No such host: {hostname}")));
    }
    let mut keywords = Vec::new();
    if new {
        keywords.push(("create", Value::Bool(true)));
    }
    if force {
        keywords.push(("force", Value::Bool(true)));
    }
    ctx.call_kw(
        "addHostToChannel",
        vec![Value::from(hostname), Value::from(channel)],
        keywords,
    )?;
    Ok(())
}

/// Koji's `truncate_string`: newlines as spaces, cut at 47 characters with `...`.
fn truncate(value: Option<&Value>) -> String {
    let text = match value {
        Some(Value::String(s)) => s.replace('\n', " "),
        Some(other) if other.truthy() => py_str(other),
        _ => String::new(),
    };
    if text.chars().count() > 47 {
        let cut: String = text.chars().take(47).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Python's `"%4.1f"`-style formatting of a number field.
fn fixed(value: Option<&Value>, precision: usize) -> String {
    format!("{:.precision$}", value.and_then(as_f64).unwrap_or_default())
}

/// One row of `list-hosts`.
fn host_row(host: &Value, longest: usize, args: &ListHostsArgs, channels: Option<&str>) -> String {
    let yes_no = |key: &str| {
        if host.get(key).is_some_and(Value::truthy) {
            "Y"
        } else {
            "N"
        }
    };
    let update = host
        .get("update_ts")
        .and_then(as_f64)
        .map_or_else(|| "-".to_owned(), format_time_long);
    let arches = field_str(host, "arches")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(",");
    let mut line = format!(
        "{:<longest$} {:<3} {:<3} {:>4}/{:<4} {:<16} {:<35}",
        field_str(host, "name"),
        yes_no("enabled"),
        yes_no("ready"),
        fixed(host.get("task_load"), 1),
        fixed(host.get("capacity"), 1),
        arches,
        update,
    );
    if args.description {
        line.push_str(&format!(" {:<50}", truncate(host.get("description"))));
    }
    if args.comment {
        line.push_str(&format!(" {:<50}", truncate(host.get("comment"))));
    }
    if let Some(channels) = channels {
        line.push_str(&format!(" {channels}"));
    }
    line
}

fn list_hosts(ctx: &mut Ctx, args: &ListHostsArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let mut keywords = Vec::new();
    if !args.arch.is_empty() {
        let arches = args.arch.iter().map(|a| Value::from(a.as_str())).collect();
        keywords.push(("arches", Value::Array(arches)));
    }
    if let Some(channel) = &args.channel {
        let info = ctx.call("getChannel", vec![Value::from(channel.as_str())])?;
        if !info.truthy() {
            return Err(Error::Usage(format!("No such channel: {channel}")));
        }
        keywords.push(("channelID", info.get("id").cloned().unwrap_or_default()));
    }
    if args.ready || args.not_ready {
        keywords.push(("ready", Value::Bool(args.ready)));
    }
    if args.enabled || args.not_enabled || args.disabled {
        keywords.push(("enabled", Value::Bool(args.enabled)));
    }
    let hosts = ctx.call_kw("listHosts", vec![], keywords)?;
    let mut hosts = hosts.as_array().unwrap_or_default().to_vec();
    hosts.sort_by(|a, b| field_str(a, "name").cmp(field_str(b, "name")));
    if args.json {
        return print_json(ctx, &Value::Array(hosts));
    }
    if hosts.is_empty() {
        crate::warn("No hosts found.");
        return Ok(());
    }
    let channels: Option<Vec<String>> = if args.show_channels {
        let calls = hosts
            .iter()
            .map(|h| {
                entry(
                    "listChannels",
                    vec![h.get("id").cloned().unwrap_or_default()],
                    vec![],
                )
            })
            .collect();
        let results = multicall_strict(ctx, calls)?;
        Some(
            results
                .iter()
                .map(|channels| {
                    let mut names: Vec<String> = channels
                        .as_array()
                        .unwrap_or_default()
                        .iter()
                        .map(|c| match c.get("enabled") {
                            Some(Value::Bool(false)) => format!("*{}", field_str(c, "name")),
                            _ => field_str(c, "name").to_owned(),
                        })
                        .collect();
                    names.sort();
                    names.join(",")
                })
                .collect(),
        )
    } else {
        None
    };
    let longest = hosts
        .iter()
        .map(|h| field_str(h, "name").chars().count())
        .max()
        .unwrap_or_default();
    if !(args.quiet || ctx.options.quiet) {
        let mut header = format!(
            "{:<longest$} Enb Rdy Load/Cap  Arches           Last Update                         ",
            "Hostname"
        );
        if args.description {
            header.push_str(&format!("{:<51}", "Description"));
        }
        if args.comment {
            header.push_str(&format!("{:<51}", "Comment"));
        }
        if args.show_channels {
            header.push_str("Channels");
        }
        writeln!(ctx.out, "{header}")?;
        writeln!(ctx.out, "{}", "-".repeat(header.chars().count()))?;
    }
    for (index, host) in hosts.iter().enumerate() {
        let host_channels = channels.as_ref().and_then(|c| c.get(index)).map(String::as_str);
        writeln!(ctx.out, "{}", host_row(host, longest, args, host_channels))?;
    }
    Ok(())
}

/// A multi-line text field as `hostinfo` prints it: first line after the label, the rest
/// indented to line up.
fn labelled(label: &str, value: Option<&Value>) -> Vec<String> {
    match value.and_then(Value::as_str).filter(|s| !s.is_empty()) {
        None => vec![format!("{label}:")],
        Some(text) => {
            let mut lines = text.lines();
            let mut out = vec![format!("{label}: {}", lines.next().unwrap_or_default())];
            let pad = " ".repeat(label.len() + 2);
            out.extend(lines.map(|line| format!("{pad}{line}")));
            out
        }
    }
}

fn hostinfo(ctx: &mut Ctx, hosts: &[String]) -> Result<()> {
    ctx.connect_anonymous()?;
    let mut missing = false;
    for host in hosts {
        let key = match host.parse::<i64>() {
            Ok(id) if host.chars().all(|c| c.is_ascii_digit()) => Value::Int(id),
            _ => Value::from(host.as_str()),
        };
        let info = ctx.call("getHost", vec![key])?;
        if info.is_nil() {
            crate::warn(&format!("No such host: {host}\n"));
            missing = true;
            continue;
        }
        let id = field_i64(&info, "id").unwrap_or_default();
        let yes_no = |key: &str| {
            if info.get(key).is_some_and(Value::truthy) {
                "yes"
            } else {
                "no"
            }
        };
        let mut lines = vec![
            format!("Name: {}", field_str(&info, "name")),
            format!("ID: {id}"),
            format!("Arches: {}", py_str(info.get("arches").unwrap_or(&Value::Nil))),
            format!(
                "Capacity: {}",
                py_str(info.get("capacity").unwrap_or(&Value::Nil))
            ),
            format!("Task Load: {}", fixed(info.get("task_load"), 2)),
        ];
        lines.extend(labelled("Description", info.get("description")));
        lines.extend(labelled("Comment", info.get("comment")));
        lines.push(format!("Enabled: {}", yes_no("enabled")));
        lines.push(format!("Ready: {}", yes_no("ready")));
        let update = info
            .get("update_ts")
            .and_then(as_f64)
            .map_or_else(|| "never".to_owned(), format_time_long);
        lines.push(format!("Last Update: {update}"));
        let channels = ctx.call_kw("listChannels", vec![], vec![("hostID", Value::Int(id))])?;
        let names: Vec<&str> = channels
            .as_array()
            .unwrap_or_default()
            .iter()
            .map(|c| field_str(c, "name"))
            .collect();
        lines.push(format!("Channels: {}", names.join(" ")));
        lines.push("Active Buildroots:".into());
        let mut rows = vec![("NAME".to_owned(), "STATE".to_owned(), "CREATION TIME".to_owned())];
        for (state, state_name) in [(0, "INIT"), (1, "WAITING"), (2, "BUILDING")] {
            let roots = ctx.call_kw(
                "listBuildroots",
                vec![],
                vec![("hostID", Value::Int(id)), ("state", Value::Int(state))],
            )?;
            for root in roots.as_array().unwrap_or_default() {
                let created = field_str(root, "create_event_time");
                // Python's text[:text.find('.')] drops the last character when there is no dot.
                let created = if created.contains('.') {
                    format_time_str(created).to_owned()
                } else {
                    created
                        .chars()
                        .take(created.chars().count().saturating_sub(1))
                        .collect()
                };
                rows.push((
                    format!(
                        "{}-{}-{}",
                        field_str(root, "tag_name"),
                        field_i64(root, "id").unwrap_or_default(),
                        py_str(root.get("repo_id").unwrap_or(&Value::Nil))
                    ),
                    state_name.to_owned(),
                    created,
                ));
            }
        }
        if rows.len() > 1 {
            for (name, state, created) in rows {
                lines.push(format!("{name:<50} {state:<10} {created:<20}"));
            }
        } else {
            lines.push("None".into());
        }
        for line in lines {
            writeln!(ctx.out, "{line}")?;
        }
    }
    if missing {
        return Err(Error::Exit(1));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_like_koji() {
        assert_eq!(truncate(Some(&Value::from("a\nb"))), "a b");
        assert_eq!(truncate(Some(&Value::Nil)), "");
        let long = "x".repeat(50);
        assert_eq!(
            truncate(Some(&Value::from(long.as_str()))),
            format!("{}...", "x".repeat(47))
        );
    }

    #[test]
    fn multi_line_labels() {
        assert_eq!(
            labelled("Comment", Some(&Value::from("one\ntwo"))),
            ["Comment: one", "         two"]
        );
        assert_eq!(labelled("Description", Some(&Value::Nil)), ["Description:"]);
    }
}
