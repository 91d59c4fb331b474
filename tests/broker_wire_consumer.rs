//! Our own consumer (`pulsar_tui::pulsar::wire::consumer`) against the real broker, on
//! messages written by the official Python client: the broker sends no more than the permits
//! granted (its own counters say so; on single-message entries, where it counts exactly: on
//! batches its first read guesses one message an entry) and sends again once half the queue
//! was taken; batches split into the messages the producer sent, in order;
//! acknowledgements (cumulative, and several individual ones in one frame) move the durable
//! cursor, and a new consumer on the subscription gets exactly the entries that were not
//! acknowledged.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::dlq::{drop_namespace, namespace, sub_backlog};
use common::{curl_json, produce_batched, target};
use pulsar_tui::pulsar::entries::{split_shared, EntryHeaders};
use pulsar_tui::pulsar::message::MessageId;
use pulsar_tui::pulsar::wire::consumer::{Entry, Received, Subscription, WireConsumer};
use pulsar_tui::pulsar::{Client, TopicName};

const LIMIT: Duration = Duration::from_secs(60);

fn subscription(name: &str, durable: bool, queue: u32) -> Subscription {
    Subscription {
        name: name.into(),
        consumer_name: "wire-consumer-test".into(),
        durable,
        start: None,
        earliest: true,
        queue,
    }
}

/// The broker's counters for the one consumer of `sub`: (messages sent, permits left).
fn consumer_counters(topic: &str, sub: &str) -> Option<(i64, i64)> {
    let t = TopicName::parse(topic).unwrap();
    let stats = curl_json(&format!("/admin/v2/{}/stats", t.rest_path()));
    let c = &stats["subscriptions"][sub]["consumers"][0];
    Some((c["msgOutCounter"].as_i64()?, c["availablePermits"].as_i64()?))
}

/// The entry's messages as the engine splits them: (batch index, key, payload).
fn messages(topic: &str, e: &Entry) -> Vec<(i32, Option<String>, String)> {
    let h = EntryHeaders::from_metadata(&e.metadata);
    let id = MessageId { ledger: e.position.0, entry: e.position.1, partition: -1, batch: -1 };
    split_shared(topic, id, &h, e.payload.clone())
        .into_iter()
        .map(|m| {
            assert_eq!(m.meta.error, None);
            (m.id.batch, m.key, String::from_utf8(m.payload).unwrap())
        })
        .collect()
}

async fn next_entry(c: &mut WireConsumer) -> Entry {
    match c.next_within(LIMIT).await.unwrap() {
        Some(Received::Entry(e)) => e,
        other => panic!("expected an entry, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_broker_sends_what_the_permits_allow_and_more_once_half_was_taken() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/permits");
    // entries of one message each (a batch of one)
    produce_batched(&topic, 1_200, 1);
    let name = TopicName::parse(&topic).unwrap();
    let mut c = WireConsumer::subscribe(&client, &name, &subscription("wire-permits", false, 500)).await.unwrap();
    let end = c.last_message_id().await.unwrap().expect("a last message");
    assert_eq!(end.batch, 0, "the last message, a batch of one");
    c.start().await.unwrap();

    // read without granting anything more: the broker stops at 500 messages
    let mut got = Vec::new();
    let deadline = Instant::now() + LIMIT;
    loop {
        while let Some(r) = c.try_next().unwrap() {
            match r {
                Received::Entry(e) => got.extend(messages(&topic, &e)),
                Received::EndOfTopic => panic!("the topic is not terminated"),
            }
        }
        let counters = consumer_counters(&topic, "wire-permits");
        if got.len() >= 500 && counters.is_some_and(|(_, permits)| permits <= 0) {
            let (sent, permits) = counters.unwrap();
            assert_eq!((sent, permits), (500, 0), "the broker sent exactly the permits");
            assert_eq!(got.len(), 500);
            break;
        }
        assert!(Instant::now() < deadline, "500 messages within {LIMIT:?}: got {}, {counters:?}", got.len());
        let _ = tokio::time::timeout(Duration::from_millis(50), c.fill()).await;
    }
    // half the queue (and more) was taken: the next await grants it again, the rest comes
    assert!(c.flush_due());
    while got.len() < 1_200 {
        let e = next_entry(&mut c).await;
        got.extend(messages(&topic, &e));
    }
    let want: Vec<_> = (0..1_200).map(|i| (0, Some(format!("k-{i}")), format!("m-{i}"))).collect();
    assert_eq!(got, want, "every message once, in order");
    c.close().await;
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn acknowledged_entries_leave_the_durable_subscription_and_the_rest_come_again() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/acks");
    let name = TopicName::parse(&topic).unwrap();
    let sub = subscription("wire-acks", true, 20_000);
    // the subscription exists before the messages (earliest), as the requeue's does
    client.admin.create_subscription(&name, "wire-acks").await.unwrap();
    produce_batched(&topic, 2_000, 100);
    let mut c = WireConsumer::subscribe(&client, &name, &sub).await.unwrap();
    c.start().await.unwrap();
    let mut positions = Vec::new();
    let mut got = Vec::new();
    while positions.len() < 20 {
        let e = next_entry(&mut c).await;
        got.extend(messages(&topic, &e));
        positions.push(e.position);
    }
    let want: Vec<_> = (0..2_000).map(|i| (i % 100, Some(format!("k-{i}")), format!("m-{i}"))).collect();
    assert_eq!(got, want, "every message once, in order, split as the producer batched them");
    // entries 0-4 cumulatively, 7 and 9 in one frame
    c.ack(&[positions[4]], true).await.unwrap();
    c.ack(&[positions[7], positions[9]], false).await.unwrap();
    c.close().await;
    let deadline = Instant::now() + LIMIT;
    while sub_backlog(&topic, "wire-acks", false) != 13 {
        assert!(Instant::now() < deadline, "backlog {} entries, 13 expected", sub_backlog(&topic, "wire-acks", false));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut again = WireConsumer::subscribe(&client, &name, &sub).await.unwrap();
    again.start().await.unwrap();
    let mut redelivered = BTreeSet::new();
    while redelivered.len() < 13 {
        let e = next_entry(&mut again).await;
        assert!(redelivered.insert(e.position), "{:?} delivered twice", e.position);
    }
    let acked: BTreeSet<_> = positions[..5].iter().chain([&positions[7], &positions[9]]).copied().collect();
    let want: BTreeSet<_> = positions.iter().copied().filter(|p| !acked.contains(p)).collect();
    assert_eq!(redelivered, want);
    again.close().await;
    drop_namespace(&client, &ns).await;
}
