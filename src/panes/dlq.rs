//! The DLQ view (dead-letter and retry topics of a namespace, grouped by origin topic and
//! subscription), and the dialogs drawn over any view: the requeue preview / progress /
//! summary, and the explorer's write actions.

use std::time::Duration;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Gauge, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::pane_block;
use crate::app::dlq::{ActionDialog, ActionStage, RequeueDialog, Scope};
use crate::app::mouse::ListArea;
use crate::app::App;
use crate::style::format::{age, count, truncate};
use crate::style::theme::Theme;

/// Draws the DLQ view; returns where the table's rows are (for the mouse).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Option<ListArea> {
    let v = app.dlq.as_ref()?;
    let title = format!("Dead-letter queues · {}", v.namespace);
    let block = pane_block(&title, true, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if let Some(e) = &v.error {
        let line = Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error));
        f.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), inner);
        return None;
    }
    if v.letters.is_empty() {
        let text = if v.request.is_some() {
            "looking for -DLQ / -RETRY topics and messages with REAL_TOPIC…"
        } else {
            "no dead-letter or retry topic in this namespace"
        };
        f.render_widget(Paragraph::new(Line::styled(text, Style::default().fg(theme.dim))), inner);
        return None;
    }
    let now = app.wall_ms;
    let wide = inner.width >= 110;
    let header = if wide {
        vec!["kind", "DLQ topic", "origin topic", "subscription", "messages", "oldest", "newest", "in/s", "read by"]
    } else {
        vec!["kind", "DLQ topic", "subscription", "messages", "oldest", "newest"]
    };
    let rows: Vec<Row> = v
        .letters
        .iter()
        .map(|l| {
            // before the first tick the wall clock is unknown: no ages yet
            let ago = |t: Option<i64>| {
                t.filter(|_| now > 0)
                    .map(|t| age(Duration::from_millis((now - t).max(0) as u64)))
                    .unwrap_or_else(|| "-".into())
            };
            let kind = l.letter.kind.map(|k| k.to_string()).unwrap_or_else(|| "props".into());
            let topic = l.letter.topic.local.clone();
            let sub = l.letter.subscription.clone().unwrap_or_else(|| "?".into());
            let messages = Cell::from(count(l.messages as i64)).style(Style::default().fg(if l.messages > 0 {
                theme.backlog_warn
            } else {
                theme.backlog_ok
            }));
            let kind = Cell::from(kind).style(Style::default().fg(theme.dlq_badge).add_modifier(Modifier::BOLD));
            if wide {
                let origin = l.letter.origin.as_ref().map(|o| o.local.clone()).unwrap_or_else(|| "?".into());
                // growth: the live in-rate of the DLQ from the metrics scrape, when there is one
                let rate = app
                    .metrics
                    .topic(&l.letter.topic.to_string())
                    .map(|m| format!("{:.1}", m.rate_in))
                    .unwrap_or_else(|| "-".into());
                let readers: Vec<&str> = l
                    .subscriptions
                    .iter()
                    .map(String::as_str)
                    .filter(|s| *s != crate::dlq::DEFAULT_SUBSCRIPTION)
                    .collect();
                let readers = if readers.is_empty() { "nobody".to_string() } else { readers.join(",") };
                Row::new(vec![
                    kind,
                    Cell::from(topic),
                    Cell::from(origin),
                    Cell::from(sub),
                    messages,
                    Cell::from(ago(l.oldest_publish_ms)),
                    Cell::from(ago(l.newest_publish_ms)),
                    Cell::from(rate),
                    Cell::from(readers),
                ])
            } else {
                Row::new(vec![
                    kind,
                    Cell::from(topic),
                    Cell::from(sub),
                    messages,
                    Cell::from(ago(l.oldest_publish_ms)),
                    Cell::from(ago(l.newest_publish_ms)),
                ])
            }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(6),
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Fill(1),
        ]
    } else {
        vec![
            Constraint::Length(6),
            Constraint::Fill(3),
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(7),
        ]
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().fg(theme.title).add_modifier(Modifier::BOLD)))
        .row_highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg));
    let mut state = TableState::default().with_selected(Some(v.selected));
    f.render_stateful_widget(table, inner, &mut state);
    // a fresh table state scrolls just enough to show the selection
    let rows = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    let offset = (v.selected + 1).saturating_sub(rows.height.max(1) as usize);
    Some(ListArea { area: rows, offset })
}

