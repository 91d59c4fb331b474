//! Snapshots of the health view (insta), with colour assertions: severities carry meaning.

mod common;

use std::time::Instant;

use common::tui::fg_at;
use common::{draw, find, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Event, Settings, View};
use pulsar_tui::health::{BrokerFact, Details};
use pulsar_tui::pulsar::health::{HealthRequest, HealthResponse};
use pulsar_tui::pulsar::request::MetricsResponse;
use pulsar_tui::pulsar::request::{BrowseRequest, Request, RequestKind, Response, ResponseKind};
use pulsar_tui::ui::theme::Theme;

const T0: i64 = 1_800_000_000_000;
const NS: &str = "cluster=\"standalone\",namespace=\"acme/shop\"";
const BROKER: &str = "http://127.0.0.1:8080/metrics/";

fn t(topic: &str, name: &str, v: f64) -> String {
    format!("pulsar_{name}{{{NS},topic=\"persistent://acme/shop/{topic}\"}} {v}\n")
}

fn s(topic: &str, sub: &str, name: &str, v: f64) -> String {
    format!("pulsar_subscription_{name}{{{NS},topic=\"persistent://acme/shop/{topic}\",subscription=\"{sub}\"}} {v}\n")
}

/// A shop in trouble: a stalled subscription, a blocked one, a nack storm filling a DLQ,
/// a topic near its size quota; `billing_consumers` brings the stalled one back.
fn troubled(billing_consumers: f64) -> String {
    let mut x = t("orders", "msg_backlog", 4200.0);
    x += &s("orders", "billing", "back_log", 4200.0);
    x += &s("orders", "billing", "consumers_count", billing_consumers);
    x += &s("orders", "billing", "last_acked_timestamp", T0 as f64);
    x += &s("orders", "shipping", "back_log", 0.0);
    x += &s("orders", "shipping", "consumers_count", 1.0);
    x += &s("payments", "ledger", "back_log", 1000.0);
    x += &s("payments", "ledger", "consumers_count", 1.0);
    x += &s("payments", "ledger", "unacked_messages", 1000.0);
    x += &s("payments", "ledger", "blocked_on_unacked_messages", 1.0);
    x += &s("payments", "ledger", "last_acked_timestamp", T0 as f64);
    x += &s("payments", "fraud", "back_log", 20.0);
    x += &s("payments", "fraud", "consumers_count", 1.0);
    x += &s("payments", "fraud", "msg_rate_redeliver", 42.0);
    x += &s("payments", "fraud", "msg_rate_out", 40.0);
    x += &s("payments", "fraud", "last_acked_timestamp", T0 as f64);
    x += &t("payments-fraud-DLQ", "rate_in", 2.5);
    x += &t("payments-fraud-DLQ", "in_messages_total", 300.0);
    x += &t("payments-fraud-DLQ", "storage_size", 30_000.0);
    x += &t("invoices", "storage_backlog_size", 900.0 * 1024.0 * 1024.0);
    x += &t("invoices", "storage_backlog_quota_limit", 1024.0 * 1024.0 * 1024.0);
    x
}

fn scrape(app: &mut App, text: &str, at_ms: i64) -> Vec<Request> {
    let snapshot = pulsar_tui::metrics::model::snapshot_from_str(text, BROKER, at_ms);
    let id = app.metrics.in_flight.expect("a scrape in flight");
    app.handle(Event::Response(Response {
        id,
        kind: ResponseKind::Metrics(MetricsResponse::Scraped { snapshot: Box::new(snapshot), at_ms }),
    }))
}

/// The app opened on the health view (`start_view = "health"`), one scrape in.
fn health_app(text: &str) -> (App, Vec<Request>) {
    let settings = Settings { start_view: View::Health, ..Settings::default() };
    let mut app = App::new(settings, Instant::now());
    let _ = app.start();
    assert_eq!(app.view, View::Health);
    let out = scrape(&mut app, text, T0);
    app.wall_ms = T0 + 3 * 60_000;
    (app, out)
}

