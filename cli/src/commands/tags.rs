//! Tag commands: `list-tags`, `taginfo`, `add-tag`, `edit-tag`, `remove-tag`,
//! `add-tag-inheritance`, `list-tag-inheritance`.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::{Struct, Value};

use crate::commands::args::{
    EventArgs, announce_event, arg_filter_json, entry, event_keywords, multicall_strict, parse_arches,
};
use crate::commands::{field_i64, field_str, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::pprint::{pformat, repr};
use crate::output::table::py_str;
use crate::pyliteral::arg_filter;

/// Tag commands.
#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Print the list of tags
    ListTags(ListTagsArgs),
    /// Print basic information about a tag
    Taginfo(TaginfoArgs),
    /// Add a new tag to the database
    AddTag(AddTagArgs),
    /// Alter tag information
    EditTag(EditTagArgs),
    /// Remove a tag
    RemoveTag {
        /// The tag
        name: String,
    },
    /// Add to a tag's inheritance
    AddTagInheritance(AddInheritanceArgs),
    /// Print the inheritance information for a tag
    ListTagInheritance(ListInheritanceArgs),
}

/// Arguments of `list-tags`.
#[derive(Debug, clap::Args)]
pub struct ListTagsArgs {
    /// Glob patterns the names must match
    pub patterns: Vec<String>,
    /// Show tag ids
    #[arg(long)]
    pub show_id: bool,
    /// Show more information
    #[arg(long)]
    pub verbose: bool,
    /// Only show unlocked tags
    #[arg(long)]
    pub unlocked: bool,
    /// Show tags associated with a build
    #[arg(long)]
    pub build: Option<String>,
    /// Show tags associated with a package
    #[arg(long)]
    pub package: Option<String>,
    /// Print the tags as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `taginfo`.
#[derive(Debug, clap::Args)]
pub struct TaginfoArgs {
    /// The tags (names or ids)
    #[arg(required = true)]
    pub tags: Vec<String>,
    /// When to look.
    #[command(flatten)]
    pub event: EventArgs,
}

/// Arguments of `add-tag`.
#[derive(Debug, clap::Args)]
pub struct AddTagArgs {
    /// The new tag's name
    pub name: String,
    /// Set a parent tag with priority 0
    #[arg(long)]
    pub parent: Option<String>,
    /// Specify arches
    #[arg(long)]
    pub arches: Option<String>,
    /// Enable creation of Maven repos for this tag
    #[arg(long)]
    pub maven_support: bool,
    /// Include all packages in this tag when generating Maven repos
    #[arg(long)]
    pub include_all: bool,
    /// Set tag extra option
    #[arg(short = 'x', long = "extra", value_name = "key=value")]
    pub extra: Vec<String>,
}

/// Arguments of `edit-tag`.
#[derive(Debug, clap::Args)]
pub struct EditTagArgs {
    /// The tag
    pub name: String,
    /// Specify arches
    #[arg(long)]
    pub arches: Option<String>,
    /// Specify permission requirement
    #[arg(long)]
    pub perm: Option<String>,
    /// Remove permission requirement
    #[arg(long)]
    pub no_perm: bool,
    /// Lock the tag
    #[arg(long)]
    pub lock: bool,
    /// Unlock the tag
    #[arg(long)]
    pub unlock: bool,
    /// Rename the tag
    #[arg(long)]
    pub rename: Option<String>,
    /// Enable creation of Maven repos for this tag
    #[arg(long)]
    pub maven_support: bool,
    /// Disable creation of Maven repos for this tag
    #[arg(long)]
    pub no_maven_support: bool,
    /// Include all packages in this tag when generating Maven repos
    #[arg(long)]
    pub include_all: bool,
    /// Do not include all packages in this tag when generating Maven repos
    #[arg(long)]
    pub no_include_all: bool,
    /// Set tag extra option. JSON-encoded or simple value
    #[arg(short = 'x', long = "extra", value_name = "key=value")]
    pub extra: Vec<String>,
    /// Remove tag extra option
    #[arg(short = 'r', long = "remove-extra", value_name = "key")]
    pub remove_extra: Vec<String>,
    /// Block inherited tag extra option
    #[arg(short = 'b', long = "block-extra", value_name = "key")]
    pub block_extra: Vec<String>,
}

/// Arguments of `add-tag-inheritance`.
#[derive(Debug, clap::Args)]
pub struct AddInheritanceArgs {
    /// The child tag
    pub tag: String,
    /// The new parent tag
    pub parent: String,
    /// Specify priority
    #[arg(long)]
    pub priority: Option<String>,
    /// Specify max depth
    #[arg(long)]
    pub maxdepth: Option<String>,
    /// Set intransitive
    #[arg(long)]
    pub intransitive: bool,
    /// Set to packages only
    #[arg(long)]
    pub noconfig: bool,
    /// Specify the package filter
    #[arg(long)]
    pub pkg_filter: Option<String>,
    /// Force adding a parent to a tag that already has that parent tag
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `list-tag-inheritance`.
#[derive(Debug, clap::Args)]
pub struct ListInheritanceArgs {
    /// The tag
    pub tag: String,
    /// Process tag's children instead of its parents
    #[arg(long)]
    pub reverse: bool,
    /// When to look.
    #[command(flatten)]
    pub event: EventArgs,
    /// Print the inheritance as JSON
    #[arg(long)]
    pub json: bool,
}

impl TagCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            TagCommand::ListTags(args) => list_tags(ctx, &args),
            TagCommand::Taginfo(args) => taginfo(ctx, &args),
            TagCommand::AddTag(args) => add_tag(ctx, &args),
            TagCommand::EditTag(args) => edit_tag(ctx, &args),
            TagCommand::RemoveTag { name } => remove_tag(ctx, &name),
            TagCommand::AddTagInheritance(args) => add_inheritance(ctx, &args),
            TagCommand::ListTagInheritance(args) => list_inheritance(ctx, &args),
        }
    }
}

