//! The policies view: every policy with its effective value and where it comes from
//! (topic, namespace, broker default), the capacity estimates with their numbers, and the
//! edit dialog (before → after, who it affects, the typed name a data-dropping change needs).

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::app::policies::{PolicyDialog, Stage};
use crate::app::App;
use crate::policies::{Level, PolicyDef, Source};
use crate::style::format::truncate;
use crate::style::theme::Theme;

fn source_style(s: Source, theme: &Theme) -> Style {
    match s {
        Source::Topic => Style::default().fg(theme.accent).add_modifier(Modifier::BOLD),
        Source::Namespace => Style::default().fg(theme.topic),
        Source::Broker | Source::Unset => Style::default().fg(theme.dim),
    }
}

fn value_text(v: &Option<serde_json::Value>, def: Option<&PolicyDef>) -> String {
    match (v, def) {
        (Some(v), Some(d)) => crate::policies::catalogue::display(d, v),
        (Some(v), None) => v.to_string(),
        (None, _) => "-".into(),
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let v = &app.policies;
    let dim = Style::default().fg(theme.dim);
    let target = v.target.as_ref().map(|t| t.to_string()).unwrap_or_default();
    let mut title = vec![Span::styled(format!(" Policies · {target} "), Style::default().fg(theme.border_focused))];
    if v.loading.is_some() {
        title.push(Span::styled("· loading… ", dim));
    }
    let inner = super::view_frame(f, area, Line::from(title), theme);
    let Some(snap) = &v.snapshot else {
        let mut lines = vec![Line::styled("reading the policies…", dim)];
        if let Some(e) = &v.error {
            lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error)));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    };
    let estimates = v.estimates();
    let cap_height = (estimates.len() as u16 * 2 + 1).min(inner.height / 3);
    let [notes, list, detail, capacity] = Layout::vertical([
        Constraint::Length(u16::from(snap.effective.level == Level::Topic && !snap.effective.topic_policies_enabled)),
        Constraint::Min(3),
        Constraint::Length(4),
        Constraint::Length(cap_height),
    ])
    .areas(inner);
    if notes.height > 0 {
        f.render_widget(
            Paragraph::new(Line::styled(
                "⚠ topic-level policies are off on this broker (topicLevelPoliciesEnabled / systemTopicEnabled): namespace and broker values only",
                Style::default().fg(theme.status_warn),
            )),
            notes,
        );
    }
    let policies = v.policies();
    let value_width = list.width.saturating_sub(34 + 16 + 2 + 4) as usize;
    let rows: Vec<Row> = policies
        .iter()
        .map(|p| {
            Row::new(vec![
                Cell::from(if p.editable { "✎" } else { " " }).style(Style::default().fg(theme.accent)),
                Cell::from(p.title).style(Style::default().fg(theme.text)),
                Cell::from(truncate(&p.display, value_width.max(8))).style(if p.source == Source::Unset {
                    dim
                } else {
                    Style::default().fg(theme.text)
                }),
                Cell::from(p.source.label()).style(source_style(p.source, theme)),
            ])
        })
        .collect();
    let table =
        Table::new(rows, [Constraint::Length(1), Constraint::Length(34), Constraint::Min(8), Constraint::Length(16)])
            .header(
                Row::new(vec!["", "policy", "effective value", "from"])
                    .style(Style::default().fg(theme.title).add_modifier(Modifier::BOLD)),
            )
            .row_highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg))
            .column_spacing(1);
    let mut state =
        TableState::default().with_selected((!policies.is_empty()).then(|| v.selected.min(policies.len() - 1)));
    f.render_stateful_widget(table, list, &mut state);
    // the selected policy: what it governs, its value at each level
    if let Some(p) = v.selected_policy() {
        let def = PolicyDef::by_key(p.key);
        let mut levels = Vec::new();
        if snap.effective.level == Level::Topic {
            levels.push(Span::styled(
                format!("topic: {}", value_text(&p.topic, def)),
                source_style(Source::Topic, theme),
            ));
            levels.push(Span::styled(" · ", dim));
        }
        levels.push(Span::styled(
            format!("namespace: {}", value_text(&p.namespace, def)),
            source_style(Source::Namespace, theme),
        ));
        levels.push(Span::styled(format!(" · broker: {}", value_text(&p.broker, def)), dim));
        let mut lines = vec![
            Line::styled(
                format!("{}: {}", p.key, def.map(|d| d.governs).unwrap_or("")),
                Style::default().fg(theme.text),
            ),
            Line::from(levels),
        ];
        let keys = if p.editable {
            "e edit · x remove this level's value · t target rate · r reload · Esc back"
        } else {
            "shown only · t target rate · r reload · Esc back"
        };
        match &v.error {
            Some(e) => lines.push(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error))),
            None => lines.push(Line::styled(keys, dim)),
        }
        let block = Block::default().borders(Borders::TOP).border_style(Style::default().fg(theme.border));
        f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), detail);
    }
    // capacity
    let mut lines = Vec::new();
    for e in &estimates {
        let mark = match (e.kind, e.value) {
            ("time_to_size_quota" | "time_to_age_quota", Some(t)) if t < 3600.0 => {
                Style::default().fg(theme.status_error)
            }
            _ => Style::default().fg(theme.text),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<19}", e.kind.replace('_', " ")), Style::default().fg(theme.title)),
            Span::styled(e.text.clone(), mark),
        ]));
        let nums: Vec<String> = e.numbers.iter().map(|(k, n)| format!("{k}={}", trim_num(*n))).collect();
        lines.push(Line::styled(format!("{:<19}{}", "", nums.join(" ")), dim));
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(" Capacity ", Style::default().fg(theme.title)));
    f.render_widget(Paragraph::new(lines).block(block), capacity);
    if let Some(d) = &v.dialog {
        render_dialog(f, area, app, d, theme);
    }
}

