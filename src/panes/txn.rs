//! The transactions view: the coordinators, the open transactions (slow ones marked), and
//! the selected one's topic: its transaction buffer, what it holds back from readers, the
//! pending acks; the abort dialog over it.

use std::time::Duration;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::app::txn::{AbortDialog, TxnView, SLOW_AFTER_MS};
use crate::app::App;
use crate::pulsar::txn::TopicTxns;
use crate::style::format::{age, ago, truncate};
use crate::style::theme::Theme;
use crate::txn::{Status, TxnInfo};

fn dur(ms: u64) -> String {
    age(Duration::from_millis(ms))
}

fn title<'a>(v: &TxnView, now_ms: i64, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(" Transactions ", Style::default().fg(theme.border_focused))];
    let open = v.open_txns();
    let slow = open.iter().filter(|t| t.is_slow(now_ms, SLOW_AFTER_MS)).count();
    if v.overview.is_some() {
        spans.push(Span::styled(format!("{} open ", open.len()), Style::default().fg(theme.text)));
        let warn = if slow > 0 { theme.status_warn } else { theme.status_ok };
        spans.push(Span::styled(format!("▲ {slow} slow (> {}) ", dur(SLOW_AFTER_MS)), Style::default().fg(warn)));
    }
    if let Some(at) = v.fetched_ms.filter(|_| now_ms > 0) {
        let d = Duration::from_millis((now_ms - at).max(0) as u64);
        spans.push(Span::styled(format!("· asked {} ", ago(d)), Style::default().fg(theme.dim)));
    }
    Line::from(spans)
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let v = &app.txn;
    let now = app.wall_ms;
    let inner = super::view_frame(f, area, title(v, now, theme), theme);
    let dim = Style::default().fg(theme.dim);
    let err = Style::default().fg(theme.status_error);
    let Some(o) = &v.overview else {
        let line = match &v.error {
            Some(e) => Line::styled(format!("✗ {e}"), err),
            None => Line::styled("asking the transaction coordinators…", dim),
        };
        f.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), inner);
        return;
    };
    let coord_rows = (o.coordinators.len().clamp(1, 3)) as u16;
    let detail_height = if inner.height >= 24 { 9 } else { 6 };
    let [coords, list, detail] =
        Layout::vertical([Constraint::Length(coord_rows), Constraint::Min(3), Constraint::Length(detail_height)])
            .areas(inner);
    let mut lines: Vec<Line> = o
        .coordinators
        .iter()
        .map(|c| {
            let state = c.state.as_deref().unwrap_or("-");
            let ok = state == "Ready";
            let mut spans = vec![
                Span::styled(format!("coordinator {}  ", c.id), Style::default().fg(theme.title)),
                Span::styled(
                    state.to_string(),
                    Style::default().fg(if ok { theme.status_ok } else { theme.status_warn }),
                ),
            ];
            if let Some(n) = c.ongoing {
                spans.push(Span::styled(format!("  {n} open"), Style::default().fg(theme.text)));
            }
            if let Some(l) = c.low_water_mark {
                spans.push(Span::styled(format!("  low water mark {l}"), dim));
            }
            spans.push(Span::styled(format!("  {}", c.broker), dim));
            if let Some(e) = &c.error {
                spans.push(Span::styled(format!("  {e}"), Style::default().fg(theme.status_warn)));
            }
            Line::from(spans)
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled("no transaction coordinator", Style::default().fg(theme.status_warn)));
    }
    f.render_widget(Paragraph::new(lines), coords);
    render_list(f, list, v, now, theme);
    render_detail(f, detail, v, now, theme);
    if let Some(d) = &v.abort {
        render_abort(f, area, app, d, theme);
    }
}

fn status_style(t: &TxnInfo, now_ms: i64, theme: &Theme) -> Style {
    match t.status {
        Status::Open if t.is_slow(now_ms, SLOW_AFTER_MS) => Style::default().fg(theme.status_warn),
        Status::Open => Style::default().fg(theme.status_ok),
        Status::Aborting | Status::Aborted => Style::default().fg(theme.status_error),
        _ => Style::default().fg(theme.text),
    }
}