/// `hasPerm(a) or hasPerm(b)`, else Koji's usage error.
pub fn require_perm(ctx: &Ctx, perm: &str) -> Result<()> {
    for name in ["admin", perm] {
        if ctx.call("hasPerm", vec![Value::from(name)])?.truthy() {
            return Ok(());
        }
    }
    Err(Error::Usage(format!(
        "This action requires {perm} or admin privileges"
    )))
}

/// `getTag(name)`; `None` when there is no such tag.
pub fn get_tag(ctx: &Ctx, name: &str) -> Result<Option<Value>> {
    let tag = ctx.call("getTag", vec![Value::from(name)])?;
    Ok((!tag.is_nil()).then_some(tag))
}

fn list_tags(ctx: &mut Ctx, args: &ListTagsArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let mut package_id = Value::Nil;
    if let Some(package) = &args.package {
        let info = ctx.call("getPackage", vec![Value::from(package.as_str())])?;
        if info.is_nil() {
            return Err(Error::Usage(format!("No such package: {package}")));
        }
        package_id = info.get("id").cloned().unwrap_or_default();
    }
    let mut build_id = Value::Nil;
    if let Some(build) = &args.build {
        let info = ctx.call("getBuild", vec![Value::from(build.as_str())])?;
        if info.is_nil() {
            return Err(Error::Usage(format!("No such build: {build}")));
        }
        build_id = info.get("id").cloned().unwrap_or_default();
    }
    let filters = || vec![("build", build_id.clone()), ("package", package_id.clone())];
    let mut tags: Vec<Value> = if args.patterns.is_empty() {
        let tags = ctx.call_kw("listTags", vec![], filters())?;
        tags.as_array().unwrap_or_default().to_vec()
    } else {
        let calls = args
            .patterns
            .iter()
            .map(|pattern| {
                let mut keywords = filters();
                keywords.push(("pattern", Value::from(pattern.as_str())));
                entry("listTags", vec![], keywords)
            })
            .collect();
        multicall_strict(ctx, calls)?
            .into_iter()
            .flat_map(|tags| tags.as_array().unwrap_or_default().to_vec())
            .collect()
    };
    tags.sort_by(|a, b| field_str(a, "name").cmp(field_str(b, "name")));
    if args.unlocked {
        tags.retain(|t| {
            !t.get("locked").is_some_and(Value::truthy) && !t.get("perm").is_some_and(Value::truthy)
        });
    }
    if args.json {
        return print_json(ctx, &Value::Array(tags));
    }
    for tag in &tags {
        let mut line = field_str(tag, "name").to_owned();
        if args.show_id {
            line.push_str(&format!(" [{}]", field_i64(tag, "id").unwrap_or_default()));
        }
        if args.verbose {
            if tag.get("locked").is_some_and(Value::truthy) {
                line.push_str(" [LOCKED]");
            }
            if let Some(perm) = tag.get("perm").filter(|p| p.truthy()) {
                line.push_str(&format!(" [{} perm required]", py_str(perm)));
            }
        }
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}

/// Koji's `format_inheritance_flags`: `M`, `F`, `I`, `N` or dots.
pub fn inheritance_flags(link: &Value) -> String {
    let flag = |code: char, set: bool| if set { code } else { '.' };
    [
        flag('M', !link.get("maxdepth").unwrap_or(&Value::Nil).is_nil()),
        flag('F', link.get("pkg_filter").is_some_and(Value::truthy)),
        flag('I', link.get("intransitive").is_some_and(Value::truthy)),
        flag('N', link.get("noconfig").is_some_and(Value::truthy)),
    ]
    .iter()
    .collect()
}

fn taginfo(ctx: &mut Ctx, args: &TaginfoArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let event = announce_event(ctx, &args.event)?;
    let event_kw = || event_keywords(event.as_ref());
    let perms: BTreeMap<i64, String> = ctx
        .call("getAllPerms", vec![])?
        .as_array()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| Some((field_i64(p, "id")?, field_str(p, "name").to_owned())))
        .collect();
    let mut infos = Vec::new();
    for tag in &args.tags {
        let mut info = ctx.call_kw("getBuildConfig", vec![Value::from(tag.as_str())], event_kw())?;
        if info.is_nil()
            && let Ok(id) = tag.parse::<i64>()
        {
            info = ctx.call_kw("getBuildConfig", vec![Value::Int(id)], event_kw())?;
        }
        if info.is_nil() {
            return Err(Error::Usage(format!("No such tag: {tag}")));
        }
        infos.push(info);
    }
    let maven = |ctx: &Ctx| -> Result<bool> { Ok(ctx.call("mavenEnabled", vec![])?.truthy()) };
    for (n, info) in infos.iter().enumerate() {
        let tag_id = field_i64(info, "id").unwrap_or_default();
        let mut lines = Vec::new();
        if n > 0 {
            lines.push(String::new());
        }
        lines.push(format!("Tag: {} [{tag_id}]", field_str(info, "name")));
        lines.push(format!(
            "Arches: {}",
            py_str(info.get("arches").unwrap_or(&Value::Nil))
        ));
        let groups = ctx.call_kw("getTagGroups", vec![Value::Int(tag_id)], event_kw())?;
        let mut group_names: Vec<&str> = groups
            .as_array()
            .unwrap_or_default()
            .iter()
            .map(|g| field_str(g, "name"))
            .collect();
        group_names.sort_unstable();
        lines.push(format!("Groups: {}", group_names.join(", ")));
        if info.get("locked").is_some_and(Value::truthy) {
            lines.push("LOCKED".into());
        }
        if let Some(perm_id) = info.get("perm_id").filter(|p| !p.is_nil()) {
            let shown = perm_id
                .as_i64()
                .and_then(|id| perms.get(&id))
                .map_or_else(|| repr(perm_id), |name| repr(&Value::from(name.as_str())));
            lines.push(format!("Required permission: {shown}"));
        }
        if maven(ctx)? {
            let yes_no = |key: &str| {
                if info.get(key).is_some_and(Value::truthy) {
                    "yes"
                } else {
                    "no"
                }
            };
            lines.push(format!("Maven support?: {}", yes_no("maven_support")));
            lines.push(format!(
                "Include all Maven archives?: {}",
                yes_no("maven_include_all")
            ));
        }
        if let Some(extra) = info.get("extra") {
            lines.push("Tag options:".into());
            let inherited = info
                .get("config_inheritance")
                .and_then(|c| c.get("extra"))
                .and_then(Value::as_struct);
            for (key, value) in extra.as_struct().into_iter().flatten() {
                let mut line = format!("  {key} : {}", pformat(value));
                if let Some(source) = inherited.and_then(|i| i.get(key)) {
                    line = format!("{line:<30} [{}]", field_str(source, "name"));
                }
                lines.push(line);
            }
        }
        let targets = |key: &str| -> Result<Vec<Value>> {
            let mut keywords = vec![(key, Value::Int(tag_id))];
            keywords.extend(event_kw());
            Ok(ctx
                .call_kw("getBuildTargets", vec![], keywords)?
                .as_array()
                .unwrap_or_default()
                .to_vec())
        };
        let dest_targets = targets("destTagID")?;
        let build_targets = targets("buildTagID")?;
        let mut repos: BTreeMap<i64, String> = BTreeMap::new();
        if event.is_none() {
            let mut repo_tags: Vec<i64> = dest_targets
                .iter()
                .chain(&build_targets)
                .filter_map(|t| field_i64(t, "build_tag"))
                .collect();
            repo_tags.push(tag_id);
            for repo_tag in repo_tags {
                if repos.contains_key(&repo_tag) {
                    continue;
                }
                let repo = ctx.call("getRepo", vec![Value::Int(repo_tag)])?;
                let text = if repo.is_nil() {
                    "no active repo".to_owned()
                } else {
                    format!(
                        "repo#{}: {}",
                        field_i64(&repo, "id").unwrap_or_default(),
                        py_str(repo.get("creation_time").unwrap_or(&Value::Nil))
                    )
                };
                repos.insert(repo_tag, text);
            }
        }
        let repo_of = |id: Option<i64>| id.and_then(|id| repos.get(&id)).cloned().unwrap_or_default();
        if !dest_targets.is_empty() {
            lines.push("Targets that build into this tag:".into());
            for target in &dest_targets {
                let name = field_str(target, "name");
                let build_tag = field_str(target, "build_tag_name");
                if event.is_some() {
                    lines.push(format!("  {name} ({build_tag})"));
                } else {
                    let repo = repo_of(field_i64(target, "build_tag"));
                    lines.push(format!("  {name} ({build_tag}, {repo})"));
                }
            }
        }
        if !build_targets.is_empty() {
            lines.push("This tag is a buildroot for one or more targets".into());
            if event.is_none() {
                lines.push(format!("Current repo: {}", repo_of(Some(tag_id))));
            }
            lines.push("Targets that build from this tag:".into());
            for target in &build_targets {
                lines.push(format!("  {}", field_str(target, "name")));
            }
        } else if repos.contains_key(&tag_id) {
            lines.push(format!("Current repo: {}", repo_of(Some(tag_id))));
        }
        let mut keywords = vec![("tag_info", Value::Int(tag_id))];
        keywords.extend(event_kw());
        let external = ctx.call_kw("getTagExternalRepos", vec![], keywords)?;
        let external = external.as_array().unwrap_or_default();
        if !external.is_empty() {
            lines.push("External repos:".into());
            for repo in external {
                let arches = match repo.get("arches") {
                    None => "-".to_owned(),
                    Some(a) if !a.truthy() => "inherited from tag".to_owned(),
                    Some(a) => py_str(a),
                };
                lines.push(format!(
                    "  {:>3} {} ({}, merge mode: {}), arches: {arches}",
                    field_i64(repo, "priority").unwrap_or_default(),
                    field_str(repo, "external_repo_name"),
                    field_str(repo, "url"),
                    py_str(repo.get("merge_mode").unwrap_or(&Value::Nil)),
                ));
            }
        }
        lines.push("Inheritance:".into());
        let parents = ctx.call_kw("getInheritanceData", vec![Value::Int(tag_id)], event_kw())?;
        for parent in parents.as_array().unwrap_or_default() {
            lines.push(format!(
                "  {:<4} {} {} [{}]",
                field_i64(parent, "priority").unwrap_or_default(),
                inheritance_flags(parent),
                field_str(parent, "name"),
                py_str(parent.get("parent_id").unwrap_or(&Value::Nil)),
            ));
            if let Some(maxdepth) = parent.get("maxdepth").filter(|m| !m.is_nil()) {
                lines.push(format!("    maxdepth: {}", py_str(maxdepth)));
            }
            if let Some(filter) = parent.get("pkg_filter").filter(|f| f.truthy()) {
                lines.push(format!("    package filter: {}", py_str(filter)));
            }
        }
        for line in lines {
            writeln!(ctx.out, "{line}")?;
        }
    }
    Ok(())
}

