//! Structured descriptions of PKI objects, for `signet inspect` (text and `--json`).
//!
//! Each description carries what a user checks before trusting a file (seed CSR-7): names,
//! validity, key type and size, extensions, fingerprints, and for a CSR whether its signature
//! verifies. The same types are what `--json` prints, so they are part of the CLI contract.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::extensions::{GeneralName, ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::X509Name;

use crate::error::CodecError;
use crate::object::{KeyFormat, ObjectKind, PkiObject};
use crate::oids;
use crate::public_key::{KeyInfo, describe_parsed, describe_spki, sha1_thumbprint, sha256_hex};

/// A description of one PKI object.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // built once per inspected object; boxing buys nothing
pub enum Description {
    /// A certificate.
    Certificate(CertificateInfo),
    /// A PKCS#10 request.
    CertificateRequest(RequestInfo),
    /// A CRL.
    Crl(CrlInfo),
    /// An unencrypted private key.
    PrivateKey(PrivateKeyInfo),
    /// An encrypted private key.
    EncryptedPrivateKey(EncryptedKeyInfo),
    /// A public key.
    PublicKey(KeyInfo),
    /// A PKCS#7 bundle.
    Pkcs7(BundleInfo),
    /// A PKCS#12 file.
    Pkcs12(Pkcs12Info),
    /// An OCSP request.
    OcspRequest(OcspRequestInfo),
    /// An OCSP response.
    OcspResponse(OcspResponseInfo),
}

/// One extension, by name.
#[derive(Debug, Clone, Serialize)]
pub struct ExtensionInfo {
    /// Dotted OID.
    pub oid: String,
    /// Known name, or the OID again.
    pub name: String,
    /// The critical flag.
    pub critical: bool,
}

/// What `inspect` shows of a certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateInfo {
    /// X.509 version (3 for v3).
    pub version: u32,
    /// Serial number, lower-case hex.
    pub serial: String,
    /// Subject DN in encoded order.
    pub subject: String,
    /// Issuer DN in encoded order.
    pub issuer: String,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// Validity period in whole days.
    pub validity_days: i64,
    /// `valid`, `expired` or `not yet valid` at the time of inspection.
    pub status: String,
    /// Subject alternative names as `type:value`.
    pub subject_alt_names: Vec<String>,
    /// The subject public key.
    pub public_key: KeyInfo,
    /// Signature algorithm name.
    pub signature_algorithm: String,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_length: Option<u32>,
    /// Issuer and subject equal and the signature verifies with the certificate's own key.
    pub self_signed: bool,
    /// keyUsage bits by name.
    pub key_usage: Vec<String>,
    /// extKeyUsage purposes by name.
    pub extended_key_usage: Vec<String>,
    /// subjectKeyIdentifier, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_key_id: Option<String>,
    /// authorityKeyIdentifier keyIdentifier, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority_key_id: Option<String>,
    /// CRL distribution point URIs.
    pub crl_urls: Vec<String>,
    /// OCSP responder URIs from AIA.
    pub ocsp_urls: Vec<String>,
    /// CA issuer URIs from AIA.
    pub ca_issuer_urls: Vec<String>,
    /// certificatePolicies OIDs.
    pub policies: Vec<String>,
    /// Every extension present.
    pub extensions: Vec<ExtensionInfo>,
    /// SHA-256 of the DER.
    pub sha256_fingerprint: String,
    /// SHA-1 of the DER (the Windows thumbprint).
    pub sha1_thumbprint: String,
}

