//! JSON: the payload is JSON text; the schema is an Avro-style record
//! schema (what Pulsar's `JSONSchema` registers).
//!
//! The parsed JSON is always returned as-is. The schema is only used to
//! produce warnings (missing required field, wrong JSON type, unknown
//! field, ...), never to refuse data. If the schema cannot be parsed as Avro
//! (e.g. very old Pulsar versions registered JSON-Schema drafts), decoding
//! still works and a note says validation was skipped.

use std::collections::HashMap;

use apache_avro::schema::{Name, NamespaceRef, Schema, UuidSchema};
use serde_json::Value;

use super::avro;
use super::error::DecodeError;

/// Maximum number of validation warnings reported per message.
const MAX_WARNINGS: usize = 20;

/// A compiled JSON schema decoder.
#[derive(Debug, Clone)]
pub(crate) struct JsonDecoder {
    schema: Result<(Schema, HashMap<Name, Schema>), String>,
}

impl JsonDecoder {
    /// Never fails: an unusable schema only disables validation.
    pub(crate) fn new(schema_text: &str) -> Self {
        let schema = if schema_text.trim().is_empty() {
            Err("the schema is empty".to_string())
        } else {
            avro::parse_schema(schema_text).map_err(|e| e.to_string())
        };
        JsonDecoder { schema }
    }

    /// Parses the payload and validates it against the schema.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<(Value, Vec<String>), DecodeError> {
        let text = std::str::from_utf8(payload).map_err(|_| DecodeError::InvalidUtf8)?;
        let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
        let mut notes = Vec::new();
        match &self.schema {
            Ok((schema, names)) => {
                let mut v = Validator {
                    names,
                    warnings: Vec::new(),
                    dropped: 0,
                    work: payload.len().saturating_mul(8).saturating_add(100_000),
                };
                v.check(schema, None, &value, "", 0);
                if v.work == 0 {
                    notes.push("schema validation stopped early (value too complex)".to_string());
                }
                notes.extend(v.warnings);
                if v.dropped > 0 {
                    notes.push(format!("… and {} more schema mismatches", v.dropped));
                }
            }
            Err(e) => notes.push(format!("schema not validated ({e})")),
        }
        Ok((value, notes))
    }
}

struct Validator<'a> {
    names: &'a HashMap<Name, Schema>,
    warnings: Vec<String>,
    dropped: usize,
    /// Remaining schema/value visits; unions can make matching branch-heavy,
    /// so validation gives up (silently accepting) once this is spent.
    work: usize,
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "(root)"
    } else {
        path
    }
}

