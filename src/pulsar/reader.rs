//! Reading a topic without side effects: non-durable readers only (no subscription is
//! created and no cursor moves), one per partition, merged by publish time.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures::stream::{SelectAll, Stream, StreamExt};
use pulsar::consumer::{ConsumerOptions, InitialPosition};
use pulsar::reader::Reader;
use pulsar::TokioExecutor;

use super::error::{ClientError, Result};
use super::message::{Message, MessageId, StartFrom};
use super::topic::TopicName;
use super::{binary_error, Client};

type LiveStream =
    Pin<Box<dyn Stream<Item = std::result::Result<pulsar::consumer::Message<Vec<u8>>, pulsar::Error>> + Send>>;

/// How long a partition that is known to hold more messages may stay silent.
const STALL: Duration = Duration::from_secs(30);
/// How long to wait on a partition whose end is unknown before calling it done.
const UNSURE_IDLE: Duration = Duration::from_millis(1500);

struct Part {
    topic: String,
    reader: Option<Reader<Vec<u8>, TokioExecutor>>,
    /// The last message id when the read started; `None` when the broker could not say.
    end: Option<MessageId>,
    head: Option<Message>,
    /// The head is the last message before `end`.
    last_head: bool,
    done: bool,
    /// Messages of the first (batched) entry before this id are skipped.
    skip_before: Option<MessageId>,
}

/// A merged, read-only view of a topic from a start position on.
pub struct TopicReader {
    parts: Vec<Part>,
    ready: VecDeque<Message>,
    skip: u64,
    follow: bool,
    live: Option<SelectAll<LiveStream>>,
    service_url: String,
}

/// The partitions of a topic as readable topic names (the topic itself when not partitioned).
/// Fails with `NotFound` when the topic does not exist, so that reading never creates it.
pub async fn partitions_of(client: &Client, topic: &TopicName) -> Result<Vec<TopicName>> {
    if topic.partition_index().is_some() {
        return Ok(vec![topic.clone()]);
    }
    let n = match client.admin.partition_count(topic).await {
        Err(ClientError::NotFound { .. }) => return Err(ClientError::NotFound { what: format!("topic {topic}") }),
        other => other?,
    };
    if n > 0 {
        return Ok((0..n).map(|i| topic.partition(i)).collect());
    }
    // not partitioned: make sure it exists (a reader would create it)
    let path = format!("/admin/v2/{}/stats", topic.rest_path());
    match client.admin.get_json::<serde_json::Value>(&path).await {
        Ok(_) => Ok(vec![topic.clone()]),
        Err(ClientError::NotFound { .. }) => Err(ClientError::NotFound { what: format!("topic {topic}") }),
        Err(e) => Err(e),
    }
}

impl TopicReader {
    /// Opens one reader per partition at `start`. With `follow`, reading goes on past the
    /// messages that existed at open time; without, it ends there.
    pub async fn open(client: &Client, topic: &TopicName, start: &StartFrom, follow: bool) -> Result<TopicReader> {
        let names = partitions_of(client, topic).await?;
        let partitioned = names.len() > 1 || topic.partition_index().is_some() || names[0] != *topic;
        let pulsar = client.pulsar().await?;
        let url = client.target.service_url.clone();

        // Where each partition starts, as a reader position plus "skip before" for batches.
        let mut starts: Vec<(Option<MessageId>, InitialPosition)> = Vec::with_capacity(names.len());
        match start {
            StartFrom::Earliest | StartFrom::AfterEarliest(_) => {
                starts.resize(names.len(), (None, InitialPosition::Earliest));
            }
            StartFrom::Latest => starts.resize(names.len(), (None, InitialPosition::Latest)),
            StartFrom::BeforeLatest(n) => {
                for name in &names {
                    let id = client.admin.examine_message_id(name, true, (*n).max(1)).await?;
                    starts.push((id, InitialPosition::Earliest));
                }
            }
            StartFrom::Time(t) => {
                for name in &names {
                    starts.push((Some(client.admin.message_id_by_time(name, *t).await?), InitialPosition::Earliest));
                }
            }
            StartFrom::Id(id) => {
                if !partitioned {
                    starts.push((Some(MessageId { partition: -1, ..*id }), InitialPosition::Earliest));
                } else {
                    let p = usize::try_from(id.partition).ok().filter(|p| *p < names.len()).ok_or_else(|| {
                        ClientError::Invalid(format!(
                            "message id {id} names no partition of {topic} (it has {}): use ledger:entry:partition",
                            names.len()
                        ))
                    })?;
                    // the other partitions start at the publish time of that message
                    let time = publish_time_of(client, &names[p], *id).await?;
                    for (i, name) in names.iter().enumerate() {
                        if i == p {
                            starts.push((Some(*id), InitialPosition::Earliest));
                        } else {
                            starts.push((
                                Some(client.admin.message_id_by_time(name, time).await?),
                                InitialPosition::Earliest,
                            ));
                        }
                    }
                }
            }
        }

        let mut parts = Vec::with_capacity(names.len());
        for (name, (start_id, initial)) in names.iter().zip(starts) {
            let mut options = ConsumerOptions::default().durable(false).with_initial_position(initial);
            if let Some(id) = start_id {
                let mut proto = id.to_proto();
                proto.batch_index = None; // the broker delivers whole entries
                options = options.starting_on_message(proto);
            }
            let mut reader: Reader<Vec<u8>, TokioExecutor> = pulsar
                .reader()
                .with_topic(name.to_string())
                .with_consumer_name("pulsar-tui-reader")
                .with_options(options)
                .into_reader()
                .await
                .map_err(|e| binary_error(&url, e))?;
            let last = reader.get_last_message_id().await.map_err(|e| binary_error(&url, e))?;
            let last = MessageId::from_proto(&last);
            let end = (last.entry >= 0 && last.ledger >= 0).then_some(last);
            let past_end = match (end, start_id) {
                (Some(end), Some(s)) => (s.ledger, s.entry) > (end.ledger, end.entry),
                _ => false,
            };
            let latest = matches!(start, StartFrom::Latest);
            parts.push(Part {
                topic: name.to_string(),
                reader: Some(reader),
                end,
                head: None,
                last_head: false,
                done: latest || past_end,
                skip_before: start_id.filter(|s| s.batch >= 0),
            });
        }
        let skip = if let StartFrom::AfterEarliest(n) = start { *n } else { 0 };
        let mut r = TopicReader { parts, ready: VecDeque::new(), skip, follow, live: None, service_url: url };
        if let StartFrom::BeforeLatest(n) = start {
            // keep only the last n (the per-partition starts may hold more in total)
            let keep = *n as usize;
            let follow = std::mem::replace(&mut r.follow, false);
            let mut ring = VecDeque::with_capacity(keep.min(1 << 16));
            while let Some(m) = r.next().await? {
                if ring.len() == keep {
                    ring.pop_front();
                }
                if keep > 0 {
                    ring.push_back(m);
                }
            }
            r.ready = ring;
            r.follow = follow;
        }
        Ok(r)
    }

