//! Every namespace and topic policy the admin API of Pulsar 4.0 exposes, with its paths and
//! its broker default (checked on a 4.0.8 standalone; /work/shared/reference §7).
//!
//! Paths are relative: under `/admin/v2/namespaces/{tenant}/{ns}/` and under
//! `/admin/v2/persistent/{tenant}/{ns}/{topic}/`. A GET answers an empty body when the
//! policy is not set at that level.

use serde_json::{json, Value};

use super::{BrokerConfig, Level};
use crate::style::format;

/// One policy of the catalogue.
pub struct PolicyDef {
    /// Our name for it (`pulsar-tui policies` prints it; `policies set` uses the edit keys).
    pub key: &'static str,
    pub title: &'static str,
    /// The path at the namespace level (GET), when it exists there.
    pub ns_path: Option<&'static str>,
    /// The path at the topic level (GET), when it exists there.
    pub topic_path: Option<&'static str>,
    /// The field of the GET answer that holds this policy (the backlog quota map's type).
    pub field: Option<&'static str>,
    /// A number that means "not set" at a level (the namespace offload thresholds' -1).
    pub unset_number: Option<i64>,
    /// The topic-level GET is read with `?applied=true` (every policy but the publish rate
    /// takes it; the backlog quotas are left out, see the catalogue).
    pub applied: bool,
    /// The broker's default, from its runtime configuration.
    pub broker: fn(&BrokerConfig) -> Option<Value>,
    /// What it governs, in a few words.
    pub governs: &'static str,
}

impl PolicyDef {
    pub fn exists_at(&self, level: Level) -> bool {
        match level {
            Level::Namespace => self.ns_path.is_some(),
            Level::Topic => self.topic_path.is_some() || self.ns_path.is_some(),
        }
    }

    pub fn by_key(key: &str) -> Option<&'static PolicyDef> {
        CATALOGUE.iter().find(|d| d.key == key)
    }
}

fn int(c: &BrokerConfig, k: &str) -> Option<Value> {
    c.int(k).map(|v| json!(v))
}

fn rate(c: &BrokerConfig, msg: &str, byte: &str) -> Option<Value> {
    Some(json!({
        "dispatchThrottlingRateInMsg": c.int(msg)?,
        "dispatchThrottlingRateInByte": c.int(byte)?,
        "relativeToPublishRate": c.bool("dispatchThrottlingRateRelativeToPublishRate").unwrap_or(false),
        "ratePeriodInSecond": 1,
    }))
}

/// The broker's default backlog quota of one type (`BacklogQuotaManager`: GB × 2^30 when
/// `backlogQuotaDefaultLimitGB` > 0, else `backlogQuotaDefaultLimitBytes`).
pub fn default_quota(c: &BrokerConfig, size: bool) -> Option<Value> {
    let policy = c.str("backlogQuotaDefaultRetentionPolicy").unwrap_or("producer_request_hold");
    if size {
        let gb = c.float("backlogQuotaDefaultLimitGB").unwrap_or(-1.0);
        let bytes = if gb > 0.0 { (gb * (1u64 << 30) as f64) as i64 } else { c.int("backlogQuotaDefaultLimitBytes")? };
        Some(json!({"limitSize": bytes, "limitTime": -1, "policy": policy}))
    } else {
        Some(json!({"limitSize": -1, "limitTime": c.int("backlogQuotaDefaultLimitSecond")?, "policy": policy}))
    }
}

/// `[Failover, Shared]` as the runtime configuration prints a set.
fn list(c: &BrokerConfig, k: &str) -> Option<Value> {
    let s = c.str(k)?.trim_start_matches('[').trim_end_matches(']');
    Some(Value::Array(s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(|x| json!(x)).collect()))
}

const fn def(
    key: &'static str,
    title: &'static str,
    ns_path: Option<&'static str>,
    topic_path: Option<&'static str>,
    broker: fn(&BrokerConfig) -> Option<Value>,
    governs: &'static str,
) -> PolicyDef {
    PolicyDef { key, title, ns_path, topic_path, field: None, unset_number: None, applied: true, broker, governs }
}

