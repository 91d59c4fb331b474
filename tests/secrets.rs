//! Secrets never appear on screen, in logs, in exports or in panic messages.
//!
//! A config names a context whose token (and admin URL password) are distinctive canary
//! strings; the real binary then runs every kind of command against the test broker (which
//! does not check tokens, so every path that sends one runs): `info`, `--check-config`, `ls`,
//! `stats`, `read --format jsonl` into a file, a failing command, the TUI in tmux with an
//! export and a trace-level log, and a panic. None of their output, log lines, exported
//! files or screens may hold the canaries. A broker that refuses the token is covered in
//! `tests/broker_redirect.rs` (token-mode broker).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use clap::Parser;
use pulsar_tui::cli::Cli;

fn service_url() -> String {
    std::env::var("PULSAR_TUI_IT_SERVICE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or("pulsar://127.0.0.1:6650".into())
}

fn admin_url() -> String {
    std::env::var("PULSAR_TUI_IT_ADMIN_URL").ok().filter(|v| !v.is_empty()).unwrap_or("http://127.0.0.1:8080".into())
}

/// A temp dir with a config whose context `canary` holds the canary token and an admin URL
/// with the canary password.
struct Setup {
    dir: PathBuf,
    token: String,
    password: String,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let dir = std::env::temp_dir().join(common::unique(&format!("pulsar-tui-secrets-{name}")));
        std::fs::create_dir_all(&dir).unwrap();
        let n = common::unique("x").replace('-', "");
        let token = format!("canaryTOKEN{n}zz");
        let password = format!("canaryPASSWORD{n}zz");
        let admin = admin_url().replacen("://", &format!("://ops:{password}@"), 1);
        let config = format!(
            "context = \"canary\"\nlog = 1\n\n[contexts.canary]\nservice_url = \"{}\"\nadmin_url = \"{admin}\"\ntoken = \"{token}\"\n",
            service_url()
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        Setup { dir, token, password }
    }

    fn config(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("pulsar-tui.log")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"));
        c.env("PULSAR_TUI_CONFIG", self.config())
            .env("PULSAR_TUI_LOG_FILE", self.log())
            .env("PULSAR_TUI_LOG", "trace")
            .env("HOME", &self.dir)
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_CONFIG_HOME", self.dir.join("xdg-config"))
            .env_remove("PULSAR_TOKEN")
            .env_remove("PULSAR_SERVICE_URL")
            .env_remove("PULSAR_ADMIN_URL")
            .env_remove("PULSAR_TUI_CONTEXT");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("pulsar-tui runs")
    }

    /// Panics when `text` (from `what`) holds a canary.
    fn assert_clean(&self, what: &str, text: &str) {
        for canary in [&self.token, &self.password] {
            assert!(!text.contains(canary.as_str()), "{what} shows a secret ({canary}):\n{text}");
            let bytes: Vec<String> = canary.bytes().take(10).map(|b| b.to_string()).collect();
            assert!(!text.contains(&bytes.join(", ")), "{what} shows a secret's bytes:\n{text}");
        }
    }

    fn assert_output_clean(&self, what: &str, out: &Output) {
        self.assert_clean(&format!("{what} (stdout)"), &String::from_utf8_lossy(&out.stdout));
        self.assert_clean(&format!("{what} (stderr)"), &String::from_utf8_lossy(&out.stderr));
    }

    /// Every file under the data dir (exports, journal) and the log.
    fn assert_files_clean(&self) {
        let mut stack = vec![self.dir.join("data"), self.log()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().filter_map(|e| e.ok()).map(|e| e.path()));
            } else if let Ok(bytes) = std::fs::read(&p) {
                self.assert_clean(&p.display().to_string(), &String::from_utf8_lossy(&bytes));
            }
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn debug_formats_of_the_settings_hide_the_token_and_url_passwords() {
    let s = Setup::new("debug");
    let cli = Cli::try_parse_from(["pulsar-tui", "--config", s.config().to_str().unwrap(), "info"]).unwrap();
    let resolved = pulsar_tui::settings::resolve(&cli);
    assert_eq!(resolved.target.token.as_deref(), Some(s.token.as_str()), "the context's token is used");
    let text = format!("{resolved:?}\n{resolved:#?}\n{cli:?}");
    s.assert_clean("Debug of Resolved", &text);
    let (file, _) = pulsar_tui::config::load(&s.config());
    s.assert_clean("Debug of FileConfig", &format!("{file:?} {file:#?}"));
    // a token given on the command line too
    let cli = Cli::try_parse_from([
        "pulsar-tui",
        "--token",
        &s.token,
        "--admin-url",
        &format!("http://u:{}@h:8080", s.password),
    ])
    .unwrap();
    s.assert_clean("Debug of Cli", &format!("{cli:?} {cli:#?}"));
    let client = pulsar_tui::pulsar::Client::new(pulsar_tui::settings::resolve(&cli).target).unwrap();
    s.assert_clean("Debug of the client's target", &format!("{:?}", client.target));
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn headless_commands_never_print_log_or_export_secrets() {
    let s = Setup::new("headless");
    let topic = format!("persistent://public/default/{}", common::unique("secrets"));
    common::produce_lines(&service_url(), &admin_url(), Some(&s.token), &topic, &[], "one\ntwo\n");

    let out = s.run(&["info"]);
    assert!(out.status.success());
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(info.contains("token:        set (hidden)"), "{info}");
    assert!(info.contains("admin url:    http://***@"), "the admin URL is shown without its credentials: {info}");
    s.assert_output_clean("info", &out);

    let out = s.run(&["--check-config"]);
    assert!(!out.status.success(), "the config has an unknown key and a world-readable token");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key \"log\""), "{err}");
    s.assert_output_clean("--check-config", &out);

    for args in [
        &["ls"][..],
        &["ls", "public/default"],
        &["stats", &topic],
        &["schema", &topic],
        &["metrics", "--namespace", "public/default"],
    ] {
        let out = s.run(args);
        s.assert_output_clean(&format!("{args:?}"), &out);
    }

    // read --format jsonl, exported to a file
    let export = s.dir.join("data").join("export.jsonl");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&export).unwrap();
    let status = s.command().args(["read", &topic, "--format", "jsonl", "--raw"]).stdout(file).status().unwrap();
    assert!(status.success());
    let exported = std::fs::read_to_string(&export).unwrap();
    assert_eq!(exported.lines().count(), 2, "{exported}");

    // failing commands: a missing topic, an unreachable broker
    let out = s.run(&["stats", "persistent://public/default/no-such-topic-secrets"]);
    assert!(!out.status.success());
    s.assert_output_clean("a failing stats", &out);
    let out = s.run(&["--timeout", "2", "--service-url", "pulsar://127.0.0.1:1", "read", &topic]);
    assert!(!out.status.success());
    s.assert_output_clean("a read from an unreachable broker", &out);
    let out = s.run(&["--timeout", "2", "--admin-url", &format!("http://ops:{}@127.0.0.1:1", s.password), "ls"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"), "{out:?}");
    s.assert_output_clean("ls against an unreachable admin URL", &out);

    let log = std::fs::read_to_string(s.log()).unwrap_or_default();
    assert!(log.contains("TRACE"), "the log was written at trace level");
    s.assert_files_clean();
}

/// One tmux server running the TUI; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(s: &Setup, args: &[&str]) -> Tmux {
        let t = Tmux { socket: common::unique("pulsar-tui-secrets") };
        let bin = env!("CARGO_BIN_EXE_pulsar-tui");
        let script = r#""$@"; echo "EXITED:$?"; sleep 600"#;
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &t.socket, "-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "120", "-y", "30"]);
        for (k, v) in [
            ("HOME", s.dir.clone()),
            ("XDG_DATA_HOME", s.dir.join("data")),
            ("XDG_CONFIG_HOME", s.dir.join("xdg-config")),
            ("PULSAR_TUI_CONFIG", s.config()),
            ("PULSAR_TUI_LOG_FILE", s.log()),
            ("PULSAR_TUI_LOG", PathBuf::from("trace")),
        ] {
            cmd.args(["-e", &format!("{k}={}", v.display())]);
        }
        cmd.args(["sh", "-c", script, "sh", bin]).args(args);
        let out = cmd.output().expect("tmux runs");
        assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "s"])
    }

    /// The screen and everything scrolled off it.
    fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-", "-t", "s"])
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "s"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}

