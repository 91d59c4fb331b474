//! `pulsar-tui txn …`: the transactions view's headless twin (JSON lines or a table).

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::json;

use crate::model::format_time;
use crate::pulsar::request::{RequestKind, ResponseKind};
use crate::pulsar::txn::{Overview, TopicTxns, TxnRequest, TxnResponse};
use crate::pulsar::{Client, TopicName};
use crate::style::format::age;
use crate::txn::{parse_duration_ms, TxnId, TxnInfo};

async fn run(client: &Client, r: TxnRequest) -> Result<TxnResponse> {
    match super::run(client, RequestKind::Txn(r)).await? {
        ResponseKind::Txn(t) => Ok(t),
        _ => bail!("the worker answered something else (a transactions request answers Txn)"),
    }
}

fn age_text(ms: u64) -> String {
    age(Duration::from_millis(ms))
}

/// One transaction as a JSON object (`slow_ms`: the `--slow` threshold, when given).
pub fn txn_json(t: &TxnInfo, now_ms: i64, slow_ms: Option<u64>) -> serde_json::Value {
    json!({
        "type": "transaction",
        "txn": t.id.to_string(),
        "most": t.id.most,
        "least": t.id.least,
        "status": t.status.as_str(),
        "opened": format_time(t.open_ms),
        "open_ms": t.open_ms,
        "age_ms": t.age_ms(now_ms),
        "age": age_text(t.age_ms(now_ms)),
        "timeout_ms": t.timeout_ms,
        "deadline": format_time(t.deadline_ms()),
        "slow": slow_ms.map(|s| t.is_slow(now_ms, s)),
        "produced": t.produced,
        "acked": t.acked.iter().map(|(topic, sub)| json!({"topic": topic, "subscription": sub})).collect::<Vec<_>>(),
        "owner": t.owner,
    })
}

fn txn_row(out: &mut impl Write, t: &TxnInfo, now_ms: i64) -> Result<()> {
    let topics: Vec<&str> = t.produced.iter().map(|p| p.topic.as_str()).collect();
    let subs: Vec<String> = t.acked.iter().map(|(topic, s)| format!("{topic}#{s}")).collect();
    writeln!(
        out,
        "{:<12} {:<10} {:>6} {:>8}  {}{}",
        t.id.to_string(),
        t.status.as_str(),
        age_text(t.age_ms(now_ms)),
        age_text(t.timeout_ms),
        topics.join(","),
        if subs.is_empty() { String::new() } else { format!("  acks: {}", subs.join(",")) }
    )?;
    Ok(())
}

/// `pulsar-tui txn list [--slow 30s]`: the coordinators, then the open transactions (only
/// those open longer than `--slow`), oldest first.
pub async fn list(client: &Client, slow: Option<&str>, table: bool, out: &mut impl Write) -> Result<()> {
    let slow_ms = slow.map(parse_duration_ms).transpose().map_err(|e| anyhow::anyhow!("--slow {e}"))?;
    let TxnResponse::Listed { overview } =
        run(client, TxnRequest::List { older_than_ms: slow_ms.unwrap_or(0) }).await?
    else {
        bail!("the worker answered something else (List answers Listed)")
    };
    let Overview { coordinators, open } = *overview;
    let now = chrono::Utc::now().timestamp_millis();
    if table {
        for c in &coordinators {
            let state = c.state.as_deref().unwrap_or("-");
            let ongoing = c.ongoing.map_or("-".to_string(), |n| n.to_string());
            let err = c.error.as_deref().map(|e| format!("  ({e})")).unwrap_or_default();
            writeln!(out, "coordinator {}  {state}  {ongoing} open  {}{err}", c.id, c.broker)?;
        }
        writeln!(out, "{:<12} {:<10} {:>6} {:>8}  TOPICS", "TXN", "STATUS", "AGE", "TIMEOUT")?;
        for t in &open {
            txn_row(out, t, now)?;
        }
    } else {
        for c in &coordinators {
            let mut v = serde_json::to_value(c)?;
            v["type"] = json!("coordinator");
            writeln!(out, "{v}")?;
        }
        for t in &open {
            writeln!(out, "{}", txn_json(t, now, slow_ms))?;
        }
    }
    Ok(())
}

