//! Peak memory of one bounded metrics scrape, parsed from a file (issue 21's memory row,
//! without the TUI around it): the process's peak and current RSS after the scrape streamed
//! and after it is finished (run it under heaptrack for where the bytes go).
//!
//! `cargo run --release --example metrics_peak -- PATH [tui|namespace|all]`
//! (`tui`: the interest the app sends with an untouched screen; `namespace`: the headless
//! `--namespace tenant-0/ns-0`; `all`: every row).

/// The binary's allocator, so the numbers are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pulsar_tui::metrics::prom::ParseOptions;
use pulsar_tui::metrics::{Interest, SnapshotBuilder};

/// `VmHWM` and `VmRSS` of this process, in MB (0 where /proc does not say).
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: metrics_peak PATH [tui|namespace|all]");
        std::process::exit(2);
    };
    let interest = match args.next().as_deref() {
        Some("all") => Interest::everything(),
        Some("namespace") => Interest { namespaces: vec!["tenant-0/ns-0".into()], ..Interest::bounded(0, 0) },
        _ => Interest::bounded(200, 2_000),
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot open {path}: {e}");
            std::process::exit(1);
        }
    };
    let t0 = std::time::Instant::now();
    let mut b = SnapshotBuilder::with_interest(&interest);
    let reader = std::io::BufReader::with_capacity(256 * 1024, file);
    let opts = ParseOptions { max_bytes: None, ..ParseOptions::default() };
    let status = b.ingest_scrape("file", reader, &opts, 0).clone();
    let streamed = rss();
    let snap = b.finish_with(&interest);
    let finished = rss();
    println!(
        "{:?}\nstreamed: peak {:.1} MB, now {:.1} MB; finished: peak {:.1} MB, now {:.1} MB \
         ({} topics, {} partitions, {} subscriptions, {} namespaces, kept {:?}); {:.1} s",
        status.result.as_ref().map(|s| s.samples),
        streamed.0,
        streamed.1,
        finished.0,
        finished.1,
        snap.topics.len(),
        snap.partitions.len(),
        snap.subscriptions.len(),
        snap.namespaces.len(),
        snap.kept,
        t0.elapsed().as_secs_f64()
    );
}
