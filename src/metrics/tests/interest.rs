//! The bounded scrape: what an [`Interest`] keeps, and the parser's cut-offs for what is
//! not a scrape (an endless line, mostly bad lines).

use crate::metrics::model::{Interest, MetricsSnapshot, SnapshotBuilder};
use crate::metrics::prom::{parse_chunked_with, ParseOptions, ScrapeCutOff};

/// A scrape of `n` topics in two namespaces, family by family as Pulsar writes it: topic
/// `i` has backlog `i`, rate in `n - i`, rate out `i % 7`, storage `(i * 37) % n`, and one
/// subscription whose backlog is 0 except for every 100th topic. Topic 5 is partitioned
/// (2 partitions). Plus `orders-s1-DLQ`, a dead letter named after topic `orders`.
fn scrape(n: usize) -> String {
    let name = |i: usize| {
        let ns = if i.is_multiple_of(2) { "t/a" } else { "t/b" };
        let topic =
            if i == 5 { format!("persistent://{ns}/p5-partition-0") } else { format!("persistent://{ns}/x{i:05}") };
        (ns, topic)
    };
    let mut out = String::new();
    let mut family = |fam: &str, v: &dyn Fn(usize) -> f64| {
        out.push_str(&format!("# TYPE pulsar_{fam} gauge\n"));
        for i in 0..n {
            let (ns, t) = name(i);
            out.push_str(&format!("pulsar_{fam}{{cluster=\"c\",namespace=\"{ns}\",topic=\"{t}\"}} {}\n", v(i)));
            if i == 5 {
                let t1 = t.replace("-partition-0", "-partition-1");
                out.push_str(&format!("pulsar_{fam}{{cluster=\"c\",namespace=\"{ns}\",topic=\"{t1}\"}} {}\n", v(i)));
            }
        }
    };
    let nf = n as f64;
    family("msg_backlog", &|i| i as f64);
    family("rate_in", &|i| nf - i as f64);
    family("rate_out", &|i| (i % 7) as f64);
    family("storage_size", &|i| ((i * 37) % n) as f64);
    family("subscriptions_count", &|_| 1.0);
    out.push_str("# TYPE pulsar_subscription_back_log gauge\n");
    for i in 0..n {
        let (ns, t) = name(i);
        let backlog = if i.is_multiple_of(100) { i + 1 } else { 0 };
        out.push_str(&format!(
            "pulsar_subscription_back_log{{cluster=\"c\",namespace=\"{ns}\",topic=\"{t}\",subscription=\"s\"}} {backlog}\n"
        ));
    }
    out.push_str("pulsar_msg_backlog{cluster=\"c\",namespace=\"t/a\",topic=\"persistent://t/a/orders\"} 0\n");
    out.push_str("pulsar_msg_backlog{cluster=\"c\",namespace=\"t/a\",topic=\"persistent://t/a/orders-s1-DLQ\"} 0\n");
    out
}

fn build(text: &str, interest: &Interest) -> MetricsSnapshot {
    let mut b = SnapshotBuilder::new();
    let st = parse_chunked_with(text.as_bytes(), &ParseOptions::default(), |s| b.ingest(s));
    b.add_broker_result("b", st.map_err(|e| e.to_string()), 0);
    b.finish_with(interest)
}

fn topic(i: usize) -> String {
    let ns = if i.is_multiple_of(2) { "t/a" } else { "t/b" };
    format!("persistent://{ns}/x{i:05}")
}

#[test]
fn a_bounded_scrape_keeps_totals_top_rows_and_health_candidates() {
    let text = scrape(2_000);
    let all = build(&text, &Interest::everything());
    let bounded = build(&text, &Interest::bounded(10, 5));
    assert_eq!(all.kept, None);
    assert_eq!(all.topics.len(), 2_002);
    // namespace totals count every series either way
    assert_eq!(bounded.namespaces, all.namespaces);
    let kept = bounded.kept.expect("a bounded scrape says what it kept");
    assert_eq!((kept.topics_total, kept.subscriptions_total), (2_002, 2_000));
    assert_eq!(kept.topics_kept, bounded.topics.len() as u64);
    assert!(kept.topics_kept < 80, "{kept:?}");
    // the top 10 by backlog are the last 10 topics, with every field as in the full scrape
    for i in 1_990..2_000 {
        assert_eq!(bounded.topics.get(&topic(i)), all.topics.get(&topic(i)), "{i}");
    }
    // top by rate in: the first topics; by name: the first names ("orders", then x00000…)
    assert!(bounded.topics.contains_key(&topic(0)) && bounded.topics.contains_key(&topic(9)));
    assert!(!bounded.topics.contains_key(&topic(1_000)));
    // health: the 5 largest subscription backlogs (topics 1900, 1800, …) and their topics
    for i in [1_900, 1_800, 1_700, 1_600, 1_500] {
        assert_eq!(bounded.subscriptions_of(&topic(i)).map(|s| s.backlog).collect::<Vec<_>>(), [i as u64 + 1]);
    }
    assert!(!bounded.topics.contains_key(&topic(1_400)), "beyond the health limit");
    // the dead letter and its origin, by name
    assert!(bounded.topics.contains_key("persistent://t/a/orders-s1-DLQ"));
    assert!(bounded.topics.contains_key("persistent://t/a/orders"));
    assert_eq!(kept.subscriptions_kept, bounded.subscriptions.len() as u64);
    // every kept subscription names its topic
    assert!(bounded.subscriptions.iter().all(|((t, n), s)| *t == s.topic && *n == s.name));
}

