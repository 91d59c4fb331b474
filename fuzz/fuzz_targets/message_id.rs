//! Message ids and `--from`/`--until` on arbitrary text. Properties: nothing
//! panics; a parsed id prints as `ledger:entry:partition:batch` and that text
//! parses back to the same id; the id's fields are exactly the numbers written
//! (no silent wrap-around); `--from`/`--until` accept every printed id as that
//! id.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use pulsar_tui::pulsar::message::{MessageId, StartFrom, Until};

/// 2026-11-27T10:00:00Z
const NOW_MS: i64 = 1_795_773_600_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s: &str = &text;

    if let Ok(id) = MessageId::from_str(s) {
        let printed = id.to_string();
        let again = MessageId::from_str(&printed)
            .unwrap_or_else(|e| panic!("{s:?} parsed to {id:?}, whose text {printed:?} does not parse: {e}"));
        assert_eq!(again, id, "{s:?} -> {printed:?}");
        assert!(id.ledger >= 0 && id.entry >= 0 && id.partition >= -1 && id.batch >= -1, "{s:?} -> {id:?}");

        // the fields are the numbers that were written
        let t = s.trim();
        let t = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')).unwrap_or(t);
        let written: Vec<i64> = t.split([':', ',']).map(|p| p.trim().parse().expect("parsed before")).collect();
        let fields = [id.ledger, id.entry, i64::from(id.partition), i64::from(id.batch)];
        assert_eq!(&fields[..written.len()], &written[..], "{s:?} -> {id:?}");

        assert_eq!(StartFrom::parse(&printed, NOW_MS).ok(), Some(StartFrom::Id(id)), "{printed:?}");
        assert_eq!(Until::parse(&printed, NOW_MS).ok(), Some(Until::Id(id)), "{printed:?}");
        assert!(id.reached(&id));
        let _ = id.to_proto();
    }

    let _ = StartFrom::parse(s, NOW_MS);
    let _ = Until::parse(s, NOW_MS);
    let _ = StartFrom::parse(s, 0);
    let _ = Until::parse(s, 0);
});
