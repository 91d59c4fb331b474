//! PROTOBUF_NATIVE: the canonical protobuf JSON mapping (what `decode` shows) read into a
//! `prost-reflect` dynamic message and encoded by it. `prost-reflect`'s error does not say
//! where the value is wrong, so a failed value is walked along the descriptor to find the
//! field ([`locate`]).

use base64::Engine as _;
use prost_reflect::prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value;

use super::path::{EncodeError, Path};

#[derive(Debug, Clone)]
pub(crate) struct ProtoEncoder {
    desc: MessageDescriptor,
}

impl ProtoEncoder {
    /// `data`: `{"fileDescriptorSet": "<base64>", "rootMessageTypeName": "pkg.Msg", …}`.
    pub(crate) fn new(data: &str) -> Result<ProtoEncoder, EncodeError> {
        let spec: Value = serde_json::from_str(data)
            .map_err(|e| EncodeError::schema(format!("PROTOBUF_NATIVE schema data is not JSON: {e}")))?;
        let fds = spec
            .get("fileDescriptorSet")
            .and_then(Value::as_str)
            .ok_or_else(|| EncodeError::schema("PROTOBUF_NATIVE schema data has no fileDescriptorSet"))?;
        let root = spec
            .get("rootMessageTypeName")
            .and_then(Value::as_str)
            .ok_or_else(|| EncodeError::schema("PROTOBUF_NATIVE schema data has no rootMessageTypeName"))?;
        let cleaned: String = fds.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&cleaned)
            .map_err(|e| EncodeError::schema(format!("fileDescriptorSet is not base64: {e}")))?;
        let pool = DescriptorPool::decode(bytes.as_slice())
            .map_err(|e| EncodeError::schema(format!("descriptor set: {e}")))?;
        let root = root.trim().trim_start_matches('.');
        let desc = pool
            .get_message_by_name(root)
            .ok_or_else(|| EncodeError::schema(format!("message {root:?} not found in the descriptor set")))?;
        Ok(ProtoEncoder { desc })
    }

    pub(crate) fn encode(&self, v: &Value) -> Result<Vec<u8>, EncodeError> {
        match DynamicMessage::deserialize(self.desc.clone(), v) {
            Ok(m) => Ok(m.encode_to_vec()),
            Err(e) => {
                let mut path = Path::default();
                Err(locate(&self.desc, v, &mut path, 0)
                    .err()
                    .unwrap_or_else(|| EncodeError::at("$", format!("protobuf: {e}"))))
            }
        }
    }
}

/// Finds the first field whose value cannot be the field's type.
fn locate(desc: &MessageDescriptor, v: &Value, path: &mut Path, depth: usize) -> Result<(), EncodeError> {
    if depth > 64 || desc.full_name().starts_with("google.protobuf.") {
        return Ok(());
    }
    let obj = v.as_object().ok_or_else(|| path.expected(&format!("object (message {})", desc.name()), v))?;
    for (k, x) in obj {
        path.field(k);
        let field = desc.get_field_by_name(k).or_else(|| desc.get_field_by_json_name(k));
        let Some(field) = field else {
            return Err(path.err(format!("no such field in message {}", desc.name())));
        };
        check_field(&field, x, path, depth)?;
        path.pop();
    }
    Ok(())
}

fn check_field(field: &FieldDescriptor, x: &Value, path: &mut Path, depth: usize) -> Result<(), EncodeError> {
    if x.is_null() {
        return Ok(());
    }
    if field.is_map() {
        let obj = x.as_object().ok_or_else(|| path.expected("object (map)", x))?;
        if let Kind::Message(entry) = field.kind() {
            let value_kind = entry.map_entry_value_field().kind();
            for (k, item) in obj {
                path.field(k);
                check_kind(&value_kind, item, path, depth)?;
                path.pop();
            }
        }
        return Ok(());
    }
    if field.is_list() {
        let items = x.as_array().ok_or_else(|| path.expected("array", x))?;
        for (i, item) in items.iter().enumerate() {
            path.index(i);
            check_kind(&field.kind(), item, path, depth)?;
            path.pop();
        }
        return Ok(());
    }
    check_kind(&field.kind(), x, path, depth)
}

fn check_kind(kind: &Kind, x: &Value, path: &mut Path, depth: usize) -> Result<(), EncodeError> {
    let integral = |what: &str, lo: i128, hi: i128| -> Result<(), EncodeError> {
        let n: Option<i128> = match x {
            Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.filter(|n| (lo..=hi).contains(n)).map(|_| ()).ok_or_else(|| path.expected(what, x))
    };
    match kind {
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => integral("int32", i32::MIN.into(), i32::MAX.into()),
        Kind::Uint32 | Kind::Fixed32 => integral("uint32", 0, u32::MAX.into()),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => integral("int64", i64::MIN.into(), i64::MAX.into()),
        Kind::Uint64 | Kind::Fixed64 => integral("uint64", 0, u64::MAX.into()),
        Kind::Float | Kind::Double => match x {
            Value::Number(_) => Ok(()),
            Value::String(s)
                if s.trim().parse::<f64>().is_ok() || ["NaN", "Infinity", "-Infinity"].contains(&s.as_str()) =>
            {
                Ok(())
            }
            _ => Err(path.expected("number", x)),
        },
        Kind::Bool => x.as_bool().map(|_| ()).ok_or_else(|| path.expected("boolean", x)),
        Kind::String => x.as_str().map(|_| ()).ok_or_else(|| path.expected("string", x)),
        Kind::Bytes => match x.as_str().map(|s| base64::engine::general_purpose::STANDARD.decode(s)) {
            Some(Ok(_)) => Ok(()),
            _ => Err(path.expected("bytes (base64 string)", x)),
        },
        Kind::Enum(e) => {
            let known = match x {
                Value::String(s) => e.get_value_by_name(s).is_some(),
                Value::Number(n) => n.as_i64().is_some(),
                _ => false,
            };
            let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
            if known {
                Ok(())
            } else {
                Err(path.expected(&format!("one of {names:?}"), x))
            }
        }
        Kind::Message(m) => locate(m, x, path, depth + 1),
    }
}
