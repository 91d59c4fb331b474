//! The app's settings (from the config, the command line and the context in use).

use std::time::Duration;

use super::browser;

/// Knobs of the app that do not come from the terminal.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often the details pane re-reads the stats it shows.
    pub refresh_interval: Duration,
    /// How often to probe the broker while it is unreachable.
    pub reconnect_interval: Duration,
    /// The cluster as the user named it (shown until the broker answers).
    pub service_url: String,
    pub admin_url: String,
    /// Messages per page read by the browser.
    pub page_size: usize,
    /// Messages the browser keeps in memory at most.
    pub window: usize,
    /// How often every broker's `/metrics` is scraped.
    pub metrics_interval: Duration,
    /// How much metrics history is kept.
    pub metrics_window: Duration,
    /// Fixed `/metrics` URLs; empty = every broker the admin API lists.
    pub metrics_urls: Vec<String>,
    /// Where exports are written.
    pub export_dir: std::path::PathBuf,
    /// The requeue journal (JSON lines of every message moved out of a DLQ).
    pub journal_path: std::path::PathBuf,
    /// Writes are refused by the client; the header says `[RO]`.
    pub read_only: bool,
    /// A TLS check is off (insecure switch or no hostname check): the header warns.
    pub tls_insecure: bool,
    /// The config context in use and its colour (shown in the header).
    pub context: Option<(String, Option<String>)>,
    /// Every context of the config (`:ctx` completes them).
    pub contexts: Vec<String>,
    /// The clusters of the contexts (for geo-replication: `X` opens the same topic in the
    /// other cluster's context, `V` compares the topic on both; `app/replication.rs`).
    pub peers: Vec<(String, crate::pulsar::ClusterTarget)>,
    /// The health view's thresholds (`[health]` of the config).
    pub health: Box<crate::health::Thresholds>,
    /// The first view (`start_view` of the config).
    pub start_view: super::View,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            refresh_interval: Duration::from_secs(5),
            reconnect_interval: Duration::from_secs(2),
            service_url: "pulsar://127.0.0.1:6650".into(),
            admin_url: "http://127.0.0.1:8080".into(),
            page_size: browser::PAGE,
            window: browser::WINDOW,
            metrics_interval: Duration::from_secs(5),
            metrics_window: Duration::from_secs(15 * 60),
            metrics_urls: Vec::new(),
            export_dir: std::env::temp_dir().join("pulsar-tui-exports"),
            journal_path: std::env::temp_dir().join("pulsar-tui-requeue-journal.jsonl"),
            read_only: false,
            tls_insecure: false,
            context: None,
            contexts: Vec::new(),
            peers: Vec::new(),
            health: Box::default(),
            start_view: super::View::Explorer,
        }
    }
}
