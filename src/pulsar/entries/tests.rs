use super::*;
use base64::Engine;
use prost013::Message as _;

fn headers(pairs: &[(&str, &str)]) -> EntryHeaders {
    let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
    EntryHeaders::from_lookup(&|name: &str| map.get(&name.to_ascii_lowercase()).cloned())
}

fn batch_body(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, payload) in members {
        let md = pulsar::proto::SingleMessageMetadata {
            partition_key: Some(key.to_string()),
            payload_size: payload.len() as i32,
            properties: vec![pulsar::proto::KeyValue { key: "k".into(), value: key.to_string() }],
            ..Default::default()
        };
        let bytes = md.encode_to_vec();
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
        out.extend_from_slice(payload);
    }
    out
}

const ID: MessageId = MessageId { ledger: 9, entry: 4, partition: 2, batch: -1 };

#[test]
fn the_broker_headers_of_a_snappy_entry_parse() {
    // as the 4.0.8 standalone answered GET …/ledger/8/entry/1 for a Python SNAPPY message
    let h = headers(&[
        ("X-Pulsar-Message-ID", "8:1"),
        ("X-Pulsar-PROPERTY", r#"{"i":"1"}"#),
        ("X-Pulsar-publish-time", "2026-12-03T17:10:40.019Z"),
        ("X-Pulsar-Is-Encrypted", "false"),
        ("X-Pulsar-producer-name", "standalone-0-2"),
        ("X-Pulsar-sequence-id", "1"),
        ("X-Pulsar-partition-key", "k-1"),
        ("X-Pulsar-compression", "SNAPPY"),
        ("X-Pulsar-uncompressed-size", "160"),
    ]);
    assert!(h.consumer_fails_on());
    assert_eq!(h.producer, "standalone-0-2");
    assert_eq!(h.sequence_id, 1);
    assert_eq!(h.publish_time_ms, 1_796_317_840_019);
    let ms = split_entry("t-partition-2", ID, &h, b"hello".to_vec());
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].key.as_deref(), Some("k-1"));
    assert_eq!(ms[0].properties.get("i").map(String::as_str), Some("1"));
    assert_eq!(ms[0].payload, b"hello");
    assert_eq!(ms[0].compression.as_deref(), Some("SNAPPY"));
    assert_eq!(ms[0].meta.error, None);
}

#[test]
fn a_batch_splits_into_its_members_with_their_own_keys() {
    let h = headers(&[("X-Pulsar-num-batch-message", "3"), ("X-Pulsar-compression", "LZ4")]);
    assert!(!h.consumer_fails_on(), "the crate reads LZ4 batches");
    let body = batch_body(&[("a", b"one"), ("b", b""), ("c", b"three")]);
    let ms = split_entry("t", ID, &h, body);
    assert_eq!(ms.len(), 3);
    assert_eq!(ms.iter().map(|m| m.id.batch).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(ms[1].key.as_deref(), Some("b"));
    assert_eq!(ms[2].payload, b"three");
    assert_eq!(ms[2].properties.get("k").map(String::as_str), Some("c"));
    assert!(ms.iter().all(|m| m.meta.batch_size == Some(3)));
}

#[test]
fn a_batch_cut_short_is_one_row_with_the_error() {
    let h = headers(&[("X-Pulsar-num-batch-message", "3")]);
    let mut body = batch_body(&[("a", b"one"), ("b", b"two"), ("c", b"three")]);
    body.truncate(body.len() - 2);
    let ms = split_entry("t", ID, &h, body);
    assert_eq!(ms.len(), 1);
    assert!(ms[0].meta.error.as_deref().unwrap().contains("member 2 is cut short"));
}

#[test]
fn encrypted_entries_stay_one_row_of_ciphertext_with_their_keys() {
    // as the broker sends it: base64 of the protobuf EncryptionKeys
    let proto = pulsar::proto::EncryptionKeys { key: "fidelity-key".into(), value: vec![1, 2], metadata: vec![] };
    let keys = base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec());
    let keys = keys.as_str();
    let h = headers(&[
        ("X-Pulsar-Is-Encrypted", "true"),
        ("X-Pulsar-num-batch-message", "10"),
        ("X-Pulsar-Base64-encryption-keys", keys),
    ]);
    assert!(h.consumer_fails_on());
    let ms = split_entry("t", ID, &h, vec![1, 2, 3]);
    assert_eq!(ms.len(), 1);
    let e = ms[0].meta.error.as_deref().unwrap();
    assert!(e.starts_with("encrypted (keys: fidelity-key)"), "{e}");
    assert!(e.contains("a batch of 10"), "{e}");
    assert_eq!(ms[0].payload, vec![1, 2, 3]);
}

