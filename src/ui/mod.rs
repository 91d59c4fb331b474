//! Drawing. Reads the app, never changes it, does no I/O.

pub mod format;
pub mod theme;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::keys::{key_name_hint, KEYMAP};
use crate::app::tree::NodeKey;
use crate::app::{App, Connection, Level, Mode, View};
use crate::panes;
use format::{age, ago, truncate};
use theme::Theme;

/// Draws the whole screen.
pub fn render(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    let [header, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    render_header(f, header, app, theme);
    if app.view == View::Browser {
        panes::browser::render(f, body, app, theme);
    } else if app.view == View::Metrics {
        panes::metrics::render(f, body, app, theme);
    } else if app.view == View::Schema {
        panes::schema::render(f, body, app, theme);
    } else if app.view == View::Dlq {
        panes::dlq::render(f, body, app, theme);
    } else {
        let (left, right) = if body.width >= 100 { (40, 60) } else { (45, 55) };
        let [explorer, details] =
            Layout::horizontal([Constraint::Percentage(left), Constraint::Percentage(right)]).areas(body);
        panes::explorer::render(f, explorer, app, theme);
        panes::details::render(f, details, app, theme);
    }
    render_status(f, status, app, theme);
    if let Some(d) = &app.requeue {
        panes::dlq::render_requeue(f, body, app, d, theme);
    }
    if let Some(d) = &app.action {
        panes::dlq::render_action(f, body, app, d, theme);
    }
    if app.show_help {
        render_help(f, area, theme, app.key_context());
    }
}

/// `pulsar-tui ▸ cluster ▸ tenant ▸ namespace ▸ topic ▸ subscription`
fn render_header(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let base = Style::default().fg(theme.header_fg).bg(theme.header_bg);
    let mut spans = vec![Span::styled(" pulsar-tui ", base.add_modifier(Modifier::BOLD))];
    if let Some((name, color)) = &app.settings.context {
        let bg = color.as_deref().and_then(theme::parse_color).unwrap_or(theme.accent);
        spans.push(Span::styled(
            format!(" {name} "),
            Style::default().fg(theme.header_fg).bg(bg).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(" ", base));
    }
    if app.settings.read_only {
        spans.push(Span::styled("[RO] ", base.fg(theme.status_error).add_modifier(Modifier::BOLD)));
    }
    if app.settings.tls_insecure {
        spans.push(Span::styled("⚠ TLS insecure ", base.fg(theme.status_warn).add_modifier(Modifier::BOLD)));
    }
    let mut crumbs: Vec<String> = vec![app.cluster.clone().unwrap_or_else(|| app.settings.admin_url.clone())];
    if let Some(key) = app.tree.selected_key() {
        for node in app.tree.lineage(&key) {
            crumbs.push(match &node.key {
                NodeKey::Tenant(t) => t.clone(),
                NodeKey::Namespace(n) => n.split_once('/').map(|(_, n)| n.to_string()).unwrap_or_default(),
                NodeKey::Topic(t) | NodeKey::Partition(t) => t.local.clone(),
                NodeKey::Subscription(_, s) => s.clone(),
            });
        }
    }
    spans.push(Span::styled(format!("▸ {} ", crumbs.join(" ▸ ")), base));
    f.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

fn render_status(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans: Vec<Span> = Vec::new();
    match &app.connection {
        Connection::Connecting => spans.push(Span::styled("◌ connecting", Style::default().fg(theme.status_warn))),
        Connection::Connected => spans.push(Span::styled("● connected", Style::default().fg(theme.status_ok))),
        Connection::Down { since, .. } => spans.push(Span::styled(
            format!("✗ broker unreachable ({})", age(app.now.saturating_duration_since(*since))),
            Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD),
        )),
    }
    let mut info = Vec::new();
    if let Some(c) = &app.cluster {
        info.push(c.clone());
    }
    if let Some(v) = &app.broker_version {
        info.push(format!("Pulsar {v}"));
    }
    if let Some(t) = app.last_refresh {
        info.push(format!("refreshed {}", ago(app.now.saturating_duration_since(t))));
    }
    if !info.is_empty() {
        spans.push(Span::styled(format!(" │ {}", info.join(" · ")), Style::default().fg(theme.dim)));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = (area.width as usize).saturating_sub(used + 3);
    let message = match (&app.status, &app.connection) {
        (_, Connection::Down { reason, .. }) => Some((reason.clone(), Level::Error)),
        (Some(m), _) => Some((m.text.clone(), m.level)),
        _ => None,
    };
    match message {
        Some((text, level)) => {
            let color = if level == Level::Error { theme.status_error } else { theme.status_ok };
            spans.push(Span::styled(format!(" │ {}", truncate(&text, room)), Style::default().fg(color)));
        }
        None => {
            let hints = hints(app);
            spans.push(Span::styled(format!(" │ {}", truncate(&hints, room)), Style::default().fg(theme.dim)));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn hints(app: &App) -> String {
    if matches!(app.mode, Mode::Filter { .. }) {
        return "type to filter · Enter keep · Esc clear · a full topic name + Enter jumps".into();
    }
    if matches!(app.mode, Mode::ScanPrompt { .. }) {
        return "type a CEL filter · Enter scans from the start position · Esc cancel".into();
    }
    if matches!(app.mode, Mode::StartPrompt { .. }) {
        return "type a start position · Enter read from there · Esc cancel".into();
    }
    let ctx = app.key_context();
    let mut parts: Vec<String> = KEYMAP
        .iter()
        .filter(|b| b.context == ctx)
        .map(|b| format!("{} {}", key_name_hint(b.keys[0]), b.help.split(['(', ';']).next().unwrap_or("").trim()))
        .collect();
    parts.extend(["? help".to_string(), "Tab pane".to_string(), "q quit".to_string()]);
    parts.join(" · ")
}

/// The keys of the pane in use (and the global ones), straight from the keymap.
fn render_help(f: &mut Frame, area: Rect, theme: &Theme, context: crate::app::keys::KeyContext) {
    use crate::app::keys::KeyContext;
    let mut lines: Vec<Line> = Vec::new();
    let mut last = None;
    for b in KEYMAP.iter().filter(|b| b.context == KeyContext::Global || b.context == context) {
        if last != Some(b.context) {
            if last.is_some() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(b.context.title(), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)));
            last = Some(b.context);
        }
        let keys: Vec<&str> = b.keys.to_vec();
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<22}", keys.join(" ")), Style::default().fg(theme.title)),
            Span::raw(b.help),
        ]));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 92.min(area.width);
    let [popup] = Layout::vertical([Constraint::Length(h)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(w)]).flex(Flex::Center).areas(popup);
    f.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border_focused))
        .title(" Help — Esc closes ");
    f.render_widget(Paragraph::new(lines).block(block), popup);
}
