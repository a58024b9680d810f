//! Alternate certificates for a CA's key (seed CA-6's cross-certificates; RFC 8555 §7.4.2
//! alternate chains): a cross-sign by another local CA, made, linted and recorded like a
//! subordinate CA certificate, or a certificate from an outside CA installed with its chain.
//! Each gives everything the CA issued one more path to a root; `signet serve` offers them
//! after its next start.

use std::sync::Arc;

use serde_json::json;
use signet_issuance::Urls;
use signet_model::{Clock, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{CaAlternateRecord, CaKind, CaRecord, NewCaAlternate, Store, StoreRead};
use time::Duration;

use crate::chains::Hierarchy;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::keys::CaKeys;
use crate::registry::open;
use crate::signing::InternalIssuance;

fn refused(message: impl Into<String>) -> AuthorityError {
    AuthorityError::new(Kind::RejectedByPolicy, message)
}

fn internal(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError::new(Kind::Internal, e.to_string())
}

fn find<'a>(cas: &'a [CaRecord], name: &str) -> AuthorityResult<&'a CaRecord> {
    cas.iter().find(|c| c.name == name).ok_or_else(|| {
        let known: Vec<&str> = cas.iter().map(|c| c.name.as_str()).collect();
        AuthorityError::new(Kind::NotFound, format!("there is no CA named {name} (the CAs are: {})", known.join(", ")))
    })
}

fn primary(record: &CaRecord) -> AuthorityResult<&[u8]> {
    record.certificate.as_deref().ok_or_else(|| {
        AuthorityError::new(
            Kind::Conflict,
            format!("CA {} has no certificate yet: install it first with `signet ca install-cert`", record.name),
        )
    })
}

async fn stored(store: &dyn Store, id: i64) -> AuthorityResult<CaAlternateRecord> {
    store.ca_alternates().await?.into_iter().find(|a| a.id == id).ok_or_else(|| internal("alternate vanished"))
}

/// Has CA `by` sign a certificate for CA `name`'s subject and key (a cross-certificate), valid
/// for `validity` (default: until the earlier of `name`'s certificate's end and `by`'s), and
/// stores it as an alternate of `name`. Refuses a CA cross-signing itself, an issuer below
/// `name` (a loop), and an issuer that cannot sign (revoked, expired, no certificate, test root).
#[allow(clippy::too_many_arguments)] // the composition root's parts, as `ca_admin::create` takes them
pub async fn cross_sign(
    store: &dyn Store,
    clock: &dyn Clock,
    urls: &Urls,
    keys: &dyn CaKeys,
    actor: &str,
    name: &str,
    by: &str,
    validity: Option<Duration>,
) -> AuthorityResult<CaAlternateRecord> {
    if name == by {
        return Err(refused(format!("CA {name} cannot cross-sign itself: name another CA with --by")));
    }
    let cas = store.cas().await?;
    let subject = find(&cas, name)?;
    let issuer = find(&cas, by)?;
    let subject_certificate = primary(subject)?;
    primary(issuer)?;
    if issuer.kind == CaKind::TestRoot {
        return Err(refused("the test root issues only test certificates, never CA certificates"));
    }
    let alternates = store.ca_alternates().await?;
    if Hierarchy::new(&cas, &alternates).above(by).iter().any(|above| above == name) {
        return Err(refused(format!(
            "CA {by} is below {name} (it chains up to it): a cross-sign by it would make a loop; pick a CA outside {name}'s hierarchy"
        )));
    }
    let checked: Vec<(String, signet_model::CaId, Vec<u8>)> =
        cas.iter().filter_map(|c| c.certificate.clone().map(|der| (c.name.clone(), c.id, der))).collect();
    if let Some(revoked) = crate::ca_revocation::revoked_cas(store, &checked).await?.into_iter().find(|r| r.ca == by) {
        return Err(refused(format!("CA {by} cannot sign: {}", revoked.describe())));
    }
    let now = clock.now();
    let issuing = Arc::new(open(issuer, keys)?);
    if issuing.not_after <= now {
        return Err(refused(format!("CA {by} cannot sign: its certificate has expired")));
    }
    let subject_end = signet_codec::certificate::facts(subject_certificate).map_err(internal)?.not_after;
    let validity = match validity {
        Some(v) => v,
        None => {
            let end = subject_end.min(issuing.not_after);
            let (not_before, _) = signet_issuance::certificate::window(now, Duration::ZERO);
            if end <= not_before {
                return Err(refused(format!("CA {name}'s certificate has expired: renew it before cross-signing")));
            }
            end - not_before + Duration::seconds(1)
        }
    };
    let prepared = signet_issuance::cross::cross_certificate(subject_certificate, &issuing, urls, now, validity)?;
    let key = keys.open(subject)?;
    let csr = signet_issuance::cross::request(subject_certificate, key.as_ref())?;
    let not_after = prepared.not_after;
    let signed = InternalIssuance {
        issuer: issuing,
        prepared,
        profile: "ca-cross-sign",
        csr,
        spki_sha256: Sha256::from_bytes(signet_codec::public_key::sha256(key.spki_der())),
        actor: actor.to_string(),
        for_ca: name.to_string(),
        details: json!({"cross_sign": name}),
    }
    .run(store, clock)
    .await?;
    let certificate = signed.completion.der;
    let sha256 = signet_codec::public_key::sha256(&certificate);
    let audit = AuditEvent::new(
        clock.now(),
        actor,
        "ca.cross-sign",
        &format!("ca:{name}"),
        json!({"by": by, "sha256": signet_codec::public_key::sha256_hex(&certificate), "not_after": signet_codec::describe::rfc3339(not_after)}),
    );
    let alternate = NewCaAlternate {
        ca_id: subject.id,
        certificate,
        sha256: Sha256::from_bytes(sha256),
        issuer_ca: Some(by.to_string()),
        chain: Vec::new(),
        not_after,
        created_at: clock.now(),
    };
    let id = store.add_ca_alternate(alternate, audit).await?;
    stored(store, id).await
}

