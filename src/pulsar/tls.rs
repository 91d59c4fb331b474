//! TLS settings shared by both protocols (`pulsar+ssl://` through pulsar-rs and `https://`
//! through reqwest, both on native-tls), and the diagnosis of a failed handshake: a
//! certificate that is not trusted or that names another host says so, instead of a
//! generic connect failure.

use std::path::PathBuf;
use std::time::Duration;

use super::error::{ClientError, Result, TlsProblem};

/// How a cluster's certificates are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of CA certificates trusted in addition to the system's.
    pub trust_certs_file: Option<PathBuf>,
    /// Accept any certificate (no chain nor hostname check). Shown as a warning badge.
    pub allow_insecure: bool,
    /// Check that the certificate names the host we connect to (default: on).
    pub hostname_verification: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions { trust_certs_file: None, allow_insecure: false, hostname_verification: true }
    }
}

impl TlsOptions {
    /// True when a check is switched off: the header shows a warning badge.
    pub fn is_insecure(&self) -> bool {
        self.allow_insecure || !self.hostname_verification
    }

    /// The PEM bytes of the trust file (read now, so a bad path is reported at once).
    pub fn trust_pem(&self) -> Result<Option<Vec<u8>>> {
        let Some(path) = &self.trust_certs_file else { return Ok(None) };
        let pem = std::fs::read(path)
            .map_err(|e| ClientError::Invalid(format!("TLS trust certificates file {}: {e}", path.display())))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(ClientError::Invalid(format!(
                "TLS trust certificates file {}: no PEM certificate in it",
                path.display()
            )));
        }
        Ok(Some(pem))
    }

    /// Applies these settings to a reqwest client (the admin API and `/metrics`).
    pub fn apply_to_reqwest(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        let mut builder = builder;
        if let Some(pem) = self.trust_pem()? {
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                let path = self.trust_certs_file.as_deref().unwrap_or_else(|| std::path::Path::new("?"));
                ClientError::Invalid(format!("TLS trust certificates file {}: {e}", path.display()))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        Ok(builder
            .tls_danger_accept_invalid_certs(self.allow_insecure)
            .tls_danger_accept_invalid_hostnames(self.allow_insecure || !self.hostname_verification))
    }

    /// A native-tls connector with these settings (the same checks pulsar-rs makes).
    pub(crate) fn connector(&self) -> Result<native_tls::TlsConnector> {
        let mut b = native_tls::TlsConnector::builder();
        if let Some(pem) = self.trust_pem()? {
            for block in split_pem(&String::from_utf8_lossy(&pem)) {
                let cert = native_tls::Certificate::from_pem(block.as_bytes())
                    .map_err(|e| ClientError::Invalid(format!("TLS trust certificates file: {e}")))?;
                b.add_root_certificate(cert);
            }
        }
        b.danger_accept_invalid_certs(self.allow_insecure);
        b.danger_accept_invalid_hostnames(self.allow_insecure || !self.hostname_verification);
        b.build().map_err(|e| ClientError::Invalid(format!("cannot set up TLS: {e}")))
    }
}

/// The `-----BEGIN CERTIFICATE-----` blocks of a PEM bundle.
fn split_pem(text: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let Some(end) = rest[start..].find(END) else { break };
        out.push(rest[start..start + end + END.len()].to_string());
        rest = &rest[start + end + END.len()..];
    }
    out
}

/// What a failed handshake means, from the TLS library's message (OpenSSL's verify result).
pub fn classify(reason: &str) -> Option<TlsProblem> {
    let r = reason.to_ascii_lowercase();
    if r.contains("hostname mismatch")
        || r.contains("ip address mismatch")
        || r.contains("no alternative certificate subject name")
        || r.contains("certificate is not valid for")
    {
        return Some(TlsProblem::HostnameMismatch);
    }
    if r.contains("certificate verify failed")
        || r.contains("unable to get local issuer")
        || r.contains("self-signed certificate")
        || r.contains("self signed certificate")
        || r.contains("unknownissuer")
        || r.contains("certificate has expired")
    {
        return Some(TlsProblem::NotTrusted);
    }
    if r.contains("ssl routines") || r.contains("handshake") || r.contains("wrong version number") {
        return Some(TlsProblem::Handshake);
    }
    None
}

