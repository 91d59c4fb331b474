//! Writes the synthetic Pulsar scrape used by `benches/metrics_parse.rs`, so
//! `scripts/bench-metrics-python.py` can parse the very same bytes.
//!
//! `cargo run --release --example gen_scrape -- [PATH] [TOPICS] [SUBSCRIPTIONS]`
//! (defaults: the bench's temp file, 100000 topics, 300000 subscriptions).

#[path = "../benches/common/synth.rs"]
mod synth;

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next();
    let mut cfg = synth::SynthConfig::default();
    if let Some(t) = args.next().and_then(|a| a.parse().ok()) {
        cfg.topics = t;
    }
    if let Some(s) = args.next().and_then(|a| a.parse().ok()) {
        cfg.subscriptions = s;
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
                "{}\n{} bytes, {} lines, {} samples ({} topic series x {} families, {} subscription series x {} families)",
                path.display(),
                st.bytes,
                st.lines,
                st.samples,
                st.topic_series,
                synth::TOPIC_FAMILIES.len(),
                st.subscription_series,
                synth::SUB_FAMILIES.len()
            );
        }
        Err(e) => {
            eprintln!("write failed: {e}");
            std::process::exit(1);
        }
    }
}
