//! The explorer pane: the cluster as a tree.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::pane_block;
use crate::app::metrics::MetricsView;
use crate::app::tree::{Load, Node, NodeKey, NodeKind};
use crate::app::{App, Focus, Mode};
use crate::metrics::Trend;
use crate::ui::format::{count, truncate};
use crate::ui::theme::Theme;

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Explorer;
    let title = match (&app.mode, app.tree.filter.is_empty()) {
        (Mode::Filter { .. }, _) => "Explorer (filtering)".to_string(),
        (_, false) => format!("Explorer /{}", app.tree.filter),
        _ => "Explorer".to_string(),
    };
    let block = pane_block(&title, focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let filter_line = matches!(app.mode, Mode::Filter { .. });
    let list_h = inner.height.saturating_sub(filter_line as u16) as usize;

    let rows = app.tree.rows();
    let mut lines: Vec<Line> = Vec::new();
    if rows.is_empty() {
        if let Load::Failed(e) = &app.tree.roots_load {
            let text = Line::styled(format!("cannot list tenants: {e}"), Style::default().fg(theme.status_error));
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
            return;
        }
        let msg = match &app.tree.roots_load {
            Load::Failed(e) => {
                Line::styled(format!("cannot list tenants: {e}"), Style::default().fg(theme.status_error))
            }
            Load::Loaded if !app.tree.filter.is_empty() => {
                Line::styled("no loaded node matches the filter", Style::default().fg(theme.dim))
            }
            Load::Loaded => Line::styled("no tenants", Style::default().fg(theme.dim)),
            _ => Line::styled("loading tenants…", Style::default().fg(theme.dim)),
        };
        lines.push(msg);
    }
    let selected = app.tree.selected_index();
    // keep the selection in view without state: scroll only as far as needed
    let offset = if selected >= list_h { selected + 1 - list_h } else { 0 };
    for (i, row) in rows.iter().enumerate().skip(offset).take(list_h) {
        let Some(node) = app.tree.node(&row.path) else {
            continue;
        };
        let mut line = node_line(node, row.depth, theme, inner.width as usize, &app.metrics);
        if i == selected {
            let style = if focused {
                Style::default().fg(theme.selection_fg).bg(theme.selection_bg).add_modifier(Modifier::BOLD)
            } else {
                Style::default().add_modifier(Modifier::REVERSED)
            };
            line = line.patch_style(style);
            // paint the whole row, not just the text
            let used: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
            if used < inner.width as usize {
                line.spans.push(Span::styled(" ".repeat(inner.width as usize - used), style));
            }
        }
        lines.push(line);
    }
    let list_area = Rect { height: list_h as u16, ..inner };
    f.render_widget(Paragraph::new(lines), list_area);

    if let Mode::Filter { input } = &app.mode {
        let area = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
        let text = Line::from(vec![
            Span::styled("/", Style::default().fg(theme.accent)),
            Span::raw(input.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
        ]);
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), area);
    }
}

fn node_line<'a>(node: &Node, depth: usize, theme: &Theme, width: usize, metrics: &MetricsView) -> Line<'a> {
    let indent = "  ".repeat(depth);
    let marker = if node.is_leaf() {
        "  "
    } else if node.expanded {
        "▾ "
    } else {
        "▸ "
    };
    let (color, suffix) = match &node.kind {
        NodeKind::Tenant => (theme.tenant, String::new()),
        NodeKind::Namespace => (theme.namespace, String::new()),
        NodeKind::Topic { partitions } if *partitions > 0 => (theme.partitioned, format!(" [{partitions} partitions]")),
        NodeKind::Topic { .. } => (theme.topic, String::new()),
        NodeKind::Partition => (theme.dim, String::new()),
        NodeKind::Subscription => (theme.subscription, String::new()),
    };
    let icon = match node.kind {
        NodeKind::Tenant => "T ",
        NodeKind::Namespace => "N ",
        NodeKind::Topic { .. } => "",
        NodeKind::Partition => "",
        NodeKind::Subscription => "⤷ ",
    };
    let mut spans = vec![
        Span::raw(indent),
        Span::styled(marker, Style::default().fg(theme.dim)),
        Span::styled(icon, Style::default().fg(color)),
        Span::styled(node.label.clone(), Style::default().fg(color)),
        Span::styled(suffix, Style::default().fg(theme.dim)),
    ];
    match &node.load {
        Load::Loading => spans.push(Span::styled(" loading…", Style::default().fg(theme.dim))),
        Load::Failed(e) => {
            let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
            let room = width.saturating_sub(used + 3).max(8);
            spans.push(Span::styled(format!(" ✗ {}", truncate(e, room)), Style::default().fg(theme.status_error)));
        }
        Load::Loaded if node.expanded && node.children.is_empty() && !node.is_leaf() => {
            spans.push(Span::styled(" (empty)", Style::default().fg(theme.dim)))
        }
        _ => {}
    }
    // the live backlog from the brokers' /metrics, when a scrape has seen this node
    if let Some((backlog, trend)) = live_backlog(node, metrics) {
        let text = if trend == Trend::Growing {
            format!("  ↗{}", count(backlog as i64))
        } else {
            format!("  {}", count(backlog as i64))
        };
        spans
            .push(Span::styled(text, Style::default().fg(crate::panes::metrics::backlog_color(backlog, trend, theme))));
    }
    Line::from(spans)
}

/// Backlog and trend of a topic or subscription in the latest metrics scrape.
fn live_backlog(node: &Node, metrics: &MetricsView) -> Option<(u64, Trend)> {
    let snap = metrics.snapshot.as_ref()?;
    match &node.key {
        NodeKey::Topic(t) => {
            let name = t.to_string();
            let m = snap.topics.get(&name)?;
            Some((m.msg_backlog, metrics.trend_of(&name)))
        }
        NodeKey::Subscription(t, sub) => {
            let name = t.to_string();
            let m = snap.subscriptions.get(&(name.clone(), sub.clone()))?;
            let trend = metrics.history.subscription(&name, sub).map(|h| h.backlog.trend()).unwrap_or(Trend::Flat);
            Some((m.backlog, trend))
        }
        _ => None,
    }
}
