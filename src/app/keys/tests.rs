//! The keymap: defaults, the user's file, its mistakes, key names.

use super::*;
use crossterm::event::{KeyCode, KeyModifiers};

fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

#[test]
fn names_keys_canonically() {
    assert_eq!(key_name(&key(KeyCode::Char('j'), KeyModifiers::NONE)), "j");
    assert_eq!(key_name(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)), "G");
    assert_eq!(key_name(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), "<C-c>");
    assert_eq!(key_name(&key(KeyCode::PageDown, KeyModifiers::NONE)), "<PgDn>");
    assert_eq!(key_name(&key(KeyCode::BackTab, KeyModifiers::SHIFT)), "<S-Tab>");
    assert_eq!(key_name(&key(KeyCode::Char('x'), KeyModifiers::ALT)), "<A-x>");
}

#[test]
fn keys_are_parsed_in_both_notations() {
    for (text, want) in [
        ("q", "q"),
        ("G", "G"),
        ("shift+g", "G"),
        ("ctrl+c", "<C-c>"),
        ("Ctrl+C", "<C-c>"),
        ("<C-c>", "<C-c>"),
        ("alt+x", "<A-x>"),
        ("enter", "<Enter>"),
        ("<Enter>", "<Enter>"),
        ("Esc", "<Esc>"),
        ("shift+tab", "<S-Tab>"),
        ("<S-Tab>", "<S-Tab>"),
        ("pgdn", "<PgDn>"),
        ("PageUp", "<PgUp>"),
        ("f5", "<F5>"),
        ("space", "<Space>"),
        ("+", "+"),
        ("ctrl++", "<C-+>"),
        ("<", "<"),
    ] {
        assert_eq!(parse_key(text).as_deref(), Ok(want), "{text}");
    }
    for text in ["", "hyper+x", "ctrl+enter", "pgdown", "f99", "ab"] {
        assert!(parse_key(text).is_err(), "{text} should not parse");
    }
}

#[test]
fn every_key_of_the_default_keymap_names_a_key_press() {
    // each canonical name must be what key_name() produces for some key press
    for b in Keymap::default().bindings() {
        for k in &b.keys {
            assert!(!k.is_empty() && (k.chars().count() == 1 || k.starts_with('<')), "{k}");
        }
    }
}

/// The keymap as it was compiled in before it moved to assets/default-keymap.toml.
const OLD_KEYMAP: &[(KeyContext, &[&str], Action)] = &[
    (KeyContext::Global, &["q", "<C-c>"], Action::Quit),
    (KeyContext::Global, &["?"], Action::ToggleHelp),
    (KeyContext::Global, &["<Tab>"], Action::FocusNext),
    (KeyContext::Global, &["j", "<Down>"], Action::Down),
    (KeyContext::Global, &["k", "<Up>"], Action::Up),
    (KeyContext::Global, &["g", "<Home>"], Action::Top),
    (KeyContext::Global, &["G", "<End>"], Action::Bottom),
    (KeyContext::Global, &["<PgUp>", "<C-b>"], Action::PageUp),
    (KeyContext::Global, &["<PgDn>", "<C-f>"], Action::PageDown),
    (KeyContext::Global, &["m"], Action::ToggleMetrics),
    (KeyContext::Global, &["S"], Action::OpenSchema),
    (KeyContext::Global, &["r"], Action::Refresh),
    (KeyContext::Explorer, &["<Enter>"], Action::Open),
    (KeyContext::Explorer, &["l", "<Right>"], Action::Expand),
    (KeyContext::Explorer, &["h", "<Left>"], Action::Collapse),
    (KeyContext::Explorer, &["/"], Action::StartFilter),
    (KeyContext::Explorer, &["<Esc>"], Action::ClearFilter),
    (KeyContext::Browser, &["<Enter>"], Action::ToggleDetail),
    (KeyContext::Browser, &["<Esc>"], Action::Back),
    (KeyContext::Browser, &["f"], Action::ToggleFollow),
    (KeyContext::Browser, &["s"], Action::PickStart),
    (KeyContext::Browser, &["t"], Action::ToggleTimes),
    (KeyContext::Browser, &["p"], Action::NextPartition),
    (KeyContext::Browser, &["/"], Action::StartFilter),
    (KeyContext::Browser, &["<Tab>"], Action::NextTab),
    (KeyContext::Browser, &["r"], Action::ToggleRaw),
    (KeyContext::Browser, &["x"], Action::ToggleHex),
    (KeyContext::Browser, &["e"], Action::ExportSelected),
    (KeyContext::Browser, &["E"], Action::ExportAll),
    (KeyContext::Browser, &["y"], Action::CopySelected),
    (KeyContext::Global, &["D"], Action::OpenDlq),
    (KeyContext::Explorer, &["a"], Action::Actions),
    (KeyContext::Browser, &["R"], Action::Requeue),
    (KeyContext::Browser, &["d"], Action::DecodeAs),
    (KeyContext::Browser, &["O"], Action::JumpToOrigin),
    (KeyContext::Dlq, &["<Enter>"], Action::Open),
    (KeyContext::Dlq, &["R"], Action::Requeue),
    (KeyContext::Dlq, &["<Esc>"], Action::Back),
    (KeyContext::Metrics, &["o"], Action::NextSort),
    (KeyContext::Schema, &["b"], Action::MarkBase),
    (KeyContext::Schema, &["<Esc>"], Action::Back),
    (KeyContext::Metrics, &["/"], Action::StartFilter),
    (KeyContext::Metrics, &["<Enter>"], Action::Open),
    (KeyContext::Metrics, &["<Esc>"], Action::Back),
    (KeyContext::Global, &["H"], Action::OpenHealth),
    (KeyContext::Health, &["<Enter>"], Action::Open),
    (KeyContext::Health, &["r"], Action::Refresh),
    (KeyContext::Health, &["<Esc>"], Action::Back),
    (KeyContext::Global, &["T"], Action::OpenTxn),
    (KeyContext::Txn, &["<Enter>"], Action::Open),
    (KeyContext::Txn, &["r"], Action::Refresh),
    (KeyContext::Txn, &["A"], Action::AbortTxn),
    (KeyContext::Txn, &["<Esc>"], Action::Back),
    (KeyContext::Explorer, &["X"], Action::OtherCluster),
    (KeyContext::Explorer, &["V"], Action::CheckReplication),
    (KeyContext::Explorer, &["P"], Action::OpenPolicies),
    (KeyContext::Policies, &["e"], Action::EditPolicy),
    (KeyContext::Policies, &["x"], Action::RemovePolicy),
    (KeyContext::Policies, &["t"], Action::TargetRate),
    (KeyContext::Policies, &["r"], Action::Refresh),
    (KeyContext::Policies, &["<Esc>"], Action::Back),
    (KeyContext::Explorer, &["n"], Action::Compose),
    (KeyContext::Browser, &["n"], Action::Compose),
    (KeyContext::Browser, &["w"], Action::Resend),
    (KeyContext::Browser, &["F"], Action::FixRequeue),
    (KeyContext::Browser, &["W"], Action::ResendMatches),
];

