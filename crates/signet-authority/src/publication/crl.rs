//! CRL publication, as Boulder's crl-updater does it beside the CA: for each CA that can sign,
//! decide which of its CRLs (the full one, and each partition) is due, read its entries, have
//! issuance lint and sign it, and store it as the current one. Front ends serve what is stored.
//!
//! A CRL is due when none is stored, when its `refresh` interval has passed, when it is stale,
//! or when a revocation or release touched its scope since the entries it was made from (the
//! CA's revocation version, [`signet_store::StoreRead::revocation_version`]) and half the
//! `after_revocation` interval has passed since it was made, so a burst of revocations makes one
//! CRL, not one each. Ticking every quarter of that interval, a revocation is in a stored CRL
//! within it. One front end at a time publishes (a store lease); CRL numbers come from the CA's
//! counter, at least the time in milliseconds, so they only grow, across front ends and
//! restores alike, and a slower publisher never replaces a newer CRL.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use signet_issuance::crl::{self, CrlRequest};
use signet_issuance::{IssuingCa, Urls};
use signet_model::{CaId, CrlScope, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{CrlRecord, CrlSummary, StoreRead};
use time::{Duration, OffsetDateTime};

use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::metrics::Metrics;

/// The lease name one front end holds to publish CRLs.
const LEASE: &str = "crl";

/// How CRLs are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrlPolicy {
    /// nextUpdate - thisUpdate (BR §4.9.7: at most 10 days).
    pub validity: Duration,
    /// Republish at least this often, even without revocations (well before nextUpdate).
    pub refresh: Duration,
    /// A revocation is in a stored CRL within this.
    pub after_revocation: Duration,
    /// Certificates expired longer than this are left out of CRLs.
    pub expired_grace: Duration,
}

/// Seven-day CRLs refreshed daily; revocations published within a minute; expired certificates
/// kept for a day.
impl Default for CrlPolicy {
    fn default() -> Self {
        Self {
            validity: Duration::days(7),
            refresh: Duration::days(1),
            after_revocation: Duration::minutes(1),
            expired_grace: Duration::days(1),
        }
    }
}

impl CrlPolicy {
    /// How often the publisher looks for work: a quarter of `after_revocation`, between one and
    /// fifteen seconds.
    pub fn tick(&self) -> std::time::Duration {
        let quarter: i128 = (self.after_revocation / 4_i32).whole_milliseconds().clamp(1_000, 15_000);
        std::time::Duration::from_millis(u64::try_from(quarter).unwrap_or(15_000))
    }

    /// The time left before nextUpdate under which a CRL is reported as about to go stale: half
    /// of the margin a healthy one always has (validity - refresh).
    pub fn warn_within(&self) -> Duration {
        (self.validity - self.refresh) / 2_i32
    }
}

/// What one round of publication did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublishReport {
    /// Whether this front end held the lease (else it published nothing).
    pub leader: bool,
    /// CRLs signed and stored.
    pub published: Vec<Published>,
    /// CAs whose CRLs failed, with why (logged too).
    pub failed: Vec<(String, String)>,
}

/// One CRL signed and stored.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// CA name.
    pub ca: String,
    /// Full or a partition.
    #[serde(serialize_with = "scope_text")]
    pub scope: CrlScope,
    /// CRL number.
    pub number: u64,
    /// Entries.
    pub entries: u64,
    /// Size of the DER.
    pub bytes: usize,
    /// Seconds spent reading its entries, building, linting, signing and storing it.
    pub seconds: f64,
}

fn scope_text<S: serde::Serializer>(scope: &CrlScope, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&match scope {
        CrlScope::Full => "full".to_string(),
        CrlScope::Shard(n) => n.to_string(),
    })
}

/// The scopes a CA publishes: the full CRL, each configured partition, and any partition stored
/// before (certificates issued then still name it).
fn scopes(ca: &IssuingCa, urls: &Urls, stored: &[&CrlSummary]) -> Vec<CrlScope> {
    let mut all = vec![CrlScope::Full];
    let shards = urls.crl_shards(&ca.name);
    if shards > 1 && urls.base.is_some() {
        all.extend((0..shards).map(CrlScope::Shard));
    }
    for summary in stored {
        if !all.contains(&summary.scope) {
            all.push(summary.scope);
        }
    }
    all
}

impl Authority {
    /// The CRL policy in force.
    pub fn crl_policy(&self) -> CrlPolicy {
        self.crl_policy
    }

    /// One round: publishes every due CRL of every CA that can sign, if this front end holds
    /// the publishing lease.
    pub async fn publish_crls(&self) -> AuthorityResult<PublishReport> {
        self.publish_round(false).await
    }

    /// Publishes every CRL of every CA that can sign now, due or not (`signet crl publish
    /// --force`), if this process holds the publishing lease.
    pub async fn publish_all_crls(&self) -> AuthorityResult<PublishReport> {
        self.publish_round(true).await
    }

