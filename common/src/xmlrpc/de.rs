//! Turns a [`Value`] into any `Deserialize` type, leniently in the ways Koji's Python callers
//! need: `"10"` reads as an integer, `<nil/>` reads as `false` or as `None`, an integer reads as a
//! double.

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::value::{Struct, Value};

/// Why a value did not fit the type asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeError(pub String);

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Converts an XML-RPC value into a deserializable type.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, DeError> {
    T::deserialize(value)
}

impl Value {
    fn invalid_type<E: de::Error>(&self, exp: &dyn de::Expected) -> E {
        let unexpected = match self {
            Value::Nil => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Double(d) => de::Unexpected::Float(*d),
            Value::String(s) | Value::DateTime(s) => de::Unexpected::Str(s),
            Value::Base64(b) => de::Unexpected::Bytes(b),
            Value::Array(_) => de::Unexpected::Seq,
            Value::Struct(_) => de::Unexpected::Map,
            Value::Encoded(_) => return self.decoded().invalid_type(exp),
        };
        de::Error::invalid_type(unexpected, exp)
    }
}

macro_rules! deserialize_integer {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                match self.as_i64() {
                    Some(i) if !matches!(self, Value::Bool(_)) => visitor.visit_i64(i),
                    _ => Err(self.invalid_type(&visitor)),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Nil => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Double(d) => visitor.visit_f64(d),
            Value::String(s) | Value::DateTime(s) => visitor.visit_string(s),
            Value::Base64(b) => visitor.visit_byte_buf(b),
            Value::Array(items) => visit_array(items, visitor),
            Value::Struct(members) => visit_struct(members, visitor),
            Value::Encoded(_) => self.into_decoded().deserialize_any(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Bool(b) => visitor.visit_bool(b),
            // Koji's CLI sends nil where it means "not set"; Python treats both as false.
            Value::Nil => visitor.visit_bool(false),
            Value::Int(i) => visitor.visit_bool(i != 0),
            Value::String(ref s) => match s.as_str() {
                "True" | "true" | "1" => visitor.visit_bool(true),
                "False" | "false" | "0" | "" => visitor.visit_bool(false),
                _ => Err(self.invalid_type(&visitor)),
            },
            other => Err(other.invalid_type(&visitor)),
        }
    }

    deserialize_integer! {
        deserialize_i8 => visit_i64,
        deserialize_i16 => visit_i64,
        deserialize_i32 => visit_i64,
        deserialize_i64 => visit_i64,
        deserialize_u8 => visit_i64,
        deserialize_u16 => visit_i64,
        deserialize_u32 => visit_i64,
        deserialize_u64 => visit_i64,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Double(d) => visitor.visit_f64(d),
            #[expect(clippy::cast_precision_loss, reason = "Python does the same for int to float")]
            Value::Int(i) => visitor.visit_f64(i as f64),
            Value::String(ref s) => match s.trim().parse::<f64>() {
                Ok(d) => visitor.visit_f64(d),
                Err(_) => Err(self.invalid_type(&visitor)),
            },
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Struct(members) if members.len() == 1 => {
                let mut iter = members.into_iter();
                match iter.next() {
                    Some((variant, value)) => visitor.visit_enum(EnumAccess { variant, value }),
                    None => Err(DeError("empty struct for an enum".to_owned())),
                }
            }
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::String(s) | Value::DateTime(s) => visitor.visit_string(s),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        char bytes byte_buf unit_struct seq tuple tuple_struct map struct identifier ignored_any i128 u128
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, DeError> {
    let mut seq = de::value::SeqDeserializer::new(items.into_iter());
    let value = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(value)
}

fn visit_struct<'de, V: Visitor<'de>>(members: Struct, visitor: V) -> Result<V::Value, DeError> {
    let mut map = de::value::MapDeserializer::new(members.into_iter());
    let value = visitor.visit_map(&mut map)?;
    map.end()?;
    Ok(value)
}

impl IntoDeserializer<'_, DeError> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

struct EnumAccess {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = DeError;
    type Variant = Value;
    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Value), DeError> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for Value {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, DeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any XML-RPC value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("integer exceeds XML-RPC limits"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Base64(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Base64(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Struct::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            members.insert(k, v);
        }
        Ok(Value::Struct(members))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::xmlrpc::ser::to_value;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Link {
        parent_id: i64,
        priority: i64,
        maxdepth: Option<i64>,
        intransitive: bool,
        pkg_filter: String,
        #[serde(default)]
        weight: f64,
    }

    #[test]
    fn lenient_struct_decoding() {
        let value = Value::structure([
            ("parent_id", Value::Int(7)),
            ("priority", Value::from("10")),
            ("maxdepth", Value::Nil),
            ("intransitive", Value::Nil),
            ("pkg_filter", Value::from("")),
            ("name", Value::from("ignored")),
        ]);
        let link: Link = from_value(value).unwrap();
        assert_eq!(
            link,
            Link {
                parent_id: 7,
                priority: 10,
                maxdepth: None,
                intransitive: false,
                pkg_filter: String::new(),
                weight: 0.0
            }
        );
    }

    #[test]
    fn struct_round_trip() {
        let link = Link {
            parent_id: 1,
            priority: 0,
            maxdepth: Some(3),
            intransitive: true,
            pkg_filter: "^a".into(),
            weight: 1.5,
        };
        let value = to_value(&link).unwrap();
        assert_eq!(value.get("maxdepth"), Some(&Value::Int(3)));
        assert_eq!(from_value::<Link>(value).unwrap(), link);
    }

    #[test]
    fn wrong_types_are_refused() {
        let err = from_value::<i64>(Value::from("ten")).unwrap_err();
        assert!(err.0.contains("invalid type"), "{err}");
        assert!(from_value::<String>(Value::Int(3)).is_err());
        assert!(from_value::<Vec<i64>>(Value::Array(vec![Value::Int(1), Value::from("x")])).is_err());
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum NameOrId {
        Id(i64),
        Name(String),
    }

    #[test]
    fn untagged_enums() {
        assert_eq!(from_value::<NameOrId>(Value::Int(3)).unwrap(), NameOrId::Id(3));
        assert_eq!(
            from_value::<NameOrId>(Value::from("f40")).unwrap(),
            NameOrId::Name("f40".into())
        );
    }

    #[test]
    fn options_and_maps() {
        assert_eq!(from_value::<Option<i64>>(Value::Nil).unwrap(), None);
        assert_eq!(from_value::<Option<bool>>(Value::Bool(true)).unwrap(), Some(true));
        let map: std::collections::BTreeMap<String, i64> =
            from_value(Value::structure([("a", Value::Int(1))])).unwrap();
        assert_eq!(map["a"], 1);
        let keyed = to_value(&std::collections::BTreeMap::from([(5_i64, "x")])).unwrap();
        assert_eq!(keyed.get("5"), Some(&Value::from("x")));
    }
}
