//! What a PKI file contains: sniffing PEM, bare base64 and DER into typed objects.
//!
//! [`decode`] is the one entry point for "any file a user hands us". It finds every object in the
//! input, checks that each really is what its PEM label says (a CSR labelled CERTIFICATE is an
//! error, P30), normalises private keys to PKCS#8, and refuses truncated or trailing data with the
//! byte offset. Every object it returns has already been parsed once, so later steps may rely on
//! its structure.

use std::fmt;

use der::Decode;
use serde::Serialize;
use x509_parser::prelude::FromDer;
use zeroize::Zeroizing;

use crate::error::CodecError;
use crate::{ocsp, pem};

/// The largest input signet reads (a large CRL fits; a disk image does not).
pub const MAX_INPUT: usize = 32 * 1024 * 1024;

/// The kinds of PKI object signet recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// An X.509 certificate (RFC 5280).
    Certificate,
    /// A PKCS#10 certificate signing request (RFC 2986).
    CertificateRequest,
    /// A certificate revocation list (RFC 5280 §5).
    Crl,
    /// An unencrypted private key (PKCS#8, PKCS#1 or SEC1).
    PrivateKey,
    /// A password-encrypted PKCS#8 private key.
    EncryptedPrivateKey,
    /// A SubjectPublicKeyInfo (or PKCS#1 RSA public key).
    PublicKey,
    /// A PKCS#7 / CMS SignedData bundle of certificates and CRLs (RFC 5652).
    Pkcs7,
    /// A PKCS#12 / PFX archive (RFC 7292).
    Pkcs12,
    /// An OCSP request (RFC 6960).
    OcspRequest,
    /// An OCSP response (RFC 6960).
    OcspResponse,
}

impl ObjectKind {
    /// The canonical PEM label signet writes for this kind.
    pub fn pem_label(self) -> &'static str {
        match self {
            Self::Certificate => "CERTIFICATE",
            Self::CertificateRequest => "CERTIFICATE REQUEST",
            Self::Crl => "X509 CRL",
            Self::PrivateKey => "PRIVATE KEY",
            Self::EncryptedPrivateKey => "ENCRYPTED PRIVATE KEY",
            Self::PublicKey => "PUBLIC KEY",
            Self::Pkcs7 => "PKCS7",
            Self::Pkcs12 => "PKCS12",
            Self::OcspRequest => "OCSP REQUEST",
            Self::OcspResponse => "OCSP RESPONSE",
        }
    }

    /// The kind a PEM label announces, including the legacy and OpenSSL-specific labels.
    pub fn from_pem_label(label: &str) -> Option<Self> {
        Some(match label {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => Self::Certificate,
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Self::CertificateRequest,
            "X509 CRL" => Self::Crl,
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => Self::PrivateKey,
            "ENCRYPTED PRIVATE KEY" => Self::EncryptedPrivateKey,
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Self::PublicKey,
            "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => Self::Pkcs7,
            "PKCS12" => Self::Pkcs12,
            "OCSP REQUEST" => Self::OcspRequest,
            "OCSP RESPONSE" => Self::OcspResponse,
            _ => return None,
        })
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Certificate => "a certificate",
            Self::CertificateRequest => "a certificate request (CSR)",
            Self::Crl => "a certificate revocation list (CRL)",
            Self::PrivateKey => "a private key",
            Self::EncryptedPrivateKey => "an encrypted private key",
            Self::PublicKey => "a public key",
            Self::Pkcs7 => "a PKCS#7 bundle",
            Self::Pkcs12 => "a PKCS#12 (PFX) file",
            Self::OcspRequest => "an OCSP request",
            Self::OcspResponse => "an OCSP response",
        })
    }
}

/// The encoding a private key arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFormat {
    /// PKCS#8 PrivateKeyInfo (RFC 5208 / 5958).
    Pkcs8,
    /// PKCS#1 RSAPrivateKey (`RSA PRIVATE KEY`).
    Pkcs1,
    /// SEC 1 ECPrivateKey (`EC PRIVATE KEY`, RFC 5915).
    Sec1,
}

