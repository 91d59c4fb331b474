//! The batch encoder, read back by our own reader of stored entries (`entries::split_raw`,
//! which reads what the Java, C++ and Python clients write) and by hand.

use std::collections::HashMap;

use prost013::Message as _;
use pulsar::proto::{CompressionType, SingleMessageMetadata};

use super::*;
use crate::pulsar::entries::{split_raw, EntryHeaders};
use crate::pulsar::message::MessageId;

fn msg(i: u32) -> Out {
    Out {
        payload: format!("payload number {i} {}", "x".repeat(i as usize % 50)).into_bytes(),
        properties: HashMap::from([("n".to_string(), i.to_string()), ("a".to_string(), "b".to_string())]),
        partition_key: (!i.is_multiple_of(3)).then(|| format!("key-{}", i % 7)),
        ordering_key: i.is_multiple_of(4).then(|| vec![i as u8, 1]),
        event_time: i.is_multiple_of(2).then_some(1_700_000_000_000 + u64::from(i)),
        ..Default::default()
    }
}

fn read_back(e: &Entry) -> Vec<crate::pulsar::message::Message> {
    let h = EntryHeaders::from_metadata(&e.metadata);
    let id = MessageId { ledger: 7, entry: 9, partition: -1, batch: -1 };
    split_raw("persistent://t/n/x", id, &h, e.payload.clone())
}

#[test]
fn a_batch_reads_back_message_by_message_with_every_codec() {
    for codec in [
        CompressionType::None,
        CompressionType::Lz4,
        CompressionType::Zlib,
        CompressionType::Zstd,
        CompressionType::Snappy,
    ] {
        let mut b = Batch::default();
        for i in 0..100 {
            assert!(b.accepts(&msg(i)));
            b.push(msg(i), 1000 + u64::from(i));
        }
        assert_eq!(b.len(), 100);
        let e = b.take("prod", codec, 1_700_000_000_123).unwrap();
        assert!(b.is_empty() && b.bytes() == 0, "take empties the batch");
        assert_eq!((e.first_sequence, e.last_sequence, e.messages), (1000, 1099, 100));
        assert_eq!(e.metadata.num_messages_in_batch, Some(100));
        assert_eq!(e.metadata.sequence_id, 1000);
        assert_eq!(e.metadata.highest_sequence_id, Some(1099));
        assert_eq!(e.metadata.compression, (codec != CompressionType::None).then_some(codec as i32));
        let ms = read_back(&e);
        assert_eq!(ms.len(), 100, "{codec:?}");
        for (i, m) in ms.iter().enumerate() {
            let want = msg(i as u32);
            assert_eq!(m.meta.error, None, "{codec:?}");
            assert_eq!(m.payload, want.payload, "{codec:?} {i}");
            assert_eq!(m.id.batch, i as i32);
            assert_eq!(m.key, want.partition_key);
            assert_eq!(m.ordering_key, want.ordering_key);
            assert_eq!(m.event_time_ms, want.event_time.map(|t| t as i64));
            assert_eq!(m.properties.get("n"), Some(&i.to_string()));
            assert_eq!(m.properties.len(), 2);
            assert_eq!(m.sequence_id, 1000 + i as i64);
            assert_eq!(m.producer, "prod");
            assert_eq!(m.publish_time_ms, 1_700_000_000_123);
        }
    }
}

#[test]
fn the_batch_layout_is_size_metadata_payload_per_message() {
    let mut b = Batch::default();
    b.push(Out { payload: b"hello".to_vec(), ..Default::default() }, 5);
    b.push(Out { payload: vec![], ..Default::default() }, 6);
    let e = b.take("p", CompressionType::None, 1).unwrap();
    assert_eq!(e.metadata.uncompressed_size, Some(e.payload.len() as u32));
    let body = &e.payload;
    let n = u32::from_be_bytes(body[..4].try_into().unwrap()) as usize;
    let smm = SingleMessageMetadata::decode(&body[4..4 + n]).unwrap();
    assert_eq!((smm.payload_size, smm.sequence_id), (5, Some(5)));
    assert_eq!(&body[4 + n..4 + n + 5], b"hello");
    let rest = &body[4 + n + 5..];
    let m = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
    let smm = SingleMessageMetadata::decode(&rest[4..4 + m]).unwrap();
    assert_eq!((smm.payload_size, smm.sequence_id), (0, Some(6)));
    assert_eq!(rest.len(), 4 + m, "nothing after the last member");
}

