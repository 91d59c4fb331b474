//! Finding the broker that owns a topic: LOOKUP on the service URL, following redirects
//! (`authoritative` on the next ask, as the other clients do) until one answers Connect,
//! then a connection to that broker, or through the service URL when the answer says
//! `proxy_through_service_url` (a Pulsar proxy). PARTITIONED_METADATA tells a partitioned
//! topic's partition count.

use std::time::Duration;

use pulsar::proto::base_command::Type;
use pulsar::proto::command_lookup_topic_response::LookupType;
use pulsar::proto::{CommandLookupTopic, CommandPartitionedTopicMetadata};

use super::conn::{command, server_error, Connection};
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::Client;

/// Redirects followed before giving up (a loop between brokers moving a bundle).
const MAX_REDIRECTS: usize = 8;
/// Tries of a lookup that met a transient error (a broker starting, a bundle moving).
const TRIES: u32 = 4;

/// A connection to the broker that owns `topic` (a partition or a non-partitioned topic).
pub async fn connect_to_owner(client: &Client, topic: &str) -> Result<Connection> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match lookup_once(client, topic).await {
            Err(e) if e.is_connectivity() && attempt < TRIES => {
                tracing::info!("wire: lookup of {topic} failed ({e}); trying again");
                tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}

async fn lookup_once(client: &Client, topic: &str) -> Result<Connection> {
    let service = client.target.service_url.clone();
    let tls = service.starts_with("pulsar+ssl://");
    let mut conn = Connection::open(client, &service, None).await?;
    // the URL `conn` reaches directly (not through a proxy): a Connect to it needs no new one
    let mut direct = Some(service.clone());
    let mut authoritative = false;
    for _ in 0..MAX_REDIRECTS {
        let id = conn.next_id();
        let mut c = command(Type::Lookup);
        c.lookup_topic = Some(CommandLookupTopic {
            topic: topic.to_string(),
            request_id: id,
            authoritative: Some(authoritative),
            ..Default::default()
        });
        let answer = conn.request(&c, id, &format!("lookup of {topic}")).await?;
        let r = answer.lookup_topic_response.ok_or_else(|| ClientError::Protocol {
            what: format!("lookup of {topic}"),
            reason: "no lookup answer".into(),
        })?;
        let kind = r.response.and_then(|k| LookupType::try_from(k).ok());
        if kind == Some(LookupType::Failed) || kind.is_none() {
            return Err(server_error(
                r.error.unwrap_or(0),
                r.message.as_deref().unwrap_or("lookup failed"),
                &format!("lookup of {topic}"),
                conn.url(),
            ));
        }
        let broker = if tls { r.broker_service_url_tls.clone() } else { r.broker_service_url.clone() };
        let broker = broker.filter(|b| !b.is_empty()).ok_or_else(|| ClientError::Protocol {
            what: format!("lookup of {topic}"),
            reason: format!("the answer names no {} broker URL", if tls { "TLS" } else { "plain" }),
        })?;
        let proxied = r.proxy_through_service_url.unwrap_or(false);
        let connect = kind == Some(LookupType::Connect);
        if connect && !proxied && direct.as_deref() == Some(broker.as_str()) {
            return Ok(conn);
        }
        let next = if proxied {
            Connection::open(client, &service, Some(&broker)).await?
        } else {
            Connection::open(client, &broker, None).await?
        };
        if connect {
            return Ok(next);
        }
        // Redirect: ask the broker it names (authoritatively when it says so)
        authoritative = r.authoritative.unwrap_or(false);
        direct = (!proxied).then_some(broker);
        conn = next;
    }
    Err(ClientError::Binary(format!("lookup of {topic}: more than {MAX_REDIRECTS} redirects")))
}

/// The partition count of `topic` (0 for a non-partitioned topic), asked on `conn`.
pub async fn partitions(conn: &mut Connection, topic: &str) -> Result<u32> {
    let id = conn.next_id();
    let mut c = command(Type::PartitionedMetadata);
    c.partition_metadata =
        Some(CommandPartitionedTopicMetadata { topic: topic.to_string(), request_id: id, ..Default::default() });
    let what = format!("partitions of {topic}");
    let answer = conn.request(&c, id, &what).await?;
    let r = answer
        .partition_metadata_response
        .ok_or_else(|| ClientError::Protocol { what: what.clone(), reason: "no partition metadata answer".into() })?;
    if let Some(e) = r.error {
        return Err(server_error(e, r.message.as_deref().unwrap_or(""), &what, conn.url()));
    }
    Ok(r.partitions.unwrap_or(0))
}
