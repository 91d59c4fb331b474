//! DLQ discovery and requeue against the real broker, with dead letters written by real
//! clients: the official Python pulsar-client and pulsar-rs with a DeadLetterPolicy.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use common::dlq::{
    drop_namespace, json_lines, namespace, pulsar_tui, python, requeue_under_kills_loses_nothing, sub_backlog, temp,
};
use common::{curl_json, target};
use futures::StreamExt;
use pulsar::consumer::{ConsumerOptions, DeadLetterPolicy, InitialPosition};
use pulsar::message::proto::command_subscribe::SubType;
use pulsar_tui::pulsar::{Client, TopicName};
use serde_json::Value;

fn subscriptions(topic: &str) -> Vec<String> {
    let t = TopicName::parse(topic).unwrap();
    serde_json::from_value(curl_json(&format!("/admin/v2/{}/subscriptions", t.rest_path()))).unwrap()
}

fn journal_ids(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["message_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn python_dead_letters_are_found_and_requeued_to_the_original_topic_without_loss() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/orders");
    let dlq = format!("persistent://{ns}/orders-work-DLQ");
    client.admin.create_topic(&TopicName::parse(&topic).unwrap(), 2).await.unwrap();
    let flow = temp("flow.json");
    python(&["dead-letter", &target().service_url, &topic, "work", &dlq, "30", flow.to_str().unwrap()]);
    let flow: Value = serde_json::from_str(&std::fs::read_to_string(&flow).unwrap()).unwrap();
    let dead: BTreeSet<i64> = flow["dead"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(dead.len(), 10);

    // discovery: by name, with origin and subscription, and the message count
    let out = pulsar_tui(&["dlq", "list", &ns]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = json_lines(&out.stdout);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["topic"], dlq.as_str());
    assert_eq!(listed[0]["origin"], topic.as_str());
    assert_eq!(listed[0]["subscription"], "work");
    assert_eq!(listed[0]["kind"], "dlq");
    assert_eq!(listed[0]["messages"], 10);
    assert!(listed[0]["oldest_publish_time"].is_string());

    // the preview changes nothing: no subscription of ours appears
    let journal = temp("journal.jsonl");
    let j = journal.to_str().unwrap();
    let out = pulsar_tui(&["dlq", "requeue", &dlq, "--journal", j]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out.stdout);
    let preview = &lines.last().unwrap()["preview"];
    assert_eq!(preview["would_move"], 10, "{preview}");
    assert_eq!(preview["targets"][&topic], 10, "REAL_TOPIC is a partition; the parent is the target");
    assert!(preview["meaning"].as_str().unwrap().contains("work"), "{preview}");
    assert!(!subscriptions(&dlq).contains(&"pulsar-tui-requeue".to_string()));
    assert!(!journal.exists() || journal_ids(&journal).is_empty());

    let out = pulsar_tui(&["dlq", "requeue", &dlq, "--to", "original", "--yes", "--journal", j]);
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let summary = json_lines(&out.stdout).last().unwrap()["summary"].clone();
    assert_eq!(summary["moved"], 10, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");

    // a fresh consumer on the original subscription gets every requeued message back
    let got_path = temp("got.jsonl");
    python(&["consume", &target().service_url, &topic, "work", "10", got_path.to_str().unwrap()]);
    let got = json_lines(&std::fs::read(&got_path).unwrap());
    let got_ids: BTreeSet<i64> =
        got.iter().map(|g| g["properties"]["i"].as_str().unwrap().parse::<i64>().unwrap()).collect();
    assert_eq!(got_ids, dead);
    for g in &got {
        let i = g["properties"]["i"].as_str().unwrap();
        assert_eq!(g["key"], format!("k-{i}").as_str(), "key kept");
        assert_eq!(g["payload"], format!("payload-{i}").as_str(), "payload kept");
        assert_eq!(g["properties"]["origin"], "python", "properties kept");
        let props = g["properties"].as_object().unwrap();
        assert!(!props.contains_key("REAL_TOPIC") && !props.contains_key("ORIGIN_MESSAGE_ID"), "{props:?}");
        assert!(props["PULSAR_TUI_REQUEUED_FROM"].as_str().unwrap().starts_with(&format!("{dlq}@")));
    }
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 0);
    assert_eq!(journal_ids(&journal).len(), 10);

    // a second run finds nothing left to move
    let out = pulsar_tui(&["dlq", "requeue", &dlq, "--yes", "--journal", j]);
    assert!(out.status.success());
    let summary = json_lines(&out.stdout).last().unwrap()["summary"].clone();
    assert_eq!((summary["moved"].as_u64(), summary["failed"].as_u64()), (Some(0), Some(0)), "{summary}");
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn pulsar_rs_dead_letters_requeue_a_filtered_set_to_another_topic() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/events");
    let dlq = format!("persistent://{ns}/events-proc-DLQ");
    let elsewhere = format!("persistent://{ns}/events-replay");
    let pulsar = client.pulsar().await.unwrap();
    let mut consumer: pulsar::Consumer<Vec<u8>, _> = pulsar
        .consumer()
        .with_topic(&topic)
        .with_subscription("proc")
        .with_subscription_type(SubType::Shared)
        .with_options(ConsumerOptions::default().with_initial_position(InitialPosition::Earliest))
        .with_dead_letter_policy(DeadLetterPolicy { max_redeliver_count: 2, dead_letter_topic: dlq.clone() })
        .build()
        .await
        .unwrap();
    // the target needs a subscription to keep what we send it
    client.admin.create_subscription(&TopicName::parse(&elsewhere).unwrap(), "check").await.unwrap();
    // produced by the Python client: payload-i, key k-i, property i
    common::python_produce(&topic, 8, "payload");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut acked = 0;
    while acked < 4 {
        assert!(Instant::now() < deadline, "pulsar-rs did not dead-letter in time");
        let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(2), consumer.next()).await else { continue };
        let i: i64 = String::from_utf8_lossy(&m.payload.data).rsplit('-').next().unwrap().parse().unwrap();
        if i % 2 == 0 {
            consumer.nack(&m).await.unwrap();
        } else {
            consumer.ack(&m).await.unwrap();
            acked += 1;
        }
    }
    // the even ones go to the DLQ after their redeliveries
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_millis(500), consumer.next()).await {
            consumer.nack(&m).await.unwrap();
        }
        let entries = client.admin.stored_entries(&TopicName::parse(&dlq).unwrap()).await.unwrap_or(0);
        if entries >= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "DLQ has {entries} of 4");
    }
    drop(consumer);

    // pulsar-rs writes ORIGIN_MESSAGE_ID as l:e:p and keeps REAL_TOPIC
    let journal = temp("journal.jsonl");
    let j = journal.to_str().unwrap();
    let out = pulsar_tui(&[
        "dlq",
        "requeue",
        &dlq,
        "--to",
        &elsewhere,
        "--filter",
        "properties.i == \"0\" || properties.i == \"4\"",
        "--keep-dlq-properties",
        "--yes",
        "--journal",
        j,
    ]);
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let summary = json_lines(&out.stdout).last().unwrap()["summary"].clone();
    assert_eq!(summary["moved"], 2, "{summary}");
    assert_eq!(summary["left"], 2, "{summary}");
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 2, "the filtered-out ones stay in the DLQ");

    let out = pulsar_tui(&["read", &elsewhere, "--format", "jsonl"]);
    let moved = json_lines(&out.stdout);
    let mut is: Vec<&str> = moved.iter().map(|m| m["properties"]["i"].as_str().unwrap()).collect();
    is.sort();
    assert_eq!(is, vec!["0", "4"]);
    for m in &moved {
        let props: BTreeMap<String, String> = serde_json::from_value(m["properties"].clone()).unwrap();
        assert_eq!(props["REAL_TOPIC"], topic, "kept with --keep-dlq-properties");
        assert!(props["ORIGIN_MESSAGE_ID"].parse::<pulsar_tui::pulsar::message::MessageId>().is_ok());
        assert_eq!(m["key"], format!("k-{}", props["i"]).as_str());
        assert!(m["event_time"].is_string(), "pulsar-rs keeps the event time and so do we");
    }
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn read_only_mode_refuses_requeue_before_touching_the_dlq() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let dlq = format!("persistent://{ns}/x-s-DLQ");
    client.admin.create_topic(&TopicName::parse(&dlq).unwrap(), 0).await.unwrap();
    let out = pulsar_tui(&["--read-only", "dlq", "requeue", &dlq, "--yes", "--journal", temp("j").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("read-only"), "{err}");
    assert!(subscriptions(&dlq).is_empty(), "no subscription was created");
    drop_namespace(&client, &ns).await;
}

