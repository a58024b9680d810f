//! Assembling, linting and signing certificates.
//!
//! [`prepare`] signs the to-be-signed certificate with a placeholder (a [`Recorder`] presenting the
//! issuer's real public key and algorithm, so every byte of the TBS is final), lints the result and
//! returns the TBS bytes. [`sign`] then has the issuer's key sign exactly those bytes and wraps
//! them with the signature: the issued certificate is the one that was linted and recorded, by
//! construction (Boulder's lint-then-sign, BR §4.3.1.2).

use std::sync::Mutex;

use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyUsagePurpose, SerialNumber,
};
use signet_keys::Signer;
use signet_lint::{Context, Finding};
use signet_model::subject::{Attribute, SubjectValue};
use signet_model::{Identifier, Serial};
use time::{Duration, OffsetDateTime};

use crate::csr::CsrFacts;
use crate::error::IssuanceError;
use crate::issuer::{IssuingCa, Urls};
use crate::profile::{Profile, ProfileKind, SubjectPolicy};

/// A certificate ready to be recorded and signed.
pub struct Prepared {
    /// The serial.
    pub serial: Serial,
    /// The exact to-be-signed bytes that will be signed.
    pub tbs: Vec<u8>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// Subject DN in words.
    pub subject: String,
    /// Names, as `type:value`.
    pub sans: Vec<String>,
    /// Lint warnings (errors never get this far).
    pub warnings: Vec<Finding>,
    /// The CRL partition its distribution point names (None: the issuer's full CRL).
    pub crl_shard: Option<u16>,
    /// The certificate's signatureAlgorithm, DER.
    signature_algorithm: Vec<u8>,
}

/// `Certificate` (RFC 5280 §4.1) with its parts kept as they are encoded.
#[derive(der::Sequence)]
struct SignedParts<'a> {
    tbs: der::asn1::AnyRef<'a>,
    signature_algorithm: der::asn1::AnyRef<'a>,
    signature: der::asn1::BitStringRef<'a>,
}

/// Presents the issuer's public key and records what would be signed, returning a placeholder.
struct Recorder<'a> {
    issuer: &'a dyn Signer,
    tbs: Mutex<Option<Vec<u8>>>,
}

impl rcgen::PublicKeyData for Recorder<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.issuer.public_key_bytes()
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.issuer.scheme().rcgen()
    }
    fn subject_public_key_info(&self) -> Vec<u8> {
        self.issuer.spki_der().to_vec()
    }
}

impl rcgen::SigningKey for Recorder<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        if let Ok(mut slot) = self.tbs.lock() {
            *slot = Some(msg.to_vec());
        }
        Ok(vec![0u8; 64])
    }
}

/// basicConstraints of a CA certificate: cA, with pathLenConstraint when given.
pub(crate) fn ca_constraints(path_length: Option<u8>) -> IsCa {
    IsCa::Ca(match path_length {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    })
}

fn build_error(e: impl std::fmt::Display) -> IssuanceError {
    IssuanceError::Build(e.to_string())
}

/// A second-aligned time (certificates encode whole seconds).
pub fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).unwrap_or(t)
}

/// The validity window of a certificate issued at `now`: starting a minute early (clock skew),
/// lasting `validity` inclusive of both ends (RFC 5280 §4.1.2.5).
pub fn window(now: OffsetDateTime, validity: Duration) -> (OffsetDateTime, OffsetDateTime) {
    let not_before = whole_seconds(now) - Duration::minutes(1);
    (not_before, not_before + validity - Duration::seconds(1))
}

/// What a leaf certificate is made of.
pub struct LeafRequest<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// The issuing CA.
    pub issuer: &'a IssuingCa,
    /// The verified CSR.
    pub csr: &'a CsrFacts,
    /// The names to certify (already checked against the profile).
    pub names: &'a [Identifier],
    /// Where relying parties find the CA's certificate and CRL.
    pub urls: &'a Urls,
    /// Issuance time.
    pub now: OffsetDateTime,
}