#[test]
fn the_interest_decides_which_rows_come_back() {
    let text = scrape(2_000);
    let mut interest = Interest::bounded(3, 0);
    let before = build(&text, &interest);
    assert!(!before.topics.contains_key(&topic(1_001)));
    // the user scrolled to 1001 and typed a filter: the next scrape keeps them
    interest.topics.push(topic(1_001));
    interest.filter = "X0123".into();
    let after = build(&text, &interest);
    let all = build(&text, &Interest::everything());
    assert_eq!(after.topics.get(&topic(1_001)), all.topics.get(&topic(1_001)));
    assert_eq!(after.subscriptions_of(&topic(1_001)).count(), 1);
    let filtered: Vec<_> = after.topics.keys().filter(|t| t.contains("x0123")).collect();
    assert_eq!(filtered.len(), 10, "x01230..x01239: {filtered:?}");
    // a whole namespace, and a partitioned topic by its parent (partition rows with it)
    let mut ns = Interest::bounded(0, 0);
    ns.topics.push("persistent://t/b/p5".into());
    ns.namespaces.push("t/a".into());
    let s = build(&text, &ns);
    assert_eq!(s.topics.len(), 1_003, "1,000 topics of t/a, orders, the DLQ; p5 of t/b");
    assert_eq!(s.partitions_of("persistent://t/b/p5").count(), 2);
    assert_eq!(s.partitions.len(), 2);
}

#[test]
fn a_truncated_scrape_counts_what_arrived() {
    let text = scrape(500);
    // cut in the middle of a sample line: that line is malformed and skipped, not fatal
    let cut = &text[..text.len() / 2 + 7];
    let mut b = SnapshotBuilder::new();
    let st = parse_chunked_with(cut.as_bytes(), &ParseOptions::default(), |s| b.ingest(s)).expect("no error");
    assert!(st.samples > 0 && st.bytes == cut.len() as u64);
    b.add_broker_result("b", Ok(st), 0);
    let s = b.finish_with(&Interest::bounded(5, 5));
    assert!(s.kept.is_some_and(|k| k.topics_total >= 500));
    assert!(s.namespaces["t/a"].msg_backlog > 0);
}

#[test]
fn malformed_lines_are_skipped_and_a_body_of_them_is_cut_off() {
    let mut text = scrape(100);
    text.insert_str(0, "this is not a sample\n{\"json\": true}\n");
    let all = build(&text, &Interest::everything());
    assert_eq!(all.topics.len(), 102);
    assert_eq!(all.brokers[0].result.as_ref().map(|r| r.skipped_lines), Ok(2));
    // an HTML error page or a JSON body: cut off after the first 10,000 lines
    let junk = "<div>not metrics</div>\n".repeat(50_000);
    let mut n = 0;
    let err = parse_chunked_with(junk.as_bytes(), &ParseOptions::default(), |_| n += 1).expect_err("cut off");
    let cut = ScrapeCutOff::from_io(&err).expect("a ScrapeCutOff");
    assert!(cut.reason.contains("not a /metrics scrape"), "{cut}");
    assert!(cut.at_byte < junk.len() as u64 / 4);
    assert!(err.to_string().contains("cut off"), "{err}");
}

