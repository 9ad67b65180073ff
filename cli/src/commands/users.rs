//! User commands: `add-user`, `enable-user`, `disable-user`, `edit-user`, `list-users`,
//! `userinfo`.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use common::FaultCode;
use common::client::ClientError;
use common::xmlrpc::{Params, Struct, Value};

use crate::commands::{field_i64, field_str, print_json};
use crate::context::{Ctx, read_password_file};
use crate::error::{Error, Result};
use crate::output::table::py_str;
use crate::pyliteral::arg_filter;

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user
    AddUser(AddUserArgs),
    /// Enable logins by a user
    EnableUser {
        /// The user
        username: String,
    },
    /// Disable logins by a user
    DisableUser {
        /// The user
        username: String,
    },
    /// Alter user information
    EditUser(EditUserArgs),
    /// List of users
    ListUsers(ListUsersArgs),
    /// Show information about a user
    Userinfo {
        /// The users
        #[arg(required = true)]
        usernames: Vec<String>,
    },
}

/// Arguments of `add-user`.
#[derive(Debug, clap::Args)]
pub struct AddUserArgs {
    /// The new user's name
    pub username: String,
    /// The Kerberos principal for this user
    #[arg(long)]
    pub principal: Option<String>,
    /// Prohibit logins by this user
    #[arg(long)]
    pub disable: bool,
    /// Set the user's password from the first line of this file (kiln)
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// Arguments of `edit-user`.
#[derive(Debug, clap::Args)]
pub struct EditUserArgs {
    /// The user
    pub username: String,
    /// Rename the user
    #[arg(long)]
    pub rename: Option<String>,
    /// Change kerberos principal of the user
    #[arg(long, value_name = "OLD=NEW")]
    pub edit_krb: Vec<String>,
    /// Add kerberos principal of the user
    #[arg(long, value_name = "KRB")]
    pub add_krb: Vec<String>,
    /// Remove kerberos principal of the user
    #[arg(long, value_name = "KRB")]
    pub remove_krb: Vec<String>,
    /// Set the user's password from the first line of this file (kiln)
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// Arguments of `list-users`.
#[derive(Debug, clap::Args)]
pub struct ListUsersArgs {
    /// List users that have a given usertype (e.g. NORMAL, HOST, GROUP). Use "any" to get all types
    #[arg(long, default_value = "NORMAL")]
    pub usertype: String,
    /// List users that have a given prefix
    #[arg(long)]
    pub prefix: Option<String>,
    /// List users that have a given permission
    #[arg(long)]
    pub perm: Option<String>,
    /// Consider inherited permissions
    #[arg(long, requires = "perm")]
    pub inherited_perm: bool,
    /// Print the users as JSON
    #[arg(long)]
    pub json: bool,
}

impl UserCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            UserCommand::AddUser(args) => add_user(ctx, args),
            UserCommand::EnableUser { username } => {
                ctx.connect_login()?;
                ctx.call("enableUser", vec![Value::from(username)])?;
                Ok(())
            }
            UserCommand::DisableUser { username } => {
                ctx.connect_login()?;
                ctx.call("disableUser", vec![Value::from(username)])?;
                Ok(())
            }
            UserCommand::EditUser(args) => edit_user(ctx, args),
            UserCommand::ListUsers(args) => list_users(ctx, &args),
            UserCommand::Userinfo { usernames } => userinfo(ctx, &usernames),
        }
    }
}

fn add_user(ctx: &mut Ctx, args: AddUserArgs) -> Result<()> {
    let status = i64::from(args.disable);
    let mut keywords = vec![
        ("status", Value::Int(status)),
        ("krb_principal", Value::from(args.principal)),
    ];
    if let Some(file) = &args.password_file {
        keywords.push(("password", Value::from(read_password_file(file)?)));
    }
    ctx.connect_login()?;
    let user_id = ctx.call_kw("createUser", vec![Value::from(args.username.as_str())], keywords)?;
    writeln!(ctx.out, "Added user {} ({})", args.username, py_str(&user_id))?;
    Ok(())
}

