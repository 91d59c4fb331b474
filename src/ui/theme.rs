//! Colours by meaning (`backlog_warn`, not `yellow`), loaded from `themes/*.toml`.

use std::str::FromStr;

use ratatui::style::Color;

const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");

macro_rules! theme_slots {
    ($($slot:ident),* $(,)?) => {
        /// Every colour the UI uses, by meaning.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme { $(pub $slot: Color,)* }

        impl Theme {
            fn set(&mut self, slot: &str, c: Color) -> bool {
                match slot {
                    $(stringify!($slot) => { self.$slot = c; true })*
                    _ => false,
                }
            }
            fn blank() -> Theme { Theme { $($slot: Color::Reset,)* } }
        }
    };
}

theme_slots!(
    border,
    border_focused,
    title,
    text,
    dim,
    accent,
    selection_fg,
    selection_bg,
    header_fg,
    header_bg,
    status_ok,
    status_warn,
    status_error,
    tenant,
    namespace,
    topic,
    partitioned,
    subscription,
    backlog_ok,
    backlog_warn,
    backlog_crit,
    dlq_badge,
);

/// A problem in a theme file: the slot and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeWarning {
    pub line: Option<usize>,
    pub message: String,
}

impl Default for Theme {
    fn default() -> Self {
        let (theme, warnings) = Theme::blank().overlay(DEFAULT_THEME);
        debug_assert!(warnings.is_empty(), "built-in theme: {warnings:?}");
        theme
    }
}

impl Theme {
    /// Applies the slots a TOML text sets on top of `self`; unknown slots and bad colours
    /// are reported with their line and skipped.
    pub fn overlay(mut self, text: &str) -> (Theme, Vec<ThemeWarning>) {
        let mut warnings = Vec::new();
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
                warnings.push(ThemeWarning { line, message: e.message().to_string() });
                return (self, warnings);
            }
        };
        for (slot, value) in table {
            let line = text.lines().position(|l| l.trim_start().starts_with(slot.as_str())).map(|i| i + 1);
            let Some(s) = value.as_str() else {
                warnings.push(ThemeWarning { line, message: format!("{slot}: a colour must be a string") });
                continue;
            };
            match parse_color(s) {
                Some(c) => {
                    if !self.set(&slot, c) {
                        warnings.push(ThemeWarning { line, message: format!("unknown theme slot {slot:?}") });
                    }
                }
                None => warnings.push(ThemeWarning { line, message: format!("{slot}: {s:?} is not a colour") }),
            }
        }
        warnings.sort_by_key(|w| w.line);
        (self, warnings)
    }
}

fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    Color::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_sets_every_slot_without_warnings() {
        let (_, warnings) = Theme::blank().overlay(DEFAULT_THEME);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(Theme::default().border_focused, Color::Cyan);
        assert_eq!(Theme::default().backlog_crit, Color::LightRed);
    }

    #[test]
    fn a_partial_override_keeps_other_slots_and_names_bad_lines() {
        let text = "border_focused = \"#ff8800\"\nnot_a_slot = \"red\"\nbacklog_warn = \"blurple\"\n";
        let (t, w) = Theme::default().overlay(text);
        assert_eq!(t.border_focused, Color::Rgb(0xff, 0x88, 0x00));
        assert_eq!(t.backlog_ok, Theme::default().backlog_ok);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].line, Some(2));
        assert_eq!(w[1].line, Some(3));
    }
}
