//! The replication check: for each partition, the last message on each cluster and how many
//! messages of this cluster the remote is missing, found through non-durable readers on both
//! sides (no subscription, no cursor, nothing written).
//!
//! The replicator copies each entry whole and in order, keeping the producer name, sequence
//! id and publish time, and marks the copy `replicated_from` = this cluster. So the remote
//! holds a prefix of this cluster's own messages (those not themselves replicated from
//! elsewhere): find the last of them on the remote (reading back from its end), find that
//! message here (from its publish time on: the broker's message-id-by-time lookup), and count
//! this cluster's own messages after it.

use serde::Serialize;

use super::super::error::{ClientError, Result};
use super::super::message::{Message, StartFrom};
use super::super::reader::{partitions_of, TopicReader};
use super::super::topic::TopicName;
use super::super::Client;
use super::cluster_name;

/// How far back from the remote's end to look for the last message this cluster sent it,
/// before reading the whole partition (messages produced on the remote itself come after).
const LOOK_BACK: u64 = 1000;

/// The result of a check, as `pulsar-tui replication check` prints it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckReport {
    pub topic: String,
    pub local_cluster: String,
    pub remote_cluster: String,
    pub partitions: Vec<PartitionCheck>,
    /// Messages of this cluster the remote is missing, over every partition.
    pub missing: u64,
    /// Every partition's count is exact (its last replicated message was found here).
    pub exact: bool,
}

/// One partition (`partition` -1 for a topic that is not partitioned).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PartitionCheck {
    pub partition: i32,
    /// The last message here, and on the remote.
    pub local_last: Option<LastMessage>,
    pub remote_last: Option<LastMessage>,
    /// The last message on the remote that came from this cluster.
    pub last_replicated: Option<LastMessage>,
    /// This cluster's own messages after `last_replicated` (all of them when there is none).
    pub missing: u64,
    /// False when `last_replicated` was not found here any more (expired or deleted): the
    /// count is then of the messages published after its publish time.
    pub exact: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LastMessage {
    pub message_id: String,
    pub publish_time_ms: i64,
    pub producer: String,
    pub sequence_id: i64,
    pub replicated_from: Option<String>,
}

impl LastMessage {
    fn of(m: &Message) -> LastMessage {
        LastMessage {
            message_id: m.id.to_string(),
            publish_time_ms: m.publish_time_ms,
            producer: m.producer.clone(),
            sequence_id: m.sequence_id,
            replicated_from: m.meta.replicated_from.clone(),
        }
    }
}

/// The same message on both clusters: the replicator keeps the producer, the sequence id
/// and the publish time, and copies a batch whole (the index in it stays).
fn same(a: &Message, b: &Message) -> bool {
    a.producer == b.producer
        && a.sequence_id == b.sequence_id
        && a.id.batch == b.id.batch
        && a.publish_time_ms == b.publish_time_ms
}

fn from(m: &Message, cluster: &str) -> bool {
    m.meta.replicated_from.as_deref() == Some(cluster)
}

/// Reads one partition from `start` to its end, calling `f` with each message.
async fn read_each(client: &Client, name: &TopicName, start: &StartFrom, mut f: impl FnMut(Message)) -> Result<()> {
    let mut r = TopicReader::open(client, name, start, false).await?;
    while let Some(m) = r.next().await? {
        f(m);
    }
    Ok(())
}

async fn last_message(client: &Client, name: &TopicName) -> Result<Option<Message>> {
    let mut last = None;
    read_each(client, name, &StartFrom::BeforeLatest(1), |m| last = Some(m)).await?;
    Ok(last)
}

/// The last message on `client`'s partition that came from `cluster`.
async fn last_from(
    client: &Client,
    name: &TopicName,
    cluster: &str,
    last: Option<&Message>,
) -> Result<Option<Message>> {
    match last {
        None => return Ok(None),
        Some(m) if from(m, cluster) => return Ok(Some(m.clone())),
        Some(_) => {}
    }
    for start in [StartFrom::BeforeLatest(LOOK_BACK), StartFrom::Earliest] {
        let mut found = None;
        read_each(client, name, &start, |m| {
            if from(&m, cluster) {
                found = Some(m);
            }
        })
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// This cluster's own messages after `sent` (every one when `None`), and whether `sent`
/// was found.
pub(super) async fn count_after(client: &Client, name: &TopicName, sent: Option<&Message>) -> Result<(u64, bool)> {
    let start = match sent {
        None => StartFrom::Earliest,
        Some(m) => StartFrom::Time(m.publish_time_ms),
    };
    let (mut passed, mut missing, mut later) = (sent.is_none(), 0u64, 0u64);
    read_each(client, name, &start, |m| {
        let own = m.meta.replicated_from.is_none();
        match sent {
            Some(s) if !passed => {
                passed = same(&m, s);
                if own && m.publish_time_ms > s.publish_time_ms {
                    later += 1;
                }
            }
            _ if own => missing += 1,
            _ => {}
        }
    })
    .await?;
    Ok(if passed { (missing, true) } else { (later, false) })
}

async fn check_partition(local: &Client, remote: &Client, name: &TopicName, here: &str) -> Result<PartitionCheck> {
    let remote_exists = partitions_of(remote, name).await.map(|_| true).or_else(|e| match e {
        ClientError::NotFound { .. } => Ok(false),
        e => Err(e),
    })?;
    let local_last = last_message(local, name).await?;
    let remote_last = if remote_exists { last_message(remote, name).await? } else { None };
    let sent = if remote_exists { last_from(remote, name, here, remote_last.as_ref()).await? } else { None };
    let (missing, exact) = count_after(local, name, sent.as_ref()).await?;
    Ok(PartitionCheck {
        partition: name.partition_index().map_or(-1, |p| p as i32),
        local_last: local_last.as_ref().map(LastMessage::of),
        remote_last: remote_last.as_ref().map(LastMessage::of),
        last_replicated: sent.as_ref().map(LastMessage::of),
        missing,
        exact,
    })
}

/// Compares `topic` on `local` with the same topic on `remote`: what the remote is missing
/// of the messages produced on `local`.
pub async fn check(local: &Client, remote: &Client, topic: &TopicName) -> Result<CheckReport> {
    let (here, there) = futures::join!(cluster_name(local), cluster_name(remote));
    let (here, there) = (here?, there?);
    if here == there {
        return Err(ClientError::Invalid(format!("both sides are cluster {here}: name two different clusters")));
    }
    let names = partitions_of(local, topic).await?;
    match partitions_of(remote, topic).await {
        Ok(r) if r.len() != names.len() => {
            return Err(ClientError::Invalid(format!(
                "{topic} has {} partition(s) on {here} but {} on {there}: the replicator refuses to replicate it",
                names.len(),
                r.len()
            )))
        }
        Ok(_) | Err(ClientError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let checks = futures::future::join_all(names.iter().map(|n| check_partition(local, remote, n, &here))).await;
    let partitions = checks.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(CheckReport {
        topic: topic.to_string(),
        local_cluster: here,
        remote_cluster: there,
        missing: partitions.iter().map(|p| p.missing).sum(),
        exact: partitions.iter().all(|p| p.exact),
        partitions,
    })
}
