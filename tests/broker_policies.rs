//! Policies against the real broker (topic-level policies on): every editable policy set at
//! the namespace and at the topic level, read back with its source through the library
//! (what the UI's request runs), the UI model, and the headless command, cross-checked with
//! the admin API read by a plain HTTP client and with the broker's own `?applied=true` and
//! topic stats; overrides removed; the typed confirmation of a data-dropping change in the
//! UI; read-only mode refusing every change with nothing reaching the broker.

mod common;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::{Event, Settings};
use pulsar_tui::policies::edit::{EditKey, Preview};
use pulsar_tui::policies::{Source, Target};
use pulsar_tui::pulsar::policies::{execute, Edit, PoliciesRequest, PoliciesResponse, Snapshot};
use pulsar_tui::pulsar::{Client, ClientError, TopicName};
use serde_json::{json, Value};

use common::dlq::{json_lines, pulsar_tui};
use common::{target, unique, Driver};

/// Each editable key, its value at the namespace and at the topic level, and the JSON the
/// broker must hold for each (a field of the policy, or its whole value).
fn cases() -> Vec<(EditKey, &'static str, Value, &'static str, Value)> {
    use EditKey::*;
    vec![
        (Ttl, "1h", json!(3600), "90", json!(90)),
        (RetentionTime, "120", json!(120), "90", json!(90)),
        (RetentionSize, "100", json!(100), "50", json!(50)),
        (BacklogQuotaSize, "10M", json!(10485760), "5M", json!(5242880)),
        (
            BacklogQuotaSizePolicy,
            "producer_exception",
            json!("producer_exception"),
            "consumer_backlog_eviction",
            json!("consumer_backlog_eviction"),
        ),
        (BacklogQuotaTime, "1h", json!(3600), "30m", json!(1800)),
        (
            BacklogQuotaTimePolicy,
            "producer_exception",
            json!("producer_exception"),
            "producer_request_hold",
            json!("producer_request_hold"),
        ),
        (MaxUnackedPerSubscription, "1000", json!(1000), "500", json!(500)),
        (MaxUnackedPerConsumer, "100", json!(100), "50", json!(50)),
        (DispatchRateMsg, "1000", json!(1000), "500", json!(500)),
        (DispatchRateByte, "1M", json!(1048576), "512K", json!(524288)),
        (PublishRateMsg, "2000", json!(2000), "700", json!(700)),
        (PublishRateByte, "2M", json!(2097152), "1M", json!(1048576)),
        (CompactionThreshold, "100M", json!(104857600), "50M", json!(52428800)),
        (SchemaCompatibility, "BACKWARD", json!("BACKWARD"), "FORWARD", json!("FORWARD")),
        (Deduplication, "true", json!(true), "false", json!(false)),
    ]
}

fn field(v: &Option<Value>, key: EditKey) -> Option<Value> {
    let v = v.as_ref()?;
    match key.field() {
        Some(f) => v.get(f).cloned(),
        None => Some(v.clone()),
    }
}

async fn fetch(client: &Client, target: &Target) -> Snapshot {
    match execute(client, &PoliciesRequest::Fetch { target: target.clone() }).await {
        Ok(PoliciesResponse::Fetched { snapshot, .. }) => *snapshot,
        other => panic!("fetch {target}: {other:?}"),
    }
}

/// A change confirmed with the target's name (what `--yes` and the typed name do).
async fn apply(client: &Client, target: &Target, edit: Edit) -> Result<Preview, ClientError> {
    let confirmed = Some(target.confirm_name());
    match execute(client, &PoliciesRequest::Apply { target: target.clone(), edit: edit.clone(), confirmed }).await? {
        PoliciesResponse::Applied { preview, .. } => Ok(*preview),
        other => panic!("apply {edit:?}: {other:?}"),
    }
}

