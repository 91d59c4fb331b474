//! Schema metadata as served by the Pulsar admin REST API.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use super::error::DecodeError;

/// A Pulsar schema type, as named by the admin REST API (`"AVRO"`,
/// `"PROTOBUF_NATIVE"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaType {
    /// `NONE`: no schema, raw bytes.
    None,
    /// `STRING`: UTF-8 text.
    String,
    /// `JSON`: JSON text, described by an Avro-style record schema.
    Json,
    /// `PROTOBUF`: legacy protobuf; the schema is an Avro schema derived from
    /// the message, plus a `__PARSING_INFO__` property.
    Protobuf,
    /// `AVRO`: a raw Avro binary datum.
    Avro,
    /// `BOOLEAN`: one byte, non-zero is true.
    Boolean,
    /// `INT8`: one signed byte.
    Int8,
    /// `INT16`: 2 bytes, big-endian.
    Int16,
    /// `INT32`: 4 bytes, big-endian.
    Int32,
    /// `INT64`: 8 bytes, big-endian.
    Int64,
    /// `FLOAT`: 4-byte IEEE 754, big-endian.
    Float,
    /// `DOUBLE`: 8-byte IEEE 754, big-endian.
    Double,
    /// `DATE`: `java.util.Date`, 8-byte big-endian epoch millis.
    Date,
    /// `TIME`: `java.sql.Time`, 8-byte big-endian millis.
    Time,
    /// `TIMESTAMP`: `java.sql.Timestamp`, 8-byte big-endian epoch millis.
    Timestamp,
    /// `KEY_VALUE`: a key schema and a value schema.
    KeyValue,
    /// `BYTES`: raw bytes.
    Bytes,
    /// `AUTO`: deprecated auto schema.
    Auto,
    /// `AUTO_CONSUME`: consumer-side auto schema.
    AutoConsume,
    /// `AUTO_PUBLISH`: producer-side auto schema.
    AutoPublish,
    /// `PROTOBUF_NATIVE`: protobuf with a serialized `FileDescriptorSet`.
    ProtobufNative,
    /// `INSTANT`: 8-byte epoch seconds + 4-byte nanos, big-endian.
    Instant,
    /// `LOCAL_DATE`: 8-byte big-endian epoch day.
    LocalDate,
    /// `LOCAL_TIME`: 8-byte big-endian nano of day.
    LocalTime,
    /// `LOCAL_DATE_TIME`: 8-byte epoch day + 8-byte nano of day, big-endian.
    LocalDateTime,
}

const ALL_TYPES: [SchemaType; 25] = [
    SchemaType::None,
    SchemaType::String,
    SchemaType::Json,
    SchemaType::Protobuf,
    SchemaType::Avro,
    SchemaType::Boolean,
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float,
    SchemaType::Double,
    SchemaType::Date,
    SchemaType::Time,
    SchemaType::Timestamp,
    SchemaType::KeyValue,
    SchemaType::Bytes,
    SchemaType::Auto,
    SchemaType::AutoConsume,
    SchemaType::AutoPublish,
    SchemaType::ProtobufNative,
    SchemaType::Instant,
    SchemaType::LocalDate,
    SchemaType::LocalTime,
    SchemaType::LocalDateTime,
];

impl SchemaType {
    /// Every schema type, in Pulsar's declaration order.
    pub const ALL: &'static [SchemaType] = &ALL_TYPES;

    /// Parses a REST type name such as `"PROTOBUF_NATIVE"` (ASCII
    /// case-insensitive). Returns `None` for unknown names.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.iter().copied().find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The REST type name, e.g. `"LOCAL_DATE_TIME"`.
    pub fn name(&self) -> &'static str {
        match self {
            SchemaType::None => "NONE",
            SchemaType::String => "STRING",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Avro => "AVRO",
            SchemaType::Boolean => "BOOLEAN",
            SchemaType::Int8 => "INT8",
            SchemaType::Int16 => "INT16",
            SchemaType::Int32 => "INT32",
            SchemaType::Int64 => "INT64",
            SchemaType::Float => "FLOAT",
            SchemaType::Double => "DOUBLE",
            SchemaType::Date => "DATE",
            SchemaType::Time => "TIME",
            SchemaType::Timestamp => "TIMESTAMP",
            SchemaType::KeyValue => "KEY_VALUE",
            SchemaType::Bytes => "BYTES",
            SchemaType::Auto => "AUTO",
            SchemaType::AutoConsume => "AUTO_CONSUME",
            SchemaType::AutoPublish => "AUTO_PUBLISH",
            SchemaType::ProtobufNative => "PROTOBUF_NATIVE",
            SchemaType::Instant => "INSTANT",
            SchemaType::LocalDate => "LOCAL_DATE",
            SchemaType::LocalTime => "LOCAL_TIME",
            SchemaType::LocalDateTime => "LOCAL_DATE_TIME",
        }
    }
}

