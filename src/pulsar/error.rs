//! Errors of the client layer, as kinds the UI can match on.

use std::time::Duration;

/// Everything that can go wrong talking to a Pulsar cluster.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ClientError {
    /// TCP connect failed: the broker is down or the address is wrong.
    #[error("cannot connect to {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The request did not finish in time.
    #[error("timed out after {}s: {what}", .after.as_secs())]
    Timeout { what: String, after: Duration },
    /// The TLS handshake failed: the certificate is not trusted, names another host, or
    /// the handshake itself broke.
    #[error("{}", tls_message(.url, .problem, .detail))]
    Tls { url: String, problem: TlsProblem, detail: String },
    /// The OAuth2 issuer refused the client credentials (wrong client id or secret).
    #[error("authentication failed: the OAuth2 issuer {issuer} refused the client credentials ({reason})")]
    IssuerRefused { issuer: String, reason: String },
    /// 401: the token (or other credentials) was refused.
    #[error("authentication failed (HTTP 401) for {what}")]
    Unauthorized { what: String },
    /// 403: authenticated, but not allowed.
    #[error("not authorized (the token's role lacks permission) for {what}")]
    Forbidden { what: String },
    /// 404: the tenant, namespace, topic or subscription does not exist.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// Any other HTTP error status, with the broker's reason.
    #[error("HTTP {status} for {what}: {reason}")]
    Http { status: u16, what: String, reason: String },
    /// The broker answered something we could not understand.
    #[error("unexpected answer for {what}: {reason}")]
    Protocol { what: String, reason: String },
    /// An error of the binary protocol client.
    #[error("pulsar client: {0}")]
    Binary(String),
    /// A write was refused locally because the context is read-only.
    #[error("refused: read-only mode ({what})")]
    ReadOnly { what: String },
    /// Bad input from the user (a malformed topic name, message id...).
    #[error("{0}")]
    Invalid(String),
}

/// The innermost error of a chain: what reqwest and hyper errors really say.
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

impl From<crate::model::Invalid> for ClientError {
    fn from(e: crate::model::Invalid) -> ClientError {
        ClientError::Invalid(e.0)
    }
}

/// Why a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate chain does not lead to a trusted CA (or is expired).
    NotTrusted,
    /// The certificate does not name the host we connected to.
    HostnameMismatch,
    /// Anything else (protocol mismatch, a plain-text port...).
    Handshake,
}

fn tls_message(url: &str, problem: &TlsProblem, detail: &str) -> String {
    match problem {
        TlsProblem::NotTrusted => format!(
            "TLS: certificate not trusted ({url}: {detail}); give its CA with tls_trust_certs_file \
             (or tls_allow_insecure = true to skip every check)"
        ),
        TlsProblem::HostnameMismatch => format!(
            "TLS: hostname mismatch (the certificate of {url} does not name that host: {detail}); \
             connect with a name the certificate has (or tls_hostname_verification = false)"
        ),
        TlsProblem::Handshake => format!("TLS: handshake with {url} failed: {detail}"),
    }
}

impl ClientError {
    /// True when the broker itself is out of reach (as opposed to a refusal).
    pub fn is_connectivity(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. } | ClientError::Timeout { .. })
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;
