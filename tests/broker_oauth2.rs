//! OAuth2 client credentials against a real token-mode broker (PULSAR_AUTH=1, own ports)
//! and a tiny OIDC issuer (tests/clients/oauth2_issuer.py) whose tokens are JWTs signed
//! with that broker's secret key: both protocols work with client credentials (the
//! official Python client, also with OAuth2, writes what we read), the token is cached
//! and fetched again after the broker refuses it, and a wrong client secret fails clearly.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pulsar_tui::pulsar::{Client, ClientError, ClusterTarget, OAuth2Params};

const BROKER_PORT: &str = "56650";
const WEB_PORT: &str = "58080";
const BK_PORT: &str = "53181";
const AUDIENCE: &str = "urn:pulsar-tui-it";

/// The token-mode broker of this test.
fn auth_broker() -> common::OwnBroker {
    common::OwnBroker::token_mode("oauth2", BROKER_PORT, WEB_PORT, BK_PORT)
}

fn secret_key(broker: &common::OwnBroker) -> PathBuf {
    broker.run_dir.join("tokens/secret.key")
}

/// The test issuer; killed (by its own pid) when dropped.
struct Issuer {
    child: Child,
    url: String,
    /// Its JSON log lines, one per token request.
    log: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Issuer {
    fn start(key: &Path, extra: &[&str]) -> Issuer {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/oauth2_issuer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--key")
            .arg(key)
            .args(["--client", "tui:s3cret-tui:admin", "--client", "py:s3cret-py:admin", "--audience", AUDIENCE])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the issuer");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
        let url = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("issuer said {first:?}")).to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        Issuer { child, url, log }
    }

