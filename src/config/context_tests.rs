use super::*;

const TEXT: &str = r#"service_url = "pulsar://local:6650"
token = "top-secret"
context = "staging"

[contexts.prod]
service_url = "pulsar+ssl://prod:6651"
token_file = "/etc/pulsar/prod.jwt"
read_only = true
color = "red"
bogus = 1

[contexts.staging]
admin_url = "http://staging-admin:8080"
read_only = "yes"
"#;

#[test]
fn contexts_parse_with_line_numbered_warnings() {
    let (cfg, w) = parse(Path::new("/x/config.toml"), TEXT);
    let msgs: Vec<String> = w.iter().map(|w| format!("{:?} {}", w.line, w.message)).collect();
    assert_eq!(w.len(), 2, "{msgs:?}");
    assert_eq!(w[0].line, Some(10));
    assert!(w[0].message.contains("contexts.prod: unknown key \"bogus\""), "{msgs:?}");
    assert_eq!(w[1].line, Some(14));
    assert!(w[1].message.contains("contexts.staging: bad value for \"read_only\""), "{msgs:?}");
    let contexts = cfg.contexts.as_ref().unwrap();
    assert_eq!(contexts.len(), 2);
    assert_eq!(contexts["prod"].read_only, Some(true));
    assert_eq!(cfg.context.as_deref(), Some("staging"));
}

#[test]
fn a_context_overrides_the_top_level_and_never_inherits_another_clusters_credentials() {
    let (cfg, _) = parse(Path::new("/x/config.toml"), TEXT);
    let prod = cfg.in_context("prod").unwrap();
    assert_eq!(prod.service_url.as_deref(), Some("pulsar+ssl://prod:6651"));
    assert_eq!(prod.admin_url, None, "derived from the context's service URL");
    assert_eq!(prod.token, None, "the top-level token is not sent to prod");
    assert_eq!(prod.token_file.as_deref(), Some(Path::new("/etc/pulsar/prod.jwt")));
    assert_eq!(prod.read_only, Some(true));
    assert_eq!(cfg.context_color("prod").as_deref(), Some("red"));
    let staging = cfg.in_context("staging").unwrap();
    assert_eq!(staging.service_url.as_deref(), Some("pulsar://local:6650"));
    assert_eq!(staging.admin_url.as_deref(), Some("http://staging-admin:8080"));
    assert_eq!(staging.token.as_deref(), Some("top-secret"));
    let debug = format!("{cfg:?} {staging:#?} {:?}", cfg.contexts);
    assert!(!debug.contains("top-secret") && debug.contains("<hidden>"), "{debug}");
    let e = cfg.in_context("dev").unwrap_err();
    assert!(e.contains("prod, staging"), "{e}");
}

#[test]
fn tls_and_oauth2_keys_parse_inherit_and_replace_credentials() {
    let text = r#"token = "top-secret"
tls_trust_certs_file = "/etc/pulsar/company-ca.pem"
tls_hostname_verification = false

[contexts.cloud]
service_url = "pulsar+ssl://cloud:6651"
oauth2_issuer_url = "https://auth.example/"
oauth2_credentials_file = "/etc/pulsar/key.json"
oauth2_audience = "urn:pulsar"
oauth2_scope = "admin"
tls_hostname_verification = true

[contexts.lab]
tls_allow_insecure = "yes"
tls_trust_certs_file = "/lab/ca.pem"
"#;
    let (cfg, w) = parse(Path::new("/x/config.toml"), text);
    let msgs: Vec<String> = w.iter().map(|w| format!("{:?} {}", w.line, w.message)).collect();
    assert_eq!(w.len(), 1, "{msgs:?}");
    assert_eq!(w[0].line, Some(14));
    assert!(w[0].message.contains("contexts.lab: bad value for \"tls_allow_insecure\""), "{msgs:?}");
    let cloud = cfg.in_context("cloud").unwrap();
    assert_eq!(cloud.token, None, "OAuth2 in a context replaces the top-level token");
    assert_eq!(cloud.oauth2_issuer_url.as_deref(), Some("https://auth.example/"));
    assert_eq!(cloud.oauth2_credentials_file.as_deref(), Some(Path::new("/etc/pulsar/key.json")));
    assert_eq!((cloud.oauth2_audience.as_deref(), cloud.oauth2_scope.as_deref()), (Some("urn:pulsar"), Some("admin")));
    assert_eq!(cloud.tls_trust_certs_file.as_deref(), Some(Path::new("/etc/pulsar/company-ca.pem")), "inherited");
    assert_eq!(cloud.tls_hostname_verification, Some(true), "the context's own value wins");
    let lab = cfg.in_context("lab").unwrap();
    assert_eq!(lab.token.as_deref(), Some("top-secret"));
    assert_eq!(lab.tls_allow_insecure, None, "the bad value was dropped");
    assert_eq!(lab.tls_trust_certs_file.as_deref(), Some(Path::new("/lab/ca.pem")));
    assert_eq!(lab.tls_hostname_verification, Some(false));
}