    async fn publish_round(&self, force: bool) -> AuthorityResult<PublishReport> {
        let mut report = PublishReport::default();
        if !self.store.publisher_lease(LEASE).await? {
            return Ok(report);
        }
        report.leader = true;
        let stored = self.store.crls().await?;
        for ca in self.registry.signing() {
            let mine: Vec<&CrlSummary> = stored.iter().filter(|s| s.ca_id == ca.id).collect();
            match self.publish_due(ca, &mine, force).await {
                Ok(done) => report.published.extend(done),
                Err(e) => {
                    tracing::warn!(ca = %ca.name, error = %e, "publishing a CRL failed; trying again next round");
                    report.failed.push((ca.name.clone(), e.to_string()));
                }
            }
        }
        Ok(report)
    }

    /// Publishes the due CRLs of one CA.
    async fn publish_due(
        &self,
        ca: &Arc<IssuingCa>,
        stored: &[&CrlSummary],
        force: bool,
    ) -> AuthorityResult<Vec<Published>> {
        let now = self.clock.now();
        let policy = self.crl_policy;
        let scopes = scopes(ca, &self.urls, stored);
        let by_scope: HashMap<CrlScope, &CrlSummary> = stored.iter().map(|s| (s.scope, *s)).collect();
        // Read before the entries: any change after it has a higher version and is caught next round.
        let version = self.store.revocation_version(ca.id).await?;
        let oldest = scopes.iter().map(|s| by_scope.get(s).map_or(-1, |c| c.source_version)).min().unwrap_or(-1);
        let changed = if version > oldest { self.store.changed_partitions(ca.id, oldest).await? } else { Vec::new() };
        let mut done = Vec::new();
        for scope in scopes {
            let due = match by_scope.get(&scope) {
                _ if force => true,
                None => true,
                Some(current) => {
                    let touched = match scope {
                        CrlScope::Full => version > current.source_version,
                        CrlScope::Shard(n) => {
                            changed.iter().any(|(shard, v)| *shard == Some(n) && *v > current.source_version)
                        }
                    };
                    now >= current.this_update + policy.refresh
                        || now >= current.next_update - policy.warn_within()
                        || (touched && now >= current.this_update + policy.after_revocation / 2_i32)
                }
            };
            if due {
                done.push(self.publish(ca, scope, version).await?);
            }
        }
        Ok(done)
    }

    /// Makes, signs and stores one CRL from the entries as they are now.
    async fn publish(&self, ca: &Arc<IssuingCa>, scope: CrlScope, version: i64) -> AuthorityResult<Published> {
        let started = std::time::Instant::now();
        let policy = self.crl_policy;
        let cutoff = self.clock.now() - policy.expired_grace;
        let entries = self.store.revoked(ca.id, scope, cutoff).await?;
        // After the read: every revocation read is at or before thisUpdate.
        let this_update = signet_issuance::certificate::whole_seconds(self.clock.now());
        let next_update = this_update + policy.validity;
        let floor = u64::try_from(this_update.unix_timestamp()).unwrap_or(0).saturating_mul(1000);
        let number = self.store.next_crl_number(ca.id, floor).await?;
        let distribution_point = match scope {
            CrlScope::Full => None,
            CrlScope::Shard(_) => Some(self.urls.crl(&ca.name, scope).ok_or_else(|| {
                AuthorityError::new(Kind::Internal, "a partitioned CRL needs server.public_url for its URL")
            })?),
        };
        let issuer = ca.clone();
        let signed = tokio::task::spawn_blocking(move || {
            let request = CrlRequest {
                issuer: &issuer,
                number,
                this_update,
                next_update,
                distribution_point: distribution_point.as_deref(),
                entries: &entries,
            };
            let prepared = crl::prepare(&request)?;
            for warning in &prepared.warnings {
                tracing::debug!(lint = warning.lint, "CRL lint warning: {}", warning.message);
            }
            let der = crl::sign(&issuer, &prepared)?;
            Ok::<_, signet_issuance::IssuanceError>((der, prepared.entries))
        })
        .await
        .map_err(|e| AuthorityError::new(Kind::Internal, format!("CRL signing stopped: {e}")))??;
        let (der, count) = signed;
        let bytes = der.len();
        let sha256 = Sha256::from_bytes(signet_codec::public_key::sha256(&der));
        let summary = CrlSummary {
            ca_id: ca.id,
            scope,
            number,
            this_update,
            next_update,
            entries: count,
            sha256,
            source_version: version,
        };
        let audit = AuditEvent::new(
            this_update,
            "system",
            "crl.publish",
            &format!("ca:{}", ca.name),
            json!({
                "scope": scope.to_string(),
                "number": number.to_string(),
                "entries": count,
                "next_update": signet_codec::describe::rfc3339(next_update),
                "sha256": sha256.to_hex(),
            }),
        );
        self.store.store_crl(CrlRecord { summary, der }, audit).await?;
        Metrics::count(&self.metrics.crls_published);
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(ca = %ca.name, %scope, number, entries = count, bytes, seconds, "CRL published");
        Ok(Published { ca: ca.name.clone(), scope, number, entries: count, bytes, seconds })
    }

