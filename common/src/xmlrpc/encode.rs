//! Writes XML-RPC documents byte for byte as Python's `xmlrpc.client` (with Koji's marshaller) does.
//!
//! Python's layout (newlines after most closing tags, none after `<nil/>`) is kept so that our
//! documents diff cleanly against captures of the real hub, and stored task requests and results
//! look like the ones Koji stores.

use std::fmt::Write as _;

use base64::Engine as _;

use super::value::Value;

/// The XML declaration Python writes for UTF-8 documents.
const XML_HEADER: &str = "<?xml version='1.0'?>\n";

/// Encodes a `methodCall` document.
pub fn encode_call(method: &str, params: &[Value]) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(XML_HEADER);
    out.push_str("<methodCall>\n<methodName>");
    escape_into(&mut out, method);
    out.push_str("</methodName>\n<params>\n");
    for param in params {
        out.push_str("<param>\n");
        write_value(&mut out, param);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out
}

/// Encodes a successful `methodResponse` carrying one value.
pub fn encode_response(value: &Value) -> String {
    let encoded = match value {
        Value::Encoded(xml) => xml.len(),
        _ => 0,
    };
    let mut out = String::with_capacity(256 + encoded);
    out.push_str(XML_HEADER);
    out.push_str("<methodResponse>\n<params>\n<param>\n");
    write_value(&mut out, value);
    out.push_str("</param>\n</params>\n</methodResponse>\n");
    out
}

/// Encodes a fault `methodResponse`.
pub fn encode_fault(code: i32, message: &str) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(XML_HEADER);
    out.push_str("<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n");
    let _ = writeln!(out, "<value><int>{code}</int></value>");
    out.push_str("</member>\n<member>\n<name>faultString</name>\n<value><string>");
    escape_into(&mut out, message);
    out.push_str("</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n");
    out
}

/// Appends one `<value>` element in Python's layout.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<value><nil/></value>"),
        Value::Bool(b) => {
            out.push_str(if *b {
                "<value><boolean>1</boolean></value>\n"
            } else {
                "<value><boolean>0</boolean></value>\n"
            });
        }
        Value::Int(i) => {
            if i32::try_from(*i).is_ok() {
                let _ = writeln!(out, "<value><int>{i}</int></value>");
            } else {
                let _ = writeln!(out, "<value><i8>{i}</i8></value>");
            }
        }
        Value::Double(d) => {
            out.push_str("<value><double>");
            out.push_str(&python_float_repr(*d));
            out.push_str("</double></value>\n");
        }
        Value::String(s) => {
            out.push_str("<value><string>");
            escape_into(out, s);
            out.push_str("</string></value>\n");
        }
        Value::DateTime(s) => {
            out.push_str("<value><dateTime.iso8601>");
            escape_into(out, s);
            out.push_str("</dateTime.iso8601></value>\n");
        }
        Value::Base64(bytes) => {
            out.push_str("<value><base64>\n");
            // Python's encodebytes wraps at 76 characters with a newline after every line.
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            for chunk in encoded.as_bytes().chunks(76) {
                out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                out.push('\n');
            }
            out.push_str("</base64></value>\n");
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for item in items {
                write_value(out, item);
            }
            out.push_str("</data></array></value>\n");
        }
        Value::Struct(members) => {
            out.push_str("<value><struct>\n");
            for (name, member) in members {
                out.push_str("<member>\n<name>");
                escape_into(out, name);
                out.push_str("</name>\n");
                write_value(out, member);
                out.push_str("</member>\n");
            }
            out.push_str("</struct></value>\n");
        }
        Value::Encoded(xml) => out.push_str(xml),
    }
}

/// Encodes a value once, for answers that are sent many times (see [`Value::Encoded`]).
pub fn encode_value(value: &Value) -> Value {
    let mut out = String::new();
    write_value(&mut out, value);
    Value::Encoded(out.into())
}

