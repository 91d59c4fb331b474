//! The on-call write actions of the explorer (skip, clear backlog, reset cursor, create and
//! delete a subscription, add partitions, unload), each with the sentence the confirmation
//! shows. All go through the admin client, which refuses them in read-only mode before any
//! I/O.

use reqwest::Method;
use serde_json::json;

use super::error::{ClientError, Result};
use super::message::{format_time, MessageId};
use super::topic::TopicName;
use super::Client;

/// One write the user asked for, with everything needed to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteAction {
    /// Skip `n` messages of a subscription (on each partition of a partitioned topic).
    Skip {
        topic: TopicName,
        subscription: String,
        n: u64,
        partitions: u32,
    },
    ClearBacklog {
        topic: TopicName,
        subscription: String,
    },
    /// Move the cursor to the first message published at or after a time.
    ResetCursorToTime {
        topic: TopicName,
        subscription: String,
        time_ms: i64,
    },
    /// Move the cursor to a message id (of one partition, for a partitioned topic).
    ResetCursorToId {
        topic: TopicName,
        subscription: String,
        id: MessageId,
    },
    /// A durable subscription whose cursor starts at the earliest or the latest message.
    CreateSubscription {
        topic: TopicName,
        subscription: String,
        earliest: bool,
    },
    DeleteSubscription {
        topic: TopicName,
        subscription: String,
    },
    /// Raise a partitioned topic's partition count from `from` to `to`.
    IncreasePartitions {
        topic: TopicName,
        from: u32,
        to: u32,
    },
    /// Unload the topic from its broker (it is reloaded, maybe elsewhere, on next use).
    Unload {
        topic: TopicName,
    },
}

/// The kinds of [`WriteAction`], as the actions menu lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Skip,
    ClearBacklog,
    ResetCursor,
    CreateSubscription,
    DeleteSubscription,
    IncreasePartitions,
    Unload,
}

impl ActionKind {
    pub const ON_SUBSCRIPTION: [ActionKind; 4] =
        [ActionKind::Skip, ActionKind::ClearBacklog, ActionKind::ResetCursor, ActionKind::DeleteSubscription];
    pub const ON_TOPIC: [ActionKind; 3] =
        [ActionKind::CreateSubscription, ActionKind::IncreasePartitions, ActionKind::Unload];

    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Skip => "skip N messages",
            ActionKind::ClearBacklog => "clear backlog",
            ActionKind::ResetCursor => "reset cursor to a time or message id",
            ActionKind::CreateSubscription => "create a subscription",
            ActionKind::DeleteSubscription => "delete subscription",
            ActionKind::IncreasePartitions => "increase partitions",
            ActionKind::Unload => "unload topic",
        }
    }

    /// What the parameter prompt asks, when the action takes one.
    pub fn prompt(self) -> Option<&'static str> {
        match self {
            ActionKind::Skip => Some("how many messages to skip"),
            ActionKind::ResetCursor => Some("reset to: RFC 3339 time, 15m/2h/1d ago, or ledger:entry[:partition]"),
            ActionKind::CreateSubscription => Some("name of the new subscription (add ' latest' to start at the end)"),
            ActionKind::IncreasePartitions => Some("new partition count"),
            _ => None,
        }
    }
}

impl WriteAction {
    /// Builds the action of `kind` from the prompt's answer.
    pub fn build(
        kind: ActionKind,
        topic: &TopicName,
        subscription: Option<&str>,
        partitions: u32,
        input: &str,
        now_ms: i64,
    ) -> std::result::Result<WriteAction, String> {
        let input = input.trim();
        let sub = || subscription.map(str::to_string).ok_or_else(|| "select a subscription first".to_string());
        let topic = topic.clone();
        Ok(match kind {
            ActionKind::Skip => {
                let n: u64 = input.parse().map_err(|_| format!("{input:?} is not a number of messages"))?;
                if n == 0 {
                    return Err("skip at least one message".into());
                }
                WriteAction::Skip { topic, subscription: sub()?, n, partitions }
            }
            ActionKind::ClearBacklog => WriteAction::ClearBacklog { topic, subscription: sub()? },
            ActionKind::ResetCursor => match super::message::StartFrom::parse(input, now_ms) {
                Ok(super::message::StartFrom::Time(time_ms)) => {
                    WriteAction::ResetCursorToTime { topic, subscription: sub()?, time_ms }
                }
                Ok(super::message::StartFrom::Id(id)) => {
                    if partitions > 0 && id.partition < 0 {
                        return Err("a partitioned topic needs ledger:entry:partition".into());
                    }
                    WriteAction::ResetCursorToId { topic, subscription: sub()?, id }
                }
                _ => return Err(format!("{input:?}: use a time (RFC 3339, 15m, 2h, 1d) or ledger:entry[:partition]")),
            },
            ActionKind::CreateSubscription => {
                let (name, at) = input.split_once(' ').map(|(n, a)| (n, a.trim())).unwrap_or((input, "earliest"));
                if name.is_empty() || name.contains('/') {
                    return Err("a subscription name, without '/'".into());
                }
                let earliest = match at {
                    "earliest" | "" => true,
                    "latest" => false,
                    other => return Err(format!("{other:?}: say earliest or latest")),
                };
                WriteAction::CreateSubscription { topic, subscription: name.to_string(), earliest }
            }
            ActionKind::DeleteSubscription => WriteAction::DeleteSubscription { topic, subscription: sub()? },
            ActionKind::IncreasePartitions => {
                if partitions == 0 {
                    return Err(format!(
                        "{} is not partitioned (a non-partitioned topic cannot gain partitions)",
                        topic
                    ));
                }
                let to: u32 = input.parse().map_err(|_| format!("{input:?} is not a partition count"))?;
                if to <= partitions {
                    return Err(format!("partitions can only grow: {topic} has {partitions}"));
                }
                WriteAction::IncreasePartitions { topic, from: partitions, to }
            }
            ActionKind::Unload => WriteAction::Unload { topic },
        })
    }

