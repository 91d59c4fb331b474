//! Logs go to a file (never to the screen the TUI draws on).

use std::path::Path;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Log lines queued for the writer thread at most.
const LOG_QUEUE_LINES: usize = 4_096;

/// Starts logging to `path` at the level of `$PULSAR_TUI_LOG` (default `info`).
/// Returns a guard that flushes on drop.
pub fn init(path: &Path) -> anyhow::Result<tracing_appender::non_blocking::WorkerGuard> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    // tracing-appender's default queue is 128,000 lines, allocated and touched up front
    // (4 MB of every TUI's RSS); a few thousand lines cover any burst we log, and a full
    // queue drops lines rather than blocking the UI (lossy, the default)
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(file);
    let filter = EnvFilter::try_from_env("PULSAR_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| !reveals_secrets(meta.target(), *meta.level())));
    tracing_subscriber::registry().with(layer).try_init().ok();
    Ok(guard)
}

/// Log lines that would write a secret, whatever `$PULSAR_TUI_LOG` asks for: pulsar-rs
/// traces every frame of a connection, the CONNECT frame with the token's bytes included.
pub fn reveals_secrets(target: &str, level: tracing::Level) -> bool {
    level == tracing::Level::TRACE && (target == "pulsar::connection" || target.starts_with("pulsar::connection::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulsar_connection_traces_are_never_written() {
        assert!(reveals_secrets("pulsar::connection", tracing::Level::TRACE));
        assert!(!reveals_secrets("pulsar::connection", tracing::Level::DEBUG));
        assert!(!reveals_secrets("pulsar::consumer", tracing::Level::TRACE));
    }
}