fn add_tag(ctx: &mut Ctx, args: &AddTagArgs) -> Result<()> {
    ctx.connect_login()?;
    require_perm(ctx, "tag")?;
    let mut keywords = Vec::new();
    if let Some(parent) = &args.parent {
        keywords.push(("parent", Value::from(parent.as_str())));
    }
    if let Some(arches) = &args.arches {
        keywords.push(("arches", Value::from(parse_arches(arches)?.join(" "))));
    }
    if args.maven_support {
        keywords.push(("maven_support", Value::Bool(true)));
    }
    if args.include_all {
        keywords.push(("maven_include_all", Value::Bool(true)));
    }
    if !args.extra.is_empty() {
        let mut extra = Struct::new();
        for option in &args.extra {
            let (key, value) = split_extra(option)?;
            let value = arg_filter(value).map_err(|e| Error::Usage(e.0))?;
            extra.insert(key.to_owned(), value);
        }
        keywords.push(("extra", Value::Struct(extra)));
    }
    ctx.call_kw("createTag", vec![Value::from(args.name.as_str())], keywords)?;
    Ok(())
}

fn split_extra(option: &str) -> Result<(&str, &str)> {
    option
        .split_once('=')
        .ok_or_else(|| Error::Usage(format!("extra options take key=value, got {option}")))
}

