//! State-machine tests: the app fed with keys and responses, no terminal, no runtime.

mod common;

use std::time::{Duration, Instant};

use common::tui::{
    answer_namespaces, answer_subscriptions, answer_tenants, answer_topics, browse_one_page, code, key,
    open_only_namespace, topic,
};
use common::{answer, find};
use crossterm::event::{KeyCode, KeyModifiers};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::{Load, NodeKey};
use pulsar_tui::app::{App, Connection, Event, Mode, Settings};
use pulsar_tui::pulsar::dlq::DlqRequest;
use pulsar_tui::pulsar::request::MetricsRequest;
use pulsar_tui::pulsar::request::{
    BrowseRequest, BrowseResponse, ExplorerRequest, ExplorerResponse, Request, RequestKind, ResponseKind,
};
use pulsar_tui::pulsar::stats::{SubscriptionStats, TopicStats};
use pulsar_tui::pulsar::{ClientError, TopicEntry};

/// An app that shows tenants acme and ops, with acme expanded to shop and billing.
fn app_with_acme() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    answer_tenants(&mut app, &reqs, &["acme", "ops"]);
    let reqs = app.update(Action::Expand);
    answer_namespaces(&mut app, &reqs, "acme", &["acme/billing", "acme/shop"]);
    app
}

fn visible_labels(app: &App) -> Vec<String> {
    app.explorer.tree.rows().iter().map(|r| app.explorer.tree.node(&r.path).unwrap().label.clone()).collect()
}

fn selected_label(app: &App) -> String {
    app.explorer.tree.selected().map(|n| n.label.clone()).unwrap_or_default()
}

#[test]
fn start_asks_for_cluster_info_and_tenants() {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    let kinds: Vec<_> = reqs.iter().map(|r| r.kind.clone()).collect();
    assert_eq!(
        kinds[..2],
        [RequestKind::Explorer(ExplorerRequest::FetchClusterInfo), RequestKind::Explorer(ExplorerRequest::ListTenants)]
    );
    assert!(
        matches!(&kinds[2..], [RequestKind::Metrics(MetricsRequest::Scrape { brokers, .. })] if brokers.is_empty()),
        "{kinds:?}"
    );
    assert_eq!(app.connection, Connection::Connecting);
}

#[test]
fn expanding_loads_children_once_and_collapsing_hides_them() {
    let mut app = app_with_acme();
    assert_eq!(visible_labels(&app), vec!["acme", "billing", "shop", "ops"]);
    // collapse and expand again: children are already loaded, no new request
    app.update(Action::Collapse);
    assert_eq!(visible_labels(&app), vec!["acme", "ops"]);
    let reqs = app.update(Action::Expand);
    assert!(
        !reqs.iter().any(|r| matches!(r.kind, RequestKind::Explorer(ExplorerRequest::ListNamespaces { .. }))),
        "{reqs:?}"
    );
    assert_eq!(visible_labels(&app), vec!["acme", "billing", "shop", "ops"]);
}

#[test]
fn navigation_moves_within_bounds_and_h_goes_to_the_parent() {
    let mut app = app_with_acme();
    app.handle(key('j'));
    app.handle(key('j'));
    assert_eq!(selected_label(&app), "shop");
    app.handle(key('h')); // shop is closed: go to its parent
    assert_eq!(selected_label(&app), "acme");
    app.handle(key('G'));
    assert_eq!(selected_label(&app), "ops");
    app.handle(key('j')); // past the end stays on the last row
    assert_eq!(selected_label(&app), "ops");
    app.handle(key('g'));
    assert_eq!(selected_label(&app), "acme");
    app.handle(key('k'));
    assert_eq!(selected_label(&app), "acme");
    app.page_rows = 2;
    app.handle(code(KeyCode::PageDown));
    assert_eq!(selected_label(&app), "shop");
}

#[test]
fn partitioned_topics_are_one_node_with_subscriptions_then_partitions() {
    let mut app = app_with_acme();
    app.handle(key('j'));
    app.handle(key('j'));
    let reqs = app.handle(code(KeyCode::Enter));
    let orders = topic("persistent://acme/shop/orders");
    answer_topics(
        &mut app,
        &reqs,
        "acme/shop",
        vec![
            TopicEntry { name: topic("persistent://acme/shop/customers"), partitions: 0 },
            TopicEntry { name: orders.clone(), partitions: 4 },
        ],
    );
    assert_eq!(visible_labels(&app), vec!["acme", "billing", "shop", "customers", "orders", "ops"]);
    app.handle(key('j'));
    app.handle(key('j'));
    assert_eq!(selected_label(&app), "orders");
    let reqs = app.handle(key('l'));
    answer_subscriptions(&mut app, &reqs, &orders, &["payments"]);
    let labels = visible_labels(&app);
    assert_eq!(
        labels[5..10],
        ["payments", "orders-partition-0", "orders-partition-1", "orders-partition-2", "orders-partition-3"]
    );
}

