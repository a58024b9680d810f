//! `signet crl get|inspect` (CRLs from a server or a file) and `signet ca status` (each CRL's age
//! and whether it is about to go stale, read from the data directory).

use signet_codec::ObjectKind;
use signet_model::{CaId, Clock, SystemClock};
use signet_store::StoreRead;

use crate::cli::{CaStatusArgs, CrlGetArgs, CrlInspectArgs, CrlPublishArgs};
use crate::commands::client::connect;
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::{data, output, pki};

/// Runs `signet crl get`.
pub fn get(args: &CrlGetArgs) -> CliResult {
    crate::key_files::refuse_replacing_key(&args.out, "--out")?;
    if !args.force && args.out.exists() {
        return Err(CliError::bad_input(format!(
            "{} already exists; choose another --out or add --force",
            args.out.display()
        )));
    }
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, false)?;
        let url = match (&args.url, &args.ca, args.shard) {
            (Some(url), ..) => match reqwest::Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => url.clone(),
                _ => {
                    return Err(CliError::bad_input(format!(
                        "--url {url:?} is not an http:// or https:// URL; give a CRL distribution point such as http://pki.example.com/crl/dev-issuing.crl (`signet inspect CERT` shows a certificate's)"
                    )));
                }
            },
            (None, Some(ca), None) => conn.url(&format!("/crl/{ca}.crl")),
            (None, Some(ca), Some(shard)) => conn.url(&format!("/crl/{ca}/{shard}.crl")),
            (None, None, _) => return Err(CliError::bad_input("give --ca NAME (or --url URL) of the CRL to fetch")),
        };
        let bytes =
            conn.send(conn.client.get(&url)).await?.bytes().await.map_err(|e| CliError::runtime(e.to_string()))?;
        let decoded =
            signet_codec::decode(&bytes).map_err(|e| CliError::runtime(format!("{url} did not answer a CRL: {e}")))?;
        let der = decoded.single(ObjectKind::Crl).map_err(|e| CliError::runtime(format!("{url}: {e}")))?.to_vec();
        let info = signet_codec::describe::crl(&der, SystemClock.now())?;
        let contents = if args.pem { signet_codec::pem::encode("X509 CRL", &der).into_bytes() } else { der };
        write_atomic(&args.out, &contents, Mode::Public, args.force)?;
        if args.json {
            return output::json(&info);
        }
        say!("CRL of {} written to {}", info.issuer, absolute(&args.out));
        output::field("CRL number", info.crl_number.as_deref().unwrap_or("-"));
        output::field("entries", info.revoked_count);
        output::field("next update", format!("{} ({})", info.next_update.as_deref().unwrap_or("none"), info.status));
        Ok(())
    })
}

/// Runs `signet crl inspect`.
pub fn inspect(args: &CrlInspectArgs) -> CliResult {
    let decoded = pki::load(&args.file)?;
    let der = decoded.single(ObjectKind::Crl).map_err(|e| CliError::bad_input(format!("{}: {e}", args.file)))?;
    let info = signet_codec::describe::crl(der, SystemClock.now())?;
    if args.json {
        return output::json(&info);
    }
    say!("Certificate revocation list (CRL)");
    crate::commands::inspect::crl(&info);
    Ok(())
}

/// Runs `signet crl publish`.
pub fn publish(args: &CrlPublishArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let weak_keys = std::sync::Arc::new(data::weak_keys(&data.settings)?);
        let authority = data::authority(&data.settings, data.store.clone(), weak_keys).await?;
        let report = if args.force { authority.publish_all_crls().await? } else { authority.publish_crls().await? };
        if args.json {
            output::json(&report)?;
        } else {
            for p in &report.published {
                say!(
                    "{} {}: CRL number {}, {} entries, {} bytes, {:.3} s",
                    p.ca,
                    match p.scope {
                        signet_model::CrlScope::Full => "full".to_string(),
                        signet_model::CrlScope::Shard(n) => format!("partition {n}"),
                    },
                    p.number,
                    p.entries,
                    p.bytes,
                    p.seconds
                );
            }
            if report.leader && report.published.is_empty() {
                say!("No CRL was due (--force makes them all).");
            }
        }
        if !report.leader {
            return Err(CliError::check_failed(
                "another process (a running `signet serve` on this database) holds the publishing lease and publishes the CRLs itself, a revocation within `publish_after_revocation_seconds` (60 s by default): nothing to do here; `signet ca status` shows what it published",
            ));
        }
        if let Some((ca, why)) = report.failed.first() {
            return Err(CliError::runtime(format!("the CRLs of {ca} failed: {why}")));
        }
        Ok(())
    })
}

/// Runs `signet ca status`.
pub fn status(args: &CaStatusArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let records = data.store.cas().await.map_err(|e| CliError::runtime(e.to_string()))?;
        let certified: Vec<(String, CaId, Vec<u8>)> =
            records.iter().filter_map(|ca| Some((ca.name.clone(), ca.id, ca.certificate.clone()?))).collect();
        let revoked = signet_authority::ca_revocation::revoked_cas(data.store.as_ref(), &certified).await?;
        let cas: Vec<(String, CaId, bool)> =
            records.into_iter().map(|ca| (ca.name, ca.id, ca.certificate.is_some())).collect();
        let policy = data::crl_policy(&data.settings);
        let crls = signet_authority::publication::crl_status(
            data.store.as_ref() as &dyn StoreRead,
            &cas,
            &data::urls(&data.settings),
            &policy,
            SystemClock.now(),
        )
        .await?;
        let problems = crls.iter().filter(|c| c.state != "ok").count();
        if args.json {
            output::json(&serde_json::json!({"crls": crls, "problems": problems + revoked.len(), "revoked_cas": revoked}))?;
        } else {
            for ca in &revoked {
                say!("REVOKED: {}", ca.describe());
            }
            say!("CRLs (validity {} h, refreshed every {} h):", policy.validity.whole_hours(), policy.refresh.whole_hours());
            for c in &crls {
                let age = c.age_seconds.map(age).unwrap_or_else(|| "-".into());
                say!(
                    "  {:<16} {:<6} {:<11} number {:<14} age {:<8} next update {}  entries {}",
                    c.ca,
                    c.scope,
                    c.state.to_uppercase(),
                    c.number.as_deref().unwrap_or("-"),
                    age,
                    c.next_update.as_deref().unwrap_or("-"),
                    c.entries.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
                );
            }
        }
        if !revoked.is_empty() && problems == 0 {
            return Err(CliError::check_failed(format!("{} CA(s) with a revoked certificate", revoked.len())));
        }
        if problems > 0 {
            return Err(CliError::check_failed(format!(
                "{problems} CRL(s) missing, stale or about to go stale: is `signet serve` running? A front end publishes them within {} s of a start or a revocation",
                policy.after_revocation.whole_seconds()
            )));
        }
        Ok(())
    })
}

/// An age in words: `42s`, `17m`, `5h`, `2d`.
fn age(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7_200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}
