//! The plain-HTTP path against a one-shot local server: what it sends, what it decodes,
//! and that an `http://` admin URL sets up no TLS until reqwest is asked for.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use super::*;

/// Answers one request with `answer` (status line, headers and body) and returns the
/// request it read (head only).
fn one_shot(answer: Vec<u8>) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let served = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
            head.push(byte[0]);
        }
        let _ = s.write_all(&answer);
        String::from_utf8_lossy(&head).to_string()
    });
    (url, served)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn an_http_admin_url_sets_up_no_tls_and_an_https_one_does() {
    let plain = Transport::new("http://127.0.0.1:8080", Duration::from_secs(1), &TlsOptions::default()).unwrap();
    assert!(plain.plain.is_some() && !plain.tls_ready());
    let tls = Transport::new("https://127.0.0.1:8443", Duration::from_secs(1), &TlsOptions::default()).unwrap();
    assert!(tls.plain.is_none() && tls.tls_ready());
    // credentials in the URL: reqwest turns them into basic auth, so it carries the requests
    let creds = Transport::new("http://u:p@127.0.0.1:8080", Duration::from_secs(1), &TlsOptions::default()).unwrap();
    assert!(creds.plain.is_none() && creds.tls_ready());
}

#[test]
fn a_missing_trust_file_is_reported_at_once_even_for_http() {
    let tls = TlsOptions { trust_certs_file: Some("/nonexistent/ca.pem".into()), ..Default::default() };
    let err = Transport::new("http://127.0.0.1:8080", Duration::from_secs(1), &tls).err().expect("an error");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

#[tokio::test]
async fn the_plain_path_sends_what_reqwest_would_and_decodes_gzip() {
    let body = br#"["public","pulsar"]"#;
    let packed = gzip(body);
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        packed.len()
    )
    .into_bytes();
    answer.extend_from_slice(&packed);
    let (url, served) = one_shot(answer);
    let t = Transport::new(&url, Duration::from_secs(5), &TlsOptions::default()).unwrap();
    let body_json = serde_json::json!({"a": 1});
    let resp = t
        .send(Method::PUT, &format!("{url}/admin/v2/tenants"), Some("tok-1"), Some(&body_json), "PUT tenants")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(resp.json::<Vec<String>>().await.unwrap(), vec!["public", "pulsar"]);
    let head = served.join().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("put /admin/v2/tenants http/1.1\r\n"), "{head}");
    for line in [
        "authorization: bearer tok-1",
        "content-type: application/json",
        "accept-encoding: gzip",
        "user-agent: pulsar-tui/",
    ] {
        assert!(head.contains(line), "{line} missing in {head}");
    }
    assert!(!t.tls_ready(), "the plain path built the TLS client");
}

#[tokio::test]
async fn the_plain_path_times_out_and_reports_a_refused_connection() {
    // a server that accepts and never answers
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let t = Transport::new(&url, Duration::from_millis(300), &TlsOptions::default()).unwrap();
    let err = t.send(Method::GET, &format!("{url}/admin/v2/tenants"), None, None, "GET tenants").await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    drop(listener);
    let err = t.send(Method::GET, &format!("{url}/admin/v2/tenants"), None, None, "GET tenants").await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn reqwest_is_built_on_first_use_with_the_same_settings() {
    let t = Transport::new("http://127.0.0.1:8080", Duration::from_secs(1), &TlsOptions::default()).unwrap();
    assert!(!t.tls_ready());
    t.reqwest().await.unwrap();
    assert!(t.tls_ready());
    // an https URL through a plain-capable transport goes to reqwest
    let err = t.send(Method::GET, "https://127.0.0.1:1/x", None, None, "GET x").await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
}
