//! The message as a filter sees it, and its lazy conversion to CEL values.
//!
//! Nothing is converted up front: the interpreter asks [`MessageVars`] for
//! each name the expression uses when it evaluates it, and only that field is
//! turned into a CEL value. Strings are borrowed from the message, not copied.
//! For `value.a.b` the interpreter first asks for the whole dotted name, so
//! the JSON path is walked here and only the leaf is converted, not `value`
//! as a whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelTimestamp, CelUInt,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

/// One message, borrowed, as a filter sees it. See the module documentation
/// of [`crate::filter`] for the CEL name and type of each field.
#[derive(Debug, Clone, Copy)]
pub struct FilterInput<'a> {
    pub key: Option<&'a str>,
    pub ordering_key: Option<&'a str>,
    pub properties: &'a BTreeMap<String, String>,
    pub publish_time_ms: i64,
    pub event_time_ms: Option<i64>,
    pub producer: &'a str,
    pub sequence_id: i64,
    /// `"ledger:entry:partition:batch"`
    pub message_id: &'a str,
    /// -1 when the topic is not partitioned.
    pub partition: i32,
    pub schema_version: Option<i64>,
    pub redelivery_count: Option<i64>,
    /// Payload size in bytes.
    pub size: i64,
    /// The decoded payload (`null` when it could not be decoded).
    pub value: &'a serde_json::Value,
    pub decode_error: Option<&'a str>,
    pub topic: &'a str,
}

/// Resolves the names of an expression against one message.
///
/// The scalar fields are wrapped up front, which allocates nothing (strings
/// are borrowed), so that the interpreter can borrow them rather than get a
/// boxed copy each time it reads one. Timestamps, `properties` and the whole
/// `value` are built on first use and kept for the rest of the evaluation.
pub(super) struct MessageVars<'a> {
    msg: &'a FilterInput<'a>,
    now: &'a CelTimestamp,
    key: Option<CelString<'a>>,
    ordering_key: Option<CelString<'a>>,
    producer: CelString<'a>,
    message_id: CelString<'a>,
    topic: CelString<'a>,
    decode_error: Option<CelString<'a>>,
    sequence_id: CelInt,
    partition: CelInt,
    size: CelInt,
    schema_version: Option<CelInt>,
    redelivery_count: Option<CelInt>,
    publish_time: OnceLock<CelTimestamp>,
    event_time: OnceLock<Option<CelTimestamp>>,
    properties: OnceLock<CelMap<'a>>,
    value: OnceLock<Box<dyn Val + 'a>>,
}

impl<'a> MessageVars<'a> {
    pub(super) fn new(msg: &'a FilterInput<'a>, now: &'a CelTimestamp) -> Self {
        MessageVars {
            msg,
            now,
            key: msg.key.map(CelString::from),
            ordering_key: msg.ordering_key.map(CelString::from),
            producer: CelString::from(msg.producer),
            message_id: CelString::from(msg.message_id),
            topic: CelString::from(msg.topic),
            decode_error: msg.decode_error.map(CelString::from),
            sequence_id: CelInt::from(msg.sequence_id),
            partition: CelInt::from(i64::from(msg.partition)),
            size: CelInt::from(msg.size),
            schema_version: msg.schema_version.map(CelInt::from),
            redelivery_count: msg.redelivery_count.map(CelInt::from),
            publish_time: OnceLock::new(),
            event_time: OnceLock::new(),
            properties: OnceLock::new(),
            value: OnceLock::new(),
        }
    }
}

static NULL: CelNull = CelNull;

fn borrowed<'b, T: Val + 'b>(val: &'b T) -> Option<CowVal<'b, 'b>> {
    Some(CowVal::Borrowed(val))
}

/// `val`, or `null` when absent.
fn or_null<'b, T: Val + 'b>(val: &'b Option<T>) -> Option<CowVal<'b, 'b>> {
    match val {
        Some(val) => borrowed(val),
        None => borrowed(&NULL),
    }
}

