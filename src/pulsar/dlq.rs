//! Dead-letter queues on the cluster: discovery in a namespace, what a requeue would do
//! with each message (the dry run), and the options and counts of a requeue (the engine
//! itself is [`super::requeue`]).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use futures::StreamExt;
use serde::Serialize;

use super::error::{ClientError, Result};
use super::message::{Message, MessageId};
use super::reader::{partitions_of, TopicReader};
use super::schemas::MessageDecoder;
use super::topic::TopicName;
use super::Client;
use crate::dlq::journal::{Journal, Moved};
use crate::dlq::{self, Letter, LetterKind, Target};

/// The DLQ view's request group (ARCHITECTURE.md, "Adding a request group").
#[derive(Debug, Clone, PartialEq)]
pub enum DlqRequest {
    /// The DLQ and RETRY topics of a namespace.
    ListLetters { namespace: String },
    /// The dry run of a requeue: what would move, and what that means.
    PlanRequeue { options: Box<RequeueOptions> },
    /// A requeue, streamed as `RequeueProgressed` by the worker's own task; a cancel stops
    /// it after the sends in flight.
    Requeue { options: Box<RequeueOptions> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DlqResponse {
    LettersListed {
        namespace: String,
        letters: Vec<LetterTopic>,
    },
    RequeuePlanned {
        summary: Box<RequeueSummary>,
        /// What the requeue means (who receives the messages again).
        meaning: String,
        /// The DLQ's subscription, when known (typed to confirm a bulk requeue).
        subscription: Option<String>,
    },
    /// Counts of a running requeue (not the last response).
    RequeueProgressed {
        progress: RequeueProgress,
    },
    RequeueFinished {
        summary: Box<RequeueSummary>,
    },
}

impl DlqRequest {
    pub fn describe(&self) -> String {
        match self {
            DlqRequest::ListLetters { namespace } => format!("dead-letter topics of {namespace}"),
            DlqRequest::PlanRequeue { options } => format!("requeue preview of {}", options.dlq),
            DlqRequest::Requeue { options } => format!("requeue from {}", options.dlq),
        }
    }
}

impl DlqResponse {
    /// False for a requeue's progress: its summary comes after.
    pub fn is_final(&self) -> bool {
        !matches!(self, DlqResponse::RequeueProgressed { .. })
    }
}

/// Runs a request of the group that answers once (a requeue streams: `Worker::submit`
/// runs it as a task of its own, see [`super::requeue::requeue`]).
pub async fn execute(client: &Client, request: &DlqRequest) -> Result<DlqResponse> {
    match request {
        DlqRequest::ListLetters { namespace } => list_letters(client, namespace)
            .await
            .map(|letters| DlqResponse::LettersListed { namespace: namespace.clone(), letters }),
        DlqRequest::PlanRequeue { options } => {
            let (summary, _) = plan_requeue(client, options).await?;
            let letter = letter_of(client, &options.dlq).await?;
            let subscribers = match (&options.target, &letter.origin) {
                (Target::Original, Some(origin)) => client.admin.subscriptions(origin).await.unwrap_or_default(),
                _ => Vec::new(),
            };
            Ok(DlqResponse::RequeuePlanned {
                summary: Box::new(summary),
                meaning: dlq::meaning(&options.target, &letter, &subscribers),
                subscription: letter.subscription,
            })
        }
        DlqRequest::Requeue { .. } => {
            Err(ClientError::Invalid("a requeue streams its progress: the worker runs it as a task".into()))
        }
    }
}

/// Topics whose first message is examined for DLQ properties, at most (name-matched
/// letters are always found).
const MAX_PROBED_TOPICS: usize = 500;

/// One dead-letter or retry topic, as `dlq list` and the DLQ view show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LetterTopic {
    #[serde(flatten)]
    pub letter: Letter,
    /// `name` (`…-DLQ`/`…-RETRY`) or `properties` (its messages carry `REAL_TOPIC` and
    /// `ORIGIN_MESSAGE_ID`).
    pub found_by: &'static str,
    pub partitions: u32,
    /// Entries stored (a batch counts once).
    pub messages: u64,
    pub oldest_publish_ms: Option<i64>,
    pub newest_publish_ms: Option<i64>,
    pub subscriptions: Vec<String>,
}

/// Finds the DLQ and RETRY topics of a namespace, by name and by the properties of their
/// first message, each with its origin topic and subscription when they can be told.
pub async fn list_letters(client: &Client, namespace: &str) -> Result<Vec<LetterTopic>> {
    let topics = client.admin.topics(namespace).await?;
    let locals: Vec<&str> = topics.iter().map(|t| t.name.local.as_str()).collect();
    let probes = futures::stream::iter(topics.iter().take(MAX_PROBED_TOPICS.max(topics.len())).cloned())
        .map(|t| async move {
            let first_part = if t.partitions > 0 { t.name.partition(0) } else { t.name.clone() };
            let by_name = LetterKind::of_name(&t.name.local).is_some();
            if !by_name && !t.name.persistent {
                return Ok(None);
            }
            let first = client.admin.examine_message(&first_part, false, 1).await?;
            let props = first.as_ref().map(|f| f.properties.clone()).unwrap_or_default();
            let by_props = props.contains_key(dlq::REAL_TOPIC) && props.contains_key(dlq::ORIGIN_MESSAGE_ID);
            if !by_name && !by_props {
                return Ok(None);
            }
            Ok::<_, ClientError>(Some((t, by_name, props)))
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let mut found = Vec::new();
    for p in probes {
        let Some((t, by_name, props)) = p? else { continue };
        let letter = describe_letter(&t.name, &locals, &props);
        let names = if t.partitions > 0 {
            (0..t.partitions).map(|i| t.name.partition(i)).collect()
        } else {
            vec![t.name.clone()]
        };
        let (entries, oldest, newest, subs) = futures::join!(
            futures::future::join_all(names.iter().map(|n| client.admin.stored_entries(n))),
            futures::future::join_all(names.iter().map(|n| client.admin.examine_message(n, false, 1))),
            futures::future::join_all(names.iter().map(|n| client.admin.examine_message(n, true, 1))),
            client.admin.subscriptions(&t.name),
        );
        let messages = entries.into_iter().map(|e| e.unwrap_or(0)).sum();
        let times = |v: Vec<Result<Option<super::admin::Examined>>>| -> Vec<i64> {
            v.into_iter().filter_map(|e| e.ok().flatten().and_then(|e| e.publish_time_ms)).collect()
        };
        found.push(LetterTopic {
            letter,
            found_by: if by_name { "name" } else { "properties" },
            partitions: t.partitions,
            messages,
            oldest_publish_ms: times(oldest).into_iter().min(),
            newest_publish_ms: times(newest).into_iter().max(),
            subscriptions: subs.unwrap_or_default(),
        });
    }
    found.sort_by(|a, b| {
        (a.letter.origin.as_ref().map(|o| &o.local), &a.letter.subscription, &a.letter.topic.local).cmp(&(
            b.letter.origin.as_ref().map(|o| &o.local),
            &b.letter.subscription,
            &b.letter.topic.local,
        ))
    });
    Ok(found)
}

/// What the name and the first message's properties say about a letter topic.
fn describe_letter(topic: &TopicName, locals: &[&str], first_props: &BTreeMap<String, String>) -> Letter {
    let kind = LetterKind::of_name(&topic.local);
    let real = first_props.get(dlq::REAL_TOPIC).and_then(|r| TopicName::parse(r).ok());
    let (origin, subscription) = match dlq::origin_by_name(&topic.local, locals) {
        Some((o, s)) => (Some(TopicName { local: o, ..topic.clone() }.parent()), Some(s)),
        None => {
            // a custom name: the origin from REAL_TOPIC, the subscription from the rest of the name
            let origin = real.map(|r| r.parent());
            let sub = origin.as_ref().and_then(|o| {
                let k = kind?;
                let base = topic.local.strip_suffix(k.suffix())?;
                base.strip_prefix(&format!("{}-", o.local)).map(str::to_string)
            });
            (origin, sub)
        }
    };
    Letter { topic: topic.clone(), kind, origin, subscription }
}

/// Describes one letter topic (for a requeue): its origin from the namespace's topic names
/// and its first message.
pub async fn letter_of(client: &Client, topic: &TopicName) -> Result<Letter> {
    let namespace = topic.namespace_path();
    let topics = client.admin.topics(&namespace).await?;
    let locals: Vec<&str> = topics.iter().map(|t| t.name.local.as_str()).collect();
    let first_part = partitions_of(client, topic).await?.into_iter().next().unwrap_or_else(|| topic.clone());
    let props = client.admin.examine_message(&first_part, false, 1).await?.map(|e| e.properties).unwrap_or_default();
    Ok(describe_letter(topic, &locals, &props))
}

/// What a requeue does.
#[derive(Debug, Clone, PartialEq)]
pub struct RequeueOptions {
    pub dlq: TopicName,
    pub target: Target,
    /// A CEL filter (the browser's language); messages it leaves out stay in the DLQ.
    pub filter: Option<String>,
    /// Only these messages (`<partition topic>@<ledger>:<entry>:<batch>`, see [`only_key`]).
    pub only: Option<HashSet<String>>,
    /// Fixed payloads by message (same keys as `only`): the copy carries this payload instead
    /// of the dead letter's (fix and requeue); everything else about the move is the same.
    pub fixes: std::collections::HashMap<String, Vec<u8>>,
    /// Move at most this many.
    pub limit: Option<u64>,
    /// Messages per second, at most.
    pub rate: Option<u32>,
    pub keep_dlq_properties: bool,
    /// Our durable subscription on the DLQ.
    pub subscription: String,
    pub journal: PathBuf,
}

/// The key of one message in [`RequeueOptions::only`].
pub fn only_key(topic: &str, id: &MessageId) -> String {
    format!("{topic}@{}:{}:{}", id.ledger, id.entry, id.batch)
}

/// Counts so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequeueProgress {
    /// Messages received from the DLQ.
    pub scanned: u64,
    pub moved: u64,
    /// Already moved by an earlier run (in the journal): acknowledged, not sent again.
    pub skipped: u64,
    pub failed: u64,
    /// Left in the DLQ by the filter or the selection.
    pub left: u64,
    /// The backlog of our subscription when the run started, when known, in entries: the
    /// broker counts a batch once (so `total` compares with `entries`, not `scanned`).
    pub total: Option<u64>,
    /// Entries received (a batch counts once, a chunked message once per chunk).
    pub entries: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequeueSummary {
    #[serde(flatten)]
    pub progress: RequeueProgress,
    /// `(DLQ message id, reason)` of every failure (those messages stay in the DLQ).
    pub failures: Vec<(String, String)>,
    /// Moved messages per target topic.
    pub targets: BTreeMap<String, u64>,
    pub cancelled: bool,
    pub journal: String,
    /// Unreadable journal lines (a torn last line after a crash).
    pub journal_bad_lines: usize,
}

/// One message as a requeue would move it (the dry run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedMove {
    pub message_id: String,
    pub topic: String,
    /// `move`, `skip` (already moved), `leave` (filtered out) or `fail`.
    pub action: &'static str,
    pub target: Option<String>,
    pub reason: Option<String>,
}

pub(super) struct Decision {
    pub action: &'static str,
    pub target: Option<TopicName>,
    pub reason: Option<String>,
}

/// The shared decision of the dry run and the real run for one message.
pub(super) struct Planner {
    letter: Letter,
    target: Target,
    filter: Option<crate::filter::Filter>,
    only: Option<HashSet<String>>,
    pub moved: Moved,
    pub decoder: MessageDecoder,
}

impl Planner {
    pub fn new(opts: &RequeueOptions, letter: Letter) -> Result<Planner> {
        let filter = match &opts.filter {
            Some(f) => Some(
                crate::filter::Filter::compile(f).map_err(|e| ClientError::Invalid(format!("filter {f:?}: {e}")))?,
            ),
            None => None,
        };
        let moved = Journal::read(&opts.journal, &opts.dlq.parent().to_string())
            .map_err(|e| ClientError::Invalid(format!("cannot read the journal {}: {e}", opts.journal.display())))?;
        let decoder = MessageDecoder::with_fallback(&opts.dlq, letter.origin.as_ref());
        Ok(Planner { letter, target: opts.target.clone(), filter, only: opts.only.clone(), moved, decoder })
    }

    pub async fn decide(&mut self, client: &Client, m: &Message) -> Decision {
        if self.moved.contains(&m.topic, &m.id.to_string()) {
            return Decision { action: "skip", target: None, reason: Some("already moved (journal)".into()) };
        }

        if let Some(only) = &self.only {
            if !only.contains(&only_key(&m.topic, &m.id)) {
                return Decision { action: "leave", target: None, reason: Some("not selected".into()) };
            }
        }
        if let Some(f) = &self.filter {
            let decoded = self.decoder.decode(client, m).await;
            if !crate::envelope::filter_matches(f, m, &decoded).unwrap_or(false) {
                return Decision { action: "leave", target: None, reason: Some("filtered out".into()) };
            }
        }
        if let Some(reason) = unmovable(m) {
            return Decision { action: "fail", target: None, reason: Some(reason) };
        }
        match self.letter.target_of(&self.target, &m.properties) {
            Ok(t) => Decision { action: "move", target: Some(t), reason: None },
            Err(reason) => Decision { action: "fail", target: None, reason: Some(reason) },
        }
    }
}

/// The dry run: what a requeue would do, read with non-durable readers (nothing changes).
pub async fn plan_requeue(client: &Client, opts: &RequeueOptions) -> Result<(RequeueSummary, Vec<PlannedMove>)> {
    let letter = letter_of(client, &opts.dlq).await?;
    let mut planner = Planner::new(opts, letter)?;
    let mut reader = TopicReader::open(client, &opts.dlq, &super::message::StartFrom::Earliest, false).await?;
    let mut summary = RequeueSummary {
        journal: opts.journal.display().to_string(),
        journal_bad_lines: planner.moved.bad_lines,
        ..Default::default()
    };
    let mut plan = Vec::new();
    while let Some(m) = reader.next().await? {
        if opts.limit.is_some_and(|l| summary.progress.moved >= l) {
            break;
        }
        summary.progress.scanned += 1;
        let d = planner.decide(client, &m).await;
        match d.action {
            "move" => {
                summary.progress.moved += 1;
                if let Some(t) = &d.target {
                    *summary.targets.entry(t.to_string()).or_default() += 1;
                }
            }
            "skip" => summary.progress.skipped += 1,
            "leave" => summary.progress.left += 1,
            _ => {
                summary.progress.failed += 1;
                summary.failures.push((m.id.to_string(), d.reason.clone().unwrap_or_default()));
            }
        }
        plan.push(PlannedMove {
            message_id: m.id.to_string(),
            topic: m.topic.clone(),
            action: d.action,
            target: d.target.map(|t| t.to_string()),
            reason: d.reason,
        });
    }
    Ok((summary, plan))
}

/// Why a message cannot be moved as it is: a copy would lose what makes it readable.
fn unmovable(m: &Message) -> Option<String> {
    if let Some(e) = &m.meta.encryption {
        // the pulsar crate's producer message has no encryption fields: a copy would be
        // ciphertext without the keys to decrypt it
        return Some(format!(
            "{}: a copy cannot carry its encryption keys (the pulsar crate cannot publish them), so it stays",
            e.describe()
        ));
    }
    m.meta.error.as_ref().map(|e| format!("{e}; it stays"))
}
