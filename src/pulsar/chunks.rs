//! Chunked messages, put back together. A producer with chunking on splits a payload larger
//! than the broker's maximum message size into chunks, each stored as an entry of its own
//! and carrying the whole message's `uuid`, `num_chunks_from_msg`, `total_chunk_msg_size`
//! and its `chunk_id`. The `pulsar` crate hands every chunk over as a message of its own, so
//! this module does what the Java and C++ consumers do (`ConsumerImpl.processMessageChunk`):
//! it keeps one context per uuid, appends chunks in order and hands out one message when the
//! last chunk arrives, with the id of the last chunk (the position the other clients give it)
//! and the id of every chunk (acknowledging the message means acknowledging all of them).
//!
//! A chunk set that cannot be completed (a chunk missing or out of order, the read ending or
//! starting in the middle, too many messages in progress) becomes one message with no
//! payload and [`MessageMeta::error`](super::message::MessageMeta) saying why: never pieces
//! that look like values. Pure: no I/O.

use super::compression;
use super::message::{Message, MessageId};

/// Chunked messages in progress at once per partition, as the Java consumer's
/// `maxPendingChunkedMessage` (beyond it the oldest is given up).
pub const MAX_PENDING: usize = 10;

struct Pending {
    /// The first chunk received, whose metadata the whole message takes; its payload grows.
    head: Message,
    /// The next chunk id expected.
    next: u32,
    /// Why this set cannot be completed (it is still followed to its last chunk, so that
    /// every chunk's id is known and it is reported once).
    broken: Option<String>,
}

/// Reassembles the chunked messages of one partition (messages come in entry order).
#[derive(Default)]
pub struct ChunkAssembler {
    pending: Vec<Pending>,
}

impl ChunkAssembler {
    /// True while a chunked message is incomplete.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    /// The first entry of the oldest set in progress (its chunks are not handed out yet).
    pub fn oldest(&self) -> Option<(i64, i64)> {
        self.pending
            .iter()
            .filter_map(|p| p.head.meta.chunk.as_ref()?.ids.first().map(|id| (id.ledger, id.entry)))
            .min()
    }

    /// Takes one message; returns what is ready to hand out (nothing while a chunked message
    /// is incomplete; the message itself when it is not a chunk).
    pub fn push(&mut self, m: Message) -> Vec<Message> {
        let Some(chunk) = m.meta.chunk.as_ref() else { return vec![m] };
        let (uuid, id, total) = (chunk.uuid.clone(), chunk.chunk_id, chunk.chunks);
        let mut out = Vec::new();
        let at = self.pending.iter().position(|p| p.head.meta.chunk.as_ref().is_some_and(|c| c.uuid == uuid));
        let i = match (at, id) {
            (Some(i), 0) => {
                // chunk 0 again: the producer started this message over (a resend after a
                // reconnect); the set so far cannot be completed
                let old = self.pending.remove(i);
                out.push(give_up(old, "its first chunk was stored again (the producer resent the message)"));
                let i = self.start(m, None, &mut out);
                return self.complete(i, out);
            }
            (Some(i), _) => i,
            (None, 0) => {
                let i = self.start(m, None, &mut out);
                return self.complete(i, out);
            }
            (None, _) => {
                let why = format!(
                    "chunk {} of {total} came without the chunks before it (the read started after them, or they \
                     expired)",
                    id + 1
                );
                let i = self.start(m, Some(why), &mut out);
                return self.complete(i, out);
            }
        };
        let p = &mut self.pending[i];
        if id < p.next {
            // a duplicate (the Java consumer acknowledges and skips those): keep its id so
            // that it is acknowledged with the message
            add_id(&mut p.head, m.id);
            return out;
        }
        if id > p.next && p.broken.is_none() {
            p.broken = Some(format!("chunk {} of {total} is missing", p.next + 1));
        }
        if p.broken.is_none() {
            p.head.payload.extend_from_slice(&m.payload);
        }
        add_id(&mut p.head, m.id);
        p.next = id + 1;
        self.complete(i, out)
    }

    /// Hands the set at `i` out when its last chunk is in.
    fn complete(&mut self, i: usize, mut out: Vec<Message>) -> Vec<Message> {
        let p = &self.pending[i];
        let total = p.head.meta.chunk.as_ref().map_or(0, |c| c.chunks);
        if p.next >= total {
            let done = self.pending.remove(i);
            out.push(finish(done));
        }
        out
    }

    /// The end of the partition (or of the read): every set in progress becomes one message
    /// with the reason.
    pub fn flush(&mut self) -> Vec<Message> {
        self.pending.drain(..).map(|p| give_up(p, "the read ended before its last chunk")).collect()
    }

    /// Opens a context for `m`, giving up the oldest when too many are open; returns its index.
    fn start(&mut self, mut m: Message, broken: Option<String>, out: &mut Vec<Message>) -> usize {
        if self.pending.len() >= MAX_PENDING {
            let oldest = self.pending.remove(0);
            out.push(give_up(oldest, &format!("more than {MAX_PENDING} chunked messages were in progress at once")));
        }
        let next = m.meta.chunk.as_ref().map_or(0, |c| c.chunk_id + 1);
        let id = m.id;
        if let Some(c) = m.meta.chunk.as_mut() {
            c.ids = vec![id];
        }
        if broken.is_some() {
            m.payload = Vec::new();
        }
        self.pending.push(Pending { head: m, next, broken });
        self.pending.len() - 1
    }
}

fn add_id(head: &mut Message, id: MessageId) {
    if let Some(c) = head.meta.chunk.as_mut() {
        c.ids.push(id);
    }
    // the message is positioned at its last chunk, as the other clients do
    head.id = id;
}

/// A complete set: one message of the whole payload, decompressed when the producer
/// compressed it (the other clients decompress once, after reassembly).
fn finish(p: Pending) -> Message {
    if let Some(why) = p.broken {
        return give_up_with(p.head, why);
    }
    let mut m = p.head;
    if let Some(c) = m.meta.chunk.as_mut() {
        c.chunk_id = c.chunks.saturating_sub(1);
    }
    if let Some(c) = m.meta.chunk.as_ref() {
        if c.total_size > 0 && m.payload.len() as u64 != c.total_size {
            let why = format!("the chunks hold {} bytes, the producer wrote {}", m.payload.len(), c.total_size);
            return give_up_with(m, why);
        }
    }
    if let Some(codec) = m.compression.clone() {
        if m.meta.encryption.is_none() {
            match compression::decompress(&codec, &m.payload, m.meta.uncompressed_size) {
                Ok(plain) => m.payload = plain,
                Err(e) => return give_up_with(m, format!("the reassembled payload does not decompress: {e}")),
            }
        }
    }
    m
}

fn give_up(p: Pending, why: &str) -> Message {
    let why = p.broken.unwrap_or_else(|| why.to_string());
    give_up_with(p.head, why)
}

fn give_up_with(mut m: Message, why: String) -> Message {
    let (got, total, uuid) =
        m.meta.chunk.as_ref().map_or((0, 0, String::new()), |c| (c.ids.len(), c.chunks, c.uuid.clone()));
    m.payload = Vec::new();
    m.meta.error = Some(format!("incomplete chunked message {uuid} ({got} of {total} chunks): {why}"));
    m
}

#[cfg(test)]
#[path = "chunks_tests.rs"]
mod tests;
