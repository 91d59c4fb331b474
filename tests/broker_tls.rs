//! TLS against a real broker started with PULSAR_TLS=1 on its own ports by
//! scripts/pulsar-standalone (a throw-away CA, a server certificate for `localhost` only,
//! the broker advertising `localhost`): with the CA both protocols work (the official
//! Python client produces over pulsar+ssl, we read over pulsar+ssl and list over https);
//! without the CA the error says the certificate is not trusted; through `127.0.0.1` (a
//! name the certificate lacks) it says hostname mismatch; the insecure switch connects
//! anyway and raises the header's warning badge.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use clap::Parser;
use pulsar_tui::pulsar::{Client, ClientError, ClusterTarget, TlsOptions, TlsProblem};

const BROKER_PORT: &str = "46650";
const WEB_PORT: &str = "48080";
const BK_PORT: &str = "43181";
const BROKER_TLS_PORT: &str = "46651";
const WEB_TLS_PORT: &str = "48443";

/// The TLS broker of this test: a certificate for `localhost` only.
fn tls_broker() -> common::OwnBroker {
    common::OwnBroker::start(
        "tls",
        &[
            ("PULSAR_TLS", "1"),
            ("PULSAR_TLS_SAN", "DNS:localhost"),
            ("PULSAR_ADVERTISED_ADDRESS", "localhost"),
            ("PULSAR_BROKER_PORT", BROKER_PORT),
            ("PULSAR_WEB_PORT", WEB_PORT),
            ("PULSAR_BK_PORT", BK_PORT),
            ("PULSAR_BROKER_PORT_TLS", BROKER_TLS_PORT),
            ("PULSAR_WEB_PORT_TLS", WEB_TLS_PORT),
        ],
    )
}

fn ca(broker: &common::OwnBroker) -> PathBuf {
    broker.run_dir.join("tls/ca.cert.pem")
}

fn target(host: &str, tls: TlsOptions) -> ClusterTarget {
    let mut t = ClusterTarget::new(
        &format!("pulsar+ssl://{host}:{BROKER_TLS_PORT}"),
        &format!("https://{host}:{WEB_TLS_PORT}"),
    );
    t.op_timeout = Duration::from_secs(5);
    t.tls = tls;
    t
}

