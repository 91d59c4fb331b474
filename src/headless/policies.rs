//! `pulsar-tui policies`: the effective policies of a namespace or topic with their source,
//! the capacity estimates, and `policies set` / `policies remove` (a preview without `--yes`).

use std::io::Write;

use anyhow::{bail, Result};
use serde_json::json;

use crate::policies::capacity;
use crate::policies::edit::{EditKey, Preview};
use crate::policies::Target;
use crate::pulsar::policies::{Edit, PoliciesRequest, PoliciesResponse, Snapshot};
use crate::pulsar::request::{RequestKind, ResponseKind};
use crate::pulsar::Client;

async fn policies_run(client: &Client, r: PoliciesRequest) -> Result<PoliciesResponse> {
    match super::run(client, RequestKind::Policies(r)).await? {
        ResponseKind::Policies(p) => Ok(p),
        _ => bail!("the worker answered something else (a policies request answers Policies)"),
    }
}

/// The estimates of a snapshot (`target_rate`: msg/s for the partition estimate).
pub fn estimates(snap: &Snapshot, target_rate: Option<f64>) -> Vec<capacity::Estimate> {
    capacity::for_target(&snap.effective, &snap.samples, target_rate)
}

/// `pulsar-tui policies TARGET`: one JSON line per policy (`type: policy`), one per estimate
/// (`type: capacity`), or a table.
pub async fn show(
    client: &Client,
    target: &str,
    table: bool,
    target_rate: Option<f64>,
    out: &mut impl Write,
) -> Result<()> {
    let target = Target::parse(target).map_err(anyhow::Error::msg)?;
    let snap = match policies_run(client, PoliciesRequest::Fetch { target: target.clone() }).await? {
        PoliciesResponse::Fetched { snapshot, .. } => snapshot,
        _ => bail!("the worker answered something else (Fetch answers Fetched)"),
    };
    let eff = &snap.effective;
    if table {
        writeln!(out, "{}", target)?;
        if eff.level == crate::policies::Level::Topic && !eff.topic_policies_enabled {
            writeln!(
                out,
                "topic-level policies are off on this broker (topicLevelPoliciesEnabled / systemTopicEnabled)"
            )?;
        }
        writeln!(out, "{:<36} {:<16} VALUE", "POLICY", "FROM")?;
        for p in &eff.policies {
            let mark = if p.editable { "" } else { "  (read-only here)" };
            writeln!(out, "{:<36} {:<16} {}{mark}", p.key, p.source.label(), p.display)?;
        }
        writeln!(out, "\nCAPACITY")?;
        for e in estimates(&snap, target_rate) {
            let nums: Vec<String> = e.numbers.iter().map(|(k, v)| format!("{k}={v}")).collect();
            writeln!(out, "{:<20} {}\n{:<20} [{}]", e.kind, e.text, "", nums.join(", "))?;
        }
    } else {
        for p in &eff.policies {
            let mut v = serde_json::to_value(p)?;
            v["type"] = json!("policy");
            v["target"] = json!(eff.target);
            writeln!(out, "{v}")?;
        }
        for e in estimates(&snap, target_rate) {
            let mut v = serde_json::to_value(&e)?;
            v["type"] = json!("capacity");
            v["target"] = json!(eff.target);
            writeln!(out, "{v}")?;
        }
        let summary = json!({"type": "summary", "target": eff.target, "level": eff.level,
            "topic_policies_enabled": eff.topic_policies_enabled, "errors": snap.errors});
        writeln!(out, "{summary}")?;
    }
    Ok(())
}

fn print_preview(p: &Preview, done: bool, out: &mut impl Write) -> Result<()> {
    let mut v = serde_json::to_value(p)?;
    v["type"] = json!(if done { "changed" } else { "preview" });
    writeln!(out, "{v}")?;
    Ok(())
}

/// `pulsar-tui policies set TARGET KEY VALUE [--yes]` and `policies remove TARGET KEY
/// [--yes]`: the preview (before → after, who it affects, whether it can drop data), and
/// with `--yes` the change.
pub async fn change(client: &Client, target: &str, edit: Edit, yes: bool, out: &mut impl Write) -> Result<()> {
    let target = Target::parse(target).map_err(anyhow::Error::msg)?;
    if let Edit::Set { key, value } = &edit {
        key.parse_value(value).map_err(anyhow::Error::msg)?;
    }
    // --yes is the confirmation, of a data-dropping change too (the preview says which)
    let request = if yes {
        PoliciesRequest::Apply { confirmed: Some(target.confirm_name()), target, edit }
    } else {
        PoliciesRequest::Preview { target, edit }
    };
    match policies_run(client, request).await? {
        PoliciesResponse::Previewed { preview, .. } => {
            print_preview(&preview, false, out)?;
            out.flush()?;
            if let Some(why) = &preview.drops_data {
                eprintln!("CAN DROP DATA: {why}");
            }
            eprintln!("preview only: nothing was changed. Add --yes to apply.");
        }
        PoliciesResponse::Applied { preview, .. } => print_preview(&preview, true, out)?,
        PoliciesResponse::Fetched { .. } => bail!("the worker answered something else"),
    }
    Ok(())
}

/// The edit keys and what their values look like (for `--help` and errors).
pub fn keys_help() -> String {
    EditKey::ALL.iter().map(|k| format!("  {:<30} {}", k.name(), k.hint())).collect::<Vec<_>>().join("\n")
}
