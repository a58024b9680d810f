//! How every issuance ends, for leaf and subordinate CA certificates alike: reserve the serial
//! and the to-be-signed certificate, sign, store the result. The reservation is committed before
//! the signature is made, and a failure after it never leaves the request blocked: the
//! reservation is abandoned (its serial is never reused), and the request is failed when nobody
//! else would act on it.
//!
//! As in Boulder, the store only stores and the CA signs: the signature is made here, on the
//! caller's task, between the store's two trips (reservation, completion), so no write ever waits
//! for a signature and the store never holds a key.

use std::sync::Arc;

use tracing::Instrument;

use serde_json::json;
use signet_issuance::IssuingCa;
use signet_issuance::certificate::{self, Prepared};
use signet_model::{Clock, RequestId};
use signet_store::audit::AuditEvent;
use signet_store::{CertificateRecord, Completion, NewRequest, RequestRecord, Reservation, Store, StoreError};

use crate::error::AuthorityResult;

/// An issuance to carry out.
pub(crate) struct Signing<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub issuer: Arc<IssuingCa>,
    pub prepared: Prepared,
    /// The request: a new one (stored with the reservation) or a pending one.
    pub request: IssuanceOf,
    /// The intent to sign, recorded first.
    pub reservation: Reservation,
    /// Audit entry of the submission or approval, stored with the reservation.
    pub audit: AuditEvent,
    /// Who decided: recorded on the request and in the audit entry.
    pub decided_by: String,
    /// Names a Certificate Manager narrowed the request to.
    pub approved: Option<Vec<String>>,
    /// Fail the request too on a failure (auto-approved requests: nobody would approve them).
    pub fail_request: bool,
    /// More audit details for the issue entry.
    pub details: serde_json::Value,
}

/// The request an issuance is for.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per issuance, moved once into the store
pub(crate) enum IssuanceOf {
    /// A new request, stored with its reservation (auto-approved profiles).
    New(NewRequest),
    /// A pending request a Certificate Manager approved.
    Pending(RequestId),
}

/// A certificate signet issues on an operator's behalf or its own (a subordinate CA, a
/// cross-certificate, a delegated OCSP responder): a new request without names, approved by
/// whoever asked, recorded and audited like any other issuance.
pub(crate) struct InternalIssuance {
    pub issuer: Arc<IssuingCa>,
    pub prepared: Prepared,
    /// The request's profile name (`ca-init`, `ca-cross-sign`, `ocsp-responder`).
    pub profile: &'static str,
    /// The request as a CSR signed by the subject's key.
    pub csr: Vec<u8>,
    pub spki_sha256: signet_model::Sha256,
    /// Who asked: the requester and decider.
    pub actor: String,
    /// The CA the certificate is for, named in the submission's audit entry.
    pub for_ca: String,
    /// More audit details for the issue entry.
    pub details: serde_json::Value,
}

impl InternalIssuance {
    /// Records the request and intent, signs and stores (as [`Signing::run`]).
    pub(crate) async fn run(self, store: &dyn Store, clock: &dyn Clock) -> AuthorityResult<Issued> {
        let now = clock.now();
        let prepared = self.prepared;
        let request = NewRequest {
            profile: self.profile.into(),
            csr: self.csr,
            subject: prepared.subject.clone(),
            sans: Vec::new(),
            spki_sha256: self.spki_sha256,
            requester: self.actor.clone(),
            warnings: Vec::new(),
            retrieval_token_hash: crate::tokens::hash_secret(&crate::tokens::new_secret("rt_")?),
            created_at: now,
            acme_order: None,
        };
        let reservation = Reservation {
            ca_id: self.issuer.id,
            serial: prepared.serial,
            tbs: prepared.tbs.clone(),
            spki_sha256: self.spki_sha256,
            subject: prepared.subject.clone(),
            sans: Vec::new(),
            not_before: prepared.not_before,
            not_after: prepared.not_after,
            is_test: self.issuer.is_test,
            crl_shard: None,
            created_at: now,
        };
        let submitted = json!({"profile": self.profile, "ca": self.for_ca});
        let audit = AuditEvent::new(now, &self.actor, "request.submit", "request", submitted);
        Signing {
            store,
            clock,
            issuer: self.issuer,
            prepared,
            request: IssuanceOf::New(request),
            reservation,
            audit,
            decided_by: self.actor,
            approved: None,
            fail_request: true,
            details: self.details,
        }
        .run()
        .await
    }
}

/// What an issuance stored.
pub(crate) struct Issued {
    /// The request as stored, when the issuance stored a new one.
    pub request: Option<RequestRecord>,
    /// The certificate as stored.
    pub certificate: CertificateRecord,
    /// Who decided, when, and the names they allowed.
    pub completion: Completion,
}

/// A signed certificate to store, with the audit entries of its issuance.
struct Signed {
    completion: Completion,
    audit: Vec<AuditEvent>,
}

