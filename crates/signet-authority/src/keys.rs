//! Where CA keys live. The authority never sees how a key is kept: it asks a [`CaKeys`] for a new
//! key (and what to store to find it again) and for the signer of a stored CA. The binary wires in
//! [`SoftwareCaKeys`] (PKCS#8 encrypted with the CA passphrase, in the database); a PKCS#11
//! backend is a sibling implementation, keeping a reference to the HSM object instead.

use std::sync::Arc;

use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use signet_store::CaRecord;
use zeroize::Zeroizing;

use crate::error::{AuthorityError, AuthorityResult, Kind};

/// A new CA key.
pub struct NewCaKey {
    /// Signs with it.
    pub signer: Arc<dyn Signer>,
    /// What the store keeps to open it again ([`CaRecord::encrypted_key`]).
    pub stored: Vec<u8>,
}

/// Makes and opens CA keys.
pub trait CaKeys: Send + Sync {
    /// Makes a new key.
    fn generate(&self, algorithm: KeyAlgorithm) -> AuthorityResult<NewCaKey>;

    /// Opens the key of a stored CA.
    fn open(&self, ca: &CaRecord) -> AuthorityResult<Arc<dyn Signer>>;

    /// Opens another key this backend sealed ([`NewCaKey::stored`]), such as a delegated OCSP
    /// responder's; `what` names it in errors.
    fn open_sealed(&self, sealed: &[u8], what: &str) -> AuthorityResult<Arc<dyn Signer>>;
}

/// Keys in memory, stored as PKCS#8 encrypted with the CA passphrase (scrypt).
pub struct SoftwareCaKeys {
    passphrase: Zeroizing<String>,
}

impl SoftwareCaKeys {
    /// Keys sealed with `passphrase`.
    pub fn new(passphrase: Zeroizing<String>) -> Self {
        Self { passphrase }
    }
}

impl std::fmt::Debug for SoftwareCaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoftwareCaKeys")
    }
}

fn internal(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError::new(Kind::Internal, e.to_string())
}

impl CaKeys for SoftwareCaKeys {
    fn generate(&self, algorithm: KeyAlgorithm) -> AuthorityResult<NewCaKey> {
        let key = SoftwareKey::generate(algorithm).map_err(internal)?;
        let stored = signet_codec::private_key::encrypt(
            key.pkcs8(),
            self.passphrase.as_bytes(),
            signet_codec::private_key::Kdf::Scrypt,
        )
        .map_err(internal)?;
        Ok(NewCaKey { signer: Arc::new(key), stored })
    }

    fn open(&self, ca: &CaRecord) -> AuthorityResult<Arc<dyn Signer>> {
        self.open_sealed(&ca.encrypted_key, &format!("CA {}", ca.name))
    }

    fn open_sealed(&self, sealed: &[u8], what: &str) -> AuthorityResult<Arc<dyn Signer>> {
        let pkcs8 = signet_codec::private_key::decrypt(sealed, self.passphrase.as_bytes()).map_err(|e| {
            AuthorityError::new(
                Kind::Malformed,
                format!("cannot open the key of {what}: {e} (check the CA passphrase)"),
            )
        })?;
        Ok(Arc::new(SoftwareKey::from_pkcs8(pkcs8).map_err(internal)?))
    }
}
