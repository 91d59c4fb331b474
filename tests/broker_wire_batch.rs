//! Our pipelined, batching producer (src/pulsar/wire/pipeline.rs) against the real broker:
//! batches written with every codec (SNAPPY as raw blocks included), keys, properties,
//! event times and a delayed message, read back by the official Python client with the ids
//! our receipts gave (batch index included); the codec is in the stored entries' metadata;
//! a topic unloaded under the producer fails the unreceipted sends, and everything
//! receipted is stored.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::dlq::{drop_namespace, namespace};
use common::target;
use pulsar::proto::CompressionType;
use pulsar_tui::pulsar::message::MessageId;
use pulsar_tui::pulsar::wire::{fetch_entry, BatchOptions, BatchProducer};
use pulsar_tui::pulsar::{Client, TopicName};

fn message(i: usize) -> pulsar::producer::Message {
    pulsar::producer::Message {
        payload: format!("message {i} {}", "abc".repeat(i % 40)).into_bytes(),
        properties: HashMap::from([("n".to_string(), i.to_string()), ("ünï".to_string(), "✓".to_string())]),
        partition_key: (!i.is_multiple_of(4)).then(|| format!("key-{}", i % 7)),
        event_time: i.is_multiple_of(3).then_some(1_764_237_600_000 + i as u64),
        ..Default::default()
    }
}

/// Every message of `topic` as the Python client reads it: id, key, properties, event time
/// and payload (hex).
fn python_read(topic: &str) -> Vec<serde_json::Value> {
    let script = r#"
import sys, json, pulsar
client = pulsar.Client(sys.argv[1], operation_timeout_seconds=30)
r = client.create_reader(sys.argv[2], pulsar.MessageId.earliest)
out = []
while r.has_message_available():
    m = r.read_next(timeout_millis=10000)
    i = m.message_id()
    out.append({"id": f"{i.ledger_id()}:{i.entry_id()}:{i.partition()}:{i.batch_index()}",
                "key": m.partition_key() or None, "properties": m.properties(),
                "event_time": m.event_timestamp(), "hex": m.data().hex()})
r.close()
client.close()
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &target().service_url, topic])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python reader failed: {}", String::from_utf8_lossy(&out.stderr));
    // the client logs on stdout too: the JSON is the last line
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("python reader wrote JSON")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn batches_of_every_codec_are_read_by_the_python_client_with_our_receipted_ids() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    for codec in [
        CompressionType::None,
        CompressionType::Lz4,
        CompressionType::Zlib,
        CompressionType::Zstd,
        CompressionType::Snappy,
    ] {
        let name = codec.as_str_name().to_ascii_lowercase();
        let topic = TopicName::parse(&format!("persistent://{ns}/batches-{name}")).unwrap();
        // batches close by count here (the timer only after 30 s), so the layout is known
        let opts = BatchOptions {
            max_messages: 100,
            max_delay: std::time::Duration::from_secs(30),
            compression: codec,
            ..BatchOptions::default()
        };
        let producer = BatchProducer::create(&client, &topic, opts).await.expect("producer");
        let mut sent = Vec::new();
        let mut receipts = Vec::new();
        for i in 0..250 {
            let mut m = message(i);
            if i == 120 {
                // a delayed message goes as an entry of its own, between two batches
                m.deliver_at_time = Some(chrono::Utc::now().timestamp_millis() + 3_600_000);
            }
            receipts.push(producer.send(m.clone()).await.expect("queued"));
            sent.push(m);
        }
        producer.flush();
        let mut ids: Vec<MessageId> = Vec::new();
        for r in receipts {
            ids.push(r.await.expect("receipted"));
        }
        producer.close().await;

        assert!(ids.windows(2).all(|w| (w[0].ledger, w[0].entry, w[0].batch) < (w[1].ledger, w[1].entry, w[1].batch)));
        assert_eq!(ids[120].batch, -1, "the delayed one is not batched: {}", ids[120]);
        assert!(ids.iter().filter(|id| id.batch >= 0).count() >= 240, "the others are in batches");
        let entries: std::collections::BTreeSet<_> = ids.iter().map(|id| (id.ledger, id.entry)).collect();
        // 100, 20, the delayed one, 100, 29
        assert_eq!(entries.len(), 5, "{name}: 250 messages in {} entries", entries.len());
        assert_eq!(ids[119].batch, 19);
        assert_eq!((ids[121].batch, ids[249].batch), (0, 28));

        let got = python_read(&topic.to_string());
        assert_eq!(got.len(), 250, "{name}");
        for (i, (row, m)) in got.iter().zip(&sent).enumerate() {
            assert_eq!(row["id"], ids[i].to_string(), "{name}: message {i}: the id our receipt gave");
            assert_eq!(row["hex"], hex(&m.payload), "{name} {i}");
            assert_eq!(row["key"].as_str(), m.partition_key.as_deref(), "{name} {i}");
            let props: BTreeMap<String, String> = serde_json::from_value(row["properties"].clone()).unwrap();
            assert_eq!(props, m.properties.clone().into_iter().collect::<BTreeMap<_, _>>());
            assert_eq!(row["event_time"].as_u64().filter(|t| *t > 0), m.event_time, "{name} {i}");
        }
        // the codec and the delay are in the stored entries' metadata
        let batch = fetch_entry(&client, &topic, (ids[0].ledger, ids[0].entry)).await.unwrap().unwrap();
        let want = (codec != CompressionType::None).then_some(codec as i32);
        assert_eq!(batch.metadata.compression, want, "{name}");
        assert_eq!(batch.metadata.num_messages_in_batch, Some(100));
        let delayed = fetch_entry(&client, &topic, (ids[120].ledger, ids[120].entry)).await.unwrap().unwrap();
        assert_eq!(delayed.metadata.deliver_at_time, sent[120].deliver_at_time);
        assert_eq!(delayed.metadata.num_messages_in_batch, None);
    }
    drop_namespace(&client, &ns).await;
}

