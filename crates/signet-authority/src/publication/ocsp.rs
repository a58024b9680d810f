//! Pre-signed OCSP responses (RFC 5019): made in the background, stored, and served without
//! signing on the hot path (Boulder's ocsp-updater beside its ocsp-responder).
//!
//! A certificate's response is due when it is issued, when it is revoked or released (the store
//! marks it, in the revocation's transaction) and when its refresh time comes (well before
//! nextUpdate). The front end holding the `ocsp` lease signs the due ones in batches, off the
//! issuance path, with the CA's delegated responder: a certificate signet issues to itself
//! (id-kp-OCSPSigning, id-pkix-ocsp-nocheck, short-lived; recorded like any certificate), whose
//! key is sealed like the CAs', rotated at half its life. The CA key then never signs a
//! response. With `signer = "ca"` the CA signs them itself. Revocations are signed first; while
//! this front end is busy issuing, new certificates' responses wait for a quieter round (each
//! costs CPU the issuances need; meanwhile they are answered by signing on demand). A response made from a certificate
//! that changed meanwhile is not stored, so a revocation is never overwritten by "good".

use std::sync::Arc;

use serde_json::json;
use signet_issuance::IssuingCa;
use signet_issuance::ocsp::{self, IssuerHashes, Responder, ResponseRequest, Status};
use signet_keys::KeyAlgorithm;
use signet_model::{CaId, RevocationReason, Serial, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{OcspResponderRecord, OcspResponseRecord, OcspWork};
use time::{Duration, OffsetDateTime};

use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::signing::InternalIssuance;

/// The lease name one front end holds to make OCSP responses.
const LEASE: &str = "ocsp";

/// Certificates issued by this front end between two rounds above which it is busy issuing:
/// new certificates' responses then wait for a quieter round (revocations and refreshes never
/// wait), and a certificate without one yet is answered by signing on demand.
const BUSY_ISSUING: u64 = 100;

/// Responses signed and stored per batch (one transaction, one audit entry): small enough that
/// storing a batch holds the store's writer, the issuance path's too, for milliseconds only.
const BATCH: u32 = 500;

/// Who signs OCSP responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspSigner {
    /// A delegated responder certificate signet issues and rotates (RFC 6960 §4.2.2.2).
    Delegated,
    /// The CA's own key.
    Ca,
}

/// How OCSP responses are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspPolicy {
    /// Whether responses are made at all (an OCSP URL is configured).
    pub enabled: bool,
    /// nextUpdate - thisUpdate (BR §4.9.10: 8 hours to 10 days).
    pub validity: Duration,
    /// A response is made again after this.
    pub refresh: Duration,
    /// Who signs.
    pub signer: OcspSigner,
    /// Validity of a delegated responder's certificate; it is replaced at half of it.
    pub responder_validity: Duration,
    /// Whether a request's nonce is echoed (RFC 8954), in a response signed for it.
    pub nonce: bool,
}

/// Three-day responses refreshed daily by a delegated responder valid 14 days; no nonces.
impl Default for OcspPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            validity: Duration::days(3),
            refresh: Duration::days(1),
            signer: OcspSigner::Delegated,
            responder_validity: Duration::days(14),
            nonce: false,
        }
    }
}

/// A CA's responder as in use: who signs, and until when its certificate is good.
#[derive(Clone)]
pub(crate) struct CurrentResponder {
    responder: Responder,
    /// Its certificate's serial under the CA, to notice a revocation.
    serial: Serial,
    created_at: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// What one round of OCSP signing did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OcspReport {
    /// Whether this front end held the lease.
    pub leader: bool,
    /// Responses stored.
    pub stored: usize,
    /// Delegated responders issued.
    pub responders_issued: usize,
    /// CAs whose responses failed, with why.
    pub failed: Vec<(String, String)>,
}

impl Authority {
    /// The OCSP policy in force.
    pub fn ocsp_policy(&self) -> OcspPolicy {
        self.ocsp_policy
    }

    /// Each CA's current responder, for signing responses on demand (a nonce, an unknown
    /// serial, a CertID with another hash): the delegated responders this process uses, or the
    /// CAs themselves with `signer = "ca"`.
    pub fn responders(&self) -> Vec<(CaId, Responder)> {
        match self.ocsp_policy.signer {
            OcspSigner::Ca => self
                .registry
                .signing()
                .into_iter()
                .map(|ca| (ca.id, Responder { signer: ca.signer.clone(), certificate: None }))
                .collect(),
            OcspSigner::Delegated => self
                .responders
                .lock()
                .map(|all| all.iter().map(|(id, current)| (*id, current.responder.clone())).collect())
                .unwrap_or_default(),
        }
    }

