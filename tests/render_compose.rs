//! The compose dialog (`n`): its fields, a validation error at its field (colour asserted),
//! the confirmed id and `o` to open it in the browser; driven through `App::handle`.

mod common;

use std::time::Instant;

use common::tui::{browse_one_page, cell_at, fg_at, press, type_text};
use common::{draw, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::compose::{ComposeDialog, ComposeStage};
use pulsar_tui::app::{App, Event, Settings};
use pulsar_tui::encode::EncodeError;
use pulsar_tui::model::MessageId;
use pulsar_tui::pulsar::produce::{DraftValue, ProduceRequest, ProduceResponse};
use pulsar_tui::pulsar::request::{BrowseRequest, RequestKind, Response, ResponseKind};
use pulsar_tui::pulsar::TopicName;
use pulsar_tui::ui::theme::Theme;

fn app_with_dialog() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    app.start();
    let topic = TopicName::parse("persistent://acme/shop/orders").unwrap();
    app.compose = Some(ComposeDialog::new(topic));
    app
}

#[test]
fn compose_sends_the_fields_and_shows_a_refusal_at_the_value() {
    let mut app = app_with_dialog();
    type_text(&mut app, r#"{"id": "o-1", "items": [{"qty": "3"}]}"#);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "u-42");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "src=tui, team=shop");
    let term = draw(&app, 100, 24);
    let text = screen(&term);
    insta::assert_snapshot!("compose__fields__100x24", text);
    // the field being typed in is highlighted, the others are not
    assert_eq!(cell_at(&term, "src=tui").bg, Theme::default().selection_bg);
    assert_ne!(cell_at(&term, "u-42").bg, Theme::default().selection_bg);

    // a bad property list is refused at its field before anything is sent
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "yesterday");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let d = app.compose.as_ref().unwrap();
    assert_eq!(d.error.as_ref().map(|e| e.0), Some(4), "{:?}", d.error);
    for _ in 0.."yesterday".len() {
        press(&mut app, KeyCode::Backspace);
    }

    // Enter sends one draft; the worker refuses the value at its field
    let reqs = press(&mut app, KeyCode::Enter);
    let req = reqs.first().expect("a produce request");
    let RequestKind::Produce(ProduceRequest::Send { topic, drafts, .. }) = &req.kind else { panic!("{reqs:?}") };
    assert_eq!(topic.to_string(), "persistent://acme/shop/orders");
    assert_eq!(drafts[0].key.as_deref(), Some("u-42"));
    assert_eq!(drafts[0].properties.get("team").map(String::as_str), Some("shop"));
    assert!(matches!(&drafts[0].value, DraftValue::Json(v) if v["id"] == "o-1"));
    let error = EncodeError::at("$.items[0].qty", "expected int, got \"3\"");
    app.handle(Event::Response(Response {
        id: req.id,
        kind: ResponseKind::Produce(ProduceResponse::Refused { index: 0, error }),
    }));
    let term = draw(&app, 100, 24);
    let text = screen(&term);
    assert!(text.contains(r#"$.items[0].qty: expected int, got "3""#), "{text}");
    assert_eq!(fg_at(&term, "$.items[0].qty"), Theme::default().status_error);
    insta::assert_snapshot!("compose__refused__100x24", text);

    // fixed and sent: the id, and `o` opens the browser there
    let reqs = press(&mut app, KeyCode::Enter);
    let id = MessageId { ledger: 12, entry: 3, partition: -1, batch: -1 };
    let topic = TopicName::parse("persistent://acme/shop/orders").unwrap();
    app.handle(Event::Response(Response {
        id: reqs[0].id,
        kind: ResponseKind::Produce(ProduceResponse::Sent { topic, ids: vec![id] }),
    }));
    assert_eq!(app.compose.as_ref().unwrap().stage, ComposeStage::Sent(vec![id]));
    let term = draw(&app, 100, 24);
    let text = screen(&term);
    assert!(text.contains("confirmed  12:3:-1:-1"), "{text}");
    assert_eq!(fg_at(&term, "confirmed"), Theme::default().accent);
    insta::assert_snapshot!("compose__sent__100x24", text);
    let reqs = press(&mut app, KeyCode::Char('o'));
    assert!(app.compose.is_none());
    assert!(reqs.iter().any(|r| matches!(r.kind, RequestKind::Browse(BrowseRequest::ReadPage { .. }))), "{reqs:?}");
}

#[test]
fn w_resends_the_selected_message_as_is_or_edited() {
    let mut app = App::new(Settings::default(), Instant::now());
    let t = TopicName::parse("persistent://acme/shop/orders").unwrap();
    browse_one_page(&mut app, &t, vec![common::browsed(0, br#"{"id":"o-1","qty":2}"#)], 1);
    press(&mut app, KeyCode::Char('w'));
    let d = app.compose.as_ref().expect("the compose dialog, filled");
    assert_eq!(d.topic, t, "to the parent topic");
    assert!(d.inputs[3].as_str().contains("PULSAR_TUI_RESENT_FROM=persistent://acme/shop/orders-partition-1@7:0:1:-1"));
    let text = screen(&draw(&app, 110, 26));
    insta::assert_snapshot!("compose__resend__110x26", text);
    // as is: the original bytes, its schema version, key and properties
    let reqs = press(&mut app, KeyCode::Enter);
    let RequestKind::Produce(ProduceRequest::Send { drafts, .. }) = &reqs[0].kind else { panic!("{reqs:?}") };
    assert_eq!(drafts[0].value, DraftValue::Bytes(br#"{"id":"o-1","qty":2}"#.to_vec()));
    assert_eq!(drafts[0].schema_version, Some(1));
    assert_eq!(drafts[0].key.as_deref(), Some("k-0"));
    assert_eq!(drafts[0].properties.get("trace").map(String::as_str), Some("t0"));
    // edited first (and to another topic): the edited value is encoded again
    app.compose = None;
    press(&mut app, KeyCode::Char('w'));
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, ",\"note\":\"x\"}");
    for _ in 0..8 {
        press(&mut app, KeyCode::Tab);
    }
    for _ in 0.."orders".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "orders-copy");
    let reqs = press(&mut app, KeyCode::Enter);
    let RequestKind::Produce(ProduceRequest::Send { topic, drafts, .. }) = &reqs[0].kind else { panic!("{reqs:?}") };
    assert_eq!(topic.to_string(), "persistent://acme/shop/orders-copy");
    assert!(matches!(&drafts[0].value, DraftValue::Json(v) if v["note"] == "x"), "{:?}", drafts[0].value);
}

#[test]
fn f_fixes_a_dead_letter_and_asks_for_its_requeue() {
    let mut app = App::new(Settings::default(), Instant::now());
    let t = TopicName::parse("persistent://acme/shop/orders-sub-DLQ").unwrap();
    let mut letter = common::browsed(0, br#"{"id":"o-1","qty":"2"}"#);
    letter.message.topic = "persistent://acme/shop/orders-sub-DLQ".into();
    letter.message.id.partition = -1;
    browse_one_page(&mut app, &t, vec![letter], 1);
    press(&mut app, KeyCode::Char('F'));
    assert!(app.compose.as_ref().is_some_and(|d| d.fix.is_some()));
    let text = screen(&draw(&app, 110, 26));
    assert!(text.contains("Fix and requeue a dead letter"), "{text}");
    insta::assert_snapshot!("compose__fix__110x26", text);
    let reqs = press(&mut app, KeyCode::Enter);
    let RequestKind::Produce(ProduceRequest::FixAndRequeue { dlq, id, value, .. }) = &reqs[0].kind else {
        panic!("{reqs:?}")
    };
    assert_eq!((dlq, id.entry, &value["qty"]), (&t, 0, &serde_json::json!("2")));
    app.handle(Event::Response(Response {
        id: reqs[0].id,
        kind: ResponseKind::Produce(ProduceResponse::Requeued { moved: 1, failures: vec![] }),
    }));
    assert!(matches!(&app.compose.as_ref().unwrap().stage, ComposeStage::Requeued(t) if t.contains("1 moved")));
}

#[test]
fn w_previews_the_filters_matches_and_refuses_until_the_target_is_typed() {
    use pulsar_tui::app::compose::{Bulk, CONFIRM, TO};
    use pulsar_tui::app::input::LineInput;
    use pulsar_tui::pulsar::produce::Draft;
    let mut app = app_with_dialog();
    let source = TopicName::parse("persistent://acme/shop/orders").unwrap();
    let d = app.compose.as_mut().unwrap();
    d.focus = TO;
    d.bulk = Some(Bulk {
        expr: r#"value.status == "NEW""#.into(),
        source,
        drafts: vec![Draft::of(DraftValue::Bytes(b"a".to_vec())), Draft::of(DraftValue::Bytes(b"b".to_vec()))],
        skipped: 1,
        typed: LineInput::default(),
    });
    for _ in 0.."persistent://acme/shop/orders".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "persistent://acme/shop/orders-replay");
    assert!(press(&mut app, KeyCode::Enter).is_empty(), "nothing is sent before the confirmation");
    let term = draw(&app, 120, 24);
    let text = screen(&term);
    insta::assert_snapshot!("compose__resend_matches__120x24", text);
    assert!(
        text.contains("2 matches of value.status == \"NEW\"") && text.contains("1 unreadable or encrypted"),
        "{text}"
    );
    assert!(text.contains("type orders-replay to re-send 2 messages"), "{text}");
    assert_eq!(fg_at(&term, "type orders-replay to re-send"), Theme::default().status_error);
    assert_eq!(fg_at(&term, "2 matches"), Theme::default().accent);
    assert_eq!(app.compose.as_ref().unwrap().focus, CONFIRM);
    type_text(&mut app, "orders-replay");
    let reqs = press(&mut app, KeyCode::Enter);
    let RequestKind::Produce(ProduceRequest::Send { topic, drafts, .. }) = &reqs[0].kind else { panic!("{reqs:?}") };
    assert_eq!(topic.to_string(), "persistent://acme/shop/orders-replay");
    assert_eq!(drafts.len(), 2);
}

#[test]
fn ctrl_e_asks_the_runtime_for_the_editor_and_the_saved_value_is_checked() {
    let mut app = app_with_dialog();
    type_text(&mut app, r#"{"id":"o-1"}"#);
    assert!(app.handle(Event::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL))).is_empty());
    let edit = app.take_edit().expect("an edit request for the runtime");
    assert_eq!(edit.text, "{\n  \"id\": \"o-1\"\n}", "the value pretty-printed");
    assert!(app.take_edit().is_none(), "taken once");
    // what the editor saved: one line in the field, checked against the topic's schema
    let reqs = app.handle(Event::Edited(Ok("{\n  \"id\": \"o-2\"\n}\n".into())));
    assert_eq!(app.compose.as_ref().unwrap().inputs[0].as_str(), r#"{"id":"o-2"}"#);
    assert!(
        matches!(&reqs[0].kind, RequestKind::Produce(ProduceRequest::FetchSchema { topic, .. }) if topic.local == "orders"),
        "{reqs:?}"
    );
    // a file that is not JSON any more: shown at the value; an editor that failed: said so
    app.handle(Event::Edited(Ok("{\"id\": ".into())));
    assert!(app.compose.as_ref().unwrap().error.as_ref().is_some_and(|(f, e)| *f == 0 && e.starts_with("not JSON")));
    app.handle(Event::Edited(Err("vi exited with exit status: 1".into())));
    let e = app.compose.as_ref().unwrap().error.clone().unwrap().1;
    assert!(e.contains("vi exited") && e.contains("unchanged"), "{e}");
}
