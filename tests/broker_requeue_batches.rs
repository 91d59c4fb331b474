//! Requeue of batched DLQs against the real broker, the batches written by the official
//! Python pulsar-client: a filter or a limit that keeps part of a batch must leave the whole
//! batch unacknowledged (the broker acknowledges entries, not messages), a re-run must see
//! it again and the journal must skip what was moved; SIGKILLs at random points lose nothing.

mod common;

use std::process::Command;

use common::dlq::{
    drop_namespace, json_lines, namespace, pulsar_tui, requeue_under_kills_loses_nothing, sub_backlog, temp,
    value_counts,
};
use common::{curl_json, produce_batched, python_read, python_read_raw, target};
use pulsar_tui::pulsar::{Client, TopicName};
use serde_json::Value;

/// Keeps the messages whose index is even: half of every batch.
const EVEN: &str =
    "key.endsWith('0') || key.endsWith('2') || key.endsWith('4') || key.endsWith('6') || key.endsWith('8')";

fn stored_entries(topic: &str) -> u64 {
    let t = TopicName::parse(topic).unwrap();
    curl_json(&format!("/admin/v2/{}/internalStats", t.rest_path()))["numberOfEntries"].as_u64().unwrap()
}

fn requeue(args: &[&str]) -> Value {
    let out = pulsar_tui(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    json_lines(&out.stdout).pop().expect("a summary line")["summary"].clone()
}

fn count(summary: &Value, field: &str) -> u64 {
    summary[field].as_u64().unwrap_or_else(|| panic!("no {field} in {summary}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_filter_that_keeps_half_of_each_batch_moves_that_half_and_leaves_every_batch_whole() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    for (batch, n) in [(1usize, 40usize), (10, 200), (1000, 2000)] {
        let dlq = format!("persistent://{ns}/orders-b{batch}-s-DLQ");
        let to = format!("persistent://{ns}/orders-b{batch}-target");
        client.admin.create_subscription(&TopicName::parse(&dlq).unwrap(), "pulsar-tui-requeue").await.unwrap();
        produce_batched(&dlq, n, batch);
        let entries = stored_entries(&dlq);
        assert_eq!(entries, (n / batch) as u64, "batch {batch}: the producer's entries");
        let journal = temp("journal.jsonl");
        let j = journal.to_str().unwrap();

        let first = requeue(&["dlq", "requeue", &dlq, "--to", &to, "--filter", EVEN, "--yes", "--journal", j]);
        assert_eq!(count(&first, "scanned"), n as u64, "batch {batch}: {first}");
        assert_eq!(count(&first, "moved"), (n / 2) as u64, "batch {batch}: {first}");
        assert_eq!(count(&first, "left"), (n / 2) as u64, "batch {batch}: {first}");
        // the backlog counts entries, and so does the progress that is compared with it
        assert_eq!(count(&first, "total"), entries, "batch {batch}: {first}");
        assert_eq!(count(&first, "entries"), entries, "batch {batch}: {first}");
        // the official client sees exactly the moved half at the target
        let mut got: Vec<String> =
            python_read(&to).iter().map(|m| m["payload"].as_str().unwrap_or_default().to_string()).collect();
        got.sort();
        let mut want: Vec<String> = (0..n).filter(|i| i % 2 == 0).map(|i| format!("m-{i}")).collect();
        want.sort();
        assert_eq!(got, want, "batch {batch}: the moved half at the target");
        // nothing acknowledged early: every entry still holds a message that stayed
        let left_entries = if batch == 1 { (n / 2) as i64 } else { entries as i64 };
        assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), left_entries, "batch {batch}");

        // a fresh run sees the other half (and skips the moved half by the journal)
        let second = requeue(&["dlq", "requeue", &dlq, "--to", &to, "--yes", "--journal", j]);
        assert_eq!(count(&second, "moved"), (n / 2) as u64, "batch {batch}: {second}");
        let skipped_expected = if batch == 1 { 0 } else { (n / 2) as u64 };
        assert_eq!(count(&second, "skipped"), skipped_expected, "batch {batch}: {second}");
        let counts = value_counts(&to);
        assert_eq!(counts.len(), n, "batch {batch}: every message once");
        assert!(counts.values().all(|c| *c == 1), "batch {batch}: no duplicates");
        assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 0, "batch {batch}");
    }
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_limit_that_stops_inside_a_batch_leaves_that_batch_for_the_next_run() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let dlq = format!("persistent://{ns}/jobs-s-DLQ");
    let to = format!("persistent://{ns}/jobs-target");
    produce_batched(&dlq, 100, 10);
    let journal = temp("journal.jsonl");
    let j = journal.to_str().unwrap();
    let first = requeue(&["dlq", "requeue", &dlq, "--to", &to, "--limit", "15", "--yes", "--journal", j]);
    assert_eq!(count(&first, "moved"), 15, "{first}");
    // the first batch is wholly moved and acknowledged; the second, half moved, is not
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 9);
    let second = requeue(&["dlq", "requeue", &dlq, "--to", &to, "--yes", "--journal", j]);
    assert_eq!(count(&second, "moved"), 85, "{second}");
    assert_eq!(count(&second, "skipped"), 5, "{second}");
    let counts = value_counts(&to);
    assert_eq!(counts.len(), 100);
    assert!(counts.values().all(|c| *c == 1), "no duplicates");
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 0);
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn requeue_of_a_batched_dlq_killed_at_random_points_loses_nothing() {
    const N: usize = 10_000;
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let dlq = format!("persistent://{ns}/bulk-s-DLQ");
    let to = format!("persistent://{ns}/bulk-target");
    client.admin.create_subscription(&TopicName::parse(&dlq).unwrap(), "pulsar-tui-requeue").await.unwrap();
    produce_batched(&dlq, N, 100);
    assert_eq!(stored_entries(&dlq), 100);
    // paced so that a run lasts long enough to be killed 5 times (at 1,500/s a quiet machine
    // moved the 10,000 in 3 killed runs and a 4th that finished)
    requeue_under_kills_loses_nothing(&dlq, &to, "1000", N, "batched requeue");
    drop_namespace(&client, &ns).await;
}

