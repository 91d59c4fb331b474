//! `pulsar-tui produce TOPIC`: messages from standard input (or a file), one per line, as
//! text, JSON values encoded with the topic's schema, or envelopes of `read --raw`
//! (replay: the same bytes, key, properties, event time and schema version).
//!
//! Every line is encoded and checked before it is handed to the producer; a bad line stops
//! the run with its line number (what was sent before it is confirmed and printed, nothing
//! after it is sent), or is counted and skipped with `--skip-bad`.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::encode::{raw_payload, RawForm};
use crate::pulsar::produce::{Codec, Draft, DraftValue, Pending, ProduceOptions, Routing, Sender};
use crate::pulsar::{Client, TopicName};

/// What a line is (defined with the command line, which the headless layer reads).
pub use crate::cli::ProduceFormat as InputFormat;

/// Options of `pulsar-tui produce`.
pub struct ProduceArgs<'a> {
    pub topic: &'a str,
    pub format: InputFormat,
    pub encoding: RawForm,
    /// Default key; `{n}` becomes the line number (from 0).
    pub key: Option<&'a str>,
    pub properties: &'a [String],
    pub rate: Option<f64>,
    pub options: ProduceOptions,
    pub skip_bad: bool,
    /// Event time for every message (epoch millis) unless the envelope has one.
    pub event_time_ms: Option<i64>,
    /// Delivered this long after sending.
    pub deliver_after: Option<Duration>,
}

/// How the run ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub produced: u64,
    pub skipped: u64,
}

/// `KEY=VALUE` pairs.
pub fn parse_properties(properties: &[String]) -> Result<BTreeMap<String, String>> {
    properties
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .with_context(|| format!("--property {p:?}: expected KEY=VALUE"))
        })
        .collect()
}

/// `--compression`, `--routing`.
pub fn parse_options(batching: bool, compression: &str, routing: &str, version: Option<i64>) -> Result<ProduceOptions> {
    let compression = Codec::parse(compression)
        .ok_or_else(|| anyhow!("--compression {compression:?}: expected none, lz4, zlib, zstd or snappy"))?;
    let routing = Routing::parse(routing)
        .ok_or_else(|| anyhow!("--routing {routing:?}: expected round-robin, single, key or a partition number"))?;
    Ok(ProduceOptions { batching, compression, routing, schema_version: version })
}

fn millis(t: &Value, what: &str) -> Result<Option<i64>> {
    Ok(match t {
        Value::Null => None,
        Value::Number(n) => n.as_i64(),
        Value::String(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .with_context(|| format!("{what}: {s:?} is not an RFC 3339 time"))?
                .timestamp_millis(),
        ),
        other => bail!("{what}: {other} is not a time"),
    })
}

/// One envelope (`read --format jsonl [--raw]`) as a draft: the payload from `raw_base64`
/// (byte for byte), else the value (encoded with the target's schema).
pub fn draft_from_envelope(e: &Value) -> Result<Draft> {
    let obj = e.as_object().ok_or_else(|| anyhow!("not an envelope (a JSON object)"))?;
    let value = match obj.get("raw_base64").and_then(Value::as_str) {
        Some(b) => {
            DraftValue::Bytes(base64::engine::general_purpose::STANDARD.decode(b).context("raw_base64 is not base64")?)
        }
        None if obj.get("null_value") == Some(&Value::Bool(true)) => DraftValue::Bytes(Vec::new()),
        None => match obj.get("decode_error") {
            Some(Value::String(err)) => bail!("no raw_base64 and the value was not decoded ({err}): export with --raw"),
            _ => DraftValue::Json(obj.get("value").cloned().unwrap_or(Value::Null)),
        },
    };
    let properties = match obj.get("properties") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Draft {
        value,
        key: obj.get("key").and_then(Value::as_str).map(str::to_string),
        key_b64: obj.get("key_base64") == Some(&Value::Bool(true)),
        ordering_key: obj.get("ordering_key").and_then(Value::as_str).map(|s| s.as_bytes().to_vec()),
        properties,
        event_time_ms: millis(obj.get("event_time").unwrap_or(&Value::Null), "event_time")?,
        deliver_at_ms: millis(obj.get("deliver_at").unwrap_or(&Value::Null), "deliver_at")?,
        schema_version: obj.get("schema_version").and_then(Value::as_i64),
    })
}

