//! Schema diff of PROTOBUF_NATIVE definitions: fields of the root message (and of the
//! messages it uses) matched by number and name.

use prost_reflect::{Cardinality, DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value;

use super::{diff_defaults, join, root_path, side, Change, Ctx};
use crate::decode::protobuf::lenient_base64;

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

pub(super) fn diff_proto_data(old: &str, new: &str, prefix: &str, cx: &mut Ctx) {
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
