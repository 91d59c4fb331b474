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

use std::collections::HashMap;

use apache_avro::schema::{Name, RecordField, RecordSchema, Schema, UuidSchema};
use prost_reflect::{Cardinality, DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

use super::avro;
use super::protobuf::lenient_base64;
use super::schema::{SchemaInfo, SchemaType};

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

// ---------------------------------------------------------------------------
// Avro-style definitions (AVRO, JSON, legacy PROTOBUF)
// ---------------------------------------------------------------------------

type Names = HashMap<Name, Schema>;

fn parse_avro(text: &str) -> Result<(Schema, Names), String> {
    if text.trim().is_empty() {
        return Err("it has no definition".to_string());
    }
    avro::parse_schema(text).map_err(|e| e.to_string())
}

fn diff_avro_text(old: &str, new: &str, prefix: &str, cx: &mut Ctx) {
    let o = parse_avro(old).map_err(|e| format!("{} not compared: {e}", side("old", prefix)));
    let n = parse_avro(new).map_err(|e| format!("{} not compared: {e}", side("new", prefix)));
    match (o, n) {
        (Ok((os, onames)), Ok((ns, nnames))) => {
            let mut d = AvroDiff { old: &onames, new: &nnames, stack: Vec::new(), cx };
            d.cmp(prefix, &os, None, &ns, None, 0);
        }
        (o, n) => {
            for e in [o.err(), n.err()].into_iter().flatten() {
                cx.note(e);
            }
        }
    }
}

/// A schema position: the schema and its enclosing namespace.
#[derive(Clone, Copy)]
struct At<'a> {
    schema: &'a Schema,
    ns: Option<&'a str>,
}

/// Follows a reference to its definition (same namespace rules as the
/// decoder). Unresolvable references stay as they are.
fn resolve<'a>(names: &'a Names, at: At<'a>) -> At<'a> {
    match at.schema {
        Schema::Ref { name } => {
            let fq = name.fully_qualified_name(at.ns);
            match names.get_key_value(fq.as_ref()).or_else(|| names.get_key_value(name)) {
                Some((k, s)) => At { schema: s, ns: k.namespace() },
                None => at,
            }
        }
        _ => at,
    }
}

/// Splits `["null", T]` / `[T, "null"]` into `(T, true)`.
fn unwrap_optional(s: &Schema) -> (&Schema, bool) {
    if let Schema::Union(u) = s {
        if let [a, b] = u.variants() {
            match (a, b) {
                (Schema::Null, other) | (other, Schema::Null) if !matches!(other, Schema::Null) => {
                    return (other, true)
                }
                _ => {}
            }
        }
    }
    (s, false)
}

/// The fully qualified name of a record found at `ns`, and the namespace
/// its fields are resolved in.
fn record_fq(names: &Names, r: &RecordSchema, ns: Option<&str>) -> String {
    let fq = r.name.fully_qualified_name(ns);
    // Prefer the key the decoder collected (same rules; keeps lifetimes simple).
    names.get_key_value(fq.as_ref()).map(|(k, _)| k.fullname(None)).unwrap_or_else(|| fq.fullname(None))
}

fn record_ns<'a>(names: &'a Names, r: &'a RecordSchema, ns: Option<&'a str>) -> Option<&'a str> {
    let fq = r.name.fully_qualified_name(ns);
    match names.get_key_value(fq.as_ref()) {
        Some((k, _)) => k.namespace(),
        None => r.name.namespace().or(ns),
    }
}

