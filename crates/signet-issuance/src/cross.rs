//! Cross-certificates: a CA certificate for another CA's existing subject and key, signed by a
//! second local CA, so the same CA is reached by two paths (a root rollover, or a new root
//! cross-signed by an established one, as DST Root CA X3 cross-signed ISRG Root X1). Built from
//! the certificate it repeats — subject (byte for byte), subject key identifier, basicConstraints,
//! name constraints and policies — and made, linted and recorded exactly as a subordinate CA
//! certificate is ([`crate::certificate::lint_and_record`]).

use rcgen::string::{BmpString, Ia5String, PrintableString};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, GeneralSubtree, KeyIdMethod,
    KeyUsagePurpose, NameConstraints, SerialNumber,
};
use signet_lint::CertificateKind;
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

use crate::certificate::{Prepared, add_revocation_and_policies, ca_constraints, lint_and_record_under, window};
use crate::error::IssuanceError;
use crate::issuer::{IssuingCa, Urls};

fn refuse(what: impl Into<String>) -> IssuanceError {
    IssuanceError::CrossSign(what.into())
}

/// Prepares a certificate for the CA whose current certificate is `subject_certificate`, signed
/// by `issuer`, valid for `validity` from `now` (never past the issuer's end). Record
/// `Prepared::tbs` before calling [`crate::certificate::sign`]; check the result with
/// [`check_repeats`] first.
pub fn cross_certificate(
    subject_certificate: &[u8],
    issuer: &IssuingCa,
    urls: &Urls,
    now: OffsetDateTime,
    validity: Duration,
) -> Result<Prepared, IssuanceError> {
    let (_, subject) = X509Certificate::from_der(subject_certificate)
        .map_err(|e| refuse(format!("the CA's certificate does not parse: {e}")))?;
    let mut params = CertificateParams::default();
    let serial = crate::serial::random()?;
    params.serial_number = Some(SerialNumber::from_slice(serial.magnitude()));
    let (not_before, not_after) = window(now, validity);
    if not_after > issuer.not_after {
        return Err(IssuanceError::OutlivesIssuer {
            until: signet_codec::describe::rfc3339(not_after),
            ca: issuer.name.clone(),
            ca_expires: signet_codec::describe::rfc3339(issuer.not_after),
        });
    }
    params.not_before = not_before;
    params.not_after = not_after;
    params.distinguished_name = same_name(&subject)?;
    let constraints = subject
        .basic_constraints()
        .map_err(|e| refuse(format!("its basicConstraints do not parse: {e}")))?
        .map(|b| b.value)
        .filter(|b| b.ca)
        .ok_or_else(|| refuse("the CA's certificate is not a CA certificate"))?;
    let path_length = match constraints.path_len_constraint {
        Some(n) => Some(u8::try_from(n).map_err(|_| refuse(format!("pathLenConstraint {n} is out of range")))?),
        None => None,
    };
    params.is_ca = ca_constraints(path_length);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut policies = Vec::new();
    for extension in subject.extensions() {
        match extension.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => {
                params.key_identifier_method = KeyIdMethod::PreSpecified(id.0.to_vec());
            }
            ParsedExtension::NameConstraints(nc) => params.name_constraints = Some(name_constraints(nc)?),
            ParsedExtension::ExtendedKeyUsage(eku) => params.extended_key_usages = usages(eku)?,
            ParsedExtension::CertificatePolicies(list) => {
                policies = list.iter().map(|p| p.policy_id.to_id_string()).collect();
            }
            _ => {}
        }
    }
    if !matches!(params.key_identifier_method, KeyIdMethod::PreSpecified(ref id) if !id.is_empty()) {
        return Err(refuse(
            "the CA's certificate has no subjectKeyIdentifier, so certificates it issued cannot be matched to a cross-certificate",
        ));
    }
    params.use_authority_key_identifier_extension = true;
    // Like a subordinate CA certificate: the issuer's full CRL, its caIssuers and OCSP URLs.
    add_revocation_and_policies(&mut params, urls, &issuer.name, signet_model::CrlScope::Full, &policies)?;
    let subject_key = rcgen::SubjectPublicKeyInfo::from_der(subject.public_key().raw)
        .map_err(|e| refuse(format!("the CA's public key is not usable: {e}")))?;
    let prepared = lint_and_record_under(issuer, CertificateKind::SubordinateCa, params, subject_key, serial)?;
    check_repeats(&prepared.tbs, subject_certificate)?;
    Ok(prepared)
}

