//! Pulsar's own `client.conf` (Java properties, as read by `pulsar-client` and
//! `pulsar-admin`), imported as a context: people already have one.

use std::path::{Path, PathBuf};

use super::{ConfigWarning, ContextConfig};

/// The keys we use; the others of client.conf are ignored silently (it has many).
const TOKEN_PLUGINS: [&str; 2] = [
    "org.apache.pulsar.client.impl.auth.AuthenticationToken",
    "org.apache.pulsar.client.impl.auth.AuthenticationToken$",
];

/// Java's OAuth2 plugin (client credentials).
const OAUTH2_PLUGIN: &str = "org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2";

/// Reads `client.conf`-style properties: `webServiceUrl`, `brokerServiceUrl`,
/// `authPlugin` + `authParams` (token: `token:JWT`, `file:///path`, or JSON
/// `{"token": ...}`; OAuth2: JSON `{"type": "client_credentials", "issuerUrl": ...,
/// "privateKey": "file:///key.json", "audience": ..., "scope": ...}`), and
/// `tlsTrustCertsFilePath`, `tlsAllowInsecureConnection`, `tlsEnableHostnameVerification`.
/// Client certificates (mutual TLS) are reported as not supported, so nobody believes they
/// are in force.
pub fn parse(path: &Path, text: &str) -> (ContextConfig, Vec<ConfigWarning>) {
    let warn = |line: usize, message: String| ConfigWarning { file: path.to_path_buf(), line: Some(line), message };
    let mut ctx = ContextConfig::default();
    let mut warnings = Vec::new();
    let (mut plugin, mut params) = (None, None);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        // Java properties: `key=value`, `key: value` or `key value`
        let Some(at) = line.find(['=', ':', ' ', '\t']) else { continue };
        let (key, value) = (line[..at].trim(), line[at + 1..].trim());
        if value.is_empty() {
            continue;
        }
        match key {
            "webServiceUrl" | "webServiceUrlTls" => ctx.admin_url = Some(value.to_string()),
            "brokerServiceUrl" | "brokerServiceUrlTls" => ctx.service_url = Some(value.to_string()),
            "authPlugin" => plugin = Some((i + 1, value.to_string())),
            "authParams" => params = Some((i + 1, value.to_string())),
            "tlsTrustCertsFilePath" => ctx.tls_trust_certs_file = Some(PathBuf::from(value)),
            "tlsAllowInsecureConnection" | "tlsEnableHostnameVerification" => {
                let Some(b) = java_bool(value) else {
                    warnings.push(warn(i + 1, format!("{key}: {value:?} is not true or false (ignored)")));
                    continue;
                };
                if key == "tlsAllowInsecureConnection" {
                    ctx.tls_allow_insecure = Some(b);
                } else {
                    ctx.tls_hostname_verification = Some(b);
                }
            }
            "tlsCertificateFilePath" | "tlsKeyFilePath" => warnings
                .push(warn(i + 1, format!("{key}: client certificates (mutual TLS) are not supported (ignored)"))),
            "useKeyStoreTls" if java_bool(value) == Some(true) => warnings
                .push(warn(i + 1, "useKeyStoreTls: key stores are not supported, use PEM files (ignored)".into())),
            _ => {}
        }
    }
    match (plugin, params) {
        (Some((_, p)), Some((line, params)))
            if TOKEN_PLUGINS.iter().any(|t| p.starts_with(t.trim_end_matches('$'))) =>
        {
            if let Some(file) = params.strip_prefix("file://") {
                ctx.token_file = Some(PathBuf::from(file));
            } else if let Some(token) = params.strip_prefix("token:") {
                ctx.token = Some(token.trim().into());
            } else if let Ok(v) = serde_json::from_str::<serde_json::Value>(&params) {
                match v["token"].as_str() {
                    Some(t) => ctx.token = Some(t.into()),
                    None => warnings.push(warn(line, "authParams: no \"token\" in the JSON (ignored)".into())),
                }
            } else {
                ctx.token = Some(params.trim().into());
            }
        }
        (Some((_, p)), Some((line, params))) if p == OAUTH2_PLUGIN => {
            oauth2_params(&params, line, &mut ctx, &mut warnings, &warn)
        }
        (Some((line, p)), _) if !p.is_empty() => {
            let name = p.rsplit('.').next().unwrap_or(&p).to_string();
            warnings.push(warn(
                line,
                format!("authPlugin {name}: only token and OAuth2 authentication are supported (ignored)"),
            ));
        }
        _ => {}
    }
    (ctx, warnings)
}

