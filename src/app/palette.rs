//! The `:` command palette: one line of input, parsed into a [`Command`], with Tab
//! completion of command names, context names and the topics the explorer knows.

/// The palette's commands: name, argument, what it does.
pub const COMMANDS: &[(&str, Option<&str>, &str)] = &[
    ("ctx", Some("NAME"), "switch to a context of the config"),
    ("topic", Some("persistent://tenant/ns/topic"), "open a topic in the browser (and select it)"),
    ("dlq", None, "dead-letter queues of the namespace in use"),
    ("metrics", None, "live metrics of every broker"),
    ("health", None, "what is wrong right now, across the cluster"),
    ("txn", None, "transactions: open and slow ones, what they hold back"),
    (
        "policies",
        Some("[tenant/ns | topic]"),
        "policies of a namespace or topic (default: the selection), and capacity",
    ),
    ("replication", Some("[topic]"), "replication check of a topic (default: the selection) against the other cluster"),
    ("q", None, "quit"),
];

/// What a palette line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ctx(String),
    Topic(String),
    Dlq,
    Metrics,
    Health,
    Txn,
    /// The namespace or topic, or none: the explorer's selection.
    Policies(Option<String>),
    /// The replication check of the topic, or of the explorer's selection.
    Replication(Option<String>),
    Quit,
}

/// Parses a palette line (with or without its leading `:`).
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim().trim_start_matches(':').trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    let needs = |what: &str| Err(format!(":{name} needs {what} (Tab completes)"));
    let no_arg = |c: Command| if arg.is_empty() { Ok(c) } else { Err(format!(":{name} takes no argument")) };
    match name {
        "ctx" | "context" if arg.is_empty() => needs("a context name"),
        "ctx" | "context" => Ok(Command::Ctx(arg.to_string())),
        "topic" if arg.is_empty() => needs("a topic name"),
        "topic" => Ok(Command::Topic(arg.to_string())),
        "dlq" => no_arg(Command::Dlq),
        "metrics" => no_arg(Command::Metrics),
        "health" => no_arg(Command::Health),
        "txn" | "transactions" => no_arg(Command::Txn),
        "policies" => Ok(Command::Policies((!arg.is_empty()).then(|| arg.to_string()))),
        "replication" | "repl" => Ok(Command::Replication((!arg.is_empty()).then(|| arg.to_string()))),
        "q" | "quit" => no_arg(Command::Quit),
        "" => Err("no command".into()),
        other => {
            let names: Vec<String> = COMMANDS.iter().map(|(n, _, _)| format!(":{n}")).collect();
            Err(format!("unknown command :{other} (commands: {})", names.join(" ")))
        }
    }
}

/// The completions of a palette line: each is the whole line it would become.
pub fn candidates(line: &str, contexts: &[String], topics: &[String]) -> Vec<String> {
    let line = line.trim_start_matches(':');
    match line.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|(n, _, _)| n.starts_with(line))
            .map(|(n, arg, _)| if arg.is_some() { format!("{n} ") } else { n.to_string() })
            .collect(),
        Some((cmd, arg)) => {
            let arg = arg.trim_start();
            let pool: &[String] = match cmd {
                "ctx" | "context" => contexts,
                "topic" | "policies" => topics,
                _ => &[],
            };
            // prefix matches first, then names that merely contain the text
            let lc = arg.to_lowercase();
            let mut prefix: Vec<&String> = pool.iter().filter(|c| c.starts_with(arg)).collect();
            let mut inner: Vec<&String> =
                pool.iter().filter(|c| !c.starts_with(arg) && c.to_lowercase().contains(&lc)).collect();
            prefix.sort();
            inner.sort();
            prefix.into_iter().chain(inner).map(|c| format!("{cmd} {c}")).collect()
        }
    }
}

/// The palette's state while it is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Palette {
    /// The line as typed (without the `:`).
    pub input: super::input::LineInput,
    /// The completions of what was typed (before Tab started cycling).
    pub candidates: Vec<String>,
    /// The completion Tab put into `input`, as an index into `candidates`.
    pub chosen: Option<usize>,
}