#[test]
fn selecting_a_topic_fetches_its_stats_and_stale_answers_are_dropped() {
    let mut app = app_with_acme();
    let shop_reqs = {
        app.handle(key('j'));
        app.handle(key('j'));
        app.handle(code(KeyCode::Enter))
    };
    let a = topic("persistent://acme/shop/a");
    let b = topic("persistent://acme/shop/b");
    answer_topics(
        &mut app,
        &shop_reqs,
        "acme/shop",
        vec![TopicEntry { name: a.clone(), partitions: 0 }, TopicEntry { name: b.clone(), partitions: 0 }],
    );
    let to_a = app.handle(key('j'));
    let stats_a = find(
        &to_a,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic, .. }) if topic == &a),
    )
    .clone();
    let to_b = app.handle(key('j'));
    let stats_b = find(
        &to_b,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic, .. }) if topic == &b),
    )
    .clone();
    // a's answer arrives after the user moved on to b: it must not show up for b
    let sa = TopicStats { storage_size: 111, ..Default::default() };
    answer(
        &mut app,
        &stats_a,
        ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched { topic: a.clone(), stats: Box::new(sa) }),
    );
    assert!(app.explorer.details.stats.is_none(), "stale stats of a shown for b");
    let sb = TopicStats { storage_size: 222, ..Default::default() };
    answer(
        &mut app,
        &stats_b,
        ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched { topic: b.clone(), stats: Box::new(sb) }),
    );
    assert_eq!(app.explorer.details.stats.as_ref().map(|s| s.storage_size), Some(222));
    assert_eq!(app.explorer.details.key, Some(NodeKey::Topic(b)));
}

#[test]
fn stats_are_refreshed_on_ticks_while_shown() {
    let mut app = app_with_acme();
    let t0 = app.now;
    // no stats for a tenant? it fetches tenant info; answer it, then tick past the interval
    let reqs = app.handle(key('j'));
    assert!(reqs.is_empty(), "namespaces have no stats request: {reqs:?}");
    let reqs = app.handle(key('k'));
    let r = find(
        &reqs,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTenantInfo { tenant }) if tenant == "acme"),
    )
    .clone();
    answer(
        &mut app,
        &r,
        ResponseKind::Explorer(ExplorerResponse::TenantInfoFetched { tenant: "acme".into(), info: Default::default() }),
    );
    assert!(app.handle(Event::Tick(t0 + Duration::from_secs(1))).is_empty());
    let reqs = app.handle(Event::Tick(t0 + Duration::from_secs(6)));
    find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTenantInfo { .. })));
    // while that one is in flight, further ticks ask nothing
    assert!(app.handle(Event::Tick(t0 + Duration::from_secs(12))).is_empty());
}

#[test]
fn the_filter_narrows_the_tree_and_esc_restores_it() {
    let mut app = app_with_acme();
    app.handle(key('/'));
    assert!(matches!(app.mode, Mode::Filter { .. }));
    for c in "sho".chars() {
        app.handle(key(c));
    }
    assert_eq!(visible_labels(&app), vec!["acme", "shop"]);
    assert_eq!(selected_label(&app), "shop");
    app.handle(code(KeyCode::Enter)); // keep the filter, back to normal keys
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.explorer.tree.filter, "sho");
    app.handle(code(KeyCode::Esc));
    assert_eq!(visible_labels(&app), vec!["acme", "billing", "shop", "ops"]);
    assert_eq!(selected_label(&app), "shop", "selection survives clearing the filter");
    // a filter that matches nothing shows nothing and breaks nothing
    app.handle(key('/'));
    for c in "zzz".chars() {
        app.handle(key(c));
    }
    assert!(visible_labels(&app).is_empty());
    app.handle(code(KeyCode::Esc));
    assert_eq!(app.explorer.tree.rows().len(), 4);
}

#[test]
fn jumping_to_a_topic_loads_its_path_and_selects_it() {
    let mut app = App::new(Settings::default(), Instant::now());
    let start = app.start();
    let t = topic("persistent://ops/alerts/events");
    let reqs = app.jump_to(t.clone());
    assert!(reqs.is_empty(), "waits for the tenants first");
    let mut reqs = {
        let r = find(&start, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTenants)));
        answer(
            &mut app,
            r,
            ResponseKind::Explorer(ExplorerResponse::TenantsListed { tenants: vec!["acme".into(), "ops".into()] }),
        )
    };
    reqs = answer_namespaces(&mut app, &reqs, "ops", &["ops/alerts"]);
    reqs = answer_topics(
        &mut app,
        &reqs,
        "ops/alerts",
        vec![
            TopicEntry { name: topic("persistent://ops/alerts/aaa"), partitions: 0 },
            TopicEntry { name: t.clone(), partitions: 0 },
        ],
    );
    assert_eq!(app.explorer.tree.selected_key(), Some(NodeKey::Topic(t.clone())));
    find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic, .. }) if topic == &t));
}

