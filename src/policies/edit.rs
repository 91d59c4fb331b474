//! The policies on-call changes: the edit keys (`ttl`, `retention.time`...), their values,
//! the admin call of a change and of removing an override, and what a change means
//! (before → after, who it affects, whether it can drop data).

use serde::Serialize;
use serde_json::{json, Value};

use super::{catalogue, Effectives, Level, PolicyDef, Source, Target};

/// One editable field of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EditKey {
    Ttl,
    RetentionTime,
    RetentionSize,
    BacklogQuotaSize,
    BacklogQuotaSizePolicy,
    BacklogQuotaTime,
    BacklogQuotaTimePolicy,
    MaxUnackedPerSubscription,
    MaxUnackedPerConsumer,
    DispatchRateMsg,
    DispatchRateByte,
    PublishRateMsg,
    PublishRateByte,
    CompactionThreshold,
    SchemaCompatibility,
    Deduplication,
}

pub const QUOTA_POLICIES: [&str; 3] = ["producer_request_hold", "producer_exception", "consumer_backlog_eviction"];
pub const SCHEMA_STRATEGIES: [&str; 8] = [
    "ALWAYS_INCOMPATIBLE",
    "ALWAYS_COMPATIBLE",
    "BACKWARD",
    "FORWARD",
    "FULL",
    "BACKWARD_TRANSITIVE",
    "FORWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
];

