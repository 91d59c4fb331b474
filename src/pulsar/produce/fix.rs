//! Fix and requeue: a dead letter's value edited, encoded with the target topic's schema, and
//! moved through the requeue engine like any other (`RequeueOptions::fixes`): the copy is
//! journaled and the DLQ's entry acknowledged only after the broker confirmed the fixed copy.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::dlq::Target;
use crate::encode::Encoder;
use crate::model::MessageId;
use crate::pulsar::dlq::{letter_of, only_key};
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::{Client, TopicName};

/// One dead letter and its fixed value (JSON, as the browser shows values).
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub id: MessageId,
    pub value: Value,
}

/// The `only` selection and the `fixes` payloads of a requeue that moves exactly `fixes`,
/// each encoded with its target's schema (refused, naming the field, when it does not fit).
pub async fn fixed_payloads(
    client: &Client,
    dlq: &TopicName,
    target: &Target,
    fixes: &[Fix],
) -> Result<(HashSet<String>, HashMap<String, Vec<u8>>)> {
    let letter = letter_of(client, dlq).await?;
    let to = letter.target_of(target, &BTreeMap::new()).map_err(ClientError::Invalid)?;
    let info = client.schema_info(&to, None).await?;
    let encoder = Encoder::new(info.as_ref()).map_err(|e| ClientError::Invalid(format!("schema of {to}: {e}")))?;
    let mut only = HashSet::new();
    let mut payloads = HashMap::new();
    for f in fixes {
        let part = if f.id.partition >= 0 { dlq.parent().partition(f.id.partition as u32) } else { dlq.clone() };
        let key = only_key(&part.to_string(), &f.id);
        let encoded =
            encoder.encode(&f.value).map_err(|e| ClientError::Invalid(format!("the fixed value of {}: {e}", f.id)))?;
        only.insert(key.clone());
        payloads.insert(key, encoded.payload);
    }
    Ok((only, payloads))
}

/// `ID=FILE` of `dlq requeue --fix`: the message id and the fixed value read from FILE.
pub fn parse_fix_arg(arg: &str) -> std::result::Result<Fix, String> {
    let (id, file) = arg.split_once('=').ok_or_else(|| format!("--fix {arg:?}: expected ID=FILE"))?;
    let id: MessageId = id.trim().parse().map_err(|e| format!("--fix {arg:?}: {e}"))?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("--fix {arg:?}: {file}: {e}"))?;
    let value = serde_json::from_str(&text).map_err(|e| format!("--fix {arg:?}: {file} is not JSON: {e}"))?;
    Ok(Fix { id, value })
}