    /// The next message in publish-time order; `None` at the end (never, when following:
    /// then it waits for new messages, so wrap it in a timeout where needed).
    pub async fn next(&mut self) -> Result<Option<Message>> {
        loop {
            if let Some(m) = self.ready.pop_front() {
                return Ok(Some(m));
            }
            let m = match self.next_catch_up().await? {
                Some(m) => m,
                None if self.follow => self.next_live().await?,
                None => return Ok(None),
            };
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            return Ok(Some(m));
        }
    }

    async fn next_catch_up(&mut self) -> Result<Option<Message>> {
        for i in 0..self.parts.len() {
            self.fill_head(i).await?;
        }
        let best = self
            .parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.head.as_ref().map(|h| (h.publish_time_ms, h.id.partition, i)))
            .min();
        let Some((_, _, i)) = best else { return Ok(None) };
        let part = &mut self.parts[i];
        if part.last_head {
            part.done = true;
        }
        Ok(part.head.take())
    }

    async fn fill_head(&mut self, i: usize) -> Result<()> {
        let url = self.service_url.clone();
        let part = &mut self.parts[i];
        while part.head.is_none() && !part.done {
            let Some(reader) = part.reader.as_mut() else { return Ok(()) };
            let wait = if part.end.is_some() { STALL } else { UNSURE_IDLE };
            let item = match tokio::time::timeout(wait, reader.next()).await {
                Ok(item) => item,
                Err(_) if part.end.is_none() => {
                    part.done = true;
                    return Ok(());
                }
                Err(_) => {
                    return Err(ClientError::Timeout { what: format!("reading {}", part.topic), after: wait });
                }
            };
            let m = match item {
                None => {
                    part.done = true;
                    return Ok(());
                }
                Some(Err(e)) => return Err(binary_error(&url, e)),
                Some(Ok(m)) => Message::from_pulsar(m),
            };
            if let Some(s) = part.skip_before {
                if (m.id.ledger, m.id.entry) == (s.ledger, s.entry) && m.id.batch < s.batch {
                    continue;
                }
            }
            if let Some(end) = part.end {
                if m.id.reached(&end) {
                    part.last_head = true;
                }
            }
            part.head = Some(m);
        }
        Ok(())
    }

    async fn next_live(&mut self) -> Result<Message> {
        if self.live.is_none() {
            let mut all = SelectAll::new();
            for p in &mut self.parts {
                if let Some(r) = p.reader.take() {
                    all.push(Box::pin(r) as LiveStream);
                }
            }
            self.live = Some(all);
        }
        let live = self.live.as_mut().expect("set above");
        match live.next().await {
            Some(Ok(m)) => Ok(Message::from_pulsar(m)),
            Some(Err(e)) => Err(binary_error(&self.service_url, e)),
            None => std::future::pending().await,
        }
    }
}

/// The publish time of one message, read with a short-lived reader.
fn publish_time_of<'a>(
    client: &'a Client,
    partition: &'a TopicName,
    id: MessageId,
) -> Pin<Box<dyn std::future::Future<Output = Result<i64>> + Send + 'a>> {
    Box::pin(publish_time_of_inner(client, partition, id))
}

async fn publish_time_of_inner(client: &Client, partition: &TopicName, id: MessageId) -> Result<i64> {
    let mut r = TopicReader::open(client, partition, &StartFrom::Id(MessageId { partition: -1, ..id }), false).await?;
    match r.next().await? {
        Some(m) => Ok(m.publish_time_ms),
        None => Err(ClientError::NotFound { what: format!("message {id} in {partition}") }),
    }
}
