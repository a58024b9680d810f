//! Certificate authorities' identifiers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The identifier of a CA as stored (its name is what users see; this is what records point at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaId(i64);

impl CaId {
    /// Wraps a database identifier; identifiers are positive.
    pub fn new(id: i64) -> Option<Self> {
        (id > 0).then_some(Self(id))
    }

    /// The numeric value.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
