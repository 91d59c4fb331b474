//! Fixture loading for the unit tests. Fixtures are produced by
//! `tests/fixtures/decode/gen_fixtures.py` with independent encoders
//! (fastavro, python-protobuf, struct, json); `cases.json` lists every
//! payload with the expected outcome computed on the Python side.

use std::path::PathBuf;

use serde_json::Value;

use super::{Decoder, SchemaInfo, ValueKind};

pub(crate) fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/decode/")).join(name)
}

pub(crate) fn fixture_bytes(name: &str) -> Vec<u8> {
    let p = fixture_path(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading fixture {}: {e}", p.display()))
}

pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).expect("fixture is JSON")
}

/// All entries of `cases.json`.
pub(crate) fn all_case_names() -> Vec<String> {
    let Value::Array(cases) = fixture_json("cases.json") else { panic!("cases.json is not an array") };
    cases.iter().map(|c| c["name"].as_str().expect("case name").to_string()).collect()
}

/// One fixture case.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) name: String,
    /// `None` means "no schema" (use [`Decoder::schemaless`]).
    pub(crate) info: Option<SchemaInfo>,
    pub(crate) payload: Vec<u8>,
    pub(crate) key: Option<Vec<u8>>,
    /// Expected `Decoder::new` error variant, if compiling must fail.
    pub(crate) compile_error: Option<String>,
    /// The expected decoded value (for successful cases).
    pub(crate) expect_value: Option<Value>,
    /// The whole `expect` block.
    pub(crate) expect: Value,
}

pub(crate) fn load_case(name: &str) -> Case {
    let Value::Array(cases) = fixture_json("cases.json") else { panic!("cases.json is not an array") };
    let c = cases.into_iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no fixture case {name}"));
    let info =
        c["schema"].as_str().map(|f| SchemaInfo::from_admin_json(&fixture_json(f)).expect("fixture schema parses"));
    let payload = fixture_bytes(c["payload"].as_str().expect("payload file"));
    let key = c["key"].as_str().map(fixture_bytes);
    let compile_error = c["compile_error"].as_str().map(str::to_string);
    let expect = c["expect"].clone();
    let expect_value =
        if expect.get("error").is_some_and(Value::is_null) { expect.get("value").cloned() } else { None };
    Case { name: name.to_string(), info, payload, key, compile_error, expect_value, expect }
}

fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Json => "Json",
        ValueKind::Text => "Text",
        ValueKind::Binary => "Binary",
        ValueKind::Structured => "Structured",
    }
}

/// Asserts the decoder's behaviour on `case` matches the generator's
/// expectation.
pub(crate) fn check_case(case: &Case) {
    let name = &case.name;
    if let Some(want) = &case.compile_error {
        let info = case.info.as_ref().expect("compile_error case has a schema");
        match Decoder::new(info) {
            Ok(_) => panic!("{name}: schema compiled, expected {want}"),
            Err(e) => assert_eq!(e.kind_name(), want, "{name}: {e}"),
        }
        return;
    }
    let decoder = match &case.info {
        Some(info) => Decoder::new(info).unwrap_or_else(|e| panic!("{name}: compile: {e}")),
        None => Decoder::schemaless(),
    };
    let out = decoder.decode(&case.payload, case.key.as_deref());
    match case.expect.get("error").and_then(Value::as_str) {
        Some(want) => {
            let err =
                out.error.as_ref().unwrap_or_else(|| panic!("{name}: decoded {:?}, expected error {want}", out.value));
            if want != "any" {
                assert_eq!(err.kind_name(), want, "{name}: {err}");
            }
            assert_eq!(out.value, Value::Null, "{name}");
            assert_eq!(out.kind, ValueKind::Binary, "{name}");
        }
        None => {
            assert_eq!(out.error, None, "{name}: notes {:?}", out.notes);
            let want = case.expect_value.as_ref().expect("expected value");
            assert_eq!(&out.value, want, "{name}:\n got  {}\n want {}", out.value, want);
            let want_kind = case.expect["kind"].as_str().expect("kind");
            assert_eq!(kind_name(out.kind), want_kind, "{name}");
            if let Some(needles) = case.expect["notes_contain"].as_array() {
                for n in needles {
                    let n = n.as_str().expect("note needle");
                    assert!(out.notes.iter().any(|x| x.contains(n)), "{name}: no note contains {n:?}: {:?}", out.notes);
                }
            }
            if case.expect["notes_empty"] == Value::Bool(true) {
                assert!(out.notes.is_empty(), "{name}: unexpected notes {:?}", out.notes);
            }
        }
    }
}