/// A GET of the admin API by a client of its own (not ours): `None` for an empty answer.
async fn admin_get(path: &str) -> Option<Value> {
    let url = format!("{}{path}", target().admin_url);
    let text = reqwest::get(&url).await.expect("admin GET").text().await.expect("body");
    (!text.trim().is_empty()).then(|| serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {text}: {e}")))
}

/// The policy's value as the admin API holds it at one level (the quota map's type).
async fn held(target: &Target, key: EditKey) -> Option<Value> {
    let def = key.def();
    let path = match target {
        Target::Namespace(_) => def.ns_path.unwrap(),
        Target::Topic(_) => def.topic_path.unwrap(),
    };
    let v = admin_get(&target.path(path)).await;
    let v = match def.field {
        Some(f) => v.and_then(|m| m.get(f).cloned()),
        None => v,
    };
    field(&v, key)
}

fn headless_policies(target: &str) -> Vec<Value> {
    let out = pulsar_tui(&["policies", target]);
    assert!(out.status.success(), "policies {target}: {}", String::from_utf8_lossy(&out.stderr));
    json_lines(&out.stdout).into_iter().filter(|l| l["type"] == "policy").collect()
}

fn headless_source(lines: &[Value], policy: &str) -> (String, Value) {
    let l = lines.iter().find(|l| l["key"] == policy).unwrap_or_else(|| panic!("no {policy} in {lines:?}"));
    (l["source"].as_str().unwrap_or("").to_string(), l["value"].clone())
}

struct Fixture {
    client: Client,
    ns: String,
    topic: TopicName,
}

async fn fixture() -> Fixture {
    let client = Client::new(target()).expect("client");
    let ns = format!("public/{}", unique("pol"));
    client.admin.create_namespace(&ns).await.expect("create namespace");
    let topic = TopicName::parse(&format!("persistent://{ns}/orders")).unwrap();
    client.admin.create_topic(&topic, 0).await.expect("create topic");
    client.admin.create_subscription(&topic, "audit").await.expect("create subscription");
    Fixture { client, ns, topic }
}

async fn drop_namespace(client: &Client, ns: &str) {
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{ns}?force=true"), None).await;
}

#[tokio::test]
#[ignore = "needs the broker: scripts/test runs it"]
async fn every_editable_policy_at_both_levels_with_its_source() {
    let fx = fixture().await;
    let ns = Target::Namespace(fx.ns.clone());
    let topic = Target::Topic(fx.topic.clone());

    // nothing set: broker defaults, and the broker agrees (`?applied=true`)
    let snap = fetch(&fx.client, &topic).await;
    assert!(snap.effective.topic_policies_enabled, "the test broker runs with topic-level policies");
    let ttl = snap.effective.get("message-ttl").unwrap();
    assert_eq!((ttl.source, ttl.value.clone()), (Source::Broker, Some(json!(0))));
    for p in &snap.effective.policies {
        if let (Some(applied), Some(v)) = (&p.applied, &p.value) {
            for k in EditKey::ALL.iter().filter(|k| k.policy() == p.key) {
                assert_eq!(field(&Some(applied.clone()), *k), field(&Some(v.clone()), *k), "{}: broker default", p.key);
            }
        }
    }

    // namespace level
    for (key, ns_value, ns_held, _, _) in cases() {
        let p = apply(&fx.client, &ns, Edit::Set { key, value: ns_value.into() })
            .await
            .unwrap_or_else(|e| panic!("set {} {ns_value} on {}: {e}", key.name(), fx.ns));
        assert_eq!(p.after_source, Source::Namespace);
        assert_eq!(held(&ns, key).await, Some(ns_held.clone()), "admin API: {} on the namespace", key.name());
    }
    for t in [&ns, &topic] {
        let snap = fetch(&fx.client, t).await;
        for (key, _, ns_held, _, _) in cases() {
            let e = snap.effective.get(key.policy()).unwrap();
            assert_eq!(
                (e.source, field(&e.value, key)),
                (Source::Namespace, Some(ns_held.clone())),
                "{} on {t}",
                key.name()
            );
        }
    }
    let lines = headless_policies(&fx.ns);
    for (key, _, ns_held, _, _) in cases() {
        let (source, value) = headless_source(&lines, key.policy());
        assert_eq!(source, "namespace", "headless: {}", key.name());
        assert_eq!(field(&Some(value), key), Some(ns_held), "headless: {}", key.name());
    }

    // the namespace's capacity uses its effective policies, and says which numbers
    let out = pulsar_tui(&["policies", &fx.ns]);
    let caps: Vec<Value> = json_lines(&out.stdout).into_iter().filter(|l| l["type"] == "capacity").collect();
    let storage = caps.iter().find(|c| c["kind"] == "storage").unwrap_or_else(|| panic!("{caps:?}"));
    assert_eq!(
        (storage["numbers"]["retention_minutes"].as_f64(), storage["numbers"]["retention_mb"].as_f64()),
        (Some(120.0), Some(100.0))
    );
    let quota = caps.iter().find(|c| c["kind"] == "time_to_size_quota").unwrap();
    assert_eq!(quota["numbers"]["limit_bytes"].as_f64(), Some(10485760.0), "{quota}");

    // topic level: the broker applies topic policies through its system topic, so wait for them
    for (key, _, _, topic_value, _) in cases() {
        apply(&fx.client, &topic, Edit::Set { key, value: topic_value.into() })
            .await
            .unwrap_or_else(|e| panic!("set {} {topic_value} on {}: {e}", key.name(), fx.topic));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let snap = loop {
        let snap = fetch(&fx.client, &topic).await;
        let done = cases().iter().all(|(key, _, _, _, want)| {
            let e = snap.effective.get(key.policy()).unwrap();
            e.source == Source::Topic && field(&e.value, *key).as_ref() == Some(want)
        });
        if done {
            break snap;
        }
        assert!(tokio::time::Instant::now() < deadline, "topic policies not applied: {:#?}", snap.effective.policies);
        tokio::time::sleep(Duration::from_millis(200)).await; // polling the broker, not waiting for time
    };
    for (key, _, _, _, want) in cases() {
        assert_eq!(held(&topic, key).await, Some(want.clone()), "admin API: {} on the topic", key.name());
        let e = snap.effective.get(key.policy()).unwrap();
        // the broker's own effective value (`?applied=true`; the publish rate has none)
        if key.def().applied {
            assert_eq!(field(&e.applied, key), Some(want.clone()), "applied=true: {}", key.name());
        }
    }
    // the UI model reads the same values and sources
    let mut d = Driver::new(fx.client.clone(), Settings::default());
    d.handle(key(KeyCode::Char(':')));
    typed(&mut d, &format!("policies {}", fx.topic));
    d.handle(key(KeyCode::Enter));
    d.until("the policies in the UI", Duration::from_secs(20), |a| a.policies.snapshot.is_some()).await;
    for (key, _, _, _, want) in cases() {
        let e = d.app.policies.policies().iter().find(|e| e.key == key.policy()).unwrap();
        assert_eq!((e.source, field(&e.value, key)), (Source::Topic, Some(want)), "UI model: {}", key.name());
    }
    // what the broker enforces: the topic's stats carry the quota limits
    let stats = admin_get(&format!("/admin/v2/{}/stats", fx.topic.rest_path())).await.unwrap();
    assert_eq!(stats["backlogQuotaLimitSize"], json!(5242880));
    assert_eq!(stats["backlogQuotaLimitTime"], json!(1800));
    let lines = headless_policies(&fx.topic.to_string());
    for (key, _, _, _, want) in cases() {
        let (source, value) = headless_source(&lines, key.policy());
        assert_eq!((source.as_str(), field(&Some(value), key)), ("topic", Some(want)), "headless: {}", key.name());
    }

    // remove the overrides: the namespace's values apply again
    let mut removed = Vec::new();
    for (key, ..) in cases() {
        if removed.contains(&key.policy()) {
            continue;
        }
        removed.push(key.policy());
        let p = apply(&fx.client, &topic, Edit::Remove { key: key.name().into() }).await.unwrap();
        assert_eq!(p.after_source, Source::Namespace, "{}", key.name());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let snap = fetch(&fx.client, &topic).await;
        let done = cases().iter().all(|(key, _, ns_held, _, _)| {
            let e = snap.effective.get(key.policy()).unwrap();
            e.source == Source::Namespace && field(&e.value, *key).as_ref() == Some(ns_held)
        });
        if done {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "overrides not removed: {:#?}", snap.effective.policies);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (key, ..) in cases() {
        assert_eq!(held(&topic, key).await, None, "admin API: the topic's {} is gone", key.name());
    }
    // and the namespace's back to the broker defaults (the strategy through UNDEFINED)
    for (key, ..) in cases() {
        if held(&ns, key).await.is_some() {
            apply(&fx.client, &ns, Edit::Remove { key: key.name().into() }).await.unwrap();
        }
    }
    let snap = fetch(&fx.client, &ns).await;
    for (key, ..) in cases() {
        assert_eq!(snap.effective.get(key.policy()).unwrap().source, Source::Broker, "{}", key.name());
    }
    drop_namespace(&fx.client, &fx.ns).await;
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(d: &mut Driver, text: &str) {
    for c in text.chars() {
        d.handle(key(KeyCode::Char(c)));
    }
}

#[tokio::test]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_ui_asks_for_the_name_before_a_shorter_ttl_and_read_only_refuses() {
    let fx = fixture().await;
    let topic = Target::Topic(fx.topic.clone());
    apply(&fx.client, &Target::Namespace(fx.ns.clone()), Edit::Set { key: EditKey::Ttl, value: "3600".into() })
        .await
        .unwrap();
    let mut d = Driver::new(fx.client.clone(), Settings::default());
    d.handle(key(KeyCode::Char(':')));
    typed(&mut d, &format!("policies {}", fx.topic));
    d.handle(key(KeyCode::Enter));
    d.until("the policies", Duration::from_secs(20), |a| a.policies.snapshot.is_some()).await;
    let p = &d.app.policies;
    let ttl = p.policies().iter().position(|e| e.key == "message-ttl").unwrap();
    assert_eq!(p.policies()[ttl].source, Source::Namespace);
    for _ in 0..ttl {
        d.handle(key(KeyCode::Char('j')));
    }
    d.handle(key(KeyCode::Char('e')));
    typed(&mut d, "60");
    d.handle(key(KeyCode::Enter));
    let screen = common::screen(&common::draw(&d.app, 140, 40));
    assert!(screen.contains("3600 s (1h) (namespace)  →  60 s (1m) (topic)"), "{screen}");
    assert!(screen.contains("CAN DROP DATA") && screen.contains("type orders to confirm"), "{screen}");
    // Enter without the name: refused, nothing sent
    let out = d.app.handle(key(KeyCode::Enter));
    assert!(out.is_empty(), "no request without the typed name: {out:?}");
    assert!(d.app.policies.dialog.as_ref().and_then(|x| x.error.as_ref()).is_some());
    assert_eq!(held(&topic, EditKey::Ttl).await, None);
    typed(&mut d, "orders");
    d.handle(key(KeyCode::Enter));
    d.until("the change and the read after it", Duration::from_secs(20), |a| {
        a.policies.dialog.is_none()
            && a.policies.loading.is_none()
            && a.policies.selected_policy().is_some_and(|e| e.source == Source::Topic && e.value == Some(json!(60)))
    })
    .await;
    assert_eq!(held(&topic, EditKey::Ttl).await, Some(json!(60)), "the admin API agrees");
    // remove the override from the UI (a longer TTL again: no name needed)
    d.handle(key(KeyCode::Char('x')));
    d.handle(key(KeyCode::Char('y')));
    d.until("the override removed", Duration::from_secs(20), |a| {
        a.policies.dialog.is_none()
            && a.policies.loading.is_none()
            && a.policies.selected_policy().is_some_and(|e| e.source == Source::Namespace)
    })
    .await;
    assert_eq!(held(&topic, EditKey::Ttl).await, None);

    // the request itself refuses a data-dropping change without the name (not only the dialog)
    let shorter = PoliciesRequest::Apply {
        target: topic.clone(),
        edit: Edit::Set { key: EditKey::Ttl, value: "5".into() },
        confirmed: Some("wrong".into()),
    };
    let r = execute(&fx.client, &shorter).await;
    assert!(matches!(&r, Err(ClientError::Invalid(m)) if m.contains("can drop data")), "{r:?}");
    assert_eq!(held(&topic, EditKey::Ttl).await, None, "nothing sent");

    // read-only: every change refused in the client layer; the broker's values unchanged
    let mut ro_target = target();
    ro_target.read_only = true;
    let ro = Client::new(ro_target).unwrap();
    let ns = Target::Namespace(fx.ns.clone());
    let before_ns = admin_get(&format!("/admin/v2/namespaces/{}", fx.ns)).await;
    for (key, ns_value, _, topic_value, _) in cases() {
        for (t, v) in [(&ns, ns_value), (&topic, topic_value)] {
            let r = apply(&ro, t, Edit::Set { key, value: v.into() }).await;
            assert!(matches!(r, Err(ClientError::ReadOnly { .. })), "{} on {t}: {r:?}", key.name());
        }
        let r = apply(&ro, &ns, Edit::Remove { key: key.name().into() }).await;
        assert!(matches!(r, Err(ClientError::ReadOnly { .. })), "remove {}: {r:?}", key.name());
    }
    let out = pulsar_tui(&["--read-only", "policies", "set", &fx.ns, "ttl", "5", "--yes"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("read-only"), "{out:?}");
    assert_eq!(
        admin_get(&format!("/admin/v2/namespaces/{}", fx.ns)).await,
        before_ns,
        "the namespace's policies are unchanged"
    );
    for (key, ..) in cases() {
        assert_eq!(held(&topic, key).await, None, "nothing set on the topic: {}", key.name());
    }
    drop_namespace(&fx.client, &fx.ns).await;
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Runs tests/clients/policies_quota.py; its JSON lines arrive on the channel.
struct QuotaProducer {
    child: std::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<Value>,
}

impl QuotaProducer {
    fn start(topic: &TopicName, rate: u32, size: u32, deadline_s: u32) -> QuotaProducer {
        use std::io::BufRead;
        let script = format!("{}/tests/clients/policies_quota.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .args([target().service_url, topic.to_string(), rate.to_string(), size.to_string(), deadline_s.to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        QuotaProducer { child, lines }
    }

    async fn event(&mut self, name: &str, limit: Duration) -> Value {
        match tokio::time::timeout(limit, self.lines.recv()).await {
            Ok(Some(v)) if v["event"] == name => v,
            Ok(Some(v)) => panic!("expected {name}, the producer said {v}"),
            Ok(None) => panic!("the producer ended before {name}"),
            Err(_) => panic!("no {name} within {limit:?}"),
        }
    }
}

impl Drop for QuotaProducer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The estimate of the time until the size quota, taken once the broker's rates are steady,
/// against the moment the broker starts refusing producers (producer_exception): within 20 %.
#[tokio::test]
#[ignore = "needs the broker: scripts/test runs it"]
async fn time_to_quota_estimate_meets_the_broker_refusing_producers() {
    use pulsar_tui::policies::capacity::{time_to_size_quota, Limits};
    let fx = fixture().await;
    let topic = Target::Topic(fx.topic.clone());
    const QUOTA: i64 = 3 * 1024 * 1024;
    for (key, value) in [(EditKey::BacklogQuotaSize, "3M"), (EditKey::BacklogQuotaSizePolicy, "producer_exception")] {
        apply(&fx.client, &topic, Edit::Set { key, value: value.into() }).await.unwrap();
    }
    // enforced once the topic's stats carry the limit (topic policies arrive through the system topic)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while admin_get(&format!("/admin/v2/{}/stats", fx.topic.rest_path())).await.unwrap()["backlogQuotaLimitSize"]
        != json!(QUOTA)
    {
        assert!(tokio::time::Instant::now() < deadline, "the quota is not enforced");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // 100 messages of 1000 bytes a second: the quota is ~30 s away
    let mut producer = QuotaProducer::start(&fx.topic, 100, 1000, 75);
    let started = producer.event("started", Duration::from_secs(20)).await["at_ms"].as_i64().unwrap();
    // the rates are averaged over the broker's stats period (5 s here): wait for two periods
    // that agree, then estimate
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut prev_rate = 0.0;
    let (estimate, at_ms, limits, sample) = loop {
        tick.tick().await;
        let snap = fetch(&fx.client, &topic).await;
        let sample = snap.samples[0].clone();
        let rate = sample.rate_in_bytes;
        if rate > 0.0 && prev_rate > 0.0 && rate != prev_rate && (rate - prev_rate).abs() / prev_rate < 0.1 {
            let limits = Limits::from_effective(&snap.effective);
            break (time_to_size_quota(&sample, &limits), now_ms(), limits, sample);
        }
        if rate != prev_rate {
            prev_rate = rate;
        }
        assert!(producer.lines.is_empty(), "the producer said something before the estimate: refused already?");
    };
    assert_eq!((limits.quota_size, limits.quota_size_policy.as_str()), (QUOTA, "producer_exception"));
    assert!(estimate.text.contains("refused"), "what happens then: {}", estimate.text);
    // the oldest backlog's age from the earliest publish time (the broker's own age is -1
    // until its minute-long quota check ran): the first message is as old as the producer
    let since_start = (at_ms - started) / 1000;
    assert!((sample.oldest_backlog_age_s - since_start).abs() <= 3, "{sample:?}, started {since_start} s ago");
    let est = estimate.value.unwrap_or_else(|| panic!("no estimate: {estimate:?} from {sample:?}"));
    let refused = producer.event("refused", Duration::from_secs(60)).await;
    let actual = (refused["at_ms"].as_i64().unwrap() - at_ms) as f64 / 1000.0;
    assert!(refused["error"].as_str().unwrap_or("").contains("Quota"), "{refused}");
    let numbers = &estimate.numbers;
    assert!(
        (est - actual).abs() <= 0.2 * actual,
        "estimated {est:.1} s, the broker refused after {actual:.1} s ({numbers:?})"
    );
    eprintln!("time to quota: estimated {est:.1} s, measured {actual:.1} s ({numbers:?})");
    drop(producer);
    drop_namespace(&fx.client, &fx.ns).await;
}
