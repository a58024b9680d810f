//! `signet match`: do these keys, CSRs and certificates share one public key (P5, P7)?

use serde::Serialize;
use signet_codec::{ObjectKind, PkiObject};
use signet_subscriber::matching::{self, KeyIdentity};

use crate::cli::MatchArgs;
use crate::error::{CliError, CliResult};
use crate::output::{self, colons};
use crate::pki;

#[derive(Serialize)]
struct MatchReport<'a> {
    matched: bool,
    objects: &'a [KeyIdentity],
}

/// Runs `signet match`.
pub fn run(args: &MatchArgs) -> CliResult {
    let mut identities = Vec::new();
    for path in &args.files {
        let decoded = pki::load(path)?;
        let objects = pki::expand(path, decoded.objects, args.pass_file.as_deref())?;
        // A chain file's leaf comes first; its CA certificates have other keys by design.
        let mut seen_certificate = false;
        let mut used = 0;
        for object in &objects {
            let relevant = match object {
                PkiObject::Certificate(_) => !std::mem::replace(&mut seen_certificate, true),
                PkiObject::CertificateRequest(_) | PkiObject::PrivateKey { .. } | PkiObject::PublicKey(_) => true,
                _ => false,
            };
            if relevant {
                let label = if objects.len() > 1 { format!("{path} ({})", object.kind()) } else { path.clone() };
                identities.push(matching::identity(&label, object)?);
                used += 1;
            }
        }
        if used == 0 {
            let kinds: Vec<ObjectKind> = objects.iter().map(PkiObject::kind).collect();
            return Err(pki::wrong_kind(path, &kinds, "a key, CSR or certificate"));
        }
    }
    if identities.len() < 2 {
        return Err(CliError::bad_input("give at least two keys, CSRs or certificates to compare"));
    }
    let groups = matching::groups(&identities);
    let matched = groups.len() == 1;
    if args.json {
        output::json(&MatchReport { matched, objects: &identities })?;
    } else {
        for (index, group) in groups.iter().enumerate() {
            let label = if matched { "same key".to_string() } else { format!("key {}", index + 1) };
            let first = group.first().map(|i| i.key.clone());
            if let Some(key) = first {
                say!("{label}: {} (SPKI SHA-256 {})", key.short_name(), colons(&key.spki_sha256));
            }
            for identity in group {
                say!("  {} [{}]", identity.source, identity.kind);
            }
        }
    }
    if matched {
        if !args.json {
            say!("All {} objects share one public key.", identities.len());
        }
        Ok(())
    } else {
        Err(CliError::check_failed(format!(
            "the files hold {} different public keys: a certificate only works with the private key its CSR was made from",
            groups.len()
        )))
    }
}
