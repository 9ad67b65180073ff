//! Binds XML-RPC parameters to a Python-style signature, as Koji's hub and builder do.
//!
//! Koji sends keyword arguments as a trailing struct flagged `__starstar`; the receiver binds
//! positional and keyword arguments by parameter name, and reports mistakes with the texts of
//! Python's `TypeError` (clients look for `got an unexpected keyword argument`).

use std::collections::VecDeque;

use serde::de::DeserializeOwned;

use super::de::from_value;
use super::value::{Struct, Value};

/// The marker member of a keyword-arguments struct.
pub const STARSTAR: &str = "__starstar";

/// A binding failure, with a Python-like message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

/// Call parameters split into positional values and keywords.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    /// Positional arguments.
    pub positional: Vec<Value>,
    /// Keyword arguments (the trailing `__starstar` struct, marker removed).
    pub keywords: Struct,
}

/// A method signature: parameter names in order, how many are required, and whether extra
/// positional (`*args`) or keyword (`**kwargs`) arguments are accepted.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// The function name used in messages (Koji's Python name, e.g. `get_tag`).
    pub name: &'static str,
    /// Parameter names, in positional order.
    pub params: &'static [&'static str],
    /// How many leading parameters have no default.
    pub required: usize,
    /// Accepts `*args`.
    pub varargs: bool,
    /// Accepts `**kwargs`.
    pub varkw: bool,
}

impl Params {
    /// Splits wire parameters: a trailing struct whose `__starstar` member is true holds the
    /// keywords.
    pub fn from_wire(mut params: Vec<Value>) -> Params {
        let is_kwargs =
            matches!(params.last(), Some(Value::Struct(s)) if s.get(STARSTAR).is_some_and(Value::truthy));
        let keywords = if is_kwargs {
            match params.pop() {
                Some(Value::Struct(mut s)) => {
                    s.remove(STARSTAR);
                    s
                }
                _ => Struct::new(),
            }
        } else {
            Struct::new()
        };
        Params {
            positional: params,
            keywords,
        }
    }

    /// Joins positional values and keywords back into wire form.
    pub fn into_wire(self) -> Vec<Value> {
        let mut params = self.positional;
        if !self.keywords.is_empty() {
            let mut keywords = self.keywords;
            keywords.insert(STARSTAR.to_owned(), Value::Bool(true));
            params.push(Value::Struct(keywords));
        }
        params
    }

    /// Binds the parameters to `sig`, Python's way.
    pub fn bind(self, sig: &Signature) -> Result<Bound, ArgError> {
        let Params {
            mut positional,
            mut keywords,
        } = self;
        let n_params = sig.params.len();
        let mut rest = Vec::new();
        if positional.len() > n_params {
            if sig.varargs {
                rest = positional.split_off(n_params);
            } else {
                return Err(ArgError(too_many_positional(sig, positional.len())));
            }
        }
        let mut slots: Vec<Option<Value>> = positional.into_iter().map(Some).collect();
        slots.resize(n_params, None);
        for (name, slot) in sig.params.iter().zip(slots.iter_mut()) {
            if let Some(value) = keywords.remove(*name) {
                if slot.is_some() {
                    return Err(ArgError(format!(
                        "{}() got multiple values for argument '{name}'",
                        sig.name
                    )));
                }
                *slot = Some(value);
            }
        }
        if let Some(name) = keywords.keys().next().filter(|_| !sig.varkw) {
            return Err(ArgError(format!(
                "{}() got an unexpected keyword argument '{name}'",
                sig.name
            )));
        }
        let missing: Vec<&str> = sig
            .params
            .iter()
            .zip(slots.iter())
            .take(sig.required)
            .filter(|(_, slot)| slot.is_none())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(ArgError(missing_message(sig.name, &missing)));
        }
        Ok(Bound {
            function: sig.name,
            slots: sig.params.iter().copied().zip(slots).collect(),
            rest,
            keywords,
        })
    }
}

fn too_many_positional(sig: &Signature, given: usize) -> String {
    let n = sig.params.len();
    let takes = if sig.required == n {
        format!("{n} positional argument{}", if n == 1 { "" } else { "s" })
    } else {
        format!("from {} to {n} positional arguments", sig.required)
    };
    let was = if given == 1 { "was" } else { "were" };
    format!("{}() takes {takes} but {given} {was} given", sig.name)
}

fn missing_message(function: &str, missing: &[&str]) -> String {
    let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
    let list = match quoted.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
        [] => String::new(),
    };
    let plural = if missing.len() == 1 {
        "argument"
    } else {
        "arguments"
    };
    format!(
        "{function}() missing {} required positional {plural}: {list}",
        missing.len()
    )
}

/// Parameters bound to a signature, taken out in order with [`Bound::arg`].
#[derive(Debug)]
pub struct Bound {
    function: &'static str,
    slots: VecDeque<(&'static str, Option<Value>)>,
    /// Extra positional arguments (`*args`).
    pub rest: Vec<Value>,
    /// Extra keyword arguments (`**kwargs`); empty unless the signature accepts them.
    pub keywords: Struct,
}

impl Bound {
    /// Takes the next parameter and converts it. An absent optional parameter reads as nil, so
    /// optional parameters are `Option<T>` (or `bool`, where nil means false).
    pub fn arg<T: DeserializeOwned>(&mut self) -> Result<T, ArgError> {
        let (name, value) = self.slots.pop_front().ok_or_else(|| {
            ArgError(format!(
                "{}(): internal error: too few parameters declared",
                self.function
            ))
        })?;
        let value = value.unwrap_or(Value::Nil);
        let type_name = value.type_name();
        from_value(value).map_err(|e| {
            ArgError(format!(
                "{}(): invalid value for argument '{name}' ({type_name}): {e}",
                self.function
            ))
        })
    }

