//! Token authentication against a real broker started in token mode (PULSAR_AUTH=1) on its
//! own ports by scripts/pulsar-standalone: a valid token works for the admin API and the
//! binary protocol, a wrong token fails clearly and promptly, a rotated token file is
//! picked up while running.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use pulsar_tui::pulsar::{Client, ClientError, ClusterTarget};

const BROKER_PORT: &str = "16650";
const WEB_PORT: &str = "18080";
const BK_PORT: &str = "13181";

/// The token-mode broker of this test.
fn auth_broker() -> common::OwnBroker {
    common::OwnBroker::token_mode("auth", BROKER_PORT, WEB_PORT, BK_PORT)
}

fn pulsar_tui(token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(args)
        .env("PULSAR_SERVICE_URL", format!("pulsar://127.0.0.1:{BROKER_PORT}"))
        .env("PULSAR_ADMIN_URL", format!("http://127.0.0.1:{WEB_PORT}"))
        .env("PULSAR_TOKEN", token)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-auth.log"))
        .args(["--timeout", "5"])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts a broker of its own (scripts/pulsar-standalone): scripts/test runs it"]
async fn tokens_work_fail_clearly_and_rotate_on_a_token_mode_broker() {
    let broker = auth_broker();
    let admin = broker.token("admin");
    let nobody = broker.token("nobody");

    // a valid token: admin API and binary protocol
    let out = pulsar_tui(&admin, &["ls"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"public\""));
    let topic = format!("persistent://public/default/{}", common::unique("auth"));
    let (service, web) = (format!("pulsar://127.0.0.1:{BROKER_PORT}"), format!("http://127.0.0.1:{WEB_PORT}"));
    common::produce_lines(&service, &web, Some(&admin), &topic, &[], "hello\n");
    let out = pulsar_tui(&admin, &["read", &topic, "--format", "value"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "\"hello\"");

    // a forged token: clear messages from both protocols, and no hang (--timeout 5)
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLW9mLW5vYm9keQ";
    let out = pulsar_tui(forged, &["ls"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains(forged), "the token is never printed: {err}");
    let out = pulsar_tui(forged, &["read", &topic]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("authentication failed"), "{err}");
    // the binary protocol alone (no admin call first)
    let mut t =
        ClusterTarget::new(&format!("pulsar://127.0.0.1:{BROKER_PORT}"), &format!("http://127.0.0.1:{WEB_PORT}"));
    t.token = Some(forged.into());
    t.op_timeout = Duration::from_secs(5);
    let e = Client::new(t).unwrap().pulsar().await.err().expect("a forged token is refused");
    assert!(matches!(e, ClientError::Unauthorized { .. }), "{e:?}");
    assert!(e.to_string().contains("authentication failed"), "{e}");
    // a valid token of a role without permission: a refusal, not an authentication failure
    let out = pulsar_tui(&nobody, &["ls", "public"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not authorized") && err.contains("lacks permission"), "{err}");

    // a token file rotated while the client runs
    let dir = std::env::temp_dir().join(common::unique("pulsar-tui-auth-rotate"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, forged).unwrap();
    let mut t =
        ClusterTarget::new(&format!("pulsar://127.0.0.1:{BROKER_PORT}"), &format!("http://127.0.0.1:{WEB_PORT}"));
    t.token = Some(forged.into());
    t.token_file = Some(file.clone());
    t.op_timeout = Duration::from_secs(5);
    let client = Client::new(t).unwrap();
    assert!(matches!(client.admin.tenants().await, Err(ClientError::Unauthorized { .. })));
    std::fs::write(&file, format!("{admin}\n")).unwrap();
    assert!(client.admin.tenants().await.unwrap().contains(&"public".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    drop(broker);
}
