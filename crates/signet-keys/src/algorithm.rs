//! Key algorithms signet generates and the signature schemes each key signs with.

use std::fmt;

/// A key type and size `signet key new --alg` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 (the default: fast, small, accepted everywhere).
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// Ed25519 (RFC 8410); not accepted by public TLS CAs.
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order `--help` lists them.
    pub const ALL: [KeyAlgorithm; 6] =
        [Self::EcP256, Self::EcP384, Self::Rsa2048, Self::Rsa3072, Self::Rsa4096, Self::Ed25519];

    /// The name used on the command line and in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcP256 => "ec-p256",
            Self::EcP384 => "ec-p384",
            Self::Rsa2048 => "rsa-2048",
            Self::Rsa3072 => "rsa-3072",
            Self::Rsa4096 => "rsa-4096",
            Self::Ed25519 => "ed25519",
        }
    }

    /// The signature scheme keys of this algorithm sign with.
    pub fn scheme(self) -> SignatureScheme {
        match self {
            Self::EcP256 => SignatureScheme::EcdsaP256Sha256,
            Self::EcP384 => SignatureScheme::EcdsaP384Sha384,
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => SignatureScheme::RsaPkcs1Sha256,
            Self::Ed25519 => SignatureScheme::Ed25519,
        }
    }

    /// Rough generation time on one core, for the progress message (RSA is slow and variable).
    pub fn expected_generation_ms(self) -> u64 {
        match self {
            Self::Rsa2048 => 150,
            Self::Rsa3072 => 500,
            Self::Rsa4096 => 1500,
            _ => 1,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "ec" | "ecdsa" | "p256" | "p-256" | "ec-p-256" | "prime256v1" | "secp256r1" => "ec-p256",
            "p384" | "p-384" | "ec-p-384" | "secp384r1" => "ec-p384",
            "rsa" | "rsa2048" => "rsa-2048",
            "rsa3072" => "rsa-3072",
            "rsa4096" => "rsa-4096",
            "ed-25519" => "ed25519",
            other => other,
        };
        Self::ALL.into_iter().find(|a| a.as_str() == alias).ok_or_else(|| {
            let hint = if alias.starts_with("rsa-") {
                match alias.trim_start_matches("rsa-").parse::<u32>() {
                    Ok(bits) if bits < 2048 => {
                        " (RSA below 2048 bits has not been safe since 2013; use rsa-2048 or ec-p256)".to_string()
                    }
                    Ok(_) => " (signet generates RSA keys of 2048, 3072 or 4096 bits; larger keys take minutes and gain little)".to_string(),
                    Err(_) => String::new(),
                }
            } else {
                String::new()
            };
            let names: Vec<&str> = Self::ALL.iter().map(|a| a.as_str()).collect();
            format!("{s:?} is not a key algorithm{hint}; use one of: {}", names.join(", "))
        })
    }
}

/// How a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// ECDSA P-256 with SHA-256 (ecdsa-with-SHA256).
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384 (ecdsa-with-SHA384).
    EcdsaP384Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (sha256WithRSAEncryption).
    RsaPkcs1Sha256,
    /// Ed25519 (RFC 8410).
    Ed25519,
}

impl SignatureScheme {
    /// The DER `AlgorithmIdentifier` of signatures made with this scheme, byte for byte as
    /// BR §7.1.3.2 spells them (no parameters for ECDSA and Ed25519, NULL for RSA PKCS#1 v1.5):
    /// what CRLs and OCSP responses name as their signature algorithm.
    pub fn algorithm_identifier(self) -> &'static [u8] {
        match self {
            // ecdsa-with-SHA256 (1.2.840.10045.4.3.2)
            Self::EcdsaP256Sha256 => &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
            // ecdsa-with-SHA384 (1.2.840.10045.4.3.3)
            Self::EcdsaP384Sha384 => &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
            // sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL parameters
            Self::RsaPkcs1Sha256 => {
                &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00]
            }
            // id-Ed25519 (1.3.101.112)
            Self::Ed25519 => &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],
        }
    }

    /// The rcgen algorithm with the same OIDs.
    pub fn rcgen(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::EcdsaP256Sha256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384Sha384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::RsaPkcs1Sha256 => &rcgen::PKCS_RSA_SHA256,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        for a in KeyAlgorithm::ALL {
            assert_eq!(a.as_str().parse::<KeyAlgorithm>().unwrap(), a);
        }
        assert_eq!("prime256v1".parse::<KeyAlgorithm>().unwrap(), KeyAlgorithm::EcP256);
        assert!("rsa-1024".parse::<KeyAlgorithm>().unwrap_err().contains("not been safe"));
        assert!("dsa".parse::<KeyAlgorithm>().unwrap_err().contains("ec-p256"));
    }
}
