//! The ACME front end's state and request authentication (RFC 8555 §6): every POST is a JWS whose
//! `url` must be the URL it was sent to, whose nonce must be fresh, and whose signature must verify
//! with the JWK it carries (new accounts, revocation by the certificate's key) or with the key of
//! the account its `kid` names (everything else). Every answer carries a fresh `Replay-Nonce`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use signet_authority::Authority;
use signet_model::Clock;
use signet_store::AcmeStore;
use signet_store::acme::{AccountStatus, AcmeAccountRecord};

use crate::eab::EabSecret;
use crate::jws::{Jwk, Jws, KeyRef};
use crate::nonce::Nonces;
use crate::problem::{AcmeProblem, AcmeResult, ProblemType};

/// What the ACME server is configured to do.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    /// The base URL of every ACME resource: `{public_url}/acme`.
    pub base_url: String,
    /// The validated `[acme]` settings.
    pub settings: signet_config::AcmeSettings,
    /// The profiles offered (`acme = true`): name and description.
    pub profiles: Vec<(String, String)>,
    /// How long a nonce stays valid.
    pub nonce_lifetime: time::Duration,
}

/// The ACME server: shared by its handlers.
pub struct Acme {
    /// The workflow.
    pub authority: Arc<Authority>,
    /// ACME state.
    pub store: Arc<dyn AcmeStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: AcmeConfig,
    pub(crate) nonces: Nonces,
    pub(crate) eab: EabSecret,
    pub(crate) validator: Arc<dyn signet_acme_validator::Validate>,
}

/// The handlers' state.
pub type AcmeState = Arc<Acme>;

impl Acme {
    /// The ACME server over `authority` and `store`, validating challenges with `validator`;
    /// `eab` derives External Account Binding keys.
    pub async fn new(
        authority: Arc<Authority>,
        store: Arc<dyn AcmeStore>,
        clock: Arc<dyn Clock>,
        config: AcmeConfig,
        eab: EabSecret,
        validator: Arc<dyn signet_acme_validator::Validate>,
    ) -> AcmeResult<Self> {
        let nonces = Nonces::new(store.clone(), clock.clone(), config.nonce_lifetime).await?;
        Ok(Self { authority, store, clock, config, nonces, eab, validator })
    }

    /// The URL of a resource under the base (`/acct/1` → `{base}/acct/1`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    /// The URL of an account.
    pub fn account_url(&self, id: i64) -> String {
        self.url(&format!("/acct/{id}"))
    }

    /// The account id an account URL names, if it is one of this server's.
    fn account_id(&self, url: &str) -> Option<i64> {
        let id = url.strip_prefix(&self.config.base_url)?.strip_prefix("/acct/")?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.starts_with('0') {
            return None;
        }
        id.parse().ok()
    }
}

/// Which key a request must be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    /// The JWK in the header (newAccount).
    Jwk,
    /// The account named by `kid`.
    Account,
    /// Either (revokeCert: the account, or the certificate's own key).
    Either,
}

/// A verified request.
pub(crate) struct Signed {
    /// The JWS, its signature and nonce checked.
    pub jws: Jws,
    /// The key that signed it.
    pub jwk: Jwk,
    /// The account: the `kid`'s, or the one holding the `jwk` (if any).
    pub account: Option<AcmeAccountRecord>,
}

impl Signed {
    /// The account, which a `kid`-signed request always has.
    pub(crate) fn account(&self) -> AcmeResult<&AcmeAccountRecord> {
        self.account
            .as_ref()
            .ok_or_else(|| AcmeProblem::new(ProblemType::AccountDoesNotExist, "no account has this key"))
    }

    /// The account, when the URL's account id (`id`) is the signer's; otherwise `unauthorized`
    /// with `refusal`.
    pub(crate) fn account_at(&self, id: &str, refusal: &str) -> AcmeResult<&AcmeAccountRecord> {
        let account = self.account()?;
        if id != account.id.to_string() {
            return Err(AcmeProblem::unauthorized(refusal));
        }
        Ok(account)
    }
}

/// A POST body read as a JWS.
pub(crate) struct Posted {
    /// The path it was sent to.
    pub path: String,
    /// The body.
    pub body: Bytes,
}

impl FromRequest<AcmeState> for Posted {
    type Rejection = AcmeProblem;

