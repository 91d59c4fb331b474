//! The live metrics view: every topic's backlog, rates and storage from the brokers'
//! `/metrics`, with a backlog sparkline, its trend and the time it will take to drain.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::pane_block;
use crate::app::metrics::MetricsView;
use crate::app::{App, Mode};
use crate::metrics::{Drain, History, Trend};
use crate::ui::format::{age, bytes, count, rate, truncate};
use crate::ui::theme::Theme;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline of the last `n` buckets of a history (values scaled to 0..=1000).
pub fn sparkline(h: &History, n: usize) -> String {
    let v = h.sparkline_values(n);
    if v.is_empty() {
        return " ".repeat(n);
    }
    let mut s: String = v.iter().map(|x| BARS[((*x as usize) * 7 / 1000).min(7)]).collect();
    while s.chars().count() < n {
        s.insert(0, ' ');
    }
    s
}

pub fn drain_text(d: Drain) -> String {
    match d {
        Drain::Empty => "empty".into(),
        Drain::Never => "never".into(),
        Drain::In(s) => format!("~{}", age(std::time::Duration::from_secs(s))),
    }
}

fn trend_span<'a>(t: Trend, theme: &Theme) -> Span<'a> {
    match t {
        Trend::Growing => Span::styled("↗ growing", Style::default().fg(theme.backlog_crit)),
        Trend::Draining => Span::styled("↘ draining", Style::default().fg(theme.backlog_ok)),
        Trend::Flat => Span::styled("→ flat", Style::default().fg(theme.dim)),
    }
}

/// Backlog colour: ok when empty, warn when present, critical when large or growing.
pub fn backlog_color(backlog: u64, trend: Trend, theme: &Theme) -> Color {
    match (backlog, trend) {
        (0, _) => theme.backlog_ok,
        (_, Trend::Growing) => theme.backlog_crit,
        (1..=9_999, _) => theme.backlog_warn,
        _ => theme.backlog_crit,
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let m = &app.metrics;
    let filtering = matches!(app.mode, Mode::Filter { .. });
    let title = if m.filter.is_empty() { "Metrics".to_string() } else { format!("Metrics /{}", m.filter) };
    let block = pane_block(&title, true, theme).title_bottom(Line::styled(
        format!(" sorted by {} · o: sort · /: filter · Enter: open in explorer ", m.sort.title()),
        Style::default().fg(theme.dim),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [brokers, topics, subs, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(60),
        Constraint::Min(0),
        Constraint::Length(filtering as u16),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(broker_line(app, m, theme)), brokers);
    topics_table(f, topics, m, theme);
    subscriptions_table(f, subs, m, theme);
    if let Mode::Filter { input: text } = &app.mode {
        let line = Line::from(vec![
            Span::styled("/", Style::default().fg(theme.accent)),
            Span::raw(text.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
        ]);
        f.render_widget(Paragraph::new(line), input);
    }
}

fn broker_line<'a>(app: &App, m: &MetricsView, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled("brokers: ", Style::default().fg(theme.dim))];
    match (&m.snapshot, &m.error) {
        (_, Some(e)) => spans.push(Span::styled(format!("✗ {e}"), Style::default().fg(theme.status_error))),
        (None, None) => spans.push(Span::styled("scraping…", Style::default().fg(theme.dim))),
        (Some(s), None) => {
            let ago = m.scraped_at.map(|t| age(app.now.saturating_duration_since(t))).unwrap_or_default();
            for b in &s.brokers {
                match &b.result {
                    Ok(_) => spans
                        .push(Span::styled(format!("● {} ({ago}) ", b.broker), Style::default().fg(theme.status_ok))),
                    Err(e) => spans.push(Span::styled(
                        format!("✗ {}: {} ", b.broker, truncate(e, 60)),
                        Style::default().fg(theme.status_error),
                    )),
                }
            }
            if !s.topic_level {
                spans.push(Span::styled(
                    "topic-level metrics are off on the broker (exposeTopicLevelMetricsInPrometheus=false): namespace totals only",
                    Style::default().fg(theme.status_warn),
                ));
            }
        }
    }
    Line::from(spans)
}

fn topics_table(f: &mut Frame, area: Rect, m: &MetricsView, theme: &Theme) {
    let Some(snap) = &m.snapshot else { return };
    if m.rows.is_empty() {
        f.render_widget(Paragraph::new(Line::styled("no topics", Style::default().fg(theme.dim))), area);
        return;
    }
    let header =
        Row::new(["Topic", "Backlog", "History", "Trend", "Drain", "In/s", "Out/s", "Storage", "Subs", "Cons"])
            .style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD));
    let height = area.height.saturating_sub(1) as usize;
    let offset = if m.selected >= height { m.selected + 1 - height } else { 0 };
    let rows = m.rows.iter().skip(offset).take(height).filter_map(|name| {
        let t = snap.topics.get(name)?;
        let trend = m.trend_of(name);
        let spark = m.history.topic(name).map(|h| sparkline(&h.backlog, 16)).unwrap_or_default();
        let label = if t.is_partitioned() { format!("{name} [{}p]", t.partitions.len()) } else { name.clone() };
        Some(Row::new(vec![
            Cell::from(label),
            Cell::from(count(t.msg_backlog as i64)).style(Style::default().fg(backlog_color(
                t.msg_backlog,
                trend,
                theme,
            ))),
            Cell::from(spark).style(Style::default().fg(theme.accent)),
            Cell::from(trend_span(trend, theme)),
            Cell::from(drain_text(m.drain_of(name))),
            Cell::from(rate(t.rate_in)),
            Cell::from(rate(t.rate_out)),
            Cell::from(bytes(t.storage_size as f64)),
            Cell::from(t.subscriptions.to_string()),
            Cell::from(t.consumers.to_string()),
        ]))
    });
    let widths = [
        Constraint::Min(24),
        Constraint::Length(9),
        Constraint::Length(16),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(4),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg));
    let mut state = TableState::default().with_selected(Some(m.selected - offset));
    f.render_stateful_widget(table, area, &mut state);
}

