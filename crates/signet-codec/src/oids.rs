//! Human names for the object identifiers `inspect` shows (RFC 5280, RFC 3279/5758/8410, RFC 6960,
//! the Microsoft arc the seeds list in §2.17). Unknown OIDs are shown dotted.

/// Name of a signature algorithm OID.
pub fn signature_algorithm(oid: &str) -> &str {
    match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-SHA256",
        other => other,
    }
}

/// Whether a signature algorithm uses a hash no longer acceptable (MD2, MD5, SHA-1).
pub fn is_weak_signature(oid: &str) -> bool {
    matches!(
        oid,
        "1.2.840.113549.1.1.2"
            | "1.2.840.113549.1.1.4"
            | "1.2.840.113549.1.1.5"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3"
            | "1.3.14.3.2.29"
    )
}

/// Name of an extension OID.
pub fn extension(oid: &str) -> &str {
    match oid {
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "reasonCode",
        "2.5.29.24" => "invalidityDate",
        "2.5.29.27" => "deltaCRLIndicator",
        "2.5.29.28" => "issuingDistributionPoint",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.33" => "policyMappings",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.37" => "extKeyUsage",
        "2.5.29.46" => "freshestCRL",
        "2.5.29.54" => "inhibitAnyPolicy",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.1.11" => "subjectInfoAccess",
        "1.3.6.1.5.5.7.1.24" => "tlsFeature",
        "1.3.6.1.5.5.7.48.1.2" => "ocspNonce",
        "1.3.6.1.5.5.7.48.1.5" => "ocspNoCheck",
        "1.3.6.1.4.1.11129.2.4.2" => "signedCertificateTimestampList",
        "1.3.6.1.4.1.11129.2.4.3" => "ctPoison",
        "1.3.6.1.4.1.311.20.2" => "msCertificateTemplateName",
        "1.3.6.1.4.1.311.21.1" => "msCaVersion",
        "1.3.6.1.4.1.311.21.2" => "msPreviousCaCertHash",
        "1.3.6.1.4.1.311.21.7" => "msCertificateTemplate",
        "1.3.6.1.4.1.311.21.10" => "msApplicationPolicies",
        "2.16.840.1.113730.1.1" => "netscapeCertType",
        "2.16.840.1.113730.1.13" => "netscapeComment",
        other => other,
    }
}

/// Name of an extended key usage OID.
pub fn extended_key_usage(oid: &str) -> &str {
    match oid {
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.5" => "ipsecEndSystem",
        "1.3.6.1.5.5.7.3.6" => "ipsecTunnel",
        "1.3.6.1.5.5.7.3.7" => "ipsecUser",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "1.3.6.1.5.5.7.3.17" => "ipsecIKE",
        "1.3.6.1.4.1.311.10.3.3" => "msServerGatedCrypto (obsolete)",
        "2.16.840.1.113730.4.1" => "netscapeServerGatedCrypto (obsolete)",
        "1.3.6.1.4.1.311.10.3.4" => "msEncryptingFileSystem",
        "1.3.6.1.4.1.311.10.3.4.1" => "msEfsRecovery",
        "1.3.6.1.4.1.311.20.2.2" => "msSmartcardLogon",
        "1.3.6.1.4.1.311.21.5" => "msCaExchange",
        "1.3.6.1.4.1.311.21.6" => "msKeyRecoveryAgent",
        other => other,
    }
}

/// Short name of a distinguished-name attribute type.
pub fn attribute(oid: &str) -> &str {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "street",
        "2.5.4.17" => "postalCode",
        "2.5.4.12" => "title",
        "2.5.4.42" => "GN",
        "2.5.4.4" => "SN",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        "2.5.4.15" => "businessCategory",
        other => other,
    }
}

/// Name of a PKCS#10 attribute (RFC 2985 and Microsoft's, seed CSR-12).
pub fn request_attribute(oid: &str) -> &str {
    match oid {
        "1.2.840.113549.1.9.14" => "extensionRequest",
        "1.2.840.113549.1.9.7" => "challengePassword",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "1.3.6.1.4.1.311.13.2.3" => "msOsVersion",
        "1.3.6.1.4.1.311.21.20" => "msClientInfo",
        "1.3.6.1.4.1.311.13.2.2" => "msEnrollmentCsp",
        "1.3.6.1.4.1.311.13.2.1" => "msEnrollmentNameValuePair",
        other => other,
    }
}

/// Name of a hash algorithm OID (OCSP CertID, PKCS#12 MAC).
pub fn hash_algorithm(oid: &str) -> &str {
    match oid {
        "1.3.14.3.2.26" => "SHA-1",
        "2.16.840.1.101.3.4.2.1" => "SHA-256",
        "2.16.840.1.101.3.4.2.2" => "SHA-384",
        "2.16.840.1.101.3.4.2.3" => "SHA-512",
        other => other,
    }
}
