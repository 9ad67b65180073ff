//! Python's `json.dumps` output (default separators `", "` / `": "`, ASCII escapes), which MBS
//! hashes to compute contexts, so the hashes match MBS byte for byte.

/// A JSON value of the small kind MBS hashes: strings, lists and key-ordered objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PyJson<'a> {
    String(&'a str),
    List(Vec<PyJson<'a>>),
    /// Entries in the order they are written (callers pass them sorted).
    Object(Vec<(&'a str, PyJson<'a>)>),
}

/// `json.dumps(value)` with Python's defaults.
pub(crate) fn dumps(value: &PyJson<'_>) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &PyJson<'_>) {
    match value {
        PyJson::String(text) => write_string(out, text),
        PyJson::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write(out, item);
            }
            out.push(']');
        }
        PyJson::Object(entries) => {
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(character),
            _ => {
                let mut units = [0u16; 2];
                for unit in character.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: PyJson<'_>, expected: &str) {
        assert_eq!(dumps(&value), expected);
    }

    #[test]
    fn objects_use_python_separators() {
        check(
            PyJson::Object(vec![
                ("a", PyJson::String("x")),
                ("b", PyJson::List(vec![PyJson::String("y")])),
            ]),
            r#"{"a": "x", "b": ["y"]}"#,
        );
    }

    #[test]
    fn non_ascii_is_escaped() {
        check(PyJson::String("é\u{1F600}\"\n"), r#""\u00e9\ud83d\ude00\"\n""#);
    }

    #[test]
    fn empty_containers() {
        check(PyJson::Object(vec![]), "{}");
        check(PyJson::List(vec![]), "[]");
    }
}
