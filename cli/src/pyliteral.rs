//! Argument values as `koji call` reads them: Koji's `arg_filter` (int, float, `None`, `True`,
//! `False`, else the string), Python literals (`ast.literal_eval`, for `--python`) and JSON
//! (`--json-input`).

use common::xmlrpc::{Struct, Value};

/// Why a value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LiteralError(pub String);

/// Removes underscores that sit between two digits, as Python's `int()` and `float()` allow;
/// `None` if an underscore sits anywhere else.
fn strip_underscores(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == '_' {
            let before = i.checked_sub(1).and_then(|j| chars.get(j));
            let after = chars.get(i + 1);
            if !(before.is_some_and(char::is_ascii_digit) && after.is_some_and(char::is_ascii_digit)) {
                return None;
            }
            continue;
        }
        out.push(*c);
    }
    Some(out)
}

/// Python's `int(text)` in base 10, within XML-RPC's 64-bit range.
fn python_int(text: &str) -> Option<Result<i64, LiteralError>> {
    let cleaned = strip_underscores(text.trim())?;
    let digits = cleaned.strip_prefix(['+', '-']).unwrap_or(&cleaned);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(
        cleaned
            .trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| LiteralError("OverflowError: int exceeds XML-RPC limits".into())),
    )
}

/// Python's `float(text)`.
fn python_float(text: &str) -> Option<f64> {
    let cleaned = strip_underscores(text.trim())?;
    let body = cleaned
        .strip_prefix(['+', '-'])
        .unwrap_or(&cleaned)
        .to_lowercase();
    let special = matches!(body.as_str(), "inf" | "infinity" | "nan");
    let numeric = !body.is_empty()
        && body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'));
    if !special && !numeric {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// Koji's `arg_filter`: an int, a float, `None`/`True`/`False`, or the text itself.
pub fn arg_filter(text: &str) -> Result<Value, LiteralError> {
    if let Some(int) = python_int(text) {
        return int.map(Value::Int);
    }
    if let Some(float) = python_float(text) {
        return Ok(Value::Double(float));
    }
    Ok(match text {
        "None" => Value::Nil,
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        other => Value::from(other),
    })
}

/// `json.loads(text)` as an XML-RPC value.
pub fn from_json(text: &str) -> Result<Value, LiteralError> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| LiteralError(format!("invalid JSON: {e}")))?;
    Ok(json_to_value(json))
}

fn json_to_value(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(json_to_value).collect()),
        serde_json::Value::Object(members) => {
            Value::Struct(members.into_iter().map(|(k, v)| (k, json_to_value(v))).collect())
        }
    }
}

