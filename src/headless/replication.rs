//! `pulsar-tui replication status TOPIC` and `pulsar-tui replication check TOPIC --context a
//! --context b`: the replication view's requests, printed as JSON (or a table).

use std::io::Write;

use anyhow::{bail, Result};
use serde_json::json;

use super::run;
use crate::model::message::format_time;
use crate::pulsar::replication::{CheckReport, LastMessage, ReplicationRequest, ReplicationResponse};
use crate::pulsar::request::{RequestKind, ResponseKind};
use crate::pulsar::{Client, ClusterTarget, TopicName};

/// The namespace's replication clusters and the topic's replicators.
pub async fn status(client: &Client, topic: &str, table: bool, out: &mut impl Write) -> Result<()> {
    let topic = TopicName::parse(topic)?;
    let partitions =
        if topic.partition_index().is_some() { 0 } else { client.admin.partition_count(&topic).await.unwrap_or(0) };
    let request = ReplicationRequest::Fetch { topic: topic.clone(), partitions };
    let ResponseKind::Replication(ReplicationResponse::Fetched { status, .. }) =
        run(client, RequestKind::Replication(request)).await?
    else {
        bail!("the worker answered something else (Fetch answers Fetched)");
    };
    if !table {
        let mut v = serde_json::to_value(&*status)?;
        v["topic"] = json!(topic.to_string());
        writeln!(out, "{v}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{topic}  cluster {}  replicated to {}",
        status.local_cluster.as_deref().unwrap_or("?"),
        if status.clusters.is_empty() { "—".to_string() } else { status.clusters.join(", ") }
    )?;
    writeln!(
        out,
        "{:<16} {:<34} {:>10} {:>9} {:>9} {:>11} {:>11} {:>7}",
        "REMOTE", "STATE", "BACKLOG", "IN/S", "OUT/S", "IN B/S", "OUT B/S", "DELAY"
    )?;
    for r in &status.rows {
        let state = match (&r.connected_since, r.connected) {
            (Some(since), true) => format!("connected since {since:.19}"),
            (_, true) => "connected".to_string(),
            _ => format!("disconnected ({}/{} up)", r.connected_replicators, r.replicators),
        };
        writeln!(
            out,
            "{:<16} {:<34} {:>10} {:>9.1} {:>9.1} {:>11.0} {:>11.0} {:>6}s",
            r.remote, state, r.backlog, r.rate_in, r.rate_out, r.throughput_in, r.throughput_out, r.delay_secs
        )?;
    }
    Ok(())
}

fn last_json(m: &Option<LastMessage>) -> serde_json::Value {
    match m {
        None => serde_json::Value::Null,
        Some(m) => json!({
            "message_id": m.message_id,
            "publish_time": format_time(m.publish_time_ms),
            "producer": m.producer,
            "sequence_id": m.sequence_id,
            "replicated_from": m.replicated_from,
        }),
    }
}

fn last_text(m: &Option<LastMessage>) -> String {
    match m {
        None => "—".into(),
        Some(m) => format!("{} {}", m.message_id, format_time(m.publish_time_ms)),
    }
}

/// Prints a check's partitions and its summary; the exit code: 0 nothing missing, 1 otherwise.
pub fn print_check(report: &CheckReport, table: bool, out: &mut impl Write) -> Result<u8> {
    if table {
        writeln!(out, "{}: {} → {}", report.topic, report.local_cluster, report.remote_cluster)?;
        writeln!(out, "{:>9} {:<48} {:<48} {:>8}", "PARTITION", "LAST HERE", "LAST REPLICATED THERE", "MISSING")?;
    }
    for p in &report.partitions {
        if table {
            let exact = if p.exact { "" } else { " (≈)" };
            writeln!(
                out,
                "{:>9} {:<48} {:<48} {:>8}{exact}",
                p.partition,
                last_text(&p.local_last),
                last_text(&p.last_replicated),
                p.missing
            )?;
        } else {
            let row = json!({
                "type": "partition",
                "topic": report.topic,
                "partition": p.partition,
                "local_cluster": report.local_cluster,
                "remote_cluster": report.remote_cluster,
                "local_last": last_json(&p.local_last),
                "remote_last": last_json(&p.remote_last),
                "last_replicated": last_json(&p.last_replicated),
                "missing": p.missing,
                "exact": p.exact,
            });
            writeln!(out, "{row}")?;
        }
    }
    if table {
        writeln!(
            out,
            "missing on {}: {}{}",
            report.remote_cluster,
            report.missing,
            if report.exact { "" } else { " (≈)" }
        )?;
    } else {
        let row = json!({
            "type": "summary",
            "topic": report.topic,
            "local_cluster": report.local_cluster,
            "remote_cluster": report.remote_cluster,
            "partitions": report.partitions.len(),
            "missing": report.missing,
            "exact": report.exact,
        });
        writeln!(out, "{row}")?;
    }
    Ok(u8::from(report.missing > 0))
}

/// `replication check TOPIC --context a --context b`: what `remote` is missing of `client`'s
/// messages of the topic.
pub async fn check(
    client: &Client,
    remote: ClusterTarget,
    remote_context: &str,
    topic: &str,
    table: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let topic = TopicName::parse(topic)?;
    let request = ReplicationRequest::Check {
        topic: topic.clone(),
        remote: Box::new(remote),
        remote_context: remote_context.to_string(),
    };
    let ResponseKind::Replication(ReplicationResponse::Checked { report, .. }) =
        run(client, RequestKind::Replication(request)).await?
    else {
        bail!("the worker answered something else (Check answers Checked)");
    };
    print_check(&report, table, out)
}