fn subscriptions_table(f: &mut Frame, area: Rect, m: &MetricsView, theme: &Theme) {
    let (Some(snap), Some(topic)) = (&m.snapshot, m.selected_topic()) else { return };
    let subs: Vec<_> = snap.subscriptions_of(topic).collect();
    if area.height < 2 {
        return;
    }
    let title = Line::styled(format!("Subscriptions of {topic}"), Style::default().fg(theme.accent));
    let [t, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(title), t);
    if subs.is_empty() {
        f.render_widget(Paragraph::new(Line::styled("no subscriptions", Style::default().fg(theme.dim))), body);
        return;
    }
    let header = Row::new([
        "Subscription",
        "Backlog",
        "History",
        "Drain",
        "Delayed",
        "Unacked",
        "Out/s",
        "Redeliv/s",
        "Cons",
        "Blocked",
    ])
    .style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD));
    let rows = subs.iter().map(|s| {
        let h = m.history.subscription(topic, &s.name);
        let trend = h.map(|h| h.backlog.trend()).unwrap_or(Trend::Flat);
        Row::new(vec![
            Cell::from(s.name.clone()).style(Style::default().fg(theme.subscription)),
            Cell::from(count(s.backlog as i64)).style(Style::default().fg(backlog_color(s.backlog, trend, theme))),
            Cell::from(h.map(|h| sparkline(&h.backlog, 16)).unwrap_or_default())
                .style(Style::default().fg(theme.accent)),
            Cell::from(h.map(|h| drain_text(h.time_to_drain())).unwrap_or_default()),
            Cell::from(count(s.delayed as i64)),
            Cell::from(count(s.unacked as i64)),
            Cell::from(rate(s.rate_out)),
            Cell::from(rate(s.rate_redeliver)),
            Cell::from(s.consumers.to_string()),
            Cell::from(if s.blocked { "yes" } else { "" }).style(Style::default().fg(theme.status_error)),
        ])
    });
    let widths = [
        Constraint::Min(18),
        Constraint::Length(9),
        Constraint::Length(16),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(7),
    ];
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1), body);
}