/// `millis` since the epoch as a CEL timestamp in UTC (the epoch itself if
/// out of chrono's range, which no real message is).
pub(super) fn millis_to_timestamp(millis: i64) -> CelTimestamp {
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default().fixed_offset().into()
}

impl VariableResolver for MessageVars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let m = self.msg;
        match variable {
            "key" => or_null(&self.key),
            "ordering_key" => or_null(&self.ordering_key),
            "properties" => borrowed(self.properties.get_or_init(|| properties_map(m.properties))),
            "publish_time" => borrowed(self.publish_time.get_or_init(|| millis_to_timestamp(m.publish_time_ms))),
            "event_time" => or_null(self.event_time.get_or_init(|| m.event_time_ms.map(millis_to_timestamp))),
            "producer" => borrowed(&self.producer),
            "sequence_id" => borrowed(&self.sequence_id),
            "message_id" => borrowed(&self.message_id),
            "partition" => borrowed(&self.partition),
            "schema_version" => or_null(&self.schema_version),
            "redelivery_count" => or_null(&self.redelivery_count),
            "size" => borrowed(&self.size),
            "value" => Some(CowVal::Borrowed(self.value.get_or_init(|| json_to_val(m.value)).as_ref())),
            "decode_error" => or_null(&self.decode_error),
            "topic" => borrowed(&self.topic),
            "now" => borrowed(self.now),
            _ => {
                if let Some(path) = variable.strip_prefix("value.") {
                    json_path(m.value, path).map(|v| CowVal::Owned(json_to_val(v)))
                } else if let Some(name) = variable.strip_prefix("properties.") {
                    m.properties.get(name).map(|v| CowVal::owned(CelString::from(v.as_str())))
                } else {
                    None
                }
            }
        }
    }
}

/// The value at the dotted `path` in `value`, if every segment names a field
/// of an object. `None` lets the interpreter retry with a shorter path, and
/// report the missing field the usual way.
fn json_path<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(value, |v, segment| field(v.as_object()?, segment))
}

/// `object[name]`. Most payload objects are small: comparing a few keys is
/// cheaper than hashing `name`.
fn field<'v>(object: &'v serde_json::Map<String, serde_json::Value>, name: &str) -> Option<&'v serde_json::Value> {
    if object.len() <= 16 {
        object.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    } else {
        object.get(name)
    }
}

fn properties_map(props: &BTreeMap<String, String>) -> CelMap<'_> {
    let map: HashMap<CelMapKey<'_>, Box<dyn Val + '_>> = props
        .iter()
        .map(|(k, v)| (CelMapKey::from(k.as_str()), Box::new(CelString::from(v.as_str())) as Box<dyn Val>))
        .collect();
    CelMap::from(map)
}

/// `value` as a CEL value borrowing its strings: objects become maps, arrays
/// lists, and numbers `int` when they fit an `i64`, else `uint`, else
/// `double`.
pub(super) fn json_to_val(value: &serde_json::Value) -> Box<dyn Val + '_> {
    use serde_json::Value as J;
    match value {
        J::Null => Box::new(CelNull),
        J::Bool(b) => Box::new(CelBool::from(*b)),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                Box::new(CelInt::from(i))
            } else if let Some(u) = n.as_u64() {
                Box::new(CelUInt::from(u))
            } else {
                Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        J::String(s) => Box::new(CelString::from(s.as_str())),
        J::Array(items) => Box::new(CelList::from(items.iter().map(json_to_val).collect::<Vec<_>>())),
        J::Object(fields) => {
            let map: HashMap<CelMapKey<'_>, Box<dyn Val + '_>> =
                fields.iter().map(|(k, v)| (CelMapKey::from(k.as_str()), json_to_val(v))).collect();
            Box::new(CelMap::from(map))
        }
    }
}
