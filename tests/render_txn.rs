//! Snapshots of the transactions view, its abort dialog and the browser's held-back marker
//! (insta), with colour assertions: a slow transaction and what it holds back carry meaning.

mod common;

use std::time::Instant;

use common::tui::{browse_one_page, code, fg_at};
use common::{answer, browsed, draw, find, screen};
use crossterm::event::KeyCode;
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Event, Settings, View};
use pulsar_tui::pulsar::request::{BrowseRequest, RequestKind, ResponseKind};
use pulsar_tui::pulsar::txn::{
    BufferStats, Coordinator, Counters, Overview, PendingAck, TopicTxns, TxnRequest, TxnResponse,
};
use pulsar_tui::pulsar::TopicName;
use pulsar_tui::txn::{HeldBack, Produced, Status, TxnId, TxnInfo};
use pulsar_tui::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const T0: i64 = 1_800_000_000_000;
const ORDERS: &str = "persistent://acme/shop/orders";

fn txn(least: u64, opened_ago_ms: i64, topic: &str, start: &str, acked: Option<&str>) -> TxnInfo {
    TxnInfo {
        id: TxnId { most: 0, least },
        status: Status::Open,
        open_ms: T0 - opened_ago_ms,
        timeout_ms: 600_000,
        produced: vec![Produced { topic: topic.into(), start_position: Some(start.into()), aborted: false }],
        acked: acked.map(|s| vec![(topic.to_string(), s.to_string())]).unwrap_or_default(),
        owner: None,
    }
}

fn held_back() -> HeldBack {
    HeldBack {
        entries: 5,
        max_read_position: "8:6".into(),
        last_entry: "8:11".into(),
        txn: Some(TxnId { most: 0, least: 2 }),
        since_ms: Some(T0 - 4 * 60_000),
    }
}

fn overview() -> Overview {
    Overview {
        coordinators: vec![Coordinator {
            id: 0,
            broker: "pulsar://127.0.0.1:6650".into(),
            state: Some("Ready".into()),
            ongoing: Some(2),
            low_water_mark: Some(1),
            least_sig_bits: Some(3),
            error: None,
        }],
        open: vec![
            txn(2, 4 * 60_000, ORDERS, "8:7", Some("billing")),
            txn(3, 5_000, "persistent://acme/shop/payments", "3:0", None),
        ],
    }
}

fn orders_txns() -> TopicTxns {
    TopicTxns {
        topic: ORDERS.into(),
        buffer: Some(BufferStats {
            state: "Ready".into(),
            max_read_position: "8:6".into(),
            ongoing: 1,
            aborted_total: 1,
            last_snapshot_ms: None,
        }),
        last_entry: Some("8:11".into()),
        held_back: Some(held_back()),
        counters: Some(Counters { ongoing: 1, committed: 4, aborted: 1 }),
        subscriptions: vec![PendingAck {
            subscription: "billing".into(),
            state: Some("Ready".into()),
            ongoing: Some(1),
            error: None,
        }],
        open: vec![],
        errors: vec![],
    }
}

/// The app on the transactions view, the list and the selected transaction's topic answered.
fn txn_app() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let out = app.update(Action::OpenTxn);
    assert_eq!(app.view, View::Txn);
    let list = find(&out, |k| matches!(k, RequestKind::Txn(TxnRequest::List { .. }))).clone();
    let out = answer(&mut app, &list, ResponseKind::Txn(TxnResponse::Listed { overview: Box::new(overview()) }));
    let topic = find(&out, |k| matches!(k, RequestKind::Txn(TxnRequest::Topic { .. }))).clone();
    let RequestKind::Txn(TxnRequest::Topic { topic: name }) = &topic.kind else { unreachable!() };
    assert_eq!(name.to_string(), ORDERS, "the selected (oldest) transaction's topic");
    answer(
        &mut app,
        &topic,
        ResponseKind::Txn(TxnResponse::TopicInspected {
            topic: TopicName::parse(ORDERS).unwrap(),
            parts: vec![orders_txns()],
        }),
    );
    app.wall_ms = T0;
    app.txn.fetched_ms = Some(T0 - 3_000); // the app's wall clock is the real one
    app
}

#[test]
fn transactions_view_140x30() {
    let app = txn_app();
    let term = draw(&app, 140, 30);
    let text = screen(&term);
    insta::assert_snapshot!("txn__view__140x30", text);
    let theme = Theme::default();
    assert!(text.contains("2 open") && text.contains("▲ 1 slow"), "{text}");
    // slow ones counted in the warning colour, what the selected one holds back critical
    assert_eq!(fg_at(&term, "▲ 1 slow"), theme.status_warn);
    assert_eq!(fg_at(&term, "⏸ ≥ 5 entries held back by open transaction (0,2)"), theme.backlog_crit);
    assert_eq!(fg_at(&term, "Ready"), theme.status_ok);
}

