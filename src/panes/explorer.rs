//! The explorer pane: the cluster as a tree.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::pane_block;
use crate::app::metrics::MetricsView;
use crate::app::mouse::ListArea;
use crate::app::tree::{Load, Node, NodeKey, NodeKind};
use crate::app::{App, Focus, Mode};
use crate::metrics::Trend;
use crate::style::format::{bytes, count_short, rate, truncate};
use crate::style::theme::Theme;

/// A metric column shown next to the tree when the brokers' `/metrics` have been scraped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricColumn {
    Backlog,
    RateIn,
    RateOut,
    Storage,
}

impl MetricColumn {
    /// Display order, left to right.
    pub const ALL: [MetricColumn; 4] =
        [MetricColumn::Backlog, MetricColumn::RateIn, MetricColumn::RateOut, MetricColumn::Storage];
    /// Which columns stay when the pane is narrow: backlog, then whether it is consumed.
    const PRIORITY: [MetricColumn; 4] =
        [MetricColumn::Backlog, MetricColumn::RateOut, MetricColumn::RateIn, MetricColumn::Storage];

    pub fn title(self) -> &'static str {
        match self {
            MetricColumn::Backlog => "Backlog",
            MetricColumn::RateIn => "In/s",
            MetricColumn::RateOut => "Out/s",
            MetricColumn::Storage => "Storage",
        }
    }

    /// Characters: `↗999,999`, `99999.9`, `1023.9 MB`.
    pub fn width(self) -> usize {
        match self {
            MetricColumn::Backlog => 8,
            MetricColumn::RateIn | MetricColumn::RateOut => 7,
            MetricColumn::Storage => 9,
        }
    }
}

/// Room the node names keep before a metric column is dropped...
const MIN_NAME_WIDTH: usize = 22;
/// ...but for the backlog, dropped last.
const MIN_NAME_WIDTH_BACKLOG: usize = 12;

/// The metric columns that fit in a pane `width` characters wide (each takes its width
/// plus one space), in display order.
pub fn metric_columns(width: usize) -> Vec<MetricColumn> {
    let backlog = MetricColumn::Backlog.width() + 1;
    if width < MIN_NAME_WIDTH_BACKLOG + backlog {
        return Vec::new();
    }
    let mut room = width.saturating_sub(MIN_NAME_WIDTH).max(backlog);
    let mut keep = Vec::new();
    for c in MetricColumn::PRIORITY {
        if c.width() + 1 > room {
            break;
        }
        room -= c.width() + 1;
        keep.push(c);
    }
    MetricColumn::ALL.into_iter().filter(|c| keep.contains(c)).collect()
}

/// What the metric columns show for one node.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct NodeMetrics {
    backlog: Option<(u64, Trend)>,
    rate_in: Option<f64>,
    rate_out: Option<f64>,
    storage: Option<u64>,
}

