//! End-to-end tests: the real `pulsar-tui` binary in a real terminal (tmux), against the real
//! broker (`PULSAR_TUI_IT_SERVICE_URL` / `PULSAR_TUI_IT_ADMIN_URL`, set by `scripts/test`;
//! the local standalone defaults otherwise).
//!
//! Each test runs its own tmux server (`tmux -L <unique socket>`) with a fixed 120x30 window,
//! and a [`Tmux`] guard kills it on every way out, failures included. Nothing sleeps for a
//! fixed time: every step polls `tmux capture-pane` until the expected screen shows up.
//!
//! The binary is started as `sh -c '"$@"; echo EXITED:$?; read line; echo GOT:$line; sleep 600'`
//! so that after it quits we can see its exit code on the normal screen, and check that the
//! terminal really is restored (no alternate screen, cursor shown, line discipline cooked).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 30;
const TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

fn service_url() -> String {
    std::env::var("PULSAR_TUI_IT_SERVICE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "pulsar://127.0.0.1:6650".into())
}

fn admin_url() -> String {
    std::env::var("PULSAR_TUI_IT_ADMIN_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:8080".into())
}

/// One tmux server running one pulsar-tui; killed (with its temp dir removed) on drop.
struct Tmux {
    socket: String,
    dir: PathBuf,
    /// The server's socket file: `kill-server` leaves it behind.
    socket_path: Option<PathBuf>,
}

impl Tmux {
    /// Starts pulsar-tui with `args` after the connection flags, in a fresh tmux server.
    fn start(name: &str, service_url: &str, admin_url: &str, args: &[&str]) -> Tmux {
        Tmux::start_with_config(name, service_url, admin_url, "", args)
    }

    /// The same, with `config` as the config file's text.
    fn start_with_config(name: &str, service_url: &str, admin_url: &str, config_text: &str, args: &[&str]) -> Tmux {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("{}-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed), name);
        let socket = format!("pulsar-tui-e2e-{unique}");
        let dir = std::env::temp_dir().join(format!("pulsar-tui-e2e-{unique}"));
        std::fs::create_dir_all(&dir).expect("create the test's temp dir");
        // a config file of the test's own (empty by default) keeps the user's out of the test
        let config = dir.join("config.toml");
        std::fs::write(&config, config_text).expect("write the config file");
        let log = dir.join("pulsar-tui.log");
        // build the guard first: from here on a failure still kills the server
        let mut tmux = Tmux { socket, dir: dir.clone(), socket_path: None };

        let bin = env!("CARGO_BIN_EXE_pulsar-tui");
        let script = r#""$@"; echo "EXITED:$?"; read line; echo "GOT:$line"; sleep 600"#;
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d", "-s", "e2e"])
            .args(["-x", &WIDTH.to_string(), "-y", &HEIGHT.to_string()])
            // the data dir (and anything else under $HOME) goes to the temp dir
            .args(["-e", &format!("HOME={}", dir.display())])
            .args(["-e", &format!("XDG_DATA_HOME={}", dir.join("data").display())])
            .args(["-e", &format!("XDG_CONFIG_HOME={}", dir.join("config").display())])
            // the editor Ctrl+E runs: a script a test may write there (no test waits on a real one)
            .args(["-e", "VISUAL=", "-e", &format!("EDITOR={}", dir.join("editor.sh").display())])
            .args(["sh", "-c", script, "sh", bin])
            .args(["--service-url", service_url, "--admin-url", admin_url])
            .arg("--config")
            .arg(&config)
            .arg("--log-file")
            .arg(&log)
            .args(args);
        let out = cmd.output().expect("run tmux (is it installed?)");
        assert!(out.status.success(), "tmux new-session failed: {}", String::from_utf8_lossy(&out.stderr));
        tmux.socket_path = Some(PathBuf::from(tmux.display("#{socket_path}")));
        // keep the pane (and its last screen) if the shell dies unexpectedly
        tmux.tmux(&["set-option", "-t", "e2e", "remain-on-exit", "on"]);
        tmux
    }

    /// Starts pulsar-tui on the test broker.
    fn app(name: &str, args: &[&str]) -> Tmux {
        Tmux::start(name, &service_url(), &admin_url(), args)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}\nlast screen:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.screen_or_error()
        );
        out
    }

    /// Sends tmux key names (`Enter`, `Escape`, `j`, `?`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
    }

    fn screen_or_error(&self) -> String {
        match Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "e2e"]).output() {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            Ok(o) => format!("(capture-pane failed: {})", String::from_utf8_lossy(&o.stderr)),
            Err(e) => format!("(capture-pane failed: {e})"),
        }
    }

    /// The visible screen as text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// A tmux format evaluated on the pane (`#{alternate_on}`).
    fn display(&self, format: &str) -> String {
        String::from_utf8_lossy(&self.tmux(&["display-message", "-p", "-t", "e2e", format]).stdout).trim().to_string()
    }

    /// Polls the screen until `ok` holds; panics with `what` and the last screen after [`TIMEOUT`].
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!("timed out after {TIMEOUT:?} waiting for {what}\nlast screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until every one of `texts` is on the screen.
    fn wait_for(&self, texts: &[&str]) -> String {
        self.wait_until(&format!("{texts:?}"), |s| texts.iter().all(|t| s.contains(t)))
    }

    /// Waits until the header breadcrumb (first line) ends with `crumbs`.
    fn wait_header(&self, crumbs: &str) -> String {
        self.wait_until(&format!("the header to end with {crumbs:?}"), |s| header(s).ends_with(crumbs))
    }

    /// Presses `j` until the header breadcrumb ends with `crumbs` (the selection is there).
    fn move_down_to(&self, crumbs: &str) {
        for _ in 0..50 {
            let screen = self.screen();
            if header(&screen).ends_with(crumbs) {
                return;
            }
            let before = header(&screen).to_string();
            self.keys(&["j"]);
            self.wait_until(&format!("the selection to move down (towards {crumbs:?})"), |s| header(s) != before);
        }
        panic!("{crumbs:?} not reached after 50 x j\nlast screen:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The first line of a screen, without trailing blanks.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("").trim_end()
}

/// The last non-empty line of a screen (the status bar while the UI runs).
fn status_bar(screen: &str) -> &str {
    screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

fn waits_connected(t: &Tmux) -> String {
    let screen = t.wait_until("the status bar to say `● connected` and `Pulsar 4.`, and tenant acme", |s| {
        let bar = status_bar(s);
        bar.contains("● connected") && bar.contains("Pulsar 4.") && s.contains("T acme")
    });
    assert!(!screen.contains("✗"), "an error is shown after start-up:\n{screen}");
    screen
}

/// `q`, then the process must have exited with 0 and left the terminal as it found it.
fn quit_and_check_restored(t: &Tmux) {
    t.keys(&["q"]);
    let screen = t.wait_for(&["EXITED:"]);
    assert!(screen.contains("EXITED:0"), "pulsar-tui did not exit with 0:\n{screen}");
    assert_eq!(t.display("#{alternate_on}"), "0", "still in the alternate screen after exit:\n{screen}");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor still hidden after exit:\n{screen}");
    assert_eq!(t.display("#{mouse_any_flag}"), "0", "mouse reporting still on after exit:\n{screen}");
    // nothing of the UI is left on the normal screen
    assert!(!screen.contains("Explorer"), "the UI leaked into the normal screen:\n{screen}");
    // raw mode is off: the line discipline echoes and turns Enter into a newline again
    // (in raw mode `read` would never see the end of the line)
    t.type_text("still-cooked");
    t.keys(&["Enter"]);
    t.wait_for(&["GOT:still-cooked"]);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn browse_to_a_partitioned_topic_and_see_its_stats() {
    let t = Tmux::app("browse", &[]);
    waits_connected(&t);

    // the selection starts on the first tenant; walk to acme (other tests may add tenants)
    t.move_down_to("▸ acme");
    t.keys(&["l"]);
    let screen = t.wait_for(&["▾ T acme", "N shop"]);
    assert!(screen.contains("N billing"), "acme's namespaces:\n{screen}");

    t.move_down_to("▸ acme ▸ shop");
    t.keys(&["Enter"]);
    t.wait_for(&["▾ N shop", "orders [4 partitions]", "orders-payments-DLQ"]);

    t.move_down_to("▸ acme ▸ shop ▸ orders");
    let screen = t.wait_until("the details of persistent://acme/shop/orders with its subscriptions", |s| {
        s.contains("persistent://acme/shop/orders")
            && s.lines().any(|l| l.contains("Subscriptions") && !l.contains("Subscription "))
            && s.lines().any(|l| l.contains("Subscription") && l.contains("Backlog"))
            && s.contains("analytics")
            && s.contains("payments")
    });
    assert!(screen.lines().any(|l| l.contains("Partitions") && l.contains('4')), "partition count:\n{screen}");
    assert!(!screen.contains("✗"), "an error is shown:\n{screen}");
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn jump_to_a_topic_then_filter_the_tree() {
    let t = Tmux::app("jump", &[]);
    waits_connected(&t);

    // jump from a cold tree: acme and acme/shop get loaded on the way
    t.keys(&["/"]);
    t.wait_for(&["Explorer (filtering)"]);
    t.type_text("persistent://acme/shop/orders");
    t.keys(&["Enter"]);
    let screen = t.wait_header("acme ▸ shop ▸ orders");
    assert!(screen.contains("orders [4 partitions]"), "the topic is shown in the tree:\n{screen}");
    t.wait_until("the details of persistent://acme/shop/orders", |s| {
        s.contains("persistent://acme/shop/orders") && s.contains("analytics")
    });

    // filter: only matching nodes (and their ancestors) stay, case-insensitively
    t.keys(&["/"]);
    t.type_text("dlq");
    let screen = t.wait_until("the tree filtered on `dlq`", |s| {
        s.contains("Explorer (filtering)")
            && s.contains("orders-payments-DLQ")
            && !s.contains("customers")
            && !s.contains("orders [4 partitions]")
    });
    assert!(screen.contains("T acme") && screen.contains("N shop"), "ancestors of the match are kept:\n{screen}");
    assert!(!screen.contains("T ops"), "a tenant without match is shown:\n{screen}");

    // Esc clears the filter: everything is back
    t.keys(&["Escape"]);
    t.wait_until("the filter to be cleared", |s| {
        !s.contains("(filtering)")
            && s.contains("customers")
            && s.contains("orders [4 partitions]")
            && s.contains("T ops")
    });
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn help_popup_opens_and_closes() {
    let t = Tmux::app("help", &[]);
    waits_connected(&t);
    t.keys(&["?"]);
    let screen = t.wait_for(&["Help — Esc closes"]);
    for text in ["Global", "Explorer", "quit", "expand (load children)", "clear the filter"] {
        assert!(screen.contains(text), "help lacks {text:?}:\n{screen}");
    }
    t.keys(&["Escape"]);
    t.wait_until("the help popup to close", |s| !s.contains("Help — Esc closes") && s.contains("T acme"));
    // keys reach the tree again
    t.keys(&["?"]);
    t.wait_for(&["Help — Esc closes"]);
    t.keys(&["?"]);
    t.wait_until("the help popup to close with ?", |s| !s.contains("Help — Esc closes"));
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn q_quits_and_restores_the_terminal() {
    let t = Tmux::app("quit", &[]);
    waits_connected(&t);
    assert_eq!(t.display("#{alternate_on}"), "1", "the UI should draw on the alternate screen");
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn a_panic_restores_the_terminal_and_says_why() {
    let t = Tmux::app("panic", &["--panic-after-first-frame"]);
    let screen = t.wait_for(&["EXITED:"]);
    assert!(screen.contains("EXITED:101"), "a panic exits with 101:\n{screen}");
    // the message may have scrolled up behind a backtrace: look at the history too
    let history = String::from_utf8_lossy(&t.tmux(&["capture-pane", "-p", "-S", "-", "-t", "e2e"]).stdout).into_owned();
    assert!(history.contains("injected panic"), "the panic message is shown:\n{history}");
    assert_eq!(t.display("#{alternate_on}"), "0", "still in the alternate screen:\n{screen}");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor still hidden:\n{screen}");
    assert_eq!(t.display("#{mouse_any_flag}"), "0", "mouse reporting still on after the panic:\n{screen}");
    t.type_text("still-cooked");
    t.keys(&["Enter"]);
    t.wait_for(&["GOT:still-cooked"]);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn resizing_to_20x5_and_back_keeps_working() {
    let t = Tmux::app("resize", &[]);
    waits_connected(&t);
    for (w, h) in [("20", "5"), ("1", "1"), ("20", "5"), ("120", "40")] {
        t.tmux(&["resize-window", "-t", "e2e", "-x", w, "-y", h]);
    }
    // redrawn at full size (the details pane only fits there) before the next key
    t.wait_until("the full-size layout again", |s| s.contains("Explorer") && s.contains("Details"));
    t.keys(&["?"]);
    t.wait_for(&["Help — Esc closes"]);
    t.keys(&["Escape"]);
    t.wait_until("the explorer again", |s| s.contains("Explorer") && !s.contains("Help — Esc closes"));
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn unreachable_broker_keeps_the_ui_usable() {
    let t = Tmux::start("unreachable", "pulsar://127.0.0.1:1", "http://127.0.0.1:1", &[]);
    let screen =
        t.wait_until("the status bar to say `broker unreachable`", |s| status_bar(s).contains("broker unreachable"));
    assert!(!screen.contains("● connected"), "connected to nothing?\n{screen}");
    t.keys(&["?"]);
    t.wait_for(&["Help — Esc closes"]);
    t.keys(&["Escape"]);
    t.wait_until("the help popup to close", |s| !s.contains("Help — Esc closes") && s.contains("broker unreachable"));
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn ctx_switches_to_another_context_from_the_palette() {
    let (service, admin) = (service_url(), admin_url());
    let config = format!(
        "context = \"main\"\n\n[contexts.main]\nservice_url = \"{service}\"\nadmin_url = \"{admin}\"\ncolor = \"green\"\n\n\
         [contexts.other]\nservice_url = \"{service}\"\nadmin_url = \"{admin}\"\ncolor = \"magenta\"\nread_only = true\n"
    );
    let t = Tmux::start_with_config("ctx", &service, &admin, &config, &[]);
    let screen = waits_connected(&t);
    assert!(header(&screen).contains(" main ") && !header(&screen).contains("[RO]"), "{screen}");
    assert_eq!(t.display("#{mouse_any_flag}"), "1", "the UI asks for mouse reports");
    // open acme, so that the reload after the switch shows
    t.move_down_to("▸ acme");
    t.keys(&["l"]);
    t.wait_for(&["▾ T acme", "N shop"]);

    t.keys(&[":"]);
    t.wait_until("the palette listing its commands", |s| status_bar(s).starts_with(":█  ctx  topic"));
    t.type_text("ctx ot");
    t.keys(&["Tab"]);
    t.wait_until("ctx other completed", |s| status_bar(s).starts_with(":ctx other█"));
    t.keys(&["Enter"]);
    let screen = t.wait_until("the header of context other, read-only", |s| {
        let h = header(s);
        h.contains(" other ") && h.contains("[RO]") && !h.contains(" main ")
    });
    // the tree starts over on the new context's cluster: tenants again, nothing expanded
    let screen = if screen.contains("T acme") && !screen.contains("N shop") {
        screen
    } else {
        t.wait_until("the tree reloaded, collapsed", |s| s.contains("▸ T acme") && !s.contains("N shop"))
    };
    assert!(!screen.contains("✗"), "an error after the switch:\n{screen}");
    waits_connected(&t);
    // an unknown context is refused in the status bar, and nothing changes
    t.keys(&[":"]);
    t.type_text("ctx nowhere");
    t.keys(&["Enter"]);
    let screen = t.wait_until("the refusal", |s| status_bar(s).contains("no such context"));
    assert!(header(&screen).contains(" other "), "{screen}");
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn topic_and_subscription_flags_start_on_the_resource() {
    let t = Tmux::app("topic", &["--topic", "persistent://acme/shop/orders"]);
    let screen = t.wait_for(&["Browse persistent://acme/shop/orders", "read-only browse"]);
    assert!(header(&screen).ends_with("acme ▸ shop ▸ orders"), "{screen}");
    // Esc: the explorer, with the topic selected
    t.keys(&["Escape"]);
    t.wait_until("the explorer on orders", |s| s.contains("orders [4 partitions]") && header(s).ends_with("orders"));
    quit_and_check_restored(&t);

    let t = Tmux::app("subscription", &["--topic", "persistent://acme/shop/orders", "--subscription", "payments"]);
    let screen = t.wait_header("acme ▸ shop ▸ orders ▸ payments");
    assert!(screen.contains("⤷ payments") && !screen.contains("Browse "), "{screen}");
    quit_and_check_restored(&t);
}

#[test]
fn check_config_reports_keymap_problems_and_info_prints_the_keymap_path() {
    let dir = std::env::temp_dir().join(format!("pulsar-tui-keymap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "").unwrap();
    let keymap = dir.join("keymap.toml");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("HOME", &dir)
            .env_remove("XDG_CONFIG_HOME")
            .output()
            .expect("run pulsar-tui")
    };
    // a good keymap: ok
    std::fs::write(&keymap, "[browser]\nfollow = \"F\"\n").unwrap();
    let out = run(&["--check-config"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("{}: ok", keymap.display())), "{err}");
    // a bad one: each problem with file and line, and a non-zero exit
    std::fs::write(&keymap, "[browser]\nfollow = \"F\"\nfolow = \"g\"\n\n[dlq]\nrequeue = \"r\"\n").unwrap();
    let out = run(&["--check-config"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:3: [browser] unknown action \"folow\"", keymap.display())), "{err}");
    assert!(err.contains(&format!("{}:6: [dlq] requeue", keymap.display())), "{err}");
    // info names the file in use
    let out = run(&["info"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains(&format!("keymap file:  {}", keymap.display())), "{text}");
    std::fs::remove_file(&keymap).unwrap();
    let text = String::from_utf8_lossy(&run(&["info"]).stdout).into_owned();
    assert!(text.contains("(not there: the default keymap)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn y_copies_the_selected_message_to_the_terminal_clipboard() {
    let t = Tmux::app("copy", &["--topic", "persistent://acme/shop/orders"]);
    // tmux turns an OSC 52 sequence into a paste buffer when set-clipboard is on
    t.tmux(&["set-option", "-s", "set-clipboard", "on"]);
    t.wait_for(&["Browse persistent://acme/shop/orders"]);
    // `y` copies only once a row is loaded: press it until the status bar says it copied
    let deadline = Instant::now() + TIMEOUT;
    loop {
        t.keys(&["y"]);
        if t.screen().contains("copied the selected message") {
            break;
        }
        assert!(Instant::now() < deadline, "nothing was copied:\n{}", t.screen());
        std::thread::sleep(POLL);
    }
    let buffer = String::from_utf8_lossy(&t.tmux(&["show-buffer"]).stdout).into_owned();
    let envelope: serde_json::Value = serde_json::from_str(buffer.trim()).unwrap_or_else(|e| panic!("{e}: {buffer}"));
    assert!(
        envelope["topic"].as_str().is_some_and(|s| s.starts_with("persistent://acme/shop/orders")),
        "the envelope of the selected message: {envelope}"
    );
    assert!(envelope["message_id"].is_string() && envelope.get("raw_base64").is_some(), "{envelope}");
    quit_and_check_restored(&t);
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn ctrl_e_edits_the_value_in_editor_and_the_message_is_sent_as_edited() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let unique = format!("e2e-editor-{}-{nanos}", std::process::id());
    let prefix = format!("persistent://public/default/{unique}");
    let script = format!("{}/tests/clients/produce_check.py", env!("CARGO_MANIFEST_DIR"));
    let setup = Command::new("python3").args([script.as_str(), "setup", &service_url(), &prefix]).output().unwrap();
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    let topic = format!("{prefix}-avro");
    let t = Tmux::app("editor", &["--topic", &topic]);
    // the editor: keeps what it was given, writes a value with a wrong type the first time
    // and a right one the second
    let dir = t.dir.display().to_string();
    let editor = format!(
        "#!/bin/sh\nn=$(ls {dir} | grep -c '^seen-')\ncp \"$1\" {dir}/seen-$n.json\n\
         if [ \"$n\" = 0 ]; then q='\"7\"'; else q=7; fi\n\
         printf '{{\"id\": \"edited\", \"qty\": %s, \"price\": 2.5, \"tags\": [\"e\"], \"note\": null}}\\n' \"$q\" > \"$1\"\n"
    );
    std::fs::write(t.dir.join("editor.sh"), editor).unwrap();
    let chmod = Command::new("chmod").args(["+x", &format!("{dir}/editor.sh")]).status().unwrap();
    assert!(chmod.success());
    t.wait_for(&[&format!("Browse {topic}")]);
    t.keys(&["n"]);
    t.wait_for(&["Compose", "Ctrl+E"]);
    t.keys(&["C-e"]);
    // back from the editor: the value is checked against the topic's schema at once
    t.wait_for(&["$.qty: expected int"]);
    t.keys(&["C-e"]);
    t.wait_until("the edited value without an error", |s| s.contains(r#""qty":7"#) && !s.contains("expected int"));
    // the editor got the value as decoded JSON, pretty-printed
    let seen = std::fs::read_to_string(t.dir.join("seen-1.json")).unwrap();
    assert!(seen.contains("\"qty\": \"7\"") && seen.lines().count() > 1, "{seen}");
    t.keys(&["Enter"]);
    t.wait_for(&["confirmed"]);
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &service_url(), "--admin-url", &admin_url(), "read", &topic, "--format", "value"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v, serde_json::json!({"id": "edited", "qty": 7, "price": 2.5, "tags": ["e"], "note": null}));
    t.keys(&["Escape"]);
    quit_and_check_restored(&t);
}