#[test]
fn abort_dialog_asks_for_the_id_and_read_only_says_it_will_be_refused() {
    let mut app = txn_app();
    app.settings.read_only = true;
    assert!(app.update(Action::AbortTxn).is_empty(), "the dialog opens, nothing is sent");
    for c in "(0,".chars() {
        assert!(app.handle(code(KeyCode::Char(c))).is_empty());
    }
    // Enter before the id is complete sends nothing
    assert!(app.handle(code(KeyCode::Enter)).is_empty());
    let term = draw(&app, 100, 30);
    let text = screen(&term);
    insta::assert_snapshot!("txn__abort__100x30", text);
    assert!(text.contains("read-only mode: the abort will be refused"), "{text}");
    assert_eq!(fg_at(&term, "read-only mode"), Theme::default().status_error);
    for c in "2)".chars() {
        app.handle(code(KeyCode::Char(c)));
    }
    let out = app.handle(code(KeyCode::Enter));
    let r = find(&out, |k| matches!(k, RequestKind::Txn(TxnRequest::Abort { .. })));
    assert_eq!(r.kind, RequestKind::Txn(TxnRequest::Abort { txn: TxnId { most: 0, least: 2 } }));
    // Esc leaves a running abort's dialog open: its answer closes it
    app.handle(code(KeyCode::Esc));
    assert!(app.txn.abort.is_some());
}

#[test]
fn browser_end_held_back_by_an_open_transaction_120x12() {
    let mut app = App::new(Settings::default(), Instant::now());
    let topic = TopicName::parse(ORDERS).unwrap();
    let messages = (0..3).map(|i| browsed(i, format!("c-{i}").as_bytes())).collect();
    let out = browse_one_page(&mut app, &topic, messages, 1);
    // at the end, the browser asks what open transactions hold back
    let q = find(&out, |k| matches!(k, RequestKind::Txn(TxnRequest::FindHeldBack { .. }))).clone();
    answer(&mut app, &q, ResponseKind::Txn(TxnResponse::HeldBackFound { topic, held_back: Some(held_back()) }));
    app.wall_ms = T0;
    let term = draw(&app, 160, 12);
    let text = screen(&term);
    insta::assert_snapshot!("txn__browser_held_back__160x12", text);
    assert_eq!(fg_at(&term, "⏸ ≥ 5 entries held back"), Theme::default().status_warn);
    assert!(!text.contains("end of topic"), "{text}");
}

#[test]
fn the_details_panes_transaction_counters_with_an_ongoing_one_highlighted() {
    use pulsar_tui::pulsar::stats::TopicStats;
    use ratatui::text::Line;
    use ratatui::widgets::Paragraph;
    let theme = Theme::default();
    let mut lines: Vec<Line> = Vec::new();
    pulsar_tui::panes::txn::details_line(&TopicStats::default(), &theme, &mut lines);
    assert!(lines.is_empty(), "a topic that never saw a transaction gets no line");
    let stats = TopicStats { ongoing_txn_count: 1, committed_txn_count: 3, aborted_txn_count: 2, ..Default::default() };
    pulsar_tui::panes::txn::details_line(&stats, &theme, &mut lines);
    let mut term = Terminal::new(TestBackend::new(80, 1)).unwrap();
    term.draw(|f| f.render_widget(Paragraph::new(lines.clone()), f.area())).unwrap();
    let text = screen(&term);
    assert!(text.contains("Transactions  1 ongoing · 3 committed · 2 aborted   (T: what they hold back)"), "{text}");
    let x = text.find("1 ongoing").unwrap() as u16;
    assert_eq!(term.backend().buffer()[(x, 0)].fg, theme.backlog_warn);
}

#[test]
fn a_shown_held_back_marker_is_asked_again_and_what_it_released_is_read() {
    let start = Instant::now();
    let mut app = App::new(Settings::default(), start);
    let topic = TopicName::parse(ORDERS).unwrap();
    let messages = (0..3).map(|i| browsed(i, format!("c-{i}").as_bytes())).collect();
    let out = browse_one_page(&mut app, &topic, messages, 1);
    let q = find(&out, |k| matches!(k, RequestKind::Txn(TxnRequest::FindHeldBack { .. }))).clone();
    let found = TxnResponse::HeldBackFound { topic: topic.clone(), held_back: Some(held_back()) };
    answer(&mut app, &q, ResponseKind::Txn(found));
    let asks = |out: &[pulsar_tui::pulsar::request::Request]| {
        out.iter().filter(|r| matches!(r.kind, RequestKind::Txn(TxnRequest::FindHeldBack { .. }))).count()
    };
    // not following: nothing arrives to ask again, so the ticks do, every few seconds
    let out = app.handle(Event::Tick(start + std::time::Duration::from_secs(2)));
    assert_eq!(asks(&out), 0, "{out:?}");
    let out = app.handle(Event::Tick(start + std::time::Duration::from_secs(6)));
    assert_eq!(asks(&out), 1, "{out:?}");
    let q = find(&out, |k| matches!(k, RequestKind::Txn(TxnRequest::FindHeldBack { .. }))).clone();
    // the transaction ended: the marker goes and the browser reads on from the old end
    let out = answer(&mut app, &q, ResponseKind::Txn(TxnResponse::HeldBackFound { topic, held_back: None }));
    let b = app.browser.as_ref().unwrap();
    assert!(b.held_back.is_none());
    assert!(!b.at_end);
    find(&out, |k| matches!(k, RequestKind::Browse(BrowseRequest::ReadPage { .. })));
}
