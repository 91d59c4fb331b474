//! The DLQ view, the requeue dialog and the write-action dialog as a state machine (no
//! terminal, no runtime), with snapshots of what they draw.

mod common;

use std::time::Instant;

use common::tui::{
    answer_cluster_info, answer_subscriptions, answer_tenants, browse_one_page, open_only_namespace, press, topic,
    type_text,
};
use common::{answer, draw, find, screen};
use crossterm::event::KeyCode;
use pulsar_tui::app::dlq::ActionStage;
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Settings, View};
use pulsar_tui::dlq::{Letter, LetterKind, Target};
use pulsar_tui::pulsar::actions::WriteAction;
use pulsar_tui::pulsar::dlq::{DlqRequest, DlqResponse};
use pulsar_tui::pulsar::dlq::{LetterTopic, RequeueProgress, RequeueSummary};
use pulsar_tui::pulsar::request::{ExplorerRequest, ExplorerResponse, Request, RequestKind, ResponseKind};
use pulsar_tui::pulsar::{ClientError, TopicEntry};
use pulsar_tui::ui::theme::Theme;

/// acme/shop loaded with orders (4 partitions) and its DLQ; the namespace selected.
fn app_on_namespace() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    answer_cluster_info(&mut app, &reqs, &["standalone"]);
    answer_tenants(&mut app, &reqs, &["acme"]);
    open_only_namespace(
        &mut app,
        "acme",
        "acme/shop",
        vec![
            TopicEntry { name: topic("persistent://acme/shop/orders"), partitions: 4 },
            TopicEntry { name: topic("persistent://acme/shop/orders-payments-DLQ"), partitions: 0 },
        ],
    );
    app
}

/// The wall clock of the snapshots.
const NOW_MS: i64 = 1_800_000_000_000;

fn letters() -> Vec<LetterTopic> {
    let now = NOW_MS;
    let retry = LetterTopic {
        letter: Letter {
            topic: topic("persistent://acme/shop/orders-payments-RETRY"),
            kind: Some(LetterKind::Retry),
            origin: Some(topic("persistent://acme/shop/orders")),
            subscription: Some("payments".into()),
        },
        found_by: "name",
        partitions: 0,
        messages: 0,
        oldest_publish_ms: None,
        newest_publish_ms: None,
        subscriptions: Vec::new(),
    };
    vec![
        LetterTopic {
            letter: Letter {
                topic: topic("persistent://acme/shop/orders-payments-DLQ"),
                kind: Some(LetterKind::Dlq),
                origin: Some(topic("persistent://acme/shop/orders")),
                subscription: Some("payments".into()),
            },
            found_by: "name",
            partitions: 0,
            messages: 20,
            oldest_publish_ms: Some(now - 3 * 3_600_000),
            newest_publish_ms: Some(now - 5 * 60_000),
            subscriptions: vec!["dlq-triage".into()],
        },
        retry,
    ]
}

fn plan(moved: u64) -> RequeueSummary {
    let mut s = RequeueSummary { journal: "/data/requeue-journal.jsonl".into(), ..Default::default() };
    s.progress.moved = moved;
    s.progress.scanned = moved;
    s.targets.insert("persistent://acme/shop/orders".into(), moved);
    s
}

/// Opens the requeue dialog on the selected letter and answers its plan: `moved` messages,
/// with `subscription` to type as the confirmation.
fn requeue_planned(app: &mut App, moved: u64, subscription: Option<&str>) {
    let reqs = app.update(Action::Requeue);
    let plan_req = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::PlanRequeue { .. }))).clone();
    answer(
        app,
        &plan_req,
        ResponseKind::Dlq(DlqResponse::RequeuePlanned {
            summary: Box::new(plan(moved)),
            meaning: "m".into(),
            subscription: subscription.map(String::from),
        }),
    );
}

fn dlq_view() -> App {
    let mut app = app_on_namespace();
    app.wall_ms = NOW_MS;
    let reqs = app.update(Action::OpenDlq);
    assert_eq!(app.view, View::Dlq);
    let r = find(
        &reqs,
        |k| matches!(k, RequestKind::Dlq(DlqRequest::ListLetters { namespace }) if namespace == "acme/shop"),
    );
    answer(
        &mut app,
        r,
        ResponseKind::Dlq(DlqResponse::LettersListed { namespace: "acme/shop".into(), letters: letters() }),
    );
    app
}

