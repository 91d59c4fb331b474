//! Snapshots of the whole screen (insta), plus colour assertions where colour carries meaning.

mod common;

use std::time::{Duration, Instant};

use common::{answer, draw, expand_with, find, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Event, Settings};
use pulsar_tui::pulsar::request::{RequestKind, ResponseKind};
use pulsar_tui::pulsar::stats::{ConsumerStats, PublisherStats, SubscriptionStats, TopicStats};
use pulsar_tui::pulsar::{ClientError, TopicEntry, TopicName};
use pulsar_tui::ui::theme::Theme;
use ratatui::style::Color;

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn topic(s: &str) -> TopicName {
    TopicName::parse(s).unwrap()
}

/// A cluster with acme/shop open, the partitioned orders topic expanded and selected,
/// and its stats loaded.
fn loaded_app() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    let r = find(&reqs, |k| matches!(k, RequestKind::FetchClusterInfo));
    answer(
        &mut app,
        r,
        ResponseKind::ClusterInfoFetched { clusters: vec!["standalone".into()], version: "4.0.8".into() },
    );
    let r = find(&reqs, |k| matches!(k, RequestKind::ListTenants));
    answer(&mut app, r, ResponseKind::TenantsListed { tenants: vec!["acme".into(), "ops".into(), "public".into()] });
    expand_with(
        &mut app,
        ResponseKind::NamespacesListed {
            tenant: "acme".into(),
            namespaces: vec!["acme/billing".into(), "acme/shop".into()],
        },
    );
    app.update(Action::Down);
    app.update(Action::Down);
    let orders = topic("persistent://acme/shop/orders");
    expand_with(
        &mut app,
        ResponseKind::TopicsListed {
            namespace: "acme/shop".into(),
            topics: vec![
                TopicEntry { name: topic("persistent://acme/shop/customers"), partitions: 0 },
                TopicEntry { name: orders.clone(), partitions: 4 },
                TopicEntry { name: topic("non-persistent://acme/shop/clicks"), partitions: 0 },
            ],
        },
    );
    app.update(Action::Down);
    let reqs = app.update(Action::Down);
    let stats_req = find(&reqs, |k| matches!(k, RequestKind::FetchTopicStats { .. })).clone();
    let reqs = app.update(Action::Expand);
    let subs = find(&reqs, |k| matches!(k, RequestKind::ListSubscriptions { .. })).clone();
    answer(
        &mut app,
        &subs,
        ResponseKind::SubscriptionsListed {
            topic: orders.clone(),
            subscriptions: vec!["analytics".into(), "payments".into()],
        },
    );
    let mut stats = TopicStats {
        msg_rate_in: 12.5,
        msg_throughput_in: 2048.0,
        storage_size: 1_572_864,
        backlog_size: 40_960,
        msg_in_counter: 1200,
        msg_out_counter: 1000,
        ..Default::default()
    };
    stats.publishers.push(PublisherStats { producer_name: "p".into(), ..Default::default() });
    stats.subscriptions.insert(
        "analytics".into(),
        SubscriptionStats { sub_type: "Exclusive".into(), msg_backlog: 200, ..Default::default() },
    );
    stats.subscriptions.insert(
        "payments".into(),
        SubscriptionStats {
            sub_type: "Shared".into(),
            msg_backlog: 0,
            msg_rate_out: 3.0,
            consumers: vec![ConsumerStats::default(), ConsumerStats::default()],
            ..Default::default()
        },
    );
    stats.metadata = Some(pulsar_tui::pulsar::stats::PartitionedMetadata { partitions: 4 });
    answer(&mut app, &stats_req, ResponseKind::TopicStatsFetched { topic: orders, stats: Box::new(stats) });
    app
}

#[test]
fn explorer_80x24() {
    let app = loaded_app();
    insta::assert_snapshot!("explorer__orders_selected__80x24", screen(&draw(&app, 80, 24)));
}

