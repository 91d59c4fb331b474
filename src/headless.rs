//! The headless subcommands: the same requests the UI runs, printed as JSON lines.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::pulsar::request::{RequestKind, ResponseKind};
use crate::pulsar::worker::execute;
use crate::pulsar::{Client, TopicName};

async fn run(client: &Client, kind: RequestKind) -> Result<ResponseKind> {
    match execute(client, kind).await {
        ResponseKind::Failed { request, error } => bail!("{}: {error}", request.describe()),
        ok => Ok(ok),
    }
}

/// `pulsar-tui ls [PATH]`: one JSON object per child of PATH, or a table.
pub async fn ls(client: &Client, path: Option<&str>, table: bool, out: &mut impl Write) -> Result<()> {
    let path = path.unwrap_or("").trim_matches('/');
    let rows: Vec<serde_json::Value> = if path.is_empty() {
        match run(client, RequestKind::ListTenants).await? {
            ResponseKind::TenantsListed { tenants } => {
                tenants.into_iter().map(|t| json!({"type": "tenant", "name": t})).collect()
            }
            _ => unreachable!("ListTenants answers TenantsListed"),
        }
    } else if !path.contains('/') {
        match run(client, RequestKind::ListNamespaces { tenant: path.to_string() }).await? {
            ResponseKind::NamespacesListed { namespaces, .. } => {
                namespaces.into_iter().map(|n| json!({"type": "namespace", "name": n})).collect()
            }
            _ => unreachable!("ListNamespaces answers NamespacesListed"),
        }
    } else if !path.contains("://") && path.matches('/').count() == 1 {
        match run(client, RequestKind::ListTopics { namespace: path.to_string() }).await? {
            ResponseKind::TopicsListed { topics, .. } => topics
                .into_iter()
                .map(|t| json!({"type": "topic", "name": t.name.to_string(), "partitions": t.partitions, "persistent": t.name.persistent}))
                .collect(),
            _ => unreachable!("ListTopics answers TopicsListed"),
        }
    } else {
        let topic = TopicName::parse(path)?;
        match run(client, RequestKind::ListSubscriptions { topic: topic.clone() }).await? {
            ResponseKind::SubscriptionsListed { subscriptions, .. } => subscriptions
                .into_iter()
                .map(|s| json!({"type": "subscription", "topic": topic.to_string(), "name": s}))
                .collect(),
            _ => unreachable!("ListSubscriptions answers SubscriptionsListed"),
        }
    };
    for r in rows {
        if table {
            let extra =
                r.get("partitions").and_then(|p| p.as_u64()).filter(|p| *p > 0).map(|p| format!("  [{p} partitions]"));
            writeln!(
                out,
                "{:<13} {}{}",
                r["type"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or(""),
                extra.unwrap_or_default()
            )?;
        } else {
            writeln!(out, "{r}")?;
        }
    }
    Ok(())
}

/// `pulsar-tui stats TOPIC`.
pub async fn stats(client: &Client, topic: &str, out: &mut impl Write) -> Result<()> {
    let topic = TopicName::parse(topic)?;
    let partitions = client.admin.partition_count(&topic.parent()).await.unwrap_or(0);
    let partitions = if topic.partition_index().is_some() { 0 } else { partitions };
    match run(client, RequestKind::FetchTopicStats { topic, partitions }).await? {
        ResponseKind::TopicStatsFetched { stats, .. } => writeln!(out, "{}", serde_json::to_string(&stats)?)?,
        _ => unreachable!("FetchTopicStats answers TopicStatsFetched"),
    }
    Ok(())
}

/// `"ledger:entry:partition:batch"`, the message id format of every JSON output.
pub fn format_message_id(id: &pulsar::proto::MessageIdData) -> String {
    format!(
        "{}:{}:{}:{}",
        id.ledger_id as i64,
        id.entry_id as i64,
        id.partition.unwrap_or(-1),
        id.batch_index.unwrap_or(-1)
    )
}

/// `pulsar-tui produce TOPIC`: one message per line of `input`, each acknowledged by
/// the broker before its JSON line is printed.
pub async fn produce(
    client: &Client,
    topic: &str,
    key: Option<&str>,
    properties: &[String],
    input: impl BufRead,
    out: &mut impl Write,
) -> Result<u64> {
    let topic = TopicName::parse(topic)?;
    let mut props = HashMap::new();
    for p in properties {
        let (k, v) = p.split_once('=').with_context(|| format!("--property {p:?}: expected KEY=VALUE"))?;
        props.insert(k.to_string(), v.to_string());
    }
    let pulsar = client.pulsar().await?;
    let mut producer = pulsar
        .producer()
        .with_topic(topic.to_string())
        .with_options(pulsar::producer::ProducerOptions {
            routing_policy: Some(pulsar::routing_policy::RoutingPolicy::RoundRobin),
            ..Default::default()
        })
        .build()
        .await
        .map_err(|e| crate::pulsar::binary_error(&client.target.service_url, e))
        .with_context(|| format!("cannot create a producer on {topic}"))?;
    let mut n = 0u64;
    for line in input.lines() {
        let line = line.context("reading standard input")?;
        let msg = pulsar::producer::Message {
            payload: line.into_bytes(),
            properties: props.clone(),
            partition_key: key.map(|k| k.replace("{n}", &n.to_string())),
            ..Default::default()
        };
        let receipt = producer
            .send_non_blocking(msg)
            .await
            .context("send")?
            .await
            .with_context(|| format!("message {n} was not confirmed by the broker"))?;
        let id = receipt.message_id.as_ref().map(format_message_id).unwrap_or_default();
        writeln!(out, "{}", json!({"topic": topic.to_string(), "message_id": id, "n": n}))?;
        n += 1;
    }
    producer.close().await.ok();
    Ok(n)
}

/// Options of `pulsar-tui read`.
pub struct ReadArgs<'a> {
    pub topic: &'a str,
    pub from: &'a str,
    pub until: Option<&'a str>,
    pub count: Option<u64>,
    pub follow: bool,
    pub filter: Option<&'a str>,
    pub format: crate::cli::ReadFormat,
    pub raw: bool,
}

