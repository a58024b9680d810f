//! CA certificates: self-signed roots (production and FOR TESTING ONLY), subordinates signed by a
//! local parent, and CSRs for subordinates whose parent is elsewhere (seed CA-1, CA-6).

use std::sync::Arc;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, GeneralSubtree, KeyUsagePurpose,
    NameConstraints, SerialNumber,
};
use signet_keys::{RcgenSigner, Signer};
use signet_lint::{CertificateKind, Context};
use signet_model::{Country, DnsName};
use time::{Duration, OffsetDateTime};

use crate::certificate::{
    Prepared, add_revocation_and_policies, ca_constraints, lint_and_record, lint_and_record_under, window,
};
use crate::error::IssuanceError;
use crate::issuer::{IssuingCa, Urls};

/// Who a CA is and what it may do.
#[derive(Debug, Clone)]
pub struct CaSpec {
    /// Common Name, e.g. "Example Issuing CA 1".
    pub common_name: String,
    /// Organization.
    pub organization: Option<String>,
    /// Country.
    pub country: Option<Country>,
    /// Validity of the CA certificate.
    pub validity: Duration,
    /// pathLenConstraint.
    pub path_length: Option<u8>,
    /// Name constraints: DNS subtrees the CA may issue for (empty: unconstrained).
    pub permitted_dns: Vec<DnsName>,
    /// certificatePolicies OIDs of a subordinate CA certificate: empty for a private CA; a
    /// publicly trusted one names the CA/Browser Forum policies it issues under (BR §7.1.2.10.5).
    pub policies: Vec<String>,
}

fn build_error(e: impl std::fmt::Display) -> IssuanceError {
    IssuanceError::Build(e.to_string())
}

fn base_params(
    spec: &CaSpec,
    now: OffsetDateTime,
    serial: &signet_model::Serial,
) -> Result<CertificateParams, IssuanceError> {
    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from_slice(serial.magnitude()));
    let (not_before, not_after) = window(now, spec.validity);
    params.not_before = not_before;
    params.not_after = not_after;
    params.distinguished_name = distinguished_name(spec)?;
    params.is_ca = ca_constraints(spec.path_length);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    if !spec.permitted_dns.is_empty() {
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: spec.permitted_dns.iter().map(|d| GeneralSubtree::DnsName(d.to_string())).collect(),
            excluded_subtrees: Vec::new(),
        });
    }
    Ok(params)
}

fn distinguished_name(spec: &CaSpec) -> Result<DistinguishedName, IssuanceError> {
    let mut dn = DistinguishedName::new();
    if let Some(country) = &spec.country {
        dn.push(DnType::CountryName, DnValue::PrintableString(country.code().try_into().map_err(build_error)?));
    }
    if let Some(org) = &spec.organization {
        dn.push(DnType::OrganizationName, org.as_str());
    }
    dn.push(DnType::CommonName, spec.common_name.as_str());
    Ok(dn)
}

/// Makes a self-signed root certificate for `key`.
pub fn root(spec: &CaSpec, key: Arc<dyn Signer>, now: OffsetDateTime) -> Result<Vec<u8>, IssuanceError> {
    let serial = crate::serial::random()?;
    let params = base_params(spec, now, &serial)?;
    let subject_key = rcgen::SubjectPublicKeyInfo::from_der(key.spki_der()).map_err(build_error)?;
    let context = Context { kind: CertificateKind::Root, issuer_not_after: None, allow_long_validity: false };
    let prepared = lint_and_record(key.as_ref(), None, params, subject_key, &context, serial, Vec::new())?;
    crate::certificate::sign_with(key.as_ref(), &prepared)
}

/// Prepares a subordinate CA certificate for the key `subject_spki`, signed by `parent`.
/// Record `Prepared::tbs` before calling [`crate::certificate::sign`].
pub fn subordinate(
    spec: &CaSpec,
    subject_spki: &[u8],
    parent: &IssuingCa,
    urls: &Urls,
    now: OffsetDateTime,
) -> Result<Prepared, IssuanceError> {
    let serial = crate::serial::random()?;
    let mut params = base_params(spec, now, &serial)?;
    if params.not_after > parent.not_after {
        return Err(IssuanceError::OutlivesIssuer {
            until: signet_codec::describe::rfc3339(params.not_after),
            ca: parent.name.clone(),
            ca_expires: signet_codec::describe::rfc3339(parent.not_after),
        });
    }
    params.use_authority_key_identifier_extension = true;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    // CA certificates name the parent's full CRL: partitions are for the many subscriber ones.
    add_revocation_and_policies(&mut params, urls, &parent.name, signet_model::CrlScope::Full, &spec.policies)?;
    let subject_key = rcgen::SubjectPublicKeyInfo::from_der(subject_spki).map_err(build_error)?;
    lint_and_record_under(parent, CertificateKind::SubordinateCa, params, subject_key, serial)
}

/// A CSR for a subordinate CA whose parent is elsewhere.
pub fn request(spec: &CaSpec, key: &dyn Signer) -> Result<Vec<u8>, IssuanceError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(spec)?;
    params.is_ca = ca_constraints(spec.path_length);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serialize_request(&RcgenSigner(key)).map(|csr| csr.der().to_vec()).map_err(build_error)
}