    fn requests(&self) -> Vec<serde_json::Value> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn creds(dir: &Path, name: &str, id: &str, secret: &str) -> PathBuf {
    let p = dir.join(name);
    let body = serde_json::json!({"type": "client_credentials", "client_id": id, "client_secret": secret});
    std::fs::write(&p, body.to_string()).unwrap();
    p
}

fn target(issuer: &str, credentials: &Path, audience: Option<&str>) -> ClusterTarget {
    let mut t =
        ClusterTarget::new(&format!("pulsar://127.0.0.1:{BROKER_PORT}"), &format!("http://127.0.0.1:{WEB_PORT}"));
    t.op_timeout = Duration::from_secs(5);
    t.oauth2 = Some(OAuth2Params {
        issuer_url: format!("{issuer}/"),
        credentials_file: credentials.to_path_buf(),
        audience: audience.map(str::to_string),
        scope: Some("pulsar-admin".into()),
    });
    t
}

/// `pulsar-tui` with a config file whose context uses OAuth2.
fn pulsar_tui_with_config(dir: &Path, issuer: &str, credentials: &Path, args: &[&str]) -> Output {
    let cfg = dir.join(format!("{}.toml", common::unique("config")));
    let text = format!(
        "context = \"oauth\"\n[contexts.oauth]\nservice_url = \"pulsar://127.0.0.1:{BROKER_PORT}\"\n\
         admin_url = \"http://127.0.0.1:{WEB_PORT}\"\noauth2_issuer_url = \"{issuer}/\"\n\
         oauth2_credentials_file = \"{}\"\noauth2_audience = \"{AUDIENCE}\"\noauth2_scope = \"pulsar-admin\"\n",
        credentials.display()
    );
    std::fs::write(&cfg, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--config", cfg.to_str().unwrap(), "--timeout", "5"])
        .args(args)
        .env_remove("PULSAR_SERVICE_URL")
        .env_remove("PULSAR_ADMIN_URL")
        .env_remove("PULSAR_TOKEN")
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-oauth2.log"))
        .output()
        .unwrap()
}

/// The official Python client, authenticated with its own OAuth2 plugin, produces `n`
/// messages: proof that the issuer speaks what Pulsar's clients expect.
fn python_produce_oauth2(issuer: &str, credentials: &Path, topic: &str, n: usize) {
    let script = r#"
import sys, json, pulsar
service, issuer, key, audience, topic, n = sys.argv[1:6] + [int(sys.argv[6])]
auth = pulsar.AuthenticationOauth2(json.dumps({"issuer_url": issuer, "private_key": "file://" + key,
                                               "audience": audience, "scope": "pulsar-admin"}))
client = pulsar.Client(service, authentication=auth, operation_timeout_seconds=30)
producer = client.create_producer(topic, batching_enabled=False)
for i in range(n):
    producer.send(f"oauth2-{i}".encode())
producer.close()
client.close()
"#;
    let out = Command::new("python3")
        .args([
            "-c",
            script,
            &format!("pulsar://127.0.0.1:{BROKER_PORT}"),
            issuer,
            credentials.to_str().unwrap(),
            AUDIENCE,
            topic,
            &n.to_string(),
        ])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python OAuth2 producer failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts a broker of its own (scripts/pulsar-standalone): scripts/test runs it"]
async fn oauth2_client_credentials_on_both_protocols() {
    let broker = auth_broker();
    let issuer = Issuer::start(&secret_key(&broker), &[]);
    let dir = std::env::temp_dir().join(common::unique("pulsar-tui-oauth2"));
    std::fs::create_dir_all(&dir).unwrap();
    let good = creds(&dir, "tui.json", "tui", "s3cret-tui");
    let bad = creds(&dir, "wrong.json", "tui", "not-the-secret");
    let py = creds(&dir, "py.json", "py", "s3cret-py");

    // the admin API and the binary protocol with client credentials: one token for both
    let client = Client::new(target(&issuer.url, &good, Some(AUDIENCE))).unwrap();
    assert!(client.admin.tenants().await.unwrap().contains(&"public".to_string()));
    assert!(client.admin.namespaces("public").await.unwrap().contains(&"public/default".to_string()));
    client.pulsar().await.expect("the binary protocol connects with the OAuth2 token");
    let source = client.oauth2().expect("OAuth2 is configured");
    assert_eq!(source.fetches(), 1, "the token is cached: {:?}", issuer.requests());
    let reqs = issuer.requests();
    let ours = reqs.iter().find(|r| r["client_id"] == "tui").expect("our token request reached the issuer");
    assert_eq!((ours["audience"].as_str(), ours["scope"].as_str()), (Some(AUDIENCE), Some("pulsar-admin")));
    assert_eq!(ours["grant_type"], "client_credentials");

    // what the official client wrote (with its own OAuth2 plugin), read through a config context
    let topic = format!("persistent://public/default/{}", common::unique("oauth2"));
    python_produce_oauth2(&issuer.url, &py, &topic, 3);
    let out = pulsar_tui_with_config(&dir, &issuer.url, &good, &["read", &topic, "--format", "value"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let values: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(values, vec!["\"oauth2-0\"", "\"oauth2-1\"", "\"oauth2-2\""]);

    // a wrong client secret: the issuer refuses, both protocols say so, promptly
    let started = Instant::now();
    let client = Client::new(target(&issuer.url, &bad, Some(AUDIENCE))).unwrap();
    let e = client.admin.tenants().await.expect_err("a wrong secret is refused");
    assert!(matches!(e, ClientError::IssuerRefused { .. }), "{e:?}");
    assert!(e.to_string().contains("authentication failed") && e.to_string().contains("invalid_client"), "{e}");
    let e = client.pulsar().await.err().expect("the binary protocol is refused too");
    assert!(matches!(e, ClientError::IssuerRefused { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "no hang: {:?}", started.elapsed());
    let out = pulsar_tui_with_config(&dir, &issuer.url, &bad, &["ls"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("authentication failed"), "{err}");
    assert!(err.contains("refused the client credentials") && !err.contains("not-the-secret"), "{err}");
    // the audience is sent: without it this issuer refuses
    let client = Client::new(target(&issuer.url, &good, None)).unwrap();
    let e = client.admin.tenants().await.expect_err("no audience");
    assert!(e.to_string().contains("audience must be"), "{e}");

    // a token the issuer says lives an hour but whose JWT expires in 2 s: the broker refuses
    // it after that, and the client fetches a new one and retries (every call succeeds)
    let short = Issuer::start(&secret_key(&broker), &["--jwt-ttl", "2", "--expires-in", "3600"]);
    let client = Client::new(target(&short.url, &good, Some(AUDIENCE))).unwrap();
    let source = client.oauth2().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while source.fetches() < 2 {
        assert!(Instant::now() < deadline, "no new token after the old one expired: {:?}", short.requests());
        let tenants = client.admin.tenants().await.expect("a refused token is replaced, not reported");
        assert!(tenants.contains(&"public".to_string()));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let _ = std::fs::remove_dir_all(&dir);
    drop(short);
    drop(issuer);
    drop(broker);
}