/// Assembles, lints and records a certificate for a CSR; see the module documentation.
pub fn prepare(request: &LeafRequest<'_>) -> Result<Prepared, IssuanceError> {
    let profile = request.profile;
    let serial = crate::serial::random()?;
    let (not_before, not_after) = window(request.now, profile.validity_at(request.now));
    if not_after > request.issuer.not_after {
        return Err(IssuanceError::OutlivesIssuer {
            until: signet_codec::describe::rfc3339(not_after),
            ca: request.issuer.name.clone(),
            ca_expires: signet_codec::describe::rfc3339(request.issuer.not_after),
        });
    }
    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from_slice(serial.magnitude()));
    params.not_before = not_before;
    params.not_after = not_after;
    params.distinguished_name = effective_subject(profile, request.csr, request.names).distinguished_name()?;
    params.subject_alt_names =
        request.names.iter().map(signet_subscriber_san).collect::<Result<_, _>>().map_err(build_error)?;
    params.use_authority_key_identifier_extension = true;
    let is_rsa = request.csr.key.algorithm == "RSA";
    match profile.kind {
        ProfileKind::Server | ProfileKind::Client => {
            params.is_ca = IsCa::NoCa;
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if is_rsa {
                params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            }
            params.extended_key_usages = vec![if profile.kind == ProfileKind::Server {
                ExtendedKeyUsagePurpose::ServerAuth
            } else {
                ExtendedKeyUsagePurpose::ClientAuth
            }];
        }
        ProfileKind::SubordinateCa => {
            params.is_ca = ca_constraints(profile.path_length);
            params.key_usages =
                vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        }
    }
    let crl_scope = request.urls.crl_shard_of(&request.issuer.name, &serial);
    add_revocation_and_policies(&mut params, request.urls, &request.issuer.name, crl_scope, &profile.policies)?;
    let subject_key = rcgen::SubjectPublicKeyInfo::from_der(&request.csr.spki_der).map_err(build_error)?;
    let context = Context {
        kind: profile.lint_kind(),
        issuer_not_after: Some(request.issuer.not_after),
        allow_long_validity: profile.allow_long_validity,
    };
    let sans = request.names.iter().map(ToString::to_string).collect();
    let parent = Some(request.issuer.certificate.as_slice());
    let mut prepared =
        lint_and_record(request.issuer.signer.as_ref(), parent, params, subject_key, &context, serial, sans)?;
    prepared.crl_shard = crl_scope.shard();
    Ok(prepared)
}

/// The rcgen form of a name.
fn signet_subscriber_san(identifier: &Identifier) -> Result<rcgen::SanType, rcgen::Error> {
    Ok(match identifier {
        Identifier::Dns(name) => rcgen::SanType::DnsName(name.as_str().try_into()?),
        Identifier::Ip(ip) => rcgen::SanType::IpAddress(*ip),
        Identifier::Email(email) => rcgen::SanType::Rfc822Name(email.as_str().try_into()?),
        Identifier::Uri(uri) => rcgen::SanType::URI(uri.as_str().try_into()?),
    })
}

/// The subject a certificate from `profile` will hold for this CSR and these names: what the
/// request queue and search show, computed by the same code that builds the certificate.
pub fn effective_subject(profile: &Profile, csr: &CsrFacts, names: &[Identifier]) -> EffectiveSubject {
    let values = match profile.subject {
        // BR §7.1.4.3: a CN, if present, repeats a SAN. Keep one only if the CSR had one.
        SubjectPolicy::CnOnly => match (&csr.common_name, names.first()) {
            (Some(_), Some(first)) => vec![SubjectValue { attribute: Attribute::CommonName, value: first.value() }],
            _ => Vec::new(),
        },
        SubjectPolicy::FromCsr => {
            csr.subject_values.iter().filter(|v| COPIED_FROM_CSR.contains(&v.attribute)).cloned().collect()
        }
    };
    EffectiveSubject(values)
}

/// The attributes a `from-csr` profile copies; others are dropped.
const COPIED_FROM_CSR: &[Attribute] = &[
    Attribute::Country,
    Attribute::State,
    Attribute::Locality,
    Attribute::Organization,
    Attribute::OrganizationalUnit,
    Attribute::CommonName,
];

/// A certificate's subject, attribute by attribute, as it will be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveSubject(pub Vec<SubjectValue>);

impl EffectiveSubject {
    fn distinguished_name(&self) -> Result<DistinguishedName, IssuanceError> {
        let mut dn = DistinguishedName::new();
        for SubjectValue { attribute, value } in &self.0 {
            let kind = match attribute {
                Attribute::Country => {
                    dn.push(
                        DnType::CountryName,
                        DnValue::PrintableString(value.as_str().try_into().map_err(build_error)?),
                    );
                    continue;
                }
                Attribute::State => DnType::StateOrProvinceName,
                Attribute::Locality => DnType::LocalityName,
                Attribute::Organization => DnType::OrganizationName,
                Attribute::OrganizationalUnit => DnType::OrganizationalUnitName,
                Attribute::CommonName => DnType::CommonName,
                other => DnType::CustomDnType(oid_arcs(other.oid())?),
            };
            dn.push(kind, value.as_str());
        }
        Ok(dn)
    }
}

/// `C=GB, O=Example Ltd, CN=www.example.com`: the form `signet inspect` shows a subject in.
impl std::fmt::Display for EffectiveSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|v| format!("{}={}", v.attribute.short_name(), v.value)).collect();
        f.write_str(&parts.join(", "))
    }
}