/// Draws the tree; returns where its rows are (for the mouse).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Option<ListArea> {
    let focused = app.focus == Focus::Explorer;
    let title = match (&app.mode, app.explorer.tree.filter.is_empty()) {
        (Mode::Filter { .. }, _) => "Explorer (filtering)".to_string(),
        (_, false) => format!("Explorer /{}", app.explorer.tree.filter),
        _ => "Explorer".to_string(),
    };
    let mut block = pane_block(&title, focused, theme);
    // metric columns once a scrape has been seen, their titles in the top border
    let columns =
        if app.metrics.snapshot.is_some() { metric_columns(area.width.saturating_sub(2) as usize) } else { Vec::new() };
    if !columns.is_empty() {
        let titles: Vec<String> = columns.iter().map(|c| format!("{:>w$}", c.title(), w = c.width())).collect();
        block = block.title_top(Line::styled(titles.join(" "), Style::default().fg(theme.dim)).right_aligned());
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let filter_line = matches!(app.mode, Mode::Filter { .. });
    let list_h = inner.height.saturating_sub(filter_line as u16) as usize;

    let rows = app.explorer.tree.rows();
    let mut lines: Vec<Line> = Vec::new();
    if rows.is_empty() {
        if let Load::Failed(e) = &app.explorer.tree.roots_load {
            let text = Line::styled(format!("cannot list tenants: {e}"), Style::default().fg(theme.status_error));
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
            return None;
        }
        let msg = match &app.explorer.tree.roots_load {
            Load::Failed(e) => {
                Line::styled(format!("cannot list tenants: {e}"), Style::default().fg(theme.status_error))
            }
            Load::Loaded if !app.explorer.tree.filter.is_empty() => {
                Line::styled("no loaded node matches the filter", Style::default().fg(theme.dim))
            }
            Load::Loaded => Line::styled("no tenants", Style::default().fg(theme.dim)),
            _ => Line::styled("loading tenants…", Style::default().fg(theme.dim)),
        };
        lines.push(msg);
    }
    let selected = app.explorer.tree.selected_index();
    // keep the selection in view without state: scroll only as far as needed
    let offset = if selected >= list_h { selected + 1 - list_h } else { 0 };
    for (i, row) in rows.iter().enumerate().skip(offset).take(list_h) {
        let Some(node) = app.explorer.tree.node(&row.path) else {
            continue;
        };
        let mut line = node_line(node, row.depth, theme, inner.width as usize, &app.metrics, &columns);
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
    let hits = ListArea { area: list_area, offset };

    if let Mode::Filter { input } = &app.mode {
        let area = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
        let text = Line::from(vec![
            Span::styled("/", Style::default().fg(theme.accent)),
            Span::raw(input.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
        ]);
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), area);
    }
    Some(hits)
}

fn node_line<'a>(
    node: &Node,
    depth: usize,
    theme: &Theme,
    width: usize,
    metrics: &MetricsView,
    columns: &[MetricColumn],
) -> Line<'a> {
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
    let cols_width: usize = columns.iter().map(|c| c.width() + 1).sum();
    let width = width.saturating_sub(cols_width);
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
    if columns.is_empty() {
        return Line::from(spans);
    }
    // the live metrics from the brokers' /metrics, in right-aligned columns
    let mut spans = fit_spans(spans, width);
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    spans.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    let m = node_metrics(node, metrics);
    for c in columns {
        let w = c.width();
        let (text, style) = match c {
            MetricColumn::Backlog => match m.backlog {
                Some((b, trend)) => {
                    let arrow = if trend == Trend::Growing { "↗" } else { "" };
                    let color = crate::panes::metrics::backlog_color(b, trend, theme);
                    (format!("{arrow}{}", count_short(b)), Style::default().fg(color))
                }
                None => (String::new(), Style::default()),
            },
            MetricColumn::RateIn => (m.rate_in.map(rate).unwrap_or_default(), Style::default()),
            MetricColumn::RateOut => (m.rate_out.map(rate).unwrap_or_default(), Style::default()),
            MetricColumn::Storage => {
                (m.storage.map(|b| bytes(b as f64)).unwrap_or_default(), Style::default().fg(theme.dim))
            }
        };
        spans.push(Span::styled(format!(" {:>w$}", truncate(&text, w)), style));
    }
    Line::from(spans)
}

/// Index of the node's name among the spans [`node_line`] builds (indent, marker, icon, name...).
const LABEL_SPAN: usize = 3;

/// The spans cut to `max` characters: what follows the name is cut first (ending in `…`);
/// a name that does not fit keeps its end, where names differ (`orde…partition-3`).
fn fit_spans(spans: Vec<Span<'_>>, max: usize) -> Vec<Span<'_>> {
    let total: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= max {
        return spans;
    }
    let head: usize = spans.iter().take(LABEL_SPAN + 1).map(|s| s.content.chars().count()).sum();
    let mut out = Vec::with_capacity(spans.len());
    let mut used = 0;
    for (i, s) in spans.into_iter().enumerate() {
        let n = s.content.chars().count();
        if i == LABEL_SPAN && head > max {
            let room = max.saturating_sub(used);
            out.push(Span::styled(cut_middle(&s.content, room), s.style));
            break;
        }
        if used + n <= max {
            used += n;
            out.push(s);
            continue;
        }
        let room = max - used;
        if room > 0 {
            out.push(Span::styled(truncate(&s.content, room), s.style));
        }
        break;
    }
    out
}

/// `s` in at most `max` characters, keeping a third of the room for its start and the
/// rest for its end: `orders-partition-12` in 12 → `ord…ition-12`.
pub fn cut_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    if max <= 1 {
        return "…".repeat(max);
    }
    let keep = max - 1;
    let front = keep / 3;
    let back = keep - front;
    let mut out: String = s.chars().take(front).collect();
    out.push('…');
    out.extend(s.chars().skip(n - back));
    out
}

