//! Tests of the PROTOBUF_NATIVE and legacy PROTOBUF decoders.
use super::*;
use crate::decode::test_support::{check_case, fixture_bytes, load_case};
use crate::decode::{Decoder, SchemaInfo};
use serde_json::json;

#[test]
fn native_fixture_cases() {
    for name in [
        "protobuf_native_person",
        "protobuf_native_wrong_type",
        "protobuf_native_random",
        "protobuf_native_bad_base64",
        "protobuf_native_bad_descriptor",
        "protobuf_native_bad_root",
    ] {
        check_case(&load_case(name));
    }
}

#[test]
fn legacy_fixture_cases() {
    for name in ["protobuf_legacy_person", "protobuf_legacy_noinfo", "protobuf_legacy_random"] {
        check_case(&load_case(name));
    }
}

#[test]
fn descriptor_set_override_decodes_fixture() {
    let info = SchemaInfo::from_descriptor_set(&fixture_bytes("person.desc"), "pulsar.test.Person").unwrap();
    let case = load_case("protobuf_native_person");
    let out = Decoder::new(&info).unwrap().decode(&case.payload, None);
    assert_eq!(out.error, None);
    assert_eq!(Some(&out.value), case.expect_value.as_ref());
}

#[test]
fn every_prefix_never_panics() {
    let case = load_case("protobuf_native_person");
    let dec = Decoder::new(case.info.as_ref().unwrap()).unwrap();
    let legacy = Decoder::new(load_case("protobuf_legacy_person").info.as_ref().unwrap()).unwrap();
    for n in 0..case.payload.len() {
        let _ = dec.decode(&case.payload[..n], None);
        let _ = legacy.decode(&case.payload[..n], None);
    }
}

/// A registry entry whose file says `syntax = "proto#"` made prost-reflect
/// panic (fuzz crash in `schema_definition`); it is an invalid schema.
#[test]
fn unknown_syntax_is_an_error_not_a_panic() {
    use base64::engine::general_purpose::STANDARD;
    for index in 0..2 {
        let mut set = FileDescriptorSet::decode(fixture_bytes("person.desc").as_slice()).unwrap();
        assert!(set.file.len() >= 2, "the fixture has a dependency and the root file");
        set.file[index].syntax = Some("proto#".into());
        let data = json!({
            "fileDescriptorSet": STANDARD.encode(set.encode_to_vec()),
            "rootMessageTypeName": "pulsar.test.Person",
        });
        match NativeDecoder::new(&data.to_string()) {
            Err(DecodeError::InvalidSchema(msg)) => assert!(msg.contains("\"proto#\""), "{msg}"),
            other => panic!("file {index}: expected an invalid-schema error, got {other:?}"),
        }
    }
}

