//! Resolves the effective settings: flags and environment over the config file over defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::keys::Keymap;
use crate::app::Settings;
use crate::cli::Cli;
use crate::config::{self, ConfigWarning, FileConfig};
use crate::pulsar::{derive_admin_url, ClusterTarget, OAuth2Params, TlsOptions};

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
                if cli.context.is_empty() {
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
    // pulsarctl's config: by explicit path, or when no config of our own exists. Its
    // contexts never replace ours (same name: ours wins); its current-context is used
    // unless --context, an explicit --client-conf, or (for the discovered file) another
    // import or our config already chose one
    let pulsarctl =
        cli.pulsarctl_config.clone().or_else(|| config_path.is_none().then(config::pulsarctl::discover).flatten());
    if let Some(p) = &pulsarctl {
        match std::fs::read_to_string(p) {
            Ok(text) => {
                let imported = config::pulsarctl::parse(p, &text);
                warnings.extend(imported.warnings);
                let contexts = file.contexts.get_or_insert_with(Default::default);
                let mut inline_token = false;
                for (name, ctx) in imported.contexts {
                    if contexts.contains_key(&name) {
                        let message = format!("context {name} is defined already: pulsarctl's is not imported");
                        warnings.push(config::ConfigWarning { file: p.clone(), line: None, message });
                        continue;
                    }
                    inline_token |= ctx.token.is_some();
                    contexts.insert(name, ctx);
                }
                if inline_token {
                    warnings.extend(world_readable(p));
                }
                let explicit = cli.pulsarctl_config.is_some() && cli.client_conf.is_none();
                if cli.context.is_empty() && (explicit || file.context.is_none()) {
                    if let Some(current) = imported.current {
                        file.context = Some(current);
                    }
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
    let context = cli.context.first().cloned().or(file.context.clone());
    let (file, context) = match &context {
        Some(name) => match file.in_context(name) {
            Ok(f) => {
                let color = file.context_color(name);
                (f, Some((name.clone(), color)))
            }
            Err(e) => {
                let path = config_path.clone().or(pulsarctl.clone()).unwrap_or_default();
                warnings.push(config::ConfigWarning { file: path, line: None, message: e });
                (file, None)
            }
        },
        None => (file, None),
    };
    let (oauth2, oauth2_problems) = oauth2_of(cli, &file);
    let (token, token_problem) = if oauth2.is_some() { (None, None) } else { token_of(cli, &file) };
    let tls = TlsOptions {
        trust_certs_file: cli.tls_trust_certs_file.clone().or(file.tls_trust_certs_file.clone()),
        allow_insecure: cli.tls_allow_insecure || file.tls_allow_insecure.unwrap_or(false),
        hostname_verification: file.tls_hostname_verification.unwrap_or(true),
    };
    let mut problems: Vec<String> = oauth2_problems.into_iter().chain(token_problem).collect();
    if let Some(p) = &tls.trust_certs_file {
        if let Err(e) = std::fs::metadata(p) {
            problems.push(format!("tls_trust_certs_file {}: {e}", p.display()));
        }
    }
    for message in problems {
        let path = config_path.clone().or(client_conf.clone()).or(pulsarctl.clone()).unwrap_or_default();
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
        token_file: if cli.token.is_some() || oauth2.is_some() { None } else { file.token_file.clone() },
        op_timeout,
        read_only: cli.read_only || file.read_only.unwrap_or(false),
        tls,
        oauth2,
    };
    // the app shows these (header, info): never with credentials in them
    let app = app_settings(&file, crate::pulsar::redact_url(&service_url), crate::pulsar::redact_url(&admin_url));
    let data_dir = config::project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("pulsar-tui"));
    let log_path = cli.log_file.clone().unwrap_or_else(|| data_dir.join("pulsar-tui.log"));
    let app = Settings {
        export_dir: data_dir.join("exports"),
        journal_path: data_dir.join("requeue-journal.jsonl"),
        read_only: target.read_only,
        tls_insecure: target.tls_insecure(),
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
    cli.context = vec![name.to_string()];
    cli.service_url = None;
    cli.admin_url = None;
    cli.token = None;
    let r = resolve(&cli);
    match &r.app.context {
        Some((n, _)) if n == name => Ok((r.target, r.app)),
        _ => Err(r.warnings.last().map(|w| w.message.clone()).unwrap_or_else(|| format!("no context {name:?}"))),
    }
}

/// The cluster of every context of the config (those that resolve), for geo-replication:
/// `X` and `V` find the other cluster's context among them.
pub fn peers(cli: &Cli, contexts: &[String]) -> Vec<(String, ClusterTarget)> {
    contexts.iter().filter_map(|n| resolve_context(cli, n).ok().map(|(t, _)| (n.clone(), t))).collect()
}

/// OAuth2 client credentials from the config (unless `--token`/`$PULSAR_TOKEN` is given),
/// and what is wrong with them (an incomplete setup is ignored with a warning).
fn oauth2_of(cli: &Cli, file: &FileConfig) -> (Option<OAuth2Params>, Vec<String>) {
    let mut problems = Vec::new();
    if file.oauth2_issuer_url.is_none() && file.oauth2_credentials_file.is_none() {
        return (None, problems);
    }
    if cli.token.as_deref().is_some_and(|t| !t.is_empty()) {
        return (None, problems);
    }
    let (Some(issuer), Some(creds)) = (&file.oauth2_issuer_url, &file.oauth2_credentials_file) else {
        problems.push("OAuth2 needs both oauth2_issuer_url and oauth2_credentials_file (OAuth2 ignored)".into());
        return (None, problems);
    };
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        problems.push(format!("oauth2_issuer_url must be an http:// or https:// URL, not {issuer:?} (OAuth2 ignored)"));
        return (None, problems);
    }
    if let Err(e) = std::fs::metadata(creds) {
        problems.push(format!("oauth2_credentials_file {}: {e}", creds.display()));
    }
    if file.token.is_some() || file.token_file.is_some() || file.token_env.is_some() {
        problems.push("both a token and OAuth2 are configured: OAuth2 is used".into());
    }
    let params = OAuth2Params {
        issuer_url: issuer.clone(),
        credentials_file: creds.clone(),
        audience: file.oauth2_audience.clone(),
        scope: file.oauth2_scope.clone(),
    };
    (Some(params), problems)
}

/// The JWT: `--token`/`$PULSAR_TOKEN`, else the config's `token`, `token_file` or
/// `token_env`; and why a configured source gave nothing (never the token itself).
fn token_of(cli: &Cli, file: &FileConfig) -> (Option<String>, Option<String>) {
    if let Some(t) = cli.token.clone().filter(|t| !t.is_empty()) {
        return (Some(t), None);
    }
    if let Some(t) = file.token.as_ref().filter(|t| !t.is_empty()) {
        return (Some(t.expose().to_string()), None);
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
        health: Box::new(file.health.clone().unwrap_or_default().sane()),
        start_view: match file.start_view.as_deref() {
            Some("health") => crate::app::View::Health,
            Some("metrics") => crate::app::View::Metrics,
            _ => crate::app::View::Explorer,
        },
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

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/config/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn cli(args: &[&str]) -> Cli {
        use clap::Parser;
        let mut all = vec!["pulsar-tui", "--config", "/nonexistent/pulsar-tui/config.toml"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap()
    }

    #[test]
    fn oauth2_needs_an_issuer_and_a_credentials_file_and_a_flag_token_wins() {
        let (file, _) = config::parse(
            std::path::Path::new("/x/config.toml"),
            "oauth2_issuer_url = \"https://auth.example/\"\noauth2_credentials_file = \"/nonexistent/key.json\"\n\
             oauth2_audience = \"urn:a\"\ntoken = \"t\"\n",
        );
        let (o, problems) = oauth2_of(&cli(&[]), &file);
        let o = o.expect("configured");
        assert_eq!((o.issuer_url.as_str(), o.audience.as_deref()), ("https://auth.example/", Some("urn:a")));
        assert!(problems.iter().any(|p| p.contains("/nonexistent/key.json")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("OAuth2 is used")), "{problems:?}");
        let (o, _) = oauth2_of(&cli(&["--token", "flag"]), &file);
        assert_eq!(o, None, "--token wins over the config's OAuth2");
        let half = FileConfig { oauth2_issuer_url: Some("https://auth.example/".into()), ..Default::default() };
        let (o, problems) = oauth2_of(&cli(&[]), &half);
        assert_eq!(o, None);
        assert!(problems[0].contains("needs both"), "{problems:?}");
        let bad = FileConfig {
            oauth2_issuer_url: Some("auth.example".into()),
            oauth2_credentials_file: Some("/k.json".into()),
            ..Default::default()
        };
        assert!(oauth2_of(&cli(&[]), &bad).1[0].contains("http:// or https://"));
    }

    #[test]
    fn an_explicit_pulsarctl_config_is_imported_with_its_current_context() {
        // flags and the environment win over contexts: check only what they leave alone
        let env_free = |v: &str| std::env::var_os(v).is_none();
        let r = resolve(&cli(&["--pulsarctl-config", &fixture("pulsarctl-config.yaml")]));
        if env_free("PULSAR_TUI_CONTEXT") {
            assert_eq!(r.app.context.as_ref().map(|c| c.0.as_str()), Some("staging"), "{:?}", r.warnings);
            if env_free("PULSAR_TOKEN") {
                assert_eq!(r.target.token.as_deref(), Some("eyJhbGciOiJIUzI1NiJ9.c3RhZ2luZw.c2ln"));
            }
            if env_free("PULSAR_ADMIN_URL") {
                assert_eq!(r.target.admin_url, "http://pulsar.staging.example:8080");
            }
        }
        // the derived broker URL of prod is reported; our missing config file is too
        assert!(r.warnings.iter().any(|w| w.message.contains("pulsarctl has no broker URL")), "{:?}", r.warnings);
        let r = resolve(&cli(&["--pulsarctl-config", &fixture("pulsarctl-config.yaml"), "--context", "prod"]));
        assert_eq!(r.app.context.as_ref().map(|c| c.0.as_str()), Some("prod"));
        if env_free("PULSAR_TOKEN") {
            assert_eq!(r.target.token, None, "the token file does not exist");
            assert_eq!(r.target.token_file.as_deref(), Some(std::path::Path::new("/etc/pulsar/prod.jwt")));
            assert!(
                r.warnings.iter().any(|w| w.message.contains("token_file /etc/pulsar/prod.jwt")),
                "{:?}",
                r.warnings
            );
        }
        if env_free("PULSAR_SERVICE_URL") {
            assert_eq!(r.target.service_url, "pulsar+ssl://pulsar.prod.example:6651");
        }
        assert!(!format!("{r:?}").contains("c3RhZ2luZw"));
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