fn edit_tag(ctx: &mut Ctx, args: &EditTagArgs) -> Result<()> {
    ctx.connect_login()?;
    let mut keywords = Vec::new();
    if let Some(arches) = &args.arches {
        keywords.push(("arches", Value::from(parse_arches(arches)?.join(" "))));
    }
    if args.no_perm {
        keywords.push(("perm", Value::Nil));
    } else if let Some(perm) = &args.perm {
        keywords.push(("perm", Value::from(perm.as_str())));
    }
    if args.lock {
        keywords.push(("locked", Value::Bool(true)));
    } else if args.unlock {
        keywords.push(("locked", Value::Bool(false)));
    }
    if let Some(name) = &args.rename {
        keywords.push(("name", Value::from(name.as_str())));
    }
    if args.no_maven_support {
        keywords.push(("maven_support", Value::Bool(false)));
    } else if args.maven_support {
        keywords.push(("maven_support", Value::Bool(true)));
    }
    if args.no_include_all {
        keywords.push(("maven_include_all", Value::Bool(false)));
    } else if args.include_all {
        keywords.push(("maven_include_all", Value::Bool(true)));
    }
    if !args.extra.is_empty() {
        let mut extra = Struct::new();
        for option in &args.extra {
            let (key, value) = split_extra(option)?;
            if extra.contains_key(key) {
                return Err(Error::Usage(format!("Duplicate extra key: {key}")));
            }
            extra.insert(key.to_owned(), arg_filter_json(value));
        }
        keywords.push(("extra", Value::Struct(extra)));
    }
    let strings = |items: &[String]| Value::Array(items.iter().map(|s| Value::from(s.as_str())).collect());
    keywords.push(("remove_extra", strings(&args.remove_extra)));
    keywords.push(("block_extra", strings(&args.block_extra)));
    ctx.call_kw("editTag2", vec![Value::from(args.name.as_str())], keywords)?;
    Ok(())
}

