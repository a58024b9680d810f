//! ACME Renewal Information (RFC 9773): certificates are named by their CertID,
//! `base64url(authorityKeyIdentifier) "." base64url(serial)`, in `renewalInfo` requests and in a
//! new order's `replaces`.

use serde_json::Value;
use signet_store::acme::AcmeAccountRecord;

use crate::jws::b64_decode;
use crate::problem::{AcmeProblem, AcmeResult};
use crate::server::AcmeState;

/// A CertID, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    /// The issuer's key identifier.
    pub key_identifier: Vec<u8>,
    /// The serial's DER content octets.
    pub serial: Vec<u8>,
}

impl CertId {
    /// Parses `AKI.SERIAL` (both base64url without padding, RFC 9773 §4.1).
    pub fn parse(text: &str) -> AcmeResult<Self> {
        let bad = || {
            AcmeProblem::malformed(format!(
                "{text:?} is not a CertID (base64url(AKI).base64url(serial), RFC 9773 §4.1)"
            ))
        };
        let (aki, serial) = text.split_once('.').ok_or_else(bad)?;
        let key_identifier = b64_decode(aki, "the CertID").map_err(|_| bad())?;
        let serial = b64_decode(serial, "the CertID").map_err(|_| bad())?;
        if key_identifier.is_empty() || serial.is_empty() {
            return Err(bad());
        }
        Ok(Self { key_identifier, serial })
    }
}

/// A new order's `replaces` (RFC 9773 §5): a CertID, kept with the order.
pub(crate) async fn replaces(
    _acme: &AcmeState,
    _account: &AcmeAccountRecord,
    value: Option<&Value>,
) -> AcmeResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(Value::String(text)) => {
            CertId::parse(text)?;
            Ok(Some(text.clone()))
        }
        Some(_) => Err(AcmeProblem::malformed("\"replaces\" must be a CertID string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_ids_are_read_strictly() {
        // RFC 9773 §4.1's example.
        let id = CertId::parse("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE").unwrap();
        assert_eq!(id.serial, [0x00, 0x87, 0x65, 0x43, 0x21]);
        assert_eq!(id.key_identifier.len(), 20);
        for bad in ["", "abc", ".AIdlQyE", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.", "a=.b", "a.b.c!"] {
            assert!(CertId::parse(bad).is_err(), "{bad}");
        }
    }
}
