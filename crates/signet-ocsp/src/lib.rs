//! The OCSP responder of signet (RFC 6960 over HTTP, RFC 5019 profile): answers `GET
//! /ocsp/{base64}` and `POST /ocsp` from responses the publisher signed ahead and stored
//! (`signet_authority::publication::ocsp`), kept in memory and dropped when the store says they
//! changed. It needs only a read-only store, so `signet serve` mounts it beside the API and
//! `signet ocsp serve` runs it alone, scaling out apart from issuance.
//!
//! On the hot path nothing is signed. A response is signed when asked, with the CA's responder
//! if this process has one, only for what cannot be signed ahead: a serial never issued
//! (`unknown`, never `good`: BR §4.9.9), a CertID hashed with SHA-256 instead of SHA-1, and a
//! nonce when nonces are allowed (RFC 8954). Requests for another issuer get `unauthorized`;
//! malformed, oversized or unsupported ones `malformedRequest`; a database failure `tryLater` —
//! never an HTTP error, never a crash.
//!
//! Depends on the store *read* trait, issuance (for the on-demand signatures) and codec; not on
//! the authority or the CA keys.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod cache;
mod http;
mod request;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use signet_codec::ocsp::OcspResponseStatus;
use signet_issuance::ocsp::{self as issue, IssuerHashes, Responder, ResponseRequest, Status};
use signet_model::{CaId, Clock};
use signet_store::{CertificateStatus, StoreRead};
use time::{Duration, OffsetDateTime};

pub use http::{router, standalone_router};

use crate::cache::Cache;
use crate::request::Asked;

/// How the responder answers.
#[derive(Debug, Clone, Copy)]
pub struct ServeSettings {
    /// Validity of responses signed on demand (as the pre-signed ones').
    pub validity: Duration,
    /// How long caches may keep a response at most (its refresh interval).
    pub refresh: Duration,
    /// Whether a request's nonce is echoed (in a response signed for it).
    pub nonce: bool,
}

/// The responder: the CAs it answers for, what it has in memory, and who signs on demand.
pub struct OcspService {
    store: Arc<dyn StoreRead>,
    clock: Arc<dyn Clock>,
    issuers: Vec<(CaId, IssuerHashes)>,
    responders: RwLock<HashMap<CaId, Responder>>,
    settings: ServeSettings,
    cache: Cache,
}

/// An answer: the `OCSPResponse` DER, and its times when it is a signed response a cache may
/// keep.
pub struct Answer {
    /// The DER.
    pub der: Bytes,
    /// thisUpdate and nextUpdate of a pre-signed response (cacheable); None for errors and
    /// responses signed for this request (a nonce).
    pub cacheable: Option<(OffsetDateTime, OffsetDateTime)>,
}

impl Answer {
    fn error(status: OcspResponseStatus) -> Self {
        Self { der: Bytes::from(issue::error_response(status)), cacheable: None }
    }
}

impl OcspService {
    /// A responder for every CA in `store` that has a certificate.
    pub async fn new(
        store: Arc<dyn StoreRead>,
        clock: Arc<dyn Clock>,
        settings: ServeSettings,
    ) -> Result<Self, signet_store::StoreError> {
        let mut issuers = Vec::new();
        for ca in store.cas().await? {
            if let Some(certificate) = &ca.certificate {
                match IssuerHashes::of(certificate) {
                    Ok(hashes) => issuers.push((ca.id, hashes)),
                    Err(e) => {
                        tracing::warn!(ca = %ca.name, error = %e, "the CA's certificate does not parse; no OCSP for it")
                    }
                }
            }
        }
        Ok(Self { store, clock, issuers, responders: RwLock::new(HashMap::new()), settings, cache: Cache::default() })
    }

    /// Sets who signs on demand for each CA (delegated responders rotate; call again then).
    pub fn set_responders(&self, responders: Vec<(CaId, Responder)>) {
        if let Ok(mut all) = self.responders.write() {
            *all = responders.into_iter().collect();
        }
    }