impl std::fmt::Display for SchemaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One schema version of a topic, as returned by
/// `GET /admin/v2/schemas/{tenant}/{ns}/{topic}/schema[/{version}]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    /// The schema type.
    pub schema_type: SchemaType,
    /// The schema version (equals the 8-byte `schema_version` carried by
    /// messages); `None` for user-supplied overrides.
    pub version: Option<i64>,
    /// When the version was registered (epoch millis), if known.
    pub timestamp_ms: Option<i64>,
    /// The schema definition: Avro JSON for AVRO/JSON/PROTOBUF, the
    /// descriptor JSON for PROTOBUF_NATIVE, `{"key":..,"value":..}` for
    /// KEY_VALUE, usually empty for primitives.
    pub data: String,
    /// Schema properties (`__PARSING_INFO__`, `kv.encoding.type`, ...).
    pub properties: BTreeMap<String, String>,
}

fn json_to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn json_to_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl SchemaInfo {
    /// Parses one `GetSchemaResponse` object:
    /// `{"version":2,"type":"AVRO","timestamp":..,"data":"..","properties":{..}}`.
    ///
    /// `type` is required; `data` may be absent/null (treated as empty) or,
    /// leniently, an inline JSON object (re-serialized to a string).
    /// Non-string property values are stringified.
    pub fn from_admin_json(v: &Value) -> Result<SchemaInfo, DecodeError> {
        let obj =
            v.as_object().ok_or_else(|| DecodeError::InvalidSchema("schema response is not a JSON object".into()))?;
        let type_name = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| DecodeError::InvalidSchema("schema response has no \"type\"".into()))?;
        let schema_type = SchemaType::from_name(type_name)
            .ok_or_else(|| DecodeError::InvalidSchema(format!("unknown schema type {type_name:?}")))?;
        let version = obj.get("version").and_then(json_to_i64);
        let timestamp_ms = obj.get("timestamp").and_then(json_to_i64);
        let data = obj.get("data").map(json_to_string).unwrap_or_default();
        let mut properties = BTreeMap::new();
        match obj.get("properties") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    properties.insert(k.clone(), json_to_string(v));
                }
            }
            Some(_) => return Err(DecodeError::InvalidSchema("schema \"properties\" is not an object".into())),
        }
        Ok(SchemaInfo { schema_type, version, timestamp_ms, data, properties })
    }

    /// A user-supplied Avro schema (`.avsc` file text) for "decode as…".
    ///
    /// The text is checked to be a parseable Avro schema.
    pub fn from_avsc(text: &str) -> Result<SchemaInfo, DecodeError> {
        super::avro::parse_schema(text)?;
        Ok(SchemaInfo {
            schema_type: SchemaType::Avro,
            version: None,
            timestamp_ms: None,
            data: text.to_string(),
            properties: BTreeMap::new(),
        })
    }

    /// A user-supplied protobuf `FileDescriptorSet` (e.g. from
    /// `protoc --include_imports --descriptor_set_out=x.desc`) and the fully
    /// qualified root message name (`"pkg.Msg"`, a leading `.` is accepted),
    /// for "decode as…". Produces a `PROTOBUF_NATIVE` schema whose `data` has
    /// the same shape Pulsar stores.
    pub fn from_descriptor_set(bytes: &[u8], root_message: &str) -> Result<SchemaInfo, DecodeError> {
        let root = root_message.trim().trim_start_matches('.');
        let pool = prost_reflect::DescriptorPool::decode(bytes)
            .map_err(|e| DecodeError::InvalidSchema(format!("descriptor set: {e}")))?;
        let msg = pool
            .get_message_by_name(root)
            .ok_or_else(|| DecodeError::InvalidSchema(format!("message {root:?} not found in descriptor set")))?;
        let file_name = msg.parent_file().name().to_string();
        let data = serde_json::json!({
            "fileDescriptorSet": base64::engine::general_purpose::STANDARD.encode(bytes),
            "rootMessageTypeName": root,
            "rootFileDescriptorName": file_name,
        });
        Ok(SchemaInfo {
            schema_type: SchemaType::ProtobufNative,
            version: None,
            timestamp_ms: None,
            data: data.to_string(),
            properties: BTreeMap::new(),
        })
    }
}

/// Parses the response of `GET /admin/v2/schemas/{tenant}/{ns}/{topic}/schemas`:
/// `{"getSchemaResponses":[...]}`. A bare JSON array of responses is accepted
/// too. Fails on the first malformed entry.
pub fn parse_schema_list(v: &Value) -> Result<Vec<SchemaInfo>, DecodeError> {
    let list = match v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("getSchemaResponses") {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => return Ok(Vec::new()),
            Some(_) => return Err(DecodeError::InvalidSchema("\"getSchemaResponses\" is not an array".into())),
        },
        _ => return Err(DecodeError::InvalidSchema("schema list is not a JSON object".into())),
    };
    list.iter().map(SchemaInfo::from_admin_json).collect()
}

