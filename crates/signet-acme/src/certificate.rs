//! Certificate download (RFC 8555 §7.4.2): `POST /acme/cert/{id}` (POST-as-GET) answers the
//! certificate with the chain of its CA's primary path; where a CA at any level holds alternate
//! certificates (cross-certificates), each further path is `/acme/cert/{id}/{n}` and every answer
//! names the others in `Link: <...>;rel="alternate"` headers, so a client (certbot or lego
//! `--preferred-chain`) can pick the chain whose top is issued by the root it trusts.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::account::identity;
use crate::problem::{AcmeProblem, AcmeResult};
use crate::server::{AcmeState, Posted, Signer, link};

/// `POST /acme/cert/{id}`: the certificate with its primary chain.
pub(crate) async fn default_chain(
    State(acme): State<AcmeState>,
    Path(id): Path<String>,
    posted: Posted,
) -> AcmeResult<Response> {
    answer(acme, &id, 0, posted).await
}

/// `POST /acme/cert/{id}/{n}`: the certificate with alternate chain `n` (1 and up).
pub(crate) async fn alternate_chain(
    State(acme): State<AcmeState>,
    Path((id, path)): Path<(String, String)>,
    posted: Posted,
) -> AcmeResult<Response> {
    // 0 is the default chain, served at the plain URL only: one URL per chain.
    let n = path
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= 1 && path == n.to_string())
        .ok_or_else(|| AcmeProblem::not_found(format!("certificate {id} has no chain {path}")))?;
    answer(acme, &id, n, posted).await
}

/// The URL of chain `n` of certificate `id` (0: the default one).
fn chain_url(acme: &AcmeState, id: &str, n: usize) -> String {
    match n {
        0 => acme.url(&format!("/cert/{id}")),
        n => acme.url(&format!("/cert/{id}/{n}")),
    }
}

async fn answer(acme: AcmeState, id: &str, n: usize, posted: Posted) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account()?;
    let missing = || AcmeProblem::not_found(format!("certificate {id}"));
    let request = id.parse::<signet_model::RequestId>().map_err(|_| missing())?;
    let actor = signet_authority::Actor { name: identity(account.id), roles: Vec::new() };
    let issued =
        acme.authority.certificate(signet_authority::Access::Actor(&actor), request).await.map_err(|e| {
            match e.kind() {
                signet_authority::Kind::NotFound => missing(),
                _ => AcmeProblem::from(e),
            }
        })?;
    let count = issued.chains();
    let text = issued
        .pem_chain(n)
        .ok_or_else(|| AcmeProblem::not_found(format!("certificate {id} has no chain {n} (it has {count})")))?;
    let mut response = ([(header::CONTENT_TYPE, "application/pem-certificate-chain")], text).into_response();
    for other in (0..count).filter(|other| *other != n) {
        link(response.headers_mut(), &chain_url(&acme, id, other), "alternate");
    }
    Ok(response)
}
