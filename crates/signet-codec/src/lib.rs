//! PKI file formats for signet: sniffing and decoding any PEM, base64 or DER input, and the
//! encodings signet reads and writes (PKCS#8 plain and encrypted, PKCS#1, SEC 1, SPKI, PKCS#7
//! certs-only bundles, PKCS#12, OCSP messages).
//!
//! Thin wrappers over RustCrypto's `der`/`x509-cert`/`pkcs8`/`cms`, `x509-parser` and
//! `p12-keystore`; hand-written ASN.1 only for OCSP (see [`ocsp`]). Errors carry a line or byte
//! position. This crate must not depend on signet's key, issuance, storage or web crates: it only
//! turns bytes into typed objects and back. Its parsers are fuzzed (`fuzz/`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod certificate;
pub mod describe;
mod describe_ocsp;
pub mod error;
pub mod name_constraints;
pub mod object;
pub mod ocsp;
pub mod oids;
pub mod pem;
pub mod pkcs12;
pub mod pkcs7;
pub mod private_key;
pub mod public_key;

pub use describe::{Description, describe};
pub use error::CodecError;
pub use object::{Decoded, Encoding, KeyFormat, ObjectKind, PkiObject, SecretDer, decode};
pub use public_key::KeyInfo;