#[test]
fn the_embedded_default_parses_cleanly_and_is_the_old_keymap_plus_the_palette() {
    let (map, warnings) = Keymap { bindings: Vec::new() }.overlay(Path::new("default"), DEFAULT_KEYMAP);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(map, Keymap::default());
    let mut got: Vec<(KeyContext, Vec<String>, Action)> =
        map.bindings().map(|b| (b.context, b.keys.clone(), b.action)).collect();
    let palette = (KeyContext::Global, vec![":".to_string()], Action::Palette);
    let i = got.iter().position(|b| *b == palette).expect("the palette is bound to :");
    got.remove(i);
    let mut want: Vec<(KeyContext, Vec<String>, Action)> =
        OLD_KEYMAP.iter().map(|(c, k, a)| (*c, k.iter().map(|k| k.to_string()).collect(), *a)).collect();
    let order = |b: &(KeyContext, Vec<String>, Action)| (format!("{:?}", b.0), format!("{:?}", b.2));
    got.sort_by_key(order);
    want.sort_by_key(order);
    assert_eq!(got, want);
    // and every binding has its own help, not the fallback
    for b in map.bindings() {
        assert!(HELP.iter().any(|(c, a, _)| *c == b.context && *a == b.action), "{b:?} has no help");
    }
}

#[test]
fn pane_bindings_win_over_global_ones() {
    let map = Keymap::default();
    let enter = key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(map.resolve(KeyContext::Explorer, &enter), Some(Action::Open));
    assert_eq!(map.resolve(KeyContext::Browser, &enter), Some(Action::ToggleDetail));
    assert_eq!(map.resolve(KeyContext::Details, &enter), None);
    let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(map.resolve(KeyContext::Details, &q), Some(Action::Quit));
}

#[test]
fn no_key_is_bound_twice_in_one_context() {
    let map = Keymap::default();
    let all: Vec<&Binding> = map.bindings().collect();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            for k in &a.keys {
                assert!(!(a.context == b.context && b.keys.contains(k)), "{k} bound twice in {:?}", a.context);
            }
        }
    }
}

#[test]
fn write_actions_are_never_on_a_bare_lowercase_letter() {
    let map = Keymap::default();
    let bare: Vec<(KeyContext, &str)> = map
        .bindings()
        .filter(|b| b.action.writes())
        .flat_map(|b| b.keys.iter().filter(|k| is_bare_lowercase(k)).map(move |k| (b.context, k.as_str())))
        .collect();
    assert_eq!(bare, vec![]);
    // and a user file cannot put one there
    let (map, w) = Keymap::with_user(Path::new("/k.toml"), "[dlq]\nrequeue = \"r\"\n");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].line, Some(2));
    assert!(w[0].message.contains("bare lowercase"), "{}", w[0]);
    let r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE);
    assert_eq!(map.resolve(KeyContext::Dlq, &r), Some(Action::Refresh), "r keeps its global meaning");
    let shift_r = KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(map.resolve(KeyContext::Dlq, &shift_r), Some(Action::Requeue), "a bad entry changes nothing");
}

