//! Permission commands: `grant-permission`, `revoke-permission`, `list-permissions`.

use std::io::Write;

use clap::Subcommand;
use common::xmlrpc::Value;

use crate::commands::{field_str, print_json};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::table::{left, py_str};

/// Permission commands.
#[derive(Debug, Subcommand)]
pub enum PermCommand {
    /// Grant a permission to a user
    GrantPermission(GrantArgs),
    /// Revoke a permission from a user
    RevokePermission {
        /// The permission
        permission: String,
        /// The users
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// List user permissions
    ListPermissions(ListPermissionsArgs),
}

/// Arguments of `grant-permission`.
#[derive(Debug, clap::Args)]
pub struct GrantArgs {
    /// Create this permission if the permission does not exist
    #[arg(long)]
    pub new: bool,
    /// Add description about new permission
    #[arg(long)]
    pub description: Option<String>,
    /// The permission
    pub permission: String,
    /// The users
    #[arg(required = true)]
    pub users: Vec<String>,
}

/// Arguments of `list-permissions`.
#[derive(Debug, clap::Args)]
pub struct ListPermissionsArgs {
    /// List permissions for the given user
    #[arg(long)]
    pub user: Option<String>,
    /// List your permissions
    #[arg(long)]
    pub mine: bool,
    /// Do not print the header information
    #[arg(long)]
    pub quiet: bool,
    /// Print the permissions as JSON
    #[arg(long)]
    pub json: bool,
}

impl PermCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            PermCommand::GrantPermission(args) => grant(ctx, &args),
            PermCommand::RevokePermission { permission, users } => revoke(ctx, &permission, &users),
            PermCommand::ListPermissions(args) => list(ctx, &args),
        }
    }
}

/// Looks up each user (`getUser`); an unknown one is a usage error, as in Koji.
fn lookup_users(ctx: &Ctx, names: &[String]) -> Result<Vec<String>> {
    let mut users = Vec::new();
    for name in names {
        let user = ctx.call("getUser", vec![Value::from(name.as_str())])?;
        if user.is_nil() {
            return Err(Error::Usage(format!("No such user: {name}")));
        }
        users.push(field_str(&user, "name").to_owned());
    }
    Ok(users)
}

fn grant(ctx: &mut Ctx, args: &GrantArgs) -> Result<()> {
    ctx.connect_login()?;
    let users = lookup_users(ctx, &args.users)?;
    let mut keywords = Vec::new();
    if args.new {
        keywords.push(("create", Value::Bool(true)));
        if let Some(description) = &args.description {
            keywords.push(("description", Value::from(description.as_str())));
        }
    }
    if args.description.is_some() && !args.new {
        return Err(Error::Usage(
            "Option new must be specified with option description.".into(),
        ));
    }
    for user in users {
        ctx.call_kw(
            "grantPermission",
            vec![Value::from(user), Value::from(args.permission.as_str())],
            keywords.clone(),
        )?;
    }
    Ok(())
}

fn revoke(ctx: &mut Ctx, permission: &str, names: &[String]) -> Result<()> {
    ctx.connect_login()?;
    for user in lookup_users(ctx, names)? {
        ctx.call(
            "revokePermission",
            vec![Value::from(user), Value::from(permission)],
        )?;
    }
    Ok(())
}

/// One line of the listing: a name and maybe a description.
#[derive(Debug, Clone, PartialEq)]
struct Perm {
    name: String,
    description: Option<String>,
}

impl Perm {
    fn to_value(&self) -> Value {
        let mut members = vec![("name", Value::from(self.name.as_str()))];
        if let Some(d) = &self.description {
            members.push(("description", Value::from(d.as_str())));
        }
        Value::structure(members)
    }
}

