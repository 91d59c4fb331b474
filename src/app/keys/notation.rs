//! Key notation: how a key is written in a keymap file and shown in the help
//! (`q`, `G`, `<C-c>`, `<Enter>`, `<F5>`), read from text and named from a key event.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Named keys: the file's names (lowercase) and their canonical form.
const NAMED: &[(&str, &str)] = &[
    ("enter", "<Enter>"),
    ("return", "<Enter>"),
    ("esc", "<Esc>"),
    ("escape", "<Esc>"),
    ("tab", "<Tab>"),
    ("backtab", "<S-Tab>"),
    ("backspace", "<BS>"),
    ("bs", "<BS>"),
    ("up", "<Up>"),
    ("down", "<Down>"),
    ("left", "<Left>"),
    ("right", "<Right>"),
    ("home", "<Home>"),
    ("end", "<End>"),
    ("pgup", "<PgUp>"),
    ("pageup", "<PgUp>"),
    ("pgdn", "<PgDn>"),
    ("pagedown", "<PgDn>"),
    ("del", "<Del>"),
    ("delete", "<Del>"),
    ("space", "<Space>"),
];

/// Parses a key as written in a keymap file — `q`, `G`, `ctrl+c`, `shift+tab`, `pgdn`,
/// `f5`, or the help's own notation `<C-c>`, `<Enter>` — into its canonical name.
pub fn parse_key(text: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("cannot read key {text:?}: {why}"));
    if text.is_empty() {
        return bad("empty");
    }
    // the help's notation: <C-c>, <A-x>, <S-Tab>, <Enter>
    let (mods, base): (Vec<String>, String) = match text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        Some(inner) if inner.len() > 1 => {
            let mut parts: Vec<&str> = inner.split('-').collect();
            let base = parts.pop().unwrap_or_default();
            let base = if base.is_empty() && inner.ends_with('-') { "-" } else { base };
            (parts.iter().filter(|m| !m.is_empty()).map(|m| m.to_ascii_lowercase()).collect(), base.to_string())
        }
        _ if text.chars().count() == 1 => (Vec::new(), text.to_string()),
        _ => {
            let (mods, base) = match text.rsplit_once('+') {
                Some((m, "")) => (m.strip_suffix('+').unwrap_or(m), "+"), // ctrl++
                Some((m, b)) => (m, b),
                None => ("", text),
            };
            let mods = mods.split('+').filter(|m| !m.is_empty()).map(|m| m.trim().to_ascii_lowercase()).collect();
            (mods, base.trim().to_string())
        }
    };
    let (mut ctrl, mut alt, mut shift) = (false, false, false);
    for m in &mods {
        match m.as_str() {
            "ctrl" | "control" | "c" => ctrl = true,
            "alt" | "meta" | "a" | "m" => alt = true,
            "shift" | "s" => shift = true,
            other => return bad(&format!("unknown modifier {other:?} (ctrl, alt, shift)")),
        }
    }
    let mut chars = base.chars();
    if let (Some(c), None) = (chars.next(), chars.clone().next()) {
        if c.is_control() {
            return bad("a control character");
        }
        let c = if shift && c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c };
        return Ok(if ctrl {
            format!("<C-{}>", c.to_ascii_lowercase())
        } else if alt {
            format!("<A-{c}>")
        } else if c == ' ' {
            "<Space>".into()
        } else {
            c.to_string()
        });
    }
    let lower = base.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()).filter(|n| (1..=24).contains(n)) {
        if ctrl || alt || shift {
            return bad("modifiers on function keys are not supported");
        }
        return Ok(format!("<F{n}>"));
    }
    let lower = if lower == "s-tab" { "backtab".to_string() } else { lower };
    let Some((_, canonical)) =
        NAMED.iter().find(|(n, c)| *n == lower || c.trim_matches(['<', '>']).eq_ignore_ascii_case(&lower))
    else {
        return bad("unknown key name (enter, esc, tab, backspace, up, down, left, right, home, end, pgup, pgdn, del, space, f1…f24)");
    };
    match (*canonical, ctrl, alt, shift) {
        ("<Tab>", false, false, true) => Ok("<S-Tab>".into()),
        (c, false, false, false) => Ok(c.to_string()),
        _ => bad("only shift+tab takes a modifier among named keys"),
    }
}

/// The canonical name of a key press: `j`, `G`, `<Enter>`, `<C-c>`, `<A-x>`, `<PgDn>`.
pub fn key_name(k: &KeyEvent) -> String {
    let base = match k.code {
        KeyCode::Char(c) => {
            if k.modifiers.contains(KeyModifiers::CONTROL) {
                return format!("<C-{}>", c.to_ascii_lowercase());
            }
            if k.modifiers.contains(KeyModifiers::ALT) {
                return format!("<A-{c}>");
            }
            if c == ' ' {
                return "<Space>".into();
            }
            return c.to_string();
        }
        KeyCode::Enter => "Enter",
        KeyCode::Esc => "Esc",
        KeyCode::Tab if k.modifiers.contains(KeyModifiers::SHIFT) => "S-Tab",
        KeyCode::Tab => "Tab",
        KeyCode::BackTab => "S-Tab",
        KeyCode::Backspace => "BS",
        KeyCode::Up => "Up",
        KeyCode::Down => "Down",
        KeyCode::Left => "Left",
        KeyCode::Right => "Right",
        KeyCode::Home => "Home",
        KeyCode::End => "End",
        KeyCode::PageUp => "PgUp",
        KeyCode::PageDown => "PgDn",
        KeyCode::Delete => "Del",
        KeyCode::F(n) => return format!("<F{n}>"),
        _ => return String::new(),
    };
    format!("<{base}>")
}

/// A key as shown in the status-bar hints: `<Enter>` → `Enter`.
pub fn key_name_hint(k: &str) -> &str {
    k.strip_prefix('<').and_then(|k| k.strip_suffix('>')).unwrap_or(k)
}