impl<'a> Validator<'a> {
    fn warn(&mut self, w: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        } else {
            self.dropped += 1;
        }
    }

    fn resolve(&self, schema: &'a Schema, ns: NamespaceRef) -> Option<(&'a Schema, Option<&'a Name>)> {
        match schema {
            Schema::Ref { name } => {
                let fq = name.fully_qualified_name(ns);
                self.names
                    .get_key_value(fq.as_ref())
                    .or_else(|| self.names.get_key_value(name))
                    .map(|(k, s)| (s, Some(k)))
            }
            other => Some((other, None)),
        }
    }

    /// Whether `value` is acceptable for `schema` (no warnings emitted).
    fn matches(&mut self, schema: &'a Schema, ns: NamespaceRef, value: &Value, depth: usize) -> bool {
        if depth > avro::MAX_DEPTH || !self.spend() {
            return true;
        }
        let Some((schema, _)) = self.resolve(schema, ns) else {
            return true;
        };
        match (schema, value) {
            (Schema::Null, Value::Null) => true,
            (Schema::Union(u), v) => u.variants().iter().any(|s| self.matches(s, ns, v, depth + 1)),
            (Schema::Record(r), Value::Object(o)) => {
                let fq = r.name.fully_qualified_name(ns);
                r.fields.iter().all(|f| match o.get(&f.name) {
                    Some(v) => self.matches(&f.schema, fq.namespace(), v, depth + 1),
                    None => f.default.is_some() || self.nullable(&f.schema, fq.namespace()),
                })
            }
            (Schema::Array(a), Value::Array(items)) => items.iter().all(|v| self.matches(&a.items, ns, v, depth + 1)),
            (Schema::Map(m), Value::Object(o)) => o.values().all(|v| self.matches(&m.types, ns, v, depth + 1)),
            (Schema::Enum(e), Value::String(s)) => e.symbols.iter().any(|x| x == s),
            (s, v) => scalar_ok(s, v),
        }
    }

    fn nullable(&self, schema: &'a Schema, ns: NamespaceRef) -> bool {
        match self.resolve(schema, ns) {
            Some((Schema::Null, _)) => true,
            Some((Schema::Union(u), _)) => u.variants().iter().any(|s| matches!(s, Schema::Null)),
            _ => false,
        }
    }

    fn spend(&mut self) -> bool {
        match self.work.checked_sub(1) {
            Some(w) => {
                self.work = w;
                true
            }
            None => false,
        }
    }

    fn check(&mut self, schema: &'a Schema, ns: NamespaceRef, value: &Value, path: &str, depth: usize) {
        if depth > avro::MAX_DEPTH || !self.spend() {
            return;
        }
        let Some((schema, _)) = self.resolve(schema, ns) else {
            self.warn(format!("{}: unresolved schema type reference", shown(path)));
            return;
        };
        match (schema, value) {
            (Schema::Union(u), v) => {
                let variants = u.variants();
                if variants.iter().any(|s| self.matches(s, ns, v, depth + 1)) {
                    // Descend into the first matching branch for nested details
                    // only when no branch matches exactly; here one does.
                    return;
                }
                // Pick the first non-null branch whose JSON type fits, to
                // report nested problems precisely.
                let candidate = variants.iter().find(|s| !matches!(s, Schema::Null) && self.shape_fits(s, ns, v));
                match candidate {
                    Some(s) => self.check(s, ns, v, path, depth + 1),
                    None => self.warn(format!(
                        "{}: expected {}, found {}",
                        shown(path),
                        self.describe_union(variants),
                        json_type(v)
                    )),
                }
            }
            (Schema::Record(r), Value::Object(o)) => {
                let fq = r.name.fully_qualified_name(ns);
                let inner_ns = fq.namespace();
                for f in &r.fields {
                    let p = join(path, &f.name);
                    match o.get(&f.name) {
                        Some(v) => self.check(&f.schema, inner_ns, v, &p, depth + 1),
                        None => {
                            if f.default.is_none() && !self.nullable(&f.schema, inner_ns) {
                                self.warn(format!("{p}: missing required field"));
                            }
                        }
                    }
                }
                for k in o.keys() {
                    if !r.lookup.contains_key(k) && !r.fields.iter().any(|f| &f.name == k) {
                        self.warn(format!("{}: field not in schema", join(path, k)));
                    }
                }
            }
            (Schema::Array(a), Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    self.check(&a.items, ns, v, &format!("{path}[{i}]"), depth + 1);
                }
            }
            (Schema::Map(m), Value::Object(o)) => {
                for (k, v) in o {
                    self.check(&m.types, ns, v, &join(path, k), depth + 1);
                }
            }
            (Schema::Enum(e), Value::String(s)) => {
                if !e.symbols.iter().any(|x| x == s) {
                    self.warn(format!("{}: {s:?} is not a symbol of enum {}", shown(path), e.name.name()));
                }
            }
            (s, v) => {
                if !scalar_ok(s, v) {
                    self.warn(format!("{}: expected {}, found {}", shown(path), describe(s), json_type(v)));
                }
            }
        }
    }

    /// Whether the JSON kind of `v` is the one `schema` expects (ignoring
    /// nested content).
    fn shape_fits(&self, schema: &'a Schema, ns: NamespaceRef, v: &Value) -> bool {
        match self.resolve(schema, ns) {
            Some((Schema::Record(_) | Schema::Map(_), _)) => v.is_object(),
            Some((Schema::Array(_), _)) => v.is_array(),
            Some((Schema::Enum(_), _)) => v.is_string(),
            Some((s, _)) => scalar_ok(s, v),
            None => false,
        }
    }

    fn describe_union(&self, variants: &[Schema]) -> String {
        let parts: Vec<&str> = variants.iter().map(describe).collect();
        parts.join(" or ")
    }
}

/// The pattern of Avro's date/time logical types (Jackson writes them as numbers or strings).
macro_rules! date_time {
    () => {
        Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos
    };
}

fn describe(s: &Schema) -> &'static str {
    match s {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int | Schema::Long => "integer",
        Schema::Float | Schema::Double => "number",
        Schema::Bytes | Schema::Fixed(_) => "string (bytes)",
        Schema::String | Schema::Uuid(_) => "string",
        Schema::Enum(_) => "enum symbol",
        Schema::Array(_) => "array",
        Schema::Map(_) => "object (map)",
        Schema::Record(_) => "object",
        Schema::Union(_) => "union",
        Schema::Ref { .. } => "named type",
        Schema::Decimal(_) | Schema::BigDecimal => "decimal (number or string)",
        date_time!() => "date/time (integer or string)",
        Schema::Duration(_) => "duration",
    }
}