/// Reads a message's `schema_version` field: exactly 8 bytes, big-endian
/// i64 (Pulsar ≥ 2.4). Anything else yields `None`.
pub fn schema_version_from_bytes(b: &[u8]) -> Option<i64> {
    let arr: [u8; 8] = b.try_into().ok()?;
    Some(i64::from_be_bytes(arr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{fixture_bytes, fixture_json};

    #[test]
    fn type_names_round_trip() {
        for t in SchemaType::ALL {
            assert_eq!(SchemaType::from_name(t.name()), Some(*t));
        }
        assert_eq!(SchemaType::ALL.len(), 25);
        assert_eq!(SchemaType::from_name("protobuf_native"), Some(SchemaType::ProtobufNative));
        assert_eq!(SchemaType::from_name("NOPE"), None);
    }

    #[test]
    fn admin_json_fixture() {
        let v = fixture_json("order_v2.schema.json");
        let info = SchemaInfo::from_admin_json(&v).unwrap();
        assert_eq!(info.schema_type, SchemaType::Avro);
        assert_eq!(info.version, Some(1));
        assert_eq!(info.timestamp_ms, Some(1_700_000_000_001));
        assert!(info.data.contains("currency"));
        assert!(info.properties.is_empty());

        let v = fixture_json("protobuf_legacy_person.schema.json");
        let info = SchemaInfo::from_admin_json(&v).unwrap();
        assert_eq!(info.schema_type, SchemaType::Protobuf);
        assert!(info.properties.contains_key("__PARSING_INFO__"));
    }

    #[test]
    fn admin_json_errors() {
        for bad in [
            serde_json::json!([]),
            serde_json::json!({"data": ""}),
            serde_json::json!({"type": "WHAT"}),
            serde_json::json!({"type": "AVRO", "properties": 3}),
        ] {
            assert!(matches!(SchemaInfo::from_admin_json(&bad), Err(DecodeError::InvalidSchema(_))));
        }
        // lenient: missing data / version, inline object data, numeric property
        let v = serde_json::json!({"type": "AVRO", "data": {"type": "string"}, "properties": {"a": 1}});
        let info = SchemaInfo::from_admin_json(&v).unwrap();
        assert_eq!(info.data, r#"{"type":"string"}"#);
        assert_eq!(info.version, None);
        assert_eq!(info.properties.get("a").map(String::as_str), Some("1"));
    }

    #[test]
    fn schema_list_fixture() {
        let v = fixture_json("order_schemas.json");
        let list = parse_schema_list(&v).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].version, Some(0));
        assert_eq!(list[1].version, Some(1));
        assert!(!list[0].data.contains("currency"));
        assert!(list[1].data.contains("currency"));
        assert!(parse_schema_list(&serde_json::json!({"getSchemaResponses": 1})).is_err());
        assert!(parse_schema_list(&serde_json::json!({})).unwrap().is_empty());
    }

    #[test]
    fn schema_version_bytes() {
        // written by Python's struct.pack(">q", 1)
        assert_eq!(schema_version_from_bytes(&fixture_bytes("schema_version.bin")), Some(1));
        assert_eq!(schema_version_from_bytes(&[0xff; 8]), Some(-1));
        assert_eq!(schema_version_from_bytes(&[0; 7]), None);
        assert_eq!(schema_version_from_bytes(&[0; 9]), None);
        assert_eq!(schema_version_from_bytes(&[]), None);
    }

    #[test]
    fn avsc_and_descriptor_overrides() {
        let text = String::from_utf8(fixture_bytes("everything.avsc")).unwrap();
        let info = SchemaInfo::from_avsc(&text).unwrap();
        assert_eq!(info.schema_type, SchemaType::Avro);
        assert!(SchemaInfo::from_avsc("{nope").is_err());

        let desc = fixture_bytes("person.desc");
        let info = SchemaInfo::from_descriptor_set(&desc, ".pulsar.test.Person").unwrap();
        assert_eq!(info.schema_type, SchemaType::ProtobufNative);
        let data: Value = serde_json::from_str(&info.data).unwrap();
        assert_eq!(data["rootMessageTypeName"], "pulsar.test.Person");
        assert_eq!(data["rootFileDescriptorName"], "test.proto");
        assert!(SchemaInfo::from_descriptor_set(&desc, "pulsar.test.Nope").is_err());
        assert!(SchemaInfo::from_descriptor_set(b"\x0a\xff\xff", "x.Y").is_err());
    }
}
