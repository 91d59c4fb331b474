//! The Prometheus text parser on arbitrary bytes: the in-memory parser on the
//! lossy UTF-8 text, the chunked reader on the raw bytes (with a small line
//! limit and a small byte limit, so the over-long-line and too-large paths run
//! too), and every sample through the snapshot aggregation.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use pulsar_tui::metrics::model::SnapshotBuilder;
use pulsar_tui::metrics::prom::{self, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // in memory, default options, aggregated
    let mut builder = SnapshotBuilder::new();
    let mut samples = 0u64;
    let stats = prom::parse_str(&text, |s| {
        samples += 1;
        assert!(!s.name.is_empty());
        builder.ingest(s);
    });
    assert!(stats.lines as usize <= text.len());
    builder.add_broker_result("fuzz-broker", Ok(stats), 1_700_000_000_000);

    // the same bytes through the chunked reader with a tiny buffer: the same
    // samples when nothing is too long
    let mut chunked = SnapshotBuilder::new();
    let mut chunked_samples = 0u64;
    let res = prom::parse_chunked(BufReader::with_capacity(7, data), |s| {
        chunked_samples += 1;
        chunked.ingest(s);
    });
    let res = res.map(|st| {
        assert!(st.saw_eof || st.bytes == data.len() as u64, "chunked parse read {} of {} bytes", st.bytes, data.len());
        st
    });
    if std::str::from_utf8(data).is_ok() {
        assert_eq!(samples, chunked_samples, "parse_str and parse_chunked disagree");
    }
    chunked.add_broker_result("fuzz-broker-2", res.map_err(|e| e.to_string()), 1_700_000_000_001);

    // small limits: over-long lines and the size guard
    let opts = ParseOptions {
        max_bytes: Some(200),
        max_line_bytes: 16,
        max_recorded_skips: 2,
        max_unterminated_bytes: 64,
        cut_off_malformed: true,
    };
    let mut limited = SnapshotBuilder::new();
    let _ = limited.ingest_scrape("fuzz-broker-3", BufReader::with_capacity(5, data), &opts, 1_700_000_000_002);
    let _ = prom::parse_str_with(&text, &opts, |s| limited.ingest(s));

    builder.merge(chunked);
    builder.merge(limited);
    let snapshot = builder.finish();
    // the aggregated views must cope with whatever came out
    for t in snapshot.topics.values() {
        if let Some(h) = &t.publish_latency {
            let _ = h.mean_ms();
            let _ = h.quantile_upper_bound_ms(0.5);
            let _ = h.quantile_upper_bound_ms(0.99);
        }
        let _ = snapshot.subscriptions_of(&t.name).count();
        let _ = snapshot.partitions_of(&t.name).count();
    }
    for ns in snapshot.namespaces.keys() {
        let _ = snapshot.topics_in_namespace(ns).count();
    }
    let _ = snapshot.fallback_namespaces();
    let _ = serde_json::to_string(&snapshot);
});