/// Private-key DER that is wiped from memory when dropped and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretDer(Zeroizing<Vec<u8>>);

impl SecretDer {
    /// Takes ownership of key bytes.
    pub fn new(der: Vec<u8>) -> Self {
        Self(Zeroizing::new(der))
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretDer([REDACTED; {} bytes])", self.0.len())
    }
}

/// One decoded PKI object, holding its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PkiObject {
    /// DER of a Certificate.
    Certificate(Vec<u8>),
    /// DER of a CertificationRequest.
    CertificateRequest(Vec<u8>),
    /// DER of a CertificateList.
    Crl(Vec<u8>),
    /// An unencrypted private key, normalised to PKCS#8.
    PrivateKey {
        /// PKCS#8 PrivateKeyInfo DER.
        pkcs8: SecretDer,
        /// The encoding it was found in.
        format: KeyFormat,
    },
    /// DER of an EncryptedPrivateKeyInfo.
    EncryptedPrivateKey(Vec<u8>),
    /// DER of a SubjectPublicKeyInfo.
    PublicKey(Vec<u8>),
    /// DER of a ContentInfo holding SignedData.
    Pkcs7(Vec<u8>),
    /// DER of a PFX.
    Pkcs12(Vec<u8>),
    /// DER of an OCSPRequest.
    OcspRequest(Vec<u8>),
    /// DER of an OCSPResponse.
    OcspResponse(Vec<u8>),
}

impl PkiObject {
    /// What kind of object this is.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Self::Certificate(_) => ObjectKind::Certificate,
            Self::CertificateRequest(_) => ObjectKind::CertificateRequest,
            Self::Crl(_) => ObjectKind::Crl,
            Self::PrivateKey { .. } => ObjectKind::PrivateKey,
            Self::EncryptedPrivateKey(_) => ObjectKind::EncryptedPrivateKey,
            Self::PublicKey(_) => ObjectKind::PublicKey,
            Self::Pkcs7(_) => ObjectKind::Pkcs7,
            Self::Pkcs12(_) => ObjectKind::Pkcs12,
            Self::OcspRequest(_) => ObjectKind::OcspRequest,
            Self::OcspResponse(_) => ObjectKind::OcspResponse,
        }
    }

    /// The DER encoding (PKCS#8 for private keys).
    pub fn der(&self) -> &[u8] {
        match self {
            Self::PrivateKey { pkcs8, .. } => pkcs8.expose(),
            Self::Certificate(d)
            | Self::CertificateRequest(d)
            | Self::Crl(d)
            | Self::EncryptedPrivateKey(d)
            | Self::PublicKey(d)
            | Self::Pkcs7(d)
            | Self::Pkcs12(d)
            | Self::OcspRequest(d)
            | Self::OcspResponse(d) => d,
        }
    }

    /// Canonical PEM text of this object.
    pub fn to_pem(&self) -> String {
        pem::encode(self.kind().pem_label(), self.der())
    }
}

/// Everything found in one input.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The objects, in order.
    pub objects: Vec<PkiObject>,
    /// How the input was encoded.
    pub encoding: Encoding,
    /// Things that were forgiven while reading (missing END line, no armour...).
    pub notes: Vec<String>,
}

impl Decoded {
    /// The DER of the one object of `kind` the input holds; otherwise an error naming what it
    /// holds instead.
    pub fn single(&self, kind: ObjectKind) -> Result<&[u8], CodecError> {
        match self.objects.as_slice() {
            [object] if object.kind() == kind => Ok(object.der()),
            objects => {
                Err(CodecError::wrong_kind(&objects.iter().map(PkiObject::kind).collect::<Vec<_>>(), kind.to_string()))
            }
        }
    }
}

/// The outer encoding of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// PEM blocks.
    #[default]
    Pem,
    /// Base64 without BEGIN/END lines.
    Base64,
    /// Binary DER.
    Der,
}

