//! Namespace and topic policies of Pulsar 4.0, pure: the catalogue (`catalogue.rs`: every
//! policy with its admin paths and broker default), the effective value of each with where
//! it comes from (topic, then namespace, then the broker's default: [`resolve`]), the
//! edits on-call makes (`edit.rs`: the admin call, before → after, whether it can drop
//! data) and the capacity estimates (`capacity.rs`). The I/O is `pulsar::policies`.

pub mod capacity;
pub mod catalogue;
pub mod edit;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::model::TopicName;
pub use catalogue::{PolicyDef, CATALOGUE};

/// What the policies are read for: a namespace (`tenant/ns`) or a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Namespace(String),
    Topic(TopicName),
}

impl Target {
    /// `tenant/ns` or a topic name; anything with `://` or three parts is a topic.
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim().trim_matches('/');
        if t.contains("://") || t.matches('/').count() >= 2 {
            return TopicName::parse(t).map(|n| Target::Topic(n.parent())).map_err(|e| e.to_string());
        }
        match t.split_once('/') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok(Target::Namespace(t.to_string())),
            _ => Err(format!("{text:?}: give tenant/namespace or a topic name")),
        }
    }

    /// The namespace (`tenant/ns`) of the target.
    pub fn namespace(&self) -> String {
        match self {
            Target::Namespace(ns) => ns.clone(),
            Target::Topic(t) => format!("{}/{}", t.tenant, t.namespace),
        }
    }

    /// The name a data-dropping change must be confirmed with: `tenant/ns`, or the topic's
    /// short name.
    pub fn confirm_name(&self) -> String {
        match self {
            Target::Namespace(ns) => ns.clone(),
            Target::Topic(t) => t.local.clone(),
        }
    }

    pub fn level(&self) -> Level {
        match self {
            Target::Namespace(_) => Level::Namespace,
            Target::Topic(_) => Level::Topic,
        }
    }

    /// The admin path of one policy of the target: `/admin/v2/namespaces/t/ns/{path}` or
    /// `/admin/v2/persistent/t/ns/topic/{path}`.
    pub fn path(&self, policy_path: &str) -> String {
        match self {
            Target::Namespace(ns) => format!("/admin/v2/namespaces/{ns}/{policy_path}"),
            Target::Topic(t) => format!("/admin/v2/{}/{policy_path}", t.rest_path()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Namespace(ns) => write!(f, "namespace {ns}"),
            Target::Topic(t) => write!(f, "topic {t}"),
        }
    }
}

/// The level a policy is set at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Namespace,
    Topic,
}

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Topic,
    Namespace,
    /// The broker's configuration (`/admin/v2/brokers/configuration/runtime`).
    Broker,
    /// Set nowhere and no broker default: the feature is off.
    Unset,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Topic => "topic",
            Source::Namespace => "namespace",
            Source::Broker => "broker default",
            Source::Unset => "not set",
        }
    }
}

/// The broker's runtime configuration: every value as the broker prints it (strings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerConfig(pub BTreeMap<String, String>);

impl BrokerConfig {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
    pub fn int(&self, key: &str) -> Option<i64> {
        let s = self.str(key)?;
        s.parse().ok().or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
    }
    pub fn float(&self, key: &str) -> Option<f64> {
        self.str(key)?.parse().ok()
    }
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.str(key)?.parse().ok()
    }
    /// Topic-level policies work only with both switches on (the default).
    pub fn topic_policies_enabled(&self) -> bool {
        self.bool("topicLevelPoliciesEnabled").unwrap_or(true) && self.bool("systemTopicEnabled").unwrap_or(true)
    }
}

/// The raw answers of one policy at each level (`None`: not set there or not asked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Raw {
    pub topic: Option<Value>,
    pub namespace: Option<Value>,
    /// The broker's own effective value (`?applied=true` on a topic), where it has one.
    pub applied: Option<Value>,
}

/// One policy's effective value and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    pub key: &'static str,
    pub title: &'static str,
    pub value: Option<Value>,
    pub source: Source,
    /// The value for people (`1 h`, `10 MiB, 7 d`, `unlimited`...).
    pub display: String,
    /// The value set at the topic level (an override), when the target is a topic.
    pub topic: Option<Value>,
    /// The value set at the namespace level.
    pub namespace: Option<Value>,
    /// The broker's default.
    pub broker: Option<Value>,
    /// The broker's own effective value (`?applied=true`), for a topic.
    pub applied: Option<Value>,
    /// Whether `pulsar-tui policies set` can change it.
    pub editable: bool,
}

/// The value of a policy as stored at one level: `None` when the answer means "not set"
/// (an empty body, `null`, a namespace's `UNDEFINED` strategy, -1 offload thresholds, an
/// empty list of subscription types).
pub fn normalize(def: &PolicyDef, v: Option<Value>) -> Option<Value> {
    let v = v?;
    let v = match def.field {
        Some(f) => v.get(f)?.clone(),
        None => v,
    };
    let unset = match &v {
        Value::Null => true,
        Value::String(s) => s == "UNDEFINED" || s.is_empty(),
        Value::Array(a) => a.is_empty() && def.key == "subscription-types",
        Value::Number(n) => def.unset_number.is_some_and(|u| n.as_i64() == Some(u)),
        _ => false,
    };
    (!unset).then_some(v)
}

/// The effective value of one policy for a target: topic, then namespace, then broker default.
pub fn resolve(def: &'static PolicyDef, target_level: Level, raw: &Raw, broker: &BrokerConfig) -> Effective {
    let topic = if target_level == Level::Topic { normalize(def, raw.topic.clone()) } else { None };
    let namespace = normalize(def, raw.namespace.clone());
    let default = (def.broker)(broker);
    let (value, source) = match (&topic, &namespace, &default) {
        (Some(t), _, _) => (Some(t.clone()), Source::Topic),
        (None, Some(n), _) => (Some(n.clone()), Source::Namespace),
        (None, None, Some(b)) => (Some(b.clone()), Source::Broker),
        _ => (None, Source::Unset),
    };
    let display = value.as_ref().map(|v| catalogue::display(def, v)).unwrap_or_else(|| "not set".into());
    Effective {
        key: def.key,
        title: def.title,
        value,
        source,
        display,
        topic,
        namespace,
        broker: default,
        applied: raw.applied.as_ref().and_then(|a| normalize(def, Some(a.clone()))),
        editable: edit::EditKey::ALL.iter().any(|k| k.policy() == def.key),
    }
}

/// Every policy of a target, effective, with its source; what the policies section and
/// `pulsar-tui policies` show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effectives {
    pub target: String,
    pub level: Level,
    /// False when the broker runs without topic-level policies (or without system topics).
    pub topic_policies_enabled: bool,
    pub policies: Vec<Effective>,
}

impl Effectives {
    pub fn get(&self, key: &str) -> Option<&Effective> {
        self.policies.iter().find(|p| p.key == key)
    }
}

/// Resolves every policy of the catalogue that exists at the target's level.
pub fn resolve_all(target: &Target, raws: &BTreeMap<&'static str, Raw>, broker: &BrokerConfig) -> Effectives {
    let level = target.level();
    let policies = CATALOGUE
        .iter()
        .filter(|d| d.exists_at(level))
        .map(|d| resolve(d, level, raws.get(d.key).unwrap_or(&Raw::default()), broker))
        .collect();
    Effectives {
        target: match target {
            Target::Namespace(ns) => ns.clone(),
            Target::Topic(t) => t.to_string(),
        },
        level,
        topic_policies_enabled: broker.topic_policies_enabled(),
        policies,
    }
}

#[cfg(test)]
mod tests;