fn edit_user(ctx: &mut Ctx, args: EditUserArgs) -> Result<()> {
    let filtered = |text: &str| arg_filter(text).map_err(|e| Error::Usage(e.0));
    let mut mappings = Vec::new();
    for pair in &args.edit_krb {
        let (old, new) = pair
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--edit-krb needs OLD=NEW, got {pair}")))?;
        mappings.push(Value::structure([
            ("old", filtered(old)?),
            ("new", filtered(new)?),
        ]));
    }
    for new in &args.add_krb {
        mappings.push(Value::structure([("old", Value::Nil), ("new", filtered(new)?)]));
    }
    for old in &args.remove_krb {
        mappings.push(Value::structure([("old", filtered(old)?), ("new", Value::Nil)]));
    }
    let mut keywords = Struct::new();
    if let Some(file) = &args.password_file {
        keywords.insert("password".into(), Value::from(read_password_file(file)?));
    }
    ctx.connect_login()?;
    ctx.call_params(
        "editUser",
        vec![
            Value::from(args.username),
            Value::from(args.rename),
            Value::Array(mappings),
        ],
        keywords,
    )?;
    Ok(())
}

/// Koji's `USERTYPES` names.
fn usertype_code(name: &str) -> Option<Option<i64>> {
    match name.to_uppercase().as_str() {
        "NORMAL" => Some(Some(0)),
        "HOST" => Some(Some(1)),
        "GROUP" => Some(Some(2)),
        "ANY" | "ALL" => Some(None),
        _ => None,
    }
}

fn usertype_name(code: Option<i64>) -> String {
    match code {
        Some(0) => "NORMAL".into(),
        Some(1) => "HOST".into(),
        Some(2) => "GROUP".into(),
        other => format!("{other:?}"),
    }
}

fn status_name(code: Option<i64>) -> String {
    match code {
        Some(0) => "NORMAL".into(),
        Some(1) => "BLOCKED".into(),
        other => format!("{other:?}"),
    }
}

fn list_users(ctx: &mut Ctx, args: &ListUsersArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let usertype = usertype_code(&args.usertype)
        .ok_or_else(|| Error::Failed(format!("Invalid usertype: {}", args.usertype)))?;
    let mut keywords = vec![("userType", Value::from(usertype))];
    if let Some(prefix) = &args.prefix {
        keywords.push(("prefix", Value::from(prefix.as_str())));
    }
    if let Some(perm) = &args.perm {
        let all = ctx.call("getAllPerms", vec![])?;
        let known = all
            .as_array()
            .unwrap_or_default()
            .iter()
            .any(|p| field_str(p, "name") == perm);
        if !known {
            return Err(Error::Failed(format!("Invalid permission: {perm}")));
        }
        keywords.push(("perm", Value::from(perm.as_str())));
        if args.inherited_perm {
            keywords.push(("inherited_perm", Value::Bool(true)));
        }
    }
    let users = ctx.call_kw("listUsers", vec![], keywords)?;
    if args.json {
        return print_json(ctx, &users);
    }
    for user in users.as_array().unwrap_or_default() {
        writeln!(ctx.out, "{}", field_str(user, "name"))?;
    }
    Ok(())
}

fn call_entry(method: &str, positional: Vec<Value>, keywords: &[(&str, Value)]) -> (String, Params) {
    (
        method.to_owned(),
        Params {
            positional,
            keywords: keywords
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        },
    )
}

/// A multicall result, raising its fault as Koji's `VirtualCall.result` does.
fn result_of(entry: Option<&std::result::Result<Value, common::Fault>>) -> Result<Value> {
    match entry {
        Some(Ok(value)) => Ok(value.clone()),
        Some(Err(fault)) => Err(Error::Client(ClientError::Fault(fault.clone()))),
        None => Ok(Value::Nil),
    }
}

fn count_of(entry: Option<&std::result::Result<Value, common::Fault>>) -> Result<String> {
    Ok(py_str(&result_of(entry)?))
}

