//! The certificate `signet serve` presents over HTTPS, issued by one of its own CAs through the
//! same intake, lint gate, reservation, signature and audit as any request — an ordinary request
//! of the `signet serve` identity to a built-in profile — so it can be found, and revoked, like
//! every certificate the CA ever signed.

use signet_issuance::profile::KeyRules;
use signet_issuance::{Approval, NameRules, Profile, ProfileKind, SubjectPolicy};

use crate::actor::Actor;
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::views::IssuedCertificate;

/// The profile name the server's own certificates are recorded under (not a configured profile:
/// nobody can submit to it).
pub const SERVER_TLS_PROFILE: &str = "signet-server-tls";

/// The identity recorded as requesting and deciding the server's own certificates.
pub const SERVER_IDENTITY: &str = "signet serve";

/// Most names the server's certificate holds.
const MAX_SERVER_NAMES: usize = 20;

impl Authority {
    /// Issues the HTTPS certificate of the server itself from `issuer` for the names in
    /// `csr_der` (addresses, `localhost` and the public host are internal names a private CA
    /// allows here), valid for `validity`.
    pub async fn issue_server_certificate(
        &self,
        issuer: &str,
        csr_der: &[u8],
        validity: time::Duration,
    ) -> AuthorityResult<IssuedCertificate> {
        let profile = Profile {
            name: SERVER_TLS_PROFILE.into(),
            issuer: issuer.into(),
            kind: ProfileKind::Server,
            validity: Some(validity),
            allow_long_validity: false,
            keys: KeyRules::default(),
            names: NameRules {
                dns: true,
                ip: true,
                wildcard: false,
                max_names: MAX_SERVER_NAMES,
                internal: true,
                ..NameRules::default()
            },
            subject: SubjectPolicy::CnOnly,
            approval: Approval::Auto,
            enroll_roles: Vec::new(),
            policies: Vec::new(),
            path_length: None,
            acme: false,
            description: None,
        };
        let ca = self
            .registry
            .issuer(issuer)
            .map_err(|e| AuthorityError::new(e.kind(), format!("server.tls_issuer {issuer:?}: {e}")))?;
        let actor = Actor { name: SERVER_IDENTITY.into(), roles: Vec::new() };
        let submitted = self.submit_to(&actor, &profile, csr_der, None).await?;
        let id = submitted.request.id;
        let record =
            self.store.certificate_for_request(id).await?.ok_or_else(|| {
                AuthorityError::new(Kind::Internal, "the server certificate was issued but not stored")
            })?;
        let certificate =
            record.der.ok_or_else(|| AuthorityError::new(Kind::Internal, "issued certificate without DER"))?;
        let (intermediates, root) = self.registry.chain_of(ca.id);
        Ok(IssuedCertificate { certificate, intermediates, root, paths: self.registry.paths_of(ca.id) })
    }
}
