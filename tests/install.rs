//! What `cargo install` users get besides the TUI: completions, man pages, `--version`.
//! These run the real binary; no broker needed.

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(args)
        // no config of the user's may change what the CLI prints
        .env("PULSAR_TUI_CONFIG", "/nonexistent/pulsar-tui-config.toml")
        .output()
        .expect("run pulsar-tui");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The subcommand names clap knows, from `--help` (so a new subcommand is covered without
/// editing this test).
fn subcommands() -> Vec<String> {
    let (ok, help, _) = run(&["--help"]);
    assert!(ok);
    let section = help.split("Commands:").nth(1).expect("a Commands section in --help");
    section
        .lines()
        .skip(1) // the rest of the "Commands:" line
        .take_while(|l| !l.trim().is_empty())
        // a name is indented by two spaces; a wrapped description by more
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_name_every_subcommand_in_each_shell() {
    let subs = subcommands();
    assert!(subs.iter().any(|s| s == "read") && subs.iter().any(|s| s == "completions"), "{subs:?}");
    for shell in ["bash", "zsh", "fish"] {
        let (ok, script, err) = run(&["completions", shell]);
        assert!(ok, "{shell}: {err}");
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell} completion lacks {sub}");
        }
    }
    let (ok, _, err) = run(&["completions", "tcsh"]);
    assert!(!ok && err.contains("invalid value"), "{err}");
}

#[test]
fn man_page_to_stdout_and_one_file_per_subcommand() {
    let (ok, page, err) = run(&["man"]);
    assert!(ok, "{err}");
    assert!(page.contains(".TH pulsar-tui 1"), "{page}");
    assert!(page.contains("\\-\\-service\\-url"), "the options are documented");
    let dir = std::env::temp_dir().join(format!("pulsar-tui-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (ok, listed, err) = run(&["man", "--out-dir", dir.to_str().expect("utf-8 path")]);
    assert!(ok, "{err}");
    for sub in subcommands() {
        let path = dir.join(format!("pulsar-tui-{sub}.1"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains(&format!(".TH pulsar-tui-{sub} 1")), "{}", path.display());
        assert!(listed.contains(&path.display().to_string()));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn version_names_the_commit() {
    let (ok, out, _) = run(&["--version"]);
    assert!(ok);
    let head = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert!(out.starts_with(&format!("pulsar-tui {} (", env!("CARGO_PKG_VERSION"))), "{out}");
    // built from this checkout: the commit is HEAD's (or an older one, if HEAD moved since the build)
    let commit = out.trim().rsplit('(').next().unwrap_or("").trim_end_matches(')');
    assert!(commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit()), "{out}");
    if !head.is_empty() {
        let known = Command::new("git").args(["cat-file", "-t", commit]).output().expect("git");
        assert_eq!(String::from_utf8_lossy(&known.stdout).trim(), "commit", "{commit} is a commit of this repository");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly_without_a_panic() {
    use std::process::Stdio;
    for args in [&["completions", "zsh"][..], &["man"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pulsar-tui");
        // the reader goes away at once, as `| head -0` would: the writes fail with EPIPE
        // (or, when the child was quicker, all of it went into the pipe's buffer first)
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for pulsar-tui");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(matches!(out.status.code(), Some(0) | Some(141)), "{args:?}: {:?} {stderr}", out.status);
        assert!(out.status.code() == Some(0) || stderr.is_empty(), "{args:?}: a closed pipe is not an error: {stderr}");
    }
}
