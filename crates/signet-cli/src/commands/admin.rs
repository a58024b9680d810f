//! Local administration on the data directory: tokens, audit verification, configuration check.

use signet_model::{Role, SystemClock};
use signet_store::StoreRead;

use crate::cli::{AuditListArgs, AuditVerifyArgs, ConfigCheckArgs, TokenCreateArgs, TokenListArgs, TokenRevokeArgs};
use crate::data;
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::output;

/// Runs `signet token create`.
pub fn token_create(args: &TokenCreateArgs) -> CliResult {
    let roles =
        args.roles.iter().map(|r| r.parse::<Role>().map_err(CliError::bad_input)).collect::<CliResult<Vec<_>>>()?;
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let secret = signet_authority::create_token(
            data.store.as_ref(),
            &SystemClock,
            "local-admin",
            &args.name,
            &roles,
            data.settings.strict_role_separation,
        )
        .await?;
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        match &args.out {
            Some(path) => {
                write_atomic(path, format!("{secret}\n").as_bytes(), Mode::Secret, false)?;
                say!("Token for {} ({}) written to {} (mode 0600)", args.name, names.join(", "), absolute(path));
            }
            None => {
                say!("{secret}");
                eprintln!("Token for {} ({}). It is shown once; only its hash is stored.", args.name, names.join(", "));
            }
        }
        Ok(())
    })
}

/// Runs `signet audit verify`.
pub fn audit_verify(args: &AuditVerifyArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let report = signet_authority::verify_audit(data.store.as_ref()).await?;
        if args.json {
            output::json(&report)?;
        } else {
            say!("{} audit entries checked; head hash {}", report.entries, report.head_hash);
            for problem in &report.problems {
                say!("TAMPERED: {problem}");
            }
        }
        if report.intact {
            if !args.json {
                say!("OK: the audit log is intact");
            }
            Ok(())
        } else {
            Err(CliError::check_failed(format!("the audit log was altered ({} problem(s))", report.problems.len())))
        }
    })
}

/// Runs `signet audit list`.
pub fn audit_list(args: &AuditListArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let mut entries = signet_authority::read_audit(data.store.as_ref(), args.from, args.limit).await?;
        if let Some(action) = &args.action {
            entries.retain(|e| e.event.action.starts_with(action.as_str()));
        }
        if args.json {
            return output::json(&entries);
        }
        if entries.is_empty() {
            eprintln!("No audit entries there; `signet audit list` without --from shows the newest.");
        }
        for entry in &entries {
            let at = signet_store::audit::canonical_time(entry.event.at);
            say!(
                "{:>8}  {at}  {:<20} {:<22} {:<16} {}",
                entry.seq,
                entry.event.actor,
                entry.event.action,
                entry.event.target,
                entry.event.details
            );
        }
        Ok(())
    })
}

/// Runs `signet token list`.
pub fn token_list(args: &TokenListArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let tokens = data.store.tokens().await.map_err(signet_authority::AuthorityError::from)?;
        if args.json {
            return output::json(&tokens);
        }
        for token in &tokens {
            let roles: Vec<&str> = token.roles.iter().map(|r| r.as_str()).collect();
            let state = match token.revoked_at {
                Some(at) => format!("revoked {}", signet_codec::describe::rfc3339(at)),
                None => "live".to_string(),
            };
            say!(
                "{:>4}  {:<20} {:<40} created {}  {state}",
                token.id,
                token.name,
                roles.join(","),
                signet_codec::describe::rfc3339(token.created_at)
            );
        }
        if data.settings.strict_role_separation {
            for violation in signet_authority::separation_violations(data.store.as_ref()).await? {
                output::warn(&violation.describe());
            }
        }
        Ok(())
    })
}

/// Runs `signet token revoke`.
pub fn token_revoke(args: &TokenRevokeArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        signet_authority::revoke_token(data.store.as_ref(), &SystemClock, "local-admin", args.id).await?;
        say!("Token {} revoked; front ends stop accepting it within 10 seconds.", args.id);
        Ok(())
    })
}

