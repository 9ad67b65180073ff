//! Reads XML-RPC documents (calls and responses) through dxr, and explains what is wrong when
//! dxr refuses one.

use quick_xml::events::Event;

use super::value::{Struct, Value};
use crate::fault::Fault;

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body was empty.
    #[error("empty request body")]
    Empty,
    /// The body is not well-formed XML (or not UTF-8).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed XML, but not the XML-RPC document expected.
    #[error("not an XML-RPC {expected} document: {detail}")]
    NotXmlRpc {
        /// `methodCall` or `methodResponse`.
        expected: &'static str,
        /// What was found instead.
        detail: String,
    },
}

/// A decoded `methodCall`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    /// The method name as sent.
    pub method: String,
    /// The positional parameters, keyword struct included.
    pub params: Vec<Value>,
}

/// Decodes a `methodCall` document.
pub fn decode_call(body: &[u8]) -> Result<MethodCall, DecodeError> {
    let text = document_text(body)?;
    match dxr::MethodCall::from_xml(text) {
        Ok(call) => Ok(MethodCall {
            method: call.name.into_owned(),
            params: call.params.into_iter().map(Value::from).collect(),
        }),
        Err(_) => Err(explain(text, "methodCall")),
    }
}

/// Decodes a `methodResponse` document: the value, or the fault it carries.
pub fn decode_response(body: &[u8]) -> Result<Result<Value, Fault>, DecodeError> {
    let text = document_text(body)?;
    if let Ok(response) = dxr::MethodResponse::from_xml(text) {
        return Ok(Ok(Value::from(response.value)));
    }
    if let Ok(fault) = dxr::FaultResponse::from_xml(text) {
        return Ok(Err(Fault::new(fault.fault.code(), fault.fault.string())));
    }
    Err(explain(text, "methodResponse"))
}

/// Reads back a `<value>` element written by this crate's encoder (see `Value::Encoded`). Such
/// text always decodes; `Nil` stands in should it not.
pub(crate) fn decode_value(xml: &str) -> Value {
    let document = format!("<methodResponse><params><param>{xml}</param></params></methodResponse>");
    match decode_response(document.as_bytes()) {
        Ok(Ok(value)) => value,
        _ => Value::Nil,
    }
}

fn document_text(body: &[u8]) -> Result<&str, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    std::str::from_utf8(body).map_err(|e| DecodeError::Malformed(format!("body is not UTF-8 ({e})")))
}

/// Finds a human-readable reason for a document dxr refused: an XML syntax error with its
/// position, or the element that does not belong.
fn explain(text: &str, expected: &'static str) -> DecodeError {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut root: Option<String> = None;
    let mut open: Vec<String> = Vec::new();
    loop {
        let position = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.name().into_inner().to_owned();
                root.get_or_insert_with(|| name.clone());
                open.push(name);
            }
            Ok(Event::Empty(e)) => {
                root.get_or_insert_with(|| e.name().into_inner().to_owned());
            }
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Eof) => {
                if let Some(unclosed) = open.last() {
                    return DecodeError::Malformed(format!(
                        "unexpected end of document: <{unclosed}> is not closed"
                    ));
                }
                break;
            }
            Ok(_) => {}
            Err(e) => {
                let line = text
                    .get(..usize::try_from(position).unwrap_or(0))
                    .map_or(1, |t| t.lines().count().max(1));
                return DecodeError::Malformed(format!("{e} (line {line})"));
            }
        }
    }
    match root {
        None => DecodeError::Malformed("no element found".to_owned()),
        Some(name) if name != expected => DecodeError::NotXmlRpc {
            expected,
            detail: format!("the root element is <{name}>"),
        },
        Some(_) => DecodeError::NotXmlRpc {
            expected,
            detail: "unexpected element or value inside it (check the <params> and <value> structure)"
                .to_owned(),
        },
    }
}

