use crate::metrics::history::*;
use crate::metrics::model::snapshot_from_str;

const MIN: u64 = 60_000;

fn series(points: &[(i64, f64)], window_ms: u64) -> History {
    let mut h = History::new(window_ms, 1000);
    for &(t, v) in points {
        h.push(t, v);
    }
    h
}

#[test]
fn window_and_capacity_bounds() {
    let mut h = History::new(10_000, 5);
    for i in 0..20 {
        h.push(i * 1000, i as f64);
    }
    assert_eq!(h.len(), 5, "max_points");
    assert_eq!(h.iter().next(), Some((15_000, 15.0)));
    let mut h = History::new(10_000, 1000);
    for i in 0..20 {
        h.push(i * 1000, i as f64);
    }
    // Points older than newest - window are dropped.
    assert_eq!(h.iter().next(), Some((9_000, 9.0)));
    assert_eq!(h.len(), 11);
    assert_eq!(h.latest(), Some((19_000, 19.0)));
}

#[test]
fn out_of_order_duplicates_and_nan() {
    let mut h = History::new(MIN, 100);
    h.push(1000, 1.0);
    h.push(500, 9.0);
    h.push(1000, 2.0);
    h.push(2000, f64::NAN);
    h.push(3000, f64::INFINITY);
    assert_eq!(h.iter().collect::<Vec<_>>(), vec![(1000, 2.0)]);
    let mut z = History::new(0, 0);
    z.push(1, 1.0);
    z.push(2, 2.0);
    assert_eq!(z.len(), 1);
}

#[test]
fn least_squares_slope() {
    let h = series(&[(0, 100.0), (10_000, 80.0), (20_000, 60.0), (30_000, 40.0)], 10 * MIN);
    assert!((h.slope_per_sec().unwrap() + 2.0).abs() < 1e-9);
    assert_eq!(series(&[(0, 1.0)], MIN).slope_per_sec(), None);
    // Huge epoch timestamps don't lose precision.
    let base = 1_795_754_990_000;
    let h = series(&[(base, 0.0), (base + 1000, 1.0), (base + 2000, 2.0)], MIN);
    assert!((h.slope_per_sec().unwrap() - 1.0).abs() < 1e-9);
}

#[test]
fn trends() {
    let up = series(&(0..10).map(|i| (i * 10_000, (i * 50) as f64)).collect::<Vec<_>>(), 10 * MIN);
    assert_eq!(up.trend(), Trend::Growing);
    let down = series(&(0..10).map(|i| (i * 10_000, (1000 - i * 50) as f64)).collect::<Vec<_>>(), 10 * MIN);
    assert_eq!(down.trend(), Trend::Draining);
    // Noise of ±1 % around 10 000 is flat.
    let noisy: Vec<(i64, f64)> =
        (0..30).map(|i| (i * 10_000, 10_000.0 + if i % 2 == 0 { 100.0 } else { -100.0 })).collect();
    assert_eq!(series(&noisy, 10 * MIN).trend(), Trend::Flat);
    assert_eq!(series(&[(0, 0.0), (1000, 0.0), (2000, 0.0)], MIN).trend(), Trend::Flat);
    assert_eq!(series(&[(0, 5.0)], MIN).trend(), Trend::Flat);
    // A single new message on an empty backlog is growth.
    assert_eq!(series(&[(0, 0.0), (1000, 0.0), (2000, 1.0), (3000, 2.0)], MIN).trend(), Trend::Growing);
    // Custom tolerance for rates.
    let r = series(&[(0, 0.1), (10_000, 0.2), (20_000, 0.3)], MIN);
    assert_eq!(r.trend(), Trend::Flat);
    let tol = TrendTolerance { absolute: 0.01, relative: 0.0 };
    assert_eq!(r.trend_with(tol), Trend::Growing);
}

#[test]
fn drain_estimates() {
    let h = series(&[(0, 1200.0), (10_000, 1100.0), (20_000, 1000.0)], 10 * MIN);
    assert_eq!(time_to_drain(1000.0, &h), Drain::In(100));
    assert_eq!(time_to_drain(0.0, &h), Drain::Empty);
    assert_eq!(time_to_drain(f64::NAN, &h), Drain::Never);
    let grow = series(&[(0, 1.0), (10_000, 100.0)], MIN);
    assert_eq!(time_to_drain(100.0, &grow), Drain::Never);
    assert_eq!(time_to_drain(100.0, &History::new(MIN, 10)), Drain::Never);
    assert_eq!(time_to_drain_at_rates(1000.0, 5.0, 15.0), Drain::In(100));
    assert_eq!(time_to_drain_at_rates(1000.0, 15.0, 15.0), Drain::Never);
    assert_eq!(time_to_drain_at_rates(0.0, 15.0, 1.0), Drain::Empty);
    assert_eq!(time_to_drain_at_rates(1e300, 0.0, 1e-300), Drain::Never);
}