#[test]
fn the_dlq_view_lists_letters_with_origin_subscription_and_ages() {
    let app = dlq_view();
    let term = draw(&app, 140, 12);
    let text = screen(&term);
    assert!(text.contains("orders-payments-DLQ") && text.contains("payments") && text.contains("dlq-triage"), "{text}");
    assert!(text.contains("3h") && text.contains("5m") && text.contains("nobody"), "{text}");
    insta::assert_snapshot!("dlq_view", text);
    // the kind column carries the DLQ badge colour (second row: the first is selected)
    let buf = term.backend().buffer();
    let cell = (0..buf.area.width)
        .map(|x| &buf[(x, 4)])
        .find(|c| c.symbol() == "R")
        .expect("a RETRY kind cell on the second row");
    assert_eq!(cell.fg, Theme::default().dlq_badge);
}

#[test]
fn the_dlq_view_says_when_there_is_none_and_shows_failures() {
    let mut app = app_on_namespace();
    let reqs = app.update(Action::OpenDlq);
    let r = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::ListLetters { .. })));
    answer(
        &mut app,
        r,
        ResponseKind::Dlq(DlqResponse::LettersListed { namespace: "acme/shop".into(), letters: Vec::new() }),
    );
    assert!(screen(&draw(&app, 100, 8)).contains("no dead-letter or retry topic"));
    let reqs = app.update(Action::Refresh);
    let r = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::ListLetters { .. })));
    answer(&mut app, r, ResponseKind::Failed { error: ClientError::NotFound { what: "acme/shop".into() } });
    assert!(screen(&draw(&app, 100, 8)).contains("not found: acme/shop"));
    app.update(Action::Back);
    assert_eq!(app.view, View::Explorer);
}

#[test]
fn bulk_requeue_previews_then_needs_the_subscription_typed_then_shows_progress_and_summary() {
    let mut app = dlq_view();
    let reqs = app.update(Action::Requeue);
    let plan_req = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::PlanRequeue { .. }))).clone();
    let RequestKind::Dlq(DlqRequest::PlanRequeue { options }) = &plan_req.kind else { unreachable!() };
    assert_eq!(options.dlq.to_string(), "persistent://acme/shop/orders-payments-DLQ");
    assert_eq!(options.target, Target::Original);
    assert_eq!((options.filter.as_ref(), options.only.as_ref()), (None, None), "all of the DLQ");
    assert!(screen(&draw(&app, 120, 24)).contains("nothing is sent yet"));
    answer(
        &mut app,
        &plan_req,
        ResponseKind::Dlq(DlqResponse::RequeuePlanned {
            summary: Box::new(plan(20)),
            meaning: "each message is published again to persistent://acme/shop/orders; every subscription of it \
                      (analytics, payments) receives it again"
                .into(),
            subscription: Some("payments".into()),
        }),
    );
    insta::assert_snapshot!("requeue_preview", screen(&draw(&app, 120, 24)));

    // Enter without the typed confirmation sends nothing
    let reqs = press(&mut app, KeyCode::Enter);
    assert!(reqs.is_empty(), "{reqs:?}");
    assert!(screen(&draw(&app, 120, 24)).contains("type payments to confirm"));
    type_text(&mut app, "paymentz");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "s");
    let reqs = press(&mut app, KeyCode::Enter);
    let run = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::Requeue { .. }))).clone();
    let RequestKind::Dlq(DlqRequest::Requeue { options }) = &run.kind else { unreachable!() };
    assert_eq!(options.subscription, "pulsar-tui-requeue");
    assert!(!options.keep_dlq_properties);

    let progress =
        RequeueProgress { scanned: 9, moved: 7, skipped: 1, failed: 0, left: 0, total: Some(20), entries: 8 };
    answer(&mut app, &run, ResponseKind::Dlq(DlqResponse::RequeueProgressed { progress }));
    insta::assert_snapshot!("requeue_progress", screen(&draw(&app, 120, 24)));

    // Esc stops it cleanly: a cancel, and the dialog waits for the summary
    let reqs = press(&mut app, KeyCode::Esc);
    assert!(matches!(reqs.as_slice(), [Request { kind: RequestKind::Cancel { id }, .. }] if *id == run.id));
    assert!(screen(&draw(&app, 120, 24)).contains("stopping after the sends in flight"));
    let mut summary = plan(8);
    summary.progress.skipped = 1;
    summary.progress.total = Some(20);
    summary.cancelled = true;
    answer(&mut app, &run, ResponseKind::Dlq(DlqResponse::RequeueFinished { summary: Box::new(summary) }));
    let text = screen(&draw(&app, 120, 24));
    assert!(text.contains("cancelled after the sends in flight") && text.contains("moved 8"), "{text}");
    let reqs = press(&mut app, KeyCode::Enter);
    assert!(app.requeue.is_none());
    assert!(
        reqs.iter().any(|r| matches!(r.kind, RequestKind::Dlq(DlqRequest::ListLetters { .. }))),
        "the DLQ view reloads"
    );
    assert!(app.status.as_ref().unwrap().text.contains("requeued 8"));
}

