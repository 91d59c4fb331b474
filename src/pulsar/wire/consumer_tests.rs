//! The consumer's pure parts: permits as the C++ client grants them, and MESSAGE frames
//! whose payload stays a slice of the frame (no copy).

use bytes::Bytes;
use pulsar::proto::base_command::Type;
use pulsar::proto::{CommandMessage, MessageIdData, MessageMetadata};

use super::{permits_of, queue_for, regrant, QUEUE};
use crate::pulsar::message::MessageId;
use crate::pulsar::wire::conn::command;
use crate::pulsar::wire::frame;

#[test]
fn permits_are_granted_again_once_half_the_queue_was_taken() {
    assert_eq!(regrant(1000, 0), None);
    assert_eq!(regrant(1000, 499), None);
    assert_eq!(regrant(1000, 500), Some(500));
    // a batch larger than the queue: all of it, so the broker is never left in debt
    assert_eq!(regrant(1000, 2124), Some(2124));
    assert_eq!(regrant(1, 1), Some(1));
    assert_eq!(regrant(3, 1), None);
    assert_eq!(regrant(3, 2), Some(2));
}

#[test]
fn the_queue_shrinks_for_large_entries() {
    assert_eq!(queue_for(0, 0), QUEUE);
    assert_eq!(queue_for(1_000, 100_000), QUEUE, "small entries: the whole queue");
    assert_eq!(queue_for(100, 100 << 20), 128, "1 MiB entries: 128 MiB ahead");
    assert_eq!(queue_for(1, 5 << 30), 10, "never under 10");
}

#[test]
fn a_batch_counts_all_its_messages() {
    let one = MessageMetadata::default();
    assert_eq!(permits_of(&one), 1);
    let batch = MessageMetadata { num_messages_in_batch: Some(100), ..Default::default() };
    assert_eq!(permits_of(&batch), 100);
    let zero = MessageMetadata { num_messages_in_batch: Some(0), ..Default::default() };
    assert_eq!(permits_of(&zero), 1);
}

/// A MESSAGE frame as the broker sends it: command, checksum, metadata, payload.
fn message_frame(metadata: &MessageMetadata, payload: &[u8]) -> Vec<u8> {
    let mut c = command(Type::Message);
    c.message = Some(CommandMessage {
        consumer_id: 1,
        message_id: MessageIdData { ledger_id: 7, entry_id: 9, ..Default::default() },
        ..Default::default()
    });
    // a payload frame is built the same way in both directions
    frame::encode_payload(&c, metadata, payload)
}

/// `[u32 size][SingleMessageMetadata][payload]` per member.
fn batch_body(members: &[(&str, &[u8])]) -> Vec<u8> {
    use prost013::Message as _;
    let mut out = Vec::new();
    for (key, payload) in members {
        let smd = pulsar::proto::SingleMessageMetadata {
            partition_key: Some(key.to_string()),
            payload_size: payload.len() as i32,
            ..Default::default()
        };
        out.extend_from_slice(&(smd.encoded_len() as u32).to_be_bytes());
        smd.encode(&mut out).unwrap();
        out.extend_from_slice(payload);
    }
    out
}

#[test]
fn a_message_frame_payload_is_a_slice_of_the_frame() {
    let md = MessageMetadata { producer_name: "p".into(), num_messages_in_batch: Some(2), ..Default::default() };
    let body = batch_body(&[("a", b"first"), ("b", b"second")]);
    let bytes = Bytes::from(message_frame(&md, &body));
    let range = bytes.as_ptr_range();
    let f = frame::decode_shared(bytes.clone()).unwrap();
    let p = f.payload.unwrap();
    assert_eq!(p.data, Bytes::from(body.clone()));
    assert!(range.contains(&p.data.as_ptr()), "the payload points into the frame's buffer");
    assert_eq!(p.metadata, md);
    // the same frame through the copying decoder: the same parts
    let copied = frame::decode(&bytes).unwrap().payload.unwrap();
    assert_eq!((copied.metadata, copied.data), (md, body));
}

#[test]
fn a_shared_batch_splits_into_its_members() {
    use crate::pulsar::entries::{split_shared, EntryHeaders};
    let md = MessageMetadata { producer_name: "p".into(), num_messages_in_batch: Some(2), ..Default::default() };
    let body = Bytes::from(batch_body(&[("a", b"first"), ("b", b"second")]));
    let h = EntryHeaders::from_metadata(&md);
    let id = MessageId { ledger: 7, entry: 9, partition: -1, batch: -1 };
    let ms = split_shared("persistent://t/n/x", id, &h, body.clone());
    let got: Vec<_> = ms.iter().map(|m| (m.id.batch, m.key.clone(), m.payload.clone(), m.meta.error.clone())).collect();
    assert_eq!(
        got,
        vec![(0, Some("a".into()), b"first".to_vec(), None), (1, Some("b".into()), b"second".to_vec(), None)]
    );
    // a batch cut short is one row with the error, never a panic
    let cut = body.slice(..body.len() - 3);
    let ms = split_shared("persistent://t/n/x", id, &h, cut);
    assert_eq!(ms.len(), 1);
    assert!(ms[0].meta.error.as_deref().unwrap_or_default().contains("does not split"), "{:?}", ms[0].meta.error);
}
