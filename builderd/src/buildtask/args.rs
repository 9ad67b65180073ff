//! Reading a build handler's arguments (positional or by keyword, as Koji's handlers take
//! them) and its `opts` struct.

use common::FaultCode;
use common::xmlrpc::{Params, Struct, Value};

use crate::error::TaskError;
use crate::handler::check_keywords;

/// A handler's arguments with its parameter names.
#[derive(Debug)]
pub struct Args<'a> {
    params: &'a Params,
    names: &'a [&'a str],
    method: &'a str,
}

impl<'a> Args<'a> {
    /// Binds `params` to `names`; unknown keywords are refused as Python would.
    pub fn bind(params: &'a Params, names: &'a [&'a str], method: &'a str) -> Result<Args<'a>, TaskError> {
        check_keywords(&params.keywords, names, method)?;
        if params.positional.len() > names.len() {
            return Err(TaskError::new(
                FaultCode::Parameter,
                format!(
                    "{method}() takes at most {} arguments ({} given)",
                    names.len(),
                    params.positional.len()
                ),
            ));
        }
        Ok(Args {
            params,
            names,
            method,
        })
    }

    /// The argument `name`, if given and not `None`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let index = self.names.iter().position(|n| *n == name)?;
        self.params
            .positional
            .get(index)
            .or_else(|| self.params.keywords.get(name))
            .filter(|value| !value.is_nil())
    }

    /// A required argument.
    pub fn required(&self, name: &str) -> Result<&'a Value, TaskError> {
        self.get(name).ok_or_else(|| {
            TaskError::new(
                FaultCode::Parameter,
                format!(
                    "{}() missing 1 required positional argument: '{name}'",
                    self.method
                ),
            )
        })
    }

    /// A required string argument.
    pub fn string(&self, name: &str) -> Result<&'a str, TaskError> {
        let value = self.required(name)?;
        value.as_str().ok_or_else(|| self.wrong(name, "a string", value))
    }

    /// The `opts` struct (empty when absent).
    pub fn opts(&self, name: &str) -> Result<Struct, TaskError> {
        match self.get(name) {
            None => Ok(Struct::new()),
            Some(Value::Struct(opts)) => Ok(opts.clone()),
            Some(other) => Err(self.wrong(name, "a dict", other)),
        }
    }

    fn wrong(&self, name: &str, what: &str, value: &Value) -> TaskError {
        TaskError::new(
            FaultCode::Parameter,
            format!(
                "{}() argument {name} must be {what}, not {}",
                self.method,
                value.type_name()
            ),
        )
    }
}

/// A truthy option.
pub fn bool_opt(opts: &Struct, name: &str) -> bool {
    opts.get(name).is_some_and(Value::truthy)
}

/// An integer option.
pub fn int_opt(opts: &Struct, name: &str) -> Option<i64> {
    opts.get(name).and_then(Value::as_i64)
}

/// A string option.
pub fn string_opt<'a>(opts: &'a Struct, name: &str) -> Option<&'a str> {
    opts.get(name).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_bind_by_position_or_keyword() {
        let mut keywords = Struct::new();
        keywords.insert("opts".into(), Value::structure([("scratch", Value::Bool(true))]));
        let params = Params {
            positional: vec![Value::from("git+file:///x#1"), Value::from("f40-candidate")],
            keywords,
        };
        let args = Args::bind(&params, &["src", "target", "opts"], "build").unwrap();
        assert_eq!(args.string("src").unwrap(), "git+file:///x#1");
        assert_eq!(args.string("target").unwrap(), "f40-candidate");
        assert!(bool_opt(&args.opts("opts").unwrap(), "scratch"));
        let bad = Params {
            positional: vec![Value::Int(1)],
            keywords: Struct::new(),
        };
        let args = Args::bind(&bad, &["src", "target"], "build").unwrap();
        assert_eq!(
            args.string("src").unwrap_err().message,
            "build() argument src must be a string, not int"
        );
        assert_eq!(
            args.string("target").unwrap_err().message,
            "build() missing 1 required positional argument: 'target'"
        );
    }
}