/// What `inspect` shows of a CSR.
#[derive(Debug, Clone, Serialize)]
pub struct RequestInfo {
    /// Subject DN.
    pub subject: String,
    /// Requested subject alternative names.
    pub subject_alt_names: Vec<String>,
    /// The public key.
    pub public_key: KeyInfo,
    /// Signature algorithm name.
    pub signature_algorithm: String,
    /// Whether the self-signature verifies (a damaged or altered CSR does not).
    pub signature_valid: bool,
    /// `valid`, `invalid` (damaged or altered) or `weak-algorithm` (MD5/SHA-1, refused by CAs).
    pub signature_status: String,
    /// Requested keyUsage.
    pub key_usage: Vec<String>,
    /// Requested extKeyUsage.
    pub extended_key_usage: Vec<String>,
    /// Requested extensions.
    pub extensions: Vec<ExtensionInfo>,
    /// Attributes by name (extensionRequest, challengePassword, Microsoft ones).
    pub attributes: Vec<String>,
    /// SHA-256 of the DER.
    pub sha256_fingerprint: String,
}

/// One revoked certificate in a CRL.
#[derive(Debug, Clone, Serialize)]
pub struct RevokedEntry {
    /// Serial, hex.
    pub serial: String,
    /// Revocation date (RFC 3339).
    pub revoked_at: String,
    /// Reason code name, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// invalidityDate (RFC 3339), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalidity_date: Option<String>,
}

/// What `inspect` shows of a CRL.
#[derive(Debug, Clone, Serialize)]
pub struct CrlInfo {
    /// Issuer DN.
    pub issuer: String,
    /// thisUpdate (RFC 3339).
    pub this_update: String,
    /// nextUpdate (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
    /// `current` or `stale` (past nextUpdate) at the time of inspection.
    pub status: String,
    /// cRLNumber, decimal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_number: Option<String>,
    /// authorityKeyIdentifier, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority_key_id: Option<String>,
    /// The issuingDistributionPoint's URIs: the CRL covers only certificates naming one of them
    /// (a partition); absent for a full CRL.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub distribution_points: Vec<String>,
    /// The partition number, when the distribution point ends in `/N.crl` (signet's partitions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<u16>,
    /// Signature algorithm name.
    pub signature_algorithm: String,
    /// Number of revoked certificates.
    pub revoked_count: usize,
    /// The revoked certificates.
    pub revoked: Vec<RevokedEntry>,
    /// SHA-256 of the DER.
    pub sha256_fingerprint: String,
}

/// What `inspect` shows of a private key.
#[derive(Debug, Clone, Serialize)]
pub struct PrivateKeyInfo {
    /// The encoding it was stored in.
    pub format: KeyFormat,
    /// Its public half.
    pub key: KeyInfo,
    /// Friendly name, from a PKCS#12 bag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
}

/// What `inspect` shows of an encrypted private key.
#[derive(Debug, Clone, Serialize)]
pub struct EncryptedKeyInfo {
    /// Encryption scheme in words.
    pub encryption: String,
    /// The key, when a password was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyInfo>,
}

/// What `inspect` shows of a PKCS#7 bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleInfo {
    /// Certificates inside.
    pub certificates: Vec<CertificateInfo>,
    /// CRLs inside.
    pub crls: Vec<CrlInfo>,
}

/// What `inspect` shows of a PKCS#12 file.
#[derive(Debug, Clone, Serialize)]
pub struct Pkcs12Info {
    /// MAC digest.
    pub mac: String,
    /// MAC iterations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_iterations: Option<i32>,
    /// Whether the contents were decrypted (a password was given).
    pub opened: bool,
    /// Private keys inside.
    pub keys: Vec<PrivateKeyInfo>,
    /// Certificates inside.
    pub certificates: Vec<CertificateInfo>,
}

/// An OCSP CertID.
#[derive(Debug, Clone, Serialize)]
pub struct CertIdInfo {
    /// Hash algorithm of the issuer hashes.
    pub hash_algorithm: String,
    /// Issuer name hash, hex.
    pub issuer_name_hash: String,
    /// Issuer key hash, hex.
    pub issuer_key_hash: String,
    /// Serial, hex.
    pub serial: String,
}

/// What `inspect` shows of an OCSP request.
#[derive(Debug, Clone, Serialize)]
pub struct OcspRequestInfo {
    /// Certificates asked about.
    pub requests: Vec<CertIdInfo>,
    /// Nonce, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Whether the request is signed.
    pub signed: bool,
}

