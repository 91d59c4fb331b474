//! Parse / aggregation / history throughput on a synthetic scrape of 100,000
//! topic series and 300,000 subscription series (see `common/synth.rs`), as
//! issue 3 asks.
//!
//! `cargo bench --bench metrics_parse`; `scripts/bench-metrics` runs it next to
//! Python's `prometheus_client` on the same file and prints the ratio.
//!
//! Knobs: `PULSAR_TUI_BENCH_SCRAPE` (parse this file instead of generating one),
//! `PULSAR_TUI_BENCH_TOPIC_SERIES` / `PULSAR_TUI_BENCH_SUB_SERIES` (the size of the
//! generated file, written once to the temp dir and reused; `examples/gen_scrape.rs`
//! writes the same bytes).
//!
//! The scrape is read into memory first and parsed from there, as the app parses the
//! body it downloaded (and as the Python reference, which is also handed a string).

#[path = "common/synth.rs"]
mod synth;

// the binary's allocator (src/main.rs), so that the numbers are the binary's
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pulsar_tui::metrics::history::MetricsHistory;
use pulsar_tui::metrics::model::{MetricsSnapshot, SnapshotBuilder};
use pulsar_tui::metrics::prom::{parse_chunked, ParseStats};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn parse_only(data: &[u8]) -> ParseStats {
    let mut n = 0u64;
    let st = parse_chunked(data, |s| {
        n += 1;
        black_box(s.value);
    })
    .expect("parse");
    assert_eq!(st.samples, n);
    st
}

fn aggregate(data: &[u8]) -> MetricsSnapshot {
    let mut b = SnapshotBuilder::new();
    let res = parse_chunked(data, |s| b.ingest(s));
    b.add_broker_result("synthetic", res.map_err(|e| e.to_string()), 0);
    b.finish()
}

fn bench(c: &mut Criterion) {
    let path = match std::env::var_os("PULSAR_TUI_BENCH_SCRAPE") {
        Some(p) => PathBuf::from(p),
        None => {
            let cfg = synth::SynthConfig {
                topic_series: env_usize("PULSAR_TUI_BENCH_TOPIC_SERIES", 100_000),
                subscription_series: env_usize("PULSAR_TUI_BENCH_SUB_SERIES", 300_000),
                ..synth::SynthConfig::default()
            };
            let path = synth::default_path(&cfg);
            synth::ensure_file(&path, &cfg).expect("write synthetic scrape");
            path
        }
    };
    let data = std::fs::read(&path).expect("read synthetic scrape");
    let bytes = data.len() as u64;

    // One untimed pass to report sizes and per-series rates.
    let t = Instant::now();
    let st = parse_only(&data);
    let parse_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let snap = aggregate(&data);
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
        "single pass: parse {:.3} s ({:.0} MB/s, {:.2} M series/s); parse+aggregate {:.3} s ({:.0} MB/s, {:.2} M series/s)",
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
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Bytes(bytes));
    g.bench_function("parse", |b| b.iter(|| black_box(parse_only(&data))));
    g.bench_function("parse_aggregate", |b| b.iter(|| black_box(aggregate(&data))));
    // The app's cycle: a scrape every 5 s into 15 minutes of history (at most 2,000 points).
    g.bench_function("parse_aggregate_history", |b| {
        let mut h = MetricsHistory::new(15 * 60_000, 2_000);
        let mut now = 0i64;
        b.iter(|| {
            now += 5_000;
            let s = aggregate(&data);
            h.ingest(&s, now);
            black_box(h.topic_count())
        })
    });
    g.finish();

    let series = (snap.topics.len() + snap.subscriptions.len() + snap.namespaces.len()) as u64;
    let mut g = c.benchmark_group("metrics_history");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(series));
    g.bench_function("ingest_snapshot", |b| {
        let mut h = MetricsHistory::new(15 * 60_000, 2_000);
        let mut now = 0i64;
        b.iter(|| {
            now += 5_000;
            h.ingest(&snap, now);
            black_box(h.subscription_count())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