#[test]
fn jumping_through_the_filter_box_and_to_a_missing_topic() {
    let mut app = app_with_acme();
    app.handle(key('/'));
    for c in "persistent://acme/nope/x".chars() {
        app.handle(key(c));
    }
    app.handle(code(KeyCode::Enter));
    let status = app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    assert!(status.contains("namespace acme/nope not found"), "{status}");
    assert_eq!(app.explorer.tree.filter, "");
}

#[test]
fn a_failed_load_marks_the_node_and_it_can_be_retried() {
    let mut app = app_with_acme();
    app.handle(key('j'));
    let reqs = app.handle(code(KeyCode::Enter));
    let r = find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTopics { .. }))).clone();
    let err = ClientError::Forbidden { what: "GET /admin/v2/persistent/acme/billing".into() };
    answer(&mut app, &r, ResponseKind::Failed { error: err });
    let node = app.explorer.tree.selected().unwrap();
    assert!(matches!(&node.load, Load::Failed(e) if e.contains("lacks permission")), "{:?}", node.load);
    assert!(app.status.as_ref().unwrap().text.contains("not authorized"));
    assert_eq!(app.connection, Connection::Connected, "a refusal is not a lost connection");
    // the user can try again
    app.handle(key('h'));
    let reqs = app.handle(code(KeyCode::Enter));
    find(
        &reqs,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTopics { namespace }) if namespace == "acme/billing"),
    );
}

#[test]
fn losing_the_broker_probes_and_reloads_on_reconnect() {
    let mut app = app_with_acme();
    let t0 = app.now;
    app.handle(key('j'));
    let reqs = app.handle(code(KeyCode::Enter));
    let r = find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTopics { .. }))).clone();
    let err = ClientError::Unreachable { url: "http://127.0.0.1:8080".into(), reason: "Connection refused".into() };
    answer(&mut app, &r, ResponseKind::Failed { error: err });
    assert!(matches!(app.connection, Connection::Down { .. }));
    // keys still work while down
    app.handle(key('k'));
    assert_eq!(selected_label(&app), "acme");
    // the probe goes out once the reconnect interval has passed
    let reqs = app.handle(Event::Tick(t0 + Duration::from_secs(3)));
    let probe = find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchClusterInfo))).clone();
    assert!(app.handle(Event::Tick(t0 + Duration::from_secs(4))).is_empty(), "one probe at a time");
    let reqs = answer(
        &mut app,
        &probe,
        ResponseKind::Explorer(ExplorerResponse::ClusterInfoFetched {
            clusters: vec!["standalone".into()],
            version: "4.0.8".into(),
        }),
    );
    assert_eq!(app.connection, Connection::Connected);
    assert_eq!(app.cluster.as_deref(), Some("standalone"));
    // everything loaded is loaded again, and the failed namespace too
    find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTenants)));
    find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListNamespaces { tenant }) if tenant == "acme"));
    find(
        &reqs,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTopics { namespace }) if namespace == "acme/billing"),
    );
}

#[test]
fn unknown_and_duplicate_responses_are_ignored() {
    let mut app = app_with_acme();
    let before = visible_labels(&app);
    let bogus = Request {
        id: pulsar_tui::pulsar::request::RequestId(9999),
        kind: RequestKind::Explorer(ExplorerRequest::ListTenants),
    };
    answer(&mut app, &bogus, ResponseKind::Explorer(ExplorerResponse::TenantsListed { tenants: vec!["evil".into()] }));
    assert_eq!(visible_labels(&app), before);
}

#[test]
fn subscription_stats_come_from_the_topic() {
    let mut app = app_with_acme();
    app.handle(key('j'));
    app.handle(key('j'));
    let reqs = app.handle(code(KeyCode::Enter));
    let t = topic("persistent://acme/shop/orders");
    answer_topics(&mut app, &reqs, "acme/shop", vec![TopicEntry { name: t.clone(), partitions: 2 }]);
    app.handle(key('j'));
    let reqs = app.handle(key('l'));
    answer_subscriptions(&mut app, &reqs, &t, &["pay"]);
    let reqs = app.handle(key('j'));
    // the partitioned parent's aggregate stats, with its partition count
    let r = find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic, partitions: 2 }) if topic == &t)).clone();
    let mut stats = TopicStats::default();
    stats.subscriptions.insert("pay".into(), SubscriptionStats { msg_backlog: 42, ..Default::default() });
    answer(
        &mut app,
        &r,
        ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched { topic: t.clone(), stats: Box::new(stats) }),
    );
    assert_eq!(app.explorer.details.key, Some(NodeKey::Subscription(t, "pay".into())));
    assert_eq!(app.explorer.details.stats.as_ref().unwrap().subscriptions["pay"].msg_backlog, 42);
}