/// A readable type string (see the module docs).
fn avro_ty(names: &Names, at: At<'_>, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "…".to_string();
    }
    let at = resolve(names, at);
    match at.schema {
        Schema::Null => "null".into(),
        Schema::Boolean => "boolean".into(),
        Schema::Int => "int".into(),
        Schema::Long => "long".into(),
        Schema::Float => "float".into(),
        Schema::Double => "double".into(),
        Schema::Bytes => "bytes".into(),
        Schema::String => "string".into(),
        Schema::Array(a) => format!("array<{}>", avro_ty(names, At { schema: &a.items, ns: at.ns }, depth + 1)),
        Schema::Map(m) => format!("map<{}>", avro_ty(names, At { schema: &m.types, ns: at.ns }, depth + 1)),
        Schema::Union(u) => {
            let (inner, optional) = unwrap_optional(at.schema);
            if optional {
                format!("{}?", avro_ty(names, At { schema: inner, ns: at.ns }, depth + 1))
            } else {
                let parts: Vec<String> =
                    u.variants().iter().map(|v| avro_ty(names, At { schema: v, ns: at.ns }, depth + 1)).collect();
                parts.join(" | ")
            }
        }
        Schema::Record(r) => r.name.name().to_string(),
        Schema::Enum(e) => format!("enum {}{{{}}}", e.name.name(), e.symbols.join(",")),
        Schema::Fixed(f) => format!("fixed {}({})", f.name.name(), f.size),
        Schema::Decimal(d) => format!("decimal({},{})", d.precision, d.scale),
        Schema::BigDecimal => "big-decimal".into(),
        Schema::Uuid(UuidSchema::Fixed(_)) => "uuid (fixed)".into(),
        Schema::Uuid(_) => "uuid".into(),
        Schema::Date => "date".into(),
        Schema::TimeMillis => "time-millis".into(),
        Schema::TimeMicros => "time-micros".into(),
        Schema::TimestampMillis => "timestamp-millis".into(),
        Schema::TimestampMicros => "timestamp-micros".into(),
        Schema::TimestampNanos => "timestamp-nanos".into(),
        Schema::LocalTimestampMillis => "local-timestamp-millis".into(),
        Schema::LocalTimestampMicros => "local-timestamp-micros".into(),
        Schema::LocalTimestampNanos => "local-timestamp-nanos".into(),
        Schema::Duration(_) => "duration".into(),
        Schema::Ref { name } => name.name().to_string(),
    }
}

struct AvroDiff<'a, 'c> {
    old: &'a Names,
    new: &'a Names,
    /// Record pairs being compared (recursive types end here).
    stack: Vec<(String, String)>,
    cx: &'c mut Ctx,
}

impl<'a> AvroDiff<'a, '_> {
    fn ty_old(&self, at: At<'_>) -> String {
        avro_ty(self.old, at, 0)
    }

    fn ty_new(&self, at: At<'_>) -> String {
        avro_ty(self.new, at, 0)
    }

    /// Compares the types at `path` (`""` = root) and what is inside them.
    fn cmp(
        &mut self,
        path: &str,
        o: &'a Schema,
        ons: Option<&'a str>,
        n: &'a Schema,
        nns: Option<&'a str>,
        depth: usize,
    ) {
        if !self.cx.enter(depth) {
            return;
        }
        let o = resolve(self.old, At { schema: o, ns: ons });
        let n = resolve(self.new, At { schema: n, ns: nns });
        let (oi, oopt) = unwrap_optional(o.schema);
        let (ni, nopt) = unwrap_optional(n.schema);
        let oi = resolve(self.old, At { schema: oi, ns: o.ns });
        let ni = resolve(self.new, At { schema: ni, ns: n.ns });
        let from = self.ty_old(o);
        let to = self.ty_new(n);
        match (oi.schema, ni.schema) {
            (Schema::Record(a), Schema::Record(b)) => {
                let afq = record_fq(self.old, a, oi.ns);
                let bfq = record_fq(self.new, b, ni.ns);
                if afq != bfq || oopt != nopt {
                    // Same short name in another namespace: show the full names.
                    let (from, to) = if from == to { (qualify(&afq, oopt), qualify(&bfq, nopt)) } else { (from, to) };
                    self.cx.push(Change::TypeChanged { path: root_path(path), from, to });
                }
                let key = (afq, bfq);
                if self.stack.contains(&key) {
                    return;
                }
                self.stack.push(key);
                let ans = record_ns(self.old, a, oi.ns);
                let bns = record_ns(self.new, b, ni.ns);
                self.fields(path, &a.fields, ans, &b.fields, bns, depth);
                self.stack.pop();
            }
            (Schema::Array(a), Schema::Array(b)) => {
                if oopt != nopt {
                    self.cx.push(Change::TypeChanged { path: root_path(path), from, to });
                }
                self.cmp(&format!("{path}[]"), &a.items, oi.ns, &b.items, ni.ns, depth + 1);
            }
            (Schema::Map(a), Schema::Map(b)) => {
                if oopt != nopt {
                    self.cx.push(Change::TypeChanged { path: root_path(path), from, to });
                }
                self.cmp(&format!("{path}{{}}"), &a.types, oi.ns, &b.types, ni.ns, depth + 1);
            }
            (Schema::Union(a), Schema::Union(b)) => {
                if from != to {
                    self.cx.push(Change::TypeChanged { path: root_path(path), from, to });
                }
                // Records that are branches of both unions: compare their
                // fields at the same path.
                for av in a.variants() {
                    let av = resolve(self.old, At { schema: av, ns: oi.ns });
                    let Schema::Record(ar) = av.schema else { continue };
                    let afq = record_fq(self.old, ar, av.ns);
                    for bv in b.variants() {
                        let bv = resolve(self.new, At { schema: bv, ns: ni.ns });
                        if let Schema::Record(br) = bv.schema {
                            if record_fq(self.new, br, bv.ns) == afq {
                                self.cmp(path, av.schema, av.ns, bv.schema, bv.ns, depth + 1);
                            }
                        }
                    }
                }
            }
            _ => {
                if from != to {
                    self.cx.push(Change::TypeChanged { path: root_path(path), from, to });
                }
            }
        }
    }

    fn fields(
        &mut self,
        path: &str,
        old: &'a [RecordField],
        ons: Option<&'a str>,
        new: &'a [RecordField],
        nns: Option<&'a str>,
        depth: usize,
    ) {
        for nf in new {
            let p = join(path, &nf.name);
            match old.iter().find(|of| of.name == nf.name) {
                Some(of) => {
                    self.cmp(&p, &of.schema, ons, &nf.schema, nns, depth + 1);
                    diff_defaults(&p, of.default.as_ref(), nf.default.as_ref(), self.cx);
                }
                None => {
                    let ty = self.ty_new(At { schema: &nf.schema, ns: nns });
                    self.cx.push(Change::Added { path: p, ty, default: nf.default.clone() });
                }
            }
        }
        for of in old.iter().filter(|of| !new.iter().any(|nf| nf.name == of.name)) {
            let ty = self.ty_old(At { schema: &of.schema, ns: ons });
            self.cx.push(Change::Removed { path: join(path, &of.name), ty });
        }
    }
}