fn userinfo(ctx: &mut Ctx, usernames: &[String]) -> Result<()> {
    ctx.connect_anonymous()?;
    let session = ctx.session()?;
    let lookups = |groups: bool| {
        usernames
            .iter()
            .map(|name| {
                let keywords: &[(&str, Value)] = if groups {
                    &[("groups", Value::Bool(true))]
                } else {
                    &[]
                };
                call_entry("getUser", vec![Value::from(name.as_str())], keywords)
            })
            .collect::<Vec<_>>()
    };
    let mut infos = session.multicall(lookups(true))?;
    if matches!(infos.first(), Some(Err(f)) if f.is(FaultCode::Parameter)) {
        infos = session.multicall(lookups(false))?;
    }
    let mut users = Vec::new();
    for (name, info) in usernames.iter().zip(&infos) {
        let info = result_of(Some(info))?;
        if info.is_nil() {
            crate::warn(&format!("No such user: {name}\n"));
            continue;
        }
        users.push(info);
    }
    let no_parent = Value::Struct(Struct::new());
    let mut calls = Vec::new();
    for user in &users {
        let id = user.get("id").cloned().unwrap_or(Value::Nil);
        let count = Value::structure([("countOnly", Value::Bool(true))]);
        calls.push(call_entry("getUserPerms", vec![id.clone()], &[]));
        calls.push(call_entry(
            "listPackages",
            vec![],
            &[
                ("userID", id.clone()),
                ("with_dups", Value::Bool(true)),
                ("queryOpts", count.clone()),
            ],
        ));
        let mut opts = no_parent.clone();
        if let Value::Struct(members) = &mut opts {
            members.insert("owner".into(), id.clone());
            members.insert("parent".into(), Value::Nil);
        }
        calls.push(call_entry(
            "listTasks",
            vec![],
            &[("opts", opts), ("queryOpts", count.clone())],
        ));
        calls.push(call_entry(
            "listBuilds",
            vec![],
            &[("userID", id), ("queryOpts", count)],
        ));
    }
    let results = if calls.is_empty() {
        Vec::new()
    } else {
        session.multicall(calls)?
    };
    for (index, user) in users.iter().enumerate() {
        let base = index * 4;
        writeln!(ctx.out, "User name: {}", field_str(user, "name"))?;
        writeln!(ctx.out, "User ID: {}", field_i64(user, "id").unwrap_or_default())?;
        if let Some(principals) = user.get("krb_principals") {
            writeln!(ctx.out, "krb principals:")?;
            for principal in principals.as_array().unwrap_or_default() {
                writeln!(ctx.out, "  {}", py_str(principal))?;
            }
        }
        let perms = result_of(results.get(base))?;
        if perms.truthy() {
            writeln!(ctx.out, "Permissions:")?;
            for perm in perms.as_array().unwrap_or_default() {
                writeln!(ctx.out, "  {}", py_str(perm))?;
            }
        }
        if let Some(groups) = user
            .get("groups")
            .and_then(Value::as_array)
            .filter(|g| !g.is_empty())
        {
            let mut names: Vec<String> = groups.iter().map(py_str).collect();
            names.sort();
            writeln!(ctx.out, "Groups:")?;
            for name in names {
                writeln!(ctx.out, "  {name}")?;
            }
        }
        writeln!(ctx.out, "Status: {}", status_name(field_i64(user, "status")))?;
        writeln!(
            ctx.out,
            "Usertype: {}",
            usertype_name(field_i64(user, "usertype"))
        )?;
        ctx.out.flush()?;
        writeln!(
            ctx.out,
            "Number of packages: {}",
            count_of(results.get(base + 1))?
        )?;
        writeln!(ctx.out, "Number of tasks: {}", count_of(results.get(base + 2))?)?;
        writeln!(ctx.out, "Number of builds: {}", count_of(results.get(base + 3))?)?;
        writeln!(ctx.out)?;
    }
    Ok(())
}