#[test]
fn help_popup_swallows_keys_until_closed() {
    let mut app = app_with_acme();
    app.handle(key('?'));
    assert!(app.show_help);
    app.handle(key('j'));
    assert_eq!(selected_label(&app), "acme", "keys do not reach the tree behind the popup");
    app.handle(code(KeyCode::Esc));
    assert!(!app.show_help);
    app.handle(key('q'));
    assert!(app.should_quit());
}

mod browser {
    use super::*;
    use common::browsed;
    use pulsar_tui::app::View;
    use pulsar_tui::pulsar::message::StartFrom;
    use pulsar_tui::pulsar::reader::{Cursor, PartStart};
    use pulsar_tui::pulsar::request::PageFrom;

    fn cursor() -> Cursor {
        Cursor { parts: vec![PartStart::Earliest] }
    }

    /// An app browsing a topic with pages of 4 in a window of 8, first page loaded.
    fn browsing() -> (App, Request) {
        let settings = Settings { page_size: 4, window: 8, ..Settings::default() };
        let mut app = App::new(settings, Instant::now());
        let reqs = app.open_browser(topic("persistent://acme/shop/orders"), StartFrom::Earliest);
        let first = find(&reqs, |k| {
            matches!(
                k,
                RequestKind::Browse(BrowseRequest::ReadPage {
                    limit: 4,
                    from: PageFrom::Start(StartFrom::Earliest),
                    ..
                })
            )
        })
        .clone();
        assert_eq!(app.view, View::Browser);
        (app, first)
    }

    fn page(app: &mut App, req: &Request, from: i64, at_end: bool) -> Vec<Request> {
        let messages = (from..from + 4).map(|i| browsed(i, format!("m{i}").as_bytes())).collect();
        let topic = topic("persistent://acme/shop/orders");
        answer(app, req, ResponseKind::Browse(BrowseResponse::PageRead { topic, messages, next: cursor(), at_end }))
    }

    fn selected_payload(app: &App) -> String {
        String::from_utf8(app.browser.as_ref().unwrap().selected_row().unwrap().message.payload.clone()).unwrap()
    }

