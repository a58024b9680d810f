//! Loading PKI objects from files for the commands: decoding, opening encrypted keys and
//! PKCS#12 files, flattening bundles, and refusing the wrong kind of file with a targeted message
//! (seed mistake P30).

use std::path::Path;

use signet_codec::{Decoded, ObjectKind, PkiObject, SecretDer};
use signet_keys::SoftwareKey;

use crate::error::{CliError, CliResult};
use crate::files::read_input;
use crate::secrets::{self, PASSPHRASE_ENV, Source};

/// Reads and decodes a file, warning on standard error about what had to be forgiven (a pasted
/// block without its BEGIN or END line, text after the last block).
pub fn load(path: &str) -> CliResult<Decoded> {
    let decoded = load_quietly(path)?;
    for note in &decoded.notes {
        crate::output::warn(&format!("{path}: {note}"));
    }
    Ok(decoded)
}

/// Reads and decodes a file, leaving its notes to the caller.
pub fn load_quietly(path: &str) -> CliResult<Decoded> {
    let bytes = read_input(path)?;
    signet_codec::decode(&bytes).map_err(|e| CliError::from(e).context(path))
}

/// Flattens bundles: PKCS#7 into its certificates and CRLs; PKCS#12 into its keys and
/// certificates (asking for the password); encrypted keys into plain keys when a password is at hand.
pub fn expand(path: &str, objects: Vec<PkiObject>, pass_file: Option<&Path>) -> CliResult<Vec<PkiObject>> {
    let mut out = Vec::with_capacity(objects.len());
    for object in objects {
        match object {
            PkiObject::Pkcs7(der) => {
                let bundle = signet_codec::pkcs7::read(&der).map_err(|e| CliError::from(e).context(path))?;
                out.extend(bundle.certificates.into_iter().map(PkiObject::Certificate));
                out.extend(bundle.crls.into_iter().map(PkiObject::Crl));
            }
            PkiObject::Pkcs12(der) => {
                let source = Source { file: pass_file, env: PASSPHRASE_ENV, purpose: path };
                let password = secrets::for_reading(&source)?;
                let contents =
                    signet_codec::pkcs12::read(&der, &password).map_err(|e| CliError::from(e).context(path))?;
                out.extend(
                    contents
                        .keys
                        .into_iter()
                        .map(|(pkcs8, _)| PkiObject::PrivateKey { pkcs8, format: signet_codec::KeyFormat::Pkcs8 }),
                );
                out.extend(contents.certificates.into_iter().map(|(der, _)| PkiObject::Certificate(der)));
            }
            PkiObject::EncryptedPrivateKey(der) => {
                let source = Source { file: pass_file, env: PASSPHRASE_ENV, purpose: path };
                let password = secrets::for_reading(&source)?;
                let pkcs8 = signet_codec::private_key::decrypt(&der, password.as_bytes())
                    .map_err(|e| CliError::from(e).context(path))?;
                out.push(PkiObject::PrivateKey { pkcs8, format: signet_codec::KeyFormat::Pkcs8 });
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Loads the one private key in `path`, decrypting it if needed.
pub fn load_private_key(path: &str, pass_file: Option<&Path>) -> CliResult<SoftwareKey> {
    let pkcs8 = load_private_pkcs8(path, pass_file)?;
    SoftwareKey::from_pkcs8(pkcs8).map_err(|e| CliError::from(e).context(path))
}

/// The PKCS#8 of the one private key in `path`.
pub fn load_private_pkcs8(path: &str, pass_file: Option<&Path>) -> CliResult<SecretDer> {
    let decoded = load(path)?;
    let kinds: Vec<ObjectKind> = decoded.objects.iter().map(PkiObject::kind).collect();
    let objects = expand(path, decoded.objects, pass_file)?;
    let mut keys = objects.into_iter().filter_map(|o| match o {
        PkiObject::PrivateKey { pkcs8, .. } => Some(pkcs8),
        _ => None,
    });
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key),
        (Some(_), Some(_)) => {
            Err(CliError::bad_input(format!("{path} holds several private keys; give a file with one")))
        }
        (None, _) => Err(wrong_kind(path, &kinds, "a private key")),
    }
}

/// The certificates in `path`, in file order (PKCS#7 bundles flattened).
pub fn load_certificates(path: &str, pass_file: Option<&Path>) -> CliResult<Vec<Vec<u8>>> {
    let decoded = load(path)?;
    let kinds: Vec<ObjectKind> = decoded.objects.iter().map(PkiObject::kind).collect();
    let certs: Vec<Vec<u8>> = expand(path, decoded.objects, pass_file)?
        .into_iter()
        .filter_map(|o| match o {
            PkiObject::Certificate(der) => Some(der),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(wrong_kind(path, &kinds, "a certificate"));
    }
    Ok(certs)
}

/// "FILE: this is a certificate request (CSR), but a certificate is needed here".
pub fn wrong_kind(path: &str, found: &[ObjectKind], expected: &str) -> CliError {
    CliError::bad_input(format!("{path}: {}", signet_codec::CodecError::wrong_kind(found, expected)))
}
