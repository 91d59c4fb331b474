use std::collections::BTreeMap;

use serde_json::json;

use super::{Filter, FilterError, FilterInput};

/// An owned message to borrow a [`FilterInput`] from.
struct Msg {
    key: Option<String>,
    ordering_key: Option<String>,
    properties: BTreeMap<String, String>,
    publish_time_ms: i64,
    event_time_ms: Option<i64>,
    schema_version: Option<i64>,
    redelivery_count: Option<i64>,
    value: serde_json::Value,
    decode_error: Option<String>,
}

/// 2026-11-27T10:00:00Z
const T0: i64 = 1_795_773_600_000;

impl Msg {
    fn new(key: Option<&str>, value: serde_json::Value) -> Msg {
        Msg {
            key: key.map(str::to_owned),
            ordering_key: None,
            properties: BTreeMap::from([("trace-id".to_owned(), "abc".to_owned()), ("x".to_owned(), "1".to_owned())]),
            publish_time_ms: T0,
            event_time_ms: None,
            schema_version: Some(3),
            redelivery_count: None,
            value,
            decode_error: None,
        }
    }

    fn input(&self) -> FilterInput<'_> {
        FilterInput {
            key: self.key.as_deref(),
            ordering_key: self.ordering_key.as_deref(),
            properties: &self.properties,
            publish_time_ms: self.publish_time_ms,
            event_time_ms: self.event_time_ms,
            producer: "standalone-0-12",
            sequence_id: 42,
            message_id: "123:45:-1:-1",
            partition: -1,
            schema_version: self.schema_version,
            redelivery_count: self.redelivery_count,
            size: 180,
            value: &self.value,
            decode_error: self.decode_error.as_deref(),
            topic: "persistent://public/default/orders",
        }
    }
}

fn order() -> Msg {
    Msg::new(
        Some("u-17"),
        json!({
            "order": {"amount": 150.5, "currency": "EUR", "lines": 3},
            "customer": {"name": "Zoë Ünïcødé", "tags": ["vip", "eu"]},
            "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
            "status": "PAID",
            "big": 18446744073709551615u64,
            "ok": true,
            "nothing": null
        }),
    )
}

fn eval(expr: &str, msg: &Msg) -> Result<bool, FilterError> {
    Filter::compile(expr).unwrap_or_else(|e| panic!("{expr}: {e}")).matches(&msg.input())
}

#[track_caller]
fn yes(expr: &str, msg: &Msg) {
    assert_eq!(eval(expr, msg), Ok(true), "{expr}");
}

#[track_caller]
fn no(expr: &str, msg: &Msg) {
    assert_eq!(eval(expr, msg), Ok(false), "{expr}");
}

