//! Snapshots of the whole screen (insta), plus colour assertions where colour carries meaning.

mod common;

use std::time::{Duration, Instant};

use common::tui::{
    answer_cluster_info, answer_subscriptions, answer_tenants, browse_one_page, code, key, namespaces_listed,
    open_only_namespace, topic, topics_listed,
};
use common::{answer, draw, expand_with, find, screen};
use crossterm::event::KeyCode;
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Event, Settings};
use pulsar_tui::pulsar::request::MetricsResponse;
use pulsar_tui::pulsar::request::{
    ExplorerRequest, ExplorerResponse, RequestKind, ResponseKind, SchemaRequest, SchemaResponse,
};
use pulsar_tui::pulsar::stats::{ConsumerStats, PublisherStats, SubscriptionStats, TopicStats};
use pulsar_tui::pulsar::{ClientError, TopicEntry};
use pulsar_tui::ui::theme::Theme;
use ratatui::style::Color;

/// A cluster with acme/shop open, the partitioned orders topic expanded and selected,
/// and its stats loaded.
fn loaded_app() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    answer_cluster_info(&mut app, &reqs, &["standalone"]);
    answer_tenants(&mut app, &reqs, &["acme", "ops", "public"]);
    expand_with(&mut app, namespaces_listed("acme", &["acme/billing", "acme/shop"]));
    app.update(Action::Down);
    app.update(Action::Down);
    let orders = topic("persistent://acme/shop/orders");
    expand_with(
        &mut app,
        topics_listed(
            "acme/shop",
            vec![
                TopicEntry { name: topic("persistent://acme/shop/customers"), partitions: 0 },
                TopicEntry { name: orders.clone(), partitions: 4 },
                TopicEntry { name: topic("non-persistent://acme/shop/clicks"), partitions: 0 },
            ],
        ),
    );
    app.update(Action::Down);
    let reqs = app.update(Action::Down);
    let stats_req =
        find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { .. }))).clone();
    let reqs = app.update(Action::Expand);
    answer_subscriptions(&mut app, &reqs, &orders, &["analytics", "payments"]);
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
    answer(
        &mut app,
        &stats_req,
        ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched { topic: orders, stats: Box::new(stats) }),
    );
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
    let text = screen(&draw(&app, 80, 24));
    insta::assert_snapshot!("help__popup__80x24", text);
    // it fits: the header and the status bar stay, the frame is whole, and it says it scrolls
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("pulsar-tui"), "{text}");
    assert!(lines[1].starts_with('┌') && lines[22].starts_with('└'), "{text}");
    assert!(lines[22].contains("of 29") && lines[22].contains("scroll"), "{text}");
    assert!(!text.contains("actions: skip"), "the last explorer line is below the fold:\n{text}");
    // scrolled to the end, the last lines of the pane's section are there
    app.handle(key('G'));
    let text = screen(&draw(&app, 80, 24));
    insta::assert_snapshot!("help__popup_scrolled__80x24", text);
    assert!(text.contains("actions: skip") && text.contains("clear the filter"), "{text}");
    app.handle(key('g'));
    assert!(screen(&draw(&app, 80, 24)).contains("show / hide this help"));
    // a tall terminal shows all of it, without a scroll note
    let text = screen(&draw(&app, 100, 40));
    assert!(text.contains("actions: skip") && text.contains("quit") && !text.contains("scroll"), "{text}");
    app.handle(key('?'));
    assert!(!app.show_help);
}

#[test]
fn palette_with_completions_80x24() {
    let settings = Settings {
        context: Some(("main".into(), Some("green".into()))),
        contexts: vec!["main".into(), "other".into(), "prod".into()],
        ..Settings::default()
    };
    let mut app = App::new(settings, Instant::now());
    app.handle(key(':'));
    let text = screen(&draw(&app, 80, 24));
    let bottom = text.lines().last().unwrap().trim_end().to_string();
    assert_eq!(bottom, ":█  ctx  topic  dlq  metrics  health  txn  policies  replication  q");
    for c in "ctx ".chars() {
        app.handle(key(c));
    }
    app.handle(code(KeyCode::Tab));
    app.handle(code(KeyCode::Tab));
    let term = draw(&app, 80, 24);
    let text = screen(&term);
    insta::assert_snapshot!("palette__ctx_completions__80x24", text);
    let bottom = text.lines().last().unwrap();
    assert!(bottom.starts_with(":ctx other█  main  other  prod"), "{bottom}");
    // the chosen completion is highlighted, the others are dim
    let theme = Theme::default();
    let buf = term.backend().buffer();
    let x_of = |word: &str| bottom.rfind(word).map(|b| bottom[..b].chars().count() as u16).unwrap();
    assert_eq!(buf[(x_of("other"), 23)].bg, theme.selection_bg);
    assert_eq!(buf[(x_of("prod"), 23)].fg, theme.dim);
}

