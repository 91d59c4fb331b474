use std::collections::BTreeMap;

use prost::Message as _;
use prost_reflect::prost_types::{
    field_descriptor_proto::{Label, Type},
    DescriptorProto, FieldDescriptorProto, FileDescriptorSet,
};
use serde_json::json;

use super::*;
use crate::decode::parse_schema_list;
use crate::decode::test_support::{fixture_bytes, fixture_json};

fn info(t: SchemaType, data: &str) -> SchemaInfo {
    SchemaInfo {
        schema_type: t,
        version: None,
        timestamp_ms: None,
        data: data.to_string(),
        properties: BTreeMap::new(),
    }
}

fn avro(v: Value) -> SchemaInfo {
    info(SchemaType::Avro, &v.to_string())
}

fn record(fields: Value) -> Value {
    json!({"type": "record", "name": "Order", "namespace": "shop", "fields": fields})
}

fn lines(d: &SchemaDiff) -> Vec<String> {
    d.changes.iter().map(Change::describe).collect()
}

#[test]
fn order_v1_to_v2_fixture() {
    let list = parse_schema_list(&fixture_json("order_schemas.json")).unwrap();
    let d = diff(&list[0], &list[1]);
    assert_eq!(
        d.changes,
        vec![Change::Added { path: "currency".into(), ty: "string".into(), default: Some(json!("USD")) }]
    );
    assert_eq!(d.note, None);
    assert_eq!(lines(&d), ["+ currency: string = \"USD\""]);
    // and back
    let back = diff(&list[1], &list[0]);
    assert_eq!(lines(&back), ["- currency: string"]);
    assert!(diff(&list[1], &list[1]).is_empty());
}

#[test]
fn identical_and_equivalent_schemas() {
    let a = avro(record(json!([{"name": "id", "type": "string"}])));
    assert!(diff(&a, &a).is_empty());
    // same schema, other formatting
    let b = info(
        SchemaType::Avro,
        &serde_json::to_string_pretty(&serde_json::from_str::<Value>(&a.data).unwrap()).unwrap(),
    );
    assert!(diff(&a, &b).is_empty());
    for t in [SchemaType::String, SchemaType::Int64, SchemaType::None, SchemaType::Bytes] {
        assert!(diff(&info(t, ""), &info(t, "")).is_empty());
    }
}

#[test]
fn every_change_kind_in_one_record() {
    let old = avro(record(json!([
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "float"},
        {"name": "legacy_id", "type": "long"},
        {"name": "qty", "type": "int"},
        {"name": "note", "type": "string", "default": "x"},
        {"name": "rate", "type": "double", "default": 0},
    ])));
    let new = avro(record(json!([
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "qty", "type": "int", "default": 1},
        {"name": "note", "type": "string"},
        {"name": "rate", "type": "double", "default": 1.5},
        {"name": "currency", "type": "string", "default": "USD"},
    ])));
    let d = diff(&old, &new);
    assert_eq!(d.note, None);
    assert_eq!(
        d.changes,
        vec![
            Change::TypeChanged { path: "amount".into(), from: "float".into(), to: "double".into() },
            Change::DefaultAdded { path: "qty".into(), default: json!(1) },
            Change::DefaultRemoved { path: "note".into() },
            Change::DefaultChanged { path: "rate".into(), from: json!(0), to: json!(1.5) },
            Change::Added { path: "currency".into(), ty: "string".into(), default: Some(json!("USD")) },
            Change::Removed { path: "legacy_id".into(), ty: "long".into() },
        ]
    );
    assert_eq!(
        lines(&d),
        [
            "~ amount: float → double",
            "~ qty: default = 1 (added)",
            "~ note: default removed",
            "~ rate: default 0 → 1.5",
            "+ currency: string = \"USD\"",
            "- legacy_id: long",
        ]
    );
    // 0 and 0.0 are the same default
    let a = avro(record(json!([{"name": "r", "type": "double", "default": 0}])));
    let b = avro(record(json!([{"name": "r", "type": "double", "default": 0.0}])));
    assert!(diff(&a, &b).is_empty());
}

