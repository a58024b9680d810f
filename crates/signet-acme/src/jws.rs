//! JSON Web Signatures as RFC 8555 §6.2 allows them: the flattened JSON serialization only, every
//! header protected, the payload attached and base64url-encoded, and an asymmetric algorithm from
//! a short allow-list (ES256, ES384, RS256, EdDSA on Ed25519) whose key type must match the JWK
//! (RFC 7517/7518). A MAC (HS256) is accepted only where RFC 8555 §7.3.4 puts one: the inner JWS of
//! External Account Binding ([`Jws::verify_mac`]). Signatures are checked with aws-lc-rs.

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Why a JWS is refused; each maps to an RFC 8555 problem type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// Not a JWS as ACME allows it (`malformed`).
    #[error("{0}")]
    Malformed(String),
    /// An algorithm outside the allow-list, or one the key cannot use (`badSignatureAlgorithm`).
    #[error("{0}")]
    BadSignatureAlgorithm(String),
    /// A JWK that cannot be a signing key here (`badPublicKey`).
    #[error("{0}")]
    BadPublicKey(String),
    /// The signature does not verify with the key (`malformed`, as Boulder and pebble answer).
    #[error("the JWS signature does not verify with the account key")]
    BadSignature,
}

fn malformed(message: impl Into<String>) -> JwsError {
    JwsError::Malformed(message.into())
}

/// Decodes base64url without padding, strictly (RFC 7515 §2).
pub fn b64_decode(text: &str, what: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| malformed(format!("{what} is not base64url without padding")))
}

/// Encodes base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The signature algorithms accepted on ACME requests (RFC 8555 §6.2: ES256 MUST, EdDSA SHOULD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    Rs256,
    /// EdDSA on Ed25519 (RFC 8037).
    EdDsa,
}

/// The allow-list, as the directory and problem documents name it.
pub const ALLOWED: &str = "ES256, ES384, RS256, EdDSA";

impl Algorithm {
    /// The `alg` value, or why it is refused.
    pub fn parse(alg: &str) -> Result<Self, JwsError> {
        match alg {
            "ES256" => Ok(Self::Es256),
            "ES384" => Ok(Self::Es384),
            "RS256" => Ok(Self::Rs256),
            "EdDSA" => Ok(Self::EdDsa),
            "none" => Err(JwsError::BadSignatureAlgorithm(format!(
                "alg \"none\" is never accepted (RFC 8555 §6.2); sign with one of {ALLOWED}"
            ))),
            mac if mac.starts_with("HS") => Err(JwsError::BadSignatureAlgorithm(format!(
                "alg {mac:?} is a MAC, accepted only inside externalAccountBinding; sign with one of {ALLOWED}"
            ))),
            other => {
                Err(JwsError::BadSignatureAlgorithm(format!("alg {other:?} is not accepted; use one of {ALLOWED}")))
            }
        }
    }

    /// Its `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// An elliptic curve of an EC JWK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
}

impl Curve {
    fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        }
    }

    fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }
}

/// Smallest RSA account key accepted (bits).
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA account key accepted (bits).
const MAX_RSA_BITS: usize = 8192;

/// A public JSON Web Key (RFC 7517) of a kind ACME accounts may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jwk {
    /// `kty: EC`.
    Ec {
        /// The curve.
        curve: Curve,
        /// X coordinate, big-endian, full length.
        x: Vec<u8>,
        /// Y coordinate.
        y: Vec<u8>,
    },
    /// `kty: RSA`.
    Rsa {
        /// Modulus, big-endian without leading zeros.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// `kty: OKP, crv: Ed25519` (RFC 8037).
    Ed25519 {
        /// The public key.
        x: Vec<u8>,
    },
}

fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a str, JwsError> {
    object
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| JwsError::BadPublicKey(format!("the JWK has no string member {name:?}")))
}

