//! The bad-input corpus (tests/corpus/bad, made by tests/corpus/make-bad.sh): every file gets
//! one clear line of error and exit status 2, or is described with its flaw named; none panics.

use std::path::Path;

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
