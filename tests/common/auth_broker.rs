//! A token-mode broker (PULSAR_AUTH=1) of `scripts/pulsar-standalone` on ports of its own
//! (not those of `tests/broker_auth.rs`, so that both can run), stopped when dropped.

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub const BROKER_PORT: u16 = 26650;
pub const WEB_PORT: u16 = 28080;
const BK_PORT: u16 = 23181;

fn standalone() -> PathBuf {
    std::env::var_os("PULSAR_TUI_STANDALONE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pulsar-standalone"))
}

pub struct AuthBroker {
    run_dir: PathBuf,
}

impl AuthBroker {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(standalone());
        c.args(args)
            .env("PULSAR_AUTH", "1")
            .env("PULSAR_RUN_DIR", &self.run_dir)
            .env("PULSAR_BROKER_PORT", BROKER_PORT.to_string())
            .env("PULSAR_WEB_PORT", WEB_PORT.to_string())
            .env("PULSAR_BK_PORT", BK_PORT.to_string());
        c
    }

    pub fn start() -> AuthBroker {
        let b = AuthBroker { run_dir: std::env::temp_dir().join("pulsar-tui-it-auth-broker-misc") };
        let out = b.command(&["start"]).stderr(Stdio::inherit()).output().expect("run pulsar-standalone");
        assert!(out.status.success(), "the token-mode broker did not start: {}", String::from_utf8_lossy(&out.stdout));
        b
    }

    /// A JWT whose subject is `role` ("admin" is the super-user).
    pub fn token(&self, role: &str) -> String {
        let out = self.command(&["token", role]).output().expect("run pulsar-standalone token");
        assert!(out.status.success(), "pulsar-standalone token {role} failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn service_url(&self) -> String {
        format!("pulsar://127.0.0.1:{BROKER_PORT}")
    }

    pub fn web_url(&self) -> String {
        format!("http://127.0.0.1:{WEB_PORT}")
    }
}

impl Drop for AuthBroker {
    fn drop(&mut self) {
        let _ = self.command(&["stop"]).output();
    }
}