/// Runs `produce`: prints one JSON line per confirmed message on `out`, progress on stderr.
pub async fn produce(
    client: &Client,
    args: &ProduceArgs<'_>,
    input: impl BufRead,
    out: &mut impl Write,
) -> Result<Summary> {
    let topic = TopicName::parse(args.topic)?;
    let properties = parse_properties(args.properties)?;
    let mut sender = Sender::open(client, &topic, &args.options).await?;
    if args.format == InputFormat::Text && !sender.encoder().is_schemaless() {
        let t = sender.encoder().schema_type();
        if t != crate::decode::SchemaType::String {
            sender.close().await;
            bail!("{topic} has a {t} schema: text lines would not be {t} values; use --format jsonl");
        }
    }
    // pipelined: sends in flight, printed in order as they are confirmed
    let window = if args.options.batching { 50_000 } else { 2_000 };
    let mut pending: VecDeque<(u64, Pending)> = VecDeque::new();
    let mut summary = Summary::default();
    let started = Instant::now();
    let mut last_progress = started;
    let interval = args.rate.filter(|r| *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r));
    let mut next_send = tokio::time::Instant::now();
    let topic_name = topic.to_string();
    let print = |out: &mut dyn Write, line: u64, id: crate::model::MessageId| -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, &json!({"topic": topic_name, "message_id": id.to_string(), "line": line}))?;
        out.write_all(b"\n")
    };
    let mut failure: Option<anyhow::Error> = None;
    for (i, line) in input.lines().enumerate() {
        let number = i as u64 + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                failure = Some(anyhow!(e).context(format!("reading line {number}")));
                break;
            }
        };
        if args.format != InputFormat::Text && line.trim().is_empty() {
            continue;
        }
        let drafted =
            draft(args, &line, i as u64, &properties).and_then(|d| sender.prepare(&d).map_err(|e| anyhow!(e)));
        let prepared = match drafted {
            Ok(p) => p,
            Err(e) if args.skip_bad => {
                eprintln!("line {number}: skipped: {e}");
                summary.skipped += 1;
                continue;
            }
            Err(e) => {
                failure = Some(e.context(format!("line {number}")));
                break;
            }
        };
        if let Some(every) = interval {
            tokio::time::sleep_until(next_send).await;
            next_send = next_send.max(tokio::time::Instant::now() - every) + every;
        }
        match sender.send(prepared).await {
            Ok(p) => pending.push_back((number, p)),
            Err(e) => {
                failure = Some(anyhow!(e).context(format!("line {number}: send")));
                break;
            }
        }
        while pending.len() >= window {
            if let Some((n, p)) = pending.pop_front() {
                let id = p.confirmed().await.with_context(|| format!("line {n}"))?;
                print(out, n, id)?;
                summary.produced += 1;
            }
        }
        if number.is_multiple_of(4096) && last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            eprintln!("produced {} of {number} lines ({:.0} msg/s)", summary.produced, summary.produced as f64 / secs);
        }
    }
    // what was sent before a bad line is still confirmed and printed
    let mut lost: Option<anyhow::Error> = None;
    while let Some((n, p)) = pending.pop_front() {
        match p.confirmed().await {
            Ok(id) => {
                print(out, n, id)?;
                summary.produced += 1;
            }
            Err(e) => lost = lost.or(Some(anyhow!(e).context(format!("line {n} was not confirmed")))),
        }
    }
    sender.close().await;
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "produced {} messages to {topic} in {secs:.2} s{}",
        summary.produced,
        if summary.skipped > 0 { format!(", skipped {} bad lines", summary.skipped) } else { String::new() }
    );
    match failure.or(lost) {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

fn draft(args: &ProduceArgs<'_>, line: &str, n: u64, properties: &BTreeMap<String, String>) -> Result<Draft> {
    let mut d = match args.format {
        InputFormat::Text => Draft::of(DraftValue::Bytes(raw_payload(line, args.encoding)?)),
        InputFormat::Jsonl => {
            Draft::of(DraftValue::Json(serde_json::from_str(line).map_err(|e| anyhow!("not JSON: {e}"))?))
        }
        InputFormat::Envelope => {
            draft_from_envelope(&serde_json::from_str(line).map_err(|e| anyhow!("not JSON: {e}"))?)?
        }
    };
    if d.key.is_none() {
        // `{n}`, also as copied from --help (with its invisible word joiner)
        d.key = args.key.map(|k| k.replace("{\u{2060}n}", "{n}").replace("{n}", &n.to_string()));
    }
    for (k, v) in properties {
        d.properties.insert(k.clone(), v.clone());
    }
    d.event_time_ms = d.event_time_ms.or(args.event_time_ms);
    if let Some(after) = args.deliver_after {
        d.deliver_at_ms = Some(chrono::Utc::now().timestamp_millis() + after.as_millis() as i64);
    }
    Ok(d)
}

/// `pulsar-tui produce …` from its command line; an error when any line failed.
pub async fn run(client: &Client, command: crate::cli::Command, out: &mut impl Write) -> Result<()> {
    let crate::cli::Command::Produce {
        topic,
        format,
        file,
        encoding,
        key,
        properties,
        rate,
        batching,
        compression,
        routing,
        schema_version,
        event_time,
        deliver_after,
        skip_bad,
    } = command
    else {
        bail!("produce::run takes the produce command");
    };
    let encoding =
        RawForm::parse(&encoding).ok_or_else(|| anyhow!("--encoding {encoding:?}: expected text, hex or base64"))?;
    let event_time_ms = match event_time {
        None => None,
        Some(t) => match t.parse::<i64>() {
            Ok(ms) => Some(ms),
            Err(_) => millis(&Value::String(t.clone()), "--event-time")?,
        },
    };
    let deliver_after = match deliver_after {
        None => None,
        Some(d) => Some(
            crate::pulsar::produce::parse_duration(&d)
                .ok_or_else(|| anyhow!("--deliver-after {d:?}: expected e.g. 500ms, 30s, 5m, 2h"))?,
        ),
    };
    let args = ProduceArgs {
        topic: &topic,
        format,
        encoding,
        key: key.as_deref(),
        properties: &properties,
        rate,
        options: parse_options(batching, &compression, &routing, schema_version)?,
        skip_bad,
        event_time_ms,
        deliver_after,
    };
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    let summary = match file {
        Some(f) => {
            let input = std::fs::File::open(&f).with_context(|| format!("opening {}", f.display()))?;
            produce(client, &args, std::io::BufReader::with_capacity(1 << 20, input), &mut buffered).await
        }
        None => produce(client, &args, std::io::stdin().lock(), &mut buffered).await,
    };
    buffered.flush()?;
    summary.map(|_| ())
}
