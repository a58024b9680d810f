//! The request workflow: submit, approve, deny, status, retrieval, search — independent of the
//! protocol that delivered the request (HTTP API today; ACME, EST and web pages later call the
//! same methods).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::json;
use signet_issuance::certificate::{self, LeafRequest, Prepared};
use signet_issuance::csr::{self, CsrFacts};
use signet_issuance::{Approval, IssuingCa, Profile, Urls, WeakKeys, key_quality};
use signet_model::{Clock, Identifier, RequestId, RequestState};
use signet_store::audit::{self, AuditEvent, AuditReport};
use signet_store::{CaKind, CaRecord, Completion, Found, IssuanceOf, NewRequest, NewToken, Query, Reservation, Store};

use crate::actor::{Action, Actor, hash_secret, new_secret, permit};
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::policy::ConfigurationChange;
use crate::signing::Signing;
use crate::views::{CaView, IssuedCertificate, RequestView, Submitted};

/// A CA as loaded: its record and, if it has a certificate, its signer.
struct LoadedCa {
    record: CaRecord,
    issuing: Option<Arc<IssuingCa>>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests accepted.
    pub submitted: AtomicU64,
    /// Certificates issued.
    pub issued: AtomicU64,
    /// Requests denied.
    pub denied: AtomicU64,
    /// Submissions refused by policy or malformed.
    pub rejected: AtomicU64,
}

/// Settings the workflow needs.
#[derive(Debug, Clone)]
pub struct AuthoritySettings {
    /// Profiles.
    pub profiles: Vec<Profile>,
    /// URLs put in certificates.
    pub urls: Urls,
    /// No identity may be both CA Administrator and Certificate Manager.
    pub strict_role_separation: bool,
    /// Known-compromised keys, refused at submission.
    pub weak_keys: Arc<WeakKeys>,
}

