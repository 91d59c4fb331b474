//! The config file: found, parsed, and every problem reported with its file and line.
//! A bad config never stops the app: problems become [`ConfigWarning`]s.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod client_conf;
pub mod pulsarctl;
pub mod spans;

use spans::{line_of, KeyLines};

/// A secret (a token): `Debug` prints `<hidden>`, so no derived `Debug` of a config, a
/// panic message or a log line can show it. Read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

/// The documented default config (also written by `pulsar-tui info --default-config`).
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/default-config.toml");

/// Settings a config file may hold. Every field is optional; command-line flags and
/// environment variables win over it. `Debug` hides tokens and URL credentials.
#[derive(Clone, Default, PartialEq, Deserialize)]
pub struct FileConfig {
    pub service_url: Option<String>,
    pub admin_url: Option<String>,
    pub token: Option<Secret>,
    pub refresh_interval_secs: Option<u64>,
    pub op_timeout_secs: Option<u64>,
    pub theme: Option<String>,
    /// Seconds between two scrapes of every broker's `/metrics`.
    pub metrics_interval_secs: Option<u64>,
    /// Minutes of metrics history kept per series (sparklines, trends, drain estimates).
    pub metrics_history_minutes: Option<u64>,
    /// Fixed `/metrics` URLs to scrape instead of every broker the admin API lists.
    pub metrics_urls: Option<Vec<String>>,
    /// A file holding the JWT (re-read when the broker answers 401: rotated tokens).
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the JWT.
    pub token_env: Option<String>,
    /// Refuse every write.
    pub read_only: Option<bool>,
    /// A PEM file of CA certificates trusted for `pulsar+ssl://` and `https://`.
    pub tls_trust_certs_file: Option<PathBuf>,
    /// Accept any certificate (no checks at all); the header shows a warning badge.
    pub tls_allow_insecure: Option<bool>,
    /// Check that the certificate names the host (default true).
    pub tls_hostname_verification: Option<bool>,
    /// OAuth2 client credentials: the issuer's URL (discovery under it).
    pub oauth2_issuer_url: Option<String>,
    /// OAuth2: the JSON key file with `client_id` and `client_secret`.
    pub oauth2_credentials_file: Option<PathBuf>,
    pub oauth2_audience: Option<String>,
    pub oauth2_scope: Option<String>,
    /// The context used without `--context`.
    pub context: Option<String>,
    /// Named clusters; the chosen one's keys override the top-level ones.
    pub contexts: Option<std::collections::BTreeMap<String, ContextConfig>>,
    /// The user's keymap file (relative to the config file's directory) [default: keymap.toml there].
    pub keymap_file: Option<PathBuf>,
    /// The first view: `explorer` (default), `health` or `metrics`.
    pub start_view: Option<String>,
    /// `[health]`: the thresholds of the health view's findings.
    pub health: Option<crate::health::Thresholds>,
}

/// One named cluster of `[contexts.NAME]`. `Debug` hides tokens and URL credentials.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    pub service_url: Option<String>,
    pub admin_url: Option<String>,
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    pub token_env: Option<String>,
    pub read_only: Option<bool>,
    /// The header's colour for this context (a theme colour: `red`, `#ff8800`, `208`).
    pub color: Option<String>,
    pub metrics_urls: Option<Vec<String>>,
    /// A PEM file of CA certificates trusted for `pulsar+ssl://` and `https://`.
    pub tls_trust_certs_file: Option<PathBuf>,
    /// Accept any certificate (no checks at all); the header shows a warning badge.
    pub tls_allow_insecure: Option<bool>,
    /// Check that the certificate names the host (default true).
    pub tls_hostname_verification: Option<bool>,
    /// OAuth2 client credentials: the issuer's URL (discovery under it).
    pub oauth2_issuer_url: Option<String>,
    /// OAuth2: the JSON key file with `client_id` and `client_secret`.
    pub oauth2_credentials_file: Option<PathBuf>,
    pub oauth2_audience: Option<String>,
    pub oauth2_scope: Option<String>,
}

/// The keys of TLS and OAuth2, valid at the top level and in contexts.
const SECURITY_KEYS: &[&str] = &[
    "tls_trust_certs_file",
    "tls_allow_insecure",
    "tls_hostname_verification",
    "oauth2_issuer_url",
    "oauth2_credentials_file",
    "oauth2_audience",
    "oauth2_scope",
];