/// The copies to a target without a schema go out in batches, and a batch carries no
/// deliver-at time: a delayed dead letter is sent on its own and keeps its time, while the
/// plain ones around it are batched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_delayed_dead_letter_keeps_its_deliver_at_time_beside_batched_copies() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let dlq = format!("persistent://{ns}/orders-delayed-s-DLQ");
    let to = format!("persistent://{ns}/orders-delayed-target");
    client.admin.create_subscription(&TopicName::parse(&dlq).unwrap(), "pulsar-tui-requeue").await.unwrap();
    let fidelity = format!("{}/tests/clients/fidelity.py", env!("CARGO_MANIFEST_DIR"));
    for kind in ["plain-NONE", "delayed", "plain-LZ4"] {
        let sent = temp("sent.json");
        let out = Command::new("python3")
            .args([&fidelity, "write", &target().service_url, &dlq, kind, sent.to_str().unwrap()])
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let read = |topic: &str| {
        let out = pulsar_tui(&["read", topic, "--format", "jsonl", "--raw"]);
        assert!(out.status.success(), "read {topic}: {}", String::from_utf8_lossy(&out.stderr));
        json_lines(&out.stdout)
    };
    // (kind, key) -> deliver_at, as the DLQ holds them
    let by_key = |lines: &[Value]| -> std::collections::BTreeMap<(String, String), Value> {
        lines
            .iter()
            .map(|l| {
                let kind = l["properties"]["kind"].as_str().unwrap().to_string();
                ((kind, l["key"].as_str().unwrap().to_string()), l["deliver_at"].clone())
            })
            .collect()
    };
    let before = by_key(&read(&dlq));
    assert_eq!(before.len(), 43, "20 + 3 + 20 dead letters");
    assert_eq!(before.values().filter(|d| d.is_string()).count(), 3, "{before:?}");

    let journal = temp("journal.jsonl");
    let summary = requeue(&["dlq", "requeue", &dlq, "--to", &to, "--yes", "--journal", journal.to_str().unwrap()]);
    assert_eq!(count(&summary, "moved"), 43, "{summary}");
    let after = by_key(&read(&to));
    assert_eq!(after, before, "every copy with the deliver-at time of its letter (none for the plain ones)");
    // the official client reads the same 43 copies
    assert_eq!(python_read_raw(&to).len(), 43);
    eprintln!("the target stores the 43 copies in {} entries", stored_entries(&to));
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 0);
    drop_namespace(&client, &ns).await;
}
