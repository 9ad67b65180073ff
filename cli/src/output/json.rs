//! Python's `json.dumps(value, indent=2, separators=(',', ': '))` for XML-RPC values: the
//! `--json` and `--json-output` format, byte-identical to the stock client's.

use std::fmt::Write as _;

use common::xmlrpc::{Value, python_float_repr};

/// The JSON text, without a final newline.
pub fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out, 0);
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
}

fn write(value: &Value, out: &mut String, depth: usize) {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Double(d) if d.is_nan() => out.push_str("NaN"),
        Value::Double(d) if d.is_infinite() => {
            out.push_str(if *d > 0.0 { "Infinity" } else { "-Infinity" });
        }
        Value::Double(d) => out.push_str(&python_float_repr(*d)),
        Value::String(s) | Value::DateTime(s) => string(s, out),
        Value::Base64(bytes) => string(&String::from_utf8_lossy(bytes), out),
        Value::Encoded(_) => write(&value.decoded(), out, depth),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write(item, out, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Struct(members) if members.is_empty() => out.push_str("{}"),
        Value::Struct(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                string(key, out);
                out.push_str(": ");
                write(item, out, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

/// A JSON string with `ensure_ascii`: everything outside printable ASCII is `\uXXXX`.
fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &Value, expected: &str) {
        assert_eq!(to_json(value), expected);
    }

    #[test]
    fn scalars() {
        check(&Value::Nil, "null");
        check(&Value::Double(0.25), "0.25");
        check(&Value::Double(f64::NAN), "NaN");
        check(
            &Value::from("é\"\u{1f600}\x01"),
            "\"\\u00e9\\\"\\ud83d\\ude00\\u0001\"",
        );
    }

    #[test]
    fn nested() {
        check(
            &Value::structure([
                ("name", Value::from("admin")),
                ("krb_principals", Value::Array(vec![])),
                ("ids", Value::Array(vec![Value::Int(1), Value::Int(2)])),
            ]),
            "{\n  \"ids\": [\n    1,\n    2\n  ],\n  \"krb_principals\": [],\n  \"name\": \"admin\"\n}",
        );
    }
}