/// Who is asking about a request: an authenticated actor, or a requester with its retrieval token.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// An API token.
    Actor(&'a Actor),
    /// The retrieval token given at submission.
    RetrievalToken(&'a str),
}

/// How long an authenticated token is trusted without asking the database again.
const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The certificate authority's workflow.
pub struct Authority {
    tokens: std::sync::Mutex<HashMap<String, (Actor, std::time::Instant)>>,
    store: Arc<dyn Store>,
    cas: HashMap<String, LoadedCa>,
    profiles: HashMap<String, Profile>,
    urls: Urls,
    clock: Arc<dyn Clock>,
    strict_role_separation: bool,
    weak_keys: Arc<WeakKeys>,
    metrics: Metrics,
    configuration_change: Option<ConfigurationChange>,
}

fn event(clock: &dyn Clock, actor: &str, action: &str, target: &str, details: serde_json::Value) -> AuditEvent {
    AuditEvent::new(clock.now(), actor, action, target, details)
}

impl Authority {
    /// Loads CAs (decrypting their keys with `passphrase`), checks that every profile's issuer
    /// exists and can issue, and records the configuration in the audit log if it changed since
    /// it was last recorded ([`Self::configuration_change`]).
    pub async fn load(
        store: Arc<dyn Store>,
        settings: AuthoritySettings,
        passphrase: &str,
        clock: Arc<dyn Clock>,
    ) -> AuthorityResult<Self> {
        let mut cas = HashMap::new();
        for record in store.cas().await? {
            let issuing = match record.certificate {
                Some(_) => Some(Arc::new(crate::ca_admin::open(&record, passphrase)?)),
                None => None,
            };
            cas.insert(record.name.clone(), LoadedCa { record, issuing });
        }
        let mut profiles = HashMap::new();
        for profile in settings.profiles {
            match cas.get(&profile.issuer) {
                Some(LoadedCa { issuing: Some(_), .. }) => {}
                Some(_) => {
                    return Err(AuthorityError::new(
                        Kind::Unavailable,
                        format!(
                            "profile {}: CA {} has no certificate yet (finish it with `signet ca install-cert`)",
                            profile.name, profile.issuer
                        ),
                    ));
                }
                None => {
                    let known: Vec<&str> = cas.keys().map(String::as_str).collect();
                    return Err(AuthorityError::new(
                        Kind::Unavailable,
                        format!(
                            "profile {}: issuer CA {:?} does not exist (known CAs: {})",
                            profile.name,
                            profile.issuer,
                            known.join(", ")
                        ),
                    ));
                }
            }
            profiles.insert(profile.name.clone(), profile);
        }
        let listed: Vec<&Profile> = profiles.values().collect();
        let configuration_change = crate::policy::record(
            store.as_ref(),
            clock.as_ref(),
            &listed,
            &settings.urls,
            settings.strict_role_separation,
            &settings.weak_keys,
        )
        .await?;
        Ok(Self {
            tokens: std::sync::Mutex::new(HashMap::new()),
            store,
            cas,
            profiles,
            urls: settings.urls,
            clock,
            strict_role_separation: settings.strict_role_separation,
            weak_keys: settings.weak_keys,
            metrics: Metrics::default(),
            configuration_change,
        })
    }

    /// How the configuration differed from the one last recorded, when this load recorded it.
    pub fn configuration_change(&self) -> Option<&ConfigurationChange> {
        self.configuration_change.as_ref()
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store (for health checks and metrics).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Marks reservations left by an interrupted issuance (older than `grace`) as abandoned, and
    /// fails auto-approved requests that were caught by it. Run at startup.
    pub async fn recover(&self, grace: time::Duration) -> AuthorityResult<usize> {
        let abandoned = self.store.abandon_stale(self.clock.now() - grace, self.clock.now()).await?;
        for record in &abandoned {
            if let Some(request) = self.store.request(record.request_id).await?
                && request.state == RequestState::Pending
                && self.profiles.get(&request.profile).is_some_and(|p| p.approval == Approval::Auto)
            {
                let reason = "issuance was interrupted; submit the request again";
                let audit = event(
                    self.clock.as_ref(),
                    "system",
                    "request.fail",
                    &format!("request:{}", request.id),
                    json!({"reason": reason}),
                );
                let _ = self.store.fail(request.id, reason, self.clock.now(), audit).await;
            }
        }
        Ok(abandoned.len())
    }

    /// Identifies the holder of an API token (remembered for a few seconds, so a busy client does
    /// not cost a database read per request).
    pub async fn authenticate(&self, token: &str) -> AuthorityResult<Actor> {
        let hash = hash_secret(token);
        if let Ok(cache) = self.tokens.lock()
            && let Some((actor, at)) = cache.get(&hash)
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(actor.clone());
        }
        let record = self.store.token_by_hash(&hash).await?;
        match record {
            Some(t) => {
                let actor = Actor { name: t.name, roles: t.roles };
                if let Ok(mut cache) = self.tokens.lock() {
                    if cache.len() > 10_000 {
                        cache.clear();
                    }
                    cache.insert(hash, (actor.clone(), std::time::Instant::now()));
                }
                Ok(actor)
            }
            None => Err(AuthorityError::new(Kind::Unauthenticated, "the API token is unknown or revoked")),
        }
    }

    fn profile(&self, name: &str) -> AuthorityResult<&Profile> {
        self.profiles.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            known.sort();
            AuthorityError::new(
                Kind::NotFound,
                format!("there is no profile {name:?}; available: {}", known.join(", ")),
            )
        })
    }

    fn issuer(&self, profile: &Profile) -> AuthorityResult<&Arc<IssuingCa>> {
        self.cas
            .get(&profile.issuer)
            .and_then(|c| c.issuing.as_ref())
            .ok_or_else(|| AuthorityError::new(Kind::Unavailable, format!("CA {} cannot issue", profile.issuer)))
    }

    /// Submits a CSR (DER) for a profile.
    pub async fn submit(&self, actor: &Actor, profile_name: &str, csr_der: &[u8]) -> AuthorityResult<Submitted> {
        permit(actor, Action::Submit)?;
        let profile = self.profile(profile_name)?;
        if !actor.roles.iter().any(|r| profile.enroll_roles.contains(r)) {
            let allowed: Vec<&str> = profile.enroll_roles.iter().map(|r| r.as_str()).collect();
            return Err(AuthorityError::new(
                Kind::Forbidden,
                format!(
                    "{} may not enroll in profile {profile_name}: it is open to {}",
                    actor.name,
                    allowed.join(", ")
                ),
            ));
        }
        let checked = self.check_request(profile, csr_der, None).await.inspect_err(|_| {
            self.metrics.rejected.fetch_add(1, Ordering::Relaxed);
        })?;
        let mut warnings = Vec::new();
        let issuer = self.issuer(profile)?;
        if !issuer.is_test && self.store.key_used_for_test(&checked.facts.key.spki_sha256).await? {
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
            spki_sha256: checked.facts.key.spki_sha256.clone(),
            requester: actor.name.clone(),
            warnings: warnings.clone(),
            retrieval_token_hash: hash_secret(&token),
            created_at: now,
        };
        let audit = event(
            self.clock.as_ref(),
            &actor.name,
            "request.submit",
            "request",
            json!({"profile": profile.name, "names": request.sans, "key": checked.facts.key.spki_sha256}),
        );
        self.metrics.submitted.fetch_add(1, Ordering::Relaxed);
        let view = match profile.approval {
            Approval::Manager => {
                let id = self.store.submit(request.clone(), audit).await?;
                RequestView::new(&stored(id, &request, RequestState::Pending), None)
            }
            Approval::Auto => {
                let prepared = self.prepare(profile, issuer, &checked.facts, &checked.names)?;
                let reservation = self.reservation(issuer, &prepared, &checked.facts);
                let signing = Signing {
                    store: self.store.as_ref(),
                    clock: self.clock.as_ref(),
                    issuer: issuer.clone(),
                    prepared,
                    request: IssuanceOf::New(request.clone()),
                    reservation: reservation.clone(),
                    audit,
                    decided_by: actor.name.clone(),
                    approved: None,
                    fail_request: true,
                    details: json!({}),
                };
                let completion = self.sign_and_store(signing).await?;
                let at = completion.at;
                issued_view(
                    stored(completion.request_id, &request, RequestState::Pending),
                    &reservation,
                    completion,
                    at,
                )
            }
        };
        Ok(Submitted { request: view, retrieval_token: token })
    }

    async fn check_request(
        &self,
        profile: &Profile,
        csr_der: &[u8],
        approved: Option<&[Identifier]>,
    ) -> AuthorityResult<Checked> {
        let facts = csr::examine(csr_der, &profile.keys)?;
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
        Ok(Checked { facts, names })
    }

    fn prepare(
        &self,
        profile: &Profile,
        issuer: &IssuingCa,
        facts: &CsrFacts,
        names: &[Identifier],
    ) -> AuthorityResult<Prepared> {
        let request = LeafRequest { profile, issuer, csr: facts, names, urls: &self.urls, now: self.clock.now() };
        Ok(certificate::prepare(&request)?)
    }

    fn reservation(&self, issuer: &IssuingCa, prepared: &Prepared, facts: &CsrFacts) -> Reservation {
        Reservation {
            ca_id: issuer.id,
            serial: prepared.serial.clone(),
            tbs: prepared.tbs.clone(),
            spki_sha256: facts.key.spki_sha256.clone(),
            subject: prepared.subject.clone(),
            sans: prepared.sans.clone(),
            not_before: prepared.not_before,
            not_after: prepared.not_after,
            is_test: issuer.is_test,
            created_at: self.clock.now(),
        }
    }

    /// Reserves, signs and stores a certificate (see [`Signing`]).
    async fn sign_and_store(&self, signing: Signing<'_>) -> AuthorityResult<Completion> {
        let completion = signing.run().await?;
        self.metrics.issued.fetch_add(1, Ordering::Relaxed);
        Ok(completion)
    }

    /// A request, or NotFound.
    async fn stored_request(&self, id: RequestId) -> AuthorityResult<signet_store::RequestRecord> {
        self.store.request(id).await?.ok_or_else(|| no_request(id))
    }

    async fn request_for(&self, access: Access<'_>, id: RequestId) -> AuthorityResult<signet_store::RequestRecord> {
        let request = self.stored_request(id).await?;
        let allowed = match access {
            Access::Actor(actor) => actor.name == request.requester || actor.may(Action::ReadAny),
            Access::RetrievalToken(token) => {
                let given = hash_secret(token);
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    given.as_bytes(),
                    request.retrieval_token_hash.as_bytes(),
                )
                .is_ok()
            }
        };
        if !allowed {
            // Same answer as a missing request: do not reveal which IDs exist.
            return Err(no_request(id));
        }
        Ok(request)
    }

    /// The status of a request.
    pub async fn status(&self, access: Access<'_>, id: RequestId) -> AuthorityResult<RequestView> {
        let request = self.request_for(access, id).await?;
        let certificate = self.store.certificate_for_request(id).await?;
        Ok(RequestView::new(&request, certificate.as_ref()))
    }

    /// The certificate of an issued request, with its chain.
    pub async fn certificate(&self, access: Access<'_>, id: RequestId) -> AuthorityResult<IssuedCertificate> {
        let request = self.request_for(access, id).await?;
        if request.state != RequestState::Issued {
            return Err(AuthorityError::new(
                Kind::Conflict,
                match request.state {
                    RequestState::Pending => {
                        format!("request {id} is pending approval by a Certificate Manager; check again later")
                    }
                    RequestState::Denied => format!("request {id} was denied: {}", request.reason.unwrap_or_default()),
                    _ => format!("request {id} failed: {}", request.reason.unwrap_or_default()),
                },
            ));
        }
        let record = self
            .store
            .certificate_for_request(id)
            .await?
            .ok_or_else(|| AuthorityError::new(Kind::Internal, "issued request without a certificate"))?;
        let der = record.der.ok_or_else(|| AuthorityError::new(Kind::Internal, "issued certificate without DER"))?;
        let (intermediates, root) = self.chain_of_ca_id(record.ca_id);
        Ok(IssuedCertificate { certificate: der, intermediates, root })
    }

    /// CA certificates above an issuing CA: intermediates (issuer first) and the root.
    fn chain_of_ca_id(&self, ca_id: i64) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
        let mut intermediates = Vec::new();
        let mut current = self.cas.values().find(|c| c.record.id == ca_id);
        let mut guard = 0;
        while let Some(ca) = current {
            guard += 1;
            let Some(cert) = ca.record.certificate.clone() else { break };
            match &ca.record.parent {
                Some(parent) if guard < 10 => {
                    intermediates.push(cert);
                    current = self.cas.get(parent);
                }
                _ if ca.record.kind == CaKind::Subordinate => {
                    // Parent outside signet: it is the requester's to supply.
                    intermediates.push(cert);
                    return (intermediates, None);
                }
                _ => return (intermediates, Some(cert)),
            }
        }
        (intermediates, None)
    }

    /// Pending requests, oldest first.
    pub async fn queue(&self, actor: &Actor) -> AuthorityResult<Vec<RequestView>> {
        permit(actor, Action::Queue)?;
        let pending = self.store.pending_requests(500).await?;
        Ok(pending.iter().map(|r| RequestView::new(r, None)).collect())
    }

    fn separate(&self, actor: &Actor, request: &signet_store::RequestRecord) -> AuthorityResult<()> {
        if self.strict_role_separation && actor.name == request.requester {
            return Err(AuthorityError::new(
                Kind::Forbidden,
                "with strict role separation a Certificate Manager may not decide on their own request",
            ));
        }
        Ok(())
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
        let issuer = self.issuer(profile)?;
        let checked = self.check_request(profile, &request.csr, names.as_deref()).await?;
        let prepared = self.prepare(profile, issuer, &checked.facts, &checked.names)?;
        let reservation = self.reservation(issuer, &prepared, &checked.facts);
        let approved = names.map(|n| n.iter().map(ToString::to_string).collect::<Vec<_>>());
        let audit = event(
            self.clock.as_ref(),
            &actor.name,
            "request.approve",
            &format!("request:{id}"),
            json!({"serial": prepared.serial.to_hex(), "names": prepared.sans, "narrowed": approved.is_some()}),
        );
        let signing = Signing {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            issuer: issuer.clone(),
            prepared,
            request: IssuanceOf::Pending(id),
            reservation: reservation.clone(),
            audit,
            decided_by: actor.name.clone(),
            approved,
            fail_request: false,
            details: json!({}),
        };
        let completion = self.sign_and_store(signing).await?;
        let at = as_stored(completion.at);
        Ok(issued_view(request, &reservation, completion, at))
    }

    /// Denies a pending request with a reason.
    pub async fn deny(&self, actor: &Actor, id: RequestId, reason: &str) -> AuthorityResult<RequestView> {
        permit(actor, Action::Deny)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AuthorityError::new(
                Kind::Malformed,
                "give a reason for the denial; the requester will see it",
            ));
        }
        if reason.chars().count() > 1000 {
            return Err(AuthorityError::new(Kind::Malformed, "the reason is longer than 1000 characters"));
        }
        let request = self.stored_request(id).await?;
        self.separate(actor, &request)?;
        let audit = event(
            self.clock.as_ref(),
            &actor.name,
            "request.deny",
            &format!("request:{id}"),
            json!({"reason": reason}),
        );
        let at = self.clock.now();
        self.store.deny(id, &actor.name, reason, at, audit).await.map_err(|e| match e {
            signet_store::StoreError::Conflict(m) => {
                AuthorityError::new(Kind::Conflict, format!("{m}; it cannot be denied"))
            }
            other => other.into(),
        })?;
        self.metrics.denied.fetch_add(1, Ordering::Relaxed);
        let mut record = request;
        record.state = RequestState::Denied;
        record.reason = Some(reason.to_string());
        record.decided_by = Some(actor.name.clone());
        record.decided_at = Some(as_stored(at));
        Ok(RequestView::new(&record, None))
    }

    /// Searches requests and certificates.
    pub async fn search(&self, actor: &Actor, query: &Query) -> AuthorityResult<Vec<RequestView>> {
        permit(actor, Action::Search)?;
        let found: Vec<Found> = self.store.search(query).await?;
        Ok(found.iter().map(|f| RequestView::new(&f.request, f.certificate.as_ref())).collect())
    }

    /// The CAs and their certificates.
    pub fn cas(&self) -> Vec<CaView> {
        let mut views: Vec<CaView> = self
            .cas
            .values()
            .map(|ca| {
                let subject = ca
                    .record
                    .certificate
                    .as_deref()
                    .and_then(|der| signet_codec::describe::certificate(der, self.clock.now()).ok())
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
                }
            })
            .collect();
        views.sort_by(|a, b| a.name.cmp(&b.name));
        views
    }

    /// A CA certificate by name (DER).
    pub fn ca_certificate(&self, name: &str) -> AuthorityResult<Vec<u8>> {
        self.cas
            .get(name)
            .and_then(|c| c.record.certificate.clone())
            .ok_or_else(|| AuthorityError::new(Kind::NotFound, format!("there is no CA certificate named {name}")))
    }

    /// Creates an API token; returns its secret (shown once).
    pub async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        roles: &[signet_model::Role],
    ) -> AuthorityResult<String> {
        permit(actor, Action::ManageTokens)?;
        create_token(self.store.as_ref(), self.clock.as_ref(), &actor.name, name, roles, self.strict_role_separation)
            .await
    }

    /// Verifies the audit log's hash chain.
    pub async fn verify_audit(&self, actor: &Actor) -> AuthorityResult<AuditReport> {
        permit(actor, Action::ReadAudit)?;
        verify_audit(self.store.as_ref()).await
    }

    /// Audit entries from `from` (the newest `limit` when `None`), oldest first.
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        from: Option<i64>,
        limit: u32,
    ) -> AuthorityResult<Vec<audit::AuditRecord>> {
        permit(actor, Action::ReadAudit)?;
        read_audit(self.store.as_ref(), from, limit).await
    }

    /// Profiles as configured.
    pub fn profiles(&self) -> Vec<&Profile> {
        let mut list: Vec<&Profile> = self.profiles.values().collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }
}

