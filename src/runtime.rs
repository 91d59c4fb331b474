//! The event loop: terminal events, ticks and worker responses in one `select!`.
//! Draws only when something changed, after draining every pending event.

use std::time::{Duration, Instant};

use anyhow::Result;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use crate::app::{App, Event, Settings};
use crate::pulsar::request::Request;
use crate::pulsar::worker::Worker;
use crate::pulsar::{Client, ClusterTarget};
use crate::ui::{self, theme::Theme};

const TICK: Duration = Duration::from_millis(250);

/// Options of one run of the interactive UI.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Quit right after the first frame is drawn (benchmarks: start-up to first frame).
    pub exit_after_first_frame: bool,
    /// Panic right after the first frame: the end-to-end test of terminal restoration.
    pub panic_after_first_frame: bool,
}

/// Resolves a context of the config into its cluster and the app's settings (`:ctx NAME`).
pub type Switcher = Box<dyn Fn(&str) -> std::result::Result<(ClusterTarget, Settings), String> + Send>;

/// Runs the TUI on the real terminal and restores it on every way out, panics included
/// (`ratatui::init` installs a panic hook that restores the terminal first; ours turns
/// mouse reporting off before it).
pub async fn run_tui(
    app: App,
    target: ClusterTarget,
    theme: Theme,
    initial: Vec<Request>,
    opts: RunOptions,
    switcher: Option<Switcher>,
) -> Result<()> {
    // the client is built while the terminal is set up and the first frame drawn: with an
    // https:// admin URL (or OAuth2) its TLS context reads the system's certificates, tens
    // of ms of CPU; an http:// admin URL sets up no TLS before the first requests (see
    // pulsar::transport)
    let client = tokio::task::spawn_blocking(move || Client::new(target));
    let mut terminal = ratatui::init();
    let restore_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        mouse_capture(false);
        restore_hook(info);
    }));
    mouse_capture(true);
    let result = event_loop(&mut terminal, app, client, theme, initial, opts, switcher).await;
    mouse_capture(false);
    ratatui::restore();
    result
}

/// Mouse reporting on or off (clicks select, the wheel scrolls).
fn mouse_capture(on: bool) {
    use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    let mut out = std::io::stdout();
    let _ =
        if on { crossterm::execute!(out, EnableMouseCapture) } else { crossterm::execute!(out, DisableMouseCapture) };
}

async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut app: App,
    client: tokio::task::JoinHandle<crate::pulsar::Result<Client>>,
    theme: Theme,
    initial: Vec<Request>,
    opts: RunOptions,
    switcher: Option<Switcher>,
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    if let Ok(size) = terminal.size() {
        app.handle(Event::Resize(size.width, size.height));
    }
    // the first frame comes before the client is ready
    terminal.draw(|f| ui::render(f, &app, &theme))?;
    if opts.exit_after_first_frame {
        return Ok(());
    }
    if opts.panic_after_first_frame {
        panic!("injected panic (--panic-after-first-frame)");
    }
    let client = client.await??;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut worker = Worker::new(client, tx);
    let mut input = EventStream::new();
    // a context switch builds its client off the loop; the result comes back as an event
    let (switch_tx, mut switch_rx): (SwitchSender, _) = mpsc::unbounded_channel();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    for r in initial.into_iter().chain(app.start()) {
        worker.submit(r);
    }
    loop {
        if app.take_dirty() {
            let mut hits = app.hits;
            let started = Instant::now();
            terminal.draw(|f| hits = ui::draw(f, &app, &theme))?;
            app.hits = hits;
            let took = started.elapsed();
            if took >= SLOW_UPDATE {
                tracing::debug!(ms = took.as_millis() as u64, "slow frame");
            }
            if opts.exit_after_first_frame {
                return Ok(());
            }
        }
        let event = tokio::select! {
            maybe = input.next() => match maybe {
                Some(Ok(TermEvent::Key(k))) => Event::Key(k),
                Some(Ok(TermEvent::Resize(w, h))) => Event::Resize(w, h),
                Some(Ok(TermEvent::Mouse(m))) => Event::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(r) = rx.recv() => Event::Response(r),
            Some((name, result)) = switch_rx.recv() => {
                let result = result.map(|(client, settings)| {
                    let aborted = worker.switch(client);
                    tracing::info!(context = name, aborted, "context switched");
                    settings
                });
                Event::ContextSwitched { name, result }
            }
            _ = tick.tick() => Event::Tick(Instant::now()),
        };
        let started = Instant::now();
        let label = event_label(&event);
        let mut requests = app.handle_at(started, event);
        // batch everything already waiting before drawing again
        while let Ok(r) = rx.try_recv() {
            requests.extend(app.handle_at(Instant::now(), Event::Response(r)));
        }
        let took = started.elapsed();
        if took >= SLOW_UPDATE {
            tracing::debug!(ms = took.as_millis() as u64, event = label, "slow update: a key waits this long");
        }
        for r in requests {
            worker.submit(r);
        }
        if let Some(text) = app.take_clipboard() {
            copy_osc52(&text);
        }
        if let Some(edit) = app.take_edit() {
            // the editor owns the terminal meanwhile: no reader of ours may take its keys
            drop(input);
            let result = run_editor(terminal, &edit.text);
            input = EventStream::new();
            for r in app.handle_at(Instant::now(), Event::Edited(result)) {
                worker.submit(r);
            }
        }
        if let Some(name) = app.take_context_switch() {
            start_context_switch(switcher.as_ref(), name, &switch_tx);
        }
        if app.should_quit() {
            return Ok(());
        }
    }
}

