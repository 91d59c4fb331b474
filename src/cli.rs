//! Command-line interface (clap). `pulsar-tui --help` documents everything.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Clone, Parser)]
#[command(
    name = "pulsar-tui",
    version = crate::VERSION,
    about = "A fast, keyboard-first terminal UI for Apache Pulsar clusters",
    long_about = "A fast, keyboard-first terminal UI for Apache Pulsar clusters.\n\n\
        Without a subcommand it opens the interactive UI. The subcommands are headless twins \
        of what the UI shows: they print JSON lines for scripts and runbooks."
)]
pub struct Cli {
    /// The broker's binary protocol URL [default: pulsar://127.0.0.1:6650]
    #[arg(long, env = "PULSAR_SERVICE_URL", global = true)]
    pub service_url: Option<String>,

    /// The admin REST API URL [default: derived from --service-url, pulsar://h:6650 → http://h:8080]
    #[arg(long, env = "PULSAR_ADMIN_URL", global = true)]
    pub admin_url: Option<String>,

    /// A JWT for token authentication (binary protocol and admin API)
    #[arg(long, env = "PULSAR_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,

    /// The config file [default: $PULSAR_TUI_CONFIG, $XDG_CONFIG_HOME/pulsar-tui/config.toml, ~/.config/pulsar-tui/config.toml]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,

    /// Print the problems of the config file and exit (non-zero when there are any)
    #[arg(long)]
    pub check_config: bool,

    /// The log file [default: <data dir>/pulsar-tui.log]
    #[arg(long, env = "PULSAR_TUI_LOG_FILE", global = true)]
    pub log_file: Option<PathBuf>,

    /// Start in the message browser on this topic, selected in the explorer behind it
    /// (persistent://tenant/ns/topic)
    #[arg(long)]
    pub topic: Option<String>,

    /// With --topic: start in the explorer with this subscription of the topic selected
    #[arg(long, requires = "topic")]
    pub subscription: Option<String>,

    /// Seconds before one operation (admin call, lookup, connect) gives up [default: 10]
    #[arg(long, global = true)]
    pub timeout: Option<u64>,

    /// Import a Pulsar client.conf (webServiceUrl, brokerServiceUrl, token or OAuth2 authParams,
    /// tlsTrustCertsFilePath, tlsAllowInsecureConnection, tlsEnableHostnameVerification) as
    /// the cluster to use [default, when no config of our own exists: $PULSAR_CLIENT_CONF,
    /// $PULSAR_HOME/conf/client.conf]
    #[arg(long, value_name = "PATH", global = true)]
    pub client_conf: Option<PathBuf>,

    /// Import pulsarctl's config (YAML: its contexts, admin-service-url, token / tokenFile)
    /// as contexts, using its current-context [default, when no config of our own exists:
    /// the first file of $PULSARCONFIG, ~/.config/pulsar/config]
    #[arg(long, value_name = "PATH", global = true)]
    pub pulsarctl_config: Option<PathBuf>,

    /// A named cluster of the config file (`[contexts.NAME]`); `replication check` takes
    /// two (this cluster, then the other)
    #[arg(long, env = "PULSAR_TUI_CONTEXT", global = true, action = clap::ArgAction::Append)]
    pub context: Vec<String>,

    /// The colour theme: default, light, high-contrast, or a user theme NAME.toml in the
    /// config dir's themes/ [default: the config's `theme`, else default]
    #[arg(long, env = "PULSAR_TUI_THEME", global = true)]
    pub theme: Option<String>,

    /// A PEM file of CA certificates to trust for pulsar+ssl:// and https:// (besides the system's)
    #[arg(long, env = "PULSAR_TLS_TRUST_CERTS_FILE", value_name = "PATH", global = true)]
    pub tls_trust_certs_file: Option<PathBuf>,

    /// Accept any TLS certificate, unchecked (the header shows a warning badge)
    #[arg(long, env = "PULSAR_TLS_ALLOW_INSECURE", global = true)]
    pub tls_allow_insecure: bool,

    /// Refuse every write (requeue, subscription actions, produce) in the client layer
    #[arg(long, env = "PULSAR_TUI_READ_ONLY", global = true)]
    pub read_only: bool,

    /// Quit after drawing the first frame (for start-up benchmarks)
    #[arg(long, hide = true)]
    pub exit_after_first_frame: bool,