impl EditKey {
    pub const ALL: [EditKey; 16] = [
        EditKey::Ttl,
        EditKey::RetentionTime,
        EditKey::RetentionSize,
        EditKey::BacklogQuotaSize,
        EditKey::BacklogQuotaSizePolicy,
        EditKey::BacklogQuotaTime,
        EditKey::BacklogQuotaTimePolicy,
        EditKey::MaxUnackedPerSubscription,
        EditKey::MaxUnackedPerConsumer,
        EditKey::DispatchRateMsg,
        EditKey::DispatchRateByte,
        EditKey::PublishRateMsg,
        EditKey::PublishRateByte,
        EditKey::CompactionThreshold,
        EditKey::SchemaCompatibility,
        EditKey::Deduplication,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EditKey::Ttl => "ttl",
            EditKey::RetentionTime => "retention.time",
            EditKey::RetentionSize => "retention.size",
            EditKey::BacklogQuotaSize => "backlog-quota.size",
            EditKey::BacklogQuotaSizePolicy => "backlog-quota.size-policy",
            EditKey::BacklogQuotaTime => "backlog-quota.time",
            EditKey::BacklogQuotaTimePolicy => "backlog-quota.time-policy",
            EditKey::MaxUnackedPerSubscription => "max-unacked-per-subscription",
            EditKey::MaxUnackedPerConsumer => "max-unacked-per-consumer",
            EditKey::DispatchRateMsg => "dispatch-rate.msg",
            EditKey::DispatchRateByte => "dispatch-rate.byte",
            EditKey::PublishRateMsg => "publish-rate.msg",
            EditKey::PublishRateByte => "publish-rate.byte",
            EditKey::CompactionThreshold => "compaction-threshold",
            EditKey::SchemaCompatibility => "schema-compatibility",
            EditKey::Deduplication => "deduplication",
        }
    }

    pub fn parse(text: &str) -> Result<EditKey, String> {
        let t = text.trim();
        EditKey::ALL.into_iter().find(|k| k.name() == t).ok_or_else(|| {
            let names: Vec<_> = EditKey::ALL.iter().map(|k| k.name()).collect();
            format!("{t:?} is not an editable policy; one of: {}", names.join(", "))
        })
    }

    /// The catalogue key of the policy it changes.
    pub fn policy(self) -> &'static str {
        match self {
            EditKey::Ttl => "message-ttl",
            EditKey::RetentionTime | EditKey::RetentionSize => "retention",
            EditKey::BacklogQuotaSize | EditKey::BacklogQuotaSizePolicy => "backlog-quota-size",
            EditKey::BacklogQuotaTime | EditKey::BacklogQuotaTimePolicy => "backlog-quota-time",
            EditKey::MaxUnackedPerSubscription => "max-unacked-per-subscription",
            EditKey::MaxUnackedPerConsumer => "max-unacked-per-consumer",
            EditKey::DispatchRateMsg | EditKey::DispatchRateByte => "dispatch-rate",
            EditKey::PublishRateMsg | EditKey::PublishRateByte => "publish-rate",
            EditKey::CompactionThreshold => "compaction-threshold",
            EditKey::SchemaCompatibility => "schema-compatibility",
            EditKey::Deduplication => "deduplication",
        }
    }

    pub fn def(self) -> &'static PolicyDef {
        // every edit key names a policy of the catalogue (a unit test checks it)
        PolicyDef::by_key(self.policy()).unwrap_or(&catalogue::CATALOGUE[0])
    }

    /// The field of the policy's JSON it sets (`None`: the whole value).
    pub fn field(self) -> Option<&'static str> {
        match self {
            EditKey::RetentionTime => Some("retentionTimeInMinutes"),
            EditKey::RetentionSize => Some("retentionSizeInMB"),
            EditKey::BacklogQuotaSize => Some("limitSize"),
            EditKey::BacklogQuotaTime => Some("limitTime"),
            EditKey::BacklogQuotaSizePolicy | EditKey::BacklogQuotaTimePolicy => Some("policy"),
            EditKey::DispatchRateMsg => Some("dispatchThrottlingRateInMsg"),
            EditKey::DispatchRateByte => Some("dispatchThrottlingRateInByte"),
            EditKey::PublishRateMsg => Some("publishThrottlingRateInMsg"),
            EditKey::PublishRateByte => Some("publishThrottlingRateInByte"),
            _ => None,
        }
    }

    /// What a value looks like (the edit prompt and `--help` say it).
    pub fn hint(self) -> &'static str {
        match self {
            EditKey::Ttl => "seconds or 30m/2h/7d; 0 turns TTL off",
            EditKey::RetentionTime => "minutes or 30m/2h/7d; -1 infinite, 0 none",
            EditKey::RetentionSize => "MB or 512M/10G; -1 infinite, 0 none",
            EditKey::BacklogQuotaSize => "bytes or 64K/100M/10G; -1 no limit",
            EditKey::BacklogQuotaTime => "seconds or 30m/2h/7d; -1 no limit",
            EditKey::BacklogQuotaSizePolicy | EditKey::BacklogQuotaTimePolicy => {
                "producer_request_hold | producer_exception | consumer_backlog_eviction"
            }
            EditKey::MaxUnackedPerSubscription | EditKey::MaxUnackedPerConsumer => "messages; 0 no limit",
            EditKey::DispatchRateMsg | EditKey::PublishRateMsg => "messages per second; 0 unlimited",
            EditKey::DispatchRateByte | EditKey::PublishRateByte => "bytes per second or 1M; 0 unlimited",
            EditKey::CompactionThreshold => "bytes or 100M; 0 off",
            EditKey::SchemaCompatibility => {
                "FULL, BACKWARD, FORWARD, *_TRANSITIVE, ALWAYS_COMPATIBLE, ALWAYS_INCOMPATIBLE"
            }
            EditKey::Deduplication => "true | false",
        }
    }

    /// The new value of the field from what the user typed.
    pub fn parse_value(self, text: &str) -> Result<Value, String> {
        let t = text.trim();
        let bad = |what: &str| format!("{t:?}: expected {what} ({})", self.hint());
        Ok(match self {
            EditKey::Ttl => json!(parse_seconds(t).filter(|s| *s >= 0).ok_or_else(|| bad("a duration"))?),
            EditKey::BacklogQuotaTime => {
                json!(parse_seconds(t).filter(|s| *s >= -1).ok_or_else(|| bad("a duration"))?)
            }
            EditKey::RetentionTime => json!(if matches!(t, "-1" | "infinite") {
                -1
            } else {
                match t.parse::<i64>() {
                    Ok(m) if m >= 0 => m,
                    _ => parse_seconds(t).filter(|s| *s >= 0).map(|s| s / 60).ok_or_else(|| bad("minutes"))?,
                }
            }),
            EditKey::RetentionSize => json!(if matches!(t, "-1" | "infinite") {
                -1
            } else {
                match t.parse::<i64>() {
                    Ok(m) if m >= 0 => m,
                    _ => parse_bytes(t).filter(|b| *b >= 0).map(|b| b / (1 << 20)).ok_or_else(|| bad("megabytes"))?,
                }
            }),
            EditKey::BacklogQuotaSize => json!(parse_bytes(t).filter(|b| *b >= -1).ok_or_else(|| bad("bytes"))?),
            EditKey::CompactionThreshold | EditKey::DispatchRateByte | EditKey::PublishRateByte => {
                json!(parse_bytes(t).filter(|b| *b >= 0).ok_or_else(|| bad("bytes"))?)
            }
            EditKey::MaxUnackedPerSubscription
            | EditKey::MaxUnackedPerConsumer
            | EditKey::DispatchRateMsg
            | EditKey::PublishRateMsg => {
                json!(t.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| bad("a count"))?)
            }
            EditKey::BacklogQuotaSizePolicy | EditKey::BacklogQuotaTimePolicy => {
                json!(QUOTA_POLICIES.into_iter().find(|p| *p == t).ok_or_else(|| bad("a quota policy"))?)
            }
            EditKey::SchemaCompatibility => {
                let up = t.to_ascii_uppercase();
                json!(SCHEMA_STRATEGIES.into_iter().find(|p| *p == up).ok_or_else(|| bad("a strategy"))?)
            }
            EditKey::Deduplication => json!(match t {
                "true" | "on" | "yes" => true,
                "false" | "off" | "no" => false,
                _ => return Err(bad("true or false")),
            }),
        })
    }
}

