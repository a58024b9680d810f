//! TLS for the API listener: rustls on the aws-lc-rs provider, TLS 1.2 and 1.3 only, HTTP/1.1
//! named by ALPN, and a certificate that can be replaced while the server runs, so a renewed
//! certificate is presented from the next handshake on without a restart.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Why a certificate and key cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate file holds no PEM certificate.
    #[error("no PEM certificate (-----BEGIN CERTIFICATE-----) in it")]
    NoCertificate,
    /// A PEM block of the certificate chain cannot be read.
    #[error("the certificate chain cannot be read: {0}")]
    BadCertificate(String),
    /// The key file holds no PEM private key.
    #[error("no PEM private key (PKCS#8, PKCS#1 or SEC1) in it: {0}")]
    NoKey(String),
    /// The key is of a kind rustls cannot sign with, or does not belong to the certificate.
    #[error("{0}")]
    Key(String),
}

/// A certificate chain (leaf first) with its private key, ready to present.
pub struct ServerCertificate {
    key: Arc<CertifiedKey>,
}

impl fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The private key is never printed.
        write!(f, "ServerCertificate({} certificates)", self.key.cert.len())
    }
}

impl ServerCertificate {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key, checking that the key
    /// belongs to the leaf.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::BadCertificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::NoKey(e.to_string()))?;
        Self::from_der(chain, key)
    }

    /// A certificate chain (DER, leaf first) and its private key.
    pub fn from_der(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Self, TlsError> {
        if chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                TlsError::Key("the private key does not belong to the first certificate of the chain".into())
            }
            other => TlsError::Key(format!("the private key cannot be used: {other}")),
        })?;
        Ok(Self { key: Arc::new(certified) })
    }
}

/// The certificate presented now; [`ServerTls::replace`] swaps it.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // A poisoned lock still holds a whole Arc: nothing is half-written behind it.
        Some(self.0.read().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

/// The TLS side of the API listener.
#[derive(Clone)]
pub struct ServerTls {
    current: Arc<Current>,
    acceptor: TlsAcceptor,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerTls")
    }
}

impl ServerTls {
    /// TLS 1.2 and 1.3 with `certificate`, answering ALPN `http/1.1` (the only protocol served).
    pub fn new(certificate: ServerCertificate) -> Result<Self, TlsError> {
        let current = Arc::new(Current(RwLock::new(certificate.key)));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Key(format!("TLS versions: {e}")))?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { current, acceptor: TlsAcceptor::from(Arc::new(config)) })
    }

    /// Presents `certificate` from the next handshake on (renewal); connections already open
    /// keep the one they began with.
    pub fn replace(&self, certificate: ServerCertificate) {
        *self.current.0.write().unwrap_or_else(PoisonError::into_inner) = certificate.key;
    }

    /// The certificate chain presented now (DER, leaf first).
    pub fn chain(&self) -> Vec<Vec<u8>> {
        let current = self.current.0.read().unwrap_or_else(PoisonError::into_inner).clone();
        current.cert.iter().map(|c| c.as_ref().to_vec()).collect()
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let (cert, key) = self_signed("a.example.com");
        assert!(ServerCertificate::from_pem(cert.as_bytes(), key.as_bytes()).is_ok());
        let (_, other_key) = self_signed("b.example.com");
        let e = ServerCertificate::from_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("does not belong"), "{e}");
        assert_eq!(ServerCertificate::from_pem(b"", key.as_bytes()).unwrap_err(), TlsError::NoCertificate);
        assert!(matches!(ServerCertificate::from_pem(cert.as_bytes(), b"junk"), Err(TlsError::NoKey(_))));
    }

    #[test]
    fn a_replaced_certificate_is_presented() {
        let (cert, key) = self_signed("a.example.com");
        let tls = ServerTls::new(ServerCertificate::from_pem(cert.as_bytes(), key.as_bytes()).unwrap()).unwrap();
        let first = tls.chain();
        let (cert, key) = self_signed("a.example.com");
        tls.replace(ServerCertificate::from_pem(cert.as_bytes(), key.as_bytes()).unwrap());
        assert_ne!(first, tls.chain());
    }
}
