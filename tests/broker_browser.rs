//! The message browser and `pulsar-tui read` on the real broker, with topics written by the
//! official Python client and read back by it for comparison.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{curl_json, python_produce, python_produce_paced, python_read, target, unique, Driver};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::Load;
use pulsar_tui::app::{Settings, View};
use pulsar_tui::pulsar::message::{Message, StartFrom};
use pulsar_tui::pulsar::reader::TopicReader;
use pulsar_tui::pulsar::{Client, TopicName};

const LIMIT: Duration = Duration::from_secs(60);

async fn namespace(client: &Client) -> String {
    let tenant = unique("it-browse");
    let clusters = client.admin.clusters().await.expect("broker is running (scripts/pulsar-standalone start)");
    client.admin.create_tenant(&tenant, &clusters).await.unwrap();
    let ns = format!("{tenant}/ns");
    client.admin.create_namespace(&ns).await.unwrap();
    ns
}

async fn drop_namespace(client: &Client, ns: &str) {
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{ns}?force=true"), None).await;
    let tenant = ns.split('/').next().unwrap();
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/tenants/{tenant}?force=true"), None).await;
}

async fn read_all(client: &Client, topic: &TopicName, start: &StartFrom) -> Vec<Message> {
    let mut r = TopicReader::open(client, topic, start, false).await.unwrap();
    let mut out = Vec::new();
    while let Some(m) = r.next().await.unwrap() {
        out.push(m);
    }
    out
}

