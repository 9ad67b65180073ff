//! Package list commands: `add-pkg`, `block-pkg`, `list-pkgs`.

use std::collections::HashSet;
use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::Value;

use crate::commands::args::{
    EventArgs, announce_event, entry, is_parameter_error, multicall_strict, parse_arches,
};
use crate::commands::tags::get_tag;
use crate::commands::{field_i64, field_str, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::{Column, Table};

/// Package list commands.
#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Add a package to the listing for tag
    AddPkg(AddPkgArgs),
    /// Block a package in the listing for tag
    BlockPkg {
        /// Override blocks and owner if necessary
        #[arg(long)]
        force: bool,
        /// The tag
        tag: String,
        /// The packages
        #[arg(required = true)]
        packages: Vec<String>,
    },
    /// Print the package listing for tag or for owner
    ListPkgs(ListPkgsArgs),
}

/// Arguments of `add-pkg`.
#[derive(Debug, clap::Args)]
pub struct AddPkgArgs {
    /// Override blocks if necessary
    #[arg(long)]
    pub force: bool,
    /// Specify owner
    #[arg(long)]
    pub owner: Option<String>,
    /// Specify extra arches
    #[arg(long)]
    pub extra_arches: Option<String>,
    /// The tag
    pub tag: String,
    /// The packages
    #[arg(required = true)]
    pub packages: Vec<String>,
}

/// Arguments of `list-pkgs`.
#[derive(Debug, clap::Args)]
pub struct ListPkgsArgs {
    /// Specify owner
    #[arg(long)]
    pub owner: Option<String>,
    /// Specify tag
    #[arg(long)]
    pub tag: Option<String>,
    /// Specify package
    #[arg(long)]
    pub package: Option<String>,
    /// Do not print header information
    #[arg(long)]
    pub quiet: bool,
    /// Don't follow inheritance
    #[arg(long)]
    pub noinherit: bool,
    /// Show blocked packages
    #[arg(long)]
    pub show_blocked: bool,
    /// Show superseded owners
    #[arg(long)]
    pub show_dups: bool,
    /// When to look.
    #[command(flatten)]
    pub event: EventArgs,
    /// Print the packages as JSON
    #[arg(long)]
    pub json: bool,
}

impl PackageCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            PackageCommand::AddPkg(args) => add_pkg(ctx, &args),
            PackageCommand::BlockPkg { force, tag, packages } => block_pkg(ctx, force, &tag, &packages),
            PackageCommand::ListPkgs(args) => list_pkgs(ctx, &args),
        }
    }
}

/// The names of the packages listed in a tag (`listPackages(tagID=…, with_owners=False)`).
fn listed_packages(ctx: &Ctx, tag_id: i64, inherited: bool) -> Result<HashSet<String>> {
    let mut keywords = vec![("tagID", Value::Int(tag_id))];
    if inherited {
        keywords.push(("inherited", Value::Bool(true)));
    }
    let mut with_owners = keywords.clone();
    with_owners.push(("with_owners", Value::Bool(false)));
    let packages = match ctx.call_kw("listPackages", vec![], with_owners) {
        Err(e) if is_parameter_error(&e) => ctx.call_kw("listPackages", vec![], keywords)?,
        other => other?,
    };
    Ok(packages
        .as_array()
        .unwrap_or_default()
        .iter()
        .map(|p| field_str(p, "package_name").to_owned())
        .collect())
}

fn add_pkg(ctx: &mut Ctx, args: &AddPkgArgs) -> Result<()> {
    let Some(owner) = &args.owner else {
        return Err(Error::Usage("Please specify an owner for the package(s)".into()));
    };
    ctx.connect_anonymous()?;
    if ctx.call("getUser", vec![Value::from(owner.as_str())])?.is_nil() {
        return Err(Error::Failed(format!("No such user: {owner}")));
    }
    ctx.connect_login()?;
    let tag = get_tag(ctx, &args.tag)?.ok_or_else(|| Error::Failed(format!("No such tag: {}", args.tag)))?;
    let listed = listed_packages(ctx, field_i64(&tag, "id").unwrap_or_default(), false)?;
    let mut to_add = Vec::new();
    for package in &args.packages {
        if listed.contains(package) {
            writeln!(ctx.out, "Package {package} already exists in tag {}", args.tag)?;
            continue;
        }
        to_add.push(package);
    }
    let mut keywords = vec![
        ("force", if args.force { Value::Bool(true) } else { Value::Nil }),
        ("block", Value::Bool(false)),
    ];
    if let Some(arches) = &args.extra_arches {
        keywords.push(("extra_arches", Value::from(parse_arches(arches)?.join(" "))));
    }
    writeln!(
        ctx.out,
        "Adding {} packages to tag {}",
        to_add.len(),
        field_str(&tag, "name")
    )?;
    ctx.out.flush()?;
    let calls = to_add
        .iter()
        .map(|package| {
            entry(
                "packageListAdd",
                vec![
                    Value::from(args.tag.as_str()),
                    Value::from(package.as_str()),
                    Value::from(owner.as_str()),
                ],
                keywords.clone(),
            )
        })
        .collect();
    multicall_strict(ctx, calls)?;
    Ok(())
}

