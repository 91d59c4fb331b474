//! pulsarctl's config (`~/.config/pulsar/config`, YAML, kubectl-like), imported as contexts:
//!
//! ```yaml
//! auth-info:
//!   prod:
//!     locationOfOrigin: /home/me/.config/pulsar/config
//!     tls_trust_certs_file_path: ""
//!     tls_allow_insecure_connection: false
//!     token: ""
//!     tokenFile: /etc/pulsar/prod.jwt
//!     issuer_endpoint: ""          # OAuth2: issuer_endpoint, client_id, audience, key_file, scope
//! contexts:
//!   prod:
//!     admin-service-url: https://pulsar.prod.example:8443
//!     bookie-service-url: http://bookie.prod.example:8080
//! current-context: prod
//! ```
//!
//! (pulsarctl's `Config`/`AuthInfo`/`Context` types in `pkg/cmdutils`: `pulsarctl context set
//! NAME` writes `contexts.NAME` and `auth-info.NAME`; older files name the auth info with a
//! context's `user` key.) pulsarctl only talks to the admin API, so a context has no broker
//! URL: it is derived from the admin URL's host (`pulsar://HOST:6650`, or
//! `pulsar+ssl://HOST:6651` for https) with a warning, unless the context has a
//! `broker-service-url`.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use super::{ConfigWarning, ContextConfig};

/// What a pulsarctl config gives: its contexts, the one in use, and the problems found.
#[derive(Debug, Default)]
pub struct Imported {
    pub contexts: Vec<(String, ContextConfig)>,
    pub current: Option<String>,
    pub warnings: Vec<ConfigWarning>,
}

const AUTH_KEYS: &[&str] = &[
    "locationOfOrigin",
    "locationoforigin",
    "tls_trust_certs_file_path",
    "tls_allow_insecure_connection",
    "token",
    "tokenFile",
    "issuer_endpoint",
    "client_id",
    "clientID",
    "audience",
    "scope",
    "key_file",
];
const OAUTH2_KEYS: &[&str] = &["issuer_endpoint", "client_id", "clientID", "audience", "scope", "key_file"];
const CONTEXT_KEYS: &[&str] = &["admin-service-url", "bookie-service-url", "broker-service-url", "user"];

