//! No input may panic the decoder: every valid sample in tests/corpus/good, truncated at every
//! length and with thousands of random byte changes, must decode to objects or to a typed error.
//! (A deterministic stand-in for the cargo-fuzz target in fuzz/, which runs the same code path.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code asserts by panicking

use std::path::Path;

use signet_codec::describe::{Options, describe};

/// xorshift64*: a fixed-seed generator so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn exercise(bytes: &[u8]) {
    let options = Options { now: time::OffsetDateTime::UNIX_EPOCH, password: Some("test") };
    if let Ok(decoded) = signet_codec::decode(bytes) {
        for object in &decoded.objects {
            let _ = describe(object, &options);
        }
    }
}

#[test]
fn mutated_samples_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/good");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut samples = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/corpus/good exists") {
        let path = entry.expect("dir entry").path();
        let original = std::fs::read(&path).expect("read sample");
        samples += 1;
        // Strip PEM armour so mutations hit the DER too.
        let der = signet_codec::decode(&original)
            .ok()
            .and_then(|d| d.objects.first().map(|o| o.der().to_vec()))
            .unwrap_or_else(|| original.clone());
        for input in [&original, &der] {
            for cut in (0..input.len()).step_by(1 + input.len() / 64) {
                exercise(&input[..cut]);
            }
            for _ in 0..1500 {
                let mut mutated = input.clone();
                let changes = 1 + (rng.next() % 4) as usize;
                for _ in 0..changes {
                    let at = (rng.next() as usize) % mutated.len().max(1);
                    if let Some(byte) = mutated.get_mut(at) {
                        *byte = rng.next() as u8;
                    }
                }
                exercise(&mutated);
            }
        }
    }
    assert!(samples >= 10, "the good corpus is missing ({samples} samples)");
}