fn remove_tag(ctx: &mut Ctx, name: &str) -> Result<()> {
    ctx.connect_login()?;
    require_perm(ctx, "tag")?;
    let tag = get_tag(ctx, name)?.ok_or_else(|| Error::Failed(format!("No such tag: {name}")))?;
    ctx.call("deleteTag", vec![tag.get("id").cloned().unwrap_or_default()])?;
    Ok(())
}

fn add_inheritance(ctx: &mut Ctx, args: &AddInheritanceArgs) -> Result<()> {
    ctx.connect_login()?;
    let tag = get_tag(ctx, &args.tag)?.ok_or_else(|| Error::Usage(format!("No such tag: {}", args.tag)))?;
    let parent =
        get_tag(ctx, &args.parent)?.ok_or_else(|| Error::Usage(format!("No such tag: {}", args.parent)))?;
    let tag_id = field_i64(&tag, "id").unwrap_or_default();
    let parent_id = field_i64(&parent, "id").unwrap_or_default();
    let data = ctx.call("getInheritanceData", vec![Value::Int(tag_id)])?;
    let mut links = data.as_array().unwrap_or_default().to_vec();
    let priority = match args.priority.as_deref().filter(|p| !p.is_empty()) {
        Some(text) => text.trim().parse::<i64>().map_err(|_| {
            Error::Failed(format!(
                "ValueError: invalid literal for int() with base 10: {}",
                repr(&Value::from(text))
            ))
        })?,
        None => 0,
    };
    let tag_name = field_str(&tag, "name");
    if links.iter().any(|l| field_i64(l, "parent_id") == Some(parent_id)) && !args.force {
        crate::warn(&format!(
            "Error: You are attempting to add {} as {tag_name}'s parent even though it already is {tag_name}'s parent.",
            field_str(&parent, "name")
        ));
        return Err(Error::Failed(
            "Please use --force if this is what you really want to do.".into(),
        ));
    }
    if links.iter().any(|l| field_i64(l, "priority") == Some(priority)) {
        return Err(Error::Failed(format!(
            "Error: There is already an active inheritance with that priority on {tag_name}, please specify a different priority with --priority."
        )));
    }
    let maxdepth = args
        .maxdepth
        .as_deref()
        .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
        .and_then(|m| m.parse::<i64>().ok())
        .map_or(Value::Nil, Value::Int);
    links.push(Value::structure([
        ("parent_id", Value::Int(parent_id)),
        (
            "priority",
            args.priority
                .as_deref()
                .filter(|p| !p.is_empty())
                .map_or(Value::Int(0), Value::from),
        ),
        ("maxdepth", maxdepth),
        ("intransitive", Value::Bool(args.intransitive)),
        ("noconfig", Value::Bool(args.noconfig)),
        (
            "pkg_filter",
            Value::from(args.pkg_filter.clone().unwrap_or_default()),
        ),
    ]));
    ctx.call(
        "setInheritanceData",
        vec![Value::Int(tag_id), Value::Array(links)],
    )?;
    Ok(())
}

