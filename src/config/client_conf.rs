//! Pulsar's own `client.conf` (Java properties, as read by `pulsar-client` and
//! `pulsar-admin`), imported as a context: people already have one.

use std::path::{Path, PathBuf};

use super::{ConfigWarning, ContextConfig};

/// The keys we use; the others of client.conf are ignored silently (it has many).
const TOKEN_PLUGINS: [&str; 2] = [
    "org.apache.pulsar.client.impl.auth.AuthenticationToken",
    "org.apache.pulsar.client.impl.auth.AuthenticationToken$",
];

/// Reads `client.conf`-style properties: `webServiceUrl`, `brokerServiceUrl`,
/// `authPlugin` + `authParams` (token: `token:JWT`, `file:///path`, or JSON
/// `{"token": ...}`). TLS keys are reported as not supported yet, so nobody believes they
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
            "tlsTrustCertsFilePath" | "tlsAllowInsecureConnection" | "tlsEnableHostnameVerification" => {
                warnings.push(warn(i + 1, format!("{key}: TLS options are not supported yet (ignored)")))
            }
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
        (Some((line, p)), _) if !p.is_empty() => {
            let name = p.rsplit('.').next().unwrap_or(&p).to_string();
            warnings.push(warn(line, format!("authPlugin {name}: only token authentication is supported (ignored)")));
        }
        _ => {}
    }
    (ctx, warnings)
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
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().all(|w| w.message.contains("TLS options are not supported yet")));
        assert_eq!(w[0].line, Some(9));
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
        assert!(w[0].message.contains("AuthenticationTls: only token authentication"), "{w:?}");
        assert_eq!(w[0].line, Some(1));
    }
}