/// `pulsar-tui txn show TXNID`.
pub async fn show(client: &Client, txn: &str, table: bool, out: &mut impl Write) -> Result<()> {
    let id = TxnId::parse(txn).map_err(anyhow::Error::msg)?;
    let TxnResponse::Shown { txn } = run(client, TxnRequest::Show { txn: id }).await? else {
        bail!("the worker answered something else (Show answers Shown)")
    };
    let now = chrono::Utc::now().timestamp_millis();
    if table {
        writeln!(out, "transaction {}  {}", txn.id, txn.status.as_str())?;
        writeln!(out, "opened      {} ({} ago)", format_time(txn.open_ms), age_text(txn.age_ms(now)))?;
        writeln!(out, "timeout     {} (at {})", age_text(txn.timeout_ms), format_time(txn.deadline_ms()))?;
        for p in &txn.produced {
            let at = p.start_position.as_deref().unwrap_or("-");
            writeln!(out, "produced    {} from {at}{}", p.topic, if p.aborted { " (aborted)" } else { "" })?;
        }
        for (topic, sub) in &txn.acked {
            writeln!(out, "acked       {topic} subscription {sub}")?;
        }
    } else {
        writeln!(out, "{}", txn_json(&txn, now, None))?;
    }
    Ok(())
}

/// One line of `txn topic` for a partition (or non-partitioned topic).
pub fn topic_json(t: &TopicTxns, now_ms: i64) -> serde_json::Value {
    let mut v = serde_json::to_value(t).unwrap_or_default();
    v["type"] = json!("topic");
    v["held_back_text"] = json!(t.held_back.as_ref().map(|h| h.describe(now_ms)));
    v["open"] = json!(t.open.iter().map(|x| txn_json(x, now_ms, None)).collect::<Vec<_>>());
    v
}

/// `pulsar-tui txn topic TOPIC`: its transaction buffer (each partition's), what open
/// transactions hold back from readers, its subscriptions' pending acks and counters.
pub async fn topic(client: &Client, topic: &str, table: bool, out: &mut impl Write) -> Result<()> {
    let topic = TopicName::parse(topic)?;
    let TxnResponse::TopicInspected { parts, .. } = run(client, TxnRequest::Topic { topic }).await? else {
        bail!("the worker answered something else (Topic answers TopicInspected)")
    };
    let now = chrono::Utc::now().timestamp_millis();
    for t in &parts {
        if !table {
            writeln!(out, "{}", topic_json(t, now))?;
            continue;
        }
        writeln!(out, "{}", t.topic)?;
        if let Some(b) = &t.buffer {
            writeln!(
                out,
                "  buffer      {}  max read position {}  last entry {}  {} ongoing, {} aborted in total",
                b.state,
                b.max_read_position,
                t.last_entry.as_deref().unwrap_or("-"),
                b.ongoing,
                b.aborted_total
            )?;
        }
        match &t.held_back {
            Some(h) => writeln!(out, "  held back   {}", h.describe(now))?,
            None => writeln!(out, "  held back   nothing: readers see up to the last entry")?,
        }
        if let Some(c) = &t.counters {
            writeln!(out, "  counters    {} ongoing, {} committed, {} aborted", c.ongoing, c.committed, c.aborted)?;
        }
        for s in &t.subscriptions {
            let what = match (&s.state, &s.error) {
                (_, Some(e)) => e.clone(),
                (state, None) => {
                    format!("{}  {} ongoing", state.as_deref().unwrap_or("-"), s.ongoing.unwrap_or(0))
                }
            };
            writeln!(out, "  pending ack {}  {what}", s.subscription)?;
        }
        for x in &t.open {
            write!(out, "  open        ")?;
            txn_row(out, x, now)?;
        }
        for e in &t.errors {
            writeln!(out, "  error       {e}")?;
        }
    }
    Ok(())
}

/// `pulsar-tui txn abort TXNID [--yes]`: without `--yes` a preview (the transaction and what
/// aborting it means); with it, the abort (super-user only; refused in read-only mode before
/// any request). Returns false when only previewed.
pub async fn abort(client: &Client, txn: &str, yes: bool, out: &mut impl Write) -> Result<bool> {
    let id = TxnId::parse(txn).map_err(anyhow::Error::msg)?;
    if !yes {
        let TxnResponse::Shown { txn } = run(client, TxnRequest::Show { txn: id }).await? else {
            bail!("the worker answered something else (Show answers Shown)")
        };
        let now = chrono::Utc::now().timestamp_millis();
        let mut v = txn_json(&txn, now, None);
        v["type"] = json!("preview");
        v["meaning"] = json!(txn.abort_meaning());
        writeln!(out, "{v}")?;
        eprintln!("preview only: pass --yes to abort transaction {id}");
        return Ok(false);
    }
    client.ensure_writable(&format!("abort of transaction {id}"))?;
    let TxnResponse::Aborted { txn } = run(client, TxnRequest::Abort { txn: id }).await? else {
        bail!("the worker answered something else (Abort answers Aborted)")
    };
    writeln!(out, "{}", json!({"type": "aborted", "txn": txn.to_string()}))?;
    Ok(true)
}