fn block_pkg(ctx: &mut Ctx, force: bool, tag_name: &str, packages: &[String]) -> Result<()> {
    ctx.connect_login()?;
    let tag = get_tag(ctx, tag_name)?.ok_or_else(|| Error::Failed(format!("No such tag: {tag_name}")))?;
    let listed = listed_packages(ctx, field_i64(&tag, "id").unwrap_or_default(), true)?;
    let mut missing = false;
    for package in packages {
        if !listed.contains(package) {
            crate::warn(&format!("Package {package} doesn't exist in tag {tag_name}"));
            missing = true;
        }
    }
    if missing {
        return Err(Error::Exit(1));
    }
    let calls = packages
        .iter()
        .map(|package| {
            let keywords = if force {
                vec![("force", Value::Bool(true))]
            } else {
                vec![]
            };
            entry(
                "packageListBlock",
                vec![Value::from(tag_name), Value::from(package.as_str())],
                keywords,
            )
        })
        .collect();
    multicall_strict(ctx, calls)?;
    Ok(())
}

fn list_pkgs(ctx: &mut Ctx, args: &ListPkgsArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let mut keywords: Vec<(&str, Value)> = Vec::new();
    if let Some(owner) = &args.owner {
        let user = ctx.call("getUser", vec![Value::from(owner.as_str())])?;
        if user.is_nil() {
            return Err(Error::Usage(format!("No such user: {owner}")));
        }
        keywords.push(("userID", user.get("id").cloned().unwrap_or_default()));
    }
    if let Some(tag_name) = &args.tag {
        let tag = get_tag(ctx, tag_name)?.ok_or_else(|| Error::Usage(format!("No such tag: {tag_name}")))?;
        keywords.push(("tagID", tag.get("id").cloned().unwrap_or_default()));
    }
    if let Some(package) = &args.package {
        keywords.push(("pkgID", Value::from(package.as_str())));
    }
    let all_packages = keywords.is_empty();
    keywords.push(("inherited", Value::Bool(!args.noinherit)));
    let with_dups = if args.tag.is_some() { args.show_dups } else { true };
    keywords.push(("with_dups", Value::Bool(with_dups)));
    let event = announce_event(ctx, &args.event)?;
    if let Some(event) = &event {
        keywords.push(("event", Value::Int(event.id)));
    }
    if all_packages {
        if event.is_some() {
            return Err(Error::Usage(
                "--event and --ts makes sense only with --tag, --owner or --package".into(),
            ));
        }
        if args.show_blocked {
            return Err(Error::Usage(
                "--show-blocked makes sense only with --tag, --owner or --package".into(),
            ));
        }
    }
    let mut with_blocked = keywords.clone();
    if args.show_blocked {
        with_blocked.push(("with_blocked", Value::Bool(true)));
    }
    let data = match ctx.call_kw("listPackages", vec![], with_blocked) {
        Err(e) if args.show_blocked && is_parameter_error(&e) => {
            ctx.call_kw("listPackages", vec![], keywords)?
        }
        other => other?,
    };
    let packages = data.as_array().unwrap_or_default();
    if packages.is_empty() {
        return Err(Error::Failed("(no matching packages)".into()));
    }
    if args.json {
        return print_json(ctx, &data);
    }
    let quiet = args.quiet || ctx.options.quiet;
    let table = Table::new(&[
        Column::left(23),
        Column::left(23),
        Column::left(16),
        Column::left(15),
    ]);
    if !quiet {
        if all_packages {
            writeln!(ctx.out, "Package")?;
            writeln!(ctx.out, "{}", Table::rule(23))?;
        } else {
            writeln!(
                ctx.out,
                "{}",
                table.row(&["Package", "Tag", "Extra Arches", "Owner"])
            )?;
            writeln!(ctx.out, "{}", table.column_rule())?;
        }
    }
    for package in packages {
        if all_packages {
            writeln!(ctx.out, "{}", field_str(package, "package_name"))?;
            continue;
        }
        let blocked = package.get("blocked").is_some_and(Value::truthy);
        if !args.show_blocked && blocked {
            continue;
        }
        if package.get("tag_id").is_none() {
            writeln!(ctx.out, "{}", field_str(package, "package_name"))?;
            continue;
        }
        let mut line = table.row(&[
            field_str(package, "package_name"),
            field_str(package, "tag_name"),
            field_str(package, "extra_arches"),
            field_str(package, "owner_name"),
        ]);
        if blocked {
            line.push_str(" [BLOCKED]");
        }
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}