#[test]
fn nested_records_with_references() {
    let old = avro(record(json!([
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
            {"name": "name", "type": "string"},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "zip", "type": "int"},
                {"name": "street", "type": "string"},
            ]}},
        ]}},
        {"name": "billing", "type": "Address"},
    ])));
    let new = avro(record(json!([
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
            {"name": "name", "type": "string"},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "zip", "type": "string"},
                {"name": "street", "type": "string"},
                {"name": "country", "type": ["null", "string"], "default": null},
            ]}},
        ]}},
        {"name": "billing", "type": "shop.Address"},
    ])));
    assert_eq!(
        lines(&diff(&old, &new)),
        [
            "~ customer.address.zip: int → string",
            "+ customer.address.country: string? = null",
            "~ billing.zip: int → string",
            "+ billing.country: string? = null",
        ]
    );
    // record replaced by another record / by a primitive
    let other = avro(record(json!([
        {"name": "customer", "type": {"type": "record", "name": "Client", "fields": [{"name": "name", "type": "string"}]}},
        {"name": "billing", "type": "string"},
    ])));
    assert_eq!(
        lines(&diff(&old, &other)),
        ["~ customer: Customer → Client", "- customer.address: Address", "~ billing: Address → string"]
    );
}

#[test]
fn recursive_records_terminate() {
    let node = |extra: Value| {
        let mut fields = vec![
            json!({"name": "value", "type": "int"}),
            json!({"name": "next", "type": ["null", "Node"], "default": null}),
        ];
        if !extra.is_null() {
            fields.push(extra);
        }
        avro(json!({"type": "record", "name": "Node", "fields": fields}))
    };
    let d = diff(&node(Value::Null), &node(json!({"name": "label", "type": "string"})));
    assert_eq!(lines(&d), ["+ label: string"]);
}

#[test]
fn unions_and_optional_fields() {
    let old = avro(record(json!([
        {"name": "a", "type": "string"},
        {"name": "b", "type": ["null", "string"], "default": null},
        {"name": "c", "type": ["null", "int", "string"]},
        {"name": "d", "type": ["null", {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}]},
        {"name": "e", "type": ["Inner", "string"]},
    ])));
    let new = avro(record(json!([
        {"name": "a", "type": ["null", "string"], "default": null},
        {"name": "b", "type": "string"},
        {"name": "c", "type": ["null", "int", "string", "long"]},
        {"name": "d", "type": ["null", {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "long"}]}]},
        {"name": "e", "type": ["Inner", "string"]},
    ])));
    assert_eq!(
        lines(&diff(&old, &new)),
        [
            "~ a: string → string?",
            "~ a: default = null (added)",
            "~ b: string? → string",
            "~ b: default removed",
            "~ c: null | int | string → null | int | string | long",
            "~ d.x: int → long",
            "~ e.x: int → long",
        ]
    );
}

#[test]
fn arrays_maps_enums_logical_types() {
    let old = avro(record(json!([
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
            {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["R", "G"]}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}},
    ])));
    let new = avro(record(json!([
        {"name": "tags", "type": {"type": "array", "items": "long"}},
        {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
            {"name": "sku", "type": "string"}, {"name": "qty", "type": "long"}]}}},
        {"name": "attrs", "type": {"type": "map", "values": {"type": "map", "values": "string"}}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["R", "G", "B"]}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
        {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}},
        {"name": "ids", "type": {"type": "array", "items": {"type": "string", "logicalType": "uuid"}}},
    ])));
    assert_eq!(
        lines(&diff(&old, &new)),
        [
            "~ tags[]: string → long",
            "~ lines[].qty: int → long",
            "~ attrs{}: int → map<string>",
            "~ color: enum Color{R,G} → enum Color{R,G,B}",
            "~ at: timestamp-millis → timestamp-micros",
            "~ price: decimal(10,2) → decimal(12,2)",
            "+ ids: array<uuid>",
        ]
    );
    // whole-type strings of containers
    let old = avro(record(json!([{"name": "m", "type": "int"}])));
    let new = avro(record(
        json!([{"name": "m", "type": ["null", {"type": "map", "values": {"type": "array", "items": "int"}}]}]),
    ));
    assert_eq!(lines(&diff(&old, &new)), ["~ m: int → map<array<int>>?"]);
}

