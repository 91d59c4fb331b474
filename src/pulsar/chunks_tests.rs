use super::*;
use crate::pulsar::message::{ChunkInfo, MessageMeta};

fn id(entry: i64) -> MessageId {
    MessageId { ledger: 7, entry, partition: -1, batch: -1 }
}

fn plain(entry: i64, payload: &[u8]) -> Message {
    Message {
        topic: "persistent://public/default/t".into(),
        id: id(entry),
        key: Some("k".into()),
        key_is_base64: false,
        ordering_key: None,
        properties: Default::default(),
        publish_time_ms: 1_000 + entry,
        event_time_ms: None,
        producer: "p".into(),
        sequence_id: entry,
        schema_version: None,
        redelivery_count: None,
        compression: None,
        payload: payload.to_vec(),
        meta: MessageMeta::default(),
    }
}

fn chunk(entry: i64, uuid: &str, chunk_id: u32, chunks: u32, total: u64, payload: &[u8]) -> Message {
    let mut m = plain(entry, payload);
    m.meta.chunk = Some(ChunkInfo { uuid: uuid.into(), chunks, total_size: total, chunk_id, ids: Vec::new() });
    m
}

#[test]
fn plain_messages_pass_straight_through() {
    let mut a = ChunkAssembler::default();
    let out = a.push(plain(1, b"x"));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload, b"x");
    assert!(a.is_idle());
    assert!(a.flush().is_empty());
}

#[test]
fn chunks_in_order_become_one_message_at_the_last_chunk() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(1, "u", 0, 3, 9, b"abc")).is_empty());
    assert!(a.push(chunk(2, "u", 1, 3, 9, b"def")).is_empty());
    assert!(!a.is_idle());
    let out = a.push(chunk(3, "u", 2, 3, 9, b"ghi"));
    assert_eq!(out.len(), 1);
    let m = &out[0];
    assert_eq!(m.payload, b"abcdefghi");
    assert_eq!(m.id, id(3), "positioned at the last chunk");
    let c = m.meta.chunk.as_ref().unwrap();
    assert_eq!(c.ids, vec![id(1), id(2), id(3)]);
    assert_eq!(c.chunk_id, 2);
    assert_eq!(m.meta.error, None);
    assert_eq!(m.publish_time_ms, 1_001, "the metadata of the first chunk");
    assert!(a.is_idle());
}

#[test]
fn interleaved_sets_and_plain_messages_keep_their_own_payloads() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(1, "a", 0, 2, 4, b"a1")).is_empty());
    assert!(a.push(chunk(2, "b", 0, 2, 4, b"b1")).is_empty());
    assert_eq!(a.push(plain(3, b"p"))[0].payload, b"p");
    assert_eq!(a.push(chunk(4, "b", 1, 2, 4, b"b2"))[0].payload, b"b1b2");
    assert_eq!(a.push(chunk(5, "a", 1, 2, 4, b"a2"))[0].payload, b"a1a2");
}

#[test]
fn a_missing_chunk_gives_one_row_with_the_reason_and_no_payload() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(1, "u", 0, 3, 9, b"abc")).is_empty());
    let out = a.push(chunk(3, "u", 2, 3, 9, b"ghi"));
    assert_eq!(out.len(), 1);
    let e = out[0].meta.error.as_deref().unwrap();
    assert!(e.contains("chunk 2 of 3 is missing"), "{e}");
    assert!(out[0].payload.is_empty());
    assert_eq!(out[0].meta.chunk.as_ref().unwrap().ids, vec![id(1), id(3)]);
}

#[test]
fn a_set_without_its_first_chunk_is_reported_once_at_its_last() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(5, "u", 1, 3, 9, b"def")).is_empty());
    let out = a.push(chunk(6, "u", 2, 3, 9, b"ghi"));
    assert_eq!(out.len(), 1);
    assert!(out[0].meta.error.as_deref().unwrap().contains("without the chunks before it"));
    assert_eq!(out[0].meta.chunk.as_ref().unwrap().ids, vec![id(5), id(6)]);
}

#[test]
fn the_end_of_a_read_flushes_incomplete_sets_as_errors() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(1, "u", 0, 3, 9, b"abc")).is_empty());
    let out = a.flush();
    assert_eq!(out.len(), 1);
    let e = out[0].meta.error.as_deref().unwrap();
    assert!(e.contains("1 of 3 chunks") && e.contains("ended before its last chunk"), "{e}");
    assert!(a.is_idle());
}

#[test]
fn duplicates_are_kept_for_the_ack_but_not_appended() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(1, "u", 0, 2, 4, b"ab")).is_empty());
    assert!(a.push(chunk(2, "u", 0, 2, 4, b"ab")).len() == 1, "chunk 0 again gives the old set up");
    let out = a.push(chunk(3, "u", 1, 2, 4, b"cd"));
    assert_eq!(out[0].payload, b"abcd");
    assert_eq!(out[0].meta.chunk.as_ref().unwrap().ids, vec![id(2), id(3)]);
}

#[test]
fn a_wrong_total_size_is_an_error_not_a_value() {
    let mut a = ChunkAssembler::default();
    assert!(a.push(chunk(1, "u", 0, 2, 10, b"ab")).is_empty());
    let out = a.push(chunk(2, "u", 1, 2, 10, b"cd"));
    assert!(out[0].meta.error.as_deref().unwrap().contains("hold 4 bytes, the producer wrote 10"));
}

#[test]
fn compressed_chunks_decompress_once_after_reassembly() {
    let plain_text: Vec<u8> = (0..4000u32).flat_map(|i| format!("{i},").into_bytes()).collect();
    let z = zstd::encode_all(&plain_text[..], 3).unwrap();
    let (first, second) = z.split_at(z.len() / 2);
    let mut a = ChunkAssembler::default();
    let mut c0 = chunk(1, "u", 0, 2, z.len() as u64, first);
    c0.compression = Some("ZSTD".into());
    c0.meta.uncompressed_size = Some(plain_text.len() as u32);
    assert!(a.push(c0).is_empty());
    let mut c1 = chunk(2, "u", 1, 2, z.len() as u64, second);
    c1.compression = Some("ZSTD".into());
    let out = a.push(c1);
    assert_eq!(out[0].meta.error, None);
    assert_eq!(out[0].payload, plain_text);
}

#[test]
fn too_many_sets_in_progress_give_the_oldest_up() {
    let mut a = ChunkAssembler::default();
    for i in 0..MAX_PENDING as i64 {
        assert!(a.push(chunk(i, &format!("u{i}"), 0, 2, 2, b"a")).is_empty());
    }
    let out = a.push(chunk(100, "new", 0, 2, 2, b"a"));
    assert_eq!(out.len(), 1);
    assert!(out[0].meta.error.as_deref().unwrap().contains("u0"));
}
