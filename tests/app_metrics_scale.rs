//! The metrics view at scale (issue 21), as a state machine driven by events carrying
//! the time: the interval stretches after a slow scrape (and the header says so), and
//! each scrape request carries the interest set of what is on screen.

mod common;

use std::time::{Duration, Instant};

use common::{draw, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::metrics::interest::{effective_interval, stretch_note};
use pulsar_tui::app::{App, Event, Settings};
use pulsar_tui::metrics::Interest;
use pulsar_tui::pulsar::request::{MetricsRequest, MetricsResponse};
use pulsar_tui::pulsar::request::{RequestKind, Response, ResponseKind};
use pulsar_tui::ui::theme::Theme;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[test]
fn the_interval_stretches_to_four_times_a_slow_scrape() {
    let base = Duration::from_secs(5);
    assert_eq!(effective_interval(base, None), base);
    assert_eq!(effective_interval(base, Some(secs(0.3))), base);
    assert_eq!(effective_interval(base, Some(secs(1.25))), base, "exactly a quarter");
    assert_eq!(effective_interval(base, Some(secs(1.3))), secs(6.0), "5.2 s, in whole seconds");
    assert_eq!(effective_interval(base, Some(secs(4.8))), secs(20.0));
    assert_eq!(effective_interval(Duration::from_secs(30), Some(secs(4.8))), secs(30.0));
    assert_eq!(stretch_note(base, Some(secs(4.8))).as_deref(), Some("every 20 s: scrape takes 4.8 s"));
    assert_eq!(stretch_note(base, Some(secs(1.0))), None);
    assert_eq!(stretch_note(base, None), None);
}

fn scrape_in_flight(app: &App) -> bool {
    app.metrics.in_flight.is_some()
}

/// Answers the scrape in flight with a small snapshot.
fn answer_scrape(app: &mut App) {
    let text = "pulsar_msg_backlog{namespace=\"t/n\",topic=\"persistent://t/n/orders\"} 7\n";
    let snapshot = pulsar_tui::metrics::model::snapshot_from_str(text, "http://127.0.0.1:8080", 0);
    let id = app.metrics.in_flight.expect("a scrape in flight");
    app.handle(Event::Response(Response {
        id,
        kind: ResponseKind::Metrics(MetricsResponse::Scraped { snapshot: Box::new(snapshot), at_ms: 0 }),
    }));
}

#[test]
fn a_slow_scrape_stretches_the_next_one_and_the_header_says_so() {
    let t0 = Instant::now();
    let mut app = App::new(Settings::default(), t0);
    let _ = app.start();
    assert!(scrape_in_flight(&app));
    // the answer comes 4.8 s after the request
    app.handle(Event::Tick(t0 + secs(4.8)));
    answer_scrape(&mut app);
    assert_eq!(app.metrics.took, Some(secs(4.8)));
    assert_eq!(app.metrics.interval(app.settings.metrics_interval), secs(20.0));
    // 5 s later (the configured interval) nothing is asked; 20 s later it is
    app.handle(Event::Tick(t0 + secs(4.8 + 5.0)));
    assert!(!scrape_in_flight(&app));
    app.handle(Event::Tick(t0 + secs(4.8 + 19.0)));
    assert!(!scrape_in_flight(&app));
    app.handle(Event::Tick(t0 + secs(4.8 + 20.0)));
    assert!(scrape_in_flight(&app), "the stretched interval has passed");
    // the header of the metrics view says why, in the warning colour
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('m'), KeyModifiers::NONE)));
    let term = draw(&app, 100, 20);
    let text = screen(&term);
    let (y, line) = text.lines().enumerate().find(|(_, l)| l.contains("every 20 s")).expect("the note");
    assert!(line.contains("every 20 s: scrape takes 4.8 s"), "{text}");
    let x = line[..line.find("every 20 s").unwrap_or(0)].chars().count() as u16;
    assert_eq!(term.backend().buffer()[(x, y as u16)].fg, Theme::default().status_warn);
    // the header line only: the table's column widths below are the pane's own business
    insta::assert_snapshot!("metrics__stretched_interval_header__100x20", line);
    // a fast scrape brings the interval back
    let t1 = t0 + secs(25.0);
    app.handle(Event::Tick(t1 + secs(0.2)));
    answer_scrape(&mut app);
    assert_eq!(app.metrics.interval(app.settings.metrics_interval), Duration::from_secs(5));
}

#[test]
fn each_scrape_carries_what_is_on_screen() {
    let t0 = Instant::now();
    let mut app = App::new(Settings::default(), t0);
    let reqs = app.start();
    let interest = reqs
        .iter()
        .find_map(|r| match &r.kind {
            RequestKind::Metrics(MetricsRequest::Scrape { interest, .. }) => Some(interest.clone()),
            _ => None,
        })
        .expect("a scrape at start");
    let bounded =
        Interest::bounded(pulsar_tui::app::metrics::interest::TOP_N, pulsar_tui::app::metrics::interest::HEALTH_LIMIT);
    assert_eq!(interest, bounded, "nothing on screen yet");
    answer_scrape(&mut app);
    // the metrics view lists orders and the user types a filter: the next scrape keeps both
    app.metrics.filter = "ord".into();
    app.metrics.rebuild();
    let i = app.metrics_interest();
    assert!(!i.everything);
    assert_eq!(i.topics, ["persistent://t/n/orders"]);
    assert_eq!(i.filter, "ord");
}

#[test]
fn the_selected_topics_transaction_buffer_is_shown() {
    let mut app = App::new(Settings::default(), Instant::now());
    let _ = app.start();
    let t = "namespace=\"t/n\",topic=\"persistent://t/n/orders\"";
    let text = format!(
        "pulsar_msg_backlog{{{t}}} 7\npulsar_txn_tb_active_total{{{t}}} 2\n\
         pulsar_txn_tb_committed_total{{{t}}} 10\npulsar_txn_tb_aborted_total{{{t}}} 1\n"
    );
    let snapshot = pulsar_tui::metrics::model::snapshot_from_str(&text, "http://127.0.0.1:8080", 0);
    let id = app.metrics.in_flight.expect("a scrape in flight");
    app.handle(Event::Response(Response {
        id,
        kind: ResponseKind::Metrics(MetricsResponse::Scraped { snapshot: Box::new(snapshot), at_ms: 0 }),
    }));
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('m'), KeyModifiers::NONE)));
    let out = screen(&draw(&app, 120, 30));
    assert!(out.contains("transaction buffer 2 open · 10 committed · 1 aborted"), "{out}");
}