#[test]
#[ignore = "needs tmux and the broker: scripts/test runs it"]
fn the_tui_its_exports_its_log_and_a_panic_never_show_secrets() {
    let s = Setup::new("tui");
    let topic = format!("persistent://public/default/{}", common::unique("secrets-tui"));
    common::produce_lines(&service_url(), &admin_url(), Some(&s.token), &topic, &[], "alpha\nbeta\n");
    let short = topic.rsplit('/').next().unwrap().to_string();

    let t = Tmux::start(&s, &["--topic", &topic]);
    let mut screens = Vec::new();
    // --topic opens the browser on it
    screens.push(t.wait_for("the browser with the messages, connected", |sc| {
        sc.contains(&short) && sc.contains("alpha") && sc.contains("beta")
    }));
    t.keys(&["Enter"]);
    screens.push(t.wait_for("the message detail", |sc| sc.contains("Properties")));
    t.keys(&["E"]);
    screens.push(t.wait_for("the export", |sc| sc.contains("exported")));
    t.keys(&["q"]);
    screens.push(t.wait_for("the exit", |sc| sc.contains("EXITED:")));
    screens.push(t.history());
    for (i, screen) in screens.iter().enumerate() {
        s.assert_clean(&format!("screen {i}"), screen);
    }
    let exports = s.dir.join("data/pulsar-tui/exports");
    let n = std::fs::read_dir(&exports).map(|d| d.count()).unwrap_or(0);
    assert!(n > 0, "an export was written to {}", exports.display());
    drop(t);

    // a panic: the message printed after the terminal is restored
    let t = Tmux::start(&s, &["--panic-after-first-frame"]);
    t.wait_for("the panic's exit", |sc| sc.contains("EXITED:101"));
    let history = t.history();
    assert!(history.contains("injected panic"), "{history}");
    s.assert_clean("the panic message", &history);
    drop(t);

    let log = std::fs::read_to_string(s.log()).unwrap_or_default();
    assert!(log.contains("TRACE"), "the log was written at trace level");
    s.assert_files_clean();
    assert!(Path::new(&exports).exists());
}