fn trim_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n:.1}")
    }
}

fn render_dialog(f: &mut Frame, area: Rect, app: &App, d: &PolicyDialog, theme: &Theme) {
    let dim = Style::default().fg(theme.dim);
    let err = Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD);
    let target = app.policies.target.as_ref().map(|t| t.to_string()).unwrap_or_default();
    let mut lines = vec![Line::styled(target, Style::default().fg(theme.accent))];
    if app.settings.read_only {
        lines.push(Line::styled("[RO] read-only mode: the change will be refused", err));
    }
    lines.push(Line::raw(""));
    match &d.stage {
        Stage::Value { keys, key, input } => {
            let k = keys[*key];
            lines.push(Line::raw(format!("new value of {}", k.name())));
            lines.push(Line::styled(k.hint(), dim));
            lines.push(Line::styled(format!("> {input}▏"), Style::default().fg(theme.accent)));
            let more = if keys.len() > 1 { "Tab next field · " } else { "" };
            lines.push(Line::styled(format!("{more}Enter preview · Esc close"), dim));
        }
        Stage::TargetRate { input } => {
            lines.push(Line::raw("target rate for the partitions estimate (msg/s; empty: none)"));
            lines.push(Line::styled(format!("> {input}▏"), Style::default().fg(theme.accent)));
            lines.push(Line::styled("Enter set · Esc close", dim));
        }
        Stage::Confirm { preview, typed, .. } => {
            push_preview(&mut lines, preview, theme);
            match &preview.confirm {
                Some(name) => {
                    lines.push(Line::from(vec![
                        Span::styled("type ", Style::default().fg(theme.text)),
                        Span::styled(name.clone(), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
                        Span::styled(" to confirm: ", Style::default().fg(theme.text)),
                        Span::styled(format!("{typed}▏"), Style::default().fg(theme.accent)),
                    ]));
                    lines.push(Line::styled("Enter apply · Esc cancel", dim));
                }
                None => lines.push(Line::styled("Enter or y apply · Esc cancel", dim)),
            }
        }
        Stage::Running { preview, .. } => {
            push_preview(&mut lines, preview, theme);
            lines.push(Line::styled("applying…", dim));
        }
    }
    if let Some(e) = &d.error {
        lines.push(Line::styled(format!("✗ {e}"), err));
    }
    let w = 90u16.min(area.width);
    let h = (lines.len() as u16 + 4).min(area.height);
    let [r] = Layout::vertical([Constraint::Length(h)]).flex(Flex::Center).areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w)]).flex(Flex::Center).areas(r);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border_focused))
        .title(" Change policy ")
        .title_style(Style::default().fg(theme.border_focused).add_modifier(Modifier::BOLD));
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), r);
}

fn push_preview(lines: &mut Vec<Line<'static>>, p: &crate::policies::edit::Preview, theme: &Theme) {
    let what = if p.remove { format!("remove {} at this level", p.policy) } else { format!("set {}", p.key) };
    lines.push(Line::styled(what, Style::default().fg(theme.text).add_modifier(Modifier::BOLD)));
    lines.push(Line::from(vec![
        Span::styled(p.before.clone(), Style::default().fg(theme.text)),
        Span::styled(format!(" ({})", p.before_source.label()), source_style(p.before_source, theme)),
        Span::styled("  →  ", Style::default().fg(theme.dim)),
        Span::styled(p.after.clone(), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
        Span::styled(format!(" ({})", p.after_source.label()), source_style(p.after_source, theme)),
    ]));
    lines.push(Line::styled(format!("affects {}", p.affects), Style::default().fg(theme.text)));
    lines.push(Line::styled(format!("{}", p.call), Style::default().fg(theme.dim)));
    if let Some(why) = &p.drops_data {
        lines.push(Line::styled(
            format!("⚠ CAN DROP DATA: {why}"),
            Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD),
        ));
    }
}