/// `3600`, `30s`, `15m`, `2h`, `7d` → seconds; `-1` stays -1.
pub fn parse_seconds(t: &str) -> Option<i64> {
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    let (num, unit) = t.split_at(t.len().checked_sub(1)?);
    let n: i64 = num.trim().parse().ok()?;
    let mul = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// `1048576`, `64K`, `100M`, `10G` (powers of 1024; a trailing `B`/`iB` is fine) → bytes.
pub fn parse_bytes(t: &str) -> Option<i64> {
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    let u = t.trim_end_matches("iB").trim_end_matches(['B', 'b']);
    let (num, unit) = u.split_at(u.len().checked_sub(1)?);
    let n: f64 = num.trim().parse().ok()?;
    let mul = match unit.to_ascii_uppercase().as_str() {
        "K" => 1u64 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    (n >= 0.0).then_some((n * mul as f64) as i64)
}

/// One admin call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(b) = &self.body {
            write!(f, " {b}")?;
        }
        Ok(())
    }
}

fn quota_type(policy: &str) -> Option<&'static str> {
    match policy {
        "backlog-quota-size" => Some("destination_storage"),
        "backlog-quota-time" => Some("message_age"),
        _ => None,
    }
}

/// The target's level and the policy's admin path at that level.
fn policy_path(target: &Target, policy: &str) -> Option<(Level, &'static str)> {
    let def = PolicyDef::by_key(policy)?;
    let level = target.level();
    let path = match level {
        Level::Namespace => def.ns_path?,
        Level::Topic => def.topic_path?,
    };
    Some((level, path))
}

/// The call that sets a policy's whole value at the target's level.
pub fn set_call(target: &Target, policy: &str, value: &Value) -> Option<Call> {
    let (level, path) = policy_path(target, policy)?;
    Some(match (policy, level) {
        // a topic's TTL is a query parameter: a body is accepted (204) and ignored
        ("message-ttl", Level::Topic) => {
            Call { method: "POST", path: format!("{}?messageTTL={}", target.path(path), value), body: None }
        }
        ("backlog-quota-size" | "backlog-quota-time", _) => {
            let mut body = value.clone();
            if let Some(o) = body.as_object_mut() {
                o.remove("limit"); // deprecated, limitSize says it
            }
            let t = quota_type(policy)?;
            Call { method: "POST", path: target.path(&format!("backlogQuota?backlogQuotaType={t}")), body: Some(body) }
        }
        ("compaction-threshold", Level::Namespace) | ("schema-compatibility", _) => {
            Call { method: "PUT", path: target.path(path), body: Some(value.clone()) }
        }
        _ => Call { method: "POST", path: target.path(path), body: Some(value.clone()) },
    })
}

