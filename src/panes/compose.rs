//! The compose dialog (`n`): the fields, the error at its field, the confirmed ids.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::compose::{ComposeDialog, ComposeStage, FIELDS};
use crate::app::App;
use crate::style::format::truncate;
use crate::style::theme::Theme;

/// Draws the dialog centred over `area`.
pub fn render(f: &mut Frame, area: Rect, app: &App, d: &ComposeDialog, theme: &Theme) {
    let h = FIELDS.len() as u16 + 7 + u16::from(d.error.is_some()) + u16::from(app.settings.read_only);
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))]).flex(Flex::Center).areas(area);
    let [r] = Layout::horizontal([Constraint::Length(90.min(area.width))]).flex(Flex::Center).areas(r);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border_focused))
        .title(if d.fix.is_some() { " Fix and requeue a dead letter " } else { " Compose " })
        .title_style(Style::default().fg(theme.border_focused).add_modifier(Modifier::BOLD));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let width = inner.width.saturating_sub(16) as usize;
    let mut lines =
        vec![Line::styled(truncate(&d.topic.to_string(), inner.width as usize), Style::default().fg(theme.accent))];
    if app.settings.read_only {
        lines.push(Line::styled(
            "[RO] read-only mode: sending is refused",
            Style::default().fg(theme.status_error).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::raw(""));
    let editing = d.stage == ComposeStage::Editing;
    for (i, name) in FIELDS.iter().enumerate() {
        let focused = editing && i == d.focus;
        let text = d.inputs[i].as_str();
        let shown =
            if focused { format!("{}▏", truncate(text, width.saturating_sub(1))) } else { truncate(text, width) };
        let style =
            if focused { Style::default().fg(theme.selection_fg).bg(theme.selection_bg) } else { Style::default() };
        let marker = if d.error.as_ref().is_some_and(|(f, _)| *f == i) { "✗ " } else { "  " };
        lines.push(Line::from(vec![
            Span::styled(marker, Style::default().fg(theme.status_error)),
            Span::styled(format!("{name:<14}"), Style::default().fg(theme.dim)),
            Span::styled(shown, style),
        ]));
        if let Some((_, e)) = d.error.as_ref().filter(|(f, _)| *f == i) {
            lines.push(Line::styled(format!("{:16}{e}", ""), Style::default().fg(theme.status_error)));
        }
    }
    lines.push(Line::raw(""));
    match &d.stage {
        ComposeStage::Editing => lines.push(Line::styled(
            "Enter send · Tab/↓ next field · Shift+Tab/↑ previous · Esc close   (value: JSON, or text without a schema)",
            Style::default().fg(theme.dim),
        )),
        ComposeStage::Requeued(text) => {
            lines.push(Line::styled(text.clone(), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)));
            lines.push(Line::styled("Esc close", Style::default().fg(theme.dim)));
        }
        ComposeStage::Sending(_) => lines.push(Line::styled("sending… (waiting for the broker)", Style::default().fg(theme.dim))),
        ComposeStage::Sent(ids) => {
            let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            lines.push(Line::from(vec![
                Span::styled("confirmed  ", Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
                Span::raw(ids.join(", ")),
            ]));
            lines.push(Line::styled("o open it in the browser · n compose another · Esc close", Style::default().fg(theme.dim)));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