#[test]
fn pulsarctl_configs_are_imported_by_the_binary_without_showing_their_tokens() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config");
    let s = Setup::new("pulsarctl");
    let staging_token = "eyJhbGciOiJIUzI1NiJ9.c3RhZ2luZw.c2ln";
    let run = |args: &[&str]| {
        let out = s
            .command()
            .env("PULSAR_TUI_CONFIG", "/nonexistent/pulsar-tui/config.toml")
            .arg("--pulsarctl-config")
            .arg(fixtures.join(args[0]))
            .args(&args[1..])
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!text.contains(staging_token) && !text.contains("c3RhZ2luZw"), "{args:?} shows the token:\n{text}");
        (out.status.success(), text)
    };
    // the current context (staging) with its token
    let (ok, text) = run(&["pulsarctl-config.yaml", "info"]);
    assert!(ok, "{text}");
    assert!(text.contains("admin url:    http://pulsar.staging.example:8080"), "{text}");
    assert!(text.contains("service url:  pulsar://broker.staging.example:6650"), "{text}");
    assert!(text.contains("token:        set (hidden)"), "{text}");
    // another context, with the derived broker URL and its warning
    let (ok, text) = run(&["pulsarctl-config.yaml", "--context", "prod", "info"]);
    assert!(ok, "{text}");
    assert!(text.contains("service url:  pulsar+ssl://pulsar.prod.example:6651"), "{text}");
    assert!(text.contains("pulsarctl-config.yaml:17: context prod: pulsarctl has no broker URL"), "{text}");
    // a partial file: its problems, with their lines, and a non-zero exit
    let (ok, text) = run(&["pulsarctl-partial.yaml", "--check-config"]);
    assert!(!ok, "{text}");
    assert!(text.contains("pulsarctl-partial.yaml:18: context nourl: no admin-service-url"), "{text}");
    assert!(
        text.contains("pulsarctl-partial.yaml:9: auth-info oauth: OAuth2 needs issuer_endpoint and key_file"),
        "{text}"
    );
}
