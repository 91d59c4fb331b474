//! The explorer's write actions against the real broker, checked through the admin API
//! with curl (independently of our client).

mod common;

use common::{curl_json, python_produce, target, unique};
use pulsar_tui::pulsar::actions::WriteAction;
use pulsar_tui::pulsar::request::{ExplorerRequest, ExplorerResponse, RequestKind, ResponseKind};
use pulsar_tui::pulsar::worker::execute;
use pulsar_tui::pulsar::{Client, TopicName};

async fn run(client: &Client, action: WriteAction) -> String {
    match execute(client, RequestKind::Explorer(ExplorerRequest::RunAction { action })).await {
        ResponseKind::Explorer(ExplorerResponse::ActionDone { message }) => message,
        other => panic!("action failed: {other:?}"),
    }
}

fn backlog(topic: &TopicName, sub: &str) -> i64 {
    let stats = curl_json(&format!("/admin/v2/{}/stats", topic.rest_path()));
    stats["subscriptions"][sub]["msgBacklog"].as_i64().unwrap_or(-1)
}

fn subscriptions(topic: &TopicName) -> Vec<String> {
    serde_json::from_value(curl_json(&format!("/admin/v2/{}/subscriptions", topic.rest_path()))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn subscription_actions_change_exactly_what_they_say() {
    let client = Client::new(target()).unwrap();
    let topic = TopicName::parse(&format!("persistent://public/default/{}", unique("actions"))).unwrap();
    let sub = "audit".to_string();
    run(&client, WriteAction::CreateSubscription { topic: topic.clone(), subscription: sub.clone(), earliest: true })
        .await;
    assert!(subscriptions(&topic).contains(&sub));
    let before = chrono::Utc::now().timestamp_millis();
    python_produce(&topic.to_string(), 10, "m");
    assert_eq!(backlog(&topic, &sub), 10);

    run(&client, WriteAction::Skip { topic: topic.clone(), subscription: sub.clone(), n: 3, partitions: 0 }).await;
    assert_eq!(backlog(&topic, &sub), 7);

    run(&client, WriteAction::ClearBacklog { topic: topic.clone(), subscription: sub.clone() }).await;
    assert_eq!(backlog(&topic, &sub), 0);

    // back to a time before the first message: everything is delivered again
    run(
        &client,
        WriteAction::ResetCursorToTime { topic: topic.clone(), subscription: sub.clone(), time_ms: before - 1000 },
    )
    .await;
    assert_eq!(backlog(&topic, &sub), 10);

    // to the id of the 6th message: 5 left from there (inclusive)
    let ids: Vec<serde_json::Value> = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
            .args(["read", &topic.to_string(), "--format", "jsonl"])
            .env("PULSAR_SERVICE_URL", target().service_url)
            .env("PULSAR_ADMIN_URL", target().admin_url)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    assert_eq!(ids.len(), 10);
    let sixth: pulsar_tui::pulsar::message::MessageId = ids[5]["message_id"].as_str().unwrap().parse().unwrap();
    run(&client, WriteAction::ResetCursorToId { topic: topic.clone(), subscription: sub.clone(), id: sixth }).await;
    assert_eq!(backlog(&topic, &sub), 5);

    run(&client, WriteAction::Unload { topic: topic.clone() }).await;
    // the topic loads again on the next use and keeps its cursor
    assert_eq!(backlog(&topic, &sub), 5);

    run(&client, WriteAction::DeleteSubscription { topic: topic.clone(), subscription: sub.clone() }).await;
    assert!(!subscriptions(&topic).contains(&sub));
    let _ =
        client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/{}?force=true", topic.rest_path()), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn partitions_grow_and_skip_applies_to_each_partition() {
    let client = Client::new(target()).unwrap();
    let topic = TopicName::parse(&format!("persistent://public/default/{}", unique("actions-p"))).unwrap();
    client.admin.create_topic(&topic, 2).await.unwrap();
    run(&client, WriteAction::CreateSubscription { topic: topic.clone(), subscription: "s".into(), earliest: true })
        .await;
    python_produce(&topic.to_string(), 8, "m"); // keys k-0..k-7 spread over both partitions
    let total = || {
        let s = curl_json(&format!("/admin/v2/{}/partitioned-stats", topic.rest_path()));
        s["subscriptions"]["s"]["msgBacklog"].as_i64().unwrap()
    };
    assert_eq!(total(), 8);
    run(&client, WriteAction::Skip { topic: topic.clone(), subscription: "s".into(), n: 1, partitions: 2 }).await;
    assert_eq!(total(), 6, "one skipped on each of the 2 partitions");

    run(&client, WriteAction::IncreasePartitions { topic: topic.clone(), from: 2, to: 3 }).await;
    let meta = curl_json(&format!("/admin/v2/{}/partitions", topic.rest_path()));
    assert_eq!(meta["partitions"], 3);
    // refused by the broker: deleting a subscription with a connected consumer
    let pulsar = client.pulsar().await.unwrap();
    let consumer: pulsar::Consumer<Vec<u8>, _> =
        pulsar.consumer().with_topic(topic.to_string()).with_subscription("busy").build().await.unwrap();
    let r = execute(
        &client,
        RequestKind::Explorer(ExplorerRequest::RunAction {
            action: WriteAction::DeleteSubscription { topic: topic.clone(), subscription: "busy".into() },
        }),
    )
    .await;
    let ResponseKind::Failed { error, .. } = r else { panic!("deleting a busy subscription should fail: {r:?}") };
    assert!(error.to_string().contains("consumer"), "{error}");
    drop(consumer);
    let _ = client
        .admin
        .write(reqwest::Method::DELETE, &format!("/admin/v2/{}/partitions?force=true", topic.rest_path()), None)
        .await;
}