impl Palette {
    /// Recomputes the completions after an edit (and stops cycling).
    pub fn edited(&mut self, contexts: &[String], topics: &[String]) {
        self.chosen = None;
        self.candidates = candidates(&self.input, contexts, topics);
    }

    /// Tab (or Shift+Tab backwards): the next completion replaces the line.
    pub fn cycle(&mut self, backwards: bool) {
        let n = self.candidates.len();
        if n == 0 {
            return;
        }
        let next = match (self.chosen, backwards) {
            (None, false) => 0,
            (None, true) => n - 1,
            (Some(i), false) => (i + 1) % n,
            (Some(i), true) => (i + n - 1) % n,
        };
        self.chosen = Some(next);
        self.input.set(self.candidates[next].clone());
        // a single command name completed with its space: list its arguments at once
        if n == 1 && self.input.ends_with(' ') {
            self.chosen = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_every_command_and_rejects_the_rest() {
        assert_eq!(parse(":ctx prod"), Ok(Command::Ctx("prod".into())));
        assert_eq!(parse("ctx   prod "), Ok(Command::Ctx("prod".into())));
        assert_eq!(
            parse(":topic persistent://acme/shop/orders"),
            Ok(Command::Topic("persistent://acme/shop/orders".into()))
        );
        assert_eq!(parse(":dlq"), Ok(Command::Dlq));
        assert_eq!(parse("metrics"), Ok(Command::Metrics));
        assert_eq!(parse(":q"), Ok(Command::Quit));
        assert_eq!(parse(":quit"), Ok(Command::Quit));
        assert!(parse(":ctx").unwrap_err().contains("needs a context name"));
        assert!(parse(":q now").unwrap_err().contains("takes no argument"));
        let e = parse(":frobnicate").unwrap_err();
        assert!(e.contains("unknown command :frobnicate") && e.contains(":ctx"), "{e}");
    }

    #[test]
    fn replication_takes_an_optional_topic() {
        assert_eq!(parse(":replication"), Ok(Command::Replication(None)));
        assert_eq!(
            parse("repl persistent://geo/replicated/orders"),
            Ok(Command::Replication(Some("persistent://geo/replicated/orders".into())))
        );
    }

    #[test]
    fn completes_commands_then_their_arguments() {
        let ctxs = s(&["other", "prod", "staging"]);
        let topics =
            s(&["persistent://acme/shop/orders", "persistent://acme/shop/customers", "persistent://ops/a/orders"]);
        assert_eq!(
            candidates("", &ctxs, &topics),
            s(&["ctx ", "topic ", "dlq", "metrics", "health", "txn", "policies ", "replication ", "q"])
        );
        assert_eq!(candidates("m", &ctxs, &topics), s(&["metrics"]));
        assert_eq!(candidates("ctx ", &ctxs, &topics), s(&["ctx other", "ctx prod", "ctx staging"]));
        assert_eq!(candidates("ctx st", &ctxs, &topics), s(&["ctx staging"]));
        assert_eq!(
            candidates("topic orders", &ctxs, &topics),
            s(&["topic persistent://acme/shop/orders", "topic persistent://ops/a/orders"])
        );
        assert_eq!(candidates("topic persistent://acme", &ctxs, &topics).len(), 2);
        assert!(candidates("nope ", &ctxs, &topics).is_empty());
    }

    #[test]
    fn tab_cycles_and_an_edit_starts_over() {
        let ctxs = s(&["other", "prod"]);
        let mut p = Palette { input: "ctx ".into(), ..Palette::default() };
        p.edited(&ctxs, &[]);
        p.cycle(false);
        assert_eq!(p.input, "ctx other");
        p.cycle(false);
        assert_eq!(p.input, "ctx prod");
        p.cycle(false);
        assert_eq!(p.input, "ctx other", "wraps around");
        p.cycle(true);
        assert_eq!(p.input, "ctx prod", "Shift+Tab goes back");
        p.input = "c".into();
        p.edited(&ctxs, &[]);
        p.cycle(false);
        assert_eq!(p.input, "ctx ");
        // the only command: its arguments are listed right away
        p.edited(&ctxs, &[]);
        assert_eq!(p.candidates, s(&["ctx other", "ctx prod"]));
    }
}
