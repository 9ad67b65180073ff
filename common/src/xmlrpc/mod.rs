//! XML-RPC with Koji's conventions: values, Python-identical encoding, dxr-based decoding, serde
//! mapping and Python-style argument binding.

mod args;
mod de;
mod decode;
mod encode;
mod ser;
mod value;

pub use args::{ArgError, Bound, Params, STARSTAR, Signature};
pub use de::{DeError, from_value};
pub use decode::{DecodeError, MethodCall, decode_call, decode_response};
pub use encode::{
    encode_call, encode_fault, encode_response, encode_value, escape_into, python_float_repr, write_value,
};
pub use ser::{SerError, to_value};
pub use value::{Struct, Value, python_str_repr};
