//! Descriptions of OCSP requests and responses (RFC 6960), for `signet inspect`.

use der::Decode;
use x509_cert::ext::Extensions;

use crate::describe::{
    CertIdInfo, OcspRequestInfo, OcspResponseInfo, SingleResponseInfo, crl_reason, rfc3339, serial_hex,
};
use crate::error::CodecError;
use crate::object::ObjectKind;
use crate::ocsp::{
    BasicOcspResponse, CertId, CertStatus, ID_PKIX_OCSP_BASIC, ID_PKIX_OCSP_NONCE, OcspRequest, OcspResponse,
    OcspResponseStatus, ResponderId,
};
use crate::oids;

fn cert_id(id: &CertId) -> CertIdInfo {
    CertIdInfo {
        hash_algorithm: oids::hash_algorithm(&id.hash_algorithm.oid.to_string()).to_string(),
        issuer_name_hash: hex::encode(id.issuer_name_hash.as_bytes()),
        issuer_key_hash: hex::encode(id.issuer_key_hash.as_bytes()),
        serial: serial_hex(id.serial_number.as_bytes()),
    }
}

fn nonce(extensions: Option<&Extensions>) -> Option<String> {
    extensions?.iter().find(|e| e.extn_id == ID_PKIX_OCSP_NONCE).map(|e| hex::encode(e.extn_value.as_bytes()))
}

fn time(t: der::asn1::GeneralizedTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
        .map(rfc3339)
        .unwrap_or_else(|_| format!("{t:?}"))
}

/// Describes an OCSP request.
pub fn request(der: &[u8]) -> Result<OcspRequestInfo, CodecError> {
    let request = OcspRequest::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::OcspRequest, e))?;
    Ok(OcspRequestInfo {
        requests: request.tbs_request.request_list.iter().map(|r| cert_id(&r.req_cert)).collect(),
        nonce: nonce(request.tbs_request.request_extensions.as_ref()),
        signed: request.optional_signature.is_some(),
    })
}

/// Describes an OCSP response.
pub fn response(der: &[u8]) -> Result<OcspResponseInfo, CodecError> {
    let response = OcspResponse::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::OcspResponse, e))?;
    let status = match response.response_status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    };
    let mut info = OcspResponseInfo {
        response_status: status.into(),
        produced_at: None,
        responder: None,
        responses: Vec::new(),
        signature_algorithm: None,
        certificate_count: 0,
        nonce: None,
    };
    let Some(bytes) = response.response_bytes else { return Ok(info) };
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(CodecError::Unsupported {
            what: "OCSP response type".into(),
            detail: bytes.response_type.to_string(),
        });
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| CodecError::from_der(ObjectKind::OcspResponse, e))?;
    let data = &basic.tbs_response_data;
    info.produced_at = Some(time(data.produced_at));
    info.responder = Some(match &data.responder_id {
        ResponderId::ByName(name) => format!("name:{name}"),
        ResponderId::ByKey(hash) => format!("key-sha1:{}", hex::encode(hash.as_bytes())),
    });
    info.signature_algorithm = Some(oids::signature_algorithm(&basic.signature_algorithm.oid.to_string()).to_string());
    info.certificate_count = basic.certs.as_ref().map_or(0, Vec::len);
    info.nonce = nonce(data.response_extensions.as_ref());
    for single in &data.responses {
        let (status, revoked_at, reason) = match &single.cert_status {
            CertStatus::Good(_) => ("good", None, None),
            CertStatus::Unknown(_) => ("unknown", None, None),
            CertStatus::Revoked(info) => {
                ("revoked", Some(time(info.revocation_time)), info.revocation_reason.map(|r| crl_reason(r as u8)))
            }
        };
        info.responses.push(SingleResponseInfo {
            cert_id: cert_id(&single.cert_id),
            status: status.into(),
            revoked_at,
            reason,
            this_update: time(single.this_update),
            next_update: single.next_update.map(time),
        });
    }
    Ok(info)
}