/// A recursive message type: `message Node { Node next = 1; int32 v = 2; }`.
fn node_decoder() -> Decoder {
    use prost::Message as _;
    use prost_reflect::prost_types::{
        field_descriptor_proto::{Label, Type},
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
    };
    let field = |name: &str, number: i32, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(ty as i32),
        type_name: type_name.map(Into::into),
        ..Default::default()
    };
    let fds = FileDescriptorSet {
        file: vec![FileDescriptorProto {
            name: Some("node.proto".into()),
            package: Some("t".into()),
            syntax: Some("proto3".into()),
            message_type: vec![DescriptorProto {
                name: Some("Node".into()),
                field: vec![field("next", 1, Type::Message, Some(".t.Node")), field("v", 2, Type::Int32, None)],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let info = SchemaInfo::from_descriptor_set(&fds.encode_to_vec(), "t.Node").unwrap();
    Decoder::new(&info).unwrap()
}

fn nested_payload(levels: usize) -> Vec<u8> {
    let mut inner: Vec<u8> = vec![0x10, 0x01]; // v = 1
    for _ in 0..levels {
        let mut outer = vec![0x0a];
        let mut len = inner.len();
        while len >= 0x80 {
            outer.push((len as u8) | 0x80);
            len >>= 7;
        }
        outer.push(len as u8);
        outer.extend_from_slice(&inner);
        inner = outer;
    }
    inner
}

/// Deeply nested messages hit prost's recursion limit (100) instead of
/// the stack, including the JSON rendering of the deepest accepted value.
#[test]
fn deep_nesting_fits_thread_stack() {
    let dec = node_decoder();
    let out = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let shallow = dec.decode(&nested_payload(3), None);
            let ok = dec.decode(&nested_payload(90), None);
            let deep = dec.decode(&nested_payload(5000), None);
            (shallow, ok, deep)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(out.0.value["next"]["next"]["next"]["v"], json!(1));
    assert_eq!(out.1.error, None);
    assert!(matches!(out.2.error, Some(DecodeError::Malformed(_))));
}

#[test]
fn base64_variants() {
    assert_eq!(lenient_base64("AP9i").unwrap(), vec![0, 0xff, 0x62]);
    assert_eq!(lenient_base64("AP-i").unwrap(), vec![0, 0xff, 0xa2]);
    assert_eq!(lenient_base64("AA").unwrap(), vec![0]);
    assert_eq!(lenient_base64("A P 9\ni").unwrap(), vec![0, 0xff, 0x62]);
    assert!(lenient_base64("%%").is_err());
}

#[test]
fn native_schema_errors() {
    for data in ["not json", "{}", r#"{"fileDescriptorSet":"AA=="}"#] {
        assert!(matches!(NativeDecoder::new(data), Err(DecodeError::InvalidSchema(_))));
    }
}

#[test]
fn wire_edge_cases() {
    let d = LegacyDecoder::new(&Default::default());
    // field number 0
    assert!(d.decode(&[0x00, 0x01]).is_err());
    // wire type 7
    assert!(d.decode(&[0x0f]).is_err());
    // group start
    assert!(matches!(d.decode(&[0x0b]), Err(DecodeError::Unsupported(_))));
    // length past the end
    assert!(matches!(d.decode(&[0x0a, 0x05, 0x61]), Err(DecodeError::Truncated { .. })));
    // huge length
    assert!(matches!(d.decode(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Err(DecodeError::Truncated { .. })));
    // empty message
    assert_eq!(d.decode(&[]).unwrap().0, json!({}));
    // fixed64 / fixed32 without types: unsigned numbers
    let mut p = vec![0x09];
    p.extend_from_slice(&u64::MAX.to_le_bytes());
    p.push(0x15);
    p.extend_from_slice(&7u32.to_le_bytes());
    assert_eq!(d.decode(&p).unwrap().0, json!({"1": u64::MAX, "2": 7}));
}

#[test]
fn legacy_typed_mismatch_is_noted() {
    let mut props = std::collections::BTreeMap::new();
    props.insert(
        "__PARSING_INFO__".to_string(),
        r#"[{"number":1,"name":"n","type":"INT32","label":"LABEL_OPTIONAL","definition":null},
            {"number":2,"name":"s","type":"STRING","label":"LABEL_OPTIONAL","definition":null},
            {"number":3,"name":"d","type":"DOUBLE","label":"LABEL_REPEATED","definition":null}]"#
            .to_string(),
    );
    let d = LegacyDecoder::new(&props);
    // n given as a string, s given as invalid UTF-8, d packed with 8 bytes + junk
    let mut p = vec![0x0a, 0x01, b'x', 0x12, 0x01, 0xff, 0x1a, 0x09];
    p.extend_from_slice(&1.5f64.to_le_bytes());
    p.push(0x00);
    let (v, notes) = d.decode(&p).unwrap();
    assert_eq!(v["n"], json!("x"));
    assert_eq!(v["s"], json!("/w=="));
    assert!(notes.len() >= 3, "{notes:?}");
    // negative int32 is sign-extended to 10 bytes on the wire
    let p = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert_eq!(d.decode(&p).unwrap().0, json!({"n": -1}));
}

#[test]
fn native_unknown_fields_are_noted() {
    let case = load_case("protobuf_native_person");
    let info = case.info.unwrap();
    let spec: Value = serde_json::from_str(&info.data).unwrap();
    let bytes = lenient_base64(spec["fileDescriptorSet"].as_str().unwrap()).unwrap();
    let pool = DescriptorPool::decode(bytes.as_slice()).unwrap();
    let addr = NativeDecoder::from_descriptor(pool.get_message_by_name("pulsar.test.Address").unwrap());
    // Address{street=1, zip=2} + unknown field 9 (varint 1)
    let (v, notes) = addr.decode(&[0x0a, 0x01, b'a', 0x10, 0x05, 0x48, 0x01]).unwrap();
    assert_eq!(v, json!({"street": "a", "zip": 5}));
    assert_eq!(notes.len(), 1);
}
