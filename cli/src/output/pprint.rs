//! Python's `pprint.pprint` for XML-RPC values (width 80, dict keys sorted), so `kiln call`
//! prints what `koji call` prints, line for line.

use common::xmlrpc::{Value, python_float_repr};

const WIDTH: usize = 80;

/// The text `pprint.pprint(value)` writes, without the final newline.
pub fn pformat(value: &Value) -> String {
    let mut out = String::new();
    format(value, &mut out, 0, 0, 0);
    out
}

/// Python's `repr()` of a value on one line (dict keys sorted, as pprint's `_safe_repr`).
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Nil => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Double(d) => out.push_str(&python_float_repr(*d)),
        Value::String(s) => out.push_str(&str_repr(s)),
        Value::DateTime(s) => {
            out.push_str("<DateTime ");
            out.push_str(&str_repr(s));
            out.push('>');
        }
        Value::Base64(bytes) => out.push_str(&bytes_repr(bytes)),
        Value::Encoded(_) => write_repr(&value.decoded(), out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Struct(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&str_repr(key));
                out.push_str(": ");
                write_repr(item, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr()` of bytes (the client decodes `<base64>` to `bytes`).
fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from("b");
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(b)),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// Python 3's `repr()` of a str: non-printable characters escaped, printable ones kept.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = u32::from(c);
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An approximation of Python's `str.isprintable` without Unicode tables: control
/// characters, separators other than the space, and format characters are not printable.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(
        u32::from(c),
        0xad | 0x600..=0x605 | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0xfeff | 0xd800..=0xdfff
    )
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `PrettyPrinter._format`.
fn format(value: &Value, out: &mut String, indent: usize, allowance: usize, level: usize) {
    let rep = repr(value);
    let max_width = WIDTH.saturating_sub(indent + allowance);
    if char_len(&rep) > max_width {
        match value {
            Value::Struct(members) if !members.is_empty() => {
                return format_dict(value, out, indent, allowance, level + 1);
            }
            Value::Array(items) if !items.is_empty() => {
                return format_list(items, out, indent, allowance, level + 1);
            }
            Value::String(s) => return format_str(s, out, indent, allowance, level + 1),
            _ => {}
        }
    }
    out.push_str(&rep);
}

/// `PrettyPrinter._pprint_dict` with `_format_dict_items`.
fn format_dict(value: &Value, out: &mut String, indent: usize, allowance: usize, level: usize) {
    let Value::Struct(members) = value else {
        return;
    };
    out.push('{');
    let indent = indent + 1;
    let allowance = allowance + 1;
    let last_index = members.len().saturating_sub(1);
    for (i, (key, item)) in members.iter().enumerate() {
        let last = i == last_index;
        let key_rep = str_repr(key);
        out.push_str(&key_rep);
        out.push_str(": ");
        format(
            item,
            out,
            indent + char_len(&key_rep) + 2,
            if last { allowance } else { 1 },
            level,
        );
        if !last {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
        }
    }
    out.push('}');
}

/// `PrettyPrinter._pprint_list` with `_format_items` (not compact).
fn format_list(items: &[Value], out: &mut String, indent: usize, allowance: usize, level: usize) {
    out.push('[');
    let indent = indent + 1;
    let allowance = allowance + 1;
    let last_index = items.len().saturating_sub(1);
    for (i, item) in items.iter().enumerate() {
        let last = i == last_index;
        if i > 0 {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
        }
        format(item, out, indent, if last { allowance } else { 1 }, level);
    }
    out.push(']');
}

/// Python's `str.splitlines(keepends=True)`.
fn split_lines_keep_ends(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break = matches!(
            c,
            '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r'
            && let Some(&(j, '\n')) = iter.peek()
        {
            end = j + 1;
            iter.next();
        }
        lines.push(s.get(start..end).unwrap_or_default());
        start = end;
    }
    if start < s.len() {
        lines.push(s.get(start..).unwrap_or_default());
    }
    lines
}

/// `re.findall(r'\S*\s*', line)` without the final empty match.
fn split_words(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            parts.push(line.get(start..i).unwrap_or_default());
            start = i;
            in_space = false;
        }
    }
    if start < line.len() {
        parts.push(line.get(start..).unwrap_or_default());
    }
    parts
}

/// `PrettyPrinter._pprint_str`: long strings become adjacent literals, split at line ends and
/// then between words.
fn format_str(s: &str, out: &mut String, indent: usize, allowance: usize, level: usize) {
    let (indent, allowance) = if level == 1 {
        (indent + 1, allowance + 1)
    } else {
        (indent, allowance)
    };
    let max_width = WIDTH.saturating_sub(indent);
    let mut max_width1 = max_width;
    let mut chunks: Vec<String> = Vec::new();
    let lines = split_lines_keep_ends(s);
    let n_lines = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let rep = str_repr(line);
        if i + 1 == n_lines {
            max_width1 = max_width1.saturating_sub(allowance);
        }
        if char_len(&rep) <= max_width1 {
            chunks.push(rep);
            continue;
        }
        let parts = split_words(line);
        let mut max_width2 = max_width;
        let mut current = String::new();
        let n_parts = parts.len();
        for (j, part) in parts.into_iter().enumerate() {
            let candidate = format!("{current}{part}");
            if j + 1 == n_parts && i + 1 == n_lines {
                max_width2 = max_width2.saturating_sub(allowance);
            }
            if char_len(&str_repr(&candidate)) > max_width2 {
                if !current.is_empty() {
                    chunks.push(str_repr(&current));
                }
                current = part.to_owned();
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            chunks.push(str_repr(&current));
        }
    }
    if chunks.len() == 1 {
        out.push_str(&str_repr(s));
        return;
    }
    if level == 1 {
        out.push('(');
    }
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(chunk);
    }
    if level == 1 {
        out.push(')');
    }
}

#[cfg(test)]
mod tests {
    use common::xmlrpc::Struct;

    use super::*;

    fn check(value: &Value, expected: &str) {
        assert_eq!(pformat(value), expected);
    }

    fn task(id: i64, request: &str) -> Value {
        Value::structure([
            ("arch", Value::from("noarch")),
            ("awaited", Value::Nil),
            ("completion_ts", Value::Double(1_795_342_317.597_181)),
            ("id", Value::Int(id)),
            ("request", Value::from(request)),
            ("state", Value::Int(2)),
            ("weight", Value::Double(0.25)),
        ])
    }

    const REQUEST: &str =
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>sleep</methodName>\n</methodCall>\n";

    #[test]
    fn scalars() {
        check(&Value::Nil, "None");
        check(&Value::Int(7), "7");
        check(&Value::Bool(true), "True");
        check(&Value::Double(1.0), "1.0");
        check(&Value::from("it's"), "\"it's\"");
        check(&Value::from("a\tb\u{7f}\u{e9}"), "'a\\tb\\x7f\u{e9}'");
        check(&Value::Base64(b"a'\x00".to_vec()), "b\"a'\\x00\"");
    }

    #[test]
    fn short_containers_stay_on_one_line() {
        check(
            &Value::structure([("b", Value::Int(1)), ("a", Value::Array(vec![Value::Nil]))]),
            "{'a': [None], 'b': 1}",
        );
        check(&Value::Array(vec![]), "[]");
        check(&Value::Struct(Struct::new()), "{}");
    }

    #[test]
    fn long_dict_one_key_per_line() {
        check(
            &task(1, "x"),
            "{'arch': 'noarch',\n 'awaited': None,\n 'completion_ts': 1795342317.597181,\n 'id': 1,\n 'request': 'x',\n 'state': 2,\n 'weight': 0.25}",
        );
    }

    #[test]
    fn long_strings_split_in_dict_in_list() {
        // The layout koji call prints for listTasks (see the wire fixture).
        let expected = "[{'arch': 'noarch',\n  'awaited': None,\n  'completion_ts': 1795342317.597181,\n  'id': 1,\n  'request': \"<?xml version='1.0'?>\\n\"\n             '<methodCall>\\n'\n             '<methodName>sleep</methodName>\\n'\n             '</methodCall>\\n',\n  'state': 2,\n  'weight': 0.25}]";
        check(&Value::Array(vec![task(1, REQUEST)]), expected);
    }

    #[test]
    fn top_level_long_string_gets_parentheses() {
        let text = "word ".repeat(30);
        let out = pformat(&Value::from(text.as_str()));
        assert!(out.starts_with("('word "), "{out}");
        assert!(out.ends_with("')"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
    }

    #[test]
    fn nested_lists_wrap() {
        let long: Vec<Value> = (0..30).map(|i| Value::Int(1000 + i)).collect();
        let out = pformat(&Value::Array(long));
        assert!(out.starts_with("[1000,\n 1001,\n"), "{out}");
        assert!(out.ends_with(" 1029]"), "{out}");
    }
}