/// The broker closes the producer (the topic is unloaded) while sends are in flight: what
/// got a receipt is stored, and whatever did not fails with an error, as do later sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn an_unloaded_topic_fails_the_unreceipted_sends_and_keeps_the_receipted_ones() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/unloaded")).unwrap();
    let opts = BatchOptions { max_messages: 50, ..BatchOptions::default() };
    let producer = BatchProducer::create(&client, &topic, opts).await.expect("producer");
    let first = producer.send(message(0)).await.unwrap().await.expect("the first one is stored");
    let mut receipts = Vec::new();
    let mut refused = 0;
    let unload = format!("/admin/v2/persistent/{}/unload", topic.to_string().trim_start_matches("persistent://"));
    let mut unloader = None;
    for i in 1..200_000 {
        if i == 2_000 {
            // unloaded while this loop keeps sending: sends are in flight when the broker
            // closes the producer
            let (client, unload) = (client.clone(), unload.clone());
            unloader = Some(tokio::spawn(async move { client.admin.write(reqwest::Method::PUT, &unload, None).await }));
        }
        match producer.send(message(i)).await {
            Ok(r) => receipts.push((i, r)),
            Err(_) => {
                refused += 1;
                break;
            }
        }
    }
    let unloader = unloader.expect("the unload started");
    unloader.await.expect("the unload task").expect("unload");
    assert_eq!(refused, 1, "a send after the producer failed is refused");
    assert!(producer.failed().is_some());
    let mut stored = vec![(0, first)];
    let mut failed = 0;
    for (i, r) in receipts {
        match r.await {
            Ok(id) => stored.push((i, id)),
            Err(_) => failed += 1,
        }
    }
    assert!(failed > 0, "sends in flight when the broker closed the producer fail");
    let got = python_read(&topic.to_string());
    let ids: Vec<String> = got.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    for (i, id) in &stored {
        let k = ids.iter().position(|x| *x == id.to_string()).unwrap_or_else(|| panic!("receipted {id} is stored"));
        assert_eq!(got[k]["hex"], hex(&message(*i).payload));
    }
    drop(producer);
    drop_namespace(&client, &ns).await;
}

/// A message larger than the broker's maxMessageSize goes through the same producer as ONE
/// chunked message, between batched ones, and the Python client reads it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_message_over_the_limit_goes_as_chunks_between_batches() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/chunked")).unwrap();
    let opts = BatchOptions { compression: CompressionType::Zstd, ..BatchOptions::default() };
    let producer = BatchProducer::create(&client, &topic, opts).await.expect("producer");
    // xorshift bytes: ZSTD leaves them over 5 MiB
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let big: Vec<u8> = (0..7 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut sent = vec![message(0), message(1)];
    sent.push(pulsar::producer::Message { payload: big, ..message(2) });
    sent.push(message(3));
    let mut receipts = Vec::new();
    for m in &sent {
        receipts.push(producer.send(m.clone()).await.expect("queued"));
    }
    producer.flush();
    let mut ids = Vec::new();
    for r in receipts {
        ids.push(r.await.expect("receipted"));
    }
    producer.close().await;
    assert_eq!(ids[2].batch, -1, "the big one is not in a batch");
    let got = python_read(&topic.to_string());
    assert_eq!(got.len(), 4, "one message for the chunks");
    for (i, (row, m)) in got.iter().zip(&sent).enumerate() {
        assert_eq!(row["hex"], hex(&m.payload), "message {i}");
        assert_eq!(row["key"].as_str(), m.partition_key.as_deref());
    }
    assert_eq!(got[2]["id"], ids[2].to_string(), "the id of the last chunk, as the Python client gives it");
    drop_namespace(&client, &ns).await;
}