#[test]
fn the_header_follows_the_selection_and_the_browsed_topic_in_the_contexts_colour() {
    let theme = Theme::default();
    let mut app = loaded_app();
    app.settings.context = Some(("prod".into(), Some("#ff8800".into())));
    app.settings.read_only = true;
    app.update(Action::Down); // analytics, a subscription of orders
    let term = draw(&app, 100, 4);
    let header = screen(&term).lines().next().unwrap().trim_end().to_string();
    insta::assert_snapshot!("header__prod_subscription", header);
    assert!(header.ends_with("[RO] ▸ acme ▸ shop ▸ orders ▸ analytics"), "{header}");
    let x = header.find(" prod ").map(|b| header[..b].chars().count() as u16 + 1).unwrap();
    assert_eq!(term.backend().buffer()[(x, 0)].bg, Color::Rgb(255, 136, 0));
    // in the browser: the browsed partition, whatever the explorer selects
    app.open_browser(
        topic("persistent://acme/shop/orders-partition-2"),
        pulsar_tui::pulsar::message::StartFrom::Earliest,
    );
    app.settings.context = Some(("dev".into(), None));
    app.settings.read_only = false;
    let term = draw(&app, 100, 4);
    let header = screen(&term).lines().next().unwrap().trim_end().to_string();
    insta::assert_snapshot!("header__dev_browser_partition", header);
    assert!(header.ends_with("dev  ▸ acme ▸ shop ▸ orders ▸ partition 2"), "{header}");
    let x = header.find(" dev ").map(|b| header[..b].chars().count() as u16 + 1).unwrap();
    assert_eq!(term.backend().buffer()[(x, 0)].bg, theme.accent);
    // without a context: the cluster's name first
    app.settings.context = None;
    let header = screen(&draw(&app, 100, 4)).lines().next().unwrap().trim_end().to_string();
    assert!(header.ends_with("pulsar-tui ▸ standalone ▸ acme ▸ shop ▸ orders ▸ partition 2"), "{header}");
}

