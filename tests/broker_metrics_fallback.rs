//! The admin-API fallback on a real broker that exports namespace-level `/metrics` only.
//!
//! Ignored by default: it needs a second standalone started with
//! `exposeTopicLevelMetricsInPrometheus=false` (never the shared broker), e.g.
//!
//! ```sh
//! PULSAR_RUN_DIR=/tmp/pulsar-alt PULSAR_BROKER_PORT=6660 PULSAR_WEB_PORT=8090 PULSAR_BK_PORT=3191 \
//!   PULSAR_TOPIC_LEVEL_METRICS=false scripts/pulsar-standalone start
//! PULSAR_TUI_IT_NS_LEVEL_SERVICE_URL=pulsar://127.0.0.1:6660 \
//!   PULSAR_TUI_IT_NS_LEVEL_ADMIN_URL=http://127.0.0.1:8090 \
//!   cargo test --test broker_metrics_fallback -- --ignored
//! PULSAR_RUN_DIR=/tmp/pulsar-alt scripts/pulsar-standalone stop
//! ```

mod common;

use std::time::{Duration, Instant};

use common::tenant_with_lagging_topics;
use pulsar_tui::pulsar::{scrape, Client};
use pulsar_tui::pulsar::{ClusterTarget, TopicName};

fn client() -> Client {
    let service =
        std::env::var("PULSAR_TUI_IT_NS_LEVEL_SERVICE_URL").unwrap_or_else(|_| "pulsar://127.0.0.1:6660".into());
    let admin = std::env::var("PULSAR_TUI_IT_NS_LEVEL_ADMIN_URL").unwrap_or_else(|_| "http://127.0.0.1:8090".into());
    Client::new(ClusterTarget::new(&service, &admin)).unwrap()
}

fn produce(service: &str, topic: &str, n: usize) {
    let script = "import sys, pulsar\nc = pulsar.Client(sys.argv[1])\np = c.create_producer(sys.argv[2])\n\
                  [p.send(b'x') for _ in range(int(sys.argv[3]))]\nc.close()\n";
    let out =
        std::process::Command::new("python3").args(["-c", script, service, topic, &n.to_string()]).output().unwrap();
    assert!(out.status.success(), "python producer: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker with exposeTopicLevelMetricsInPrometheus=false (see the file's doc)"]
async fn namespace_level_metrics_fall_back_to_admin_topic_stats() {
    let client = client();
    let (tenant, plain, parted) = tenant_with_lagging_topics(&client, "it-nslevel").await;
    produce(&client.target.service_url, &plain.to_string(), 25);
    produce(&client.target.service_url, &parted.to_string(), 16);

    let metrics_url = format!("{}/metrics/", client.target.admin_url.trim_end_matches('/'));
    let start = Instant::now();
    loop {
        let snap = scrape::scrape(&client, std::slice::from_ref(&metrics_url)).await.unwrap();
        // detected: the broker has no topic-level series, and says so per broker
        assert!(!snap.topic_level);
        assert_eq!(snap.brokers[0].topic_level, Some(false));
        assert!(snap.fallback_namespaces().contains(&format!("{tenant}/ns")), "{:?}", snap.namespace_level);
        let fb = snap.admin_fallback.clone().expect("the admin fallback ran");
        assert_eq!(fb.error, None);
        let backlog = |t: &TopicName| {
            snap.subscriptions.get(&(t.to_string(), "lagging".to_string())).map(|s| s.backlog).unwrap_or(0)
        };
        let got = (backlog(&plain), backlog(&parted));
        // the namespace total comes from /metrics, refreshed every statsUpdateFrequencyInSecs
        let ns_total = snap.namespaces.get(&format!("{tenant}/ns")).map(|n| n.msg_backlog);
        if got == (25, 16) && ns_total == Some(41) {
            let p = &snap.topics[&parted.to_string()];
            assert_eq!(p.partitions.len(), 2);
            assert_eq!(p.msg_backlog, 16);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "backlog {got:?}, namespace total {ns_total:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