/// The TLS error hidden in an error chain (reqwest → hyper → native-tls → OpenSSL), with
/// the most telling message of the chain (OpenSSL's verify result is on one level only).
pub fn tls_error_in_chain(url: &str, e: &(dyn std::error::Error + 'static)) -> Option<ClientError> {
    let rank = |p: TlsProblem| match p {
        TlsProblem::HostnameMismatch => 3,
        TlsProblem::NotTrusted => 2,
        TlsProblem::Handshake => 1,
    };
    let mut best: Option<(TlsProblem, String)> = None;
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(level) = cur {
        let text = level.to_string();
        if let Some(p) = classify(&text) {
            let better = match &best {
                None => true,
                Some((bp, bt)) => rank(p) > rank(*bp) || (rank(p) == rank(*bp) && text.len() > bt.len()),
            };
            if better {
                best = Some((p, text));
            }
        }
        cur = level.source();
    }
    best.map(|(problem, detail)| ClientError::Tls { url: url.to_string(), problem, detail: concise(&detail) })
}

/// OpenSSL's verify result (`... certificate verify failed:...: (Hostname mismatch)`)
/// without the library's error-stack noise; other messages as they are.
fn concise(text: &str) -> String {
    if text.contains("certificate verify failed") && text.ends_with(')') {
        if let Some(open) = text.rfind(" (") {
            return text[open + 2..text.len() - 1].to_string();
        }
    }
    text.to_string()
}

/// `host` and `port` of `pulsar+ssl://host:port[,host2:port2]` (the first host).
fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let first = rest.split(['/', ',']).next()?;
    if let Some(v6) = first.strip_prefix('[') {
        let (h, p) = v6.split_once(']')?;
        let port = p.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(6651);
        return Some((h.to_string(), port));
    }
    match first.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((first.to_string(), 6651)),
    }
}

/// Makes one TLS handshake with the broker of `service_url` using `opts`, to explain a
/// failed pulsar-rs connect (which only says "fatal error when connecting"). `Ok(())` when
/// the handshake works (the failure was something else).
pub async fn probe(service_url: &str, opts: &TlsOptions, timeout: Duration) -> Result<()> {
    let Some((host, port)) = host_port(service_url) else { return Ok(()) };
    let connector = tokio_native_tls::TlsConnector::from(opts.connector()?);
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| ClientError::Unreachable { url: service_url.to_string(), reason: e.to_string() })?;
        match connector.connect(&host, tcp).await {
            Ok(_) => Ok(()),
            Err(e) => Err(tls_error_in_chain(service_url, &e).unwrap_or_else(|| ClientError::Tls {
                url: service_url.to_string(),
                problem: TlsProblem::Handshake,
                detail: e.to_string(),
            })),
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Timeout { what: format!("TLS handshake with {service_url}"), after: timeout }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_messages_are_classified() {
        let untrusted = "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify \
                         failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)";
        assert_eq!(classify(untrusted), Some(TlsProblem::NotTrusted));
        let host = "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify \
                    failed:../ssl/statem/statem_clnt.c:1889: (Hostname mismatch)";
        assert_eq!(classify(host), Some(TlsProblem::HostnameMismatch));
        assert_eq!(classify("IP address mismatch"), Some(TlsProblem::HostnameMismatch));
        assert_eq!(classify("Connection refused (os error 111)"), None);
        assert_eq!(concise(untrusted), "unable to get local issuer certificate");
        assert_eq!(concise("wrong version number"), "wrong version number");
    }

    #[test]
    fn insecure_is_either_switch() {
        assert!(!TlsOptions::default().is_insecure());
        assert!(TlsOptions { allow_insecure: true, ..Default::default() }.is_insecure());
        assert!(TlsOptions { hostname_verification: false, ..Default::default() }.is_insecure());
    }

    #[test]
    fn host_and_port_of_service_urls() {
        assert_eq!(host_port("pulsar+ssl://b.example:6651"), Some(("b.example".into(), 6651)));
        assert_eq!(host_port("pulsar+ssl://b1:7000,b2:7000/"), Some(("b1".into(), 7000)));
        assert_eq!(host_port("pulsar+ssl://b1"), Some(("b1".into(), 6651)));
    }

    #[test]
    fn pem_bundles_are_split() {
        let one = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(split_pem(&format!("junk\n{one}{one}")).len(), 2);
    }
}
