//! The app survives the broker going away and recovers on its own when it comes back.
//! This binary stops and starts the shared broker, so it holds a single test (cargo runs
//! test binaries one after another, so no other test sees the broker down). During one
//! stop/start it checks, side by side: the explorer, a browser in follow mode, metrics
//! scraping, a headless `read` and a headless `dlq requeue`.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{target, unique, Driver};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::{Load, NodeKey};
use pulsar_tui::app::{Connection, Settings};
use pulsar_tui::pulsar::message::StartFrom;
use pulsar_tui::pulsar::{Client, TopicName};

/// The bound: everything works again this long after the broker is back.
const RECOVERY: Duration = Duration::from_secs(10);

fn standalone(args: &[&str]) {
    let script = std::env::var("PULSAR_TUI_STANDALONE")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-standalone").to_string());
    let status =
        Command::new(&script).args(args).env("PULSAR_KEEP_DATA", "1").status().expect("runs the broker script");
    assert!(status.success(), "{script} {args:?} failed");
}

fn bin(client: &Client, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"));
    c.args(args)
        .env("PULSAR_SERVICE_URL", &client.target.service_url)
        .env("PULSAR_ADMIN_URL", &client.target.admin_url)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join(format!("{}.log", unique("restart"))));
    c
}

fn requeue(client: &Client, dlq: &TopicName, to: &TopicName, journal: &std::path::Path, rate: Option<&str>) -> Child {
    let mut args = vec!["dlq", "requeue", &dlq.to_string(), "--to", &to.to_string(), "--yes", "--journal"]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    args.push(journal.display().to_string());
    if let Some(r) = rate {
        args.extend(["--rate".to_string(), r.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    bin(client, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("pulsar-tui dlq requeue runs")
}

/// Waits for `child` at most `limit`; kills it and fails the test when it hangs.
fn finish(mut child: Child, what: &str, limit: Duration) -> (bool, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            return (status.success(), text);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{what} still running after {limit:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "stops and restarts the broker: scripts/test runs it"]
async fn app_survives_a_broker_restart() {
    let client = Client::new(target()).unwrap();
    let tenant = unique("it-restart");
    let clusters = client.admin.clusters().await.expect("broker is running (scripts/pulsar-standalone start)");
    client.admin.create_tenant(&tenant, &clusters).await.unwrap();
    client.admin.create_namespace(&format!("{tenant}/ns")).await.unwrap();
    let topic = TopicName::parse(&format!("persistent://{tenant}/ns/t")).unwrap();
    client.admin.create_topic(&topic, 0).await.unwrap();
    let t = |local: &str| TopicName::parse(&format!("persistent://{tenant}/ns/{local}")).unwrap();
    let (live, big, dlq, back) = (t("live"), t("big"), t("orders-DLQ"), t("orders"));
    for (x, sub) in [(&live, "keep"), (&big, "keep"), (&back, "check")] {
        client.admin.create_topic(x, 0).await.unwrap();
        client.admin.create_subscription(x, sub).await.unwrap(); // retention across the restart
    }

    // the explorer, on the topic `t`
    let settings = Settings { reconnect_interval: Duration::from_millis(500), ..Settings::default() };
    let mut d = Driver::new(client.clone(), settings.clone());
    d.until("tenants", Duration::from_secs(30), |app| app.explorer.tree.roots_load == Load::Loaded).await;
    let reqs = d.app.jump_to(topic.clone());
    d.submit(reqs);
    let key = NodeKey::Topic(topic.clone());
    d.until("topic selected with stats", Duration::from_secs(30), |app| {
        app.explorer.tree.selected_key().as_ref() == Some(&key) && app.explorer.details.stats.is_some()
    })
    .await;

    // a browser following `live`, in a second app that also scrapes metrics every second
    common::python_produce(&live.to_string(), 3, "before");
    let fast = Settings { metrics_interval: Duration::from_secs(1), ..settings };
    let mut b = Driver::new(client.clone(), fast);
    let reqs = b.app.open_browser(live.clone(), StartFrom::Earliest);
    b.submit(reqs);
    b.until("messages before", Duration::from_secs(30), |app| {
        app.browser.as_ref().is_some_and(|v| v.rows.len() == 3 && v.at_end)
    })
    .await;
    b.act(Action::ToggleFollow);
    b.until("a first scrape", Duration::from_secs(30), |app| {
        app.metrics.snapshot.as_ref().is_some_and(|s| s.brokers.iter().all(|x| x.result.is_ok()))
    })
    .await;

    const BIG: usize = 60_000;
    common::python_produce(&big.to_string(), BIG, "m");

    // a DLQ being requeued (slowly) when the broker goes away
    const LETTERS: usize = 20_000;
    let lines: String = (0..LETTERS).map(|i| format!("letter-{i}\n")).collect();
    let service = client.target.service_url.clone();
    let admin = client.target.admin_url.clone();
    common::produce_lines(
        &service,
        &admin,
        None,
        &dlq.to_string(),
        &["--property", &format!("REAL_TOPIC={back}")],
        &lines,
    );
    let journal = std::env::temp_dir().join(format!("{}.jsonl", unique("restart-journal")));
    let mut first_run = requeue(&client, &dlq, &back, &journal, Some("1000"));
    let mut err = std::io::BufReader::new(first_run.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap(); // the first progress line
    assert!(line.contains("requeue: moved"), "{line}");
    let drain_err = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut rest);
        rest
    });

    // a headless read in progress when the broker goes away: it must either deliver every
    // message exactly once or fail with a non-zero exit, never end "successfully" short
    let mut read = bin(&client, &["read", &big.to_string(), "--format", "value"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pulsar-tui read runs");
    let mut out = std::io::BufReader::new(read.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    assert_eq!(first.trim(), "\"m-0\"", "the read started");

    standalone(&["stop"]);
    // only now drain the rest (the pipe held the reader back until the broker was gone)
    let reading = std::thread::spawn(move || {
        let mut lines = vec![first.trim().to_string()];
        lines.extend(std::io::BufRead::lines(out).map_while(|l| l.ok()));
        let mut err = String::new();
        std::io::Read::read_to_string(&mut read.stderr.take().unwrap(), &mut err).unwrap();
        (read.wait().unwrap(), lines, err)
    });

    // the explorer finds the broker gone, says so and stays usable
    d.act(Action::Refresh);
    d.until("connection marked down", Duration::from_secs(60), |app| matches!(app.connection, Connection::Down { .. }))
        .await;
    let before = d.app.explorer.tree.selected_index();
    d.act(Action::Up);
    assert_ne!(d.app.explorer.tree.selected_index(), before, "keys still move the selection while the broker is down");
    d.act(Action::Down);
    let text = common::screen(&common::draw(&d.app, 120, 30));
    assert!(text.contains("broker unreachable"), "{text}");
    // so does the browser's app (its next scrape fails)
    b.until("browser's app marked down", Duration::from_secs(60), |app| {
        matches!(app.connection, Connection::Down { .. })
    })
    .await;
    let rows = b.app.browser.as_ref().unwrap().rows.len();
    b.act(Action::Top);
    assert_eq!(b.app.browser.as_ref().unwrap().selected, 0, "keys still work in the browser");
    b.act(Action::Bottom);
    assert_eq!(b.app.browser.as_ref().unwrap().selected, rows - 1);

    standalone(&["start"]);
    let back_at = Instant::now();
    // recovery needs no key press: the probe notices, the tree and stats reload
    d.until("reconnected", RECOVERY, |app| app.connection == Connection::Connected).await;
    d.until("stats again", RECOVERY, |app| {
        app.explorer.details.key.as_ref() == Some(&key)
            && app.explorer.details.stats.is_some()
            && app.explorer.details.error.is_none()
    })
    .await;
    assert!(d.app.explorer.tree.find(&NodeKey::Tenant(tenant.clone())).is_some());
    let text = common::screen(&common::draw(&d.app, 120, 30));
    assert!(text.contains("● connected"), "{text}");

    // metrics: a complete scrape again, within the bound
    b.until("a scrape after the restart", RECOVERY.saturating_sub(back_at.elapsed()), |app| {
        app.connection == Connection::Connected
            && app.metrics.scraped_at.is_some_and(|t| t > back_at)
            && app.metrics.error.is_none()
            && app.metrics.snapshot.as_ref().is_some_and(|s| s.brokers.iter().all(|x| x.result.is_ok()))
    })
    .await;
    // the browser follows again: a message produced now shows up, each message once
    let l = live.to_string();
    let producer = std::thread::spawn(move || common::python_produce(&l, 2, "after"));
    b.until("messages after the restart", RECOVERY + Duration::from_secs(10), |app| {
        app.browser
            .as_ref()
            .is_some_and(|v| v.rows.iter().filter(|r| r.message.payload.starts_with(b"after-")).count() == 2)
    })
    .await;
    producer.join().unwrap();
    let v = b.app.browser.as_ref().unwrap();
    let payloads: Vec<String> =
        v.rows.iter().map(|r| String::from_utf8_lossy(&r.message.payload).to_string()).collect();
    let distinct: HashSet<&String> = payloads.iter().collect();
    assert_eq!(distinct.len(), payloads.len(), "no message shown twice: {payloads:?}");
    assert!(v.follow.is_some(), "still following");

    // the read: all of it, or a failure that says why
    let (status, lines, err) = reading.join().unwrap();
    if status.success() {
        let distinct: HashSet<&String> = lines.iter().collect();
        assert_eq!(
            (lines.len(), distinct.len()),
            (BIG, BIG),
            "a read that exits 0 across a broker restart delivered every message once; stderr: {err}"
        );
    } else {
        assert!(!err.trim().is_empty(), "a failed read says why on stderr");
        eprintln!("read across the restart failed as it should, after {} messages: {err}", lines.len());
    }

    // the requeue: the interrupted run ends (done or failed), re-runs finish the job from the
    // journal, and every letter is in the original topic at least once
    let (mut ok, mut text) = finish(first_run, "the requeue across the restart", Duration::from_secs(120));
    text.push_str(&drain_err.join().unwrap());
    let mut runs = 1;
    while !ok {
        eprintln!("requeue run {runs} failed (re-running): {}", text.lines().last().unwrap_or_default());
        assert!(runs < 5, "the requeue never completed: {text}");
        (ok, text) =
            finish(requeue(&client, &dlq, &back, &journal, None), "a requeue re-run", Duration::from_secs(120));
        runs += 1;
    }
    let copies = common::python_read(&back.to_string());
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for m in &copies {
        *count.entry(m["payload"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let missing: Vec<usize> = (0..LETTERS).filter(|i| !count.contains_key(&format!("letter-{i}"))).collect();
    assert!(
        missing.is_empty(),
        "{} letters missing after {runs} runs, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let duplicates: usize = count.values().map(|c| c - 1).sum();
    eprintln!("requeue across a restart: {runs} run(s), {} copies, {duplicates} duplicates", copies.len());
    let journaled = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert!(journaled >= LETTERS, "the journal lists every move ({journaled})");
    let stats = client.admin.topic_stats(&dlq, 0).await.unwrap();
    assert_eq!(stats.subscriptions.get("pulsar-tui-requeue").map(|s| s.msg_backlog), Some(0), "the DLQ is drained");

    let _ = std::fs::remove_file(&journal);
    let _ = client
        .admin
        .write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{tenant}/ns?force=true"), None)
        .await;
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/tenants/{tenant}?force=true"), None).await;
}