    /// Runs [`Self::publish_crls`] every [`CrlPolicy::tick`], and at once after a revocation
    /// (still no more often than the policy allows), until the task is dropped.
    pub async fn run_crl_publisher(self: Arc<Self>) {
        let tick = self.crl_policy.tick();
        let mut leader = None;
        loop {
            // Every front end: a CA whose certificate another front end revoked stops issuing here.
            if let Err(e) = self.refresh_revoked_cas().await {
                tracing::warn!(error = %e, "cannot look up the CAs' own revocations");
            }
            // Every front end: cross-certificates made, expired or revoked since (no restart).
            if let Err(e) = self.refresh_alternates().await {
                tracing::warn!(error = %e, "cannot look up the alternate CA certificates");
            }
            match self.publish_crls().await {
                Ok(report) => {
                    if leader != Some(report.leader) {
                        tracing::info!(
                            leader = report.leader,
                            "{}",
                            if report.leader {
                                "this front end publishes CRLs"
                            } else {
                                "another front end publishes CRLs; this one serves what it stores"
                            }
                        );
                        leader = Some(report.leader);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "CRL publication round failed"),
            }
            let woken = self.revocations.notified();
            tokio::select! {
                () = tokio::time::sleep(tick) => {}
                () = woken => {}
            }
        }
    }
}

/// Where one CRL stands, for `/healthz` and `signet ca status` (seed P18: warn before it goes
/// stale, not after).
#[derive(Debug, Clone, Serialize)]
pub struct CrlStatus {
    /// CA name.
    pub ca: String,
    /// `full`, or the partition number.
    pub scope: String,
    /// `ok`, `stale-soon` (less than the warning margin left), `stale` (past nextUpdate) or
    /// `missing` (never published).
    pub state: &'static str,
    /// CRL number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Seconds since thisUpdate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<i64>,
    /// nextUpdate (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
    /// Entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
}

/// The status of every CRL the CAs `cas` (name, id, can sign) should publish, at `now`.
pub async fn crl_status(
    store: &dyn StoreRead,
    cas: &[(String, CaId, bool)],
    urls: &Urls,
    policy: &CrlPolicy,
    now: OffsetDateTime,
) -> AuthorityResult<Vec<CrlStatus>> {
    let stored = store.crls().await?;
    let mut out = Vec::new();
    for (name, id, signs) in cas {
        let mut scopes: Vec<CrlScope> = stored.iter().filter(|s| s.ca_id == *id).map(|s| s.scope).collect();
        if *signs {
            scopes.push(CrlScope::Full);
            let shards = urls.crl_shards(name);
            if shards > 1 {
                scopes.extend((0..shards).map(CrlScope::Shard));
            }
        }
        scopes.sort();
        scopes.dedup();
        for scope in scopes {
            let label = match scope {
                CrlScope::Full => "full".to_string(),
                CrlScope::Shard(n) => n.to_string(),
            };
            let status = match stored.iter().find(|s| s.ca_id == *id && s.scope == scope) {
                None => CrlStatus {
                    ca: name.clone(),
                    scope: label,
                    state: "missing",
                    number: None,
                    age_seconds: None,
                    next_update: None,
                    entries: None,
                },
                Some(s) => CrlStatus {
                    ca: name.clone(),
                    scope: label,
                    state: if now >= s.next_update {
                        "stale"
                    } else if s.next_update - now < policy.warn_within() {
                        "stale-soon"
                    } else {
                        "ok"
                    },
                    number: Some(s.number.to_string()),
                    age_seconds: Some((now - s.this_update).whole_seconds()),
                    next_update: Some(signet_codec::describe::rfc3339(s.next_update)),
                    entries: Some(s.entries),
                },
            };
            out.push(status);
        }
    }
    Ok(out)
}

impl Authority {
    /// The status of every CRL this authority's CAs publish.
    pub async fn crl_status(&self) -> AuthorityResult<Vec<CrlStatus>> {
        let cas: Vec<(String, CaId, bool)> = self
            .registry
            .ids()
            .into_iter()
            .map(|(name, id)| (name.to_string(), id, self.registry.issuer(name).is_ok()))
            .collect();
        crl_status(self.store.as_ref(), &cas, &self.urls, &self.crl_policy, self.clock.now()).await
    }

    /// The stored id of a CA, by name.
    pub fn ca_id_of(&self, name: &str) -> Option<CaId> {
        self.registry.ca_id(name)
    }

    /// The names of the CAs, for messages that name the ones there are.
    pub fn ca_names(&self) -> Vec<&str> {
        self.registry.ids().into_iter().map(|(name, _)| name).collect()
    }
}
