//! Revocation: who may take a certificate back, for which reasons, and releasing a hold.
//!
//! A Certificate Manager revokes any certificate for any reason and releases holds. The requester
//! of a certificate (by its API token, or with the request's retrieval token) may revoke it for
//! keyCompromise, superseded or cessationOfOperation — the reasons a subscriber knows of itself —
//! and nothing else. A held certificate may later be revoked for good. Every revocation and
//! release is audited with the change, and raises the CA's revocation version, which tells the
//! CRL and OCSP publishers to make new ones.

use serde_json::json;
use signet_model::{CaId, RequestId, RevocationReason, Serial};
use signet_store::audit::AuditEvent;
use signet_store::{CertificateRecord, CertificateStatus, RequestRecord, Revocation};
use time::OffsetDateTime;

use crate::actor::{Action, Actor, permit};
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::metrics::Metrics;
use crate::tokens::hash_secret;
use crate::views::CertificateStatusView;
use crate::workflow::Access;

/// The reasons a requester may give for its own certificate: what a subscriber knows of itself.
pub const REQUESTER_REASONS: [RevocationReason; 3] =
    [RevocationReason::KeyCompromise, RevocationReason::Superseded, RevocationReason::CessationOfOperation];

/// The reasons an ACME client may give (RFC 8555 §7.6, as Let's Encrypt takes them): a
/// subscriber's own, plus unspecified (certbot's default) and affiliationChanged.
pub const ACME_REASONS: [RevocationReason; 5] = [
    RevocationReason::Unspecified,
    RevocationReason::KeyCompromise,
    RevocationReason::AffiliationChanged,
    RevocationReason::Superseded,
    RevocationReason::CessationOfOperation,
];