/// `pulsar-tui read`: streams messages to `out`; returns how many were printed.
pub async fn read(client: &Client, args: &ReadArgs<'_>, out: &mut impl Write) -> Result<u64> {
    use crate::cli::ReadFormat;
    use crate::envelope::envelope;
    use crate::pulsar::message::{format_time, StartFrom, Until};
    use crate::pulsar::reader::TopicReader;
    use crate::pulsar::schemas::MessageDecoder;

    let topic = TopicName::parse(args.topic)?;
    let now = chrono::Utc::now().timestamp_millis();
    let start = StartFrom::parse(args.from, now)?;
    let until = args.until.map(|u| Until::parse(u, now)).transpose()?;
    let filter =
        args.filter.map(crate::filter::Filter::compile).transpose().map_err(|e| anyhow::anyhow!("--filter: {e}"))?;
    let mut reader = TopicReader::open(client, &topic, &start, args.follow).await?;
    let mut decoder = MessageDecoder::new(&topic);
    let mut n = 0u64;
    if args.count == Some(0) {
        return Ok(0);
    }
    while let Some(m) = reader.next().await? {
        if until.as_ref().is_some_and(|u| u.passed(&m)) {
            break;
        }
        let decoded = decoder.decode(client, &m).await;
        if let Some(f) = &filter {
            match crate::envelope::filter_matches(f, &m, &decoded) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => bail!("--filter on message {}: {e}", m.id),
            }
        }
        match args.format {
            ReadFormat::Jsonl => writeln!(out, "{}", envelope(&m, &decoded, args.raw))?,
            ReadFormat::Value => writeln!(out, "{}", decoded.value)?,
            ReadFormat::Table => writeln!(
                out,
                "{}  {:<18} {:<16} {}",
                format_time(m.publish_time_ms),
                m.id,
                m.key.as_deref().unwrap_or("-"),
                crate::ui::format::truncate(&decoded.value.to_string(), 80)
            )?,
        }
        if args.follow {
            out.flush()?;
        }
        n += 1;
        if args.count.is_some_and(|c| n >= c) {
            break;
        }
    }
    Ok(n)
}

