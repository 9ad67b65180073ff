//! JSON text as Koji stores it: written like Python's `json.dumps` (so history rows show the
//! same `value` text Koji would), read back into XML-RPC values like `json.loads`.

use std::fmt::Write as _;

use common::xmlrpc::{Struct, Value, python_float_repr};

/// A value that JSON cannot carry (Python raises `TypeError` for these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Object of type {type_name} is not JSON serializable")]
pub struct NotJson {
    /// The XML-RPC type that was refused.
    pub type_name: &'static str,
}

/// Writes `value` as Python's `json.dumps(value)` does with default options: `", "` and `": "`
/// separators, ASCII-only output, floats in `repr` form.
pub fn dumps(value: &Value) -> Result<String, NotJson> {
    let mut out = String::new();
    write(&mut out, value)?;
    Ok(out)
}

fn write(out: &mut String, value: &Value) -> Result<(), NotJson> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Double(d) => {
            if d.is_nan() {
                out.push_str("NaN");
            } else if d.is_infinite() {
                out.push_str(if *d > 0.0 { "Infinity" } else { "-Infinity" });
            } else {
                out.push_str(&python_float_repr(*d));
            }
        }
        Value::String(s) => write_str(out, s),
        Value::DateTime(_) => {
            return Err(NotJson {
                type_name: "DateTime",
            });
        }
        Value::Base64(_) => return Err(NotJson { type_name: "bytes" }),
        Value::Encoded(_) => write(out, &value.decoded())?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, item)?;
            }
            out.push(']');
        }
        Value::Struct(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, key);
                out.push_str(": ");
                write(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0_u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Text that is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON: {0}")]
pub struct BadJson(pub String);

/// Reads JSON text into an XML-RPC value, as Python's `json.loads` would (integers stay
/// integers, `NaN` and `Infinity` are accepted).
pub fn loads(text: &str) -> Result<Value, BadJson> {
    match text.trim() {
        "NaN" => return Ok(Value::Double(f64::NAN)),
        "Infinity" => return Ok(Value::Double(f64::INFINITY)),
        "-Infinity" => return Ok(Value::Double(f64::NEG_INFINITY)),
        _ => {}
    }
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| BadJson(e.to_string()))?;
    Ok(from_json(parsed))
}

fn from_json(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(members) => Value::Struct(
            members
                .into_iter()
                .map(|(k, v)| (k, from_json(v)))
                .collect::<Struct>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: Value, python: &str) {
        assert_eq!(dumps(&value).unwrap(), python);
        let back = loads(python).unwrap();
        assert_eq!(back, value, "{python}");
    }

    #[test]
    fn writes_like_python() {
        check(Value::from(".wx1"), "\".wx1\"");
        check(Value::Int(3), "3");
        check(Value::Double(1.0), "1.0");
        check(Value::Double(1e-05), "1e-05");
        check(Value::Bool(true), "true");
        check(Value::Nil, "null");
        check(Value::Array(vec![Value::Int(1), Value::from("a")]), "[1, \"a\"]");
        check(
            Value::structure([("a", Value::Int(1)), ("b", Value::Array(vec![]))]),
            "{\"a\": 1, \"b\": []}",
        );
        check(
            Value::from("é\"\\\n\u{1}😀"),
            "\"\\u00e9\\\"\\\\\\n\\u0001\\ud83d\\ude00\"",
        );
    }

    #[test]
    fn refuses_what_python_refuses() {
        assert_eq!(
            dumps(&Value::Base64(vec![1])).unwrap_err().to_string(),
            "Object of type bytes is not JSON serializable"
        );
        assert!(loads("{").is_err());
        assert!(loads("NaN").unwrap().as_i64().is_none());
    }
}
