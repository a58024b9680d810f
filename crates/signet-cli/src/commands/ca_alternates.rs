//! `signet ca cross-sign` and `signet ca install-cert --alternate`: alternate certificates for a
//! CA's key (cross-certificates), on the data directory like the other `signet ca` commands.
//! Restart `signet serve` to offer the new chains.

use signet_authority::SoftwareCaKeys;
use signet_authority::ca_alternates;
use signet_authority::views::AlternateView;
use signet_model::{Clock, SystemClock};
use signet_store::{CaAlternateRecord, StoreRead};

use crate::cli::{CaCrossSignArgs, CaInstallArgs};
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
    say!("Restart signet serve to offer it (ACME: Link rel=\"alternate\"; `signet ca list` shows every path).");
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
