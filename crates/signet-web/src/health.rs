//! What `/healthz` says beyond the database: each CRL's age and whether it is about to go stale
//! (seed P18: warn before nextUpdate passes, not after).

use signet_authority::Authority;

/// The health document when the database answers: `ok`, or `warning` when a CRL is missing,
/// stale or about to be, with every CRL's state.
pub(crate) async fn with_crls(authority: &Authority) -> serde_json::Value {
    match authority.crl_status().await {
        Ok(crls) => {
            let bad = crls.iter().filter(|c| c.state != "ok").count();
            let status = if bad == 0 { "ok" } else { "warning" };
            let mut doc = serde_json::json!({"status": status, "database": "ok", "crls": crls});
            if bad > 0
                && let Some(map) = doc.as_object_mut()
            {
                map.insert(
                    "warning".into(),
                    format!("{bad} CRL(s) missing, stale or about to go stale: is a front end publishing? (see the server log)").into(),
                );
            }
            doc
        }
        Err(e) => serde_json::json!({"status": "warning", "database": "ok", "crls": format!("unknown: {e}")}),
    }
}