/// The metrics of a namespace, topic, partition or subscription in the latest scrape.
fn node_metrics(node: &Node, metrics: &MetricsView) -> NodeMetrics {
    let Some(snap) = metrics.snapshot.as_ref() else {
        return NodeMetrics::default();
    };
    let topic_like = |m: &crate::metrics::TopicMetrics, trend: Trend| NodeMetrics {
        backlog: Some((m.msg_backlog, trend)),
        rate_in: Some(m.rate_in),
        rate_out: Some(m.rate_out),
        storage: Some(m.storage_size),
    };
    match &node.key {
        NodeKey::Namespace(ns) => snap.namespaces.get(ns.as_str()).map_or_else(NodeMetrics::default, |n| {
            let trend = metrics.history.namespace(ns).map(|h| h.backlog.trend()).unwrap_or(Trend::Flat);
            NodeMetrics {
                backlog: Some((n.msg_backlog, trend)),
                rate_in: Some(n.rate_in),
                rate_out: Some(n.rate_out),
                storage: Some(n.storage_size),
            }
        }),
        NodeKey::Topic(t) => {
            let name = t.to_string();
            snap.topics.get(&name).map_or_else(NodeMetrics::default, |m| topic_like(m, metrics.trend_of(&name)))
        }
        NodeKey::Partition(t) => {
            let name = t.to_string();
            snap.partitions.get(&name).map_or_else(NodeMetrics::default, |m| topic_like(m, Trend::Flat))
        }
        NodeKey::Subscription(t, sub) => {
            let name = t.to_string();
            let Some(m) = snap.subscriptions.get(&(name.clone(), sub.clone())) else {
                return NodeMetrics::default();
            };
            let trend = metrics.history.subscription(&name, sub).map(|h| h.backlog.trend()).unwrap_or(Trend::Flat);
            NodeMetrics { backlog: Some((m.backlog, trend)), rate_out: Some(m.rate_out), ..NodeMetrics::default() }
        }
        _ => NodeMetrics::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_dropped_from_the_least_important_when_narrow() {
        use MetricColumn::*;
        assert_eq!(metric_columns(20), Vec::<MetricColumn>::new());
        assert_eq!(metric_columns(21), [Backlog], "a narrow pane keeps the backlog");
        // the explorer at 80 columns (34 inside the borders): the backlog only
        assert_eq!(metric_columns(34), [Backlog]);
        assert_eq!(metric_columns(46), [Backlog, RateOut]);
        assert_eq!(metric_columns(54), [Backlog, RateIn, RateOut]);
        // at 160 columns (62 inside): everything, in display order
        assert_eq!(metric_columns(62), [Backlog, RateIn, RateOut, Storage]);
    }

    #[test]
    fn names_keep_their_end_when_cut() {
        assert_eq!(cut_middle("orders-partition-12", 12), "ord…ition-12");
        assert_eq!(cut_middle("orders", 12), "orders");
        assert_eq!(cut_middle("abcdef", 1), "…");
        assert_eq!(cut_middle("abcdef", 0), "");
        let spans =
            vec![Span::raw("    "), Span::raw("▾ "), Span::raw(""), Span::raw("orders"), Span::raw(" [4 partitions]")];
        let cut: String = fit_spans(spans.clone(), 20).iter().map(|s| s.content.to_string()).collect();
        assert_eq!(cut, "    ▾ orders [4 par…");
        let cut: String = fit_spans(spans, 10).iter().map(|s| s.content.to_string()).collect();
        assert_eq!(cut, "    ▾ o…rs");
    }
}
