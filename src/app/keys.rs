//! User intents ([`Action`]) and the key bindings that produce them. The help popup and
//! the README's keymap table are both generated from [`KEYMAP`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the user wants; the keymap maps keys to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    ToggleHelp,
    FocusNext,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Expand,
    Collapse,
    StartFilter,
    ClearFilter,
    Refresh,
    /// Enter: open a topic in the browser, or expand any other node.
    Open,
    /// Leave the browser (or close its detail view).
    Back,
    ToggleDetail,
    ToggleFollow,
    PickStart,
    ToggleTimes,
    ToggleRaw,
    ToggleHex,
    NextTab,
    ToggleMetrics,
    NextSort,
    ExportSelected,
    ExportAll,
    CopySelected,
    OpenSchema,
    MarkBase,
    NextPartition,
    /// The DLQ view of the namespace in use.
    OpenDlq,
    /// Requeue DLQ messages (preview first).
    Requeue,
    /// From a dead letter to its original message.
    JumpToOrigin,
    /// The write actions of the selected topic or subscription.
    Actions,
    /// Force a decoder on the browsed topic ("decode as…").
    DecodeAs,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyContext {
    Global,
    Explorer,
    Details,
    Browser,
    Metrics,
    Schema,
    Dlq,
}

impl KeyContext {
    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Global",
            KeyContext::Explorer => "Explorer",
            KeyContext::Details => "Details",
            KeyContext::Browser => "Message browser",
            KeyContext::Metrics => "Metrics",
            KeyContext::Schema => "Schema",
            KeyContext::Dlq => "Dead-letter queues",
        }
    }
}

pub struct Binding {
    pub context: KeyContext,
    pub keys: &'static [&'static str],
    pub action: Action,
    pub help: &'static str,
}

/// The default keymap. Keys are written as [`key_name`] prints them.
pub const KEYMAP: &[Binding] = &[
    Binding { context: KeyContext::Global, keys: &["q", "<C-c>"], action: Action::Quit, help: "quit" },
    Binding { context: KeyContext::Global, keys: &["?"], action: Action::ToggleHelp, help: "show / hide this help" },
    Binding { context: KeyContext::Global, keys: &["<Tab>"], action: Action::FocusNext, help: "next pane" },
    Binding { context: KeyContext::Global, keys: &["j", "<Down>"], action: Action::Down, help: "move down" },
    Binding { context: KeyContext::Global, keys: &["k", "<Up>"], action: Action::Up, help: "move up" },
    Binding { context: KeyContext::Global, keys: &["g", "<Home>"], action: Action::Top, help: "first row" },
    Binding { context: KeyContext::Global, keys: &["G", "<End>"], action: Action::Bottom, help: "last row" },
    Binding { context: KeyContext::Global, keys: &["<PgUp>", "<C-b>"], action: Action::PageUp, help: "page up" },
    Binding { context: KeyContext::Global, keys: &["<PgDn>", "<C-f>"], action: Action::PageDown, help: "page down" },
    Binding {
        context: KeyContext::Global,
        keys: &["m"],
        action: Action::ToggleMetrics,
        help: "live metrics of every broker",
    },
    Binding {
        context: KeyContext::Global,
        keys: &["S"],
        action: Action::OpenSchema,
        help: "schema versions of the topic",
    },
    Binding {
        context: KeyContext::Global,
        keys: &["r"],
        action: Action::Refresh,
        help: "reload the selected node and its stats",
    },
    Binding {
        context: KeyContext::Explorer,
        keys: &["<Enter>"],
        action: Action::Open,
        help: "browse a topic's messages; expand other nodes",
    },
    Binding {
        context: KeyContext::Explorer,
        keys: &["l", "<Right>"],
        action: Action::Expand,
        help: "expand (load children)",
    },
    Binding {
        context: KeyContext::Explorer,
        keys: &["h", "<Left>"],
        action: Action::Collapse,
        help: "collapse / go to parent",
    },
    Binding {
        context: KeyContext::Explorer,
        keys: &["/"],
        action: Action::StartFilter,
        help: "filter the tree; Enter on a full topic name jumps to it",
    },
    Binding { context: KeyContext::Explorer, keys: &["<Esc>"], action: Action::ClearFilter, help: "clear the filter" },
    Binding {
        context: KeyContext::Browser,
        keys: &["<Enter>"],
        action: Action::ToggleDetail,
        help: "open / close the message detail",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["<Esc>"],
        action: Action::Back,
        help: "close the detail, or back to the explorer",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["f"],
        action: Action::ToggleFollow,
        help: "follow new messages (tail)",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["s"],
        action: Action::PickStart,
        help: "start from: earliest, latest, -N, +N, message id, time, 15m/2h/1d",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["t"],
        action: Action::ToggleTimes,
        help: "relative / absolute times",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["p"],
        action: Action::NextPartition,
        help: "partition filter: all, then each partition in turn",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["/"],
        action: Action::StartFilter,
        help: "scan with a CEL filter (Esc stops it, Esc again leaves the results)",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["<Tab>"],
        action: Action::NextTab,
        help: "next detail tab (Value, Properties, Metadata)",
    },
    Binding { context: KeyContext::Browser, keys: &["r"], action: Action::ToggleRaw, help: "value as raw text" },
    Binding { context: KeyContext::Browser, keys: &["x"], action: Action::ToggleHex, help: "value as a hex dump" },
    Binding {
        context: KeyContext::Browser,
        keys: &["e"],
        action: Action::ExportSelected,
        help: "export the selected message (JSON lines)",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["E"],
        action: Action::ExportAll,
        help: "export every loaded message (JSON lines)",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["y"],
        action: Action::CopySelected,
        help: "copy the selected message (OSC 52 clipboard)",
    },
    Binding {
        context: KeyContext::Global,
        keys: &["D"],
        action: Action::OpenDlq,
        help: "dead-letter queues of the namespace in use",
    },
    Binding {
        context: KeyContext::Explorer,
        keys: &["a"],
        action: Action::Actions,
        help: "actions: skip, clear backlog, reset cursor, subscriptions, partitions, unload",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["R"],
        action: Action::Requeue,
        help: "requeue the selected message (or the filter's matches) of a DLQ",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["d"],
        action: Action::DecodeAs,
        help: "decode as… (string, int64, avro FILE.avsc, proto FILE.desc Msg, auto)",
    },
    Binding {
        context: KeyContext::Browser,
        keys: &["O"],
        action: Action::JumpToOrigin,
        help: "open a dead letter's original message",
    },
    Binding { context: KeyContext::Dlq, keys: &["<Enter>"], action: Action::Open, help: "browse the DLQ's messages" },
    Binding {
        context: KeyContext::Dlq,
        keys: &["R"],
        action: Action::Requeue,
        help: "requeue every message of the DLQ (preview first)",
    },
    Binding { context: KeyContext::Dlq, keys: &["<Esc>"], action: Action::Back, help: "back" },
    Binding { context: KeyContext::Metrics, keys: &["o"], action: Action::NextSort, help: "sort by the next column" },
    Binding {
        context: KeyContext::Schema,
        keys: &["b"],
        action: Action::MarkBase,
        help: "mark the version to compare with (default: the one before)",
    },
    Binding { context: KeyContext::Schema, keys: &["<Esc>"], action: Action::Back, help: "back" },
    Binding { context: KeyContext::Metrics, keys: &["/"], action: Action::StartFilter, help: "filter topics by name" },
    Binding {
        context: KeyContext::Metrics,
        keys: &["<Enter>"],
        action: Action::Open,
        help: "jump to the topic in the explorer",
    },
    Binding { context: KeyContext::Metrics, keys: &["<Esc>"], action: Action::Back, help: "back to the explorer" },
];