#[test]
fn root_type_changes() {
    let a = info(SchemaType::Avro, r#""string""#);
    let b = info(SchemaType::Avro, r#""long""#);
    assert_eq!(lines(&diff(&a, &b)), ["~ (root): string → long"]);
    let c = avro(json!({"type": "record", "name": "Order", "namespace": "other", "fields": []}));
    let d = avro(json!({"type": "record", "name": "Order", "namespace": "shop", "fields": []}));
    assert_eq!(lines(&diff(&c, &d)), ["~ (root): other.Order → shop.Order"]);
}

#[test]
fn schema_type_changes() {
    let d = diff(&info(SchemaType::String, ""), &info(SchemaType::Int64, ""));
    assert_eq!(d.changes, vec![Change::SchemaTypeChanged { from: "STRING".into(), to: "INT64".into() }]);
    assert_eq!(lines(&d), ["~ schema type: STRING → INT64"]);
    // AVRO → JSON with the same definition: only the type
    let v1 = fixture_json("order_v1.schema.json");
    let avro1 = SchemaInfo::from_admin_json(&v1).unwrap();
    let json1 = SchemaInfo { schema_type: SchemaType::Json, ..avro1.clone() };
    assert_eq!(lines(&diff(&avro1, &json1)), ["~ schema type: AVRO → JSON"]);
    // AVRO → JSON with another definition: the type and the fields
    let v2 = SchemaInfo::from_admin_json(&fixture_json("order_v2.schema.json")).unwrap();
    let json2 = SchemaInfo { schema_type: SchemaType::Json, ..v2 };
    assert_eq!(lines(&diff(&avro1, &json2)), ["~ schema type: AVRO → JSON", "+ currency: string = \"USD\""]);
    // STRING → AVRO: nothing else to compare
    assert_eq!(lines(&diff(&info(SchemaType::String, ""), &avro1)), ["~ schema type: STRING → AVRO"]);
}

#[test]
fn json_schema_type_diffs_like_avro() {
    let a = info(SchemaType::Json, fixture_json("json_user.schema.json")["data"].as_str().unwrap());
    let mut v: Value = serde_json::from_str(&a.data).unwrap();
    v["fields"].as_array_mut().unwrap().push(json!({"name": "extra", "type": ["null", "long"], "default": null}));
    let b = info(SchemaType::Json, &v.to_string());
    assert_eq!(lines(&diff(&a, &b)), ["+ extra: long? = null"]);
}

#[test]
fn unparseable_definitions_give_a_note() {
    let good = avro(record(json!([{"name": "id", "type": "string"}])));
    for bad in ["{nope", "", r#"{"type": "record", "name": "X", "fields": [{"name": "a", "type": "Missing"}]}"#] {
        let d = diff(&good, &info(SchemaType::Avro, bad));
        assert!(d.changes.is_empty(), "{bad}");
        let note = d.note.unwrap();
        assert!(note.starts_with("new schema not compared"), "{note}");
        let d = diff(&info(SchemaType::Avro, bad), &good);
        assert!(d.note.unwrap().starts_with("old schema not compared"));
    }
    // JSON-Schema drafts (old Pulsar JSON schemas) are not Avro
    let draft = info(SchemaType::Json, r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}"#);
    let d = diff(&draft, &info(SchemaType::Json, &good.data));
    assert!(d.changes.is_empty() && d.note.is_some());
    // protobuf
    let p = SchemaInfo::from_admin_json(&fixture_json("protobuf_native_person.schema.json")).unwrap();
    for f in [
        "protobuf_native_bad_base64.schema.json",
        "protobuf_native_bad_descriptor.schema.json",
        "protobuf_native_bad_root.schema.json",
    ] {
        let bad = SchemaInfo::from_admin_json(&fixture_json(f)).unwrap();
        let d = diff(&p, &bad);
        assert!(d.changes.is_empty(), "{f}");
        assert!(d.note.as_deref().unwrap_or("").starts_with("new schema not compared"), "{f}: {:?}", d.note);
    }
    // key/value
    let kv = |data: &str| info(SchemaType::KeyValue, data);
    let d = diff(&kv("[1]"), &kv("{}"));
    assert!(d.changes.is_empty());
    assert!(d.note.unwrap().contains("not a JSON object"));
}

#[test]
fn arbitrary_text_never_panics() {
    let samples = [
        "",
        "null",
        "[]",
        "{}",
        "\"Missing\"",
        "[\"null\"]",
        "[\"null\",\"null\"]",
        r#"{"type":"array"}"#,
        r#"{"type":"record","name":"A","fields":[{"name":"a","type":"A"}]}"#,
        r#"{"fileDescriptorSet":"","rootMessageTypeName":""}"#,
        r#"{"key":1,"value":[]}"#,
    ];
    for t in SchemaType::ALL {
        for a in samples {
            for b in samples {
                let d = diff(&info(*t, a), &info(*t, b));
                for c in &d.changes {
                    assert!(!c.describe().contains('\n'));
                }
            }
        }
    }
}

#[test]
fn long_defaults_are_shortened() {
    let c = Change::Added { path: "p".into(), ty: "string".into(), default: Some(json!("x".repeat(200))) };
    let s = c.describe();
    assert!(s.ends_with('…') && s.chars().count() < 80, "{s}");
    assert_eq!(c.path(), Some("p"));
    assert_eq!(Change::SchemaTypeChanged { from: "A".into(), to: "B".into() }.path(), None);
}

#[test]
fn wide_schemas_are_bounded() {
    // 2000 added fields: the list stops at MAX_CHANGES and says so
    let fields: Vec<Value> = (0..2000).map(|i| json!({"name": format!("f{i}"), "type": "int"})).collect();
    let d = diff(&avro(record(json!([]))), &avro(record(Value::Array(fields))));
    assert_eq!(d.changes.len(), MAX_CHANGES);
    assert!(d.note.unwrap().contains("1000 more changes"));
}

// --- KEY_VALUE ------------------------------------------------------

fn kv(key_type: &str, key: Value, value_type: &str, value: Value, encoding: &str) -> SchemaInfo {
    let mut s = info(SchemaType::KeyValue, &json!({"key": key, "value": value}).to_string());
    s.properties.insert("key.schema.type".into(), key_type.into());
    s.properties.insert("value.schema.type".into(), value_type.into());
    s.properties.insert("kv.encoding.type".into(), encoding.into());
    s
}

#[test]
fn key_value_sides() {
    let user = |extra: bool| {
        let mut f = vec![json!({"name": "id", "type": "long"})];
        if extra {
            f.push(json!({"name": "email", "type": ["null", "string"], "default": null}));
        }
        json!({"type": "record", "name": "User", "fields": f})
    };
    let old = kv("STRING", json!(""), "AVRO", user(false), "INLINE");
    let new = kv("STRING", json!(""), "AVRO", user(true), "INLINE");
    let d = diff(&old, &new);
    assert_eq!(lines(&d), ["+ value.email: string? = null"]);
    assert_eq!(d.note, None);

    let new = kv("AVRO", user(false), "JSON", user(false), "SEPARATED");
    let d = diff(&old, &new);
    assert_eq!(lines(&d), ["~ key: STRING → AVRO", "~ value: AVRO → JSON"]);
    assert_eq!(d.note.as_deref(), Some("KEY_VALUE encoding changed: INLINE → SEPARATED"));

    // inner data as a JSON string, key side changed
    let old = kv("AVRO", Value::String(user(false).to_string()), "STRING", json!(""), "INLINE");
    let new = kv("AVRO", user(true), "STRING", json!(""), "INLINE");
    assert_eq!(lines(&diff(&old, &new)), ["+ key.email: string? = null"]);

    // the real fixture against itself
    let fx = SchemaInfo::from_admin_json(&fixture_json("kv_inline.schema.json")).unwrap();
    assert!(diff(&fx, &fx).is_empty());
    // key/value of a bad side: a note naming it
    let bad = kv("AVRO", json!("{nope"), "STRING", json!(""), "INLINE");
    let d = diff(&old, &bad);
    assert!(d.changes.is_empty());
    assert!(d.note.unwrap().starts_with("new key schema not compared"));
}

// --- PROTOBUF_NATIVE --------------------------------------------------

/// The real `person.desc` fixture (compiled by protoc from
/// `tests/fixtures/decode/proto/test.proto`), edited in memory.
fn person_set() -> FileDescriptorSet {
    FileDescriptorSet::decode(fixture_bytes("person.desc").as_slice()).unwrap()
}

fn proto_info(set: &FileDescriptorSet, root: &str) -> SchemaInfo {
    SchemaInfo::from_descriptor_set(&set.encode_to_vec(), root).unwrap()
}

fn message<'a>(set: &'a mut FileDescriptorSet, name: &str) -> &'a mut DescriptorProto {
    set.file
        .iter_mut()
        .find(|f| f.name() == "test.proto")
        .unwrap()
        .message_type
        .iter_mut()
        .find(|m| m.name() == name)
        .unwrap()
}