/// One answer in an OCSP response.
#[derive(Debug, Clone, Serialize)]
pub struct SingleResponseInfo {
    /// Which certificate.
    pub cert_id: CertIdInfo,
    /// `good`, `revoked` or `unknown`.
    pub status: String,
    /// Revocation time, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Revocation reason, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// thisUpdate.
    pub this_update: String,
    /// nextUpdate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
}

/// What `inspect` shows of an OCSP response.
#[derive(Debug, Clone, Serialize)]
pub struct OcspResponseInfo {
    /// responseStatus.
    pub response_status: String,
    /// producedAt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produced_at: Option<String>,
    /// Responder by name or key hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<String>,
    /// Answers.
    pub responses: Vec<SingleResponseInfo>,
    /// Signature algorithm name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// Number of certificates included.
    pub certificate_count: usize,
    /// Nonce, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// How to describe: the time to judge validity against, and a password for encrypted objects.
pub struct Options<'a> {
    /// "Now" for expiry status.
    pub now: OffsetDateTime,
    /// Password for encrypted keys and PKCS#12 files.
    pub password: Option<&'a str>,
}

/// Describes a DER OCSP response.
pub fn ocsp_response(der: &[u8]) -> Result<OcspResponseInfo, CodecError> {
    crate::describe_ocsp::response(der)
}

/// Describes one object.
pub fn describe(object: &PkiObject, options: &Options<'_>) -> Result<Description, CodecError> {
    let der = object.der();
    Ok(match object {
        PkiObject::Certificate(_) => Description::Certificate(certificate(der, options.now)?),
        PkiObject::CertificateRequest(_) => Description::CertificateRequest(request(der)?),
        PkiObject::Crl(_) => Description::Crl(crl(der, options.now)?),
        PkiObject::PrivateKey { pkcs8, format } => Description::PrivateKey(PrivateKeyInfo {
            format: *format,
            key: describe_spki(&crate::private_key::public_spki(pkcs8)?)?,
            friendly_name: None,
        }),
        PkiObject::EncryptedPrivateKey(_) => {
            let encryption = crate::private_key::encryption_summary(der)?;
            let key = match options.password {
                Some(password) => {
                    let pkcs8 = crate::private_key::decrypt(der, password.as_bytes())?;
                    Some(describe_spki(&crate::private_key::public_spki(&pkcs8)?)?)
                }
                None => None,
            };
            Description::EncryptedPrivateKey(EncryptedKeyInfo { encryption, key })
        }
        PkiObject::PublicKey(_) => Description::PublicKey(describe_spki(der)?),
        PkiObject::Pkcs7(_) => {
            let bundle = crate::pkcs7::read(der)?;
            Description::Pkcs7(BundleInfo {
                certificates: bundle
                    .certificates
                    .iter()
                    .map(|c| certificate(c, options.now))
                    .collect::<Result<_, _>>()?,
                crls: bundle.crls.iter().map(|c| crl(c, options.now)).collect::<Result<_, _>>()?,
            })
        }
        PkiObject::Pkcs12(_) => Description::Pkcs12(pkcs12(der, options)?),
        PkiObject::OcspRequest(_) => Description::OcspRequest(crate::describe_ocsp::request(der)?),
        PkiObject::OcspResponse(_) => Description::OcspResponse(crate::describe_ocsp::response(der)?),
    })
}

fn pkcs12(der: &[u8], options: &Options<'_>) -> Result<Pkcs12Info, CodecError> {
    let envelope = crate::pkcs12::envelope(der)?;
    let mut info = Pkcs12Info {
        mac: envelope.mac,
        mac_iterations: envelope.mac_iterations,
        opened: false,
        keys: vec![],
        certificates: vec![],
    };
    if let Some(password) = options.password {
        let contents = crate::pkcs12::read(der, password)?;
        info.opened = true;
        for (pkcs8, friendly_name) in &contents.keys {
            info.keys.push(PrivateKeyInfo {
                format: KeyFormat::Pkcs8,
                key: describe_spki(&crate::private_key::public_spki(pkcs8)?)?,
                friendly_name: friendly_name.clone(),
            });
        }
        for (cert, _) in &contents.certificates {
            info.certificates.push(certificate(cert, options.now)?);
        }
    }
    Ok(info)
}