    #[test]
    fn moving_down_loads_the_next_page_and_the_window_stays_bounded() {
        let (mut app, first) = browsing();
        assert!(page(&mut app, &first, 0, false).is_empty(), "no prefetch while far from the end");
        // nearing the end of the loaded rows, the next page is asked for (once)
        let mut reqs = Vec::new();
        for _ in 0..3 {
            reqs.extend(app.handle(key('j')));
        }
        assert_eq!(reqs.len(), 1, "{reqs:?}");
        let next = find(&reqs, |k| {
            matches!(k, RequestKind::Browse(BrowseRequest::ReadPage { from: PageFrom::Cursor(_), .. }))
        })
        .clone();
        assert!(app.handle(key('j')).is_empty(), "one load at a time");
        page(&mut app, &next, 4, false);
        app.handle(key('j'));
        assert_eq!(selected_payload(&app), "m4");
        // a third page pushes the first out of the window
        let reqs = app.handle(key('G'));
        let third = find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::ReadPage { .. }))).clone();
        page(&mut app, &third, 8, true);
        let b = app.browser.as_ref().unwrap();
        assert_eq!(b.rows.len(), 8, "window of 8");
        assert_eq!(b.first_row_number(), 4);
        assert_eq!(selected_payload(&app), "m7", "the selection stays on its message");
        // going back to the top of the window reloads the dropped page from its start
        let reqs = app.handle(key('g'));
        let back = find(&reqs, |k| {
            matches!(
                k,
                RequestKind::Browse(BrowseRequest::ReadPage {
                    from: PageFrom::Start(StartFrom::Earliest),
                    limit: 4,
                    ..
                })
            )
        })
        .clone();
        page(&mut app, &back, 0, false);
        let b = app.browser.as_ref().unwrap();
        assert_eq!(b.first_row_number(), 0);
        assert_eq!(b.rows.len(), 8);
        assert_eq!(selected_payload(&app), "m4", "the selection stays on its message");
    }

    #[test]
    fn follow_streams_in_and_cancels_on_toggle_and_on_leaving() {
        let (mut app, first) = browsing();
        page(&mut app, &first, 0, true);
        let reqs = app.handle(key('f'));
        let follow = find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::Follow { .. }))).clone();
        let topic = topic("persistent://acme/shop/orders");
        let arrived = ResponseKind::Browse(BrowseResponse::MessagesArrived {
            topic: topic.clone(),
            messages: vec![browsed(4, b"new")],
            next: cursor(),
        });
        answer(&mut app, &follow, arrived.clone());
        answer(&mut app, &follow, arrived); // a stream answers more than once
        let b = app.browser.as_ref().unwrap();
        assert_eq!(b.rows.len(), 6);
        assert_eq!(b.selected, 5, "at the newest row, the selection follows");
        let reqs = app.handle(key('f'));
        find(&reqs, |k| matches!(k, RequestKind::Cancel { id } if *id == follow.id));
        // leaving the browser cancels what runs
        let reqs = app.handle(key('f'));
        let again = find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::Follow { .. }))).clone();
        let reqs = app.handle(code(KeyCode::Esc));
        find(&reqs, |k| matches!(k, RequestKind::Cancel { id } if *id == again.id));
        assert_eq!(app.view, View::Explorer);
        assert!(app.browser.is_none());
    }

    #[test]
    fn a_relative_start_counts_from_the_time_the_events_carried_not_from_the_clock() {
        let before = chrono::Utc::now().timestamp_millis();
        let (mut app, first) = browsing();
        let after = chrono::Utc::now().timestamp_millis();
        page(&mut app, &first, 0, true);
        // an hour passes, as far as the events tell
        let t0 = app.now;
        app.handle(Event::Tick(t0 + Duration::from_secs(3600)));
        app.handle(key('s'));
        for c in "15m".chars() {
            app.handle(key(c));
        }
        let reqs = app.handle(code(KeyCode::Enter));
        let r = find(&reqs, |k| {
            matches!(k, RequestKind::Browse(BrowseRequest::ReadPage { from: PageFrom::Start(StartFrom::Time(_)), .. }))
        });
        let RequestKind::Browse(BrowseRequest::ReadPage { from: PageFrom::Start(StartFrom::Time(ms)), .. }) = r.kind
        else {
            unreachable!()
        };
        let (lo, hi) = (before + 45 * 60_000, after + 45 * 60_000);
        assert!((lo..=hi).contains(&ms), "{ms} not in {lo}..={hi}: 15 minutes before the last tick");
    }

    #[test]
    fn start_prompt_reopens_from_the_typed_position_and_rejects_garbage() {
        let (mut app, first) = browsing();
        page(&mut app, &first, 0, true);
        app.handle(key('s'));
        for c in "-10".chars() {
            app.handle(key(c));
        }
        let reqs = app.handle(code(KeyCode::Enter));
        find(&reqs, |k| {
            matches!(
                k,
                RequestKind::Browse(BrowseRequest::ReadPage { from: PageFrom::Start(StartFrom::BeforeLatest(10)), .. })
            )
        });
        app.handle(key('s'));
        for c in "yesterday-ish".chars() {
            app.handle(key(c));
        }
        assert!(app.handle(code(KeyCode::Enter)).is_empty());
        assert!(app.status.as_ref().unwrap().text.contains("bad start"), "{:?}", app.status);
    }

    #[test]
    fn export_and_copy_use_the_json_lines_envelope() {
        let (mut app, first) = browsing();
        page(&mut app, &first, 0, true);
        app.handle(key('j'));
        let reqs = app.handle(key('e'));
        let RequestKind::Browse(BrowseRequest::WriteExport { path, lines }) =
            &find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::WriteExport { .. }))).kind
        else {
            unreachable!()
        };
        assert!(path.to_string_lossy().ends_with(".jsonl"));
        assert_eq!(lines.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["message_id"], "7:1:1:-1");
        assert_eq!(v["key"], "k-1");
        assert_eq!(v["value"], "m1");
        assert_eq!(v["properties"]["trace"], "t1");
        assert_eq!(v["raw_base64"], "bTE=");
        let reqs = app.handle(key('E'));
        let RequestKind::Browse(BrowseRequest::WriteExport { lines, .. }) =
            &find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::WriteExport { .. }))).kind
        else {
            unreachable!()
        };
        assert_eq!(lines.len(), 4);
        app.handle(key('y'));
        let copied: serde_json::Value = serde_json::from_str(&app.take_clipboard().unwrap()).unwrap();
        assert_eq!(copied["message_id"], "7:1:1:-1");
        assert!(app.take_clipboard().is_none(), "taken once");
    }
}

