//! User intents ([`Action`]) and the key bindings that produce them.
//!
//! The bindings live in `assets/default-keymap.toml` (embedded); a user's `keymap.toml`
//! rebinds or unbinds single keys on top of it ([`Keymap::with_user`]). The help popup,
//! the status-bar hints and the README's keymap table are all generated from a [`Keymap`].

use std::path::Path;
use std::sync::OnceLock;

use crossterm::event::KeyEvent;

use crate::config::spans::{line_of, KeyLines};
use crate::config::ConfigWarning;

/// The documented default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/default-keymap.toml");

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What the user wants; the keymap maps keys to these.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($(#[$doc])* $variant,)* }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The action's name in keymap files (snake_case).
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }
        }
    };
}

actions! {
    Quit = "quit",
    ToggleHelp = "help",
    /// `:` opens the command palette.
    Palette = "palette",
    FocusNext = "next_pane",
    Up = "up",
    Down = "down",
    Top = "top",
    Bottom = "bottom",
    PageUp = "page_up",
    PageDown = "page_down",
    Expand = "expand",
    Collapse = "collapse",
    StartFilter = "filter",
    ClearFilter = "clear_filter",
    Refresh = "reload",
    /// Enter: open a topic in the browser, or expand any other node.
    Open = "open",
    /// Leave the browser (or close its detail view).
    Back = "back",
    ToggleDetail = "detail",
    ToggleFollow = "follow",
    PickStart = "start_from",
    ToggleTimes = "times",
    ToggleRaw = "raw",
    ToggleHex = "hex",
    NextTab = "next_tab",
    ToggleMetrics = "metrics",
    NextSort = "sort",
    ExportSelected = "export_selected",
    ExportAll = "export_all",
    CopySelected = "copy",
    OpenSchema = "schema",
    MarkBase = "mark_base",
    NextPartition = "next_partition",
    /// The DLQ view of the namespace in use.
    OpenDlq = "dlq",
    /// Requeue DLQ messages (preview first).
    Requeue = "requeue",
    /// From a dead letter to its original message.
    JumpToOrigin = "origin",
    /// The write actions of the selected topic or subscription.
    Actions = "actions",
    /// Force a decoder on the browsed topic ("decode as…").
    DecodeAs = "decode_as",
    /// The health view: what is wrong right now, across the cluster.
    OpenHealth = "health",
    /// The transactions view: coordinators, open and slow transactions, what they hold back.
    OpenTxn = "txn",
    /// Abort the selected transaction (preview, then its id typed to confirm).
    AbortTxn = "abort_txn",
    /// The policies of the selected namespace or topic.
    OpenPolicies = "policies",
    /// Change the selected policy (before → after, typed name when it can drop data).
    EditPolicy = "edit_policy",
    /// Remove the selected policy's value at this level (the next level applies again).
    RemovePolicy = "remove_policy",
    /// The rate the partition estimate aims at.
    TargetRate = "target_rate",
    /// Geo-replication: the selected topic in the other cluster's context.
    OtherCluster = "other_cluster",
    /// Geo-replication: compare the selected topic on both clusters.
    CheckReplication = "check_replication",
    /// The compose dialog on the topic: a message encoded with its schema.
    Compose = "compose",
    /// Re-send the selected message (the compose dialog, filled; as is unless edited).
    Resend = "resend",
    /// Fix a dead letter's value and requeue it (the journaled requeue path).
    FixRequeue = "fix_requeue",
    /// Re-send the filter scan's matches (preview, the target's name typed to confirm).
    ResendMatches = "resend_matches",
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Actions that move messages. They only open a preview that asks for a typed
    /// confirmation, and may never be bound to a bare lowercase letter (one slip of the
    /// finger while reading must not start a write). (`actions` only opens a menu; each
    /// of its writes asks for its own typed confirmation.)
    pub fn writes(self) -> bool {
        matches!(self, Action::Requeue | Action::AbortTxn)
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    Global,
    Explorer,
    Details,
    Browser,
    Metrics,
    Schema,
    Dlq,
    Health,
    Txn,
    Policies,
}

impl KeyContext {
    pub const ALL: [KeyContext; 10] = [
        KeyContext::Global,
        KeyContext::Explorer,
        KeyContext::Details,
        KeyContext::Browser,
        KeyContext::Dlq,
        KeyContext::Metrics,
        KeyContext::Schema,
        KeyContext::Health,
        KeyContext::Txn,
        KeyContext::Policies,
    ];

    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Global",
            KeyContext::Explorer => "Explorer",
            KeyContext::Details => "Details",
            KeyContext::Browser => "Message browser",
            KeyContext::Metrics => "Metrics",
            KeyContext::Schema => "Schema",
            KeyContext::Dlq => "Dead-letter queues",
            KeyContext::Health => "Health",
            KeyContext::Txn => "Transactions",
            KeyContext::Policies => "Policies",
        }
    }

    /// The table of a keymap file holding this context's bindings.
    pub fn section(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Explorer => "explorer",
            KeyContext::Details => "details",
            KeyContext::Browser => "browser",
            KeyContext::Metrics => "metrics",
            KeyContext::Schema => "schema",
            KeyContext::Dlq => "dlq",
            KeyContext::Health => "health",
            KeyContext::Txn => "txn",
            KeyContext::Policies => "policies",
        }
    }

    pub fn from_section(s: &str) -> Option<KeyContext> {
        KeyContext::ALL.into_iter().find(|c| c.section() == s)
    }
}

