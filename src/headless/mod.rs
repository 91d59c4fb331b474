//! The headless subcommands: the same requests the UI runs, printed as JSON lines.

use std::io::Write;

use anyhow::{bail, Result};
use serde_json::json;

use crate::pulsar::request::{ExplorerRequest, ExplorerResponse, RequestKind, ResponseKind};
use crate::pulsar::worker::execute;
use crate::pulsar::{Client, TopicName};

pub mod policies;
pub mod produce;
pub mod replication;
pub mod txn;

async fn run(client: &Client, kind: RequestKind) -> Result<ResponseKind> {
    let what = kind.describe();
    match execute(client, kind).await {
        ResponseKind::Failed { error } => bail!("{what}: {error}"),
        ok => Ok(ok),
    }
}

/// `pulsar-tui ls [PATH]`: one JSON object per child of PATH, or a table.
pub async fn ls(client: &Client, path: Option<&str>, table: bool, out: &mut impl Write) -> Result<()> {
    let path = path.unwrap_or("").trim_matches('/');
    let rows: Vec<serde_json::Value> = if path.is_empty() {
        match run(client, RequestKind::Explorer(ExplorerRequest::ListTenants)).await? {
            ResponseKind::Explorer(ExplorerResponse::TenantsListed { tenants }) => {
                tenants.into_iter().map(|t| json!({"type": "tenant", "name": t})).collect()
            }
            _ => bail!("the worker answered something else (ListTenants answers TenantsListed)"),
        }
    } else if !path.contains('/') {
        match run(client, RequestKind::Explorer(ExplorerRequest::ListNamespaces { tenant: path.to_string() })).await? {
            ResponseKind::Explorer(ExplorerResponse::NamespacesListed { namespaces, .. }) => {
                namespaces.into_iter().map(|n| json!({"type": "namespace", "name": n})).collect()
            }
            _ => bail!("the worker answered something else (ListNamespaces answers NamespacesListed)"),
        }
    } else if !path.contains("://") && path.matches('/').count() == 1 {
        match run(client, RequestKind::Explorer(ExplorerRequest::ListTopics { namespace: path.to_string() })).await? {
            ResponseKind::Explorer(ExplorerResponse::TopicsListed { topics, .. }) => topics
                .into_iter()
                .map(|t| json!({"type": "topic", "name": t.name.to_string(), "partitions": t.partitions, "persistent": t.name.persistent}))
                .collect(),
            _ => bail!("the worker answered something else (ListTopics answers TopicsListed)"),
        }
    } else {
        let topic = TopicName::parse(path)?;
        match run(client, RequestKind::Explorer(ExplorerRequest::ListSubscriptions { topic: topic.clone() })).await? {
            ResponseKind::Explorer(ExplorerResponse::SubscriptionsListed { subscriptions, .. }) => subscriptions
                .into_iter()
                .map(|s| json!({"type": "subscription", "topic": topic.to_string(), "name": s}))
                .collect(),
            _ => bail!("the worker answered something else (ListSubscriptions answers SubscriptionsListed)"),
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
    match run(client, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic, partitions })).await? {
        ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched { stats, .. }) => {
            writeln!(out, "{}", serde_json::to_string(&stats)?)?
        }
        _ => bail!("the worker answered something else (FetchTopicStats answers TopicStatsFetched)"),
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
    /// "Decode as…" instead of the registry's schema (`auto` or nothing: the registry).
    pub decode_as: Option<&'a str>,
}

/// `pulsar-tui read`: streams messages to `out`; returns how many were printed.
pub async fn read(client: &Client, args: &ReadArgs<'_>, out: &mut impl Write) -> Result<u64> {
    // stdout is line-buffered: one write(2) per message without this
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let n = read_to(client, args, &mut out).await;
    out.flush()?;
    n
}

