//! Broker metrics: Prometheus scrape parsing, aggregation and history.
//!
//! * [`prom`]: tolerant streaming parser for Pulsar's text exposition.
//! * [`model`]: aggregation of scrapes into a [`MetricsSnapshot`].
//! * [`history`]: bounded time series, trends and drain estimates.
//!
//! Pure code: no I/O besides the `BufRead` handed to the parser, no async.

pub mod history;
pub mod model;
pub mod prom;

pub use history::{time_to_drain, time_to_drain_at_rates, Drain, History, MetricsHistory, Trend};
pub use model::{
    AdminFallback, BrokerScrapeStatus, Interest, Kept, LatencyHistogram, MetricsSnapshot, NamespaceMetrics,
    ReplicationMetrics, SnapshotBuilder, SubscriptionMetrics, TopicMetrics,
};
pub use prom::{parse_chunked, parse_str, ParseOptions, ParseStats, Sample};

#[cfg(test)]
mod tests;