/// Koji's `_printInheritance`: the links of a full inheritance walk as a tree.
pub fn inheritance_tree(links: &[Value], reverse: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut sibling_depths: Vec<i64> = Vec::new();
    let indent = |n: i64| " ".repeat(usize::try_from(n).unwrap_or(0));
    for (index, link) in links.iter().enumerate() {
        let rest = links.get(index + 1..).unwrap_or_default();
        let key = if reverse { "parent_id" } else { "child_id" };
        let siblings = rest
            .iter()
            .filter(|other| other.get(key) == link.get(key))
            .count();
        let depth = field_i64(link, "currdepth").unwrap_or_default();
        let mut line = inheritance_flags(link);
        let mut out_depth = 0;
        for &sibling_depth in &sibling_depths {
            if sibling_depth < depth {
                line.push_str(&indent((sibling_depth - out_depth) * 3 - 1));
                line.push('│');
                out_depth = sibling_depth;
            }
        }
        line.push_str(&indent((depth - out_depth) * 3 - 1));
        line.push(if siblings > 0 { '├' } else { '└' });
        line.push('─');
        let id_key = if reverse { "tag_id" } else { "parent_id" };
        line.push_str(&format!(
            "{} ({})",
            field_str(link, "name"),
            field_i64(link, id_key).unwrap_or_default()
        ));
        lines.push(line);
        if siblings > 0 {
            if sibling_depths.last() != Some(&depth) {
                sibling_depths.push(depth);
            }
        } else if sibling_depths.last() == Some(&depth) {
            sibling_depths.pop();
        }
    }
    lines
}

