//! KEY_VALUE: `{"key": k, "value": v}`, each side with its own schema (read from the
//! schema's properties as `decode::key_value` reads them), INLINE or SEPARATED.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::path::{EncodeError, Path};
use super::{Encoded, Encoder};
use crate::decode::{SchemaInfo, SchemaType};

/// KEY_VALUE inside KEY_VALUE at most this deep.
const MAX_NESTING: usize = 4;

#[derive(Debug, Clone)]
pub(crate) struct KvEncoder {
    key: Encoder,
    value: Encoder,
    separated: bool,
}

/// One side's schema: its type and properties from `<side>.schema.type` /
/// `<side>.schema.properties`, its definition from `data[side]` (BYTES when unnamed).
fn side_info(info: &SchemaInfo, spec: &Map<String, Value>, side: &str) -> Result<SchemaInfo, EncodeError> {
    let type_prop = format!("{side}.schema.type");
    let schema_type = match info.properties.get(&type_prop).map(|s| s.trim()) {
        None | Some("") => SchemaType::Bytes,
        Some(name) => SchemaType::from_name(name)
            .ok_or_else(|| EncodeError::schema(format!("{type_prop}: unknown schema type {name:?}")))?,
    };
    let data = match spec.get(side) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut properties = BTreeMap::new();
    if let Some(Ok(Value::Object(map))) =
        info.properties.get(&format!("{side}.schema.properties")).map(|t| serde_json::from_str::<Value>(t))
    {
        for (k, v) in map {
            properties.insert(k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
    }
    Ok(SchemaInfo { schema_type, version: info.version, timestamp_ms: info.timestamp_ms, data, properties })
}

impl KvEncoder {
    pub(crate) fn new(info: &SchemaInfo, depth: usize) -> Result<KvEncoder, EncodeError> {
        if depth >= MAX_NESTING {
            return Err(EncodeError::schema("KEY_VALUE nested too deeply"));
        }
        let spec = match serde_json::from_str::<Value>(&info.data) {
            _ if info.data.trim().is_empty() => Map::new(),
            Ok(Value::Object(m)) => m,
            _ => return Err(EncodeError::schema("KEY_VALUE schema data is not a JSON object")),
        };
        let separated = match info.properties.get("kv.encoding.type").map(|s| s.trim().to_ascii_uppercase()) {
            None => false,
            Some(s) if s.is_empty() || s == "INLINE" => false,
            Some(s) if s == "SEPARATED" => true,
            Some(other) => return Err(EncodeError::schema(format!("unknown kv.encoding.type {other:?}"))),
        };
        let prefix = |side: &str, e: EncodeError| EncodeError::schema(format!("{side} schema: {}", e.message));
        let key = Encoder::nested(&side_info(info, &spec, "key")?, depth + 1).map_err(|e| prefix("key", e))?;
        let value = Encoder::nested(&side_info(info, &spec, "value")?, depth + 1).map_err(|e| prefix("value", e))?;
        Ok(KvEncoder { key, value, separated })
    }

    pub(crate) fn encode(&self, v: &Value) -> Result<Encoded, EncodeError> {
        let path = Path::default();
        let obj = v.as_object().ok_or_else(|| path.expected("{\"key\": …, \"value\": …}", v))?;
        if let Some(extra) = obj.keys().find(|k| *k != "key" && *k != "value") {
            return Err(EncodeError::at(format!("$.{extra}"), "a KEY_VALUE value has only \"key\" and \"value\""));
        }
        let side = |name: &str, enc: &Encoder| -> Result<Option<Vec<u8>>, EncodeError> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => enc
                    .encode(x)
                    .map(|e| Some(e.payload))
                    .map_err(|e| EncodeError::at(e.path.replacen('$', &format!("$.{name}"), 1), e.message)),
            }
        };
        let key = side("key", &self.key)?;
        let value = side("value", &self.value)?;
        if self.separated {
            return Ok(Encoded { payload: value.unwrap_or_default(), key });
        }
        let mut payload = Vec::new();
        for part in [key, value] {
            match part {
                None => payload.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(b) => {
                    let len = i32::try_from(b.len()).map_err(|_| EncodeError::at("$", "a side over 2 GiB"))?;
                    payload.extend_from_slice(&len.to_be_bytes());
                    payload.extend_from_slice(&b);
                }
            }
        }
        Ok(Encoded { payload, key: None })
    }
}