/// URLs as `Debug` shows them: without their user info (`http://user:password@host`).
fn urls_for_debug<'a>(urls: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    urls.into_iter().map(|u| crate::pulsar::redact_url(u)).collect()
}

/// The TLS and OAuth2 fields ([`SECURITY_KEYS`]) of a [`FileConfig`] or a [`ContextConfig`],
/// added to its `Debug` output (the issuer URL without user info).
macro_rules! security_fields {
    ($d:ident, $c:expr) => {
        $d.field("tls_trust_certs_file", &$c.tls_trust_certs_file)
            .field("tls_allow_insecure", &$c.tls_allow_insecure)
            .field("tls_hostname_verification", &$c.tls_hostname_verification)
            .field("oauth2_issuer_url", &$c.oauth2_issuer_url.as_deref().map(crate::pulsar::redact_url))
            .field("oauth2_credentials_file", &$c.oauth2_credentials_file)
            .field("oauth2_audience", &$c.oauth2_audience)
            .field("oauth2_scope", &$c.oauth2_scope)
    };
}

impl fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("FileConfig");
        d.field("service_url", &urls_for_debug(&self.service_url))
            .field("admin_url", &urls_for_debug(&self.admin_url))
            .field("token", &self.token)
            .field("refresh_interval_secs", &self.refresh_interval_secs)
            .field("op_timeout_secs", &self.op_timeout_secs)
            .field("theme", &self.theme)
            .field("metrics_interval_secs", &self.metrics_interval_secs)
            .field("metrics_history_minutes", &self.metrics_history_minutes)
            .field("metrics_urls", &self.metrics_urls.as_ref().map(urls_for_debug))
            .field("token_file", &self.token_file)
            .field("token_env", &self.token_env)
            .field("read_only", &self.read_only);
        security_fields!(d, self);
        d.field("context", &self.context).field("contexts", &self.contexts).finish()
    }
}

impl fmt::Debug for ContextConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ContextConfig");
        d.field("service_url", &urls_for_debug(&self.service_url))
            .field("admin_url", &urls_for_debug(&self.admin_url))
            .field("token", &self.token)
            .field("token_file", &self.token_file)
            .field("token_env", &self.token_env)
            .field("read_only", &self.read_only)
            .field("color", &self.color)
            .field("metrics_urls", &self.metrics_urls.as_ref().map(urls_for_debug));
        security_fields!(d, self);
        d.finish()
    }
}

const CONTEXT_KEYS: &[&str] =
    &["service_url", "admin_url", "token", "token_file", "token_env", "read_only", "color", "metrics_urls"];

impl FileConfig {
    /// The config as seen in context `name`: its keys over the top-level ones.
    pub fn in_context(&self, name: &str) -> Result<FileConfig, String> {
        let contexts = self.contexts.as_ref();
        let Some(c) = contexts.and_then(|cs| cs.get(name)) else {
            let known: Vec<&str> = contexts.map(|cs| cs.keys().map(String::as_str).collect()).unwrap_or_default();
            return Err(if known.is_empty() {
                format!("no context {name:?}: the config defines no [contexts.NAME]")
            } else {
                format!("no context {name:?}; the config defines: {}", known.join(", "))
            });
        };
        let mut out = self.clone();
        // a context's own credentials (a token or OAuth2) replace all of the top level's
        let oauth2 = c.oauth2_issuer_url.is_some() || c.oauth2_credentials_file.is_some();
        if c.token.is_some() || c.token_file.is_some() || c.token_env.is_some() || oauth2 {
            out.token = c.token.clone();
            out.token_file = c.token_file.clone();
            out.token_env = c.token_env.clone();
            out.oauth2_issuer_url = c.oauth2_issuer_url.clone();
            out.oauth2_credentials_file = c.oauth2_credentials_file.clone();
            out.oauth2_audience = c.oauth2_audience.clone();
            out.oauth2_scope = c.oauth2_scope.clone();
        }
        // TLS settings are inherited (a company CA serves every cluster) unless the context has its own
        out.tls_trust_certs_file = c.tls_trust_certs_file.clone().or(out.tls_trust_certs_file);
        out.tls_allow_insecure = c.tls_allow_insecure.or(out.tls_allow_insecure);
        out.tls_hostname_verification = c.tls_hostname_verification.or(out.tls_hostname_verification);
        if c.service_url.is_some() {
            out.service_url = c.service_url.clone();
            // the admin URL of another cluster is never inherited
            out.admin_url = None;
        }
        out.admin_url = c.admin_url.clone().or(out.admin_url);
        out.read_only = c.read_only.or(out.read_only);
        out.metrics_urls = c.metrics_urls.clone().or(out.metrics_urls);
        Ok(out)
    }

