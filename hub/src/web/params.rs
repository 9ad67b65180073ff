//! Query strings and form bodies (`application/x-www-form-urlencoded`), read into typed values;
//! a value that does not parse is a 400, not a 500.

use std::collections::BTreeMap;

use super::error::{WebError, WebResult};

/// Decoded `name=value` pairs; a repeated name keeps its last value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    values: BTreeMap<String, String>,
}

/// Decodes `%XX` escapes and `+` (a space) of one component.
pub fn percent_decode(text: &str) -> WebResult<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| WebError::BadRequest(format!("malformed escape in {text:?}")))?;
                out.push(hex);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| WebError::BadRequest(format!("{text:?} is not UTF-8")))
}

/// Encodes a query-string component.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Form {
    /// Parses `a=1&b=two`.
    pub fn parse(text: Option<&str>) -> WebResult<Form> {
        let mut values = BTreeMap::new();
        for pair in text.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            values.insert(percent_decode(name)?, percent_decode(value)?);
        }
        Ok(Form { values })
    }

    /// A value as given; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An integer value, or 400.
    pub fn int(&self, name: &str) -> WebResult<Option<i64>> {
        self.text(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| WebError::BadRequest(format!("{name} must be an integer, not {v:?}")))
            })
            .transpose()
    }

    /// A required integer value, or 400.
    pub fn required_int(&self, name: &str) -> WebResult<i64> {
        self.int(name)?
            .ok_or_else(|| WebError::BadRequest(format!("{name} is required")))
    }

    /// A non-negative integer (`start`), 0 when absent.
    pub fn start(&self) -> WebResult<i64> {
        match self.int("start")? {
            None => Ok(0),
            Some(n) if n >= 0 => Ok(n),
            Some(n) => Err(WebError::BadRequest(format!(
                "start must not be negative, not {n}"
            ))),
        }
    }

    /// A value that must be one of `allowed`, `default` when absent.
    pub fn choice<'a>(&'a self, name: &str, allowed: &[&'a str], default: &'a str) -> WebResult<&'a str> {
        match self.text(name) {
            None => Ok(default),
            Some(v) if allowed.contains(&v) => Ok(v),
            Some(v) => Err(WebError::BadRequest(format!(
                "{name} must be one of {}, not {v:?}",
                allowed.join(", ")
            ))),
        }
    }

    /// An `order` value: a field from `allowed`, optionally prefixed with `-`.
    pub fn order<'a>(&'a self, allowed: &[&str], default: &'a str) -> WebResult<&'a str> {
        let order = self.text("order").unwrap_or(default);
        let field = order.strip_prefix('-').unwrap_or(order);
        if allowed.contains(&field) {
            Ok(order)
        } else {
            Err(WebError::BadRequest(format!(
                "order must be one of {} (with an optional -), not {order:?}",
                allowed.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let form = Form::parse(Some("taskID=12&name=a+b%3Cc&empty=&x")).unwrap();
        assert_eq!(form.int("taskID").unwrap(), Some(12));
        assert_eq!(form.text("name"), Some("a b<c"));
        assert_eq!(form.text("empty"), None);
        assert_eq!(form.text("x"), None);
    }

    #[test]
    fn refuses_malformed_values() {
        assert!(Form::parse(Some("a=%zz")).is_err());
        assert!(Form::parse(Some("a=%")).is_err());
        let form = Form::parse(Some("taskID=12x&start=-1&order=bogus")).unwrap();
        assert!(matches!(form.int("taskID"), Err(WebError::BadRequest(_))));
        assert!(form.start().is_err());
        assert!(form.order(&["id"], "-id").is_err());
        assert_eq!(
            Form::parse(Some("order=-id"))
                .unwrap()
                .order(&["id"], "id")
                .unwrap(),
            "-id"
        );
    }

    #[test]
    fn encodes_components() {
        assert_eq!(percent_encode("a b<c>&"), "a%20b%3Cc%3E%26");
        assert_eq!(percent_decode(&percent_encode("ünï <x>")).unwrap(), "ünï <x>");
    }
}