    /// Exactly what will happen, for the confirmation.
    pub fn describe(&self) -> String {
        match self {
            WriteAction::Skip { topic, subscription, n, partitions } if *partitions > 0 => format!(
                "Skip {n} message(s) on EACH of the {partitions} partitions of {topic} for subscription {subscription}: \
                 its cursor moves past them and its consumers never receive them."
            ),
            WriteAction::Skip { topic, subscription, n, .. } => format!(
                "Skip {n} message(s) of {topic} for subscription {subscription}: its cursor moves past them and its \
                 consumers never receive them."
            ),
            WriteAction::ClearBacklog { topic, subscription } => format!(
                "Clear the whole backlog of subscription {subscription} on {topic}: every unconsumed message is \
                 acknowledged for it and will never be delivered to it."
            ),
            WriteAction::ResetCursorToTime { topic, subscription, time_ms } => format!(
                "Reset the cursor of subscription {subscription} on {topic} to {}: messages after that time are \
                 delivered again (or skipped, if the cursor was earlier).",
                format_time(*time_ms)
            ),
            WriteAction::ResetCursorToId { topic, subscription, id } => format!(
                "Reset the cursor of subscription {subscription} on {topic} to message {id}: messages from there on \
                 are delivered again (or skipped, if the cursor was earlier)."
            ),
            WriteAction::CreateSubscription { topic, subscription, earliest } => format!(
                "Create the durable subscription {subscription} on {topic}, its cursor at the {} message: from now \
                 on the topic keeps a backlog for it.",
                if *earliest { "earliest" } else { "latest" }
            ),
            WriteAction::DeleteSubscription { topic, subscription } => format!(
                "Delete subscription {subscription} of {topic} and its cursor (it must have no connected consumer): \
                 its backlog is dropped."
            ),
            WriteAction::IncreasePartitions { topic, from, to } => format!(
                "Increase the partitions of {topic} from {from} to {to}. This cannot be undone, and key-to-partition \
                 routing changes for new messages."
            ),
            WriteAction::Unload { topic } => format!(
                "Unload {topic} from its broker: producers and consumers reconnect, and the topic may move to \
                 another broker."
            ),
        }
    }

    /// The text the user must type to confirm a destructive action (`None`: `y` is enough).
    pub fn confirmation_text(&self) -> Option<String> {
        match self {
            WriteAction::ClearBacklog { subscription, .. }
            | WriteAction::DeleteSubscription { subscription, .. }
            | WriteAction::Skip { subscription, .. } => Some(subscription.clone()),
            WriteAction::IncreasePartitions { to, .. } => Some(to.to_string()),
            _ => None,
        }
    }

