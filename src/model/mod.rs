//! The leaf of the crate: names, ids, messages and positions as plain values. No I/O, no
//! ratatui, no dependency on any other module of pulsar-tui; everything else builds on it.

pub mod message;
pub mod topic;

pub use message::{format_time, ChunkInfo, Encryption, Message, MessageId, MessageMeta, StartFrom, Until};
pub use topic::TopicName;

/// Input that does not parse (a topic name, a message id, a start position...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);