fn key_bytes(object: &Map<String, Value>, name: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(member(object, name)?)
        .map_err(|_| JwsError::BadPublicKey(format!("the JWK member {name:?} is not base64url without padding")))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

impl Jwk {
    /// Reads a public JWK; private members (`d`, `p`...) are refused, since a client sending its
    /// private key has made a mistake the server must not compound.
    pub fn from_json(value: &Value) -> Result<Self, JwsError> {
        let object = value.as_object().ok_or_else(|| JwsError::BadPublicKey("the JWK is not a JSON object".into()))?;
        if object.contains_key("d") {
            return Err(JwsError::BadPublicKey("the JWK holds a private key (\"d\"); send the public key only".into()));
        }
        match member(object, "kty")? {
            "EC" => {
                let curve = match member(object, "crv")? {
                    "P-256" => Curve::P256,
                    "P-384" => Curve::P384,
                    other => {
                        return Err(JwsError::BadPublicKey(format!(
                            "EC curve {other:?} is not accepted; use P-256 or P-384"
                        )));
                    }
                };
                let (x, y) = (key_bytes(object, "x")?, key_bytes(object, "y")?);
                if x.len() != curve.coordinate_len() || y.len() != curve.coordinate_len() {
                    return Err(JwsError::BadPublicKey(format!(
                        "{} coordinates are {} bytes each (RFC 7518 §6.2.1.2)",
                        curve.name(),
                        curve.coordinate_len()
                    )));
                }
                let jwk = Self::Ec { curve, x, y };
                // aws-lc-rs checks the point is on the curve when it is used; check it now so a
                // bad key is named as one rather than as a bad signature.
                jwk.check_point()?;
                Ok(jwk)
            }
            "RSA" => {
                let (n, e) = (key_bytes(object, "n")?, key_bytes(object, "e")?);
                let n = strip_zeros(&n).to_vec();
                let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                    return Err(JwsError::BadPublicKey(format!(
                        "an RSA account key of {bits} bits is outside {MIN_RSA_BITS}-{MAX_RSA_BITS}"
                    )));
                }
                let e = strip_zeros(&e).to_vec();
                if e.len() > 4 || e.last().is_none_or(|b| b % 2 == 0) || e == [1] || e == [3] {
                    return Err(JwsError::BadPublicKey("the RSA exponent must be odd and at least 65537".into()));
                }
                Ok(Self::Rsa { n, e })
            }
            "OKP" => match member(object, "crv")? {
                "Ed25519" => {
                    let x = key_bytes(object, "x")?;
                    if x.len() != 32 {
                        return Err(JwsError::BadPublicKey("an Ed25519 key is 32 bytes".into()));
                    }
                    Ok(Self::Ed25519 { x })
                }
                other => Err(JwsError::BadPublicKey(format!("OKP curve {other:?} is not accepted; use Ed25519"))),
            },
            other => Err(JwsError::BadPublicKey(format!("key type {other:?} is not accepted; use EC, RSA or OKP"))),
        }
    }

    fn check_point(&self) -> Result<(), JwsError> {
        if let Self::Ec { curve, .. } = self {
            let algorithm = match curve {
                Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            };
            signature::ParsedPublicKey::new(algorithm, self.ec_point())
                .map_err(|_| JwsError::BadPublicKey(format!("the point is not on {}", curve.name())))?;
        }
        Ok(())
    }

    /// The uncompressed EC point (0x04 ‖ x ‖ y); empty for other key types.
    fn ec_point(&self) -> Vec<u8> {
        match self {
            Self::Ec { x, y, .. } => [&[0x04][..], x, y].concat(),
            _ => Vec::new(),
        }
    }

    /// The JWK's required members in lexicographic order, without whitespace (RFC 7638 §3.2):
    /// what its thumbprint hashes, and how it is stored.
    pub fn canonical_json(&self) -> String {
        match self {
            Self::Ec { curve, x, y } => {
                format!(r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#, curve.name(), b64(x), b64(y))
            }
            Self::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n)),
            Self::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
        }
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256(canonical JSON)). Key authorizations
    /// (RFC 8555 §8.1) and account lookups use it.
    pub fn thumbprint(&self) -> String {
        b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.canonical_json().as_bytes()).as_ref())
    }

    /// Whether `alg` is the algorithm this key signs with.
    fn suits(&self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (Self::Ec { curve: Curve::P256, .. }, Algorithm::Es256)
                | (Self::Ec { curve: Curve::P384, .. }, Algorithm::Es384)
                | (Self::Rsa { .. }, Algorithm::Rs256)
                | (Self::Ed25519 { .. }, Algorithm::EdDsa)
        )
    }

    /// Verifies `signature` over `message` with this key and `alg`.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        if !self.suits(alg) {
            return Err(JwsError::BadSignatureAlgorithm(format!(
                "alg {} does not go with this key ({}); ES256 goes with P-256, ES384 with P-384, RS256 with RSA, EdDSA with Ed25519",
                alg.as_str(),
                self.describe()
            )));
        }
        let verified = match self {
            Self::Ec { curve, .. } => {
                let algorithm = match curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                };
                UnparsedPublicKey::new(algorithm, self.ec_point()).verify(message, signature)
            }
            Self::Rsa { n, e } => signature::RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() }.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
            Self::Ed25519 { x } => UnparsedPublicKey::new(&signature::ED25519, x).verify(message, signature),
        };
        verified.map_err(|_| JwsError::BadSignature)
    }

    /// The key as a SubjectPublicKeyInfo (DER), to compare with a certificate's key (revocation
    /// signed by the certificate's own key, RFC 8555 §7.6).
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            Self::Ec { curve: Curve::P256, .. } => {
                [&hex_bytes("3059301306072a8648ce3d020106082a8648ce3d030107034200")[..], &self.ec_point()].concat()
            }
            Self::Ec { curve: Curve::P384, .. } => {
                [&hex_bytes("3076301006072a8648ce3d020106052b81040022036200")[..], &self.ec_point()].concat()
            }
            Self::Ed25519 { x } => [&hex_bytes("302a300506032b6570032100")[..], x].concat(),
            Self::Rsa { n, e } => {
                let key = tlv(0x30, &[der_integer(n), der_integer(e)].concat());
                let algorithm = hex_bytes("300d06092a864886f70d0101010500");
                let bits = tlv(0x03, &[&[0u8][..], &key].concat());
                tlv(0x30, &[algorithm, bits].concat())
            }
        }
    }

    /// In words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Ec { curve, .. } => format!("EC {}", curve.name()),
            Self::Rsa { n, .. } => format!("RSA {} bits", n.len() * 8),
            Self::Ed25519 { .. } => "Ed25519".into(),
        }
    }
}

