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

impl ClientError {
    /// True when the broker itself is out of reach (as opposed to a refusal).
    pub fn is_connectivity(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. } | ClientError::Timeout { .. })
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;