/// What an action does in a context, for the help, the hints and the README.
const HELP: &[(KeyContext, Action, &str)] = &[
    (KeyContext::Global, Action::Quit, "quit"),
    (KeyContext::Global, Action::ToggleHelp, "show / hide this help"),
    (KeyContext::Global, Action::Palette, "command palette (:ctx, :topic, :dlq, :metrics, :health, :q)"),
    (KeyContext::Global, Action::FocusNext, "next pane"),
    (KeyContext::Global, Action::Down, "move down"),
    (KeyContext::Global, Action::Up, "move up"),
    (KeyContext::Global, Action::Top, "first row"),
    (KeyContext::Global, Action::Bottom, "last row"),
    (KeyContext::Global, Action::PageUp, "page up"),
    (KeyContext::Global, Action::PageDown, "page down"),
    (KeyContext::Global, Action::ToggleMetrics, "live metrics of every broker"),
    (KeyContext::Global, Action::OpenSchema, "schema versions of the topic"),
    (KeyContext::Global, Action::Refresh, "reload the selected node and its stats"),
    (KeyContext::Global, Action::OpenDlq, "dead-letter queues of the namespace in use"),
    (KeyContext::Global, Action::OpenHealth, "health: what is wrong right now, across the cluster"),
    (KeyContext::Global, Action::OpenTxn, "transactions: open and slow ones, what they hold back"),
    (KeyContext::Explorer, Action::Open, "browse a topic's messages; expand other nodes"),
    (KeyContext::Explorer, Action::Expand, "expand (load children)"),
    (KeyContext::Explorer, Action::Collapse, "collapse / go to parent"),
    (KeyContext::Explorer, Action::StartFilter, "filter the tree; Enter on a full topic name jumps to it"),
    (KeyContext::Explorer, Action::ClearFilter, "clear the filter"),
    (
        KeyContext::Explorer,
        Action::Actions,
        "actions: skip, clear backlog, reset cursor, subscriptions, partitions, unload",
    ),
    (KeyContext::Explorer, Action::OtherCluster, "geo-replication: the same topic in the other cluster's context"),
    (KeyContext::Explorer, Action::CheckReplication, "geo-replication: what the other cluster is missing of the topic"),
    (KeyContext::Browser, Action::ToggleDetail, "open / close the message detail"),
    (KeyContext::Browser, Action::Back, "close the detail, or back to the explorer"),
    (KeyContext::Browser, Action::ToggleFollow, "follow new messages (tail)"),
    (KeyContext::Browser, Action::PickStart, "start from: earliest, latest, -N, +N, message id, time, 15m/2h/1d"),
    (KeyContext::Browser, Action::ToggleTimes, "relative / absolute times"),
    (KeyContext::Browser, Action::NextPartition, "partition filter: all, then each partition in turn"),
    (KeyContext::Browser, Action::StartFilter, "scan with a CEL filter (Esc stops it, Esc again leaves the results)"),
    (KeyContext::Browser, Action::NextTab, "next detail tab (Value, Properties, Metadata)"),
    (KeyContext::Browser, Action::ToggleRaw, "value as raw text"),
    (KeyContext::Browser, Action::ToggleHex, "value as a hex dump"),
    (KeyContext::Browser, Action::ExportSelected, "export the selected message (JSON lines)"),
    (KeyContext::Browser, Action::ExportAll, "export every loaded message (JSON lines)"),
    (KeyContext::Browser, Action::CopySelected, "copy the selected message (OSC 52 clipboard)"),
    (KeyContext::Browser, Action::Requeue, "requeue the selected message (or the filter's matches) of a DLQ"),
    (KeyContext::Browser, Action::DecodeAs, "decode as… (string, int64, avro FILE.avsc, proto FILE.desc Msg, auto)"),
    (KeyContext::Browser, Action::JumpToOrigin, "open a dead letter's original message"),
    (KeyContext::Dlq, Action::Open, "browse the DLQ's messages"),
    (KeyContext::Dlq, Action::Requeue, "requeue every message of the DLQ (preview first)"),
    (KeyContext::Dlq, Action::Back, "back"),
    (KeyContext::Metrics, Action::NextSort, "sort by the next column"),
    (KeyContext::Metrics, Action::StartFilter, "filter topics by name"),
    (KeyContext::Metrics, Action::Open, "jump to the topic in the explorer"),
    (KeyContext::Metrics, Action::Back, "back to the explorer"),
    (KeyContext::Schema, Action::MarkBase, "mark the version to compare with (default: the one before)"),
    (KeyContext::Schema, Action::Back, "back"),
    (KeyContext::Health, Action::Open, "open where the finding points (subscription, DLQ, topic, metrics)"),
    (KeyContext::Health, Action::Refresh, "ask the brokers again now (health checks, ages, quotas)"),
    (KeyContext::Health, Action::Back, "back"),
    (KeyContext::Txn, Action::Open, "browse the selected transaction's topic"),
    (KeyContext::Txn, Action::Refresh, "ask the coordinators again now"),
    (KeyContext::Txn, Action::AbortTxn, "abort the selected transaction (preview, typed confirmation; super-user)"),
    (KeyContext::Txn, Action::Back, "back"),
    (KeyContext::Explorer, Action::OpenPolicies, "policies of the namespace or topic, with their source, and capacity"),
    (
        KeyContext::Policies,
        Action::EditPolicy,
        "change the selected policy (preview, typed name when it can drop data)",
    ),
    (
        KeyContext::Policies,
        Action::RemovePolicy,
        "remove the value set at this level (the namespace or broker default applies)",
    ),
    (KeyContext::Policies, Action::TargetRate, "target rate (msg/s) for the partitions estimate"),
    (KeyContext::Policies, Action::Refresh, "read the policies and rates again"),
    (KeyContext::Policies, Action::Back, "back"),
    (KeyContext::Explorer, Action::Compose, "compose a message on the topic (value, key, properties, options)"),
    (KeyContext::Browser, Action::Compose, "compose a message on the browsed topic"),
    (KeyContext::Browser, Action::Resend, "re-send the selected message (as is, or edited first)"),
    (KeyContext::Browser, Action::FixRequeue, "fix a dead letter's value, then requeue it to its original topic"),
    (
        KeyContext::Browser,
        Action::ResendMatches,
        "re-send the filter's matches, as they are (to this or another topic)",
    ),
];

