//! Arbitrary bytes as a schema registry answer (one `GetSchemaResponse`, or a
//! list of them): parsing and compiling must never panic, and a schema that
//! compiles must decode a few fixed payloads without panicking.
//!
//! Inputs that are not JSON are also tried as the `data` of every schema type
//! (with the KEY_VALUE and legacy-protobuf properties pointing at it), so the
//! fuzzer reaches the Avro, JSON and descriptor parsers without having to
//! produce the JSON quoting first.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use pulsar_tui::decode::{diff, parse_schema_list, Decoder, SchemaInfo, SchemaType};

const PAYLOADS: &[&[u8]] = &[
    b"",
    b"\x00",
    b"\x02\x04ab\x06\x00\x00\x00\x00\x00\x00\xf0?",
    b"{\"a\":1,\"b\":[true,null]}",
    b"\x0a\x03bob\x10\x2a",
    b"\x00\x00\x00\x02\x02\x04\x00\x00\x00\x03abc",
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
];

fn exercise(info: &SchemaInfo) {
    let Ok(decoder) = Decoder::new(info) else { return };
    assert_eq!(decoder.schema_type(), info.schema_type);
    for p in PAYLOADS {
        let out = decoder.decode(p, Some(&b"\x04ab"[..]));
        if out.error.is_some() {
            assert_eq!(out.value, serde_json::Value::Null);
        }
        let _ = decoder.decode(p, None);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(info) = SchemaInfo::from_admin_json(&v) {
            exercise(&info);
            let _ = diff::diff(&info, &info);
        }
        if let Ok(list) = parse_schema_list(&v) {
            for info in &list {
                exercise(info);
            }
            for pair in list.windows(2) {
                let _ = diff::diff(&pair[0], &pair[1]);
            }
        }
        return;
    }
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = SchemaInfo::from_avsc(&text);
    let _ = SchemaInfo::from_descriptor_set(data, "pulsar.test.Person");
    for t in SchemaType::ALL {
        let mut properties = BTreeMap::new();
        properties.insert("__PARSING_INFO__".to_string(), text.clone());
        properties.insert("key.schema.type".to_string(), "AVRO".to_string());
        properties.insert("value.schema.type".to_string(), "JSON".to_string());
        properties.insert("kv.encoding.type".to_string(), "INLINE".to_string());
        let info =
            SchemaInfo { schema_type: *t, version: None, timestamp_ms: None, data: text.clone(), properties };
        exercise(&info);
    }
});
