//! Dead-letter (`-DLQ`) and retry (`-RETRY`) topics: how they are named, the bookkeeping
//! properties the clients add, where a requeued message goes, and the preview text.
//! Pure, except [`journal`] (an append-only file).
//!
//! What the clients really write (checked against Pulsar 4.0.8, see tests/broker_dlq.rs):
//! - the Python/C++ client: `REAL_TOPIC` = the *partition* the message came from,
//!   `ORIGIN_MESSAGE_ID` = `(ledger,entry,partition,batch)`; the DLQ is named
//!   `<partition>-<subscription>-DLQ` per partition unless `dead_letter_topic` is given; the
//!   event time is dropped.
//! - pulsar-rs: `REAL_TOPIC` = the topic it consumed, `ORIGIN_MESSAGE_ID` =
//!   `ledger:entry:partition[:batch]`, event time kept.
//! - Java retry letters add `RECONSUMETIMES`, `DELAY_TIME`, `RETRY_TOPIC`; Java dead letters
//!   `REAL_SUBSCRIPTION` and `ORIGIN_MESSAGE_IDY_TIME` (the origin's id again).

pub mod journal;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::model::MessageId;
use crate::model::TopicName;

pub const REAL_TOPIC: &str = "REAL_TOPIC";
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
pub const RECONSUMETIMES: &str = "RECONSUMETIMES";
pub const DELAY_TIME: &str = "DELAY_TIME";
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
/// The Java client's dead-letter producer (4.0) also writes the subscription...
pub const REAL_SUBSCRIPTION: &str = "REAL_SUBSCRIPTION";
/// ...and the origin's id a second time under this name (`RetryMessageUtil`'s older
/// constant, kept by the client: seen on the 7 MiB letter of tests/broker_dlq_java.rs).
pub const ORIGIN_MESSAGE_ID_JAVA_LEGACY: &str = "ORIGIN_MESSAGE_IDY_TIME";
/// The bookkeeping properties stripped by default when a message is requeued.
pub const BOOKKEEPING: [&str; 7] = [
    REAL_TOPIC,
    ORIGIN_MESSAGE_ID,
    RECONSUMETIMES,
    DELAY_TIME,
    RETRY_TOPIC,
    REAL_SUBSCRIPTION,
    ORIGIN_MESSAGE_ID_JAVA_LEGACY,
];
/// Added to every requeued message: the DLQ topic and message id it came from.
pub const REQUEUED_FROM: &str = "PULSAR_TUI_REQUEUED_FROM";
/// Our durable subscription on a DLQ: a message is acknowledged there once it was moved.
pub const DEFAULT_SUBSCRIPTION: &str = "pulsar-tui-requeue";

/// A dead-letter or a retry topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterKind {
    Dlq,
    Retry,
}

impl LetterKind {
    /// By name: `…-DLQ` or `…-RETRY` (of the partitioned parent's local name).
    pub fn of_name(local: &str) -> Option<LetterKind> {
        if local.ends_with("-DLQ") {
            Some(LetterKind::Dlq)
        } else if local.ends_with("-RETRY") {
            Some(LetterKind::Retry)
        } else {
            None
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            LetterKind::Dlq => "-DLQ",
            LetterKind::Retry => "-RETRY",
        }
    }
}

impl fmt::Display for LetterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LetterKind::Dlq => "DLQ",
            LetterKind::Retry => "RETRY",
        })
    }
}

/// Splits `<origin>-<subscription>-DLQ` into origin topic and subscription, given the local
/// names of the namespace's topics. The longest topic name that prefixes it wins; a
/// per-partition letter (`orders-partition-2-sub-DLQ`, as the Python client names them)
/// gives the partition as the origin. `None` when no topic of the namespace matches.
pub fn origin_by_name(letter_local: &str, topics: &[&str]) -> Option<(String, String)> {
    let kind = LetterKind::of_name(letter_local)?;
    let base = &letter_local[..letter_local.len() - kind.suffix().len()];
    let origin = topics
        .iter()
        .filter(|t| **t != letter_local && LetterKind::of_name(t).is_none())
        .filter(|t| base.len() > t.len() + 1 && base.starts_with(**t) && base.as_bytes()[t.len()] == b'-')
        .max_by_key(|t| t.len())?;
    let mut origin = origin.to_string();
    let mut rest = &base[origin.len() + 1..];
    // `<topic>-partition-N-<sub>`: the partition is part of the origin
    if let Some(after) = rest.strip_prefix("partition-") {
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with('-') && after.len() > digits + 1 {
            origin = format!("{origin}-partition-{}", &after[..digits]);
            rest = &after[digits + 1..];
        }
    }
    Some((origin, rest.to_string()))
}