    /// Runs it; the answer is the message for the status line.
    pub async fn run(&self, client: &Client) -> Result<String> {
        let admin = &client.admin;
        let sub_path =
            |t: &TopicName, s: &str| format!("/admin/v2/{}/subscription/{}", t.rest_path(), urlencoding::encode(s));
        match self {
            WriteAction::Skip { topic, subscription, n, partitions } => {
                // the broker refuses skip on a partitioned topic: skip on each partition
                let names: Vec<TopicName> = if *partitions > 0 {
                    (0..*partitions).map(|i| topic.partition(i)).collect()
                } else {
                    vec![topic.clone()]
                };
                for t in &names {
                    admin.write(Method::POST, &format!("{}/skip/{n}", sub_path(t, subscription)), None).await?;
                }
                Ok(format!("skipped {n} message(s) of {subscription} on {} topic(s)", names.len()))
            }
            WriteAction::ClearBacklog { topic, subscription } => {
                admin.write(Method::POST, &format!("{}/skip_all", sub_path(topic, subscription)), None).await?;
                Ok(format!("cleared the backlog of {subscription}"))
            }
            WriteAction::ResetCursorToTime { topic, subscription, time_ms } => {
                let path = format!("{}/resetcursor/{}", sub_path(topic, subscription), time_ms.max(&0));
                admin.write(Method::POST, &path, None).await?;
                Ok(format!("reset {subscription} to {}", format_time(*time_ms)))
            }
            WriteAction::ResetCursorToId { topic, subscription, id } => {
                let t = if id.partition >= 0 && topic.partition_index().is_none() {
                    topic.partition(id.partition as u32)
                } else {
                    topic.clone()
                };
                let body = json!({"ledgerId": id.ledger, "entryId": id.entry, "partitionIndex": id.partition});
                admin.write(Method::POST, &format!("{}/resetcursor", sub_path(&t, subscription)), Some(body)).await?;
                Ok(format!("reset {subscription} to {id}"))
            }
            WriteAction::CreateSubscription { topic, subscription, earliest } => {
                let at = if *earliest { "earliest" } else { "latest" };
                admin.write(Method::PUT, &sub_path(topic, subscription), Some(json!(at))).await?;
                Ok(format!("created subscription {subscription} at the {at} message"))
            }
            WriteAction::DeleteSubscription { topic, subscription } => {
                admin.write(Method::DELETE, &sub_path(topic, subscription), None).await.map_err(|e| match e {
                    ClientError::Http { status: 412, .. } => ClientError::Invalid(format!(
                        "{subscription} still has connected consumers: stop them first (the broker refused)"
                    )),
                    e => e,
                })?;
                Ok(format!("deleted subscription {subscription}"))
            }
            WriteAction::IncreasePartitions { topic, to, .. } => {
                let path = format!("/admin/v2/{}/partitions", topic.rest_path());
                admin.write(Method::POST, &path, Some(json!(to))).await?;
                Ok(format!("{topic} now has {to} partitions"))
            }
            WriteAction::Unload { topic } => {
                admin.write(Method::PUT, &format!("/admin/v2/{}/unload", topic.rest_path()), None).await?;
                Ok(format!("unloaded {topic}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> TopicName {
        TopicName::parse("acme/shop/orders").unwrap()
    }

    #[test]
    fn actions_build_from_the_prompt_or_say_why_not() {
        let now = 1_800_000_000_000;
        assert_eq!(
            WriteAction::build(ActionKind::Skip, &t(), Some("s"), 0, "5", now).unwrap(),
            WriteAction::Skip { topic: t(), subscription: "s".into(), n: 5, partitions: 0 }
        );
        assert!(WriteAction::build(ActionKind::Skip, &t(), Some("s"), 0, "x", now).is_err());
        assert!(WriteAction::build(ActionKind::Skip, &t(), None, 0, "5", now).is_err());
        assert_eq!(
            WriteAction::build(ActionKind::ResetCursor, &t(), Some("s"), 0, "15m", now).unwrap(),
            WriteAction::ResetCursorToTime { topic: t(), subscription: "s".into(), time_ms: now - 15 * 60_000 }
        );
        assert!(WriteAction::build(ActionKind::ResetCursor, &t(), Some("s"), 4, "3:4", now).is_err());
        assert!(matches!(
            WriteAction::build(ActionKind::ResetCursor, &t(), Some("s"), 4, "3:4:1", now).unwrap(),
            WriteAction::ResetCursorToId { .. }
        ));
        assert_eq!(
            WriteAction::build(ActionKind::CreateSubscription, &t(), None, 0, "audit latest", now).unwrap(),
            WriteAction::CreateSubscription { topic: t(), subscription: "audit".into(), earliest: false }
        );
        assert!(WriteAction::build(ActionKind::IncreasePartitions, &t(), None, 0, "8", now).is_err());
        assert!(WriteAction::build(ActionKind::IncreasePartitions, &t(), None, 4, "4", now).is_err());
        assert!(WriteAction::build(ActionKind::IncreasePartitions, &t(), None, 4, "8", now).is_ok());
    }

    #[test]
    fn destructive_actions_need_typed_confirmation_and_say_what_happens() {
        let clear = WriteAction::ClearBacklog { topic: t(), subscription: "payments".into() };
        assert_eq!(clear.confirmation_text().as_deref(), Some("payments"));
        assert!(clear.describe().contains("never be delivered"));
        let skip = WriteAction::Skip { topic: t(), subscription: "s".into(), n: 3, partitions: 4 };
        assert!(skip.describe().contains("EACH of the 4 partitions"), "{}", skip.describe());
        assert_eq!(WriteAction::Unload { topic: t() }.confirmation_text(), None);
    }
}
