//! The schema view: every version of a topic's schema, the selected definition, and what
//! changed against the previous (or a marked) version, beside the namespace's strategy.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::pane_block;
use crate::app::schema::SchemaView;
use crate::app::App;
use crate::decode::SchemaInfo;
use crate::model::format_time;
use crate::style::theme::Theme;

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(v) = app.schema.as_ref() else { return };
    let [list_area, body] = Layout::horizontal([Constraint::Length(34), Constraint::Min(0)]).areas(area);
    let title = format!("Schema versions · {}", v.topic.local);
    let block = pane_block(&title, true, theme);
    let inner = block.inner(list_area);
    f.render_widget(block, list_area);
    if let Some(e) = &v.error {
        f.render_widget(Paragraph::new(Line::styled(format!("✗ {e}"), Style::default().fg(theme.status_error))), inner);
    } else if v.request.is_some() {
        f.render_widget(Paragraph::new(Line::styled("loading…", Style::default().fg(theme.dim))), inner);
    } else if v.versions.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled("this topic has no schema", Style::default().fg(theme.dim))),
            inner,
        );
    } else {
        let items: Vec<ListItem> = v
            .versions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mark = if v.base == Some(i) { "◆ " } else { "  " };
                let when = s.timestamp_ms.map(format_time).map(|t| t[..16].replace('T', " ")).unwrap_or_default();
                ListItem::new(format!("{mark}v{:<3} {:<8} {when}", s.version.unwrap_or(i as i64), s.schema_type.name()))
            })
            .collect();
        let list = List::new(items).highlight_style(Style::default().fg(theme.selection_fg).bg(theme.selection_bg));
        let mut state = ListState::default().with_selected(Some(v.selected));
        f.render_stateful_widget(list, inner, &mut state);
    }
    let block = pane_block("Definition", false, theme);
    let inner = block.inner(body);
    f.render_widget(block, body);
    let Some(sel) = v.versions.get(v.selected) else { return };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} v{}", sel.schema_type.name(), sel.version.unwrap_or(0)),
            Style::default().fg(theme.accent).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(
                "   namespace compatibility: {}",
                match v.compatibility.as_deref() {
                    Some("UNDEFINED") => "UNDEFINED (the broker's default applies)",
                    Some(c) => c,
                    None => "unknown",
                }
            ),
            Style::default().fg(theme.dim),
        ),
    ])];
    lines.extend(diff_lines(v, theme));
    lines.push(Line::raw(""));
    lines.extend(definition_lines(sel, theme));
    f.render_widget(Paragraph::new(lines).scroll((v.scroll, 0)), inner);
}

fn diff_lines<'a>(v: &SchemaView, theme: &Theme) -> Vec<Line<'a>> {
    let Some((old, new)) = v.compared() else { return Vec::new() };
    let d = crate::decode::diff::diff(old, new);
    let mut lines = vec![Line::styled(
        format!("Changes v{} → v{}:", old.version.unwrap_or(0), new.version.unwrap_or(0)),
        Style::default().fg(theme.title),
    )];
    if let Some(n) = &d.note {
        lines.push(Line::styled(format!("  {n}"), Style::default().fg(theme.status_warn)));
    }
    if d.changes.is_empty() && d.note.is_none() {
        lines.push(Line::styled("  none", Style::default().fg(theme.dim)));
    }
    for c in &d.changes {
        let text = c.describe();
        let color = match text.chars().next() {
            Some('+') => theme.status_ok,
            Some('-') => theme.status_error,
            _ => theme.status_warn,
        };
        lines.push(Line::styled(format!("  {text}"), Style::default().fg(color)));
    }
    lines
}

/// Type, pretty definition and properties of one schema version.
pub fn definition_lines<'a>(s: &SchemaInfo, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = SchemaView::pretty(s).lines().map(|l| Line::raw(l.to_string())).collect();
    if !s.properties.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Properties", Style::default().fg(theme.title)));
        for (k, val) in &s.properties {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k} = "), Style::default().fg(theme.dim)),
                Span::raw(val.clone()),
            ]));
        }
    }
    lines
}
