//! Our own binary-protocol client (src/pulsar/wire) against the real broker: a message
//! larger than the broker's maxMessageSize published as ONE chunked message, as the Java
//! client does, and read back by the official Python client as one identical message; small
//! messages and partitions too; entries read as stored, by position.

mod common;

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use common::dlq::{drop_namespace, json_lines, namespace, pulsar_tui};
use common::{python_produce, python_read_raw, target};
use pulsar_tui::pulsar::message::MessageId;
use pulsar_tui::pulsar::wire::{self, ChunkingProducer, RawReader};
use pulsar_tui::pulsar::{Client, ClientError, TopicName};

/// Deterministic bytes that do not compress (xorshift64*).
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn outgoing(payload: Vec<u8>, key: &str) -> pulsar::producer::Message {
    pulsar::producer::Message {
        payload,
        properties: HashMap::from([
            ("REAL_TOPIC".to_string(), "persistent://public/default/payments".to_string()),
            ("ünïcödé".to_string(), "✓ value".to_string()),
        ]),
        partition_key: Some(key.to_string()),
        event_time: Some(1_764_237_600_123),
        ..Default::default()
    }
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn id_of(v: &serde_json::Value) -> String {
    v["message_id"].as_str().unwrap().to_string()
}

fn properties(v: &serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(v["properties"].clone()).unwrap()
}

fn want_properties(m: &pulsar::producer::Message) -> BTreeMap<String, String> {
    m.properties.clone().into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_message_larger_than_the_broker_allows_is_published_as_one_chunked_message() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/big-letters")).unwrap();
    let big = outgoing(random_bytes(7 * 1024 * 1024, 7), "big");
    let small = outgoing(b"a small one".to_vec(), "small");

    let published_big = wire::publish_whole(&client, &topic, &big).await.expect("the 7 MiB message is stored");
    let published_small = wire::publish_whole(&client, &topic, &small).await.expect("the small one is stored");
    assert_eq!(published_big.chunks.len(), 2, "7 MiB over a 5 MiB maxMessageSize: {published_big:?}");
    assert_eq!(published_big.id, *published_big.chunks.last().unwrap(), "positioned at its last chunk");
    assert_eq!(published_small.chunks, vec![published_small.id], "one entry, not chunked");

    // the official Python client reads ONE message of the whole payload, then the small one
    let got = python_read_raw(&topic.to_string());
    assert_eq!(got.len(), 2, "{:?}", got.iter().map(id_of).collect::<Vec<_>>());
    assert_eq!(b64(got[0]["payload_b64"].as_str().unwrap()), big.payload, "identical bytes");
    assert_eq!(got[0]["key"], "big");
    assert_eq!(properties(&got[0]), want_properties(&big));
    assert_eq!(id_of(&got[0]), published_big.id.to_string(), "the id Python gives is the last chunk's");
    assert_eq!(b64(got[1]["payload_b64"].as_str().unwrap()), small.payload);
    assert_eq!(got[1]["key"], "small");
    assert_eq!(properties(&got[1]), want_properties(&small));
    assert_eq!(id_of(&got[1]), published_small.id.to_string());

    // the chunks as stored carry what the Java client writes
    let mut raw = RawReader::new(&client, &topic);
    let mut uuid = None;
    for (i, id) in published_big.chunks.iter().enumerate() {
        let e = raw.fetch((id.ledger, id.entry)).await.unwrap().expect("the chunk's entry");
        let md = &e.metadata;
        assert_eq!(md.chunk_id, Some(i as i32));
        assert_eq!(md.num_chunks_from_msg, Some(2));
        assert_eq!(md.total_chunk_msg_size, Some(big.payload.len() as i32));
        assert_eq!(md.uuid.as_deref(), Some(format!("{}-{}", md.producer_name, md.sequence_id).as_str()));
        assert_eq!(md.compression.unwrap_or(0), 0, "never compressed (and never the crate's Snappy)");
        assert_eq!(md.event_time, Some(1_764_237_600_123));
        assert!(e.payload.len() < 5 * 1024 * 1024, "a chunk fits one message: {}", e.payload.len());
        assert!(uuid.is_none() || uuid == md.uuid, "one uuid for every chunk");
        uuid = md.uuid.clone();
    }
    raw.close().await;

    // and pulsar-tui reads it whole too
    let out = pulsar_tui(&["read", &topic.to_string(), "--format", "jsonl", "--raw"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(b64(lines[0]["raw_base64"].as_str().unwrap()), big.payload);
    assert_eq!(lines[0]["chunks"]["count"], 2);
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn partitions_get_whole_messages_named_or_routed_by_key() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/routed")).unwrap();
    client.admin.create_topic(&topic, 3).await.unwrap();
    let to_one = outgoing(random_bytes(6 * 1024 * 1024, 11), "named");
    let by_key = outgoing(random_bytes(6 * 1024 * 1024, 13), "k-1");
    let p1 = wire::publish_whole(&client, &topic.partition(1), &to_one).await.unwrap();
    let routed = wire::publish_whole(&client, &topic, &by_key).await.unwrap();
    // the partition the Java client's default router picks for "k-1" ("k-1".hashCode() = 104271)
    let java: i32 = 104_271 % 3;
    assert_eq!(p1.id.partition, 1);
    assert_eq!(routed.id.partition, java);

    let got = python_read_raw(&topic.to_string());
    assert_eq!(got.len(), 2);
    let find = |key: &str| got.iter().find(|m| m["key"] == key).unwrap_or_else(|| panic!("{key} in {got:?}"));
    let named = find("named");
    assert_eq!(b64(named["payload_b64"].as_str().unwrap()), to_one.payload);
    assert_eq!(id_of(named), p1.id.to_string());
    let keyed = find("k-1");
    assert_eq!(b64(keyed["payload_b64"].as_str().unwrap()), by_key.payload);
    assert_eq!(id_of(keyed), routed.id.to_string());
    assert_eq!(properties(keyed), want_properties(&by_key));
    drop_namespace(&client, &ns).await;
}

/// Entries by position: in order, skipping ahead, going back, past the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_raw_reader_gives_entries_by_position_as_stored() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/positions");
    python_produce(&topic, 30, "m");
    let name = TopicName::parse(&topic).unwrap();
    let ids: Vec<MessageId> = python_read_raw(&topic).iter().map(|m| id_of(m).parse().unwrap()).collect();
    assert_eq!(ids.len(), 30);
    let payload_of = |i: usize| format!("m-{i}").into_bytes();
    let mut r = RawReader::new(&client, &name);
    for i in [0usize, 1, 2, 5, 6, 20, 3, 29, 29] {
        let e = r.fetch((ids[i].ledger, ids[i].entry)).await.unwrap().unwrap_or_else(|| panic!("entry {i}"));
        assert_eq!(e.position, (ids[i].ledger, ids[i].entry));
        assert_eq!(e.payload, payload_of(i), "entry {i}");
        assert_eq!(e.metadata.partition_key.as_deref(), Some(format!("k-{i}").as_str()));
    }
    let past = (ids[29].ledger, ids[29].entry + 1);
    assert_eq!(r.fetch(past).await.unwrap(), None, "nothing after the last entry");
    let e = wire::fetch_entry(&client, &name, (ids[7].ledger, ids[7].entry)).await.unwrap().unwrap();
    assert_eq!(e.payload, payload_of(7));
    r.close().await;
    drop_namespace(&client, &ns).await;
}

/// Read-only refuses before any I/O (the address does not even exist).
#[tokio::test]
async fn read_only_refuses_publishing_before_any_io() {
    let mut t = target();
    t.service_url = "pulsar://192.0.2.1:6650".into();
    t.read_only = true;
    let client = Client::new(t).unwrap();
    let topic = TopicName::parse("persistent://public/default/never").unwrap();
    let e = wire::publish_whole(&client, &topic, &outgoing(vec![1], "k")).await.unwrap_err();
    assert!(matches!(e, ClientError::ReadOnly { .. }), "{e:?}");
    let e = ChunkingProducer::create(&client, &topic).await.err().unwrap();
    assert!(matches!(e, ClientError::ReadOnly { .. }), "{e:?}");
}

/// A token-mode broker of this test's own (ports and run directory no other test uses),
/// stopped when dropped.
fn token_broker() -> common::OwnBroker {
    common::OwnBroker::token_mode("wire-token", "36650", "38080", "33181")
}

/// A client of the token-mode broker, with `token`.
fn token_client(token: &str) -> Client {
    let mut t = pulsar_tui::pulsar::ClusterTarget::new("pulsar://127.0.0.1:36650", "http://127.0.0.1:38080");
    t.token = Some(token.to_string());
    Client::new(t).unwrap()
}

/// CONNECT carries the context's token: the super-user publishes a chunked message and reads
/// its chunks; a refused token is Unauthorized, a role without permission Forbidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts a broker of its own (scripts/pulsar-standalone): scripts/test runs it"]
async fn the_token_is_sent_and_refusals_say_why() {
    let broker = token_broker();
    let admin = token_client(&broker.token("admin"));
    let topic = TopicName::parse(&format!("persistent://public/default/{}", common::unique("wire-token"))).unwrap();
    let m = outgoing(random_bytes(6 * 1024 * 1024, 17), "big");
    let published = wire::publish_whole(&admin, &topic, &m).await.expect("the super-user publishes");
    assert_eq!(published.chunks.len(), 2);
    let mut raw = RawReader::new(&admin, &topic);
    let mut whole = Vec::new();
    for id in &published.chunks {
        whole.extend(raw.fetch((id.ledger, id.entry)).await.unwrap().expect("the chunk").payload);
    }
    raw.close().await;
    assert_eq!(whole, m.payload, "the chunks put together are the message");

    let refused = token_client("not-a-token");
    let e = wire::publish_whole(&refused, &topic, &m).await.unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized { .. }), "{e:?}");
    let nobody = token_client(&broker.token("nobody"));
    let e = wire::fetch_entry(&nobody, &topic, (published.id.ledger, published.id.entry)).await.unwrap_err();
    assert!(matches!(e, ClientError::Forbidden { .. }), "{e:?}");
}
