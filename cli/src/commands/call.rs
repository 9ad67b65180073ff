//! `call`: any XML-RPC method with arguments read as `koji call` reads them, the result
//! pretty-printed like Python's pprint (or as JSON).

use std::io::Write;

use common::xmlrpc::{Struct, Value};

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::{json, pprint};
use crate::pyliteral::{self, LiteralError};

/// Arguments of `call`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "<arg> values of the form NAME=VALUE are treated as keyword arguments.\nUse the global option --noauth for anonymous calls."
)]
pub struct CallArgs {
    /// Use python syntax for RPC parameter values
    #[arg(short = 'p', long)]
    pub python: bool,
    /// Specify keyword arguments as a dictionary (implies --python or --json-input)
    #[arg(long, value_name = "KWARGS")]
    pub kwargs: Option<String>,
    /// Use JSON syntax for input and output
    #[arg(short = 'j', long)]
    pub json: bool,
    /// Use JSON syntax for input
    #[arg(long)]
    pub json_input: bool,
    /// Use JSON syntax for output
    #[arg(long)]
    pub json_output: bool,
    /// Treat invalid json/python as bare strings
    #[arg(short = 'b', long)]
    pub bare_strings: bool,
    /// The name of the XML-RPC method
    pub name: String,
    /// Arguments; NAME=VALUE for keyword arguments
    #[arg(allow_negative_numbers = true)]
    pub args: Vec<String>,
}

/// How argument values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Koji,
    Python,
    Json,
}

fn parse_value(text: &str, syntax: Syntax, bare_strings: bool) -> Result<Value> {
    let parsed = match syntax {
        Syntax::Koji => pyliteral::arg_filter(text),
        Syntax::Python => pyliteral::literal_eval(text),
        Syntax::Json => pyliteral::from_json(text),
    };
    match parsed {
        Ok(value) => Ok(value),
        Err(_) if bare_strings => Ok(Value::from(text)),
        Err(LiteralError(reason)) if reason.starts_with("OverflowError") => Err(Error::Failed(reason)),
        Err(LiteralError(reason)) => Err(Error::Usage(format!(
            "Invalid value: {} ({reason})",
            pprint::str_repr(text)
        ))),
    }
}

/// Koji's keyword pattern `^([^\W0-9]\w*)=(.*)$`: an identifier, `=`, anything.
fn split_keyword(arg: &str) -> Option<(&str, &str)> {
    let (name, value) = arg.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    if !is_word(first) || first.is_numeric() || !chars.all(is_word) {
        return None;
    }
    Some((name, value))
}

/// The positional and keyword arguments `koji call` would send.
fn build_params(args: &CallArgs) -> Result<(Vec<Value>, Struct)> {
    let json_input = args.json_input || args.json;
    if args.python && json_input {
        return Err(Error::Usage(
            "The --python option conflicts with using --json-input".into(),
        ));
    }
    let syntax = if json_input {
        Syntax::Json
    } else if args.python || args.kwargs.is_some() {
        Syntax::Python
    } else {
        Syntax::Koji
    };
    let mut keywords = Struct::new();
    if let Some(kwargs) = &args.kwargs {
        match parse_value(kwargs, syntax, false)? {
            Value::Struct(members) => keywords = members,
            other => {
                return Err(Error::Usage(format!(
                    "--kwargs must be a dictionary, not {}",
                    other.type_name()
                )));
            }
        }
    }
    let mut positional = Vec::new();
    for arg in &args.args {
        match split_keyword(arg) {
            Some((name, value)) => {
                keywords.insert(name.to_owned(), parse_value(value, syntax, args.bare_strings)?);
            }
            None => positional.push(parse_value(arg, syntax, args.bare_strings)?),
        }
    }
    Ok((positional, keywords))
}

/// Runs `call`.
pub fn run(ctx: &mut Ctx, args: &CallArgs) -> Result<()> {
    let (positional, keywords) = build_params(args)?;
    ctx.connect_login()?;
    let result = ctx.call_params(&args.name, positional, keywords)?;
    if args.json_output || args.json {
        writeln!(ctx.out, "{}", json::to_json(&result))?;
    } else {
        writeln!(ctx.out, "{}", pprint::pformat(&result))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: CallArgs,
    }

    fn check(argv: &[&str], positional: Vec<Value>, keywords: &[(&str, Value)]) {
        let wrapper = Wrapper::try_parse_from(std::iter::once("call").chain(argv.iter().copied())).unwrap();
        let (p, k) = build_params(&wrapper.args).unwrap();
        assert_eq!(p, positional, "{argv:?}");
        let expected: Struct = keywords
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        assert_eq!(k, expected, "{argv:?}");
    }

    #[test]
    fn koji_syntax() {
        check(
            &["getUser", "admin", "groups=True", "-1", "x==1", "1a=2"],
            vec![Value::from("admin"), Value::Int(-1), Value::from("1a=2")],
            &[("groups", Value::Bool(true)), ("x", Value::from("=1"))],
        );
    }

    #[test]
    fn python_and_json_syntax() {
        check(
            &["--python", "m", "[1, 'a']", "opts={'x': None}"],
            vec![Value::Array(vec![Value::Int(1), Value::from("a")])],
            &[("opts", Value::structure([("x", Value::Nil)]))],
        );
        check(
            &["--json-input", "m", "{\"a\": 1}"],
            vec![Value::structure([("a", Value::Int(1))])],
            &[],
        );
        check(
            &["--kwargs", "{'a': 1}", "m", "b=2"],
            vec![],
            &[("a", Value::Int(1)), ("b", Value::Int(2))],
        );
        check(
            &["-p", "-b", "m", "not python"],
            vec![Value::from("not python")],
            &[],
        );
    }

    #[test]
    fn errors() {
        let parse = |argv: &[&str]| {
            let wrapper =
                Wrapper::try_parse_from(std::iter::once("call").chain(argv.iter().copied())).unwrap();
            build_params(&wrapper.args).unwrap_err().to_string()
        };
        assert!(parse(&["-p", "m", "bare"]).starts_with("Invalid value: 'bare'"));
        assert_eq!(
            parse(&["-p", "--json-input", "m"]),
            "The --python option conflicts with using --json-input"
        );
        assert_eq!(
            parse(&["m", "123456789012345678901234"]),
            "OverflowError: int exceeds XML-RPC limits"
        );
    }
}
