//! Tests of the metrics module. Fixtures live in `tests/fixtures/metrics/`.

mod fixture;
mod fuzz;
mod history;
mod interest;
mod model;
mod prom;

/// Reads a fixture file from `tests/fixtures/metrics/`.
pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/metrics/{}", env!("CARGO_MANIFEST_DIR"), name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The real Pulsar 4.0.8 standalone scrape.
pub(crate) const STANDALONE_4_0_8: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics/standalone-4.0.8.txt"));