struct Checked {
    facts: CsrFacts,
    names: Vec<Identifier>,
}

/// The record of a request just written (to answer without reading it back).
fn stored(id: RequestId, request: &NewRequest, state: RequestState) -> signet_store::RequestRecord {
    signet_store::RequestRecord {
        id,
        profile: request.profile.clone(),
        csr: Vec::new(),
        subject: request.subject.clone(),
        sans: request.sans.clone(),
        spki_sha256: request.spki_sha256.clone(),
        requester: request.requester.clone(),
        state,
        warnings: request.warnings.clone(),
        reason: None,
        decided_by: None,
        approved_sans: None,
        retrieval_token_hash: String::new(),
        created_at: request.created_at,
        decided_at: None,
    }
}

fn no_request(id: RequestId) -> AuthorityError {
    AuthorityError::new(Kind::NotFound, format!("there is no request {id}"))
}

/// The view of a request just issued, built from what was stored rather than read back.
fn issued_view(
    mut request: signet_store::RequestRecord,
    reservation: &Reservation,
    completion: Completion,
    decided_at: time::OffsetDateTime,
) -> RequestView {
    request.state = RequestState::Issued;
    request.decided_by = Some(completion.decided_by.clone());
    request.approved_sans = completion.approved_sans.clone();
    request.decided_at = Some(decided_at);
    let certificate = issued(reservation, request.id, completion);
    RequestView::new(&request, Some(&certificate))
}