async fn read_to(client: &Client, args: &ReadArgs<'_>, out: &mut impl Write) -> Result<u64> {
    use crate::cli::ReadFormat;
    use crate::envelope::write_envelope;
    use crate::model::{format_time, StartFrom, Until};
    use crate::pulsar::reader::TopicReader;
    use crate::pulsar::schemas::MessageDecoder;

    let topic = TopicName::parse(args.topic)?;
    let now = chrono::Utc::now().timestamp_millis();
    let start = StartFrom::parse(args.from, now)?;
    let until = args.until.map(|u| Until::parse(u, now)).transpose()?;
    let filter =
        args.filter.map(crate::filter::Filter::compile).transpose().map_err(|e| anyhow::anyhow!("--filter: {e}"))?;
    // a scan of what is there reads with our own consumer (pulsar::reader's module docs)
    let mut reader = match args.follow {
        true => TopicReader::open(client, &topic, &start, true).await?,
        false => TopicReader::open_scan(client, &topic, &start).await?,
    };
    let choice = match args.decode_as {
        Some(text) => crate::decode::DecodeAs::parse(text).map_err(anyhow::Error::msg)?,
        None => None,
    };
    let mut decoder = MessageDecoder::new(&topic).forcing(choice.as_ref()).map_err(anyhow::Error::msg)?;
    let mut n = 0u64;
    if args.count == Some(0) {
        return Ok(0);
    }
    // the end of what the reader sees may be an open transaction's max read position
    let mut reached_end = true;
    while let Some(m) = reader.next().await? {
        if until.as_ref().is_some_and(|u| u.passed(&m)) {
            reached_end = false;
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
            ReadFormat::Jsonl => write_envelope(out, &m, &decoded, args.raw)?,
            ReadFormat::Value => {
                serde_json::to_writer(&mut *out, &decoded.value)?;
                out.write_all(b"\n")?;
            }
            ReadFormat::Table => writeln!(
                out,
                "{}  {:<18} {:<16} {}",
                format_time(m.publish_time_ms),
                m.id,
                m.key.as_deref().unwrap_or("-"),
                crate::style::format::truncate(&decoded.value.to_string(), 80)
            )?,
        }
        if args.follow {
            out.flush()?;
        }
        n += 1;
        if args.count.is_some_and(|c| n >= c) {
            reached_end = false;
            break;
        }
    }
    if reached_end && !args.follow {
        if let Some(h) = crate::pulsar::txn::find_held_back(client, &topic).await {
            let now = chrono::Utc::now().timestamp_millis();
            eprintln!(
                "pulsar-tui: the read ended at max read position {}, not at the topic's last entry {}: {}",
                h.max_read_position,
                h.last_entry,
                h.describe(now)
            );
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
    // with a namespace or a pattern only those rows are kept while the scrape streams
    let interest = match (namespace, pattern) {
        (None, None) => crate::metrics::Interest::everything(),
        _ => crate::metrics::Interest {
            namespaces: namespace.map(|n| vec![n.trim_matches('/').to_string()]).unwrap_or_default(),
            filter: pattern.unwrap_or_default().to_string(),
            ..crate::metrics::Interest::bounded(0, 0)
        },
    };
    let snap = crate::pulsar::scrape::scrape_with(client, urls, &interest).await?;
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
            "timestamp": i.timestamp_ms.map(crate::model::format_time),
            "definition": definition,
            "properties": i.properties,
        });
        writeln!(out, "{v}")?;
    }
    Ok(())
}

