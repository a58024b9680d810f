//! Reading requests and certificates back: by their requester (token or retrieval token) or by a
//! role that may read any, and searching.

use signet_model::{RequestId, RequestState};
use signet_store::{CertificateRecord, Found, Query, RequestRecord};

use crate::actor::{Action, Actor, permit};
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::tokens::hash_secret;
use crate::views::{IssuedCertificate, RequestView};

/// Who is asking about a request: an authenticated actor, or a requester with its retrieval token.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// An API token.
    Actor(&'a Actor),
    /// The retrieval token given at submission.
    RetrievalToken(&'a str),
}

impl Authority {
    /// The view of a request and its certificate, naming the certificate's CA.
    pub(super) fn request_view(&self, request: &RequestRecord, certificate: Option<&CertificateRecord>) -> RequestView {
        let mut view = RequestView::new(request, certificate);
        if let Some(certificate) = view.certificate.as_mut() {
            certificate.ca = self.registry.name_of(certificate.ca_id).map(str::to_string);
        }
        view
    }

    /// A request, or NotFound.
    pub(super) async fn stored_request(&self, id: RequestId) -> AuthorityResult<RequestRecord> {
        self.store.request(id).await?.ok_or(AuthorityError::NoSuchRequest(id))
    }

    /// A request the caller may see; any other answers as a missing one, so IDs cannot be probed.
    async fn request_for(&self, access: Access<'_>, id: RequestId) -> AuthorityResult<RequestRecord> {
        let request = self.stored_request(id).await?;
        let allowed = match access {
            Access::Actor(actor) => actor.name == request.requester || actor.may(Action::ReadAny),
            Access::RetrievalToken(token) => aws_lc_rs::constant_time::verify_slices_are_equal(
                hash_secret(token).as_bytes(),
                request.retrieval_token_hash.as_bytes(),
            )
            .is_ok(),
        };
        if !allowed {
            return Err(AuthorityError::NoSuchRequest(id));
        }
        Ok(request)
    }

    /// The status of a request.
    pub async fn status(&self, access: Access<'_>, id: RequestId) -> AuthorityResult<RequestView> {
        let request = self.request_for(access, id).await?;
        let certificate = self.store.certificate_for_request(id).await?;
        Ok(self.request_view(&request, certificate.as_ref()))
    }

    /// The certificate of an issued request, with its chain.
    pub async fn certificate(&self, access: Access<'_>, id: RequestId) -> AuthorityResult<IssuedCertificate> {
        let request = self.request_for(access, id).await?;
        let reason = || request.reason.clone().unwrap_or_default();
        match request.state {
            RequestState::Issued => {}
            RequestState::Pending => {
                return Err(AuthorityError::Conflict(format!(
                    "request {id} is pending approval by a Certificate Manager; check again later"
                )));
            }
            RequestState::Denied => {
                return Err(AuthorityError::Conflict(format!("request {id} was denied: {}", reason())));
            }
            RequestState::Failed => return Err(AuthorityError::Conflict(format!("request {id} failed: {}", reason()))),
        }
        let record = self
            .store
            .certificate_for_request(id)
            .await?
            .ok_or_else(|| AuthorityError::new(Kind::Internal, "issued request without a certificate"))?;
        let der = record.der.ok_or_else(|| AuthorityError::new(Kind::Internal, "issued certificate without DER"))?;
        let paths = self.registry.paths_of(record.ca_id);
        let (intermediates, root) =
            paths.first().map(|p| (p.intermediates.clone(), p.root.clone())).unwrap_or_default();
        Ok(IssuedCertificate { certificate: der, intermediates, root, paths })
    }

    /// Searches requests and certificates.
    pub async fn search(&self, actor: &Actor, query: &Query) -> AuthorityResult<Vec<RequestView>> {
        permit(actor, Action::Search)?;
        let found: Vec<Found> = self.store.search(query).await?;
        Ok(found.iter().map(|f| self.request_view(&f.request, f.certificate.as_ref())).collect())
    }
}