#[test]
fn which_entries_the_crate_fails_on() {
    assert!(!headers(&[]).consumer_fails_on());
    assert!(!headers(&[("X-Pulsar-compression", "ZSTD")]).consumer_fails_on());
    assert!(!headers(&[("X-Pulsar-Is-Encrypted", "true")]).consumer_fails_on(), "plain ciphertext passes");
    assert!(headers(&[("X-Pulsar-Is-Encrypted", "true"), ("X-Pulsar-compression", "LZ4")]).consumer_fails_on());
    let chunk = [("X-Pulsar-num-chunks-from-msg", "2"), ("X-Pulsar-uuid", "u"), ("X-Pulsar-chunk-id", "1")];
    assert!(!headers(&chunk).consumer_fails_on());
    let mut zchunk = chunk.to_vec();
    zchunk.push(("X-Pulsar-compression", "ZLIB"));
    assert!(headers(&zchunk).consumer_fails_on());
}

#[test]
fn the_ledger_map_walks_entries_across_ledgers() {
    let v = serde_json::json!({
        "lastConfirmedEntry": "12:1",
        "ledgers": [
            {"ledgerId": 8, "entries": 3},
            {"ledgerId": 10, "entries": 0},
            {"ledgerId": 12, "entries": 0}
        ],
        "cursors": {"sub": {"markDeletePosition": "8:0", "individuallyDeletedMessages": "[(8:1..8:2], (12:0..12:1]]"}}
    });
    let m = LedgerMap::from_internal_stats(&v);
    assert_eq!(m.first(), Some((8, 0)));
    assert_eq!(m.next_after((8, 1)), Some((8, 2)));
    assert_eq!(m.next_after((8, 2)), Some((12, 0)), "ledger 10 is empty");
    assert_eq!(m.next_after((12, 0)), Some((12, 1)));
    assert_eq!(m.next_after((12, 1)), None);
    assert_eq!(m.after_mark_delete("sub"), Some((8, 1)));
    assert_eq!(m.after_mark_delete("other"), None);
    assert!(m.acknowledged("sub", (8, 0)), "at the mark-delete position");
    assert!(!m.acknowledged("sub", (8, 1)), "the ranges are open at their start");
    assert!(m.acknowledged("sub", (8, 2)));
    assert!(!m.acknowledged("sub", (12, 0)));
    assert!(m.acknowledged("sub", (12, 1)));
    assert!(!m.acknowledged("other", (8, 0)));
}

proptest::proptest! {
    /// Whatever the broker sends as a batch body, splitting it never panics: it gives the
    /// members or one row with the error.
    #[test]
    fn any_body_splits_or_gives_one_error_row(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300), n in 0u32..20) {
        let h = EntryHeaders { batch: (n > 0).then_some(n), ..EntryHeaders::default() };
        let ms = split_entry("t", ID, &h, body);
        proptest::prop_assert!(!ms.is_empty());
        if ms.len() > 1 {
            proptest::prop_assert_eq!(ms.len() as u32, n);
            proptest::prop_assert!(ms.iter().all(|m| m.meta.error.is_none()));
        }
    }

    /// Any order of chunks (missing, repeated, interleaved) gives each set out once at most,
    /// complete and in order, or with an error and no payload.
    #[test]
    fn any_chunk_sequence_gives_whole_messages_or_error_rows(seq in proptest::collection::vec((0u8..3, 0u32..4), 0..40)) {
        use crate::pulsar::chunks::ChunkAssembler;
        use crate::pulsar::message::ChunkInfo;
        let mut a = ChunkAssembler::default();
        let mut out = Vec::new();
        for (entry, (set, chunk)) in seq.iter().enumerate() {
            let id = MessageId { ledger: 1, entry: entry as i64, partition: -1, batch: -1 };
            let mut m = split_entry("t", id, &EntryHeaders::default(), vec![*set, *chunk as u8]).remove(0);
            m.meta.chunk = Some(ChunkInfo { uuid: format!("u{set}"), chunks: 4, total_size: 8, chunk_id: *chunk, ids: vec![] });
            out.extend(a.push(m));
        }
        out.extend(a.flush());
        for m in &out {
            match &m.meta.error {
                Some(_) => proptest::prop_assert!(m.payload.is_empty()),
                None => {
                    let set = m.payload[0];
                    let want: Vec<u8> = (0..4u8).flat_map(|c| [set, c]).collect();
                    proptest::prop_assert_eq!(&m.payload, &want);
                }
            }
        }
    }
}