/// `pulsar-tui metrics`: one snapshot; JSON lines (`"type": "broker" | "topic" | "subscription"`)
/// or a table. Fails when no broker could be scraped.
pub async fn metrics(
    client: &Client,
    namespace: Option<&str>,
    pattern: Option<&str>,
    urls: &[String],
    table: bool,
    out: &mut impl Write,
) -> Result<()> {
    let snap = crate::pulsar::scrape::scrape(client, urls).await?;
    let keep = |topic: &str, ns: &str| {
        namespace.is_none_or(|n| n.trim_matches('/') == ns) && pattern.is_none_or(|p| topic.contains(p))
    };
    let mut failed = 0;
    for b in &snap.brokers {
        let (ok, error) = match &b.result {
            Ok(_) => (true, None),
            Err(e) => {
                failed += 1;
                (false, Some(e.clone()))
            }
        };
        if table {
            writeln!(out, "broker {} {}", b.broker, error.as_deref().unwrap_or("ok"))?;
        } else {
            writeln!(
                out,
                "{}",
                json!({"type": "broker", "broker": b.broker, "ok": ok, "error": error, "topic_level": b.topic_level})
            )?;
        }
    }
    if table {
        writeln!(
            out,
            "{:<60} {:>10} {:>9} {:>9} {:>12}",
            "TOPIC / SUBSCRIPTION", "BACKLOG", "IN/S", "OUT/S", "STORAGE"
        )?;
    }
    for t in snap.topics.values().filter(|t| !t.is_system() && keep(&t.name, &t.namespace)) {
        if table {
            writeln!(
                out,
                "{:<60} {:>10} {:>9.1} {:>9.1} {:>12}",
                t.name, t.msg_backlog, t.rate_in, t.rate_out, t.storage_size
            )?;
        } else {
            let mut v = serde_json::to_value(t)?;
            v["type"] = json!("topic");
            writeln!(out, "{v}")?;
        }
        for s in snap.subscriptions_of(&t.name) {
            if table {
                writeln!(out, "  ⤷ {:<56} {:>10} {:>9} {:>9.1}", s.name, s.backlog, "", s.rate_out)?;
            } else {
                let mut v = serde_json::to_value(s)?;
                v["type"] = json!("subscription");
                writeln!(out, "{v}")?;
            }
        }
    }
    if failed > 0 && failed == snap.brokers.len() {
        bail!("no broker could be scraped");
    }
    Ok(())
}

/// `pulsar-tui schema TOPIC [--version N] [--all]`: the schema registry's answer, with the
/// definition parsed into JSON where it is JSON (Avro, JSON, KEY_VALUE, PROTOBUF_NATIVE).
pub async fn schema(client: &Client, topic: &str, version: Option<i64>, all: bool, out: &mut impl Write) -> Result<()> {
    let topic = TopicName::parse(topic)?;
    let infos = if all {
        client.schema_versions(&topic).await?
    } else {
        match client.schema_info(&topic, version).await? {
            Some(i) => vec![i],
            None => bail!("{topic} has no schema{}", version.map(|v| format!(" version {v}")).unwrap_or_default()),
        }
    };
    for i in infos {
        let definition = serde_json::from_str::<serde_json::Value>(&i.data).unwrap_or_else(|_| json!(i.data));
        let v = json!({
            "topic": topic.parent().to_string(),
            "version": i.version,
            "type": i.schema_type.name(),
            "timestamp": i.timestamp_ms.map(crate::pulsar::message::format_time),
            "definition": definition,
            "properties": i.properties,
        });
        writeln!(out, "{v}")?;
    }
    Ok(())
}
