//! The difference between two schema versions of a topic, for the schema
//! pane: fields added, removed, type changed, default added/removed/changed.
//!
//! Pure (no I/O) and total: unparseable definitions only produce a
//! [`SchemaDiff::note`], never a panic. Work, depth and output size are
//! bounded.
//!
//! # What is compared
//!
//! * AVRO, JSON and legacy PROTOBUF carry Avro-style definitions in `data`:
//!   record fields are matched by name (recursively through nested records,
//!   optional unions, arrays and maps); types and defaults are compared.
//! * PROTOBUF_NATIVE: fields of the root message (and of the messages it
//!   uses) are matched by number *and* name; a field whose number or name
//!   changed is reported as removed + added, with a note saying it was
//!   renamed or renumbered. Proto2 `[default = ..]` values are compared too.
//! * KEY_VALUE: the key and value sides are compared separately, with paths
//!   prefixed `key.` / `value.`; a changed inner schema type is a
//!   [`Change::TypeChanged`] at `key` / `value`.
//! * Different schema types give [`Change::SchemaTypeChanged`] (followed by
//!   the field diff when both sides are Avro-style, e.g. AVRO → JSON).
//! * Other types (primitives, NONE, BYTES, ...) have no definition to
//!   compare.
//!
//! # Paths and type strings
//!
//! Paths are dotted for nested records (`customer.address.zip`), with `[]`
//! for array items and `{}` for map values (`lines[].sku`, `attrs{}`); a
//! change of the whole schema's root type has path `(root)` (or `key` /
//! `value` inside KEY_VALUE).
//!
//! Types are readable: `string`, `["null","string"]` as `string?`, records
//! and messages by (short) name, `array<T>`, `map<T>` (protobuf:
//! `map<K,V>`), `enum Color{R,G}`, `fixed Md5(16)`, other unions as
//! `int | string | null`, logical types by their name (`timestamp-millis`,
//! `decimal(10,2)`, `uuid`). Protobuf types of added and removed fields end
//! with the field number (`string #4`).

mod avro;
mod protobuf;

use serde_json::{Map, Value};

use super::schema::{SchemaInfo, SchemaType};
use avro::diff_avro_text;
use protobuf::diff_proto_data;

/// At most this many changes are listed; the rest are counted in the note.
const MAX_CHANGES: usize = 1_000;
/// Maximum nesting followed (records in records, arrays of arrays, ...).
const MAX_DEPTH: usize = 64;
/// Maximum number of type comparisons per diff (schemas that reuse a named
/// type many times expand it at every use).
const MAX_WORK: usize = 100_000;
/// Maximum KEY_VALUE inside KEY_VALUE nesting (as the decoder).
const MAX_KV_NESTING: usize = 4;
/// Defaults longer than this are shortened by [`Change::describe`].
const MAX_DEFAULT_CHARS: usize = 60;

/// The difference between two schema versions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaDiff {
    /// The changes, in the order of the new schema's fields (protobuf: by
    /// field number), removed fields after the fields of their record or
    /// message. Empty for equivalent schemas.
    pub changes: Vec<Change>,
    /// Why the comparison is partial or impossible (unparseable definition,
    /// renamed protobuf fields, KEY_VALUE encoding change, truncation, ...).
    pub note: Option<String>,
}

impl SchemaDiff {
    /// `true` when there are no changes and nothing to note.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.note.is_none()
    }
}

/// One difference between two schema versions. See the module docs for
/// the path and type string conventions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A field exists only in the new schema.
    Added { path: String, ty: String, default: Option<Value> },
    /// A field exists only in the old schema.
    Removed { path: String, ty: String },
    /// A field (or the root, or a KEY_VALUE side) has another type.
    TypeChanged { path: String, from: String, to: String },
    /// The field got a default value.
    DefaultAdded { path: String, default: Value },
    /// The field lost its default value.
    DefaultRemoved { path: String },
    /// The field's default value changed.
    DefaultChanged { path: String, from: Value, to: Value },
    /// The schema type changed (`AVRO` → `JSON`, `STRING` → `AVRO`, ...).
    SchemaTypeChanged { from: String, to: String },
}

