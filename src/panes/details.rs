//! The details pane: what the admin API says about the selected node, refreshed while shown.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::pane_block;
use crate::app::tree::{Load, NodeKey, NodeKind};
use crate::app::{App, Focus};
use crate::pulsar::stats::TopicStats;
use crate::style::format::{ago, bytes, count, rate};
use crate::style::theme::Theme;

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = pane_block("Details", app.focus == Focus::Details, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(key) = app.explorer.details.key.clone() else {
        f.render_widget(Paragraph::new(Line::styled("select a node", Style::default().fg(theme.dim))), inner);
        return;
    };
    let mut lines: Vec<Line> =
        vec![Line::styled(title_of(&key), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD))];
    match &key {
        NodeKey::Tenant(_) => tenant_lines(app, theme, &mut lines),
        NodeKey::Namespace(_) => namespace_lines(app, &key, theme, &mut lines),
        _ => {}
    }
    let stats_key = matches!(key, NodeKey::Topic(_) | NodeKey::Partition(_) | NodeKey::Subscription(..));
    if let Some(err) = &app.explorer.details.error {
        lines.push(Line::styled(format!("✗ {err}"), Style::default().fg(theme.status_error)));
    } else if stats_key && app.explorer.details.stats.is_none() {
        lines.push(Line::styled("loading stats…", Style::default().fg(theme.dim)));
    }
    if let Some(at) = app.explorer.details.fetched_at {
        lines.push(Line::styled(
            format!("updated {}", ago(app.now.saturating_duration_since(at))),
            Style::default().fg(theme.dim),
        ));
    }
    let Some(stats) = app.explorer.details.stats.as_ref().filter(|_| stats_key) else {
        f.render_widget(Paragraph::new(lines).scroll((app.explorer.details.scroll, 0)), inner);
        return;
    };
    lines.push(Line::raw(""));
    let selected_sub = match &key {
        NodeKey::Subscription(_, s) => Some(s.as_str()),
        _ => None,
    };
    if let Some(sub) = selected_sub.and_then(|s| stats.subscriptions.get(s).map(|st| (s, st))) {
        let (name, s) = sub;
        lines.push(Line::styled(format!("Subscription {name}"), Style::default().fg(theme.subscription)));
        let items = vec![
            (
                "Type",
                if s.sub_type.is_empty() || s.sub_type == "None" {
                    "— (no consumer)".to_string()
                } else {
                    s.sub_type.clone()
                },
            ),
            ("Consumers", s.consumers.len().to_string()),
            ("Backlog", count(s.msg_backlog)),
            ("Unacked", count(s.unacked_messages)),
            ("Delayed", count(s.msg_delayed)),
            ("Redeliver/s", rate(s.msg_rate_redeliver)),
            ("Rate out", format!("{} msg/s", rate(s.msg_rate_out))),
            ("Durable", s.is_durable.to_string()),
        ];
        pairs(items, inner.width, theme, &mut lines);
        lines.push(Line::raw(""));
    }
    topic_lines(stats, inner.width, theme, &mut lines);
    super::txn::details_line(stats, theme, &mut lines);
    super::replication::lines(app, &key, theme, &mut lines);
    let head_h = (lines.len() as u16).min(inner.height);
    let [head, table_area] = Layout::vertical([Constraint::Length(head_h), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(lines).scroll((app.explorer.details.scroll, 0)), head);
    subscriptions_table(f, table_area, stats, selected_sub, theme);
}

fn title_of(key: &NodeKey) -> String {
    match key {
        NodeKey::Tenant(t) => format!("Tenant {t}"),
        NodeKey::Namespace(n) => format!("Namespace {n}"),
        NodeKey::Topic(t) | NodeKey::Partition(t) => t.to_string(),
        NodeKey::Subscription(t, s) => format!("{t} ▸ {s}"),
    }
}

fn label<'a>(s: &'a str, theme: &Theme) -> Span<'a> {
    Span::styled(format!("{s:<14}"), Style::default().fg(theme.dim))
}

/// Label/value pairs, two per line when the pane is wide enough, else one.
fn pairs<'a>(items: Vec<(&'a str, String)>, width: u16, theme: &Theme, lines: &mut Vec<Line<'a>>) {
    if width >= 62 {
        for chunk in items.chunks(2) {
            let mut spans = vec![label(chunk[0].0, theme), Span::raw(format!("{:<18}", chunk[0].1))];
            if let Some(b) = chunk.get(1) {
                spans.extend([label(b.0, theme), Span::raw(b.1.clone())]);
            }
            lines.push(Line::from(spans));
        }
    } else {
        lines.extend(items.into_iter().map(|(k, v)| Line::from(vec![label(k, theme), Span::raw(v)])));
    }
}