fn field<'a>(m: &'a mut DescriptorProto, name: &str) -> &'a mut FieldDescriptorProto {
    m.field.iter_mut().find(|f| f.name() == name).unwrap()
}

#[test]
fn protobuf_identical() {
    let old = proto_info(&person_set(), "pulsar.test.Person");
    assert!(diff(&old, &old).is_empty());
    // the admin fixture and the same descriptor set re-encoded
    let fx = SchemaInfo::from_admin_json(&fixture_json("protobuf_native_person.schema.json")).unwrap();
    assert!(diff(&fx, &old).is_empty());
}

#[test]
fn protobuf_fields_added_removed_changed() {
    let base = person_set();
    let old = proto_info(&base, "pulsar.test.Person");
    let mut set = base.clone();
    {
        let person = message(&mut set, "Person");
        // ratio32: float → double
        field(person, "ratio32").set_type(Type::Double);
        // blob (#9) removed
        person.field.retain(|f| f.name() != "blob");
        // nickname #17 added
        person.field.push(FieldDescriptorProto {
            name: Some("nickname".into()),
            number: Some(17),
            label: Some(Label::Optional as i32),
            r#type: Some(Type::String as i32),
            json_name: Some("nickname".into()),
            ..Default::default()
        });
        // scores: repeated int32 → repeated int64
        field(person, "scores").set_type(Type::Int64);
        // id (#2) renamed to user_id
        field(person, "id").name = Some("user_id".into());
    }
    // nested message: Address.zip int32 → string, Address.city added
    {
        let address = message(&mut set, "Address");
        field(address, "zip").set_type(Type::String);
        address.field.push(FieldDescriptorProto {
            name: Some("city".into()),
            number: Some(3),
            label: Some(Label::Optional as i32),
            r#type: Some(Type::String as i32),
            ..Default::default()
        });
    }
    let new = proto_info(&set, "pulsar.test.Person");
    let d = diff(&old, &new);
    assert_eq!(
        lines(&d),
        [
            "+ user_id: int32 #2",
            "~ address.zip: int32 → string",
            "+ address.city: string #3",
            "~ scores: array<int32> → array<int64>",
            "~ ratio32: float → double",
            "+ nickname: string #17",
            "- id: int32 #2",
            "- blob: bytes #9",
        ]
    );
    assert_eq!(d.note.as_deref(), Some("in pulsar.test.Person: field #2 renamed id → user_id"));
    assert!(matches!(&d.changes[5], Change::Added { default: None, .. }));

    // and back
    let back = diff(&new, &old);
    assert!(lines(&back).contains(&"+ blob: bytes #9".to_string()));
    assert!(lines(&back).contains(&"- address.city: string #3".to_string()));
}

