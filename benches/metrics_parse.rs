//! Parse / aggregation / history throughput on a synthetic scrape of 100k
//! topic series and 300k subscription series (see `common/synth.rs`).
//!
//! `cargo bench --bench metrics_parse`; override the size with
//! `PULSAR_TUI_BENCH_TOPICS` / `PULSAR_TUI_BENCH_SUBS`. The file is written
//! once to the temp dir and reused (`examples/gen_scrape.rs` writes the same
//! bytes for `scripts/bench-metrics-python.py`).

#[path = "common/synth.rs"]
mod synth;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pulsar_tui::metrics::history::MetricsHistory;
use pulsar_tui::metrics::model::{MetricsSnapshot, SnapshotBuilder};
use pulsar_tui::metrics::prom::{parse_chunked, ParseStats};
use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn reader(path: &Path) -> BufReader<File> {
    BufReader::with_capacity(256 * 1024, File::open(path).expect("open synthetic scrape"))
}

fn parse_only(path: &Path) -> ParseStats {
    let mut n = 0u64;
    let st = parse_chunked(reader(path), |s| {
        n += 1;
        black_box(s.value);
    })
    .expect("parse");
    assert_eq!(st.samples, n);
    st
}

fn aggregate(path: &Path) -> MetricsSnapshot {
    let mut b = SnapshotBuilder::new();
    let res = parse_chunked(reader(path), |s| b.ingest(s));
    b.add_broker_result("synthetic", res.map_err(|e| e.to_string()), 0);
    b.finish()
}

fn bench(c: &mut Criterion) {
    let cfg = synth::SynthConfig {
        topics: env_usize("PULSAR_TUI_BENCH_TOPICS", 100_000),
        subscriptions: env_usize("PULSAR_TUI_BENCH_SUBS", 300_000),
        ..synth::SynthConfig::default()
    };
    let path = synth::default_path(&cfg);
    let bytes = synth::ensure_file(&path, &cfg).expect("write synthetic scrape");

    // One untimed pass to report sizes and per-series rates.
    let t = Instant::now();
    let st = parse_only(&path);
    let parse_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let snap = aggregate(&path);
    let agg_s = t.elapsed().as_secs_f64();
    eprintln!(
        "synthetic scrape {}: {:.1} MB, {} lines, {} samples -> {} topics, {} partitions, {} subscriptions, {} namespaces",
        path.display(),
        bytes as f64 / 1e6,
        st.lines,
        st.samples,
        snap.topics.len(),
        snap.partitions.len(),
        snap.subscriptions.len(),
        snap.namespaces.len()
    );
    eprintln!(
        "single pass: parse {:.2} s ({:.0} MB/s, {:.2} M samples/s); parse+aggregate {:.2} s ({:.0} MB/s, {:.2} M samples/s)",
        parse_s,
        bytes as f64 / 1e6 / parse_s,
        st.samples as f64 / 1e6 / parse_s,
        agg_s,
        bytes as f64 / 1e6 / agg_s,
        st.samples as f64 / 1e6 / agg_s
    );

    let mut g = c.benchmark_group("metrics_scrape");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(bytes));
    g.bench_function("parse", |b| b.iter(|| black_box(parse_only(&path))));
    g.bench_function("parse_aggregate", |b| b.iter(|| black_box(aggregate(&path))));
    g.bench_function("parse_aggregate_history", |b| {
        let mut h = MetricsHistory::new(10 * 60_000, 60);
        let mut now = 0i64;
        b.iter(|| {
            now += 10_000;
            let s = aggregate(&path);
            h.ingest(&s, now);
            black_box(h.topic_count())
        })
    });
    g.finish();

    let series = (snap.topics.len() + snap.subscriptions.len() + snap.namespaces.len()) as u64;
    let mut g = c.benchmark_group("metrics_history");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(series));
    g.bench_function("ingest_snapshot", |b| {
        let mut h = MetricsHistory::new(10 * 60_000, 60);
        let mut now = 0i64;
        b.iter(|| {
            now += 10_000;
            h.ingest(&snap, now);
            black_box(h.subscription_count())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
