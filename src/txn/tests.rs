use super::*;

#[test]
fn txn_ids_parse_in_three_forms_and_print_as_the_broker_does() {
    for text in ["(0,5)", "0,5", "0:5", " ( 0 , 5 ) "] {
        assert_eq!(TxnId::parse(text), Ok(TxnId { most: 0, least: 5 }), "{text}");
    }
    assert_eq!(TxnId { most: 3, least: 12 }.to_string(), "(3,12)");
    assert!(TxnId::parse("5").is_err());
    assert!(TxnId::parse("(a,1)").is_err());
    assert!(TxnId::parse("-1,2").is_err());
}

#[test]
fn held_back_counts_entries_after_the_max_read_position() {
    let p = |l, e| Position { ledger: l, entry: e };
    // same ledger: 8:7..=8:11
    assert_eq!(held_back(p(8, 6), p(8, 11), &[]), 5);
    // nothing held back
    assert_eq!(held_back(p(8, 11), p(8, 11), &[]), 0);
    assert_eq!(held_back(p(9, 0), p(8, 11), &[]), 0);
    // across ledgers: 3 left in ledger 8 (8:7, 8:8, 8:9 of 10), all 4 of 9, 10:0..=10:2
    assert_eq!(held_back(p(8, 6), p(10, 2), &[(8, 10), (9, 4), (10, 3)]), 3 + 4 + 3);
    // a ledger the stats do not list counts as empty: a lower bound
    assert_eq!(held_back(p(8, 6), p(10, 2), &[(10, 3)]), 3);
    // max read before a ledger's first entry
    assert_eq!(held_back(p(8, -1), p(8, 1), &[]), 2);
    assert_eq!(Position::parse("8:-1"), Some(p(8, -1)));
    assert_eq!(Position::parse("x"), None);
}

fn open_txn(least: u64, open_ms: i64, topic: &str, start: &str) -> TxnInfo {
    TxnInfo {
        id: TxnId { most: 0, least },
        status: Status::Open,
        open_ms,
        timeout_ms: 600_000,
        produced: vec![Produced { topic: topic.into(), start_position: Some(start.into()), aborted: false }],
        acked: vec![],
        owner: None,
    }
}

#[test]
fn the_pinning_transaction_is_the_one_that_wrote_first_on_the_topic() {
    let t = "persistent://public/default/t";
    let open = vec![open_txn(4, 1_000, t, "8:20"), open_txn(2, 5_000, t, "8:7"), open_txn(9, 0, "other", "1:1")];
    assert_eq!(pinning(t, &open).map(|x| x.id.least), Some(2));
    assert_eq!(pinning("persistent://public/default/none", &open), None);
}

#[test]
fn ages_deadlines_and_the_slow_mark() {
    let t = open_txn(1, 10_000, "t", "1:0");
    assert_eq!(t.age_ms(40_000), 30_000);
    assert_eq!(t.age_ms(0), 0);
    assert_eq!(t.deadline_ms(), 610_000);
    assert!(t.is_slow(40_001, 30_000));
    assert!(!t.is_slow(40_000, 30_000));
}

#[test]
fn held_back_describes_count_transaction_and_since() {
    let h = HeldBack {
        entries: 5,
        max_read_position: "8:6".into(),
        last_entry: "8:11".into(),
        txn: Some(TxnId { most: 0, least: 2 }),
        since_ms: Some(1_796_346_192_309),
    };
    assert_eq!(
        h.describe(1_796_346_192_309 + 180_000),
        "≥ 5 entries held back by open transaction (0,2) since 2026-12-04T01:03:12.309Z (3m ago)"
    );
    let h = HeldBack { entries: 1, txn: None, since_ms: None, ..h };
    assert_eq!(h.describe(0), "≥ 1 entry held back by an open transaction");
}

#[test]
fn slow_durations() {
    assert_eq!(parse_duration_ms("30s"), Ok(30_000));
    assert_eq!(parse_duration_ms("30"), Ok(30_000));
    assert_eq!(parse_duration_ms("5m"), Ok(300_000));
    assert_eq!(parse_duration_ms("2h"), Ok(7_200_000));
    assert_eq!(parse_duration_ms("250ms"), Ok(250));
    assert!(parse_duration_ms("5x").is_err());
    assert!(parse_duration_ms("s").is_err());
}
