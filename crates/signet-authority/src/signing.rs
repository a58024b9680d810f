//! The step every issuance ends with, for leaf and subordinate CA certificates alike: sign the
//! reserved to-be-signed certificate and store the result. A failure after the reservation never
//! leaves the request blocked by it: the reservation is abandoned (its serial is never reused),
//! and the request is failed when nobody else would act on it.

use serde_json::json;
use signet_issuance::IssuingCa;
use signet_issuance::certificate::{self, Prepared};
use signet_model::{Clock, RequestId};
use signet_store::audit::AuditEvent;
use signet_store::{Completion, Store, StoreError};

use crate::error::AuthorityResult;

/// A reserved certificate to sign and store.
pub(crate) struct Signing<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub issuer: &'a IssuingCa,
    pub prepared: &'a Prepared,
    pub request: RequestId,
    /// Who decided: recorded on the request and in the audit entry.
    pub decided_by: &'a str,
    /// Names a Certificate Manager narrowed the request to.
    pub approved: Option<Vec<String>>,
    /// Fail the request too on a failure (auto-approved requests: nobody would approve them).
    pub fail_request: bool,
    /// More audit details for the issue entry.
    pub details: serde_json::Value,
}

impl Signing<'_> {
    /// Signs and stores; returns what was stored.
    pub(crate) async fn run(self) -> AuthorityResult<Completion> {
        let der = match certificate::sign(self.issuer, self.prepared) {
            Ok(der) => der,
            Err(e) => {
                self.give_up(&format!("signing failed: {e}")).await;
                return Err(e.into());
            }
        };
        let sha256 = signet_codec::public_key::sha256_hex(&der);
        let mut details = json!({
            "ca": self.issuer.name,
            "serial": self.prepared.serial.to_hex(),
            "sha256": sha256,
            "names": self.prepared.sans,
        });
        if let (Some(all), serde_json::Value::Object(more)) = (details.as_object_mut(), &self.details) {
            all.extend(more.clone());
        }
        let audit = vec![self.event(self.decided_by, "certificate.issue", details)];
        let completion = Completion {
            ca_id: self.issuer.id,
            serial: self.prepared.serial.clone(),
            request_id: self.request,
            der,
            sha256,
            decided_by: self.decided_by.to_string(),
            approved_sans: self.approved.clone(),
            at: self.clock.now(),
        };
        match self.store.complete(completion.clone(), audit).await {
            Ok(()) => Ok(completion),
            // Someone else settled the request; their state stands.
            Err(e @ StoreError::Conflict(_)) => Err(e.into()),
            Err(e) => {
                // Abandoning is refused if the completion did commit after all.
                self.give_up(&format!("storing the certificate failed: {e}")).await;
                Err(e.into())
            }
        }
    }

    /// Abandons the reservation (and fails the request if asked); problems here are logged, and
    /// the startup recovery picks up whatever is left.
    async fn give_up(&self, why: &str) {
        let abandon =
            self.event("system", "certificate.abandon", json!({"serial": self.prepared.serial.to_hex(), "why": why}));
        if let Err(e) = self.store.abandon(self.issuer.id, &self.prepared.serial, abandon).await {
            tracing::warn!(request = %self.request, error = %e, "could not abandon the reservation; the next start will");
            return;
        }
        if self.fail_request {
            let fail = self.event("system", "request.fail", json!({"reason": why}));
            if let Err(e) = self.store.fail(self.request, why, self.clock.now(), fail).await {
                tracing::warn!(request = %self.request, error = %e, "could not mark the request failed");
            }
        }
    }

    fn event(&self, actor: &str, action: &str, details: serde_json::Value) -> AuditEvent {
        AuditEvent::new(self.clock.now(), actor, action, &format!("request:{}", self.request), details)
    }
}
