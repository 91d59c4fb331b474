//! Topic names live in the leaf [`crate::model`]; re-exported here for the I/O layer.

pub use crate::model::topic::*;
