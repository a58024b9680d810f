//! The Certificate Manager's queue: pending requests, approved (and issued) or denied.

use serde_json::json;
use signet_model::{Decision, Identifier, RequestId, RequestState};
use signet_store::audit::AuditEvent;
use signet_store::{Decided, RequestRecord, StoreError};

use crate::actor::{Action, Actor, permit};
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::metrics::Metrics;
use crate::signing::IssuanceOf;
use crate::views::RequestView;

/// Most pending requests listed at once.
const QUEUE_LIMIT: u32 = 500;

/// Longest reason a denial may give.
const MAX_REASON_CHARS: usize = 1000;

impl Authority {
    /// Pending requests, oldest first.
    pub async fn queue(&self, actor: &Actor) -> AuthorityResult<Vec<RequestView>> {
        permit(actor, Action::Queue)?;
        let pending = self.store.pending_requests(QUEUE_LIMIT).await?;
        Ok(pending.iter().map(|r| self.request_view(r, None).seen_by(&actor.name)).collect())
    }

    /// Approves a pending request, optionally narrowing its names, and issues the certificate.
    pub async fn approve(
        &self,
        actor: &Actor,
        id: RequestId,
        names: Option<Vec<Identifier>>,
    ) -> AuthorityResult<RequestView> {
        permit(actor, Action::Approve)?;
        let request = self.stored_request(id).await?;
        self.separate(actor, &request)?;
        if request.state != RequestState::Pending {
            return Err(AuthorityError::new(
                Kind::Conflict,
                format!("request {id} is already {}; it cannot be approved", request.state),
            ));
        }
        let profile = self.profile(&request.profile)?;
        let issuer = self.registry.issuer(&profile.issuer)?;
        self.in_service(issuer)?;
        let checked = self.check_request(profile, &request.csr, names.as_deref())?;
        let prepared = self.prepare(profile, issuer, &checked.facts, &checked.names)?;
        let reservation = self.reservation(issuer, &prepared, checked.key);
        let approved = names.map(|n| n.iter().map(ToString::to_string).collect::<Vec<_>>());
        let mut details =
            json!({"serial": prepared.serial.to_hex(), "names": prepared.sans, "narrowed": approved.is_some()});
        // Allowed without strict separation, but on the record as what it is.
        mark_own(&mut details, actor, &request);
        let audit =
            AuditEvent::new(self.clock.now(), &actor.name, "request.approve", &format!("request:{id}"), details);
        let issued =
            self.sign_and_store(issuer, prepared, IssuanceOf::Pending(id), reservation, audit, actor, approved).await?;
        let decided = request.decided(Decided {
            decision: Decision::Issue,
            by: Some(issued.completion.decided_by.clone()),
            reason: None,
            approved_sans: issued.completion.approved_sans.clone(),
            at: issued.completion.at,
        });
        Ok(self.request_view(&transition(decided)?, Some(&issued.certificate)))
    }

    /// Denies a pending request with a reason.
    pub async fn deny(&self, actor: &Actor, id: RequestId, reason: &str) -> AuthorityResult<RequestView> {
        permit(actor, Action::Deny)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AuthorityError::new(
                Kind::Malformed,
                "a denial needs a reason, which the requester will see: send {\"reason\": \"...\"} (signet queue deny ID --reason TEXT)",
            ));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(AuthorityError::new(
                Kind::Malformed,
                format!("the reason is longer than {MAX_REASON_CHARS} characters"),
            ));
        }
        let request = self.stored_request(id).await?;
        self.separate(actor, &request)?;
        let at = self.clock.now();
        let mut details = json!({"reason": reason});
        mark_own(&mut details, actor, &request);
        let audit = AuditEvent::new(at, &actor.name, "request.deny", &format!("request:{id}"), details);
        self.store.deny(id, &actor.name, reason, at, audit).await.map_err(|e| match e {
            StoreError::Conflict(m) => AuthorityError::new(Kind::Conflict, format!("{m}; it cannot be denied")),
            other => other.into(),
        })?;
        Metrics::count(&self.metrics.denied);
        let decided = request.decided(Decided {
            decision: Decision::Deny,
            by: Some(actor.name.clone()),
            reason: Some(reason.to_string()),
            approved_sans: None,
            at,
        });
        Ok(self.request_view(&transition(decided)?, None))
    }

    /// Refuses a Certificate Manager's decision on their own request under strict role separation.
    fn separate(&self, actor: &Actor, request: &RequestRecord) -> AuthorityResult<()> {
        if self.strict_role_separation && actor.name == request.requester {
            return Err(AuthorityError::Forbidden(
                "with strict role separation a Certificate Manager may not decide on their own request".into(),
            ));
        }
        Ok(())
    }
}

/// Marks audit details `own_request` when the actor decides on a request they submitted.
fn mark_own(details: &mut serde_json::Value, actor: &Actor, request: &RequestRecord) {
    if actor.name == request.requester
        && let Some(fields) = details.as_object_mut()
    {
        fields.insert("own_request".into(), json!(true));
    }
}

/// A decision the store committed but the record read before it cannot take: the store and the
/// workflow disagree about the request's state, a bug.
fn transition(decided: Result<RequestRecord, signet_model::TransitionError>) -> AuthorityResult<RequestRecord> {
    decided.map_err(|e| AuthorityError::new(Kind::Internal, format!("stored a decision the request refuses: {e}")))
}