/// Reads every PKI object in `input`: PEM (tolerantly), bare base64 or DER.
pub fn decode(input: &[u8]) -> Result<Decoded, CodecError> {
    if input.len() > MAX_INPUT {
        return Err(CodecError::TooLarge { size: input.len(), limit: MAX_INPUT });
    }
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(CodecError::Empty);
    }
    if looks_like_der(input) {
        let object = classify(input, None, false)?;
        return Ok(Decoded { objects: vec![object], encoding: Encoding::Der, notes: Vec::new() });
    }
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(_) => {
            return Err(CodecError::Unrecognised { first_bytes: first_bytes(input), is_der: false });
        }
    };
    let scan = pem::scan(text)?;
    if !scan.blocks.is_empty() {
        let mut objects = Vec::with_capacity(scan.blocks.len());
        for block in &scan.blocks {
            let hint = ObjectKind::from_pem_label(&block.label)
                .ok_or_else(|| CodecError::UnknownLabel { label: block.label.clone() })?;
            let allow_trailing = block.label == "TRUSTED CERTIFICATE";
            let object = classify(&block.der, Some(hint), allow_trailing).map_err(|e| match e {
                CodecError::Mislabelled { actual, .. } => {
                    CodecError::Mislabelled { label: block.label.clone(), line: block.line, actual }
                }
                other => other,
            })?;
            objects.push(object);
        }
        return Ok(Decoded { objects, encoding: Encoding::Pem, notes: scan.notes });
    }
    if let Some(der) = pem::bare_base64(text) {
        let der = Zeroizing::new(der);
        let object = classify(&der, None, false)?;
        let notes = vec![format!("no BEGIN/END lines: read as base64 of {}", object.kind())];
        return Ok(Decoded { objects: vec![object], encoding: Encoding::Base64, notes });
    }
    Err(CodecError::NotPki { hint: text_hint(text) })
}

fn looks_like_der(input: &[u8]) -> bool {
    // Binary that starts with a SEQUENCE, or text-safe bytes whose SEQUENCE header spans them all.
    input.first() == Some(&0x30)
        && (std::str::from_utf8(input).is_err() || outer_tlv(input).is_ok_and(|(_, total)| total == input.len()))
}

fn first_bytes(input: &[u8]) -> String {
    let head: Vec<String> = input.iter().take(8).map(|b| format!("{b:02x}")).collect();
    head.join(" ")
}

fn text_hint(text: &str) -> String {
    let t = text.trim_start();
    if t.starts_with("Certificate:") || t.contains("Signature Algorithm:") {
        "this is a text dump (openssl -text output) without the encoded certificate; use the file that has the BEGIN CERTIFICATE block".into()
    } else if t.starts_with('{') || t.starts_with('[') {
        "this is JSON; if it came from an API, take the PEM string out of it".into()
    } else if t.to_ascii_lowercase().starts_with("<!doctype") || t.starts_with('<') {
        "this is HTML or XML, probably a web page saved instead of the file it links to".into()
    } else if t.starts_with("ssh-") || t.contains("OPENSSH PRIVATE KEY") {
        "this is an SSH key, not an X.509/PKCS key".into()
    } else {
        "the text has no -----BEGIN ...----- block and is not base64".into()
    }
}

/// Length of the outer TLV, checking truncation: (header length, total length).
fn outer_tlv(der: &[u8]) -> Result<(usize, usize), CodecError> {
    let header = der::Header::from_der_partial(der)
        .map_err(|_| CodecError::Unrecognised { first_bytes: first_bytes(der), is_der: false });
    let (header, rest) = match header {
        Ok(parts) => parts,
        Err(e) => {
            // A length octet announcing more length octets than there are is truncation too.
            return Err(truncation_in_header(der).unwrap_or(e));
        }
    };
    let header_len = der.len() - rest.len();
    let declared = usize::try_from(u32::from(header.length())).unwrap_or(usize::MAX);
    if declared > rest.len() {
        return Err(CodecError::Truncated { offset: 0, declared, available: rest.len() });
    }
    Ok((header_len, header_len + declared))
}

