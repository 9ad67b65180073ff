//! Build target commands: `add-target`, `edit-target`, `remove-target`, `list-targets`.

use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::Value;

use crate::commands::tags::{get_tag, require_perm};
use crate::commands::{field_str, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::{Column, Table};

/// Build target commands.
#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Create a new build target
    AddTarget {
        /// The target's name
        name: String,
        /// The tag builds happen in
        build_tag: String,
        /// The tag builds land in (the target's name if not given)
        dest_tag: Option<String>,
    },
    /// Set the name, build_tag, and/or dest_tag of an existing build target to new values
    EditTarget {
        /// The target
        name: String,
        /// Specify new name for target
        #[arg(long)]
        rename: Option<String>,
        /// Specify a different build tag
        #[arg(long)]
        build_tag: Option<String>,
        /// Specify a different destination tag
        #[arg(long)]
        dest_tag: Option<String>,
    },
    /// Remove a build target
    RemoveTarget {
        /// The target
        name: String,
    },
    /// List the build targets
    ListTargets {
        /// Specify the build target name
        #[arg(long)]
        name: Option<String>,
        /// Do not print the header information
        #[arg(long)]
        quiet: bool,
        /// Print the targets as JSON
        #[arg(long)]
        json: bool,
    },
}

impl TargetCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            TargetCommand::AddTarget {
                name,
                build_tag,
                dest_tag,
            } => add_target(ctx, &name, &build_tag, dest_tag.as_deref().unwrap_or(&name)),
            TargetCommand::EditTarget {
                name,
                rename,
                build_tag,
                dest_tag,
            } => edit_target(ctx, &name, rename, build_tag, dest_tag),
            TargetCommand::RemoveTarget { name } => remove_target(ctx, &name),
            TargetCommand::ListTargets { name, quiet, json } => {
                let quiet = quiet || ctx.options.quiet;
                list_targets(ctx, name.as_deref(), quiet, json)
            }
        }
    }
}

/// Checks a build tag exists and has arches, as the stock client does before writing.
fn check_build_tag(ctx: &Ctx, build_tag: &str) -> Result<()> {
    let tag = get_tag(ctx, build_tag)?.ok_or_else(|| Error::Failed(format!("No such tag: {build_tag}")))?;
    if !tag.get("arches").is_some_and(Value::truthy) {
        return Err(Error::Failed(format!("Build tag has no arches: {build_tag}")));
    }
    Ok(())
}

fn add_target(ctx: &mut Ctx, name: &str, build_tag: &str, dest_tag: &str) -> Result<()> {
    ctx.connect_login()?;
    require_perm(ctx, "target")?;
    let build = get_tag(ctx, build_tag)?;
    let dest = get_tag(ctx, dest_tag)?;
    if build.is_none() {
        return Err(Error::Failed(format!("No such tag: {build_tag}")));
    }
    check_build_tag(ctx, build_tag)?;
    if dest.is_none() {
        return Err(Error::Failed(format!("No such destination tag: {dest_tag}")));
    }
    ctx.call(
        "createBuildTarget",
        vec![Value::from(name), Value::from(build_tag), Value::from(dest_tag)],
    )?;
    Ok(())
}

fn edit_target(
    ctx: &mut Ctx,
    name: &str,
    rename: Option<String>,
    build_tag: Option<String>,
    dest_tag: Option<String>,
) -> Result<()> {
    ctx.connect_login()?;
    require_perm(ctx, "target")?;
    let target = ctx.call("getBuildTarget", vec![Value::from(name)])?;
    if target.is_nil() {
        return Err(Error::Failed(format!(
            "GenericError: No such build target: {name}"
        )));
    }
    let mut build_tag_name = field_str(&target, "build_tag_name").to_owned();
    let mut dest_tag_name = field_str(&target, "dest_tag_name").to_owned();
    if let Some(tag) = build_tag {
        check_build_tag(ctx, &tag)?;
        build_tag_name = tag;
    }
    if let Some(tag) = dest_tag {
        if get_tag(ctx, &tag)?.is_none() {
            return Err(Error::Failed(format!("No such destination tag: {tag}")));
        }
        dest_tag_name = tag;
    }
    let original = field_str(&target, "name").to_owned();
    let new_name = rename.unwrap_or_else(|| original.clone());
    ctx.call(
        "editBuildTarget",
        vec![
            Value::from(original),
            Value::from(new_name),
            Value::from(build_tag_name),
            Value::from(dest_tag_name),
        ],
    )?;
    Ok(())
}

fn remove_target(ctx: &mut Ctx, name: &str) -> Result<()> {
    ctx.connect_login()?;
    require_perm(ctx, "target")?;
    let target = ctx.call("getBuildTarget", vec![Value::from(name)])?;
    if !target.truthy() {
        return Err(Error::Failed(format!("No such build target: {name}")));
    }
    ctx.call(
        "deleteBuildTarget",
        vec![target.get("id").cloned().unwrap_or_default()],
    )?;
    Ok(())
}

fn list_targets(ctx: &mut Ctx, name: Option<&str>, quiet: bool, json: bool) -> Result<()> {
    ctx.connect_anonymous()?;
    let targets = ctx.call("getBuildTargets", vec![Value::from(name)])?;
    let mut targets = targets.as_array().unwrap_or_default().to_vec();
    if targets.is_empty() {
        return Err(Error::Usage(match name {
            Some(name) => format!("No such build target: {name}"),
            None => "No targets were found".into(),
        }));
    }
    targets.sort_by(|a, b| field_str(a, "name").cmp(field_str(b, "name")));
    if json {
        return print_json(ctx, &Value::Array(targets));
    }
    let table = Table::new(&[Column::left(30), Column::left(30), Column::left(30)]);
    if !quiet {
        writeln!(ctx.out, "{}", table.row(&["Name", "Buildroot", "Destination"]))?;
        writeln!(ctx.out, "{}", Table::rule(93))?;
    }
    for target in &targets {
        let row = table.row(&[
            field_str(target, "name"),
            field_str(target, "build_tag_name"),
            field_str(target, "dest_tag_name"),
        ]);
        writeln!(ctx.out, "{row}")?;
    }
    Ok(())
}
