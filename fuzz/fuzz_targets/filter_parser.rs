//! The filter-expression compiler on arbitrary text; an expression that
//! compiles is evaluated against two fixed messages (one with a key, a JSON
//! value and properties; one with no key, a `null` value and a decode error).
//! Neither step may panic.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pulsar_tui::filter::{Filter, FilterError, FilterInput};
use serde_json::{json, Value};

/// 2026-11-27T10:00:00Z
const T0: i64 = 1_795_773_600_000;

static PROPERTIES: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    BTreeMap::from([("trace-id".to_owned(), "abc".to_owned()), ("x".to_owned(), "1".to_owned())])
});
static NO_PROPERTIES: LazyLock<BTreeMap<String, String>> = LazyLock::new(BTreeMap::new);
static NULL: LazyLock<Value> = LazyLock::new(|| Value::Null);

static VALUE: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "order": {"amount": 150.5, "currency": "EUR", "lines": 3},
        "customer": {"name": "Zoë Ünïcødé", "tags": ["vip", "eu"]},
        "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
        "status": "PAID",
        "big": 18446744073709551615u64,
        "neg": -9223372036854775808i64,
        "ok": true,
        "nothing": null,
        "ts": "2026-11-27T10:00:00Z"
    })
});

fn full() -> FilterInput<'static> {
    FilterInput {
        key: Some("u-17"),
        ordering_key: Some("ok-1"),
        properties: &PROPERTIES,
        publish_time_ms: T0,
        event_time_ms: Some(T0 - 1_000),
        producer: "standalone-0-12",
        sequence_id: 42,
        message_id: "123:45:-1:-1",
        partition: -1,
        schema_version: Some(3),
        redelivery_count: Some(0),
        size: 180,
        value: &VALUE,
        decode_error: None,
        topic: "persistent://public/default/orders",
    }
}

fn empty() -> FilterInput<'static> {
    FilterInput {
        key: None,
        ordering_key: None,
        properties: &NO_PROPERTIES,
        publish_time_ms: 0,
        event_time_ms: None,
        producer: "",
        sequence_id: i64::MIN,
        message_id: "0:0:7:3",
        partition: 7,
        schema_version: None,
        redelivery_count: None,
        size: 0,
        value: &NULL,
        decode_error: Some("avro: unexpected end of input"),
        topic: "persistent://public/default/orders-partition-7",
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else { return };
    match Filter::compile(expr) {
        Ok(filter) => {
            assert_eq!(filter.source(), expr);
            for msg in [full(), empty()] {
                match filter.matches(&msg) {
                    Ok(_) => {}
                    Err(FilterError::Eval(_)) => {}
                    Err(e @ FilterError::Syntax { .. }) => panic!("evaluation returned a syntax error: {e}"),
                }
            }
        }
        Err(FilterError::Syntax { column, .. }) => {
            if let Some(c) = column {
                assert!(c >= 1, "columns are 1-based, got {c}");
            }
        }
        Err(e @ FilterError::Eval(_)) => panic!("compile returned an eval error: {e}"),
    }
});
