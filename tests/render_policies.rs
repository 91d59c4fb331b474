//! Snapshots of the policies view and its edit dialog (insta), with colour assertions: where
//! a value comes from and a data-dropping change carry meaning.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::tui::{answer_namespaces, answer_tenants, code, fg_at, key};
use common::{draw, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Event, Settings, View};
use pulsar_tui::policies::capacity::Sample;
use pulsar_tui::policies::edit::Reach;
use pulsar_tui::policies::{resolve_all, BrokerConfig, Raw, Target};
use pulsar_tui::pulsar::policies::{PoliciesRequest, PoliciesResponse, Snapshot};
use pulsar_tui::pulsar::request::{RequestKind, Response, ResponseKind};
use pulsar_tui::ui::theme::Theme;
use serde_json::json;

const TOPIC: &str = "persistent://acme/shop/orders";

fn broker() -> BrokerConfig {
    let kv = [
        ("defaultRetentionTimeInMinutes", "0"),
        ("defaultRetentionSizeInMB", "0"),
        ("ttlDurationDefaultInSeconds", "0"),
        ("backlogQuotaDefaultLimitGB", "10"),
        ("backlogQuotaDefaultLimitSecond", "-1"),
        ("backlogQuotaDefaultRetentionPolicy", "producer_request_hold"),
        ("maxUnackedMessagesPerConsumer", "50000"),
        ("maxUnackedMessagesPerSubscription", "200000"),
        ("brokerDeduplicationEnabled", "false"),
        ("brokerServiceCompactionThresholdInBytes", "0"),
        ("schemaCompatibilityStrategy", "FULL"),
        ("dispatchThrottlingRatePerTopicInMsg", "0"),
        ("dispatchThrottlingRatePerTopicInByte", "0"),
        ("maxPublishRatePerTopicInMessages", "0"),
        ("maxPublishRatePerTopicInBytes", "0"),
        ("clusterName", "standalone"),
        ("topicLevelPoliciesEnabled", "true"),
        ("systemTopicEnabled", "true"),
        // as a 4.0.8 standalone reports them: structured values and -1 thresholds read as words
        ("managedLedgerOffloadAutoTriggerSizeThresholdBytes", "-1"),
        ("managedLedgerOffloadThresholdInSeconds", "-1"),
        ("brokerDeleteInactiveTopicsMode", "delete_when_no_subscriptions"),
        ("brokerDeleteInactiveTopicsMaxInactiveDurationSeconds", "60"),
        ("brokerDeleteInactiveTopicsEnabled", "true"),
        ("delayedDeliveryTickTimeMillis", "1000"),
        ("delayedDeliveryEnabled", "true"),
        ("delayedDeliveryMaxDelayInMillis", "0"),
        ("managedLedgerDefaultEnsembleSize", "1"),
        ("managedLedgerDefaultWriteQuorum", "1"),
        ("managedLedgerDefaultAckQuorum", "1"),
        ("managedLedgerDefaultMarkDeleteRateLimit", "1.0"),
    ];
    BrokerConfig(kv.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// The orders topic: retention and a size quota on the topic, TTL on the namespace, the
/// rest broker defaults; 200 msg/s in, a slow subscription.
fn snapshot() -> Snapshot {
    let target = Target::parse(TOPIC).unwrap();
    let mut raws = BTreeMap::new();
    raws.insert(
        "retention",
        Raw { topic: Some(json!({"retentionTimeInMinutes": 1440, "retentionSizeInMB": 10240})), ..Raw::default() },
    );
    raws.insert("message-ttl", Raw { namespace: Some(json!(3600)), ..Raw::default() });
    let quota =
        json!({"destination_storage": {"limitSize": 104857600, "limitTime": -1, "policy": "producer_exception"}});
    raws.insert("backlog-quota-size", Raw { topic: Some(quota), ..Raw::default() });
    raws.insert("replication-clusters", Raw { namespace: Some(json!(["standalone"])), ..Raw::default() });
    let sample = Sample {
        topic: TOPIC.into(),
        partitions: 4,
        rate_in_msgs: 200.0,
        rate_in_bytes: 204800.0,
        backlog_bytes: 52428800,
        backlog_msgs: 51200,
        slowest_out_msgs: 100.0,
        slowest_out_bytes: 102400.0,
        storage_bytes: 60000000,
        oldest_backlog_age_s: 300,
        subscriptions: 2,
    };
    Snapshot {
        effective: resolve_all(&target, &raws, &broker()),
        reach: Reach { topics: None, subscriptions: Some(2), producers: Some(1), consumers: Some(1) },
        samples: vec![sample],
        errors: Vec::new(),
    }
}

fn policies_app() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let _ = app.start();
    let out = app.run_command(&format!(":policies {TOPIC}"));
    assert_eq!(app.view, View::Policies);
    let fetch = out
        .iter()
        .find(|r| matches!(&r.kind, RequestKind::Policies(PoliciesRequest::Fetch { .. })))
        .unwrap_or_else(|| panic!("no fetch in {out:?}"));
    let target = Target::parse(TOPIC).unwrap();
    app.handle(Event::Response(Response {
        id: fetch.id,
        kind: ResponseKind::Policies(PoliciesResponse::Fetched { target, snapshot: Box::new(snapshot()) }),
    }));
    app
}

#[test]
fn policies_view_140x44() {
    let mut app = policies_app();
    // a row below the ones whose colours are checked (a selected row is highlighted)
    for _ in 0..4 {
        app.update(Action::Down);
    }
    let term = draw(&app, 140, 44);
    let text = screen(&term);
    let theme = Theme::default();
    assert!(text.contains("time 1d, size 10.0 GB"), "{text}");
    assert!(text.contains("100.0 MB, producer_exception"), "{text}");
    assert!(text.contains("size quota in 8m (50.0 MB of 100.0 MB, +100.0 KB/s); then new sends are refused"), "{text}");
    assert!(text.contains("consume 214.2 msg/s to drain 51,200 messages in 1 h"), "{text}");
    assert!(text.contains("growth_bytes_per_s=102400"), "the numbers behind it:\n{text}");
    // where each value comes from, in its colour
    let row = |needle: &str| text.lines().find(|l| l.contains(needle)).unwrap().to_string();
    assert!(row("✎ retention").trim_end_matches('┃').trim_end().ends_with("topic"), "{text}");
    assert!(row("✎ message TTL").trim_end_matches('┃').trim_end().ends_with("namespace"), "{text}");
    assert!(row("max unacked per consumer").trim_end_matches('┃').trim_end().ends_with("broker default"), "{text}");
    let y = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() as u16;
    let from_x = text.lines().find(|l| l.contains("effective value")).unwrap().find("from").unwrap();
    let from_x = text.lines().find(|l| l.contains("effective value")).unwrap()[..from_x].chars().count() as u16;
    let buf = term.backend().buffer();
    assert_eq!(buf[(from_x, y("✎ retention"))].fg, theme.accent);
    assert_eq!(buf[(from_x, y("✎ message TTL"))].fg, theme.topic);
    assert_eq!(buf[(from_x, y("max unacked per consumer"))].fg, theme.dim);
    insta::assert_snapshot!("policies__topic__140x44", text);
}

#[test]
fn edit_dialog_asks_for_the_name_of_a_data_dropping_change_100x32() {
    let mut app = policies_app();
    app.update(Action::Down); // message TTL
    app.handle(key('e'));
    for c in "60".chars() {
        app.handle(key(c));
    }
    let value = screen(&draw(&app, 100, 32));
    assert!(value.contains("new value of ttl") && value.contains("> 60"), "{value}");
    app.handle(code(KeyCode::Enter));
    let term = draw(&app, 100, 32);
    let text = screen(&term);
    assert!(text.contains("3600 s (1h) (namespace)  →  60 s (1m) (topic)"), "{text}");
    assert!(text.contains("affects only orders: 2 subscriptions, 1 producer, 1 consumer"), "{text}");
    assert!(text.contains("type orders to confirm"), "{text}");
    assert_eq!(fg_at(&term, "⚠ CAN DROP DATA"), Theme::default().status_error);
    insta::assert_snapshot!("policies__edit_ttl__100x32", text);
    // Enter without the name sends nothing
    let out = app.handle(code(KeyCode::Enter));
    assert!(out.is_empty(), "{out:?}");
    assert!(screen(&draw(&app, 100, 32)).contains("type orders to confirm: this change can drop data"));
    for c in "orders".chars() {
        app.handle(key(c));
    }
    let out = app.handle(code(KeyCode::Enter));
    assert!(out.iter().any(|r| matches!(&r.kind, RequestKind::Policies(PoliciesRequest::Apply { .. }))), "{out:?}");
    assert!(screen(&draw(&app, 100, 32)).contains("applying…"));
}

#[test]
fn a_longer_ttl_needs_no_name_and_esc_goes_back() {
    let mut app = policies_app();
    app.update(Action::Down);
    app.handle(key('e'));
    for c in "2h".chars() {
        app.handle(key(c));
    }
    app.handle(code(KeyCode::Enter));
    let text = screen(&draw(&app, 100, 32));
    assert!(!text.contains("CAN DROP DATA") && text.contains("Enter or y apply"), "{text}");
    app.handle(code(KeyCode::Esc));
    assert!(app.policies.dialog.is_none());
    app.handle(code(KeyCode::Esc));
    assert_eq!(app.view, View::Explorer);
}

#[test]
fn p_in_the_explorer_opens_the_selected_namespace_and_says_when_nothing_fits() {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    answer_tenants(&mut app, &reqs, &["acme"]);
    // a tenant has no policies of this kind: a message, no request
    let out = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT)));
    assert!(out.is_empty() && app.view == View::Explorer, "{out:?}");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("select a namespace or a topic")), "{:?}", app.status);
    let reqs = app.update(Action::Expand);
    answer_namespaces(&mut app, &reqs, "acme", &["acme/shop"]);
    app.update(Action::Down);
    let out = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT)));
    assert_eq!(app.view, View::Policies);
    assert!(
        out.iter().any(|r| matches!(&r.kind, RequestKind::Policies(PoliciesRequest::Fetch { target })
            if *target == Target::Namespace("acme/shop".into()))),
        "{out:?}"
    );
    app.update(Action::Back);
    assert_eq!(app.view, View::Explorer);
}