#[test]
fn the_partition_filter_cycles_through_partitions() {
    let mut app = App::new(Settings::default(), Instant::now());
    let t = topic("persistent://acme/shop/orders");
    // three partitions seen in the loaded messages (the tree does not know this topic)
    let messages = (0..3)
        .map(|p| {
            let mut b = common::browsed(p, b"x");
            b.message.id.partition = p as i32;
            b
        })
        .collect();
    browse_one_page(&mut app, &t, messages, 3);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let reqs = app.handle(key('p'));
        let RequestKind::Browse(BrowseRequest::ReadPage { topic, .. }) =
            &find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::ReadPage { .. }))).kind
        else {
            unreachable!()
        };
        seen.push(topic.to_string());
    }
    assert_eq!(
        seen,
        vec![
            "persistent://acme/shop/orders-partition-0",
            "persistent://acme/shop/orders-partition-1",
            "persistent://acme/shop/orders-partition-2",
            "persistent://acme/shop/orders",
        ]
    );
}

// ---- the command palette, context switching, keymap overrides, mouse ----------------

mod palette_and_contexts {
    use super::*;
    use common::draw;
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    use pulsar_tui::app::keys::Keymap;
    use pulsar_tui::app::{Level, View};

    fn typed(app: &mut App, text: &str) -> Vec<Request> {
        text.chars().flat_map(|c| app.handle(key(c))).collect()
    }

    fn with_contexts() -> Settings {
        Settings {
            context: Some(("main".into(), Some("green".into()))),
            contexts: vec!["main".into(), "other".into(), "prod".into()],
            ..Settings::default()
        }
    }

    /// acme ▸ shop loaded, with the orders topic (4 partitions) and customers.
    fn app_with_shop(settings: Settings) -> App {
        let mut app = App::new(settings, Instant::now());
        let reqs = app.start();
        answer_tenants(&mut app, &reqs, &["acme", "ops"]);
        open_only_namespace(
            &mut app,
            "acme",
            "acme/shop",
            vec![
                TopicEntry { name: topic("persistent://acme/shop/customers"), partitions: 0 },
                TopicEntry { name: topic("persistent://acme/shop/orders"), partitions: 4 },
            ],
        );
        app
    }

    fn palette_input(app: &App) -> String {
        match &app.mode {
            Mode::Palette(p) => p.input.to_string(),
            other => panic!("the palette is not open: {other:?}"),
        }
    }

    #[test]
    fn colon_opens_the_palette_tab_completes_and_esc_cancels() {
        let mut app = app_with_shop(with_contexts());
        app.handle(key(':'));
        assert_eq!(palette_input(&app), "");
        typed(&mut app, "c");
        app.handle(code(KeyCode::Tab));
        assert_eq!(palette_input(&app), "ctx ", "the only command starting with c");
        app.handle(code(KeyCode::Tab));
        assert_eq!(palette_input(&app), "ctx main");
        app.handle(code(KeyCode::Tab));
        assert_eq!(palette_input(&app), "ctx other");
        app.handle(code(KeyCode::BackTab));
        assert_eq!(palette_input(&app), "ctx main");
        let reqs = app.handle(code(KeyCode::Esc));
        assert!(reqs.is_empty());
        assert_eq!(app.mode, Mode::Normal);
        assert_eq!(app.take_context_switch(), None, "Esc runs nothing");
        // topics: the ones the explorer knows
        app.handle(key(':'));
        typed(&mut app, "topic ord");
        app.handle(code(KeyCode::Tab));
        assert_eq!(palette_input(&app), "topic persistent://acme/shop/orders");
    }

    #[test]
    fn an_unknown_command_is_an_error_in_the_status_line() {
        let mut app = app_with_shop(with_contexts());
        app.handle(key(':'));
        typed(&mut app, "frob");
        let reqs = app.handle(code(KeyCode::Enter));
        assert!(reqs.is_empty());
        assert_eq!(app.mode, Mode::Normal);
        let status = app.status.clone().unwrap();
        assert_eq!(status.level, Level::Error);
        assert!(status.text.contains("unknown command :frob"), "{}", status.text);
        // a context the config does not have
        app.run_command("ctx nowhere");
        let status = app.status.clone().unwrap();
        assert!(
            status.text.contains("no such context") && status.text.contains("main, other, prod"),
            "{}",
            status.text
        );
        assert_eq!(app.take_context_switch(), None);
    }

    #[test]
    fn topic_opens_the_browser_and_selects_it_in_the_explorer() {
        let mut app = app_with_shop(with_contexts());
        app.handle(key(':'));
        typed(&mut app, "topic persistent://acme/shop/orders");
        let reqs = app.handle(code(KeyCode::Enter));
        assert_eq!(app.view, View::Browser);
        assert_eq!(app.browser.as_ref().unwrap().topic, topic("persistent://acme/shop/orders"));
        assert!(reqs.iter().any(|r| matches!(r.kind, RequestKind::Browse(BrowseRequest::ReadPage { .. }))), "{reqs:?}");
        assert_eq!(
            app.explorer.tree.selected_key(),
            Some(NodeKey::Topic(topic("persistent://acme/shop/orders"))),
            "selected behind the browser"
        );
        // back to the explorer: it is there
        app.update(Action::Back);
        assert_eq!(app.view, View::Explorer);
        assert_eq!(selected_label(&app), "orders");
    }