/// Checks that a to-be-signed certificate repeats the subject, public key and subject key
/// identifier of `subject_certificate` exactly (else chains through it would not build).
pub fn check_repeats(tbs: &[u8], subject_certificate: &[u8]) -> Result<(), IssuanceError> {
    let (_, made) = x509_parser::certificate::TbsCertificate::from_der(tbs)
        .map_err(|e| IssuanceError::Build(format!("the prepared certificate does not parse: {e}")))?;
    let (_, original) = X509Certificate::from_der(subject_certificate)
        .map_err(|e| refuse(format!("the CA's certificate does not parse: {e}")))?;
    let key_id = |extensions: &[x509_parser::extensions::X509Extension<'_>]| {
        extensions.iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
    };
    if made.subject().as_raw() != original.subject().as_raw() {
        return Err(refuse("the subject cannot be repeated byte for byte"));
    }
    if made.public_key().raw != original.public_key().raw {
        return Err(IssuanceError::Build("the prepared certificate names another key".into()));
    }
    if key_id(made.extensions()) != key_id(original.extensions()) {
        return Err(IssuanceError::Build("the subject key identifier differs".into()));
    }
    Ok(())
}

/// The subject Name, attribute by attribute with each value's string type kept, so it encodes
/// to the same bytes.
fn same_name(cert: &X509Certificate<'_>) -> Result<DistinguishedName, IssuanceError> {
    let mut dn = DistinguishedName::new();
    let mut seen = Vec::new();
    for rdn in cert.subject().iter() {
        let mut attributes = rdn.iter();
        let (Some(attribute), None) = (attributes.next(), attributes.next()) else {
            return Err(refuse("the subject has a multi-valued RDN, which cannot be repeated"));
        };
        let oid: Vec<u64> = attribute
            .attr_type()
            .iter()
            .map(Iterator::collect)
            .ok_or_else(|| refuse("the subject has an attribute type with an oversized OID arc"))?;
        if seen.contains(&oid) {
            // rcgen keeps one value per attribute type.
            return Err(refuse(format!("the subject repeats attribute {}", attribute.attr_type())));
        }
        seen.push(oid.clone());
        let value = attribute.attr_value();
        let data = value.data.to_vec();
        let text = || String::from_utf8(data.clone()).map_err(|_| refuse("a subject value is not valid text"));
        let dn_value = match value.tag().0 {
            12 => DnValue::Utf8String(text()?),
            19 => DnValue::PrintableString(PrintableString::try_from(text()?).map_err(|e| refuse(e.to_string()))?),
            22 => DnValue::Ia5String(Ia5String::try_from(text()?).map_err(|e| refuse(e.to_string()))?),
            30 => DnValue::BmpString(BmpString::from_utf16be(data).map_err(|e| refuse(e.to_string()))?),
            other => {
                return Err(refuse(format!("the subject has a value of ASN.1 type {other}, which cannot be repeated")));
            }
        };
        dn.push(DnType::CustomDnType(oid), dn_value);
    }
    Ok(dn)
}

fn name_constraints(nc: &x509_parser::extensions::NameConstraints<'_>) -> Result<NameConstraints, IssuanceError> {
    let subtrees = |list: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
        list.iter()
            .flatten()
            .map(|subtree| match &subtree.base {
                GeneralName::DNSName(name) => Ok(GeneralSubtree::DnsName((*name).to_string())),
                other => Err(refuse(format!("name constraint {other} cannot be repeated (only DNS names can)"))),
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(NameConstraints {
        permitted_subtrees: subtrees(&nc.permitted_subtrees)?,
        excluded_subtrees: subtrees(&nc.excluded_subtrees)?,
    })
}

fn usages(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Result<Vec<ExtendedKeyUsagePurpose>, IssuanceError> {
    if !eku.other.is_empty() || eku.any {
        return Err(refuse("the CA's extendedKeyUsage has purposes a cross-certificate cannot repeat"));
    }
    let all = [
        (eku.server_auth, ExtendedKeyUsagePurpose::ServerAuth),
        (eku.client_auth, ExtendedKeyUsagePurpose::ClientAuth),
        (eku.code_signing, ExtendedKeyUsagePurpose::CodeSigning),
        (eku.email_protection, ExtendedKeyUsagePurpose::EmailProtection),
        (eku.time_stamping, ExtendedKeyUsagePurpose::TimeStamping),
        (eku.ocsp_signing, ExtendedKeyUsagePurpose::OcspSigning),
    ];
    Ok(all.into_iter().filter(|(present, _)| *present).map(|(_, purpose)| purpose).collect())
}

/// A CSR for the CA whose certificate is `subject_certificate`, signed by its key `key`: what
/// a cross-sign's request records (proof that the key is the CA's own).
pub fn request(subject_certificate: &[u8], key: &dyn signet_keys::Signer) -> Result<Vec<u8>, IssuanceError> {
    let (_, subject) = X509Certificate::from_der(subject_certificate)
        .map_err(|e| refuse(format!("the CA's certificate does not parse: {e}")))?;
    let mut params = CertificateParams::default();
    params.distinguished_name = same_name(&subject)?;
    params
        .serialize_request(&signet_keys::RcgenSigner(key))
        .map(|csr| csr.der().to_vec())
        .map_err(|e| IssuanceError::Build(e.to_string()))
}
