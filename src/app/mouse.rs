//! Mouse: a click selects the row under it, the wheel scrolls, in the explorer, the
//! details pane, the browser table, the metrics topics and the DLQ table.
//!
//! Where the rows are on screen is what the last frame drew: the renderer returns it as
//! [`Hits`] and the runtime stores it in the app (render itself changes nothing).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::keys::Action;
use super::{App, Focus, Mode, View};
use crate::pulsar::request::Request;

/// Rows of a list on screen: `area` holds the rows only (no border, no header), and its
/// first line shows row `offset`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListArea {
    pub area: Rect,
    pub offset: usize,
}

impl ListArea {
    /// The row index under a screen position.
    pub fn row_at(&self, x: u16, y: u16) -> Option<usize> {
        self.area.contains(Position { x, y }).then(|| self.offset + (y - self.area.y) as usize)
    }

    fn contains(&self, x: u16, y: u16) -> bool {
        self.area.contains(Position { x, y })
    }
}

/// The clickable parts of the last frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits {
    pub explorer: Option<ListArea>,
    pub details: Option<Rect>,
    pub browser: Option<ListArea>,
    pub metrics: Option<ListArea>,
    pub dlq: Option<ListArea>,
}

/// Rows one wheel notch moves.
const WHEEL_ROWS: isize = 3;

impl App {
    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Request> {
        let wheel = match m.kind {
            MouseEventKind::ScrollDown => WHEEL_ROWS,
            MouseEventKind::ScrollUp => -WHEEL_ROWS,
            MouseEventKind::Down(MouseButton::Left) => 0,
            _ => return Vec::new(), // moves and drags change nothing
        };
        // dialogs, prompts and the help popup own the screen
        if self.show_help || self.requeue.is_some() || self.action.is_some() || !matches!(self.mode, Mode::Normal) {
            return Vec::new();
        }
        self.dirty = true;
        let (x, y) = (m.column, m.row);
        let hits = self.hits;
        match self.view {
            View::Explorer => {
                if hits.details.is_some_and(|d| d.contains(Position { x, y })) {
                    self.focus = Focus::Details;
                    if wheel != 0 {
                        let by = wheel.unsigned_abs() as u16;
                        self.explorer.details.scroll = if wheel > 0 {
                            self.explorer.details.scroll.saturating_add(by)
                        } else {
                            self.explorer.details.scroll.saturating_sub(by)
                        };
                    }
                    return Vec::new();
                }
                let Some(list) = hits.explorer.filter(|l| l.contains(x, y)) else { return Vec::new() };
                self.focus = Focus::Explorer;
                if wheel != 0 {
                    self.explorer.tree.move_by(wheel);
                } else if let Some(row) = list.row_at(x, y).filter(|r| *r < self.explorer.tree.rows().len()) {
                    let delta = row as isize - self.explorer.tree.selected_index() as isize;
                    self.explorer.tree.move_by(delta);
                }
                self.sync_details()
            }
            View::Browser => self.list_mouse(hits.browser, x, y, wheel, |a| a.browser.as_ref().map(|b| b.selected)),
            View::Metrics => self.list_mouse(hits.metrics, x, y, wheel, |a| Some(a.metrics.selected)),
            View::Dlq => self.list_mouse(hits.dlq, x, y, wheel, |a| a.dlq.as_ref().map(|d| d.selected)),
            View::Schema | View::Health | View::Policies | View::Txn => match wheel {
                0 => Vec::new(),
                w => self.update(if w > 0 { Action::Down } else { Action::Up }),
            },
        }
    }

    /// A table of a full-screen view: the wheel moves its selection (anywhere over the
    /// view), a click selects the row under it.
    fn list_mouse(
        &mut self,
        list: Option<ListArea>,
        x: u16,
        y: u16,
        wheel: isize,
        selected: impl Fn(&App) -> Option<usize>,
    ) -> Vec<Request> {
        let mut out = Vec::new();
        if wheel != 0 {
            let action = if wheel > 0 { Action::Down } else { Action::Up };
            for _ in 0..wheel.abs() {
                out.extend(self.update(action));
            }
            return out;
        }
        let (Some(row), Some(current)) = (list.and_then(|l| l.row_at(x, y)), selected(self)) else { return out };
        let delta = row as isize - current as isize;
        let action = if delta > 0 { Action::Down } else { Action::Up };
        for _ in 0..delta.unsigned_abs() {
            out.extend(self.update(action));
        }
        out
    }
}