/// A full record name, with `?` when optional.
fn qualify(fq: &str, optional: bool) -> String {
    if optional {
        format!("{fq}?")
    } else {
        fq.to_string()
    }
}

// ---------------------------------------------------------------------------
// PROTOBUF_NATIVE
// ---------------------------------------------------------------------------

/// The root message of a PROTOBUF_NATIVE `data` (same rules as the decoder).
fn parse_proto(data: &str) -> Result<MessageDescriptor, String> {
    let spec: Value = serde_json::from_str(data).map_err(|e| format!("data is not JSON: {e}"))?;
    let fds = spec.get("fileDescriptorSet").and_then(Value::as_str).ok_or("missing \"fileDescriptorSet\"")?;
    let root = spec.get("rootMessageTypeName").and_then(Value::as_str).ok_or("missing \"rootMessageTypeName\"")?;
    let bytes = lenient_base64(fds).map_err(|e| format!("fileDescriptorSet is not base64: {e}"))?;
    let pool = DescriptorPool::decode(bytes.as_slice()).map_err(|e| format!("descriptor set: {e}"))?;
    let root = root.trim().trim_start_matches('.');
    pool.get_message_by_name(root).ok_or_else(|| format!("message {root:?} not found in the descriptor set"))
}

fn diff_proto_data(old: &str, new: &str, prefix: &str, cx: &mut Ctx) {
    let o = parse_proto(old).map_err(|e| format!("{} not compared: {e}", side("old", prefix)));
    let n = parse_proto(new).map_err(|e| format!("{} not compared: {e}", side("new", prefix)));
    match (o, n) {
        (Ok(a), Ok(b)) => {
            let mut d = ProtoDiff { stack: Vec::new(), cx };
            if a.full_name() != b.full_name() {
                let (from, to) = msg_names(&a, &b);
                d.cx.push(Change::TypeChanged { path: root_path(prefix), from, to });
            }
            d.message(prefix, &a, &b, 0);
        }
        (o, n) => {
            for e in [o.err(), n.err()].into_iter().flatten() {
                cx.note(e);
            }
        }
    }
}

/// Short names of two messages, or full names when the short ones match.
fn msg_names(a: &MessageDescriptor, b: &MessageDescriptor) -> (String, String) {
    if a.name() == b.name() {
        (a.full_name().to_string(), b.full_name().to_string())
    } else {
        (a.name().to_string(), b.name().to_string())
    }
}

fn kind_ty(k: &Kind) -> String {
    match k {
        Kind::Double => "double".into(),
        Kind::Float => "float".into(),
        Kind::Int32 => "int32".into(),
        Kind::Int64 => "int64".into(),
        Kind::Uint32 => "uint32".into(),
        Kind::Uint64 => "uint64".into(),
        Kind::Sint32 => "sint32".into(),
        Kind::Sint64 => "sint64".into(),
        Kind::Fixed32 => "fixed32".into(),
        Kind::Fixed64 => "fixed64".into(),
        Kind::Sfixed32 => "sfixed32".into(),
        Kind::Sfixed64 => "sfixed64".into(),
        Kind::Bool => "bool".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Message(m) => m.name().to_string(),
        Kind::Enum(e) => {
            let values: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
            format!("enum {}{{{}}}", e.name(), values.join(","))
        }
    }
}

