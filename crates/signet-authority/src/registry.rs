//! The CAs this authority serves, as loaded at start: each stored CA with, when it has a
//! certificate, its signer (opened through [`CaKeys`], checked against the certificate). Answers
//! which CA issues for a profile, the chain above an issuing CA, and what the API shows of CAs.
//! The alternate certificates, and so the paths above each CA, are looked up again while the
//! server runs ([`CaRegistry::set_alternates`]).

use std::collections::HashMap;
use std::sync::Arc;

use signet_issuance::IssuingCa;
use signet_model::CaId;
use signet_store::{CaAlternateRecord, CaKind, CaRecord};
use time::OffsetDateTime;

use crate::chains::{CertificatePath, Hierarchy};
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::keys::CaKeys;
use crate::views::{AlternateView, CaView};

/// A CA as loaded: its record and, if it has a certificate, its signer.
struct LoadedCa {
    record: CaRecord,
    issuing: Option<Arc<IssuingCa>>,
}

/// Every CA, by name.
pub(crate) struct CaRegistry {
    cas: HashMap<String, LoadedCa>,
    offered: std::sync::RwLock<Offered>,
}

/// The alternate certificates offered, and the paths they make.
#[derive(Default)]
struct Offered {
    /// Every alternate certificate offered (cross-certificates).
    alternates: Vec<CaAlternateRecord>,
    /// The paths above each CA, the primary one first.
    paths: HashMap<CaId, Vec<CertificatePath>>,
}

impl Offered {
    fn new(records: &[CaRecord], alternates: Vec<CaAlternateRecord>) -> Self {
        let hierarchy = Hierarchy::new(records, &alternates);
        let paths = records.iter().map(|r| (r.id, hierarchy.paths(&r.name))).collect();
        Self { alternates, paths }
    }
}

impl CaRegistry {
    /// Opens the key of every CA that has a certificate.
    pub(crate) fn load(
        records: Vec<CaRecord>,
        alternates: Vec<CaAlternateRecord>,
        keys: &dyn CaKeys,
    ) -> AuthorityResult<Self> {
        let offered = std::sync::RwLock::new(Offered::new(&records, alternates));
        let mut cas = HashMap::new();
        for record in records {
            let issuing = match record.certificate {
                Some(_) => Some(Arc::new(open(&record, keys)?)),
                None => None,
            };
            cas.insert(record.name.clone(), LoadedCa { record, issuing });
        }
        Ok(Self { cas, offered })
    }

    /// Offers `alternates` from now on, the paths above each CA built from `records` (the CAs as
    /// stored now: a cross-signer made since the start has its certificate there); answers
    /// whether that changed which alternates are offered.
    pub(crate) fn set_alternates(&self, records: &[CaRecord], alternates: Vec<CaAlternateRecord>) -> bool {
        let Ok(mut offered) = self.offered.write() else { return false };
        let ids = |all: &[CaAlternateRecord]| all.iter().map(|a| a.id).collect::<Vec<_>>();
        if ids(&offered.alternates) == ids(&alternates) {
            return false;
        }
        *offered = Offered::new(records, alternates);
        true
    }

    /// The CA named `name` that can issue, or why not.
    pub(crate) fn issuer(&self, name: &str) -> AuthorityResult<&Arc<IssuingCa>> {
        match self.cas.get(name) {
            Some(LoadedCa { issuing: Some(issuing), .. }) => Ok(issuing),
            Some(_) => Err(AuthorityError::new(
                Kind::Unavailable,
                format!("CA {name} has no certificate yet (finish it with `signet ca install-cert`)"),
            )),
            None => {
                let mut known: Vec<&str> = self.cas.keys().map(String::as_str).collect();
                known.sort_unstable();
                Err(AuthorityError::new(
                    Kind::Unavailable,
                    format!("issuer CA {name:?} does not exist (known CAs: {})", known.join(", ")),
                ))
            }
        }
    }

    /// The stored id of the CA named `name`.
    pub(crate) fn ca_id(&self, name: &str) -> Option<CaId> {
        self.cas.get(name).map(|c| c.record.id)
    }

    /// The name of the CA with id `id`.
    pub(crate) fn name_of(&self, id: CaId) -> Option<&str> {
        self.cas.values().find(|c| c.record.id == id).map(|c| c.record.name.as_str())
    }