impl From<dxr::Value> for Value {
    fn from(value: dxr::Value) -> Self {
        match value {
            dxr::Value::Integer(i) => Value::Int(i64::from(i)),
            dxr::Value::Long(i) => Value::Int(i),
            dxr::Value::Boolean(b) => Value::Bool(b),
            dxr::Value::String(s) => Value::String(s),
            dxr::Value::Double(d) => Value::Double(d),
            dxr::Value::DateTime(dt) => Value::DateTime(dt.to_string()),
            dxr::Value::Base64(b) => Value::Base64(b),
            dxr::Value::Struct(members) => Value::Struct(
                members
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(v)))
                    .collect::<Struct>(),
            ),
            dxr::Value::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            dxr::Value::Nil => Value::Nil,
            // dxr's Value is non-exhaustive; anything new is unknown to Koji as well.
            _ => Value::Nil,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::encode::{encode_call, encode_fault, encode_response};

    #[test]
    fn reads_what_python_sends() {
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>login</methodName>\n<params>\n<param>\n<value><string>kojiadmin</string></value>\n</param>\n<param>\n<value>pw</value>\n</param>\n<param>\n<value><struct>\n<member>\n<name>opts</name>\n<value><nil/></value></member>\n<member>\n<name>__starstar</name>\n<value><boolean>1</boolean></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";
        let call = decode_call(body.as_bytes()).unwrap();
        assert_eq!(call.method, "login");
        assert_eq!(call.params.len(), 3);
        assert_eq!(call.params[1], Value::from("pw"));
        assert_eq!(call.params[2].get("__starstar"), Some(&Value::Bool(true)));
        assert_eq!(call.params[2].get("opts"), Some(&Value::Nil));
    }

    #[test]
    fn reads_calls_without_params_and_all_int_forms() {
        let call = decode_call(b"<methodCall><methodName>getAPIVersion</methodName></methodCall>").unwrap();
        assert!(call.params.is_empty());
        let call = decode_call(b"<methodCall><methodName>x</methodName><params><param><value><i4>5</i4></value></param><param><value><i8>5000000000</i8></value></param><param><value><string/></value></param></params></methodCall>").unwrap();
        assert_eq!(
            call.params,
            vec![Value::Int(5), Value::Int(5_000_000_000), Value::from("")]
        );
    }

    #[test]
    fn round_trips_every_value_type() {
        let value = Value::structure([
            ("nil", Value::Nil),
            ("bool", Value::Bool(true)),
            ("small", Value::Int(-7)),
            ("big", Value::Int(1 << 40)),
            ("double", Value::Double(1795342317.597181)),
            ("text", Value::from("a < b & c > d\r\n\u{e9}")),
            ("bytes", Value::Base64(vec![0, 1, 2, 255])),
            (
                "list",
                Value::Array(vec![Value::Int(1), Value::from("x"), Value::Array(vec![])]),
            ),
            ("empty", Value::Struct(Struct::new())),
        ]);
        let decoded = decode_response(encode_response(&value).as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(decoded, value);
        let call = decode_call(encode_call("m", std::slice::from_ref(&value)).as_bytes()).unwrap();
        assert_eq!(call.params, vec![value]);
    }

    #[test]
    fn reads_faults() {
        let fault = decode_response(encode_fault(1002, "invalid username or password").as_bytes())
            .unwrap()
            .unwrap_err();
        assert_eq!(fault.code, 1002);
        assert_eq!(fault.message, "invalid username or password");
    }

    fn check_error(body: &str, expected_start: &str) {
        let error = decode_call(body.as_bytes()).unwrap_err().to_string();
        assert!(
            error.starts_with(expected_start),
            "{error:?} does not start with {expected_start:?}"
        );
    }

    #[test]
    fn explains_bad_documents() {
        check_error("", "empty request body");
        check_error("hello world", "malformed XML");
        check_error("<methodCall><methodName>x</methodName><params>", "malformed XML");
        check_error(
            "<methodCall><methodName>x</methodNam></methodCall>",
            "malformed XML",
        );
        check_error(
            "<html><body>hi</body></html>",
            "not an XML-RPC methodCall document: the root element is <html>",
        );
        check_error(
            "<methodCall><params></params></methodCall>",
            "not an XML-RPC methodCall document: unexpected",
        );
    }
}
