//! `hello` (and its greetings), `version`, `list-api` and `call`.

use std::io::Write;

use clap::Subcommand;
use common::FaultCode;
use common::xmlrpc::Value;
use rand::seq::IndexedRandom;

use crate::commands::call::{self, CallArgs};
use crate::commands::{field_str, print_json};
use crate::context::{Ctx, LoggedIn};
use crate::error::{Error, Result};
use crate::output::table::py_str;

/// Koji's greetings (`koji_cli.lib.greetings`); `hello` picks one at random.
pub const GREETINGS: &[&str] = &[
    "hello",
    "hi",
    "yo",
    "what's up",
    "g'day",
    "back to work",
    "howdy",
    "bonjour",
    "hallo",
    "ciao",
    "hola",
    "olá",
    "dobrý den",
    "zdravstvuite",
    "góðan daginn",
    "hej",
    "tervehdys",
    "grüezi",
    "céad míle fáilte",
    "hylô",
    "bună ziua",
    "jó napot",
    "dobre dan",
    "你好",
    "こんにちは",
    "नमस्कार",
    "안녕하세요",
];

/// Misc commands.
#[derive(Debug, Subcommand)]
pub enum MiscCommand {
    /// Introduce yourself
    #[command(
        visible_alias = "moshimoshi",
        aliases = ["hi", "yo", "howdy", "bonjour", "hallo", "ciao", "hola", "hej", "tervehdys"]
    )]
    Hello,
    /// Report client and hub versions
    Version,
    /// Print the list of XML-RPC APIs
    ListApi(ListApiArgs),
    /// Execute an arbitrary XML-RPC call
    Call(CallArgs),
}

/// Arguments of `list-api`.
#[derive(Debug, clap::Args)]
pub struct ListApiArgs {
    /// Show the help of these methods only
    pub methods: Vec<String>,
    /// Print the method list as JSON
    #[arg(long)]
    pub json: bool,
}

impl MiscCommand {
    /// Runs the command.
    pub fn run(self, ctx: &mut Ctx) -> Result<()> {
        match self {
            MiscCommand::Hello => hello(ctx),
            MiscCommand::Version => version(ctx),
            MiscCommand::ListApi(args) => list_api(ctx, &args),
            MiscCommand::Call(args) => call::run(ctx, &args),
        }
    }
}

/// The hub's version string (Koji reads the `Koji-Version` header; we ask).
fn hub_version(ctx: &Ctx) -> Result<String> {
    match ctx.call("getKojiVersion", vec![]) {
        Ok(v) => Ok(py_str(&v)),
        Err(e) if e.is_fault(FaultCode::Generic) => Ok("1.22.0".into()),
        Err(e) => Err(e),
    }
}

fn hello(ctx: &mut Ctx) -> Result<()> {
    ctx.connect_login()?;
    let user = ctx.call("getLoggedInUser", vec![])?;
    let name = if user.is_nil() {
        writeln!(ctx.out, "Not authenticated")?;
        "anonymous user".to_owned()
    } else {
        py_str(user.get("name").unwrap_or(&Value::Nil))
    };
    let greeting = GREETINGS.choose(&mut rand::rng()).copied().unwrap_or("hello");
    writeln!(ctx.out, "{greeting}, {name}!")?;
    writeln!(ctx.out)?;
    let version = hub_version(ctx)?;
    let server = ctx.session()?.server().to_owned();
    writeln!(ctx.out, "You are using the hub at {server} (Koji {version})")?;
    let authtype = user
        .get("authtype")
        .and_then(Value::as_i64)
        .or(match ctx.logged_in() {
            Some(LoggedIn::Password) => Some(0),
            Some(LoggedIn::Certificate(_)) => Some(2),
            None => None,
        });
    match authtype {
        Some(0) => writeln!(ctx.out, "Authenticated via password")?,
        Some(3) => writeln!(ctx.out, "Authenticated via GSSAPI")?,
        Some(1) => writeln!(
            ctx.out,
            "Authenticated via Kerberos principal {}",
            field_str(&user, "krb_principal")
        )?,
        Some(2) => {
            let cert = match ctx.logged_in() {
                Some(LoggedIn::Certificate(path)) => path.display().to_string(),
                _ => ctx
                    .config()
                    .cert
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            };
            writeln!(ctx.out, "Authenticated via client certificate {cert}")?;
        }
        _ => {}
    }
    Ok(())
}

fn version(ctx: &mut Ctx) -> Result<()> {
    writeln!(ctx.out, "Client: kiln {}", env!("CARGO_PKG_VERSION"))?;
    ctx.out.flush()?;
    ctx.connect_anonymous()?;
    match ctx.call("getKojiVersion", vec![]) {
        Ok(v) => writeln!(ctx.out, "Hub:    {}", py_str(&v))?,
        Err(e) if e.is_fault(FaultCode::Generic) => {
            writeln!(ctx.out, "Hub:    Can't determine (older than 1.23)")?;
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// One `_listapi` entry as `name(args)`.
fn api_signature(entry: &Value) -> String {
    let name = field_str(entry, "name");
    let args = if let Some(desc) = entry.get("argdesc") {
        py_str(desc)
    } else if let Some(args) = entry
        .get("args")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        let expanded: Vec<String> = args
            .iter()
            .map(|arg| match arg {
                Value::Array(pair) => format!(
                    "{}={}",
                    pair.first().map(py_str).unwrap_or_default(),
                    pair.get(1).map(py_str).unwrap_or_default()
                ),
                other => py_str(other),
            })
            .collect();
        format!("({})", expanded.join(", "))
    } else {
        "()".to_owned()
    };
    format!("{name}{args}")
}

fn list_api(ctx: &mut Ctx, args: &ListApiArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    if !args.methods.is_empty() {
        for method in &args.methods {
            let help = ctx.call("system.methodHelp", vec![Value::from(method.as_str())])?;
            if !help.truthy() {
                return Err(Error::Usage(format!("Unknown method: {method}")));
            }
            writeln!(ctx.out, "{}", py_str(&help))?;
        }
        return Ok(());
    }
    let mut entries = match ctx.call("_listapi", vec![])? {
        Value::Array(entries) => entries,
        _ => Vec::new(),
    };
    entries.sort_by(|a, b| field_str(a, "name").cmp(field_str(b, "name")));
    if args.json {
        return print_json(ctx, &Value::Array(entries));
    }
    for entry in &entries {
        writeln!(ctx.out, "{}", api_signature(entry))?;
        if let Some(doc) = entry.get("doc").filter(|d| d.truthy()) {
            writeln!(ctx.out, "  description: {}", py_str(doc))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(entry: Value, expected: &str) {
        assert_eq!(api_signature(&entry), expected);
    }

    #[test]
    fn api_signatures() {
        check(
            Value::structure([
                ("name", Value::from("getUser")),
                ("argdesc", Value::from("(userInfo=None)")),
            ]),
            "getUser(userInfo=None)",
        );
        check(
            Value::structure([
                ("name", Value::from("f")),
                (
                    "args",
                    Value::Array(vec![
                        Value::from("a"),
                        Value::Array(vec![Value::from("b"), Value::Nil]),
                    ]),
                ),
            ]),
            "f(a, b=None)",
        );
        check(
            Value::structure([("name", Value::from("g")), ("args", Value::Array(vec![]))]),
            "g()",
        );
    }
}