#[test]
fn tab_switches_to_the_retry_topic_and_replans() {
    let mut app = dlq_view();
    app.update(Action::Requeue);
    let reqs = press(&mut app, KeyCode::Tab);
    let r = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::PlanRequeue { .. })));
    let RequestKind::Dlq(DlqRequest::PlanRequeue { options }) = &r.kind else { unreachable!() };
    assert_eq!(options.target, Target::Retry);
    // Esc closes the preview without sending anything
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.requeue.is_none());
}

#[test]
fn a_refused_requeue_goes_back_to_the_preview_with_the_reason() {
    let mut app = dlq_view();
    requeue_planned(&mut app, 3, None);
    // no subscription known: the DLQ's own name is typed
    type_text(&mut app, "orders-payments-DLQ");
    let reqs = press(&mut app, KeyCode::Enter);
    let run = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::Requeue { .. }))).clone();
    answer(&mut app, &run, ResponseKind::Failed { error: ClientError::ReadOnly { what: "requeue".into() } });
    let d = app.requeue.as_ref().expect("the dialog stays open");
    assert!(d.run.is_none());
    assert!(screen(&draw(&app, 120, 24)).contains("refused: read-only mode"));
}

/// The orders topic expanded with its subscriptions, `payments` selected.
fn app_on_subscription() -> App {
    let mut app = app_on_namespace();
    app.update(Action::Down);
    let reqs = app.update(Action::Expand);
    answer_subscriptions(&mut app, &reqs, &topic("persistent://acme/shop/orders"), &["analytics", "payments"]);
    app.update(Action::Down);
    app.update(Action::Down);
    app
}

#[test]
fn clearing_a_backlog_needs_the_subscription_typed_and_reloads_after() {
    let mut app = app_on_subscription();
    assert!(app.update(Action::Actions).is_empty());
    let Some(ActionStage::Menu { items, .. }) = app.action.as_ref().map(|d| &d.stage) else { panic!("a menu") };
    assert_eq!(items.len(), 4);
    insta::assert_snapshot!("actions_menu", screen(&draw(&app, 100, 20)));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let text = screen(&draw(&app, 100, 20));
    assert!(text.contains("Clear the whole backlog of subscription payments"), "{text}");
    assert!(press(&mut app, KeyCode::Enter).is_empty(), "not typed yet");
    assert!(press(&mut app, KeyCode::Char('y')).is_empty(), "y is not enough for a destructive action");
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "payments");
    let reqs = press(&mut app, KeyCode::Enter);
    let r = find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::RunAction { .. }))).clone();
    assert_eq!(
        r.kind,
        RequestKind::Explorer(ExplorerRequest::RunAction {
            action: WriteAction::ClearBacklog {
                topic: topic("persistent://acme/shop/orders"),
                subscription: "payments".into()
            }
        })
    );
    let reqs = answer(
        &mut app,
        &r,
        ResponseKind::Explorer(ExplorerResponse::ActionDone { message: "cleared the backlog of payments".into() }),
    );
    assert!(app.action.is_none());
    assert_eq!(app.status.as_ref().unwrap().text, "cleared the backlog of payments");
    assert!(
        reqs.iter().any(|r| matches!(r.kind, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { .. }))),
        "stats are refetched"
    );
}

#[test]
fn skip_asks_for_a_number_and_says_it_applies_to_each_partition() {
    let mut app = app_on_subscription();
    app.update(Action::Actions);
    press(&mut app, KeyCode::Enter); // skip N messages
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&draw(&app, 100, 20)).contains("is not a number"));
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "5");
    press(&mut app, KeyCode::Enter);
    let text = screen(&draw(&app, 100, 20));
    assert!(text.contains("Skip 5 message(s) on EACH of the 4 partitions"), "{text}");
    // Esc at the confirmation sends nothing
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.action.is_none());
}