fn list_inheritance(ctx: &mut Ctx, args: &ListInheritanceArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let event = announce_event(ctx, &args.event)?;
    let tag = ctx.call_kw(
        "getTag",
        vec![Value::from(args.tag.as_str())],
        event_keywords(event.as_ref()),
    )?;
    if tag.is_nil() {
        return Err(Error::Usage(format!("No such tag: {}", args.tag)));
    }
    let mut keywords = vec![("reverse", Value::Bool(args.reverse))];
    keywords.extend(event_keywords(event.as_ref()));
    let tag_id = field_i64(&tag, "id").unwrap_or_default();
    let links = ctx.call_kw("getFullInheritance", vec![Value::Int(tag_id)], keywords)?;
    if args.json {
        return print_json(ctx, &links);
    }
    writeln!(ctx.out, "     {} ({tag_id})", field_str(&tag, "name"))?;
    for line in inheritance_tree(links.as_array().unwrap_or_default(), args.reverse) {
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str, child: i64, parent: i64, depth: i64) -> Value {
        Value::structure([
            ("name", Value::from(name)),
            ("child_id", Value::Int(child)),
            ("parent_id", Value::Int(parent)),
            ("tag_id", Value::Int(child)),
            ("currdepth", Value::Int(depth)),
            ("maxdepth", Value::Nil),
            ("pkg_filter", Value::from("")),
            ("intransitive", Value::Bool(false)),
            ("noconfig", Value::Bool(false)),
        ])
    }

    #[test]
    fn inheritance_trees() {
        // f40-build inherits f40 and f40-extra; f40 inherits base.
        let links = vec![
            link("f40", 3, 1, 1),
            link("base", 1, 5, 2),
            link("f40-extra", 3, 2, 1),
        ];
        assert_eq!(
            inheritance_tree(&links, false),
            ["....  ├─f40 (1)", "....  │  └─base (5)", "....  └─f40-extra (2)",]
        );
    }

    #[test]
    fn flags() {
        let mut l = link("x", 1, 2, 1);
        if let Value::Struct(m) = &mut l {
            m.insert("maxdepth".into(), Value::Int(2));
            m.insert("noconfig".into(), Value::Bool(true));
        }
        assert_eq!(inheritance_flags(&l), "M..N");
    }
}
