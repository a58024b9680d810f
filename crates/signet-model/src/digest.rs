//! SHA-256 digests as values: the fingerprints of keys and certificates, and the stored form of
//! secrets (API and retrieval tokens are kept only as their digest). Parsed from and shown as
//! lower-case hex; computing one is the codec's job (this crate has no crypto backend).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

/// Text that is not a SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed)")]
pub struct DigestError(String);

impl Sha256 {
    /// The digest of these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, as stored and shown.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Sha256 {
    type Err = DigestError;

    /// Accepts 64 hex digits in either case, with or without `:` between byte pairs (as openssl
    /// and Windows print fingerprints).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || DigestError(text.chars().take(100).collect());
        let digits: String = text.trim().chars().filter(|c| *c != ':').collect();
        if digits.len() != 64 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&digits, &mut bytes).map_err(|_| bad())?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_tools_print_and_shows_lower_case_hex() {
        let hex = "AB".repeat(32);
        let colons = vec!["ab"; 32].join(":");
        let a: Sha256 = hex.parse().unwrap();
        assert_eq!(a, colons.parse().unwrap());
        assert_eq!(a.to_string(), "ab".repeat(32));
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", "ab".repeat(32)));
        for bad in ["", "ab", &"zz".repeat(32), &"ab".repeat(33)] {
            assert!(bad.parse::<Sha256>().is_err(), "{bad}");
        }
    }
}
