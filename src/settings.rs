//! Resolves the effective settings: flags and environment over the config file over defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::Settings;
use crate::cli::Cli;
use crate::config::{self, ConfigWarning, FileConfig};
use crate::pulsar::{derive_admin_url, ClusterTarget};

pub const DEFAULT_SERVICE_URL: &str = "pulsar://127.0.0.1:6650";

#[derive(Debug, Clone)]
pub struct Resolved {
    pub target: ClusterTarget,
    pub app: Settings,
    pub config_path: Option<PathBuf>,
    pub warnings: Vec<ConfigWarning>,
    pub log_path: PathBuf,
    pub data_dir: PathBuf,
}

pub fn resolve(cli: &Cli) -> Resolved {
    let config_path = config::discover(cli.config.as_deref());
    let (file, warnings) = match &config_path {
        Some(p) => config::load(p),
        None => (FileConfig::default(), Vec::new()),
    };
    let service_url = cli.service_url.clone().or(file.service_url).unwrap_or_else(|| DEFAULT_SERVICE_URL.to_string());
    let admin_url = cli.admin_url.clone().or(file.admin_url).unwrap_or_else(|| derive_admin_url(&service_url));
    let op_timeout = Duration::from_secs(cli.timeout.or(file.op_timeout_secs).unwrap_or(10).max(1));
    let target = ClusterTarget {
        service_url: service_url.clone(),
        admin_url: admin_url.clone(),
        token: cli.token.clone().or(file.token).filter(|t| !t.is_empty()),
        op_timeout,
        read_only: cli.read_only,
    };
    let app = Settings {
        refresh_interval: Duration::from_secs(file.refresh_interval_secs.unwrap_or(5)),
        service_url,
        admin_url,
        ..Settings::default()
    };
    let data_dir = config::project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("pulsar-tui"));
    let log_path = cli.log_file.clone().unwrap_or_else(|| data_dir.join("pulsar-tui.log"));
    let app = Settings {
        export_dir: data_dir.join("exports"),
        journal_path: data_dir.join("requeue-journal.jsonl"),
        read_only: target.read_only,
        ..app
    };
    Resolved { target, app, config_path, warnings, log_path, data_dir }
}
