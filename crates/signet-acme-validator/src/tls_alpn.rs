//! tls-alpn-01 (RFC 8737): a TLS 1.2 or 1.3 handshake offering only ALPN `acme-tls/1`, with the
//! identifier as SNI (for an address, its reverse-DNS name, RFC 8738 §6), must show a certificate
//! whose only subject alternative name is the identifier and whose critical acmeIdentifier
//! extension holds SHA-256 of the key authorization. The certificate is self-signed by design, so
//! it is captured rather than verified.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;

use crate::{Challenge, Target, ValidationError};

/// The ALPN protocol of tls-alpn-01.
const ACME_TLS: &[u8] = b"acme-tls/1";

/// Accepts any certificate (the challenge certificate is self-signed) and keeps it, while still
/// checking the handshake signature made with its key.
#[derive(Debug)]
struct Capture {
    seen: Mutex<Option<Vec<u8>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(end_entity.as_ref().to_vec());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_with_key(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_with_key(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

impl Capture {
    /// Verifies the handshake signature with the certificate's public key alone: the challenge
    /// certificate carries a critical extension (acmeIdentifier) that a path validator rightly
    /// refuses, so the key is taken from it without validating it as a certificate.
    fn verify_with_key(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let bad = || rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature);
        let facts = signet_codec::certificate::facts(cert.as_ref()).map_err(|_| bad())?;
        let spki = rustls::pki_types::SubjectPublicKeyInfoDer::from(facts.spki_der.as_slice());
        let key = webpki::RawPublicKeyEntity::try_from(&spki).map_err(|_| bad())?;
        let algorithms = &self.provider.signature_verification_algorithms;
        for (scheme, candidates) in algorithms.mapping {
            if *scheme != dss.scheme {
                continue;
            }
            for algorithm in *candidates {
                if key.verify_signature(*algorithm, message, dss.signature()).is_ok() {
                    return Ok(HandshakeSignatureValid::assertion());
                }
            }
        }
        Err(bad())
    }
}

/// The SNI of an identifier: the name, or an address's reverse-DNS name (RFC 8738 §6).
fn server_name(target: &Target) -> String {
    match target {
        Target::Dns(name) => name.clone(),
        Target::Ip(IpAddr::V4(ip)) => {
            let [a, b, c, d] = ip.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        Target::Ip(IpAddr::V6(ip)) => {
            let mut labels: Vec<String> = Vec::with_capacity(33);
            for byte in ip.octets().iter().rev() {
                labels.push(format!("{:x}", byte & 0x0f));
                labels.push(format!("{:x}", byte >> 4));
            }
            labels.push("ip6.arpa".into());
            labels.join(".")
        }
    }
}

pub(crate) async fn check(
    addresses: &[IpAddr],
    port: u16,
    challenge: &Challenge,
    timeout: Duration,
) -> Result<(), ValidationError> {
    let attempt = |address| handshake(address, challenge);
    crate::first_answer(addresses, port, timeout, "no TLS handshake", attempt, |answer, address| {
        judge(answer, challenge, address)
    })
    .await
}

async fn handshake(address: SocketAddr, challenge: &Challenge) -> Result<Vec<u8>, ValidationError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let capture = Arc::new(Capture { seen: Mutex::new(None), provider: provider.clone() });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ValidationError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(capture.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![ACME_TLS.to_vec()];
    let name = ServerName::try_from(server_name(&challenge.target))
        .map_err(|_| ValidationError::Tls(format!("{} cannot be sent as SNI", challenge.target.describe())))?;
    let tcp = TcpStream::connect(address).await.map_err(|e| {
        ValidationError::Connection(format!(
            "tls-alpn-01: cannot connect to {address}: {e} (nothing answers TLS there for the name)"
        ))
    })?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| ValidationError::Tls(format!("{address}: TLS handshake failed: {e}")))?;
    if stream.get_ref().1.alpn_protocol() != Some(ACME_TLS) {
        return Err(ValidationError::Tls(format!("{address}: the server did not choose ALPN acme-tls/1")));
    }
    let seen = capture.seen.lock().unwrap_or_else(PoisonError::into_inner).take();
    seen.ok_or_else(|| ValidationError::Tls(format!("{address}: no certificate was shown")))
}

fn judge(certificate: &[u8], challenge: &Challenge, address: SocketAddr) -> Result<(), ValidationError> {
    let wrong = |why: &str| ValidationError::IncorrectResponse(format!("{address}: the tls-alpn-01 certificate {why}"));
    let facts = signet_codec::certificate::alpn_challenge(certificate).map_err(|_| wrong("cannot be read"))?;
    let expected = match &challenge.target {
        Target::Dns(name) => format!("dns:{name}"),
        Target::Ip(ip) => format!("ip:{ip}"),
    };
    if facts.names != [expected.clone()] {
        return Err(wrong(&format!("must name exactly {expected}")));
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, challenge.key_authorization.as_bytes());
    match facts.acme_identifier {
        None => Err(wrong("has no acmeIdentifier extension")),
        Some((false, _)) => Err(wrong("has an acmeIdentifier extension that is not critical")),
        Some((true, Some(held))) if held == digest.as_ref() => Ok(()),
        Some((true, _)) => Err(wrong("holds another key authorization digest")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_named_by_their_reverse_dns_names() {
        assert_eq!(server_name(&Target::Ip("192.0.2.5".parse().unwrap())), "5.2.0.192.in-addr.arpa");
        let v6 = server_name(&Target::Ip("2001:db8::1".parse().unwrap()));
        assert!(v6.starts_with("1.0.0.0.") && v6.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"), "{v6}");
    }
}
