//! Putting a bag of certificates in chain order (for `signet convert` and anything that writes a
//! chain file): from the leaf's issuer upwards, each link a signature that verifies (the same
//! linking the verifier's diagnosis follows), unrelated certificates kept at the end.

use super::diagnose::signed_by;
use super::parse;

/// Orders `rest` from the issuer of `leaf` upwards; certificates that are not on the chain (or
/// do not parse) follow in their original order.
pub fn order_chain(leaf: &[u8], rest: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let Ok(leaf_cert) = parse(leaf) else { return rest };
    let parsed: Vec<Option<x509_parser::certificate::X509Certificate<'_>>> =
        rest.iter().map(|der| parse(der).ok()).collect();
    let mut used = vec![false; rest.len()];
    let mut order = Vec::with_capacity(rest.len());
    let mut current = leaf_cert;
    loop {
        let next = parsed.iter().enumerate().find(|(index, candidate)| {
            !used.get(*index).copied().unwrap_or(true) && candidate.as_ref().is_some_and(|c| signed_by(&current, c))
        });
        let Some((index, Some(cert))) = next else { break };
        if let Some(flag) = used.get_mut(index) {
            *flag = true;
        }
        order.push(index);
        if super::profile::is_self_issued(cert) {
            break;
        }
        current = cert.clone();
    }
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(rest.len());
    let mut rest: Vec<Option<Vec<u8>>> = rest.into_iter().map(Some).collect();
    for index in order {
        if let Some(der) = rest.get_mut(index).and_then(Option::take) {
            out.push(der);
        }
    }
    out.extend(rest.into_iter().flatten());
    out
}