fn oid_arcs(dotted: &str) -> Result<Vec<u64>, IssuanceError> {
    dotted.split('.').map(|arc| arc.parse::<u64>().map_err(build_error)).collect()
}

/// CRL distribution point (the issuer's CRL of `crl_scope`), authorityInfoAccess and
/// certificatePolicies.
pub(crate) fn add_revocation_and_policies(
    params: &mut CertificateParams,
    urls: &Urls,
    issuer_name: &str,
    crl_scope: signet_model::CrlScope,
    policies: &[String],
) -> Result<(), IssuanceError> {
    if let Some(crl) = urls.crl(issuer_name, crl_scope) {
        params.crl_distribution_points = vec![CrlDistributionPoint { uris: vec![crl] }];
    }
    let ca_issuers = urls.ca_issuers(issuer_name);
    if let Some(aia) = crate::extensions::authority_info_access(urls.ocsp.as_deref(), ca_issuers.as_deref())? {
        params.custom_extensions.push(aia);
    }
    if let Some(ext) = crate::extensions::certificate_policies(policies)? {
        params.custom_extensions.push(ext);
    }
    Ok(())
}

/// [`lint_and_record`] for a certificate without names that `issuer` signs (a subordinate or
/// cross-signed CA certificate, a delegated OCSP responder's), linted as `kind` within the
/// issuer's validity.
pub(crate) fn lint_and_record_under(
    issuer: &IssuingCa,
    kind: signet_lint::CertificateKind,
    params: CertificateParams,
    subject_key: rcgen::SubjectPublicKeyInfo,
    serial: Serial,
) -> Result<Prepared, IssuanceError> {
    let context = Context { kind, issuer_not_after: Some(issuer.not_after), allow_long_validity: false };
    let certificate = Some(issuer.certificate.as_slice());
    lint_and_record(issuer.signer.as_ref(), certificate, params, subject_key, &context, serial, Vec::new())
}

/// Signs with a placeholder, lints, and keeps the TBS; `parent` is the issuing CA's certificate,
/// None for a self-signed one.
pub(crate) fn lint_and_record(
    signer: &dyn Signer,
    parent: Option<&[u8]>,
    params: CertificateParams,
    subject_key: rcgen::SubjectPublicKeyInfo,
    context: &Context,
    serial: Serial,
    sans: Vec<String>,
) -> Result<Prepared, IssuanceError> {
    use der::{Decode, Encode};
    use x509_parser::prelude::FromDer;
    let recorder = Recorder { issuer: signer, tbs: Mutex::new(None) };
    let draft = match parent {
        None => params.self_signed(&recorder).map_err(build_error)?,
        Some(parent) => {
            let rcgen_issuer = Issuer::from_ca_cert_der(&parent.into(), &recorder).map_err(build_error)?;
            params.signed_by(&subject_key, &rcgen_issuer).map_err(build_error)?
        }
    };
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(draft.der()).map_err(build_error)?;
    let mut findings = signet_lint::lint_parsed(&parsed, context);
    if let Some(parent) = parent {
        findings.extend(signet_lint::lint_issuer_constraints(&parsed, parent));
    }
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.severity == signet_lint::Severity::Error);
    if !errors.is_empty() {
        return Err(IssuanceError::Lint(errors));
    }
    let tbs =
        recorder.tbs.lock().ok().and_then(|mut slot| slot.take()).ok_or_else(|| build_error("nothing was signed"))?;
    let signature_algorithm =
        SignedParts::from_der(draft.der()).and_then(|parts| parts.signature_algorithm.to_der()).map_err(build_error)?;
    Ok(Prepared {
        serial,
        tbs,
        not_before: params.not_before,
        not_after: params.not_after,
        subject: signet_codec::describe::name_to_string(parsed.subject()),
        sans,
        warnings,
        crl_shard: None,
        signature_algorithm,
    })
}

/// Signs a prepared certificate with the issuer's key.
pub fn sign(issuer: &IssuingCa, prepared: &Prepared) -> Result<Vec<u8>, IssuanceError> {
    sign_with(issuer.signer.as_ref(), prepared)
}

/// Signs the recorded TBS and puts the certificate together around it.
pub(crate) fn sign_with(signer: &dyn Signer, prepared: &Prepared) -> Result<Vec<u8>, IssuanceError> {
    use der::{Decode, Encode};
    let signature = signer.sign(&prepared.tbs).map_err(|e| IssuanceError::Signing(e.to_string()))?;
    SignedParts {
        tbs: der::asn1::AnyRef::from_der(&prepared.tbs).map_err(build_error)?,
        signature_algorithm: der::asn1::AnyRef::from_der(&prepared.signature_algorithm).map_err(build_error)?,
        signature: der::asn1::BitStringRef::from_bytes(&signature).map_err(build_error)?,
    }
    .to_der()
    .map_err(build_error)
}
