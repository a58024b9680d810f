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

/// Runs `signet config check`.
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
    say!("{}: valid", absolute(&data::config_path(&dir)));
    output::field("listen", settings.listen);
    output::field("public URL", &settings.public_url);
    let now = signet_model::Clock::now(&SystemClock);
    for profile in &settings.profiles {
        output::field(&format!("profile {}", profile.name), describe_profile(profile, now));
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
    if settings.strict_role_separation {
        let violations = data::runtime()?.block_on(async {
            let store = data::open_store(&settings).await?;
            Ok::<_, CliError>(signet_authority::separation_violations(store.as_ref()).await?)
        })?;
        output::field(
            "role separation",
            if violations.is_empty() { "strict; every identity holds one separated role" } else { "strict; BROKEN" },
        );
        for violation in &violations {
            output::warn(&violation.describe());
        }
        if !violations.is_empty() {
            return Err(CliError::check_failed(format!(
                "{} identit{} break strict role separation and can do nothing until fixed",
                violations.len(),
                if violations.len() == 1 { "y" } else { "ies" }
            )));
        }
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