    /// One round: if this front end holds the lease, makes every due response of every CA that
    /// can sign (issuing or rotating delegated responders first). Without the lease it only
    /// loads the current responders, for signing on demand.
    pub async fn publish_ocsp(&self) -> AuthorityResult<OcspReport> {
        let mut report = OcspReport::default();
        if !self.ocsp_policy.enabled {
            return Ok(report);
        }
        report.leader = self.store.publisher_lease(LEASE).await?;
        let issued = self.metrics.issued.load(std::sync::atomic::Ordering::Relaxed);
        let before = self.ocsp_issued_seen.swap(issued, std::sync::atomic::Ordering::Relaxed);
        let new_certificates = issued.saturating_sub(before) <= BUSY_ISSUING;
        for ca in self.registry.signing() {
            let result = async {
                let responder = self.responder(ca, report.leader).await?;
                match responder {
                    Some((responder, issued)) if report.leader => {
                        report.responders_issued += usize::from(issued);
                        report.stored += self.sign_due(ca, &responder, new_certificates).await?;
                    }
                    _ => {}
                }
                Ok::<_, AuthorityError>(())
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(ca = %ca.name, error = %e, "making OCSP responses failed; trying again next round");
                report.failed.push((ca.name.clone(), e.to_string()));
            }
        }
        Ok(report)
    }

    /// The responder to sign with for `ca`, and whether it was just issued: the CA itself, or its
    /// delegated responder — the newest stored, and (only when `may_issue`) issued or replaced
    /// when missing, past half its life or revoked. Without `may_issue` the store is asked every
    /// round, so a front end that does not sign rounds follows the leader's replacement within
    /// one round when it signs on demand.
    async fn responder(&self, ca: &Arc<IssuingCa>, may_issue: bool) -> AuthorityResult<Option<(Responder, bool)>> {
        if self.ocsp_policy.signer == OcspSigner::Ca {
            return Ok(Some((Responder { signer: ca.signer.clone(), certificate: None }, false)));
        }
        let now = self.clock.now();
        let fresh = |c: &CurrentResponder| {
            now < c.created_at + self.ocsp_policy.responder_validity / 2_i32 && now < c.not_after
        };
        let cached = self.responders.lock().ok().and_then(|all| all.get(&ca.id).cloned());
        // The leader trusts its own fresh responder; otherwise the newest stored one counts.
        let current = match cached.clone().filter(|c| may_issue && fresh(c)) {
            Some(current) => Some(current),
            None => self.stored_responder(ca, cached).await?,
        };
        let mut revoked = false;
        if let Some(current) = current {
            // A revoked responder (its key compromised, or an operator's decision) signs nothing
            // more: the leader replaces it now rather than at half its life.
            revoked = may_issue && self.responder_revoked(ca, &current).await?;
            if (fresh(&current) && !revoked) || (!may_issue && now < current.not_after) {
                self.remember(ca.id, &current);
                return Ok(Some((current.responder, false)));
            }
        }
        if !may_issue {
            return Ok(None);
        }
        let current = self.issue_responder(ca, revoked).await?;
        self.remember(ca.id, &current);
        Ok(Some((current.responder, true)))
    }

    /// The newest stored responder of `ca`, its key opened (or taken from `cached` when it is
    /// the same one).
    async fn stored_responder(
        &self,
        ca: &Arc<IssuingCa>,
        cached: Option<CurrentResponder>,
    ) -> AuthorityResult<Option<CurrentResponder>> {
        let Some(record) = self.store.ocsp_responders().await?.into_iter().rfind(|r| r.ca_id == ca.id) else {
            return Ok(None);
        };
        if let Some(current) = cached.filter(|c| c.serial == record.serial) {
            return Ok(Some(current));
        }
        let what = format!("the OCSP responder of CA {}", ca.name);
        Ok(Some(CurrentResponder {
            responder: Responder {
                signer: self.keys.open_sealed(&record.encrypted_key, &what)?,
                certificate: Some(record.certificate),
            },
            serial: record.serial,
            created_at: record.created_at,
            not_after: record.not_after,
        }))
    }

    /// Whether `current`'s certificate was revoked (or put on hold); logged once it is noticed.
    async fn responder_revoked(&self, ca: &Arc<IssuingCa>, current: &CurrentResponder) -> AuthorityResult<bool> {
        let revoked = self.store.certificate(ca.id, &current.serial).await?.and_then(|c| c.revocation);
        if let Some(revocation) = &revoked {
            tracing::warn!(
                ca = %ca.name,
                serial = %current.serial,
                reason = %revocation.reason,
                "the delegated OCSP responder's certificate was revoked; issuing a new responder"
            );
        }
        Ok(revoked.is_some())
    }

    fn remember(&self, ca: CaId, current: &CurrentResponder) {
        if let Ok(mut all) = self.responders.lock() {
            all.insert(ca, current.clone());
        }
    }