fn tenant_lines(app: &App, theme: &Theme, lines: &mut Vec<Line>) {
    if let Some(info) = &app.explorer.details.tenant {
        lines.push(Line::from(vec![label("Admin roles", theme), Span::raw(join_or_none(&info.admin_roles))]));
        lines.push(Line::from(vec![label("Clusters", theme), Span::raw(join_or_none(&info.allowed_clusters))]));
    }
    if let Some(node) = app.explorer.tree.selected().filter(|n| n.load == Load::Loaded) {
        lines.push(Line::from(vec![label("Namespaces", theme), Span::raw(node.children.len().to_string())]));
    }
}

fn namespace_lines(app: &App, key: &NodeKey, theme: &Theme, lines: &mut Vec<Line>) {
    let Some(node) = app.explorer.tree.find(key).and_then(|p| app.explorer.tree.node(&p)) else {
        return;
    };
    match &node.load {
        Load::Loaded => {
            let partitioned = node
                .children
                .iter()
                .filter(|c| matches!(c.kind, NodeKind::Topic { partitions } if partitions > 0))
                .count();
            lines.push(Line::from(vec![label("Topics", theme), Span::raw(node.children.len().to_string())]));
            lines.push(Line::from(vec![label("Partitioned", theme), Span::raw(partitioned.to_string())]));
        }
        Load::Failed(e) => lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error))),
        Load::Loading => lines.push(Line::styled("loading…", Style::default().fg(theme.dim))),
        Load::NotLoaded => lines.push(Line::styled("press Enter to list its topics", Style::default().fg(theme.dim))),
    }
}

fn join_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.join(", ")
    }
}

fn topic_lines(s: &TopicStats, width: u16, theme: &Theme, lines: &mut Vec<Line>) {
    let mut items = vec![
        ("Rate in", format!("{} msg/s", rate(s.msg_rate_in))),
        ("Rate out", format!("{} msg/s", rate(s.msg_rate_out))),
        ("Thru in", format!("{}/s", bytes(s.msg_throughput_in))),
        ("Thru out", format!("{}/s", bytes(s.msg_throughput_out))),
        ("Storage", bytes(s.storage_size as f64)),
        ("Backlog size", bytes(s.backlog_size as f64)),
        ("Msgs in", count(s.msg_in_counter)),
        ("Msgs out", count(s.msg_out_counter)),
        ("Producers", s.publishers.len().to_string()),
        ("Subscriptions", s.subscriptions.len().to_string()),
    ];
    if let Some(m) = s.metadata {
        items.push(("Partitions", m.partitions.to_string()));
    }
    pairs(items, width, theme, lines);
}

fn backlog_color(backlog: i64, theme: &Theme) -> ratatui::style::Color {
    match backlog {
        0 => theme.backlog_ok,
        1..=999 => theme.backlog_warn,
        _ => theme.backlog_crit,
    }
}

fn subscriptions_table(f: &mut Frame, area: Rect, s: &TopicStats, selected: Option<&str>, theme: &Theme) {
    if area.height < 2 {
        return;
    }
    if s.subscriptions.is_empty() {
        f.render_widget(Paragraph::new(Line::styled("no subscriptions", Style::default().fg(theme.dim))), area);
        return;
    }
    // narrow panes drop the last columns rather than cutting every one
    let wide = area.width >= 64;
    let mut head = vec!["Subscription", "Type", "Backlog", "Cons"];
    if wide {
        head.extend(["Unacked", "Out msg/s"]);
    }
    let header = Row::new(head).style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD));
    let rows = s.subscriptions.iter().map(|(name, st)| {
        let mut cells = vec![
            Cell::from(name.clone()).style(Style::default().fg(theme.subscription)),
            // the broker says "None" while no consumer is connected
            Cell::from(if st.sub_type.is_empty() || st.sub_type == "None" {
                "—".to_string()
            } else {
                st.sub_type.clone()
            }),
            Cell::from(count(st.msg_backlog)).style(Style::default().fg(backlog_color(st.msg_backlog, theme))),
            Cell::from(st.consumers.len().to_string()),
        ];
        if wide {
            cells.extend([Cell::from(count(st.unacked_messages)), Cell::from(rate(st.msg_rate_out))]);
        }
        let mut row = Row::new(cells);
        if Some(name.as_str()) == selected {
            row = row.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        row
    });
    let mut widths = vec![Constraint::Min(12), Constraint::Length(10), Constraint::Length(9), Constraint::Length(5)];
    if wide {
        widths.extend([Constraint::Length(9), Constraint::Length(10)]);
    }
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1), area);
}
