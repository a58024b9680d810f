//! The bad-input corpus (tests/corpus/bad, made by tests/corpus/make-bad.sh): every file gets
//! one clear line of error and exit status 2, or is described with its flaw named; none panics.

use std::path::Path;
use std::time::Duration;

use crate::support::Sandbox;

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/bad")
}

#[test]
fn every_bad_file_gets_a_clear_error() {
    let sb = Sandbox::new();
    let expected = std::fs::read_to_string(corpus().join("EXPECTED")).expect("EXPECTED list");
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split('\t');
        let (Some(file), Some(outcome), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
            panic!("bad EXPECTED line {line:?}");
        };
        let path = corpus().join(file);
        let path = path.to_str().unwrap();
        let run = sb.signet(&["inspect", path]);
        match outcome {
            "error" => {
                run.code(2).err_has(text);
                let lines: Vec<&str> = run.stderr.lines().collect();
                assert_eq!(lines.len(), 1, "{file}: one line of error, got {lines:?}");
                assert!(lines[0].starts_with("error: "), "{file}: {lines:?}");
            }
            "ok" => {
                run.ok().out_has(text);
            }
            other => panic!("unknown outcome {other}"),
        }
        checked += 1;
    }
    let files = std::fs::read_dir(corpus()).unwrap().count() - 1;
    assert_eq!(checked, files, "every corpus file must have an EXPECTED line");
}

#[test]
fn large_inputs_are_refused_quickly() {
    let sb = Sandbox::new();
    let mut noise = vec![0u8; 10 * 1024 * 1024];
    let mut state = 0x1234_5678_9abc_def0_u64;
    for byte in noise.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    sb.write("noise.bin", &noise);
    sb.signet(&["inspect", "noise.bin"]).code(2).err_has("unrecognised");
    let text = "A".repeat(10 * 1024 * 1024);
    sb.write("tenmegs.txt", &text);
    sb.signet(&["inspect", "tenmegs.txt"]).code(2).no_panic();
    std::fs::File::create(sb.path("huge.bin")).unwrap().set_len(64 * 1024 * 1024).unwrap();
    sb.signet(&["inspect", "huge.bin"]).code(2).err_has("at most");
    sb.signet(&["inspect", "does-not-exist.pem"]).code(2).err_has("no such file");
    sb.signet(&["inspect", "."]).code(2).err_has("directory");
}

#[test]
fn bad_csrs_cannot_be_used_as_keys_or_matched_silently() {
    let sb = Sandbox::new();
    let path = corpus().join("csr-bad-signature.pem");
    sb.signet(&["csr", "new", "--key", path.to_str().unwrap(), "--cn", "x.example.com"])
        .code(2)
        .err_has("private key is needed");
}

/// Every file argument of every command, with `{}` where the file goes, and the environment it
/// needs. The other files are valid (tests/corpus/good), so the hostile one is what is read.
const FILE_ARGUMENTS: &[&[&str]] = &[
    &["inspect", "{}"],
    &["inspect", "leaf.pem", "--pass-file", "{}"],
    &["match", "{}", "leaf.pem"],
    &["match", "leaf-encrypted.key", "leaf.pem", "--pass-file", "{}"],
    &["convert", "{}", "--to", "der", "--out", "out.der"],
    &["convert", "leaf-encrypted.key", "--to", "pem", "--out", "out.pem", "--pass-file", "{}"],
    &["convert", "leaf.pem", "--key", "{}", "--to", "p12", "--out", "out.p12"],
    &["convert", "leaf.pem", "--key", "leaf.key", "--chain", "{}", "--to", "p12", "--out", "out.p12"],
    &["convert", "leaf.pem", "--key", "leaf.key", "--to", "p12", "--out", "out.p12", "--out-pass-file", "{}"],
    &["verify", "{}", "--roots", "ca.pem"],
    &["verify", "leaf.pem", "--chain", "{}", "--roots", "ca.pem"],
    &["verify", "leaf.pem", "--roots", "{}"],
    &["csr", "new", "--key", "{}", "--cn", "www.example.com", "--out", "out.csr"],
    &["csr", "new", "--key", "leaf-encrypted.key", "--pass-file", "{}", "--cn", "www.example.com", "--out", "out.csr"],
    &["key", "new", "--out", "out.key", "--encrypt", "--pass-file", "{}"],
    &["request", "submit", "--csr", "{}", "--profile", "test"],
    &["request", "submit", "--csr", "leaf.csr", "--profile", "test", "--token-file", "{}"],
    &["request", "status", "1", "--retrieval-token-file", "{}"],
    &["ca", "install-cert", "--name", "extra", "--cert", "{}", "--data", "data"],
];