/// Formats a time as RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// A DN in encoded order, `C=US, O=Example, CN=www.example.com`.
pub fn name_to_string(name: &X509Name<'_>) -> String {
    let parts: Vec<String> = name
        .iter_attributes()
        .map(|attr| {
            let oid = attr.attr_type().to_id_string();
            let value = attr.as_str().map(escape_controls).unwrap_or_else(|_| hex::encode(attr.attr_value().data));
            format!("{}={}", oids::attribute(&oid), value)
        })
        .collect();
    parts.join(", ")
}

/// A value with control characters written as RFC 4514 hex escapes (`\\0A`), so a hostile name
/// cannot break lines or send terminal escapes when it is printed or logged.
fn escape_controls(value: &str) -> String {
    if !value.chars().any(char::is_control) {
        return value.to_string();
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if c.is_control() {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                escaped.push_str(&format!("\\{byte:02X}"));
            }
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// A general name as `type:value`.
pub fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(d) => format!("dns:{d}"),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::URI(u) => format!("uri:{u}"),
        GeneralName::IPAddress(bytes) => {
            if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                format!("ip:{}", std::net::Ipv4Addr::from(v4))
            } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                format!("ip:{}", std::net::Ipv6Addr::from(v6))
            } else {
                format!("ip:{}", hex::encode(bytes))
            }
        }
        GeneralName::DirectoryName(n) => format!("dirname:{}", name_to_string(n)),
        GeneralName::OtherName(oid, _) => format!("othername:{oid}"),
        GeneralName::RegisteredID(oid) => format!("rid:{oid}"),
        other => format!("{other:?}"),
    }
}

fn key_usage_names(ku: &x509_parser::extensions::KeyUsage) -> Vec<String> {
    let mut names = Vec::new();
    let bits = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ];
    for (set, name) in bits {
        if set {
            names.push(name.to_string());
        }
    }
    names
}

/// The names of the purposes an extendedKeyUsage extension lists (`serverAuth`, ...; dotted
/// OIDs for the ones without a name).
pub fn eku_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut names = Vec::new();
    let known = [
        (eku.any, "2.5.29.37.0"),
        (eku.server_auth, "1.3.6.1.5.5.7.3.1"),
        (eku.client_auth, "1.3.6.1.5.5.7.3.2"),
        (eku.code_signing, "1.3.6.1.5.5.7.3.3"),
        (eku.email_protection, "1.3.6.1.5.5.7.3.4"),
        (eku.time_stamping, "1.3.6.1.5.5.7.3.8"),
        (eku.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
    ];
    for (set, oid) in known {
        if set {
            names.push(oids::extended_key_usage(oid).to_string());
        }
    }
    for oid in &eku.other {
        names.push(oids::extended_key_usage(&oid.to_id_string()).to_string());
    }
    names
}