#[test]
fn key_equality_and_prefix() {
    let m = order();
    yes(r#"key == "u-17""#, &m);
    no(r#"key == "u-18""#, &m);
    yes(r#"key.startsWith("u-")"#, &m);
    no(r#"key.startsWith("k-")"#, &m);
    yes(r#"key.endsWith("17") && key != "x""#, &m);
}

#[test]
fn numeric_comparisons_on_nested_values() {
    let m = order();
    yes("value.order.amount > 100", &m);
    yes("value.order.amount > 100.0", &m);
    no("value.order.amount > 150.5", &m);
    yes("value.order.amount >= 150.5 && value.order.amount < 151", &m);
    yes("value.order.lines == 3", &m);
    yes("value.order.lines == 3.0", &m);
    yes("value.order.lines + 1 == 4", &m);
    yes("value.big > 0", &m);
    yes("value.big == 18446744073709551615u", &m);
    yes("value.items[0].qty == 2", &m);
    yes(r#"value["order"]["amount"] > 100"#, &m);
    yes("value.items.exists(i, i.qty == 1)", &m);
    yes("value.items.all(i, i.qty >= 1)", &m);
    yes("size(value.items) == 2", &m);
    yes(r#"value.items.map(i, i.sku).join(",") == "A-1,B-2""#, &m);
    yes("value.ok", &m);
    yes("value.nothing == null", &m);
    yes("sequence_id == 42 && partition == -1 && size > 100", &m);
    yes("schema_version == 3 && redelivery_count == null", &m);
}

#[test]
fn whole_json_values_compare() {
    let m = order();
    yes(r#"value.customer.tags == ["vip", "eu"]"#, &m);
    yes(r#"["vip", "eu"] == value.customer.tags"#, &m);
    yes(r#"value.order == {"amount": 150.5, "currency": "EUR", "lines": 3}"#, &m);
    yes(r#""vip" in value.customer.tags"#, &m);
    yes(r#""order" in value && !("nope" in value)"#, &m);
    yes("type(value) == map && type(value.items) == list", &m);
}

#[test]
fn string_functions() {
    let m = order();
    yes(r#"value.status.contains("AI")"#, &m);
    yes(r#"value.status.lowerAscii() == "paid""#, &m);
    yes(r#"topic.endsWith("/orders")"#, &m);
    yes(r#"key.matches("^u-[0-9]+$")"#, &m);
    no(r#"key.matches("^k-")"#, &m);
    yes(r#"matches(message_id, "^\\d+:\\d+:-1:-1$")"#, &m);
    yes(r#"producer.split("-")[0] == "standalone""#, &m);
    // an invalid regex is an evaluation error, not a silent false
    assert!(matches!(eval(r#"key.matches("(")"#, &m), Err(FilterError::Eval(_))));
}

#[test]
fn properties() {
    let m = order();
    yes(r#"properties["trace-id"] == "abc""#, &m);
    yes(r#""x" in properties"#, &m);
    no(r#""y" in properties"#, &m);
    yes(r#"properties.x == "1""#, &m);
    yes("size(properties) == 2", &m);
    // a missing property is no match, as for any missing field
    no(r#"properties["y"] == "1""#, &m);
    no(r#"properties.y == "1""#, &m);
    yes(r#"!has(properties.y) && has(properties.x)"#, &m);
}

#[test]
fn and_or_not() {
    let m = order();
    yes(r#"key == "u-17" && value.status == "PAID""#, &m);
    no(r#"key == "u-17" && value.status == "NEW""#, &m);
    yes(r#"key == "nope" || value.status == "PAID""#, &m);
    yes(r#"!(key == "nope")"#, &m);
    yes(r#"!(key == "nope") && (value.ok || false)"#, &m);
    yes(r#"key == "u-17" ? value.ok : false"#, &m);
}

#[test]
fn publish_time_comparisons() {
    let m = order();
    yes(r#"publish_time == timestamp("2026-11-27T10:00:00Z")"#, &m);
    yes(r#"publish_time > timestamp("2026-11-27T09:59:59Z")"#, &m);
    no(r#"publish_time > timestamp("2026-11-27T10:00:00Z")"#, &m);
    yes(r#"publish_time < timestamp("2026-11-27T11:00:00+01:00") == false"#, &m);
    yes(r#"publish_time - duration("1h") < timestamp("2026-11-27T09:30:00Z")"#, &m);
    yes("publish_time.getHours() == 10", &m);
    yes("int(publish_time) == 1795773600", &m);
    yes(r#"now > timestamp("2026-01-01T00:00:00Z")"#, &m);
    yes("event_time == null", &m);

    let mut later = order();
    later.event_time_ms = Some(T0 + 1);
    yes("event_time > publish_time", &later);
}

#[test]
fn null_key() {
    let m = Msg::new(None, json!({"a": 1}));
    yes("key == null", &m);
    no(r#"key == "u-17""#, &m);
    // a function of a null key is "no match", not an error
    no(r#"key.startsWith("u-")"#, &m);
    no(r#"!key.startsWith("u-")"#, &m);
    // ... and the other side of || still decides
    yes(r#"key.startsWith("u-") || value.a == 1"#, &m);
    yes(r#"value.a == 1 || key.startsWith("u-")"#, &m);
    yes("ordering_key == null", &m);
}

#[test]
fn missing_nested_field_is_false() {
    let m = order();
    no("value.x > 1", &m);
    no("value.order.x > 1", &m);
    no("value.x.y.z == 1", &m);
    no("value.items[5].qty == 1", &m);
    no(r#"value.status.x == 1"#, &m);
    // ! does not turn a missing field into a match...
    no("!(value.x == 1)", &m);
    // ... has() does
    yes("!has(value.x) || value.x != 1", &m);
    yes("has(value.order.amount) && !has(value.order.x)", &m);
    // the other side of || decides when one side is missing
    yes(r#"value.x == 1 || key == "u-17""#, &m);
    no(r#"value.x == 1 || key == "other""#, &m);
    // a value that is not an object
    let s = Msg::new(Some("k"), json!("plain text"));
    no("value.amount > 1", &s);
    yes(r#"value == "plain text""#, &s);
}

#[test]
fn decode_error() {
    let mut m = Msg::new(Some("k"), serde_json::Value::Null);
    no("decode_error != null", &order());
    yes("decode_error == null", &order());
    m.decode_error = Some("invalid JSON at line 1".to_owned());
    yes("decode_error != null", &m);
    yes(r#"decode_error.contains("JSON") && value == null"#, &m);
}

#[test]
fn syntax_error_has_position() {
    let err = Filter::compile("key == ").unwrap_err();
    let FilterError::Syntax { message, column } = &err else { panic!("{err:?}") };
    assert!(message.starts_with("mismatched input '<EOF>'"), "{err}");
    assert_eq!(*column, Some(8), "{err}");
    assert!(err.to_string().contains("column 8"), "{err}");

    let err = Filter::compile(r#"key == "a" &&& value"#).unwrap_err();
    assert!(matches!(err, FilterError::Syntax { column: Some(14), .. }), "{err:?}");

    // columns count characters, not bytes
    let err = Filter::compile(r#""éé" == &&"#).unwrap_err();
    assert!(matches!(err, FilterError::Syntax { column: Some(9), .. }), "{err:?}");
    assert!(matches!(Filter::compile("   "), Err(FilterError::Syntax { .. })));
}

#[test]
fn unknown_name_is_a_compile_error() {
    let err = Filter::compile("vaule.amount > 1").unwrap_err();
    assert_eq!(
        err,
        FilterError::Syntax {
            message: format!("unknown name 'vaule'; a filter can use {}", super::VARIABLES.join(", ")),
            column: Some(1)
        }
    );
    let err = Filter::compile(r#"key == "é" && foo"#).unwrap_err();
    assert!(matches!(err, FilterError::Syntax { column: Some(15), .. }), "{err:?}");
    // macro variables, types and namespaces are known
    Filter::compile("value.items.exists(i, i.qty > 1)").unwrap();
    Filter::compile("[1, 2].map(x, x * 2).exists(y, y == 4)").unwrap();
    Filter::compile("type(value) == map && math.greatest(1, 2) == 2").unwrap();
    // a macro variable is not known outside its macro
    assert!(Filter::compile("value.items.exists(i, true) && i == 1").is_err());
}

#[test]
fn non_bool_result_is_an_error() {
    let m = order();
    let err = eval("value.order.amount", &m).unwrap_err();
    assert_eq!(err, FilterError::Eval("filter must return true or false, got double 150.5".to_owned()));
    let err = eval("key", &m).unwrap_err();
    assert!(err.to_string().contains(r#"got string "u-17""#), "{err}");
    assert!(matches!(eval("value", &m), Err(FilterError::Eval(_))));
}

#[test]
fn type_errors_are_eval_errors() {
    let m = order();
    assert!(matches!(eval(r#"value.status > 5"#, &m), Err(FilterError::Eval(_))));
    assert!(matches!(eval("nosuchfunction(key)", &m), Err(FilterError::Eval(_))));
}

#[test]
fn unicode_strings() {
    let m = order();
    yes(r#"value.customer.name == "Zoë Ünïcødé""#, &m);
    yes(r#"value.customer.name.startsWith("Zoë")"#, &m);
    yes(r#"value.customer.name.contains("Ünï")"#, &m);
    yes(r#"size(value.customer.name) == 11"#, &m);
    yes(r#"value.customer.name.matches("^Zo.\\s")"#, &m);
    let emoji = Msg::new(Some("🔑-1"), json!({"msg": "héllo 👋"}));
    yes(r#"key.startsWith("🔑") && value.msg.endsWith("👋")"#, &emoji);
}

#[test]
fn filter_is_reusable_and_keeps_source() {
    let f = Filter::compile(r#"key == "u-17""#).unwrap();
    assert_eq!(f.source(), r#"key == "u-17""#);
    assert_eq!(f.matches(&order().input()), Ok(true));
    let other = Msg::new(Some("u-18"), json!({}));
    assert_eq!(f.matches(&other.input()), Ok(false));
}

#[test]
fn deep_nesting_is_rejected_not_a_crash() {
    let m = order();
    for n in [25, 100, 1000] {
        for (open, close) in [("(", ")"), ("[", "]"), ("size(", ")")] {
            let deep = format!("{}true{}", open.repeat(n), close.repeat(n));
            let err = Filter::compile(&deep).unwrap_err();
            assert!(err.to_string().contains("nested too deeply"), "{err}");
        }
        let conditionals = format!("{}true", "false ? false : ".repeat(n));
        assert!(Filter::compile(&conditionals).is_err());
    }
    for n in [100, 1000] {
        let nots = format!("{}true", "!".repeat(n));
        let _ = Filter::compile(&nots);
        let sum = format!("{} == 1", vec!["1"; n].join(" + "));
        let err = Filter::compile(&sum).unwrap_err();
        assert!(err.to_string().contains("too complex"), "{err}");
    }
    // long flat chains of && and || are balanced trees: fine
    let ands = vec!["true"; 1000].join(" && ");
    assert_eq!(Filter::compile(&ands).unwrap().matches(&m.input()), Ok(true));
    // the deepest accepted sources parse, and evaluate on this test
    // thread's 2 MiB stack, in a debug build too
    let parens = format!("{}true{}", "(".repeat(24), ")".repeat(24));
    assert_eq!(eval(&parens, &m), Ok(true));
    let lists = format!("{}1{} != 1", "[".repeat(24), "]".repeat(24));
    assert_eq!(eval(&lists, &m), Ok(true));
    let calls = format!("{}key{} == 1", "string(".repeat(24), ")".repeat(24));
    assert_eq!(eval(&calls, &m), Ok(false));
    let sum = format!("{} == 38", vec!["1"; 38].join(" + "));
    assert_eq!(eval(&sum, &m), Ok(true));
    let conditionals = format!("{}true", "false ? false : ".repeat(24));
    assert_eq!(eval(&conditionals, &m), Ok(true));
    let macros = format!("{}true{}", "[[1]].exists(x, x.exists(y, ".repeat(4), "))".repeat(4));
    assert_eq!(eval(&macros, &m), Ok(true));
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn garbage_expressions_never_panic() {
    const TOKENS: &[&str] = &[
        "key",
        "value",
        ".",
        "order",
        "amount",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "&&",
        "||",
        "!",
        "==",
        "!=",
        "<",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "?",
        ":",
        ",",
        "\"",
        "'",
        "\"abc\"",
        "1",
        "2.5",
        "-3",
        "0x1F",
        "1u",
        "null",
        "true",
        "has",
        "exists",
        "x",
        "in",
        "size",
        "timestamp",
        "\"2026-11-27T10:00:00Z\"",
        "properties",
        "\\",
        "é",
        "👋",
        " ",
        "\n",
        "@",
        "#",
        "`",
        ".?",
        "?.",
        "b'",
        "r\"",
        "\"\"\"",
        "startsWith",
        "matches",
        "\"[\"",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let m = order();
    let mut compiled = 0;
    for i in 0..10_000 {
        let expr: String = if i % 2 == 0 {
            // token soup, sometimes close to valid
            (0..1 + rng.below(12))
                .map(|_| TOKENS[rng.below(TOKENS.len())])
                .collect::<Vec<_>>()
                .join(if rng.below(2) == 0 { " " } else { "" })
        } else {
            // raw bytes from a printable + some unicode alphabet
            (0..rng.below(24))
                .map(|_| match rng.below(10) {
                    0 => char::from_u32(0xA0 + rng.below(0x2000) as u32).unwrap_or('?'),
                    _ => (0x20 + rng.below(0x5F) as u8) as char,
                })
                .collect()
        };
        if let Ok(filter) = Filter::compile(&expr) {
            compiled += 1;
            // evaluating whatever compiled must not panic either
            let _ = filter.matches(&m.input());
        }
    }
    assert!(compiled > 0);
}

/// The examples of the README.
#[test]
fn readme_examples() {
    let mut m = order();
    m.properties.insert("retry".to_owned(), "2".to_owned());
    yes(r#"value.order.amount > 100 && key.startsWith("u-")"#, &m);
    yes(r#"properties["trace-id"] == "abc" || "retry" in properties"#, &m);
    yes(r#"publish_time >= timestamp("2026-11-27T10:00:00Z") && value.status != "NEW""#, &m);
    yes(r#"value.items.exists(i, i.sku.matches("^A-") && i.qty > 1)"#, &m);
    no(r#"decode_error != null || !has(value.customer.name)"#, &m);
    // relative to when the filter was compiled
    let mut old = Msg::new(None, json!(null));
    old.publish_time_ms = T0 - 365 * 24 * 3_600_000;
    no(r#"publish_time > now - duration("15m")"#, &old);
    let mut recent = Msg::new(None, json!(null));
    recent.publish_time_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    yes(r#"publish_time > now - duration("15m")"#, &recent);
}