/// What signing a reserved certificate needs, and nothing of the store.
struct Certify {
    issuer: Arc<IssuingCa>,
    prepared: Prepared,
    decided_by: String,
    approved: Option<Vec<String>>,
    details: serde_json::Value,
    at: time::OffsetDateTime,
}

impl Certify {
    /// Signs the recorded TBS and describes what to store for request `id`.
    fn sign(&self, id: RequestId) -> Result<Signed, signet_issuance::IssuanceError> {
        let der = certificate::sign(&self.issuer, &self.prepared)?;
        let sha256 = signet_model::Sha256::from_bytes(signet_codec::public_key::sha256(&der));
        let mut details = json!({
            "ca": self.issuer.name,
            "serial": self.prepared.serial.to_hex(),
            "sha256": sha256.to_hex(),
            "names": self.prepared.sans,
        });
        if let (Some(all), serde_json::Value::Object(more)) = (details.as_object_mut(), &self.details) {
            all.extend(more.clone());
        }
        let audit =
            vec![AuditEvent::new(self.at, &self.decided_by, "certificate.issue", &format!("request:{id}"), details)];
        let completion = Completion {
            ca_id: self.issuer.id,
            serial: self.prepared.serial,
            request_id: id,
            der,
            sha256,
            decided_by: self.decided_by.clone(),
            approved_sans: self.approved.clone(),
            at: self.at,
        };
        Ok(Signed { completion, audit })
    }
}

impl Signing<'_> {
    /// Reserves, signs and stores; returns what was stored. Runs in a span `issuance` (CA,
    /// serial, request).
    pub(crate) async fn run(self) -> AuthorityResult<Issued> {
        let span = tracing::info_span!(
            "issuance",
            ca = %self.issuer.name,
            serial = %self.prepared.serial.to_hex(),
            request = tracing::field::Empty,
        );
        self.steps().instrument(span).await
    }

    async fn steps(self) -> AuthorityResult<Issued> {
        let Signing {
            store,
            clock,
            issuer,
            prepared,
            request,
            reservation,
            audit,
            decided_by,
            approved,
            fail_request,
            details,
        } = self;
        let certify = Certify { issuer, prepared, decided_by, approved, details, at: clock.now() };
        let recorded = reservation.clone();
        let (id, stored) = match request {
            IssuanceOf::New(request) => {
                let stored = store.submit_and_reserve(request, reservation, audit).await?;
                (stored.id, Some(stored))
            }
            IssuanceOf::Pending(id) => {
                store.reserve(id, reservation, audit).await?;
                (id, None)
            }
        };
        tracing::Span::current().record("request", id.get());
        let wind_up = WindUp { store, clock, certify: &certify, request: id, fail_request };
        let signed = match certify.sign(id) {
            Ok(signed) => signed,
            Err(e) => {
                wind_up.give_up(&format!("signing failed: {e}")).await;
                return Err(e.into());
            }
        };
        match store.complete(signed.completion.clone(), signed.audit).await {
            Ok(()) => Ok(Issued {
                request: stored,
                certificate: CertificateRecord::issued(&recorded, &signed.completion),
                completion: signed.completion,
            }),
            // Someone else settled the request; their state stands.
            Err(e @ StoreError::Conflict(_)) => Err(e.into()),
            Err(e) => {
                // Abandoning is refused if the completion did commit after all.
                wind_up.give_up(&format!("storing the certificate failed: {e}")).await;
                Err(e.into())
            }
        }
    }
}

/// Winding up a step-by-step issuance that made no certificate.
struct WindUp<'a> {
    store: &'a dyn Store,
    clock: &'a dyn Clock,
    certify: &'a Certify,
    request: RequestId,
    fail_request: bool,
}

impl WindUp<'_> {
    /// Abandons the reservation (and fails the request if asked), audited as the store's one-pass
    /// issuance does; problems here are logged, and the startup recovery picks up what is left.
    async fn give_up(&self, why: &str) {
        let serial = &self.certify.prepared.serial;
        let abandon = self.event("certificate.abandon", json!({"serial": serial.to_hex(), "why": why}));
        if let Err(e) = self.store.abandon(self.certify.issuer.id, serial, abandon).await {
            tracing::warn!(request = %self.request, error = %e, "could not abandon the reservation; the next start will");
            return;
        }
        if self.fail_request {
            let fail = self.event("request.fail", json!({"reason": why}));
            if let Err(e) = self.store.fail(self.request, why, self.clock.now(), fail).await {
                tracing::warn!(request = %self.request, error = %e, "could not mark the request failed");
            }
        }
    }

    fn event(&self, action: &str, details: serde_json::Value) -> AuditEvent {
        AuditEvent::new(self.clock.now(), "system", action, &format!("request:{}", self.request), details)
    }
}
