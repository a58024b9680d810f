//! `signet ca cross-sign` and `signet ca install-cert --alternate`: alternate certificates for a
//! CA's key (cross-certificates), on the data directory like the other `signet ca` commands.
//! A running `signet serve` offers the new chains from its next publication round.

use signet_authority::SoftwareCaKeys;
use signet_authority::ca_alternates;
use signet_authority::views::AlternateView;
use signet_model::{Clock, SystemClock};
use signet_store::{CaAlternateRecord, StoreRead};

use crate::cli::{CaCrossSignArgs, CaInstallArgs, CaShowArgs};
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::{data, output, pki};

/// DATA/cas/NAME.alternate-N.pem: an alternate certificate of a CA, followed by its issuer's
/// chain as stored, for relying parties that build paths from files.
fn write_alternate(dir: &std::path::Path, name: &str, record: &CaAlternateRecord, n: usize) -> CliResult<String> {
    let path = dir.join("cas").join(format!("{name}.alternate-{n}.pem"));
    let mut pem = signet_codec::pem::encode("CERTIFICATE", &record.certificate);
    for der in &record.chain {
        pem.push_str(&signet_codec::pem::encode("CERTIFICATE", der));
    }
    write_atomic(&path, pem.as_bytes(), Mode::Public, true)?;
    Ok(absolute(&path))
}

async fn report(data: &data::Data, name: &str, record: &CaAlternateRecord, json: bool) -> CliResult {
    let all = data.store.ca_alternates().await.map_err(|e| CliError::runtime(e.to_string()))?;
    let n = all.iter().filter(|a| a.ca_id == record.ca_id).position(|a| a.id == record.id).unwrap_or(0) + 1;
    let file = write_alternate(&data.dir, name, record, n)?;
    let view = AlternateView::new(record, SystemClock.now())
        .ok_or_else(|| CliError::runtime("the stored certificate does not parse"))?;
    if json {
        return output::json(&view);
    }
    say!("CA {name} has a further certificate (alternate {n}):");
    output::field("issuer", &view.issuer);
    output::field("serial", &view.serial);
    output::field("expires", &view.not_after);
    output::field("certificate", &file);
    output::field("SHA-256", output::colons(&view.sha256));
    say!(
        "signet serve offers it from its next publication round, within 15 seconds (ACME: Link rel=\"alternate\"; `signet ca show --name {name}` shows every chain)."
    );
    Ok(())
}

/// Runs `signet ca cross-sign`.
pub fn cross_sign(args: &CaCrossSignArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let passphrase = data::ca_passphrase(&data.settings)?;
        let record = ca_alternates::cross_sign(
            data.store.as_ref(),
            &SystemClock,
            &data::urls(&data.settings),
            &SoftwareCaKeys::new(passphrase),
            "local-admin",
            &args.name,
            &args.by,
            args.days.map(time::Duration::days),
        )
        .await?;
        report(&data, &args.name, &record, args.json).await
    })
}

/// Runs `signet ca install-cert --alternate FILE`.
pub fn install(args: &CaInstallArgs, file: &str) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let certificates = pki::load_certificates(file, None)?;
        let record = ca_alternates::install_alternate(
            data.store.as_ref(),
            &SystemClock,
            "local-admin",
            &args.name,
            &certificates,
        )
        .await
        .map_err(|e| CliError::from(e).context(file))?;
        report(&data, &args.name, &record, false).await
    })
}

/// One chain a CA offers, as `ca show` prints it.
#[derive(serde::Serialize)]
struct ChainLine {
    /// 0 for the default chain; ACME serves N at /acme/cert/{id}/N.
    chain: usize,
    /// Each CA certificate, the CA's own first: who issued it, serial, end.
    certificates: Vec<ChainCertificate>,
    /// The self-signed root at the top, when signet holds it.
    root: Option<String>,
}

#[derive(serde::Serialize)]
struct ChainCertificate {
    subject: String,
    issuer: String,
    serial: String,
    not_after: String,
}

#[derive(serde::Serialize)]
struct Shown {
    ca: crate::commands::ca::CaLine,
    chains: Vec<ChainLine>,
}

/// Runs `signet ca show`.
pub fn show(args: &CaShowArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let store = data.store.as_ref();
        let cas = store.cas().await.map_err(|e| CliError::runtime(e.to_string()))?;
        let all = store.ca_alternates().await.map_err(|e| CliError::runtime(e.to_string()))?;
        let Some(record) = cas.iter().find(|c| c.name == args.name) else {
            let names: Vec<&str> = cas.iter().map(|c| c.name.as_str()).collect();
            return Err(CliError::bad_input(format!(
                "there is no CA named {:?}; the CAs are: {}",
                args.name,
                names.join(", ")
            )));
        };
        let now = SystemClock.now();
        let offered = ca_alternates::offered(store, &cas, all.clone(), now).await?;
        let describe = |der: &[u8]| signet_codec::describe::certificate(der, now).ok();
        let chains: Vec<ChainLine> = signet_authority::chains::paths_of(&cas, &offered, &args.name)
            .iter()
            .enumerate()
            .map(|(chain, path)| ChainLine {
                chain,
                certificates: path
                    .intermediates
                    .iter()
                    .filter_map(|der| describe(der))
                    .map(|i| ChainCertificate {
                        subject: i.subject,
                        issuer: i.issuer,
                        serial: i.serial,
                        not_after: i.not_after,
                    })
                    .collect(),
                root: path.root.as_deref().and_then(describe).map(|i| i.subject),
            })
            .collect();
        let shown = Shown { ca: crate::commands::ca::line(&data.dir, record, &all), chains };
        if args.json {
            return output::json(&shown);
        }
        crate::commands::ca::print_line(&shown.ca);
        for chain in &shown.chains {
            let mut steps: Vec<String> = chain
                .certificates
                .iter()
                .map(|c| format!("{} (serial {}, expires {})", c.subject, c.serial, c.not_after))
                .collect();
            match (&chain.root, chain.certificates.last()) {
                (Some(root), _) => steps.push(format!("root {root}")),
                (None, Some(top)) => steps.push(format!("{} (not held here)", top.issuer)),
                (None, None) => {}
            }
            let label =
                if chain.chain == 0 { "chain 0 (default)".to_string() } else { format!("chain {}", chain.chain) };
            output::field(&label, steps.join("  <-  "));
        }
        Ok(())
    })
}