    /// Answers a DER `OCSPRequest`.
    pub async fn answer(&self, request: &[u8]) -> Answer {
        let asked = match request::read(request) {
            Ok(asked) => asked,
            Err(status) => return Answer::error(status),
        };
        let Some(ca) = self.issuers.iter().find(|(_, h)| h.matches(&asked.cert_id)).map(|(id, _)| *id) else {
            return Answer::error(OcspResponseStatus::Unauthorized);
        };
        let now = self.clock.now();
        let nonce = asked.nonce.as_deref().filter(|_| self.settings.nonce);
        if asked.sha1 && nonce.is_none() {
            match self.presigned(ca, &asked, now).await {
                Ok(Some(answer)) => return answer,
                Ok(None) => {}
                Err(()) => return Answer::error(OcspResponseStatus::TryLater),
            }
        }
        self.sign_now(ca, &asked, nonce, now).await
    }

    /// The stored response, from memory or the store.
    async fn presigned(&self, ca: CaId, asked: &Asked, now: OffsetDateTime) -> Result<Option<Answer>, ()> {
        let fresh = |c: &cache::Cached| c.next_update > now;
        if let Some(cached) = self.cache.get(ca, &asked.serial).filter(|c| fresh(c)) {
            return Ok(Some(Answer {
                der: cached.der.clone(),
                cacheable: Some((cached.this_update, cached.next_update)),
            }));
        }
        let stored = self.store.ocsp_response(ca, &asked.serial).await.map_err(|e| {
            tracing::warn!(error = %e, "reading an OCSP response failed");
        })?;
        let Some(stored) = stored.filter(|s| s.next_update > now) else { return Ok(None) };
        let cached = self.cache.insert(ca, asked.serial, stored);
        Ok(Some(Answer { der: cached.der.clone(), cacheable: Some((cached.this_update, cached.next_update)) }))
    }

    /// A response signed for this request (an unknown serial, a SHA-256 CertID, a nonce, or a
    /// certificate whose response is not made yet).
    async fn sign_now(&self, ca: CaId, asked: &Asked, nonce: Option<&[u8]>, now: OffsetDateTime) -> Answer {
        let Some(responder) = self.responders.read().ok().and_then(|all| all.get(&ca).cloned()) else {
            // No key here (a read-only responder): only what was signed ahead can be answered.
            return Answer::error(OcspResponseStatus::Unauthorized);
        };
        let record = match self.store.certificate(ca, &asked.serial).await {
            Ok(record) => record,
            Err(e) => {
                tracing::warn!(error = %e, "reading a certificate's status failed");
                return Answer::error(OcspResponseStatus::TryLater);
            }
        };
        let status = match record {
            Some(r) if r.status == CertificateStatus::Issued => match r.revocation {
                Some(revocation) => Status::Revoked { at: revocation.revoked_at, reason: revocation.reason },
                None => Status::Good,
            },
            // Never issued (reserved, abandoned, or never seen): never "good" (BR §4.9.9).
            _ => Status::Unknown,
        };
        let this_update = OffsetDateTime::from_unix_timestamp(now.unix_timestamp()).unwrap_or(now);
        let request = ResponseRequest {
            cert_id: asked.cert_id.clone(),
            status,
            this_update,
            next_update: this_update + self.settings.validity,
            nonce,
        };
        let signed = issue::prepare(&responder, &request).and_then(|prepared| issue::sign(&responder, &prepared));
        match signed {
            Ok(der) => Answer { der: Bytes::from(der), cacheable: None },
            Err(e) => {
                tracing::error!(error = %e, "signing an OCSP response failed");
                Answer::error(OcspResponseStatus::InternalError)
            }
        }
    }

    /// Drops from memory every response the store made again since it last looked; runs until
    /// the task is dropped. A revocation thus reaches every front end within a second or two
    /// of its response being signed.
    pub async fn follow_changes(self: Arc<Self>) {
        let mut since = self.clock.now();
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            match self.store.ocsp_changes(since).await {
                Ok(changes) => {
                    for (ca, serial, at) in changes {
                        self.cache.remove(ca, &serial);
                        since = since.max(at);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "asking the store for changed OCSP responses failed"),
            }
        }
    }
}