#[test]
fn protobuf_root_maps_enums_renumbering() {
    let base = person_set();
    let old = proto_info(&base, "pulsar.test.Person");
    // another root message
    let other = proto_info(&base, "pulsar.test.Other");
    let d = diff(&old, &other);
    assert_eq!(d.changes[0].describe(), "~ (root): Person → Other");
    assert!(lines(&d).contains(&"~ name: string → int64".to_string()));

    let mut set = base.clone();
    {
        let person = message(&mut set, "Person");
        // map<string,int32> → map<string,int64> (edit the entry message)
        let entry = person.nested_type.iter_mut().find(|m| m.name() == "CountsEntry").unwrap();
        field(entry, "value").set_type(Type::Int64);
        // big renumbered #3 → #30
        field(person, "big").number = Some(30);
    }
    // enum value added
    set.file.iter_mut().find(|f| f.name() == "test.proto").unwrap().enum_type[0].value.push(
        prost_reflect::prost_types::EnumValueDescriptorProto {
            name: Some("KIND_C".into()),
            number: Some(3),
            options: None,
        },
    );
    let d = diff(&old, &proto_info(&set, "pulsar.test.Person"));
    assert_eq!(
        lines(&d),
        [
            "~ kind: enum Kind{KIND_UNKNOWN,KIND_A,KIND_B} → enum Kind{KIND_UNKNOWN,KIND_A,KIND_B,KIND_C}",
            "~ counts: map<string,int32> → map<string,int64>",
            "+ big: int64 #30",
            "- big: int64 #3",
        ]
    );
    assert_eq!(d.note.as_deref(), Some("in pulsar.test.Person: field big renumbered #3 → #30"));
}

#[test]
fn protobuf_proto2_defaults_and_labels() {
    let file = |default: Option<&str>, label: Label| FileDescriptorSet {
        file: vec![prost_reflect::prost_types::FileDescriptorProto {
            name: Some("p2.proto".into()),
            package: Some("p2".into()),
            syntax: Some("proto2".into()),
            message_type: vec![DescriptorProto {
                name: Some("M".into()),
                field: vec![FieldDescriptorProto {
                    name: Some("n".into()),
                    number: Some(1),
                    label: Some(label as i32),
                    r#type: Some(Type::Int32 as i32),
                    default_value: default.map(str::to_string),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let none = proto_info(&file(None, Label::Optional), "p2.M");
    let five = proto_info(&file(Some("5"), Label::Optional), "p2.M");
    let six = proto_info(&file(Some("6"), Label::Required), "p2.M");
    assert_eq!(lines(&diff(&none, &five)), ["~ n: default = 5 (added)"]);
    assert_eq!(lines(&diff(&five, &none)), ["~ n: default removed"]);
    assert_eq!(lines(&diff(&five, &six)), ["~ n: int32 → required int32", "~ n: default 5 → 6"]);
}