fn extension_list(extensions: &[X509Extension<'_>]) -> Vec<ExtensionInfo> {
    extensions
        .iter()
        .map(|e| {
            let oid = e.oid.to_id_string();
            ExtensionInfo { name: oids::extension(&oid).to_string(), oid, critical: e.critical }
        })
        .collect()
}

/// Describes a certificate; `now` decides its status.
pub fn certificate(der: &[u8], now: OffsetDateTime) -> Result<CertificateInfo, CodecError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CodecError::malformed(ObjectKind::Certificate, e))?;
    let validity = cert.validity();
    let not_before = validity.not_before.to_datetime();
    let not_after = validity.not_after.to_datetime();
    let status = if now < not_before {
        "not yet valid"
    } else if now > not_after {
        "expired"
    } else {
        "valid"
    };
    let mut info = CertificateInfo {
        version: cert.version().0 + 1,
        serial: serial_hex(cert.raw_serial()),
        subject: name_to_string(cert.subject()),
        issuer: name_to_string(cert.issuer()),
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        // RFC 5280 §4.1.2.5: both ends are included, so the period is one second longer.
        validity_days: (not_after - not_before + time::Duration::seconds(1)).whole_days(),
        status: status.into(),
        subject_alt_names: Vec::new(),
        public_key: describe_parsed(cert.public_key(), cert.public_key().raw),
        signature_algorithm: oids::signature_algorithm(&cert.signature_algorithm.algorithm.to_id_string()).to_string(),
        is_ca: false,
        path_length: None,
        self_signed: is_self_signed(&cert),
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        subject_key_id: None,
        authority_key_id: None,
        crl_urls: Vec::new(),
        ocsp_urls: Vec::new(),
        ca_issuer_urls: Vec::new(),
        policies: Vec::new(),
        extensions: extension_list(cert.extensions()),
        sha256_fingerprint: sha256_hex(der),
        sha1_thumbprint: sha1_thumbprint(der),
    };
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                info.subject_alt_names = san.general_names.iter().map(general_name).collect();
            }
            ParsedExtension::BasicConstraints(bc) => {
                info.is_ca = bc.ca;
                info.path_length = bc.path_len_constraint;
            }
            ParsedExtension::KeyUsage(ku) => info.key_usage = key_usage_names(ku),
            ParsedExtension::ExtendedKeyUsage(eku) => info.extended_key_usage = eku_names(eku),
            ParsedExtension::SubjectKeyIdentifier(id) => info.subject_key_id = Some(hex::encode(id.0)),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                info.authority_key_id = aki.key_identifier.as_ref().map(|k| hex::encode(k.0));
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) =
                        &point.distribution_point
                    {
                        info.crl_urls.extend(names.iter().filter_map(uri));
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for access in aia.iter() {
                    match access.access_method.to_id_string().as_str() {
                        "1.3.6.1.5.5.7.48.1" => info.ocsp_urls.extend(uri(&access.access_location)),
                        "1.3.6.1.5.5.7.48.2" => info.ca_issuer_urls.extend(uri(&access.access_location)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::CertificatePolicies(policies) => {
                info.policies = policies.iter().map(|p| p.policy_id.to_id_string()).collect();
            }
            _ => {}
        }
    }
    Ok(info)
}

fn uri(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::URI(u) => Some((*u).to_string()),
        _ => None,
    }
}

/// Describes a CSR and checks its signature.
pub fn request(der: &[u8]) -> Result<RequestInfo, CodecError> {
    let (_, csr) = X509CertificationRequest::from_der(der)
        .map_err(|e| CodecError::malformed(ObjectKind::CertificateRequest, e))?;
    let cri = &csr.certification_request_info;
    let signature_oid = csr.signature_algorithm.algorithm.to_id_string();
    let signature_valid = csr.verify_signature().is_ok();
    let signature_status = if oids::is_weak_signature(&signature_oid) {
        "weak-algorithm"
    } else if signature_valid {
        "valid"
    } else {
        "invalid"
    };
    let mut info = RequestInfo {
        subject: name_to_string(&cri.subject),
        subject_alt_names: Vec::new(),
        public_key: describe_parsed(&cri.subject_pki, cri.subject_pki.raw),
        signature_algorithm: oids::signature_algorithm(&signature_oid).to_string(),
        signature_valid,
        signature_status: signature_status.into(),
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        extensions: Vec::new(),
        attributes: cri.iter_attributes().map(|a| oids::request_attribute(&a.oid.to_id_string()).to_string()).collect(),
        sha256_fingerprint: sha256_hex(der),
    };
    for attribute in cri.iter_attributes() {
        if let ParsedCriAttribute::ExtensionRequest(request) = attribute.parsed_attribute() {
            info.extensions = extension_list(&request.extensions);
            for ext in &request.extensions {
                match ext.parsed_extension() {
                    ParsedExtension::SubjectAlternativeName(san) => {
                        info.subject_alt_names = san.general_names.iter().map(general_name).collect();
                    }
                    ParsedExtension::KeyUsage(ku) => info.key_usage = key_usage_names(ku),
                    ParsedExtension::ExtendedKeyUsage(eku) => info.extended_key_usage = eku_names(eku),
                    _ => {}
                }
            }
        }
    }
    Ok(info)
}

