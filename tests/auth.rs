//! Token handling of the client layer, and the header of each context. The token broker
//! here is a minimal HTTP endpoint that accepts exactly one bearer token (the unit under
//! test is our client's retry on 401, not the broker).

mod common;

use std::time::{Duration, Instant};

use common::{draw, screen};
use pulsar_tui::app::{App, Settings};
use pulsar_tui::pulsar::{Client, ClientError, ClusterTarget};
use pulsar_tui::ui::theme::Theme;
use ratatui::style::Color;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers `["acme"]` to requests carrying `Bearer <accepted>`, 401 to any other.
async fn token_endpoint(accepted: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                let ok = req.contains(&format!("authorization: bearer {accepted}\r\n"));
                let (status, body) = if ok { ("200 OK", "[\"acme\"]") } else { ("401 Unauthorized", "") };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_rotated_token_file_is_picked_up_on_401_and_a_wrong_token_says_so() {
    let port = token_endpoint("new").await;
    let dir = std::env::temp_dir().join(common::unique("pulsar-tui-token"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token.jwt");
    std::fs::write(&file, "old\n").unwrap();
    let mut t = ClusterTarget::new(&format!("pulsar://127.0.0.1:{port}"), &format!("http://127.0.0.1:{port}"));
    t.token = Some("old".into());
    t.token_file = Some(file.clone());
    t.op_timeout = Duration::from_secs(5);
    let client = Client::new(t).unwrap();
    let e = client.admin.tenants().await.unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized { .. }), "{e:?}");
    assert!(e.to_string().contains("authentication failed"), "{e}");
    assert!(!e.to_string().contains("old"), "the token never appears in errors: {e}");
    // the token is rotated on disk while the client runs
    std::fs::write(&file, "new\n").unwrap();
    assert_eq!(client.admin.tenants().await.unwrap(), vec!["acme".to_string()]);
    // and stays in use
    assert_eq!(client.admin.tenants().await.unwrap(), vec!["acme".to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_header_shows_the_context_in_its_colour_and_read_only() {
    let theme = Theme::default();
    for (name, color, ro, want) in [
        ("prod", Some("red"), true, Color::Red),
        ("staging", Some("#ff8800"), false, Color::Rgb(255, 136, 0)),
        ("dev", None, false, theme.accent),
    ] {
        let settings =
            Settings { context: Some((name.into(), color.map(String::from))), read_only: ro, ..Settings::default() };
        let app = App::new(settings, Instant::now());
        let term = draw(&app, 80, 4);
        let text = screen(&term);
        let header = text.lines().next().unwrap().to_string();
        insta::assert_snapshot!(format!("header_{name}"), header.trim_end());
        assert_eq!(header.contains("[RO]"), ro, "{header}");
        let x = header.find(&format!(" {name} ")).map(|b| header[..b].chars().count() as u16 + 1).unwrap();
        assert_eq!(term.backend().buffer()[(x, 0)].bg, want, "{name}: {header}");
    }
}

#[test]
fn the_header_warns_when_a_tls_check_is_off() {
    let theme = Theme::default();
    for insecure in [false, true] {
        let settings = Settings { tls_insecure: insecure, read_only: true, ..Settings::default() };
        let app = App::new(settings, Instant::now());
        let term = draw(&app, 80, 4);
        let header = screen(&term).lines().next().unwrap().to_string();
        assert_eq!(header.contains("⚠ TLS insecure"), insecure, "{header}");
        if insecure {
            // in the theme's warning colour, after [RO]
            let x = header.find('⚠').map(|b| header[..b].chars().count() as u16).unwrap();
            assert_eq!(term.backend().buffer()[(x, 0)].fg, theme.status_warn, "{header}");
            assert!(header.find("[RO]") < header.find('⚠'), "{header}");
        }
    }
}