/// The call that removes a policy set at the target's level (a topic then follows its
/// namespace, a namespace the broker's default).
pub fn remove_call(target: &Target, policy: &str) -> Option<Call> {
    let (level, path) = policy_path(target, policy)?;
    Some(match (policy, level) {
        // the namespace path has no DELETE (it answers 412 "Invalid bundle range")
        ("schema-compatibility", Level::Namespace) => {
            Call { method: "PUT", path: target.path(path), body: Some(json!("UNDEFINED")) }
        }
        ("backlog-quota-size" | "backlog-quota-time", _) => Call {
            method: "DELETE",
            path: target.path(&format!("backlogQuota?backlogQuotaType={}", quota_type(policy)?)),
            body: None,
        },
        _ => Call { method: "DELETE", path: target.path(path), body: None },
    })
}

/// Who a change reaches, as far as the snapshot knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reach {
    /// Topics of the namespace (for a namespace).
    pub topics: Option<usize>,
    /// Subscriptions, producers and consumers (for a topic).
    pub subscriptions: Option<usize>,
    pub producers: Option<usize>,
    pub consumers: Option<usize>,
}

/// What a change means, before it is made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub target: String,
    pub key: String,
    pub policy: &'static str,
    pub before: String,
    pub before_source: Source,
    pub after: String,
    pub after_source: Source,
    pub before_value: Option<Value>,
    pub after_value: Option<Value>,
    /// Who it affects.
    pub affects: String,
    /// Why it can drop data (`None`: it cannot).
    pub drops_data: Option<String>,
    /// What must be typed to confirm (the namespace or the topic's name) when it can drop data.
    pub confirm: Option<String>,
    pub call: Call,
    /// The edit is a removal of the target level's value.
    pub remove: bool,
}