/// The canonical name of a key press: `j`, `G`, `<Enter>`, `<C-c>`, `<PgDn>`.
pub fn key_name(k: &KeyEvent) -> String {
    let base = match k.code {
        KeyCode::Char(c) => {
            if k.modifiers.contains(KeyModifiers::CONTROL) {
                return format!("<C-{}>", c.to_ascii_lowercase());
            }
            return c.to_string();
        }
        KeyCode::Enter => "Enter",
        KeyCode::Esc => "Esc",
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

/// Resolves a key in a pane context: the pane's own bindings first, then global ones.
pub fn resolve(context: KeyContext, key: &KeyEvent) -> Option<Action> {
    let name = key_name(key);
    if name.is_empty() {
        return None;
    }
    let lookup =
        |ctx: KeyContext| KEYMAP.iter().find(|b| b.context == ctx && b.keys.contains(&name.as_str())).map(|b| b.action);
    lookup(context).or_else(|| lookup(KeyContext::Global))
}

/// The keymap as a Markdown table (the README's keymap section is checked against it).
pub fn markdown_table() -> String {
    let mut out = String::from("| Context | Keys | Action |\n|---|---|---|\n");
    for b in KEYMAP {
        let keys: Vec<String> = b.keys.iter().map(|k| format!("`{k}`")).collect();
        out.push_str(&format!("| {} | {} | {} |\n", b.context.title(), keys.join(" "), b.help));
    }
    out
}

/// A key as shown in the status-bar hints: `<Enter>` → `Enter`.
pub fn key_name_hint(k: &str) -> &str {
    k.strip_prefix('<').and_then(|k| k.strip_suffix('>')).unwrap_or(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn names_keys_canonically() {
        assert_eq!(key_name(&key(KeyCode::Char('j'), KeyModifiers::NONE)), "j");
        assert_eq!(key_name(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)), "G");
        assert_eq!(key_name(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), "<C-c>");
        assert_eq!(key_name(&key(KeyCode::PageDown, KeyModifiers::NONE)), "<PgDn>");
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(resolve(KeyContext::Explorer, &enter), Some(Action::Open));
        assert_eq!(resolve(KeyContext::Browser, &enter), Some(Action::ToggleDetail));
        assert_eq!(resolve(KeyContext::Details, &enter), None);
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(resolve(KeyContext::Details, &q), Some(Action::Quit));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                let same_scope = a.context == b.context;
                for k in a.keys {
                    assert!(!(same_scope && b.keys.contains(k)), "{k} bound twice in {:?}", a.context);
                }
            }
        }
    }

    #[test]
    fn readme_keymap_matches_the_keymap() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        assert!(readme.contains(&markdown_table()), "README keymap table is out of date; paste:\n{}", markdown_table());
    }
}
