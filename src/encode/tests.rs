use serde_json::{json, Value};

use super::*;
use crate::decode::test_support::{all_case_names, load_case};
use crate::decode::Decoder;

/// Every fixture payload written by an independent encoder (fastavro, python-protobuf,
/// struct, json) that decodes without notes is written back byte for byte from the value
/// the decoder shows.
#[test]
fn decoded_fixtures_encode_back_to_the_same_bytes() {
    let mut checked = 0;
    let mut skipped = Vec::new();
    for name in all_case_names() {
        let case = load_case(&name);
        let Some(info) = &case.info else { continue };
        let Ok(decoder) = Decoder::new(info) else { continue };
        let out = decoder.decode(&case.payload, case.key.as_deref());
        if !out.is_ok() || !out.notes.is_empty() {
            continue;
        }
        let encoder = match Encoder::new(Some(info)) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(format!("{name}: {e}"));
                continue;
            }
        };
        let enc = encoder.encode(&out.value).unwrap_or_else(|e| panic!("{name}: {e} (value {})", out.value));
        let json_inside = info.schema_type == SchemaType::Json
            || out.kind == crate::decode::ValueKind::Json
            || info.properties.values().any(|v| v == "JSON");
        if json_inside {
            // JSON text: equal as decoded (whitespace is the writer's)
            let again = decoder.decode(&enc.payload, enc.key.as_deref().or(case.key.as_deref()));
            assert_eq!(again.value, out.value, "{name}");
        } else if enc.payload != case.payload && info.data.contains("\"map\"") {
            // an Avro map's entries in another order (apache-avro holds a map in a HashMap)
            assert_eq!(enc.payload.len(), case.payload.len(), "{name}");
            assert_eq!(decoder.decode(&enc.payload, None).value, out.value, "{name}");
        } else {
            assert_eq!(enc.payload, case.payload, "{name}: value {}", out.value);
            assert_eq!(enc.key, case.key, "{name}: key");
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} fixtures were checked; skipped: {skipped:?}");
    // only the legacy PROTOBUF schema may be refused
    assert!(skipped.iter().all(|s| s.contains("PROTOBUF (the legacy")), "{skipped:?}");
}

fn avro(schema: &str) -> Encoder {
    let info = SchemaInfo {
        schema_type: SchemaType::Avro,
        version: Some(0),
        timestamp_ms: None,
        data: schema.to_string(),
        properties: Default::default(),
    };
    Encoder::new(Some(&info)).expect("schema")
}

const ORDER: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"id","type":"string"},
  {"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
     {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}
]}"#;