#[test]
fn broker_down_80x24() {
    let mut app = loaded_app();
    let t0 = app.now;
    let reqs = app.update(Action::Refresh);
    let r = find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListSubscriptions { .. }))).clone();
    let error = ClientError::Unreachable { url: "http://127.0.0.1:8080".into(), reason: "Connection refused".into() };
    answer(&mut app, &r, ResponseKind::Failed { error });
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

    fn browsing(payloads: &[&[u8]]) -> App {
        browsing_messages(payloads.iter().enumerate().map(|(i, p)| browsed(i as i64, p)).collect())
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
        app.handle(code(KeyCode::Enter));
        insta::assert_snapshot!("browser__detail_value__120x30", screen(&draw(&app, 120, 30)));
        app.handle(code(KeyCode::Tab));
        insta::assert_snapshot!("browser__detail_properties__120x30", screen(&draw(&app, 120, 30)));
        app.handle(code(KeyCode::Tab));
        insta::assert_snapshot!("browser__detail_metadata__120x30", screen(&draw(&app, 120, 30)));
    }

    #[test]
    fn binary_payload_shows_as_hex_and_x_dumps_any_payload() {
        let mut app = browsing(&PAYLOADS);
        app.handle(key('j'));
        app.handle(key('j'));
        app.handle(code(KeyCode::Enter));
        let text = screen(&draw(&app, 120, 30));
        assert!(text.contains("deadbeef0001"), "{text}");
        app.handle(key('x'));
        let text = screen(&draw(&app, 120, 30));
        insta::assert_snapshot!("browser__detail_hex__120x30", text);
        assert!(text.contains("00000000  de ad be ef 00 01"), "{text}");
        // a 5 MB payload renders (cut) without trouble
        let big = vec![b'a'; 5 * 1024 * 1024];
        let mut app = browsing(&[&big]);
        app.handle(code(KeyCode::Enter));
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

    /// The browser over `messages` (all of them read in one page).
    fn browsing_messages(messages: Vec<pulsar_tui::pulsar::request::Browsed>) -> App {
        let mut app = App::new(Settings::default(), Instant::now());
        browse_one_page(&mut app, &topic("persistent://acme/shop/orders"), messages, 1);
        app
    }

    /// Messages with what else an entry carries: a plain one, a member of a compressed batch
    /// (replicated, without a key), an encrypted one, one whose entry could not be read, one
    /// reassembled from three chunks (delayed), and a tombstone.
    fn kinds_of_messages() -> App {
        use pulsar_tui::pulsar::message::{ChunkInfo, Encryption, MessageId};
        let id = |entry, batch| MessageId { ledger: 7, entry, partition: 1, batch };
        let plain = common::message(0, br#"{"id":"o-1","amount":10.5}"#);
        let mut batched = common::message(1, br#"{"id":"o-2","amount":7}"#);
        batched.id = id(1, 3);
        batched.key = None;
        batched.compression = Some("LZ4".into());
        batched.meta.batch_size = Some(10);
        batched.meta.uncompressed_size = Some(1240);
        batched.meta.replicated_from = Some("us-east".into());
        batched.meta.null_key = true;
        let mut encrypted = common::message(2, b"\x8f\x02ciphertext\xff");
        let enc = Encryption { keys: vec!["app-key".into(), "ops-key".into()], algorithm: None, param: vec![7; 12] };
        encrypted.meta.error = Some(format!("{}: the payload is end-to-end encrypted, not decoded", enc.describe()));
        encrypted.meta.encryption = Some(enc);
        let mut unreadable = common::message(3, b"");
        unreadable.meta.error = Some("entry 7:3 could not be read: Snappy: corrupt input".into());
        let mut chunked = common::message(6, format!(r#"{{"blob":"{}"}}"#, "x".repeat(6 * 1024 * 1024)).as_bytes());
        chunked.meta.chunk = Some(ChunkInfo {
            uuid: "p-1-6".into(),
            chunks: 3,
            total_size: 6_291_467,
            chunk_id: 2,
            ids: vec![id(4, -1), id(5, -1), id(6, -1)],
        });
        chunked.meta.deliver_at_ms = Some(chunked.publish_time_ms + 3_600_000);
        let mut tombstone = common::message(7, b"");
        tombstone.meta.null_value = true;
        let messages = [plain, batched, encrypted, unreadable, chunked, tombstone];
        browsing_messages(messages.into_iter().map(common::browsed_message).collect())
    }

    /// Screen column of the first `needle` on line `y` of `text`.
    fn column(text: &str, y: usize, needle: &str) -> u16 {
        let line = text.lines().nth(y).unwrap();
        line[..line.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {line:?}"))].chars().count() as u16
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not on screen:\n{text}"))
    }

    #[test]
    fn kinds_of_messages_table_120x30() {
        let app = kinds_of_messages();
        let term = draw(&app, 120, 30);
        let text = screen(&term);
        insta::assert_snapshot!("browser__kinds_of_messages_table__120x30", text);
        let theme = Theme::default();
        let buf = term.backend().buffer();
        // the encrypted message names its keys, the unreadable one says why, both in the error colour
        let y = line_of(&text, "encrypted (keys: app-key, ops-key)");
        assert!(text.lines().nth(y).unwrap().contains("7:2:1:-1"), "{text}");
        assert_eq!(buf[(column(&text, y, "⚠ encrypted"), y as u16)].fg, theme.status_error);
        let y = line_of(&text, "could not be read: Snappy");
        assert_eq!(buf[(column(&text, y, "⚠ entry 7:3"), y as u16)].fg, theme.status_error);
        // the member of a batch is decoded as usual, not in the error colour
        let y = line_of(&text, "7:1:1:3");
        assert_ne!(buf[(column(&text, y, r#"{"id":"o-2""#), y as u16)].fg, theme.status_error);
        // the chunked message's size is the whole message's
        let y = line_of(&text, "7:6:1:-1");
        assert!(text.lines().nth(y).unwrap().contains(" 6.0M "), "{text}");
        // the tombstone says it is one, dimmed
        let y = line_of(&text, "∅ null value (tombstone)");
        assert_eq!(buf[(column(&text, y, "∅"), y as u16)].fg, theme.dim);
    }

    /// Opens the detail of row `row` (0-based) on its Metadata tab.
    fn metadata_of(app: &mut App, row: usize) {
        for _ in 0..row {
            app.handle(key('j'));
        }
        app.handle(code(KeyCode::Enter));
        app.handle(code(KeyCode::Tab));
        app.handle(code(KeyCode::Tab));
    }

    #[test]
    fn metadata_of_a_batched_compressed_message_120x40() {
        let mut app = kinds_of_messages();
        metadata_of(&mut app, 1);
        let text = screen(&draw(&app, 120, 40));
        insta::assert_snapshot!("browser__detail_metadata_batched__120x40", text);
        for row in [
            "Batch index     3 of 10 (the entry holds 10 messages, indexed from 0)",
            "Compression     LZ4 (the entry: 1240 bytes uncompressed)",
            "Replicated from us-east",
            "Null key        yes",
        ] {
            assert!(text.contains(row), "{row:?} missing:\n{text}");
        }
        for absent in ["Chunks", "Deliver at", "Null value", "Encryption", "Not decoded"] {
            assert!(!text.contains(absent), "{absent:?} shown:\n{text}");
        }
    }

    #[test]
    fn metadata_of_a_chunked_message_120x40() {
        let mut app = kinds_of_messages();
        metadata_of(&mut app, 4);
        let text = screen(&draw(&app, 120, 40));
        insta::assert_snapshot!("browser__detail_metadata_chunked__120x40", text);
        for row in [
            "Chunks          3 chunks, uuid p-1-6, total size 6291467 bytes",
            "Chunk ids       7:4:1:-1, 7:5:1:-1, 7:6:1:-1",
            "Deliver at      2025-11-27T11:00:06.000Z (delayed delivery)",
            "Size            6291467 bytes",
            "Batch index     -1",
            "Compression     none",
        ] {
            assert!(text.contains(row), "{row:?} missing:\n{text}");
        }
    }

    #[test]
    fn an_encrypted_message_says_so_in_every_tab_and_a_tombstone_is_marked() {
        let theme = Theme::default();
        let mut app = kinds_of_messages();
        app.handle(key('j'));
        app.handle(key('j'));
        app.handle(code(KeyCode::Enter));
        let term = draw(&app, 120, 40);
        let text = screen(&term);
        // the Value tab: not decoded, why, and the ciphertext's hex dump
        let y = line_of(&text, "⚠ not decoded: encrypted (keys: app-key, ops-key)");
        assert_eq!(term.backend().buffer()[(column(&text, y, "⚠ not"), y as u16)].fg, theme.status_error);
        assert!(text.contains("00000000  8f 02 63 69"), "{text}");
        app.handle(code(KeyCode::Tab));
        app.handle(code(KeyCode::Tab));
        let term = draw(&app, 120, 40);
        let text = screen(&term);
        let y = line_of(&text, "Encryption      encrypted (keys: app-key, ops-key): not decoded");
        assert_eq!(term.backend().buffer()[(column(&text, y, "encrypted (keys"), y as u16)].fg, theme.status_error);
        // the tombstone (the last row)
        let mut app = kinds_of_messages();
        metadata_of(&mut app, 5);
        let text = screen(&draw(&app, 120, 40));
        assert!(text.contains("Null value      yes (a tombstone: compaction removes its key)"), "{text}");
        assert!(!text.contains("Null key"), "{text}");
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
        let r = find(&reqs, |k| matches!(k, RequestKind::Schema(SchemaRequest::FetchSchemas { .. }))).clone();
        answer(
            &mut app,
            &r,
            ResponseKind::Schema(SchemaResponse::SchemasFetched {
                topic: t,
                versions: vec![order(0, false), order(1, true), order(2, true)],
                compatibility: Some("FULL".into()),
            }),
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
        app.handle(code(KeyCode::Esc));
        assert_eq!(app.view, pulsar_tui::app::View::Explorer);
    }
}

/// A scrape of acme/shop: orders (4 partitions, backlog on analytics) and customers.
fn shop_scrape() -> String {
    let mut text = String::new();
    let ns = "cluster=\"standalone\",namespace=\"acme/shop\"";
    for (p, backlog, rin, rout, storage) in [
        (0, 150, 5.0, 2.5, 1_048_576),
        (1, 50, 5.0, 2.5, 1_048_576),
        (2, 0, 1.25, 1.25, 524_288),
        (3, 0, 1.25, 1.25, 0),
    ] {
        let t = format!("{ns},topic=\"persistent://acme/shop/orders-partition-{p}\"");
        text += &format!("pulsar_msg_backlog{{{t}}} {backlog}\npulsar_rate_in{{{t}}} {rin}\n");
        text += &format!("pulsar_rate_out{{{t}}} {rout}\npulsar_storage_size{{{t}}} {storage}\n");
        text += &format!("pulsar_subscription_back_log{{{t},subscription=\"analytics\"}} {backlog}\n");
        text += &format!("pulsar_subscription_msg_rate_out{{{t},subscription=\"analytics\"}} {rout}\n");
        text += &format!("pulsar_subscription_back_log{{{t},subscription=\"payments\"}} 0\n");
    }
    let t = format!("{ns},topic=\"persistent://acme/shop/customers\"");
    text += &format!("pulsar_msg_backlog{{{t}}} 0\npulsar_rate_in{{{t}}} 1.0\npulsar_storage_size{{{t}}} 2048\n");
    text
}

/// Answers the app's metrics scrape (made at start) with a snapshot of `text`.
fn answer_scrape(app: &mut App, text: &str) {
    let snapshot = pulsar_tui::metrics::model::snapshot_from_str(text, "http://127.0.0.1:8080", 0);
    let id = app.metrics.in_flight.expect("a scrape in flight");
    app.handle(Event::Response(pulsar_tui::pulsar::request::Response {
        id,
        kind: ResponseKind::Metrics(MetricsResponse::Scraped { snapshot: Box::new(snapshot), at_ms: 0 }),
    }));
}

#[test]
fn explorer_with_metric_columns_80x24() {
    let mut app = loaded_app();
    answer_scrape(&mut app, &shop_scrape());
    let text = screen(&draw(&app, 80, 24));
    // narrow: the backlog only, titled in the border; long names keep their end
    let titles = text.lines().nth(1).unwrap();
    assert!(titles.contains("━ Backlog┓"), "{text}");
    assert!(!titles.contains("Out/s") && !titles.contains("In/s"), "{text}");
    let p3 = text.lines().find(|l| l.contains("partition-3")).unwrap();
    assert!(p3.contains("order…partition-3        0"), "{text}");
    insta::assert_snapshot!("explorer__metrics__80x24", text);
}

#[test]
fn explorer_with_metric_columns_160x48() {
    let mut app = loaded_app();
    answer_scrape(&mut app, &shop_scrape());
    let text = screen(&draw(&app, 160, 48));
    assert!(text.lines().nth(1).unwrap().contains("Backlog    In/s   Out/s   Storage"), "{text}");
    insta::assert_snapshot!("explorer__metrics__160x48", text);
}

#[test]
fn the_explorer_shows_the_live_backlog_from_metrics() {
    let mut app = App::new(Settings::default(), Instant::now());
    let start = app.start();
    answer_scrape(&mut app, &shop_scrape());
    answer_tenants(&mut app, &start, &["acme"]);
    let orders = topic("persistent://acme/shop/orders");
    open_only_namespace(&mut app, "acme", "acme/shop", vec![TopicEntry { name: orders.clone(), partitions: 4 }]);
    app.update(Action::Down);
    expand_with(
        &mut app,
        ResponseKind::Explorer(ExplorerResponse::SubscriptionsListed {
            topic: orders,
            subscriptions: vec!["analytics".into()],
        }),
    );
    let term = draw(&app, 160, 20);
    let text = screen(&term);
    // the explorer pane's text after the name, split in words
    let cols = |needle: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle}:\n{text}"));
        let pane = line.split('┃').nth(1).unwrap();
        pane[pane.find(needle).unwrap() + needle.len()..].split_whitespace().map(str::to_string).collect()
    };
    assert!(text.lines().nth(1).unwrap().contains("Backlog    In/s   Out/s   Storage"), "{text}");
    // partitions summed for the parent: backlog, in/s, out/s, storage
    assert_eq!(cols("orders [4 partitions]"), ["200", "12.5", "7.5", "2.5", "MB"], "{text}");
    // the namespace row has the namespace totals (customers included)
    assert_eq!(cols("N shop"), ["200", "13.5", "7.5", "2.5", "MB"], "{text}");
    // a subscription has a backlog and an out-rate only
    assert_eq!(cols("⤷ analytics"), ["200", "7.5"], "{text}");
    // every column is right-aligned on the same edge
    let ends: Vec<usize> = ["orders [4 partitions]", "N shop", "⤷ analytics"]
        .iter()
        .map(|n| {
            let l = text.lines().find(|l| l.contains(n)).unwrap();
            l[..l.find(" 200").unwrap()].chars().count()
        })
        .collect();
    assert!(ends.windows(2).all(|w| w[0] == w[1]), "backlog columns not aligned: {ends:?}\n{text}");
    // a non-empty backlog is drawn in the warning colour
    let y = text.lines().position(|l| l.contains("⤷ analytics")).unwrap() as u16;
    let sub_line = text.lines().nth(y as usize).unwrap();
    let x = sub_line[..sub_line.find(" 200").unwrap()].chars().count() as u16 + 1;
    assert_eq!(term.backend().buffer()[(x, y)].fg, Theme::default().backlog_warn);
}

#[test]
fn explorer_names_are_cut_before_the_metric_columns() {
    let mut app = loaded_app();
    answer_scrape(&mut app, &shop_scrape());
    for w in [60u16, 80, 100, 140] {
        let text = screen(&draw(&app, w, 24));
        let line = text.lines().find(|l| l.contains("▾ orders")).unwrap();
        assert!(line.contains("200┃") || line.contains("200 "), "width {w}: the backlog stays visible:\n{text}");
    }
}

/// The metrics view of acme/shop with what only some brokers export: publish latency,
/// offloaded storage and replication to another cluster.
#[test]
fn metrics_view_with_namespace_totals_latency_and_replication_120x30() {
    let mut app = App::new(Settings::default(), Instant::now());
    let _ = app.start();
    let t = "cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-partition-0\"";
    let mut text = shop_scrape();
    text += &format!("pulsar_storage_offloaded_size{{{t}}} 1073741824\n");
    for (le, n) in [("0_5", 0), ("1", 2), ("5", 6), ("10", 7), ("20", 5), ("50", 0)] {
        text += &format!("pulsar_storage_write_latency_le_{le}{{{t}}} {n}\n");
    }
    text += &format!("pulsar_storage_write_latency_count{{{t}}} 20\npulsar_storage_write_latency_sum{{{t}}} 166000\n");
    let r = format!("{t},remote_cluster=\"west\"");
    text += &format!("pulsar_replication_backlog{{{r}}} 42\npulsar_replication_rate_out{{{r}}} 3.5\n");
    text += &format!("pulsar_replication_connected_count{{{r}}} 1\npulsar_replication_delay_in_seconds{{{r}}} 2\n");
    answer_scrape(&mut app, &text);
    app.handle(key('m'));
    let out = screen(&draw(&app, 120, 30));
    assert!(out.contains("Namespace") && out.contains("acme/shop"), "{out}");
    // the namespace totals have the optional columns that fit; the topic's details have all
    assert!(out.contains("Offloaded") && out.contains("Pub lat"), "{out}");
    assert!(out.contains("publish latency 8.3 ms · p99 ≤ 20 ms"), "{out}");
    assert!(out.contains("replication → west backlog 42"), "{out}");
    insta::assert_snapshot!("metrics__latency_replication__120x30", out);
}

/// Without topic-level series the view says so and shows the admin API's topic stats.
#[test]
fn metrics_view_falls_back_to_admin_stats_120x30() {
    let mut app = App::new(Settings::default(), Instant::now());
    let _ = app.start();
    let scrape = include_str!("fixtures/metrics/standalone-4.0.8-namespace-level.txt");
    let mut snapshot = pulsar_tui::metrics::model::snapshot_from_str(scrape, "http://127.0.0.1:8090", 0);
    assert_eq!(snapshot.fallback_namespaces(), ["public/default"]);
    let stats: TopicStats = serde_json::from_str(include_str!("fixtures/metrics/admin-stats-nsfix-a.json")).unwrap();
    let (t, subs) =
        pulsar_tui::pulsar::scrape::metrics_from_admin_stats(&topic("persistent://public/default/nsfix-a"), 0, &stats);
    snapshot.add_admin_topic(t, subs);
    snapshot.admin_fallback = Some(pulsar_tui::metrics::AdminFallback { topics: 1, ..Default::default() });
    let id = app.metrics.in_flight.unwrap();
    app.handle(Event::Response(pulsar_tui::pulsar::request::Response {
        id,
        kind: ResponseKind::Metrics(MetricsResponse::Scraped { snapshot: Box::new(snapshot), at_ms: 0 }),
    }));
    app.handle(key('m'));
    let out = screen(&draw(&app, 120, 30));
    assert!(out.contains("exposeTopicLevelMetricsInPrometheus=false"), "{out}");
    assert!(out.contains("admin API's stats (1 topic)"), "{out}");
    assert!(out.contains("namespace-level only"), "the broker is marked:\n{out}");
    let row = out.lines().skip(1).find(|l| l.contains("nsfix-a")).unwrap(); // the header names it too
    assert!(row.contains(" 20 "), "backlog from the admin stats:\n{out}");
    insta::assert_snapshot!("metrics__admin_fallback__120x30", out);
}