/// Where requeued messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The topic each message came from (`REAL_TOPIC`, else the origin found by name):
    /// every subscription of it receives the message again.
    Original,
    /// `<origin>-<subscription>-RETRY`: only that subscription, when its consumers use retry.
    Retry,
    /// Any topic.
    Topic(TopicName),
}

impl Target {
    /// `original`, `retry`, or a topic name.
    pub fn parse(s: &str) -> Result<Target, String> {
        match s.trim() {
            "original" | "origin" => Ok(Target::Original),
            "retry" => Ok(Target::Retry),
            t => TopicName::parse(t).map(Target::Topic).map_err(|e| format!("--to {t:?}: {e}")),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Original => f.write_str("the original topic"),
            Target::Retry => f.write_str("the subscription's RETRY topic"),
            Target::Topic(t) => write!(f, "{t}"),
        }
    }
}

/// What is known of a letter topic: its kind and where its messages came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letter {
    pub topic: TopicName,
    pub kind: Option<LetterKind>,
    /// The origin topic (the partitioned parent when the letter came from a partition).
    pub origin: Option<TopicName>,
    pub subscription: Option<String>,
}

impl Letter {
    /// The target topic of one message with these properties.
    pub fn target_of(&self, target: &Target, properties: &BTreeMap<String, String>) -> Result<TopicName, String> {
        match target {
            Target::Topic(t) => Ok(t.clone()),
            Target::Original => match properties.get(REAL_TOPIC) {
                // to the parent, so that the key routes it as any producer would
                Some(real) => TopicName::parse(real).map(|t| t.parent()).map_err(|e| format!("{REAL_TOPIC}: {e}")),
                None => self
                    .origin
                    .clone()
                    .ok_or_else(|| format!("no {REAL_TOPIC} property and no origin topic known for {}", self.topic)),
            },
            Target::Retry => {
                let origin = properties
                    .get(REAL_TOPIC)
                    .and_then(|r| TopicName::parse(r).ok())
                    .map(|t| t.parent())
                    .or_else(|| self.origin.clone())
                    .ok_or_else(|| format!("the origin topic of {} is unknown", self.topic))?;
                let sub = self.subscription.as_deref().ok_or_else(|| {
                    format!("the subscription of {} is unknown (name it <topic>-<sub>-DLQ)", self.topic)
                })?;
                Ok(TopicName { local: format!("{}-{sub}-RETRY", origin.local), ..origin })
            }
        }
    }
}

/// The properties of a requeued message: the DLQ bookkeeping stripped unless `keep`, and
/// [`REQUEUED_FROM`] = `<dlq topic>@<message id>` added. Any map: the requeue builds the
/// producer's `HashMap` directly, once per message.
pub fn requeued_properties<M: FromIterator<(String, String)>>(
    properties: &BTreeMap<String, String>,
    keep: bool,
    dlq: &TopicName,
    id: &MessageId,
) -> M {
    properties
        .iter()
        .filter(|(k, _)| keep || !BOOKKEEPING.contains(&k.as_str()))
        .filter(|(k, _)| k.as_str() != REQUEUED_FROM)
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(std::iter::once((REQUEUED_FROM.to_string(), format!("{dlq}@{id}"))))
        .collect()
}

/// The id of the original message (`ORIGIN_MESSAGE_ID`, in either client's format).
pub fn origin_message_id(properties: &BTreeMap<String, String>) -> Option<MessageId> {
    properties.get(ORIGIN_MESSAGE_ID)?.parse().ok()
}

