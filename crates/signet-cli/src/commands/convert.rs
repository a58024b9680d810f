//! `signet convert`: PEM, DER, PKCS#7 and PKCS#12 in any direction (seed FMT-1 to FMT-9).

use signet_codec::{ObjectKind, PkiObject, SecretDer, pem, pkcs12};

use crate::cli::{ConvertArgs, FormatArg};
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::output;
use crate::pki;
use crate::secrets::{self, OUT_PASSPHRASE_ENV, Source};

/// Runs `signet convert`.
pub fn run(args: &ConvertArgs) -> CliResult {
    let decoded = pki::load(&args.input)?;
    check_pass_file_use(args, &decoded.objects)?;
    let mut objects = pki::expand(&args.input, decoded.objects, args.pass_file.as_deref())?;
    if let Some(key) = &args.key {
        let pkcs8 = pki::load_private_pkcs8(key, args.pass_file.as_deref())?;
        objects.push(PkiObject::PrivateKey { pkcs8, format: signet_codec::KeyFormat::Pkcs8 });
    }
    if let Some(chain) = &args.chain {
        objects
            .extend(pki::load_certificates(chain, args.pass_file.as_deref())?.into_iter().map(PkiObject::Certificate));
    }
    match args.to {
        FormatArg::Pem => to_pem(args, &objects),
        FormatArg::Der => to_der(args, &objects),
        FormatArg::P7b => to_p7b(args, &objects),
        FormatArg::P12 => to_p12(args, objects),
    }
}

/// `--pass-file` opens an encrypted input; the password of what is written is `--out-pass-file`.
/// A pass file given for an input that is not encrypted was silently unused (and a PKCS#12
/// password generated): refuse when the user clearly meant the output's password, else warn.
fn check_pass_file_use(args: &ConvertArgs, input: &[PkiObject]) -> CliResult {
    let Some(pass_file) = &args.pass_file else { return Ok(()) };
    let encrypted = |objects: &[PkiObject]| {
        objects.iter().any(|o| matches!(o.kind(), ObjectKind::Pkcs12 | ObjectKind::EncryptedPrivateKey))
    };
    let mut needed = encrypted(input);
    for extra in [&args.key, &args.chain].into_iter().flatten() {
        needed |= encrypted(&pki::load_quietly(extra)?.objects);
    }
    if needed {
        return Ok(());
    }
    let output = match args.to {
        FormatArg::P12 => Some("the PKCS#12 file"),
        FormatArg::Pem if args.encrypt_key => Some("the key written"),
        _ => None,
    };
    match output {
        Some(output) if args.out_pass_file.is_none() => Err(CliError::bad_input(format!(
            "--pass-file {} is the password of the input, and nothing in the input is encrypted; the password of {output} goes in --out-pass-file FILE",
            pass_file.display()
        ))),
        _ => {
            output::warn(&format!(
                "--pass-file {} was not used: nothing in the input is encrypted (--out-pass-file names the output's password)",
                pass_file.display()
            ));
            Ok(())
        }
    }
}

fn has_key(objects: &[PkiObject]) -> bool {
    objects.iter().any(|o| matches!(o, PkiObject::PrivateKey { .. }))
}

fn to_pem(args: &ConvertArgs, objects: &[PkiObject]) -> CliResult {
    let out_password = if args.encrypt_key && has_key(objects) {
        Some(secrets::for_writing(&Source {
            file: args.out_pass_file.as_deref(),
            env: OUT_PASSPHRASE_ENV,
            purpose: "the key written",
        })?)
    } else {
        None
    };
    let mut text = zeroize::Zeroizing::new(String::new());
    for object in objects {
        match (object, &out_password) {
            (PkiObject::PrivateKey { pkcs8, .. }, Some(password)) => {
                let encrypted = signet_codec::private_key::encrypt(
                    pkcs8,
                    password.as_bytes(),
                    signet_codec::private_key::Kdf::Scrypt,
                )?;
                text.push_str(&pem::encode(ObjectKind::EncryptedPrivateKey.pem_label(), &encrypted));
            }
            _ => text.push_str(&object.to_pem()),
        }
    }
    let mode = if has_key(objects) { Mode::Secret } else { Mode::Public };
    write_atomic(&args.out, text.as_bytes(), mode, args.force)?;
    report(args, objects.len(), mode);
    if mode == Mode::Secret && out_password.is_none() {
        output::warn(
            "the output holds an unencrypted private key (mode 0600); add --encrypt-key to protect it with a passphrase",
        );
    }
    Ok(())
}

