//! The live metrics view: every topic's backlog, rates and storage from the brokers'
//! `/metrics`, with a backlog sparkline, its trend and the time it will take to drain.

use std::collections::BTreeMap;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::pane_block;
use crate::app::metrics::MetricsView;
use crate::app::mouse::ListArea;
use crate::app::{App, Mode};
use crate::metrics::{Drain, History, LatencyHistogram, MetricsSnapshot, NamespaceMetrics, ReplicationMetrics, Trend};
use crate::style::format::{age, bytes, count, rate, truncate};
use crate::style::theme::Theme;

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

/// Draws the metrics view; returns where the topics table's rows are (for the mouse).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Option<ListArea> {
    let m = &app.metrics;
    let filtering = matches!(app.mode, Mode::Filter { .. });
    let title = if m.filter.is_empty() { "Metrics".to_string() } else { format!("Metrics /{}", m.filter) };
    let block = pane_block(&title, true, theme).title_bottom(Line::styled(
        format!(" sorted by {} · o: sort · /: filter · Enter: open in explorer ", m.sort.title()),
        Style::default().fg(theme.dim),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let notice = m.snapshot.as_ref().and_then(|s| fallback_notice(s, theme));
    let notice_h = notice.as_ref().map_or(0, |n| (n.width() as u16).div_ceil(inner.width.max(1)).min(3));
    let namespaces = m.snapshot.as_ref().map(|s| namespace_rows(s, &m.filter)).unwrap_or_default();
    // the namespace totals take what they need, up to a quarter of the view (header + rows)
    let ns_height =
        if namespaces.is_empty() { 0 } else { (namespaces.len() as u16 + 1).min((inner.height / 4).max(2)) };
    let [brokers, notice_area, ns_area, topics, subs, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notice_h),
        Constraint::Length(ns_height),
        Constraint::Percentage(60),
        Constraint::Min(0),
        Constraint::Length(filtering as u16),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(broker_line(app, m, theme)), brokers);
    if let Some(n) = notice {
        f.render_widget(Paragraph::new(n).wrap(Wrap { trim: true }), notice_area);
    }
    namespaces_table(f, ns_area, &namespaces, m, theme);
    let list = topics_table(f, topics, m, theme);
    subscriptions_table(f, subs, m, theme);
    if let Mode::Filter { input: text } = &app.mode {
        let line = Line::from(vec![
            Span::styled("/", Style::default().fg(theme.accent)),
            Span::raw(text.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
        ]);
        f.render_widget(Paragraph::new(line), input);
    }
    list
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
                    Ok(_) if b.topic_level == Some(false) => spans.push(Span::styled(
                        format!("● {} ({ago}, namespace-level only) ", b.broker),
                        Style::default().fg(theme.status_warn),
                    )),
                    Ok(_) => spans
                        .push(Span::styled(format!("● {} ({ago}) ", b.broker), Style::default().fg(theme.status_ok))),
                    Err(e) => spans.push(Span::styled(
                        format!("✗ {}: {} ", b.broker, truncate(e, 60)),
                        Style::default().fg(theme.status_error),
                    )),
                }
            }
            if let Some(k) = s.kept.filter(|k| k.topics_kept < k.topics_total) {
                let text = format!(
                    "· {} of {} topics kept (on screen, top {} per column, health) ",
                    count(k.topics_kept as i64),
                    count(k.topics_total as i64),
                    crate::app::metrics::interest::TOP_N
                );
                spans.push(Span::styled(text, Style::default().fg(theme.dim)));
            }
        }
    }
    if let Some(note) = crate::app::metrics::interest::stretch_note(app.settings.metrics_interval, m.took) {
        spans.push(Span::styled(format!("· {note}"), Style::default().fg(theme.status_warn)));
    }
    Line::from(spans)
}

