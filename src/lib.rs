//! pulsar-tui: a keyboard-first terminal UI for Apache Pulsar.
//!
//! - [`model`]: the leaf: names, ids, messages as plain values (no I/O).
//! - [`pulsar`]: I/O with the cluster (admin REST + binary protocol), no ratatui.
//! - [`app`]: the state machine; [`app::App::handle`] never awaits.
//! - [`panes`], [`ui`]: drawing.
//! - [`runtime`]: the event loop tying them together.

/// The version `--version` prints: the package's, and the commit it was built from
/// (`build.rs`; "unknown" outside a git checkout).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("PULSAR_TUI_COMMIT"), ")");

pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod dlq;
pub mod encode;
pub mod envelope;
pub mod filter;
pub mod headless;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod panes;
pub mod policies;
pub mod pulsar;
pub mod runtime;
pub mod settings;
pub mod style;
pub mod txn;
pub mod ui;
