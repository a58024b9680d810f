//! Submission: a CSR checked against its profile, then stored to wait for a Certificate Manager
//! or issued at once.

use serde_json::json;
use signet_issuance::certificate::{self, LeafRequest, Prepared};
use signet_issuance::csr::{self, CsrFacts};
use signet_issuance::{Approval, IssuingCa, Profile, key_quality};
use signet_model::{Decision, Identifier, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{Decided, NewRequest, Reservation};

use crate::actor::{Action, Actor, permit};
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::metrics::Metrics;
use crate::signing::{IssuanceOf, Signing};
use crate::tokens::{hash_secret, new_secret};
use crate::views::Submitted;

/// A CSR that passed its profile's checks.
pub(super) struct Checked {
    pub(super) facts: CsrFacts,
    /// SHA-256 of its public key.
    pub(super) key: Sha256,
    /// The names the certificate will hold.
    pub(super) names: Vec<Identifier>,
}

impl Authority {
    /// Submits a CSR (DER) for a profile.
    pub async fn submit(&self, actor: &Actor, profile_name: &str, csr_der: &[u8]) -> AuthorityResult<Submitted> {
        permit(actor, Action::Submit)?;
        let profile = self.profile(profile_name)?;
        if !actor.roles.iter().any(|r| profile.enroll_roles.contains(r)) {
            let allowed: Vec<&str> = profile.enroll_roles.iter().map(|r| r.as_str()).collect();
            return Err(AuthorityError::Forbidden(format!(
                "{} may not enroll in profile {profile_name}: it is open to {}",
                actor.name,
                allowed.join(", ")
            )));
        }
        self.submit_to(actor, profile, csr_der, None).await
    }

    /// Submits a CSR (DER) to `profile` for `actor`, whose right to enroll in it the caller has
    /// checked: every front end's submissions end here (the JSON API, ACME, the server's own
    /// certificate). `acme_order`: the ACME order it finalizes, recorded with the request.
    pub(crate) async fn submit_to(
        &self,
        actor: &Actor,
        profile: &Profile,
        csr_der: &[u8],
        acme_order: Option<i64>,
    ) -> AuthorityResult<Submitted> {
        let checked =
            self.check_request(profile, csr_der, None).inspect_err(|_| Metrics::count(&self.metrics.rejected))?;
        self.submit_checked(actor, profile, csr_der, checked, acme_order).await
    }

    /// Submits a CSR whose signature and key type were examined already (`facts`, under
    /// `profile`'s key rules): the key quality and name checks, then as [`Self::submit_to`].
    pub(crate) async fn submit_examined(
        &self,
        actor: &Actor,
        profile: &Profile,
        csr_der: &[u8],
        facts: CsrFacts,
        acme_order: Option<i64>,
    ) -> AuthorityResult<Submitted> {
        let checked = self.check_facts(profile, facts, None).inspect_err(|_| Metrics::count(&self.metrics.rejected))?;
        self.submit_checked(actor, profile, csr_der, checked, acme_order).await
    }

    async fn submit_checked(
        &self,
        actor: &Actor,
        profile: &Profile,
        csr_der: &[u8],
        checked: Checked,
        acme_order: Option<i64>,
    ) -> AuthorityResult<Submitted> {
        let mut warnings = Vec::new();
        let issuer = self.registry.issuer(&profile.issuer)?;
        self.in_service(issuer)?;
        if !issuer.is_test && self.store.key_used_for_test(&checked.key).await? {
            warnings.push(
                "this key already got a certificate from the test CA; a production certificate should use a new key (make a new key and CSR)".to_string(),
            );
        }
        let token = new_secret("rt_")?;
        let now = self.clock.now();
        let request = NewRequest {
            profile: profile.name.clone(),
            csr: csr_der.to_vec(),
            subject: certificate::effective_subject(profile, &checked.facts, &checked.names).to_string(),
            sans: checked.names.iter().map(ToString::to_string).collect(),
            spki_sha256: checked.key,
            requester: actor.name.clone(),
            warnings,
            retrieval_token_hash: hash_secret(&token),
            created_at: now,
            acme_order,
        };
        let audit = AuditEvent::new(
            now,
            &actor.name,
            "request.submit",
            "request",
            json!({"profile": profile.name, "names": request.sans, "key": checked.key.to_hex()}),
        );
        Metrics::count(&self.metrics.submitted);
        let view = match profile.approval {
            Approval::Manager => self.request_view(&self.store.submit(request, audit).await?, None),
            Approval::Auto => {
                let prepared = self.prepare(profile, issuer, &checked.facts, &checked.names)?;
                let reservation = self.reservation(issuer, &prepared, checked.key);
                let issued = self
                    .sign_and_store(issuer, prepared, IssuanceOf::New(request), reservation, audit, actor, None)
                    .await?;
                let stored = issued.request.ok_or_else(|| {
                    AuthorityError::new(Kind::Internal, "the issuance did not answer the request it stored")
                })?;
                let decided = stored
                    .decided(Decided {
                        decision: Decision::Issue,
                        by: Some(issued.completion.decided_by.clone()),
                        reason: None,
                        approved_sans: None,
                        at: issued.completion.at,
                    })
                    .map_err(|e| AuthorityError::new(Kind::Internal, e.to_string()))?;
                self.request_view(&decided, Some(&issued.certificate))
            }
        };
        Ok(Submitted { request: view, retrieval_token: token })
    }

    /// A profile by name, or NotFound listing the profiles there are.
    pub(super) fn profile(&self, name: &str) -> AuthorityResult<&Profile> {
        self.profiles.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            known.sort_unstable();
            AuthorityError::NoSuchProfile { name: name.to_string(), available: known.join(", ") }
        })
    }

    /// Checks a CSR against a profile: signature, key, and the names (`approved`, a subset of
    /// those requested, when a Certificate Manager narrowed them).
    pub(super) fn check_request(
        &self,
        profile: &Profile,
        csr_der: &[u8],
        approved: Option<&[Identifier]>,
    ) -> AuthorityResult<Checked> {
        let facts = csr::examine(csr_der, &profile.keys)?;
        self.check_facts(profile, facts, approved)
    }

    /// [`Self::check_request`] past the CSR's examination (its signature and key type).
    fn check_facts(
        &self,
        profile: &Profile,
        facts: CsrFacts,
        approved: Option<&[Identifier]>,
    ) -> AuthorityResult<Checked> {
        key_quality::check(&facts.spki_der, &facts.key, &profile.keys, &self.weak_keys)?;
        let names = match approved {
            None => csr::check_names(&facts.requested, profile)?,
            Some(subset) => {
                for name in subset {
                    if !facts.requested.contains(name) {
                        return Err(AuthorityError::new(
                            Kind::RejectedByPolicy,
                            format!("{name} was not requested; a Certificate Manager may remove names, not add them"),
                        ));
                    }
                }
                csr::check_names(subset, profile)?
            }
        };
        let key = Sha256::from_bytes(signet_codec::public_key::sha256(&facts.spki_der));
        Ok(Checked { facts, key, names })
    }

    /// The to-be-signed certificate for a checked request.
    pub(super) fn prepare(
        &self,
        profile: &Profile,
        issuer: &IssuingCa,
        facts: &CsrFacts,
        names: &[Identifier],
    ) -> AuthorityResult<Prepared> {
        let request = LeafRequest { profile, issuer, csr: facts, names, urls: &self.urls, now: self.clock.now() };
        Ok(certificate::prepare(&request)?)
    }

    /// The intent to sign `prepared`, recorded before the signature.
    pub(super) fn reservation(&self, issuer: &IssuingCa, prepared: &Prepared, key: Sha256) -> Reservation {
        Reservation {
            ca_id: issuer.id,
            serial: prepared.serial,
            tbs: prepared.tbs.clone(),
            spki_sha256: key,
            subject: prepared.subject.clone(),
            sans: prepared.sans.clone(),
            not_before: prepared.not_before,
            not_after: prepared.not_after,
            is_test: issuer.is_test,
            crl_shard: prepared.crl_shard,
            created_at: self.clock.now(),
        }
    }

    /// Reserves, signs and stores a certificate decided by `actor` (see [`Signing`]); a new
    /// request that cannot be signed is failed, since nobody would approve it again.
    #[allow(clippy::too_many_arguments)] // the parts of one issuance, each named at the call
    pub(super) async fn sign_and_store(
        &self,
        issuer: &std::sync::Arc<IssuingCa>,
        prepared: Prepared,
        request: IssuanceOf,
        reservation: Reservation,
        audit: AuditEvent,
        actor: &Actor,
        approved: Option<Vec<String>>,
    ) -> AuthorityResult<crate::signing::Issued> {
        let fail_request = matches!(request, IssuanceOf::New(_));
        let issued = Signing {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            issuer: issuer.clone(),
            prepared,
            request,
            reservation,
            audit,
            decided_by: actor.name.clone(),
            approved,
            fail_request,
            details: json!({}),
        }
        .run()
        .await?;
        Metrics::count(&self.metrics.issued);
        Ok(issued)
    }
}
