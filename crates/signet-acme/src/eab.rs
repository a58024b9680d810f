//! External Account Binding keys (RFC 8555 §7.3.4). A key's MAC key is derived from the CA
//! passphrase and its key id (HKDF-SHA256), so the database keeps only its SHA-256: a copy of the
//! database alone cannot bind accounts. `signet acme eab create` shows the MAC key once.

use aws_lc_rs::hkdf;
use aws_lc_rs::rand::SecureRandom;
use zeroize::Zeroizing;

use crate::jws::b64;

/// The secret every EAB MAC key is derived from.
pub struct EabSecret(hkdf::Prk);

impl std::fmt::Debug for EabSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EabSecret(..)")
    }
}

/// Bytes of a MAC key.
const KEY_BYTES: usize = 32;

struct Len;

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        KEY_BYTES
    }
}

impl EabSecret {
    /// The secret of the CA whose key passphrase is `passphrase`.
    pub fn from_passphrase(passphrase: &[u8]) -> Self {
        Self(hkdf::Salt::new(hkdf::HKDF_SHA256, b"signet acme eab v1").extract(passphrase))
    }

    /// The MAC key of `key_id`.
    pub fn mac_key(&self, key_id: &str) -> Zeroizing<Vec<u8>> {
        let mut key = Zeroizing::new(vec![0u8; KEY_BYTES]);
        let info = [key_id.as_bytes()];
        // The length asked for is the one `Len` states, so neither step can fail.
        if let Ok(okm) = self.0.expand(&info, Len) {
            let _ = okm.fill(&mut key);
        }
        key
    }
}

/// SHA-256 (hex) of a MAC key, as stored.
pub fn key_sha256(mac_key: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, mac_key))
}

/// A new key id: `kid_` and 16 random bytes, base64url.
pub fn new_key_id() -> Result<String, aws_lc_rs::error::Unspecified> {
    let mut random = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut random)?;
    Ok(format!("kid_{}", b64(&random)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_id_and_passphrase_and_are_stable() {
        let secret = EabSecret::from_passphrase(b"passphrase");
        let a = secret.mac_key("kid_a");
        assert_eq!(a.len(), 32);
        assert_eq!(*a, *EabSecret::from_passphrase(b"passphrase").mac_key("kid_a"));
        assert_ne!(*a, *secret.mac_key("kid_b"));
        assert_ne!(*a, *EabSecret::from_passphrase(b"other").mac_key("kid_a"));
        assert_eq!(key_sha256(&a).len(), 64);
        assert!(new_key_id().unwrap().starts_with("kid_"));
    }
}
