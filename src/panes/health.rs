//! The health view: the ranked findings, counts by severity in the title, and the selected
//! finding's numbers, threshold and where Enter goes.

use std::time::Duration;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::app::health::HealthView;
use crate::app::App;
use crate::health::{Finding, Severity, Target};
use crate::style::format::{age, ago, truncate};
use crate::style::theme::Theme;

fn severity_style(f: &Finding, theme: &Theme) -> Style {
    if f.is_cleared() {
        return Style::default().fg(theme.dim);
    }
    match f.severity {
        Severity::Critical => Style::default().fg(theme.backlog_crit).add_modifier(Modifier::BOLD),
        Severity::Warn => Style::default().fg(theme.status_warn),
    }
}

fn badge(f: &Finding) -> &'static str {
    match (f.is_cleared(), f.severity) {
        (true, _) => "✓ ok",
        (false, Severity::Critical) => "● CRIT",
        (false, Severity::Warn) => "▲ WARN",
    }
}

/// Where Enter goes, in words.
fn target_text(t: &Target) -> String {
    match t {
        Target::Subscription { subscription, .. } => format!("Enter: the subscription {subscription} in the explorer"),
        Target::Topic { .. } => "Enter: the topic in the explorer".into(),
        Target::DeadLetters { .. } => "Enter: browse the dead letters".into(),
        Target::Metrics { .. } => "Enter: the topic's live metrics".into(),
        Target::Brokers => "Enter: the metrics view (brokers' scrape status)".into(),
        Target::Transaction { txn } => format!("Enter: the transaction {txn} in the transactions view"),
    }
}

/// The title: counts by severity, in their colours, and how fresh the data is.
fn title<'a>(v: &HealthView, now_ms: i64, theme: &Theme) -> Line<'a> {
    let c = v.engine.counts();
    let mut spans = vec![Span::styled(" Health ", Style::default().fg(theme.border_focused))];
    let crit = Style::default().fg(theme.backlog_crit).add_modifier(Modifier::BOLD);
    let warn = Style::default().fg(theme.status_warn);
    let ok = Style::default().fg(theme.status_ok);
    if c.critical + c.warn == 0 {
        spans.push(Span::styled("✓ no finding ", ok));
    } else {
        spans.push(Span::styled(format!("● {} critical ", c.critical), if c.critical > 0 { crit } else { ok }));
        spans.push(Span::styled(format!("▲ {} warn ", c.warn), if c.warn > 0 { warn } else { ok }));
    }
    if c.cleared > 0 {
        spans.push(Span::styled(format!("✓ {} cleared ", c.cleared), Style::default().fg(theme.dim)));
    }
    if c.unlisted > 0 {
        let listed = crate::health::LISTED_PER_KIND;
        spans.push(Span::styled(
            format!("· {} more not listed (the {listed} largest of each kind are) ", c.unlisted),
            Style::default().fg(theme.dim),
        ));
    }
    if let Some(at) = v.observed_ms.filter(|_| now_ms > 0) {
        let d = Duration::from_millis((now_ms - at).max(0) as u64);
        spans.push(Span::styled(format!("· scraped {} ", ago(d)), Style::default().fg(theme.dim)));
    }
    Line::from(spans)
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let v = &app.health;
    let now = app.wall_ms;
    let inner = super::view_frame(f, area, title(v, now, theme), theme);
    let findings = v.findings();
    let dim = Style::default().fg(theme.dim);
    if findings.is_empty() {
        let mut lines = vec![];
        match &app.metrics.snapshot {
            None => lines.push(Line::styled("waiting for the first metrics scrape…", dim)),
            Some(s) => {
                lines.push(Line::styled("✓ nothing wrong right now", Style::default().fg(theme.status_ok)));
                let subs = s.subscriptions.len();
                lines.push(Line::styled(
                    format!(
                        "checked {} brokers, {} topics, {subs} subscriptions against the [health] thresholds",
                        s.brokers.len(),
                        s.topics.len()
                    ),
                    dim,
                ));
            }
        }
        if let Some(e) = &v.error {
            lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let detail_height = if inner.height >= 16 { 5 } else { 3 };
    let [list, detail] = Layout::vertical([Constraint::Min(1), Constraint::Length(detail_height)]).areas(inner);
    let wide = list.width >= 120;
    let since = |f: &Finding| {
        if now <= 0 {
            return "-".to_string();
        }
        age(Duration::from_millis((now - f.since_ms).max(0) as u64))
    };
    let place_width = if wide { 44 } else { list.width.saturating_sub(8 + 24 + 6 + 3) as usize };
    let rows: Vec<Row> = findings
        .iter()
        .map(|fd| {
            let style = severity_style(fd, theme);
            let text = if fd.is_cleared() { dim } else { Style::default().fg(theme.text) };
            let mut cells = vec![
                Cell::from(badge(fd)).style(style),
                Cell::from(fd.kind.title()).style(text),
                Cell::from(truncate(&fd.place.display(), place_width.max(8))).style(if fd.is_cleared() {
                    dim
                } else {
                    Style::default().fg(theme.topic)
                }),
            ];
            if wide {
                cells.push(Cell::from(fd.what.clone()).style(text));
            }
            cells.push(Cell::from(since(fd)).style(dim));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Length(7), Constraint::Length(28), Constraint::Length(place_width.max(8) as u16)];
    if wide {
        widths.push(Constraint::Min(20));
    }
    widths.push(Constraint::Length(5));
    let mut header = vec!["", "what", "where"];
    if wide {
        header.push("numbers");
    }
    header.push("since");
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().fg(theme.title).add_modifier(Modifier::BOLD)))
        .row_highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg))
        .column_spacing(1);
    let mut state = TableState::default().with_selected(Some(v.selected.min(findings.len() - 1)));
    f.render_stateful_widget(table, list, &mut state);
    // the selected finding
    let Some(sel) = findings.get(v.selected).copied() else { return };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", badge(sel)), severity_style(sel, theme)),
        Span::styled(sel.what.clone(), Style::default().fg(theme.text)),
    ])];
    lines.push(Line::styled(format!("threshold: {}", sel.threshold), dim));
    if detail_height >= 5 {
        if let Some(o) = &sel.place.origin {
            lines.push(Line::styled(format!("origin: {o}"), dim));
        }
        lines.push(Line::styled(target_text(&sel.action), Style::default().fg(theme.accent)));
        if let Some(e) = &v.error {
            lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
        }
    }
    let block = Block::default().borders(Borders::TOP).border_style(Style::default().fg(theme.border));
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), detail);
}