fn user_perms(ctx: &Ctx, user: &Value) -> Result<Vec<Perm>> {
    let user_id = user.get("id").cloned().unwrap_or(Value::Nil);
    match ctx.call("getUserPermsInheritance", vec![user_id.clone()]) {
        Ok(Value::Struct(members)) => Ok(members
            .into_iter()
            .map(|(name, groups)| {
                let groups: Vec<&Value> = groups.as_array().unwrap_or_default().iter().collect();
                let direct = groups.len() == 1 && groups.first().is_some_and(|g| g.is_nil());
                let description = (!direct).then(|| {
                    let names: Vec<String> = groups.iter().map(|g| py_str(g)).collect();
                    format!("inherited from: {}", names.join(", "))
                });
                Perm { name, description }
            })
            .collect()),
        Ok(_) => Ok(Vec::new()),
        Err(Error::Client(e))
            if e.fault().is_some_and(|f| {
                f.is(common::FaultCode::Generic) && f.message.contains("Invalid method")
            }) =>
        {
            crate::warn("Old hub doesn't support Inherited Group Permissions.");
            let names = ctx.call("getUserPerms", vec![user_id])?;
            Ok(names
                .as_array()
                .unwrap_or_default()
                .iter()
                .map(|n| Perm {
                    name: py_str(n),
                    description: None,
                })
                .collect())
        }
        Err(e) => Err(e),
    }
}

/// Koji's layout: names padded to the longest (at least 18), an optional description column.
fn render(perms: &[Perm], quiet: bool) -> Vec<String> {
    let longest = perms
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(8)
        .max("Permission name   ".len());
    let mut lines = Vec::new();
    if !quiet {
        let mut header = left("Permission name", longest);
        if perms
            .first()
            .is_some_and(|p| p.description.as_deref().is_some_and(|d| !d.is_empty()))
        {
            header.push_str(&left("   Description", 53));
        }
        lines.push(header.clone());
        lines.push("-".repeat(header.chars().count()));
    }
    for perm in perms {
        let mut line = left(&perm.name, longest);
        if let Some(d) = perm.description.as_deref().filter(|d| !d.is_empty()) {
            line.push_str("   ");
            line.push_str(d);
        }
        lines.push(line);
    }
    lines
}

fn list(ctx: &mut Ctx, args: &ListPermissionsArgs) -> Result<()> {
    ctx.connect_login()?;
    let mut user_name = args.user.clone().map(Value::from);
    if args.mine {
        let me = ctx.call("getLoggedInUser", vec![])?;
        user_name = Some(me.get("id").cloned().unwrap_or(Value::Nil));
    }
    let mut perms = match &user_name {
        Some(name) => {
            let user = ctx.call("getUser", vec![name.clone()])?;
            if user.is_nil() {
                return Err(Error::Failed(format!("No such user: {}", py_str(name))));
            }
            user_perms(ctx, &user)?
        }
        None => ctx
            .call("getAllPerms", vec![])?
            .as_array()
            .unwrap_or_default()
            .iter()
            .map(|p| Perm {
                name: field_str(p, "name").to_owned(),
                description: p.get("description").and_then(Value::as_str).map(str::to_owned),
            })
            .collect(),
    };
    perms.sort_by(|a, b| a.name.cmp(&b.name));
    if args.json {
        let values: Vec<Value> = perms.iter().map(Perm::to_value).collect();
        return print_json(ctx, &Value::Array(values));
    }
    for line in render(&perms, args.quiet || ctx.options.quiet) {
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(name: &str, description: Option<&str>) -> Perm {
        Perm {
            name: name.into(),
            description: description.map(Into::into),
        }
    }

    fn check(perms: &[Perm], quiet: bool, expected: &[&str]) {
        assert_eq!(render(perms, quiet), expected);
    }

    #[test]
    fn names_only() {
        check(
            &[perm("admin", None), perm("tag", None)],
            false,
            &[
                "Permission name   ",
                "------------------",
                "admin             ",
                "tag               ",
            ],
        );
    }

    #[test]
    fn with_descriptions() {
        let header = format!("{:<18}{:<53}", "Permission name", "   Description");
        check(
            &[perm("admin", Some("Full administrator access.")), perm("x", None)],
            false,
            &[
                header.as_str(),
                "-".repeat(71).as_str(),
                "admin                Full administrator access.",
                "x                 ",
            ],
        );
    }

    #[test]
    fn quiet_and_empty() {
        check(&[], false, &["Permission name   ", "------------------"]);
        check(
            &[perm("a-very-long-permission-name", None)],
            true,
            &["a-very-long-permission-name"],
        );
    }
}