    /// Issues a delegated responder certificate for `ca` to a new key, recorded like any
    /// issuance (intent before signature), and stores it with its sealed key; `replaces_revoked`:
    /// every response the old one signed is signed again, starting at once.
    async fn issue_responder(&self, ca: &Arc<IssuingCa>, replaces_revoked: bool) -> AuthorityResult<CurrentResponder> {
        let now = self.clock.now();
        let key = self.keys.generate(KeyAlgorithm::EcP256)?;
        let prepared =
            ocsp::responder_certificate(ca, key.signer.spki_der(), now, self.ocsp_policy.responder_validity)?;
        let issued = InternalIssuance {
            issuer: ca.clone(),
            prepared,
            profile: "ocsp-responder",
            csr: ocsp::responder_request(&ca.name, key.signer.as_ref())?,
            spki_sha256: Sha256::from_bytes(signet_codec::public_key::sha256(key.signer.spki_der())),
            actor: "system".into(),
            for_ca: ca.name.clone(),
            details: json!({"ocsp_responder": ca.name}),
        }
        .run(self.store.as_ref(), self.clock.as_ref())
        .await?;
        let record = OcspResponderRecord {
            ca_id: ca.id,
            serial: issued.certificate.serial,
            certificate: issued.completion.der.clone(),
            encrypted_key: key.stored,
            not_after: issued.certificate.not_after,
            created_at: now,
        };
        let audit = AuditEvent::new(
            now,
            "system",
            "ocsp.responder",
            &format!("ca:{}", ca.name),
            json!({
                "serial": record.serial.to_hex(),
                "not_after": signet_codec::describe::rfc3339(record.not_after),
                "replaces_revoked": replaces_revoked,
            }),
        );
        self.store.store_ocsp_responder(record.clone(), replaces_revoked, audit).await?;
        tracing::info!(ca = %ca.name, serial = %record.serial, "delegated OCSP responder issued");
        Ok(CurrentResponder {
            serial: record.serial,
            responder: Responder { signer: key.signer, certificate: Some(record.certificate) },
            created_at: now,
            not_after: record.not_after,
        })
    }

    /// Signs and stores every due response of one CA, in batches; answers how many were stored.
    async fn sign_due(
        &self,
        ca: &Arc<IssuingCa>,
        responder: &Responder,
        new_certificates: bool,
    ) -> AuthorityResult<usize> {
        let hashes = IssuerHashes::of(&ca.certificate)?;
        let mut stored = 0;
        loop {
            let now = signet_issuance::certificate::whole_seconds(self.clock.now());
            let work = self.store.ocsp_due(ca.id, now, now - Duration::days(1), new_certificates, BATCH).await?;
            if work.is_empty() {
                break;
            }
            let full = work.len() == BATCH as usize;
            let policy = self.ocsp_policy;
            let (responder, hashes, ca_id) = (responder.clone(), hashes.clone(), ca.id);
            let (records, revoked) =
                tokio::task::spawn_blocking(move || sign_batch(&responder, &hashes, ca_id, &work, now, &policy))
                    .await
                    .map_err(|e| AuthorityError::new(Kind::Internal, format!("OCSP signing stopped: {e}")))??;
            let count = records.len();
            let audit = AuditEvent::new(
                now,
                "system",
                "ocsp.refresh",
                &format!("ca:{}", ca.name),
                json!({"responses": count, "revoked": revoked}),
            );
            stored += self.store.store_ocsp_responses(records, audit).await?;
            if !full {
                break;
            }
        }
        if stored > 0 {
            tracing::debug!(ca = %ca.name, stored, "OCSP responses made");
        }
        Ok(stored)
    }

    /// Runs [`Self::publish_ocsp`] every few seconds and at once after a revocation, until the
    /// task is dropped.
    pub async fn run_ocsp_publisher(self: Arc<Self>) {
        let mut leader = None;
        loop {
            let woken = self.revocations.notified();
            match self.publish_ocsp().await {
                Ok(report) if leader != Some(report.leader) => {
                    tracing::info!(
                        leader = report.leader,
                        "{}",
                        if report.leader {
                            "this front end makes OCSP responses"
                        } else {
                            "another front end makes OCSP responses"
                        }
                    );
                    leader = Some(report.leader);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "OCSP round failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                () = woken => {}
            }
        }
    }
}

/// Signs one batch; answers the records and how many are revoked.
fn sign_batch(
    responder: &Responder,
    hashes: &IssuerHashes,
    ca_id: CaId,
    work: &[OcspWork],
    now: OffsetDateTime,
    policy: &OcspPolicy,
) -> AuthorityResult<(Vec<OcspResponseRecord>, usize)> {
    let mut records = Vec::with_capacity(work.len());
    let mut revoked = 0;
    for item in work {
        let status = match item.revocation {
            Some((at, reason)) => {
                revoked += 1;
                Status::Revoked { at, reason }
            }
            None => Status::Good,
        };
        let next_update = now + policy.validity;
        let request = ResponseRequest {
            cert_id: hashes.sha1_cert_id(&item.serial)?,
            status,
            this_update: now,
            next_update,
            nonce: None,
        };
        let prepared = ocsp::prepare(responder, &request)?;
        let der = ocsp::sign(responder, &prepared)?;
        // Refreshed in time; the last one before expiry is not followed by another.
        let due = now + policy.refresh;
        records.push(OcspResponseRecord {
            ca_id,
            serial: item.serial,
            this_update: now,
            next_update,
            der,
            revocation_version: item.revocation_version,
            due: (item.not_after > due || item.revocation.is_some_and(|(_, r)| r == RevocationReason::CertificateHold))
                .then_some(due),
        });
    }
    Ok((records, revoked))
}