impl Change {
    /// The changed path; `None` for [`Change::SchemaTypeChanged`].
    pub fn path(&self) -> Option<&str> {
        match self {
            Change::Added { path, .. }
            | Change::Removed { path, .. }
            | Change::TypeChanged { path, .. }
            | Change::DefaultAdded { path, .. }
            | Change::DefaultRemoved { path }
            | Change::DefaultChanged { path, .. } => Some(path),
            Change::SchemaTypeChanged { .. } => None,
        }
    }

    /// One line: `+ currency: string = "USD"`, `- legacy_id: long`,
    /// `~ amount: float → double`, `~ amount: default = 0 (added)`,
    /// `~ amount: default removed`, `~ amount: default 0 → 1`,
    /// `~ schema type: AVRO → JSON`. Long defaults are shortened with `…`.
    pub fn describe(&self) -> String {
        match self {
            Change::Added { path, ty, default: None } => format!("+ {path}: {ty}"),
            Change::Added { path, ty, default: Some(d) } => format!("+ {path}: {ty} = {}", show(d)),
            Change::Removed { path, ty } => format!("- {path}: {ty}"),
            Change::TypeChanged { path, from, to } => format!("~ {path}: {from} → {to}"),
            Change::DefaultAdded { path, default } => format!("~ {path}: default = {} (added)", show(default)),
            Change::DefaultRemoved { path } => format!("~ {path}: default removed"),
            Change::DefaultChanged { path, from, to } => format!("~ {path}: default {} → {}", show(from), show(to)),
            Change::SchemaTypeChanged { from, to } => format!("~ schema type: {from} → {to}"),
        }
    }
}

/// A default value as compact JSON, shortened to one readable chunk.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= MAX_DEFAULT_CHARS {
        return s;
    }
    let mut out: String = s.chars().take(MAX_DEFAULT_CHARS - 1).collect();
    out.push('…');
    out
}

/// Compares two schema versions of a topic (`old` → `new`).
pub fn diff(old: &SchemaInfo, new: &SchemaInfo) -> SchemaDiff {
    let mut cx = Ctx::default();
    diff_info(old, new, "", 0, &mut cx);
    cx.finish()
}

// ---------------------------------------------------------------------------
// bookkeeping
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Ctx {
    changes: Vec<Change>,
    notes: Vec<String>,
    dropped: usize,
    work: usize,
    /// Set once the work budget is spent (one note).
    exhausted: bool,
    /// Set once the depth limit was hit (one note).
    too_deep: bool,
}

impl Ctx {
    fn push(&mut self, c: Change) {
        if self.changes.len() < MAX_CHANGES {
            self.changes.push(c);
        } else {
            self.dropped += 1;
        }
    }

    fn note(&mut self, n: String) {
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }

    /// Spends one unit of work; `false` (with a note, once) when the budget
    /// or the depth limit is exceeded.
    fn enter(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.note(format!("nesting deeper than {MAX_DEPTH} levels was not compared"));
            }
            return false;
        }
        if self.work >= MAX_WORK {
            if !self.exhausted {
                self.exhausted = true;
                self.note("the schemas are too large to compare completely; the list is partial".to_string());
            }
            return false;
        }
        self.work += 1;
        true
    }

    fn finish(mut self) -> SchemaDiff {
        if self.dropped > 0 {
            self.notes.push(format!("… and {} more changes not listed", self.dropped));
        }
        let note = if self.notes.is_empty() { None } else { Some(self.notes.join("; ")) };
        SchemaDiff { changes: self.changes, note }
    }
}

/// `a.b` (or `b` under the root).
fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The path of a whole (sub)schema: `(root)` at the top.
fn root_path(prefix: &str) -> String {
    if prefix.is_empty() {
        "(root)".to_string()
    } else {
        prefix.to_string()
    }
}

/// "old schema" / "old key schema" for notes.
fn side(which: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        format!("{which} schema")
    } else {
        format!("{which} {prefix} schema")
    }
}

/// JSON values equal, treating `0` and `0.0` as the same number.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.as_f64().is_some() && x.as_f64() == y.as_f64()),
        _ => a == b,
    }
}

