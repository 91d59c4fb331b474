//! Writes the synthetic Pulsar scrape used by `benches/metrics_parse.rs`, so
//! `scripts/bench-metrics` can hand Python's parser the very same bytes.
//!
//! `cargo run --release --example gen_scrape -- [PATH] [TOPIC_SERIES] [SUBSCRIPTION_SERIES]`
//! (defaults: the bench's temp file, 100000 topic series, 300000 subscription series).
//! Prints the path, then one `key=value` line the script reads.

#[path = "../benches/common/synth.rs"]
mod synth;

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next();
    let mut cfg = synth::SynthConfig::default();
    if let Some(t) = args.next().and_then(|a| a.parse().ok()) {
        cfg.topic_series = t;
    }
    if let Some(s) = args.next().and_then(|a| a.parse().ok()) {
        cfg.subscription_series = s;
    }
    let path = path.map_or_else(|| synth::default_path(&cfg), Into::into);
    let file = match std::fs::File::create(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot create {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    match synth::write_scrape(file, &cfg) {
        Ok(st) => {
            let _ = writeln!(
                std::io::stdout(),
                "{}\nbytes={} lines={} samples={} topic_series={} subscription_series={} topic_rows={} \
                 subscription_rows={} topic_families={} subscription_families={}",
                path.display(),
                st.bytes,
                st.lines,
                st.samples,
                st.topic_series,
                st.subscription_series,
                st.topic_rows,
                st.subscription_rows,
                synth::TOPIC_FAMILIES.len(),
                synth::SUB_FAMILIES.len()
            );
        }
        Err(e) => {
            eprintln!("write failed: {e}");
            std::process::exit(1);
        }
    }
}
