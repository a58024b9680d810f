//! CAA (RFC 8659): the relevant record set is the first non-empty one found climbing from the
//! name towards the root; issuance is allowed when it is empty, or when an `issue` record
//! (`issuewild` for a wildcard, when the set has any) names one of this CA's identities and its
//! parameters allow this account and validation method (RFC 8657). An unknown critical tag
//! forbids issuance; a failed lookup does too (fail closed), unlike a name without records.

use hickory_resolver::proto::rr::RData;
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::proto::rr::rdata::CAA;

use crate::ValidationError;
use crate::dns::{Found, Lookup};

/// A CAA check for one name.
#[derive(Debug, Clone)]
pub struct CaaCheck {
    /// The DNS name, without `*.`.
    pub name: String,
    /// Whether the certificate holds the wildcard of it.
    pub wildcard: bool,
    /// The account's URL (RFC 8657 `accounturi`).
    pub account_uri: String,
    /// The challenge type that validated it (RFC 8657 `validationmethods`).
    pub method: String,
}

/// The relevant record set: the first non-empty one from `name` up.
async fn relevant(lookup: &Lookup, name: &str) -> Result<Option<(String, Vec<CAA>)>, ValidationError> {
    let mut current = name.trim_end_matches('.').to_ascii_lowercase();
    loop {
        if let Found::Records(records) = lookup.records(&current, RecordType::CAA).await? {
            let set: Vec<CAA> = records
                .into_iter()
                .filter_map(|r| match r {
                    RData::CAA(caa) => Some(caa),
                    _ => None,
                })
                .collect();
            if !set.is_empty() {
                return Ok(Some((current, set)));
            }
        }
        match current.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => current = parent.to_string(),
            _ => return Ok(None),
        }
    }
}

pub(crate) async fn check(lookup: &Lookup, identities: &[String], check: &CaaCheck) -> Result<(), ValidationError> {
    let Some((owner, set)) = relevant(lookup, &check.name).await? else { return Ok(()) };
    let forbid =
        |why: String| ValidationError::Caa(format!("CAA records at {owner} forbid issuance for {}: {why}", check.name));
    let tag = |record: &CAA| record.tag.to_ascii_lowercase();
    for record in &set {
        if record.issuer_critical && !["issue", "issuewild", "iodef"].contains(&tag(record).as_str()) {
            return Err(forbid(format!("an unknown critical property {:?}", record.tag)));
        }
    }
    let wild: Vec<&CAA> = set.iter().filter(|r| tag(r) == "issuewild").collect();
    let issue: Vec<&CAA> = set.iter().filter(|r| tag(r) == "issue").collect();
    let rules = if check.wildcard && !wild.is_empty() { wild } else { issue };
    if rules.is_empty() {
        // Only iodef or unknown non-critical properties: nothing restricts issuance.
        return Ok(());
    }
    for record in &rules {
        // A value that cannot be read grants nothing (RFC 8659 §4.2).
        let Ok((Some(issuer), parameters)) = record.value_as_issue() else { continue };
        let issuer = issuer.to_ascii().trim_end_matches('.').to_ascii_lowercase();
        if !identities.iter().any(|identity| identity.eq_ignore_ascii_case(&issuer)) {
            continue;
        }
        let mut allowed = true;
        for parameter in &parameters {
            match parameter.key() {
                "accounturi" => allowed &= parameter.value() == check.account_uri,
                "validationmethods" => allowed &= parameter.value().split(',').any(|m| m.trim() == check.method),
                _ => {}
            }
        }
        if allowed {
            return Ok(());
        }
    }
    Err(forbid(format!(
        "no {} record names {} for this account and method",
        if check.wildcard { "issuewild/issue" } else { "issue" },
        identities.join(" or ")
    )))
}
