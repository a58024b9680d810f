//! What the ACME front end asks of the workflow. An ACME account acts as an identity of its own
//! (`acme-account:ID`), allowed to enroll in the profiles marked `acme = true` and nowhere else;
//! its finalized order is an ordinary submission to the chosen profile, so name and key rules,
//! lints, approval by a Certificate Manager, audit and revocation apply as to any request.

use signet_issuance::Profile;
use signet_issuance::csr::CsrFacts;
use signet_model::Identifier;

use crate::actor::Actor;
use crate::authority::Authority;
use crate::error::{AuthorityError, AuthorityResult};
use crate::views::Submitted;

/// A CSR examined for an ACME profile ([`Authority::acme_csr`]): its signature verified and its
/// key type accepted, the names it asks for read.
#[derive(Debug, Clone)]
pub struct AcmeCsr {
    profile: String,
    der: Vec<u8>,
    facts: CsrFacts,
}

impl AcmeCsr {
    /// The names it asks for (SANs, and the CN when it is a host).
    pub fn names(&self) -> &[Identifier] {
        &self.facts.requested
    }
}

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

    /// A finalize's CSR (DER) examined for `profile` once its signature and key type pass the
    /// profile's rules: finalize compares its names with the order's, then submits it as it is,
    /// without reading and verifying it a second time.
    pub fn acme_csr(&self, profile: &str, csr_der: Vec<u8>) -> AuthorityResult<AcmeCsr> {
        let rules = self.acme_profile(profile)?;
        let facts = signet_issuance::csr::examine(&csr_der, &rules.keys)?;
        Ok(AcmeCsr { profile: profile.to_string(), der: csr_der, facts })
    }

    /// Submits a finalized order's examined CSR to its ACME profile for the account `identity`.
    /// The request is recorded on the order `order` (claimed by its finalize) as it is stored
    /// (Conflict, with nothing stored, if the order was settled meanwhile).
    pub async fn submit_acme(&self, identity: &str, csr: AcmeCsr, order: i64) -> AuthorityResult<Submitted> {
        let profile = self.acme_profile(&csr.profile)?;
        let actor = Actor { name: identity.to_string(), roles: Vec::new() };
        self.submit_examined(&actor, profile, &csr.der, csr.facts, Some(order)).await
    }
}