/// Parses pulsarctl's config. Never fails: what cannot be used is a warning with its line.
pub fn parse(path: &Path, text: &str) -> Imported {
    let warn = |line: Option<usize>, message: String| ConfigWarning { file: path.to_path_buf(), line, message };
    let mut out = Imported::default();
    let doc = match YamlLoader::load_from_str(text) {
        Ok(mut docs) if !docs.is_empty() => docs.swap_remove(0),
        Ok(_) => return out, // an empty file: pulsarctl's own default
        Err(e) => {
            let msg = format!("not valid YAML, file ignored: {}", e.info());
            out.warnings.push(warn(Some(e.marker().line()), msg));
            return out;
        }
    };
    let Yaml::Hash(top) = &doc else {
        out.warnings.push(warn(None, "not a pulsarctl config (expected a map at the top), ignored".into()));
        return out;
    };
    let contexts_line = top_line(text, "contexts");
    let auth_line = top_line(text, "auth-info");
    for (k, v) in top {
        match k.as_str() {
            Some("contexts" | "auth-info") => {}
            Some("current-context") => match v {
                Yaml::String(s) if !s.is_empty() => out.current = Some(s.clone()),
                Yaml::String(_) | Yaml::Null => {}
                _ => {
                    out.warnings.push(warn(top_line(text, "current-context"), "current-context must be a name".into()))
                }
            },
            Some(key) => out.warnings.push(warn(top_line(text, key), format!("unknown key {key:?} (ignored)"))),
            None => out.warnings.push(warn(None, "a top-level key is not a string (ignored)".into())),
        }
    }
    let empty = yaml_rust2::yaml::Hash::new();
    let auth_infos = match &doc["auth-info"] {
        Yaml::Hash(h) => h,
        Yaml::Null | Yaml::BadValue => &empty,
        _ => {
            out.warnings.push(warn(auth_line, "auth-info must be a map of NAME: {...} (ignored)".into()));
            &empty
        }
    };
    let contexts = match &doc["contexts"] {
        Yaml::Hash(h) => h,
        Yaml::Null | Yaml::BadValue => {
            out.warnings.push(warn(None, "no contexts: nothing to import".into()));
            return out;
        }
        _ => {
            out.warnings.push(warn(contexts_line, "contexts must be a map of NAME: {...} (ignored)".into()));
            return out;
        }
    };
    for (name, body) in contexts {
        let Some(name) = name.as_str().map(str::to_string).or_else(|| name.as_i64().map(|i| i.to_string())) else {
            out.warnings.push(warn(contexts_line, "a context name is not a string (ignored)".into()));
            continue;
        };
        let at = entry_line(text, contexts_line, &name);
        let Yaml::Hash(body) = body else {
            out.warnings.push(warn(at, format!("context {name}: must be a map (ignored)")));
            continue;
        };
        let mut ctx = ContextConfig::default();
        let mut user = None;
        let mut broker = None;
        for (k, v) in body {
            let key = k.as_str().unwrap_or("");
            let line = entry_line(text, at, key).or(at);
            let value = scalar(v);
            match key {
                "admin-service-url" | "broker-service-url" | "user" | "bookie-service-url" => {}
                _ => {
                    let msg =
                        format!("context {name}: unknown key {key:?} (ignored; known: {})", CONTEXT_KEYS.join(", "));
                    out.warnings.push(warn(line, msg));
                    continue;
                }
            }
            let Some(value) = value else {
                out.warnings.push(warn(line, format!("context {name}: {key} must be a string (ignored)")));
                continue;
            };
            match key {
                "admin-service-url" if !value.is_empty() => {
                    if value.starts_with("http://") || value.starts_with("https://") {
                        ctx.admin_url = Some(value);
                    } else {
                        let msg = format!(
                            "context {name}: admin-service-url must be an http:// or https:// URL, not {value:?}"
                        );
                        out.warnings.push(warn(line, msg));
                    }
                }
                "broker-service-url" if !value.is_empty() => broker = Some(value),
                "user" if !value.is_empty() => user = Some(value),
                _ => {}
            }
        }
        let Some(admin) = ctx.admin_url.clone() else {
            out.warnings.push(warn(at, format!("context {name}: no admin-service-url (context ignored)")));
            continue;
        };
        ctx.service_url = Some(match broker {
            Some(b) => b,
            None => {
                let derived = derive_service_url(&admin);
                let msg = format!(
                    "context {name}: pulsarctl has no broker URL; using {derived} (derived from admin-service-url; \
                     set service_url in [contexts.{name}] of pulsar-tui's config if it differs)"
                );
                out.warnings.push(warn(at, msg));
                derived
            }
        });
        // `pulsarctl context set NAME` keeps the credentials in auth-info.NAME
        let auth_name = user.unwrap_or_else(|| name.clone());
        if let Some(Yaml::Hash(auth)) = auth_infos.get(&Yaml::String(auth_name.clone())) {
            let at = entry_line(text, auth_line, &auth_name);
            read_auth(&name, auth, text, at, &mut ctx, &mut out.warnings, &warn);
        } else if auth_infos.contains_key(&Yaml::String(auth_name.clone())) {
            let at = entry_line(text, auth_line, &auth_name);
            out.warnings.push(warn(at, format!("auth-info {auth_name}: must be a map (ignored)")));
        }
        out.contexts.push((name, ctx));
    }
    if let Some(c) = &out.current {
        if !out.contexts.iter().any(|(n, _)| n == c) {
            let msg = format!("current-context {c:?} is not an imported context (ignored)");
            out.warnings.push(warn(top_line(text, "current-context"), msg));
            out.current = None;
        }
    }
    out.warnings.sort_by_key(|w| w.line);
    out
}

fn read_auth(
    name: &str,
    auth: &yaml_rust2::yaml::Hash,
    text: &str,
    at: Option<usize>,
    ctx: &mut ContextConfig,
    warnings: &mut Vec<ConfigWarning>,
    warn: &dyn Fn(Option<usize>, String) -> ConfigWarning,
) {
    let mut token: Option<(Option<usize>, String)> = None;
    let mut token_file: Option<(Option<usize>, String)> = None;
    let mut oauth2: Option<Option<usize>> = None;
    let mut key_file = None;
    for (k, v) in auth {
        let key = k.as_str().unwrap_or("");
        let line = entry_line(text, at, key).or(at);
        if !AUTH_KEYS.contains(&key) {
            warnings.push(warn(line, format!("auth-info {name}: unknown key {key:?} (ignored)")));
            continue;
        }
        let value = scalar(v).unwrap_or_default();
        if value.is_empty() || value == "false" {
            continue;
        }
        match key {
            "token" => token = Some((line, value)),
            "tokenFile" => token_file = Some((line, value)),
            "tls_trust_certs_file_path" => ctx.tls_trust_certs_file = Some(expand_home(&value)),
            "tls_allow_insecure_connection" => ctx.tls_allow_insecure = Some(value == "true"),
            "issuer_endpoint" => {
                ctx.oauth2_issuer_url = Some(value);
                oauth2 = oauth2.or(Some(line));
            }
            "key_file" => key_file = Some(expand_home(value.strip_prefix("file://").unwrap_or(&value))),
            "audience" => ctx.oauth2_audience = Some(value),
            "scope" => ctx.oauth2_scope = Some(value),
            k if OAUTH2_KEYS.contains(&k) => oauth2 = oauth2.or(Some(line)),
            _ => {}
        }
    }
    // pulsarctl's client-credentials flow reads the same JSON key file as Pulsar's clients;
    // without one (a device-code login) there is nothing we can use
    match (oauth2, key_file) {
        (Some(_), Some(f)) if ctx.oauth2_issuer_url.is_some() => ctx.oauth2_credentials_file = Some(f),
        (Some(line), _) => {
            let msg = format!(
                "auth-info {name}: OAuth2 needs issuer_endpoint and key_file (client credentials): \
                 the context is imported without it"
            );
            warnings.push(warn(line, msg));
            ctx.oauth2_issuer_url = None;
            ctx.oauth2_audience = None;
            ctx.oauth2_scope = None;
        }
        (None, _) => {}
    }
    match (token, token_file) {
        (Some((_, t)), file) => {
            if let Some((line, _)) = file {
                warnings.push(warn(line, format!("auth-info {name}: both token and tokenFile: using token")));
            }
            ctx.token = Some(t.trim().into());
        }
        (None, Some((_, f))) => ctx.token_file = Some(expand_home(&f)),
        (None, None) => {}
    }
}