#[test]
fn explorer_160x48() {
    let app = loaded_app();
    insta::assert_snapshot!("explorer__orders_selected__160x48", screen(&draw(&app, 160, 48)));
}

#[test]
fn subscription_selected_160x48() {
    let mut app = loaded_app();
    app.update(Action::Down);
    insta::assert_snapshot!("explorer__subscription_selected__160x48", screen(&draw(&app, 160, 48)));
}

#[test]
fn help_popup_80x24() {
    let mut app = loaded_app();
    app.handle(key('?'));
    insta::assert_snapshot!("help__popup__80x24", screen(&draw(&app, 80, 24)));
}

#[test]
fn broker_down_80x24() {
    let mut app = loaded_app();
    let t0 = app.now;
    let reqs = app.update(Action::Refresh);
    let r = find(&reqs, |k| matches!(k, RequestKind::ListSubscriptions { .. })).clone();
    let error = ClientError::Unreachable { url: "http://127.0.0.1:8080".into(), reason: "Connection refused".into() };
    answer(&mut app, &r, ResponseKind::Failed { request: r.kind.clone(), error });
    app.handle(Event::Tick(t0 + Duration::from_secs(7)));
    let term = draw(&app, 80, 24);
    let text = screen(&term);
    insta::assert_snapshot!("explorer__broker_down__80x24", text);
    // the status line carries the failure in the error colour
    let theme = Theme::default();
    let buf = term.backend().buffer();
    let y = 23;
    let x = text.lines().nth(y as usize).unwrap().chars().position(|c| c == '✗').unwrap() as u16;
    assert_eq!(buf[(x, y)].fg, theme.status_error);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = loaded_app();
    for (w, h) in [(1, 1), (20, 5), (10, 3), (0, 0), (200, 2)] {
        draw(&app, w.max(1), h.max(1));
    }
    app.handle(key('?'));
    draw(&app, 20, 5);
}

#[test]
fn focus_and_selection_are_coloured() {
    let mut app = loaded_app();
    let theme = Theme::default();
    let term = draw(&app, 80, 24);
    let buf = term.backend().buffer();
    // the focused explorer has the focused border colour, the details pane the plain one
    assert_eq!(buf[(0, 1)].fg, theme.border_focused);
    assert_eq!(buf[(79, 1)].fg, theme.border);
    // the selected row (orders) is painted with the selection colours across the pane
    let text = screen(&term);
    let y = text.lines().position(|l| l.contains("orders [4 partitions]")).unwrap() as u16;
    assert_eq!(buf[(2, y)].bg, theme.selection_bg);
    assert_eq!(buf[(30, y)].bg, theme.selection_bg);
    // a subscription with a backlog is drawn in a warning colour, an empty one in the ok colour
    let y200 = text.lines().position(|l| l.contains("analytics") && l.contains("200")).unwrap() as u16;
    let x200 = text.lines().nth(y200 as usize).unwrap().chars().collect::<Vec<_>>();
    let x = x200.iter().enumerate().skip(40).find(|(_, c)| **c == '2').unwrap().0 as u16;
    assert_eq!(buf[(x, y200)].fg, theme.backlog_warn);
    // after Tab the details pane has the focus colour
    app.update(Action::FocusNext);
    let term = draw(&app, 80, 24);
    assert_eq!(term.backend().buffer()[(79, 1)].fg, theme.border_focused);
    assert_ne!(Color::Reset, theme.border_focused);
}

mod browser {
    use super::*;
    use common::browsed;
    use pulsar_tui::pulsar::message::StartFrom;
    use pulsar_tui::pulsar::reader::{Cursor, PartStart};

