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

use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders};

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