    /// Panic after drawing the first frame (tests that the terminal is restored)
    #[arg(long, hide = true)]
    pub panic_after_first_frame: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Hand-written so that the token never shows (in a panic message, a log line...).
impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cli")
            .field("service_url", &self.service_url.as_deref().map(crate::pulsar::redact_url))
            .field("admin_url", &self.admin_url.as_deref().map(crate::pulsar::redact_url))
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("config", &self.config)
            .field("context", &self.context)
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

/// What a line of `produce`'s input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProduceFormat {
    /// The line itself is the payload (see --encoding)
    Text,
    /// One JSON value per line, encoded with the topic's schema
    Jsonl,
    /// One envelope of `read --raw` per line: the payload bytes, key, properties, event time
    Envelope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReadFormat {
    /// One JSON envelope per line (see the README)
    Jsonl,
    /// Only the decoded value, one per line
    Value,
    /// A human-readable table
    Table,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// List what the explorer shows: tenants, or the namespaces of a tenant, the topics of
    /// a namespace, the subscriptions of a topic. One JSON object per line.
    Ls {
        /// Nothing (tenants), `tenant`, `tenant/namespace`, or a topic name
        path: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Print a topic's stats as the details pane shows them (JSON).
    Stats {
        /// persistent://tenant/namespace/topic
        topic: String,
    },
    /// Publish messages, one per line of standard input (or --file): text, JSON values encoded
    /// with the topic's schema, or envelopes of `read --raw` (replay: the same bytes, key,
    /// properties and event time). Prints one JSON line per confirmed message, progress and a
    /// summary on stderr. A line that does not fit stops the run with its number (nothing after
    /// it is sent) unless --skip-bad.
    Produce {
        /// persistent://tenant/namespace/topic (or one partition of it)
        topic: String,
        /// What a line is
        #[arg(long, value_enum, default_value = "text")]
        format: ProduceFormat,
        /// Read the lines from this file instead of standard input
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// How a text line is typed: text, hex or base64
        #[arg(long, default_value = "text")]
        encoding: String,
        // clap turns every `{n}` of a help text into a line break: a word joiner (U+2060,
        // invisible) after the brace keeps it; `produce` reads the placeholder with it too
        #[arg(long, help = "Message key (unless the envelope has one); {\u{2060}n} becomes the line number, from 0")]
        key: Option<String>,
        /// A property `KEY=VALUE` (repeatable)
        #[arg(long = "property", value_name = "KEY=VALUE")]
        properties: Vec<String>,
        /// At most this many messages per second
        #[arg(long)]
        rate: Option<f64>,
        /// Batch messages (batches of up to 1,000 messages or 10 ms)
        #[arg(long)]
        batching: bool,
        /// none, lz4, zlib or zstd
        #[arg(long, default_value = "none")]
        compression: String,
        /// For a partitioned topic: round-robin, single, key, or a partition number
        #[arg(long, default_value = "round-robin")]
        routing: String,
        /// Encode with this schema version (default: the latest)
        #[arg(long)]
        schema_version: Option<i64>,
        /// Event time of every message (RFC 3339 or epoch millis) unless the envelope has one
        #[arg(long)]
        event_time: Option<String>,
        /// Deliver each message this long after it is sent (e.g. 30s, 5m; a delayed message is never batched)
        #[arg(long)]
        deliver_after: Option<String>,
        /// Skip lines that do not fit (counted in the summary) instead of stopping
        #[arg(long)]
        skip_bad: bool,
    },
    /// Read messages without side effects (non-durable readers: no subscription is created,
    /// no cursor moves) and print them, one JSON object per line by default.
    Read {
        /// persistent://tenant/namespace/topic (a partitioned topic is read whole, merged by publish time)
        topic: String,
        /// earliest | latest | -N (last N) | +N (skip N) | ledger:entry[:partition[:batch]] | RFC 3339 time | 15m/2h/1d ago
        #[arg(long, default_value = "earliest", allow_hyphen_values = true)]
        from: String,
        /// Stop after this message id or publish time (inclusive)
        #[arg(long)]
        until: Option<String>,
        /// Stop after N messages
        #[arg(long)]
        count: Option<u64>,
        /// Keep reading new messages as they arrive
        #[arg(long)]
        follow: bool,
        /// Only messages matching this CEL expression, e.g. 'value.amount > 100 && key.startsWith("u-")'
        #[arg(long)]
        filter: Option<String>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ReadFormat,
        /// Add the payload as base64 (`raw_base64`) to each JSON line
        #[arg(long)]
        raw: bool,
        /// Decode with this instead of the topic's registry schema: string | bytes | int64 |
        /// double | timestamp | ... | avro FILE.avsc | proto FILE.desc pkg.Message
        #[arg(long, value_name = "DECODER")]
        decode_as: Option<String>,
    },
    /// Print one scrape of every broker's /metrics: one row per topic and per subscription.
    Metrics {
        /// Only topics of this namespace (tenant/namespace)
        #[arg(long)]
        namespace: Option<String>,
        /// Only topics whose name contains this text
        #[arg(long)]
        topic: Option<String>,
        /// Fixed /metrics URLs instead of every broker the admin API lists (repeatable)
        #[arg(long = "metrics-url")]
        metrics_urls: Vec<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Print a topic's schema as JSON: the latest, one version, or every version.
    Schema {
        /// persistent://tenant/namespace/topic
        topic: String,
        #[arg(long)]
        version: Option<i64>,
        /// Every version, oldest first
        #[arg(long, conflicts_with = "version")]
        all: bool,
    },
    /// Dead-letter queues: list them, and requeue their messages without losing any.
    Dlq {
        #[command(subcommand)]
        action: DlqCommand,
    },
    /// What is wrong right now, across the cluster (the health view's findings): one JSON
    /// object per line, most severe first. Exits 0 when nothing is wrong, 1 with warnings,
    /// 2 with a critical finding (a Nagios-style check). Thresholds: the config's [health].
    Health {
        /// Only findings of this namespace (tenant/namespace), and the brokers'
        #[arg(long)]
        namespace: Option<String>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: HealthFormat,
        /// Leave out findings below this severity
        #[arg(long, value_enum, default_value = "warn")]
        min_severity: MinSeverity,
        /// Keep watching: print each finding when it appears and when it clears (one scrape
        /// every metrics_interval_secs)
        #[arg(long)]
        watch: bool,
        /// Fixed /metrics URLs instead of every broker the admin API lists (repeatable)
        #[arg(long = "metrics-url")]
        metrics_urls: Vec<String>,
    },
    /// Geo-replication of a topic: its replicators, and what the other cluster is missing.
    Replication {
        #[command(subcommand)]
        action: ReplicationCommand,
    },
    /// The effective policies of a namespace or topic, each with where it comes from (topic,
    /// namespace or broker default), and capacity estimates from the live rates. Change one
    /// with `policies set`, remove a topic's or namespace's own value with `policies remove`.
    #[command(args_conflicts_with_subcommands = true)]
    Policies {
        /// tenant/namespace or a topic name
        target: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Messages per second the partition estimate aims at
        #[arg(long)]
        target_rate: Option<f64>,
        #[command(subcommand)]
        action: Option<PoliciesCommand>,
    },
    /// Transactions: the coordinators and open transactions, one transaction, a topic's
    /// transaction buffer (what an open transaction holds back from readers), the abort.
    Txn {
        #[command(subcommand)]
        action: TxnCommand,
    },
    /// Print every path pulsar-tui uses (config, data, log) and the effective settings.
    Info,
    /// Print a shell completion script (e.g. `pulsar-tui completions bash > ~/.local/share/bash-completion/completions/pulsar-tui`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line's definition
    /// (e.g. `pulsar-tui man > ~/.local/share/man/man1/pulsar-tui.1`)
    Man {
        /// Write pulsar-tui.1 and one pulsar-tui-SUBCOMMAND.1 per subcommand into this directory instead
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// `pulsar-tui replication …`.
#[derive(Debug, Clone, Subcommand)]
pub enum ReplicationCommand {
    /// The namespace's replication clusters and the topic's replicators, one row per remote
    /// cluster: connected (since), backlog, rates, throughput, delay (JSON).
    Status {
        /// persistent://tenant/namespace/topic
        topic: String,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Compare a topic on two clusters through readers (no side effects): per partition, the
    /// last message id and publish time on each side, and how many messages of the first
    /// context the second is missing. One JSON line per partition, then a summary line.
    /// Exits 0 when nothing is missing, 1 otherwise.
    Check {
        /// persistent://tenant/namespace/topic
        topic: String,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthFormat {
    /// One JSON object per finding, then a summary line
    Jsonl,
    /// A human-readable table
    Table,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TxnCommand {
    /// The coordinators (state, open transactions) and every open transaction with its age,
    /// timeout and the topics and subscriptions it touches, oldest first.
    List {
        /// Only transactions open longer than this (30s, 5m, 2h)
        #[arg(long)]
        slow: Option<String>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: HealthFormat,
    },
    /// One transaction's metadata: (MOST,LEAST), MOST,LEAST or MOST:LEAST.
    Show {
        txn: String,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: HealthFormat,
    },
    /// A topic's transaction buffer (per partition): max read position against the last
    /// entry (what open transactions hold back), pending acks, counters.
    Topic {
        topic: String,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: HealthFormat,
    },
    /// Abort an open transaction (super-user only). Without --yes only a preview.
    Abort {
        txn: String,
        /// Really abort (without it: a preview)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Warn,
    Critical,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PoliciesCommand {
    /// Set one policy at the target's level. Without --yes: the preview (before -> after,
    /// who it affects, whether it can drop data). Keys: ttl, retention.time, retention.size,
    /// backlog-quota.size, backlog-quota.size-policy, backlog-quota.time,
    /// backlog-quota.time-policy, max-unacked-per-subscription, max-unacked-per-consumer,
    /// dispatch-rate.msg, dispatch-rate.byte, publish-rate.msg, publish-rate.byte,
    /// compaction-threshold, schema-compatibility, deduplication
    Set {
        /// tenant/namespace or a topic name
        target: String,
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// Really change it (without it: a preview)
        #[arg(long)]
        yes: bool,
    },
    /// Remove the target's own value of a policy (a topic then follows its namespace, a
    /// namespace the broker's default). Without --yes: the preview.
    Remove {
        /// tenant/namespace or a topic name
        target: String,
        /// An edit key (ttl, retention.time...) or a policy of the list
        key: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum DlqCommand {
    /// The DLQ and RETRY topics (found by name and by their messages' properties), with
    /// their origin topic and subscription, message count, oldest and newest message.
    List {
        /// tenant/namespace [default: every namespace]
        namespace: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Publish DLQ messages again and acknowledge each one only after the broker confirmed
    /// the copy. Without --yes it only previews (one JSON line per message, then a summary).
    Requeue {
        /// The DLQ topic
        dlq_topic: String,
        /// original (REAL_TOPIC: every subscription sees it again) | retry (only the DLQ's
        /// subscription, via its RETRY topic) | a topic name
        #[arg(long, default_value = "original")]
        to: String,
        /// Only messages matching this CEL expression (the rest stay in the DLQ)
        #[arg(long)]
        filter: Option<String>,
        /// Move at most N messages
        #[arg(long)]
        limit: Option<u64>,
        /// At most N messages per second
        #[arg(long)]
        rate: Option<u32>,
        /// Keep REAL_TOPIC / ORIGIN_MESSAGE_ID / RECONSUMETIMES (stripped by default)
        #[arg(long)]
        keep_dlq_properties: bool,
        /// Only print what would happen
        #[arg(long)]
        dry_run: bool,
        /// Really requeue (without it: a preview)
        #[arg(long)]
        yes: bool,
        /// Our durable subscription on the DLQ
        #[arg(long, default_value = "pulsar-tui-requeue")]
        subscription: String,
        /// The journal of moved messages [default: <data dir>/requeue-journal.jsonl]
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Fix a dead letter first: `ID=FILE`, FILE holding its new value as JSON (encoded
        /// with the target's schema); only the fixed messages move (repeatable)
        #[arg(long = "fix", value_name = "ID=FILE")]
        fixes: Vec<String>,
    },
}

/// The completion script of `shell` for this command line.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    // clap_complete panics when its writer fails (a closed pipe: `| head`), so the script
    // is generated in memory and written here, where an error is an error
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pulsar-tui", &mut script);
    out.write_all(&script)
}

/// The man page (roff) of this command line: to `out`, or with `dir` one file per
/// (sub)command into it (`pulsar-tui.1`, `pulsar-tui-read.1`, …), their names printed to `out`.
pub fn man_pages(dir: Option<&std::path::Path>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let Some(dir) = dir else {
        return clap_mangen::Man::new(cmd).render(out);
    };
    std::fs::create_dir_all(dir)?;
    let mut pages = vec![("pulsar-tui".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("pulsar-tui-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name.clone()).bin_name(name)));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        clap_mangen::Man::new(page).render(&mut file)?;
        std::io::Write::flush(&mut file)?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(())
}