fn truncation_in_header(der: &[u8]) -> Option<CodecError> {
    match der {
        [_, len @ 0x81..=0x84, rest @ ..] if rest.len() < usize::from(len - 0x80) => {
            Some(CodecError::Truncated { offset: 0, declared: usize::from(len - 0x80), available: rest.len() })
        }
        _ => None,
    }
}

/// Identifies one DER object, preferring `hint` (from a PEM label) and reporting a mislabel.
fn classify(der: &[u8], hint: Option<ObjectKind>, allow_trailing: bool) -> Result<PkiObject, CodecError> {
    let (header_len, total) = outer_tlv(der)?;
    if der.first() != Some(&0x30) {
        return Err(CodecError::Unrecognised { first_bytes: first_bytes(der), is_der: true });
    }
    let object_der = der.get(..total).unwrap_or(der);
    let first_inner = der.get(header_len).copied();
    let candidates: &[ObjectKind] = match first_inner {
        Some(0x30) => &[
            ObjectKind::Certificate,
            ObjectKind::Crl,
            ObjectKind::CertificateRequest,
            ObjectKind::PublicKey,
            ObjectKind::EncryptedPrivateKey,
            ObjectKind::OcspRequest,
        ],
        Some(0x02) => &[ObjectKind::PrivateKey, ObjectKind::Pkcs12, ObjectKind::PublicKey],
        Some(0x06) => &[ObjectKind::Pkcs7],
        Some(0x0a) => &[ObjectKind::OcspResponse],
        _ => &[],
    };
    // Candidates are only probed: the diagnosis of why a guess failed would be thrown away.
    let probe = |skip: Option<ObjectKind>| {
        candidates.iter().filter(|k| Some(**k) != skip).find_map(|k| parse(*k, object_der, false).ok())
    };
    let found = match hint {
        Some(kind) => match parse_as(kind, object_der) {
            Ok(object) => Ok(object),
            Err(hint_error) => match probe(Some(kind)) {
                Some(other) => Err(CodecError::Mislabelled { label: String::new(), line: 0, actual: other.kind() }),
                None => Err(hint_error),
            },
        },
        None => probe(None).ok_or_else(|| CodecError::Unrecognised { first_bytes: first_bytes(der), is_der: true }),
    }?;
    if total < der.len() && !allow_trailing {
        let extra = der.len() - total;
        let padding_only = der.get(total..).is_some_and(|rest| rest.iter().all(|b| *b == 0));
        if !padding_only {
            return Err(CodecError::TrailingData { kind: found.kind(), offset: total, extra });
        }
    }
    Ok(found)
}

/// Parses `der` as exactly `kind`, with a precise error when it is not.
pub fn parse_as(kind: ObjectKind, der: &[u8]) -> Result<PkiObject, CodecError> {
    parse(kind, der, true)
}