/// A centred popup of `w` x `h` (clipped to the area), cleared, with a titled frame.
fn popup<'a>(f: &mut Frame, area: Rect, w: u16, h: u16, title: &'a str, theme: &Theme) -> (Rect, Block<'a>) {
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))]).flex(Flex::Center).areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))]).flex(Flex::Center).areas(r);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border_focused))
        .title(title)
        .title_style(Style::default().fg(theme.border_focused).add_modifier(Modifier::BOLD));
    (r, block)
}

pub fn render_requeue(f: &mut Frame, area: Rect, app: &App, d: &RequeueDialog, theme: &Theme) {
    let (r, block) = popup(f, area, 84, 15, " Requeue from a DLQ ", theme);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let label = |s: &str| Span::styled(format!("{s:<10}"), Style::default().fg(theme.dim));
    let scope = match d.scope {
        Scope::Selected => "the selected message".to_string(),
        Scope::Matched => format!("every message matching  {}", d.filter.as_deref().unwrap_or("")),
        Scope::All => "every message of the DLQ".to_string(),
    };
    let mut lines = vec![
        Line::from(vec![label("from"), Span::styled(d.dlq.to_string(), Style::default().fg(theme.dlq_badge))]),
        Line::from(vec![label("which"), Span::raw(scope)]),
        Line::from(vec![label("to"), Span::styled(d.target.to_string(), Style::default().fg(theme.accent))]),
    ];
    if app.settings.read_only {
        lines.push(Line::styled(
            "read-only mode: the requeue will be refused",
            Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD),
        ));
    }
    match (&d.run, &d.plan) {
        (Some(run), _) => {
            let p = &run.progress;
            // the backlog is counted in entries (a batch once), so the gauge counts entries
            let total = p.total.unwrap_or(0).max(p.entries);
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!(
                "moved {}   skipped (already moved) {}   failed {}   left in DLQ {}   received {}",
                p.moved, p.skipped, p.failed, p.left, p.scanned
            )));
            let text = Paragraph::new(lines);
            let [top, gauge, bottom] =
                Layout::vertical([Constraint::Length(6), Constraint::Length(1), Constraint::Min(0)]).areas(inner);
            f.render_widget(text, top);
            let done = p.entries;
            let ratio = if total > 0 { (done as f64 / total as f64).clamp(0.0, 1.0) } else { 0.0 };
            f.render_widget(
                Gauge::default()
                    .gauge_style(Style::default().fg(theme.accent))
                    .ratio(ratio)
                    .label(format!("{done}/{} entries", if total > 0 { total.to_string() } else { "?".into() })),
                gauge,
            );
            let mut tail = Vec::new();
            match &run.summary {
                Some(s) => {
                    let (verdict, color) = if s.progress.failed > 0 {
                        ("finished with failures (failed messages stay in the DLQ)", theme.status_error)
                    } else if s.cancelled {
                        ("cancelled after the sends in flight", theme.status_warn)
                    } else {
                        (
                            "done: every moved message was confirmed before its DLQ copy was acknowledged",
                            theme.status_ok,
                        )
                    };
                    tail.push(Line::styled(verdict, Style::default().fg(color).add_modifier(Modifier::BOLD)));
                    for (id, why) in s.failures.iter().take(3) {
                        tail.push(Line::styled(format!("  {id}: {why}"), Style::default().fg(theme.status_error)));
                    }
                    tail.push(Line::styled(format!("journal: {}", s.journal), Style::default().fg(theme.dim)));
                    tail.push(Line::styled("Enter / Esc close", Style::default().fg(theme.dim)));
                }
                None if run.cancelling => tail
                    .push(Line::styled("stopping after the sends in flight…", Style::default().fg(theme.status_warn))),
                None => tail.push(Line::styled(
                    "Esc stops cleanly (after the sends in flight)",
                    Style::default().fg(theme.dim),
                )),
            }
            f.render_widget(Paragraph::new(tail).wrap(Wrap { trim: false }), bottom);
            return;
        }
        (None, Some(plan)) => {
            let p = &plan.progress;
            lines.push(Line::from(vec![
                label("how many"),
                Span::styled(format!("{} message(s)", p.moved), Style::default().add_modifier(Modifier::BOLD)),
                Span::styled(
                    format!("   ({} already moved, {} stay in the DLQ, {} cannot move)", p.skipped, p.left, p.failed),
                    Style::default().fg(theme.dim),
                ),
            ]));
            if let Some(m) = &d.meaning {
                lines.push(Line::from(vec![label("meaning"), Span::raw(m.clone())]));
            }
            for (id, why) in plan.failures.iter().take(2) {
                lines.push(Line::styled(format!("  cannot move {id}: {why}"), Style::default().fg(theme.status_error)));
            }
            lines.push(Line::styled(
                "kept: payload, key, ordering key, event time, properties; REAL_TOPIC/ORIGIN_MESSAGE_ID stripped, \
                 PULSAR_TUI_REQUEUED_FROM added",
                Style::default().fg(theme.dim),
            ));
            lines.push(Line::raw(""));
            match d.confirmation_text() {
                Some(t) => lines.push(Line::from(vec![
                    Span::raw(format!("type {t} and Enter to requeue: ")),
                    Span::styled(format!("{}▏", d.typed), Style::default().fg(theme.accent)),
                ])),
                None => lines.push(Line::raw("Enter requeues")),
            }
        }
        (None, None) if d.error.is_none() => lines.push(Line::styled(
            "reading the DLQ for the preview (nothing is sent yet)…",
            Style::default().fg(theme.dim),
        )),
        _ => {}
    }
    if let Some(e) = &d.error {
        lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
    }
    lines.push(Line::styled(
        "Tab: original topic ⇄ RETRY topic · Esc: close, nothing sent",
        Style::default().fg(theme.dim),
    ));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub fn render_action(f: &mut Frame, area: Rect, app: &App, d: &ActionDialog, theme: &Theme) {
    let target = match &d.subscription {
        Some(s) => format!("{} ▸ {s}", d.topic),
        None => d.topic.to_string(),
    };
    let rows = match &d.stage {
        ActionStage::Menu { items, .. } => items.len() as u16 + 2,
        ActionStage::Input { .. } => 4,
        _ => 6,
    };
    let (r, block) = popup(f, area, 84, rows + 5 + u16::from(app.settings.read_only), " Actions ", theme);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut lines = vec![Line::styled(truncate(&target, inner.width as usize), Style::default().fg(theme.accent))];
    if app.settings.read_only {
        lines.push(Line::styled(
            "[RO] read-only mode: every action is refused",
            Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::raw(""));
    match &d.stage {
        ActionStage::Menu { items, selected } => {
            for (i, k) in items.iter().enumerate() {
                let style = if i == *selected {
                    Style::default().fg(theme.selection_fg).bg(theme.selection_bg)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(format!("  {}  ", k.label()), style));
            }
            lines.push(Line::styled("j/k choose · Enter · Esc close", Style::default().fg(theme.dim)));
        }
        ActionStage::Input { kind, input, error } => {
            lines.push(Line::raw(format!("{}:", kind.prompt().unwrap_or(kind.label()))));
            lines.push(Line::styled(format!("> {input}▏"), Style::default().fg(theme.accent)));
            if let Some(e) = error {
                lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
            }
            lines.push(Line::styled("Enter next · Esc close", Style::default().fg(theme.dim)));
        }
        ActionStage::Confirm { action, typed } => {
            lines.push(Line::raw(action.describe()));
            lines.push(Line::raw(""));
            match action.confirmation_text() {
                Some(t) => lines.push(Line::from(vec![
                    Span::styled(format!("type {t} and Enter to do it: "), Style::default().fg(theme.status_warn)),
                    Span::styled(format!("{typed}▏"), Style::default().fg(theme.accent)),
                ])),
                None => {
                    lines.push(Line::styled("y / Enter do it · n / Esc cancel", Style::default().fg(theme.status_warn)))
                }
            }
        }
        ActionStage::Running { action, .. } => {
            lines.push(Line::raw(action.describe()));
            lines.push(Line::styled("running…", Style::default().fg(theme.dim)));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
