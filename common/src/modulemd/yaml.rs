//! A lossless YAML tree: every scalar keeps the exact text its author wrote.
//!
//! libmodulemd reads every scalar as the string in the file (`stream: 2.10` is "2.10", `ref: 1`
//! is "1") and only then converts the few numeric and boolean fields.
//! serde_yaml resolves plain scalars to numbers when it deserializes an untyped value, which loses
//! that text, but it hands out the raw text when asked for a string.
//! So a document is read twice: once into a `serde_yaml::Value` to learn its shape (which nodes are
//! mappings, sequences or scalars), then again guided by that shape, asking for every scalar as a
//! string.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// One YAML node with its scalars as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A scalar: its text (without quotes), and whether YAML itself would read it as null.
    Scalar { text: String, null: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The libyaml event a parser meets first for this node, as libmodulemd names it in errors.
    pub(crate) fn event_name(&self) -> &'static str {
        match self {
            Node::Scalar { .. } => "YAML_SCALAR_EVENT",
            Node::Seq(_) => "YAML_SEQUENCE_START_EVENT",
            Node::Map(_) => "YAML_MAPPING_START_EVENT",
        }
    }

    /// The scalar's text, if this is a scalar.
    pub(crate) fn as_scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// Parses every document of a YAML stream into lossless trees.
///
/// The error is libyaml's (or serde_yaml's) description of the syntax problem.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, String> {
    let mut shapes = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        shapes.push(Shape::deserialize(document).map_err(|error| error.to_string())?);
    }
    let mut nodes = Vec::with_capacity(shapes.len());
    for (document, shape) in serde_yaml::Deserializer::from_str(text).zip(&shapes) {
        nodes.push(
            Shaped(shape)
                .deserialize(document)
                .map_err(|error| error.to_string())?,
        );
    }
    Ok(nodes)
}

/// The shape of a node from the first read: scalars' values are not kept, so any scalar (an
/// integer too large for 64 bits included) is accepted, and duplicate keys are kept in order.
#[derive(Debug)]
enum Shape {
    Scalar { null: bool },
    Seq(Vec<Shape>),
    Map(Vec<(Shape, Shape)>),
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

macro_rules! scalar_visits {
    ($($method:ident: $type:ty),*) => {
        $(fn $method<E: de::Error>(self, _: $type) -> Result<Shape, E> {
            Ok(Shape::Scalar { null: false })
        })*
    };
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any YAML node")
    }

    scalar_visits!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128, visit_u128: u128,
        visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar { null: true })
    }

    fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar { null: true })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Shape, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Shape>()? {
            items.push(item);
        }
        Ok(Shape::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Shape, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = access.next_key::<Shape>()? {
            entries.push((key, access.next_value::<Shape>()?));
        }
        Ok(Shape::Map(entries))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, access: A) -> Result<Shape, A::Error> {
        // A node with a custom `!tag`: the tag is ignored, as libmodulemd ignores it.
        let (_tag, variant) = access.variant::<de::IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<Shape>(variant)
    }
}

/// Deserializes one node the way its shape from the first pass says it is built.
struct Shaped<'a>(&'a Shape);

impl<'de> DeserializeSeed<'de> for Shaped<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        match self.0 {
            Shape::Map(entries) => deserializer.deserialize_map(MapShape(entries)),
            Shape::Seq(items) => deserializer.deserialize_seq(SeqShape(items)),
            Shape::Scalar { null } => deserializer.deserialize_str(ScalarText { null: *null }),
        }
    }
}

struct ScalarText {
    null: bool,
}

impl Visitor<'_> for ScalarText {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a scalar")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Node, E> {
        Ok(Node::Scalar {
            text: text.to_owned(),
            null: self.null,
        })
    }
}

struct MapShape<'a>(&'a [(Shape, Shape)]);

impl<'de> Visitor<'de> for MapShape<'_> {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(self.0.len());
        for (key_shape, value_shape) in self.0 {
            let Some(key) = access.next_key_seed(Shaped(key_shape))? else {
                return Err(de::Error::custom("mapping ended early on the second read"));
            };
            let value = access.next_value_seed(Shaped(value_shape))?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

struct SeqShape<'a>(&'a [Shape]);

impl<'de> Visitor<'de> for SeqShape<'_> {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(self.0.len());
        for shape in self.0 {
            let Some(item) = access.next_element_seed(Shaped(shape))? else {
                return Err(de::Error::custom("sequence ended early on the second read"));
            };
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Node {
        Node::Scalar {
            text: text.to_owned(),
            null: false,
        }
    }

    fn check(input: &str, expected: Result<Vec<Node>, &str>) {
        let actual = parse_documents(input);
        match expected {
            Ok(nodes) => assert_eq!(actual, Ok(nodes), "{input}"),
            Err(prefix) => {
                let error = actual.expect_err(input);
                assert!(error.starts_with(prefix), "{input}: {error}");
            }
        }
    }

    #[test]
    fn scalars_keep_their_text() {
        check(
            "a: 2.10\nb: 00000000\nc: TRUE\nd: 0x1F\ne: '1'\n",
            Ok(vec![Node::Map(vec![
                (scalar("a"), scalar("2.10")),
                (scalar("b"), scalar("00000000")),
                (scalar("c"), scalar("TRUE")),
                (scalar("d"), scalar("0x1F")),
                (scalar("e"), scalar("1")),
            ])]),
        );
    }

    #[test]
    fn nulls_are_marked() {
        check(
            "a: ~\nb:\n",
            Ok(vec![Node::Map(vec![
                (
                    scalar("a"),
                    Node::Scalar {
                        text: "~".into(),
                        null: true,
                    },
                ),
                (
                    scalar("b"),
                    Node::Scalar {
                        text: String::new(),
                        null: true,
                    },
                ),
            ])]),
        );
    }

    #[test]
    fn aliases_are_expanded() {
        check(
            "a: &x [1.0, b]\nc: *x\n",
            Ok(vec![Node::Map(vec![
                (scalar("a"), Node::Seq(vec![scalar("1.0"), scalar("b")])),
                (scalar("c"), Node::Seq(vec![scalar("1.0"), scalar("b")])),
            ])]),
        );
    }

    #[test]
    fn tagged_scalars_keep_their_text() {
        check(
            "a: !!str 2.10\n",
            Ok(vec![Node::Map(vec![(scalar("a"), scalar("2.10"))])]),
        );
    }

    #[test]
    fn every_document_is_read() {
        check(
            "---\na: 1\n...\n---\nb: 2\n...\n",
            Ok(vec![
                Node::Map(vec![(scalar("a"), scalar("1"))]),
                Node::Map(vec![(scalar("b"), scalar("2"))]),
            ]),
        );
    }

    #[test]
    fn integers_beyond_64_bits_keep_their_text() {
        check(
            "a: 18446744073709551616\n",
            Ok(vec![Node::Map(vec![(
                scalar("a"),
                scalar("18446744073709551616"),
            )])]),
        );
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        check(
            "a: 1\na: 2\n",
            Ok(vec![Node::Map(vec![
                (scalar("a"), scalar("1")),
                (scalar("a"), scalar("2")),
            ])]),
        );
    }

    #[test]
    fn custom_tags_are_ignored() {
        check(
            "a: !foo bar\n",
            Ok(vec![Node::Map(vec![(scalar("a"), scalar("bar"))])]),
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        check("a: [1, 2\n", Err(""));
    }
}