/// The catalogue, in the order the policies section shows it (what on-call reads first).
pub static CATALOGUE: &[PolicyDef] = &[
    def(
        "retention",
        "retention",
        Some("retention"),
        Some("retention"),
        |c| {
            Some(json!({"retentionTimeInMinutes": c.int("defaultRetentionTimeInMinutes")?,
                        "retentionSizeInMB": c.int("defaultRetentionSizeInMB")?}))
        },
        "how long and how much acknowledged data is kept",
    ),
    def(
        "message-ttl",
        "message TTL",
        Some("messageTTL"),
        Some("messageTTL"),
        |c| int(c, "ttlDurationDefaultInSeconds"),
        "unacknowledged messages older than this are acknowledged (expired)",
    ),
    // not read with `?applied=true`: on a 4.0.8 broker that GET writes the broker defaults
    // into the namespace's (empty) quota map, which then reads as set on the namespace
    PolicyDef {
        field: Some("destination_storage"),
        applied: false,
        ..def(
            "backlog-quota-size",
            "backlog quota (size)",
            Some("backlogQuotaMap"),
            Some("backlogQuotaMap"),
            |c| default_quota(c, true),
            "the backlog's size limit, and what happens at it",
        )
    },
    PolicyDef {
        field: Some("message_age"),
        applied: false,
        ..def(
            "backlog-quota-time",
            "backlog quota (age)",
            Some("backlogQuotaMap"),
            Some("backlogQuotaMap"),
            |c| default_quota(c, false),
            "the oldest unacknowledged message's age limit, and what happens at it",
        )
    },
    def(
        "max-unacked-per-subscription",
        "max unacked per subscription",
        Some("maxUnackedMessagesPerSubscription"),
        Some("maxUnackedMessagesOnSubscription"),
        |c| int(c, "maxUnackedMessagesPerSubscription"),
        "a subscription stops receiving at this many unacknowledged messages (0: no limit)",
    ),
    def(
        "max-unacked-per-consumer",
        "max unacked per consumer",
        Some("maxUnackedMessagesPerConsumer"),
        Some("maxUnackedMessagesOnConsumer"),
        |c| int(c, "maxUnackedMessagesPerConsumer"),
        "a consumer stops receiving at this many unacknowledged messages (0: no limit)",
    ),
    def(
        "dispatch-rate",
        "dispatch rate (topic)",
        Some("dispatchRate"),
        Some("dispatchRate"),
        |c| rate(c, "dispatchThrottlingRatePerTopicInMsg", "dispatchThrottlingRatePerTopicInByte"),
        "messages/bytes per second delivered from the topic (0: unlimited)",
    ),
    def(
        "subscription-dispatch-rate",
        "dispatch rate (subscription)",
        Some("subscriptionDispatchRate"),
        Some("subscriptionDispatchRate"),
        |c| rate(c, "dispatchThrottlingRatePerSubscriptionInMsg", "dispatchThrottlingRatePerSubscriptionInByte"),
        "messages/bytes per second delivered to each subscription",
    ),
    def(
        "replicator-dispatch-rate",
        "dispatch rate (replicator)",
        Some("replicatorDispatchRate"),
        Some("replicatorDispatchRate"),
        |c| rate(c, "dispatchThrottlingRatePerReplicatorInMsg", "dispatchThrottlingRatePerReplicatorInByte"),
        "messages/bytes per second sent to each remote cluster",
    ),
    PolicyDef {
        applied: false,
        ..def(
            "publish-rate",
            "publish rate",
            Some("publishRate"),
            Some("publishRate"),
            |c| {
                Some(json!({"publishThrottlingRateInMsg": c.int("maxPublishRatePerTopicInMessages")?,
                            "publishThrottlingRateInByte": c.int("maxPublishRatePerTopicInBytes")?}))
            },
            "messages/bytes per second producers may publish (0 or -1: unlimited)",
        )
    },
    def(
        "deduplication",
        "deduplication",
        Some("deduplication"),
        Some("deduplicationEnabled"),
        |c| c.bool("brokerDeduplicationEnabled").map(Value::Bool),
        "the broker drops messages it has seen (by producer and sequence id)",
    ),
    def(
        "compaction-threshold",
        "compaction threshold",
        Some("compactionThreshold"),
        Some("compactionThreshold"),
        |c| int(c, "brokerServiceCompactionThresholdInBytes"),
        "the backlog size that triggers compaction (0: never)",
    ),
    def(
        "schema-compatibility",
        "schema compatibility",
        Some("schemaCompatibilityStrategy"),
        Some("schemaCompatibilityStrategy"),
        |c| c.str("schemaCompatibilityStrategy").map(|s| json!(s)),
        "which new schema versions producers may register",
    ),
    def(
        "replication-clusters",
        "replication clusters",
        Some("replication"),
        Some("replication"),
        |c| c.str("clusterName").map(|s| json!([s])),
        "the clusters the messages are replicated to",
    ),
    def(
        "inactive-topics",
        "inactive topic deletion",
        Some("inactiveTopicPolicies"),
        Some("inactiveTopicPolicies"),
        |c| {
            Some(json!({"inactiveTopicDeleteMode": c.str("brokerDeleteInactiveTopicsMode")?,
                        "maxInactiveDurationSeconds": c.int("brokerDeleteInactiveTopicsMaxInactiveDurationSeconds")
                            .or_else(|| c.int("brokerDeleteInactiveTopicsFrequencySeconds"))?,
                        "deleteWhileInactive": c.bool("brokerDeleteInactiveTopicsEnabled")?}))
        },
        "whether an inactive topic is deleted, and when",
    ),
    PolicyDef {
        unset_number: Some(-1),
        ..def(
            "offload-threshold",
            "offload threshold (size)",
            Some("offloadThreshold"),
            None,
            |c| int(c, "managedLedgerOffloadAutoTriggerSizeThresholdBytes"),
            "bytes kept in BookKeeper before offloading (-1: off)",
        )
    },
    PolicyDef {
        unset_number: Some(-1),
        ..def(
            "offload-threshold-seconds",
            "offload threshold (age)",
            Some("offloadThresholdInSeconds"),
            None,
            |c| int(c, "managedLedgerOffloadThresholdInSeconds"),
            "seconds in BookKeeper before offloading (-1: off)",
        )
    },
    def(
        "offload-policies",
        "offload policies",
        Some("offloadPolicies"),
        Some("offloadPolicies"),
        |_| None,
        "the tiered-storage driver and its thresholds",
    ),
    def(
        "delayed-delivery",
        "delayed delivery",
        Some("delayedDelivery"),
        Some("delayedDelivery"),
        |c| {
            Some(
                json!({"tickTime": c.int("delayedDeliveryTickTimeMillis")?, "active": c.bool("delayedDeliveryEnabled")?,
                        "maxDeliveryDelayInMillis": c.int("delayedDeliveryMaxDelayInMillis")?}),
            )
        },
        "whether messages may be delivered later, and how late",
    ),
    def(
        "max-producers",
        "max producers per topic",
        Some("maxProducersPerTopic"),
        Some("maxProducers"),
        |c| int(c, "maxProducersPerTopic"),
        "producers refused above this (0: no limit)",
    ),
    def(
        "max-consumers",
        "max consumers per topic",
        Some("maxConsumersPerTopic"),
        Some("maxConsumers"),
        |c| int(c, "maxConsumersPerTopic"),
        "consumers refused above this (0: no limit)",
    ),
    def(
        "max-consumers-per-subscription",
        "max consumers per subscription",
        Some("maxConsumersPerSubscription"),
        Some("maxConsumersPerSubscription"),
        |c| int(c, "maxConsumersPerSubscription"),
        "(0: no limit)",
    ),
    def(
        "max-subscriptions",
        "max subscriptions per topic",
        Some("maxSubscriptionsPerTopic"),
        Some("maxSubscriptionsPerTopic"),
        |c| int(c, "maxSubscriptionsPerTopic"),
        "new subscriptions refused above this (0: no limit)",
    ),
    def(
        "subscription-expiration",
        "subscription expiration",
        Some("subscriptionExpirationTime"),
        None,
        |c| int(c, "subscriptionExpirationTimeMinutes"),
        "minutes after which an inactive subscription is deleted (0: never)",
    ),
    def(
        "subscribe-rate",
        "subscribe rate",
        Some("subscribeRate"),
        Some("subscribeRate"),
        |c| {
            Some(json!({"subscribeThrottlingRatePerConsumer": c.int("subscribeThrottlingRatePerConsumer")?,
                        "ratePeriodInSecond": c.int("subscribeRatePeriodPerConsumerInSecond")?}))
        },
        "subscribe calls per consumer per period (0: unlimited)",
    ),
    def(
        "persistence",
        "persistence",
        Some("persistence"),
        Some("persistence"),
        |c| {
            Some(json!({"bookkeeperEnsemble": c.int("managedLedgerDefaultEnsembleSize")?,
                        "bookkeeperWriteQuorum": c.int("managedLedgerDefaultWriteQuorum")?,
                        "bookkeeperAckQuorum": c.int("managedLedgerDefaultAckQuorum")?,
                        "managedLedgerMaxMarkDeleteRate": c.float("managedLedgerDefaultMarkDeleteRateLimit")?}))
        },
        "BookKeeper ensemble, write and ack quorum",
    ),
    def(
        "max-message-size",
        "max message size",
        None,
        Some("maxMessageSize"),
        |c| int(c, "maxMessageSize"),
        "the largest message accepted (bytes)",
    ),
    def(
        "deduplication-snapshot-interval",
        "deduplication snapshot interval",
        Some("deduplicationSnapshotInterval"),
        Some("deduplicationSnapshotInterval"),
        |c| int(c, "brokerDeduplicationSnapshotIntervalSeconds"),
        "seconds",
    ),
    PolicyDef {
        unset_number: Some(0),
        ..def(
            "max-topics-per-namespace",
            "max topics per namespace",
            Some("maxTopicsPerNamespace"),
            None,
            |c| int(c, "maxTopicsPerNamespace"),
            "topic creation refused above this (0: no limit)",
        )
    },
    def(
        "schema-validation-enforced",
        "schema validation enforced",
        Some("schemaValidationEnforced"),
        Some("schemaValidationEnforced"),
        |c| c.bool("isSchemaValidationEnforced").map(Value::Bool),
        "producers without a schema are refused on a topic with one",
    ),
    def(
        "auto-update-schema",
        "schema auto-update",
        Some("isAllowAutoUpdateSchema"),
        None,
        |c| c.bool("isAllowAutoUpdateSchemaEnabled").map(Value::Bool),
        "producers may register new schema versions",
    ),
    def(
        "subscription-types",
        "subscription types enabled",
        Some("subscriptionTypesEnabled"),
        Some("subscriptionTypesEnabled"),
        |c| list(c, "subscriptionTypesEnabled"),
        "the subscription types allowed",
    ),
    def(
        "encryption-required",
        "encryption required",
        Some("encryptionRequired"),
        None,
        |_| Some(json!(false)),
        "unencrypted messages are refused",
    ),
    def(
        "auto-topic-creation",
        "auto topic creation",
        Some("autoTopicCreation"),
        None,
        |c| {
            Some(json!({"allowAutoTopicCreation": c.bool("allowAutoTopicCreation")?,
                        "topicType": c.str("allowAutoTopicCreationType")?,
                        "defaultNumPartitions": c.int("defaultNumPartitions")?}))
        },
        "topics created on first use",
    ),
    def(
        "auto-subscription-creation",
        "auto subscription creation",
        Some("autoSubscriptionCreation"),
        Some("autoSubscriptionCreation"),
        |c| Some(json!({"allowAutoSubscriptionCreation": c.bool("allowAutoSubscriptionCreation")?})),
        "subscriptions created on first subscribe",
    ),
    def(
        "dispatcher-pause-on-ack-state-persistent",
        "pause dispatch while ack state is not persisted",
        Some("dispatcherPauseOnAckStatePersistent"),
        Some("dispatcherPauseOnAckStatePersistent"),
        |c| c.bool("dispatcherPauseOnAckStatePersistentEnabled").map(Value::Bool),
        "dispatch pauses when acknowledgement holes cannot be persisted",
    ),
];