/// A time as the store keeps it (whole seconds), so an answer built in memory reads the same as
/// one read back later.
fn as_stored(at: time::OffsetDateTime) -> time::OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

/// The record of a certificate just issued.
fn issued(reservation: &Reservation, request_id: RequestId, completion: Completion) -> signet_store::CertificateRecord {
    signet_store::CertificateRecord {
        ca_id: reservation.ca_id,
        serial: reservation.serial.clone(),
        request_id,
        status: signet_store::CertificateStatus::Issued,
        tbs: Vec::new(),
        der: Some(completion.der),
        sha256: Some(completion.sha256),
        spki_sha256: reservation.spki_sha256.clone(),
        subject: reservation.subject.clone(),
        sans: reservation.sans.clone(),
        not_before: reservation.not_before,
        not_after: reservation.not_after,
        is_test: reservation.is_test,
        created_at: reservation.created_at,
    }
}

/// Creates a token directly in a store (used by the API and by local administration).
pub async fn create_token(
    store: &dyn Store,
    clock: &dyn Clock,
    created_by: &str,
    name: &str,
    roles: &[signet_model::Role],
    strict: bool,
) -> AuthorityResult<String> {
    use signet_model::Role;
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(AuthorityError::new(Kind::Malformed, "a token name is 1 to 100 printable characters"));
    }
    if roles.is_empty() {
        return Err(AuthorityError::new(Kind::Malformed, "give at least one --role"));
    }
    if strict {
        let mut all: Vec<Role> = roles.to_vec();
        for existing in store.tokens().await? {
            if existing.name == name && existing.revoked_at.is_none() {
                all.extend(existing.roles);
            }
        }
        if all.contains(&Role::CaAdministrator) && all.contains(&Role::CertificateManager) {
            return Err(AuthorityError::new(
                Kind::RejectedByPolicy,
                format!("strict role separation: {name} would be both CA Administrator and Certificate Manager"),
            ));
        }
    }
    let secret = new_secret("sgt_")?;
    let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let audit = AuditEvent::new(
        clock.now(),
        created_by,
        "token.create",
        &format!("identity:{name}"),
        json!({"roles": role_names}),
    );
    store
        .create_token(
            NewToken {
                name: name.to_string(),
                hash: hash_secret(&secret),
                roles: roles.to_vec(),
                created_at: clock.now(),
            },
            audit,
        )
        .await?;
    Ok(secret)
}

