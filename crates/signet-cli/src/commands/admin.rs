//! Local administration on the data directory: tokens, audit verification, configuration check.

use signet_model::{Role, SystemClock};

use crate::cli::{AuditListArgs, AuditVerifyArgs, ConfigCheckArgs, TokenCreateArgs};
use crate::data;
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::output;

/// Runs `signet token create`.
pub fn token_create(args: &TokenCreateArgs) -> CliResult {
    let roles =
        args.roles.iter().map(|r| r.parse::<Role>().map_err(CliError::bad_input)).collect::<CliResult<Vec<_>>>()?;
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.data).await?;
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
        let data = data::open(&args.data.data).await?;
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
        let data = data::open(&args.data.data).await?;
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

/// Runs `signet config check`.
pub fn config_check(args: &ConfigCheckArgs) -> CliResult {
    let settings = data::settings(&args.data.data)?;
    say!("{}: valid", absolute(&data::config_path(&args.data.data)));
    output::field("listen", settings.listen);
    output::field("public URL", &settings.public_url);
    let now = signet_model::Clock::now(&SystemClock);
    for profile in &settings.profiles {
        let days = profile.validity_at(now).whole_days();
        let validity = match (profile.validity, profile.kind) {
            (Some(_), _) => format!("{days} days"),
            (None, signet_issuance::ProfileKind::Server) => format!("{days} days (the CA/B Forum limit today)"),
            (None, _) => format!("{days} days (the default)"),
        };
        // The names used in signet.toml (kebab-case), as the API shows them.
        let named = |value: serde_json::Result<serde_json::Value>| match value {
            Ok(serde_json::Value::String(text)) => text,
            _ => String::from("?"),
        };
        output::field(
            &format!("profile {}", profile.name),
            format!(
                "{} from {}, {validity}, approval {}",
                named(serde_json::to_value(profile.kind)),
                profile.issuer,
                named(serde_json::to_value(profile.approval))
            ),
        );
    }
    let weak = data::weak_keys(&settings)?;
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
    Ok(())
}
