//! Creating and completing CAs (seed CA-1 to CA-6): roots, the separate FOR TESTING ONLY root,
//! subordinates signed by a local parent (recorded like any issuance: intent before signature),
//! and subordinates whose certificate comes from an external parent via a CSR.

use std::sync::Arc;

use serde_json::json;
use signet_issuance::ca::{self, CaSpec};
use signet_issuance::{IssuingCa, Urls};
use signet_keys::{KeyAlgorithm, Signer};
use signet_model::{Clock, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{CaKind, CaRecord, NewCa, Store};

use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::keys::CaKeys;
use crate::registry::open;
use crate::signing::InternalIssuance;

/// How a new CA gets its certificate.
#[derive(Debug, Clone)]
pub enum Placement {
    /// Self-signed root.
    Root,
    /// Self-signed root FOR TESTING ONLY, kept apart from production keys (seed ISS-1, ISS-2).
    TestRoot,
    /// Signed now by a local parent CA.
    Under(String),
    /// A CSR to take to a parent outside signet; completed by [`install_certificate`].
    External,
}

/// A CA to create.
#[derive(Debug, Clone)]
pub struct CaOptions {
    /// Unique name.
    pub name: String,
    /// Where its certificate comes from.
    pub placement: Placement,
    /// Key algorithm.
    pub algorithm: KeyAlgorithm,
    /// Subject and constraints.
    pub spec: CaSpec,
}

/// The result of creating a CA.
#[derive(Debug)]
pub struct Created {
    /// The stored CA.
    pub record: CaRecord,
    /// The CSR to send to an external parent.
    pub csr: Option<Vec<u8>>,
}

fn internal(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError::new(Kind::Internal, e.to_string())
}

fn check_name(name: &str) -> AuthorityResult<()> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AuthorityError::new(
            Kind::Malformed,
            format!("{name:?}: a CA name is 1-64 letters, digits, - or _ (it appears in URLs)"),
        ))
    }
}

/// Creates a CA: makes its key through `keys`, stores it, and makes its certificate (or CSR).
pub async fn create(
    store: &dyn Store,
    clock: &dyn Clock,
    urls: &Urls,
    keys: &dyn CaKeys,
    actor: &str,
    options: CaOptions,
) -> AuthorityResult<Created> {
    check_name(&options.name)?;
    if store.cas().await?.iter().any(|c| c.name == options.name) {
        return Err(AuthorityError::new(Kind::Conflict, format!("a CA named {} already exists", options.name)));
    }
    let new_key = keys.generate(options.algorithm)?;
    let key = new_key.signer;
    let now = clock.now();
    let (kind, parent, certificate, csr) = match &options.placement {
        Placement::Root | Placement::TestRoot => {
            let certificate = ca::root(&options.spec, key.clone(), now)?;
            let kind = if matches!(options.placement, Placement::TestRoot) { CaKind::TestRoot } else { CaKind::Root };
            (kind, None, Some(certificate), None)
        }
        Placement::Under(parent_name) => {
            let parent_record =
                store.cas().await?.into_iter().find(|c| &c.name == parent_name).ok_or_else(|| {
                    AuthorityError::new(Kind::NotFound, format!("there is no CA named {parent_name}"))
                })?;
            if parent_record.kind == CaKind::TestRoot {
                return Err(AuthorityError::new(
                    Kind::RejectedByPolicy,
                    "the test root issues only test certificates, never CAs",
                ));
            }
            let parent = Arc::new(open(&parent_record, keys)?);
            let certificate = sign_subordinate(store, clock, urls, actor, parent, &options, key.as_ref()).await?;
            (CaKind::Subordinate, Some(parent_name.clone()), Some(certificate), None)
        }
        Placement::External => (CaKind::Subordinate, None, None, Some(ca::request(&options.spec, key.as_ref())?)),
    };
    let not_after = certificate.as_deref().map(certificate_not_after).transpose()?;
    let record = NewCa {
        name: options.name.clone(),
        kind,
        parent: parent.clone(),
        certificate: certificate.clone(),
        csr: csr.clone(),
        encrypted_key: new_key.stored,
        not_after,
        created_at: now,
    };
    let audit = AuditEvent::new(
        now,
        actor,
        "ca.create",
        &format!("ca:{}", options.name),
        json!({"kind": kind.as_str(), "parent": parent, "algorithm": options.algorithm.as_str(), "subject": options.spec.common_name}),
    );
    let id = store.create_ca(record, audit).await?;
    let stored =
        store.cas().await?.into_iter().find(|c| c.id == id).ok_or_else(|| internal("CA vanished after creation"))?;
    Ok(Created { record: stored, csr })
}