fn pulsar_tui(host: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"));
    c.args(args)
        .env("PULSAR_SERVICE_URL", format!("pulsar+ssl://{host}:{BROKER_TLS_PORT}"))
        .env("PULSAR_ADMIN_URL", format!("https://{host}:{WEB_TLS_PORT}"))
        .env("PULSAR_TUI_CONFIG", "/nonexistent/pulsar-tui-it-tls.toml")
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-tls.log"))
        .env_remove("PULSAR_TLS_TRUST_CERTS_FILE")
        .env_remove("PULSAR_TLS_ALLOW_INSECURE")
        .args(["--timeout", "5"]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// The official Python client produces `n` messages over pulsar+ssl, verifying the
/// certificate chain and the hostname with the CA file.
fn python_produce_tls(ca: &str, topic: &str, n: usize) {
    let script = r#"
import sys, pulsar
service, ca, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = pulsar.Client(service, tls_trust_certs_file_path=ca, tls_validate_hostname=True,
                       tls_allow_insecure_connection=False, operation_timeout_seconds=30)
producer = client.create_producer(topic, batching_enabled=False)
for i in range(n):
    producer.send(f"tls-{i}".encode())
producer.close()
client.close()
"#;
    let service = format!("pulsar+ssl://localhost:{BROKER_TLS_PORT}");
    let out = Command::new("python3")
        .args(["-c", script, &service, ca, topic, &n.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python TLS producer failed: {}", String::from_utf8_lossy(&out.stderr));
}

async fn expect_tls_error(client: &Client, problem: TlsProblem, text: &str) {
    let started = Instant::now();
    let e = client.admin.tenants().await.expect_err("the admin API call must fail");
    assert!(matches!(&e, ClientError::Tls { problem: p, .. } if *p == problem), "admin API: {e:?}");
    assert!(e.to_string().contains(text), "admin API: {e}");
    let e = client.pulsar().await.err().expect("the binary protocol must fail");
    assert!(matches!(&e, ClientError::Tls { problem: p, .. } if *p == problem), "binary protocol: {e:?}");
    assert!(e.to_string().contains(text), "binary protocol: {e}");
    assert!(started.elapsed() < Duration::from_secs(20), "no hang: took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts a broker of its own (scripts/pulsar-standalone): scripts/test runs it"]
async fn tls_with_a_ca_file_untrusted_hostname_mismatch_and_insecure() {
    let broker = tls_broker();
    let ca = ca(&broker);
    let ca_s = ca.to_str().unwrap().to_string();
    let with_ca = TlsOptions { trust_certs_file: Some(ca.clone()), ..Default::default() };

    // with the CA: https lists tenants, pulsar+ssl reads what the Python client wrote over TLS
    let client = Client::new(target("localhost", with_ca.clone())).unwrap();
    assert!(client.admin.tenants().await.unwrap().contains(&"public".to_string()));
    assert!(!client.target.tls_insecure());
    client.pulsar().await.expect("pulsar+ssl connects with the CA");
    let topic = format!("persistent://public/default/{}", common::unique("tls"));
    python_produce_tls(&ca_s, &topic, 5);
    let out =
        pulsar_tui("localhost", &[("PULSAR_TLS_TRUST_CERTS_FILE", &ca_s)], &["read", &topic, "--format", "value"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let values: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    let expected: Vec<String> = (0..5).map(|i| format!("\"tls-{i}\"")).collect();
    assert_eq!(values, expected);
    let out = pulsar_tui("localhost", &[("PULSAR_TLS_TRUST_CERTS_FILE", &ca_s)], &["ls"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"public\""));

    // without the CA: not trusted, on both protocols, promptly
    let client = Client::new(target("localhost", TlsOptions::default())).unwrap();
    expect_tls_error(&client, TlsProblem::NotTrusted, "TLS: certificate not trusted").await;
    let out = pulsar_tui("localhost", &[], &["ls"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS: certificate not trusted"), "{err}");
    let out = pulsar_tui("localhost", &[], &["read", &topic]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS: certificate not trusted"), "{err}");

    // through 127.0.0.1, which the certificate does not name: hostname mismatch
    let client = Client::new(target("127.0.0.1", with_ca.clone())).unwrap();
    expect_tls_error(&client, TlsProblem::HostnameMismatch, "TLS: hostname mismatch").await;
    let out = pulsar_tui("127.0.0.1", &[("PULSAR_TLS_TRUST_CERTS_FILE", &ca_s)], &["ls"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("TLS: hostname mismatch"), "{err}");

    // hostname verification off (chain still checked): works, and counts as insecure
    let no_host = TlsOptions { hostname_verification: false, ..with_ca.clone() };
    let client = Client::new(target("127.0.0.1", no_host)).unwrap();
    assert!(client.admin.tenants().await.unwrap().contains(&"public".to_string()));
    client.pulsar().await.expect("pulsar+ssl without the hostname check");
    assert!(client.target.tls_insecure());

    // the insecure switch: no CA, wrong name, still works; the badge flag is set
    let insecure = TlsOptions { allow_insecure: true, ..Default::default() };
    let client = Client::new(target("127.0.0.1", insecure)).unwrap();
    assert!(client.target.tls_insecure());
    assert!(client.admin.tenants().await.unwrap().contains(&"public".to_string()));
    client.pulsar().await.expect("pulsar+ssl with the insecure switch");
    let out = pulsar_tui("127.0.0.1", &[("PULSAR_TLS_ALLOW_INSECURE", "true")], &["read", &topic, "--format", "value"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 5);

    // the same switch from a config context reaches the header as a warning badge
    let dir = std::env::temp_dir().join(common::unique("pulsar-tui-tls-cfg"));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "context = \"lab\"\n[contexts.lab]\nservice_url = \"pulsar+ssl://127.0.0.1:{BROKER_TLS_PORT}\"\n\
             admin_url = \"https://127.0.0.1:{WEB_TLS_PORT}\"\ntls_allow_insecure = true\n"
        ),
    )
    .unwrap();
    // the URLs as flags too: scripts/test exports PULSAR_SERVICE_URL/PULSAR_ADMIN_URL (the
    // default broker), which would win over the file
    let (service, admin) =
        (format!("pulsar+ssl://127.0.0.1:{BROKER_TLS_PORT}"), format!("https://127.0.0.1:{WEB_TLS_PORT}"));
    let cli = pulsar_tui::cli::Cli::parse_from([
        "pulsar-tui",
        "--config",
        cfg.to_str().unwrap(),
        "--context",
        "lab",
        "--service-url",
        &service,
        "--admin-url",
        &admin,
    ]);
    let resolved = pulsar_tui::settings::resolve(&cli);
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    assert_eq!(resolved.app.context.as_ref().map(|c| c.0.as_str()), Some("lab"));
    assert_eq!((resolved.target.service_url.as_str(), resolved.target.admin_url.as_str()), (&*service, &*admin));
    assert!(resolved.target.tls.allow_insecure && resolved.app.tls_insecure);
    let client = Client::new(resolved.target.clone()).unwrap();
    assert!(client.admin.tenants().await.unwrap().contains(&"public".to_string()));
    let app = pulsar_tui::app::App::new(resolved.app.clone(), Instant::now());
    let screen = common::screen(&common::draw(&app, 120, 10));
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("⚠ TLS insecure"), "{header}");
    let _ = std::fs::remove_dir_all(&dir);
    drop(broker);
}