#[test]
fn a_refused_action_shows_why_in_the_status_line() {
    let mut app = app_on_namespace();
    app.update(Action::Down); // the orders topic
    app.update(Action::Actions);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down); // unload
    press(&mut app, KeyCode::Enter);
    let reqs = press(&mut app, KeyCode::Char('y'));
    let r = find(&reqs, |k| {
        matches!(k, RequestKind::Explorer(ExplorerRequest::RunAction { action: WriteAction::Unload { .. } }))
    })
    .clone();
    answer(&mut app, &r, ResponseKind::Failed { error: ClientError::ReadOnly { what: "PUT".into() } });
    assert!(app.action.is_none());
    let s = app.status.as_ref().unwrap();
    assert!(s.text.contains("refused: read-only mode"), "{}", s.text);
}

#[test]
fn read_only_shows_in_the_header() {
    let app = App::new(Settings { read_only: true, ..Settings::default() }, Instant::now());
    let term = draw(&app, 80, 5);
    let first: String = screen(&term).lines().next().unwrap().to_string();
    assert!(first.contains("[RO]"), "{first}");
}

/// Every view and dialog drawn on terminals from 1x1 to 40x10: nothing panics (ratatui
/// clips, our layout arithmetic must not underflow).
#[test]
fn tiny_terminals_never_panic() {
    let mut states: Vec<App> = Vec::new();
    states.push(app_on_namespace());
    let mut help = app_on_namespace();
    help.update(Action::ToggleHelp);
    states.push(help);
    states.push(dlq_view());
    let mut preview = dlq_view();
    requeue_planned(&mut preview, 2, None);
    states.push(preview);
    let mut menu = app_on_subscription();
    menu.update(Action::Actions);
    states.push(menu);
    let mut browser = App::new(Settings::default(), Instant::now());
    let messages = (0..5).map(|i| common::browsed(i, b"{\"a\": 1}")).collect();
    browse_one_page(&mut browser, &topic("persistent://acme/shop/orders"), messages, 1);
    browser.update(Action::ToggleDetail);
    states.push(browser);
    let mut metrics = app_on_namespace();
    metrics.update(Action::ToggleMetrics);
    states.push(metrics);
    for app in &states {
        for w in [1u16, 2, 5, 10, 20, 33, 40] {
            for h in [1u16, 2, 3, 5, 7, 10] {
                let _ = draw(app, w, h);
            }
        }
    }
}

#[test]
fn ctx_is_refused_while_a_requeue_runs_and_allowed_after_it_finished() {
    let mut app = dlq_view();
    app.settings.contexts = vec!["other".into()];
    requeue_planned(&mut app, 20, Some("p"));
    type_text(&mut app, "p");
    let reqs = press(&mut app, KeyCode::Enter);
    let run = find(&reqs, |k| matches!(k, RequestKind::Dlq(DlqRequest::Requeue { .. }))).clone();
    assert!(app.requeue_running());
    let out = app.run_command(":ctx other");
    assert!(out.is_empty());
    assert_eq!(app.take_context_switch(), None, "no switch while messages move");
    assert!(app.status.as_ref().unwrap().text.contains("a requeue is running"), "{:?}", app.status);
    // stopping it is not the end of it: the sends in flight finish first
    press(&mut app, KeyCode::Esc);
    assert!(app.requeue_running());
    app.run_command(":ctx other");
    assert_eq!(app.take_context_switch(), None);
    answer(&mut app, &run, ResponseKind::Dlq(DlqResponse::RequeueFinished { summary: Box::new(plan(3)) }));
    assert!(!app.requeue_running());
    app.run_command(":ctx other");
    assert_eq!(app.take_context_switch().as_deref(), Some("other"));
    // while the runtime builds the new client, no requeue starts on the old one
    press(&mut app, KeyCode::Enter); // closes the finished dialog
    requeue_planned(&mut app, 20, Some("p"));
    type_text(&mut app, "p");
    let reqs = press(&mut app, KeyCode::Enter);
    assert!(!reqs.iter().any(|r| matches!(r.kind, RequestKind::Dlq(DlqRequest::Requeue { .. }))), "{reqs:?}");
    let error = app.requeue.as_ref().and_then(|d| d.error.clone()).unwrap_or_default();
    assert!(error.contains("switching to context other"), "{error}");
}