/// Scalar compatibility between a (non-container) Avro type and a JSON value.
fn scalar_ok(s: &Schema, v: &Value) -> bool {
    match (s, v) {
        (Schema::Null, Value::Null) => true,
        (Schema::Boolean, Value::Bool(_)) => true,
        (Schema::Int, Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        (Schema::Long, Value::Number(n)) => n.as_i64().is_some(),
        (Schema::Float | Schema::Double, Value::Number(_)) => true,
        // Jackson writes NaN/Infinity as strings when allowed.
        (Schema::Float | Schema::Double, Value::String(s)) => {
            matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity")
        }
        (Schema::String, Value::String(_)) => true,
        (Schema::Uuid(UuidSchema::String), Value::String(_)) => true,
        (Schema::Uuid(_), Value::String(_)) => true,
        // Jackson renders byte[] as base64 strings.
        (Schema::Bytes | Schema::Fixed(_), Value::String(_)) => true,
        (Schema::Decimal(_) | Schema::BigDecimal, Value::Number(_) | Value::String(_)) => true,
        (date_time!(), Value::Number(_) | Value::String(_)) => true,
        (Schema::Duration(_), _) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{check_case, load_case};
    use serde_json::json;

    #[test]
    fn fixture_cases() {
        for name in ["json_user", "json_user_bad", "json_invalid"] {
            check_case(&load_case(name));
        }
    }

    #[test]
    fn bad_payload_reports_each_problem_once() {
        let case = load_case("json_user_bad");
        let d = JsonDecoder::new(&case.info.as_ref().unwrap().data);
        let (_, notes) = d.decode(&case.payload).unwrap();
        assert_eq!(notes.len(), 4, "{notes:#?}");
    }

    #[test]
    fn unparseable_schema_still_shows_data() {
        let d = JsonDecoder::new(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#);
        let (v, notes) = d.decode(br#"{"a": 1}"#).unwrap();
        assert_eq!(v, json!({"a": 1}));
        assert!(notes.iter().any(|n| n.contains("not validated")));
        let d = JsonDecoder::new("");
        assert!(d.decode(b"[1]").is_ok());
    }

    #[test]
    fn errors() {
        let d = JsonDecoder::new(r#""string""#);
        assert!(matches!(d.decode(b"\xff\xfe"), Err(DecodeError::InvalidUtf8)));
        assert!(matches!(d.decode(b""), Err(DecodeError::InvalidJson(_))));
        assert!(matches!(d.decode(b"[1,"), Err(DecodeError::InvalidJson(_))));
        // deep nesting: serde_json's recursion limit turns it into an error
        let deep = "[".repeat(100_000);
        assert!(matches!(d.decode(deep.as_bytes()), Err(DecodeError::InvalidJson(_))));
        let (_, notes) = d.decode(b"5").unwrap();
        assert_eq!(notes.len(), 1);
    }

    /// A union of two structurally identical recursive records would make
    /// naive matching exponential in the nesting depth; the work budget
    /// keeps it bounded.
    #[test]
    fn branchy_unions_are_bounded() {
        let d = JsonDecoder::new(
            r#"{"type":"record","name":"A","fields":[
                {"name":"n","type":["null","A",{"type":"record","name":"B","fields":[
                    {"name":"n","type":["null","A","B"]}]}]},
                {"name":"x","type":"int"}]}"#,
        );
        let mut text = String::from("{\"n\": null, \"x\": \"bad\"}");
        for _ in 0..60 {
            text = format!("{{\"n\": {text}}}");
        }
        let start = std::time::Instant::now();
        let (_, notes) = d.decode(text.as_bytes()).unwrap();
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(!notes.is_empty());
    }

    #[test]
    fn scalar_rules() {
        let d = JsonDecoder::new(
            r#"{"type":"record","name":"R","fields":[
                {"name":"i","type":"int"},
                {"name":"l","type":"long"},
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},
                {"name":"m","type":{"type":"map","values":"boolean"}},
                {"name":"u","type":["null","R"],"default":null}
            ]}"#,
        );
        let (_, notes) = d.decode(br#"{"i": 1, "l": 5000000000, "e": "A", "m": {"x": true}, "u": null}"#).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let (_, notes) = d.decode(br#"{"i": 5000000000, "l": 1.5, "e": "B", "m": {"x": 1}, "u": {"i": 1}}"#).unwrap();
        let all = notes.join("\n");
        for needle in ["i:", "l:", "e:", "m.x:", "u.l: missing", "u.e: missing", "u.m: missing"] {
            assert!(all.contains(needle), "{needle} not in {all}");
        }
    }
}
