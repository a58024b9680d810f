//! The authority: what a front end (the HTTP API today; ACME, EST and enrollment pages later)
//! holds to act on the CA. Loading it opens the CAs' keys, checks every profile's issuer and
//! records the configuration in force; its methods are the request workflow ([`crate::workflow`]),
//! CA and token administration, and the audit log ([`crate::audit_log`]).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use signet_issuance::{Approval, Profile, Urls, WeakKeys};
use signet_model::{Clock, RequestState, Role};
use signet_store::Store;
use signet_store::audit::AuditEvent;

use crate::actor::{Action, Actor, permit};
use crate::error::AuthorityResult;
use crate::keys::CaKeys;
use crate::metrics::Metrics;
use crate::policy::ConfigurationChange;
use crate::registry::CaRegistry;
use crate::tokens::{self, TokenAuthenticator};
use crate::views::CaView;

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
    /// How CRLs are published.
    pub crl: crate::publication::CrlPolicy,
    /// How OCSP responses are made.
    pub ocsp: crate::publication::OcspPolicy,
}

/// The certificate authority's workflow.
pub struct Authority {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    tokens: TokenAuthenticator,
    pub(crate) registry: CaRegistry,
    pub(crate) profiles: HashMap<String, Profile>,
    pub(crate) urls: Urls,
    pub(crate) strict_role_separation: bool,
    pub(crate) weak_keys: Arc<WeakKeys>,
    pub(crate) metrics: Metrics,
    pub(crate) crl_policy: crate::publication::CrlPolicy,
    /// Woken after every revocation or release, for the publishers.
    pub(crate) revocations: Arc<tokio::sync::Notify>,
    /// Makes and opens keys beyond the CAs' own (delegated OCSP responders).
    pub(crate) keys: Arc<dyn CaKeys>,
    pub(crate) ocsp_policy: crate::publication::OcspPolicy,
    /// Certificates issued as counted at the last OCSP round (to tell a busy front end).
    pub(crate) ocsp_issued_seen: std::sync::atomic::AtomicU64,
    /// The delegated OCSP responders in use, by CA.
    pub(crate) responders: std::sync::Mutex<HashMap<signet_model::CaId, crate::publication::ocsp::CurrentResponder>>,
    configuration_change: Option<ConfigurationChange>,
    /// CAs whose own certificate was revoked, as last looked up ([`Self::refresh_revoked_cas`]):
    /// they issue nothing.
    revoked_cas: std::sync::RwLock<Vec<crate::ca_revocation::RevokedCa>>,
}

