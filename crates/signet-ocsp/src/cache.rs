//! The pre-signed responses in memory: filled from the store on first request, dropped when the
//! store reports a newer one ([`crate::OcspService::follow_changes`]) or when past nextUpdate.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use signet_model::{CaId, Serial};
use signet_store::StoredOcspResponse;
use time::OffsetDateTime;

/// Most responses kept (about 800 octets each); beyond it responses are read from the store.
const CAPACITY: usize = 1_000_000;

/// A response ready to send.
pub(crate) struct Cached {
    pub(crate) der: Bytes,
    pub(crate) this_update: OffsetDateTime,
    pub(crate) next_update: OffsetDateTime,
}

/// Responses by CA and serial.
#[derive(Default)]
pub(crate) struct Cache {
    entries: RwLock<HashMap<(CaId, Serial), Arc<Cached>>>,
}

impl Cache {
    pub(crate) fn get(&self, ca: CaId, serial: &Serial) -> Option<Arc<Cached>> {
        self.entries.read().ok()?.get(&(ca, *serial)).cloned()
    }

    pub(crate) fn insert(&self, ca: CaId, serial: Serial, stored: StoredOcspResponse) -> Arc<Cached> {
        let cached = Arc::new(Cached {
            der: Bytes::from(stored.der),
            this_update: stored.this_update,
            next_update: stored.next_update,
        });
        if let Ok(mut entries) = self.entries.write()
            && (entries.len() < CAPACITY || entries.contains_key(&(ca, serial)))
        {
            entries.insert((ca, serial), cached.clone());
        }
        cached
    }

    pub(crate) fn remove(&self, ca: CaId, serial: &Serial) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(&(ca, *serial));
        }
    }
}
