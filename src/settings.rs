//! Resolves the effective settings: flags and environment over the config file over defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::keys::Keymap;
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
    /// The theme's name (`--theme`, else the config's `theme`).
    pub theme: Option<String>,
    /// The user's keymap file (it need not exist).
    pub keymap_path: Option<PathBuf>,
    /// The default keymap with the user's file on top.
    pub keymap: Keymap,
}

pub fn resolve(cli: &Cli) -> Resolved {
    let config_path = config::discover(cli.config.as_deref());
    let (file, mut warnings) = match &config_path {
        Some(p) => config::load(p),
        None => (FileConfig::default(), Vec::new()),
    };
    // Pulsar's client.conf: by explicit path, or when no config of our own exists
    let client_conf =
        cli.client_conf.clone().or_else(|| config_path.is_none().then(config::client_conf::discover).flatten());
    let mut file = file;
    if let Some(p) = &client_conf {
        match std::fs::read_to_string(p) {
            Ok(text) => {
                let (ctx, w) = config::client_conf::parse(p, &text);
                warnings.extend(w);
                file.contexts.get_or_insert_with(Default::default).insert("client.conf".into(), ctx);
                if cli.context.is_none() {
                    file.context = Some("client.conf".into());
                }
            }
            Err(e) => warnings.push(config::ConfigWarning {
                file: p.clone(),
                line: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let keymap_path = config::keymap_path(config_path.as_deref(), &file);
    let keymap = match &keymap_path {
        Some(p) => {
            let (keymap, w) = Keymap::load(p);
            warnings.extend(w);
            keymap
        }
        None => Keymap::default(),
    };
    let contexts: Vec<String> = file.contexts.iter().flat_map(|cs| cs.keys().cloned()).collect();
    let context = cli.context.clone().or(file.context.clone());
    let (file, context) = match &context {
        Some(name) => match file.in_context(name) {
            Ok(f) => {
                let color = file.context_color(name);
                (f, Some((name.clone(), color)))
            }
            Err(e) => {
                let path = config_path.clone().unwrap_or_default();
                warnings.push(config::ConfigWarning { file: path, line: None, message: e });
                (file, None)
            }
        },
        None => (file, None),
    };
    let (token, token_problem) = token_of(cli, &file);
    if let Some(message) = token_problem {
        let path = config_path.clone().or(client_conf.clone()).unwrap_or_default();
        warnings.push(config::ConfigWarning { file: path, line: None, message });
    }
    if let (Some(p), Some(_)) = (&config_path, &file.token) {
        if let Some(w) = world_readable(p) {
            warnings.push(w);
        }
    }
    let service_url =
        cli.service_url.clone().or(file.service_url.clone()).unwrap_or_else(|| DEFAULT_SERVICE_URL.to_string());
    let admin_url = cli.admin_url.clone().or(file.admin_url.clone()).unwrap_or_else(|| derive_admin_url(&service_url));
    let op_timeout = Duration::from_secs(cli.timeout.or(file.op_timeout_secs).unwrap_or(10).max(1));
    let target = ClusterTarget {
        service_url: service_url.clone(),
        admin_url: admin_url.clone(),
        token,
        token_file: if cli.token.is_some() { None } else { file.token_file.clone() },
        op_timeout,
        read_only: cli.read_only || file.read_only.unwrap_or(false),
    };
    let app = app_settings(&file, service_url, admin_url);
    let data_dir = config::project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("pulsar-tui"));
    let log_path = cli.log_file.clone().unwrap_or_else(|| data_dir.join("pulsar-tui.log"));
    let app = Settings {
        export_dir: data_dir.join("exports"),
        journal_path: data_dir.join("requeue-journal.jsonl"),
        read_only: target.read_only,
        context,
        contexts,
        ..app
    };
    let theme = cli.theme.clone().or(file.theme.clone());
    Resolved { target, app, config_path, warnings, log_path, data_dir, theme, keymap_path, keymap }
}

/// The cluster and settings of one context of the config, for `:ctx NAME` in the TUI: the
/// config file is read again, and the flags naming one cluster (`--service-url`,
/// `--admin-url`, `--token` and their environment variables) no longer apply; `--read-only`
/// still does (it only ever makes things safer).
pub fn resolve_context(cli: &Cli, name: &str) -> Result<(ClusterTarget, Settings), String> {
    let mut cli = cli.clone();
    cli.context = Some(name.to_string());
    cli.service_url = None;
    cli.admin_url = None;
    cli.token = None;
    let r = resolve(&cli);
    match &r.app.context {
        Some((n, _)) if n == name => Ok((r.target, r.app)),
        _ => Err(r.warnings.last().map(|w| w.message.clone()).unwrap_or_else(|| format!("no context {name:?}"))),
    }
}

/// The JWT: `--token`/`$PULSAR_TOKEN`, else the config's `token`, `token_file` or
/// `token_env`; and why a configured source gave nothing (never the token itself).
fn token_of(cli: &Cli, file: &FileConfig) -> (Option<String>, Option<String>) {
    if let Some(t) = cli.token.clone().filter(|t| !t.is_empty()) {
        return (Some(t), None);
    }
    if let Some(t) = file.token.clone().filter(|t| !t.is_empty()) {
        return (Some(t), None);
    }
    if let Some(p) = &file.token_file {
        return match std::fs::read_to_string(p) {
            Ok(t) if !t.trim().is_empty() => (Some(t.trim().to_string()), None),
            Ok(_) => (None, Some(format!("token_file {} is empty", p.display()))),
            Err(e) => (None, Some(format!("token_file {}: {e}", p.display()))),
        };
    }
    if let Some(var) = &file.token_env {
        return match std::env::var(var) {
            Ok(t) if !t.trim().is_empty() => (Some(t.trim().to_string()), None),
            _ => (None, Some(format!("token_env: ${var} is not set"))),
        };
    }
    (None, None)
}

/// A config file holding a secret should not be readable by everyone.
fn world_readable(path: &std::path::Path) -> Option<config::ConfigWarning> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o004 != 0 {
            return Some(config::ConfigWarning {
                file: path.to_path_buf(),
                line: None,
                message: format!(
                    "holds a token but is readable by everyone (mode {:o}): chmod 600 {}",
                    mode & 0o777,
                    path.display()
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

/// The app's knobs from the config file (defaults for what it leaves out).
pub fn app_settings(file: &FileConfig, service_url: String, admin_url: String) -> Settings {
    let d = Settings::default();
    Settings {
        refresh_interval: file.refresh_interval_secs.map_or(d.refresh_interval, |s| Duration::from_secs(s.max(1))),
        metrics_interval: file.metrics_interval_secs.map_or(d.metrics_interval, |s| Duration::from_secs(s.max(1))),
        metrics_window: file.metrics_history_minutes.map_or(d.metrics_window, |m| Duration::from_secs(m.max(1) * 60)),
        metrics_urls: file.metrics_urls.clone().unwrap_or_default(),
        service_url,
        admin_url,
        ..d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> (String, String) {
        ("pulsar://a:6650".into(), "http://a:8080".into())
    }

    #[test]
    fn metrics_defaults_without_a_config_file() {
        let (s, a) = urls();
        let app = app_settings(&FileConfig::default(), s, a);
        assert_eq!(app.refresh_interval, Duration::from_secs(5));
        assert_eq!(app.metrics_interval, Duration::from_secs(5));
        assert_eq!(app.metrics_window, Duration::from_secs(15 * 60));
        assert!(app.metrics_urls.is_empty());
        assert_eq!(app.admin_url, "http://a:8080");
    }

    #[test]
    fn metrics_keys_from_the_config_file_reach_the_app() {
        let text = "metrics_interval_secs = 2\nmetrics_history_minutes = 30\n\
                    metrics_urls = [\"http://b1:8080/metrics/\"]\nrefresh_interval_secs = 7\n";
        let (file, warnings) = config::parse(std::path::Path::new("/x/config.toml"), text);
        assert!(warnings.is_empty(), "{warnings:?}");
        let (s, a) = urls();
        let app = app_settings(&file, s, a);
        assert_eq!(app.metrics_interval, Duration::from_secs(2));
        assert_eq!(app.metrics_window, Duration::from_secs(30 * 60));
        assert_eq!(app.metrics_urls, vec!["http://b1:8080/metrics/".to_string()]);
        assert_eq!(app.refresh_interval, Duration::from_secs(7));
    }

    #[test]
    fn the_default_config_gives_the_default_settings() {
        let (file, _) = config::parse(std::path::Path::new("/x/config.toml"), config::DEFAULT_CONFIG);
        let (s, a) = urls();
        let app = app_settings(&file, s, a);
        let d = Settings::default();
        assert_eq!((app.metrics_interval, app.metrics_window), (d.metrics_interval, d.metrics_window));
        assert_eq!(app.metrics_urls, d.metrics_urls);
    }
}