    /// Every CA's name and id, by name.
    pub(crate) fn ids(&self) -> Vec<(&str, CaId)> {
        let mut all: Vec<(&str, CaId)> = self.cas.values().map(|c| (c.record.name.as_str(), c.record.id)).collect();
        all.sort_unstable();
        all
    }

    /// The CAs that can sign (have a certificate and an opened key), by name.
    pub(crate) fn signing(&self) -> Vec<&Arc<IssuingCa>> {
        let mut all: Vec<&Arc<IssuingCa>> = self.cas.values().filter_map(|c| c.issuing.as_ref()).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// CA certificates above an issuing CA on its primary path: intermediates (issuer first)
    /// and the root, if signet holds it (a parent outside signet is the requester's to supply).
    pub(crate) fn chain_of(&self, ca_id: CaId) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
        let offered = self.offered.read();
        match offered.as_ref().ok().and_then(|o| o.paths.get(&ca_id)).and_then(|paths| paths.first()) {
            Some(path) => (path.intermediates.clone(), path.root.clone()),
            None => (Vec::new(), None),
        }
    }

    /// Every path above an issuing CA, the primary one first (alternate chains).
    pub(crate) fn paths_of(&self, ca_id: CaId) -> Vec<CertificatePath> {
        self.offered.read().ok().and_then(|o| o.paths.get(&ca_id).cloned()).unwrap_or_default()
    }

    /// What the API shows of every CA, by name.
    pub(crate) fn views(&self, now: OffsetDateTime) -> Vec<CaView> {
        let offered = self.offered.read();
        let alternates: &[CaAlternateRecord] = offered.as_ref().map(|o| o.alternates.as_slice()).unwrap_or_default();
        let mut views: Vec<CaView> = self
            .cas
            .values()
            .map(|ca| {
                let subject = ca
                    .record
                    .certificate
                    .as_deref()
                    .and_then(|der| signet_codec::describe::certificate(der, now).ok())
                    .map(|i| i.subject)
                    .unwrap_or_default();
                CaView {
                    name: ca.record.name.clone(),
                    kind: ca.record.kind.as_str().to_string(),
                    parent: ca.record.parent.clone(),
                    subject,
                    not_after: ca.record.not_after.map(signet_codec::describe::rfc3339),
                    active: ca.issuing.is_some(),
                    sha256: ca.record.certificate.as_deref().map(signet_codec::public_key::sha256_hex),
                    alternates: alternates
                        .iter()
                        .filter(|a| a.ca_id == ca.record.id)
                        .filter_map(|a| AlternateView::new(a, now))
                        .collect(),
                }
            })
            .collect();
        views.sort_by(|a, b| a.name.cmp(&b.name));
        views
    }

    /// A CA certificate by name (DER).
    pub(crate) fn certificate(&self, name: &str) -> AuthorityResult<Vec<u8>> {
        self.cas
            .get(name)
            .and_then(|c| c.record.certificate.clone())
            .ok_or_else(|| AuthorityError::new(Kind::NotFound, format!("there is no CA certificate named {name}")))
    }
}

fn internal(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError::new(Kind::Internal, e.to_string())
}

/// Opens a stored CA's key and certificate as an issuer, checking that they belong together.
pub(crate) fn open(record: &CaRecord, keys: &dyn CaKeys) -> AuthorityResult<IssuingCa> {
    let (Some(certificate), Some(not_after)) = (record.certificate.clone(), record.not_after) else {
        return Err(AuthorityError::new(
            Kind::Conflict,
            format!("CA {} has no certificate yet (finish it with `signet ca install-cert`)", record.name),
        ));
    };
    let signer = keys.open(record)?;
    let facts = signet_codec::certificate::facts(&certificate)
        .map_err(|e| internal(format!("CA {}: its certificate does not parse: {e}", record.name)))?;
    if facts.spki_der != signer.spki_der() {
        return Err(internal(format!("CA {}: the stored key does not match its certificate", record.name)));
    }
    Ok(IssuingCa {
        id: record.id,
        name: record.name.clone(),
        certificate,
        signer,
        not_after,
        is_test: record.kind == CaKind::TestRoot,
    })
}