/// Issues a subordinate CA certificate under a local parent, recording the serial and TBS first.
async fn sign_subordinate(
    store: &dyn Store,
    clock: &dyn Clock,
    urls: &Urls,
    actor: &str,
    parent: Arc<IssuingCa>,
    options: &CaOptions,
    key: &dyn Signer,
) -> AuthorityResult<Vec<u8>> {
    let prepared = ca::subordinate(&options.spec, key.spki_der(), &parent, urls, clock.now())?;
    let csr = ca::request(&options.spec, key)?;
    let issued = InternalIssuance {
        issuer: parent,
        prepared,
        profile: "ca-init",
        csr,
        spki_sha256: Sha256::from_bytes(signet_codec::public_key::sha256(key.spki_der())),
        actor: actor.to_string(),
        for_ca: options.name.clone(),
        details: json!({"subordinate": options.name}),
    }
    .run(store, clock)
    .await?;
    Ok(issued.completion.der)
}

fn certificate_not_after(der: &[u8]) -> AuthorityResult<time::OffsetDateTime> {
    Ok(signet_codec::certificate::facts(der).map_err(internal)?.not_after)
}

/// Installs the certificate an external parent issued for a CA created with [`Placement::External`].
pub async fn install_certificate(
    store: &dyn Store,
    clock: &dyn Clock,
    keys: &dyn CaKeys,
    actor: &str,
    name: &str,
    certificate: &[u8],
) -> AuthorityResult<CaRecord> {
    let record = store
        .cas()
        .await?
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| AuthorityError::new(Kind::NotFound, format!("there is no CA named {name}")))?;
    if record.certificate.is_some() {
        return Err(AuthorityError::new(Kind::Conflict, format!("CA {name} already has its certificate")));
    }
    let cert = signet_codec::certificate::facts(certificate)
        .map_err(|e| AuthorityError::new(Kind::Malformed, format!("the certificate does not parse: {e}")))?;
    if !cert.is_ca {
        return Err(AuthorityError::new(
            Kind::RejectedByPolicy,
            "this is not a CA certificate (basicConstraints cA is not set): the parent must issue it from a subordinate-CA profile",
        ));
    }
    let signer = keys.open(&record)?;
    if cert.spki_der != signer.spki_der() {
        return Err(AuthorityError::new(
            Kind::RejectedByPolicy,
            format!(
                "this certificate is for another key: it does not match the key of CA {name} (was it issued for this CA's CSR?)"
            ),
        ));
    }
    let not_after = cert.not_after;
    if not_after <= clock.now() {
        return Err(AuthorityError::new(Kind::RejectedByPolicy, "this certificate has already expired"));
    }
    let audit = AuditEvent::new(
        clock.now(),
        actor,
        "ca.install-certificate",
        &format!("ca:{name}"),
        json!({"sha256": signet_codec::public_key::sha256_hex(certificate), "issuer": cert.issuer}),
    );
    store.install_ca_certificate(record.id, certificate.to_vec(), not_after, audit).await?;
    store.cas().await?.into_iter().find(|c| c.name == name).ok_or_else(|| internal("CA vanished"))
}

/// The development hierarchy `signet serve` creates on first start: a root, an issuing CA under
/// it, and a separate test root.
pub async fn bootstrap_development(
    store: &dyn Store,
    clock: &dyn Clock,
    urls: &Urls,
    keys: &dyn CaKeys,
) -> AuthorityResult<()> {
    let spec = |cn: &str, years: i64, path: Option<u8>| CaSpec {
        common_name: cn.to_string(),
        organization: Some("signet development".to_string()),
        // Private CAs: no country. XX is no ISO 3166 code, and the CA/Browser Forum's country
        // requirement is for publicly trusted CAs.
        country: None,
        validity: time::Duration::days(365 * years),
        path_length: path,
        permitted_dns: Vec::new(),
        policies: Vec::new(),
    };
    let steps = [
        CaOptions {
            name: "dev-root".into(),
            placement: Placement::Root,
            algorithm: KeyAlgorithm::EcP384,
            spec: spec("Signet Development Root CA", 10, Some(1)),
        },
        CaOptions {
            name: "dev-issuing".into(),
            placement: Placement::Under("dev-root".into()),
            algorithm: KeyAlgorithm::EcP256,
            spec: spec("Signet Development Issuing CA", 5, Some(0)),
        },
        CaOptions {
            name: "test-root".into(),
            placement: Placement::TestRoot,
            algorithm: KeyAlgorithm::EcP256,
            spec: spec("Signet Test Root - FOR TESTING ONLY", 10, Some(0)),
        },
    ];
    for options in steps {
        create(store, clock, urls, keys, "system", options).await?;
    }
    Ok(())
}
