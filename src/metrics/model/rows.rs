//! The builder's raw topic rows, in chunks: a row is stored in place (no allocation of its
//! own, no rounding up to an allocator size class), and growing never copies the rows
//! already stored (a doubling vector of 100,000 rows would briefly hold both copies).

use super::TopicAcc;

/// Rows per chunk (a chunk of ~450-byte rows is about half a megabyte).
const CHUNK: usize = 1024;

/// Rows by index, in order of insertion, stored in fixed-capacity chunks.
#[derive(Debug, Default)]
pub(super) struct Rows {
    chunks: Vec<Vec<TopicAcc>>,
    len: usize,
}

impl Rows {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn get(&self, i: usize) -> Option<&TopicAcc> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut TopicAcc> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    pub(super) fn push(&mut self, row: TopicAcc) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(row),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(row);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    /// Moves row `i` out (leaving an empty row, whose numbers stay allocated until the
    /// chunk is dropped).
    pub(super) fn take(&mut self, i: usize) -> Option<TopicAcc> {
        self.get_mut(i).map(std::mem::take)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &TopicAcc> {
        self.chunks.iter().flatten()
    }

    /// The rows in order, each chunk freed once its last row is handed out.
    pub(super) fn into_iter(self) -> impl Iterator<Item = TopicAcc> {
        self.chunks.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::super::TopicAcc;
    use super::{Rows, CHUNK};

    fn row(i: usize) -> TopicAcc {
        TopicAcc::new(format!("persistent://t/n/topic-{i}").into(), "t/n".into(), false)
    }

    #[test]
    fn rows_across_chunks_keep_their_index_and_order() {
        let n = CHUNK * 2 + 3;
        let mut rows = Rows::default();
        for i in 0..n {
            rows.push(row(i));
        }
        assert_eq!(rows.len(), n);
        assert_eq!(rows.chunks.len(), 3, "a new chunk only when the last one is full");
        for i in [0, CHUNK - 1, CHUNK, 2 * CHUNK, n - 1] {
            assert_eq!(
                &*rows.get(i).map(|r| r.name.clone()).unwrap_or_default(),
                format!("persistent://t/n/topic-{i}")
            );
        }
        assert!(rows.get(n).is_none());
        let names: Vec<String> = rows.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(names, (0..n).map(|i| format!("persistent://t/n/topic-{i}")).collect::<Vec<_>>());
    }

    #[test]
    fn take_moves_a_row_out_once() {
        let mut rows = Rows::default();
        for i in 0..CHUNK + 1 {
            rows.push(row(i));
        }
        let taken = rows.take(CHUNK).map(|r| r.name.to_string());
        assert_eq!(taken.as_deref(), Some(format!("persistent://t/n/topic-{CHUNK}").as_str()));
        assert_eq!(rows.get(CHUNK).map(|r| r.name.len()), Some(0), "an empty row is left behind");
        assert_eq!(rows.len(), CHUNK + 1, "taking does not shift the other rows");
        assert!(rows.take(CHUNK + 1).is_none());
        assert_eq!(rows.into_iter().count(), CHUNK + 1);
    }
}