fn press(c: char) -> KeyEvent {
    let m = if c.is_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
    KeyEvent::new(KeyCode::Char(c), m)
}

#[test]
fn a_user_file_rebinds_and_unbinds_single_keys() {
    let text =
        "[browser]\nfollow = \"F\"\nexport_all = \"\"\nhex = [\"ctrl+x\", \"X\"]\n\n[global]\nquit = \"ctrl+q\"\n";
    let (map, w) = Keymap::with_user(Path::new("/k.toml"), text);
    assert!(w.is_empty(), "{w:?}");
    let b = KeyContext::Browser;
    assert_eq!(map.resolve(b, &press('F')), Some(Action::ToggleFollow));
    assert_eq!(map.resolve(b, &press('f')), None, "f no longer follows");
    assert_eq!(map.resolve(b, &press('E')), None, "export_all is unbound");
    assert_eq!(map.resolve(b, &press('e')), Some(Action::ExportSelected), "the rest is untouched");
    assert_eq!(map.resolve(b, &press('x')), None);
    assert_eq!(map.resolve(b, &KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)), Some(Action::ToggleHex));
    assert_eq!(map.resolve(b, &press('X')), Some(Action::ToggleHex));
    assert_eq!(map.resolve(KeyContext::Explorer, &press('q')), None, "q no longer quits");
    let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert_eq!(map.resolve(KeyContext::Explorer, &ctrl_q), Some(Action::Quit));
    // generated texts follow: the table lists F for follow and no export_all
    let table = map.markdown_table();
    assert!(table.contains("| Message browser | `F` | follow new messages (tail) |"), "{table}");
    assert!(!table.contains("export every loaded message"), "{table}");
    assert_eq!(map.key_for(b, Action::ToggleFollow), Some("F"));
}

#[test]
fn a_key_taken_by_the_user_leaves_the_action_that_had_it() {
    let (map, w) = Keymap::with_user(Path::new("/k.toml"), "[browser]\nfollow = \"x\"\n");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(map.resolve(KeyContext::Browser, &press('x')), Some(Action::ToggleFollow));
    assert_eq!(map.key_for(KeyContext::Browser, Action::ToggleHex), None, "hex lost its only key");
    // a new action in a context gets a help line (the generic one)
    let (map, w) = Keymap::with_user(Path::new("/k.toml"), "[browser]\nmetrics = \"M\"\n");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(map.resolve(KeyContext::Browser, &press('M')), Some(Action::ToggleMetrics));
    assert!(map.markdown_table().contains("| Message browser | `M` | live metrics of every broker |"));
}

#[test]
fn bad_user_entries_are_warnings_with_file_and_line() {
    let text = "[browser]\nfollow = \"F\"\nfolow = \"g\"\nhex = \"ctrl+enter\"\nraw = \"F\"\ntimes = 3\n\n[nowhere]\nquit = \"q\"\n";
    let (map, w) = Keymap::with_user(Path::new("/home/u/keymap.toml"), text);
    let got: Vec<(Option<usize>, &str)> = w.iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(w.len(), 5, "{got:?}");
    assert_eq!(w.iter().map(|w| w.line).collect::<Vec<_>>(), vec![Some(3), Some(4), Some(5), Some(6), Some(8)]);
    assert!(w[0].message.contains("unknown action \"folow\""), "{got:?}");
    assert!(w[1].message.contains("cannot read key \"ctrl+enter\""), "{got:?}");
    assert!(w[2].message.contains("F is already bound to follow"), "{got:?}");
    assert!(w[3].message.contains("must be a string or a list"), "{got:?}");
    assert!(w[4].message.contains("unknown section [nowhere]"), "{got:?}");
    assert!(w[0].to_string().starts_with("/home/u/keymap.toml:3: "), "{}", w[0]);
    // what was fine still applies; what was not leaves the default
    assert_eq!(map.resolve(KeyContext::Browser, &press('F')), Some(Action::ToggleFollow));
    assert_eq!(map.resolve(KeyContext::Browser, &press('x')), Some(Action::ToggleHex));
    assert_eq!(map.resolve(KeyContext::Browser, &press('r')), Some(Action::ToggleRaw));
    // not TOML at all: one warning, the default keymap
    let (map, w) = Keymap::with_user(Path::new("/k.toml"), "[browser]\nfollow = \n");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].line, Some(2), "{w:?}");
    assert_eq!(map, Keymap::default());
}

#[test]
fn a_missing_user_file_is_the_default_keymap() {
    let (map, w) = Keymap::load(Path::new("/nonexistent/pulsar-tui/keymap.toml"));
    assert!(w.is_empty());
    assert_eq!(map, Keymap::default());
}

#[test]
fn readme_keymap_matches_the_keymap() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = Keymap::default().markdown_table();
    assert!(readme.contains(&table), "README keymap table is out of date; paste:\n{table}");
}