    /// The context's colour, when it has one.
    pub fn context_color(&self, name: &str) -> Option<String> {
        self.contexts.as_ref()?.get(name)?.color.clone()
    }
}

const KNOWN_KEYS: &[&str] = &[
    "service_url",
    "admin_url",
    "token",
    "refresh_interval_secs",
    "op_timeout_secs",
    "theme",
    "metrics_interval_secs",
    "metrics_history_minutes",
    "metrics_urls",
    "token_file",
    "token_env",
    "read_only",
    "context",
    "contexts",
    "keymap_file",
    "start_view",
    "health",
];

/// The metrics history keeps at most this many points per series (one per scrape), so a
/// window longer than this many scrape intervals is cut short.
pub const MAX_HISTORY_POINTS: u64 = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigWarning {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file.display(), l, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Where pulsar-tui keeps its files.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "pulsar-tui")
}

/// The config file to read, in order: `--config`, `$PULSAR_TUI_CONFIG`,
/// `$XDG_CONFIG_HOME/pulsar-tui/config.toml`, `~/.config/pulsar-tui/config.toml`, then the
/// platform's config dir. An explicit path is returned even when missing (so that the
/// user hears about it); discovered ones only when they exist.
pub fn discover(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PULSAR_TUI_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let mut candidates = Vec::new();
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(x).join("pulsar-tui/config.toml"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(home).join(".config/pulsar-tui/config.toml"));
    }
    if let Some(d) = project_dirs() {
        candidates.push(d.config_dir().join("config.toml"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// The directory of pulsar-tui's own config files when no config file is in use:
/// `$XDG_CONFIG_HOME/pulsar-tui`, `~/.config/pulsar-tui`, then the platform's config dir.
pub fn default_config_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("pulsar-tui"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(home).join(".config/pulsar-tui"));
    }
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The user's keymap file: the config's `keymap_file` (relative to the config file's
/// directory), else `keymap.toml` next to the config file, else in the default config dir.
pub fn keymap_path(config_path: Option<&Path>, file: &FileConfig) -> Option<PathBuf> {
    let dir = config_path.and_then(|p| p.parent()).map(Path::to_path_buf).or_else(default_config_dir);
    match (&file.keymap_file, dir) {
        (Some(k), _) if k.is_absolute() => Some(k.clone()),
        (Some(k), Some(d)) => Some(d.join(k)),
        (Some(k), None) => Some(k.clone()),
        (None, d) => d.map(|d| d.join("keymap.toml")),
    }
}

/// Reads and checks a config file. Never fails: what cannot be used is a warning.
pub fn load(path: &Path) -> (FileConfig, Vec<ConfigWarning>) {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) => (
            FileConfig::default(),
            vec![ConfigWarning { file: path.to_path_buf(), line: None, message: format!("cannot read: {e}") }],
        ),
    }
}

/// Parses config text; unknown keys and bad values are reported with their line and skipped.
pub fn parse(path: &Path, text: &str) -> (FileConfig, Vec<ConfigWarning>) {
    let warn = |line: Option<usize>, message: String| ConfigWarning { file: path.to_path_buf(), line, message };
    let mut table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            let msg = format!("not valid TOML, file ignored: {}", e.message());
            return (FileConfig::default(), vec![warn(line, msg)]);
        }
    };
    let mut warnings = Vec::new();
    let lines = KeyLines::of(text);
    let key_line = |key: &str| lines.line(&[key]);
    let keys: Vec<String> = table.keys().cloned().collect();
    for key in keys {
        let line = key_line(&key);
        if !KNOWN_KEYS.contains(&key.as_str()) && !SECURITY_KEYS.contains(&key.as_str()) {
            warnings.push(warn(line, format!("unknown key {key:?} (ignored)")));
            table.remove(&key);
            continue;
        }
        if key == "contexts" {
            check_contexts(&lines, &mut table, &mut warnings, &warn);
            continue;
        }
        // check each value alone, so that one bad value does not discard the others
        let mut single = toml::Table::new();
        single.insert(key.clone(), table[&key].clone());
        if let Err(e) = single.try_into::<FileConfig>() {
            warnings.push(warn(line, format!("bad value for {key:?}: {} (ignored)", e.message())));
            table.remove(&key);
        }
    }
    for key in ["refresh_interval_secs", "op_timeout_secs", "metrics_interval_secs", "metrics_history_minutes"] {
        if table.get(key).and_then(|v| v.as_integer()) == Some(0) {
            warnings.push(warn(key_line(key), format!("{key} must be at least 1 (ignored)")));
            table.remove(key);
        }
    }
    if let Some(urls) = table.get("metrics_urls").and_then(|v| v.as_array()) {
        let bad: Vec<&str> = urls
            .iter()
            .filter_map(|u| u.as_str())
            .filter(|u| !(u.starts_with("http://") || u.starts_with("https://")) || u.contains(char::is_whitespace))
            .collect();
        if !bad.is_empty() {
            let msg = format!("metrics_urls must be http:// or https:// URLs, not {bad:?} (ignored)");
            warnings.push(warn(key_line("metrics_urls"), msg));
            table.remove("metrics_urls");
        }
    }
    if let Some(v) = table.get("start_view") {
        if !matches!(v.as_str(), Some("explorer" | "health" | "metrics")) {
            let msg = format!("start_view must be \"explorer\", \"health\" or \"metrics\", not {v} (ignored)");
            warnings.push(warn(key_line("start_view"), msg));
            table.remove("start_view");
        }
    }
    if let Some(t) = table.get("health").cloned().and_then(|v| v.try_into::<crate::health::Thresholds>().ok()) {
        let line = key_line("health");
        for p in t.problems() {
            warnings.push(warn(line, format!("{p} (the default is used)")));
        }
    }
    let interval = table.get("metrics_interval_secs").and_then(|v| v.as_integer()).unwrap_or(5).max(1) as u64;
    if let Some(minutes) = table.get("metrics_history_minutes").and_then(|v| v.as_integer()) {
        let points = (minutes as u64).saturating_mul(60) / interval;
        if points > MAX_HISTORY_POINTS {
            let msg = format!(
                "metrics_history_minutes = {minutes} is {points} scrapes at {interval} s; only the last \
                 {MAX_HISTORY_POINTS} are kept (about {} min)",
                MAX_HISTORY_POINTS * interval / 60
            );
            warnings.push(warn(key_line("metrics_history_minutes"), msg));
        }
    }
    let cfg = table.try_into::<FileConfig>().unwrap_or_default();
    warnings.sort_by_key(|w| w.line);
    (cfg, warnings)
}