/// What the view says when some broker exports no topic-level series, and where the
/// topics come from instead.
pub fn fallback_notice<'a>(s: &MetricsSnapshot, theme: &Theme) -> Option<Line<'a>> {
    if s.topic_level {
        return None;
    }
    let mut text =
        String::from("⚠ no topic-level metrics (exposeTopicLevelMetricsInPrometheus=false): namespace totals");
    match &s.admin_fallback {
        Some(fb) => {
            let n = fb.topics;
            text.push_str(&format!(" from /metrics, topics from the admin API's stats ({n} topic{}", plural(n)));
            if fb.truncated {
                text.push_str(&format!(", the first {} only", crate::pulsar::scrape::MAX_FALLBACK_TOPICS));
            }
            text.push(')');
            if let Some(e) = &fb.error {
                text.push_str(&format!("; {e}"));
            }
        }
        None => text.push_str(" only"),
    }
    Some(Line::styled(text, Style::default().fg(theme.status_warn)))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The namespaces shown, in name order: every namespace but the brokers' heartbeat ones
/// (`pulsar/<cluster>/<broker>`), and with a filter only those with a matching topic or name.
pub fn namespace_rows<'a>(s: &'a MetricsSnapshot, filter: &str) -> Vec<&'a NamespaceMetrics> {
    let f = filter.to_lowercase();
    s.namespaces
        .values()
        .filter(|n| !(n.name.starts_with("pulsar/") && n.name.matches('/').count() == 2))
        .filter(|n| {
            f.is_empty()
                || n.name.to_lowercase().contains(&f)
                || s.topics_in_namespace(&n.name).any(|t| t.name.to_lowercase().contains(&f))
        })
        .collect()
}

/// `8.3 ms · p99 ≤ 20 ms` from the broker's write-latency buckets.
pub fn latency_text(l: &LatencyHistogram) -> Option<String> {
    let mean = l.mean_ms()?;
    let p99 = match l.quantile_upper_bound_ms(0.99) {
        Some(b) if b.is_finite() => format!(" · p99 ≤ {b} ms"),
        Some(_) => " · p99 > 1 s".to_string(),
        None => String::new(),
    };
    Some(format!("{mean:.1} ms{p99}"))
}

fn short_latency(l: &Option<LatencyHistogram>) -> String {
    l.as_ref().and_then(|l| l.mean_ms()).map(|m| format!("{m:.1}ms")).unwrap_or_default()
}

fn replication_backlog(r: &BTreeMap<String, ReplicationMetrics>) -> u64 {
    r.values().fold(0, |b, m| b.saturating_add(m.backlog))
}

/// Sum of the widths of `widths` (lengths, and the minimum of `Min`), with one space between.
fn table_width(widths: &[Constraint]) -> u16 {
    let cols: u16 = widths
        .iter()
        .map(|c| match c {
            Constraint::Length(n) | Constraint::Min(n) => *n,
            _ => 0,
        })
        .sum();
    cols + widths.len().saturating_sub(1) as u16
}

/// A topic's name as the metrics view shows it: without the default `persistent://`.
pub fn short_topic(name: &str) -> &str {
    name.strip_prefix("persistent://").unwrap_or(name)
}

/// Optional columns, shown only when some row of the data has them (and there is room).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Extras {
    offloaded: bool,
    latency: bool,
    replication: bool,
}

impl Extras {
    const OFFLOADED_W: u16 = 9;
    const LATENCY_W: u16 = 7;
    const REPLICATION_W: u16 = 12;

