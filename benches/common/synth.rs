//! Deterministic synthetic Pulsar scrape, shaped like a 4.0.8 broker's
//! `/metrics/` output: a few JVM/broker families, then every per-topic family
//! a real 4.0.8 broker writes (`# TYPE ... gauge` + one line per topic or
//! partition), then every per-subscription family (one line per subscription
//! per partition).
//!
//! Sized in **series** (one sample line = one series), as issue 3 asks:
//! `topic_series` lines carry a `topic` label and no `subscription` label,
//! `subscription_series` lines carry both, exactly.
//!
//! Shared by `benches/metrics_parse.rs` and `examples/gen_scrape.rs` (via
//! `#[path]`), so the Python comparison reads the very same bytes.

#![allow(dead_code)]

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Size of the synthetic cluster.
#[derive(Debug, Clone, Copy)]
pub struct SynthConfig {
    /// Series with a `topic` label and no `subscription` label.
    pub topic_series: usize,
    /// Series with a `subscription` label.
    pub subscription_series: usize,
    /// Namespaces the topics are spread over.
    pub namespaces: usize,
    /// Partitions per partitioned topic.
    pub partitions: usize,
    /// Every n-th group of topics is partitioned (0 = none).
    pub partitioned_every: usize,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            topic_series: 100_000,
            subscription_series: 300_000,
            namespaces: 50,
            partitions: 4,
            partitioned_every: 2,
        }
    }
}

impl SynthConfig {
    /// Topic rows (each partition counts as one): every row has all of
    /// [`TOPIC_FAMILIES`] but the last, which gets what is left.
    pub fn topic_rows(&self) -> usize {
        self.topic_series.div_ceil(TOPIC_FAMILIES.len())
    }