fn render_list(f: &mut Frame, area: Rect, v: &TxnView, now: i64, theme: &Theme) {
    let open = v.open_txns();
    let dim = Style::default().fg(theme.dim);
    if open.is_empty() {
        let mut lines = vec![Line::styled("✓ no open transaction", Style::default().fg(theme.status_ok))];
        lines.push(Line::styled(
            "committed and aborted transactions are forgotten by the coordinator: the topics' counters keep them",
            dim,
        ));
        if let Some(e) = &v.error {
            lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    let topics_width = area.width.saturating_sub(12 + 11 + 8 + 10 + 8 + 5) as usize;
    let rows: Vec<Row> = open
        .iter()
        .map(|t| {
            let slow = t.is_slow(now, SLOW_AFTER_MS);
            let left = (t.deadline_ms() - now).max(0) as u64;
            let topics: Vec<String> = t.produced.iter().map(|p| short(&p.topic)).collect();
            let subs: Vec<String> = t.acked.iter().map(|(_, s)| s.clone()).collect();
            let mut what = topics.join(", ");
            if !subs.is_empty() {
                what.push_str(&format!("  acks: {}", subs.join(", ")));
            }
            Row::new(vec![
                Cell::from(t.id.to_string()).style(Style::default().fg(theme.accent)),
                Cell::from(t.status.as_str()).style(status_style(t, now, theme)),
                Cell::from(dur(t.age_ms(now))).style(status_style(t, now, theme)),
                Cell::from(format!("{}/{}", dur(left), dur(t.timeout_ms))).style(dim),
                Cell::from(if slow { "▲ slow" } else { "" }).style(Style::default().fg(theme.status_warn)),
                Cell::from(truncate(&what, topics_width.max(10))).style(Style::default().fg(theme.topic)),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(12),
        Constraint::Length(11),
        Constraint::Length(6),
        Constraint::Length(10),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(vec!["txn", "status", "age", "left/tmo", "", "topics and subscriptions"])
                .style(Style::default().fg(theme.title).add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg))
        .column_spacing(1);
    let mut state = TableState::default().with_selected(Some(v.selected.min(open.len() - 1)));
    f.render_stateful_widget(table, area, &mut state);
}

/// `persistent://public/default/orders` → `public/default/orders`.
fn short(topic: &str) -> String {
    topic.split_once("://").map_or(topic, |(_, r)| r).to_string()
}

fn part_lines<'a>(p: &TopicTxns, now: i64, theme: &Theme) -> Vec<Line<'a>> {
    let dim = Style::default().fg(theme.dim);
    let mut lines = vec![];
    let mut head = vec![Span::styled(short(&p.topic), Style::default().fg(theme.topic))];
    if let Some(b) = &p.buffer {
        head.push(Span::styled(
            format!(
                "  buffer {} · max read position {} · last entry {}",
                b.state,
                b.max_read_position,
                p.last_entry.as_deref().unwrap_or("-")
            ),
            dim,
        ));
    }
    lines.push(Line::from(head));
    match &p.held_back {
        Some(h) => lines.push(Line::styled(
            format!("⏸ {}", h.describe(now)),
            Style::default().fg(theme.backlog_crit).add_modifier(Modifier::BOLD),
        )),
        None if p.buffer.is_some() => {
            lines.push(Line::styled("✓ nothing held back: readers see up to the last entry", dim))
        }
        None => {}
    }
    if let Some(c) = &p.counters {
        let mut s = format!("transactions: {} ongoing, {} committed, {} aborted", c.ongoing, c.committed, c.aborted);
        if !p.subscriptions.is_empty() {
            let acks: Vec<String> = p
                .subscriptions
                .iter()
                .map(|a| match (&a.state, a.ongoing, &a.error) {
                    (_, _, Some(_)) => format!("{} ?", a.subscription),
                    (st, n, None) => {
                        format!("{} {} ({} pending)", a.subscription, st.as_deref().unwrap_or("-"), n.unwrap_or(0))
                    }
                })
                .collect();
            s.push_str(&format!(" · pending acks: {}", acks.join(", ")));
        }
        lines.push(Line::styled(s, Style::default().fg(theme.text)));
    }
    for e in &p.errors {
        lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
    }
    lines
}

fn render_detail(f: &mut Frame, area: Rect, v: &TxnView, now: i64, theme: &Theme) {
    let dim = Style::default().fg(theme.dim);
    let mut lines = vec![];
    if let Some(t) = v.selected_txn() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", t.id), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
            Span::styled(
                format!(
                    "opened {} ({} ago), times out at {}{}",
                    crate::model::format_time(t.open_ms),
                    dur(t.age_ms(now)),
                    crate::model::format_time(t.deadline_ms()),
                    t.owner.as_deref().map(|o| format!(", owner {o}")).unwrap_or_default()
                ),
                dim,
            ),
        ]));
        match &v.topic {
            Some((_, parts)) => {
                for p in
                    parts.iter().filter(|p| p.held_back.is_some()).chain(parts.iter().filter(|p| p.held_back.is_none()))
                {
                    lines.extend(part_lines(p, now, theme));
                }
            }
            None if v.topic_in_flight.is_some() => lines.push(Line::styled("reading the transaction buffer…", dim)),
            None => {}
        }
        if let Some(e) = &v.topic_error {
            lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
        }
        lines.push(Line::styled("Enter: browse the topic · A: abort (typed confirmation) · r: ask again", dim));
    } else if let Some(e) = &v.error {
        lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
    }
    let block = Block::default().borders(Borders::TOP).border_style(Style::default().fg(theme.border));
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}

fn render_abort(f: &mut Frame, area: Rect, app: &App, d: &AbortDialog, theme: &Theme) {
    let [r] = Layout::vertical([Constraint::Length(12.min(area.height))]).flex(Flex::Center).areas(area);
    let [r] = Layout::horizontal([Constraint::Length(84.min(area.width))]).flex(Flex::Center).areas(r);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.status_error))
        .title(format!(" Abort transaction {} ", d.txn.id))
        .title_style(Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD));
    let dim = Style::default().fg(theme.dim);
    let now = app.wall_ms;
    let topics: Vec<String> = d.txn.produced.iter().map(|p| short(&p.topic)).collect();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("open      ", dim),
            Span::raw(format!("{} ago, {}", dur(d.txn.age_ms(now)), d.txn.status.as_str())),
        ]),
        Line::from(vec![
            Span::styled("topics    ", dim),
            Span::styled(topics.join(", "), Style::default().fg(theme.topic)),
        ]),
        Line::styled(d.txn.abort_meaning(), Style::default().fg(theme.text)),
        Line::styled("Only a super-user role may abort a transaction.", dim),
    ];
    if app.settings.read_only {
        lines.push(Line::styled(
            "read-only mode: the abort will be refused",
            Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::raw(""));
    if d.running.is_some() {
        lines.push(Line::styled("aborting…", Style::default().fg(theme.accent)));
    } else {
        lines.push(Line::from(vec![
            Span::styled(format!("type {} and Enter to abort (Esc cancels): ", d.txn.id), dim),
            Span::styled(
                d.typed.as_str().to_string(),
                Style::default().fg(if d.confirmed() { theme.status_error } else { theme.text }),
            ),
            Span::styled("▏", Style::default().fg(theme.accent)),
        ]));
    }
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), r);
}

/// The transaction counters of a topic in the explorer's details pane (from the topic stats
/// the pane already has), when it ever saw a transaction; an ongoing one is highlighted (it
/// may hold readers back: `T` shows what it holds).
pub fn details_line(s: &crate::pulsar::stats::TopicStats, theme: &Theme, lines: &mut Vec<Line<'_>>) {
    if s.ongoing_txn_count == 0 && s.committed_txn_count == 0 && s.aborted_txn_count == 0 {
        return;
    }
    let ongoing = if s.ongoing_txn_count > 0 { theme.backlog_warn } else { theme.backlog_ok };
    lines.push(Line::from(vec![
        Span::styled("Transactions  ", Style::default().fg(theme.dim)),
        Span::styled(format!("{} ongoing", s.ongoing_txn_count), Style::default().fg(ongoing)),
        Span::raw(format!(" · {} committed · {} aborted", s.committed_txn_count, s.aborted_txn_count)),
        Span::styled(
            if s.ongoing_txn_count > 0 { "   (T: what they hold back)" } else { "" },
            Style::default().fg(theme.dim),
        ),
    ]));
}
