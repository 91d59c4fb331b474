use super::*;

fn p() -> PathBuf {
    PathBuf::from("/x/config.toml")
}

#[test]
fn the_documented_default_config_parses_cleanly() {
    let (cfg, w) = parse(&p(), DEFAULT_CONFIG);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(cfg.refresh_interval_secs, Some(5));
    assert_eq!(cfg.metrics_interval_secs, Some(5));
    assert_eq!(cfg.metrics_history_minutes, Some(15));
    assert_eq!(cfg.metrics_urls, None, "documented but commented out");
}

#[test]
fn a_syntax_error_names_the_line_and_keeps_defaults() {
    let (cfg, w) = parse(&p(), "service_url = \"pulsar://a:6650\"\n\nadmin_url = \n");
    assert_eq!(cfg, FileConfig::default());
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].line, Some(3), "{w:?}");
    assert!(w[0].to_string().starts_with("/x/config.toml:3: not valid TOML"), "{}", w[0]);
}

#[test]
fn unknown_keys_and_bad_values_are_skipped_with_their_line() {
    let text = "service_url = \"pulsar://a:6650\"\nrefresh = 3\nop_timeout_secs = \"ten\"\nrefresh_interval_secs = 0\n";
    let (cfg, w) = parse(&p(), text);
    assert_eq!(cfg.service_url.as_deref(), Some("pulsar://a:6650"));
    assert_eq!(cfg.op_timeout_secs, None);
    assert_eq!(cfg.refresh_interval_secs, None);
    let lines: Vec<_> = w.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![Some(2), Some(3), Some(4)], "{w:?}");
}

#[test]
fn metrics_keys_are_read() {
    let text = "metrics_interval_secs = 10\nmetrics_history_minutes = 60\n\
                    metrics_urls = [\"http://b1:8080/metrics/\", \"https://b2:8443/metrics/\"]\n";
    let (cfg, w) = parse(&p(), text);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(cfg.metrics_interval_secs, Some(10));
    assert_eq!(cfg.metrics_history_minutes, Some(60));
    assert_eq!(
        cfg.metrics_urls,
        Some(vec!["http://b1:8080/metrics/".to_string(), "https://b2:8443/metrics/".to_string()])
    );
}

#[test]
fn bad_metrics_values_are_skipped_with_their_line() {
    let text = "theme = \"dark\"\nmetrics_interval_secs = 0\nmetrics_history_minutes = -3\n\
                    metrics_urls = [\"b1:8080/metrics\"]\n";
    let (cfg, w) = parse(&p(), text);
    assert_eq!(cfg.theme.as_deref(), Some("dark"));
    assert_eq!((cfg.metrics_interval_secs, cfg.metrics_history_minutes, cfg.metrics_urls), (None, None, None));
    let lines: Vec<_> = w.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![Some(2), Some(3), Some(4)], "{w:?}");
    assert!(w[2].message.contains("b1:8080/metrics"), "{}", w[2]);
    // a list of something else than strings is a bad value too
    let (cfg, w) = parse(&p(), "metrics_urls = [1, 2]\n");
    assert_eq!(cfg.metrics_urls, None);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].line, Some(1));
}

#[test]
fn a_history_longer_than_the_kept_points_is_a_warning_but_is_used() {
    let (cfg, w) = parse(&p(), "metrics_interval_secs = 1\n\nmetrics_history_minutes = 60\n");
    assert_eq!(cfg.metrics_history_minutes, Some(60));
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].line, Some(3));
    assert!(w[0].message.contains("3600 scrapes"), "{}", w[0]);
}