/// Fills a DLQ with `n` messages (payload m-i) through `pulsar-tui produce`.
fn fill(dlq: &str, n: usize) {
    let lines: String = (0..n).map(|i| format!("m-{i}\n")).collect();
    let t = target();
    let args = ["--key", "k-{n}", "--property", "REAL_TOPIC=persistent://public/default/unused"];
    common::produce_lines(&t.service_url, &t.admin_url, None, dlq, &args, &lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn requeue_killed_at_random_points_loses_nothing() {
    const N: usize = 10_000;
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let dlq = format!("persistent://{ns}/bulk-s-DLQ");
    let to = format!("persistent://{ns}/bulk-target");
    client.admin.create_subscription(&TopicName::parse(&to).unwrap(), "check").await.unwrap();
    // our subscription exists before the messages, as after a first run
    client.admin.create_subscription(&TopicName::parse(&dlq).unwrap(), "pulsar-tui-requeue").await.unwrap();
    fill(&dlq, N);
    // paced so that a run lasts long enough to be killed 5 times (at 3,000/s a run that
    // keeps the pace moves the 10,000 in 3 or 4 killed runs)
    requeue_under_kills_loses_nothing(&dlq, &to, "1500", N, "requeue");
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_tui_requeues_a_dlq_after_its_preview_and_typed_confirmation() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use pulsar_tui::app::keys::Action;
    use pulsar_tui::app::tree::NodeKey;
    use pulsar_tui::app::{Event, Settings, View};

    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let origin = format!("persistent://{ns}/jobs");
    let dlq = format!("persistent://{ns}/jobs-worker-DLQ");
    client.admin.create_subscription(&TopicName::parse(&origin).unwrap(), "worker").await.unwrap();
    let real = format!("REAL_TOPIC={origin}");
    let t = target();
    common::produce_lines(
        &t.service_url,
        &t.admin_url,
        None,
        &dlq,
        &["--key", "job-{n}", "--property", &real],
        "a\nb\nc\n",
    );

    let journal = temp("journal.jsonl");
    let settings = Settings { journal_path: journal.clone(), ..Settings::default() };
    let mut d = common::Driver::new(client.clone(), settings);
    let dlq_name = TopicName::parse(&dlq).unwrap();
    let reqs = d.app.jump_to(dlq_name.clone());
    d.submit(reqs);
    let want = Some(NodeKey::Topic(dlq_name.clone()));
    d.until("the DLQ selected", Duration::from_secs(20), |app| app.explorer.tree.selected_key() == want).await;
    d.act(Action::OpenDlq);
    d.until("the DLQ listed", Duration::from_secs(20), |app| {
        app.dlq.as_ref().is_some_and(|v| v.request.is_none() && !v.letters.is_empty())
    })
    .await;
    assert_eq!(d.app.view, View::Dlq);
    let l = &d.app.dlq.as_ref().unwrap().letters[0];
    assert_eq!((l.letter.subscription.as_deref(), l.messages), (Some("worker"), 3));
    d.act(Action::Requeue);
    d.until("the preview", Duration::from_secs(20), |app| app.requeue.as_ref().is_some_and(|r| r.plan.is_some())).await;
    assert_eq!(d.app.requeue.as_ref().unwrap().plan.as_ref().unwrap().progress.moved, 3);
    assert!(!subscriptions(&dlq).contains(&"pulsar-tui-requeue".to_string()), "the preview changed nothing");
    for c in "worker".chars() {
        d.handle(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    d.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    d.until("the summary", Duration::from_secs(30), |app| {
        app.requeue.as_ref().and_then(|r| r.run.as_ref()).is_some_and(|run| run.summary.is_some())
    })
    .await;
    let run = d.app.requeue.as_ref().unwrap().run.as_ref().unwrap();
    let summary = run.summary.as_ref().unwrap();
    assert_eq!((summary.progress.moved, summary.progress.failed), (3, 0), "{summary:?}");
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 0);
    // (requeued copies to a topic without schema are batched: the backlog counts entries)
    assert!(sub_backlog(&origin, "worker", false) >= 1, "the origin's subscription sees them again");
    let copies = json_lines(&pulsar_tui(&["read", &origin, "--format", "jsonl"]).stdout);
    let keys: BTreeSet<&str> = copies.iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["job-0", "job-1", "job-2"].into_iter().collect());
    assert_eq!(journal_ids(&journal).len(), 3);
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn avro_dead_letters_without_a_version_are_requeued_with_the_version_that_wrote_them() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/orders");
    let dlq = format!("persistent://{ns}/orders-billing-DLQ");
    let produced = temp("produced.json");
    python(&["avro-dead-letter", &target().service_url, &topic, "billing", &dlq, produced.to_str().unwrap()]);
    let produced: Value = serde_json::from_str(&std::fs::read_to_string(&produced).unwrap()).unwrap();

    // the dead letters carry no schema version, yet the browser decodes them (origin schema)
    let out = pulsar_tui(&["read", &dlq, "--format", "jsonl"]);
    let letters = json_lines(&out.stdout);
    assert_eq!(letters.len(), 4, "{letters:?}");
    for l in &letters {
        assert!(l["schema_version"].is_null());
        assert_eq!(l["decode_error"], Value::Null, "{l}");
        let id = l["value"]["id"].as_str().unwrap();
        assert_eq!(l["value"]["amount"], produced[id]["amount"]);
    }

    let journal = temp("journal.jsonl");
    let out = pulsar_tui(&["dlq", "requeue", &dlq, "--yes", "--journal", journal.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_lines(&out.stdout).last().unwrap()["summary"]["moved"], 4);

    // on the origin, each requeued copy carries the version that wrote it and decodes to
    // exactly what was produced
    let out =
        pulsar_tui(&["read", &topic, "--format", "jsonl", "--filter", "\"PULSAR_TUI_REQUEUED_FROM\" in properties"]);
    let copies = json_lines(&out.stdout);
    assert_eq!(copies.len(), 4, "{copies:?}");
    for c in &copies {
        let id = c["value"]["id"].as_str().unwrap();
        let want_version = if id == "o-1" || id == "o-2" { 0 } else { 1 };
        assert_eq!(c["schema_version"], want_version, "{c}");
        assert_eq!(c["decode_error"], Value::Null, "{c}");
        assert_eq!(c["value"], produced[id], "{c}");
        assert_eq!(c["key"], id);
    }
    drop_namespace(&client, &ns).await;
}