fn hex_bytes(text: &str) -> Vec<u8> {
    // Only the constant prefixes above, which are valid hex.
    hex::decode(text).unwrap_or_default()
}

/// A DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let length = content.len();
    let mut out = vec![tag];
    if length < 0x80 {
        out.push(u8::try_from(length).unwrap_or(0));
    } else {
        let bytes: Vec<u8> = length.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or(0));
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A positive DER INTEGER from big-endian magnitude bytes.
fn der_integer(magnitude: &[u8]) -> Vec<u8> {
    let trimmed = strip_zeros(magnitude);
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(0x02, &content)
}

/// How a request names its key: a whole JWK (newAccount, revokeCert by the certificate's key)
/// or the account URL (everything else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// `jwk`.
    Jwk(Jwk),
    /// `kid`: the account URL.
    Kid(String),
}

/// The protected header of an ACME request (RFC 8555 §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    /// `alg`.
    pub alg: Algorithm,
    /// `nonce` (required on every request; absent in the inner JWS of a key change).
    pub nonce: Option<String>,
    /// `url`: the URL the request was sent to.
    pub url: String,
    /// `jwk` or `kid`.
    pub key: KeyRef,
}

/// A flattened JWS as received.
#[derive(Debug, Clone)]
pub struct Jws {
    /// The protected header, read.
    pub protected: Protected,
    protected_b64: String,
    payload_b64: String,
    /// The payload, decoded (empty for POST-as-GET).
    pub payload: Vec<u8>,
    signature: Vec<u8>,
}