    fn browsing(payloads: &[&[u8]]) -> App {
        let mut app = App::new(Settings::default(), Instant::now());
        let reqs = app.open_browser(topic("persistent://acme/shop/orders"), StartFrom::Earliest);
        let r = find(&reqs, |k| matches!(k, RequestKind::ReadPage { .. })).clone();
        let messages = payloads.iter().enumerate().map(|(i, p)| browsed(i as i64, p)).collect();
        let next = Cursor { parts: vec![PartStart::Earliest] };
        answer(
            &mut app,
            &r,
            ResponseKind::PageRead { topic: topic("persistent://acme/shop/orders"), messages, next, at_end: true },
        );
        app
    }

    const PAYLOADS: [&[u8]; 4] = [
        br#"{"id":"o-1","amount":10.5,"customer":{"name":"Ada","tier":"gold"}}"#,
        b"plain text line",
        &[0xde, 0xad, 0xbe, 0xef, 0x00, 0x01],
        br#"{"id":"o-4","amount":99}"#,
    ];

    #[test]
    fn table_120x30() {
        let app = browsing(&PAYLOADS);
        insta::assert_snapshot!("browser__table__120x30", screen(&draw(&app, 120, 30)));
    }

    #[test]
    fn detail_tabs_120x30() {
        let mut app = browsing(&PAYLOADS);
        app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        insta::assert_snapshot!("browser__detail_value__120x30", screen(&draw(&app, 120, 30)));
        app.handle(Event::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        insta::assert_snapshot!("browser__detail_properties__120x30", screen(&draw(&app, 120, 30)));
        app.handle(Event::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        insta::assert_snapshot!("browser__detail_metadata__120x30", screen(&draw(&app, 120, 30)));
    }

    #[test]
    fn binary_payload_shows_as_hex_and_x_dumps_any_payload() {
        let mut app = browsing(&PAYLOADS);
        app.handle(key('j'));
        app.handle(key('j'));
        app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        let text = screen(&draw(&app, 120, 30));
        assert!(text.contains("deadbeef0001"), "{text}");
        app.handle(key('x'));
        let text = screen(&draw(&app, 120, 30));
        insta::assert_snapshot!("browser__detail_hex__120x30", text);
        assert!(text.contains("00000000  de ad be ef 00 01"), "{text}");
        // a 5 MB payload renders (cut) without trouble
        let big = vec![b'a'; 5 * 1024 * 1024];
        let mut app = browsing(&[&big]);
        app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        let text = screen(&draw(&app, 120, 30));
        assert!(text.contains("Value"), "{text}");
    }

    #[test]
    fn the_read_only_badge_is_visible() {
        let app = browsing(&PAYLOADS);
        let term = draw(&app, 120, 30);
        let text = screen(&term);
        assert!(text.contains("read-only browse"), "{text}");
        let theme = Theme::default();
        let y = 1;
        let line = text.lines().nth(1).unwrap();
        let x = line[..line.find("read-only browse").unwrap()].chars().count() as u16;
        assert_eq!(term.backend().buffer()[(x, y)].bg, theme.status_ok);
    }
}

mod schema {
    use super::*;
    use pulsar_tui::decode::SchemaInfo;

    fn order(version: i64, with_currency: bool) -> SchemaInfo {
        let mut fields = vec![json_field("id", "string"), json_field("amount", "double")];
        if with_currency {
            fields.push(serde_json::json!({"name": "currency", "type": "string", "default": "USD"}));
        }
        let def = serde_json::json!({"type": "record", "name": "Order", "fields": fields});
        SchemaInfo::from_admin_json(&serde_json::json!({
            "version": version, "type": "AVRO", "timestamp": 1_764_237_600_000i64 + version * 60_000,
            "data": def.to_string(), "properties": {}
        }))
        .unwrap()
    }

    fn json_field(name: &str, ty: &str) -> serde_json::Value {
        serde_json::json!({"name": name, "type": ty})
    }

    fn schema_app() -> App {
        let mut app = App::new(Settings::default(), Instant::now());
        let t = topic("persistent://acme/shop/orders");
        let reqs = app.open_schema(t.clone());
        let r = find(&reqs, |k| matches!(k, RequestKind::FetchSchemas { .. })).clone();
        answer(
            &mut app,
            &r,
            ResponseKind::SchemasFetched {
                topic: t,
                versions: vec![order(0, false), order(1, true), order(2, true)],
                compatibility: Some("FULL".into()),
            },
        );
        app
    }

    #[test]
    fn versions_definition_and_diff_120x30() {
        let mut app = schema_app();
        // the latest is selected; v1 → v2 did not change anything
        let text = screen(&draw(&app, 120, 30));
        assert!(text.contains("Changes v1 → v2:"), "{text}");
        assert!(text.contains("namespace compatibility: FULL"), "{text}");
        app.handle(key('k'));
        let text = screen(&draw(&app, 120, 30));
        insta::assert_snapshot!("schema__v0_to_v1__120x30", text);
        assert!(text.contains("+ currency: string = \"USD\""), "{text}");
        // mark v2 as the base, go to v0: the pair is v0 → v2
        app.handle(key('j'));
        app.handle(key('b'));
        app.handle(key('g'));
        let text = screen(&draw(&app, 120, 30));
        assert!(text.contains("Changes v0 → v2:"), "{text}");
        app.handle(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        assert_eq!(app.view, pulsar_tui::app::View::Explorer);
    }
}

#[test]
fn the_explorer_shows_the_live_backlog_from_metrics() {
    let mut app = App::new(Settings::default(), Instant::now());
    let start = app.start();
    let scrape = find(&start, |k| matches!(k, RequestKind::ScrapeMetrics { .. })).clone();
    let text = concat!(
        "pulsar_msg_backlog{cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-partition-0\"} 150\n",
        "pulsar_msg_backlog{cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-partition-1\"} 50\n",
        "pulsar_subscription_back_log{cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-partition-0\",subscription=\"analytics\"} 150\n",
        "pulsar_subscription_back_log{cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-partition-1\",subscription=\"analytics\"} 50\n",
    );
    let snapshot = pulsar_tui::metrics::model::snapshot_from_str(text, "http://b:8080", 0);
    answer(&mut app, &scrape, ResponseKind::MetricsScraped { snapshot: Box::new(snapshot), at_ms: 0 });
    let r = find(&start, |k| matches!(k, RequestKind::ListTenants));
    answer(&mut app, r, ResponseKind::TenantsListed { tenants: vec!["acme".into()] });
    expand_with(
        &mut app,
        ResponseKind::NamespacesListed { tenant: "acme".into(), namespaces: vec!["acme/shop".into()] },
    );
    app.update(Action::Down);
    let orders = topic("persistent://acme/shop/orders");
    expand_with(
        &mut app,
        ResponseKind::TopicsListed {
            namespace: "acme/shop".into(),
            topics: vec![TopicEntry { name: orders.clone(), partitions: 2 }],
        },
    );
    app.update(Action::Down);
    expand_with(&mut app, ResponseKind::SubscriptionsListed { topic: orders, subscriptions: vec!["analytics".into()] });
    let term = draw(&app, 100, 20);
    let text = screen(&term);
    let topic_line = text.lines().find(|l| l.contains("orders [2 partitions]")).unwrap();
    assert!(topic_line.contains("orders [2 partitions]  200"), "partitions summed for the parent:\n{text}");
    let sub_line = text.lines().find(|l| l.contains("⤷ analytics")).unwrap();
    assert!(sub_line.contains("analytics  200"), "{text}");
    // a non-empty backlog is drawn in the warning colour
    let y = text.lines().position(|l| l.contains("⤷ analytics")).unwrap() as u16;
    let x = sub_line[..sub_line.find("200").unwrap()].chars().count() as u16;
    assert_eq!(term.backend().buffer()[(x, y)].fg, Theme::default().backlog_warn);
}
