//! PKCS#12 / PFX archives (RFC 7292), through `p12-keystore`.
//!
//! Written files use PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and an HMAC-SHA256 MAC, which
//! OpenSSL 3, Windows 10 1709+ and Java 11+ read; `legacy` writes 3DES + SHA-1 for older systems.
//! Reading also accepts the legacy RC2-40/3DES files of `openssl pkcs12 -export -legacy`.

use der::Decode;
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12Archive, PrivateKeyChain};
use serde::Serialize;

use crate::error::CodecError;
use crate::object::{ObjectKind, SecretDer};

/// PBKDF2 iterations for the key/certificate encryption and the MAC of written files.
pub const ITERATIONS: u32 = 200_000;

/// The contents of a decrypted PKCS#12 file.
#[derive(Debug, Default)]
pub struct Contents {
    /// Private keys (PKCS#8) with their friendly names.
    pub keys: Vec<(SecretDer, Option<String>)>,
    /// Certificates (DER) with their friendly names.
    pub certificates: Vec<(Vec<u8>, Option<String>)>,
}

/// Encryption of a PKCS#12 file that can be read without its password.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    /// MAC digest (`SHA-256`, `SHA-1`, ...), or `none`.
    pub mac: String,
    /// MAC iterations.
    pub mac_iterations: Option<i32>,
}

/// Which algorithms to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// PBES2/AES-256-CBC with HMAC-SHA256 (default).
    #[default]
    Modern,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC with an HMAC-SHA1 MAC, for Windows before 10 1709.
    Legacy,
}

fn map_error(error: p12_keystore::error::Error) -> CodecError {
    use p12_keystore::error::Error as E;
    match error {
        E::MacError(_) | E::UnpadError | E::InvalidLength => {
            CodecError::WrongPassword { what: "cannot open the PKCS#12 file".into() }
        }
        E::DerError(e) => CodecError::from_der(ObjectKind::Pkcs12, e),
        E::UnsupportedEncryptionScheme | E::UnsupportedMacAlgorithm | E::UnsupportedContentType => {
            CodecError::Unsupported { what: "PKCS#12 encryption".into(), detail: error.to_string() }
        }
        other => CodecError::malformed(ObjectKind::Pkcs12, other),
    }
}

/// Decrypts a PKCS#12 file.
pub fn read(der: &[u8], password: &str) -> Result<Contents, CodecError> {
    let archive = Pkcs12Archive::from_pkcs12(der, password).map_err(map_error)?;
    let mut contents = Contents::default();
    for bag in archive.keys {
        contents.keys.push((SecretDer::new(bag.key.as_der().to_vec()), bag.friendly_name));
    }
    for bag in archive.certs {
        contents.certificates.push((bag.cert.as_der().to_vec(), bag.friendly_name));
    }
    Ok(contents)
}

/// What can be said about a PKCS#12 file without its password.
pub fn envelope(der: &[u8]) -> Result<Envelope, CodecError> {
    let pfx = pkcs12::pfx::Pfx::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::Pkcs12, e))?;
    Ok(match pfx.mac_data {
        Some(mac) => {
            let oid = mac.mac.algorithm.oid.to_string();
            Envelope { mac: crate::oids::hash_algorithm(&oid).to_string(), mac_iterations: Some(mac.iterations) }
        }
        None => Envelope { mac: "none".into(), mac_iterations: None },
    })
}

/// Writes a PKCS#12 file with one key, its certificate and chain.
pub fn write(
    key: &SecretDer,
    certificate: &[u8],
    chain: &[Vec<u8>],
    friendly_name: &str,
    password: &str,
    profile: Profile,
) -> Result<Vec<u8>, CodecError> {
    let encode =
        |e: p12_keystore::error::Error| CodecError::Encode { what: "PKCS#12 file".into(), detail: e.to_string() };
    let private_key = p12_keystore::PrivateKey::from_der(key.expose()).map_err(encode)?;
    let mut certs = Vec::with_capacity(1 + chain.len());
    for der in std::iter::once(certificate).chain(chain.iter().map(Vec::as_slice)) {
        certs.push(p12_keystore::Certificate::from_der(der).map_err(encode)?);
    }
    let local_key_id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, certificate);
    let mut store = KeyStore::new();
    store.add_entry(
        friendly_name,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id.as_ref(), private_key, certs)),
    );
    let writer = store.writer(password).encryption_iterations(ITERATIONS).mac_iterations(ITERATIONS);
    let writer = match profile {
        Profile::Modern => writer
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha256),
        Profile::Legacy => writer
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1),
    };
    writer.write().map_err(encode)
}