/// The members of a flattened JWS object.
fn jws_members(value: &Value) -> Result<(&str, &str, &str), JwsError> {
    let object =
        value.as_object().ok_or_else(|| malformed("the request body is not a JSON object (a flattened JWS)"))?;
    if object.contains_key("signatures") {
        return Err(malformed("use the flattened JWS serialization, not the general one (RFC 8555 §6.2)"));
    }
    if object.contains_key("header") {
        return Err(malformed("the JWS has an unprotected header; every header must be protected (RFC 8555 §6.2)"));
    }
    if let Some(extra) = object.keys().find(|k| !["protected", "payload", "signature"].contains(&k.as_str())) {
        return Err(malformed(format!("unexpected JWS member {extra:?}")));
    }
    let text = |name: &str| {
        object.get(name).and_then(Value::as_str).ok_or_else(|| malformed(format!("the JWS has no {name:?} string")))
    };
    Ok((text("protected")?, text("payload")?, text("signature")?))
}

impl Jws {
    /// Reads a request body as a flattened JWS with an ACME protected header. The signature is
    /// not checked here ([`Self::verify`]): the key may have to be looked up first.
    pub fn parse(body: &[u8]) -> Result<Self, JwsError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("the body is not JSON: {e}")))?;
        Self::from_value(&value, true)
    }

    /// A JWS from a JSON value; `outer` requests need `jwk` or `kid`, inner ones (key change)
    /// a `jwk`.
    pub fn from_value(value: &Value, outer: bool) -> Result<Self, JwsError> {
        let (protected_b64, payload_b64, signature_b64) = jws_members(value)?;
        let header: Value = serde_json::from_slice(&b64_decode(protected_b64, "the protected header")?)
            .map_err(|_| malformed("the protected header is not JSON"))?;
        let header = header.as_object().ok_or_else(|| malformed("the protected header is not a JSON object"))?;
        if header.contains_key("crit") {
            return Err(malformed("the protected header has \"crit\": no extension is understood here"));
        }
        if header.get("b64").is_some() {
            return Err(malformed("\"b64\" is not accepted: the payload must be base64url-encoded (RFC 8555 §6.2)"));
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("the protected header has no \"alg\""))?;
        let alg = Algorithm::parse(alg)?;
        let url = header
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("the protected header has no \"url\" (RFC 8555 §6.4)"))?
            .to_string();
        let nonce = match header.get("nonce") {
            None => None,
            Some(Value::String(nonce)) => Some(nonce.clone()),
            Some(_) => return Err(malformed("the \"nonce\" header is not a string")),
        };
        let key = match (header.get("jwk"), header.get("kid")) {
            (Some(_), Some(_)) => {
                return Err(malformed(
                    "the protected header has both \"jwk\" and \"kid\"; send exactly one (RFC 8555 §6.2)",
                ));
            }
            (Some(jwk), None) => KeyRef::Jwk(Jwk::from_json(jwk)?),
            (None, Some(Value::String(kid))) if outer => KeyRef::Kid(kid.clone()),
            (None, Some(_)) => return Err(malformed("\"kid\" must be the account URL, a string")),
            (None, None) => return Err(malformed("the protected header has neither \"jwk\" nor \"kid\"")),
        };
        let payload = b64_decode(payload_b64, "the payload")?;
        let signature = b64_decode(signature_b64, "the signature")?;
        Ok(Self {
            protected: Protected { alg, nonce, url, key },
            protected_b64: protected_b64.to_string(),
            payload_b64: payload_b64.to_string(),
            payload,
            signature,
        })
    }

    /// Whether this is a POST-as-GET (an empty payload, RFC 8555 §6.3).
    pub fn is_post_as_get(&self) -> bool {
        self.payload_b64.is_empty()
    }

    /// The payload as JSON (an error naming what was expected otherwise).
    pub fn payload_json(&self) -> Result<Value, JwsError> {
        serde_json::from_slice(&self.payload).map_err(|e| malformed(format!("the JWS payload is not JSON: {e}")))
    }

    fn signing_input(&self) -> Vec<u8> {
        [self.protected_b64.as_bytes(), b".", self.payload_b64.as_bytes()].concat()
    }

    /// Verifies the signature with `key`.
    pub fn verify(&self, key: &Jwk) -> Result<(), JwsError> {
        key.verify(self.protected.alg, &self.signing_input(), &self.signature)
    }

    /// The raw payload text (base64url), e.g. to compare an EAB payload with the outer JWK.
    pub fn payload_b64(&self) -> &str {
        &self.payload_b64
    }
}