fn affects(target: &Target, policy: &str, reach: &Reach) -> String {
    match target {
        Target::Namespace(ns) => format!(
            "every topic of {ns}{} that has no {policy} of its own (a topic-level override wins)",
            reach.topics.map(|n| format!(" ({n} topic{})", if n == 1 { "" } else { "s" })).unwrap_or_default()
        ),
        Target::Topic(t) => {
            let n = |v: Option<usize>, what: &str| v.map(|n| format!("{n} {what}{}", if n == 1 { "" } else { "s" }));
            let parts: Vec<String> = [
                n(reach.subscriptions, "subscription"),
                n(reach.producers, "producer"),
                n(reach.consumers, "consumer"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let who = if parts.is_empty() { String::new() } else { format!(": {}", parts.join(", ")) };
            format!("only {}{who}", t.local)
        }
    }
}

/// The change of one field to `text`, at the target's level.
pub fn preview_set(
    target: &Target,
    eff: &Effectives,
    key: EditKey,
    text: &str,
    reach: &Reach,
) -> Result<Preview, String> {
    let def = key.def();
    let current = eff.get(def.key).ok_or_else(|| format!("{} has no {} policy", target, def.key))?;
    let new_field = key.parse_value(text)?;
    // the level's own value when set, else what applies now: untouched fields keep their values
    let own = match target.level() {
        Level::Topic => current.topic.clone(),
        Level::Namespace => current.namespace.clone(),
    };
    let base = own.or_else(|| current.value.clone()).unwrap_or_else(|| json!({}));
    let after = match key.field() {
        Some(f) => {
            let mut b = if base.is_object() { base } else { json!({}) };
            b[f] = new_field;
            if def.key.starts_with("backlog-quota") && b.get("policy").is_none() {
                b["policy"] = json!("producer_request_hold");
            }
            // the broker refuses one retention limit at 0 beside a non-zero one (400):
            // "retention.time 2h" with no size limit means an unlimited size (-1)
            if def.key == "retention" {
                for (a, o) in
                    [("retentionTimeInMinutes", "retentionSizeInMB"), ("retentionSizeInMB", "retentionTimeInMinutes")]
                {
                    if f == a && b[a].as_i64() != Some(0) && b[o].as_i64().unwrap_or(0) == 0 {
                        b[o] = json!(-1);
                    }
                }
            }
            b
        }
        None => new_field,
    };
    let call = set_call(target, def.key, &after)
        .ok_or_else(|| format!("{} cannot be set on a {:?}", def.key, target.level()))?;
    let drops = current.value.as_ref().and_then(|b| drops_data(def.key, b, &after));
    Ok(Preview {
        target: eff.target.clone(),
        key: key.name().into(),
        policy: def.key,
        before: current.display.clone(),
        before_source: current.source,
        after: catalogue::display(def, &after),
        after_source: match target.level() {
            Level::Topic => Source::Topic,
            Level::Namespace => Source::Namespace,
        },
        before_value: current.value.clone(),
        after_value: Some(after),
        affects: affects(target, def.key, reach),
        confirm: drops.as_ref().map(|_| target.confirm_name()),
        drops_data: drops,
        call,
        remove: false,
    })
}

/// Removing the target level's value of a policy (`key`: an edit key or a catalogue key).
pub fn preview_remove(target: &Target, eff: &Effectives, key: &str, reach: &Reach) -> Result<Preview, String> {
    let policy = EditKey::parse(key).map(|k| k.policy()).or_else(|e| PolicyDef::by_key(key).map(|d| d.key).ok_or(e))?;
    let def = PolicyDef::by_key(policy).ok_or_else(|| format!("unknown policy {policy}"))?;
    let current = eff.get(policy).ok_or_else(|| format!("{target} has no {policy} policy"))?;
    let (own, after, after_source) = match target.level() {
        Level::Topic => match (&current.namespace, &current.broker) {
            (Some(n), _) => (&current.topic, Some(n.clone()), Source::Namespace),
            (None, Some(b)) => (&current.topic, Some(b.clone()), Source::Broker),
            _ => (&current.topic, None, Source::Unset),
        },
        Level::Namespace => (
            &current.namespace,
            current.broker.clone(),
            if current.broker.is_some() { Source::Broker } else { Source::Unset },
        ),
    };
    if own.is_none() {
        return Err(format!("{policy} is not set on {target}: nothing to remove"));
    }
    let call = remove_call(target, policy).ok_or_else(|| format!("{policy} cannot be removed from {target}"))?;
    let drops = match (&current.value, &after) {
        (Some(b), Some(a)) => drops_data(policy, b, a),
        _ => None,
    };
    Ok(Preview {
        target: eff.target.clone(),
        key: key.to_string(),
        policy,
        before: current.display.clone(),
        before_source: current.source,
        after: after.as_ref().map(|a| catalogue::display(def, a)).unwrap_or_else(|| "not set".into()),
        after_source,
        before_value: current.value.clone(),
        after_value: after,
        affects: affects(target, policy, reach),
        confirm: drops.as_ref().map(|_| target.confirm_name()),
        drops_data: drops,
        call,
        remove: true,
    })
}

/// -1 (and for TTL 0) is "no limit": infinity, for comparisons.
fn lim(v: Option<i64>, zero_is_infinite: bool) -> f64 {
    match v {
        None => f64::INFINITY,
        Some(n) if n < 0 => f64::INFINITY,
        Some(0) if zero_is_infinite => f64::INFINITY,
        Some(n) => n as f64,
    }
}

/// Why going from `before` to `after` can drop data, or `None`.
pub fn drops_data(policy: &str, before: &Value, after: &Value) -> Option<String> {
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64);
    match policy {
        "message-ttl" => {
            let (b, a) = (lim(before.as_i64(), true), lim(after.as_i64(), true));
            (a < b).then(|| {
                format!(
                    "a shorter TTL ({} s): unacknowledged messages older than that are expired (acknowledged) for every subscription",
                    after.as_i64().unwrap_or(0)
                )
            })
        }
        "retention" => {
            let time = |v: &Value| lim(f(v, "retentionTimeInMinutes"), false);
            let size = |v: &Value| lim(f(v, "retentionSizeInMB"), false);
            (time(after) < time(before) || size(after) < size(before))
                .then(|| "shorter or smaller retention: acknowledged messages are deleted sooner (readers and cursor resets cannot go back to them)".to_string())
        }
        "backlog-quota-size" | "backlog-quota-time" => {
            let field = if policy == "backlog-quota-size" { "limitSize" } else { "limitTime" };
            let evicts = |v: &Value| v.get("policy").and_then(Value::as_str) == Some("consumer_backlog_eviction");
            let zero_inf = policy == "backlog-quota-time";
            let (b, a) = (lim(f(before, field), zero_inf), lim(f(after, field), zero_inf));
            (evicts(after) && a.is_finite() && (!evicts(before) || a < b)).then(|| {
                "consumer_backlog_eviction: at the limit the oldest backlog is evicted (skipped for the subscriptions)".to_string()
            })
        }
        _ => None,
    }
}
