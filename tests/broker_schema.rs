//! Decoding on the real broker: independent clients (the official Python client, and the
//! official Java client from the Pulsar distribution) write schema-typed messages, and
//! `pulsar-tui read` must return exactly the values they wrote, each decoded with the schema
//! version it was written with.

mod common;

use std::process::Command;

use common::{target, unique};
use serde_json::{json, Value};

fn read(topic: &str) -> Vec<Value> {
    let t = target();
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", topic])
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
        .output()
        .unwrap();
    assert!(out.status.success(), "read {topic}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn values(rows: &[Value]) -> Vec<Value> {
    for r in rows {
        assert!(r["decode_error"].is_null(), "decode error: {r}");
    }
    rows.iter().map(|r| r["value"].clone()).collect()
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn values_written_by_the_python_client_come_back_exactly() {
    let prefix = format!("persistent://public/default/{}-", unique("it-schema-py"));
    let out_path = std::env::temp_dir().join(format!("{}.json", unique("produced")));
    let status = Command::new("python3")
        .args([
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/produce_schemas.py"),
            &target().service_url,
            &prefix,
            out_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(status.status.success(), "python producer: {}", String::from_utf8_lossy(&status.stderr));
    let produced: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    for (topic, expected) in produced.as_object().unwrap() {
        let rows = read(topic);
        assert_eq!(Value::Array(values(&rows)), *expected, "{topic}");
    }
    // the two Avro versions: each message decoded with its own
    let orders = read(&format!("{prefix}orders"));
    let versions: Vec<Value> = orders.iter().map(|r| r["schema_version"].clone()).collect();
    assert_eq!(versions, vec![json!(0), json!(0), json!(1), json!(1)]);
    assert!(orders[0]["value"].get("currency").is_none(), "v1 messages have no currency field");
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn key_value_and_primitives_written_by_the_java_client_come_back_exactly() {
    let cp = common::java_classpath("ProduceTyped.java");
    let prefix = format!("persistent://public/default/{}-", unique("it-schema-java"));
    let run = Command::new("java")
        .args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", &cp])
        .args(["ProduceTyped", &target().service_url, &prefix])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("PRODUCED"),
        "java producer: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stock = |sku: &str, n: i64| json!({"onHand": n, "sku": sku});
    for enc in ["inline", "separated"] {
        let got = values(&read(&format!("{prefix}kv-{enc}")));
        assert_eq!(
            got,
            vec![
                json!({"key": "SKU-1", "value": stock("SKU-1", 7)}),
                json!({"key": "SKU-2", "value": stock("SKU-2", 0)})
            ],
            "KEY_VALUE {enc}"
        );
    }
    let cases: Vec<(&str, Value)> = vec![
        ("int8", json!(-8)),
        ("int16", json!(-1600)),
        ("int32", json!(32_000_000)),
        ("int64", json!(-6_400_000_000i64)),
        ("boolean", json!(true)),
        ("float", json!(1.5)),
        ("double", json!(-2.25)),
        ("timestamp", json!("2025-11-27T10:00:00.123Z")),
        ("instant", json!("2025-11-27T10:00:00.123456789Z")),
        ("local-date", json!("2026-11-27")),
        ("local-time", json!("10:00:05.123")),
        ("local-date-time", json!("2026-11-27T10:00:05.123")),
    ];
    for (name, expected) in cases {
        let got = values(&read(&format!("{prefix}{name}")));
        assert_eq!(got, vec![expected], "{name}");
    }
    // DATE is a java.util.Date: milliseconds since the epoch, like TIMESTAMP
    let date = values(&read(&format!("{prefix}date")));
    assert!(date[0].as_str().unwrap_or("").starts_with("2025-11-27"), "{date:?}");
    // BYTES that are not text come back as hex
    assert_eq!(values(&read(&format!("{prefix}bytes"))), vec![json!("0102ff")]);
}