/// Java's `Boolean.parseBoolean` minus its leniency: `true`/`false`, any case.
fn java_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// OAuth2 `authParams`: JSON with `issuerUrl`, `privateKey` (`file:///path` or a path),
/// `audience`, `scope` (the Python client's snake_case names are accepted too).
fn oauth2_params(
    params: &str,
    line: usize,
    ctx: &mut ContextConfig,
    warnings: &mut Vec<ConfigWarning>,
    warn: &dyn Fn(usize, String) -> ConfigWarning,
) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(params) else {
        warnings.push(warn(line, "authParams: OAuth2 parameters must be JSON (ignored)".into()));
        return;
    };
    let get = |a: &str, b: &str| v[a].as_str().or(v[b].as_str()).map(str::to_string);
    if let Some(t) = get("type", "type").filter(|t| t != "client_credentials") {
        warnings
            .push(warn(line, format!("authParams: OAuth2 type {t:?}: only client_credentials is supported (ignored)")));
        return;
    }
    let (Some(issuer), Some(key)) = (get("issuerUrl", "issuer_url"), get("privateKey", "private_key")) else {
        warnings.push(warn(line, "authParams: OAuth2 needs issuerUrl and privateKey (ignored)".into()));
        return;
    };
    if key.starts_with("data:") {
        warnings.push(warn(line, "authParams: privateKey data: URLs are not supported, use a file (ignored)".into()));
        return;
    }
    let path = key.strip_prefix("file://").unwrap_or(&key);
    ctx.oauth2_issuer_url = Some(issuer);
    ctx.oauth2_credentials_file = Some(PathBuf::from(path));
    ctx.oauth2_audience = get("audience", "audience");
    ctx.oauth2_scope = get("scope", "scope");
}

/// The client.conf to import when no config of our own exists: `$PULSAR_CLIENT_CONF`,
/// then `$PULSAR_HOME/conf/client.conf`.
pub fn discover() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PULSAR_CLIENT_CONF").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("PULSAR_HOME").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join("conf/client.conf")).filter(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> (ContextConfig, Vec<ConfigWarning>) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(name);
        parse(&path, &std::fs::read_to_string(&path).unwrap())
    }

    #[test]
    fn a_token_client_conf_becomes_a_context() {
        let (ctx, w) = fixture("client-token.conf");
        assert_eq!(ctx.admin_url.as_deref(), Some("https://pulsar.example.com:8443/"));
        assert_eq!(ctx.service_url.as_deref(), Some("pulsar+ssl://pulsar.example.com:6651/"));
        assert_eq!(ctx.token_file.as_deref(), Some(Path::new("/var/run/secrets/pulsar/token")));
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(ctx.tls_trust_certs_file.as_deref(), Some(Path::new("/etc/ssl/certs/ca.pem")));
        assert_eq!(ctx.tls_allow_insecure, Some(false));
        assert_eq!(ctx.tls_hostname_verification, None, "absent: our default (on) stays");
    }

    #[test]
    fn oauth2_and_tls_keys_map_onto_the_context() {
        let p = Path::new("/x/client.conf");
        let text = "brokerServiceUrl=pulsar+ssl://b:6651\n\
                    authPlugin=org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2\n\
                    authParams={\"type\":\"client_credentials\",\"issuerUrl\":\"https://auth.example/\",\
                    \"privateKey\":\"file:///etc/pulsar/key.json\",\"audience\":\"urn:pulsar\",\"scope\":\"produce\"}\n\
                    tlsEnableHostnameVerification=false\ntlsAllowInsecureConnection=TRUE\n\
                    tlsCertificateFilePath=/c.pem\ntlsAllowInsecureConnection=maybe\n";
        let (ctx, w) = parse(p, text);
        assert_eq!(ctx.oauth2_issuer_url.as_deref(), Some("https://auth.example/"));
        assert_eq!(ctx.oauth2_credentials_file.as_deref(), Some(Path::new("/etc/pulsar/key.json")));
        assert_eq!(ctx.oauth2_audience.as_deref(), Some("urn:pulsar"));
        assert_eq!(ctx.oauth2_scope.as_deref(), Some("produce"));
        assert_eq!(ctx.token, None);
        assert_eq!(ctx.tls_hostname_verification, Some(false));
        assert_eq!(ctx.tls_allow_insecure, Some(true), "a bad later value does not undo a good one");
        let msgs: Vec<_> = w.iter().map(|w| (w.line, w.message.clone())).collect();
        assert_eq!(w.len(), 2, "{msgs:?}");
        assert!(w[0].message.contains("mutual TLS") && w[0].line == Some(6), "{msgs:?}");
        assert!(w[1].message.contains("not true or false") && w[1].line == Some(7), "{msgs:?}");
        // an incomplete OAuth2 setup is a warning, never a half-configured context
        let text = "authPlugin=org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2\n\
                    authParams={\"issuerUrl\":\"https://auth.example/\"}\n";
        let (ctx, w) = parse(p, text);
        assert_eq!(ctx.oauth2_issuer_url, None);
        assert!(w[0].message.contains("needs issuerUrl and privateKey"), "{w:?}");
    }

    #[test]
    fn inline_and_json_tokens_and_other_plugins() {
        let p = Path::new("/x/client.conf");
        let text = "brokerServiceUrl=pulsar://b:6650\nauthPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken\nauthParams=token:abc.def.ghi\n";
        assert_eq!(parse(p, text).0.token.as_deref(), Some("abc.def.ghi"));
        let text =
            "authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken\nauthParams={\"token\":\"x.y.z\"}\n";
        assert_eq!(parse(p, text).0.token.as_deref(), Some("x.y.z"));
        let text = "authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationTls\nauthParams=tlsCertFile:/a\n";
        let (ctx, w) = parse(p, text);
        assert_eq!(ctx.token, None);
        assert!(w[0].message.contains("AuthenticationTls: only token and OAuth2 authentication"), "{w:?}");
        assert_eq!(w[0].line, Some(1));
    }
}