fn raw_metadata() -> pulsar::proto::MessageMetadata {
    pulsar::proto::MessageMetadata {
        producer_name: "standalone-0-7".into(),
        sequence_id: 4,
        publish_time: 1_764_237_600_000,
        partition_key: Some("k-4".into()),
        ordering_key: Some(b"o".to_vec()),
        null_partition_key: Some(false),
        event_time: Some(1_764_237_600_004),
        schema_version: Some(3i64.to_be_bytes().to_vec()),
        properties: vec![pulsar::proto::KeyValue { key: "i".into(), value: "4".into() }],
        ..Default::default()
    }
}

#[test]
fn an_entry_read_raw_has_the_fields_its_headers_would_have_and_more() {
    let h = EntryHeaders::from_metadata(&raw_metadata());
    assert_eq!((h.producer.as_str(), h.sequence_id, h.publish_time_ms), ("standalone-0-7", 4, 1_764_237_600_000));
    assert_eq!((h.key.as_deref(), h.event_time_ms, h.schema_version), (Some("k-4"), Some(1_764_237_600_004), Some(3)));
    assert_eq!(h.properties.get("i").map(String::as_str), Some("4"));
    assert_eq!((&h.compression, h.batch, &h.chunk, h.encrypted), (&None, None, &None, false));
    let ms = split_raw("t", ID, &h, b"plain".to_vec());
    assert_eq!(ms[0].ordering_key.as_deref(), Some(&b"o"[..]), "not in the admin API's headers");
    assert_eq!(ms[0].payload, b"plain");
}

/// A Snappy batch as the Java/C++/Python clients write it (raw blocks): decompressed by our
/// codec, then split; the crate's consumer fails on it.
#[test]
fn a_raw_snappy_batch_is_decompressed_then_split() {
    let body = batch_body(&[("a", b"one"), ("b", b"two")]);
    let md = pulsar::proto::MessageMetadata {
        compression: Some(pulsar::proto::CompressionType::Snappy as i32),
        uncompressed_size: Some(body.len() as u32),
        num_messages_in_batch: Some(2),
        ..raw_metadata()
    };
    let h = EntryHeaders::from_metadata(&md);
    assert!(h.consumer_fails_on());
    let ms = split_raw("t", ID, &h, snap::raw::Encoder::new().compress_vec(&body).unwrap());
    assert_eq!(
        ms.iter().map(|m| (m.key.as_deref(), m.payload.as_slice())).collect::<Vec<_>>(),
        [(Some("a"), &b"one"[..]), (Some("b"), &b"two"[..])]
    );
    assert!(ms.iter().all(|m| m.meta.error.is_none() && m.compression.as_deref() == Some("SNAPPY")));
    // a payload that does not decompress is one row saying so, never garbage
    let ms = split_raw("t", ID, &h, b"not snappy at all".to_vec());
    assert_eq!(ms.len(), 1);
    assert!(ms[0].payload.is_empty());
    assert!(ms[0].meta.error.as_deref().unwrap().contains("a batch of 2 messages does not decompress"), "{ms:?}");
}

/// A chunk of a compressed chunked message stays as stored (compressed, its codec named):
/// only the reassembled chunks decompress, once.
#[test]
fn a_raw_compressed_chunk_stays_compressed_until_its_set_is_whole() {
    let plain: Vec<u8> = (0..4000u32).flat_map(|i| format!("{i} ").into_bytes()).collect();
    let whole = zstd::encode_all(&plain[..], 3).unwrap();
    let half = whole.len() / 2;
    let mut a = crate::pulsar::chunks::ChunkAssembler::default();
    let mut out = Vec::new();
    for (i, part) in [&whole[..half], &whole[half..]].into_iter().enumerate() {
        let md = pulsar::proto::MessageMetadata {
            compression: Some(pulsar::proto::CompressionType::Zstd as i32),
            uncompressed_size: Some(plain.len() as u32),
            uuid: Some("standalone-0-7-4".into()),
            chunk_id: Some(i as i32),
            num_chunks_from_msg: Some(2),
            total_chunk_msg_size: Some(whole.len() as i32),
            ..raw_metadata()
        };
        let h = EntryHeaders::from_metadata(&md);
        assert!(h.consumer_fails_on(), "the crate decompresses each chunk alone");
        let id = MessageId { entry: ID.entry + i as i64, ..ID };
        let ms = split_raw("t", id, &h, part.to_vec());
        assert_eq!(ms[0].payload, part, "as stored");
        assert_eq!(ms[0].compression.as_deref(), Some("ZSTD"));
        out.extend(ms.into_iter().flat_map(|m| a.push(m)));
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].meta.error, None);
    assert_eq!(out[0].payload, plain);
}