/// `:ctx NAME`: resolves the context and builds its client on a blocking thread, so the
/// An update or a frame at least this long is logged (at `debug`): where a key waited.
const SLOW_UPDATE: Duration = Duration::from_millis(16);

/// What an event is, for the slow-update log (a response by its group, not its contents).
fn event_label(event: &Event) -> &'static str {
    use crate::pulsar::request::ResponseKind as K;
    match event {
        Event::Key(_) => "key",
        Event::Mouse(_) => "mouse",
        Event::Resize(..) => "resize",
        Event::Tick(_) => "tick",
        Event::ContextSwitched { .. } => "context switched",
        Event::Edited(_) => "edited",
        Event::Response(r) => match &r.kind {
            K::Explorer(_) => "explorer response",
            K::Browse(_) => "browse response",
            K::Schema(_) => "schema response",
            K::Metrics(_) => "metrics response",
            K::Dlq(_) => "dlq response",
            K::Health(_) => "health response",
            K::Txn(_) => "txn response",
            K::Replication(_) => "replication response",
            K::Policies(_) => "policies response",
            K::Produce(_) => "produce response",
            K::Failed { .. } => "failed response",
        },
    }
}

/// loop keeps drawing ("switching…") meanwhile; the client and the context's settings (or
/// why not) come back through `tx`, and the loop swaps the client into the worker (which
/// aborts the old context's tasks) before the app starts over on it.
fn start_context_switch(switcher: Option<&Switcher>, name: String, tx: &SwitchSender) {
    let resolved = match switcher {
        Some(switcher) => switcher(&name),
        None => Err("not available here".to_string()),
    };
    let tx = tx.clone();
    match resolved {
        Ok((target, settings)) => {
            tokio::spawn(async move {
                let client = match tokio::task::spawn_blocking(move || Client::new(target)).await {
                    Ok(Ok(client)) => Ok((client, settings)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let _ = tx.send((name, client));
            });
        }
        Err(e) => {
            let _ = tx.send((name, Err(e)));
        }
    }
}

/// Where a context switch's client (and the context's settings) or its failure is sent.
type SwitchSender = mpsc::UnboundedSender<(String, std::result::Result<(Client, Settings), String>)>;

/// Puts `text` on the terminal's clipboard (OSC 52, crossterm's `CopyToClipboard`): works
/// over SSH and in tmux with `set-clipboard on`.
fn copy_osc52(text: &str) {
    let _ = crossterm::execute!(std::io::stdout(), crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
}

/// Runs `$VISUAL`, else `$EDITOR`, else `vi` on a temporary file holding `text`, with the
/// terminal given back to the shell meanwhile (main screen, cooked mode, no mouse), and
/// returns what was saved. The command goes through `sh -c` so that an editor with arguments
/// (`code -w`) works as in git. The file is ours (created new, removed after): a temp-file
/// crate is not a dependency, and one file needs no more than this.
fn run_editor<B: Backend>(terminal: &mut Terminal<B>, text: &str) -> std::result::Result<String, String> {
    use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let path = std::env::temp_dir().join(format!("pulsar-tui-{}-{nanos}.json", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if let Err(e) = written {
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    mouse_capture(false);
    let _ = crossterm::execute!(std::io::stdout(), LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let status =
        std::process::Command::new("sh").arg("-c").arg(format!("{editor} \"$1\"")).arg("sh").arg(&path).status();
    let _ = enable_raw_mode();
    let _ = crossterm::execute!(std::io::stdout(), EnterAlternateScreen);
    mouse_capture(true);
    let _ = terminal.clear(); // the whole screen is drawn again
    let result = match status {
        Ok(s) if s.success() => {
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        Ok(s) => Err(format!("{editor} exited with {s}")),
        Err(e) => Err(format!("cannot run {editor}: {e}")),
    };
    let _ = std::fs::remove_file(&path);
    result
}