fn minutes(m: i64) -> String {
    match m {
        -1 => "infinite".into(),
        0 => "0".into(),
        m => format::age(std::time::Duration::from_secs(m as u64 * 60)),
    }
}

fn seconds(s: i64) -> String {
    match s {
        s if s < 0 => "none".into(),
        0 => "0 (off)".into(),
        s if s < 60 => format!("{s} s"),
        s => format!("{s} s ({})", format::age(std::time::Duration::from_secs(s as u64))),
    }
}

fn size_bytes(b: i64) -> String {
    if b < 0 {
        "no limit".into()
    } else {
        format::bytes(b as f64)
    }
}

fn limit(n: i64, unit: &str) -> String {
    if n <= 0 {
        "unlimited".into()
    } else {
        format!("{} {unit}", format::count(n))
    }
}

/// The value for people.
pub fn display(def: &PolicyDef, v: &Value) -> String {
    let i = |k: &str| v.get(k).and_then(Value::as_i64);
    match def.key {
        "retention" => match (i("retentionTimeInMinutes"), i("retentionSizeInMB")) {
            (Some(0), Some(0)) => "none (acknowledged data deleted)".into(),
            (Some(t), Some(s)) => {
                let size = match s {
                    -1 => "infinite".into(),
                    s => format::bytes(s as f64 * 1024.0 * 1024.0),
                };
                format!("time {}, size {size}", minutes(t))
            }
            _ => v.to_string(),
        },
        "message-ttl" => v.as_i64().map(seconds).unwrap_or_else(|| v.to_string()),
        "backlog-quota-size" => {
            let policy = v.get("policy").and_then(Value::as_str).unwrap_or("?");
            match i("limitSize") {
                Some(n) if n >= 0 => format!("{}, {policy}", size_bytes(n)),
                _ => "no limit".into(),
            }
        }
        "backlog-quota-time" => {
            let policy = v.get("policy").and_then(Value::as_str).unwrap_or("?");
            match i("limitTime") {
                Some(n) if n > 0 => format!("{}, {policy}", seconds(n)),
                _ => "no limit".into(),
            }
        }
        "dispatch-rate" | "subscription-dispatch-rate" | "replicator-dispatch-rate" => {
            let (m, b) =
                (i("dispatchThrottlingRateInMsg").unwrap_or(0), i("dispatchThrottlingRateInByte").unwrap_or(0));
            if m <= 0 && b <= 0 {
                "unlimited".into()
            } else {
                format!(
                    "{} msg/s, {} /s",
                    limit(m, ""),
                    if b > 0 { format::bytes(b as f64) } else { "unlimited".into() }
                )
                .replace("  ", " ")
            }
        }
        "publish-rate" => {
            let (m, b) = (i("publishThrottlingRateInMsg").unwrap_or(0), i("publishThrottlingRateInByte").unwrap_or(0));
            if m <= 0 && b <= 0 {
                "unlimited".into()
            } else {
                format!(
                    "{} msg/s, {} /s",
                    limit(m, ""),
                    if b > 0 { format::bytes(b as f64) } else { "unlimited".into() }
                )
                .replace("  ", " ")
            }
        }
        "max-unacked-per-subscription" | "max-unacked-per-consumer" => {
            v.as_i64().map(|n| limit(n, "messages")).unwrap_or_else(|| v.to_string())
        }
        "max-producers"
        | "max-consumers"
        | "max-consumers-per-subscription"
        | "max-subscriptions"
        | "max-topics-per-namespace" => v.as_i64().map(|n| limit(n, "")).unwrap_or_else(|| v.to_string()).trim().into(),
        "compaction-threshold" => match v.as_i64() {
            Some(n) if n <= 0 => "off".into(),
            Some(n) => format::bytes(n as f64),
            None => v.to_string(),
        },
        "max-message-size" => v.as_i64().map(size_bytes).unwrap_or_else(|| v.to_string()),
        "deduplication"
        | "schema-validation-enforced"
        | "auto-update-schema"
        | "encryption-required"
        | "dispatcher-pause-on-ack-state-persistent" => match v.as_bool() {
            Some(true) => "on".into(),
            Some(false) => "off".into(),
            None => v.to_string(),
        },
        "offload-threshold" => match v.as_i64() {
            Some(n) if n < 0 => "off".into(),
            Some(n) => size_bytes(n),
            None => v.to_string(),
        },
        "offload-threshold-seconds" => match v.as_i64() {
            Some(n) if n < 0 => "off".into(),
            Some(n) => seconds(n),
            None => v.to_string(),
        },
        "inactive-topics" => match v.get("deleteWhileInactive").and_then(Value::as_bool) {
            Some(false) => "off (inactive topics are kept)".into(),
            Some(true) => {
                let mode = v.get("inactiveTopicDeleteMode").and_then(Value::as_str).unwrap_or("?");
                let when = i("maxInactiveDurationSeconds").map(seconds).unwrap_or_else(|| "?".into());
                format!("deleted after {when} inactive ({})", mode.replace('_', " "))
            }
            None => v.to_string(),
        },
        "delayed-delivery" => match v.get("active").and_then(Value::as_bool) {
            Some(false) => "off".into(),
            Some(true) => {
                let tick = i("tickTime").map(|ms| format!("tick {ms} ms")).unwrap_or_default();
                let max = match i("maxDeliveryDelayInMillis") {
                    Some(ms) if ms > 0 => format!(", at most {} later", seconds(ms / 1000)),
                    _ => ", no maximum delay".into(),
                };
                format!("on ({tick}{max})")
            }
            None => v.to_string(),
        },
        "persistence" => match (i("bookkeeperEnsemble"), i("bookkeeperWriteQuorum"), i("bookkeeperAckQuorum")) {
            (Some(e), Some(w), Some(a)) => {
                let rate = v.get("managedLedgerMaxMarkDeleteRate").and_then(Value::as_f64).unwrap_or(0.0);
                let rate = if rate > 0.0 { format!("{rate}/s") } else { "unlimited".into() };
                format!("ensemble {e}, write quorum {w}, ack quorum {a}; mark-delete rate {rate}")
            }
            _ => v.to_string(),
        },
        "subscription-expiration" => match v.as_i64() {
            Some(0) => "never".into(),
            Some(m) => minutes(m),
            None => v.to_string(),
        },
        _ => match v {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        },
    }
}
