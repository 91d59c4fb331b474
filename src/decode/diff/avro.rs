//! Schema diff of Avro-style definitions (AVRO, JSON, legacy PROTOBUF): record fields
//! matched by name through nested records, optional unions, arrays and maps.

use std::collections::HashMap;

use apache_avro::schema::{Name, RecordField, RecordSchema, Schema, UuidSchema};

use super::{diff_defaults, join, root_path, side, Change, Ctx, MAX_DEPTH};
use crate::decode::avro;

type Names = HashMap<Name, Schema>;

fn parse_avro(text: &str) -> Result<(Schema, Names), String> {
    if text.trim().is_empty() {
        return Err("it has no definition".to_string());
    }
    avro::parse_schema(text).map_err(|e| e.to_string())
}

pub(super) fn diff_avro_text(old: &str, new: &str, prefix: &str, cx: &mut Ctx) {
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
        Schema::Null
        | Schema::Boolean
        | Schema::Int
        | Schema::Long
        | Schema::Float
        | Schema::Double
        | Schema::Bytes
        | Schema::String => avro::primitive_name(at.schema).unwrap_or_default().into(),
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