    fn of<'a>(rows: impl Iterator<Item = (u64, &'a Option<LatencyHistogram>, bool)>) -> Extras {
        let mut e = Extras::default();
        for (offloaded, latency, replication) in rows {
            e.offloaded |= offloaded > 0;
            e.latency |= latency.as_ref().is_some_and(|l| l.mean_ms().is_some());
            e.replication |= replication;
        }
        e
    }

    /// Characters the shown columns take, with their spacing.
    fn width(self) -> u16 {
        self.widths().iter().map(|c| if let Constraint::Length(n) = c { n + 1 } else { 0 }).sum()
    }

    /// Drops columns (replication, then offloaded, then latency; the selected topic's
    /// details still show them) until they fit in `room` characters.
    fn fit(mut self, room: u16) -> Extras {
        if self.width() > room {
            self.replication = false;
        }
        if self.width() > room {
            self.offloaded = false;
        }
        if self.width() > room {
            self.latency = false;
        }
        self
    }

    fn headers(self) -> Vec<&'static str> {
        let mut h = Vec::new();
        if self.offloaded {
            h.push("Offloaded");
        }
        if self.latency {
            h.push("Pub lat");
        }
        if self.replication {
            h.push("Repl backlog");
        }
        h
    }

    fn widths(self) -> Vec<Constraint> {
        let mut w = Vec::new();
        if self.offloaded {
            w.push(Constraint::Length(Self::OFFLOADED_W));
        }
        if self.latency {
            w.push(Constraint::Length(Self::LATENCY_W));
        }
        if self.replication {
            w.push(Constraint::Length(Self::REPLICATION_W));
        }
        w
    }

    fn cells<'a>(
        self,
        offloaded: u64,
        latency: &Option<LatencyHistogram>,
        replication: &BTreeMap<String, ReplicationMetrics>,
    ) -> Vec<Cell<'a>> {
        let mut c = Vec::new();
        if self.offloaded {
            c.push(Cell::from(if offloaded > 0 { bytes(offloaded as f64) } else { String::new() }));
        }
        if self.latency {
            c.push(Cell::from(short_latency(latency)));
        }
        if self.replication {
            let backlog = (!replication.is_empty()).then(|| count(replication_backlog(replication) as i64));
            c.push(Cell::from(backlog.unwrap_or_default()));
        }
        c
    }
}

fn namespaces_table(f: &mut Frame, area: Rect, rows: &[&NamespaceMetrics], m: &MetricsView, theme: &Theme) {
    if rows.is_empty() || area.height == 0 {
        return;
    }
    let mut widths = vec![
        Constraint::Min(18),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(12),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    let room = area.width.saturating_sub(table_width(&widths) + 1);
    let extras =
        Extras::of(rows.iter().map(|n| (n.offloaded_size, &n.publish_latency, !n.replication.is_empty()))).fit(room);
    widths.extend(extras.widths());
    let mut header =
        vec!["Namespace", "Topics", "Backlog", "Backlog size", "In/s", "Out/s", "In B/s", "Out B/s", "Storage"];
    header.extend(extras.headers());
    let header = Row::new(header).style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD));
    let body = rows.iter().map(|n| {
        let trend = m.history.namespace(&n.name).map(|h| h.backlog.trend()).unwrap_or(Trend::Flat);
        let mut cells = vec![
            Cell::from(n.name.clone()).style(Style::default().fg(theme.namespace)),
            Cell::from(n.topics.to_string()),
            Cell::from(count(n.msg_backlog as i64)).style(Style::default().fg(backlog_color(
                n.msg_backlog,
                trend,
                theme,
            ))),
            Cell::from(bytes(n.backlog_size as f64)),
            Cell::from(rate(n.rate_in)),
            Cell::from(rate(n.rate_out)),
            Cell::from(bytes(n.throughput_in)),
            Cell::from(bytes(n.throughput_out)),
            Cell::from(bytes(n.storage_size as f64)),
        ];
        cells.extend(extras.cells(n.offloaded_size, &n.publish_latency, &n.replication));
        Row::new(cells)
    });
    f.render_widget(Table::new(body, widths).header(header).column_spacing(1), area);
}