/// A scalar as text (pulsarctl writes strings, but YAML may read `true` or `8080` as others).
fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null => Some(String::new()),
        _ => None,
    }
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// `http://h:8080` → `pulsar://h:6650`, `https://h:8443` → `pulsar+ssl://h:6651`.
pub fn derive_service_url(admin_url: &str) -> String {
    let (tls, rest) = match admin_url.split_once("://") {
        Some((s, r)) => (s.eq_ignore_ascii_case("https"), r),
        None => (false, admin_url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    // keep an IPv6 literal's brackets, drop the port
    let host = match authority.rfind(']') {
        Some(end) => &authority[..=end],
        None => authority.split(':').next().unwrap_or(authority),
    };
    if tls {
        format!("pulsar+ssl://{host}:6651")
    } else {
        format!("pulsar://{host}:6650")
    }
}

/// The 1-based line of a top-level `key:`.
fn top_line(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| is_key_line(l, key) && !l.starts_with([' ', '\t'])).map(|i| i + 1)
}

/// The 1-based line of the first `key:` after line `after` (1-based), indented deeper than it.
fn entry_line(text: &str, after: Option<usize>, key: &str) -> Option<usize> {
    let after = after?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let parent = text.lines().nth(after - 1).map(indent)?;
    text.lines()
        .enumerate()
        .skip(after)
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .take_while(|(_, l)| indent(l) > parent)
        .find(|(_, l)| is_key_line(l, key))
        .map(|(i, _)| i + 1)
}

fn is_key_line(line: &str, key: &str) -> bool {
    let l = line.trim_start();
    [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .any(|k| l.strip_prefix(k.as_str()).is_some_and(|r| r.trim_start().starts_with(':')))
}

/// pulsarctl's config to import when no config of our own exists: the first existing file
/// of `$PULSARCONFIG` (a path list, as pulsarctl reads it), else `~/.config/pulsar/config`.
pub fn discover() -> Option<PathBuf> {
    if let Some(list) = std::env::var_os("PULSARCONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list).find(|p| p.is_file());
    }
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join(".config/pulsar/config")).filter(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Imported {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(name);
        parse(&path, &std::fs::read_to_string(&path).unwrap())
    }

    fn msgs(i: &Imported) -> Vec<String> {
        i.warnings.iter().map(|w| format!("{:?} {}", w.line, w.message)).collect()
    }

    #[test]
    fn a_pulsarctl_config_with_two_contexts_is_imported() {
        let i = fixture("pulsarctl-config.yaml");
        assert_eq!(i.current.as_deref(), Some("staging"));
        let names: Vec<&str> = i.contexts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["prod", "staging"]);
        let prod = &i.contexts[0].1;
        assert_eq!(prod.admin_url.as_deref(), Some("https://pulsar.prod.example:8443"));
        assert_eq!(prod.service_url.as_deref(), Some("pulsar+ssl://pulsar.prod.example:6651"));
        assert_eq!(prod.token_file.as_deref(), Some(Path::new("/etc/pulsar/prod.jwt")));
        assert_eq!(prod.token, None);
        let staging = &i.contexts[1].1;
        assert_eq!(staging.admin_url.as_deref(), Some("http://pulsar.staging.example:8080"));
        assert_eq!(staging.service_url.as_deref(), Some("pulsar://broker.staging.example:6650"), "its own key");
        assert_eq!(staging.token.as_deref(), Some("eyJhbGciOiJIUzI1NiJ9.c3RhZ2luZw.c2ln"));
        // the derived broker URL is said, with the context's line; nothing else is reported
        let m = msgs(&i);
        assert_eq!(i.warnings.len(), 1, "{m:?}");
        assert_eq!(i.warnings[0].line, Some(17), "{m:?}");
        assert!(i.warnings[0].message.contains("using pulsar+ssl://pulsar.prod.example:6651"), "{m:?}");
    }

    #[test]
    fn a_partial_pulsarctl_config_keeps_what_it_can_with_line_numbered_warnings() {
        let i = fixture("pulsarctl-partial.yaml");
        let m = msgs(&i);
        let names: Vec<&str> = i.contexts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["local", "oauth"], "{m:?}");
        assert_eq!(i.current, None, "current-context names a skipped context: {m:?}");
        let has = |line: usize, text: &str| i.warnings.iter().any(|w| w.line == Some(line) && w.message.contains(text));
        assert_eq!(i.contexts[0].1.tls_trust_certs_file.as_deref(), Some(Path::new("/etc/ssl/ca.pem")), "{m:?}");
        assert!(has(4, "both token and tokenFile: using token"), "{m:?}");
        assert!(has(7, "unknown key \"colour\""), "{m:?}");
        assert!(has(9, "OAuth2 needs issuer_endpoint and key_file"), "{m:?}");
        assert_eq!(i.contexts[1].1.oauth2_issuer_url, None, "no key file: no OAuth2");
        assert!(has(18, "context nourl: no admin-service-url"), "{m:?}");
        assert!(has(20, "context badurl: no admin-service-url"), "{m:?}");
        assert!(has(21, "must be an http:// or https:// URL"), "{m:?}");
        assert!(has(22, "unknown key \"service-url\""), "{m:?}");
        assert!(has(23, "current-context \"broken\" is not an imported context"), "{m:?}");
        assert_eq!(i.contexts[0].1.token.as_deref(), Some("inline-wins"));
        assert_eq!(i.contexts[1].1.token, None);
        assert_eq!(i.contexts[0].1.service_url.as_deref(), Some("pulsar://[::1]:6650"));
    }

    #[test]
    fn bad_yaml_and_other_shapes_are_warnings() {
        let p = Path::new("/x/config");
        let i = parse(p, "contexts:\n  a:\n    admin-service-url: [unclosed\n");
        assert!(i.contexts.is_empty());
        assert_eq!(i.warnings.len(), 1);
        assert!(i.warnings[0].message.starts_with("not valid YAML"), "{:?}", i.warnings);
        assert!(i.warnings[0].line.is_some());
        let i = parse(p, "- a\n- b\n");
        assert!(i.warnings[0].message.contains("not a pulsarctl config"));
        assert!(parse(p, "").warnings.is_empty());
    }

    #[test]
    fn the_service_url_is_derived_from_the_admin_host() {
        assert_eq!(derive_service_url("http://h:8080"), "pulsar://h:6650");
        assert_eq!(derive_service_url("https://u:p@h.example:8443/admin"), "pulsar+ssl://h.example:6651");
        assert_eq!(derive_service_url("http://[::1]:8080"), "pulsar://[::1]:6650");
        assert_eq!(derive_service_url("http://h"), "pulsar://h:6650");
    }

    #[test]
    fn debug_of_an_import_hides_tokens() {
        let i = fixture("pulsarctl-config.yaml");
        let d = format!("{i:?}");
        assert!(!d.contains("c3RhZ2luZw") && d.contains("<hidden>"), "{d}");
    }

    #[test]
    fn tls_and_oauth2_client_credentials_map_onto_our_keys() {
        let text = "auth-info:\n  cloud:\n    tls_trust_certs_file_path: /etc/pulsar/ca.pem\n    \
                    tls_allow_insecure_connection: true\n    issuer_endpoint: https://auth.example/\n    \
                    client_id: abc\n    audience: urn:pulsar\n    scope: admin\n    key_file: file:///etc/pulsar/key.json\n\
                    contexts:\n  cloud:\n    admin-service-url: https://pulsar.example:8443\ncurrent-context: cloud\n";
        let i = parse(Path::new("/x/config"), text);
        let c = &i.contexts[0].1;
        assert_eq!(c.tls_trust_certs_file.as_deref(), Some(Path::new("/etc/pulsar/ca.pem")));
        assert_eq!(c.tls_allow_insecure, Some(true));
        assert_eq!(c.oauth2_issuer_url.as_deref(), Some("https://auth.example/"));
        assert_eq!(c.oauth2_credentials_file.as_deref(), Some(Path::new("/etc/pulsar/key.json")));
        assert_eq!((c.oauth2_audience.as_deref(), c.oauth2_scope.as_deref()), (Some("urn:pulsar"), Some("admin")));
        assert!(i.warnings.iter().all(|w| !w.message.contains("OAuth2")), "{:?}", i.warnings);
    }
}
