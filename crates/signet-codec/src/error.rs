//! Errors from reading and writing PKI files. Each message names what was found, where (line or
//! byte offset), and what to do.

use crate::object::ObjectKind;

/// What went wrong reading or writing a PKI object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The input is empty.
    #[error("the file is empty")]
    Empty,
    /// The input is larger than signet will read.
    #[error("the file is {size} bytes; signet reads PKI files of at most {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Text without any PEM block or base64 in it.
    #[error("no certificate, key or request found: {hint}")]
    NotPki {
        /// What the input looks like instead.
        hint: String,
    },
    /// A PEM block whose body is not valid base64.
    #[error("PEM block {label} (line {line}): {detail}")]
    PemBadBase64 {
        /// The block label.
        label: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A PEM label signet does not know.
    #[error(
        "PEM label \"{label}\" is not a kind of file signet reads (certificates, CSRs, CRLs, keys, PKCS#7, PKCS#12, OCSP)"
    )]
    UnknownLabel {
        /// The label.
        label: String,
    },
    /// An old OpenSSL `Proc-Type: 4,ENCRYPTED` key.
    #[error(
        "this {label} uses OpenSSL's legacy PEM encryption; convert it to PKCS#8 first: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.key -out NEW.key"
    )]
    LegacyEncryptedPem {
        /// The block label.
        label: String,
    },
    /// The input holds something other than the one object needed (P30).
    #[error("this is {}, but {expected} is needed here{}", found_text(.found), wrong_kind_hint(.found, .expected))]
    WrongKind {
        /// What the input holds.
        found: Vec<ObjectKind>,
        /// What was needed, in words ("a certificate").
        expected: String,
    },
    /// A PEM block whose label says one thing and whose contents are another.
    #[error("the PEM block at line {line} is labelled {label} but contains {actual}; fix its BEGIN/END lines")]
    Mislabelled {
        /// The label.
        label: String,
        /// 1-based line of the BEGIN line.
        line: usize,
        /// What it really holds.
        actual: ObjectKind,
    },
    /// DER whose length header claims more bytes than there are.
    #[error(
        "the data is truncated: the DER header at byte {offset} announces {declared} bytes but only {available} follow; the file was cut short (copy it again)"
    )]
    Truncated {
        /// Byte offset of the header.
        offset: usize,
        /// Declared length.
        declared: usize,
        /// Bytes actually present.
        available: usize,
    },
    /// Bytes after the end of the object.
    #[error(
        "{extra} unexpected bytes follow {kind}, which ends at byte {offset}; remove them or give the object alone"
    )]
    TrailingData {
        /// The object read.
        kind: ObjectKind,
        /// Where it ended.
        offset: usize,
        /// How many bytes follow.
        extra: usize,
    },
    /// DER that is structurally a known kind but fails to decode.
    #[error("malformed {kind}{}: {detail}", offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    Malformed {
        /// What it was read as.
        kind: ObjectKind,
        /// Byte offset of the fault, when known.
        offset: Option<usize>,
        /// The decoder's words.
        detail: String,
    },
    /// Binary data that is not any known DER structure.
    #[error("unrecognised data{}: not a certificate, CSR, CRL, key, PKCS#7, PKCS#12 or OCSP message (first bytes {first_bytes})", if *.is_der { " (valid DER)" } else { "" })]
    Unrecognised {
        /// Hex of the first bytes.
        first_bytes: String,
        /// Whether it parsed as DER at all.
        is_der: bool,
    },
    /// A password was needed and was wrong, or the data is corrupt.
    #[error("{what}: wrong password, or the file is damaged")]
    WrongPassword {
        /// What was being decrypted.
        what: String,
    },
    /// A password was needed and none was given.
    #[error(
        "{what} is encrypted; give its password with --pass-file FILE or the SIGNET_PASSPHRASE environment variable"
    )]
    PasswordNeeded {
        /// What is encrypted.
        what: String,
    },
    /// An algorithm signet does not support.
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// What kind of algorithm.
        what: String,
        /// Which.
        detail: String,
    },
    /// Writing failed.
    #[error("cannot encode {what}: {detail}")]
    Encode {
        /// What was being written.
        what: String,
        /// Why.
        detail: String,
    },
}

fn found_text(found: &[ObjectKind]) -> String {
    match found {
        [] => "empty".to_string(),
        [one] => one.to_string(),
        many => {
            format!("{} objects ({})", many.len(), many.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "))
        }
    }
}

/// The classic confusions, explained.
fn wrong_kind_hint(found: &[ObjectKind], expected: &str) -> &'static str {
    let csr = ObjectKind::CertificateRequest.to_string();
    let certificate = ObjectKind::Certificate.to_string();
    let key = ObjectKind::PrivateKey.to_string();
    match found {
        [ObjectKind::Certificate] if expected == key => {
            " (a certificate holds only the public key; the private key is the file made with the CSR)"
        }
        [ObjectKind::CertificateRequest] if expected == certificate => {
            " (a CSR is what you send to the CA; the certificate is what it sends back)"
        }
        [ObjectKind::PrivateKey | ObjectKind::EncryptedPrivateKey] if expected == csr => {
            "; never send your private key to a CA, send the CSR made with it"
        }
        _ => "",
    }
}

impl CodecError {
    /// The input holds `found` where `expected` (in words) is needed.
    pub fn wrong_kind(found: &[ObjectKind], expected: impl Into<String>) -> Self {
        Self::WrongKind { found: found.to_vec(), expected: expected.into() }
    }

    /// An object of `kind` that does not parse, for a parser's error without a byte offset.
    pub fn malformed(kind: ObjectKind, error: impl std::fmt::Display) -> Self {
        Self::Malformed { kind, offset: None, detail: error.to_string() }
    }

    pub(crate) fn from_der(kind: ObjectKind, error: der::Error) -> Self {
        let offset = error.position().map(|p| u32::from(p) as usize);
        Self::Malformed { kind, offset, detail: error.kind().to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_data_reads_as_english() {
        // Regression: "follow the a certificate" (issue 10).
        let error = CodecError::TrailingData { kind: ObjectKind::Certificate, offset: 412, extra: 26 };
        assert_eq!(
            error.to_string(),
            "26 unexpected bytes follow a certificate, which ends at byte 412; remove them or give the object alone"
        );
    }
}
