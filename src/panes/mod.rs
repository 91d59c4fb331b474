//! One file per pane: how it draws its part of [`crate::app::App`].

pub mod browser;
pub mod compose;
pub mod details;
pub mod dlq;
pub mod explorer;
pub mod health;
pub mod metrics;
pub mod policies;
pub mod replication;
pub mod schema;
pub mod txn;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

use crate::style::theme::Theme;

/// The frame of a pane, highlighted when focused.
pub fn pane_block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    let border = if focused { theme.border_focused } else { theme.border };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(Style::default().fg(border))
        .title(format!(" {title} "))
        .title_style(Style::default().fg(if focused { theme.border_focused } else { theme.title }))
}

/// Draws the frame of a view that fills the screen (always focused) with its title
/// line, and returns the area inside it.
pub fn view_frame(f: &mut Frame, area: Rect, title: Line<'_>, theme: &Theme) -> Rect {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(Style::default().fg(theme.border_focused))
        .title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}