/// The help text of an action in a context (its name, spelled out, when the built-in
/// help has nothing for that pair: a user bound it somewhere new).
pub fn help_of(context: KeyContext, action: Action) -> String {
    HELP.iter()
        .find(|(c, a, _)| *c == context && *a == action)
        .or_else(|| HELP.iter().find(|(_, a, _)| *a == action))
        .map(|(_, _, h)| h.to_string())
        .unwrap_or_else(|| action.name().replace('_', " "))
}

/// One action of one context and the keys that trigger it (canonical names, see
/// [`key_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: KeyContext,
    pub keys: Vec<String>,
    pub action: Action,
    pub help: String,
}

/// The effective key bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    /// The embedded default keymap.
    fn default() -> Keymap {
        static DEFAULT: OnceLock<Keymap> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                let (map, warnings) =
                    Keymap { bindings: Vec::new() }.overlay(Path::new("default-keymap.toml"), DEFAULT_KEYMAP);
                debug_assert!(warnings.is_empty(), "built-in keymap: {warnings:?}");
                map
            })
            .clone()
    }
}

/// A key's value in a keymap file: one key or a list; empty unbinds.
fn key_list(v: &toml::Value) -> Option<Vec<&str>> {
    match v {
        toml::Value::String(s) if s.is_empty() => Some(Vec::new()),
        toml::Value::String(s) => Some(vec![s.as_str()]),
        toml::Value::Array(a) => a.iter().map(|v| v.as_str()).collect(),
        _ => None,
    }
}