/// Describes a CRL; `now` decides whether it is stale.
pub fn crl(der: &[u8], now: OffsetDateTime) -> Result<CrlInfo, CodecError> {
    let (_, crl) = CertificateRevocationList::from_der(der).map_err(|e| CodecError::malformed(ObjectKind::Crl, e))?;
    let next_update = crl.next_update().map(|t| t.to_datetime());
    let revoked: Vec<RevokedEntry> = crl
        .iter_revoked_certificates()
        .map(|entry| RevokedEntry {
            serial: serial_hex(entry.raw_serial()),
            revoked_at: rfc3339(entry.revocation_date.to_datetime()),
            reason: entry.reason_code().map(|(_, code)| crl_reason(code.0)),
            invalidity_date: entry.extensions().iter().find_map(|e| match e.parsed_extension() {
                ParsedExtension::InvalidityDate(t) => Some(rfc3339(t.to_datetime())),
                _ => None,
            }),
        })
        .collect();
    let authority_key_id = crl.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref().map(|k| hex::encode(k.0)),
        _ => None,
    });
    let distribution_points: Vec<String> = crl
        .extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::IssuingDistributionPoint(idp) => match &idp.distribution_point {
                Some(x509_parser::extensions::DistributionPointName::FullName(names)) => {
                    Some(names.iter().filter_map(uri).collect::<Vec<_>>())
                }
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .collect();
    let shard = distribution_points.iter().find_map(|p| {
        let (_, file) = p.rsplit_once('/')?;
        file.strip_suffix(".crl")?.parse::<u16>().ok()
    });
    Ok(CrlInfo {
        issuer: name_to_string(crl.issuer()),
        this_update: rfc3339(crl.last_update().to_datetime()),
        next_update: next_update.map(rfc3339),
        status: if next_update.is_some_and(|n| now > n) { "stale" } else { "current" }.into(),
        crl_number: crl.crl_number().map(ToString::to_string),
        authority_key_id,
        distribution_points,
        shard,
        signature_algorithm: oids::signature_algorithm(&crl.signature_algorithm.algorithm.to_id_string()).to_string(),
        revoked_count: revoked.len(),
        revoked,
        sha256_fingerprint: sha256_hex(der),
    })
}

/// Whether a certificate is self-signed: issued to itself, and its signature verifies with its
/// own key.
pub fn is_self_signed(cert: &x509_parser::certificate::X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw() && cert.verify_signature(None).is_ok()
}

/// A serial number as lower-case hex of its magnitude (the DER sign byte dropped), as
/// `signet_model::Serial` writes it; zero is "00".
pub fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len().saturating_sub(1));
    hex::encode(raw.get(start..).unwrap_or_default())
}

/// The RFC 5280 §5.3.1 name of a CRLReason code (`keyCompromise`), the same for CRL entries
/// and OCSP responses, and the spelling `signet revoke --reason` and the API take.
pub fn crl_reason(code: u8) -> String {
    let name = match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        other => return format!("unknown reason code {other}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_print_as_magnitudes() {
        assert_eq!(serial_hex(&[0x00, 0x8a, 0x01]), "8a01");
        assert_eq!(serial_hex(&[0x05, 0x00]), "0500");
        assert_eq!(serial_hex(&[0x00]), "00");
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        assert_eq!(escape_controls("plain Zürich"), "plain Zürich");
        assert_eq!(escape_controls("a\nb\u{1b}[31m\0"), "a\\0Ab\\1B[31m\\00");
    }

    #[test]
    fn crl_and_ocsp_reasons_share_names() {
        assert_eq!(crl_reason(crate::ocsp::CrlReason::CaCompromise as u8), "cACompromise");
        assert_eq!(crl_reason(1), "keyCompromise");
        assert_eq!(crl_reason(7), "unknown reason code 7");
    }
}