#[test]
fn a_huge_line_is_skipped_and_an_endless_one_cut_off() {
    let good = "pulsar_msg_backlog{namespace=\"t/n\",topic=\"persistent://t/n/x\"} 3\n";
    // a 3 MB line (over the 1 MB line bound) between two good ones: skipped, not buffered
    let huge = format!("{good}pulsar_x{{a=\"{}\"}} 1\n{good}", "v".repeat(3 << 20));
    let mut b = SnapshotBuilder::new();
    let st = parse_chunked_with(huge.as_bytes(), &ParseOptions::default(), |s| b.ingest(s)).expect("parsed");
    assert_eq!((st.samples, st.skipped_lines), (2, 1));
    assert_eq!(b.finish().topics["persistent://t/n/x"].msg_backlog, 6);
    // no newline for 20 MB: not a scrape
    let endless = format!("{good}{}", "x".repeat(20 << 20));
    let opts = ParseOptions { max_unterminated_bytes: 16 << 20, ..ParseOptions::default() };
    let err = parse_chunked_with(endless.as_bytes(), &opts, |_| {}).expect_err("cut off");
    let cut = ScrapeCutOff::from_io(&err).expect("a ScrapeCutOff");
    assert!(cut.reason.contains("line 2 has no newline after 16 MB"), "{cut}");
    assert!(cut.at_byte <= (17 << 20), "stopped near the bound: {}", cut.at_byte);
}

fn build_gated(text: &str, interest: &Interest) -> MetricsSnapshot {
    let mut b = SnapshotBuilder::with_interest(interest);
    let st = parse_chunked_with(text.as_bytes(), &ParseOptions::default(), |s| b.ingest(s));
    b.add_broker_result("b", st.map_err(|e| e.to_string()), 0);
    b.finish_with(interest)
}

#[test]
fn past_the_first_topics_only_the_interest_gets_subscription_rows_while_streaming() {
    use crate::metrics::model::FULL_SUBSCRIPTION_TOPICS;
    let n = FULL_SUBSCRIPTION_TOPICS + 2_000;
    let text = scrape(n);
    let all = build(&text, &Interest::everything());
    let mut interest = Interest::bounded(10, 5);
    let late = topic(n - 550);
    interest.topics.push(late.clone());
    let s = build_gated(&text, &interest);
    assert_eq!(s.namespaces, all.namespaces, "totals (and delayed) count every series");
    // the largest subscription backlog is past the first topics: found from the summary,
    // its topic kept with its topic-level row, its subscription rows come next scrape
    let top = topic(n - 100);
    assert_eq!(s.topics.get(&top), all.topics.get(&top));
    assert_eq!(s.subscriptions_of(&top).count(), 0);
    // a topic the interest names gets them in this scrape
    assert_eq!(s.subscriptions_of(&late).collect::<Vec<_>>(), all.subscriptions_of(&late).collect::<Vec<_>>());
    // an early topic (within the first ones, kept by its rate in) has them
    let early = topic(0);
    assert_eq!(s.subscriptions_of(&early).count(), 1);
    let kept = s.kept.expect("bounded");
    assert_eq!(kept.subscriptions_total, n as u64, "summaries count their rows");
    // the next scrape, asked for the candidates it found, has their subscriptions
    interest.topics.push(top.clone());
    let next = build_gated(&text, &interest);
    assert_eq!(next.subscriptions_of(&top).map(|s| s.backlog).collect::<Vec<_>>(), [(n - 100 + 1) as u64]);
}

#[test]
fn transaction_buffer_counters_are_kept_per_topic() {
    let t = |p: u32| format!("cluster=\"c\",namespace=\"t/n\",topic=\"persistent://t/n/tx-partition-{p}\"");
    let mut text = String::new();
    for (p, active, committed, aborted) in [(0, 1, 7, 0), (1, 1, 3, 1)] {
        text += &format!("pulsar_txn_tb_active_total{{{}}} {active}\n", t(p));
        text += &format!("pulsar_txn_tb_committed_total{{{}}} {committed}\n", t(p));
        text += &format!("pulsar_txn_tb_aborted_total{{{}}} {aborted}\n", t(p));
    }
    let quiet = "cluster=\"c\",namespace=\"t/n\",topic=\"persistent://t/n/quiet\"";
    text += &format!("pulsar_txn_tb_active_total{{{quiet}}} 0\npulsar_msg_backlog{{{quiet}}} 1\n");
    text += "pulsar_txn_tb_active_total{cluster=\"c\",namespace=\"t/n\"} 5\n";
    let s = build(&text, &Interest::everything());
    let tb = s.topics["persistent://t/n/tx"].txn_buffer.expect("summed over the partitions");
    assert_eq!((tb.active, tb.committed, tb.aborted), (2, 10, 1));
    assert_eq!(s.partitions["persistent://t/n/tx-partition-1"].txn_buffer.map(|t| t.aborted), Some(1));
    assert_eq!(s.topics["persistent://t/n/quiet"].txn_buffer, None, "all zero: nothing to show");
}
