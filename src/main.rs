use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use pulsar_tui::app::{App, Level};
use pulsar_tui::cli::{Cli, Command, DlqCommand, Format, ReplicationCommand};
use pulsar_tui::pulsar::{Client, TopicName};
use pulsar_tui::runtime::{self, RunOptions};
use pulsar_tui::ui::theme::Theme;
use pulsar_tui::{headless, logging, settings};

// mimalloc: the decoders and the JSON-lines writer allocate many small strings and maps per
// message; glibc malloc made that a third of Avro decode time (scripts/bench-decode).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them on its arenas
/// (MADV_HUGEPAGE), and the kernel then zeroes 2 MiB at a time: in `read` that was a tenth
/// of the CPU profile, and the TUI's peak RSS doubled when a 10,000-topic `/metrics` scrape
/// passed through. mimalloc's own switch (MIMALLOC_ALLOW_THP=0) is read before `main`; the
/// process flag is checked at each page fault, so setting it first thing here is enough.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // best effort: without it the process only uses more memory
    let _ = nix::sys::prctl::set_thp_disable(true);
}

/// Freed memory goes back to the system at once instead of after mimalloc's purge delay
/// (1 s in the mimalloc v3 that libmimalloc-sys builds; purged only when the heap is next
/// used) — for the long-running commands that scrape `/metrics`.
/// Each scrape of a big broker allocates and frees tens of MB on the runtime's blocking
/// threads; with the delay, the pages of a scrape were still held when the next one began
/// and the TUI's peak RSS at 100,000 topics was 240 MB instead of ~170 (scripts/bench-metrics-scale.py).
/// Not for one-shot reads and decodes, where the extra `madvise` calls would only cost time.
#[allow(unsafe_code)] // the one FFI call of the project (see Cargo.toml's [lints])
fn purge_freed_memory_at_once() {
    // libmimalloc-sys has no constant for it: mimalloc.h's `mi_option_purge_delay`, whose
    // default is 1000 (v3) or 10 (v2); checked first, so another numbering changes nothing
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: called first thing in `main`, before any other thread exists (the options are
    // plain globals that mimalloc reads when it purges)
    unsafe {
        if matches!(libmimalloc_sys::mi_option_get(PURGE_DELAY), 10 | 1000) {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
}

/// The reader of our output went away (`pulsar-tui read … | head`): no message, the exit
/// status a shell gives a process killed by SIGPIPE (Rust ignores the signal, so the write
/// fails instead).
fn closed_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        cause = c.source();
    }
    false
}

const EXIT_CLOSED_PIPE: u8 = 141;

/// Writes a completion script or the man page to stdout.
fn print_generated(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> ExitCode {
    match write(&mut io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_CLOSED_PIPE),
        Err(e) => {
            eprintln!("pulsar-tui: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    no_huge_pages();
    let cli = Cli::parse();
    if matches!(cli.command, None | Some(Command::Metrics { .. }) | Some(Command::Health { .. })) {
        purge_freed_memory_at_once();
    }
    // generated from the command line's definition: no config, no cluster needed
    match &cli.command {
        Some(Command::Completions { shell }) => {
            return print_generated(|out| pulsar_tui::cli::completions(*shell, out))
        }
        Some(Command::Man { out_dir }) => {
            return print_generated(|out| pulsar_tui::cli::man_pages(out_dir.as_deref(), out))
        }
        _ => {}
    }
    let resolved = settings::resolve(&cli);
    if cli.check_config {
        for w in &resolved.warnings {
            eprintln!("{w}");
        }
        if !resolved.warnings.is_empty() {
            return ExitCode::from(2);
        }
        match &resolved.config_path {
            None => eprintln!("no config file found (using defaults)"),
            Some(p) => eprintln!("{}: ok", p.display()),
        }
        if let Some(p) = resolved.keymap_path.as_ref().filter(|p| p.is_file()) {
            eprintln!("{}: ok", p.display());
        }
        return ExitCode::SUCCESS;
    }
    let _log_guard = logging::init(&resolved.log_path).ok();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pulsar-tui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli, resolved)) {
        Ok(code) => code,
        Err(e) if closed_pipe(e.as_ref()) => ExitCode::from(EXIT_CLOSED_PIPE),
        Err(e) => {
            eprintln!("pulsar-tui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, resolved: settings::Resolved) -> anyhow::Result<ExitCode> {
    // `:ctx NAME` resolves the context from the same flags and config
    let switch_cli = cli.clone();
    if cli.context.len() > 1
        && !matches!(cli.command, Some(Command::Replication { action: ReplicationCommand::Check { .. } }))
    {
        anyhow::bail!("--context is given {} times: only `replication check` compares two contexts", cli.context.len());
    }
    let Some(command) = cli.command else {
        let mut app_settings = resolved.app.clone();
        // geo-replication: `X` and `V` need the other cluster's context
        app_settings.peers = settings::peers(&switch_cli, &app_settings.contexts);
        let mut app = App::new(app_settings, Instant::now());
        app.keymap = resolved.keymap.clone();
        if let Some(w) = resolved.warnings.first() {
            let more = resolved.warnings.len() - 1;
            let text = if more > 0 {
                format!("config: {w} (+{more} more: pulsar-tui --check-config)")
            } else {
                format!("config: {w}")
            };
            app.status = Some(pulsar_tui::app::StatusMessage { text, level: Level::Error, at: app.now });
        }
        let initial = match (&cli.topic, &cli.subscription) {
            (Some(t), Some(sub)) => app.jump_to_subscription(TopicName::parse(t)?, sub.clone()),
            (Some(t), None) => app.open_topic(TopicName::parse(t)?),
            _ => Vec::new(),
        };
        let opts = RunOptions {
            exit_after_first_frame: cli.exit_after_first_frame,
            panic_after_first_frame: cli.panic_after_first_frame,
        };
        let theme = match &resolved.theme {
            None => Theme::default(),
            Some(name) => {
                // user themes: beside the config file in use, then in the config dir
                let mut dirs = Vec::new();
                if let Some(dir) = resolved.config_path.as_ref().and_then(|p| p.parent()) {
                    dirs.push(dir.join("themes"));
                }
                if let Some(d) = pulsar_tui::config::project_dirs() {
                    dirs.push(d.config_dir().join("themes"));
                }
                match Theme::named(name, &dirs) {
                    Ok((theme, warnings)) => {
                        if let Some(w) = warnings.first() {
                            let line = w.line.map(|l| format!(" line {l}")).unwrap_or_default();
                            let text = format!("theme{line}: {}", w.message);
                            app.status =
                                Some(pulsar_tui::app::StatusMessage { text, level: Level::Error, at: app.now });
                        }
                        theme
                    }
                    Err(e) => {
                        app.status = Some(pulsar_tui::app::StatusMessage { text: e, level: Level::Error, at: app.now });
                        Theme::default()
                    }
                }
            }
        };
        let switcher: runtime::Switcher = Box::new(move |name| {
            settings::resolve_context(&switch_cli, name).map(|(target, mut s)| {
                s.peers = settings::peers(&switch_cli, &s.contexts);
                (target, s)
            })
        });
        runtime::run_tui(app, resolved.target.clone(), theme, initial, opts, Some(switcher)).await?;
        return Ok(ExitCode::SUCCESS);
    };
    let client = Client::new(resolved.target.clone())?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match command {
        Command::Ls { path, format } => {
            headless::ls(&client, path.as_deref(), format == Format::Table, &mut out).await?
        }
        Command::Stats { topic } => headless::stats(&client, &topic, &mut out).await?,
        Command::Produce { .. } => headless::produce::run(&client, command, &mut out).await?,
        Command::Read { topic, from, until, count, follow, filter, format, raw, decode_as } => {
            let args = headless::ReadArgs {
                topic: &topic,
                from: &from,
                until: until.as_deref(),
                count,
                follow,
                filter: filter.as_deref(),
                format,
                raw,
                decode_as: decode_as.as_deref(),
            };
            headless::read(&client, &args, &mut out).await?;
            out.flush()?;
        }
        Command::Metrics { namespace, topic, metrics_urls, format } => {
            // --metrics-url wins over the config's metrics_urls
            let metrics_urls = if metrics_urls.is_empty() { resolved.app.metrics_urls.clone() } else { metrics_urls };
            headless::metrics(
                &client,
                namespace.as_deref(),
                topic.as_deref(),
                &metrics_urls,
                format == Format::Table,
                &mut out,
            )
            .await?;
        }
        Command::Schema { topic, version, all } => headless::schema(&client, &topic, version, all, &mut out).await?,
        Command::Dlq { action: DlqCommand::List { namespace, format } } => {
            headless::dlq_list(&client, namespace.as_deref(), format == Format::Table, &mut out).await?
        }
        Command::Dlq {
            action:
                DlqCommand::Requeue {
                    dlq_topic,
                    to,
                    filter,
                    limit,
                    rate,
                    keep_dlq_properties,
                    dry_run,
                    yes,
                    subscription,
                    journal,
                    fixes,
                },
        } => {
            let dlq = TopicName::parse(&dlq_topic)?;
            let target = pulsar_tui::dlq::Target::parse(&to).map_err(anyhow::Error::msg)?;
            // fix and requeue (pulsar/produce/fix.rs): only the fixed letters move
            let (only, fixes) = if fixes.is_empty() {
                (None, Default::default())
            } else {
                let fixes: Vec<_> = fixes
                    .iter()
                    .map(|f| pulsar_tui::pulsar::produce::parse_fix_arg(f))
                    .collect::<Result<_, _>>()
                    .map_err(anyhow::Error::msg)?;
                let (only, payloads) =
                    pulsar_tui::pulsar::produce::fixed_payloads(&client, &dlq, &target, &fixes).await?;
                (Some(only), payloads)
            };
            let options = pulsar_tui::pulsar::dlq::RequeueOptions {
                dlq,
                target,
                filter,
                only,
                fixes,
                limit,
                rate,
                keep_dlq_properties,
                subscription,
                journal: journal.unwrap_or_else(|| resolved.data_dir.join("requeue-journal.jsonl")),
            };
            let args = headless::RequeueArgs { options, dry_run, yes };
            if !headless::dlq_requeue(&client, &args, &mut out).await? {
                out.flush()?;
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Health { namespace, format, min_severity, watch, metrics_urls } => {
            let metrics_urls = if metrics_urls.is_empty() { resolved.app.metrics_urls.clone() } else { metrics_urls };
            let args = headless::HealthArgs {
                namespace: namespace.as_deref(),
                table: format == pulsar_tui::cli::HealthFormat::Table,
                min: match min_severity {
                    pulsar_tui::cli::MinSeverity::Warn => pulsar_tui::health::Severity::Warn,
                    pulsar_tui::cli::MinSeverity::Critical => pulsar_tui::health::Severity::Critical,
                },
                watch,
                metrics_urls: &metrics_urls,
                thresholds: (*resolved.app.health).clone(),
                interval: resolved.app.metrics_interval,
            };
            let code = headless::health(&client, &args, &mut out).await?;
            return Ok(ExitCode::from(code));
        }
        Command::Replication { action: ReplicationCommand::Status { topic, format } } => {
            headless::replication::status(&client, &topic, format == Format::Table, &mut out).await?
        }
        Command::Replication { action: ReplicationCommand::Check { topic, format } } => {
            let [_, other] = cli.context.as_slice() else {
                anyhow::bail!("replication check compares two contexts: --context THIS --context OTHER");
            };
            let (remote, _) = settings::resolve_context(&switch_cli, other).map_err(anyhow::Error::msg)?;
            let table = format == Format::Table;
            let code = headless::replication::check(&client, remote, other, &topic, table, &mut out).await?;
            return Ok(ExitCode::from(code));
        }
        Command::Txn { action } => {
            use pulsar_tui::cli::{HealthFormat, TxnCommand};
            match action {
                TxnCommand::List { slow, format } => {
                    headless::txn::list(&client, slow.as_deref(), format == HealthFormat::Table, &mut out).await?
                }
                TxnCommand::Show { txn, format } => {
                    headless::txn::show(&client, &txn, format == HealthFormat::Table, &mut out).await?
                }
                TxnCommand::Topic { topic, format } => {
                    headless::txn::topic(&client, &topic, format == HealthFormat::Table, &mut out).await?
                }
                TxnCommand::Abort { txn, yes } => {
                    headless::txn::abort(&client, &txn, yes, &mut out).await?;
                }
            }
        }
        Command::Completions { .. } | Command::Man { .. } => {} // answered before the config is read
        Command::Policies { target, format, target_rate, action } => match action {
            Some(pulsar_tui::cli::PoliciesCommand::Set { target, key, value, yes }) => {
                let key = pulsar_tui::policies::edit::EditKey::parse(&key).map_err(anyhow::Error::msg)?;
                let edit = pulsar_tui::pulsar::policies::Edit::Set { key, value };
                headless::policies::change(&client, &target, edit, yes, &mut out).await?
            }
            Some(pulsar_tui::cli::PoliciesCommand::Remove { target, key, yes }) => {
                let edit = pulsar_tui::pulsar::policies::Edit::Remove { key };
                headless::policies::change(&client, &target, edit, yes, &mut out).await?
            }
            None => {
                let Some(target) = target else { anyhow::bail!("policies: give tenant/namespace or a topic") };
                headless::policies::show(&client, &target, format == Format::Table, target_rate, &mut out).await?
            }
        },
        Command::Info => {
            let path =
                |p: Option<&std::path::Path>| p.map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into());
            writeln!(out, "config file:  {}", path(resolved.config_path.as_deref()))?;
            let keymap = match resolved.keymap_path.as_deref() {
                Some(p) if p.is_file() => p.display().to_string(),
                Some(p) => format!("{} (not there: the default keymap)", p.display()),
                None => "(none: the default keymap)".into(),
            };
            writeln!(out, "keymap file:  {keymap}")?;
            writeln!(out, "data dir:     {}", resolved.data_dir.display())?;
            writeln!(out, "log file:     {}", resolved.log_path.display())?;
            writeln!(out, "service url:  {}", pulsar_tui::pulsar::redact_url(&resolved.target.service_url))?;
            writeln!(out, "admin url:    {}", pulsar_tui::pulsar::redact_url(&resolved.target.admin_url))?;
            writeln!(out, "token:        {}", if resolved.target.token.is_some() { "set (hidden)" } else { "none" })?;
            if let Some(o) = &resolved.target.oauth2 {
                writeln!(out, "oauth2:       {} (credentials {})", o.issuer_url, o.credentials_file.display())?;
            }
            let tls = &resolved.target.tls;
            writeln!(
                out,
                "tls:          trust {}, hostname verification {}{}",
                path(tls.trust_certs_file.as_deref()),
                if tls.hostname_verification { "on" } else { "off" },
                if tls.allow_insecure { ", INSECURE (any certificate accepted)" } else { "" }
            )?;
            for w in &resolved.warnings {
                writeln!(out, "warning:      {w}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