#[test]
fn avro_errors_point_at_the_field() {
    let e = avro(ORDER);
    let bad = json!({"id": "o-1", "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}, {"sku": "c", "qty": "3"}],
                     "at": 0, "price": "1.00"});
    assert_eq!(e.encode(&bad).unwrap_err().to_string(), r#"$.items[2].qty: expected int, got "3""#);
    let missing = json!({"id": "o-1", "items": [], "price": "1.00"});
    assert_eq!(e.encode(&missing).unwrap_err().to_string(), "$.at: missing (the field has no default)");
    let extra = json!({"id": "o-1", "items": [], "at": 1, "price": "1", "colour": "red"});
    assert_eq!(e.encode(&extra).unwrap_err().path, "$.colour");
    let precise = json!({"id": "o-1", "items": [], "at": 1, "price": "1.001"});
    assert_eq!(e.encode(&precise).unwrap_err().path, "$.price");
    let big = json!({"id": "o-1", "items": [{"sku": "a", "qty": 3_000_000_000u64}], "at": 1, "price": "1"});
    assert_eq!(e.encode(&big).unwrap_err().path, "$.items[0].qty");
}

#[test]
fn avro_round_trips_through_the_decoder() {
    let e = avro(ORDER);
    let info = SchemaInfo {
        schema_type: SchemaType::Avro,
        version: None,
        timestamp_ms: None,
        data: ORDER.into(),
        properties: Default::default(),
    };
    let d = Decoder::new(&info).expect("schema");
    let v = json!({"id": "o-1", "items": [{"sku": "a", "qty": 1}], "note": "hi",
                   "at": "2026-12-04T01:02:03.456Z", "price": "-12.50"});
    let out = d.decode(&e.encode(&v).expect("encodes").payload, None);
    assert_eq!(
        out.value,
        json!({"id": "o-1", "items": [{"sku": "a", "qty": 1}], "note": "hi",
                                 "at": "2026-12-04T01:02:03.456Z", "price": "-12.50"})
    );
    // the note is optional; the Avro JSON union form is read too
    let v = json!({"id": "o-2", "items": [], "at": 5, "price": 3});
    assert_eq!(d.decode(&e.encode(&v).expect("encodes").payload, None).value["note"], Value::Null);
    let v = json!({"id": "o-2", "items": [], "note": {"string": "x"}, "at": 5, "price": "3"});
    assert_eq!(d.decode(&e.encode(&v).expect("encodes").payload, None).value["note"], "x");
}

#[test]
fn json_schema_validates_and_writes_the_text() {
    let info = SchemaInfo {
        schema_type: SchemaType::Json,
        version: Some(0),
        timestamp_ms: None,
        data: r#"{"type":"record","name":"U","fields":[{"name":"name","type":"string"},{"name":"age","type":["null","int"]}]}"#.into(),
        properties: Default::default(),
    };
    let e = Encoder::new(Some(&info)).expect("schema");
    let ok = e.encode(&json!({"name": "a", "age": 3})).expect("valid");
    assert_eq!(ok.payload, br#"{"name":"a","age":3}"#);
    assert_eq!(e.encode(&json!({"name": 1})).unwrap_err().to_string(), "$.name: expected string, got 1");
    assert_eq!(e.encode(&json!({"name": "a", "age": "x"})).unwrap_err().path, "$.age");
}

#[test]
fn primitives() {
    let enc = |t: SchemaType, v: Value| {
        let info = SchemaInfo {
            schema_type: t,
            version: None,
            timestamp_ms: None,
            data: String::new(),
            properties: Default::default(),
        };
        Encoder::new(Some(&info)).expect("primitive").encode(&v).map(|e| e.payload)
    };
    assert_eq!(enc(SchemaType::Int32, json!(-2)).unwrap(), (-2i32).to_be_bytes());
    assert_eq!(enc(SchemaType::Int8, json!(300)).unwrap_err().to_string(), "$: expected int8, got 300");
    assert_eq!(enc(SchemaType::Int64, json!("3")).unwrap_err().to_string(), r#"$: expected int64, got "3""#);
    assert_eq!(enc(SchemaType::Boolean, json!(true)).unwrap(), [1]);
    assert_eq!(enc(SchemaType::Double, json!("NaN")).unwrap(), f64::NAN.to_be_bytes());
    assert_eq!(enc(SchemaType::String, json!("é")).unwrap(), "é".as_bytes());
    assert_eq!(enc(SchemaType::Timestamp, json!("1970-01-01T00:00:01.5Z")).unwrap(), 1500i64.to_be_bytes());
    assert_eq!(enc(SchemaType::LocalDate, json!("1970-01-11")).unwrap(), 10i64.to_be_bytes());
    let mut instant = 1i64.to_be_bytes().to_vec();
    instant.extend_from_slice(&7i32.to_be_bytes());
    assert_eq!(enc(SchemaType::Instant, json!("1970-01-01T00:00:01.000000007Z")).unwrap(), instant);
    let legacy = SchemaInfo {
        schema_type: SchemaType::Protobuf,
        version: None,
        timestamp_ms: None,
        data: String::new(),
        properties: Default::default(),
    };
    assert_eq!(Encoder::new(Some(&legacy)).unwrap_err().path, "schema");
}

#[test]
fn key_value_inline_and_separated() {
    let kv = |encoding: &str| {
        let mut properties = std::collections::BTreeMap::new();
        properties.insert("key.schema.type".to_string(), "STRING".to_string());
        properties.insert("value.schema.type".to_string(), "INT32".to_string());
        properties.insert("kv.encoding.type".to_string(), encoding.to_string());
        let info = SchemaInfo {
            schema_type: SchemaType::KeyValue,
            version: None,
            timestamp_ms: None,
            data: r#"{"key":"","value":""}"#.into(),
            properties,
        };
        Encoder::new(Some(&info)).expect("kv")
    };
    let inline = kv("INLINE").encode(&json!({"key": "k", "value": 7})).expect("encodes");
    assert_eq!(inline.payload, [0, 0, 0, 1, b'k', 0, 0, 0, 4, 0, 0, 0, 7]);
    let null_key = kv("INLINE").encode(&json!({"key": null, "value": 7})).expect("encodes");
    assert_eq!(&null_key.payload[..4], &[0xff; 4]);
    let sep = kv("SEPARATED").encode(&json!({"key": "k", "value": 7})).expect("encodes");
    assert_eq!((sep.payload.as_slice(), sep.key_b64().as_deref()), (&[0, 0, 0, 7][..], Some("aw==")));
    assert_eq!(kv("INLINE").encode(&json!({"key": "k", "value": "7"})).unwrap_err().path, "$.value");
}

#[test]
fn raw_forms() {
    assert_eq!(raw_payload("0x00 ff", RawForm::Hex).unwrap(), [0, 255]);
    assert!(raw_payload("abc", RawForm::Hex).is_err());
    assert_eq!(raw_payload("AP8=", RawForm::Base64).unwrap(), [0, 255]);
    assert_eq!(raw_payload("hé", RawForm::Text).unwrap(), "hé".as_bytes());
    let none = Encoder::new(None).expect("schemaless");
    assert_eq!(none.encode(&json!("text")).unwrap().payload, b"text");
    assert_eq!(none.encode(&json!({"a": 1})).unwrap().payload, br#"{"a":1}"#);
}
