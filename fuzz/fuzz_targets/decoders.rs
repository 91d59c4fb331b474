//! Every decoder on arbitrary payloads (and keys). The first input byte picks
//! the decoder (see `DECODERS`, schemas from `tests/fixtures/decode`, then every
//! schema type that compiles with an empty definition); the second byte is the
//! key: `0xff` for no key, else its length (low 6 bits) taken from the front of
//! the rest; the rest is the payload.
//!
//! Properties: nothing panics; a failed decode has a `null` value and the
//! `Binary` kind; the value serializes and previews; decoding is
//! deterministic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pulsar_tui::decode::{hex_dump, preview, Decoder, SchemaInfo, SchemaType, ValueKind};

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("../../tests/fixtures/decode/", $name, ".schema.json")))
    };
}

/// The order is the seeds' first byte (`fuzz/seeds/decoders`): append only.
const FIXTURE_SCHEMAS: &[(&str, &str)] = &[
    fixture!("avro_everything"),
    fixture!("avro_node"),
    fixture!("order_v1"),
    fixture!("order_v2"),
    fixture!("avro_java_names"),
    fixture!("json_user"),
    fixture!("protobuf_native_person"),
    fixture!("protobuf_native_other"),
    fixture!("protobuf_legacy_person"),
    fixture!("protobuf_legacy_noinfo"),
    fixture!("kv_inline"),
    fixture!("kv_separated"),
    fixture!("kv_primitive"),
    fixture!("none"),
    fixture!("auto_consume"),
    fixture!("prim_string"),
    fixture!("prim_boolean"),
    fixture!("prim_int8"),
    fixture!("prim_int16"),
    fixture!("prim_int32"),
    fixture!("prim_int64"),
    fixture!("prim_float"),
    fixture!("prim_double"),
    fixture!("prim_date"),
    fixture!("prim_timestamp"),
    fixture!("prim_time"),
    fixture!("prim_instant"),
    fixture!("prim_local_date"),
    fixture!("prim_local_time"),
    fixture!("prim_local_date_time"),
    fixture!("prim_bytes"),
];

static DECODERS: LazyLock<Vec<(String, Decoder)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for (name, text) in FIXTURE_SCHEMAS {
        let json: serde_json::Value = serde_json::from_str(text).expect("fixture is JSON");
        let info = SchemaInfo::from_admin_json(&json).expect("fixture schema parses");
        out.push((name.to_string(), Decoder::new(&info).expect("fixture schema compiles")));
    }
    for t in SchemaType::ALL {
        let info = SchemaInfo {
            schema_type: *t,
            version: None,
            timestamp_ms: None,
            data: String::new(),
            properties: Default::default(),
        };
        if let Ok(d) = Decoder::new(&info) {
            out.push((format!("{}-empty", t.name()), d));
        }
    }
    out.push(("schemaless".to_string(), Decoder::schemaless()));
    out
});

fuzz_target!(|data: &[u8]| {
    let [pick, key_byte, rest @ ..] = data else { return };
    let (name, decoder) = &DECODERS[usize::from(*pick) % DECODERS.len()];
    let (key, payload) = if *key_byte == 0xff {
        (None, rest)
    } else {
        let n = usize::from(key_byte & 0x3f).min(rest.len());
        (Some(&rest[..n]), &rest[n..])
    };
    let out = decoder.decode(payload, key);
    if out.error.is_some() {
        assert_eq!(out.value, serde_json::Value::Null, "{name}: failed decode with a value");
        assert_eq!(out.kind, ValueKind::Binary, "{name}: failed decode not Binary");
    } else {
        assert!(out.is_ok());
    }
    let _ = preview(&out.value, 40);
    let _ = preview(&out.value, 0);
    let _ = serde_json::to_string(&out.value).expect("decoded value serializes");
    if let Some(e) = &out.error {
        let _ = e.to_string();
    }
    let _ = hex_dump(payload, 64);
    let again = decoder.decode(payload, key);
    assert_eq!(again, out, "{name}: decoding is not deterministic");
});
