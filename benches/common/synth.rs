//! Deterministic synthetic Pulsar scrape, shaped like a 4.0.8 broker's
//! `/metrics/` output: a few JVM/broker families, then each topic family
//! (`# TYPE ... gauge` + one line per topic/partition), then each
//! subscription family (one line per subscription per partition).
//!
//! Shared by `benches/metrics_parse.rs` and `examples/gen_scrape.rs` (via
//! `#[path]`), so the Python comparison reads the very same bytes.

#![allow(dead_code)]

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Size of the synthetic cluster.
#[derive(Debug, Clone, Copy)]
pub struct SynthConfig {
    /// Topic series (each partition counts as one).
    pub topics: usize,
    /// Subscription series (each partition's subscription counts as one).
    pub subscriptions: usize,
    /// Namespaces the topics are spread over.
    pub namespaces: usize,
    /// Partitions per partitioned topic.
    pub partitions: usize,
    /// Every n-th group of topics is partitioned (0 = none).
    pub partitioned_every: usize,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig { topics: 100_000, subscriptions: 300_000, namespaces: 50, partitions: 4, partitioned_every: 2 }
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
}

/// Topic families written per topic (8).
pub const TOPIC_FAMILIES: [&str; 8] = [
    "pulsar_subscriptions_count",
    "pulsar_producers_count",
    "pulsar_consumers_count",
    "pulsar_rate_in",
    "pulsar_rate_out",
    "pulsar_throughput_in",
    "pulsar_storage_size",
    "pulsar_msg_backlog",
];

/// Subscription families written per subscription (6).
pub const SUB_FAMILIES: [&str; 6] = [
    "pulsar_subscription_back_log",
    "pulsar_subscription_back_log_no_delayed",
    "pulsar_subscription_unacked_messages",
    "pulsar_subscription_msg_rate_out",
    "pulsar_subscription_msg_rate_redeliver",
    "pulsar_subscription_consumers_count",
];

/// Where the bench and the example put the file by default.
pub fn default_path(cfg: &SynthConfig) -> PathBuf {
    std::env::temp_dir().join(format!("pulsar-tui-synth-{}t-{}s.prom", cfg.topics, cfg.subscriptions))
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
    let mut out = Vec::with_capacity(cfg.topics);
    let mut group = 0usize;
    while out.len() < cfg.topics {
        let ns_idx = group % cfg.namespaces.max(1);
        let namespace = format!("tenant-{}/ns-{}", ns_idx / 5, ns_idx % 5);
        let partitioned = cfg.partitioned_every > 0 && group.is_multiple_of(cfg.partitioned_every);
        if partitioned && cfg.partitions > 0 {
            for p in 0..cfg.partitions {
                if out.len() == cfg.topics {
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
    if family.contains("rate") || family.contains("throughput") {
        write!(w, "{}.{:03}", r % 5000, (r >> 20) % 1000)
    } else if family.ends_with("_count") {
        write!(w, "{}", r % 8)
    } else {
        write!(w, "{}", r % 1_000_000)
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
    for (fi, fam) in TOPIC_FAMILIES.iter().enumerate() {
        writeln!(w, "# TYPE {fam} gauge")?;
        for (ti, t) in topics.iter().enumerate() {
            write!(w, "{fam}{{{cluster},namespace=\"{}\",topic=\"{}\"}} ", t.namespace, t.name)?;
            write_value(&mut w, fam, (fi as u64) << 40 | ti as u64)?;
            w.write_all(b"\n")?;
            st.samples += 1;
            st.topic_series += 1;
        }
    }
    let subs_per_topic = cfg.subscriptions.div_ceil(topics.len().max(1)).max(1);
    for (fi, fam) in SUB_FAMILIES.iter().enumerate() {
        writeln!(w, "# TYPE {fam} gauge")?;
        let mut written = 0usize;
        'outer: for (ti, t) in topics.iter().enumerate() {
            for si in 0..subs_per_topic {
                if written == cfg.subscriptions {
                    break 'outer;
                }
                let sub = match si {
                    0 => "analytics".to_string(),
                    1 => format!("billing-worker-{}", ti % 17),
                    _ => format!("sub-{si}"),
                };
                write!(
                    w,
                    "{fam}{{{cluster},namespace=\"{}\",topic=\"{}\",subscription=\"{sub}\"}} ",
                    t.namespace, t.name
                )?;
                write_value(&mut w, fam, (fi as u64 + 16) << 40 | (ti * 8 + si) as u64)?;
                w.write_all(b"\n")?;
                written += 1;
                st.samples += 1;
                st.subscription_series += 1;
            }
        }
    }
    w.inner.flush()?;
    st.bytes = w.bytes;
    st.lines = w.lines;
    st.topic_series /= TOPIC_FAMILIES.len() as u64;
    st.subscription_series /= SUB_FAMILIES.len() as u64;
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