impl Keymap {
    /// The default keymap with a user's keymap file on top. A missing file is no problem;
    /// anything unusable in it is a warning with its line, and is skipped.
    pub fn load(path: &Path) -> (Keymap, Vec<ConfigWarning>) {
        match std::fs::read_to_string(path) {
            Ok(text) => Keymap::default().overlay(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Keymap::default(), Vec::new()),
            Err(e) => (
                Keymap::default(),
                vec![ConfigWarning { file: path.to_path_buf(), line: None, message: format!("cannot read: {e}") }],
            ),
        }
    }

    /// The default keymap with the user's keymap text on top.
    pub fn with_user(path: &Path, text: &str) -> (Keymap, Vec<ConfigWarning>) {
        Keymap::default().overlay(path, text)
    }

    /// Applies a keymap file: each `action = keys` replaces that action's keys in its
    /// context; a key taken from another action of the same context leaves that action.
    fn overlay(mut self, path: &Path, text: &str) -> (Keymap, Vec<ConfigWarning>) {
        let warn = |line: Option<usize>, message: String| ConfigWarning { file: path.to_path_buf(), line, message };
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map(|s| line_of(text, s.start));
                return (self, vec![warn(line, format!("not valid TOML, file ignored: {}", e.message()))]);
            }
        };
        let mut warnings = Vec::new();
        let lines = KeyLines::of(text);
        let mut sections: Vec<(Option<usize>, &String, &toml::Value)> =
            table.iter().map(|(k, v)| (lines.line(&[k]), k, v)).collect();
        sections.sort_by_key(|(line, _, _)| *line);
        for (header, section, value) in sections {
            let Some(context) = KeyContext::from_section(section) else {
                let known: Vec<&str> = KeyContext::ALL.iter().map(|c| c.section()).collect();
                warnings.push(warn(header, format!("unknown section [{section}] (one of: {})", known.join(", "))));
                continue;
            };
            let Some(entries) = value.as_table() else {
                warnings.push(warn(header, format!("{section} must be a table: [{section}]")));
                continue;
            };
            let mut entries: Vec<(Option<usize>, &String, &toml::Value)> =
                entries.iter().map(|(k, v)| (lines.line(&[section, k]), k, v)).collect();
            entries.sort_by_key(|(line, _, _)| *line);
            // keys this file bound in this context: a second use is a mistake
            let mut taken: Vec<(String, Action)> = Vec::new();
            for (line, name, value) in entries {
                let Some(action) = Action::from_name(name) else {
                    warnings.push(warn(line, format!("[{section}] unknown action {name:?} (ignored)")));
                    continue;
                };
                let Some(raw) = key_list(value) else {
                    warnings
                        .push(warn(line, format!("[{section}] {name}: keys must be a string or a list of strings")));
                    continue;
                };
                let unbind = raw.is_empty();
                let mut keys = Vec::new();
                for k in raw {
                    match parse_key(k) {
                        Err(e) => warnings.push(warn(line, format!("[{section}] {name}: {e} (ignored)"))),
                        Ok(k) if action.writes() && is_bare_lowercase(&k) => warnings.push(warn(
                            line,
                            format!(
                                "[{section}] {name}: {k:?} is a bare lowercase letter; actions that write need \
                                 a shifted or modified key (ignored)"
                            ),
                        )),
                        Ok(k) => match taken.iter().find(|(t, _)| *t == k) {
                            Some((_, other)) => warnings.push(warn(
                                line,
                                format!(
                                    "[{section}] {name}: {k} is already bound to {} in this file (ignored)",
                                    other.name()
                                ),
                            )),
                            None if keys.contains(&k) => {}
                            None => keys.push(k),
                        },
                    }
                }
                if keys.is_empty() && !unbind {
                    continue; // nothing usable: the action keeps its keys
                }
                for k in &keys {
                    taken.push((k.clone(), action));
                }
                self.bind(context, action, keys);
            }
        }
        (self, warnings)
    }

    /// Gives `action` exactly `keys` in `context` (none: unbound there).
    fn bind(&mut self, context: KeyContext, action: Action, keys: Vec<String>) {
        for b in self.bindings.iter_mut().filter(|b| b.context == context && b.action != action) {
            b.keys.retain(|k| !keys.contains(k));
        }
        match self.bindings.iter_mut().find(|b| b.context == context && b.action == action) {
            Some(b) => b.keys = keys,
            None => {
                // a new pair goes after the last binding of its context
                let at =
                    self.bindings.iter().rposition(|b| b.context == context).map_or(self.bindings.len(), |i| i + 1);
                let help = help_of(context, action);
                self.bindings.insert(at, Binding { context, keys, action, help });
            }
        }
    }

    /// The bindings that have at least one key, in file order.
    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(|b| !b.keys.is_empty())
    }

    /// Resolves a key in a pane context: the pane's own bindings first, then global ones.
    pub fn resolve(&self, context: KeyContext, key: &KeyEvent) -> Option<Action> {
        let name = key_name(key);
        if name.is_empty() {
            return None;
        }
        let lookup = |ctx: KeyContext| {
            self.bindings.iter().find(|b| b.context == ctx && b.keys.contains(&name)).map(|b| b.action)
        };
        lookup(context).or_else(|| lookup(KeyContext::Global))
    }

    /// The first key of an action in a context (or in the global context), for hints.
    pub fn key_for(&self, context: KeyContext, action: Action) -> Option<&str> {
        [context, KeyContext::Global]
            .into_iter()
            .find_map(|ctx| {
                self.bindings.iter().find(|b| b.context == ctx && b.action == action).and_then(|b| b.keys.first())
            })
            .map(String::as_str)
    }

    /// The keymap as a Markdown table (the README's keymap section is checked against it).
    pub fn markdown_table(&self) -> String {
        let mut out = String::from("| Context | Keys | Action |\n|---|---|---|\n");
        for b in self.bindings() {
            let keys: Vec<String> = b.keys.iter().map(|k| format!("`{k}`")).collect();
            out.push_str(&format!("| {} | {} | {} |\n", b.context.title(), keys.join(" "), b.help));
        }
        out
    }
}

fn is_bare_lowercase(k: &str) -> bool {
    let mut chars = k.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_lowercase())
}

mod notation;
pub use notation::{key_name, key_name_hint, parse_key};

#[cfg(test)]
mod tests;