/// Parses `der` as `kind`; `diagnose` asks for the byte offset of a failure, at the cost of a
/// second decode.
fn parse(kind: ObjectKind, der: &[u8], diagnose: bool) -> Result<PkiObject, CodecError> {
    let owned = || der.to_vec();
    match kind {
        ObjectKind::Certificate => {
            check_x509(kind, diagnose, x509_parser::certificate::X509Certificate::from_der(der).map(|_| ()), || {
                x509_cert::Certificate::from_der(der).map(|_| ())
            })?;
            Ok(PkiObject::Certificate(owned()))
        }
        ObjectKind::CertificateRequest => {
            check_x509(
                kind,
                diagnose,
                x509_parser::certification_request::X509CertificationRequest::from_der(der).map(|_| ()),
                || x509_cert::request::CertReq::from_der(der).map(|_| ()),
            )?;
            Ok(PkiObject::CertificateRequest(owned()))
        }
        ObjectKind::Crl => {
            check_x509(
                kind,
                diagnose,
                x509_parser::revocation_list::CertificateRevocationList::from_der(der).map(|_| ()),
                || <x509_cert::crl::CertificateList>::from_der(der).map(|_| ()),
            )?;
            Ok(PkiObject::Crl(owned()))
        }
        ObjectKind::PrivateKey => crate::private_key::normalise(der),
        ObjectKind::EncryptedPrivateKey => {
            crate::private_key::check_encrypted(der)?;
            Ok(PkiObject::EncryptedPrivateKey(owned()))
        }
        ObjectKind::PublicKey => crate::public_key::normalise_spki(der).map(PkiObject::PublicKey),
        ObjectKind::Pkcs7 => {
            crate::pkcs7::signed_data(der)?;
            Ok(PkiObject::Pkcs7(owned()))
        }
        ObjectKind::Pkcs12 => {
            let pfx = pkcs12::pfx::Pfx::from_der(der).map_err(|e| CodecError::from_der(kind, e))?;
            if pfx.version != pkcs12::pfx::Version::V3 {
                return Err(CodecError::malformed(kind, "PFX version is not 3"));
            }
            Ok(PkiObject::Pkcs12(owned()))
        }
        ObjectKind::OcspRequest => {
            ocsp::OcspRequest::from_der(der).map_err(|e| CodecError::from_der(kind, e))?;
            Ok(PkiObject::OcspRequest(owned()))
        }
        ObjectKind::OcspResponse => {
            ocsp::OcspResponse::from_der(der).map_err(|e| CodecError::from_der(kind, e))?;
            Ok(PkiObject::OcspResponse(owned()))
        }
    }
}

/// x509-parser decides; when it refuses and `diagnose` is set, the stricter `der` decoder
/// supplies a byte offset.
fn check_x509<E: fmt::Display>(
    kind: ObjectKind,
    diagnose: bool,
    parsed: Result<(), E>,
    with_offset: impl FnOnce() -> Result<(), der::Error>,
) -> Result<(), CodecError> {
    match parsed {
        Ok(()) => Ok(()),
        Err(e) if !diagnose => Err(CodecError::malformed(kind, e)),
        Err(e) => Err(match with_offset() {
            Err(der_error) => CodecError::from_der(kind, der_error),
            Ok(()) => CodecError::malformed(kind, e),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_are_empty() {
        assert_eq!(decode(b"").unwrap_err(), CodecError::Empty);
        assert_eq!(decode(b" \n\r\n").unwrap_err(), CodecError::Empty);
    }

    #[test]
    fn truncated_der_reports_lengths() {
        let err = decode(&[0x30, 0x82, 0x01, 0x00, 0x30, 0x03]).unwrap_err();
        assert_eq!(err, CodecError::Truncated { offset: 0, declared: 256, available: 2 });
        let err = decode(&[0x30, 0x84, 0x7f]).unwrap_err();
        assert!(matches!(err, CodecError::Truncated { .. }), "{err:?}");
    }

    #[test]
    fn garbage_is_unrecognised_not_a_panic() {
        assert!(matches!(decode(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]), Err(CodecError::Unrecognised { .. })));
        assert!(matches!(decode(b"hello world, this is text"), Err(CodecError::NotPki { .. })));
        assert!(matches!(decode(&[0x30, 0x03, 0x02, 0x01, 0x05]), Err(CodecError::Unrecognised { is_der: true, .. })));
    }

    #[test]
    fn openssl_text_dumps_get_a_hint() {
        let err = decode(b"Certificate:\n    Data:\n        Version: 3 (0x2)\n").unwrap_err();
        assert!(err.to_string().contains("openssl -text"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let mut der = Vec::new();
        for _ in 0..10_000 {
            der.splice(0..0, [0x30, 0x84, 0, 0, 0, 0]);
        }
        assert!(decode(&der).is_err());
    }
}
