use super::number::decimal_string;
use super::*;
use crate::decode::test_support::{check_case, fixture_bytes, load_case};
use crate::decode::{Decoder, SchemaInfo};

#[test]
fn fixture_cases() {
    for name in [
        "avro_everything",
        "avro_truncated",
        "avro_random",
        "avro_node",
        "avro_node_deep",
        "order_v1",
        "order_v2",
        "order_v1_as_v2",
        "order_v2_as_v1",
        "avro_bad_schema",
        "avro_java_names",
    ] {
        check_case(&load_case(name));
    }
}

#[test]
fn java_names_need_sanitizing() {
    let case = load_case("avro_java_names");
    let data = &case.info.as_ref().unwrap().data;
    // apache-avro alone rejects the `Outer$` namespace ...
    assert!(Schema::parse_str(data).is_err());
    // ... our parse accepts it, and so does from_avsc.
    assert!(parse_schema(data).is_ok());
    assert!(SchemaInfo::from_avsc(data).is_ok());
}

/// The depth limit keeps recursion inside a default 2 MiB thread stack,
/// even for unoptimized builds.
#[test]
fn deep_recursion_fits_small_stack() {
    let case = load_case("avro_node_deep");
    let dec = Decoder::new(case.info.as_ref().unwrap()).unwrap();
    let payload = case.payload.clone();
    // A linked list exactly at the depth limit: value 7 at every level.
    let mut ok_payload = b"\x0e\x02".repeat(MAX_DEPTH - 1);
    ok_payload.extend_from_slice(b"\x0e\x00");
    let (deep, ok) = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || (dec.decode(&payload, None), dec.decode(&ok_payload, None)))
        .unwrap()
        .join()
        .unwrap();
    assert!(matches!(deep.error, Some(DecodeError::Malformed(_))));
    assert_eq!(ok.error, None);
    let mut expected = serde_json::json!({"value": 7, "next": null});
    for _ in 1..MAX_DEPTH {
        expected = serde_json::json!({"value": 7, "next": expected});
    }
    assert_eq!(ok.value, expected);
}

#[test]
fn from_avsc_decodes_fixture() {
    let text = String::from_utf8(fixture_bytes("everything.avsc")).unwrap();
    let info = SchemaInfo::from_avsc(&text).unwrap();
    let dec = Decoder::new(&info).unwrap();
    let case = load_case("avro_everything");
    let out = dec.decode(&case.payload, None);
    assert_eq!(out.error, None);
    assert_eq!(Some(&out.value), case.expect_value.as_ref());
}

/// Every strict prefix of a valid datum must fail cleanly.
#[test]
fn every_prefix_fails() {
    let case = load_case("avro_everything");
    let dec = Decoder::new(case.info.as_ref().unwrap()).unwrap();
    for n in 0..case.payload.len() {
        let out = dec.decode(&case.payload[..n], None);
        assert!(out.error.is_some(), "prefix {n} decoded: {:?}", out.value);
        assert_eq!(out.value, Value::Null);
    }
}

/// Differential check against apache-avro's own datum reader on the
/// fixtures it can handle (it does not know our rendering, so only
/// success is compared).
#[test]
fn apache_avro_reader_agrees_on_fixtures() {
    use apache_avro::reader::datum::GenericDatumReader;
    for name in ["avro_everything", "order_v1", "order_v2", "avro_node"] {
        let case = load_case(name);
        let schema = Schema::parse_str(&case.info.as_ref().unwrap().data).unwrap();
        let reader = GenericDatumReader::builder(&schema).build().unwrap();
        let mut slice = case.payload.as_slice();
        assert!(reader.read_value(&mut slice).is_ok(), "{name}");
        assert!(slice.is_empty(), "{name}: apache-avro left bytes");
    }
}

fn dec(schema: &str) -> AvroDecoder {
    AvroDecoder::new(schema).unwrap()
}

#[test]
fn huge_block_count_is_bounded() {
    // array<null> with a block count of 2^62: must stop quickly.
    let d = dec(r#"{"type":"array","items":"null"}"#);
    let mut payload = Vec::new();
    let mut z: u64 = (1u64 << 62) << 1; // zigzag of 2^62
    while z >= 0x80 {
        payload.push((z as u8) | 0x80);
        z >>= 7;
    }
    payload.push(z as u8);
    payload.push(0);
    let err = d.decode(&payload).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed(_)), "{err:?}");
}

