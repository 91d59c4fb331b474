//! Records the commit the binary is built from, for `pulsar-tui --version`.
//! Hand-written (a dozen lines) rather than `vergen`/`built`, which bring a git library
//! or many dependencies for this one value.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    // a source tarball (cargo install from a registry) has no git: the builder may say it
    let value = commit.or_else(|| std::env::var("PULSAR_TUI_COMMIT").ok()).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PULSAR_TUI_COMMIT={value}");
    println!("cargo:rerun-if-env-changed=PULSAR_TUI_COMMIT");
    // a new commit moves HEAD's branch ref (or HEAD itself when detached)
    // (only paths that exist: cargo reruns the script, and rebuilds the crate, on every build
    // when a listed path is missing, e.g. a checkout without packed refs)
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    // without any of them (no git checkout) the script still must not rerun every time
    println!("cargo:rerun-if-changed=build.rs");
}