/// Who revokes over ACME, as the ACME front end proved it (RFC 8555 §7.6).
#[derive(Debug, Clone, Copy)]
pub enum AcmeRevoker<'a> {
    /// The account (its identity) that ordered the certificate.
    Orderer(&'a str),
    /// An account (its identity) holding valid authorizations for every name of the certificate.
    Authorized(&'a str),
    /// The holder of the certificate's own key (the JWS was signed with it).
    CertificateKey,
}

/// Which certificate: by its CA and serial, or by the request it was issued for.
#[derive(Debug, Clone)]
pub enum CertificateRef {
    /// CA name and serial.
    Serial {
        /// The issuing CA's name.
        ca: String,
        /// The serial.
        serial: Serial,
    },
    /// The request's certificate.
    Request(RequestId),
}

/// What renewalInfo and `replaces` need of a certificate (RFC 9773).
#[derive(Debug, Clone)]
pub struct RenewalFacts {
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// Who asked for it.
    pub requester: String,
    /// Its names (`dns:...`, `ip:...`).
    pub names: Vec<String>,
}

/// A certificate as found, with the request it was issued for.
struct Found {
    ca: String,
    record: CertificateRecord,
    request: RequestRecord,
}

impl Authority {
    /// Revokes a certificate for `reason`, with an optional invalidity date (when the key is
    /// known or suspected to have been compromised). Answers the certificate's status.
    pub async fn revoke(
        &self,
        access: Access<'_>,
        target: &CertificateRef,
        reason: RevocationReason,
        invalidity_date: Option<OffsetDateTime>,
    ) -> AuthorityResult<CertificateStatusView> {
        let found = self.find(access, target, Action::Revoke).await?;
        if !may(access, Action::Revoke) && !REQUESTER_REASONS.contains(&reason) {
            return Err(AuthorityError::Forbidden(format!(
                "a requester may revoke its own certificate only for keyCompromise, superseded or cessationOfOperation; {reason} needs a Certificate Manager"
            )));
        }
        let now = self.clock.now();
        if let Some(date) = invalidity_date
            && date > now
        {
            return Err(AuthorityError::new(
                Kind::Malformed,
                format!(
                    "the invalidity date {} is in the future; give the time the key was (or may have been) compromised",
                    signet_codec::describe::rfc3339(date)
                ),
            ));
        }
        refuse_unrevocable(&found, Some(reason))?;
        let by = who(access, &found.request);
        let revocation = Revocation { revoked_at: now, reason, invalidity_date, revoked_by: by.clone() };
        let audit = AuditEvent::new(
            now,
            &by,
            "certificate.revoke",
            &format!("request:{}", found.record.request_id),
            json!({
                "ca": found.ca,
                "serial": found.record.serial.to_hex(),
                "reason": reason.as_str(),
                "invalidity_date": invalidity_date.map(signet_codec::describe::rfc3339),
                "previous": found.record.revocation.as_ref().map(|r| r.reason.as_str()),
            }),
        );
        let record = self.store.revoke(found.record.ca_id, &found.record.serial, revocation, audit).await?;
        Metrics::count(&self.metrics.revoked);
        self.revocations.notify_waiters();
        self.after_ca_certificate_change(record.der.as_deref()).await?;
        tracing::info!(ca = %found.ca, serial = %record.serial, %reason, by = %by, "certificate revoked");
        Ok(CertificateStatusView::new(&found.ca, &record, now))
    }

    /// Revokes a certificate an ACME client sent (DER) for `reason` (one of [`ACME_REASONS`]),
    /// on behalf of `revoker`.
    pub async fn revoke_acme(
        &self,
        certificate_der: &[u8],
        revoker: AcmeRevoker<'_>,
        reason: RevocationReason,
    ) -> AuthorityResult<CertificateStatusView> {
        if !ACME_REASONS.contains(&reason) {
            return Err(AuthorityError::new(
                Kind::RejectedByPolicy,
                format!(
                    "{reason} cannot be given over ACME; use unspecified, keyCompromise, affiliationChanged, superseded or cessationOfOperation"
                ),
            ));
        }
        let found = self.issued_as_sent(certificate_der).await?;
        let by = match revoker {
            AcmeRevoker::Orderer(identity) if identity == found.request.requester => identity.to_string(),
            AcmeRevoker::Authorized(identity) => format!("{identity} (authorized for every name)"),
            AcmeRevoker::CertificateKey => "(the certificate's key)".to_string(),
            AcmeRevoker::Orderer(_) => {
                return Err(AuthorityError::Forbidden(
                    "this account neither ordered the certificate nor holds authorizations for all its names".into(),
                ));
            }
        };
        refuse_unrevocable(&found, Some(reason))?;
        let now = self.clock.now();
        let revocation = Revocation { revoked_at: now, reason, invalidity_date: None, revoked_by: by.clone() };
        let audit = AuditEvent::new(
            now,
            &by,
            "certificate.revoke",
            &format!("request:{}", found.record.request_id),
            json!({"ca": found.ca, "serial": found.record.serial.to_hex(), "reason": reason.as_str(), "via": "acme"}),
        );
        let record = self.store.revoke(found.record.ca_id, &found.record.serial, revocation, audit).await?;
        Metrics::count(&self.metrics.revoked);
        self.revocations.notify_waiters();
        Ok(CertificateStatusView::new(&found.ca, &record, now))
    }

    /// The issued certificate whose DER is `der` exactly, whatever CA issued it.
    async fn issued_as_sent(&self, der: &[u8]) -> AuthorityResult<Found> {
        let not_ours = || AuthorityError::NotFound("this CA issued no such certificate".into());
        let info = signet_codec::describe::certificate(der, self.clock.now()).map_err(|_| not_ours())?;
        let serial = Serial::parse_hex(&info.serial).map_err(|_| not_ours())?;
        for (name, ca_id) in self.registry.ids() {
            if let Some(record) = self.store.certificate(ca_id, &serial).await?
                && record.der.as_deref() == Some(der)
            {
                let request = self.stored_request(record.request_id).await?;
                return Ok(Found { ca: name.to_string(), record, request });
            }
        }
        Err(not_ours())
    }

    /// What ACME Renewal Information needs of the issued certificate with `serial` whose issuer
    /// has `key_identifier` (any CA when the identifier is not known): its validity, revocation
    /// and requester.
    pub async fn acme_renewal_facts(&self, serial: &Serial) -> AuthorityResult<Option<RenewalFacts>> {
        for (_, ca_id) in self.registry.ids() {
            if let Some(record) = self.store.certificate(ca_id, serial).await?
                && record.status == CertificateStatus::Issued
            {
                let request = self.stored_request(record.request_id).await?;
                return Ok(Some(RenewalFacts {
                    not_before: record.not_before,
                    not_after: record.not_after,
                    revoked_at: record.revocation.as_ref().map(|r| r.revoked_at),
                    requester: request.requester,
                    names: record.sans.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// Releases a certificate from hold (certificateHold is the only reason that can be undone).
    pub async fn release_hold(&self, actor: &Actor, target: &CertificateRef) -> AuthorityResult<CertificateStatusView> {
        permit(actor, Action::ReleaseHold)?;
        let found = self.find(Access::Actor(actor), target, Action::ReleaseHold).await?;
        refuse_unrevocable(&found, None)?;
        let now = self.clock.now();
        let audit = AuditEvent::new(
            now,
            &actor.name,
            "certificate.release",
            &format!("request:{}", found.record.request_id),
            json!({"ca": found.ca, "serial": found.record.serial.to_hex()}),
        );
        let record = self.store.release_hold(found.record.ca_id, &found.record.serial, audit).await?;
        self.revocations.notify_waiters();
        self.after_ca_certificate_change(record.der.as_deref()).await?;
        Ok(CertificateStatusView::new(&found.ca, &record, now))
    }

    /// A certificate's status: good, revoked (when and why) or expired.
    pub async fn certificate_status(
        &self,
        access: Access<'_>,
        target: &CertificateRef,
    ) -> AuthorityResult<CertificateStatusView> {
        let found = self.find(access, target, Action::ReadAny).await?;
        Ok(CertificateStatusView::new(&found.ca, &found.record, self.clock.now()))
    }

    /// The issued certificates with this serial, under any CA, that the caller may see.
    pub async fn certificates_with_serial(
        &self,
        access: Access<'_>,
        serial: &Serial,
    ) -> AuthorityResult<Vec<CertificateStatusView>> {
        let mut found = Vec::new();
        for (name, _) in self.registry.ids() {
            let target = CertificateRef::Serial { ca: name.to_string(), serial: *serial };
            match self.find(access, &target, Action::ReadAny).await {
                Ok(f) => found.push(CertificateStatusView::new(&f.ca, &f.record, self.clock.now())),
                Err(e) if e.kind() == Kind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// The certificate `target` names, if the caller may act on it: an actor holding a role
    /// that may do `action` on any certificate, or the requester. Anyone else is told it does not
    /// exist, as for requests, so serials cannot be probed for whose they are.
    async fn find(&self, access: Access<'_>, target: &CertificateRef, action: Action) -> AuthorityResult<Found> {
        let (ca_id, record) = match target {
            CertificateRef::Serial { ca, serial } => {
                let ca_id = self.ca_id(ca)?;
                let record = self.store.certificate(ca_id, serial).await?.ok_or_else(|| {
                    AuthorityError::NotFound(format!("CA {ca} has no certificate with serial {serial}"))
                })?;
                (ca_id, record)
            }
            CertificateRef::Request(id) => {
                let request = self.stored_request(*id).await?;
                let record = self.store.certificate_for_request(*id).await?.ok_or_else(|| {
                    AuthorityError::new(
                        Kind::Conflict,
                        format!("request {id} is {} and has no certificate", request.state),
                    )
                })?;
                (record.ca_id, record)
            }
        };
        let ca = self.registry.name_of(ca_id).unwrap_or("?").to_string();
        let request = self.stored_request(record.request_id).await?;
        let allowed = may(access, action)
            || match access {
                Access::Actor(actor) => actor.name == request.requester,
                Access::RetrievalToken(token) => aws_lc_rs::constant_time::verify_slices_are_equal(
                    hash_secret(token).as_bytes(),
                    request.retrieval_token_hash.as_bytes(),
                )
                .is_ok(),
            };
        if !allowed {
            return Err(match target {
                CertificateRef::Request(id) => AuthorityError::NoSuchRequest(*id),
                CertificateRef::Serial { ca, serial } => AuthorityError::NotFound(format!(
                    "CA {ca} has no certificate with serial {serial} that you requested (a Certificate Manager can act on any)"
                )),
            });
        }
        Ok(Found { ca, record, request })
    }

    /// When the certificate revoked or released is a CA's own, that CA stops (or resumes)
    /// issuing at once on this front end; the others notice within a publication round.
    async fn after_ca_certificate_change(&self, der: Option<&[u8]>) -> AuthorityResult<()> {
        if der.is_some_and(|der| self.registry.signing().iter().any(|ca| ca.certificate == der)) {
            self.refresh_revoked_cas().await?;
        }
        Ok(())
    }

    /// The stored id of a CA, or NotFound naming the CAs there are.
    fn ca_id(&self, name: &str) -> AuthorityResult<CaId> {
        self.registry.ca_id(name).ok_or_else(|| {
            let known: Vec<&str> = self.registry.ids().into_iter().map(|(n, _)| n).collect();
            AuthorityError::NotFound(format!("there is no CA named {name:?}; CAs: {}", known.join(", ")))
        })
    }
}

/// Whether the caller holds a role that may do `action` on any certificate.
fn may(access: Access<'_>, action: Action) -> bool {
    matches!(access, Access::Actor(actor) if actor.may(action))
}

/// Who the audit log and the certificate record name as having revoked it.
fn who(access: Access<'_>, request: &RequestRecord) -> String {
    match access {
        Access::Actor(actor) => actor.name.clone(),
        Access::RetrievalToken(_) => format!("{} (retrieval token of request {})", request.requester, request.id),
    }
}

/// Refuses, with the CA's name, what the store would refuse: a serial never issued or being
/// issued, a revocation of what is already revoked (`revoking` Some), a release of what is not
/// on hold (None). The store checks again in its transaction, for races.
fn refuse_unrevocable(found: &Found, revoking: Option<RevocationReason>) -> AuthorityResult<()> {
    let (ca, serial) = (&found.ca, &found.record.serial);
    let conflict = |message: String| Err(AuthorityError::new(Kind::Conflict, message));
    match (found.record.status, &found.record.revocation, revoking) {
        (CertificateStatus::Reserved, ..) => {
            conflict(format!("serial {serial} of CA {ca} is being issued right now; try again in a moment"))
        }
        (CertificateStatus::Abandoned, ..) => conflict(format!(
            "serial {serial} of CA {ca} was never issued: its issuance was abandoned and the serial is burnt, so there is no certificate to revoke"
        )),
        (CertificateStatus::Issued, Some(r), Some(reason))
            if !(r.reason == RevocationReason::CertificateHold && reason != RevocationReason::CertificateHold) =>
        {
            conflict(format!(
                "certificate {serial} of CA {ca} is already revoked ({}, at {})",
                r.reason,
                signet_codec::describe::rfc3339(r.revoked_at)
            ))
        }
        (CertificateStatus::Issued, Some(r), None) if !r.reason.is_releasable() => conflict(format!(
            "certificate {serial} of CA {ca} was revoked for {}, which is final: only a certificateHold can be released",
            r.reason
        )),
        (CertificateStatus::Issued, None, None) => {
            conflict(format!("certificate {serial} of CA {ca} is not revoked; there is no hold to release"))
        }
        _ => Ok(()),
    }
}
