//! "Decode as…": the user's choice of decoder for a topic, over its registry schema.
//! Parsing the choice is pure; the files it names are read by the I/O layer
//! (`crate::pulsar::schemas::forced_decoder`).

use std::fmt;
use std::path::PathBuf;

use super::SchemaType;

/// A decoder the user forces on a topic's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeAs {
    /// A schema type that needs no definition: `string`, `bytes` (JSON / text / hex
    /// detection), `int32`, `double`, `timestamp`, ...
    Type(SchemaType),
    /// A raw Avro datum, with the schema of an `.avsc` file.
    Avro(PathBuf),
    /// A protobuf message of a `FileDescriptorSet` file (`protoc --include_imports
    /// --descriptor_set_out=x.desc`).
    Proto { descriptor_set: PathBuf, message: String },
}

impl DecodeAs {
    /// `auto` (back to the registry: `None`), a type name, `avro FILE.avsc`, or
    /// `proto FILE.desc pkg.Message`.
    pub fn parse(s: &str) -> Result<Option<DecodeAs>, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let usage = "decode as: auto | string | bytes | json | int8..int64 | float | double | boolean | \
                     date | time | timestamp | avro FILE.avsc | proto FILE.desc pkg.Message";
        match words.as_slice() {
            [] => Err(usage.into()),
            ["auto"] => Ok(None),
            ["avro", file] => Ok(Some(DecodeAs::Avro(PathBuf::from(file)))),
            ["proto" | "protobuf", file, message] => {
                Ok(Some(DecodeAs::Proto { descriptor_set: PathBuf::from(file), message: message.to_string() }))
            }
            ["avro", ..] => Err("avro needs one .avsc file: avro FILE.avsc".into()),
            ["proto" | "protobuf", ..] => {
                Err("proto needs a descriptor set and a message: proto FILE.desc pkg.Msg".into())
            }
            // JSON without a definition: the schemaless decoder shows any JSON document
            ["json"] => Ok(Some(DecodeAs::Type(SchemaType::Bytes))),
            [name] => match SchemaType::from_name(&name.to_ascii_uppercase()) {
                Some(
                    t @ (SchemaType::Avro
                    | SchemaType::Json
                    | SchemaType::Protobuf
                    | SchemaType::ProtobufNative
                    | SchemaType::KeyValue),
                ) => Err(format!("{t} needs a schema: {usage}")),
                Some(t) => Ok(Some(DecodeAs::Type(t))),
                None => Err(format!("unknown decoder {name:?}; {usage}")),
            },
            _ => Err(usage.into()),
        }
    }
}

impl fmt::Display for DecodeAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeAs::Type(t) => write!(f, "{t}"),
            DecodeAs::Avro(p) => write!(f, "avro {}", p.display()),
            DecodeAs::Proto { descriptor_set, message } => write!(f, "proto {} {message}", descriptor_set.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_or_say_what_is_possible() {
        assert_eq!(DecodeAs::parse("auto").unwrap(), None);
        assert_eq!(DecodeAs::parse("string").unwrap(), Some(DecodeAs::Type(SchemaType::String)));
        assert_eq!(DecodeAs::parse(" INT64 ").unwrap(), Some(DecodeAs::Type(SchemaType::Int64)));
        assert_eq!(DecodeAs::parse("json").unwrap(), Some(DecodeAs::Type(SchemaType::Bytes)));
        assert_eq!(DecodeAs::parse("avro /x/o.avsc").unwrap(), Some(DecodeAs::Avro("/x/o.avsc".into())));
        assert_eq!(
            DecodeAs::parse("proto t.desc it.Ticket").unwrap(),
            Some(DecodeAs::Proto { descriptor_set: "t.desc".into(), message: "it.Ticket".into() })
        );
        for bad in ["", "avro", "proto x.desc", "blob", "key_value", "avro a b"] {
            assert!(DecodeAs::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DecodeAs::parse("nope").unwrap_err().contains("avro FILE.avsc"));
    }
}