/// Most audit entries read at once.
pub const AUDIT_PAGE_LIMIT: u32 = 1000;

/// Audit entries from sequence number `from` (the newest `limit` when `None`), oldest first, at
/// most `limit` (capped at [`AUDIT_PAGE_LIMIT`]).
pub async fn read_audit(store: &dyn Store, from: Option<i64>, limit: u32) -> AuthorityResult<Vec<audit::AuditRecord>> {
    let limit = limit.clamp(1, AUDIT_PAGE_LIMIT);
    let from = match from {
        Some(from) => from.max(1),
        None => {
            let newest = store.audit_head().await?.map_or(0, |(seq, _)| seq);
            (newest - i64::from(limit) + 1).max(1)
        }
    };
    Ok(store.audit_entries(from, limit).await?)
}

/// Reads the whole audit log and checks its chain.
pub async fn verify_audit(store: &dyn Store) -> AuthorityResult<AuditReport> {
    let mut records = Vec::new();
    let mut from = 1;
    loop {
        let page = store.audit_entries(from, 10_000).await?;
        let Some(last) = page.last() else { break };
        from = last.seq + 1;
        let full = page.len() == 10_000;
        records.extend(page);
        if !full {
            break;
        }
    }
    Ok(audit::verify(&records, store.audit_head().await?))
}

/// What `/metrics` reports besides the counters.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Whether the database answered.
    pub database: bool,
}
