//! Messages come from the wire here: the conversions between the `pulsar` crate's types and
//! the leaf [`crate::model`] (re-exported, so `crate::pulsar::message::Message` still names it).

pub use crate::model::message::*;

impl MessageId {
    pub fn from_proto(id: &pulsar::proto::MessageIdData) -> MessageId {
        MessageId {
            ledger: id.ledger_id as i64,
            entry: id.entry_id as i64,
            partition: id.partition.unwrap_or(-1),
            batch: id.batch_index.unwrap_or(-1),
        }
    }

    pub fn to_proto(self) -> pulsar::proto::MessageIdData {
        pulsar::proto::MessageIdData {
            ledger_id: self.ledger as u64,
            entry_id: self.entry as u64,
            partition: Some(self.partition),
            batch_index: (self.batch >= 0).then_some(self.batch),
            ..Default::default()
        }
    }
}

impl MessageMeta {
    /// The metadata of one entry (or one member of a batch, whose own fields pulsar-rs has
    /// already laid over the entry's).
    pub fn from_proto(md: &pulsar::proto::MessageMetadata) -> MessageMeta {
        let encryption = (!md.encryption_keys.is_empty()).then(|| Encryption {
            keys: md.encryption_keys.iter().map(|k| k.key.clone()).collect(),
            algorithm: md.encryption_algo.clone().filter(|a| !a.is_empty()),
            param: md.encryption_param.clone().unwrap_or_default(),
        });
        let chunks = md.num_chunks_from_msg.unwrap_or(0);
        let chunk = (chunks > 1).then(|| ChunkInfo {
            uuid: md.uuid.clone().unwrap_or_default(),
            chunks: chunks as u32,
            total_size: md.total_chunk_msg_size.unwrap_or(0).max(0) as u64,
            chunk_id: md.chunk_id.unwrap_or(0).max(0) as u32,
            ids: Vec::new(),
        });
        let error =
            encryption.as_ref().map(|e| format!("{}: the payload is end-to-end encrypted, not decoded", e.describe()));
        MessageMeta {
            batch_size: md.num_messages_in_batch.filter(|n| *n > 0).map(|n| n as u32),
            chunk,
            encryption,
            deliver_at_ms: md.deliver_at_time.filter(|t| *t > 0),
            replicated_from: md.replicated_from.clone().filter(|r| !r.is_empty()),
            null_value: md.null_value.unwrap_or(false),
            null_key: md.null_partition_key.unwrap_or(false),
            uncompressed_size: md.uncompressed_size,
            error,
        }
    }
}

impl Message {
    pub fn from_pulsar(m: pulsar::consumer::Message<Vec<u8>>) -> Message {
        let id = MessageId::from_proto(m.message_id());
        let key = m.key();
        let md = m.payload.metadata;
        let meta = MessageMeta::from_proto(&md);
        let schema_version =
            md.schema_version.as_deref().and_then(|b| <[u8; 8]>::try_from(b).ok()).map(i64::from_be_bytes);
        let compression = md
            .compression
            .and_then(|c| pulsar::proto::CompressionType::try_from(c).ok())
            .and_then(|c| (c != pulsar::proto::CompressionType::None).then(|| c.as_str_name().to_string()));
        Message {
            topic: m.topic,
            id,
            key,
            key_is_base64: md.partition_key_b64_encoded.unwrap_or(false),
            ordering_key: md.ordering_key,
            properties: md.properties.into_iter().map(|kv| (kv.key, kv.value)).collect(),
            publish_time_ms: md.publish_time as i64,
            event_time_ms: md.event_time.filter(|t| *t > 0).map(|t| t as i64),
            producer: md.producer_name,
            sequence_id: md.sequence_id as i64,
            schema_version,
            redelivery_count: None,
            compression,
            meta,
            payload: m.payload.data,
        }
    }
}