#[test]
fn devices_pipes_and_symlink_loops_are_refused_without_blocking() {
    let sb = Sandbox::new();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/good");
    for file in ["leaf.pem", "leaf.key", "leaf-encrypted.key", "leaf.csr", "ca.pem"] {
        std::fs::copy(good.join(file), sb.path(file)).unwrap();
    }
    // A data directory for `ca install-cert` (its database is made on first use).
    std::fs::create_dir(sb.path("data")).unwrap();
    sb.write("data/signet.toml", "[profiles.p]\nissuer = \"ca\"\nkind = \"client\"\napproval = \"auto\"\n");
    sb.write("data/ca-passphrase", "not used before the certificate is read\n");
    sb.sh("mkfifo fifo && ln -s loop-a loop-b && ln -s loop-b loop-a && ln -s leaf.pem link.pem").ok();
    // Nothing ever writes to the FIFO: a reader that opens it blocking would wait forever.
    let env = [("SIGNET_SERVER", "http://127.0.0.1:9"), ("SIGNET_TOKEN", "not-used")];
    for (hostile, says) in [
        ("/dev/zero", "is a device, not a regular file"),
        ("fifo", "is a named pipe (FIFO), not a regular file"),
        ("loop-a", "too many levels of symbolic links"),
        ("data", "is a directory"),
    ] {
        for template in FILE_ARGUMENTS {
            let args: Vec<&str> = template.iter().map(|a| if *a == "{}" { hostile } else { a }).collect();
            let run = sb.signet_bounded(&args, &env, Duration::from_secs(30));
            run.code(2).err_has(says);
            assert_eq!(run.stderr.lines().count(), 1, "{}: one line of error:\n{}", run.command, run.stderr);
        }
    }
    // A symbolic link to a file is followed.
    sb.signet(&["inspect", "link.pem"]).ok().out_has("Certificate");
    // Outputs: a device is never renamed over, even with --force.
    sb.signet(&["convert", "leaf.pem", "--to", "der", "--out", "/dev/null", "--force"])
        .code(2)
        .err_has("not a regular file");
    {
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device(), "/dev/null is untouched");
    }
}

/// The pathological chains (tests/corpus/verify, from x509-limbo by tests/corpus/make-verify.sh):
/// each ends with its one problem and exit status 1 — bounded work, no hang, no panic.
#[test]
fn pathological_chains_end_with_a_clear_problem() {
    let sb = Sandbox::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/verify");
    let expected = std::fs::read_to_string(dir.join("EXPECTED")).expect("EXPECTED list");
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, host, at, code, ..] = fields.as_slice() else { panic!("bad EXPECTED line {line:?}") };
        let file = |suffix: &str| dir.join(format!("{name}.{suffix}.pem")).to_str().unwrap().to_string();
        let (leaf, roots, chain) = (file("leaf"), file("roots"), file("chain"));
        let mut args = vec!["verify", &leaf, "--roots", &roots, "--host", host, "--at", at];
        if Path::new(&chain).exists() {
            args.extend(["--chain", &chain]);
        }
        sb.signet(&args).code(1).no_panic().out_has(&format!("[{code}]"));
        checked += 1;
    }
    assert_eq!(checked, 8, "every pathological case in EXPECTED runs");
}