fn payloads(ms: &[Message]) -> Vec<String> {
    ms.iter().map(|m| String::from_utf8(m.payload.clone()).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn every_start_position_returns_the_expected_first_message() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/plain")).unwrap();
    client.admin.create_topic(&topic, 0).await.unwrap();
    python_produce_paced(&topic.to_string(), 30, "m", 5);

    let all = read_all(&client, &topic, &StartFrom::Earliest).await;
    let expected: Vec<String> = (0..30).map(|i| format!("m-{i}")).collect();
    assert_eq!(payloads(&all), expected);
    // keys, properties and event times come through as the Python client wrote them
    assert_eq!(all[7].key.as_deref(), Some("k-7"));
    assert_eq!(all[7].properties.get("i").map(String::as_str), Some("7"));
    assert_eq!(all[7].event_time_ms, Some(1_000_007));

    assert!(read_all(&client, &topic, &StartFrom::Latest).await.is_empty(), "latest without follow is empty");
    assert_eq!(payloads(&read_all(&client, &topic, &StartFrom::BeforeLatest(5)).await), expected[25..]);
    assert_eq!(payloads(&read_all(&client, &topic, &StartFrom::AfterEarliest(3)).await)[0], "m-3");
    assert_eq!(read_all(&client, &topic, &StartFrom::AfterEarliest(3)).await.len(), 27);
    let by_id = read_all(&client, &topic, &StartFrom::Id(all[10].id)).await;
    assert_eq!(payloads(&by_id)[0], "m-10");
    assert_eq!(by_id.len(), 20);
    let by_time = read_all(&client, &topic, &StartFrom::Time(all[20].publish_time_ms)).await;
    assert_eq!(payloads(&by_time)[0], "m-20");
    let now = chrono::Utc::now().timestamp_millis();
    let relative = read_all(&client, &topic, &StartFrom::parse("1d", now).unwrap()).await;
    assert_eq!(payloads(&relative)[0], "m-0");
    let future = read_all(&client, &topic, &StartFrom::Time(now + 3_600_000)).await;
    assert!(future.is_empty(), "a time after the last message reads nothing");
    // a topic that does not exist is an error, and reading does not create it
    let ghost = TopicName::parse(&format!("persistent://{ns}/ghost")).unwrap();
    let err = TopicReader::open(&client, &ghost, &StartFrom::Earliest, false).await.err().expect("ghost fails");
    assert!(err.to_string().contains("not found"), "{err}");
    let listed = curl_json(&format!("/admin/v2/persistent/{ns}"));
    assert!(!listed.to_string().contains("ghost"), "reading created the topic: {listed}");
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn partitioned_topics_are_merged_by_publish_time() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/parted")).unwrap();
    client.admin.create_topic(&topic, 4).await.unwrap();
    python_produce_paced(&topic.to_string(), 40, "p", 3);

    let all = read_all(&client, &topic, &StartFrom::Earliest).await;
    let got: BTreeSet<String> = payloads(&all).into_iter().collect();
    let expected: BTreeSet<String> = (0..40).map(|i| format!("p-{i}")).collect();
    assert_eq!(got, expected, "every message exactly once");
    assert_eq!(all.len(), 40);
    assert!(all.windows(2).all(|w| w[0].publish_time_ms <= w[1].publish_time_ms), "merged by publish time");
    let partitions: BTreeSet<i32> = all.iter().map(|m| m.id.partition).collect();
    assert!(partitions.len() > 1, "the producer spread messages over partitions: {partitions:?}");
    // the same order as a time-sorted Python read
    let mut py = python_read(&topic.to_string());
    py.sort_by_key(|v| v["publish_time"].as_i64().unwrap());
    let py_payloads: Vec<String> = py.iter().map(|v| v["payload"].as_str().unwrap().to_string()).collect();
    assert_eq!(payloads(&all), py_payloads);

    // one partition alone (the browser's partition filter reads the partition's own topic)
    let only1 = read_all(&client, &topic.partition(1), &StartFrom::Earliest).await;
    assert!(!only1.is_empty());
    assert!(only1.iter().all(|m| m.id.partition == 1));
    assert_eq!(only1.len(), all.iter().filter(|m| m.id.partition == 1).count());

    let last5 = read_all(&client, &topic, &StartFrom::BeforeLatest(5)).await;
    assert_eq!(payloads(&last5), py_payloads[35..]);
    // a message id with its partition starts there, the other partitions at its publish time
    let from = &all[17];
    let rest = read_all(&client, &topic, &StartFrom::Id(from.id)).await;
    assert_eq!(payloads(&rest)[0], payloads(&all)[17]);
    assert_eq!(payloads(&rest), payloads(&all)[17..]);
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn paging_reads_every_message_once_in_both_directions_and_has_no_side_effects() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/deep")).unwrap();
    client.admin.create_topic(&topic, 3).await.unwrap();
    client.admin.create_subscription(&topic, "watcher").await.unwrap();
    python_produce(&topic.to_string(), 95, "d");
    let subs_before = curl_json(&format!("/admin/v2/{}/subscriptions", topic.rest_path()));
    let stats_before = curl_json(&format!("/admin/v2/{}/partitioned-stats?perPartition=true", topic.rest_path()));

    // pages of 10 in a window of 20: the window must slide and be re-read backwards
    let settings = Settings { page_size: 10, window: 20, ..Settings::default() };
    let mut d = Driver::new(client.clone(), settings);
    d.until("tenants", LIMIT, |app| app.explorer.tree.roots_load == Load::Loaded).await;
    let reqs = d.app.open_browser(topic.clone(), StartFrom::Earliest);
    d.submit(reqs);
    assert_eq!(d.app.view, View::Browser);
    d.until("first page", LIMIT, |app| app.browser.as_ref().is_some_and(|b| !b.rows.is_empty() && b.loading.is_none()))
        .await;

    let mut seen: Vec<String> = Vec::new();
    let mut max_rows = 0;
    loop {
        let b = d.app.browser.as_ref().unwrap();
        let row = b.selected_row().unwrap();
        let number = b.first_row_number() + b.selected;
        assert_eq!(number, seen.len(), "row numbers follow the reading order");
        seen.push(String::from_utf8(row.message.payload.clone()).unwrap());
        max_rows = max_rows.max(b.rows.len());
        if b.at_end && b.selected + 1 == b.rows.len() {
            break;
        }
        d.act(Action::Down);
        d.until("next row", LIMIT, |app| {
            app.browser.as_ref().is_some_and(|b| b.loading.is_none() && b.first_row_number() + b.selected == number + 1)
        })
        .await;
    }
    assert_eq!(seen.len(), 95);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 95, "every message exactly once");
    assert!(max_rows <= 20, "the window stays bounded ({max_rows} rows)");
    let in_order = read_all(&client, &topic, &StartFrom::Earliest).await;
    assert_eq!(seen, payloads(&in_order), "the browser shows the merged order");

    // and back up to the first message, re-reading dropped pages
    let mut back = vec![seen[94].clone()];
    loop {
        let b = d.app.browser.as_ref().unwrap();
        let number = b.first_row_number() + b.selected;
        if number == 0 {
            break;
        }
        d.act(Action::Up);
        d.until("previous row", LIMIT, |app| {
            app.browser.as_ref().is_some_and(|b| b.loading.is_none() && b.first_row_number() + b.selected + 1 == number)
        })
        .await;
        let b = d.app.browser.as_ref().unwrap();
        back.push(String::from_utf8(b.selected_row().unwrap().message.payload.clone()).unwrap());
    }
    back.reverse();
    assert_eq!(back, seen, "paging backwards shows the same messages");

    // leaving the browser stops its readers: no subscription was created, no cursor moved
    d.act(Action::Back);
    d.settle(LIMIT).await;
    // readers are non-durable: their subscriptions exist only while they read, and the
    // pulsar crate closes them in the background once dropped
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let subs_after = curl_json(&format!("/admin/v2/{}/subscriptions", topic.rest_path()));
        if subs_after == subs_before {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "reader subscriptions left behind: {subs_after}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stats_after = curl_json(&format!("/admin/v2/{}/partitioned-stats?perPartition=true", topic.rest_path()));
    assert_eq!(
        stats_before["subscriptions"]["watcher"]["msgBacklog"],
        stats_after["subscriptions"]["watcher"]["msgBacklog"]
    );
    assert_eq!(stats_after["subscriptions"]["watcher"]["msgBacklog"], 95);
    for p in 0..3 {
        let name = topic.partition(p);
        let internal = curl_json(&format!("/admin/v2/{}/internalStats", name.rest_path()));
        let cursors: Vec<&String> = internal["cursors"].as_object().unwrap().keys().collect();
        assert_eq!(cursors, vec!["watcher"], "partition {p} has only the pre-existing cursor");
    }
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn follow_mode_shows_messages_produced_after_opening() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = TopicName::parse(&format!("persistent://{ns}/live")).unwrap();
    client.admin.create_topic(&topic, 2).await.unwrap();
    python_produce(&topic.to_string(), 5, "old");
    let mut d = Driver::new(client.clone(), Settings::default());
    let reqs = d.app.open_browser(topic.clone(), StartFrom::Earliest);
    d.submit(reqs);
    d.until("old messages", LIMIT, |app| app.browser.as_ref().is_some_and(|b| b.rows.len() == 5 && b.at_end)).await;
    d.act(Action::ToggleFollow);
    assert!(d.app.browser.as_ref().unwrap().follow.is_some());
    let t = topic.to_string();
    let producer = std::thread::spawn(move || python_produce(&t, 7, "new"));
    d.until("new messages", LIMIT, |app| app.browser.as_ref().is_some_and(|b| b.rows.len() == 12)).await;
    producer.join().unwrap();
    let b = d.app.browser.as_ref().unwrap();
    let news: BTreeSet<String> =
        b.rows.iter().skip(5).map(|r| String::from_utf8(r.message.payload.clone()).unwrap()).collect();
    assert_eq!(news, (0..7).map(|i| format!("new-{i}")).collect());
    assert_eq!(b.selected, 11, "the selection followed the newest row");
    d.act(Action::ToggleFollow);
    assert!(d.app.browser.as_ref().unwrap().follow.is_none());
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn headless_read_is_stable_and_matches_the_python_reader() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/tenk");
    client.admin.create_topic(&TopicName::parse(&topic).unwrap(), 0).await.unwrap();
    python_produce(&topic, 10_000, "v");
    let t = target();
    let read = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
            .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &topic])
            .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let first = read();
    let second = read();
    assert!(first == second, "two reads differ");
    let ours: Vec<serde_json::Value> =
        String::from_utf8(first).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let theirs = python_read(&topic);
    assert_eq!(ours.len(), 10_000);
    assert_eq!(theirs.len(), 10_000);
    for (o, p) in ours.iter().zip(&theirs) {
        assert_eq!(o["message_id"], p["message_id"]);
        assert_eq!(o["key"], p["key"]);
        assert_eq!(o["properties"], p["properties"]);
        assert_eq!(o["value"], p["payload"]);
        assert!(o["decode_error"].is_null());
    }
    drop_namespace(&client, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn read_filters_return_exactly_the_matching_set() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/filtered");
    client.admin.create_topic(&TopicName::parse(&topic).unwrap(), 2).await.unwrap();
    python_produce(&topic, 30, "f");
    let t = target();
    let read = |filter: &str| -> Vec<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
            .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &topic, "--filter", filter])
            .args(["--format", "value"])
            .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{filter}: {}", String::from_utf8_lossy(&out.stderr));
        let mut v: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<String>(l).unwrap())
            .collect();
        v.sort();
        v
    };
    let expect = |pred: &dyn Fn(usize) -> bool| -> Vec<String> {
        let mut v: Vec<String> = (0..30).filter(|i| pred(*i)).map(|i| format!("f-{i}")).collect();
        v.sort();
        v
    };
    assert_eq!(read(r#"int(properties["i"]) % 3 == 0"#), expect(&|i| i % 3 == 0));
    assert_eq!(read(r#"key.startsWith("k-1")"#), expect(&|i| i == 1 || (10..20).contains(&i)));
    assert_eq!(read(r#"value.endsWith("-7") || partition < 0"#), expect(&|i| i == 7));
    assert_eq!(read(r#"!(key == "k-5") && size == 3"#), expect(&|i| i < 10 && i != 5));
    // a bad expression is a clear error, not an empty result
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &topic, "--filter", "key =="])
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("syntax error"));

    // the browser's scan (`/`) finds the same set, with its progress counts
    let mut d = Driver::new(client.clone(), Settings::default());
    let reqs = d.app.open_browser(TopicName::parse(&topic).unwrap(), StartFrom::Earliest);
    d.submit(reqs);
    d.until("first page", LIMIT, |app| app.browser.as_ref().is_some_and(|b| b.rows.len() == 30)).await;
    let reqs = d.app.start_scan(r#"int(properties["i"]) % 3 == 0"#.into());
    d.submit(reqs);
    d.until("scan done", LIMIT, |app| app.browser.as_ref().and_then(|b| b.scan.as_ref()).is_some_and(|s| s.done)).await;
    let b = d.app.browser.as_ref().unwrap();
    let scan = b.scan.as_ref().unwrap();
    assert_eq!((scan.scanned, scan.matched, scan.decode_errors), (30, 10, 0));
    let mut got: Vec<String> = b.rows.iter().map(|r| String::from_utf8(r.message.payload.clone()).unwrap()).collect();
    got.sort();
    assert_eq!(got, expect(&|i| i % 3 == 0));
    drop_namespace(&client, &ns).await;
}
