//! What the ACME front end asks of the workflow. An ACME account acts as an identity of its own
//! (`acme-account:ID`), allowed to enroll in the profiles marked `acme = true` and nowhere else;
//! its finalized order is an ordinary submission to the chosen profile, so name and key rules,
//! lints, approval by a Certificate Manager, audit and revocation apply as to any request.

use signet_issuance::Profile;
use signet_model::Identifier;

use crate::actor::Actor;
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult};
use crate::views::Submitted;

impl Authority {
    /// The profiles offered over ACME, by name.
    pub fn acme_profiles(&self) -> Vec<&Profile> {
        self.profiles().into_iter().filter(|p| p.acme).collect()
    }

    /// An ACME profile by name (NotFound listing those there are).
    pub fn acme_profile(&self, name: &str) -> AuthorityResult<&Profile> {
        match self.profiles.get(name) {
            Some(profile) if profile.acme => Ok(profile),
            _ => {
                let offered: Vec<&str> = self.acme_profiles().iter().map(|p| p.name.as_str()).collect();
                Err(AuthorityError::NoSuchProfile { name: name.to_string(), available: offered.join(", ") })
            }
        }
    }

    /// Whether the requests of the ACME profile `profile` wait for a Certificate Manager: a
    /// pending request of such a profile is waiting legitimately; one of an auto-approving profile
    /// is being issued, or its issuance was interrupted ([`Authority::recover`] settles it).
    pub fn acme_waits_for_approval(&self, profile: &str) -> bool {
        self.profiles.get(profile).is_some_and(|p| p.approval == signet_issuance::Approval::Manager)
    }

    /// Whether `profile` would issue for `name`, asked before an order is made so a name it
    /// refuses is refused at once, not at finalization.
    pub fn check_acme_name(&self, profile: &str, name: &Identifier) -> AuthorityResult<()> {
        let profile = self.acme_profile(profile)?;
        signet_issuance::csr::check_names(std::slice::from_ref(name), profile)?;
        Ok(())
    }

    /// The names a CSR (DER) asks for (SANs, and the CN when it is a host), once its signature
    /// and key type pass `profile`'s rules: finalize compares them with the order.
    pub fn acme_csr_names(&self, profile: &str, csr_der: &[u8]) -> AuthorityResult<Vec<Identifier>> {
        let profile = self.acme_profile(profile)?;
        Ok(signet_issuance::csr::examine(csr_der, &profile.keys)?.requested)
    }

    /// Submits the CSR (DER) of the ACME order `order`, claimed by its finalize, to an ACME
    /// profile for the account `identity`. The request is recorded on the order as it is stored
    /// (Conflict, with nothing stored, if the order was settled meanwhile).
    pub async fn submit_acme(
        &self,
        identity: &str,
        profile: &str,
        csr_der: &[u8],
        order: i64,
    ) -> AuthorityResult<Submitted> {
        let profile = self.acme_profile(profile)?;
        let actor = Actor { name: identity.to_string(), roles: Vec::new() };
        self.submit_to(&actor, profile, csr_der, Some(order)).await
    }
}
