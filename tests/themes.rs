//! Every built-in theme drawn: snapshots of its colours and colour assertions on the
//! focused border and a warning cell.

mod common;

use std::time::Instant;

use common::screen;
use common::tui::answer_tenants;
use pulsar_tui::app::{App, Level, Settings, StatusMessage};
use pulsar_tui::ui::theme::{Theme, BUILT_IN};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn app() -> App {
    let mut app = App::new(Settings::default(), Instant::now());
    let reqs = app.start();
    answer_tenants(&mut app, &reqs, &["acme", "public"]);
    app.status = Some(StatusMessage { text: "broker said no".into(), level: Level::Error, at: app.now });
    app
}

#[test]
fn every_built_in_theme_colours_the_focused_border_and_warnings() {
    let app = app();
    for (name, _) in BUILT_IN {
        let (theme, warnings) = Theme::named(name, &[]).unwrap();
        assert!(warnings.is_empty());
        let mut term = Terminal::new(TestBackend::new(100, 12)).unwrap();
        term.draw(|f| pulsar_tui::ui::render(f, &app, &theme)).unwrap();
        let buf = term.backend().buffer();
        // the explorer has the focus: its top-left corner is in the focused colour
        assert_eq!(buf[(0, 1)].fg, theme.border_focused, "{name}: focused border");
        // the details pane does not
        let right = (1..buf.area.width).rev().find(|x| buf[(*x, 1)].symbol() != " ").unwrap();
        assert_eq!(buf[(right, 1)].fg, theme.border, "{name}: unfocused border");
        // the status line's error text
        let y = buf.area.height - 1;
        let text = screen(&term);
        let row = text.lines().last().unwrap();
        let col = row.find("broker said no").map(|b| row[..b].chars().count() as u16).expect("error shown");
        assert_eq!(buf[(col, y)].fg, theme.status_error, "{name}: warning cell");
        insta::assert_snapshot!(format!("theme_{name}"), format!("{theme:#?}"));
    }
}
