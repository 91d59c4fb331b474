//! Colours by meaning (`backlog_warn`, not `yellow`), loaded from `themes/*.toml`.

use std::str::FromStr;

use ratatui::style::Color;

const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");

/// The built-in themes (`--theme NAME`), embedded from `themes/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", DEFAULT_THEME),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

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

impl Theme {
    /// The theme called `name`: a user theme `<dir>/NAME.toml` from the first of `dirs`
    /// that has one (laid over the default, so it may set only some slots), else a
    /// built-in one. An unknown name is an error listing what exists.
    pub fn named(name: &str, dirs: &[std::path::PathBuf]) -> Result<(Theme, Vec<ThemeWarning>), String> {
        for dir in dirs {
            let path = dir.join(format!("{name}.toml"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                let (theme, warnings) = Theme::default().overlay(&text);
                let warnings = warnings
                    .into_iter()
                    .map(|w| ThemeWarning { message: format!("{}: {}", path.display(), w.message), ..w })
                    .collect();
                return Ok((theme, warnings));
            }
        }
        match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => Ok(Theme::default().overlay(text)),
            None => Err(format!(
                "unknown theme {name:?}: built in are {}; user themes go in {}",
                BUILT_IN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
                dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")
            )),
        }
    }
}

/// A colour as themes and contexts write it: a name, `#rrggbb` or an index 0-255.
pub fn parse_color(s: &str) -> Option<Color> {
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
    fn built_in_themes_set_every_slot_and_differ() {
        for (name, text) in BUILT_IN {
            let (_, warnings) = Theme::blank().overlay(text);
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            // every slot is set: a blank theme overlaid equals the default overlaid
            let (from_blank, _) = Theme::blank().overlay(text);
            let (from_default, _) = Theme::default().overlay(text);
            assert_eq!(from_blank, from_default, "{name} leaves a slot unset");
        }
        let light = Theme::named("light", &[]).unwrap().0;
        let hc = Theme::named("high-contrast", &[]).unwrap().0;
        assert_ne!(light, Theme::default());
        assert_ne!(hc, light);
        assert!(Theme::named("nope", &[]).unwrap_err().contains("high-contrast"));
    }

    #[test]
    fn a_user_theme_overrides_some_slots_of_the_default() {
        let dir = std::env::temp_dir().join(format!("pulsar-tui-themes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("mine.toml"), "dlq_badge = \"#123456\"\nbogus = \"red\"\n").unwrap();
        let (t, w) = Theme::named("mine", std::slice::from_ref(&dir)).unwrap();
        assert_eq!(t.dlq_badge, Color::Rgb(0x12, 0x34, 0x56));
        assert_eq!(t.border_focused, Theme::default().border_focused);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("mine.toml") && w[0].message.contains("bogus"), "{w:?}");
        // a user file named like a built-in wins
        std::fs::write(dir.join("light.toml"), "accent = \"red\"\n").unwrap();
        assert_eq!(Theme::named("light", std::slice::from_ref(&dir)).unwrap().0.accent, Color::Red);
        let _ = std::fs::remove_dir_all(&dir);
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
