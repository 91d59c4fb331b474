//! How things look, shared by the panes and the frame: the colour theme and the formatting of
//! numbers, sizes, times and bytes. Pure: no I/O, no app state.

pub mod format;
pub mod theme;
