//! The requeue journal: one JSON line per message moved out of a DLQ, appended after the
//! broker confirmed the publish to the target and before the DLQ message is acknowledged.
//! A re-run skips (and acknowledges) the ids it lists, so a crash between publish and
//! acknowledgement leaves at most one duplicate (publish confirmed, journal line not yet
//! written), never a loss.
//!
//! A line torn by a crash is skipped when read, and the next append starts on a new line.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One moved message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The DLQ topic (a partition's own name for a partitioned DLQ).
    pub dlq: String,
    /// `ledger:entry:partition:batch` in the DLQ.
    pub message_id: String,
    pub target: String,
    /// The id the broker gave the copy in the target.
    pub target_message_id: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// What an existing journal says about one DLQ.
#[derive(Debug, Default)]
pub struct Moved {
    /// Message ids of every moved message, by DLQ topic (partition).
    pub ids: HashMap<String, HashSet<String>>,
    /// Lines that could not be read (a torn last line after a crash).
    pub bad_lines: usize,
}

impl Moved {
    pub fn contains(&self, dlq: &str, id: &str) -> bool {
        self.ids.get(dlq).is_some_and(|ids| ids.contains(id))
    }

    pub fn len(&self) -> usize {
        self.ids.values().map(HashSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Reads what was moved out of the DLQ `dlq_parent` (or any of its partitions).
    pub fn read(path: &Path, dlq_parent: &str) -> io::Result<Moved> {
        let mut moved = Moved::default();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(moved),
            Err(e) => return Err(e),
        };
        let prefix = format!("{dlq_parent}-partition-");
        for line in BufReader::new(file).lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<JournalEntry>(&line) {
                Ok(e) if e.dlq == dlq_parent || e.dlq.starts_with(&prefix) => {
                    moved.ids.entry(e.dlq).or_default().insert(e.message_id);
                }
                Ok(_) => {}
                Err(_) => moved.bad_lines += 1,
            }
        }
        Ok(moved)
    }

    /// Opens (creating it and its directory) for appending; a torn last line is ended first.
    pub fn open(path: &Path) -> io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            file.seek(SeekFrom::Start(len - 1))?;
            let mut last = [0u8; 1];
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Journal { path: path.to_path_buf(), file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends entries with one write; they are in the kernel (safe from a killed process)
    /// when this returns.
    pub fn append(&mut self, entries: &[JournalEntry]) -> io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(entries.len() * 160);
        for e in entries {
            serde_json::to_writer(&mut buf, e).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.file.flush()
    }

    /// Forces the journal to disk (at the end of a run).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dlq: &str, id: &str) -> JournalEntry {
        JournalEntry {
            dlq: dlq.into(),
            message_id: id.into(),
            target: "persistent://a/b/t".into(),
            target_message_id: Some("9:9:-1:-1".into()),
            at: "2026-11-27T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn appended_entries_are_read_back_per_dlq() {
        let dir = std::env::temp_dir().join(format!("pulsar-tui-journal-{}", std::process::id()));
        let path = dir.join("sub/journal.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(Journal::read(&path, "persistent://a/b/x-DLQ").unwrap().is_empty());
        let mut j = Journal::open(&path).unwrap();
        j.append(&[entry("persistent://a/b/x-DLQ", "1:1:-1:-1"), entry("persistent://a/b/y-DLQ", "1:2:-1:-1")])
            .unwrap();
        j.append(&[entry("persistent://a/b/x-DLQ-partition-1", "3:4:1:-1")]).unwrap();
        drop(j);
        let moved = Journal::read(&path, "persistent://a/b/x-DLQ").unwrap();
        assert_eq!(moved.len(), 2);
        assert!(moved.contains("persistent://a/b/x-DLQ", "1:1:-1:-1"));
        assert!(moved.contains("persistent://a/b/x-DLQ-partition-1", "3:4:1:-1"));
        assert!(!moved.contains("persistent://a/b/y-DLQ", "1:2:-1:-1"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_ended() {
        let dir = std::env::temp_dir().join(format!("pulsar-tui-journal-torn-{}", std::process::id()));
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let mut j = Journal::open(&path).unwrap();
        j.append(&[entry("d", "1:1:-1:-1")]).unwrap();
        drop(j);
        // a crash in the middle of a write
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"dlq":"d","message_id":"1:2"#).unwrap();
        drop(f);
        let moved = Journal::read(&path, "d").unwrap();
        assert_eq!((moved.len(), moved.bad_lines), (1, 1));
        let mut j = Journal::open(&path).unwrap();
        j.append(&[entry("d", "1:3:-1:-1")]).unwrap();
        drop(j);
        let moved = Journal::read(&path, "d").unwrap();
        assert_eq!((moved.len(), moved.bad_lines), (2, 1), "the new line is not glued to the torn one");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