#[test]
fn health_view_160x48() {
    let (mut app, out) = health_app(&troubled(0.0));
    // the open view asks for the admin facts of this scrape: a bounded list
    let fetch = find(&out, |k| matches!(k, RequestKind::Health(HealthRequest::Gather { .. })));
    let RequestKind::Health(HealthRequest::Gather { wants }) = &fetch.kind else { unreachable!() };
    assert_eq!(wants.brokers, [BROKER]);
    assert!(wants.ages.iter().any(|(t, _)| t.ends_with("/orders")), "{wants:?}");
    let details = Details {
        brokers: vec![BrokerFact { broker: BROKER.into(), health_error: None, version: Some("4.0.8".into()) }],
        ..Default::default()
    };
    app.handle(Event::Response(Response {
        id: fetch.id,
        kind: ResponseKind::Health(HealthResponse::Gathered { details: Box::new(details) }),
    }));
    // the last row selected, so the first rows show their own colours
    app.update(Action::Bottom);
    let term = draw(&app, 160, 48);
    let text = screen(&term);
    let theme = Theme::default();
    assert!(text.contains("● 1 critical") && text.contains("▲ 4 warn"), "{text}");
    // most severe first: the blocked subscription, then the stalled one with its backlog
    let blocked = text.lines().position(|l| l.contains("blocked on unacked messages")).unwrap();
    let stalled = text.lines().position(|l| l.contains("stalled subscription")).unwrap();
    assert!(blocked < stalled, "{text}");
    assert!(text.contains("backlog 4,200 and no consumer"), "{text}");
    assert!(text.contains("from payments ⤷ fraud"), "the DLQ names its origin:\n{text}");
    assert!(text.contains("size quota: 900.0 MB of 1.0 GB (88 %)"), "{text}");
    app.update(Action::Top);
    let top = screen(&draw(&app, 160, 48));
    assert!(top.contains("threshold: maxUnackedMessagesPerSubscription reached"), "{top}");
    assert!(top.contains("Enter: the subscription ledger in the explorer"), "{top}");
    assert_eq!(fg_at(&term, "● CRIT"), theme.backlog_crit);
    assert_eq!(fg_at(&term, "▲ WARN"), theme.status_warn);
    insta::assert_snapshot!("health__troubled__160x48", text);
}

#[test]
fn health_view_80x24_with_a_cleared_finding_in_grey() {
    let (mut app, _) = health_app(&troubled(0.0));
    // the billing subscription gets a consumer back: cleared, greyed for a minute
    app.metrics.scraped_at = None;
    let reqs = app.handle(Event::Tick(Instant::now() + std::time::Duration::from_secs(10)));
    assert!(reqs.iter().any(|r| matches!(r.kind, RequestKind::Metrics(_))), "{reqs:?}");
    scrape(&mut app, &troubled(1.0), T0 + 5_000);
    app.wall_ms = T0 + 10_000;
    let term = draw(&app, 80, 24);
    let text = screen(&term);
    assert!(text.contains("✓ 1 cleared"), "{text}");
    assert_eq!(fg_at(&term, "✓ ok"), Theme::default().dim);
    insta::assert_snapshot!("health__cleared__80x24", text);
    // after a minute it is gone
    app.metrics.scraped_at = None;
    app.handle(Event::Tick(Instant::now() + std::time::Duration::from_secs(100)));
    scrape(&mut app, &troubled(1.0), T0 + 5_000 + 60_000);
    assert!(!screen(&draw(&app, 80, 24)).contains("cleared"));
}

#[test]
fn health_view_with_no_findings_80x24() {
    let mut text = t("orders", "msg_backlog", 0.0);
    text += &s("orders", "billing", "back_log", 0.0);
    text += &s("orders", "billing", "consumers_count", 2.0);
    let (app, _) = health_app(&text);
    let term = draw(&app, 80, 24);
    let out = screen(&term);
    assert!(out.contains("✓ nothing wrong right now"), "{out}");
    assert!(out.contains("✓ no finding"), "{out}");
    assert_eq!(fg_at(&term, "✓ nothing wrong"), Theme::default().status_ok);
    insta::assert_snapshot!("health__none__80x24", out);
}

#[test]
fn enter_opens_where_the_finding_points_and_esc_goes_back() {
    let (mut app, _) = health_app(&troubled(0.0));
    // the first finding is the blocked subscription: Enter selects it in the explorer
    app.update(Action::Open);
    assert_eq!(app.view, View::Explorer);
    // H opens the health view again, `:health` too; Esc goes back where it came from
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('H'), KeyModifiers::SHIFT)));
    assert_eq!(app.view, View::Health);
    app.update(Action::Back);
    assert_eq!(app.view, View::Explorer);
    app.run_command(":health");
    assert_eq!(app.view, View::Health);
    // the DLQ finding opens the browser on the DLQ
    let dlq = app.health.findings().iter().position(|f| f.kind == pulsar_tui::health::Kind::DeadLetters).unwrap();
    for _ in 0..dlq {
        app.update(Action::Down);
    }
    let reqs = app.update(Action::Open);
    assert_eq!(app.view, View::Browser);
    assert!(
        reqs.iter()
            .any(|r| matches!(&r.kind, RequestKind::Browse(BrowseRequest::ReadPage { topic, .. }) if topic.local == "payments-fraud-DLQ")),
        "{reqs:?}"
    );
}
