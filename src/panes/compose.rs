//! The compose dialog (`n`): the fields, the error at its field, the confirmed ids.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::compose::{Bulk, ComposeDialog, ComposeStage, CONFIRM, FIELDS, TO};
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
        .title(match (&d.fix, &d.bulk) {
            (Some(_), _) => " Fix and requeue a dead letter ",
            (_, Some(_)) => " Re-send the filter's matches ",
            _ => " Compose ",
        })
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
    let field = |i: usize, name: &str, text: &str, lines: &mut Vec<Line<'static>>| {
        let focused = editing && i == d.focus;
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
    };
    if let Some(b) = &d.bulk {
        let n = b.drafts.len();
        lines.push(Line::from(vec![
            Span::styled(format!("{n} matches"), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
            Span::raw(format!(" of {} on {}", b.expr, b.source)),
        ]));
        lines.push(Line::styled(
            "each as it is: payload bytes and schema version, key, ordering key, properties (+ PULSAR_TUI_RESENT_FROM), event time",
            Style::default().fg(theme.dim),
        ));
        if b.skipped > 0 {
            lines.push(Line::styled(
                format!("{} unreadable or encrypted matches left out", b.skipped),
                Style::default().fg(theme.status_warn),
            ));
        }
        lines.push(Line::raw(""));
        field(TO, FIELDS[TO], d.inputs[TO].as_str(), &mut lines);
        let confirm = format!("type {}", Bulk::confirmation_text(d.inputs[TO].as_str()));
        field(CONFIRM, &confirm, b.typed.as_str(), &mut lines);
    }
    for (i, name) in FIELDS.iter().enumerate().filter(|_| d.bulk.is_none()) {
        field(i, name, d.inputs[i].as_str(), &mut lines);
    }
    lines.push(Line::raw(""));
    match &d.stage {
        ComposeStage::Editing if d.bulk.is_some() => lines.push(Line::styled(
            "Enter re-send them all · Tab to topic / confirmation · Esc close",
            Style::default().fg(theme.dim),
        )),
        ComposeStage::Editing => lines.push(Line::styled(
            "Enter send · Tab/↓ next field · Shift+Tab/↑ previous · Ctrl+E value in $EDITOR · Esc close   (value: JSON, or text without a schema)",
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