    /// Subscription rows (a subscription of each partition counts as one).
    pub fn subscription_rows(&self) -> usize {
        self.subscription_series.div_ceil(SUB_FAMILIES.len())
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SynthStats {
    pub bytes: u64,
    pub lines: u64,
    pub samples: u64,
    pub topic_series: u64,
    pub subscription_series: u64,
    pub topic_rows: u64,
    pub subscription_rows: u64,
}

/// Every per-topic series of a real 4.0.8 broker (`tests/fixtures/metrics/standalone-4.0.8.txt`,
/// topic `promfix-a`), in the broker's order: (family, extra labels). 63 per topic.
pub const TOPIC_FAMILIES: [(&str, &str); 63] = [
    ("pulsar_storage_logical_size", ""),
    ("pulsar_entry_size_le_1_mb", ""),
    ("pulsar_producers_count", ""),
    ("pulsar_storage_ledger_write_latency_sum", ""),
    ("pulsar_storage_backlog_quota_limit_time", ""),
    ("pulsar_storage_ledger_write_latency_le_1000", ""),
    ("pulsar_entry_size_le_2_kb", ""),
    ("pulsar_delayed_message_index_size_bytes", ""),
    ("pulsar_storage_write_latency_le_10", ""),
    ("pulsar_throughput_in", ""),
    ("pulsar_in_bytes_total", ""),
    ("pulsar_rate_in", ""),
    ("pulsar_txn_tb_aborted_total", ""),
    ("pulsar_entry_size_le_100_kb", ""),
    ("pulsar_throughput_out", ""),
    ("pulsar_in_messages_total", ""),
    ("pulsar_storage_write_latency_count", ""),
    ("pulsar_entry_size_le_1_kb", ""),
    ("pulsar_storage_write_latency_le_100", ""),
    ("pulsar_storage_ledger_write_latency_le_50", ""),
    ("pulsar_storage_backlog_age_seconds", ""),
    ("pulsar_storage_write_latency_le_20", ""),
    ("pulsar_storage_write_latency_le_0_5", ""),
    ("pulsar_entry_size_le_overflow", ""),
    ("pulsar_storage_ledger_write_latency_le_5", ""),
    ("pulsar_entry_size_le_4_kb", ""),
    ("pulsar_txn_tb_active_total", ""),
    ("pulsar_average_msg_size", ""),
    ("pulsar_consumers_count", ""),
    ("pulsar_storage_offloaded_size", ""),
    ("pulsar_storage_write_latency_overflow", ""),
    ("pulsar_storage_write_latency_le_200", ""),
    ("pulsar_entry_size_le_16_kb", ""),
    ("pulsar_storage_backlog_quota_exceeded_evictions_total", "quota_type=\"size\""),
    ("pulsar_storage_backlog_quota_exceeded_evictions_total", "quota_type=\"time\""),
    ("pulsar_rate_out", ""),
    ("pulsar_storage_ledger_write_latency_le_200", ""),
    ("pulsar_storage_ledger_write_latency_le_1", ""),
    ("pulsar_storage_ledger_write_latency_le_20", ""),
    ("pulsar_storage_write_latency_le_50", ""),
    ("pulsar_storage_write_latency_le_5", ""),
    ("pulsar_storage_size", ""),
    ("pulsar_storage_backlog_quota_limit", ""),
    ("pulsar_storage_write_latency_le_1", ""),
    ("pulsar_entry_size_le_128", ""),
    ("pulsar_storage_read_rate", ""),
    ("pulsar_storage_read_cache_misses_rate", ""),
    ("pulsar_storage_ledger_write_latency_le_10", ""),
    ("pulsar_storage_ledger_write_latency_overflow", ""),
    ("pulsar_storage_write_latency_le_1000", ""),
    ("pulsar_storage_write_latency_sum", ""),
    ("pulsar_storage_ledger_write_latency_le_0_5", ""),
    ("pulsar_entry_size_count", ""),
    ("pulsar_storage_ledger_write_latency_le_100", ""),
    ("pulsar_storage_write_rate", ""),
    ("pulsar_msg_backlog", ""),
    ("pulsar_subscriptions_count", ""),
    ("pulsar_storage_ledger_write_latency_count", ""),
    ("pulsar_storage_backlog_size", ""),
    ("pulsar_txn_tb_committed_total", ""),
    ("pulsar_entry_size_le_512", ""),
    ("pulsar_publish_rate_limit_times", ""),
    ("pulsar_entry_size_sum", ""),
];

/// Every per-subscription series of the same capture (subscription `sub1`). 32 per subscription.
pub const SUB_FAMILIES: [(&str, &str); 32] = [
    ("pulsar_subscription_filter_rejected_msg_count", ""),
    ("pulsar_subscription_dispatch_throttled_bytes_events", "reason=\"subscription\""),
    ("pulsar_subscription_dispatch_throttled_bytes_events", "reason=\"topic\""),
    ("pulsar_subscription_dispatch_throttled_bytes_events", "reason=\"broker\""),
    ("pulsar_subscription_filter_processed_msg_count", ""),
    ("pulsar_subscription_msg_throughput_out", ""),
    ("pulsar_subscription_blocked_on_unacked_messages", ""),
    ("pulsar_subscription_last_acked_timestamp", ""),
    ("pulsar_subscription_last_mark_delete_advanced_timestamp", ""),
    ("pulsar_subscription_back_log_no_delayed", ""),
    ("pulsar_subscription_last_consumed_flow_timestamp", ""),
    ("pulsar_subscription_msg_ack_rate", ""),
    ("pulsar_subscription_delayed", ""),
    ("pulsar_subscription_unacked_messages", ""),
    ("pulsar_out_bytes_total", ""),
    ("pulsar_subscription_total_msg_expired", ""),
    ("pulsar_subscription_msg_drop_rate", ""),
    ("pulsar_subscription_filter_rescheduled_msg_count", ""),
    ("pulsar_subscription_back_log", ""),
    ("pulsar_subscription_msg_rate_redeliver", ""),
    ("pulsar_subscription_delayed_message_index_size_bytes", ""),
    ("pulsar_subscription_last_expire_timestamp", ""),
    ("pulsar_subscription_in_replay", ""),
    ("pulsar_subscription_filter_accepted_msg_count", ""),
    ("pulsar_subscription_msg_rate_expired", ""),
    ("pulsar_out_messages_total", ""),
    ("pulsar_subscription_last_consumed_timestamp", ""),
    ("pulsar_subscription_consumers_count", ""),
    ("pulsar_subscription_dispatch_throttled_msg_events", "reason=\"subscription\""),
    ("pulsar_subscription_dispatch_throttled_msg_events", "reason=\"topic\""),
    ("pulsar_subscription_dispatch_throttled_msg_events", "reason=\"broker\""),
    ("pulsar_subscription_msg_rate_out", ""),
];

/// Where the bench and the example put the file by default.
pub fn default_path(cfg: &SynthConfig) -> PathBuf {
    std::env::temp_dir().join(format!("pulsar-tui-synth-{}ts-{}ss.prom", cfg.topic_series, cfg.subscription_series))
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: cheap deterministic "random" values.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

struct Topic {
    name: String,
    namespace: String,
}

fn topics(cfg: &SynthConfig) -> Vec<Topic> {
    let rows = cfg.topic_rows();
    let mut out = Vec::with_capacity(rows);
    let mut group = 0usize;
    while out.len() < rows {
        let ns_idx = group % cfg.namespaces.max(1);
        let namespace = format!("tenant-{}/ns-{}", ns_idx / 5, ns_idx % 5);
        let partitioned = cfg.partitioned_every > 0 && group.is_multiple_of(cfg.partitioned_every);
        if partitioned && cfg.partitions > 0 {
            for p in 0..cfg.partitions {
                if out.len() == rows {
                    break;
                }
                out.push(Topic {
                    name: format!("persistent://{namespace}/orders-{group:06}-partition-{p}"),
                    namespace: namespace.clone(),
                });
            }
        } else {
            out.push(Topic { name: format!("persistent://{namespace}/events-{group:06}"), namespace });
        }
        group += 1;
    }
    out
}

fn write_value<W: Write>(w: &mut W, family: &str, seed: u64) -> io::Result<()> {
    let r = mix(seed);
    if family.contains("rate") || family.contains("throughput") || family.contains("average") {
        write!(w, "{}.{:03}", r % 5000, (r >> 20) % 1000)
    } else if family.ends_with("_count") || family.contains("blocked") {
        write!(w, "{}", r % 8)
    } else if family.ends_with("_timestamp") {
        write!(w, "{}", 1_700_000_000_000 + r % 100_000_000)
    } else {
        write!(w, "{}", r % 1_000_000)
    }
}

/// Consecutive entries of the same family, as `(family, first index, end index)`: one
/// `# TYPE` line each, its series written together, as a broker does.
fn runs(fams: &[(&'static str, &'static str)]) -> Vec<(&'static str, usize, usize)> {
    let mut out: Vec<(&'static str, usize, usize)> = Vec::new();
    for (i, (name, _)) in fams.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.0 == *name => last.2 = i + 1,
            _ => out.push((name, i, i + 1)),
        }
    }
    out
}

fn write_labels<W: Write>(w: &mut W, head: &str, extra: &str) -> io::Result<()> {
    if extra.is_empty() {
        write!(w, "{{{head}}} ")
    } else {
        write!(w, "{{{head},{extra}}} ")
    }
}

/// Writes the scrape.
pub fn write_scrape<W: Write>(out: W, cfg: &SynthConfig) -> io::Result<SynthStats> {
    let mut w = CountingWriter { inner: BufWriter::with_capacity(1 << 20, out), bytes: 0, lines: 0 };
    let mut st = SynthStats::default();
    let cluster = "cluster=\"prod-east\"";
    // Broker-level noise, as on a real broker.
    for i in 0..200u64 {
        writeln!(w, "# TYPE jvm_misc_{i} gauge")?;
        writeln!(w, "jvm_misc_{i}{{{cluster},pool=\"p{i}\"}} {}.0", mix(i) % 100_000)?;
        st.samples += 1;
    }
    let topics = topics(cfg);
    st.topic_rows = topics.len() as u64;
    let nf = TOPIC_FAMILIES.len();
    for (name, start, end) in runs(&TOPIC_FAMILIES) {
        writeln!(w, "# TYPE {name} gauge")?;
        for (ti, t) in topics.iter().enumerate() {
            for (fi, (_, extra)) in TOPIC_FAMILIES.iter().enumerate().take(end).skip(start) {
                if ti * nf + fi >= cfg.topic_series {
                    continue;
                }
                w.write_all(name.as_bytes())?;
                let head = format!("{cluster},namespace=\"{}\",topic=\"{}\"", t.namespace, t.name);
                write_labels(&mut w, &head, extra)?;
                write_value(&mut w, name, (fi as u64) << 40 | ti as u64)?;
                w.write_all(b"\n")?;
                st.samples += 1;
                st.topic_series += 1;
            }
        }
    }
    // (topic row, subscription name) in topic order; at most `per_topic` per topic
    let rows = cfg.subscription_rows();
    let per_topic = rows.div_ceil(topics.len().max(1)).max(1);
    let mut subs: Vec<(usize, String)> = Vec::with_capacity(rows);
    'fill: for ti in 0..topics.len() {
        for si in 0..per_topic {
            if subs.len() == rows {
                break 'fill;
            }
            let sub = match si {
                0 => "analytics".to_string(),
                1 => format!("billing-worker-{}", ti % 17),
                _ => format!("sub-{si}"),
            };
            subs.push((ti, sub));
        }
    }
    st.subscription_rows = subs.len() as u64;
    let nf = SUB_FAMILIES.len();
    for (name, start, end) in runs(&SUB_FAMILIES) {
        writeln!(w, "# TYPE {name} gauge")?;
        for (row, (ti, sub)) in subs.iter().enumerate() {
            let t = &topics[*ti];
            for (fi, (_, extra)) in SUB_FAMILIES.iter().enumerate().take(end).skip(start) {
                if row * nf + fi >= cfg.subscription_series {
                    continue;
                }
                w.write_all(name.as_bytes())?;
                let head =
                    format!("{cluster},namespace=\"{}\",topic=\"{}\",subscription=\"{sub}\"", t.namespace, t.name);
                write_labels(&mut w, &head, extra)?;
                write_value(&mut w, name, (fi as u64 + 128) << 40 | row as u64)?;
                w.write_all(b"\n")?;
                st.samples += 1;
                st.subscription_series += 1;
            }
        }
    }
    w.inner.flush()?;
    st.bytes = w.bytes;
    st.lines = w.lines;
    Ok(st)
}

struct CountingWriter<W: Write> {
    inner: W,
    bytes: u64,
    lines: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        self.lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the scrape to `path` unless a file with a matching `.len` marker
/// already exists. Returns the path's size in bytes.
pub fn ensure_file(path: &std::path::Path, cfg: &SynthConfig) -> io::Result<u64> {
    let marker = path.with_extension("prom.len");
    if let (Ok(meta), Ok(m)) = (std::fs::metadata(path), std::fs::read_to_string(&marker)) {
        if m.trim().parse::<u64>().ok() == Some(meta.len()) {
            return Ok(meta.len());
        }
    }
    let st = write_scrape(std::fs::File::create(path)?, cfg)?;
    std::fs::write(&marker, st.bytes.to_string())?;
    Ok(st.bytes)
}