/// `int32`, `string?` (proto3 `optional`), `required int32` (proto2),
/// `array<T>` (repeated), `map<K,V>`.
fn field_ty(f: &FieldDescriptor) -> String {
    if f.is_map() {
        if let Kind::Message(entry) = f.kind() {
            return format!(
                "map<{},{}>",
                kind_ty(&entry.map_entry_key_field().kind()),
                kind_ty(&entry.map_entry_value_field().kind())
            );
        }
    }
    let base = kind_ty(&f.kind());
    if f.is_list() {
        return format!("array<{base}>");
    }
    if f.containing_oneof().is_some_and(|o| o.is_synthetic()) {
        return format!("{base}?");
    }
    if f.cardinality() == Cardinality::Required {
        return format!("required {base}");
    }
    base
}

/// A proto2 `[default = ..]` as JSON (numbers and booleans typed, the rest
/// as the text protoc stored).
fn proto_default(f: &FieldDescriptor) -> Option<Value> {
    let text = f.field_descriptor_proto().default_value.as_deref()?;
    let typed = match f.kind() {
        Kind::String | Kind::Bytes | Kind::Enum(_) | Kind::Message(_) => None,
        _ => serde_json::from_str::<Value>(text).ok().filter(|v| v.is_number() || v.is_boolean()),
    };
    Some(typed.unwrap_or_else(|| Value::String(text.to_string())))
}

struct ProtoDiff<'c> {
    stack: Vec<(String, String)>,
    cx: &'c mut Ctx,
}

impl ProtoDiff<'_> {
    fn message(&mut self, path: &str, a: &MessageDescriptor, b: &MessageDescriptor, depth: usize) {
        if !self.cx.enter(depth) {
            return;
        }
        let key = (a.full_name().to_string(), b.full_name().to_string());
        if self.stack.contains(&key) {
            return;
        }
        self.stack.push(key);
        let paired = |x: &FieldDescriptor, y: &FieldDescriptor| x.number() == y.number() && x.name() == y.name();
        for nf in b.fields() {
            let p = join(path, nf.name());
            match a.get_field(nf.number()).filter(|of| paired(of, &nf)) {
                Some(of) => self.field(&p, &of, &nf, depth),
                None => {
                    if let Some(of) = a.get_field(nf.number()) {
                        self.cx.note(format!(
                            "{}field #{} renamed {} → {}",
                            in_msg(b),
                            nf.number(),
                            of.name(),
                            nf.name()
                        ));
                    } else if let Some(of) = a.get_field_by_name(nf.name()) {
                        self.cx.note(format!(
                            "{}field {} renumbered #{} → #{}",
                            in_msg(b),
                            nf.name(),
                            of.number(),
                            nf.number()
                        ));
                    }
                    let ty = format!("{} #{}", field_ty(&nf), nf.number());
                    self.cx.push(Change::Added { path: p, ty, default: proto_default(&nf) });
                }
            }
        }
        for of in a.fields() {
            if b.get_field(of.number()).is_some_and(|nf| paired(&of, &nf)) {
                continue;
            }
            let ty = format!("{} #{}", field_ty(&of), of.number());
            self.cx.push(Change::Removed { path: join(path, of.name()), ty });
        }
        self.stack.pop();
    }

    fn field(&mut self, path: &str, of: &FieldDescriptor, nf: &FieldDescriptor, depth: usize) {
        let (from, to) = (field_ty(of), field_ty(nf));
        if from != to {
            self.cx.push(Change::TypeChanged { path: path.to_string(), from, to });
        }
        diff_defaults(path, proto_default(of).as_ref(), proto_default(nf).as_ref(), self.cx);
        // Messages inside: the value of a map, the item of a list, or the
        // field itself.
        let inner = |f: &FieldDescriptor| -> Option<MessageDescriptor> {
            match f.kind() {
                Kind::Message(m) if f.is_map() => m.map_entry_value_field().kind().as_message().cloned(),
                Kind::Message(m) => Some(m),
                _ => None,
            }
        };
        let sub = match (of.is_map(), nf.is_map(), of.is_list(), nf.is_list()) {
            (true, true, _, _) => format!("{path}{{}}"),
            (false, false, true, true) => format!("{path}[]"),
            (false, false, false, false) => path.to_string(),
            _ => return, // list ↔ map ↔ singular: already a type change
        };
        if let (Some(a), Some(b)) = (inner(of), inner(nf)) {
            self.message(&sub, &a, &b, depth + 1);
        }
    }
}

/// `"in pkg.Msg: "` for notes about nested messages.
fn in_msg(m: &MessageDescriptor) -> String {
    format!("in {}: ", m.full_name())
}

#[cfg(test)]
mod tests {
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
}