    /// Takes the next parameter as a raw value (nil when absent).
    pub fn next_raw(&mut self) -> Value {
        self.slots.pop_front().and_then(|(_, v)| v).unwrap_or(Value::Nil)
    }

    /// True if the next parameter was given (even as nil).
    pub fn next_given(&self) -> bool {
        self.slots.front().is_some_and(|(_, v)| v.is_some())
    }
}

/// Declares a [`Signature`] constant: `signature!("get_tag", ["tagInfo"], ["strict", "event"])`,
/// optionally followed by `*args` and/or `**kwargs`.
#[macro_export]
macro_rules! signature {
    ($name:literal, [$($req:literal),* $(,)?], [$($opt:literal),* $(,)?] $(, *$va:ident)? $(, **$vk:ident)?) => {
        $crate::xmlrpc::Signature {
            name: $name,
            params: &[$($req,)* $($opt,)*],
            required: { let names: &[&str] = &[$($req),*]; names.len() },
            varargs: $crate::signature!(@flag $($va)?),
            varkw: $crate::signature!(@flag $($vk)?),
        }
    };
    (@flag) => { false };
    (@flag $x:ident) => { true };
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET_TAG: Signature = signature!("get_tag", ["tagInfo"], ["strict", "event", "blocked"]);
    const QUERY_HISTORY: Signature = signature!("queryHistory", [], ["tables"], **kwargs);
    const ECHO: Signature = signature!("echo", [], [], *args);

    fn bind(sig: &Signature, params: Vec<Value>) -> Result<Bound, String> {
        Params::from_wire(params).bind(sig).map_err(|e| e.0)
    }

    fn kwargs(pairs: &[(&str, Value)]) -> Value {
        let mut s: Struct = pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        s.insert(STARSTAR.into(), Value::Bool(true));
        Value::Struct(s)
    }

    #[test]
    fn binds_positional_and_keywords() {
        let mut b = bind(
            &GET_TAG,
            vec![Value::from("f40"), kwargs(&[("event", Value::Int(5))])],
        )
        .unwrap();
        assert_eq!(b.arg::<String>().unwrap(), "f40");
        assert!(!b.arg::<bool>().unwrap());
        assert_eq!(b.arg::<Option<i64>>().unwrap(), Some(5));
        assert_eq!(b.arg::<Option<bool>>().unwrap(), None);
    }

    #[test]
    fn python_messages() {
        assert_eq!(
            bind(
                &GET_TAG,
                vec![Value::from("x"), kwargs(&[("bogus", Value::Int(1))])]
            )
            .unwrap_err(),
            "get_tag() got an unexpected keyword argument 'bogus'"
        );
        assert_eq!(
            bind(&GET_TAG, vec![]).unwrap_err(),
            "get_tag() missing 1 required positional argument: 'tagInfo'"
        );
        assert_eq!(
            bind(
                &GET_TAG,
                vec![Value::from("x"), kwargs(&[("tagInfo", Value::Int(1))])]
            )
            .unwrap_err(),
            "get_tag() got multiple values for argument 'tagInfo'"
        );
        assert_eq!(
            bind(&GET_TAG, vec![Value::Int(1); 5]).unwrap_err(),
            "get_tag() takes from 1 to 4 positional arguments but 5 were given"
        );
        const TWO: Signature = signature!("f", ["a", "b", "c"], []);
        assert_eq!(
            bind(&TWO, vec![]).unwrap_err(),
            "f() missing 3 required positional arguments: 'a', 'b', and 'c'"
        );
    }

    #[test]
    fn varargs_and_varkw() {
        let b = bind(&ECHO, vec![Value::from("OK"), Value::Int(2)]).unwrap();
        assert_eq!(b.rest, vec![Value::from("OK"), Value::Int(2)]);
        let b = bind(
            &QUERY_HISTORY,
            vec![kwargs(&[("tag", Value::from("f40")), ("pkg", Value::from("x"))])],
        )
        .unwrap();
        assert_eq!(b.keywords.len(), 2);
    }

    #[test]
    fn type_errors_name_the_argument() {
        let mut b = bind(&GET_TAG, vec![Value::from("x"), Value::from("maybe")]).unwrap();
        b.arg::<String>().unwrap();
        let err = b.arg::<bool>().unwrap_err().0;
        assert!(
            err.starts_with("get_tag(): invalid value for argument 'strict' (string)"),
            "{err}"
        );
    }

    #[test]
    fn round_trip_wire_form() {
        let params = Params::from_wire(vec![Value::Int(1), kwargs(&[("a", Value::Nil)])]);
        assert_eq!(params.keywords.len(), 1);
        let wire = params.clone().into_wire();
        assert_eq!(Params::from_wire(wire), params);
    }
}
