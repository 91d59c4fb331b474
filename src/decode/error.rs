//! The error type shared by every decoder.

/// Why a schema could not be compiled or a payload could not be decoded.
///
/// Every variant carries only owned, cloneable data so the UI can keep errors
/// around (e.g. in a per-message cache) and compare them in tests.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The schema itself is unusable: unparseable Avro JSON, a corrupt
    /// protobuf descriptor set, a missing root message, an unknown schema
    /// type name, a malformed admin REST response, ...
    #[error("invalid schema: {0}")]
    InvalidSchema(String),

    /// The payload ended before a value that the schema requires was complete.
    #[error("payload truncated while reading {context}: needed {needed} bytes, {available} available")]
    Truncated {
        /// What was being read (e.g. `"avro string"`, `"key length"`).
        context: String,
        /// Bytes required to complete the read.
        needed: usize,
        /// Bytes that were left in the payload.
        available: usize,
    },

    /// The payload does not fit the schema in a way that is not mere
    /// truncation, e.g. an 8-byte payload for an `INT32` schema.
    #[error("payload does not match the schema: {0}")]
    Mismatch(String),

    /// Structurally invalid encoded data: an over-long varint, an Avro union
    /// branch or enum index out of range, a protobuf wire error, nesting that
    /// exceeds the decoder's depth limit, ...
    #[error("malformed payload: {0}")]
    Malformed(String),

    /// Text that must be UTF-8 (a `STRING` payload, an Avro `string`) is not.
    #[error("payload is not valid UTF-8")]
    InvalidUtf8,

    /// A payload that must be JSON (a `JSON` schema) does not parse.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),

    /// The schema type or a feature of it is not supported by this decoder.
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// The payload was not given to a decoder, for the reason said: it is end-to-end
    /// encrypted, an incomplete chunk set, an entry that could not be read, or its schema
    /// could not be fetched. Shown as the reason alone.
    #[error("{0}")]
    NotDecoded(String),

    /// Decoding with another topic's schema failed (a dead letter decoded with the schema of
    /// the topic it came from).
    #[error("{error} (with the schema of {origin})")]
    WithSchemaOf {
        /// Why decoding failed.
        error: Box<DecodeError>,
        /// The topic whose schema was used.
        origin: String,
    },
}

impl DecodeError {
    /// The variant name (`"Truncated"`, `"InvalidSchema"`, ...), handy for
    /// logs and for matching in tests.
    pub fn kind_name(&self) -> &'static str {
        match self {
            DecodeError::InvalidSchema(_) => "InvalidSchema",
            DecodeError::Truncated { .. } => "Truncated",
            DecodeError::Mismatch(_) => "Mismatch",
            DecodeError::Malformed(_) => "Malformed",
            DecodeError::InvalidUtf8 => "InvalidUtf8",
            DecodeError::InvalidJson(_) => "InvalidJson",
            DecodeError::Unsupported(_) => "Unsupported",
            DecodeError::NotDecoded(_) => "NotDecoded",
            DecodeError::WithSchemaOf { error, .. } => error.kind_name(),
        }
    }

    /// Shorthand for [`DecodeError::Truncated`].
    pub(crate) fn truncated(context: impl Into<String>, needed: usize, available: usize) -> Self {
        DecodeError::Truncated { context: context.into(), needed, available }
    }
}