/// `pulsar-tui dlq list [NAMESPACE]`: the DLQ and RETRY topics of a namespace (or of every
/// namespace of every tenant), one JSON object per line, or a table.
pub async fn dlq_list(client: &Client, namespace: Option<&str>, table: bool, out: &mut impl Write) -> Result<()> {
    let namespaces = match namespace {
        Some(ns) => vec![ns.trim_matches('/').to_string()],
        None => {
            let mut all = Vec::new();
            for t in client.admin.tenants().await? {
                all.extend(client.admin.namespaces(&t).await?);
            }
            all
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    if table {
        writeln!(
            out,
            "{:<6} {:<48} {:<36} {:<16} {:>8} {:>10} {:>10}  subscriptions",
            "kind", "topic", "origin", "subscription", "messages", "oldest", "newest"
        )?;
    }
    for ns in namespaces {
        for l in crate::pulsar::dlq::list_letters(client, &ns).await? {
            if table {
                let age = |t: Option<i64>| {
                    t.map(|t| crate::style::format::age(std::time::Duration::from_millis((now - t).max(0) as u64)))
                        .unwrap_or_else(|| "-".into())
                };
                writeln!(
                    out,
                    "{:<6} {:<48} {:<36} {:<16} {:>8} {:>10} {:>10}  {}",
                    l.letter.kind.map(|k| k.to_string()).unwrap_or_else(|| "?".into()),
                    l.letter.topic.to_string(),
                    l.letter.origin.as_ref().map(|o| o.to_string()).unwrap_or_else(|| "?".into()),
                    l.letter.subscription.as_deref().unwrap_or("?"),
                    l.messages,
                    age(l.oldest_publish_ms),
                    age(l.newest_publish_ms),
                    l.subscriptions.join(",")
                )?;
            } else {
                let mut v = serde_json::to_value(&l)?;
                v["oldest_publish_time"] = json!(l.oldest_publish_ms.map(crate::model::format_time));
                v["newest_publish_time"] = json!(l.newest_publish_ms.map(crate::model::format_time));
                writeln!(out, "{v}")?;
            }
        }
    }
    Ok(())
}

/// Options of `pulsar-tui dlq requeue`.
pub struct RequeueArgs {
    pub options: crate::pulsar::dlq::RequeueOptions,
    pub dry_run: bool,
    pub yes: bool,
}

/// `pulsar-tui dlq requeue`: without `--yes` (or with `--dry-run`) prints the preview and
/// one line per message saying what would happen; with `--yes` moves them and prints the
/// summary. Returns false when any message failed.
pub async fn dlq_requeue(client: &Client, args: &RequeueArgs, out: &mut impl Write) -> Result<bool> {
    use crate::pulsar::dlq;
    let o = &args.options;
    if args.dry_run || !args.yes {
        let (summary, plan) = dlq::plan_requeue(client, o).await?;
        for p in &plan {
            writeln!(out, "{}", serde_json::to_string(p)?)?;
        }
        let letter = dlq::letter_of(client, &o.dlq).await?;
        let subscribers = match o.target {
            crate::dlq::Target::Original => match &letter.origin {
                Some(origin) => client.admin.subscriptions(origin).await.unwrap_or_default(),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        let preview = json!({
            "preview": {
                "dlq": o.dlq.to_string(),
                "to": o.target.to_string(),
                "would_move": summary.progress.moved,
                "already_moved": summary.progress.skipped,
                "left_in_dlq": summary.progress.left,
                "would_fail": summary.progress.failed,
                "targets": summary.targets,
                "meaning": crate::dlq::meaning(&o.target, &letter, &subscribers),
                "keep_dlq_properties": o.keep_dlq_properties,
                "subscription": o.subscription,
                "journal": summary.journal,
            }
        });
        writeln!(out, "{preview}")?;
        if !args.yes {
            eprintln!("preview only: nothing was sent. Add --yes to requeue.");
        }
        return Ok(summary.progress.failed == 0);
    }
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping after the sends in flight…");
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let mut last = std::time::Instant::now();
    let summary = crate::pulsar::requeue::requeue(client, o, cancel, |p| {
        if last.elapsed() >= std::time::Duration::from_secs(1) {
            last = std::time::Instant::now();
            let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
            eprintln!(
                "requeue: moved {} skipped {} failed {} left {} (scanned {} messages, {}{total} entries)",
                p.moved, p.skipped, p.failed, p.left, p.scanned, p.entries
            );
        }
    })
    .await?;
    ctrl_c.abort();
    writeln!(out, "{}", json!({ "summary": summary }))?;
    Ok(summary.progress.failed == 0 && !summary.cancelled)
}

/// What `pulsar-tui health` prints and keeps.
pub struct HealthArgs<'a> {
    pub namespace: Option<&'a str>,
    pub table: bool,
    pub min: crate::health::Severity,
    pub watch: bool,
    pub metrics_urls: &'a [String],
    pub thresholds: crate::health::Thresholds,
    /// Between two passes of `--watch`.
    pub interval: std::time::Duration,
}

/// One finding as a JSON line (`event`: `finding`, `new` or `cleared`) or a table row.
fn print_finding(out: &mut impl Write, f: &crate::health::Finding, event: &str, table: bool) -> Result<()> {
    if table {
        let sev = if f.is_cleared() { "ok" } else { f.severity.label() };
        let mark = match event {
            "new" => "+ ",
            "cleared" => "- ",
            _ => "",
        };
        writeln!(out, "{mark}{sev:<8} {:<28} {:<50} {}", f.kind.title(), f.place.display(), f.what)?;
    } else {
        let mut v = serde_json::to_value(f)?;
        v["type"] = json!("finding");
        v["event"] = json!(event);
        writeln!(out, "{v}")?;
    }
    Ok(())
}

/// `pulsar-tui health`: the health view's findings, once (exit code 0 none, 1 warnings,
/// 2 critical) or, with `--watch`, each finding as it appears and clears.
pub async fn health(client: &Client, args: &HealthArgs<'_>, out: &mut impl Write) -> Result<u8> {
    use crate::health::{Engine, Input, Severity};
    let mut engine = Engine::new(args.thresholds.clone());
    let keep = |f: &crate::health::Finding| {
        f.severity >= args.min
            && args.namespace.is_none_or(|ns| f.place.namespace.as_deref().is_none_or(|n| n == ns.trim_matches('/')))
    };
    loop {
        let (snapshot, at_ms, details) =
            crate::pulsar::health::pass(client, args.metrics_urls, engine.thresholds()).await?;
        let changes = engine.observe(&Input { snapshot: &snapshot, details: &details }, at_ms);
        if !args.watch {
            let shown: Vec<_> = engine.findings().into_iter().filter(|f| !f.is_cleared() && keep(f)).collect();
            if args.table && shown.is_empty() {
                writeln!(
                    out,
                    "ok: nothing wrong ({} brokers, {} topics)",
                    snapshot.brokers.len(),
                    snapshot.topics.len()
                )?;
            }
            for f in &shown {
                print_finding(out, f, "finding", args.table)?;
            }
            let critical = shown.iter().filter(|f| f.severity == Severity::Critical).count();
            let warn = shown.len() - critical;
            if !args.table {
                let summary = json!({"type": "summary", "critical": critical, "warn": warn,
                    "brokers": snapshot.brokers.len(), "topics": snapshot.topics.len(),
                    "admin_errors": details.errors});
                writeln!(out, "{summary}")?;
            }
            out.flush()?;
            return Ok(if critical > 0 {
                2
            } else if warn > 0 {
                1
            } else {
                0
            });
        }
        for f in changes.new.iter().filter(|f| keep(f)) {
            print_finding(out, f, "new", args.table)?;
        }
        for f in changes.cleared.iter().filter(|f| keep(f)) {
            print_finding(out, f, "cleared", args.table)?;
        }
        out.flush()?;
        tokio::time::sleep(args.interval).await;
    }
}
