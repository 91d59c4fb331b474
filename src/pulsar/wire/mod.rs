//! A minimal client of Pulsar's binary protocol of our own, for what the `pulsar` crate
//! (6.9.1) has no public API for, or does too slowly:
//!
//! - publishing a message larger than the broker's `maxMessageSize` as ONE chunked message,
//!   as the Java and C++ clients do ([`publish_whole`], [`ChunkingProducer`]): the crate's
//!   `ProducerMessage` and `ConnectionSender::send` are `pub(crate)`, and it cannot chunk;
//! - publishing many messages fast: a pipelined producer that batches in place
//!   ([`BatchProducer`]: many sends in flight, per-message receipts, every codec including
//!   Snappy as raw blocks), where the crate's producer takes one message at a time;
//! - reading an entry as it is stored, metadata and payload untouched ([`RawReader`]): the
//!   crate's consumer decompresses every entry before handing it over, so it fails on Snappy
//!   (raw blocks from the other clients) and on every chunk of a compressed chunked message;
//! - consuming a backlog fast ([`consumer::WireConsumer`]: entries as slices of the read
//!   buffer, split in place, no task hand-off), for the requeue engine and headless scans.
//!
//! Everything else (follow mode, the browser's pages, ordinary publishing) stays with the
//! crate. Frames ([`frame`]) use the crate's generated protobuf types; connections
//! ([`conn`]) honour the context's TLS settings and credentials; lookups ([`lookup`]) follow
//! redirects and proxies, so both work on a cluster of several brokers.

pub mod batch;
pub mod conn;
pub mod consumer;
pub mod fetch;
pub mod frame;
pub mod lookup;
pub mod pipeline;
pub mod producer;
mod receipt;

pub use fetch::{fetch_entry, RawEntry, RawReader};
pub use pipeline::{BatchProducer, Options as BatchOptions, Receipt, SendError};
pub use producer::{publish_whole, ChunkingProducer, Published};

#[cfg(test)]
mod tests;
