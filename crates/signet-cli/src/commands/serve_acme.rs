//! The ACME server of `signet serve`: wired from `[acme]` (the validator's ports, resolver and
//! allowed networks; or, for benchmarks only, no validation at all, which needs both the setting
//! and the command-line flag).

use std::sync::Arc;
use std::time::Duration;

use signet_acme::eab::EabSecret;
use signet_acme::{Acme, AcmeConfig, AcmeState};
use signet_authority::Authority;
use signet_config::Settings;
use signet_model::Clock;
use signet_store::AcmeStore;

use crate::cli::ServeArgs;
use crate::error::{CliError, CliResult};

/// How long a nonce stays valid.
const NONCE_LIFETIME: time::Duration = time::Duration::minutes(10);

/// Time for each connection, lookup or exchange of a validation.
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The ACME server and the start-up line about it, when `[acme]` enables it. Orders whose
/// finalize was interrupted (claimed more than `grace` ago, like the interrupted issuances the
/// authority recovers, and with no certificate request stored) are settled invalid first.
pub async fn start(
    settings: &Settings,
    args: &ServeArgs,
    authority: &Arc<Authority>,
    store: Arc<dyn AcmeStore>,
    clock: &Arc<dyn Clock>,
    eab: EabSecret,
    grace: time::Duration,
) -> CliResult<Option<(AcmeState, String)>> {
    let acme = &settings.acme;
    match (acme.danger_skip_validation, args.danger_skip_validation) {
        (true, false) => {
            return Err(CliError::bad_input(
                "[acme] danger_skip_validation = true lets ACME orders through without proving control of any name; it is refused unless signet serve is also started with --danger-skip-validation (benchmarks only)",
            ));
        }
        (false, true) => {
            return Err(CliError::bad_input(
                "--danger-skip-validation also needs danger_skip_validation = true in [acme] of signet.toml (benchmarks only)",
            ));
        }
        _ => {}
    }
    if !acme.enabled {
        return Ok(None);
    }
    let validator: Arc<dyn signet_acme_validator::Validate> = if acme.danger_skip_validation {
        crate::output::warn(
            "ACME validation is OFF (danger_skip_validation): any client gets certificates for any name",
        );
        Arc::new(signet_acme_validator::DangerSkipValidation)
    } else {
        let network = signet_acme_validator::NetworkValidator::new(signet_acme_validator::Settings {
            http01_port: acme.http01_port,
            tls_alpn01_port: acme.tls_alpn01_port,
            dns_resolver: acme.dns_resolver,
            networks: acme.validation_networks.clone(),
            caa_identities: acme.caa_identities.clone(),
            timeout: VALIDATION_TIMEOUT,
        })
        .map_err(|e| CliError::runtime(format!("ACME validation: {e}; check [acme] dns_resolver")))?;
        Arc::new(network)
    };
    let profiles: Vec<(String, String)> =
        authority.acme_profiles().iter().map(|p| (p.name.clone(), p.description.clone().unwrap_or_default())).collect();
    let names: Vec<&str> = profiles.iter().map(|(name, _)| name.as_str()).collect();
    let config = AcmeConfig {
        base_url: format!("{}/acme", settings.public_url),
        settings: acme.clone(),
        profiles: profiles.clone(),
        nonce_lifetime: NONCE_LIFETIME,
    };
    let line = format!(
        "{}/acme/directory (profiles {}; default {}{})",
        settings.public_url,
        names.join(", "),
        acme.default_profile,
        if acme.eab_required { "; External Account Binding required" } else { "" }
    );
    let settled = signet_acme::settle_interrupted_finalizes(store.as_ref(), clock.now() - grace)
        .await
        .map_err(|e| CliError::runtime(format!("cannot settle interrupted ACME orders: {}", e.detail)))?;
    if settled > 0 {
        crate::output::warn(&format!(
            "{settled} ACME order(s) whose finalize was interrupted before the certificate request was stored are now invalid; their clients make new orders"
        ));
    }
    let server = Acme::new(authority.clone(), store, clock.clone(), config, eab, validator)
        .await
        .map_err(|e| CliError::runtime(format!("cannot start ACME: {}", e.detail)))?;
    Ok(Some((Arc::new(server), line)))
}