fn diff_defaults(path: &str, old: Option<&Value>, new: Option<&Value>, cx: &mut Ctx) {
    match (old, new) {
        (None, Some(d)) => cx.push(Change::DefaultAdded { path: path.to_string(), default: d.clone() }),
        (Some(_), None) => cx.push(Change::DefaultRemoved { path: path.to_string() }),
        (Some(a), Some(b)) if !same_value(a, b) => {
            cx.push(Change::DefaultChanged { path: path.to_string(), from: a.clone(), to: b.clone() })
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// dispatch
// ---------------------------------------------------------------------------

/// Schema types whose `data` is an Avro-style definition.
fn avro_style(t: SchemaType) -> bool {
    matches!(t, SchemaType::Avro | SchemaType::Json | SchemaType::Protobuf)
}

fn diff_info(old: &SchemaInfo, new: &SchemaInfo, prefix: &str, kv_nesting: usize, cx: &mut Ctx) {
    if old.schema_type != new.schema_type {
        let (from, to) = (old.schema_type.name().to_string(), new.schema_type.name().to_string());
        if prefix.is_empty() {
            cx.push(Change::SchemaTypeChanged { from, to });
        } else {
            cx.push(Change::TypeChanged { path: prefix.to_string(), from, to });
        }
        if avro_style(old.schema_type) && avro_style(new.schema_type) {
            diff_avro_text(&old.data, &new.data, prefix, cx);
        }
        return;
    }
    if old.data == new.data && old.properties == new.properties {
        return;
    }
    match old.schema_type {
        t if avro_style(t) => diff_avro_text(&old.data, &new.data, prefix, cx),
        SchemaType::ProtobufNative => diff_proto_data(&old.data, &new.data, prefix, cx),
        SchemaType::KeyValue => diff_kv(old, new, prefix, kv_nesting, cx),
        // Primitives, NONE, BYTES, AUTO*: nothing to compare.
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// KEY_VALUE
// ---------------------------------------------------------------------------

/// The inner schemas and the encoding of a KEY_VALUE schema, read as the
/// decoder does (see `key_value.rs`).
fn kv_parts(info: &SchemaInfo) -> Result<(SchemaInfo, SchemaInfo, String), String> {
    let spec: Map<String, Value> = if info.data.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(&info.data) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err("KEY_VALUE data is not a JSON object".to_string()),
            Err(e) => return Err(format!("KEY_VALUE data is not JSON: {e}")),
        }
    };
    let encoding = match info.properties.get("kv.encoding.type").map(|s| s.trim()) {
        None | Some("") => "INLINE".to_string(),
        Some(s) => s.to_ascii_uppercase(),
    };
    let key = kv_side(info, &spec, "key")?;
    let value = kv_side(info, &spec, "value")?;
    Ok((key, value, encoding))
}

/// One side of a KEY_VALUE schema, read the way the decoder reads it.
fn kv_side(info: &SchemaInfo, spec: &Map<String, Value>, side: &str) -> Result<SchemaInfo, String> {
    super::key_value::inner_info(info, spec, side).map_err(|e| e.to_string())
}

fn diff_kv(old: &SchemaInfo, new: &SchemaInfo, prefix: &str, kv_nesting: usize, cx: &mut Ctx) {
    if kv_nesting >= MAX_KV_NESTING {
        cx.note("KEY_VALUE nested too deeply; not compared".to_string());
        return;
    }
    let parts = |which: &str, info: &SchemaInfo, cx: &mut Ctx| match kv_parts(info) {
        Ok(p) => Some(p),
        Err(e) => {
            cx.note(format!("{} not compared: {e}", side(which, prefix)));
            None
        }
    };
    let (Some((ok, ov, oenc)), Some((nk, nv, nenc))) = (parts("old", old, cx), parts("new", new, cx)) else {
        return;
    };
    if oenc != nenc {
        cx.note(format!("KEY_VALUE encoding changed: {oenc} → {nenc}"));
    }
    diff_info(&ok, &nk, &join(prefix, "key"), kv_nesting + 1, cx);
    diff_info(&ov, &nv, &join(prefix, "value"), kv_nesting + 1, cx);
}

#[cfg(test)]
mod tests;
