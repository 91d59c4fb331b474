//! Drawing. Reads the app, never changes it, does no I/O.

// the theme and formatting live in `crate::style` (the panes use them too); kept here by name
pub use crate::style::{format, theme};

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::keys::{key_name_hint, KeyContext};
use crate::app::mouse::Hits;
use crate::app::palette::Palette;
use crate::app::tree::NodeKey;
use crate::app::{App, Connection, Level, Mode, View};
use crate::panes;
use format::{age, ago, truncate};
use theme::Theme;

/// Draws the whole screen.
pub fn render(f: &mut Frame, app: &App, theme: &Theme) {
    draw(f, app, theme);
}

/// Draws the whole screen and returns where its clickable rows are (the runtime hands
/// them to the app for the mouse).
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) -> Hits {
    let area = f.area();
    let [header, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    render_header(f, header, app, theme);
    let mut hits = Hits::default();
    match app.view {
        View::Browser => hits.browser = panes::browser::render(f, body, app, theme),
        View::Metrics => hits.metrics = panes::metrics::render(f, body, app, theme),
        View::Schema => panes::schema::render(f, body, app, theme),
        View::Dlq => hits.dlq = panes::dlq::render(f, body, app, theme),
        View::Health => panes::health::render(f, body, app, theme),
        View::Txn => panes::txn::render(f, body, app, theme),
        View::Policies => panes::policies::render(f, body, app, theme),
        View::Explorer => {
            let (left, right) = if body.width >= 100 { (40, 60) } else { (45, 55) };
            let [explorer, details] =
                Layout::horizontal([Constraint::Percentage(left), Constraint::Percentage(right)]).areas(body);
            hits.explorer = panes::explorer::render(f, explorer, app, theme);
            panes::details::render(f, details, app, theme);
            hits.details = Some(details);
        }
    }
    match &app.mode {
        Mode::Palette(p) => render_palette(f, status, p, theme),
        _ => render_status(f, status, app, theme),
    }
    if let Some(d) = &app.requeue {
        panes::dlq::render_requeue(f, body, app, d, theme);
    }
    if let Some(d) = &app.action {
        panes::dlq::render_action(f, body, app, d, theme);
    }
    if let Some(d) = &app.compose {
        panes::compose::render(f, body, app, d, theme);
    }
    if app.show_help {
        render_help(f, body, theme, app);
    }
    hits
}

/// The breadcrumbs of what the user is looking at: tenant, namespace, topic (partition),
/// subscription; from the browsed topic in the browser, else from the explorer's selection.
pub fn breadcrumbs(app: &App) -> Vec<String> {
    let from_topic = |t: &crate::model::TopicName| {
        let ns = t.namespace_path();
        let ns = ns.split_once('/').map(|(_, n)| n.to_string()).unwrap_or(ns.clone());
        let mut c = vec![t.tenant.clone(), ns, t.parent().local.clone()];
        if let Some(i) = t.partition_index() {
            c.push(format!("partition {i}"));
        }
        c
    };
    match (app.view, &app.policies.target) {
        (View::Dlq, _) => {
            if let Some(d) = &app.dlq {
                return d.namespace.split('/').map(String::from).collect();
            }
        }
        (View::Policies, Some(crate::policies::Target::Namespace(ns))) => {
            return ns.split('/').map(String::from).collect();
        }
        (View::Explorer, _) => {}
        // the browser and the schema view fall back to the tree while they load
        (View::Browser | View::Schema, _) => {
            if let Some(t) = app.current_topic() {
                return from_topic(&t);
            }
        }
        _ => return app.current_topic().map(|t| from_topic(&t)).unwrap_or_default(),
    }
    let Some(key) = app.explorer.tree.selected_key() else { return Vec::new() };
    app.explorer
        .tree
        .lineage(&key)
        .into_iter()
        .map(|node| match &node.key {
            NodeKey::Tenant(t) => t.clone(),
            NodeKey::Namespace(n) => n.split_once('/').map(|(_, n)| n.to_string()).unwrap_or_default(),
            NodeKey::Topic(t) | NodeKey::Partition(t) => t.local.clone(),
            NodeKey::Subscription(_, s) => s.clone(),
        })
        .collect()
}

/// ` pulsar-tui  ctx  [RO] ▸ tenant ▸ namespace ▸ topic ▸ subscription`: the context in its
/// colour (the cluster's name when no context is in use), then where the user is.
fn render_header(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let base = Style::default().fg(theme.header_fg).bg(theme.header_bg);
    let mut spans = vec![Span::styled(" pulsar-tui ", base.add_modifier(Modifier::BOLD))];
    let mut crumbs = Vec::new();
    match &app.settings.context {
        Some((name, color)) => {
            let bg = color.as_deref().and_then(theme::parse_color).unwrap_or(theme.accent);
            spans.push(Span::styled(
                format!(" {name} "),
                Style::default().fg(theme.header_fg).bg(bg).add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::styled(" ", base));
        }
        None => crumbs.push(app.cluster.clone().unwrap_or_else(|| app.settings.admin_url.clone())),
    }
    if app.settings.read_only {
        spans.push(Span::styled("[RO] ", base.fg(theme.status_error).add_modifier(Modifier::BOLD)));
    }
    if app.settings.tls_insecure {
        spans.push(Span::styled("⚠ TLS insecure ", base.fg(theme.status_warn).add_modifier(Modifier::BOLD)));
    }
    crumbs.extend(breadcrumbs(app));
    if !crumbs.is_empty() {
        spans.push(Span::styled(format!("▸ {} ", crumbs.join(" ▸ ")), base));
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// The palette's line: `:` and the input, then the completions (the chosen one marked).
fn render_palette(f: &mut Frame, area: Rect, p: &Palette, theme: &Theme) {
    let mut spans = vec![
        Span::styled(":", Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
        Span::raw(p.input.clone()),
        Span::styled("█", Style::default().fg(theme.accent)),
    ];
    let room = (area.width as usize).saturating_sub(p.input.chars().count() + 4);
    let mut used = 0;
    for (i, c) in p.candidates.iter().enumerate() {
        // show what Tab would put in, not the whole line again
        let shown = c.rsplit_once(' ').map(|(_, a)| a).filter(|a| !a.is_empty()).unwrap_or(c.trim_end());
        let w = shown.chars().count() + 2;
        if used + w > room {
            spans.push(Span::styled(" …", Style::default().fg(theme.dim)));
            break;
        }
        used += w;
        let style = if p.chosen == Some(i) {
            Style::default().fg(theme.selection_fg).bg(theme.selection_bg).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.dim)
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(shown.to_string(), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
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
    if matches!(app.mode, Mode::Palette(_)) {
        return "a command · Tab completes · Enter runs · Esc cancels".into();
    }
    let ctx = app.key_context();
    let mut parts: Vec<String> = app
        .keymap
        .bindings()
        .filter(|b| b.context == ctx)
        .map(|b| format!("{} {}", key_name_hint(&b.keys[0]), b.help.split(['(', ';']).next().unwrap_or("").trim()))
        .collect();
    parts.extend(["? help".to_string(), "Tab pane".to_string(), "q quit".to_string()]);
    parts.join(" · ")
}

/// The lines of the help popup: the global keys, then the pane's, from the keymap in use.
pub fn help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let context = app.key_context();
    let mut lines: Vec<Line> = Vec::new();
    for ctx in [KeyContext::Global, context] {
        if ctx == KeyContext::Global && !lines.is_empty() {
            break; // the pane in use is the global one
        }
        let bindings: Vec<_> = app.keymap.bindings().filter(|b| b.context == ctx).collect();
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(ctx.title(), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)));
        for b in bindings {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", b.keys.join(" ")), Style::default().fg(theme.title)),
                Span::raw(b.help.clone()),
            ]));
        }
    }
    lines
}

/// The keys of the pane in use (and the global ones), straight from the keymap; over the
/// body (header and status bar stay visible), scrolled when taller than it.
fn render_help(f: &mut Frame, area: Rect, theme: &Theme, app: &App) {
    let lines = help_lines(app, theme);
    let total = lines.len() as u16;
    let h = (total + 2).min(area.height);
    let w = 92.min(area.width);
    let [popup] = Layout::vertical([Constraint::Length(h)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(w)]).flex(Flex::Center).areas(popup);
    let visible = h.saturating_sub(2);
    let scroll = app.help_scroll.min(total.saturating_sub(visible));
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border_focused))
        .title(" Help — Esc closes ");
    if visible < total {
        let last = (scroll + visible).min(total);
        let more = if last < total { "↓ j/k/PgDn scroll" } else { "↑ k/PgUp scroll" };
        block = block.title_bottom(
            Line::styled(format!(" {}–{last} of {total} · {more} ", scroll + 1), Style::default().fg(theme.dim))
                .right_aligned(),
        );
    }
    f.render_widget(Clear, popup);
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), popup);
}