/// `[contexts.NAME]` tables: unknown keys and bad values are reported per context, with
/// the line, and dropped; the rest of the context stays.
fn check_contexts(
    lines: &KeyLines,
    table: &mut toml::Table,
    warnings: &mut Vec<ConfigWarning>,
    warn: &dyn Fn(Option<usize>, String) -> ConfigWarning,
) {
    let Some(contexts) = table.get_mut("contexts").and_then(|v| v.as_table_mut()) else {
        warnings.push(warn(lines.line(&["contexts"]), "contexts must be tables: [contexts.NAME] (ignored)".into()));
        table.remove("contexts");
        return;
    };
    let names: Vec<String> = contexts.keys().cloned().collect();
    for name in names {
        let header = lines.line(&["contexts", &name]);
        let Some(ctx) = contexts.get_mut(&name).and_then(|v| v.as_table_mut()) else {
            warnings.push(warn(header, format!("contexts.{name} must be a table (ignored)")));
            contexts.remove(&name);
            continue;
        };
        let keys: Vec<String> = ctx.keys().cloned().collect();
        for key in keys {
            let line = lines.line(&["contexts", &name, &key]);
            if !CONTEXT_KEYS.contains(&key.as_str()) && !SECURITY_KEYS.contains(&key.as_str()) {
                warnings.push(warn(line, format!("contexts.{name}: unknown key {key:?} (ignored)")));
                ctx.remove(&key);
                continue;
            }
            let mut single = toml::Table::new();
            single.insert(key.clone(), ctx[&key].clone());
            if let Err(e) = single.try_into::<ContextConfig>() {
                warnings.push(warn(line, format!("contexts.{name}: bad value for {key:?}: {} (ignored)", e.message())));
                ctx.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod context_tests;
#[cfg(test)]
mod tests;