/// Installs `certificates[0]`, a certificate an outside CA issued for CA `name`'s key, as an
/// alternate of `name`; the rest are its issuer's chain (issuer first), kept up to, not
/// including, a self-signed root. Refused unless it is a CA certificate with the subject and
/// public key of `name`'s certificate, within its validity, from another issuer, and unless
/// each certificate of the chain verifies under the next.
pub async fn install_alternate(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &str,
    name: &str,
    certificates: &[Vec<u8>],
) -> AuthorityResult<CaAlternateRecord> {
    let cas = store.cas().await?;
    let record = find(&cas, name)?;
    let own = signet_codec::certificate::facts(primary(record)?).map_err(internal)?;
    let Some((certificate, rest)) = certificates.split_first() else {
        return Err(AuthorityError::new(Kind::Malformed, "the file holds no certificate"));
    };
    let facts = |der: &[u8]| {
        signet_codec::certificate::facts(der)
            .map_err(|e| AuthorityError::new(Kind::Malformed, format!("a certificate does not parse: {e}")))
    };
    let cert = facts(certificate)?;
    if !cert.is_ca {
        return Err(refused("this is not a CA certificate (basicConstraints cA is not set)"));
    }
    if cert.subject_der != own.subject_der {
        return Err(refused(format!(
            "its subject ({}) is not CA {name}'s ({}): an alternate certifies the same CA",
            cert.subject, own.subject
        )));
    }
    if cert.spki_der != own.spki_der {
        return Err(refused(format!("it is for another key: its public key is not CA {name}'s")));
    }
    if cert.subject_key_id != own.subject_key_id {
        return Err(refused(format!(
            "its subjectKeyIdentifier is not CA {name}'s: what the CA issued names its key identifier, so chains through this certificate would not verify; ask the issuer to copy the identifier from the CA's certificate"
        )));
    }
    if certificate.as_slice() == primary(record)? {
        return Err(AuthorityError::new(Kind::Conflict, format!("this is CA {name}'s own certificate")));
    }
    if cert.issuer_der == cert.subject_der {
        return Err(refused("it is self-signed: an alternate is issued by another CA"));
    }
    let now = clock.now();
    if now < cert.not_before || cert.not_after <= now {
        return Err(refused(format!(
            "it is not valid now (valid {} to {})",
            signet_codec::describe::rfc3339(cert.not_before),
            signet_codec::describe::rfc3339(cert.not_after)
        )));
    }
    let mut chain = Vec::new();
    let mut expected_subject = cert.issuer_der.clone();
    let mut below: &[u8] = certificate;
    for der in rest {
        let next = facts(der)?;
        if next.subject_der != expected_subject {
            return Err(AuthorityError::new(
                Kind::Malformed,
                format!(
                    "the certificates after the first must be its issuer's chain, issuer first: {} did not issue the one before it",
                    next.subject
                ),
            ));
        }
        if !signet_codec::certificate::issued_by(below, der).map_err(internal)? {
            return Err(refused(format!(
                "{} did not sign the certificate before it in the file (its signature does not verify with that CA's key): check that the chain is the one the issuer sent",
                next.subject
            )));
        }
        below = der;
        if next.issuer_der == next.subject_der {
            break;
        }
        expected_subject = next.issuer_der.clone();
        chain.push(der.clone());
    }
    let sha256 = signet_codec::public_key::sha256(certificate);
    let audit = AuditEvent::new(
        now,
        actor,
        "ca.install-alternate",
        &format!("ca:{name}"),
        json!({"issuer": cert.issuer, "sha256": signet_codec::public_key::sha256_hex(certificate), "chain": chain.len()}),
    );
    let alternate = NewCaAlternate {
        ca_id: record.id,
        certificate: certificate.clone(),
        sha256: Sha256::from_bytes(sha256),
        issuer_ca: None,
        chain,
        not_after: cert.not_after,
        created_at: now,
    };
    let id = store.add_ca_alternate(alternate, audit).await?;
    stored(store, id).await
}

/// The alternates worth offering at `now`: not expired, and not revoked by the local CA that
/// cross-signed them (a revoked cross-certificate's path would fail at every relying party).
pub async fn offered(
    store: &dyn StoreRead,
    cas: &[CaRecord],
    alternates: Vec<CaAlternateRecord>,
    now: time::OffsetDateTime,
) -> AuthorityResult<Vec<CaAlternateRecord>> {
    let mut kept = Vec::with_capacity(alternates.len());
    for alternate in alternates {
        if alternate.not_after <= now {
            continue;
        }
        let signer = alternate.issuer_ca.as_deref().and_then(|by| cas.iter().find(|c| c.name == by));
        let serial = signet_codec::describe::certificate(&alternate.certificate, now)
            .ok()
            .and_then(|info| signet_model::Serial::parse_hex(&info.serial).ok());
        if let (Some(signer), Some(serial)) = (signer, serial)
            && let Some(record) = store.certificate(signer.id, &serial).await?
            && record.der.as_deref() == Some(alternate.certificate.as_slice())
            && record.revocation.is_some()
        {
            // Looked up every publication round: the change is logged where the offer changes.
            tracing::debug!(
                ca = alternate.ca_id.get(),
                by = signer.name,
                "a cross-certificate was revoked: its chain is not offered"
            );
            continue;
        }
        kept.push(alternate);
    }
    Ok(kept)
}
