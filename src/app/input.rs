//! The one line editor of every prompt (filters, start position, scan, "decode as…",
//! the palette, the typed confirmations and the action dialog's parameter).

use std::borrow::Cow;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The text of a one-line prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
}

/// What a key did to a [`LineInput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed (a character typed or erased).
    Changed,
    /// Esc.
    Cancel,
    /// Ctrl+C.
    Interrupt,
    /// Enter.
    Submit,
    /// Not an editing key: the prompt's owner may use it (Tab, arrows…).
    Ignored,
}

impl LineInput {
    pub fn new(text: impl Into<String>) -> LineInput {
        LineInput { text: text.into() }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text without surrounding blanks (what a submitted prompt means).
    pub fn trimmed(&self) -> String {
        self.text.trim().to_string()
    }

    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Applies a key: characters are typed, Backspace erases the last one.
    pub fn key(&mut self, k: &KeyEvent) -> Edit {
        match k.code {
            KeyCode::Esc => Edit::Cancel,
            KeyCode::Enter => Edit::Submit,
            _ if is_interrupt(k) => Edit::Interrupt,
            KeyCode::Backspace => {
                self.text.pop();
                Edit::Changed
            }
            KeyCode::Char(c) => {
                self.text.push(c);
                Edit::Changed
            }
            _ => Edit::Ignored,
        }
    }
}

/// Ctrl+C: quits from any prompt.
pub fn is_interrupt(k: &KeyEvent) -> bool {
    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL)
}

impl std::ops::Deref for LineInput {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for LineInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<&str> for LineInput {
    fn from(s: &str) -> LineInput {
        LineInput::new(s)
    }
}

impl From<String> for LineInput {
    fn from(s: String) -> LineInput {
        LineInput::new(s)
    }
}

impl<'a> From<LineInput> for Cow<'a, str> {
    fn from(l: LineInput) -> Cow<'a, str> {
        Cow::Owned(l.text)
    }
}

impl PartialEq<str> for LineInput {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for LineInput {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for LineInput {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn types_erases_and_reports_the_keys_it_does_not_edit_with() {
        let mut l = LineInput::default();
        assert_eq!(l.key(&k(KeyCode::Char('a'))), Edit::Changed);
        assert_eq!(l.key(&k(KeyCode::Char('b'))), Edit::Changed);
        assert_eq!(l.key(&k(KeyCode::Backspace)), Edit::Changed);
        assert_eq!(l, "a");
        assert_eq!(l.key(&k(KeyCode::Enter)), Edit::Submit);
        assert_eq!(l.key(&k(KeyCode::Esc)), Edit::Cancel);
        assert_eq!(l.key(&k(KeyCode::Tab)), Edit::Ignored);
        assert_eq!(l.key(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Edit::Interrupt);
        assert_eq!(l.to_string(), "a");
    }
}
