//! Which redirect targets belong to the cluster, and so may receive the token.
//!
//! A broker answers an admin call for a topic it does not own with `307 Temporary Redirect`
//! to the owner's web address, usually another host. reqwest (like curl and browsers) drops
//! the `Authorization` header on such a cross-host redirect, so the admin client follows
//! redirects itself (`redirect::Policy::none()` stops reqwest at the 3xx) and re-attaches
//! the token only when the target is an *origin of the cluster*:
//!
//! - the admin URL's host and port;
//! - each host of the configured service URL (`pulsar://h1:6650,h2:6650`), at the admin
//!   URL's port;
//! - each broker `/admin/v2/brokers/{cluster}` lists (its `host:port`, and its host at the
//!   admin URL's port, for a TLS admin URL on 8443 while the list names the 8080 address).
//!
//! Hosts are compared without case and a trailing dot; every loopback spelling
//! (`localhost`, `127.0.0.1`, `127.x.y.z`, `::1`) is one host. Ports matter: another port is
//! another server (the same rule as a browser's same-origin policy).

use reqwest::Url;

/// A host and port, with the host normalised (lower case, loopback spellings merged).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub host: String,
    pub port: u16,
}

const LOOPBACK: &str = "loopback";

/// The origin of an absolute `http(s)://` URL.
pub fn origin(url: &str) -> Option<Origin> {
    let u = Url::parse(url).ok()?;
    Some(Origin { host: normalize_host(u.host_str()?), port: u.port_or_known_default()? })
}

/// The origin of a `host:port` (as `/admin/v2/brokers/{cluster}` lists them).
pub fn origin_of_address(address: &str) -> Option<Origin> {
    origin(&format!("http://{}", address.trim()))
}

fn normalize_host(host: &str) -> String {
    let h = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    let loopback =
        h == "localhost" || h.ends_with(".localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        LOOPBACK.to_string()
    } else {
        h
    }
}

/// The hosts of a service URL (`pulsar://h1:6650,h2:6650/`), normalised.
fn service_hosts(service_url: &str) -> Vec<String> {
    let rest = service_url.split_once("://").map_or(service_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    authority
        .split(',')
        .filter_map(|hp| Url::parse(&format!("http://{}", hp.trim())).ok())
        .filter_map(|u| u.host_str().map(normalize_host))
        .collect()
}

/// The origins known without asking the cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOrigins {
    fixed: Vec<Origin>,
    admin_port: Option<u16>,
}

impl ClusterOrigins {
    pub fn new(admin_url: &str, service_url: Option<&str>) -> ClusterOrigins {
        let admin = origin(admin_url);
        let admin_port = admin.as_ref().map(|o| o.port);
        let mut fixed: Vec<Origin> = admin.into_iter().collect();
        if let (Some(s), Some(port)) = (service_url, admin_port) {
            for host in service_hosts(s) {
                fixed.push(Origin { host, port });
            }
        }
        ClusterOrigins { fixed, admin_port }
    }

    pub fn is_fixed(&self, o: &Origin) -> bool {
        self.fixed.contains(o)
    }

    /// The origins of the brokers a cluster lists (`host:port` each): the listed port, and
    /// the admin URL's port on the same host.
    pub fn brokers(&self, listed: &[String]) -> Vec<Origin> {
        let mut out = Vec::new();
        for o in listed.iter().filter_map(|a| origin_of_address(a)) {
            if let Some(port) = self.admin_port.filter(|p| *p != o.port) {
                out.push(Origin { host: o.host.clone(), port });
            }
            out.push(o);
        }
        out
    }
}

/// `scheme://host:port` of a URL, for messages (no user info, path or query).
pub fn display_origin(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            _ => u.scheme().to_string(),
        },
        Err(_) => "(an unparsable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(h: &str, p: u16) -> Origin {
        Origin { host: h.into(), port: p }
    }

    #[test]
    fn loopback_spellings_are_one_host_but_ports_differ() {
        assert_eq!(origin("http://localhost:8080/x"), Some(o(LOOPBACK, 8080)));
        assert_eq!(origin("http://127.0.0.1:8080"), Some(o(LOOPBACK, 8080)));
        assert_eq!(origin("http://[::1]:8080"), Some(o(LOOPBACK, 8080)));
        assert_eq!(origin("http://127.1.2.3:9"), Some(o(LOOPBACK, 9)));
        assert_eq!(origin("https://Broker-1.Example.:8443/admin"), Some(o("broker-1.example", 8443)));
        assert_eq!(origin("https://b"), Some(o("b", 443)));
        assert_ne!(origin("http://localhost:8080"), origin("http://localhost:8081"));
        assert_eq!(origin("not a url"), None);
    }

    #[test]
    fn the_cluster_is_the_admin_url_the_service_hosts_and_the_listed_brokers() {
        let c = ClusterOrigins::new("https://admin.example:8443", Some("pulsar+ssl://b1.example:6651,b2.example:6651"));
        assert!(c.is_fixed(&o("admin.example", 8443)));
        assert!(c.is_fixed(&o("b2.example", 8443)));
        assert!(!c.is_fixed(&o("b2.example", 6651)));
        assert!(!c.is_fixed(&o("evil.example", 8443)));
        let listed = c.brokers(&["b3.example:8080".to_string(), "garbage:port".to_string()]);
        assert_eq!(listed, vec![o("b3.example", 8443), o("b3.example", 8080)]);
    }

    #[test]
    fn display_origin_drops_user_info_and_path() {
        assert_eq!(display_origin("http://user:pw@h:81/admin?x=1"), "http://h:81");
    }
}