/// The sentence a preview shows before anything is sent.
pub fn meaning(target: &Target, letter: &Letter, subscribers: &[String]) -> String {
    match target {
        Target::Original => {
            let to = letter.origin.as_ref().map(|o| o.to_string()).unwrap_or_else(|| "its REAL_TOPIC".into());
            if subscribers.is_empty() {
                format!("each message is published again to {to}; every subscription of that topic receives it again")
            } else {
                format!(
                    "each message is published again to {to}; every subscription of it ({}) receives it again",
                    subscribers.join(", ")
                )
            }
        }
        Target::Retry => format!(
            "each message goes to the RETRY topic of subscription {}: only that subscription receives it again, \
             and only if its consumers use retry topics",
            letter.subscription.as_deref().unwrap_or("?")
        ),
        Target::Topic(t) => format!("each message is published to {t}; its subscriptions receive it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_kinds_by_name() {
        assert_eq!(LetterKind::of_name("orders-payments-DLQ"), Some(LetterKind::Dlq));
        assert_eq!(LetterKind::of_name("orders-payments-RETRY"), Some(LetterKind::Retry));
        assert_eq!(LetterKind::of_name("orders-dlq"), None);
        assert_eq!(LetterKind::of_name("orders"), None);
    }

    #[test]
    fn origin_and_subscription_are_split_by_the_longest_topic() {
        let topics = ["orders", "orders-eu", "payments", "orders-eu-billing-DLQ"];
        assert_eq!(origin_by_name("orders-eu-billing-DLQ", &topics), Some(("orders-eu".into(), "billing".into())));
        assert_eq!(origin_by_name("orders-my-sub-RETRY", &topics), Some(("orders".into(), "my-sub".into())));
        assert_eq!(
            origin_by_name("orders-partition-2-sub-DLQ", &topics),
            Some(("orders-partition-2".into(), "sub".into()))
        );
        // a subscription that merely starts with "partition-"
        assert_eq!(origin_by_name("orders-partition-x-DLQ", &topics), Some(("orders".into(), "partition-x".into())));
        assert_eq!(origin_by_name("unknown-sub-DLQ", &topics), None);
        assert_eq!(origin_by_name("orders-DLQ", &topics), None, "no subscription part");
        assert_eq!(origin_by_name("orders", &topics), None);
    }

    fn letter() -> Letter {
        Letter {
            topic: TopicName::parse("acme/shop/orders-payments-DLQ").unwrap(),
            kind: Some(LetterKind::Dlq),
            origin: Some(TopicName::parse("acme/shop/orders").unwrap()),
            subscription: Some("payments".into()),
        }
    }

    #[test]
    fn targets_resolve_from_properties_then_the_name() {
        let l = letter();
        let mut props = BTreeMap::new();
        assert_eq!(l.target_of(&Target::Original, &props).unwrap().to_string(), "persistent://acme/shop/orders");
        props.insert(REAL_TOPIC.to_string(), "persistent://acme/shop/other-partition-3".to_string());
        assert_eq!(l.target_of(&Target::Original, &props).unwrap().to_string(), "persistent://acme/shop/other");
        assert_eq!(
            l.target_of(&Target::Retry, &props).unwrap().to_string(),
            "persistent://acme/shop/other-payments-RETRY"
        );
        let to = TopicName::parse("a/b/c").unwrap();
        assert_eq!(l.target_of(&Target::Topic(to.clone()), &props).unwrap(), to);
        let unknown = Letter { origin: None, subscription: None, ..letter() };
        assert!(unknown.target_of(&Target::Original, &BTreeMap::new()).unwrap_err().contains("REAL_TOPIC"));
        assert!(unknown.target_of(&Target::Retry, &props).unwrap_err().contains("subscription"));
    }

    #[test]
    fn targets_parse() {
        assert_eq!(Target::parse("original").unwrap(), Target::Original);
        assert_eq!(Target::parse("retry").unwrap(), Target::Retry);
        assert_eq!(Target::parse("a/b/c").unwrap(), Target::Topic(TopicName::parse("a/b/c").unwrap()));
        assert!(Target::parse("kafka://x/y/z").is_err());
    }

    #[test]
    fn bookkeeping_is_stripped_unless_kept() {
        let dlq = TopicName::parse("a/b/x-s-DLQ").unwrap();
        let id: MessageId = "5:7".parse().unwrap();
        let props: BTreeMap<String, String> = [(REAL_TOPIC, "t"), (ORIGIN_MESSAGE_ID, "(1,2,-1,-1)"), ("k", "v")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let stripped: BTreeMap<String, String> = requeued_properties(&props, false, &dlq, &id);
        assert_eq!(stripped.keys().collect::<Vec<_>>(), vec!["PULSAR_TUI_REQUEUED_FROM", "k"]);
        assert_eq!(stripped[REQUEUED_FROM], "persistent://a/b/x-s-DLQ@5:7:-1:-1");
        let kept: BTreeMap<String, String> = requeued_properties(&props, true, &dlq, &id);
        assert_eq!(kept.len(), 4);
        assert_eq!(origin_message_id(&props), Some("1:2".parse().unwrap()));
    }

    #[test]
    fn the_meaning_names_who_receives_the_messages() {
        let l = letter();
        let m = meaning(&Target::Original, &l, &["payments".into(), "analytics".into()]);
        assert!(m.contains("persistent://acme/shop/orders") && m.contains("payments, analytics"), "{m}");
        assert!(meaning(&Target::Retry, &l, &[]).contains("only that subscription"));
    }
}