fn to_der(args: &ConvertArgs, objects: &[PkiObject]) -> CliResult {
    let [object] = objects else {
        let kinds: Vec<String> = objects.iter().map(|o| o.kind().to_string()).collect();
        return Err(CliError::bad_input(format!(
            "DER holds exactly one object, but the input has {} ({}); use --to p7b for a chain or --to p12 for a key with its certificate",
            objects.len(),
            kinds.join(", ")
        )));
    };
    let mode = if matches!(object, PkiObject::PrivateKey { .. }) { Mode::Secret } else { Mode::Public };
    write_atomic(&args.out, object.der(), mode, args.force)?;
    report(args, 1, mode);
    Ok(())
}

fn to_p7b(args: &ConvertArgs, objects: &[PkiObject]) -> CliResult {
    if has_key(objects) {
        return Err(CliError::bad_input(
            "a .p7b file cannot hold a private key; use --to p12 to bundle the key with its certificate",
        ));
    }
    let certificates: Vec<Vec<u8>> = objects
        .iter()
        .filter_map(|o| match o {
            PkiObject::Certificate(der) => Some(der.clone()),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        let kinds: Vec<ObjectKind> = objects.iter().map(PkiObject::kind).collect();
        return Err(pki::wrong_kind(&args.input, &kinds, "certificates"));
    }
    let der = signet_codec::pkcs7::bundle(&certificates)?;
    write_atomic(&args.out, &der, Mode::Public, args.force)?;
    report(args, certificates.len(), Mode::Public);
    Ok(())
}

fn to_p12(args: &ConvertArgs, objects: Vec<PkiObject>) -> CliResult {
    let mut keys: Vec<SecretDer> = Vec::new();
    let mut certificates: Vec<Vec<u8>> = Vec::new();
    for object in objects {
        match object {
            PkiObject::PrivateKey { pkcs8, .. } => keys.push(pkcs8),
            PkiObject::Certificate(der) => certificates.push(der),
            _ => {}
        }
    }
    let key = match keys.as_slice() {
        [key] => key,
        [] => {
            return Err(CliError::bad_input(
                "a PKCS#12 file needs the private key: add --key FILE (the key the CSR was made with)",
            ));
        }
        _ => return Err(CliError::bad_input("more than one private key given; a PKCS#12 file here holds one")),
    };
    let key_spki = signet_codec::private_key::public_spki(key)?;
    let bundle = signet_subscriber::bundle::for_key(&key_spki, certificates)?;
    let (leaf, chain) = (bundle.leaf, bundle.chain);
    let friendly_name = match &args.name {
        Some(name) => name.clone(),
        None => bundle.common_name.unwrap_or_else(|| "signet".into()),
    };
    let given = secrets::lookup(&Source {
        file: args.out_pass_file.as_deref(),
        env: OUT_PASSPHRASE_ENV,
        purpose: "the PKCS#12 file",
    })?;
    let generated = given.is_none();
    let password = match given {
        Some(p) => p,
        None => secrets::generate_password()?,
    };
    let profile = if args.legacy { pkcs12::Profile::Legacy } else { pkcs12::Profile::Modern };
    let der = pkcs12::write(key, &leaf, &chain, &friendly_name, &password, profile)?;
    write_atomic(&args.out, &der, Mode::Secret, args.force)?;
    report(args, 1 + chain.len(), Mode::Secret);
    say!(
        "  contents:     private key + certificate + {} chain certificate(s), friendly name \"{friendly_name}\"",
        chain.len()
    );
    if generated {
        say!("  password:     {}", password.as_str());
        say!("This password is shown once and stored nowhere: keep it apart from the file.");
    }
    Ok(())
}

fn report(args: &ConvertArgs, count: usize, mode: Mode) {
    let format = match args.to {
        FormatArg::Pem => "PEM",
        FormatArg::Der => "DER",
        FormatArg::P7b => "PKCS#7 bundle",
        FormatArg::P12 => "PKCS#12",
    };
    say!("Wrote {format} with {count} object(s)");
    say!("  file:         {} (mode {})", absolute(&args.out), if mode == Mode::Secret { "0600" } else { "0644" });
}
