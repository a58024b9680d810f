//! What `/healthz` says beyond the database: each CRL's age and whether it is about to go stale
//! (seed P18: warn before nextUpdate passes, not after), and any CA whose own certificate was
//! revoked.

use signet_authority::Authority;

/// The health document when the database answers: `ok`, or `warning` when a CRL is missing,
/// stale or about to be, with every CRL's state.
pub(crate) async fn with_crls(authority: &Authority) -> serde_json::Value {
    match authority.crl_status().await {
        Ok(crls) => {
            let bad = crls.iter().filter(|c| c.state != "ok").count();
            let revoked = authority.revoked_cas();
            let status = if bad == 0 && revoked.is_empty() { "ok" } else { "warning" };
            let mut doc = serde_json::json!({"status": status, "database": "ok", "crls": crls});
            let mut warnings = Vec::new();
            if bad > 0 {
                warnings.push(format!(
                    "{bad} CRL(s) missing, stale or about to go stale: is a front end publishing? (see the server log)"
                ));
            }
            warnings.extend(revoked.iter().map(|ca| ca.describe()));
            if let Some(map) = doc.as_object_mut() {
                if !warnings.is_empty() {
                    map.insert("warning".into(), warnings.join("; ").into());
                }
                if !revoked.is_empty() {
                    map.insert("revoked_cas".into(), serde_json::json!(revoked));
                }
            }
            doc
        }
        Err(e) => serde_json::json!({"status": "warning", "database": "ok", "crls": format!("unknown: {e}")}),
    }
}
