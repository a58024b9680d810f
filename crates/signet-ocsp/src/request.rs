//! Reading an `OCSPRequest` (RFC 6960 §4.1) into what the responder needs, or the error status
//! it deserves: one request (RFC 5019 §2.1.1), a SHA-1 or SHA-256 CertID, a serial, and the nonce
//! if there is one (RFC 8954: 1 to 32 octets).

use der::Decode;
use signet_codec::ocsp::{CertId, ID_PKIX_OCSP_NONCE, OcspRequest, OcspResponseStatus};
use signet_issuance::ocsp::{SHA1, SHA256};
use signet_model::Serial;

/// The largest request read; larger ones are malformed (a request is a few hundred octets).
pub(crate) const MAX_REQUEST: usize = 16 * 1024;

/// What a request asks.
pub(crate) struct Asked {
    /// The CertID, to echo in the response.
    pub(crate) cert_id: CertId,
    /// Its serial.
    pub(crate) serial: Serial,
    /// Whether the CertID is hashed with SHA-1 (what pre-signed responses answer).
    pub(crate) sha1: bool,
    /// The nonce, if the request carries one.
    pub(crate) nonce: Option<Vec<u8>>,
}

/// Reads a DER request.
pub(crate) fn read(der: &[u8]) -> Result<Asked, OcspResponseStatus> {
    use OcspResponseStatus::MalformedRequest;
    if der.is_empty() || der.len() > MAX_REQUEST {
        return Err(MalformedRequest);
    }
    let request = OcspRequest::from_der(der).map_err(|_| MalformedRequest)?;
    let [single] = request.tbs_request.request_list.as_slice() else {
        return Err(MalformedRequest);
    };
    let cert_id = single.req_cert.clone();
    let (sha1, length) = match cert_id.hash_algorithm.oid {
        oid if oid == SHA1 => (true, 20),
        oid if oid == SHA256 => (false, 32),
        _ => return Err(MalformedRequest),
    };
    if cert_id.issuer_name_hash.as_bytes().len() != length || cert_id.issuer_key_hash.as_bytes().len() != length {
        return Err(MalformedRequest);
    }
    let serial = Serial::from_magnitude(cert_id.serial_number.as_bytes()).map_err(|_| MalformedRequest)?;
    let nonce = match request.tbs_request.request_extensions.iter().flatten().find(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
    {
        None => None,
        Some(extension) => {
            // RFC 8954 §2.1: an OCTET STRING of 1 to 32 octets inside the extension's value.
            let inner =
                der::asn1::OctetString::from_der(extension.extn_value.as_bytes()).map_err(|_| MalformedRequest)?;
            if !(1..=32).contains(&inner.as_bytes().len()) {
                return Err(MalformedRequest);
            }
            Some(inner.as_bytes().to_vec())
        }
    };
    Ok(Asked { cert_id, serial, sha1, nonce })
}
