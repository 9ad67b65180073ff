//! The XML-RPC value type Kiln works with, lenient in what it accepts as Koji's Python peers are.

use std::collections::BTreeMap;
use std::fmt;

/// An XML-RPC struct: member names to values.
pub type Struct = BTreeMap<String, Value>;

/// One XML-RPC value.
///
/// Integers are kept as `i64` whatever their wire type (`<int>`, `<i4>`, `<i8>`); the encoder
/// writes `<int>` when the value fits in 32 bits and `<i8>` only beyond, as Koji does.
/// Date-times are kept as the text they arrived as: Koji itself never sends them, it sends
/// strings.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `<nil/>`: Python's `None`.
    #[default]
    Nil,
    /// `<boolean>`.
    Bool(bool),
    /// `<int>`, `<i4>` or `<i8>`.
    Int(i64),
    /// `<double>`.
    Double(f64),
    /// `<string>` or an untyped `<value>`.
    String(String),
    /// `<base64>`.
    Base64(Vec<u8>),
    /// `<dateTime.iso8601>`, as received.
    DateTime(String),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<struct>`.
    Struct(Struct),
    /// A value already written as XML (a whole `<value>` element), sent as it is: cached
    /// answers use it so that a hit costs no copy of the value and no encoding. Decoding never
    /// produces it. Serializing, deserializing, `Display`, `truthy` and `type_name` read it
    /// back; the borrowing accessors (`as_array`, `get`, …) see nothing in it.
    Encoded(std::sync::Arc<str>),
}

impl Value {
    /// The XML-RPC type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "int",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Base64(_) => "base64",
            Value::DateTime(_) => "dateTime.iso8601",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
            Value::Encoded(_) => self.decoded().type_name(),
        }
    }

    /// The value itself: an [`Value::Encoded`] one read back from its XML (a slow path for the
    /// rare code that looks into a cached answer), any other as it is.
    pub fn decoded(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            Value::Encoded(xml) => std::borrow::Cow::Owned(super::decode::decode_value(xml)),
            other => std::borrow::Cow::Borrowed(other),
        }
    }

    /// Like [`Value::decoded`], by value: anything but an encoded value is returned as it is,
    /// without a copy.
    pub fn into_decoded(self) -> Value {
        match self {
            Value::Encoded(xml) => super::decode::decode_value(&xml),
            other => other,
        }
    }

    /// True for `<nil/>`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The integer this value stands for, accepting the forms Python clients send
    /// (`<int>`, a digit string such as `"10"`, an integral double).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::String(s) => s.trim().parse().ok(),
            #[expect(
                clippy::cast_possible_truncation,
                reason = "only integral values in range are converted"
            )]
            Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Some(*d as i64),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::DateTime(s) => Some(s),
            _ => None,
        }
    }

    /// Python truthiness: nil, false, 0, "" and empty containers are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Double(d) => *d != 0.0,
            Value::String(s) | Value::DateTime(s) => !s.is_empty(),
            Value::Base64(b) => !b.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Struct(s) => !s.is_empty(),
            Value::Encoded(_) => self.decoded().truthy(),
        }
    }

    /// The struct, if this is a struct.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The array, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A member of a struct, or `None` for a missing member or a non-struct.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_struct().and_then(|s| s.get(key))
    }

    /// Builds a struct from `(name, value)` pairs.
    pub fn structure<K: Into<String>>(members: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Struct(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl fmt::Display for Value {
    /// A Python-like rendering, used in messages and by the cli's `call` command.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => f.write_str(&super::encode::python_float_repr(*d)),
            Value::String(s) | Value::DateTime(s) => write!(f, "{}", python_str_repr(s)),
            Value::Base64(b) => write!(f, "<{} bytes>", b.len()),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Struct(members) => {
                f.write_str("{")?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {v}", python_str_repr(k))?;
                }
                f.write_str("}")
            }
            Value::Encoded(_) => write!(f, "{}", self.decoded()),
        }
    }
}

/// Python's `repr()` of a string: single quotes unless the text holds one and no double quote.
pub fn python_str_repr(s: &str) -> String {
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
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}