/// Runs `signet config check`.
pub fn config_check(args: &ConfigCheckArgs) -> CliResult {
    let dir = args.data.dir()?;
    let settings = data::settings(&dir)?;
    let now = signet_model::Clock::now(&SystemClock);
    let weak = data::weak_keys(&settings)?;
    let violations = if settings.strict_role_separation {
        data::runtime()?.block_on(async {
            let store = data::open_store(&settings).await?;
            Ok::<_, CliError>(signet_authority::separation_violations(store.as_ref()).await?)
        })?
    } else {
        Vec::new()
    };
    let hours = |d: time::Duration| d.whole_hours();
    let acme = &settings.acme;
    let acme_profiles: Vec<&str> = settings.profiles.iter().filter(|p| p.acme).map(|p| p.name.as_str()).collect();
    let networks: Vec<String> =
        acme.validation_networks.iter().map(|n| format!("{}/{}", n.address, n.prefix)).collect();
    if args.json {
        return output::json(&serde_json::json!({
            "file": absolute(&data::config_path(&dir)),
            "valid": true,
            "listen": settings.listen.to_string(),
            "public_url": settings.public_url,
            "http_listen": settings.listeners.http_listen.to_string(),
            "http_public_url": settings.listeners.http_public_url,
            "ocsp_url": settings.ocsp_url,
            "storage": match &settings.storage {
                signet_config::Storage::Sqlite(path) => serde_json::json!({"backend": "sqlite", "path": path}),
                signet_config::Storage::Postgres(_) => serde_json::json!({"backend": "postgres"}),
            },
            "profiles": settings.profiles.iter().map(|p| serde_json::json!({
                "name": p.name, "issuer": p.issuer, "acme": p.acme,
                "validity_days": p.validity_at(now).whole_days(), "summary": describe_profile(p, now),
            })).collect::<Vec<_>>(),
            "crl": {
                "validity_hours": hours(settings.crl.validity), "refresh_hours": hours(settings.crl.refresh),
                "publish_after_revocation_seconds": settings.crl.after_revocation.whole_seconds(),
                "expired_grace_hours": hours(settings.crl.expired_grace), "shards": settings.crl.shards,
            },
            "acme": {
                "enabled": acme.enabled && !acme_profiles.is_empty(), "profiles": acme_profiles,
                "default_profile": acme.default_profile, "eab_required": acme.eab_required,
                "http01_port": acme.http01_port, "tls_alpn01_port": acme.tls_alpn01_port,
                "dns_resolver": acme.dns_resolver.map(|a| a.to_string()), "validation_networks": networks,
            },
            "weak_key_files": weak.files(),
            "weak_keys": weak.len(),
            "strict_role_separation": settings.strict_role_separation,
            "role_separation_violations": violations.iter().map(|v| v.describe()).collect::<Vec<_>>(),
            "warnings": settings.warnings,
        }));
    }
    say!("{}: valid", absolute(&data::config_path(&dir)));
    output::field("listen", settings.listen);
    output::field("public URL", &settings.public_url);
    output::field(
        "plain HTTP",
        format!(
            "{} (certificates name {}); OCSP {}",
            settings.listeners.http_listen,
            settings.listeners.http_public_url,
            settings.ocsp_url.as_deref().unwrap_or("off")
        ),
    );
    output::field(
        "CRLs",
        format!(
            "valid {} h, made again every {} h and within {} s of a revocation{}",
            hours(settings.crl.validity),
            hours(settings.crl.refresh),
            settings.crl.after_revocation.whole_seconds(),
            if settings.crl.shards.is_empty() {
                String::new()
            } else {
                let shards: Vec<String> = settings.crl.shards.iter().map(|(ca, n)| format!("{ca} {n}")).collect();
                format!("; partitions: {}", shards.join(", "))
            }
        ),
    );
    for profile in &settings.profiles {
        output::field(&format!("profile {}", profile.name), describe_profile(profile, now));
    }
    output::field(
        "ACME",
        if acme.enabled && !acme_profiles.is_empty() {
            format!(
                "profiles {} (default {}){}; validation to ports {} (http-01) and {} (tls-alpn-01) in {}, DNS from {}",
                acme_profiles.join(", "),
                acme.default_profile,
                if acme.eab_required { ", External Account Binding required" } else { "" },
                acme.http01_port,
                acme.tls_alpn01_port,
                networks.join(", "),
                acme.dns_resolver.map_or_else(|| "the system's resolver".to_string(), |a| a.to_string()),
            )
        } else {
            "off".to_string()
        },
    );
    output::field(
        "weak-key lists",
        if weak.files().is_empty() {
            "none (known-compromised Debian keys are not refused; see weak_key_files in docs/CONFIG.md)".to_string()
        } else {
            format!("{} keys from {} file(s)", weak.len(), weak.files().len())
        },
    );
    for warning in &settings.warnings {
        output::warn(warning);
    }
    if settings.strict_role_separation {
        output::field(
            "role separation",
            if violations.is_empty() { "strict; every identity holds one separated role" } else { "strict; BROKEN" },
        );
        for violation in &violations {
            output::warn(&violation.describe());
        }
    }
    if !violations.is_empty() {
        return Err(CliError::check_failed(format!(
            "{} identit{} break strict role separation and can do nothing until fixed",
            violations.len(),
            if violations.len() == 1 { "y" } else { "ies" }
        )));
    }
    Ok(())
}

/// One line on a profile: "client certificates from dev-issuing, 365 days, approved by a
/// Certificate Manager".
fn describe_profile(profile: &signet_issuance::profile::Profile, now: time::OffsetDateTime) -> String {
    use signet_issuance::profile::{Approval, ProfileKind};
    let kind = match profile.kind {
        ProfileKind::Server => "server certificates",
        ProfileKind::Client => "client certificates",
        ProfileKind::SubordinateCa => "subordinate CA certificates",
    };
    let days = profile.validity_at(now).whole_days();
    let validity = match (profile.validity, profile.kind) {
        (Some(_), _) => format!("{days} days"),
        (None, ProfileKind::Server) => format!("{days} days (the CA/Browser Forum limit today)"),
        (None, _) => format!("{days} days (the default)"),
    };
    let approval = match profile.approval {
        Approval::Auto => "issued at once",
        Approval::Manager => "approved by a Certificate Manager",
    };
    format!("{kind} from {}, {validity}, {approval}", profile.issuer)
}
