//! `signet inspect`: describe any PKI file (seed CSR-7, P4, P30).

use serde::Serialize;
use signet_codec::describe::{self, CertificateInfo, CrlInfo, Description, Options, RequestInfo};
use signet_codec::{Encoding, KeyInfo};

use crate::cli::InspectArgs;
use crate::error::CliResult;
use crate::output::{self, colons, field};
use crate::pki;
use crate::secrets::{self, PASSPHRASE_ENV, Source};

#[derive(Serialize)]
struct InspectReport<'a> {
    file: &'a str,
    encoding: Encoding,
    notes: &'a [String],
    objects: Vec<Description>,
}

/// Runs `signet inspect`.
pub fn run(args: &InspectArgs) -> CliResult {
    let decoded = pki::load_quietly(&args.file)?;
    let password =
        secrets::lookup(&Source { file: args.pass_file.as_deref(), env: PASSPHRASE_ENV, purpose: &args.file })?;
    let options = Options {
        now: signet_model::Clock::now(&signet_model::SystemClock),
        password: password.as_deref().map(String::as_str),
    };
    let objects = decoded
        .objects
        .iter()
        .map(|o| describe::describe(o, &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::error::CliError::from(e).context(&args.file))?;
    if args.json {
        return output::json(&InspectReport {
            file: &args.file,
            encoding: decoded.encoding,
            notes: &decoded.notes,
            objects,
        });
    }
    for note in &decoded.notes {
        output::warn(&format!("{}: {note}", args.file));
    }
    let total = objects.len();
    for (index, object) in objects.iter().enumerate() {
        if index > 0 {
            say!();
        }
        let position = if total > 1 { format!(" ({} of {total})", index + 1) } else { String::new() };
        render(object, &position);
    }
    Ok(())
}

fn render(object: &Description, position: &str) {
    match object {
        Description::Certificate(c) => {
            say!("{}{position}", if c.is_ca { "CA certificate" } else { "Certificate" });
            certificate(c);
        }
        Description::CertificateRequest(r) => {
            say!("Certificate request (CSR){position}");
            request(r);
        }
        Description::Crl(c) => {
            say!("Certificate revocation list (CRL){position}");
            crl(c);
        }
        Description::PrivateKey(k) => {
            say!("Private key{position}, {:?} encoding (unencrypted)", k.format);
            key(&k.key);
        }
        Description::EncryptedPrivateKey(k) => {
            say!("Encrypted private key{position}");
            field("encryption", &k.encryption);
            match &k.key {
                Some(info) => key(info),
                None => say!("  (give --pass-file or SIGNET_PASSPHRASE to see the key type and fingerprint)"),
            }
        }
        Description::PublicKey(k) => {
            say!("Public key{position}");
            key(k);
        }
        Description::Pkcs7(b) => {
            say!("PKCS#7 bundle{position}: {} certificate(s), {} CRL(s)", b.certificates.len(), b.crls.len());
            for (i, c) in b.certificates.iter().enumerate() {
                say!("  -- certificate {} --", i + 1);
                certificate(c);
            }
            for c in &b.crls {
                say!("  -- CRL --");
                crl(c);
            }
        }
        Description::Pkcs12(p) => {
            say!("PKCS#12 (PFX) file{position}");
            field(
                "MAC",
                format!("{}{}", p.mac, p.mac_iterations.map(|i| format!(", {i} iterations")).unwrap_or_default()),
            );
            if !p.opened {
                say!("  (encrypted: give --pass-file or SIGNET_PASSPHRASE to list its keys and certificates)");
            }
            for k in &p.keys {
                say!(
                    "  -- private key{} --",
                    k.friendly_name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default()
                );
                key(&k.key);
            }
            for (i, c) in p.certificates.iter().enumerate() {
                say!("  -- certificate {} --", i + 1);
                certificate(c);
            }
        }
        Description::OcspRequest(r) => {
            say!("OCSP request{position}");
            for id in &r.requests {
                field("serial", colons(&id.serial));
                field(
                    "issuer hash",
                    format!("{} name {} key {}", id.hash_algorithm, id.issuer_name_hash, id.issuer_key_hash),
                );
            }
            field("nonce", r.nonce.as_deref().unwrap_or("none"));
            field("signed", if r.signed { "yes" } else { "no" });
        }
        Description::OcspResponse(r) => {
            say!("OCSP response{position}");
            field("status", &r.response_status);
            if let Some(p) = &r.produced_at {
                field("produced at", p);
            }
            if let Some(who) = &r.responder {
                field("responder", who);
            }
            for s in &r.responses {
                let when = s.revoked_at.as_ref().map(|t| format!(" at {t}")).unwrap_or_default();
                let reason = s.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
                field("certificate", format!("serial {}: {}{when}{reason}", colons(&s.cert_id.serial), s.status));
                field(
                    "valid",
                    format!("{} until {}", s.this_update, s.next_update.as_deref().unwrap_or("(no nextUpdate)")),
                );
            }
            if let Some(alg) = &r.signature_algorithm {
                field("signature", alg);
            }
            field("nonce", r.nonce.as_deref().unwrap_or("none"));
        }
    }
}

fn key(k: &KeyInfo) {
    let exponent = k.rsa_exponent.map(|e| format!(", e={e}")).unwrap_or_default();
    field("key", format!("{}{exponent}", k.short_name()));
    field("SPKI SHA-256", colons(&k.spki_sha256));
}

fn certificate(c: &CertificateInfo) {
    field("subject", &c.subject);
    field("issuer", if c.self_signed { format!("{} (self-signed)", c.issuer) } else { c.issuer.clone() });
    field("serial", colons(&c.serial));
    field(
        "valid",
        format!("{} to {} ({} days): {}", c.not_before, c.not_after, c.validity_days, c.status.to_uppercase()),
    );
    if !c.subject_alt_names.is_empty() {
        field("names (SAN)", c.subject_alt_names.join(", "));
    } else if !c.is_ca {
        field("names (SAN)", "none: browsers will reject this certificate for any host");
    }
    key(&c.public_key);
    field("signature", &c.signature_algorithm);
    if c.is_ca {
        field("CA", format!("yes{}", c.path_length.map(|l| format!(", path length {l}")).unwrap_or_default()));
    }
    if !c.key_usage.is_empty() {
        field("key usage", c.key_usage.join(", "));
    }
    if !c.extended_key_usage.is_empty() {
        field("ext. usage", c.extended_key_usage.join(", "));
    }
    if !c.crl_urls.is_empty() {
        field("CRL", c.crl_urls.join(", "));
    }
    if !c.ocsp_urls.is_empty() {
        field("OCSP", c.ocsp_urls.join(", "));
    }
    if !c.ca_issuer_urls.is_empty() {
        field("CA issuers", c.ca_issuer_urls.join(", "));
    }
    let extensions: Vec<String> = c
        .extensions
        .iter()
        .map(|e| if e.critical { format!("{} (critical)", e.name) } else { e.name.clone() })
        .collect();
    field("extensions", extensions.join(", "));
    field("SHA-256", colons(&c.sha256_fingerprint));
    field("SHA-1", colons(&c.sha1_thumbprint));
}

fn request(r: &RequestInfo) {
    field("subject", &r.subject);
    field(
        "names (SAN)",
        if r.subject_alt_names.is_empty() { "none".to_string() } else { r.subject_alt_names.join(", ") },
    );
    key(&r.public_key);
    let status = match r.signature_status.as_str() {
        "valid" => "VERIFIES",
        "weak-algorithm" => "WEAK ALGORITHM (every CA refuses MD5 and SHA-1 requests; make a new CSR)",
        _ => "DOES NOT VERIFY (damaged or altered)",
    };
    field("signature", format!("{}, {status}", r.signature_algorithm));
    if !r.key_usage.is_empty() {
        field("key usage", r.key_usage.join(", "));
    }
    if !r.extended_key_usage.is_empty() {
        field("ext. usage", r.extended_key_usage.join(", "));
    }
    if !r.attributes.is_empty() {
        field("attributes", r.attributes.join(", "));
    }
    field("SHA-256", colons(&r.sha256_fingerprint));
}

pub(crate) fn crl(c: &CrlInfo) {
    field("issuer", &c.issuer);
    field("this update", &c.this_update);
    field("next update", format!("{} ({})", c.next_update.as_deref().unwrap_or("none"), c.status));
    if let Some(n) = &c.crl_number {
        field("CRL number", n);
    }
    match (c.shard, c.distribution_points.first()) {
        (Some(shard), Some(url)) => field("scope", format!("partition {shard} ({url})")),
        (None, Some(url)) => field("scope", format!("certificates naming {url}")),
        _ => field("scope", "full (every certificate of the issuer)"),
    }
    field("signature", &c.signature_algorithm);
    field("entries", c.revoked_count);
    for entry in c.revoked.iter().take(20) {
        let reason = entry.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
        let invalid = entry.invalidity_date.as_ref().map(|d| format!(", invalid since {d}")).unwrap_or_default();
        say!("    {} at {}{reason}{invalid}", colons(&entry.serial), entry.revoked_at);
    }
    if c.revoked.len() > 20 {
        say!("    ... and {} more (use --json for all)", c.revoked.len() - 20);
    }
}
