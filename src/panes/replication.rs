//! Geo-replication lines of the details pane (for a topic): the namespace's replication
//! clusters, one line per remote cluster (connected since / disconnected, backlog, rates,
//! throughput, delay) and the last replication check (`V`).

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::app::replication::Check;
use crate::app::tree::NodeKey;
use crate::app::App;
use crate::pulsar::replication::ReplicatorRow;
use crate::style::format::{bytes, count, rate};
use crate::style::theme::Theme;

/// `2026-12-04T01:00:11.886Z` → `2026-12-04 01:00:11` (UTC, as the broker says it).
fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..19).map(|s| s.replacen('T', " ", 1)).unwrap_or_else(|| rfc3339.to_string())
}

fn row_line<'a>(r: &ReplicatorRow, theme: &Theme) -> Line<'a> {
    let (state, colour) = if r.connected {
        let since = r.connected_since.as_deref().map(|s| format!(" since {} UTC", short_time(s))).unwrap_or_default();
        (format!("● connected{since}"), theme.backlog_ok)
    } else if r.connected_replicators > 0 {
        (format!("◐ {}/{} connected", r.connected_replicators, r.replicators), theme.backlog_warn)
    } else {
        ("○ disconnected".to_string(), theme.status_error)
    };
    let backlog_colour = match r.backlog {
        0 => theme.backlog_ok,
        1..=999 => theme.backlog_warn,
        _ => theme.backlog_crit,
    };
    Line::from(vec![
        Span::styled(format!("→ {:<12} ", r.remote), Style::default().fg(theme.accent)),
        Span::styled(state, Style::default().fg(colour)),
        Span::raw("  backlog "),
        Span::styled(count(r.backlog), Style::default().fg(backlog_colour)),
        Span::raw(format!(
            " · in {}/s · out {}/s · {}/s out · delay {} s",
            rate(r.rate_in),
            rate(r.rate_out),
            bytes(r.throughput_out),
            r.delay_secs
        )),
    ])
}

fn check_lines<'a>(check: &Check, theme: &Theme, out: &mut Vec<Line<'a>>) {
    let dim = Style::default().fg(theme.dim);
    match check {
        Check::Running { remote_context, .. } => {
            out.push(Line::styled(format!("Check against {remote_context}: reading both sides…"), dim))
        }
        Check::Failed { remote_context, error, .. } => out.push(Line::styled(
            format!("✗ check against {remote_context}: {error}"),
            Style::default().fg(theme.status_error),
        )),
        Check::Done { report, .. } => {
            let colour = if report.missing == 0 { theme.backlog_ok } else { theme.backlog_crit };
            let approx = if report.exact { "" } else { " (≈: a message was not found again)" };
            out.push(Line::from(vec![
                Span::styled(format!("Check {} → {}: ", report.local_cluster, report.remote_cluster), dim),
                Span::styled(
                    format!("{} missing{approx}", count(report.missing as i64)),
                    Style::default().fg(colour).add_modifier(Modifier::BOLD),
                ),
            ]));
            for p in &report.partitions {
                let last = |m: &Option<crate::pulsar::replication::LastMessage>| {
                    m.as_ref()
                        .map(|m| format!("{} {}", m.message_id, crate::model::message::format_time(m.publish_time_ms)))
                        .unwrap_or_else(|| "—".into())
                };
                let name = if p.partition < 0 { "topic".to_string() } else { format!("p{}", p.partition) };
                out.push(Line::from(vec![
                    Span::styled(format!("  {name:<6}"), dim),
                    Span::raw(format!(
                        "missing {:<6} here {}  there {}",
                        count(p.missing as i64),
                        last(&p.local_last),
                        last(&p.last_replicated)
                    )),
                ]));
            }
        }
    }
}

/// The replication lines of the selected topic (or partition), when it has any.
pub fn lines<'a>(app: &App, key: &NodeKey, theme: &Theme, out: &mut Vec<Line<'a>>) {
    let topic = match key {
        NodeKey::Topic(t) | NodeKey::Partition(t) | NodeKey::Subscription(t, _) => t,
        _ => return,
    };
    let status = app.replication.status_of(topic);
    let check = app.replication.check.as_ref().filter(|c| c.topic() == topic);
    if status.is_none() && check.is_none() {
        return;
    }
    out.push(Line::raw(""));
    let mut head = vec![Span::styled("Replication", Style::default().fg(theme.accent).add_modifier(Modifier::BOLD))];
    if let Some(s) = status.filter(|s| !s.clusters.is_empty()) {
        let here = s.local_cluster.as_deref().map(|c| format!(" from {c}")).unwrap_or_default();
        head.push(Span::styled(
            format!("{here} · namespace replicated to {}", s.clusters.join(", ")),
            Style::default().fg(theme.dim),
        ));
    }
    out.push(Line::from(head));
    if let Some(s) = status {
        out.extend(s.rows.iter().map(|r| row_line(r, theme)));
    }
    if let Some(c) = check {
        check_lines(c, theme, out);
    }
}