#[test]
fn sparkline_columns() {
    // 6 points, 10 s apart, window 60 s, 6 columns: one point per column.
    let h = series(&(0..6).map(|i| (i * 10_000, i as f64)).collect::<Vec<_>>(), 60_000);
    let v = h.sparkline_values(6);
    assert_eq!(v, vec![0, 200, 400, 600, 800, 1000]);
    // Fewer points than the window: leading columns omitted.
    let h = series(&[(0, 2.0), (10_000, 4.0)], 60_000);
    let v = h.sparkline_values(6);
    assert_eq!(v, vec![500, 1000]);
    // Sub-unit rates keep their shape.
    let h = series(&[(0, 0.1), (10_000, 0.05), (20_000, 0.2)], 30_000);
    assert_eq!(h.sparkline_values(3), vec![500, 250, 1000]);
    // Gaps are carried forward; more columns than points.
    let h = series(&[(0, 1.0), (50_000, 3.0)], 60_000);
    let v = h.sparkline_values(12);
    assert!(v.len() <= 12);
    assert_eq!(*v.last().unwrap(), 1000);
    assert!(v[..v.len() - 1].iter().all(|&x| x == 333));
    assert!(History::new(1, 1).sparkline_values(10).is_empty());
    assert!(h.sparkline_values(0).is_empty());
    // All zeros.
    assert_eq!(series(&[(0, 0.0), (6, 0.0)], 10).sparkline_values(2), vec![0, 0]);
}

fn scrape(backlog_a: u64, with_b: bool) -> String {
    let mut s = format!(
        "pulsar_msg_backlog{{namespace=\"t/n\",topic=\"persistent://t/n/a\"}} {backlog_a}\n\
         pulsar_rate_in{{namespace=\"t/n\",topic=\"persistent://t/n/a\"}} 1.5\n\
         pulsar_subscription_back_log{{namespace=\"t/n\",topic=\"persistent://t/n/a-partition-0\",subscription=\"s\"}} {backlog_a}\n"
    );
    if with_b {
        s.push_str(
            "pulsar_msg_backlog{namespace=\"t/n\",topic=\"persistent://t/n/b\"} 3\n\
             pulsar_subscription_back_log{namespace=\"t/n\",topic=\"persistent://t/n/b\",subscription=\"x\"} 3\n",
        );
    }
    s
}

#[test]
fn metrics_history_ingest_and_evict() {
    let mut mh = MetricsHistory::new(60_000, 100);
    for i in 0..6i64 {
        let snap = snapshot_from_str(&scrape(1000 - 100 * i as u64, i < 2), "b", 0);
        mh.ingest(&snap, i * 10_000);
    }
    let a = mh.topic("persistent://t/n/a").unwrap();
    assert_eq!(a.backlog.len(), 6);
    assert_eq!(a.rate_in.latest(), Some((50_000, 1.5)));
    assert_eq!(a.backlog.trend(), Trend::Draining);
    assert_eq!(a.time_to_drain(), Drain::In(50));
    let s = mh.subscription("persistent://t/n/a", "s").unwrap();
    assert_eq!(s.backlog.latest(), Some((50_000, 500.0)));
    assert_eq!(s.time_to_drain(), Drain::In(50));
    assert_eq!(mh.namespace("t/n").unwrap().backlog.len(), 6);
    // b was last seen at 10 s; still within the window at 50 s.
    assert!(mh.topic("persistent://t/n/b").is_some());
    assert_eq!(mh.subscription_count(), 2);
    let snap = snapshot_from_str(&scrape(400, false), "b", 0);
    mh.ingest(&snap, 75_000);
    assert!(mh.topic("persistent://t/n/b").is_none(), "evicted after the window");
    assert!(mh.subscription("persistent://t/n/b", "x").is_none());
    assert_eq!(mh.topic_count(), 1);
    assert_eq!(mh.subscription_count(), 1);
    // a's oldest points slid out of the window.
    let a = mh.topic("persistent://t/n/a").unwrap();
    assert_eq!(a.backlog.iter().next().unwrap().0, 20_000);
}

#[test]
fn a_series_longer_than_a_u32_of_milliseconds_moves_its_base() {
    let day = 86_400_000i64;
    let mut h = History::new(u64::MAX, 10);
    h.push(0, 1.0);
    h.push(30 * day, 2.0);
    // 60 days after the first point: offsets count from a u32 of ms (~49.7 days), so the
    // first point goes and the others now count from the second
    h.push(60 * day, 3.0);
    assert_eq!(h.iter().collect::<Vec<_>>(), vec![(30 * day, 2.0), (60 * day, 3.0)]);
    h.push(200 * day, 4.0);
    assert_eq!(h.iter().collect::<Vec<_>>(), vec![(200 * day, 4.0)], "nothing within 49 days is left");
    h.push(200 * day + 1, 5.0);
    assert_eq!(h.latest(), Some((200 * day + 1, 5.0)));
    assert!((h.slope_per_sec().unwrap() - 1000.0).abs() < 1e-6);
}

#[test]
fn a_point_keeps_six_significant_digits() {
    let mut h = History::new(MIN, 10);
    h.push(1_000, 123_456_789.0);
    h.push(2_000, f64::MAX);
    let got: Vec<f64> = h.iter().map(|p| p.1).collect();
    assert!((got[0] - 123_456_789.0).abs() / 123_456_789.0 < 1e-6, "{got:?}");
    assert_eq!(got[1], f64::from(f32::MAX), "beyond f32 the value saturates");
}
