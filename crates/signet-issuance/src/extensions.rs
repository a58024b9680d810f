//! Extensions rcgen has no type for, encoded with the `x509-cert` types (RFC 5280 §4.2.1.4,
//! §4.2.2.1) and passed to rcgen as custom extensions.

use der::Encode;
use der::asn1::{Ia5String, ObjectIdentifier};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax, CertificatePolicies};

use crate::error::IssuanceError;

const ID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const ID_AD_CA_ISSUERS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");
const AIA: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];
const CERTIFICATE_POLICIES: &[u64] = &[2, 5, 29, 32];

fn build_error(e: impl std::fmt::Display) -> IssuanceError {
    IssuanceError::Build(e.to_string())
}

fn uri(text: &str) -> Result<GeneralName, IssuanceError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(text).map_err(build_error)?))
}

/// authorityInfoAccess with OCSP and caIssuers URLs; `None` when there are none.
pub fn authority_info_access(
    ocsp: Option<&str>,
    ca_issuers: Option<&str>,
) -> Result<Option<rcgen::CustomExtension>, IssuanceError> {
    let mut access = Vec::new();
    if let Some(url) = ocsp {
        access.push(AccessDescription { access_method: ID_AD_OCSP, access_location: uri(url)? });
    }
    if let Some(url) = ca_issuers {
        access.push(AccessDescription { access_method: ID_AD_CA_ISSUERS, access_location: uri(url)? });
    }
    if access.is_empty() {
        return Ok(None);
    }
    let der = AuthorityInfoAccessSyntax(access).to_der().map_err(build_error)?;
    Ok(Some(rcgen::CustomExtension::from_oid_content(AIA, der)))
}

/// certificatePolicies with the given policy OIDs; `None` when empty.
pub fn certificate_policies(oids: &[String]) -> Result<Option<rcgen::CustomExtension>, IssuanceError> {
    if oids.is_empty() {
        return Ok(None);
    }
    let mut policies = Vec::with_capacity(oids.len());
    for oid in oids {
        let policy_identifier =
            ObjectIdentifier::new(oid).map_err(|e| build_error(format!("policy OID {oid}: {e}")))?;
        policies.push(PolicyInformation { policy_identifier, policy_qualifiers: None });
    }
    let der = CertificatePolicies(policies).to_der().map_err(build_error)?;
    Ok(Some(rcgen::CustomExtension::from_oid_content(CERTIFICATE_POLICIES, der)))
}