impl Authority {
    /// Loads CAs (opening their keys through `keys`), checks that every profile's issuer exists
    /// and can issue, and records the configuration in the audit log if it changed since it was
    /// last recorded ([`Self::configuration_change`]).
    pub async fn load(
        store: Arc<dyn Store>,
        settings: AuthoritySettings,
        keys: Arc<dyn CaKeys>,
        clock: Arc<dyn Clock>,
    ) -> AuthorityResult<Self> {
        let registry = {
            let cas = store.cas().await?;
            let stored = store.ca_alternates().await?;
            let held = stored.len();
            let alternates = crate::ca_alternates::offered(store.as_ref(), &cas, stored, clock.now()).await?;
            if alternates.len() < held {
                tracing::warn!(
                    withdrawn = held - alternates.len(),
                    "alternate CA certificates expired or revoked by their cross-signer: their chains are not offered"
                );
            }
            CaRegistry::load(cas, alternates, keys.as_ref())?
        };
        let mut profiles = HashMap::new();
        for profile in settings.profiles {
            registry
                .issuer(&profile.issuer)
                .map_err(|e| crate::error::AuthorityError::new(e.kind(), format!("profile {}: {e}", profile.name)))?;
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
        let authority = Self {
            tokens: TokenAuthenticator::new(store.clone(), clock.clone(), settings.strict_role_separation),
            store,
            clock,
            registry,
            profiles,
            urls: settings.urls,
            strict_role_separation: settings.strict_role_separation,
            weak_keys: settings.weak_keys,
            metrics: Metrics::default(),
            crl_policy: settings.crl,
            revocations: Arc::new(tokio::sync::Notify::new()),
            keys,
            ocsp_policy: settings.ocsp,
            responders: std::sync::Mutex::new(HashMap::new()),
            ocsp_issued_seen: std::sync::atomic::AtomicU64::new(0),
            configuration_change,
            revoked_cas: std::sync::RwLock::new(Vec::new()),
        };
        authority.refresh_revoked_cas().await?;
        Ok(authority)
    }

    /// Looks again for CAs whose own certificate was revoked (each publication round does, and
    /// each revocation or release here); answers them.
    pub async fn refresh_revoked_cas(&self) -> AuthorityResult<Vec<crate::ca_revocation::RevokedCa>> {
        let cas: Vec<(String, signet_model::CaId, Vec<u8>)> =
            self.registry.signing().into_iter().map(|ca| (ca.name.clone(), ca.id, ca.certificate.clone())).collect();
        let found = crate::ca_revocation::revoked_cas(self.store.as_ref(), &cas).await?;
        if let Ok(mut revoked) = self.revoked_cas.write() {
            for ca in found.iter().filter(|ca| !revoked.contains(ca)) {
                tracing::warn!("{}", ca.describe());
            }
            revoked.clone_from(&found);
        }
        Ok(found)
    }

    /// Looks up the alternate CA certificates again (each publication round does, on every front
    /// end): a cross-certificate made or installed since is offered, and one expired or revoked
    /// since is no longer, without a restart.
    pub async fn refresh_alternates(&self) -> AuthorityResult<()> {
        let cas = self.store.cas().await?;
        let alternates = self.store.ca_alternates().await?;
        let held = alternates.len();
        let offered = crate::ca_alternates::offered(self.store.as_ref(), &cas, alternates, self.clock.now()).await?;
        let count = offered.len();
        if self.registry.set_alternates(&cas, offered) {
            tracing::info!(
                offered = count,
                withdrawn = held - count,
                "the alternate CA certificates offered changed (a new one, or one expired or revoked by its cross-signer); chains follow"
            );
        }
        Ok(())
    }

    /// The CAs whose own certificate was revoked, as last looked up.
    pub fn revoked_cas(&self) -> Vec<crate::ca_revocation::RevokedCa> {
        self.revoked_cas.read().map(|all| all.clone()).unwrap_or_default()
    }

    /// `Ok` when `issuer` may sign certificates: its own certificate is not revoked.
    pub(crate) fn in_service(&self, issuer: &signet_issuance::IssuingCa) -> AuthorityResult<()> {
        let revoked = self.revoked_cas.read().ok().and_then(|all| all.iter().find(|ca| ca.ca == issuer.name).cloned());
        match revoked {
            Some(ca) => Err(crate::error::AuthorityError::new(crate::error::Kind::Conflict, ca.describe())),
            None => Ok(()),
        }
    }

    /// How the configuration differed from the one last recorded, when this load recorded it.
    pub fn configuration_change(&self) -> Option<&ConfigurationChange> {
        self.configuration_change.as_ref()
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The time now, by the authority's clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The store (for health checks and metrics).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Identifies the holder of an API token.
    pub async fn authenticate(&self, token: &str) -> AuthorityResult<Actor> {
        self.tokens.authenticate(token).await
    }

    /// Marks reservations left by an interrupted issuance (older than `grace`) as abandoned, and
    /// fails auto-approved requests that were caught by it. Run at startup.
    pub async fn recover(&self, grace: time::Duration) -> AuthorityResult<usize> {
        let now = self.clock.now();
        let abandoned = self.store.abandon_stale(now - grace, now).await?;
        for record in &abandoned {
            if let Some(request) = self.store.request(record.request_id).await?
                && request.state == RequestState::Pending
                && self.profiles.get(&request.profile).is_some_and(|p| p.approval == Approval::Auto)
            {
                let reason = "issuance was interrupted; submit the request again";
                let audit = AuditEvent::new(
                    self.clock.now(),
                    "system",
                    "request.fail",
                    &format!("request:{}", request.id),
                    json!({"reason": reason}),
                );
                if let Err(e) = self.store.fail(request.id, reason, self.clock.now(), audit).await {
                    tracing::warn!(request = %request.id, error = %e, "could not mark an interrupted request failed");
                }
            }
        }
        Ok(abandoned.len())
    }

    /// The CAs and their certificates.
    pub fn cas(&self) -> Vec<CaView> {
        self.registry.views(self.clock.now())
    }

    /// A CA certificate by name (DER).
    pub fn ca_certificate(&self, name: &str) -> AuthorityResult<Vec<u8>> {
        self.registry.certificate(name)
    }

    /// Creates an API token; returns its secret (shown once).
    pub async fn create_token(&self, actor: &Actor, name: &str, roles: &[Role]) -> AuthorityResult<String> {
        permit(actor, Action::ManageTokens)?;
        tokens::create_token(
            self.store.as_ref(),
            self.clock.as_ref(),
            &actor.name,
            name,
            roles,
            self.strict_role_separation,
        )
        .await
    }

    /// Profiles as configured.
    pub fn profiles(&self) -> Vec<&Profile> {
        let mut list: Vec<&Profile> = self.profiles.values().collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }
}