/// Escapes text for element content.
///
/// Beyond Python's `&`, `<`, `>`: a carriage return becomes `&#13;` so it survives parsing, and
/// characters XML 1.0 forbids (other C0 controls, U+FFFE, U+FFFF) are written as the visible
/// text `\xHH` (or `\uHHHH`), because a Python peer rejects the whole document otherwise.
pub fn escape_into(out: &mut String, text: &str) {
    // Most text needs no escaping: copy it in one go (large listings are mostly such text).
    let plain = |b: &u8| *b >= 0x20 && !matches!(b, b'&' | b'<' | b'>' | 0xef);
    if text.bytes().all(|b| plain(&b)) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Python's `repr()` of a float: the shortest text that reads back to the same value, positional
/// for exponents from -4 to 15 and scientific (`1e-05`, `1.5e+16`) outside.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "inf".to_owned()
        } else {
            "-inf".to_owned()
        };
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0".to_owned()
        } else {
            "0.0".to_owned()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.795342317597181e9".
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let int_len = usize::try_from(exponent).unwrap_or(0) + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                let (int_part, frac_part) = digits.split_at(int_len);
                out.push_str(int_part);
                out.push('.');
                out.push_str(frac_part);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n(
                '0',
                usize::try_from(-exponent - 1).unwrap_or(0),
            ));
            out.push_str(&digits);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_value_is_sent_and_read_back_as_the_value() {
        let value = Value::Array(vec![
            Value::structure([
                ("name", Value::from("f40-build <&>")),
                ("id", Value::Int(7)),
                ("locked", Value::Bool(false)),
                ("arches", Value::Nil),
            ]),
            Value::Double(0.5),
        ]);
        let encoded = encode_value(&value);
        assert!(matches!(encoded, Value::Encoded(_)));
        assert_eq!(encode_response(&encoded), encode_response(&value));
        assert_eq!(*encoded.decoded(), value);
        assert_eq!(encoded.clone().into_decoded(), value);
        assert_eq!(encoded.type_name(), "array");
        assert_eq!(encoded.to_string(), value.to_string());
        assert!(encoded.truthy());
        // Serde sees the value, not its XML.
        let back: Vec<Value> = crate::xmlrpc::from_value(encoded.clone()).unwrap();
        assert_eq!(Value::Array(back), value);
        assert_eq!(crate::xmlrpc::to_value(&encoded).unwrap(), value);
        // Inside a larger answer too.
        let outer = Value::structure([("tags", encoded)]);
        assert_eq!(
            encode_response(&outer),
            encode_response(&Value::structure([("tags", value)]))
        );
    }

    fn check_float(value: f64, expected: &str) {
        assert_eq!(python_float_repr(value), expected, "repr of {value:?}");
    }

    #[test]
    fn floats_match_python_repr() {
        check_float(0.25, "0.25");
        check_float(2.0, "2.0");
        check_float(-3.5, "-3.5");
        check_float(1795342317.597181, "1795342317.597181");
        check_float(1e-05, "1e-05");
        check_float(0.0001, "0.0001");
        check_float(1.5e16, "1.5e+16");
        check_float(1e16, "1e+16");
        check_float(123456789012345.0, "123456789012345.0");
        check_float(0.0, "0.0");
        check_float(-0.0, "-0.0");
    }

    #[test]
    fn ints_use_i8_only_beyond_32_bits() {
        let mut out = String::new();
        write_value(&mut out, &Value::Int(2_147_483_647));
        write_value(&mut out, &Value::Int(2_147_483_648));
        write_value(&mut out, &Value::Int(-2_147_483_649));
        assert_eq!(
            out,
            "<value><int>2147483647</int></value>\n<value><i8>2147483648</i8></value>\n<value><i8>-2147483649</i8></value>\n"
        );
    }

    #[test]
    fn control_characters_are_made_visible() {
        let mut out = String::new();
        escape_into(&mut out, "a\u{1}b\r\n<&>\t");
        assert_eq!(out, "a\\x01b&#13;\n&lt;&amp;&gt;\t");
    }

    #[test]
    fn fault_layout_matches_python() {
        let expected = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1019</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>get_tag() got an unexpected keyword argument 'bogus'</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
        assert_eq!(
            encode_fault(1019, "get_tag() got an unexpected keyword argument 'bogus'"),
            expected
        );
    }
}