    async fn from_request(request: Request, state: &AcmeState) -> Result<Self, AcmeProblem> {
        let path = request.uri().path().to_string();
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if content_type.split(';').next().map(str::trim) != Some("application/jose+json") {
            return Err(AcmeProblem {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ..AcmeProblem::malformed(
                    "ACME requests are JWS with Content-Type: application/jose+json (RFC 8555 §6.2)",
                )
            });
        }
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AcmeProblem {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    ..AcmeProblem::malformed("the request body is too large")
                }
            } else {
                AcmeProblem::malformed(format!("cannot read the request body: {rejection}"))
            }
        })?;
        Ok(Posted { path, body })
    }
}

impl Acme {
    /// Checks a POST: its JWS, `url`, key and signature, then redeems its nonce.
    pub(crate) async fn authenticate(&self, posted: &Posted, signer: Signer) -> AcmeResult<Signed> {
        let jws = Jws::parse(&posted.body)?;
        let expected = format!("{}{}", self.config.base_url, posted.path.strip_prefix("/acme").unwrap_or(&posted.path));
        if jws.protected.url != expected {
            return Err(AcmeProblem::unauthorized(format!(
                "the JWS url header {:?} is not the URL the request was sent to ({expected}) (RFC 8555 §6.4)",
                jws.protected.url
            )));
        }
        let nonce = jws.protected.nonce.clone().ok_or_else(|| {
            AcmeProblem::new(ProblemType::BadNonce, "the JWS has no nonce; get one from newNonce (RFC 8555 §6.5)")
        })?;
        // Whether the nonce was fresh, when it was redeemed with the account's read.
        let mut redeemed = None;
        let (jwk, account) = match (&jws.protected.key, signer) {
            (KeyRef::Jwk(jwk), Signer::Jwk | Signer::Either) => {
                let account = self.store.acme_account_by_key(&jwk.thumbprint()).await?;
                (jwk.clone(), account)
            }
            (KeyRef::Kid(kid), Signer::Account | Signer::Either) => {
                let missing = || AcmeProblem::new(ProblemType::AccountDoesNotExist, format!("no account at {kid}"));
                let id = self.account_id(kid).ok_or_else(missing)?;
                let (fresh, account) = self.nonces.redeem_reading_account(&nonce, id).await?;
                redeemed = Some(fresh);
                let account = account.ok_or_else(missing)?;
                let stored: serde_json::Value =
                    serde_json::from_str(&account.jwk).map_err(|_| AcmeProblem::internal())?;
                (Jwk::from_json(&stored)?, Some(account))
            }
            (KeyRef::Jwk(_), Signer::Account) => {
                return Err(AcmeProblem::malformed(
                    "this request must name its account with \"kid\" (the account URL), not carry a \"jwk\" (RFC 8555 §6.2)",
                ));
            }
            (KeyRef::Kid(_), Signer::Jwk) => {
                return Err(AcmeProblem::malformed(
                    "a new account is requested with its key in \"jwk\", not a \"kid\"",
                ));
            }
        };
        jws.verify(&jwk)?;
        match redeemed {
            Some(true) => {}
            Some(false) => return Err(Nonces::used()),
            None => self.nonces.redeem(&nonce).await?,
        }
        if let Some(account) = &account
            && account.status != AccountStatus::Valid
            && matches!(jws.protected.key, KeyRef::Kid(_))
        {
            return Err(AcmeProblem::unauthorized(format!("account {} is {}", account.id, account.status.as_str())));
        }
        Ok(Signed { jws, jwk, account })
    }
}

/// Adds a fresh `Replay-Nonce`, the directory `Link` and `Cache-Control: no-store` to every ACME
/// answer (RFC 8555 §6.5, §7.1).
pub(crate) async fn replay_nonce(State(acme): State<AcmeState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    match acme.nonces.mint() {
        Ok(nonce) => {
            if let Ok(value) = HeaderValue::from_str(&nonce) {
                headers.insert("replay-nonce", value);
            }
        }
        Err(problem) => return problem.into_response(),
    }
    link(headers, &acme.url("/directory"), "index");
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Appends a `Link: <url>;rel="rel"` header.
pub(crate) fn link(headers: &mut HeaderMap, url: &str, rel: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("<{url}>;rel=\"{rel}\"")) {
        headers.append(header::LINK, value);
    }
}

/// A JSON answer with a status and, for created resources, their `Location`.
pub(crate) fn json(status: StatusCode, location: Option<&str>, body: &serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