/// `ast.literal_eval(text)` for the literals XML-RPC can carry: numbers, strings, `None`,
/// booleans, lists, tuples and sets (as arrays) and dicts with string keys.
pub fn literal_eval(text: &str) -> Result<Value, LiteralError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.pos < parser.chars.len() {
        return Err(parser.error("unexpected text after the value"));
    }
    Ok(value)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, what: &str) -> LiteralError {
        LiteralError(format!("malformed literal at character {}: {what}", self.pos + 1))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Value, LiteralError> {
        self.skip_space();
        match self.peek() {
            None => Err(self.error("expected a value")),
            Some('[') => self.sequence(']').map(Value::Array),
            Some('(') => self.sequence(')').map(Value::Array),
            Some('{') => self.dict_or_set(),
            Some('\'' | '"') => self.strings(),
            Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => self.number(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self
                    .chars
                    .get(start..self.pos)
                    .unwrap_or_default()
                    .iter()
                    .collect();
                match word.as_str() {
                    "None" => Ok(Value::Nil),
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "r" | "R" | "u" | "U" | "b" | "B" if matches!(self.peek(), Some('\'' | '"')) => {
                        let raw = word.eq_ignore_ascii_case("r");
                        self.string(raw).map(Value::String)
                    }
                    _ => Err(self.error(&format!("unknown name {word}"))),
                }
            }
            Some(c) => Err(self.error(&format!("unexpected {c:?}"))),
        }
    }

    fn sequence(&mut self, close: char) -> Result<Vec<Value>, LiteralError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(self.error(&format!("expected ',' or '{close}'"))),
            }
        }
    }

    fn dict_or_set(&mut self) -> Result<Value, LiteralError> {
        self.pos += 1;
        let mut members = Struct::new();
        let mut set = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(if set.is_empty() {
                    Value::Struct(members)
                } else {
                    Value::Array(set)
                });
            }
            let key = self.value()?;
            self.skip_space();
            if self.peek() == Some(':') && set.is_empty() {
                self.pos += 1;
                let value = self.value()?;
                let key = match key {
                    Value::String(s) => s,
                    Value::Int(i) => i.to_string(),
                    other => {
                        return Err(
                            self.error(&format!("dict keys must be strings, not {}", other.type_name()))
                        );
                    }
                };
                members.insert(key, value);
            } else if members.is_empty() {
                set.push(key);
            } else {
                return Err(self.error("expected ':'"));
            }
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
        {
            // A sign only starts the number or follows an exponent.
            if matches!(self.peek(), Some('+' | '-')) && self.pos > start {
                let previous = self.chars.get(self.pos - 1).copied();
                if !matches!(previous, Some('e' | 'E')) {
                    break;
                }
            }
            self.pos += 1;
        }
        let text: String = self
            .chars
            .get(start..self.pos)
            .unwrap_or_default()
            .iter()
            .collect();
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(&text)),
        };
        let radix = match body.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => Some(16),
            Some("0o") => Some(8),
            Some("0b") => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            let digits = body.get(2..).unwrap_or_default().replace('_', "");
            let n = i64::from_str_radix(&digits, radix).map_err(|_| self.error("bad integer"))?;
            return Ok(Value::Int(if negative { -n } else { n }));
        }
        if let Some(int) = python_int(&text) {
            return int.map(Value::Int);
        }
        python_float(&text)
            .filter(|_| !body.to_lowercase().contains("inf") && !body.to_lowercase().contains("nan"))
            .map(Value::Double)
            .ok_or_else(|| self.error(&format!("bad number {text}")))
    }

    /// Adjacent string literals concatenate, as in Python.
    fn strings(&mut self) -> Result<Value, LiteralError> {
        let mut text = self.string(false)?;
        loop {
            self.skip_space();
            if !matches!(self.peek(), Some('\'' | '"')) {
                return Ok(Value::String(text));
            }
            text.push_str(&self.string(false)?);
        }
    }

    fn string(&mut self, raw: bool) -> Result<String, LiteralError> {
        let Some(quote) = self.peek() else {
            return Err(self.error("expected a string"));
        };
        let triple = self.chars.get(self.pos..self.pos + 3) == Some(&[quote, quote, quote][..]);
        self.pos += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            if c == quote {
                if !triple {
                    self.pos += 1;
                    return Ok(out);
                }
                if self.chars.get(self.pos..self.pos + 3) == Some(&[quote, quote, quote][..]) {
                    self.pos += 3;
                    return Ok(out);
                }
            }
            if c == '\n' && !triple {
                return Err(self.error("unterminated string"));
            }
            self.pos += 1;
            if c != '\\' || raw {
                out.push(c);
                if c == '\\'
                    && let Some(next) = self.peek()
                {
                    out.push(next);
                    self.pos += 1;
                }
                continue;
            }
            let Some(escape) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match escape {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0'..='7' => {
                    let mut n = escape.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek().and_then(|c| c.to_digit(8)) {
                            Some(d) => {
                                n = n * 8 + d;
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                }
                'x' | 'u' | 'U' => {
                    let len = match escape {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = self
                        .chars
                        .get(self.pos..self.pos + len)
                        .unwrap_or_default()
                        .iter()
                        .collect();
                    let n = u32::from_str_radix(&hex, 16).map_err(|_| self.error("bad escape"))?;
                    self.pos += len;
                    out.push(char::from_u32(n).ok_or_else(|| self.error("bad escape"))?);
                }
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                '\n' => {}
                '\\' | '\'' | '"' => out.push(escape),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str, expected: Value) {
        assert_eq!(arg_filter(text), Ok(expected), "{text}");
    }

    #[test]
    fn arg_filter_like_koji() {
        filter("42", Value::Int(42));
        filter(" -7 ", Value::Int(-7));
        filter("1_000", Value::Int(1000));
        filter("1.5", Value::Double(1.5));
        filter("1e3", Value::Double(1000.0));
        filter("inf", Value::Double(f64::INFINITY));
        filter("None", Value::Nil);
        filter("True", Value::Bool(true));
        filter("false", Value::from("false"));
        filter("f40-build", Value::from("f40-build"));
        filter("1_", Value::from("1_"));
        filter("", Value::from(""));
        filter("e5", Value::from("e5"));
        assert!(arg_filter("99999999999999999999").is_err());
    }

    fn eval(text: &str, expected: Value) {
        assert_eq!(literal_eval(text), Ok(expected), "{text}");
    }

    #[test]
    fn python_literals() {
        eval("'a\\'b'", Value::from("a'b"));
        eval("\"x\" 'y'", Value::from("xy"));
        eval("r'\\n'", Value::from("\\n"));
        eval("'\\x41\\u00e9\\n'", Value::from("A\u{e9}\n"));
        eval("-0x10", Value::Int(-16));
        eval("2.5e-1", Value::Double(0.25));
        eval(
            "[1, (2, None), {'a': True}]",
            Value::Array(vec![
                Value::Int(1),
                Value::Array(vec![Value::Int(2), Value::Nil]),
                Value::structure([("a", Value::Bool(true))]),
            ]),
        );
        eval("{}", Value::Struct(Struct::new()));
        eval("{1, 2,}", Value::Array(vec![Value::Int(1), Value::Int(2)]));
        assert!(literal_eval("foo").is_err());
        assert!(literal_eval("[1,").is_err());
        assert!(literal_eval("1 2").is_err());
    }

    #[test]
    fn json_values() {
        assert_eq!(
            from_json("{\"a\": [1, 2.5, null, \"x\"]}"),
            Ok(Value::structure([(
                "a",
                Value::Array(vec![
                    Value::Int(1),
                    Value::Double(2.5),
                    Value::Nil,
                    Value::from("x")
                ])
            )]))
        );
        assert!(from_json("{").is_err());
    }
}
