//! Logs go to a file (never to the screen the TUI draws on).

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Starts logging to `path` at the level of `$PULSAR_TUI_LOG` (default `info`).
/// Returns a guard that flushes on drop.
pub fn init(path: &Path) -> anyhow::Result<tracing_appender::non_blocking::WorkerGuard> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("PULSAR_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().ok();
    Ok(guard)
}
