//! The message browser: a read-only table of messages and the detail of the selected one.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Tabs};
use ratatui::Frame;

use super::pane_block;
use crate::app::browser::{Browser, DetailTab, ValueMode};
use crate::app::mouse::ListArea;
use crate::app::{App, Focus, Mode};
use crate::model::{format_time, Message, StartFrom};
use crate::style::format::{age, hex_dump, truncate};
use crate::style::theme::Theme;

/// Payloads larger than this are shown cut in the detail view, so a frame stays fast.
const DETAIL_MAX_BYTES: usize = 256 * 1024;
const HEX_MAX_BYTES: usize = 16 * 1024;

/// Draws the browser; returns where the table's rows are (for the mouse).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Option<ListArea> {
    let b = app.browser.as_ref()?;
    let prompt = matches!(app.mode, Mode::StartPrompt { .. } | Mode::ScanPrompt { .. } | Mode::DecodePrompt { .. });
    let [main, prompt_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(if prompt { 1 } else { 0 })]).areas(area);
    let (table_area, detail_area) = if b.detail {
        let [t, d] = Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(main);
        (t, Some(d))
    } else {
        (main, None)
    };
    let list = render_table(f, table_area, app, b, theme);
    if let Some(d) = detail_area {
        render_detail(f, d, app, b, theme);
    }
    if let Mode::StartPrompt { input } = &app.mode {
        let line = Line::from(vec![
            Span::styled("start from: ", Style::default().fg(theme.accent)),
            Span::raw(input.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
            Span::styled(
                "   earliest · latest · -N · +N · ledger:entry[:partition] · 2026-11-27T10:00:00Z · 15m/2h/1d",
                Style::default().fg(theme.dim),
            ),
        ]);
        f.render_widget(Paragraph::new(line), prompt_area);
    }
    if let Mode::DecodePrompt { input } = &app.mode {
        let line = Line::from(vec![
            Span::styled("decode as: ", Style::default().fg(theme.accent)),
            Span::raw(input.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
            Span::styled(
                "   auto · string · bytes · int64 · double · timestamp · avro FILE.avsc · proto FILE.desc pkg.Msg",
                Style::default().fg(theme.dim),
            ),
        ]);
        f.render_widget(Paragraph::new(line), prompt_area);
    }
    if let Mode::ScanPrompt { input } = &app.mode {
        let line = Line::from(vec![
            Span::styled("filter (CEL): ", Style::default().fg(theme.accent)),
            Span::raw(input.clone()),
            Span::styled("█", Style::default().fg(theme.accent)),
            Span::styled(
                r#"   e.g. value.amount > 100 && key.startsWith("u-") · properties["trace"] == "x""#,
                Style::default().fg(theme.dim),
            ),
        ]);
        f.render_widget(Paragraph::new(line), prompt_area);
    }
    list
}

fn describe_start(s: &StartFrom) -> String {
    match s {
        StartFrom::Earliest => "earliest".into(),
        StartFrom::Latest => "latest".into(),
        StartFrom::BeforeLatest(n) => format!("last {n}"),
        StartFrom::AfterEarliest(n) => format!("earliest +{n}"),
        StartFrom::Id(id) => format!("id {id}"),
        StartFrom::Time(t) => format!("time {}", format_time(*t)),
    }
}

fn time_cell(m: &Message, b: &Browser, app: &App) -> String {
    if b.relative_time {
        let d = app.wall_ms.saturating_sub(m.publish_time_ms).max(0) as u64;
        return format!("{} ago", age(std::time::Duration::from_millis(d)));
    }
    DateTime::<Utc>::from_timestamp_millis(m.publish_time_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

fn render_table(f: &mut Frame, area: Rect, app: &App, b: &Browser, theme: &Theme) -> Option<ListArea> {
    let focused = !(b.detail && app.focus == Focus::Details);
    let mut title = match b.topic.partition_index() {
        Some(i) => format!("Browse {} (partition {i} only; p: next) ", b.topic.parent()),
        None => format!("Browse {} ", b.topic),
    };
    title.push_str(&format!("· from {} ", describe_start(&b.start)));
    if let Some(scan) = &b.scan {
        title.push_str(&format!("· where {} ", truncate(&scan.expr, 60)));
    }
    if let Some(d) = &b.decode_as {
        title.push_str(&format!("· decoded as {} ", truncate(&d.to_string(), 40)));
    }
    let block = pane_block(&title, focused, theme).title_bottom(status_line(b, app.wall_ms, theme));
    let block = block.title(
        Line::from(Span::styled(" read-only browse ", Style::default().fg(theme.header_fg).bg(theme.status_ok)))
            .right_aligned(),
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return None;
    }
    if b.rows.is_empty() {
        let text = match (&b.error, b.loading.is_some(), b.follow.is_some()) {
            (Some(e), _, _) => Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)),
            (_, true, _) => Line::styled("reading…", Style::default().fg(theme.dim)),
            (_, _, true) => Line::styled("waiting for new messages…", Style::default().fg(theme.dim)),
            _ if b.scan.as_ref().is_some_and(|s| !s.done) => Line::styled("scanning…", Style::default().fg(theme.dim)),
            _ if b.scan.is_some() => Line::styled("no message matches the filter", Style::default().fg(theme.dim)),
            _ => Line::styled(
                "no messages from this position (s: start elsewhere, f: follow)",
                Style::default().fg(theme.dim),
            ),
        };
        f.render_widget(Paragraph::new(text), inner);
        return None;
    }
    let partitioned = b.rows.iter().any(|r| r.message.id.partition >= 0);
    let mut header = vec!["Publish time"];
    if partitioned {
        header.push("P");
    }
    header.extend(["Key", "Message id", "Ver", "Size", "Value"]);
    let height = (inner.height.saturating_sub(1) as usize).max(1);
    // only the visible rows are built
    let offset = if b.selected >= height { b.selected + 1 - height } else { 0 };
    let rows = b.rows.iter().skip(offset).take(height).map(|r| {
        let m = &r.message;
        let mut cells = vec![Cell::from(time_cell(m, b, app)).style(Style::default().fg(theme.dim))];
        if partitioned {
            cells.push(Cell::from(m.id.partition.to_string()));
        }
        let (value, value_style) = value_cell(r, theme);
        cells.extend([
            Cell::from(m.key.clone().unwrap_or_else(|| "—".into())).style(Style::default().fg(theme.accent)),
            Cell::from(m.id.to_string()),
            Cell::from(m.schema_version.map(|v| v.to_string()).unwrap_or_else(|| "—".into())),
            // the whole message's size, also for one reassembled from chunks
            Cell::from(size_cell(m.payload.len())),
            Cell::from(value).style(value_style),
        ]);
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Length(if b.relative_time { 9 } else { 23 })];
    if partitioned {
        widths.push(Constraint::Length(2));
    }
    widths.extend([
        Constraint::Length(14),
        Constraint::Length(16),
        Constraint::Length(3),
        Constraint::Length(6),
        Constraint::Min(10),
    ]);
    let sel_style = if focused {
        Style::default().fg(theme.selection_fg).bg(theme.selection_bg).add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .row_highlight_style(sel_style);
    let mut state = TableState::default().with_selected(Some(b.selected - offset));
    f.render_stateful_widget(table, inner, &mut state);
    let rows = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    Some(ListArea { area: rows, offset })
}

/// The value column: the preview, or why the payload is not decoded (an encrypted message
/// says so and names its keys) in the colour of decode errors, or a tombstone's mark.
fn value_cell(r: &crate::app::browser::Row, theme: &Theme) -> (String, Style) {
    let error = Style::default().fg(theme.status_error);
    let meta = &r.message.meta;
    match (&meta.encryption, &meta.error) {
        (Some(e), _) => (format!("⚠ {}", e.describe()), error),
        (None, Some(e)) => (format!("⚠ {e}"), error),
        // a compaction tombstone: its (empty) payload is no value
        (None, None) if meta.null_value => ("∅ null value (tombstone)".to_string(), Style::default().fg(theme.dim)),
        (None, None) if r.decoded.error.is_some() => (r.preview.clone(), error),
        (None, None) => (r.preview.clone(), Style::default()),
    }
}

/// A size in the 6 columns of the table: bytes up to 999999, then `12.5M` (MiB), `1.2G`.
fn size_cell(n: usize) -> String {
    match n {
        0..=999_999 => n.to_string(),
        _ if n < 999 * 1024 * 1024 => format!("{:.1}M", n as f64 / (1024.0 * 1024.0)),
        _ => format!("{:.1}G", n as f64 / (1024.0 * 1024.0 * 1024.0)),
    }
}

fn status_line<'a>(b: &Browser, now_ms: i64, theme: &Theme) -> Line<'a> {
    if let Some(e) = &b.error {
        return Line::styled(format!(" ✗ {} ", truncate(e, 100)), Style::default().fg(theme.status_error));
    }
    if let Some(s) = &b.scan {
        let state = if s.done { "done (Esc: back to browsing)" } else { "scanning… (Esc stops)" };
        let text = format!(
            " scanned {} · matched {} · decode errors {} · {:.0} msg/s · {state} ",
            s.scanned,
            s.matched,
            s.decode_errors,
            s.rate()
        );
        return Line::styled(text, Style::default().fg(if s.done { theme.dim } else { theme.accent }));
    }
    let first = b.first_row_number();
    let mut parts = vec![];
    if !b.rows.is_empty() {
        parts.push(format!("#{} of {}–{}", first + b.selected + 1, first + 1, first + b.rows.len()));
    }
    if b.follow.is_some() {
        parts.push("● following".into());
    } else if b.loading.is_some() {
        parts.push("reading…".into());
    } else if let (true, Some(h)) = (b.at_end, &b.held_back) {
        // the end readers see is an open transaction's max read position, not the topic's end
        parts.push(format!(
            "⏸ {} (readers stop at max read position {}; last entry {})",
            h.describe(now_ms),
            h.max_read_position,
            h.last_entry
        ));
        let text = format!(" {} ", parts.join(" · "));
        return Line::styled(text, Style::default().fg(theme.status_warn).add_modifier(Modifier::BOLD));
    } else if b.at_end {
        parts.push("end of topic".into());
    }
    if let Some(e) = &b.error {
        return Line::styled(format!(" ✗ {} ", truncate(e, 100)), Style::default().fg(theme.status_error));
    }
    Line::styled(format!(" {} ", parts.join(" · ")), Style::default().fg(theme.dim))
}

fn render_detail(f: &mut Frame, area: Rect, app: &App, b: &Browser, theme: &Theme) {
    let focused = app.focus == Focus::Details;
    let block = pane_block("Message", focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(row) = b.selected_row() else { return };
    let [tabs_area, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let titles: Vec<String> = DetailTab::ALL
        .iter()
        .map(|t| match (t, b.value_mode) {
            (DetailTab::Value, ValueMode::Raw) => "Value (raw)".to_string(),
            (DetailTab::Value, ValueMode::Hex) => "Value (hex)".to_string(),
            _ => t.title().to_string(),
        })
        .collect();
    let selected = DetailTab::ALL.iter().position(|t| *t == b.tab).unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
        tabs_area,
    );
    let m = &row.message;
    let mut lines: Vec<Line> = match b.tab {
        DetailTab::Value => value_lines(row, b.value_mode, theme),
        DetailTab::Properties => {
            if m.properties.is_empty() {
                vec![Line::styled("no properties", Style::default().fg(theme.dim))]
            } else {
                let w = m.properties.keys().map(|k| k.chars().count()).max().unwrap_or(0).min(40);
                m.properties
                    .iter()
                    .map(|(k, v)| {
                        Line::from(vec![
                            Span::styled(format!("{k:<w$}  "), Style::default().fg(theme.accent)),
                            Span::raw(v.clone()),
                        ])
                    })
                    .collect()
            }
        }
        DetailTab::Metadata => metadata_lines(m, theme),
        DetailTab::Schema => {
            let versions = app.schemas.get(&b.topic.parent().to_string());
            let version = versions.and_then(|vs| match m.schema_version {
                Some(v) => vs.iter().find(|s| s.version == Some(v)),
                None => vs.last(),
            });
            match (versions, version) {
                (None, _) => vec![Line::styled("loading schemas…", Style::default().fg(theme.dim))],
                (Some(vs), _) if vs.is_empty() => {
                    vec![Line::styled("the topic has no schema", Style::default().fg(theme.dim))]
                }
                (Some(_), None) => vec![Line::styled(
                    format!("schema version {:?} is not in the registry (deleted?)", m.schema_version),
                    Style::default().fg(theme.status_error),
                )],
                (Some(_), Some(s)) => {
                    let mut lines = vec![Line::styled(
                        format!(
                            "{} v{} (S: every version and their differences)",
                            s.schema_type.name(),
                            s.version.unwrap_or(0)
                        ),
                        Style::default().fg(theme.accent),
                    )];
                    lines.extend(super::schema::definition_lines(s, theme));
                    lines
                }
            }
        }
    };
    // a dead letter says where it came from, up front, on every tab
    if let Some(real) = m.properties.get(crate::dlq::REAL_TOPIC) {
        let origin = m.properties.get(crate::dlq::ORIGIN_MESSAGE_ID).map(String::as_str).unwrap_or("?");
        let tries =
            m.properties.get(crate::dlq::RECONSUMETIMES).map(|n| format!(" · retried {n}x")).unwrap_or_default();
        lines.insert(
            0,
            Line::from(vec![
                Span::styled(" DEAD LETTER ", Style::default().fg(theme.selection_fg).bg(theme.dlq_badge)),
                Span::styled(
                    format!(" of {real} · original id {origin}{tries} · O opens it · R requeues"),
                    Style::default().fg(theme.dlq_badge),
                ),
            ]),
        );
    }
    f.render_widget(Paragraph::new(lines).scroll((b.detail_scroll, 0)), body);
}

fn value_lines<'a>(row: &crate::app::browser::Row, mode: ValueMode, theme: &Theme) -> Vec<Line<'a>> {
    let payload = &row.message.payload;
    let mut lines = Vec::new();
    // a payload that cannot be decoded at all (encrypted, chunks missing...) was not tried
    let not_decoded = row.message.meta.error.as_ref();
    if let Some(e) = not_decoded {
        lines.push(Line::styled(format!("⚠ not decoded: {e}"), Style::default().fg(theme.status_error)));
        lines.push(Line::raw(""));
    } else if let Some(e) = &row.decoded.error {
        lines.push(Line::styled(format!("⚠ decode error: {e}"), Style::default().fg(theme.status_error)));
        lines.push(Line::raw(""));
    }
    for n in &row.decoded.notes {
        lines.push(Line::styled(format!("ℹ {n}"), Style::default().fg(theme.dim)));
    }
    let cut = payload.len() > DETAIL_MAX_BYTES;
    match mode {
        ValueMode::Hex => lines.extend(hex_dump(payload, HEX_MAX_BYTES).into_iter().map(Line::raw)),
        ValueMode::Raw => {
            let text = String::from_utf8_lossy(&payload[..payload.len().min(DETAIL_MAX_BYTES)]).into_owned();
            lines.extend(text.lines().map(|l| Line::raw(l.to_string())));
        }
        ValueMode::Decoded if row.decoded.error.is_some() || not_decoded.is_some() => {
            lines.extend(hex_dump(payload, HEX_MAX_BYTES).into_iter().map(Line::raw));
        }
        ValueMode::Decoded => {
            let text = match &row.decoded.value {
                serde_json::Value::String(s) => s.clone(),
                v if cut => truncate(&v.to_string(), DETAIL_MAX_BYTES),
                v => serde_json::to_string_pretty(v).unwrap_or_default(),
            };
            lines.extend(text.lines().map(|l| Line::raw(l.to_string())));
        }
    }
    if cut && mode != ValueMode::Hex {
        lines.push(Line::styled(
            format!(
                "… cut at {} KB of {} KB (export it with `pulsar-tui read`)",
                DETAIL_MAX_BYTES / 1024,
                payload.len() / 1024
            ),
            Style::default().fg(theme.dim),
        ));
    }
    lines
}

fn metadata_lines<'a>(m: &Message, theme: &Theme) -> Vec<Line<'a>> {
    let none = || "—".to_string();
    let meta = &m.meta;
    let batch = match meta.batch_size {
        Some(n) if m.id.batch >= 0 => format!("{} of {n} (the entry holds {n} messages, indexed from 0)", m.id.batch),
        Some(n) => format!("{} (the entry holds {n} messages)", m.id.batch),
        None => m.id.batch.to_string(),
    };
    let compression = match (&m.compression, meta.uncompressed_size) {
        (None, _) => "none".to_string(),
        (Some(c), None) => c.clone(),
        (Some(c), Some(n)) if meta.batch_size.is_some() => format!("{c} (the entry: {n} bytes uncompressed)"),
        (Some(c), Some(n)) => format!("{c} ({n} bytes uncompressed)"),
    };
    let mut items: Vec<(&str, String)> = vec![
        ("Message id", m.id.to_string()),
        ("Topic", m.topic.clone()),
        ("Partition", m.id.partition.to_string()),
        ("Batch index", batch),
        ("Key", m.key.clone().map(|k| if m.key_is_base64 { format!("{k} (base64)") } else { k }).unwrap_or_else(none)),
        ("Ordering key", m.ordering_key.as_ref().map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_else(none)),
        ("Publish time", format_time(m.publish_time_ms)),
        ("Event time", m.event_time_ms.map(format_time).unwrap_or_else(none)),
        ("Producer", m.producer.clone()),
        ("Sequence id", m.sequence_id.to_string()),
        ("Schema version", m.schema_version.map(|v| v.to_string()).unwrap_or_else(none)),
        ("Compression", compression),
        ("Size", format!("{} bytes", m.payload.len())),
        (
            "Redeliveries",
            m.redelivery_count.map(|v| v.to_string()).unwrap_or_else(|| "— (not exposed to readers)".into()),
        ),
    ];
    // what else the entry carries: only the rows that apply
    if let Some(c) = &meta.chunk {
        let mut text = format!("{} chunks, uuid {}, total size {} bytes", c.chunks, c.uuid, c.total_size);
        if c.ids.len() < c.chunks as usize {
            text.push_str(&format!(" (chunk {} read, {} of {} found)", c.chunk_id, c.ids.len(), c.chunks));
        }
        items.push(("Chunks", text));
        if !c.ids.is_empty() {
            items.push(("Chunk ids", c.ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")));
        }
    }
    if let Some(t) = meta.deliver_at_ms {
        items.push(("Deliver at", format!("{} (delayed delivery)", format_time(t))));
    }
    if let Some(r) = &meta.replicated_from {
        items.push(("Replicated from", r.clone()));
    }
    if meta.null_value {
        let what = if m.key.is_some() { "yes (a tombstone: compaction removes its key)" } else { "yes" };
        items.push(("Null value", what.to_string()));
    }
    if meta.null_key {
        items.push(("Null key", "yes".to_string()));
    }
    let mut lines: Vec<Line<'a>> = items
        .into_iter()
        .map(|(k, v)| Line::from(vec![Span::styled(format!("{k:<16}"), Style::default().fg(theme.dim)), Span::raw(v)]))
        .collect();
    // why the payload is not decoded, in the colour of decode errors
    let problem = match (&meta.encryption, &meta.error) {
        (Some(e), _) => {
            let algorithm = e.algorithm.as_ref().map(|a| format!(", algorithm {a}")).unwrap_or_default();
            Some(("Encryption", format!("{}{algorithm}: not decoded", e.describe())))
        }
        (None, Some(err)) => Some(("Not decoded", err.clone())),
        (None, None) => None,
    };
    if let Some((k, v)) = problem {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<16}"), Style::default().fg(theme.dim)),
            Span::styled(v, Style::default().fg(theme.status_error)),
        ]));
    }
    lines
}