fn topics_table(f: &mut Frame, area: Rect, m: &MetricsView, theme: &Theme) -> Option<ListArea> {
    let Some(snap) = &m.snapshot else { return None };
    if m.rows.is_empty() {
        f.render_widget(Paragraph::new(Line::styled("no topics", Style::default().fg(theme.dim))), area);
        return None;
    }
    let mut widths = vec![
        Constraint::Min(28),
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
    let room = area.width.saturating_sub(table_width(&widths) + 1);
    let extras = Extras::of(
        m.rows
            .iter()
            .filter_map(|n| snap.topics.get(n))
            .map(|t| (t.offloaded_size, &t.publish_latency, !t.replication.is_empty())),
    )
    .fit(room);
    widths.extend(extras.widths());
    let mut header = vec!["Topic", "Backlog", "History", "Trend", "Drain", "In/s", "Out/s", "Storage", "Subs", "Cons"];
    header.extend(extras.headers());
    let header = Row::new(header).style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD));
    let height = area.height.saturating_sub(1) as usize;
    let offset = if m.selected >= height { m.selected + 1 - height } else { 0 };
    let rows = m.rows.iter().skip(offset).take(height).filter_map(|name| {
        let t = snap.topics.get(name)?;
        let trend = m.trend_of(name);
        let spark = m.history.topic(name).map(|h| sparkline(&h.backlog, 16)).unwrap_or_default();
        let short = short_topic(name);
        let label = if t.is_partitioned() { format!("{short} [{}p]", t.partitions.len()) } else { short.to_string() };
        let mut cells = vec![
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
        ];
        cells.extend(extras.cells(t.offloaded_size, &t.publish_latency, &t.replication));
        Some(Row::new(cells))
    });
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg));
    let mut state = TableState::default().with_selected(Some(m.selected - offset));
    f.render_stateful_widget(table, area, &mut state);
    let rows = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
    Some(ListArea { area: rows, offset })
}

fn subscriptions_table(f: &mut Frame, area: Rect, m: &MetricsView, theme: &Theme) {
    let (Some(snap), Some(topic)) = (&m.snapshot, m.selected_topic()) else { return };
    let subs: Vec<_> = snap.subscriptions_of(topic).collect();
    if area.height < 2 {
        return;
    }
    let title = Line::styled(format!("Subscriptions of {topic}"), Style::default().fg(theme.accent));
    let details = snap.topics.get(topic).map(|t| topic_details(t, theme)).unwrap_or_default();
    // the details never take the whole area: the subscriptions keep at least 3 lines
    let details_h = (details.len() as u16).min(area.height.saturating_sub(4));
    let [d, t, body] =
        Layout::vertical([Constraint::Length(details_h), Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(details), d);
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

/// Lines about the selected topic that only some brokers or topics have: publish latency,
/// offloaded size, replication per remote cluster. Empty when the data has none of them.
pub fn topic_details<'a>(t: &crate::metrics::TopicMetrics, theme: &Theme) -> Vec<Line<'a>> {
    let key = |k: &str| Span::styled(format!("{k} "), Style::default().fg(theme.dim));
    let mut lines = Vec::new();
    let mut first = Vec::new();
    if let Some(l) = t.publish_latency.as_ref().and_then(latency_text) {
        first.extend([key("publish latency"), Span::raw(format!("{l}   "))]);
    }
    if t.offloaded_size > 0 {
        first.extend([key("offloaded"), Span::raw(bytes(t.offloaded_size as f64))]);
    }
    if !first.is_empty() {
        lines.push(Line::from(first));
    }
    if let Some(tb) = &t.txn_buffer {
        lines.push(Line::from(vec![
            key("transaction buffer"),
            Span::raw(format!(
                "{} open · {} committed · {} aborted",
                count(tb.active as i64),
                count(tb.committed as i64),
                count(tb.aborted as i64)
            )),
        ]));
    }
    for (remote, r) in &t.replication {
        let state = if r.connected > 0 { "" } else { " (not connected)" };
        lines.push(Line::from(vec![
            key(&format!("replication → {remote}{state}")),
            Span::styled(
                format!("backlog {}", count(r.backlog as i64)),
                Style::default().fg(backlog_color(r.backlog, Trend::Flat, theme)),
            ),
            Span::raw(format!(
                " · in {}/s · out {}/s · {} in · {} out · delay {}",
                rate(r.rate_in),
                rate(r.rate_out),
                bytes(r.throughput_in),
                bytes(r.throughput_out),
                age(std::time::Duration::from_secs_f64(r.delay_secs.max(0.0)))
            )),
        ]));
    }
    lines
}