/// Ten levels of ten fields each over an empty record: 10^10 values from
/// a zero-byte payload without the value budget.
#[test]
fn zero_byte_fan_out_is_bounded() {
    let mut schema = String::from(r#"{"type":"record","name":"R0","fields":[]}"#);
    for level in 1..=10 {
        let fields: Vec<String> = (0..10)
            .map(|i| {
                if i == 0 {
                    format!(r#"{{"name":"f{i}","type":{schema}}}"#)
                } else {
                    format!(r#"{{"name":"f{i}","type":"R{}"}}"#, level - 1)
                }
            })
            .collect();
        schema = format!(r#"{{"type":"record","name":"R{level}","fields":[{}]}}"#, fields.join(","));
    }
    let d = dec(&schema);
    let start = std::time::Instant::now();
    assert!(matches!(d.decode(&[]), Err(DecodeError::Malformed(_))));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn huge_string_length_is_truncated_without_allocating() {
    let d = dec(r#""string""#);
    // zigzag(2^40) as varint, then 3 bytes
    let payload = [0x80, 0x80, 0x80, 0x80, 0x80, 0x40, b'a', b'b', b'c'];
    assert!(matches!(d.decode(&payload), Err(DecodeError::Truncated { .. })));
    assert!(matches!(d.decode(&[0x01]), Err(DecodeError::Malformed(_))));
}

#[test]
fn overlong_varint() {
    let d = dec(r#""long""#);
    assert!(matches!(d.decode(&[0xff; 11]), Err(DecodeError::Malformed(_))));
    assert!(matches!(d.decode(&[0xff; 3]), Err(DecodeError::Truncated { .. })));
    // i64::MIN and MAX round-trip
    let max = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert_eq!(d.decode(&max).unwrap().0, Value::from(i64::MAX));
    let min = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert_eq!(d.decode(&min).unwrap().0, Value::from(i64::MIN));
}

#[test]
fn decimals() {
    assert_eq!(decimal_string(&[0x04, 0xd2], 2).unwrap(), "12.34");
    assert_eq!(decimal_string(&[0xfb, 0x2e], 2).unwrap(), "-12.34");
    assert_eq!(decimal_string(&[0x01], 3).unwrap(), "0.001");
    assert_eq!(decimal_string(&[0xff], 3).unwrap(), "-0.001");
    assert_eq!(decimal_string(&[], 2).unwrap(), "0.00");
    assert_eq!(decimal_string(&[0x00], 0).unwrap(), "0");
    assert_eq!(decimal_string(&[0x05], -2).unwrap(), "500");
    assert_eq!(decimal_string(&[0x80], 0).unwrap(), "-128");
    // 2^64 = 18446744073709551616
    assert_eq!(decimal_string(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0], 0).unwrap(), "18446744073709551616");
    // 10^30 = 0x0c9f2c9cd04674edea40000000
    let ten30 = [0x0c, 0x9f, 0x2c, 0x9c, 0xd0, 0x46, 0x74, 0xed, 0xea, 0x40, 0, 0, 0];
    assert_eq!(decimal_string(&ten30, 30).unwrap(), "1.000000000000000000000000000000");
    assert!(decimal_string(&[1; 600], 0).is_err());
}

#[test]
fn floats_render_shortest_and_non_finite() {
    let d = dec(r#""float""#);
    assert_eq!(d.decode(&0.1f32.to_le_bytes()).unwrap().0, serde_json::json!(0.1));
    assert_eq!(d.decode(&f32::NAN.to_le_bytes()).unwrap().0, serde_json::json!("NaN"));
    let d = dec(r#""double""#);
    assert_eq!(d.decode(&f64::NEG_INFINITY.to_le_bytes()).unwrap().0, serde_json::json!("-Infinity"));
}

#[test]
fn out_of_range_logical_falls_back() {
    let d = dec(r#"{"type":"long","logicalType":"timestamp-millis"}"#);
    let max = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    let (v, notes) = d.decode(&max).unwrap();
    assert_eq!(v, Value::from(i64::MAX));
    assert!(notes.iter().any(|n| n.contains("out of range")));
}

#[test]
fn namespaced_refs_resolve() {
    let d = dec(r#"{"type":"record","name":"A","namespace":"x.y","fields":[
                {"name":"b","type":{"type":"record","name":"B","fields":[{"name":"v","type":"int"}]}},
                {"name":"b2","type":"B"},
                {"name":"b3","type":"x.y.B"},
                {"name":"e","type":{"type":"enum","name":"E","namespace":"other","symbols":["P","Q"]}},
                {"name":"e2","type":"other.E"}
            ]}"#);
    let (v, _) = d.decode(&[2, 4, 6, 2, 0]).unwrap();
    assert_eq!(v, serde_json::json!({"b":{"v":1},"b2":{"v":2},"b3":{"v":3},"e":"Q","e2":"P"}));
}

#[test]
fn bad_enum_and_union_index() {
    let d = dec(r#"{"type":"enum","name":"E","symbols":["A"]}"#);
    assert!(matches!(d.decode(&[2]), Err(DecodeError::Malformed(_))));
    let d = dec(r#"["null","int"]"#);
    assert!(matches!(d.decode(&[4]), Err(DecodeError::Malformed(_))));
    assert!(matches!(d.decode(&[1]), Err(DecodeError::Malformed(_))));
    assert_eq!(d.decode(&[0]).unwrap().0, Value::Null);
    let d = dec(r#""boolean""#);
    assert!(matches!(d.decode(&[7]), Err(DecodeError::Malformed(_))));
}