    #[test]
    fn dlq_metrics_and_q_from_the_palette() {
        let mut app = app_with_shop(with_contexts());
        app.run_command(":metrics");
        assert_eq!(app.view, View::Metrics);
        app.update(Action::Back);
        let reqs = app.run_command(":dlq");
        assert_eq!(app.view, View::Dlq);
        assert!(reqs.iter().any(
            |r| matches!(&r.kind, RequestKind::Dlq(DlqRequest::ListLetters { namespace }) if namespace == "acme/shop")
        ));
        app.run_command(":q");
        assert!(app.should_quit());
    }

    #[test]
    fn switching_context_resets_the_panes_and_drops_the_old_contexts_answers() {
        let mut app = app_with_shop(with_contexts());
        // a request of the old context still in flight
        app.update(Action::Down);
        let reqs = app.update(Action::Expand); // customers: its subscriptions
        let old =
            find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListSubscriptions { .. }))).clone();
        app.run_command("topic persistent://acme/shop/orders");
        assert_eq!(app.view, View::Browser);

        app.run_command("ctx other");
        assert_eq!(app.take_context_switch().as_deref(), Some("other"));
        assert_eq!(app.take_context_switch(), None, "taken once");
        let settings = Settings {
            context: Some(("other".into(), Some("magenta".into()))),
            contexts: vec!["main".into(), "other".into(), "prod".into()],
            read_only: true,
            ..Settings::default()
        };
        // the runtime builds the client off the loop; "switching…" shows meanwhile
        assert!(app.status.as_ref().unwrap().text.contains("switching to context other"), "{:?}", app.status);
        let failed = app.handle(Event::ContextSwitched { name: "other".into(), result: Err("bad TLS".into()) });
        assert!(failed.is_empty());
        assert!(app.status.as_ref().unwrap().text.contains("cannot switch to context other: bad TLS"));
        assert_eq!(app.generation, 0, "a failed switch stays where it was");
        let fresh = app.handle(Event::ContextSwitched { name: "other".into(), result: Ok(settings) });
        assert_eq!(app.generation, 1);
        let kinds: Vec<_> = fresh.iter().map(|r| r.kind.clone()).collect();
        assert!(
            kinds.contains(&RequestKind::Explorer(ExplorerRequest::FetchClusterInfo))
                && kinds.contains(&RequestKind::Explorer(ExplorerRequest::ListTenants)),
            "{kinds:?}"
        );
        assert!(fresh.iter().all(|r| r.id > old.id), "ids keep counting across the switch");
        assert_eq!(app.view, View::Explorer);
        assert!(app.browser.is_none());
        assert!(app.explorer.tree.roots.is_empty(), "the new cluster's tree starts empty");
        assert_eq!(app.pending_requests(), fresh.len(), "only the new context's requests are pending");
        assert!(app.settings.read_only);

        // the late answer of the old cluster is dropped
        let dropped = answer(
            &mut app,
            &old,
            ResponseKind::Explorer(ExplorerResponse::TenantsListed { tenants: vec!["from-the-old-cluster".into()] }),
        );
        assert!(dropped.is_empty());
        assert!(app.explorer.tree.roots.is_empty(), "{:?}", visible_labels(&app));
        // the new one's is not
        answer_tenants(&mut app, &fresh, &["acme", "ops", "public"]);
        assert_eq!(visible_labels(&app), vec!["acme", "ops", "public"]);
        let header = common::screen(&draw(&app, 80, 3)).lines().next().unwrap().to_string();
        assert!(header.contains(" other ") && header.contains("[RO]"), "{header}");
    }

    #[test]
    fn a_user_keymap_changes_what_keys_do_in_the_app() {
        let mut app = app_with_shop(Settings::default());
        let (keymap, w) = Keymap::with_user(
            std::path::Path::new("/k.toml"),
            "[explorer]\nexpand = \"L\"\ncollapse = \"\"\n[global]\npalette = \";\"\n",
        );
        assert!(w.is_empty(), "{w:?}");
        app.keymap = keymap;
        assert_eq!(selected_label(&app), "shop");
        app.handle(key('h'));
        assert_eq!(selected_label(&app), "shop", "h is unbound: nothing happens");
        app.handle(key('G'));
        assert_eq!(selected_label(&app), "ops");
        let reqs = app.handle(key('l'));
        assert!(reqs.is_empty(), "l no longer expands: {reqs:?}");
        let reqs = app.handle(key('L'));
        find(
            &reqs,
            |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListNamespaces { tenant }) if tenant == "ops"),
        );
        app.handle(key(':'));
        assert_eq!(app.mode, Mode::Normal, ": is no longer the palette");
        app.handle(key(';'));
        assert!(matches!(app.mode, Mode::Palette(_)));
        // the help lists the user's keys
        app.handle(code(KeyCode::Esc));
        app.handle(key('?'));
        let text = common::screen(&draw(&app, 100, 40));
        assert!(text.contains("L ") && text.contains("expand (load children)"), "{text}");
        assert!(!text.contains("collapse / go to parent"), "{text}");
    }

    fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Event {
        Event::Mouse(MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE })
    }

    /// Draws the app like the runtime does, handing it where the rows are.
    fn drawn(app: &mut App, w: u16, h: u16) -> String {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        let theme = pulsar_tui::ui::theme::Theme::default();
        let mut hits = app.hits;
        term.draw(|f| hits = pulsar_tui::ui::draw(f, app, &theme)).unwrap();
        app.hits = hits;
        common::screen(&term)
    }

    #[test]
    fn a_click_selects_the_row_under_it_and_the_wheel_scrolls() {
        let mut app = app_with_shop(Settings::default());
        let text = drawn(&mut app, 80, 24);
        let rows = app.hits.explorer.expect("the tree's rows are known");
        let y = rows.area.y + 3; // acme, shop, customers, orders
        let left: String = text.lines().nth(y as usize).unwrap().chars().take(36).collect();
        assert!(left.contains("orders"), "{text}");
        let reqs = app.handle(mouse(MouseEventKind::Down(MouseButton::Left), 6, y));
        assert_eq!(selected_label(&app), "orders");
        assert!(
            reqs.iter().any(|r| matches!(r.kind, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { .. }))),
            "details follow"
        );
        // below the last row: nothing changes
        app.handle(mouse(MouseEventKind::Down(MouseButton::Left), 6, 20));
        assert_eq!(selected_label(&app), "orders");
        // the wheel moves by three rows, within bounds
        app.handle(mouse(MouseEventKind::ScrollUp, 6, 5));
        assert_eq!(selected_label(&app), "acme");
        app.handle(mouse(MouseEventKind::ScrollDown, 6, 5));
        assert_eq!(selected_label(&app), "orders");
        // mouse moves change nothing and do not redraw
        app.take_dirty();
        app.handle(mouse(MouseEventKind::Moved, 6, 2));
        assert!(!app.take_dirty());
        // a click on the details pane gives it the focus
        app.handle(mouse(MouseEventKind::Down(MouseButton::Left), 60, 5));
        assert_eq!(app.focus, pulsar_tui::app::Focus::Details);
    }

    #[test]
    fn clicks_and_the_wheel_in_the_browser_table() {
        let mut app = app_with_shop(Settings::default());
        app.run_command("topic persistent://acme/shop/customers");
        let load = app.browser.as_ref().unwrap().loading.as_ref().unwrap().0;
        let messages: Vec<_> = (0..40).map(|i| common::browsed(i, format!("m{i}").as_bytes())).collect();
        app.handle(Event::Response(pulsar_tui::pulsar::request::Response {
            id: load,
            kind: ResponseKind::Browse(BrowseResponse::PageRead {
                topic: topic("persistent://acme/shop/customers"),
                messages,
                next: pulsar_tui::pulsar::reader::Cursor {
                    parts: vec![pulsar_tui::pulsar::reader::PartStart::Earliest],
                },
                at_end: true,
            }),
        }));
        let text = drawn(&mut app, 100, 30);
        let first = app.hits.browser.expect("the table's rows are known").area.y;
        assert!(text.lines().nth(first as usize).unwrap().contains("m0"), "{text}");
        app.handle(mouse(MouseEventKind::Down(MouseButton::Left), 30, first + 4));
        assert_eq!(app.browser.as_ref().unwrap().selected, 4);
        app.handle(mouse(MouseEventKind::ScrollDown, 30, first));
        assert_eq!(app.browser.as_ref().unwrap().selected, 7);
        // scrolled: a click maps through the offset
        for _ in 0..10 {
            app.handle(mouse(MouseEventKind::ScrollDown, 30, first));
        }
        assert_eq!(app.browser.as_ref().unwrap().selected, 37);
        drawn(&mut app, 100, 30);
        let hits = app.hits.browser.unwrap();
        assert!(hits.offset > 0);
        app.handle(mouse(MouseEventKind::Down(MouseButton::Left), 30, hits.area.y));
        assert_eq!(app.browser.as_ref().unwrap().selected, hits.offset);
    }
}