#[test]
fn entry_wide_fields_split_batches() {
    let mut b = Batch::default();
    let v1 = Out { schema_version: Some(vec![0, 0, 0, 0, 0, 0, 0, 1]), ..msg(1) };
    let v2 = Out { schema_version: Some(vec![0, 0, 0, 0, 0, 0, 0, 2]), ..msg(2) };
    b.push(v1.clone(), 1);
    assert!(b.accepts(&v1));
    assert!(!b.accepts(&v2), "another schema version is another entry");
    assert!(!b.accepts(&Out { replicate_to: vec!["east".into()], ..v1.clone() }));
    assert!(!b.accepts(&Out { deliver_at_time: Some(5), ..v1.clone() }), "a delayed message goes alone");
    assert!(!Batch::default().accepts(&Out { deliver_at_time: Some(5), ..msg(3) }));
    let e = b.take("p", CompressionType::None, 1).unwrap();
    assert_eq!(e.metadata.schema_version, Some(vec![0, 0, 0, 0, 0, 0, 0, 1]));
    assert!(b.accepts(&v2), "an empty batch takes any version");
}

#[test]
fn a_single_message_carries_its_own_metadata() {
    let m = Out { deliver_at_time: Some(1_800_000_000_000), schema_version: Some(vec![0; 8]), ..msg(2) };
    let e = single(m.clone(), 42, "p", CompressionType::Snappy, 9).unwrap();
    assert_eq!(e.metadata.deliver_at_time, Some(1_800_000_000_000));
    assert_eq!(e.metadata.num_messages_in_batch, None);
    assert_eq!(e.metadata.partition_key, m.partition_key);
    assert_eq!(e.metadata.uncompressed_size, Some(m.payload.len() as u32));
    let ms = read_back(&e);
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].payload, m.payload);
    assert_eq!(ms[0].meta.deliver_at_ms, Some(1_800_000_000_000));
    assert_eq!(ms[0].schema_version, Some(0));
    assert_eq!(ms[0].sequence_id, 42);
    let framed = e.frame(3);
    let f = frame::decode(&framed).unwrap();
    let send = f.command.send.unwrap();
    assert_eq!(
        (send.producer_id, send.sequence_id, send.num_messages, send.highest_sequence_id),
        (3, 42, Some(1), None)
    );
}

#[test]
fn a_large_message_is_cut_into_chunks_after_compression() {
    // xorshift bytes: incompressible, so LZ4 leaves ~300 KB to cut
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let payload: Vec<u8> = (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let m = Out { payload: payload.clone(), partition_key: Some("k".into()), ..Default::default() };
    let parts = chunks(m.clone(), 8, "p", CompressionType::Lz4, 1, 100_000).unwrap();
    assert!(parts.len() >= 3, "{} chunks", parts.len());
    let total = parts[0].metadata.total_chunk_msg_size.unwrap() as usize;
    let joined: Vec<u8> = parts.iter().flat_map(|p| p.payload.clone()).collect();
    assert_eq!(joined.len(), total);
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.chunk, Some((i as u32, parts.len() as u32)));
        assert_eq!(p.metadata.chunk_id, Some(i as i32));
        assert_eq!(p.metadata.uuid.as_deref(), Some("p-8"));
        assert_eq!(p.metadata.sequence_id, 8);
        assert!(p.frame(1).len() < 100_000, "a chunk's frame fits the broker's limit");
        assert!(frame::decode(&p.frame(1)).unwrap().command.send.unwrap().is_chunk == Some(true));
    }
    let whole = crate::pulsar::compression::decompress("LZ4", &joined, Some(payload.len() as u32)).unwrap();
    assert_eq!(whole, payload);
    let one =
        chunks(Out { payload: b"small".to_vec(), ..Default::default() }, 9, "p", CompressionType::None, 1, 100_000)
            .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].chunk, None);
    assert_eq!(one[0].metadata.uuid, None);
}

#[test]
fn the_batch_frame_names_its_sequence_range() {
    let mut b = Batch::default();
    for i in 0..3 {
        b.push(msg(i), 10 + u64::from(i));
    }
    let e = b.take("p", CompressionType::Zstd, 1).unwrap();
    let f = frame::decode(&e.frame(4)).unwrap();
    let send = f.command.send.unwrap();
    assert_eq!((send.sequence_id, send.highest_sequence_id, send.num_messages), (10, Some(12), Some(3)));
    assert_eq!(f.payload.unwrap().metadata, e.metadata);
    assert!(Batch::cost(&msg(3)) > msg(3).payload.len());
}