/// The inner JWS of External Account Binding (RFC 8555 §7.3.4): a MAC over it with the CA-issued
/// key, `kid` the key id, no nonce.
#[derive(Debug, Clone)]
pub struct MacJws {
    /// The key id (`kid`).
    pub key_id: String,
    /// `url` (must equal the outer one).
    pub url: String,
    /// The payload (must be the outer JWK).
    pub payload: Vec<u8>,
    alg: &'static aws_lc_rs::hmac::Algorithm,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl MacJws {
    /// Reads the `externalAccountBinding` value.
    pub fn from_value(value: &Value) -> Result<Self, JwsError> {
        let (protected_b64, payload_b64, signature_b64) = jws_members(value)?;
        let header: Value = serde_json::from_slice(&b64_decode(protected_b64, "the EAB protected header")?)
            .map_err(|_| malformed("the EAB protected header is not JSON"))?;
        let alg = match header.get("alg").and_then(Value::as_str) {
            Some("HS256") => &aws_lc_rs::hmac::HMAC_SHA256,
            Some("HS384") => &aws_lc_rs::hmac::HMAC_SHA384,
            Some("HS512") => &aws_lc_rs::hmac::HMAC_SHA512,
            other => {
                return Err(JwsError::BadSignatureAlgorithm(format!(
                    "the externalAccountBinding JWS must use a MAC (HS256, HS384 or HS512), not {other:?}"
                )));
            }
        };
        if header.get("nonce").is_some() {
            return Err(malformed("the externalAccountBinding JWS must not have a nonce (RFC 8555 §7.3.4)"));
        }
        let text = |name: &str| {
            header
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| malformed(format!("the externalAccountBinding header has no {name:?}")))
        };
        Ok(Self {
            key_id: text("kid")?,
            url: text("url")?,
            payload: b64_decode(payload_b64, "the externalAccountBinding payload")?,
            alg,
            signing_input: [protected_b64.as_bytes(), b".", payload_b64.as_bytes()].concat(),
            signature: b64_decode(signature_b64, "the externalAccountBinding signature")?,
        })
    }

    /// Verifies the MAC with the key's bytes, in constant time.
    pub fn verify(&self, mac_key: &[u8]) -> Result<(), JwsError> {
        let key = aws_lc_rs::hmac::Key::new(*self.alg, mac_key);
        aws_lc_rs::hmac::verify(&key, &self.signing_input, &self.signature).map_err(|_| JwsError::BadSignature)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use serde_json::json;

    use super::*;

    /// A test account key that signs JWSs as a client would.
    pub(crate) enum TestKey {
        Ec(EcdsaKeyPair, Curve),
        Ed(Ed25519KeyPair),
        Rsa(RsaKeyPair),
    }

    impl TestKey {
        pub(crate) fn p256() -> Self {
            let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
            Self::Ec(EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap(), Curve::P256)
        }

        pub(crate) fn p384() -> Self {
            let alg = &signature::ECDSA_P384_SHA384_FIXED_SIGNING;
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
            Self::Ec(EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap(), Curve::P384)
        }

        pub(crate) fn ed25519() -> Self {
            Self::Ed(Ed25519KeyPair::generate().unwrap())
        }

        pub(crate) fn rsa() -> Self {
            Self::Rsa(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap())
        }

        pub(crate) fn alg(&self) -> &'static str {
            match self {
                Self::Ec(_, Curve::P256) => "ES256",
                Self::Ec(_, Curve::P384) => "ES384",
                Self::Ed(_) => "EdDSA",
                Self::Rsa(_) => "RS256",
            }
        }

        pub(crate) fn jwk(&self) -> Value {
            match self {
                Self::Ec(key, curve) => {
                    let point = key.public_key().as_ref();
                    let half = curve.coordinate_len();
                    json!({"kty": "EC", "crv": curve.name(), "x": b64(&point[1..=half]), "y": b64(&point[half + 1..])})
                }
                Self::Ed(key) => json!({"kty": "OKP", "crv": "Ed25519", "x": b64(key.public_key().as_ref())}),
                Self::Rsa(key) => {
                    let components: signature::RsaPublicKeyComponents<Vec<u8>> = key.public_key().into();
                    json!({"kty": "RSA", "n": b64(&components.n), "e": b64(&components.e)})
                }
            }
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
            let rng = SystemRandom::new();
            match self {
                Self::Ec(key, _) => key.sign(&rng, message).unwrap().as_ref().to_vec(),
                Self::Ed(key) => key.sign(message).as_ref().to_vec(),
                Self::Rsa(key) => {
                    let mut signature = vec![0; key.public_modulus_len()];
                    key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature).unwrap();
                    signature
                }
            }
        }

        /// A flattened JWS of `payload` (None: POST-as-GET) with `header` merged into alg.
        pub(crate) fn jws(&self, header: Value, payload: Option<&Value>) -> Value {
            let mut protected = json!({"alg": self.alg()});
            for (k, v) in header.as_object().unwrap() {
                protected[k] = v.clone();
            }
            let protected = b64(protected.to_string().as_bytes());
            let payload = payload.map(|p| b64(p.to_string().as_bytes())).unwrap_or_default();
            let signature = self.sign(format!("{protected}.{payload}").as_bytes());
            json!({"protected": protected, "payload": payload, "signature": b64(&signature)})
        }
    }

    fn parse(value: &Value) -> Result<Jws, JwsError> {
        Jws::parse(value.to_string().as_bytes())
    }

    #[test]
    fn every_allowed_algorithm_verifies() {
        for key in [TestKey::p256(), TestKey::p384(), TestKey::ed25519(), TestKey::rsa()] {
            let body = key.jws(
                json!({"jwk": key.jwk(), "nonce": "n", "url": "https://ca/acme/new-account"}),
                Some(&json!({"termsOfServiceAgreed": true})),
            );
            let jws = parse(&body).unwrap();
            let KeyRef::Jwk(jwk) = &jws.protected.key else { panic!("jwk") };
            jws.verify(jwk).unwrap();
            assert_eq!(jws.payload_json().unwrap()["termsOfServiceAgreed"], true);
            // Another key of the same kind does not verify it.
            let other = match jwk {
                Jwk::Ec { curve: Curve::P256, .. } => TestKey::p256(),
                Jwk::Ec { .. } => TestKey::p384(),
                Jwk::Ed25519 { .. } => TestKey::ed25519(),
                Jwk::Rsa { .. } => TestKey::rsa(),
            };
            let other = Jwk::from_json(&other.jwk()).unwrap();
            assert_eq!(jws.verify(&other), Err(JwsError::BadSignature), "{}", jwk.describe());
        }
    }

    #[test]
    fn refused_headers_and_forms() {
        let key = TestKey::p256();
        let base = json!({"jwk": key.jwk(), "nonce": "n", "url": "u"});
        let header = |extra: Value| {
            let mut h = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    h.as_object_mut().unwrap().remove(k);
                } else {
                    h[k] = v.clone();
                }
            }
            key.jws(h, Some(&json!({})))
        };
        let with_alg = |alg: &str| {
            let protected = b64(json!({"alg": alg, "jwk": key.jwk(), "nonce": "n", "url": "u"}).to_string().as_bytes());
            json!({"protected": protected, "payload": "", "signature": ""})
        };
        assert!(matches!(parse(&with_alg("none")), Err(JwsError::BadSignatureAlgorithm(m)) if m.contains("none")));
        assert!(matches!(parse(&with_alg("HS256")), Err(JwsError::BadSignatureAlgorithm(m)) if m.contains("MAC")));
        assert!(matches!(parse(&with_alg("PS256")), Err(JwsError::BadSignatureAlgorithm(_))));
        let both = header(json!({"kid": "https://ca/acme/account/1"}));
        assert!(matches!(parse(&both), Err(JwsError::Malformed(m)) if m.contains("both")));
        assert!(matches!(parse(&header(json!({"jwk": null}))), Err(JwsError::Malformed(m)) if m.contains("neither")));
        assert!(matches!(parse(&header(json!({"url": null}))), Err(JwsError::Malformed(m)) if m.contains("url")));
        assert!(matches!(parse(&header(json!({"b64": false}))), Err(JwsError::Malformed(_))));
        assert!(matches!(parse(&header(json!({"crit": ["exp"]}))), Err(JwsError::Malformed(_))));
        let mut unprotected = header(json!({}));
        unprotected["header"] = json!({"kid": "x"});
        assert!(matches!(parse(&unprotected), Err(JwsError::Malformed(m)) if m.contains("unprotected")));
        let general = json!({"payload": "", "signatures": []});
        assert!(matches!(parse(&general), Err(JwsError::Malformed(m)) if m.contains("flattened")));
        for garbage in [&b"not json"[..], b"[]", b"{}", b"{\"protected\":\"!!\",\"payload\":\"\",\"signature\":\"\"}"] {
            assert!(matches!(Jws::parse(garbage), Err(JwsError::Malformed(_))), "{}", String::from_utf8_lossy(garbage));
        }
        // A key that does not suit the algorithm.
        let p384 = TestKey::p384();
        let mismatched = key.jws(json!({"jwk": p384.jwk(), "nonce": "n", "url": "u"}), None);
        let jws = parse(&mismatched).unwrap();
        assert!(jws.is_post_as_get());
        let KeyRef::Jwk(jwk) = &jws.protected.key else { panic!() };
        assert!(matches!(jws.verify(jwk), Err(JwsError::BadSignatureAlgorithm(_))));
    }

    #[test]
    fn bad_keys_are_named() {
        let mut off_curve = TestKey::p256().jwk();
        off_curve["y"] = json!(b64(&[7u8; 32]));
        assert!(matches!(Jwk::from_json(&off_curve), Err(JwsError::BadPublicKey(m)) if m.contains("not on P-256")));
        let mut private = TestKey::p256().jwk();
        private["d"] = json!("AAAA");
        assert!(matches!(Jwk::from_json(&private), Err(JwsError::BadPublicKey(m)) if m.contains("private")));
        let small = json!({"kty": "RSA", "n": b64(&[0xc1; 128]), "e": "AQAB"});
        assert!(matches!(Jwk::from_json(&small), Err(JwsError::BadPublicKey(m)) if m.contains("1024 bits")));
        let e3 = json!({"kty": "RSA", "n": b64(&[0xc1; 256]), "e": "Aw"});
        assert!(matches!(Jwk::from_json(&e3), Err(JwsError::BadPublicKey(_))));
        assert!(Jwk::from_json(&json!({"kty": "EC", "crv": "P-521", "x": "", "y": ""})).is_err());
        assert!(Jwk::from_json(&json!({"kty": "oct", "k": "AAAA"})).is_err());
    }

    #[test]
    fn keys_become_the_spki_a_certificate_holds() {
        for key in [TestKey::p256(), TestKey::p384(), TestKey::ed25519(), TestKey::rsa()] {
            let jwk = Jwk::from_json(&key.jwk()).unwrap();
            let spki = jwk.spki_der();
            // aws-lc-rs reads it back as the same public key.
            let info = signet_codec::public_key::describe_spki(&spki).unwrap();
            assert!(!info.algorithm.is_empty(), "{}", jwk.describe());
        }
    }

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 7638 §3.1's example key and its thumbprint.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(Jwk::from_json(&jwk).unwrap().thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn external_account_binding_macs() {
        let key = b"0123456789abcdef0123456789abcdef";
        let protected = b64(json!({"alg": "HS256", "kid": "kid-1", "url": "u"}).to_string().as_bytes());
        let payload = b64(br#"{"kty":"EC"}"#);
        let mac = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
            format!("{protected}.{payload}").as_bytes(),
        );
        let value = json!({"protected": protected, "payload": payload, "signature": b64(mac.as_ref())});
        let eab = MacJws::from_value(&value).unwrap();
        assert_eq!((eab.key_id.as_str(), eab.url.as_str()), ("kid-1", "u"));
        eab.verify(key).unwrap();
        assert_eq!(eab.verify(b"another key"), Err(JwsError::BadSignature));
        let es = b64(json!({"alg": "ES256", "kid": "kid-1", "url": "u"}).to_string().as_bytes());
        let value = json!({"protected": es, "payload": payload, "signature": ""});
        assert!(matches!(MacJws::from_value(&value), Err(JwsError::BadSignatureAlgorithm(_))));
    }
}
