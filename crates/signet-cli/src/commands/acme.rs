//! `signet acme eab create|list|withdraw`: External Account Binding keys. The MAC key is derived from the CA
//! passphrase and the key id (`signet_acme::eab`), shown once, and only its SHA-256 is stored.

use signet_acme::eab::{EabSecret, key_sha256, new_key_id};
use signet_acme::jws::b64;
use signet_model::{Clock, SystemClock};
use signet_store::acme::EabKeyRecord;
use signet_store::{AcmeStore, AuditEvent};

use crate::cli::{EabCreateArgs, EabListArgs, EabWithdrawArgs};
use crate::data;
use crate::error::{CliError, CliResult};

/// Runs `signet acme eab create`.
pub fn eab_create(args: &EabCreateArgs) -> CliResult {
    let name = args.name.trim();
    if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 200 {
        return Err(CliError::bad_input("--name must be 1 to 200 printable characters"));
    }
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        if let Some(profile) = &args.profile
            && !data.settings.profile(profile).is_some_and(|p| p.acme)
        {
            let offered: Vec<&str> =
                data.settings.profiles.iter().filter(|p| p.acme).map(|p| p.name.as_str()).collect();
            return Err(CliError::bad_input(format!(
                "--profile {profile:?} is not an ACME profile; those are: {}",
                offered.join(", ")
            )));
        }
        let passphrase = data::ca_passphrase(&data.settings)?;
        let secret = EabSecret::from_passphrase(passphrase.as_bytes());
        let key_id = new_key_id().map_err(|_| CliError::runtime("the system's random generator failed"))?;
        let mac_key = secret.mac_key(&key_id);
        let now = SystemClock.now();
        let record = EabKeyRecord {
            key_id: key_id.clone(),
            name: name.to_string(),
            profile: args.profile.clone(),
            key_sha256: key_sha256(&mac_key),
            account_id: None,
            created_at: now,
        };
        let audit = AuditEvent::new(
            now,
            "local-admin",
            "acme.eab.create",
            &format!("acme-eab:{key_id}"),
            serde_json::json!({"name": name, "profile": args.profile}),
        );
        data.store.create_eab_key(record, audit).await.map_err(|e| CliError::runtime(e.to_string()))?;
        let hmac = b64(&mac_key);
        if args.json {
            let value = serde_json::json!({"key_id": key_id, "hmac_key": hmac, "name": name, "profile": args.profile});
            say!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        } else {
            say!("key id:    {key_id}");
            say!("HMAC key:  {hmac}");
            let directory = format!("{}/acme/directory", data.settings.public_url.trim_end_matches('/'));
            say!("For one new ACME account of {name}; shown once, only its hash is stored. Clients:");
            say!("  lego --server {directory} --eab --kid {key_id} --hmac {hmac} ...");
            say!("  certbot --server {directory} --eab-kid {key_id} --eab-hmac-key {hmac} ...");
        }
        if !data.settings.acme.eab_required {
            crate::output::note(
                "[acme] eab_required is false in signet.toml: accounts register without a key too; set it to true and restart signet serve to require one",
            );
        }
        Ok(())
    })
}

/// Runs `signet acme eab list`.
pub fn eab_list(args: &EabListArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let keys = data.store.eab_keys().await.map_err(|e| CliError::runtime(e.to_string()))?;
        if args.json {
            let list: Vec<serde_json::Value> = keys
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "key_id": k.key_id,
                        "name": k.name,
                        "profile": k.profile,
                        "created_at": signet_model::time_text::format(k.created_at),
                        "account_id": k.account_id,
                    })
                })
                .collect();
            say!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
            return Ok(());
        }
        if keys.is_empty() {
            say!("No EAB keys yet: signet acme eab create --name NAME makes one.");
            return Ok(());
        }
        say!("{:<24} {:<20} {:<12} {:<20} account", "key id", "for", "profile", "made");
        for k in &keys {
            let account = k.account_id.map_or_else(|| "unused".to_string(), |id| format!("account {id}"));
            say!(
                "{:<24} {:<20} {:<12} {:<20} {account}",
                k.key_id,
                k.name,
                k.profile.as_deref().unwrap_or("any"),
                signet_model::time_text::format(k.created_at),
            );
        }
        Ok(())
    })
}

/// Runs `signet acme eab withdraw`.
pub fn eab_withdraw(args: &EabWithdrawArgs) -> CliResult {
    let key_id = args.key_id.trim();
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        match data.store.eab_key(key_id).await.map_err(|e| CliError::runtime(e.to_string()))? {
            None => {
                return Err(CliError::bad_input(format!(
                    "there is no EAB key {key_id:?}: `signet acme eab list` shows the keys"
                )));
            }
            Some(EabKeyRecord { account_id: Some(account), .. }) => {
                return Err(CliError::bad_input(format!(
                    "EAB key {key_id} is bound to ACME account {account} already, so it can bind no other; withdrawing it would change nothing"
                )));
            }
            Some(_) => {}
        }
        let audit = AuditEvent::new(
            SystemClock.now(),
            "local-admin",
            "acme.eab.withdraw",
            &format!("acme-eab:{key_id}"),
            serde_json::json!({}),
        );
        data.store.withdraw_eab_key(key_id, audit).await.map_err(|e| CliError::runtime(e.to_string()))?;
        say!("EAB key {key_id} withdrawn: no ACME account can bind it now.");
        Ok(())
    })
}
