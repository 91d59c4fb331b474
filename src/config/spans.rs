//! Where each key of a TOML file is written: its line, from the spans toml's own
//! parser keeps (`toml::de::DeTable`), so warnings name the line without a second,
//! hand-written reading of the file.

use std::collections::HashMap;

use toml::de::{DeTable, DeValue};

/// The line (1-based) of every key path of a TOML text: `["contexts", "prod", "token"]`.
/// A table written as a `[header]` has the header's line.
#[derive(Debug, Default)]
pub struct KeyLines {
    lines: HashMap<Vec<String>, usize>,
}

impl KeyLines {
    /// The key lines of `text`; empty when it is not valid TOML (its error has the line).
    pub fn of(text: &str) -> KeyLines {
        let mut out = KeyLines::default();
        if let Ok(table) = DeTable::parse(text) {
            out.walk(text, table.get_ref(), &mut Vec::new());
        }
        out
    }

    fn walk(&mut self, text: &str, table: &DeTable<'_>, path: &mut Vec<String>) {
        for (key, value) in table.iter() {
            path.push(key.get_ref().to_string());
            self.lines.entry(path.clone()).or_insert_with(|| line_of(text, key.span().start));
            if let DeValue::Table(t) = value.get_ref() {
                self.walk(text, t, path);
            }
            path.pop();
        }
    }

    /// The line of a key path; a missing key has the line of its nearest enclosing key.
    pub fn line(&self, path: &[&str]) -> Option<usize> {
        (1..=path.len()).rev().find_map(|n| {
            let key: Vec<String> = path[..n].iter().map(|s| s.to_string()).collect();
            self.lines.get(&key).copied()
        })
    }
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_headers_and_nested_keys() {
        let text = "a = 1\n\n[contexts.prod]\n# comment\nservice_url = \"x\"\n\"quoted\" = 2\n[health]\nx = 1\n";
        let lines = KeyLines::of(text);
        assert_eq!(lines.line(&["a"]), Some(1));
        assert_eq!(lines.line(&["contexts", "prod"]), Some(3));
        assert_eq!(lines.line(&["contexts", "prod", "service_url"]), Some(5));
        assert_eq!(lines.line(&["contexts", "prod", "quoted"]), Some(6));
        assert_eq!(lines.line(&["health"]), Some(7));
        assert_eq!(lines.line(&["health", "missing"]), Some(7), "falls back to the table's line");
        assert_eq!(lines.line(&["nowhere"]), None);
    }

    #[test]
    fn a_key_that_is_a_prefix_of_another_is_not_confused() {
        let text = "start_view_x = 1\nstart_view = \"health\"\n";
        assert_eq!(KeyLines::of(text).line(&["start_view"]), Some(2));
    }
}
