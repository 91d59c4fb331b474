//! Producing: the compose dialog's, re-send's and fix-and-requeue's requests (the request
//! group `Produce`), and the producer session ([`Sender`]) the headless `produce` streams
//! through.
//!
//! Values are encoded with the topic's schema by [`crate::encode`] and refused before
//! anything is sent when they do not fit (the error names the field).

mod fix;
mod sender;

use std::collections::BTreeMap;

use serde_json::Value;

pub use fix::{fixed_payloads, parse_fix_arg, Fix};
pub use sender::{Pending, Prepared, Sender};

use super::error::{ClientError, Result};
use super::{Client, TopicName};
use crate::model::MessageId;

/// Compression of what is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    #[default]
    None,
    Lz4,
    Zlib,
    Zstd,
    /// Raw Snappy blocks, as the Java, C++ and Python clients write (and read) them.
    Snappy,
}

impl Codec {
    /// `none`, `lz4`, `zlib`, `zstd`, `snappy`.
    pub fn parse(s: &str) -> Option<Codec> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Codec::None,
            "lz4" => Codec::Lz4,
            "zlib" => Codec::Zlib,
            "zstd" => Codec::Zstd,
            "snappy" => Codec::Snappy,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Lz4 => "lz4",
            Codec::Zlib => "zlib",
            Codec::Zstd => "zstd",
            Codec::Snappy => "snappy",
        }
    }
}

/// Which partition of a partitioned topic a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Routing {
    /// Keyless messages round the partitions; keyed ones by key (the Java client's hash).
    #[default]
    RoundRobin,
    /// One partition for the whole session.
    Single,
    /// By key (the Java client's `JavaStringHash`); keyless ones round the partitions.
    ByKey,
    /// This partition.
    Partition(u32),
}

impl Routing {
    /// `round-robin`, `single`, `key`, or a partition number.
    pub fn parse(s: &str) -> Option<Routing> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "round-robin" | "roundrobin" | "rr" => Routing::RoundRobin,
            "single" => Routing::Single,
            "key" | "by-key" => Routing::ByKey,
            n => Routing::Partition(n.strip_prefix("partition-").unwrap_or(n).parse().ok()?),
        })
    }

    pub fn describe(self) -> String {
        match self {
            Routing::RoundRobin => "round-robin".into(),
            Routing::Single => "single".into(),
            Routing::ByKey => "key".into(),
            Routing::Partition(p) => format!("partition {p}"),
        }
    }
}

/// Producer options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceOptions {
    pub batching: bool,
    pub compression: Codec,
    pub routing: Routing,
    /// The schema version to encode with; `None`: the latest.
    pub schema_version: Option<i64>,
}

/// A message's value: JSON to encode with the topic's schema, or bytes sent as they are.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftValue {
    Json(Value),
    Bytes(Vec<u8>),
}

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub value: DraftValue,
    pub key: Option<String>,
    /// The key is base64 of binary bytes (`partition_key_b64_encoded`).
    pub key_b64: bool,
    pub ordering_key: Option<Vec<u8>>,
    pub properties: BTreeMap<String, String>,
    pub event_time_ms: Option<i64>,
    /// Delivered at this time (epoch millis), not before.
    pub deliver_at_ms: Option<i64>,
    /// The schema version the payload was written with (bytes as they are, e.g. a replay).
    pub schema_version: Option<i64>,
}

impl Draft {
    /// A value and nothing else.
    pub fn of(value: DraftValue) -> Draft {
        Draft {
            value,
            key: None,
            key_b64: false,
            ordering_key: None,
            properties: BTreeMap::new(),
            event_time_ms: None,
            deliver_at_ms: None,
            schema_version: None,
        }
    }
}

/// The produce group's requests.
#[derive(Debug, Clone, PartialEq)]
pub enum ProduceRequest {
    /// Encode every draft (all are checked before the first is sent), send them, and wait
    /// for the broker to confirm each.
    Send { topic: TopicName, drafts: Vec<Draft>, options: ProduceOptions },
    /// The schema of a topic (a version, or the latest) for the compose dialog.
    FetchSchema { topic: TopicName, version: Option<i64> },
    /// Fix and requeue one dead letter: its value replaced by `value` (encoded with the
    /// original topic's schema) and moved through the requeue engine (journaled; the DLQ's
    /// entry acknowledged only after the fixed copy is confirmed).
    FixAndRequeue { dlq: TopicName, id: MessageId, value: Value, journal: std::path::PathBuf },
}

/// The produce group's answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ProduceResponse {
    /// Every draft was confirmed: the ids in order.
    Sent { topic: TopicName, ids: Vec<MessageId> },
    /// A draft does not fit the schema: nothing was sent.
    Refused { index: usize, error: crate::encode::EncodeError },
    /// The schema (none: the topic has none).
    SchemaFetched { topic: TopicName, schema: Option<crate::decode::SchemaInfo> },
    /// The fixed letter's requeue ended: how many moved, and why not when it did not.
    Requeued { moved: u64, failures: Vec<(String, String)> },
}

impl ProduceRequest {
    pub fn describe(&self) -> String {
        match self {
            ProduceRequest::Send { topic, drafts, .. } => format!("produce {} to {topic}", drafts.len()),
            ProduceRequest::FetchSchema { topic, .. } => format!("schema of {topic}"),
            ProduceRequest::FixAndRequeue { dlq, id, .. } => format!("fix and requeue {id} of {dlq}"),
        }
    }
}

/// Runs one request of the group.
pub async fn execute(client: &Client, r: ProduceRequest) -> Result<ProduceResponse> {
    match r {
        ProduceRequest::Send { topic, drafts, options } => {
            let mut sender = Sender::open(client, &topic, &options).await?;
            let mut prepared = Vec::with_capacity(drafts.len());
            for (index, d) in drafts.iter().enumerate() {
                match sender.prepare(d) {
                    Ok(p) => prepared.push(p),
                    Err(error) => {
                        sender.close().await;
                        return Ok(ProduceResponse::Refused { index, error });
                    }
                }
            }
            let mut pending = Vec::with_capacity(prepared.len());
            for p in prepared {
                pending.push(sender.send(p).await?);
            }
            let mut ids = Vec::with_capacity(pending.len());
            let mut failed: Option<ClientError> = None;
            for p in pending {
                match p.confirmed().await {
                    Ok(id) => ids.push(id),
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
            sender.close().await;
            match failed {
                Some(e) => Err(e),
                None => Ok(ProduceResponse::Sent { topic, ids }),
            }
        }
        ProduceRequest::FixAndRequeue { dlq, id, value, journal } => {
            let target = crate::dlq::Target::Original;
            let (only, fixes) = fixed_payloads(client, &dlq, &target, &[Fix { id, value }]).await?;
            let options = super::dlq::RequeueOptions {
                dlq,
                target,
                filter: None,
                only: Some(only),
                fixes,
                limit: None,
                rate: None,
                keep_dlq_properties: false,
                subscription: "pulsar-tui-requeue".into(),
                journal,
            };
            let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let summary = super::requeue::requeue(client, &options, cancel, |_| {}).await?;
            Ok(ProduceResponse::Requeued { moved: summary.progress.moved, failures: summary.failures })
        }
        ProduceRequest::FetchSchema { topic, version } => {
            let schema = client.schema_info(&topic, version).await?;
            Ok(ProduceResponse::SchemaFetched { topic, schema })
        }
    }
}

/// `500ms`, `30s`, `5m`, `2h`, `1d` (a bare number: seconds).
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs))
}
