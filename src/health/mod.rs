//! "What is wrong right now": findings across the whole cluster, ranked.
//!
//! Pure: no I/O, no clock, no ratatui. The inputs are the metrics scrape
//! ([`MetricsSnapshot`], every broker's `/metrics`) and the few admin facts the scrape
//! cannot give ([`Details`]: each broker's health check and version, the age of the
//! oldest unacknowledged message of the subscriptions that need it, the backlog-quota
//! policy of the topics near their quota, the last message of each dead-letter topic).
//! [`wants`] says which facts are worth an admin call (a bounded number, never one per
//! topic); [`Engine::observe`] turns a scrape and the facts into [`Finding`]s, keeping
//! each one's first-seen time; a finding that clears stays, greyed, for
//! [`CLEARED_FOR_MS`], then leaves. The time always comes from the caller.
//!
//! - `thresholds.rs`: the `[health]` config section and its defaults;
//! - `facts.rs`: the admin facts and which ones to fetch;
//! - `rules.rs`: one function per kind of finding;
//! - `track.rs`: the little history the rules need (backlog growth, DLQ arrivals);
//! - `engine.rs`: first seen, cleared, ranked.

mod engine;
mod facts;
mod rules;
mod sink;
mod thresholds;
mod track;
mod transactions;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use engine::{Changes, Engine, CLEARED_FOR_MS, LISTED_PER_KIND};
pub use facts::{wants, BrokerFact, Details, HeldBackFact, LetterFact, QuotaPolicy, SubDetail, TxnFact, Wants};
pub use thresholds::Thresholds;

use crate::metrics::MetricsSnapshot;

/// How bad a finding is. `Warn < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "warn" | "warning" => Some(Severity::Warn),
            "crit" | "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Critical => "critical",
        }
    }
}

/// What kind of trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A broker's `/metrics` could not be scraped.
    ScrapeFailed,
    /// A broker fails its health check (`/admin/v2/brokers/health`).
    BrokerUnhealthy,
    /// Producers are held or refused (or messages evicted): the backlog is over its quota.
    QuotaExceeded,
    /// A subscription stopped receiving: `maxUnackedMessagesPerSubscription` reached.
    Blocked,
    /// A geo-replicator is not connected.
    ReplicatorDisconnected,
    /// The oldest unacknowledged message of a subscription is older than the threshold.
    OldestUnacked,
    /// A backlog and no consumer.
    Stalled,
    /// A backlog that has only grown for the last N minutes.
    BacklogGrowing,
    /// The backlog is at 80 % (by default) of its quota, size or time.
    QuotaNear,
    /// Messages redelivered (negative acks, ack timeouts) faster than the threshold.
    Redelivery,
    /// A DLQ or RETRY topic that received messages lately, or grows.
    DeadLetters,
    /// Messages dropped by TTL (expiry) lately.
    Expired,
    /// A replication backlog that has only grown for the last N minutes.
    ReplicationGrowing,
    /// The oldest message not yet replicated is older than the threshold.
    ReplicationDelayed,
    /// A broker runs a different version from the others.
    VersionSkew,
    /// A transaction open longer than the threshold (critical when it holds back readers).
    TxnStuck,
}

impl Kind {
    /// A few words for the list.
    pub fn title(self) -> &'static str {
        match self {
            Kind::ScrapeFailed => "metrics scrape failed",
            Kind::BrokerUnhealthy => "broker health check failed",
            Kind::QuotaExceeded => "backlog quota exceeded",
            Kind::Blocked => "blocked on unacked messages",
            Kind::ReplicatorDisconnected => "replicator disconnected",
            Kind::OldestUnacked => "old unacked message",
            Kind::Stalled => "stalled subscription",
            Kind::BacklogGrowing => "backlog growing",
            Kind::QuotaNear => "backlog near its quota",
            Kind::Redelivery => "high redelivery rate",
            Kind::DeadLetters => "dead letters arriving",
            Kind::Expired => "messages expired (TTL)",
            Kind::ReplicationGrowing => "replication backlog growing",
            Kind::ReplicationDelayed => "replication delayed",
            Kind::VersionSkew => "broker version skew",
            Kind::TxnStuck => "transaction open too long",
        }
    }
}

/// Where a finding is. Fields that do not apply are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Place {
    /// A broker (its `/metrics` URL, as scraped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker: Option<String>,
    /// `tenant/namespace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The topic (a partitioned topic's parent; for a quota, the partition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    /// For a dead-letter topic: the topic its messages came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// For replication: the remote cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

impl Place {
    /// One line: `tenant/ns/topic ⤷ sub`, or the broker.
    pub fn display(&self) -> String {
        let mut s = match (&self.topic, &self.broker, &self.namespace) {
            (Some(t), _, _) => t.split_once("://").map_or(t.as_str(), |(_, r)| r).to_string(),
            (None, Some(b), _) => b.clone(),
            (None, None, Some(ns)) => ns.clone(),
            _ => "cluster".into(),
        };
        if let Some(sub) = &self.subscription {
            s.push_str(" ⤷ ");
            s.push_str(sub);
        }
        if let Some(r) = &self.remote {
            s.push_str(" → ");
            s.push_str(r);
        }
        s
    }
}

/// Where the action key goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "open", rename_all = "snake_case")]
pub enum Target {
    /// The subscription, selected in the explorer.
    Subscription { topic: String, subscription: String },
    /// The topic, selected in the explorer.
    Topic { topic: String },
    /// The dead-letter topic's messages, in the browser.
    DeadLetters { topic: String },
    /// The topic's row of the metrics view.
    Metrics { topic: String },
    /// Nothing to open (a broker): the metrics view shows the brokers' scrape status.
    Brokers,
    /// The transactions view, with this transaction (`(0,5)`) selected.
    Transaction { txn: String },
}

/// One thing that is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Identity across observations: kind and place.
    pub key: String,
    pub kind: Kind,
    pub severity: Severity,
    pub place: Place,
    /// One line with the numbers: "backlog 1,200, no consumer".
    pub what: String,
    /// The numbers behind it, by name (`backlog`, `age_secs`, `percent`, ...).
    pub numbers: BTreeMap<String, f64>,
    /// The threshold crossed, with its config key.
    pub threshold: String,
    /// When it was first seen (epoch ms), by this engine.
    pub since_ms: i64,
    /// When it cleared (epoch ms): shown greyed for a minute, then gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared_ms: Option<i64>,
    pub action: Target,
    /// Ranking within a severity (larger first): the backlog, the age...
    #[serde(skip)]
    pub weight: f64,
}

impl Finding {
    pub fn is_cleared(&self) -> bool {
        self.cleared_ms.is_some()
    }

    /// The number called `name`, if the finding has it.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.numbers.get(name).copied()
    }
}

/// What the engine looks at in one observation.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub snapshot: &'a MetricsSnapshot,
    pub details: &'a Details,
}

/// Counts of active findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub critical: usize,
    pub warn: usize,
    pub cleared: usize,
    /// Active findings counted above but not listed (beyond the listed ones of their kind).
    pub unlisted: usize,
}

#[cfg(test)]
mod tests;
